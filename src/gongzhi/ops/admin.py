"""The back office's pages over core's rows (regions, the outbox, API tokens, the scheduler's state, the
security audit log). They live here, above ``org``, because they are scoped by org's permissions
(``org.admin.ScopedAdmin``), and core sits below org."""

from django.contrib import admin
from django.http import HttpRequest

from gongzhi.core.models import ApiToken, DeliveryBatch, Event, OutboxCursor, Region, ScheduledJob, SecurityLog
from gongzhi.org import permissions as perm
from gongzhi.org.admin import ScopedAdmin
from gongzhi.org.admin_base import PersonalDataAdmin, ReadOnlyAdmin


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
class ApiTokenAdmin(PersonalDataAdmin):
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

    list_display = ("subscriber", "frontier_seq", "through_seq", "horizon_seq", "horizon_at", "version")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser)


@admin.register(DeliveryBatch)
class DeliveryBatchAdmin(ReadOnlyAdmin):
    """One row per batch a subscriber was handed (range, numbers skipped, events handled, when)."""

    list_display = ("subscriber", "first_seq", "last_seq", "handled", "delivered_at")
    list_filter = ("subscriber",)
    date_hierarchy = "delivered_at"

    def has_module_permission(self, request):
        return request.user.is_superuser


@admin.register(SecurityLog)
class SecurityLogAdmin(ReadOnlyAdmin):
    """The security audit log, read-only, for auditors (their region's rows) and superusers.
    The same rows, filters and a CSV export are at /audit/."""

    list_display = ("at", "kind", "username", "region", "target", "ip")
    list_filter = ("kind",)
    search_fields = ("username", "target")
    date_hierarchy = "at"

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff and perm.allowed(request.user, perm.VIEW_AUDIT_LOG)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def get_queryset(self, request):
        from gongzhi.org.audit_views import visible_rows

        return visible_rows(request.user)
