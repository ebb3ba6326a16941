from django.contrib import admin

from gongzhi.org.admin_base import MaskedTabularInline, PersonalDataAdmin

from .models import Alliance, AllianceMember, Meeting, RuleSet, YearReview


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
