from django.contrib import admin

from gongzhi.org.admin_base import PersonalDataAdmin

from .models import AreaDay, DailyRollup, GridState


@admin.register(DailyRollup)
class DailyRollupAdmin(PersonalDataAdmin):
    list_display = ("day", "region", "grid", "category", "sla", "arrived", "resolved", "on_time", "rated", "satisfied")
    list_filter = ("sla",)
    date_hierarchy = "day"
    raw_id_fields = ("region", "street", "district", "grid", "category")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AreaDay)
class AreaDayAdmin(DailyRollupAdmin):
    list_display = ("day", "region", "arrived", "dispatched", "resolved", "rated", "satisfied")
    list_filter = ()
    raw_id_fields = ("region", "street", "district")


@admin.register(GridState)
class GridStateAdmin(PersonalDataAdmin):
    list_display = ("grid", "region", "open", "overdue", "computed_at")
    raw_id_fields = ("grid", "region", "street", "district")
    date_hierarchy = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
