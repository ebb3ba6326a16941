from django.contrib import admin

from gongzhi.org.admin_base import ReadOnlyAdmin

from .models import ImportRun, Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    """Read-only: snapshots are published by the service (their digests are on the ledger)."""

    list_display = ("dataset", "created_at", "rows", "sha256", "checkpoint_size")
    list_filter = ("dataset",)
    exclude = ("content",)


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    """Read-only: each spreadsheet import as it ran (the refused rows' reasons are masked like any free text)."""

    list_display = ("created_at", "kind", "filename", "dry_run", "rows", "accepted", "applied")
    list_filter = ("kind", "dry_run", "applied")
