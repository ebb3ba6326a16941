"""Admin: incidents, their log, mobilisation and notifications are shown read-only — they change only
through the services (the page, the API or ``gongzhi incident``), so every change is logged and public."""

from django.contrib import admin

from gongzhi.org.admin_base import ReadOnlyAdmin as ReadOnly
from gongzhi.org.admin_base import ReadOnlyInline

from .models import (
    Incident,
    IncidentGrid,
    IncidentNeed,
    LogEntry,
    Mobilisation,
    Notification,
)


class GridInline(ReadOnlyInline):
    model = IncidentGrid
    fields = ("grid", "active")


class LogInline(ReadOnlyInline):
    model = LogEntry
    fields = ("at", "kind", "text", "actor")


class NeedInline(ReadOnlyInline):
    model = IncidentNeed
    fields = ("need", "created_at")


@admin.register(Incident)
class IncidentAdmin(ReadOnly):
    list_display = ("code", "name", "kind", "severity", "region", "desk_unit", "status", "declared_at", "stood_down_at")
    list_filter = ("status", "kind", "severity")
    search_fields = ("code", "name")
    inlines = [GridInline, NeedInline, LogInline]


@admin.register(Mobilisation)
class MobilisationAdmin(ReadOnly):
    list_display = ("incident", "person", "kind", "grid", "status", "notified_at", "checked_in_at", "task")
    list_filter = ("kind", "status")
    search_fields = ("incident__code", "person__name")
    raw_id_fields = ("person", "grid", "need")


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = ("person", "title", "channel", "created_at", "read_at")
    search_fields = ("title", "person__name")
    raw_id_fields = ("person",)


@admin.register(LogEntry)
class LogEntryAdmin(ReadOnly):
    list_display = ("incident", "at", "kind", "text")
    list_filter = ("kind",)
