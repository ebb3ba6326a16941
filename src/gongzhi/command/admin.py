from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from gongzhi.org.admin_base import MaskedTabularInline, PersonalDataAdmin

from .models import AreaDay, BoardRule, DailyRollup, FollowUp, GridState, Mechanism, MechanismSession


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


# "141" board rules and "885" mechanisms: changes go through the services (the rules, the definitions);
# sessions and follow-ups are read here, held on the session page or through the API.


@admin.register(BoardRule)
class BoardRuleAdmin(PersonalDataAdmin):
    list_display = ("region", "key", "board", "created_at")
    list_filter = ("board",)
    search_fields = ("key", "region__name", "region__code")
    raw_id_fields = ("region",)
    date_hierarchy = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Mechanism)
class MechanismAdmin(PersonalDataAdmin):
    list_display = ("name", "code", "region", "kind", "cadence", "level", "active", "seeded")
    list_filter = ("kind", "cadence", "active")
    search_fields = ("name", "code")
    raw_id_fields = ("region",)
    date_hierarchy = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FollowUpInline(MaskedTabularInline):
    model = FollowUp
    extra = 0
    fields = ("title", "unit", "due_on", "closed_on", "note")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:  # type: ignore[override]
        return False


@admin.register(MechanismSession)
class MechanismSessionAdmin(PersonalDataAdmin):
    list_display = ("mechanism", "region", "period", "scheduled_on", "status", "held_on")
    list_filter = ("status", "mechanism__kind")
    search_fields = ("region__name", "region__code", "period")
    raw_id_fields = ("mechanism", "region", "held_by")
    date_hierarchy = "scheduled_on"
    inlines = [FollowUpInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FollowUp)
class FollowUpAdmin(PersonalDataAdmin):
    list_display = ("title", "region", "unit", "due_on", "closed_on")
    list_filter = ("closed_on",)
    search_fields = ("title",)
    raw_id_fields = ("session", "region", "unit")
    date_hierarchy = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
