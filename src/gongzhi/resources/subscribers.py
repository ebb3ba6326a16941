"""Needs reach the common pool from other modules (issue 7), through the domain-event outbox.

* ``alliances.lists.agreed`` — every item of the alliance's agreed need list (需求清单) becomes a pool
  need (priority 发展 unless the item's words say otherwise), located at the alliance's lead unit.
* ``cases.request.dispatch`` — a request in a category that needs resources (:data:`CATEGORY_NEEDS`)
  raises one need at the request's location; ``cases.request.close`` / ``cancel`` / ``merge`` cancel
  that need while nothing has been committed, sent or delivered for it.
* ``cases.bypass.started`` — an emergency bypass (紧急先行处置) raises one need with priority 应急.
* Incidents (issue 9) call :func:`gongzhi.resources.services.raise_emergency_need` directly.

Delivery is at least once, in batches (one transaction per batch, with the dispatcher's bookkeeping),
and every need carries a ``source_ref`` (``alliance-item:<id>``, ``request:<number>``,
``bypass:<id>``), so a repeated event finds its need and changes nothing. A handler never raises
for bad data (that would stall the subscriber): it logs and skips.
"""

from __future__ import annotations

import logging

from django.apps import apps

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.events import subscriber
from gongzhi.org.models import Grid

from . import services as S
from .models import Kind, PoolNeed, Priority, Source

log = logging.getLogger("gongzhi.resources")

# Matter categories whose requests need resources from the pool: a five-digit code wins over its
# two-digit major class. (priority, kind of resource needed)
CATEGORY_NEEDS: dict[str, tuple[int, str]] = {
    "03": (Priority.EMERGENCY, Kind.MATERIAL),  # 水电气热: water, power, gas, heating failures
    "03003": (Priority.EMERGENCY, Kind.PERSON),  # 燃气泄漏: qualified hands first
    "06": (Priority.BASIC, Kind.PERSON),  # 民生保障: care, help at home, job coaching
    "06001": (Priority.BASIC, Kind.FUNDS),  # 低保救助: relief funds
    "07": (Priority.EMERGENCY, Kind.PERSON),  # 安全隐患: people to clear, guard, repair
}
# A bypass is an emergency whatever its category; its resource kind comes from CATEGORY_NEEDS or this.
BYPASS_DEFAULT_KIND = Kind.PERSON
# Request actions that end the request, and so cancel its need while it is still unserved.
ENDING_ACTIONS = {"close", "cancel", "merge"}

# Alliance need-list items: priority 发展 unless the item's title or detail says otherwise;
# the kind of resource from words in the item (first match), else a person/skill.
ITEM_PRIORITY_WORDS: list[tuple[tuple[str, ...], int]] = [
    (("应急", "紧急", "抢险", "救灾"), Priority.EMERGENCY),
    (("民生", "困难", "低保", "养老", "助餐", "救助", "基本生活"), Priority.BASIC),
]
ITEM_KIND_WORDS: list[tuple[tuple[str, ...], str]] = [
    (("场地", "活动室", "会议室", "教室", "场所", "阵地"), Kind.VENUE),
    (("资金", "经费", "捐款", "款"), Kind.FUNDS),
    (("车辆", "车", "运输"), Kind.VEHICLE),
    (("物资", "设备", "器材", "用品", "书籍", "图书"), Kind.MATERIAL),
    (("信息", "数据", "宣传"), Kind.INFORMATION),
]
ITEM_DEFAULT_KIND = Kind.PERSON

ALLIANCE_SUBSCRIBER = "resources.pool_from_alliances"
CASES_SUBSCRIBER = "resources.pool_from_cases"


def category_need(code: str | None) -> tuple[int, str] | None:
    if not code:
        return None
    return CATEGORY_NEEDS.get(code) or CATEGORY_NEEDS.get(code[:2])


def item_priority(text: str) -> int:
    for words, priority in ITEM_PRIORITY_WORDS:
        if any(w in text for w in words):
            return priority
    return Priority.DEVELOPMENT


def item_kind(text: str) -> str:
    for words, kind in ITEM_KIND_WORDS:
        if any(w in text for w in words):
            return kind
    return ITEM_DEFAULT_KIND


def _grid_point(grid: Grid | None):
    return (grid.centroid_lon, grid.centroid_lat) if grid is not None else None


def _raise(source: str, ref: str, **fields) -> PoolNeed | None:
    try:
        need, created = S.raise_need_once(SYSTEM, source=source, source_ref=ref, **fields)
    except DomainError as e:
        log.warning("pool need %s:%s not raised: %s", source, ref, e.message)
        return None
    return need if created else None


# ------------------------------------------------------------------------- alliances


def _alliance_point(alliance):
    """The lead unit's own location, else the centre of the first grid (by code) of the lead unit's
    region, else of the alliance's region."""
    lead = alliance.lead_unit
    if lead is not None and lead.lon is not None and lead.lat is not None:
        return lead.lon, lead.lat
    for region in (getattr(lead, "region", None), alliance.region):
        if region is not None:
            grid = Grid.objects.filter(region__path__startswith=region.path).order_by("code").first()
            if grid is not None:
                return _grid_point(grid)
    return None


