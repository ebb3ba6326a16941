"""Admin: platforms, meetings, decisions and matters are read-only here — they change only through the
services (pages, API, ``gongzhi councils``), so that every change is recorded and public; thresholds
are set with ``gongzhi councils threshold``."""

from django.contrib import admin

from gongzhi.org.admin_base import ReadOnlyAdmin as ReadOnly
from gongzhi.org.admin_base import ReadOnlyInline

from .models import AgendaItem, Attendance, Council, Decision, Matter, MatterStep, MatterUse, Meeting, Member, Threshold


class MemberInline(ReadOnlyInline):
    model = Member
    fields = ("unit", "person", "role", "active", "joined_on")


class AgendaInline(ReadOnlyInline):
    model = AgendaItem
    fields = ("order", "source", "ref", "title", "count")


class AttendanceInline(ReadOnlyInline):
    model = Attendance
    fields = ("member", "present")


class DecisionInline(ReadOnlyInline):
    model = Decision
    fields = ("code", "title", "votes_for", "votes_against", "votes_abstain", "outcome", "effect", "effect_ref")


class StepInline(ReadOnlyInline):
    model = MatterStep
    fields = ("kind", "at", "actor", "note")


class UseInline(ReadOnlyInline):
    model = MatterUse
    fields = ("subject_type", "subject_ref", "effect_ref", "amount", "at")


@admin.register(Council)
class CouncilAdmin(ReadOnly):
    list_display = ("code", "name", "level", "region", "host", "status")
    list_filter = ("level", "status")
    search_fields = ("code", "name")
    inlines = [MemberInline]


@admin.register(Meeting)
class MeetingAdmin(ReadOnly):
    list_display = ("code", "title", "council", "held_on", "members_total", "present", "quorum_met")
    search_fields = ("code", "title")
    inlines = [AgendaInline, AttendanceInline, DecisionInline]


@admin.register(Matter)
class MatterAdmin(ReadOnly):
    list_display = ("code", "title", "kind", "council", "subject_type", "subject_ref", "amount", "status")
    list_filter = ("kind", "status", "subject_type")
    search_fields = ("code", "title")
    inlines = [StepInline, UseInline]


@admin.register(Threshold)
class ThresholdAdmin(ReadOnly):
    list_display = ("region", "subject_type", "amount")
    list_filter = ("subject_type",)
