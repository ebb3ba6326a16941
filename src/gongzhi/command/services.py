"""Use cases of the command centres that change state: rebuilding the rollups; the board rules of "141";
the mechanisms of "885" (defining them, scheduling their sessions, holding a session, closing follow-ups).

The rollups are otherwise kept by the ``command.rollups`` subscriber
(:mod:`gongzhi.command.subscribers`); pages only read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.org import permissions
from gongzhi.org.models import MatterCategory, Unit

from . import boards, contracts, mechanisms, perms, rollups
from .models import BoardRule, Cadence, FollowUp, Mechanism, MechanismKind, MechanismSession


def region_by_code(code: str) -> Region:
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(f"区域代码{code}不存在，请检查代码", field="region")
    return region


def rebuild_rollups(actor, region: Region | None = None, progress=None) -> dict[str, int]:
    """Recompute facts and rollups of ``region``'s subtree (all when None) from the records."""
    permissions.require(actor, perms.MANAGE, region)
    with transaction.atomic():
        counts = rollups.rebuild(region, progress=progress)
        emit(
            contracts.ROLLUPS_REBUILT,
            aggregate_type="region",
            aggregate_id=region.code if region else "all",
            region=region,
            actor=actor,
            payload={"counts": counts},
            public=False,
        )
    return counts


# ---------------------------------------------------------------- "141" board rules, "885" mechanisms


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) and hasattr(actor, "is_authenticated") else None


def _today() -> dt.date:
    return timezone.localdate()


def _text(value: Any, field: str, label: str, max_len: int, required: bool = True) -> str:
    if value is not None and not isinstance(value, str):
        raise DomainError(f"{label}应为文字", field=field, code=CoreError.INVALID)
    text = (value or "").strip()
    if required and not text:
        raise DomainError(f"请填写{label}", field=field, code=CoreError.INVALID)
    if len(text) > max_len:
        raise DomainError(f"{label}不能超过{max_len}个字", field=field, code=CoreError.INVALID)
    return text


def _str_list(value: Any, field: str, label: str, allowed: Any = None) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise DomainError(f"{label}应为文字列表", field=field, code=CoreError.INVALID)
    out = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    if allowed is not None:
        bad = [v for v in out if v not in allowed]
        if bad:
            raise DomainError(
                f"{label}不认识：{'、'.join(bad)}；可用：{'、'.join(allowed)}", field=field, code=CoreError.INVALID
            )
    return out


@transaction.atomic
def set_board_rule(actor: Any, region: Region, *, key: str, board: str) -> BoardRule:
    """Set the board of a category code or record key for ``region``'s subtree ("141")."""
    permissions.require(actor, perms.DEFINE, region)
    key = _text(key, "key", "事项编码或记录类型", 40)
    valid_record_keys = {k for k in boards.DEFAULT_RULES if not k[:1].isdigit()}
    if key not in valid_record_keys and not MatterCategory.objects.filter(code=key).exists():
        raise DomainError(
            f"“{key}”既不是事项类别编码，也不是记录类型（{'、'.join(sorted(valid_record_keys))}）",
            field="key",
            code=CoreError.INVALID,
        )
    if board not in boards.BOARDS:
        raise DomainError(f"没有板块“{board}”，可用：{'、'.join(boards.BOARDS)}", field="board", code=CoreError.INVALID)
    rule, _ = BoardRule.objects.update_or_create(region=region, key=key, defaults={"board": board})
    emit(
        contracts.BOARD_RULE_SET,
        aggregate_type="region",
        aggregate_id=region.code,
        region=region,
        actor=actor,
        payload={"key": key, "board": board},
        public=False,
    )
    return rule


