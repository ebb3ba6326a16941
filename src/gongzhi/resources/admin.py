from django.contrib import admin

from gongzhi.org.admin_base import PersonalDataAdmin

from .models import Assignment, MatchRun, PoolNeed, PoolResource


@admin.register(PoolResource)
class PoolResourceAdmin(PersonalDataAdmin):
    list_display = ("id", "name", "owner", "kind", "quantity", "region", "share_with_paired", "status")
    list_filter = ("kind", "status", "share_with_paired")
    raw_id_fields = ("owner", "grid", "region", "volunteer")
    search_fields = ("name",)


@admin.register(PoolNeed)
class PoolNeedAdmin(PersonalDataAdmin):
    list_display = ("id", "title", "kind", "quantity", "priority", "source", "region", "status")
    list_filter = ("kind", "priority", "status", "source")
    raw_id_fields = ("grid", "region")
    search_fields = ("title",)


@admin.register(Assignment)
class AssignmentAdmin(PersonalDataAdmin):
    """Assignments change through the loop's services; the admin only shows them."""

    list_display = ("id", "need", "resource", "quantity", "status", "unit_cost")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Assignment._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(MatchRun)
class MatchRunAdmin(PersonalDataAdmin):
    list_display = ("id", "method", "region", "needs", "served", "demand", "total_cost", "seconds", "created_at")
