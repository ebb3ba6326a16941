"""The back office. Lists are filtered by the user's scope; changes go through services."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from gongzhi.core.errors import DomainError
from gongzhi.org.admin_base import PersonalDataAdmin

from . import permissions as perm
from . import services
from .models import (
    Grid,
    Household,
    HouseholdLink,
    HouseholdVisit,
    MatterCategory,
    Membership,
    Person,
    Power,
    PowerGrant,
    ResponsibilityRule,
    StaffRole,
    Unit,
)


class ScopedAdmin(PersonalDataAdmin):
    """Read access by scope (``permissions.scope``); no raw edits: state changes go through services.
    Personal data masked by the ``view_personal`` rule (``org.admin_base.PersonalDataAdmin``)."""

    region_field = "region"
    list_per_page = 50

    def get_queryset(self, request):
        return perm.scope(request.user, super().get_queryset(request), region_field=self.region_field)

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff and perm.allowed(request.user, perm.VIEW)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request) and (obj is None or perm.allowed(request.user, perm.VIEW, obj))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Unit)
class UnitAdmin(ScopedAdmin):
    list_display = ("code", "name", "kind", "region", "status", "needs_rectification")
    list_filter = ("kind", "status", "needs_rectification")
    search_fields = ("code", "name")
    raw_id_fields = ("parent", "region", "host")
    fields = (
        "code",
        "name",
        "kind",
        "parent",
        "region",
        "host",
        "address",
        "lon",
        "lat",
        "status",
        "needs_rectification",
        "rectification_reason",
    )
    readonly_fields = ("status", "needs_rectification", "rectification_reason")

    def has_change_permission(self, request, obj=None):
        return perm.allowed(request.user, perm.EDIT_UNIT, obj) if obj else perm.allowed(request.user, perm.EDIT_UNIT)

    def get_readonly_fields(self, request, obj=None):
        ro = list(self.readonly_fields)
        return ro + ["code", "kind", "parent", "region", "host"] if obj else ro

    def save_model(self, request, obj, form, change):
        # New units are created on the unit pages (with their founding members); here only edits.
        fields = {f: form.cleaned_data[f] for f in ("name", "address", "lon", "lat") if f in form.changed_data}
        try:
            services.update_unit(request.user, obj, **fields)
        except DomainError as e:
            messages.error(request, e.message)


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    list_display = ("id", "name", "region", "masked_phone", "is_mobile", "party_status")
    search_fields = ("name",)
    list_filter = ("is_mobile", "party_status")
    exclude = ("id_number", "phone", "user")
    # The standing changes only through services.record_party_standing (never a raw edit).
    readonly_fields = ("masked_phone", "party_status", "party_relation")

    @admin.display(description="手机号")
    def masked_phone(self, obj):
        return perm.mask_phone(obj.phone) if obj.phone else ""


@admin.register(Household)
class HouseholdAdmin(ScopedAdmin):
    list_display = ("code", "address", "region", "grid")
    search_fields = ("code", "address")


@admin.register(HouseholdLink)
class HouseholdLinkAdmin(ScopedAdmin):
    """Party members' linked households (包片联户); links are made by ``services.link_household``."""

    list_display = ("member", "household", "region", "start_date", "end_date")
    search_fields = ("member__name", "household__code")
    raw_id_fields = ("member", "household")


@admin.register(HouseholdVisit)
class HouseholdVisitAdmin(ScopedAdmin):
    """Household visits (a record of work: purpose code, matter raised; no photo, no check-in), recorded
    by ``services.record_visit``."""

    list_display = ("visited_on", "member", "household", "purpose", "matter_raised", "request_number")
    list_filter = ("purpose", "matter_raised")
    search_fields = ("member__name", "household__code", "request_number")
    raw_id_fields = ("member", "household", "grid", "recorded_by")
    date_hierarchy = "visited_on"


@admin.register(Membership)
class MembershipAdmin(ScopedAdmin):
    list_display = ("person", "unit", "role", "start_date", "end_date")
    list_filter = ("role",)
    search_fields = ("person__name", "unit__name")


@admin.register(Grid)
class GridAdmin(ScopedAdmin):
    list_display = ("code", "name", "region", "area_m2", "party_org")
    search_fields = ("code", "name")
    exclude = ("geometry",)


@admin.register(StaffRole)
class StaffRoleAdmin(ScopedAdmin):
    list_display = ("user", "role", "unit", "region", "active")
    list_filter = ("role", "active")


@admin.register(MatterCategory)
class CategoryAdmin(ScopedAdmin):
    list_display = ("code", "name", "default_sla", "parent")
    search_fields = ("code", "name", "keywords")

    def get_queryset(self, request):
        return admin.ModelAdmin.get_queryset(self, request)


@admin.register(ResponsibilityRule)
class RuleAdmin(ScopedAdmin):
    list_display = (
        "category",
        "region",
        "handler_level",
        "department",
        "sla",
        "version",
        "effective_from",
        "effective_to",
    )
    list_filter = ("handler_level", "sla")


@admin.register(Power)
class PowerAdmin(ScopedAdmin):
    """权力清单: the kinds of power and the categories that need them (changed through org.services)."""

    list_display = ("code", "name", "description")
    search_fields = ("code", "name")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Power]:
        return admin.ModelAdmin.get_queryset(self, request)


@admin.register(PowerGrant)
class PowerGrantAdmin(ScopedAdmin):
    """权力清单条目: which unit holds which power where."""

    list_display = ("unit", "power", "region", "legal_basis", "effective_from", "effective_to")
    list_filter = ("power",)
    search_fields = ("unit__name", "unit__code")
