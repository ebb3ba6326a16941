from django.contrib import admin

from gongzhi.org.admin_base import ReadOnlyAdmin

from .models import Cadence, Patrol


@admin.register(Patrol)
class PatrolAdmin(ReadOnlyAdmin):
    """Read-only: patrols are recorded by the grid worker through the service."""

    list_display = ("on", "grid", "minutes", "created_at")
    list_filter = ("on",)
    search_fields = ("grid__code", "grid__name")
    exclude = ("idempotency_key",)


@admin.register(Cadence)
class CadenceAdmin(ReadOnlyAdmin):
    """Read-only: cadences are set on the patrols page (``services.set_cadence``)."""

    list_display = ("region", "grid", "every_days", "set_at")
