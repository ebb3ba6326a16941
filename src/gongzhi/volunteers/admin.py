from django.contrib import admin

from gongzhi.org.admin_base import MaskedTabularInline, PersonalDataAdmin
from gongzhi.org.admin_base import ReadOnlyAdmin as ReadOnly

from .models import (
    Account,
    CatalogueItem,
    Certificate,
    Entry,
    Movement,
    PointsRule,
    Redemption,
    ServiceRecord,
    TaskType,
    TimeBank,
    Volunteer,
)


class MovementInline(MaskedTabularInline):
    model = Movement
    extra = 0
    can_delete = False
    readonly_fields = ("account", "amount")


@admin.register(Entry)
class EntryAdmin(ReadOnly):
    list_display = ("id", "kind", "memo", "reference", "created_at")
    list_filter = ("kind",)
    inlines = [MovementInline]


@admin.register(Account)
class AccountAdmin(ReadOnly):
    list_display = ("id", "bank", "kind", "volunteer", "allow_negative")


@admin.register(Redemption)
class RedemptionAdmin(ReadOnly):
    list_display = ("id", "item", "volunteer", "quantity", "points", "created_at")


@admin.register(ServiceRecord)
class ServiceRecordAdmin(ReadOnly):
    list_display = ("id", "volunteer", "task_type", "task_ref", "date", "hours", "points", "status")
    list_filter = ("status", "task_type")


@admin.register(Volunteer)
class VolunteerAdmin(PersonalDataAdmin):
    list_display = ("id", "person", "region", "bank", "status")
    raw_id_fields = ("person",)
    search_fields = ("person__name",)


@admin.register(Certificate)
class CertificateAdmin(PersonalDataAdmin):
    list_display = ("volunteer", "field", "level", "number", "expires_on", "verified_by", "revoked")
    list_filter = ("field", "level", "revoked")
    raw_id_fields = ("volunteer", "verified_by")


admin.site.register(TimeBank, PersonalDataAdmin)
admin.site.register(TaskType, PersonalDataAdmin)
admin.site.register(PointsRule, PersonalDataAdmin)
admin.site.register(CatalogueItem, PersonalDataAdmin)
