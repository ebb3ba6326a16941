"""Base classes for admin pages over rows that change only through services (the admin shows them).

Every back-office page masks personal data by the one rule of the API and pages (issue 17): a viewer
without ``view_personal`` for the row's region sees phones and ID numbers masked
(``permissions.mask_phone`` / ``mask_id_number``), free text with phone-, ID- or account-like numbers
masked (``permissions.mask_text``), and every value under a ``personal`` key of a JSON field (an
event's ``payload.personal``) masked.  Codes, ids, states and times (structured tokens) are left as
they are.  A viewer who may see personal data sees it, and opening such a row is written to the
security audit log.  :class:`PersonalDataAdmin` does this for change lists, change pages and inlines;
``tests/security/test_admin_masking.py`` checks every registered admin uses it.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import models

PHONE_FIELDS = {"phone", "reporter_phone", "contact_phone", "mobile"}
ID_FIELDS = {"id_number", "reporter_id_number"}
NAME_FIELDS = {"reporter_name", "owner_name", "contact_name"}


def _perm():
    from . import permissions as perm

    return perm


def mask_name(name: str) -> str:
    return name[:1] + "*" if name else name


def mask_free(text: str) -> str:
    """Free text with personal numbers masked; a structured token (code, id, state, time) unchanged."""
    from gongzhi.core.redaction import is_token

    if not text or is_token(text):
        return text
    return _perm().mask_text(text)


def mask_personal_value(key: str, value):
    """One value of a ``personal`` object, masked by what its key says it is."""
    perm = _perm()
    if isinstance(value, str):
        k = str(key).lower()
        if "phone" in k or "mobile" in k:
            return perm.mask_phone(value) if value else value
        if "id_number" in k or k in ("idn", "id_card"):
            return perm.mask_id_number(value) if value else value
        if "name" in k:
            return mask_name(value)
        return perm.mask_text(value) if value else value
    if isinstance(value, dict):
        return {k: mask_personal_value(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_personal_value(key, v) for v in value]
    return value


def mask_json(value, personal: bool = False):
    """A JSON document with ``personal`` parts masked and free text masked."""
    if isinstance(value, dict):
        return {
            k: (mask_personal_value(k, v) if personal or k == "personal" else mask_json(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_json(v, personal) for v in value]
    if isinstance(value, str):
        return mask_free(value)
    return value


def has_personal(obj) -> list[str]:
    """Names of the fields of ``obj`` that hold personal data (non-empty)."""
    found = []
    for f in obj._meta.concrete_fields:
        v = getattr(obj, f.attname, None)
        if not v:
            continue
        if f.name in PHONE_FIELDS or f.name in ID_FIELDS or f.name in NAME_FIELDS:
            found.append(f.name)
        elif isinstance(f, models.JSONField) and isinstance(v, dict) and v.get("personal"):
            found.append(f.name + ".personal")
    return found


def mask_instance(obj) -> None:
    """Mask ``obj``'s personal data in memory (it is only shown, never saved: see ``save_model``)."""
    perm = _perm()
    for f in obj._meta.concrete_fields:
        v = getattr(obj, f.attname, None)
        if not v:
            continue
        if isinstance(f, models.JSONField):
            setattr(obj, f.attname, mask_json(v))
        elif not isinstance(v, str):
            continue
        elif f.name in PHONE_FIELDS:
            setattr(obj, f.attname, perm.mask_phone(v))
        elif f.name in ID_FIELDS:
            setattr(obj, f.attname, perm.mask_id_number(v))
        elif f.name in NAME_FIELDS:
            setattr(obj, f.attname, mask_name(v))
        elif isinstance(f, (models.CharField, models.TextField)):
            setattr(obj, f.attname, mask_free(v))
    obj._gongzhi_masked = True


def sees_personal(request, obj=None) -> bool:
    perm = _perm()
    if obj is not None and perm.region_of(obj) is None:
        obj = None  # a row without a place: the viewer must hold view_personal somewhere
    return perm.allowed(request.user, perm.VIEW_PERSONAL, obj)


class PersonalDataAdmin(admin.ModelAdmin):
    """A model admin that applies the ``view_personal`` masking rule to everything it shows."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            return obj
        if sees_personal(request, obj):
            fields = has_personal(obj)
            if fields and request.method == "GET":
                from gongzhi.core import audit

                audit.personal_view(obj, fields, actor=request.user, request=request, via="admin")
        else:
            mask_instance(obj)
        return obj

    def get_changelist_instance(self, request):
        cl = super().get_changelist_instance(request)
        for obj in cl.result_list:
            if not sees_personal(request, obj):
                mask_instance(obj)
        return cl

    def get_readonly_fields(self, request, obj=None):
        ro = list(super().get_readonly_fields(request, obj))
        if obj is not None and getattr(obj, "_gongzhi_masked", False):
            ro += [f.name for f in obj._meta.concrete_fields if f.name not in ro and not f.primary_key]
        return ro

    def save_model(self, request, obj, form, change):
        if getattr(obj, "_gongzhi_masked", False):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("a row shown masked cannot be saved")
        super().save_model(request, obj, form, change)


class PersonalDataInline(admin.options.InlineModelAdmin):
    """Inline rows masked the same way (their forms are built from masked instances)."""

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)

        class Masked(formset):
            def _construct_form(self, i, **kw):
                form = super()._construct_form(i, **kw)
                inst = form.instance
                if inst is not None and inst.pk is not None and not sees_personal(request, inst):
                    mask_instance(inst)
                    for name in form.fields:
                        if name in form.initial and hasattr(inst, name):
                            form.initial[name] = getattr(inst, name)
                return form

        Masked.__name__ = formset.__name__
        return Masked


class ReadOnlyAdmin(PersonalDataAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MaskedTabularInline(PersonalDataInline, admin.TabularInline):
    pass


class ReadOnlyInline(MaskedTabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
