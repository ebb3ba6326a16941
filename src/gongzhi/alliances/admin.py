from typing import Any

from django.contrib import admin

from gongzhi.org.admin_base import MaskedTabularInline, PersonalDataAdmin

from .models import Alliance, AllianceMember, Meeting, Rectification, RectificationTask, RuleSet, Support, YearReview


class MemberInline(MaskedTabularInline):
    model = AllianceMember
    extra = 0
    can_delete = False
    readonly_fields = ["unit", "role", "via", "status", "joined_on", "ended_on", "beyond_cap", "special_justification"]
    fields = readonly_fields


@admin.register(Alliance)
class AllianceAdmin(PersonalDataAdmin):
    list_display = ["code", "name", "kind", "status", "lead_unit", "established_on"]
    list_filter = ["kind", "status"]
    search_fields = ["code", "name"]
    readonly_fields = ["status", "approver_unit", "decided_on", "decision_reason", "established_on"]
    inlines = [MemberInline]


@admin.register(Meeting)
class MeetingAdmin(PersonalDataAdmin):
    list_display = ["alliance", "kind", "year", "period", "due_on", "held_on", "late"]
    list_filter = ["kind", "year", "late"]


@admin.register(RuleSet)
class RuleSetAdmin(PersonalDataAdmin):
    """Rule sets are published through ``rating.publish_ruleset``; here they are read only."""

    list_display = ["version", "effective_from", "note"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(YearReview)
class YearReviewAdmin(PersonalDataAdmin):
    list_display = ["alliance", "year", "stage", "alliance_stars", "alliance_score"]
    list_filter = ["year", "stage"]


class _ReadOnly:
    """Changed only through the services (``services/rectification.py``), so the record and its events
    agree; here they are read only."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class RectificationTaskInline(_ReadOnly, MaskedTabularInline):
    model = RectificationTask
    extra = 0
    readonly_fields = ("title", "dimension", "due_on", "done_on", "note")
    fields = readonly_fields


@admin.register(Rectification)
class RectificationAdmin(_ReadOnly, PersonalDataAdmin):
    list_display = ["unit", "alliance", "round", "status", "opened_on", "deadline", "reviewed_on"]
    list_filter = ["status", "round"]
    search_fields = ["unit__name", "alliance__name"]
    inlines = [RectificationTaskInline]


@admin.register(Support)
class SupportAdmin(_ReadOnly, PersonalDataAdmin):
    list_display = ["unit", "alliance", "kind", "amount", "priority", "valid_until", "recorded_on"]
    list_filter = ["kind"]
