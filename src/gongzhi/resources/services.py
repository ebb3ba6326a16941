"""Common-pool use cases: offer a resource, raise a need, match, respond, deliver, repair.

One function per use case, one transaction each, each emitting its events.
The matching is done by :mod:`gongzhi.resources.matching` (min-cost flow);
this module turns rows into its dataclasses and its plan back into rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone

from gongzhi.core import approvals
from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.org import geo
from gongzhi.org import permissions as perm
from gongzhi.org.kinds import StaffRoleKind as R
from gongzhi.org.models import Unit

from . import contracts as C
from . import matching as M
from .models import Assignment, Kind, MatchRun, PoolNeed, PoolResource, Priority, Source

# ----------------------------------------------------------------- permissions
# Pool actions by role, within the region subtree of the role, registered in
# gongzhi.org.permissions (the one place that decides).
OFFER = "pool_offer"  # offer / withdraw a resource of a unit in scope
RAISE = "pool_raise"  # raise / cancel a need in scope
MATCH = "pool_match"  # run the matcher over a region in scope
RESPOND = "pool_respond"  # the owner's answer, dispatch
RECEIVE = "pool_receive"  # the recipient confirms delivery

POOL_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({OFFER, RAISE, MATCH, RESPOND, RECEIVE}),
    R.STREET_CADRE: frozenset({OFFER, RAISE, MATCH, RESPOND, RECEIVE}),
    R.COMMUNITY_CADRE: frozenset({OFFER, RAISE, RESPOND, RECEIVE}),
    R.GRID_WORKER: frozenset({RAISE, RECEIVE}),
    R.DEPARTMENT_STAFF: frozenset(),
    R.AUDITOR: frozenset(),
}
# Actions a role allows for its own unit's resources only (a department offers and answers for itself).
OWN_UNIT_ACTIONS: dict[str, frozenset[str]] = {
    R.DISTRICT_ADMIN: frozenset({OFFER, RESPOND}),
    R.STREET_CADRE: frozenset({OFFER, RESPOND}),
    R.COMMUNITY_CADRE: frozenset({OFFER, RESPOND}),
    R.DEPARTMENT_STAFF: frozenset({OFFER, RESPOND}),
}
ACTION_LABELS = {OFFER: "提供资源", RAISE: "登记需求", MATCH: "运行匹配", RESPOND: "答复分配", RECEIVE: "确认收货"}


# registered in the one permission table from the app's manifest (apps.py)
pool_paths = perm.scope_paths
can = perm.allowed
require = perm.require
pool_scope = perm.scope


def can_for_owner(user, action: str, owner: Unit) -> bool:
    """Offer / answer for a unit: a role at that unit, or the action over the unit's region."""
    if perm.is_system(user):
        return True
    if any(r.unit_id == owner.pk and action in OWN_UNIT_ACTIONS.get(r.role, ()) for r in perm._roles(user)):
        return True
    return can(user, action, owner.region)


def can_respond(user, resource: PoolResource) -> bool:
    return can_for_owner(user, RESPOND, resource.owner)


# ----------------------------------------------------------------- helpers


def _now():
    return timezone.now()


# Row locks here take only the row they change (``of=("self",)``) as ``FOR NO KEY UPDATE``, which lets
# other transactions go on inserting rows that reference it (a foreign key takes ``FOR KEY SHARE``),
# and several rows in primary-key order. Every use case that changes assignments first takes the pool
# lock, so they queue in one order: matching and repair plan from the whole pool's capacity, and a
# plan made while another transaction rewrites it would be wrong, or deadlock with it (issue 17).
_POOL_LOCK = 0x677A_706C  # "gzpl"