def needs_from_alliance_lists(event) -> int:
    """Raise a pool need for every agreed need-list item of the alliance's year (once per item)."""
    if not apps.is_installed("gongzhi.alliances"):
        return 0
    from gongzhi.alliances.models import Alliance, ListItem

    p = event.payload or {}
    alliance = Alliance.objects.select_related("lead_unit", "region").filter(code=p.get("code")).first()
    if alliance is None or p.get("year") is None:
        log.warning("alliances.lists.agreed %s: alliance %r not found", event.event_id, p.get("code"))
        return 0
    items = ListItem.objects.filter(
        alliance=alliance, year=p["year"], kind=ListItem.Kind.NEED, agreed_at__isnull=False
    ).order_by("id")
    point = _alliance_point(alliance)
    if point is None:
        log.warning("alliance %s has no location; its need list is not pooled", alliance.code)
        return 0
    made = 0
    for item in items:
        text = f"{item.title} {item.detail}"
        need = _raise(
            Source.ALLIANCE,
            f"alliance-item:{item.pk}",
            title=f"{alliance.name}：{item.title}"[:120],
            kind=item_kind(text),
            quantity=max(1, item.posts),
            priority=item_priority(text),
            lon=point[0],
            lat=point[1],
        )
        made += need is not None
    return made


@subscriber(ALLIANCE_SUBSCRIBER, types={"alliances.lists.agreed"}, batch=True)
def on_alliance_events(batch: list) -> None:
    for event in batch:
        needs_from_alliance_lists(event)


# ------------------------------------------------------------------------- requests and bypasses


def _request_ref(number: str) -> str:
    return f"request:{number}"


def _cases_model(name: str):
    return apps.get_model("cases", name) if apps.is_installed("gongzhi.cases") else None


def _request_point(number: str, grid_code: str | None):
    ServiceRequest = _cases_model("ServiceRequest")
    if ServiceRequest is not None:
        row = ServiceRequest.objects.filter(number=number).values("lon", "lat", "due_at").first()
        if row is not None:
            return row["lon"], row["lat"], row["due_at"]
    point = _grid_point(Grid.objects.filter(code=grid_code).first()) if grid_code else None
    return (*point, None) if point else None


def _bypass_of(number: str) -> int | None:
    Bypass = _cases_model("Bypass")
    if Bypass is None:
        return None
    return Bypass.objects.filter(request__number=number).values_list("pk", flat=True).first()


def _category_name(code: str) -> str:
    from gongzhi.org.models import MatterCategory

    return MatterCategory.objects.filter(code=code).values_list("name", flat=True).first() or code


def need_for_request(event) -> PoolNeed | None:
    p = event.payload or {}
    number = p.get("number") or event.aggregate_id
    mapped = category_need(p.get("category"))
    if mapped is None or _bypass_of(number) is not None:
        return None  # no resources needed, or the emergency bypass behind it already raised one
    where = _request_point(number, p.get("grid"))
    if where is None:
        log.warning("request %s: no location, no pool need", number)
        return None
    lon, lat, due = where
    priority, kind = mapped
    return _raise(
        Source.REQUEST,
        _request_ref(number),
        title=f"诉求{number}：{_category_name(p['category'])}"[:120],
        kind=kind,
        quantity=1,
        priority=priority,
        lon=lon,
        lat=lat,
        deadline=due,
    )


def cancel_request_need(event) -> bool:
    p = event.payload or {}
    number = p.get("number") or event.aggregate_id
    refs = [(Source.REQUEST, _request_ref(number))]
    bypass = _bypass_of(number)
    if bypass is not None:
        refs.append((Source.EMERGENCY, f"bypass:{bypass}"))
    done = False
    for source, ref in refs:
        need = S.need_from(source, ref)
        if need is None or not S.is_unserved(need):
            continue
        try:
            S.cancel_need(
                SYSTEM, need, reason=f"诉求{number}已{'关闭' if p.get('action') == 'close' else '撤销或合并'}"
            )
            done = True
        except DomainError as e:
            log.warning("need %s of request %s not cancelled: %s", need.pk, number, e.message)
    return done


def need_for_bypass(event) -> PoolNeed | None:
    p = event.payload or {}
    code = p.get("category")
    kind = (category_need(code) or (None, BYPASS_DEFAULT_KIND))[1]
    point = _grid_point(Grid.objects.filter(code=p.get("grid")).first())
    if point is None:
        log.warning("bypass %s: grid %r not found, no pool need", event.aggregate_id, p.get("grid"))
        return None
    return _raise(
        Source.EMERGENCY,
        f"bypass:{event.aggregate_id}",
        title=f"紧急先行处置：{_category_name(code) if code else ''}"[:120],
        kind=kind,
        quantity=1,
        priority=Priority.EMERGENCY,
        lon=point[0],
        lat=point[1],
    )


# Only the request steps that raise or cancel a need (dispatch, the endings) and the bypass: the other
# request events (about ten per request) are never handed to this subscriber.
CASES_EVENT_TYPES = {"cases.bypass.started", "cases.request.dispatch"} | {f"cases.request.{a}" for a in ENDING_ACTIONS}


def on_cases_event(event) -> None:
    if event.type == "cases.bypass.started":
        need_for_bypass(event)
        return
    action = event.type.removeprefix("cases.request.")
    if action == "dispatch":
        need_for_request(event)
    elif action in ENDING_ACTIONS:
        cancel_request_need(event)


@subscriber(CASES_SUBSCRIBER, types=CASES_EVENT_TYPES, batch=True)
def on_cases_events(batch: list) -> None:
    """A batch in one transaction (the dispatcher's), in outbox order."""
    for event in batch:
        on_cases_event(event)
