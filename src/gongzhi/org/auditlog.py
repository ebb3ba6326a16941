"""The security audit log's signals (``core.audit`` writes the rows): log-ins and failed log-ins, role
grants, changes and revocations (``StaffRole``), user group/permission/flag changes and the admin's
``LogEntry`` rows.  Here rather than in core because they read org's roles (the region an auditor
finds a user's rows in); :func:`connect` is called from ``OrgConfig.ready``."""

from __future__ import annotations

import json

from gongzhi.core.audit import _region, current_actor, record


def _home(user):
    """The widest region of a user's roles: where an auditor finds rows about them."""
    from . import permissions as perm

    if user is None or getattr(user, "is_superuser", False):
        return None
    try:
        return perm.home_region(user)
    except Exception:  # pragma: no cover - a half-migrated database
        return None


def _on_login(sender, request, user, **kwargs):
    record("login", actor=user, request=request, region=_home(user))


def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        record("logout", actor=user, request=request, region=_home(user))


def _on_login_failed(sender, credentials, request=None, **kwargs):
    from django.contrib.auth import get_user_model

    name = str((credentials or {}).get("username") or "")[:150]
    known = get_user_model().objects.filter(username=name).first() if name else None
    record(
        "login_failed",
        actor=current_actor(request),
        request=request,
        username=name,
        region=_home(known),
        detail={"username": name, "known_user": known is not None},
    )


def _role_detail(role) -> dict:
    return {
        "user": role.user_id,
        "role": role.role,
        "unit": getattr(role.unit, "code", role.unit_id),
        "active": role.active,
    }


def _on_role_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    record(
        "role_granted" if created else "role_changed",
        actor=current_actor(),
        target=f"user:{instance.user_id}",
        region=instance.region,
        detail=_role_detail(instance),
    )


def _on_role_deleted(sender, instance, **kwargs):
    record(
        "role_revoked",
        actor=current_actor(),
        target=f"user:{instance.user_id}",
        region=instance.region,
        detail=_role_detail(instance),
    )


def _on_user_m2m(sender, instance, action, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    record(
        "permission_changed",
        actor=current_actor(),
        target=f"user:{instance.pk}",
        region=_home(instance),
        detail={"change": action[5:], "what": model._meta.model_name, "ids": sorted(pk_set or [])},
    )


def _on_user_pre_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if (
        raw
        or instance.pk is None
        or (update_fields is not None and not {"is_superuser", "is_staff", "is_active"} & set(update_fields))
    ):
        return
    old = sender.objects.filter(pk=instance.pk).values("is_superuser", "is_staff", "is_active").first()
    if old is None:
        return
    changed = {k: [old[k], getattr(instance, k)] for k in old if old[k] != getattr(instance, k)}
    if changed:
        record(
            "permission_changed",
            actor=current_actor(),
            target=f"user:{instance.pk}",
            region=_home(instance),
            detail={"flags": changed},
        )


def _on_admin_logentry(sender, instance, created, raw=False, **kwargs):
    if raw or not created:
        return
    from django.contrib.admin.models import ADDITION, CHANGE, DELETION

    try:
        message = json.loads(instance.change_message or "[]")
    except ValueError:
        message = []
    fields = sorted(
        {
            f
            for part in message
            if isinstance(part, dict)
            for v in part.values()
            if isinstance(v, dict)
            for f in v.get("fields", [])
        }
    )
    ct = instance.content_type
    region = None
    if ct is not None and instance.action_flag != DELETION:
        try:
            region = _region(ct.get_object_for_this_type(pk=instance.object_id))
        except Exception:
            region = None
    record(
        "admin_action",
        actor=instance.user,
        region=region or _home(instance.user),
        target=f"{ct.app_label}.{ct.model}:{instance.object_id}"[:200] if ct else str(instance.object_id),
        detail={
            "action": {ADDITION: "add", CHANGE: "change", DELETION: "delete"}.get(instance.action_flag, "?"),
            "fields": fields,
        },
    )


def connect() -> None:
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth import get_user_model
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
    from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

    from .models import StaffRole

    User = get_user_model()
    user_logged_in.connect(_on_login, dispatch_uid="gongzhi.audit.login")
    user_logged_out.connect(_on_logout, dispatch_uid="gongzhi.audit.logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="gongzhi.audit.login_failed")
    post_save.connect(_on_role_saved, sender=StaffRole, dispatch_uid="gongzhi.audit.role_saved")
    post_delete.connect(_on_role_deleted, sender=StaffRole, dispatch_uid="gongzhi.audit.role_deleted")
    m2m_changed.connect(_on_user_m2m, sender=User.groups.through, dispatch_uid="gongzhi.audit.groups")
    m2m_changed.connect(_on_user_m2m, sender=User.user_permissions.through, dispatch_uid="gongzhi.audit.perms")
    pre_save.connect(_on_user_pre_save, sender=User, dispatch_uid="gongzhi.audit.user_flags")
    post_save.connect(_on_admin_logentry, sender=LogEntry, dispatch_uid="gongzhi.audit.admin")
