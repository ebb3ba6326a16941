"""Who hears of an event: read from the records of the apps that own them (requests, units' staff, people,
regions). A :class:`Recipient` is a user (``u:<id>``) or a reporter without a log-in (``r:<request
number>``, reached by SMS at the number they gave)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model

from gongzhi.core.models import Region
from gongzhi.org.kinds import StaffRoleKind
from gongzhi.org.models import Person, StaffRole, Unit

from .models import Preference


@dataclass
class Recipient:
    key: str
    user: Any = None
    person: Any = None
    unit: Any = None  # the unit a staff member hears as (the burden meter counts against it)
    addresses: dict[str, str] = field(default_factory=dict)  # channel -> address
    preference: Preference | None = None


def _user_recipients(users: Iterable[Any], unit: Any = None) -> list[Recipient]:
    users = [u for u in users if u is not None and getattr(u, "is_active", True)]
    if not users:
        return []
    ids = [u.pk for u in users]
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=ids)}
    people = {p.user_id: p for p in Person.objects.filter(user_id__in=ids)}
    out = []
    for u in users:
        person = people.get(u.pk)
        pref = prefs.get(u.pk)
        addr: dict[str, str] = {}
        if person is not None and person.phone:
            addr["sms"] = person.phone
        if u.email:
            addr["email"] = u.email
        if pref is not None and pref.wechat_openid:
            addr["wechat"] = pref.wechat_openid
        out.append(Recipient(f"u:{u.pk}", user=u, person=person, unit=unit, addresses=addr, preference=pref))
    return out


def reporter(req: Any) -> list[Recipient]:
    """The resident who raised ``req``: their log-in if they had one, else the number they gave."""
    if req.reporter_user_id:
        found = _user_recipients([req.reporter_user])
        if found:
            if "sms" not in found[0].addresses and req.reporter_phone and not req.anonymous:
                found[0].addresses["sms"] = req.reporter_phone
            return found
    if req.reporter_phone and not req.anonymous:
        return [Recipient(f"r:{req.number}", addresses={"sms": req.reporter_phone})]
    return []


def people(persons: Iterable[Any]) -> list[Recipient]:
    """People: by their log-in when they have one (preferences apply), else at their phone (``p:<id>``)."""
    persons = [p for p in persons if p is not None]
    out = _user_recipients([p.user for p in persons if p.user_id])
    for r in out:
        r.person = next((p for p in persons if p.user_id == r.user.pk), r.person)
    out += [Recipient(f"p:{p.pk}", person=p, addresses={"sms": p.phone}) for p in persons if not p.user_id and p.phone]
    return out


def unit_staff(units: Iterable[Any]) -> list[Recipient]:
    """Everyone holding a platform role at one of ``units`` (each once, heard as the first unit)."""
    out: list[Recipient] = []
    seen: set[int] = set()
    for unit in units:
        if unit is None:
            continue
        users = [
            r.user
            for r in StaffRole.objects.filter(unit=unit).select_related("user").order_by("id")
            if r.user_id not in seen
        ]
        seen.update(u.pk for u in users)
        out += _user_recipients(users, unit=unit)
    return out


def unit_by_code(code: str | None) -> Unit | None:
    return Unit.objects.filter(code=code).select_related("region", "parent").first() if code else None


def residents(region: Region | None) -> list[Recipient]:
    """The log-ins of the people registered in ``region`` (a community) with no platform role."""
    if region is None:
        return []
    User = get_user_model()
    users = (
        User.objects.filter(person__region__path__startswith=region.path, is_active=True)
        .exclude(staff_roles__isnull=False)
        .order_by("id")
    )
    return _user_recipients(list(users))


def command_on_duty(region: Region | None) -> list[Recipient]:
    """The command centre on duty for ``region``: district administrators and street cadres holding their
    role at a unit whose region contains it."""
    if region is None:
        return []
    paths = [p for p in _ancestor_paths(region.path)]
    roles = (
        StaffRole.objects.filter(
            role__in=[StaffRoleKind.DISTRICT_ADMIN, StaffRoleKind.STREET_CADRE], unit__region__path__in=paths
        )
        .select_related("user", "unit")
        .order_by("id")
    )
    out: list[Recipient] = []
    seen: set[int] = set()
    for r in roles:
        if r.user_id in seen:
            continue
        seen.add(r.user_id)
        out += _user_recipients([r.user], unit=r.unit)
    return out


def _ancestor_paths(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]