def _lock_pool() -> None:
    """Queue behind any other use case changing the pool's assignments (a PostgreSQL transaction-level
    advisory lock, released at commit or rollback; SQLite serialises writers by itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_POOL_LOCK])


def _lock(model, pk):
    return model.objects.select_for_update(of=("self",), no_key=True).get(pk=pk)


def _bump(model, obj, expected_version: int | None, **fields) -> None:
    qs = model.objects.filter(pk=obj.pk)
    if expected_version is not None:
        qs = qs.filter(version=expected_version)
    if qs.update(version=F("version") + 1, **fields) == 0:
        raise Conflict(f"“{obj}”已被他人修改，请刷新后重试")
    obj.refresh_from_db()


def _clean_list(values, field: str) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str):
        values = [v for v in values.replace("，", ",").split(",")]
    out = sorted({str(v).strip() for v in values if str(v).strip()})
    return out


def _clean_levels(levels, field: str) -> dict[str, int]:
    if not levels:
        return {}
    if isinstance(levels, str):  # "law:2, medicine:1"
        parsed = {}
        for part in levels.replace("，", ",").split(","):
            if not part.strip():
                continue
            name, _, lvl = part.partition(":")
            try:
                parsed[name.strip()] = int(lvl)
            except ValueError:
                raise DomainError(f"资质写法为“领域:等级”，如 law:2；“{part.strip()}”无法识别", field=field) from None
        levels = parsed
    out = {}
    for k, v in dict(levels).items():
        if not str(k).strip() or isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise DomainError(f"资质“{k}”的等级须为≥1的整数", field=field)
        out[str(k).strip()] = v
    return out


def _locate(lon, lat, fallback_region: Region | None = None):
    """(grid, region) for a point; a point outside every grid is refused."""
    if lon is None or lat is None:
        raise DomainError("请填写位置（经纬度）", field="location")
    grid = geo.locate(float(lon), float(lat))
    return grid, grid.region


def _check_window(start, end, field: str) -> None:
    if start is not None and end is not None and start >= end:
        raise DomainError("开始时间须早于结束时间", field=field)


def _positive(q, field: str) -> int:
    if isinstance(q, bool) or not isinstance(q, int) or q <= 0:
        raise DomainError("数量须为正整数", field=field)
    return q


def used_by_resource(ids=None) -> dict[int, int]:
    """Units of each resource taken by active assignments and deliveries."""
    qs = Assignment.objects.filter(Q(status__in=Assignment.ACTIVE) | Q(status=Assignment.Status.DELIVERED))
    if ids is not None:
        qs = qs.filter(resource_id__in=list(ids))
    out: dict[int, int] = defaultdict(int)
    for rid, status, q, dq in qs.values_list("resource_id", "status", "quantity", "delivered_quantity"):
        out[rid] += dq if status == Assignment.Status.DELIVERED else q
    return out


def need_progress(need: PoolNeed) -> dict[str, int]:
    """Partial fulfilment: proposed / committed / in transit / fulfilled / open quantities."""
    rows = need.assignments.values("status").annotate(q=Sum("quantity"), dq=Sum("delivered_quantity"))
    by = {r["status"]: r for r in rows}
    S = Assignment.Status
    out = {
        "proposed": (by.get(S.PROPOSED) or {}).get("q") or 0,
        "committed": (by.get(S.ACCEPTED) or {}).get("q") or 0,
        "in_transit": (by.get(S.IN_TRANSIT) or {}).get("q") or 0,
        "fulfilled": (by.get(S.DELIVERED) or {}).get("dq") or 0,
    }
    out["open"] = max(0, need.quantity - sum(out.values()))
    out["quantity"] = need.quantity
    return out


# ----------------------------------------------------------------- offer / raise


@transaction.atomic
def offer_resource(
    actor,
    *,
    owner: Unit,
    name: str,
    kind: str,
    quantity: int,
    lon=None,
    lat=None,
    unit_label: str = "",
    skills=(),
    certificates=None,
    available_from=None,
    available_until=None,
    share_with_paired: bool = False,
    use_cost: int = 0,
    conditions: str = "",
    volunteer=None,
) -> PoolResource:
    """A unit offers a resource to the pool: it keeps ownership, the pool gets use rights."""
    if owner is None:
        raise DomainError("请选择资源所属单位", field="owner")
    if not can_for_owner(actor, OFFER, owner):
        raise Forbidden(f"无权以“{owner}”的名义提供资源")
    if not (name or "").strip():
        raise DomainError("请填写资源名称", field="name")
    if kind not in Kind.values:
        raise DomainError(f"未知的资源类别：{kind}；可选 {', '.join(Kind.values)}", field="kind")
    _positive(quantity, "quantity")
    if isinstance(use_cost, bool) or not isinstance(use_cost, int) or use_cost < 0:
        raise DomainError("使用成本须为≥0的整数", field="use_cost")
    _check_window(available_from, available_until, "available_until")
    if lon is None and lat is None and owner.lon is not None:
        lon, lat = owner.lon, owner.lat
    grid, region = _locate(lon, lat)
    r = PoolResource.objects.create(
        name=name.strip(),
        owner=owner,
        kind=kind,
        quantity=quantity,
        unit_label=unit_label,
        skills=_clean_list(skills, "skills"),
        certificates=_clean_levels(certificates, "certificates"),
        available_from=available_from,
        available_until=available_until,
        lon=float(lon),
        lat=float(lat),
        grid=grid,
        region=region,
        share_with_paired=share_with_paired,
        use_cost=use_cost,
        conditions=conditions,
        volunteer=volunteer,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    emit(
        C.RESOURCE_OFFERED,
        aggregate_type="pool_resource",
        aggregate_id=r.pk,
        region=region,
        actor=actor,
        payload={
            "name": r.name,
            "owner": owner.code,
            "kind": kind,
            "quantity": quantity,
            "grid": grid.code,
            "shared_with_paired": share_with_paired,
        },
    )
    return r


@transaction.atomic
def raise_need(
    actor,
    *,
    title: str,
    kind: str,
    quantity: int,
    priority=Priority.BASIC,
    lon=None,
    lat=None,
    source: str = Source.DIRECT,
    source_ref: str = "",
    skills=(),
    certificates=None,
    window_start=None,
    window_end=None,
    deadline=None,
    max_distance_m: int | None = None,
) -> PoolNeed:
    """Register a need with its priority class (emergency before livelihood before development)."""
    if not (title or "").strip():
        raise DomainError("请填写需求内容", field="title")
    if kind not in Kind.values:
        raise DomainError(f"未知的需求类别：{kind}；可选 {', '.join(Kind.values)}", field="kind")
    try:
        priority = int(M.Priority.parse(priority))
    except ValueError:
        raise DomainError("优先级须为 emergency / basic / development", field="priority") from None
    if source not in Source.values:
        raise DomainError(f"未知的需求来源：{source}", field="source")
    _positive(quantity, "quantity")
    _check_window(window_start, window_end, "window_end")
    if deadline is not None and window_start is not None and deadline <= window_start:
        raise DomainError("截止时间须晚于需要开始时间", field="deadline")
    if max_distance_m is not None and (not isinstance(max_distance_m, int) or max_distance_m <= 0):
        raise DomainError("最大距离须为正整数（米）", field="max_distance_m")
    grid, region = _locate(lon, lat)
    require(actor, RAISE, region)
    n = PoolNeed.objects.create(
        title=title.strip(),
        kind=kind,
        quantity=quantity,
        priority=priority,
        source=source,
        source_ref=source_ref,
        skills=_clean_list(skills, "skills"),
        certificates=_clean_levels(certificates, "certificates"),
        window_start=window_start,
        window_end=window_end,
        deadline=deadline,
        max_distance_m=max_distance_m,
        lon=float(lon),
        lat=float(lat),
        grid=grid,
        region=region,
        raised_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    emit(
        C.NEED_RAISED,
        aggregate_type="pool_need",
        aggregate_id=n.pk,
        region=region,
        actor=actor,
        payload={
            "title": n.title,
            "kind": kind,
            "quantity": quantity,
            "priority": Priority(priority).name.lower(),
            "source": source,
            "grid": grid.code,
        },
    )
    return n


@transaction.atomic
def cancel_need(actor, need: PoolNeed, *, reason: str = "") -> PoolNeed:
    require(actor, RAISE, need.region)
    _lock_pool()
    _lock(PoolNeed, need.pk)
    need.refresh_from_db()
    if need.status != PoolNeed.Status.OPEN:
        raise DomainError("只有待满足的需求可以取消", field="status")
    if need.assignments.filter(status__in=[Assignment.Status.ACCEPTED, Assignment.Status.IN_TRANSIT]).exists():
        raise DomainError("已有资源方承诺或在途，不能取消；请先与资源方协商", code=C.ResourcesError.COMMITTED)
    need.assignments.filter(status=Assignment.Status.PROPOSED).update(
        status=Assignment.Status.SUPERSEDED, reason="需求已取消"
    )
    _bump(PoolNeed, need, None, status=PoolNeed.Status.CANCELLED, closed_at=_now())
    emit(
        C.NEED_CANCELLED,
        aggregate_type="pool_need",
        aggregate_id=need.pk,
        region=need.region,
        actor=actor,
        payload={"reason": reason},
    )
    return need


# ----------------------------------------------------------------- to the matcher


class _Builder:
    """Turns rows into matching dataclasses with a common local projection."""

    def __init__(self, config: M.MatchConfig = M.DEFAULT_CONFIG):
        self.config = config
        ref = Region.objects.filter(level="district").order_by("code").first()
        from gongzhi.org.models import Grid

        g = Grid.objects.order_by("code").values("centroid_lon", "centroid_lat").first()
        self.lon0, self.lat0 = (g["centroid_lon"], g["centroid_lat"]) if g else (0.0, 0.0)
        self.district = ref
        self._street: dict[int, Region | None] = {}
        self.today = timezone.localdate()

    def xy(self, lon, lat):
        return M.lonlat_to_xy(lon, lat, lon0=self.lon0, lat0=self.lat0)

    def street(self, region: Region) -> Region | None:
        if region.pk not in self._street:
            self._street[region.pk] = region.ancestor_at("street")
        return self._street[region.pk]

    def resource(self, r: PoolResource, capacity: int, rid=None) -> M.Resource:
        owner_level = r.owner.region.level
        st = None if owner_level in ("city", "district") else self.street(r.region)
        shared = frozenset()
        if st is not None and r.share_with_paired and st.paired_with_id:
            shared = frozenset({st.paired_with.code})
        skills, certs = set(r.skills), dict(r.certificates)
        if r.volunteer_id:
            skills |= set(r.volunteer.skills)
            for c in r.volunteer.certificates.all():
                if c.valid_on(self.today):
                    certs[c.field] = max(certs.get(c.field, 0), c.level)
        x, y = self.xy(r.lon, r.lat)
        return M.Resource(
            id=r.pk if rid is None else rid,
            owner=r.owner.name,
            kind=r.kind,
            capacity=max(0, capacity),
            x=x,
            y=y,
            skills=frozenset(skills),
            certificates=certs,
            available=M.Window(r.available_from, r.available_until),
            region=st.code if st else None,
            shareable_with=shared,
            use_cost=r.use_cost,
            conditions=(r.conditions,) if r.conditions else (),
        )

    def need(self, n: PoolNeed, quantity: int) -> M.Need:
        st = self.street(n.region)
        x, y = self.xy(n.lon, n.lat)
        return M.Need(
            id=n.pk,
            kind=n.kind,
            quantity=quantity,
            priority=n.priority,
            x=x,
            y=y,
            skills=frozenset(n.skills),
            certificates=dict(n.certificates),
            window=M.Window(n.window_start, n.window_end),
            deadline=n.deadline,
            region=st.code if st else None,
            max_distance_m=float(n.max_distance_m) if n.max_distance_m else None,
            source=n.source,
        )


def _resource_rows():
    return (
        PoolResource.objects.filter(status=PoolResource.Status.ACTIVE)
        .select_related("owner__region", "region", "volunteer")
        .prefetch_related("volunteer__certificates")
    )


def _store(
    a: M.Assignment, run: MatchRun, need_id: int, resource_id: int, quantity: int | None = None, note: str = ""
) -> Assignment:
    ex = a.explanation
    return Assignment(
        need_id=need_id,
        resource_id=resource_id,
        run=run,
        quantity=quantity or a.quantity,
        distance_m=round(a.distance_m, 1),
        unit_cost=a.unit_cost,
        rank=a.rank,
        candidates=a.candidates,
        explanation=ex.text,
        checks=[{"rule": c.rule, "passed": c.passed, "detail": c.detail} for c in ex.checks],
        note=(note or a.note)[:300],
    )


@transaction.atomic
def run_matching(
    actor, *, region: Region | None = None, method: str = "flow", config: M.MatchConfig = M.DEFAULT_CONFIG
) -> MatchRun:
    """Match the open needs of ``region`` (default: the actor's home region) to the pool.

    Proposals not yet answered in that region are replaced by the new plan;
    commitments (accepted, in transit, delivered) are kept and their units
    are not offered again.
    """
    region = region or perm.home_region(actor)
    if region is None:
        raise Forbidden("无权运行匹配")
    require(actor, MATCH, region)
    if method not in ("flow", "greedy"):
        raise DomainError("匹配方法须为 flow 或 greedy", field="method")
    _lock_pool()
    needs = list(
        PoolNeed.objects.select_for_update(of=("self",), no_key=True)
        .filter(status=PoolNeed.Status.OPEN, region__path__startswith=region.path)
        .order_by("pk")
    )
    superseded = Assignment.objects.filter(need__in=needs, status=Assignment.Status.PROPOSED).update(
        status=Assignment.Status.SUPERSEDED, reason="被新一轮匹配替代"
    )
    b = _Builder(config)
    rows = list(_resource_rows())
    used = used_by_resource(r.pk for r in rows)
    resources = [b.resource(r, r.quantity - used.get(r.pk, 0)) for r in rows]
    resources = [r for r in resources if r.capacity > 0]
    mneeds = []
    for n in needs:
        left = need_progress(n)["open"]
        if left > 0:
            mneeds.append(b.need(n, left))
    plan = (M.solve if method == "flow" else M.greedy)(resources, mneeds, config)
    run = MatchRun.objects.create(
        method=plan.method,
        region=region,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        seconds=plan.seconds,
        needs=len(mneeds),
        resources=len(resources),
        assignments=len(plan.assignments),
        served=plan.served_total,
        demand=sum(n.quantity for n in mneeds),
        total_cost=plan.total_cost,
    )
    Assignment.objects.bulk_create([_store(a, run, a.need_id, a.resource_id) for a in plan.assignments])
    emit(
        C.MATCHED,
        aggregate_type="match_run",
        aggregate_id=run.pk,
        region=region,
        actor=actor,
        payload={
            "method": plan.method,
            "needs": run.needs,
            "resources": run.resources,
            "served": run.served,
            "demand": run.demand,
            "total_cost": run.total_cost,
            "replaced_proposals": superseded,
            "shortfalls": {str(k): v for k, v in plan.shortfalls.items()},
        },
    )
    return run


def suggestions(need: PoolNeed, *, limit: int = 5) -> list[dict]:
    """The cheapest feasible resources for one need, with free quantity and rule checks (a need's page)."""
    left = need_progress(need)["open"] or need.quantity
    b = _Builder()
    rows = list(_resource_rows())
    used = used_by_resource(r.pk for r in rows)
    by_id = {r.pk: r for r in rows}
    res = [b.resource(r, r.quantity - used.get(r.pk, 0)) for r in rows]
    out = []
    for s in M.suggest(b.need(need, left), res, limit=limit):
        out.append(
            {
                "resource": by_id[s.resource.id],
                "distance_m": round(s.distance_m),
                "unit_cost": s.unit_cost,
                "available": s.available,
                "checks": [{"rule": c.rule, "passed": c.passed, "detail": c.detail} for c in s.checks],
            }
        )
    return out


# ----------------------------------------------------------------- repair on drop-out


def _repair(
    actor, *, drop_resource: PoolResource | None = None, drop_assignment: Assignment | None = None, reason: str
) -> MatchRun | None:
    """Repair the live plan after a resource drops out (or an owner declines one assignment).

    The live plan is every proposed or accepted assignment; capacities and
    demands are net of what is in transit or delivered.  Only needs that lose
    units are re-solved (``matching.repair``); a need of higher priority may
    take units proposed or committed to one of lower priority, which is then
    repaired in turn.  Nothing else changes.
    """
    S = Assignment.Status
    b = _Builder()
    rows = {r.pk: r for r in _resource_rows()}
    if drop_resource is not None:
        rows[drop_resource.pk] = drop_resource
    live = list(
        Assignment.objects.filter(
            status__in=[S.PROPOSED, S.ACCEPTED], need__status=PoolNeed.Status.OPEN
        ).select_related("need__region", "resource")
    )
    for a in live:
        rows.setdefault(a.resource_id, a.resource)
    hard = defaultdict(int)  # resource -> units in transit or delivered
    hard_need = defaultdict(int)
    for a in Assignment.objects.filter(status__in=[S.IN_TRANSIT, S.DELIVERED]).values(
        "resource_id", "need_id", "status", "quantity", "delivered_quantity"
    ):
        q = a["delivered_quantity"] if a["status"] == S.DELIVERED else a["quantity"]
        hard[a["resource_id"]] += q
        hard_need[a["need_id"]] += q
    pseudo = None
    if drop_assignment is not None:
        pseudo = f"a{drop_assignment.pk}"
    resources = {}
    for pk, r in rows.items():
        cap = r.quantity - hard[pk]
        if drop_assignment is not None and pk == drop_assignment.resource_id:
            cap -= drop_assignment.quantity
        resources[pk] = b.resource(r, cap)
    if pseudo is not None:
        resources[pseudo] = b.resource(rows[drop_assignment.resource_id], drop_assignment.quantity, rid=pseudo)
    needs_rows = {a.need_id: a.need for a in live}
    mneeds = {}
    for nid, n in needs_rows.items():
        q = n.quantity - hard_need[nid]
        if q > 0:
            mneeds[nid] = b.need(n, q)
    current = []
    for a in live:
        if a.need_id not in mneeds:
            continue
        rid = pseudo if drop_assignment is not None and a.pk == drop_assignment.pk else a.resource_id
        current.append(
            M.Assignment(
                need=mneeds[a.need_id],
                resource=resources[rid],
                quantity=a.quantity,
                distance_m=a.distance_m,
                unit_cost=a.unit_cost,
                rank=a.rank,
                candidates=a.candidates,
            )
        )
    plan = M.Plan(
        method="min-cost-flow", resources=resources, needs=mneeds, assignments=current, config=M.DEFAULT_CONFIG
    )
    dropped = pseudo if pseudo is not None else drop_resource.pk
    if dropped not in resources:
        return None
    fixed = M.repair(plan, [dropped])
    # diff the plans: (need, resource) -> units
    old = defaultdict(int)
    for a in current:
        old[(a.need_id, a.resource_id)] += a.quantity
    new = defaultdict(int)
    new_rows = {}
    for a in fixed.assignments:
        new[(a.need_id, a.resource_id)] += a.quantity
        new_rows[(a.need_id, a.resource_id)] = a
    by_key = defaultdict(list)
    for a in live:
        rid = pseudo if drop_assignment is not None and a.pk == drop_assignment.pk else a.resource_id
        by_key[(a.need_id, rid)].append(a)
    run = MatchRun.objects.create(
        method=fixed.method,
        region=b.district,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        seconds=fixed.seconds,
        needs=len(fixed.affected),
        resources=len(resources),
        note=reason[:300],
    )
    created, reduced = [], 0
    for key in set(old) | set(new):
        o, n = old.get(key, 0), new.get(key, 0)
        if key[1] == dropped:
            continue  # the dropped rows are marked by the caller
        if n < o:
            cut = o - n
            # give up proposals before commitments
            for a in sorted(by_key[key], key=lambda a: (a.status != S.PROPOSED, -a.pk)):
                if not cut:
                    break
                take = min(cut, a.quantity)
                cut -= take
                reduced += 1
                if take == a.quantity:
                    Assignment.objects.filter(pk=a.pk).update(
                        status=S.DROPPED, reason="让给更高优先级的需求（修复）", version=F("version") + 1
                    )
                else:
                    Assignment.objects.filter(pk=a.pk).update(
                        quantity=a.quantity - take,
                        reason=f"减少{take}，让给更高优先级的需求（修复）",
                        version=F("version") + 1,
                    )
        elif n > o:
            created.append(_store(new_rows[key], run, key[0], key[1], quantity=n - o))
    Assignment.objects.bulk_create(created)
    run.assignments = len(created)
    run.served = sum(a.quantity for a in created)
    run.total_cost = sum(a.cost for a in created)
    run.save(update_fields=["assignments", "served", "total_cost"])
    return run


@transaction.atomic
def withdraw_resource(
    actor, resource: PoolResource, *, reason: str = "", expected_version: int | None = None
) -> MatchRun | None:
    """The owner takes the resource out of the pool; its open assignments are repaired elsewhere."""
    _lock_pool()
    resource = (
        PoolResource.objects.select_for_update(of=("self",), no_key=True)
        .select_related("owner__region", "region")
        .get(pk=resource.pk)
    )
    if not can_respond(actor, resource):
        raise Forbidden("只有资源所属单位可以撤回资源")
    if resource.status != PoolResource.Status.ACTIVE:
        raise DomainError("资源已撤回", field="status")
    if resource.assignments.filter(status=Assignment.Status.IN_TRANSIT).exists():
        raise DomainError("有在途的分配，请先完成送达再撤回", code=C.ResourcesError.IN_TRANSIT)
    _bump(PoolResource, resource, expected_version, status=PoolResource.Status.WITHDRAWN)
    run = _repair(actor, drop_resource=resource, reason=f"资源{resource.pk}撤回：{reason}")
    n = resource.assignments.filter(status__in=[Assignment.Status.PROPOSED, Assignment.Status.ACCEPTED]).update(
        status=Assignment.Status.DROPPED, reason=f"资源已撤回：{reason}"[:300], version=F("version") + 1
    )
    emit(
        C.RESOURCE_WITHDRAWN,
        aggregate_type="pool_resource",
        aggregate_id=resource.pk,
        region=resource.region,
        actor=actor,
        payload={"reason": reason, "dropped_assignments": n, "repair_run": run.pk if run else None},
    )
    return run


# ----------------------------------------------------------------- the loop


def _get_assignment(assignment, status_in) -> Assignment:
    _lock_pool()
    a = Assignment.objects.select_for_update(of=("self",), no_key=True).filter(pk=assignment.pk).first()
    if a is None:
        raise NotFound("分配不存在")
    if a.status not in status_in:
        raise Conflict(
            f"该分配当前状态为“{a.get_status_display()}”，不能执行此操作；请刷新", code=CoreError.INVALID_STATE
        )
    return a


@transaction.atomic
def respond(actor, assignment: Assignment, *, accept: bool, reason: str = "") -> Assignment:
    """The resource owner confirms (commits the units) or declines (the need is repaired elsewhere)."""
    a = _get_assignment(assignment, [Assignment.Status.PROPOSED])
    if not can_respond(actor, a.resource):
        raise Forbidden("只有资源所属单位可以答复该分配")
    user = actor if getattr(actor, "is_authenticated", False) else None
    if accept:
        if a.resource.kind == Kind.FUNDS:  # 三重一大: a large allocation of pooled funds needs an approved matter
            approvals.require_approved(
                "large_spending",
                ("pool_need", a.need_id),
                a.quantity,
                actor=actor,
                region=a.need.region,
                effect_ref=a.pk,
            )
        _bump(Assignment, a, None, status=Assignment.Status.ACCEPTED, responded_by=user, responded_at=_now())
    else:
        if not reason.strip():
            raise DomainError("拒绝时请说明原因", field="reason")
        _repair(actor, drop_assignment=a, reason=f"分配{a.pk}被拒绝：{reason}")
        _bump(
            Assignment,
            a,
            None,
            status=Assignment.Status.DECLINED,
            responded_by=user,
            responded_at=_now(),
            reason=reason[:300],
        )
    emit(
        C.RESPONSE,
        aggregate_type="pool_need",
        aggregate_id=a.need_id,
        region=a.need.region,
        actor=actor,
        payload={
            "assignment": a.pk,
            "resource": a.resource_id,
            "accepted": accept,
            "quantity": a.quantity,
            "reason": reason,
        },
    )
    return a


@transaction.atomic
def dispatch(actor, assignment: Assignment) -> Assignment:
    """The owner sends the committed units: they are now in transit."""
    a = _get_assignment(assignment, [Assignment.Status.ACCEPTED])
    if not can_respond(actor, a.resource):
        raise Forbidden("只有资源所属单位可以发出")
    _bump(Assignment, a, None, status=Assignment.Status.IN_TRANSIT)
    emit(
        C.DISPATCHED,
        aggregate_type="pool_need",
        aggregate_id=a.need_id,
        region=a.need.region,
        actor=actor,
        payload={"assignment": a.pk, "quantity": a.quantity},
    )
    return a


@transaction.atomic
def confirm_delivery(actor, assignment: Assignment, *, received: int, note: str = "") -> Assignment:
    """The recipient confirms the quantity received; the need closes when fulfilled."""
    a = _get_assignment(assignment, [Assignment.Status.ACCEPTED, Assignment.Status.IN_TRANSIT])
    require(actor, RECEIVE, a.need.region)
    if isinstance(received, bool) or not isinstance(received, int) or received < 0:
        raise DomainError("实收数量须为≥0的整数", field="received")
    if received > a.quantity:
        raise DomainError(f"实收数量{received}超过分配数量{a.quantity}", field="received")
    _bump(
        Assignment,
        a,
        None,
        status=Assignment.Status.DELIVERED,
        delivered_quantity=received,
        delivered_by=actor if getattr(actor, "is_authenticated", False) else None,
        delivered_at=_now(),
        reason=note[:300],
    )
    need = _lock(PoolNeed, a.need_id)
    progress = need_progress(need)
    if progress["fulfilled"] >= need.quantity and need.status == PoolNeed.Status.OPEN:
        need.assignments.filter(status=Assignment.Status.PROPOSED).update(
            status=Assignment.Status.SUPERSEDED, reason="需求已满足"
        )
        _bump(PoolNeed, need, None, status=PoolNeed.Status.CLOSED, closed_at=_now())
    emit(
        C.DELIVERED,
        aggregate_type="pool_need",
        aggregate_id=need.pk,
        region=need.region,
        actor=actor,
        payload={
            "assignment": a.pk,
            "quantity": a.quantity,
            "received": received,
            "progress": progress,
            "closed": need.status == PoolNeed.Status.CLOSED,
        },
    )
    return a


def inbox(user):
    """Proposals and commitments awaiting the user as a resource owner."""
    S = Assignment.Status
    qs = Assignment.objects.filter(status__in=[S.PROPOSED, S.ACCEPTED, S.IN_TRANSIT]).select_related(
        "need__region", "resource__owner__region"
    )
    if perm.is_system(user):
        return qs
    units = [r.unit_id for r in perm._roles(user) if RESPOND in OWN_UNIT_ACTIONS.get(r.role, ())]
    paths = pool_paths(user, RESPOND) or []
    cond = Q(resource__owner_id__in=units)
    for p in paths:
        cond |= Q(resource__owner__region__path__startswith=p)
    return qs.filter(cond) if (units or paths) else qs.none()


def get_need(user, pk) -> PoolNeed:
    n = PoolNeed.objects.select_related("region", "grid").filter(pk=pk).first()
    if n is None or not perm.allowed(user, perm.VIEW, n):
        raise NotFound("需求不存在或不在您的管辖范围内")
    return n


def visible_needs(user):
    return perm.scope(user, PoolNeed.objects.select_related("region"))


def visible_resources(user):
    """Every active resource is visible to a signed-in user (the pool is shared);
    withdrawn ones only within scope."""
    qs = PoolResource.objects.select_related("owner", "region")
    return qs.filter(Q(status=PoolResource.Status.ACTIVE) | Q(pk__in=perm.scope(user, qs).values("pk")))


def today() -> dt.date:
    return timezone.localdate()


# ----------------------------------------------------------------- needs from other modules


def need_from(source: str, source_ref: str) -> PoolNeed | None:
    """The need a source already raised for ``source_ref`` (each source reference raises one need)."""
    if not source_ref:
        return None
    return PoolNeed.objects.filter(source=source, source_ref=source_ref).order_by("id").first()


@transaction.atomic
def raise_need_once(actor, *, source: str, source_ref: str, **fields) -> tuple[PoolNeed, bool]:
    """:func:`raise_need` for a need fed by another module, at most once per ``(source, source_ref)``.
    Returns ``(need, created)``; a repeated call returns the existing need unchanged."""
    source_ref = (source_ref or "").strip()
    if not source_ref:
        raise DomainError("来自其他模块的需求须带来源编号", field="source_ref")
    if len(source_ref) > PoolNeed._meta.get_field("source_ref").max_length:
        raise DomainError("来源编号过长", field="source_ref")
    existing = need_from(source, source_ref)
    if existing is not None:
        return existing, False
    return raise_need(actor, source=source, source_ref=source_ref, **fields), True


def raise_emergency_need(
    actor,
    *,
    incident_ref: str,
    title: str,
    kind: str,
    quantity: int = 1,
    lon=None,
    lat=None,
    skills=(),
    certificates=None,
    deadline=None,
    window_start=None,
    window_end=None,
    max_distance_m: int | None = None,
) -> PoolNeed:
    """An emergency need (priority 应急, served before all others) for an incident desk: one need per
    ``incident_ref`` (a repeated call returns the need already raised)."""
    need, _created = raise_need_once(
        actor,
        source=Source.EMERGENCY,
        source_ref=f"incident:{incident_ref}",
        title=title,
        kind=kind,
        quantity=quantity,
        priority=Priority.EMERGENCY,
        lon=lon,
        lat=lat,
        skills=skills,
        certificates=certificates,
        deadline=deadline,
        window_start=window_start,
        window_end=window_end,
        max_distance_m=max_distance_m,
    )
    return need


def is_unserved(need: PoolNeed) -> bool:
    """Open, and nothing committed, in transit or delivered yet."""
    if need.status != PoolNeed.Status.OPEN:
        return False
    p = need_progress(need)
    return p["committed"] == 0 and p["in_transit"] == 0 and p["fulfilled"] == 0
