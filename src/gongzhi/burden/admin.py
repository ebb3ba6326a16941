from django.contrib import admin

from gongzhi.org.admin_base import MaskedTabularInline
from gongzhi.org.admin_base import ReadOnlyAdmin as ReadOnly

from .models import (
    AuditFlag,
    BurdenReductionOrder,
    Demand,
    DemandItem,
    GeneratedReport,
    ReportDefinition,
    ReportField,
)


class FlagInline(MaskedTabularInline):
    model = AuditFlag
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "field_code", "order", "minutes_saved", "code", "reason_text")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Demand)
class DemandAdmin(ReadOnly):
    list_display = (
        "id",
        "title",
        "kind",
        "origin",
        "issuer",
        "minutes",
        "full_minutes",
        "recurrence",
        "issued_on",
        "hidden_assessment",
    )
    list_filter = ("origin", "kind", "recurrence", "hidden_assessment")
    search_fields = ("title",)
    inlines = [FlagInline]


@admin.register(DemandItem)
class DemandItemAdmin(ReadOnly):
    list_display = ("id", "demand", "unit", "worker", "on", "minutes", "completed_at", "source_ref")
    list_filter = ("demand__origin", "demand__kind")
    raw_id_fields = ("demand", "unit", "worker")


@admin.register(AuditFlag)
class AuditFlagAdmin(ReadOnly):
    list_display = ("id", "kind", "demand", "field_code", "order", "code", "reason_text")
    list_filter = ("kind",)


@admin.register(BurdenReductionOrder)
class OrderAdmin(ReadOnly):
    list_display = ("id", "title", "issuer", "region", "effective_on", "target_cut_pct")


class FieldInline(MaskedTabularInline):
    model = ReportField
    extra = 0
    can_delete = False
    readonly_fields = ("position", "code", "label", "source", "minutes")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ReportDefinition)
class DefinitionAdmin(ReadOnly):
    list_display = ("code", "name", "kind", "list_source", "seeded")
    list_filter = ("kind", "seeded")
    inlines = [FieldInline]


@admin.register(GeneratedReport)
class GeneratedReportAdmin(ReadOnly):
    list_display = ("id", "definition", "region", "period", "generated_at")
    list_filter = ("definition__kind",)
