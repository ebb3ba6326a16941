"""Activities: the "five ones" (五个一) with the participation of member units."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from gongzhi.core.errors import DomainError
from gongzhi.core.events import emit
from gongzhi.org.models import Unit

from .. import contracts
from .. import permissions as ap
from ..models import Activity, Alliance, AllianceMember, Participation
from .common import M, _alliance_ref, _require_active, _require_member, _text, _today


@transaction.atomic
def record_activity(
    alliance: Alliance,
    *,
    kind: str,
    title: str,
    held_on: dt.date,
    organiser: Unit,
    participants: dict[Unit, int] | list[Unit],
    place: str = "",
    actor,
    on: dt.date | None = None,
) -> Activity:
    """A "five ones" activity with the participation of member units."""
    ap.require(actor, ap.MANAGE, alliance)
    _require_active(alliance)
    if kind not in Activity.Kind.values:
        raise DomainError("活动类型必须是“五个一”之一：联合党课、参观交流、主题党日、互学互查、互评", field="kind")
    if not isinstance(held_on, dt.date) or held_on > _today(on):
        raise DomainError("活动日期不能晚于今天", field="held_on")
    _require_member(alliance, organiser, "organiser")
    if not isinstance(participants, dict):
        participants = {u: 1 for u in participants}
    if not participants:
        raise DomainError("请记录参加活动的成员单位", field="participants")
    members = set(AllianceMember.objects.filter(alliance=alliance, status=M.ACTIVE).values_list("unit_id", flat=True))
    outsiders = [u.name for u in participants if u.pk not in members]
    if outsiders:
        raise DomainError(f"参加单位不是在册成员：{'、'.join(outsiders)}", field="participants")
    if any(not isinstance(n, int) or n < 1 for n in participants.values()):
        raise DomainError("参加人数至少为1", field="participants")
    act = Activity.objects.create(
        alliance=alliance,
        kind=kind,
        title=_text(title, "title", "活动主题", 200),
        held_on=held_on,
        organiser=organiser,
        place=_text(place, "place", "地点", 120, False),
    )
    Participation.objects.bulk_create([Participation(activity=act, unit=u, people=n) for u, n in participants.items()])
    emit(
        contracts.ACTIVITY_RECORDED,
        aggregate_type="alliance",
        aggregate_id=alliance.code,
        region=alliance.region,
        actor=actor,
        payload={
            **_alliance_ref(alliance),
            "kind": kind,
            "title": act.title,
            "held_on": held_on.isoformat(),
            "units": len(participants),
        },
    )
    return act
