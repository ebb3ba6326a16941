"""Admin: goals and tasks are read here; changes go through the services (pages, API) so that every
change is checked, versioned and emitted as an event."""

from django.contrib import admin

from gongzhi.org.admin_base import MaskedTabularInline
from gongzhi.org.admin_base import ReadOnlyAdmin as ReadOnly

from .models import (
    Adjustment,
    Feedback,
    Goal,
    Link,
    ProgressUpdate,
    ReviewJudgement,
    ReviewMeeting,
    ReviewSchedule,
    SupervisionFlag,
    Task,
)


class TaskInline(MaskedTabularInline):
    model = Task
    extra = 0
    can_delete = False
    fields = (
        "title",
        "unit",
        "deadline",
        "quality_standard",
        "indicator_name",
        "target",
        "current_value",
        "progress",
        "state",
    )
    readonly_fields = fields
    show_change_link = True


@admin.register(Goal)
class GoalAdmin(ReadOnly):
    list_display = ("id", "title", "source_kind", "region", "lead_unit", "due_on", "state")
    list_filter = ("source_kind", "state")
    search_fields = ("title", "directive_ref")
    inlines = [TaskInline]


class UpdateInline(MaskedTabularInline):
    model = ProgressUpdate
    extra = 0
    can_delete = False
    readonly_fields = ("at", "source", "value", "progress", "note", "reporter_unit", "reported_by")
    fields = readonly_fields


@admin.register(Task)
class TaskAdmin(ReadOnly):
    list_display = ("id", "title", "goal", "unit", "deadline", "progress", "state")
    list_filter = ("state", "indicator_source")
    search_fields = ("title", "unit__name", "unit__code")
    inlines = [UpdateInline]


@admin.register(SupervisionFlag)
class FlagAdmin(ReadOnly):
    list_display = ("id", "task", "kind", "detail", "raised_at", "resolved_at")
    list_filter = ("kind",)


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnly):
    list_display = ("id", "task", "kind", "status", "reason", "requested_at", "decided_at")
    list_filter = ("kind", "status")


@admin.register(Feedback)
class FeedbackAdmin(ReadOnly):
    list_display = ("id", "goal", "source", "unit", "rating", "at")
    list_filter = ("source", "rating")


@admin.register(Link)
class LinkAdmin(ReadOnly):
    list_display = ("id", "goal", "task", "kind", "object_id", "label", "purpose")
    list_filter = ("kind", "purpose")


# ----------------------------------------------------------------- regular joint reviews (定期会商研判, seed 003)


@admin.register(ReviewSchedule)
class ReviewScheduleAdmin(ReadOnly):
    list_display = ("goal", "cadence", "first_on", "active", "set_at")
    list_filter = ("cadence", "active")


class JudgementInline(MaskedTabularInline):
    model = ReviewJudgement
    extra = 0
    can_delete = False
    readonly_fields = ("task", "status", "reason", "note", "flag")
    fields = readonly_fields


@admin.register(ReviewMeeting)
class ReviewMeetingAdmin(ReadOnly):
    """Joint review meetings: held through ``services.hold_review`` (the indicator snapshot is shown as stored)."""

    list_display = ("id", "goal", "region", "scheduled_on", "state", "held_on", "auto")
    list_filter = ("state", "auto")
    search_fields = ("goal__title", "summary")
    readonly_fields = ("indicators",)
    inlines = [JudgementInline]
