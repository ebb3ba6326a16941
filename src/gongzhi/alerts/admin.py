from django.contrib import admin

from gongzhi.org.admin_base import ReadOnlyAdmin

from .models import AgendaProposal, Alert, ScanRun


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    """Alerts are raised by the scan and change status through the services (the pages/API); read-only here."""

    list_display = (
        "id",
        "kind",
        "severity",
        "title",
        "region",
        "window_start",
        "window_end",
        "observed",
        "expected",
        "status",
        "created_at",
    )
    list_filter = ("kind", "status", "severity")
    search_fields = ("title", "key")
    raw_id_fields = ("requests",)


@admin.register(ScanRun)
class ScanRunAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "region",
        "first_day",
        "last_day",
        "series",
        "phi",
        "raised",
        "updated",
        "seconds",
        "started_at",
    )


@admin.register(AgendaProposal)
class AgendaProposalAdmin(ReadOnlyAdmin):
    """Proposals are made by the agenda scan and decided through the services (the pages/API); read-only here."""

    list_display = ("id", "period", "region", "label", "kind", "request_count", "status", "decided_at")
    list_filter = ("kind", "status", "period")
    search_fields = ("label", "signature")
    raw_id_fields = ("requests", "alerts")
