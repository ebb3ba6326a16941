from django.contrib import admin

from gongzhi.org.admin_base import MaskedTabularInline, PersonalDataAdmin, ReadOnlyAdmin

from .models import FollowUp, FormalVote, LiveAnalysis, Phase, RollEntry, Statement, Topic, VoteOption


class PhaseInline(MaskedTabularInline):
    model = Phase
    extra = 0


@admin.register(Topic)
class TopicAdmin(PersonalDataAdmin):
    list_display = ("title", "scope", "region", "source", "created_at")
    list_filter = ("scope", "source")
    search_fields = ("title",)
    raw_id_fields = ("region", "unit", "proposed_by")
    inlines = [PhaseInline]


@admin.register(Statement)
class StatementAdmin(PersonalDataAdmin):
    list_display = ("text", "topic", "status", "moderation_reason", "created_at")
    list_filter = ("status",)
    search_fields = ("text",)
    raw_id_fields = ("topic", "author", "moderated_by")


class OptionInline(MaskedTabularInline):
    model = VoteOption
    extra = 0


@admin.register(FormalVote)
class FormalVoteAdmin(PersonalDataAdmin):
    """Read-mostly: ballots and the roll are never edited here (secrecy and one person one vote)."""

    list_display = ("title", "region", "electorate", "method", "preset", "closes_at", "status")
    list_filter = ("status", "method", "electorate")
    search_fields = ("title",)
    raw_id_fields = ("topic", "region", "unit", "created_by")
    readonly_fields = ("electorate_size", "household_count", "result", "minutes", "tallied_at", "status")
    inlines = [OptionInline]


@admin.register(FollowUp)
class FollowUpAdmin(PersonalDataAdmin):
    list_display = ("title", "region", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("vote", "topic", "region")


@admin.register(RollEntry)
class RollEntryAdmin(PersonalDataAdmin):
    list_display = ("vote", "channel", "at")
    list_filter = ("channel",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LiveAnalysis)
class LiveAnalysisAdmin(ReadOnlyAdmin):
    """Read-only: written by the scheduled job ``consult.update_live_analyses`` alone."""

    list_display = ("topic", "votes_covered", "updates", "n_groups", "updated_at")
    exclude = ("state", "prior_state")
