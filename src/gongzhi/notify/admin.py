from django.contrib import admin
from django.http import HttpRequest

from gongzhi.org.admin_base import PersonalDataAdmin

from .models import Message, Preference, RatingLink
from .views import mask_address


@admin.register(Preference)
class PreferenceAdmin(PersonalDataAdmin):
    list_display = ("user", "channels", "quiet_start", "quiet_end", "digest", "opted_out", "language")
    list_filter = ("digest", "opted_out", "language")
    raw_id_fields = ("user",)


@admin.register(Message)
class MessageAdmin(PersonalDataAdmin):
    """Read only: messages are written by the services; the address is masked (always: it is the only
    personal field, and nobody needs it in clear here), the parameters hidden (they hold rating links)."""

    list_display = ("id", "created_at", "masked_address", "channel", "template", "status", "attempts", "sent_at")
    list_filter = ("status", "channel", "template", "emergency")
    exclude = ("address", "params")
    readonly_fields = [f.name for f in Message._meta.fields if f.name not in ("address", "params")] + ["masked_address"]

    @admin.display(description="收件地址")
    def masked_address(self, obj: Message) -> str:
        return mask_address(obj, False)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(RatingLink)
class RatingLinkAdmin(PersonalDataAdmin):
    list_display = ("id", "request", "created_at", "expires_at", "used_at")
    exclude = ("token_hash",)
    readonly_fields = ("request", "event_id", "created_at", "expires_at", "used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
