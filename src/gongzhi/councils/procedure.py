"""三重一大 (seed 003): "精准界定基层党组织在重大事项决策、重要干部推荐、重大项目安排和大额度资金使用等
方面的领导权限与程序规则" — a matter of one of the four kinds follows a recorded procedure, in order:

1. proposal (提出动议): the matter, its subject (what it allows) and its amount;
2. consultation (征求意见), where required (major decisions, major projects, large spending by default);
3. collective decision (集体决策): a vote at a meeting of the deciding platform that reached its quorum;
   passed when more than half of the members due (应到) vote for;
4. publication (结果公开): only a published, passed matter is approved and allows its effect.

:func:`require_approved` is the guard the effects call (through :mod:`gongzhi.core.approvals`):
an alliance's spending from its funds above the threshold, a large allocation of pooled funds, a plan
goal with a budget above the threshold. Thresholds are data (:class:`~.models.Threshold` per region,
the most specific wins) with defaults in ``settings.GONGZHI_MAJOR_MATTER_THRESHOLDS``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError
from gongzhi.core.events import emit
from gongzhi.core.models import Region

from . import contracts as C
from . import perms
from .contracts import CouncilsError
from .models import Council, Decision, Matter, MatterKind, MatterStep, MatterUse, Meeting, SubjectType, Threshold

#: Defaults (yuan) when no Threshold row covers the region; override with settings.
DEFAULT_THRESHOLDS: dict[str, Decimal] = {
    SubjectType.ALLIANCE_FUND: Decimal("50000"),
    SubjectType.POOL_NEED: Decimal("50000"),
    SubjectType.PLAN_GOAL: Decimal("500000"),
}
#: Kinds whose procedure includes a consultation (an appointment is prepared by its own 酝酿 outside).
CONSULTATION_KINDS = frozenset({MatterKind.MAJOR_DECISION, MatterKind.MAJOR_PROJECT, MatterKind.LARGE_SPENDING})
SUBJECT_KIND = {  # the kind of matter each guarded effect needs
    SubjectType.ALLIANCE_FUND: MatterKind.LARGE_SPENDING,
    SubjectType.POOL_NEED: MatterKind.LARGE_SPENDING,
    SubjectType.PLAN_GOAL: MatterKind.MAJOR_PROJECT,
}
ORDER = [MatterStep.Kind.PROPOSAL, MatterStep.Kind.CONSULTATION, MatterStep.Kind.DECISION, MatterStep.Kind.PUBLICATION]


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def money(value: Any, field: str = "amount", *, required: bool = True) -> Decimal | None:
    if value in (None, ""):
        if required:
            raise DomainError("请填写金额（元）", field=field, code=CoreError.INVALID)
        return None
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError("金额必须是数字（元，最多两位小数）", field=field, code=CoreError.INVALID) from None
    if not amount.is_finite() or amount <= 0 or amount >= Decimal("1e12"):
        raise DomainError("金额须大于0且小于一万亿元", field=field, code=CoreError.INVALID)
    return amount


# ----------------------------------------------------------------- thresholds


def _prefixes(region: Region) -> list[str]:
    parts = region.path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def threshold(subject_type: str, region: Region | None) -> Decimal | None:
    """The amount above which an effect of ``subject_type`` in ``region`` needs an approved matter."""
    if region is not None:
        rows = list(
            Threshold.objects.filter(subject_type=subject_type, region__path__in=_prefixes(region)).select_related(
                "region"
            )
        )
        if rows:
            return max(rows, key=lambda t: len(t.region.path)).amount
    configured = getattr(settings, "GONGZHI_MAJOR_MATTER_THRESHOLDS", None) or {}
    value = configured.get(subject_type, DEFAULT_THRESHOLDS.get(subject_type))
    return None if value is None else Decimal(str(value))


@transaction.atomic
def set_threshold(actor: Any, *, region: Region, subject_type: str, amount: Any) -> Threshold:
    """Set the threshold of ``subject_type`` for ``region`` and below (a district admin or street cadre)."""
    perms.require(actor, perms.MANAGE, region)
    if subject_type not in DEFAULT_THRESHOLDS:
        raise DomainError(f"未知的事项对象：{subject_type}；可选 {', '.join(DEFAULT_THRESHOLDS)}", field="subject_type")
    value = money(amount)
    assert value is not None
    row, _created = Threshold.objects.update_or_create(
        region=region, subject_type=subject_type, defaults={"amount": value}
    )
    return row


# ----------------------------------------------------------------- the guard


def remaining(matter: Matter) -> Decimal | None:
    if matter.amount is None:
        return None
    used = MatterUse.objects.filter(matter=matter).aggregate(s=Sum("amount"))["s"] or Decimal("0")
    return matter.amount - used


def require_approved(
    kind: str,
    subject: tuple[str, object],
    amount: Any,
    *,
    actor: Any,
    region: Region | None = None,
    effect_ref: str = "",
    field: str = "amount",
    matter: str | None = None,
) -> Matter | None:
    """Allow an effect: None when ``amount`` is at or below the threshold (no procedure needed); above it,
    the approved (published) matter of ``kind`` for ``subject`` whose amount still covers it, whose use
    is recorded (and published); else a ``DomainError`` on ``field`` (code ``matter_required``)."""
    if amount is None:
        return None
    value = money(amount, field)
    assert value is not None
    subject_type, subject_ref = subject[0], str(subject[1])
    limit = threshold(subject_type, region)
    if limit is None or value <= limit:
        return None
    qs = Matter.objects.select_for_update(of=("self",)).filter(
        kind=kind, subject_type=subject_type, subject_ref=subject_ref, status=Matter.Status.PUBLISHED
    )
    if matter:
        qs = qs.filter(code=matter)
    for m in qs.order_by("proposed_at", "id"):
        left = remaining(m)
        if left is None or left >= value:
            MatterUse.objects.create(
                matter=m,
                subject_type=subject_type,
                subject_ref=subject_ref,
                effect_ref=str(effect_ref or "")[:60],
                amount=value,
                at=timezone.now(),
            )
            emit(
                C.MATTER_USED,
                aggregate_type="matter",
                aggregate_id=m.code,
                region=m.region,
                actor=actor,
                payload={
                    "matter": m.code,
                    "subject_type": subject_type,
                    "subject_ref": subject_ref,
                    "effect_ref": str(effect_ref or ""),
                    "amount": str(value),
                    "remaining": str(left - value) if left is not None else "",
                },
            )
            return m
    pending = (
        Matter.objects.filter(kind=kind, subject_type=subject_type, subject_ref=subject_ref)
        .exclude(status__in=[Matter.Status.PUBLISHED, Matter.Status.REJECTED])
        .order_by("proposed_at")
        .first()
    )
    label = MatterKind(kind).label if kind in MatterKind.values else kind
    msg = (
        f"金额{value}元超过三重一大标准{limit}元，属于“{label}”，须经集体决策程序（提出动议—征求意见—集体决策—结果公开）"
        "批准后方可执行"
    )
    if pending is not None:
        msg += f"；事项{pending.code}尚在“{pending.get_status_display()}”阶段，未生效"
    else:
        msg += "；目前没有覆盖此项的已批准事项（或其额度已用完）"
    raise DomainError(msg, field=field, code=CouncilsError.MATTER_REQUIRED)


# ----------------------------------------------------------------- the procedure


def _emit_step(m: Matter, step: MatterStep, actor: Any) -> None:
    emit(
        C.MATTER_STEP,
        aggregate_type="matter",
        aggregate_id=m.code,
        region=m.region,
        actor=actor,
        payload={
            "matter": m.code,
            "kind": m.kind,
            "step": step.kind,
            "status": m.status,
            "council": m.council.code,
            "subject_type": m.subject_type,
            "subject_ref": m.subject_ref,
            "amount": str(m.amount) if m.amount is not None else None,
            "decision": m.decision.code if m.decision else None,
            "title": m.title,
            "note": step.note,
        },
    )


def _step(m: Matter, kind: str, actor: Any, note: str = "", data: dict | None = None) -> MatterStep:
    step = MatterStep.objects.create(
        matter=m, kind=kind, at=timezone.now(), actor=_user(actor), note=(note or "").strip()[:2000], data=data or {}
    )
    _emit_step(m, step, actor)
    return step


def _lock(m: Matter, version: int | None) -> Matter:
    fresh = Matter.objects.select_for_update(of=("self",)).select_related("council", "region", "decision").get(pk=m.pk)
    if version is not None and fresh.version != version:
        raise Conflict("该事项已被他人更新，请刷新后重试", field="version")
    return fresh


def _next_code(region: Region) -> str:
    year = timezone.localdate().year
    prefix = f"SZYD-{region.code}-{year}"
    n = Matter.objects.filter(code__startswith=prefix).count() + 1
    while Matter.objects.filter(code=f"{prefix}{n:03d}").exists():
        n += 1
    return f"{prefix}{n:03d}"


def _check_subject(council: Council, subject_type: str, subject_ref: str) -> str:
    subject_ref = (subject_ref or "").strip()
    if subject_type not in SubjectType.values:
        raise DomainError(f"未知的事项对象：{subject_type}；可选 {', '.join(SubjectType.values)}", field="subject_type")
    if subject_type == SubjectType.OTHER:
        return subject_ref[:60]
    if not subject_ref:
        raise DomainError("请填写事项对象的编号（联合体编号、需求编号或区域代码）", field="subject_ref")
    within = council.region.path
    if subject_type == SubjectType.ALLIANCE_FUND:
        from gongzhi.alliances.models import Alliance

        ok = Alliance.objects.filter(code=subject_ref, region__path__startswith=within).exists()
        what = "党建联合体"
    elif subject_type == SubjectType.POOL_NEED:
        from gongzhi.resources.models import PoolNeed

        ok = (
            subject_ref.isdigit()
            and PoolNeed.objects.filter(pk=int(subject_ref), region__path__startswith=within).exists()
        )
        what = "公共池需求"
    else:
        ok = Region.objects.filter(code=subject_ref, path__startswith=within).exists()
        what = "区域"
    if not ok:
        raise DomainError(f"{council.region.name}范围内没有编号为{subject_ref}的{what}", field="subject_ref")
    return subject_ref


@transaction.atomic
def propose(
    actor: Any,
    council: Council,
    *,
    kind: str,
    title: str,
    subject_type: str,
    subject_ref: str = "",
    amount: Any = None,
    description: str = "",
    consultation_required: bool | None = None,
) -> Matter:
    """Step 1: the proposal (提出动议) of a matter to the platform that will decide it."""
    perms.require(actor, perms.MANAGE, council.region)
    if council.status != Council.Status.ACTIVE:
        raise DomainError("该议事平台已撤销", field="council", code=CoreError.INVALID_STATE)
    if kind not in MatterKind.values:
        raise DomainError(f"未知的事项类别：{kind}；可选 {', '.join(MatterKind.values)}", field="kind")
    title = (title or "").strip()
    if not title:
        raise DomainError("请填写事项名称", field="title")
    if len(title) > 200:
        raise DomainError("事项名称过长（最多200字）", field="title")
    subject_ref = _check_subject(council, subject_type, subject_ref)
    value = money(amount, required=subject_type != SubjectType.OTHER)
    if consultation_required is None:
        consultation_required = kind in CONSULTATION_KINDS
    m = Matter.objects.create(
        code=_next_code(council.region),
        kind=kind,
        title=title,
        description=(description or "").strip(),
        council=council,
        region=council.region,
        subject_type=subject_type,
        subject_ref=subject_ref,
        amount=value,
        consultation_required=bool(consultation_required),
        proposed_by=_user(actor),
        proposed_at=timezone.now(),
    )
    _step(m, MatterStep.Kind.PROPOSAL, actor, description)
    return m


@transaction.atomic
def consult(actor: Any, matter: Matter, *, note: str, consulted: int, version: int | None = None) -> Matter:
    """Step 2: the consultation (征求意见): whom and how many were asked, what they said."""
    m = _lock(matter, version)
    perms.require(actor, perms.MANAGE, m.region)
    if m.status != Matter.Status.PROPOSED:
        raise DomainError(
            f"事项当前为“{m.get_status_display()}”，不能再征求意见", field="matter", code=CouncilsError.OUT_OF_ORDER
        )
    if not (note or "").strip():
        raise DomainError("请记录征求意见的情况（对象、方式、主要意见）", field="note")
    if isinstance(consulted, bool) or not isinstance(consulted, int) or consulted < 1:
        raise DomainError("征求意见对象数须为≥1的整数", field="consulted")
    m.status = Matter.Status.CONSULTED
    m.version += 1
    m.save(update_fields=["status", "version"])
    _step(m, MatterStep.Kind.CONSULTATION, actor, note, {"consulted": consulted})
    return m


@transaction.atomic
def decide(
    actor: Any,
    matter: Matter,
    *,
    meeting: Meeting,
    votes_for: int,
    votes_against: int = 0,
    votes_abstain: int = 0,
    version: int | None = None,
) -> Matter:
    """Step 3: the collective decision (集体决策) at a meeting of the matter's platform that reached its
    quorum; recorded as the meeting's decision with its vote."""
    from .services import record_decision

    m = _lock(matter, version)
    perms.require(actor, perms.MANAGE, m.region)
    ready = {Matter.Status.CONSULTED} if m.consultation_required else {Matter.Status.PROPOSED, Matter.Status.CONSULTED}
    if m.status not in ready:
        raise DomainError(
            "须先征求意见，再提交集体决策"
            if m.status == Matter.Status.PROPOSED
            else f"事项当前为“{m.get_status_display()}”，不能再提交集体决策",
            field="matter",
            code=CouncilsError.OUT_OF_ORDER,
        )
    if meeting.council_id != m.council_id:
        raise DomainError(f"须由{m.council.name}的会议集体决策", field="meeting")
    if meeting.held_on < timezone.localdate(m.proposed_at):
        raise DomainError("集体决策的会议须在提出动议之后召开", field="meeting", code=CouncilsError.OUT_OF_ORDER)
    d = record_decision(
        actor,
        meeting,
        title=m.title,
        votes_for=votes_for,
        votes_against=votes_against,
        votes_abstain=votes_abstain,
        effect=Decision.Effect.MATTER,
        params={"matter": m.code},
    )
    m.decision = d
    m.status = Matter.Status.DECIDED if d.passed else Matter.Status.REJECTED
    m.version += 1
    m.save(update_fields=["decision", "status", "version"])
    _step(
        m,
        MatterStep.Kind.DECISION,
        actor,
        "",
        {
            "meeting": meeting.code,
            "decision": d.code,
            "for": d.votes_for,
            "against": d.votes_against,
            "abstain": d.votes_abstain,
            "outcome": d.outcome,
        },
    )
    return m


