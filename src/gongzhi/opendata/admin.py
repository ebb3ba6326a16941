from django.contrib import admin

from .models import ImportRun, Snapshot


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    """Read-only: snapshots are published by the service (their digests are on the ledger)."""

    list_display = ("dataset", "created_at", "rows", "sha256", "checkpoint_size")
    list_filter = ("dataset",)
    exclude = ("content",)
    readonly_fields = [f.name for f in Snapshot._meta.fields if f.name != "content"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "filename", "dry_run", "rows", "accepted", "applied")
    list_filter = ("kind", "dry_run", "applied")
    readonly_fields = [f.name for f in ImportRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