@transaction.atomic
def define_mechanism(
    actor: Any,
    region: Region,
    *,
    code: str,
    name: str,
    kind: str,
    cadence: str,
    level: str = "street",
    participant_roles: Any = (),
    participant_unit_kinds: Any = (),
    reads: Any = (),
    records: Any = (),
    description: str = "",
    seeded: bool = False,
) -> Mechanism:
    """Define a mechanism for ``region``'s subtree: what it reads (definition codes of the eight reports and
    problem lists, or ``assessment``), who takes part, what a session records."""
    from gongzhi.org.kinds import StaffRoleKind, UnitKind

    permissions.require(actor, perms.DEFINE, region)
    code = _text(code, "code", "编码", 40)
    if not code.replace("-", "").replace("_", "").isalnum() or not code.isascii():
        raise DomainError("编码只能用字母、数字、连字符", field="code", code=CoreError.INVALID)
    name = _text(name, "name", "名称", 80)
    if kind not in MechanismKind.values:
        raise DomainError(
            f"没有机制类型“{kind}”，可用：{'、'.join(MechanismKind.values)}", field="kind", code=CoreError.INVALID
        )
    if cadence not in Cadence.values:
        raise DomainError(
            f"没有频次“{cadence}”，可用：{'、'.join(Cadence.values)}", field="cadence", code=CoreError.INVALID
        )
    if level not in mechanisms.LEVELS:
        raise DomainError("召开层级应为 street 或 district", field="level", code=CoreError.INVALID)
    roles = _str_list(list(participant_roles), "participant_roles", "参加角色", StaffRoleKind.values)
    unit_kinds = _str_list(list(participant_unit_kinds), "participant_unit_kinds", "参加单位类型", UnitKind.values)
    read = _str_list(list(reads), "reads", "读取的报表和问题清单")
    if not read:
        raise DomainError("机制至少要读取一张报表或问题清单", field="reads", code=CoreError.INVALID)
    unknown = [c for c in read if not mechanisms.known_read(c)]
    if unknown:
        raise DomainError(f"没有这些报表或问题清单：{'、'.join(unknown)}", field="reads", code=CoreError.INVALID)
    rec = _str_list(list(records), "records", "记录内容", mechanisms.RECORDS)
    if Mechanism.objects.filter(region=region, code=code).exists():
        raise DomainError(f"{region.name}已有编码为{code}的机制", field="code", code=CoreError.DUPLICATE)
    m = Mechanism.objects.create(
        region=region,
        code=code,
        name=name,
        kind=kind,
        cadence=cadence,
        level=level,
        participant_roles=roles,
        participant_unit_kinds=unit_kinds,
        reads=read,
        records=rec,
        description=_text(description, "description", "说明", 300, required=False),
        seeded=seeded,
    )
    emit(
        contracts.MECHANISM_DEFINED,
        aggregate_type="mechanism",
        aggregate_id=m.pk,
        region=region,
        actor=actor,
        payload={"code": code, "kind": kind, "cadence": cadence, "reads": read},
        public=False,
    )
    return m


@transaction.atomic
def seed_mechanisms(actor: Any, region: Region) -> int:
    """Define the five mechanisms of Chongqing's practice for ``region`` where missing (idempotent)."""
    permissions.require(actor, perms.DEFINE, region)
    have = set(Mechanism.objects.filter(region=region).values_list("code", flat=True))
    made = 0
    for d in mechanisms.DEFAULTS:
        if d.code in have:
            continue
        define_mechanism(
            actor,
            region,
            code=d.code,
            name=d.name,
            kind=d.kind,
            cadence=d.cadence,
            participant_roles=d.roles,
            participant_unit_kinds=d.unit_kinds,
            reads=d.reads,
            records=d.records,
            description=d.description,
            seeded=True,
        )
        made += 1
    return made


def _session_regions(m: Mechanism) -> list[Region]:
    return list(Region.objects.filter(path__startswith=m.region.path, level=m.level).order_by("code"))


@transaction.atomic
def schedule_due(actor: Any, today: dt.date | None = None) -> list[MechanismSession]:
    """Make the session of every active mechanism, in every region at its level, for the latest period that
    has ended by ``today`` (the district's day), where missing; an earlier session still due is marked
    missed. Returns the sessions made. Run by the periodic job and ``gongzhi mechanisms due``."""
    today = today or _today()
    made: list[MechanismSession] = []
    for m in Mechanism.objects.filter(active=True).select_related("region").order_by("pk"):
        permissions.require(actor, perms.DEFINE, m.region)
        period, start, end = mechanisms.last_ended(m.cadence, today)
        for region in _session_regions(m):
            s, created = MechanismSession.objects.get_or_create(
                mechanism=m,
                region=region,
                period=period,
                defaults={"start": start, "end": end, "scheduled_on": end},
            )
            if not created:
                continue
            MechanismSession.objects.filter(
                mechanism=m, region=region, status=MechanismSession.Status.DUE, scheduled_on__lt=end
            ).update(status=MechanismSession.Status.MISSED, version=F("version") + 1)
            emit(
                contracts.SESSION_SCHEDULED,
                aggregate_type="mechanism_session",
                aggregate_id=s.pk,
                region=region,
                actor=actor,
                payload={"mechanism": m.code, "kind": m.kind, "period": period, "scheduled_on": end.isoformat()},
                public=False,
            )
            made.append(s)
    return made


