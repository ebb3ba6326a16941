from django.contrib import admin

from gongzhi.org.admin_base import MaskedTabularInline
from gongzhi.org.admin_base import ReadOnlyAdmin as ReadOnly

from .models import Indicator, Result, Run, Scheme, SchemeWeight


@admin.register(Indicator)
class IndicatorAdmin(ReadOnly):
    list_display = ("code", "name", "formula", "element", "active", "version")
    list_filter = ("element", "active")
    search_fields = ("code", "name", "formula")


class WeightInline(MaskedTabularInline):
    model = SchemeWeight
    extra = 0
    can_delete = False
    readonly_fields = ("area_kind", "indicator", "weight", "shift")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Scheme)
class SchemeAdmin(ReadOnly):
    list_display = ("code", "name", "region", "active", "version", "created_at")
    inlines = [WeightInline]


@admin.register(Run)
class RunAdmin(ReadOnly):
    list_display = ("id", "scheme", "region", "period", "start", "end", "created_at", "seconds")
    list_filter = ("period",)


@admin.register(Result)
class ResultAdmin(ReadOnly):
    list_display = ("id", "run", "region", "level", "area_kind", "index_name", "index_value", "score", "rank")
    list_filter = ("level", "area_kind", "run__period")
    search_fields = ("region__name", "region__code")
