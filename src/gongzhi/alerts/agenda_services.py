"""Agenda use cases (数据识别需求、优化议题设置, seed 003): scan a region's requests of a period for
recurring matters (:mod:`.agenda`) and propose each as a consultation topic or a plan goal; accept a
proposal (a consultation topic is drafted through consult's service; a plan goal's title is recorded
for the plans desk) or dismiss it with a reason. Every decision is recorded on the proposal and as an
event.

Idempotent: a proposal is one per community, period and matter signature (a unique constraint); a
rescan renews an undecided proposal's evidence and leaves a decided one as it was decided.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gongzhi.cases.models import ServiceRequest, State
from gongzhi.consult import services as consult_services
from gongzhi.consult.models import Phase, Topic
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm

from . import agenda, contracts
from .models import AgendaProposal, Alert
from .perms import HANDLE, SCAN

WINDOW_MONTHS = 3  # the months of requests a period's scan reads: the period and the two before it
MAX_PER_COMMUNITY = 5  # the largest matters of each community and period are proposed
TOPIC_COLLECT_DAYS = 14  # a drafted topic's collection phase, starting the next day
SKIP_STATES = (State.CANCELLED, State.MERGED, State.NOT_OURS)
CLOSED_STATES = (State.RESOLVED, State.CONFIRMED, State.CLOSED)

#: Why a proposal is of its kind: the code stored on the proposal, its text (gettext, the viewer's language).
AGENDA_REASONS = {
    "recurs_after_closing": _(
        "%(total)d件诉求中已有%(closed)d件逐件办结，同类问题仍反复出现，建议立项为计划目标，从根源上解决"
    ),
    "residents_decide": _("%(total)d件诉求反映同一事项，属物业、邻里或村务等需要居民共同商议的事务，建议提交议事协商"),
    "shared_open_matter": _(
        "%(total)d件诉求反映同一事项，其中%(open)d件尚未办结，属居民共同关心的公共事务，建议提交议事协商"
    ),
}

Status = AgendaProposal.Status


def reason_text(p: AgendaProposal) -> str:
    template = AGENDA_REASONS.get(p.reason_code)
    if template is None:
        return p.reason_code
    try:
        return str(template) % p.reason_params
    except (KeyError, TypeError, ValueError):
        return str(template)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def visible(user: Any) -> QuerySet[AgendaProposal]:
    return perm.scope(user, AgendaProposal.objects.select_related("region", "topic", "decided_by"))


def get_proposal(user: Any, pk: Any) -> AgendaProposal:
    p = visible(user).filter(pk=pk).first()
    if p is None:
        raise NotFound(gettext("议题建议不存在或不在您的管辖范围内"))
    return p


def can_decide(user: Any, p: AgendaProposal) -> bool:
    return p.status == Status.PROPOSED and perm.allowed(user, HANDLE, p.region)


def filter_proposals(
    qs: QuerySet[AgendaProposal],
    *,
    status: str = "",
    kind: str = "",
    period: str = "",
    region: Region | None = None,
) -> QuerySet[AgendaProposal]:
    if status:
        if status not in Status.values:
            raise DomainError(gettext("未知的状态：%(s)s") % {"s": status}, field="status")
        qs = qs.filter(status=status)
    if kind:
        if kind not in AgendaProposal.Kind.values:
            raise DomainError(gettext("未知的建议类型：%(s)s") % {"s": kind}, field="kind")
        qs = qs.filter(kind=kind)
    if period:
        parse_period(period)
        qs = qs.filter(period=period)
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    return qs


# ----------------------------------------------------------------- periods


def parse_period(period: str) -> tuple[dt.date, dt.date]:
    """``YYYY-MM`` → the month's first day and the next month's first day."""
    if not isinstance(period, str) or not re.fullmatch(r"\d{4}-\d{2}", period.strip()):
        raise DomainError(gettext("期间格式应为YYYY-MM，例如2026-11"), field="period")
    y, m = (int(x) for x in period.strip().split("-"))
    if not 1 <= m <= 12 or not 2000 <= y <= 2100:
        raise DomainError(gettext("期间格式应为YYYY-MM，例如2026-11"), field="period")
    start = dt.date(y, m, 1)
    return start, _add_months(start, 1)


def _add_months(d: dt.date, n: int) -> dt.date:
    k = d.year * 12 + d.month - 1 + n
    return dt.date(k // 12, k % 12 + 1, 1)


def current_period() -> str:
    return f"{timezone.localdate():%Y-%m}"


def _aware(d: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(d, dt.time.min))


# ----------------------------------------------------------------- scan


@dataclass
class AgendaScan:
    region: Region
    period: str
    proposed: list[AgendaProposal]
    refreshed: list[AgendaProposal]
    matters: int  # recurring matters found (before the per-community cut)


def _docs(region: Region, start: dt.date, end: dt.date) -> tuple[list[agenda.Doc], dict[int, dt.datetime]]:
    rows = (
        ServiceRequest.objects.filter(
            region__path__startswith=region.path,
            created_at__gte=_aware(_add_months(start, 1 - WINDOW_MONTHS)),
            created_at__lt=_aware(end),
        )
        .exclude(state__in=SKIP_STATES)
        .values_list("id", "description", "region_id", "grid__name", "category__code", "state", "created_at")
    )
    docs, when = [], {}
    for rid, text, region_id, grid_name, cat, state, created in rows.iterator(chunk_size=2000):
        docs.append(
            agenda.Doc(
                id=rid,
                text=text,
                community_id=region_id,
                place=grid_name or "",
                category=cat,
                closed=state in CLOSED_STATES,
            )
        )
        when[rid] = created
    return docs, when


@transaction.atomic
def scan(actor: Any, region: Region | None = None, period: str | None = None) -> AgendaScan:
    """Find the recurring matters of ``region``'s communities in ``period`` (default: this month) and
    propose the largest ``MAX_PER_COMMUNITY`` of each community."""
    if region is None:
        region = Region.objects.filter(parent__isnull=True).order_by("code").first()
        if region is None:
            raise NotFound(gettext("还没有任何区域"))
    perm.require(actor, SCAN, region)
    period = (period or current_period()).strip()
    start, end = parse_period(period)
    if start > timezone.localdate():
        raise DomainError(gettext("不能扫描尚未开始的期间"), field="period")
    docs, when = _docs(region, start, end)
    found = agenda.clusters(docs)
    per: dict[int, int] = {}
    chosen = []
    for c in found:  # largest first
        if per.get(c.community_id, 0) < MAX_PER_COMMUNITY:
            per[c.community_id] = per.get(c.community_id, 0) + 1
            chosen.append(c)
    regions = Region.objects.in_bulk({c.community_id for c in chosen})
    alert_links: dict[int, set[int]] = {}
    ids = [i for c in chosen for i in c.ids]
    for aid, rid in Alert.requests.through.objects.filter(servicerequest_id__in=ids).values_list(
        "alert_id", "servicerequest_id"
    ):
        alert_links.setdefault(rid, set()).add(aid)
    now = timezone.now()
    proposed, refreshed = [], []
    for c in chosen:
        kind, code, params = agenda.kind_of(c)
        fields = {
            "kind": kind,
            "label": c.label[:200],
            "terms": c.terms,
            "places": [[p, n] for p, n in c.places],
            "categories": [[k, n] for k, n in c.categories],
            "request_count": c.size,
            "closed_count": c.closed,
            "cohesion": c.cohesion,
            "first_at": min(when[i] for i in c.ids),
            "last_at": max(when[i] for i in c.ids),
            "reason_code": code,
            "reason_params": params,
            "updated_at": now,
        }
        community = regions[c.community_id]
        existing = (
            AgendaProposal.objects.select_for_update()
            .filter(region=community, period=period, signature=c.signature)
            .first()
        )
        created = False
        if existing is None:
            try:
                with transaction.atomic():
                    existing = AgendaProposal.objects.create(
                        region=community, period=period, signature=c.signature, created_at=now, **fields
                    )
                created = True
            except IntegrityError:  # a concurrent scan made it first
                existing = AgendaProposal.objects.select_for_update().get(
                    region=community, period=period, signature=c.signature
                )
        if not created:
            if existing.status != Status.PROPOSED:
                continue  # decided: stays as it was decided
            for k, v in fields.items():
                setattr(existing, k, v)
            existing.version += 1
            existing.save()
        existing.requests.set(c.ids)
        existing.alerts.set(sorted({a for i in c.ids for a in alert_links.get(i, ())}))
        if created:
            proposed.append(existing)
            emit(
                contracts.AGENDA_PROPOSED,
                aggregate_type="agenda_proposal",
                aggregate_id=existing.pk,
                region=community,
                actor=actor,
                payload={
                    "kind": kind,
                    "period": period,
                    "signature": c.signature,
                    "label": existing.label,
                    "requests": c.size,
                },
                public=False,
            )
        else:
            refreshed.append(existing)
    emit(
        contracts.AGENDA_SCANNED,
        aggregate_type="agenda_scan",
        aggregate_id=region.code,
        region=region,
        actor=actor,
        payload={"period": period, "proposed": len(proposed), "refreshed": len(refreshed)},
        public=False,
    )
    return AgendaScan(region=region, period=period, proposed=proposed, refreshed=refreshed, matters=len(found))


# ----------------------------------------------------------------- decisions


def default_title(p: AgendaProposal) -> str:
    places = "、".join(str(x[0]) for x in p.places[:2])
    where = f"{p.region.name}{places}" if places else p.region.name
    if p.kind == AgendaProposal.Kind.GOAL:
        return f"{where}：根治“{p.label}”问题"[:120]
    return f"{where}“{p.label}”问题怎么解决？"[:120]


def _evidence_text(p: AgendaProposal) -> str:
    nums = list(p.requests.order_by("created_at").values_list("number", flat=True)[:50])
    return (
        f"数据发现（{p.period}）：{p.request_count}件诉求反映“{p.label}”"
        f"（{'、'.join(f'{x[0]}{x[1]}件' for x in p.places[:5])}）。依据诉求：{'、'.join(nums)}"
    )


def _decide(
    actor: Any, p: AgendaProposal, *, to: str, reason: str, version: Any, topic: Any = None, goal_title: str = ""
) -> AgendaProposal:
    expected = p.version if version in (None, "") else int(version)
    now = timezone.now()
    n = AgendaProposal.objects.filter(pk=p.pk, version=expected, status=Status.PROPOSED).update(
        status=to,
        decided_by=_user(actor),
        decided_at=now,
        decision_reason=reason,
        topic=topic,
        goal_title=goal_title,
        updated_at=now,
        version=expected + 1,
    )
    if n == 0:
        raise Conflict(gettext("议题建议已被他人更新，请刷新后重试"), field="version")
    p.refresh_from_db()
    emit(
        contracts.AGENDA_ACCEPTED if to == Status.ACCEPTED else contracts.AGENDA_DISMISSED,
        aggregate_type="agenda_proposal",
        aggregate_id=p.pk,
        region=p.region,
        actor=actor,
        payload={
            "kind": p.kind,
            "period": p.period,
            "signature": p.signature,
            "label": p.label,
            "requests": sorted(p.requests.values_list("pk", flat=True)),
            "reason": reason,
            "topic": p.topic_id,
            "goal_title": p.goal_title,
        },
        public=False,
    )
    return p


def _check_open(actor: Any, p: AgendaProposal) -> None:
    perm.require(actor, HANDLE, p.region)
    if p.status != Status.PROPOSED:
        raise DomainError(
            gettext("该建议已“%(s)s”，不能再次决定") % {"s": p.get_status_display()},
            field="status",
            code=CoreError.INVALID_STATE,
        )


@transaction.atomic
def accept(actor: Any, p: AgendaProposal, *, title: str = "", note: str = "", version: Any = None) -> AgendaProposal:
    """Accept: a consultation topic proposal drafts the topic (source 数据发现, a collection phase from
    tomorrow for ``TOPIC_COLLECT_DAYS`` days, the evidence in its description); a plan goal proposal
    records the goal's title for the plans desk, which sets the goal with its lead unit and dates."""
    p = AgendaProposal.objects.select_for_update(of=("self",)).select_related("region").filter(pk=p.pk).first() or p
    _check_open(actor, p)
    title = (title or "").strip() or default_title(p)
    if len(title) > 120:
        raise DomainError(gettext("名称不能超过120字"), field="title")
    note = (note or "").strip()
    if len(note) > 2000:
        raise DomainError(gettext("说明不能超过2000字"), field="note")
    if p.kind == AgendaProposal.Kind.TOPIC:
        day = timezone.localdate() + dt.timedelta(days=1)
        starts = _aware(day)
        topic = consult_services.create_topic(
            title=title,
            scope=Topic.Scope.VILLAGE if p.region.kind == Region.Kind.RURAL else Topic.Scope.COMMUNITY,
            region=p.region,
            phases=[
                {
                    "kind": Phase.Kind.COLLECT,
                    "starts_at": starts,
                    "ends_at": starts + dt.timedelta(days=TOPIC_COLLECT_DAYS),
                }
            ],
            description=_evidence_text(p),
            source=Topic.Source.DATA,
            proposed_by=_user(actor),
        )
        return _decide(actor, p, to=Status.ACCEPTED, reason=note, version=version, topic=topic)
    return _decide(actor, p, to=Status.ACCEPTED, reason=note, version=version, goal_title=title)


@transaction.atomic
def dismiss(actor: Any, p: AgendaProposal, *, reason: str, version: Any = None) -> AgendaProposal:
    p = AgendaProposal.objects.select_for_update(of=("self",)).select_related("region").filter(pk=p.pk).first() or p
    _check_open(actor, p)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(gettext("不采纳须说明理由（如：已在处理、不属于公共事务、诉求重复）"), field="reason")
    if len(reason) > 2000:
        raise DomainError(gettext("说明不能超过2000字"), field="reason")
    return _decide(actor, p, to=Status.DISMISSED, reason=reason, version=version)
