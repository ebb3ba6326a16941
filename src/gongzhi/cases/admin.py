"""Admin of the request loop's push-down records (read-only, by scope; decisions go through the services)."""

from __future__ import annotations

from django.contrib import admin

from gongzhi.org.admin import ScopedAdmin

from .models import PushDown


@admin.register(PushDown)
class PushDownAdmin(ScopedAdmin):
    """向基层下派记录: every manual dispatch below the unit the responsibility list names."""

    list_display = ("request", "street", "category", "listed_unit", "to_unit", "status", "requested_at", "decided_at")
    list_filter = ("status",)
    search_fields = ("request__number", "to_unit__name")
    raw_id_fields = ("request",)
