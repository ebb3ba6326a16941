"""Computable indicator sources: an indicator bound to a record query is read from the operational
records (requests, meetings, alliance tasks), never typed in.  A task whose ``indicator_source`` is
blank is measured by manual progress reports instead (each recording who reported).

Each source: ``label`` (Chinese), ``params`` (name → required?), ``compute(task, params, on) -> float``.
Counting starts at the goal's start date; the region is the task's region unless ``region`` (a
region code) is given.

The sources are figures of the one registry (:mod:`gongzhi.core.figures`), named ``plans.<key>``
with subject "task"; :data:`REGISTRY` reads them from there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from gongzhi.core import figures as registry
from gongzhi.core.errors import DomainError

RESOLVED_STATES = ("resolved", "confirmed", "closed")


@dataclass(frozen=True)
class Source:
    key: str
    label: str
    params: dict[str, bool]
    compute: Callable
    unit: str


def _region(task, params):
    from gongzhi.core.models import Region

    code = params.get("region")
    if code:
        r = Region.objects.filter(code=code).first()
        if r is None:
            raise DomainError(f"没有编码为{code}的区域", field="indicator_params")
        return r
    return task.region


def _start(task) -> dt.datetime:
    from django.utils import timezone

    return timezone.make_aware(dt.datetime.combine(task.goal.starts_on, dt.time.min))


def _requests(task, params):
    from gongzhi.cases.models import ServiceRequest

    qs = ServiceRequest.objects.filter(
        region__path__startswith=_region(task, params).path, created_at__gte=_start(task)
    )
    if params.get("category"):
        qs = qs.filter(category__code__startswith=params["category"])
    return qs


def requests_resolved(task, params, on) -> float:
    return float(_requests(task, params).filter(state__in=RESOLVED_STATES).count())


def requests_satisfaction(task, params, on) -> float:
    rated = _requests(task, params).exclude(rating="")
    n = rated.count()
    if not n:
        return 0.0
    from gongzhi.cases.figures import SATISFIED

    return round(100.0 * rated.filter(rating__in=SATISFIED).count() / n, 1)


def _alliance_id(task, params):
    if params.get("alliance"):
        return int(params["alliance"])
    ag = task.goal.alliance_goal
    if ag is None:
        raise DomainError("该目标不是党建联合体目标，请在指标参数中指定联合体(alliance)", field="indicator_params")
    return ag.alliance_id


def alliance_meetings_held(task, params, on) -> float:
    from gongzhi.alliances.models import Meeting

    return float(
        Meeting.objects.filter(
            alliance_id=_alliance_id(task, params),
            held_on__isnull=False,
            held_on__gte=task.goal.starts_on,
            held_on__lte=on,
        ).count()
    )


def alliance_tasks_done(task, params, on) -> float:
    from gongzhi.alliances.models import Task as AllianceTask

    return float(
        AllianceTask.objects.filter(
            alliance_id=_alliance_id(task, params),
            completed_on__isnull=False,
            completed_on__gte=task.goal.starts_on,
            completed_on__lte=on,
        ).count()
    )


def linked_requests_resolved(task, params, on) -> float:
    from gongzhi.cases.models import ServiceRequest

    from .models import Link

    ids = list(Link.objects.filter(task=task, kind=Link.Kind.REQUEST).values_list("object_id", flat=True))
    if not ids:
        return 0.0
    done = ServiceRequest.objects.filter(pk__in=ids, state__in=RESOLVED_STATES).count()
    return round(100.0 * done / len(ids), 1)


for _key, _label, _params, _fn, _unit in [
    ("requests_resolved", "区域内某类诉求办结数", {"category": False, "region": False}, requests_resolved, "件"),
    ("requests_satisfaction", "区域内某类诉求满意率", {"category": False, "region": False}, requests_satisfaction, "%"),
    ("alliance_meetings_held", "联合体会议召开数", {"alliance": False}, alliance_meetings_held, "次"),
    ("alliance_tasks_done", "联合体认领任务完成数", {"alliance": False}, alliance_tasks_done, "项"),
    ("linked_requests_resolved", "关联诉求办结率", {}, linked_requests_resolved, "%"),
]:
    registry.register(
        f"plans.{_key}",
        _fn,
        label=_label,
        unit=_unit,
        subject="task",
        params=_params,
        doc="compute(task, params, on): an indicator source for a plan task",
    )


class _Sources(Mapping):
    """The indicator sources: the registry's figures ``plans.*`` of subject "task", by their short name."""

    def _figures(self) -> dict:
        return {f.short: f for f in registry.all("plans", subject="task")}

    def __getitem__(self, key: str) -> Source:
        f = self._figures()[key]
        return Source(key, f.label, dict(f.params), f.compute, f.unit)

    def __iter__(self) -> Iterator[str]:
        return iter(self._figures())

    def __len__(self) -> int:
        return len(self._figures())


REGISTRY: Mapping[str, Source] = _Sources()


def choices() -> list[tuple[str, str]]:
    return [("", "人工报告")] + [(k, s.label) for k, s in REGISTRY.items()]


def validate(key: str, params: dict) -> None:
    if not key:
        return
    src = REGISTRY.get(key)
    if src is None:
        raise DomainError(f"未知的指标数据来源“{key}”，可选：{'、'.join(REGISTRY)}", field="indicator_source")
    unknown = set(params or {}) - set(src.params)
    if unknown:
        raise DomainError(
            f"指标数据来源“{src.label}”不接受参数：{'、'.join(sorted(unknown))}", field="indicator_params"
        )
    missing = [p for p, req in src.params.items() if req and not (params or {}).get(p)]
    if missing:
        raise DomainError(f"指标数据来源“{src.label}”缺少参数：{'、'.join(missing)}", field="indicator_params")


def compute(task, on: dt.date) -> float | None:
    if not task.indicator_source:
        return None
    return REGISTRY[task.indicator_source].compute(task, task.indicator_params or {}, on)