def visible_sessions(user: Any) -> Any:
    return permissions.scope(
        user, MechanismSession.objects.select_related("mechanism", "region", "held_by"), perms.VIEW
    )


def get_session(user: Any, pk: Any) -> MechanismSession:
    s = MechanismSession.objects.select_related("mechanism", "region").filter(pk=pk).first()
    if s is None:
        raise NotFound(f"没有编号为{pk}的机制会议", field="session")
    if not permissions.allowed(user, perms.VIEW, s.region):
        raise Forbidden(f"无权查看{s.region.name}的机制会议", field="session", action=perms.VIEW)
    return s


def _date(value: Any, field: str, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        raise DomainError(f"{label}应为日期（如2026-12-07）", field=field, code=CoreError.INVALID) from None


@transaction.atomic
def hold_session(
    actor: Any,
    session: MechanismSession,
    *,
    outcome: str,
    present: Any = (),
    decisions: Any = (),
    statements: Any = (),
    followups: Any = (),
    close_followups: Any = (),
    held_on: dt.date | str | None = None,
    expected_version: int | None = None,
) -> MechanismSession:
    """Hold a due (or missed) session: read its figures and ranking from the records now, record who attended
    (units, by id), the units' statements, the decisions, the follow-ups it assigns (title, unit, due_on) and
    the earlier follow-ups it closes; the outcome shows on the command centre."""
    permissions.require(actor, perms.HOLD, session.region)
    m = session.mechanism
    if session.status == MechanismSession.Status.HELD:
        raise DomainError(
            f"{m.name}（{session.period}）已于{session.held_on}召开", field="status", code=CoreError.INVALID_STATE
        )
    if expected_version is not None and expected_version != session.version:
        raise Conflict("该会议已被他人修改，请刷新后重试", field="expected_version")
    today = _today()
    day = today if held_on in (None, "") else _date(held_on, "held_on", "召开日期")
    if day > today:
        raise DomainError("召开日期不能晚于今天", field="held_on", code=CoreError.INVALID)
    if day < session.start:
        raise DomainError(f"召开日期不能早于本期开始（{session.start}）", field="held_on", code=CoreError.INVALID)
    outcome = _text(outcome, "outcome", "会议结果", 2000)
    records = set(m.records or [])
    eligible = {u.pk: u for u in mechanisms.participants(m, session.region)}
    try:
        present_ids = list(dict.fromkeys(int(p) for p in (present or [])))
    except (TypeError, ValueError):
        raise DomainError("出席单位应为单位编号", field="present", code=CoreError.INVALID) from None
    bad = [p for p in present_ids if p not in eligible]
    if bad:
        raise DomainError(
            f"这些单位不是本次会议的参加单位：{'、'.join(map(str, bad))}", field="present", code=CoreError.INVALID
        )
    decision_list = [_text(d, "decisions", "决定事项", 300) for d in (decisions or []) if (d or "").strip()]
    if len(decision_list) > 50:
        raise DomainError("决定事项不能超过50条", field="decisions", code=CoreError.INVALID)
    stmts = []
    for s in statements or []:
        if "statements" not in records:
            raise DomainError(f"{m.name}不记录述职", field="statements", code=CoreError.INVALID)
        if not isinstance(s, dict):
            raise DomainError("述职应为{unit, text}", field="statements", code=CoreError.INVALID)
        try:
            uid = int(s.get("unit") or -1)
        except (TypeError, ValueError):
            uid = -1
        if uid not in eligible:
            raise DomainError("述职单位不是本次会议的参加单位", field="statements", code=CoreError.INVALID)
        stmts.append(
            {"unit": uid, "name": eligible[uid].name, "text": _text(s.get("text"), "statements", "述职内容", 1000)}
        )
    new_fus = []
    for f in followups or []:
        if "followups" not in records:
            raise DomainError(f"{m.name}不交办督办事项", field="followups", code=CoreError.INVALID)
        if not isinstance(f, dict):
            raise DomainError("督办事项应为{title, unit, due_on}", field="followups", code=CoreError.INVALID)
        title = _text(f.get("title"), "followups", "督办事项", 200)
        due = _date(f.get("due_on"), "followups", "整改时限")
        if due < day:
            raise DomainError(f"“{title}”的整改时限早于召开日期", field="followups", code=CoreError.INVALID)
        unit = None
        if f.get("unit") not in (None, ""):
            try:
                unit = Unit.objects.filter(pk=int(f["unit"]), region__path__startswith=session.region.path).first()
            except (TypeError, ValueError):
                unit = None
            if unit is None:
                raise DomainError(
                    f"“{title}”的责任单位不在{session.region.name}", field="followups", code=CoreError.INVALID
                )
        new_fus.append((title, unit, due, _text(f.get("source"), "followups", "来源", 60, required=False)))
    try:
        close_ids = list(dict.fromkeys(int(c) for c in (close_followups or [])))
    except (TypeError, ValueError):
        raise DomainError("办结的督办事项应为编号", field="close_followups", code=CoreError.INVALID) from None
    closing = list(
        FollowUp.objects.filter(pk__in=close_ids, region__path__startswith=session.region.path, closed_on__isnull=True)
    )
    if len(closing) != len(close_ids):
        found = {f.pk for f in closing}
        raise DomainError(
            f"这些督办事项不存在、不在本区域或已办结：{'、'.join(str(c) for c in close_ids if c not in found)}",
            field="close_followups",
            code=CoreError.INVALID,
        )
    data = mechanisms.compute(m, session.region, session.start, session.end)
    rows = MechanismSession.objects.filter(pk=session.pk, version=session.version).update(
        status=MechanismSession.Status.HELD,
        held_on=day,
        held_by=_user(actor),
        attendance=[
            {"unit": u.pk, "name": u.name, "region": u.region.name, "present": u.pk in present_ids}
            for u in eligible.values()
        ],
        figures=data["figures"],
        ranking=data["ranking"],
        statements=stmts,
        decisions=decision_list,
        outcome=outcome,
        version=F("version") + 1,
    )
    if rows != 1:
        raise Conflict("该会议已被他人修改，请刷新后重试", field="expected_version")
    for title, unit, due, source in new_fus:
        FollowUp.objects.create(
            session=session, region=session.region, title=title, unit=unit, due_on=due, source=source
        )
    for f in closing:
        f.closed_on = day
        f.note = f"{m.name}（{session.period}）销号"
        f.save(update_fields=["closed_on", "note"])
    session.refresh_from_db()
    emit(
        contracts.SESSION_HELD,
        aggregate_type="mechanism_session",
        aggregate_id=session.pk,
        region=session.region,
        actor=actor,
        payload={
            "mechanism": m.code,
            "kind": m.kind,
            "period": session.period,
            "held_on": day.isoformat(),
            "present": len(present_ids),
            "decisions": len(decision_list),
            "followups": len(new_fus),
            "closed_followups": len(closing),
            "top": [r["code"] for r in session.ranking if r.get("rank") == 1],
        },
        public=False,
    )
    return session


@transaction.atomic
def close_followup(actor: Any, followup: FollowUp, *, note: str = "") -> FollowUp:
    """Close a follow-up a session assigned (整改销号)."""
    permissions.require(actor, perms.HOLD, followup.region)
    if followup.closed_on is not None:
        raise DomainError(f"督办事项已于{followup.closed_on}办结", field="followup", code=CoreError.INVALID_STATE)
    note = _text(note, "note", "办结说明", 300, required=False)
    day = _today()
    rows = FollowUp.objects.filter(pk=followup.pk, closed_on__isnull=True).update(closed_on=day, note=note)
    if rows != 1:
        raise Conflict("该督办事项已被他人办结，请刷新", field="followup")
    followup.refresh_from_db()
    emit(
        contracts.FOLLOWUP_CLOSED,
        aggregate_type="mechanism_session",
        aggregate_id=followup.session_id,
        region=followup.region,
        actor=actor,
        payload={"followup": followup.pk, "session": followup.session_id, "closed_on": day.isoformat()},
        public=False,
    )
    return followup
