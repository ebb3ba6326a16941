from django.contrib import admin

from gongzhi.org import permissions as perm
from gongzhi.org.admin import ScopedAdmin

from .admin_base import ReadOnlyAdmin
from .models import ApiToken, Event, OutboxCursor, Region, ScheduledJob


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    region_field = ""
    list_display = ("code", "name", "level", "kind", "parent", "population")
    list_filter = ("level", "kind")
    search_fields = ("code", "name")


@admin.register(Event)
class EventAdmin(ScopedAdmin):
    list_display = ("seq", "type", "aggregate_type", "aggregate_id", "region", "occurred_at", "public")
    list_filter = ("type", "public")
    search_fields = ("aggregate_id", "type")


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked")

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False  # tokens are issued with `gongzhi token`; the secret is shown once

    def get_queryset(self, request):
        return super().get_queryset(request) if perm.is_system(request.user) else ApiToken.objects.none()


@admin.register(ScheduledJob)
class ScheduledJobAdmin(ReadOnlyAdmin):
    """When each periodic job was last enqueued (``gongzhi schedule --list`` shows the same)."""

    list_display = ("name", "last_enqueued_at", "last_task_id")

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(OutboxCursor)
class OutboxCursorAdmin(ReadOnlyAdmin):
    """How far each subscriber has read the outbox (``events.dispatch_pending`` moves it)."""

    list_display = ("subscriber", "through_seq", "horizon_seq", "horizon_at")

    def has_module_permission(self, request):
        return request.user.is_superuser