@transaction.atomic
def publish(actor: Any, matter: Matter, *, note: str = "", version: int | None = None) -> Matter:
    """Step 4: publication (结果公开); from now on the matter is approved and allows its effect."""
    m = _lock(matter, version)
    perms.require(actor, perms.MANAGE, m.region)
    if m.status != Matter.Status.DECIDED:
        raise DomainError(
            "须经集体决策通过后才能公开生效"
            if m.status in (Matter.Status.PROPOSED, Matter.Status.CONSULTED)
            else f"事项当前为“{m.get_status_display()}”，不能公开生效",
            field="matter",
            code=CouncilsError.OUT_OF_ORDER,
        )
    m.status = Matter.Status.PUBLISHED
    m.version += 1
    m.save(update_fields=["status", "version"])
    _step(m, MatterStep.Kind.PUBLICATION, actor, note)
    return m


def timeline(m: Matter) -> list[dict]:
    """The four steps in order: each done (with its record), skipped (consultation not required) or to come."""
    done = {s.kind: s for s in m.steps.all()}
    out = []
    for kind in ORDER:
        s = done.get(kind)
        state = (
            "done"
            if s
            else ("skipped" if kind == MatterStep.Kind.CONSULTATION and not m.consultation_required else "todo")
        )
        if m.status == Matter.Status.REJECTED and kind == MatterStep.Kind.PUBLICATION:
            state = "stopped"
        out.append({"kind": kind, "label": MatterStep.Kind(kind).label, "state": state, "step": s})
    return out
