from django.contrib import admin

from .models import Cadence, Patrol


@admin.register(Patrol)
class PatrolAdmin(admin.ModelAdmin):
    """Read-only: patrols are recorded by the grid worker through the service."""

    list_display = ("on", "grid", "minutes", "created_at")
    list_filter = ("on",)
    search_fields = ("grid__code", "grid__name")
    readonly_fields = ("grid", "region", "worker", "on", "minutes", "note", "findings", "created_at")
    exclude = ("idempotency_key",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Cadence)
class CadenceAdmin(admin.ModelAdmin):
    list_display = ("region", "grid", "every_days", "set_at")
    readonly_fields = ("region", "grid", "every_days", "set_by", "set_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
