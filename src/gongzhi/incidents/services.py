"""Incident use cases: declare, mobilise, check in, assign, raise needs, note, publish desk counts,
stand down. Each runs in one transaction, checks :mod:`.perms`, validates, writes, logs and emits a
public event (personal fields only under ``payload["personal"]``).
"""

from __future__ import annotations

import datetime as dt

import shapely
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden, NotFound
from gongzhi.core.events import emit
from gongzhi.core.models import Region
from gongzhi.org import geo
from gongzhi.org import permissions as perm
from gongzhi.org.contracts import OrgError
from gongzhi.org.kinds import PARTY_KINDS, MemberRole
from gongzhi.org.models import Grid, GridAssignment, HouseholdLink, Membership, Person, Unit
from gongzhi.org.responsibility import handling_unit

from . import contracts, perms
from . import routing as inc_routing
from .contracts import IncidentsError
from .models import Incident, IncidentGrid, IncidentNeed, Kind, LogEntry, Mobilisation, Notification, Severity

PARTY_ROLES = (MemberRole.FULL_MEMBER, MemberRole.PROBATIONARY_MEMBER, MemberRole.SECRETARY)
MAX_GRIDS = 2000


def _now():
    return timezone.now()


def _user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# ----------------------------------------------------------------- reading


def visible_incidents(user):
    """Incidents the user may view: its region, or any affected grid, in the user's view scope."""
    qs = Incident.objects.select_related("region", "desk_unit")
    return perm.scope(user, qs, perm.VIEW, ("region", "area__grid__region"))


def get_incident(user, pk) -> Incident:
    inc = visible_incidents(user).filter(pk=pk).first()
    if inc is None:
        raise NotFound("应急事件不存在或不在您的管辖范围内")
    return inc


def get_by_code(user, code: str) -> Incident:
    inc = visible_incidents(user).filter(code=code).first()
    if inc is None:
        raise NotFound(f"应急事件{code}不存在或不在您的管辖范围内", field="incident")
    return inc


def grid_ids(incident: Incident) -> list[int]:
    return list(IncidentGrid.objects.filter(incident=incident).values_list("grid_id", flat=True))


def desk_requests(incident: Incident):
    """The requests the desk received: from the area, routed by the override while the incident was active."""
    from gongzhi.cases.models import ServiceRequest

    qs = ServiceRequest.objects.filter(
        grid_id__in=grid_ids(incident), created_at__gte=incident.declared_at, routing__fallback="override"
    )
    if incident.stood_down_at:
        qs = qs.filter(created_at__lt=incident.stood_down_at)
    return qs


# ----------------------------------------------------------------- helpers


def _log(incident, kind, text, *, actor, at=None, data=None) -> LogEntry:
    return LogEntry.objects.create(
        incident=incident, at=at or _now(), kind=kind, text=text[:300], actor=_user(actor), data=data or {}
    )


def _emit(incident, type_: contracts.EventType, payload, *, actor, aggregate_id=None):
    emit(
        type_,
        aggregate_type="incident",
        aggregate_id=aggregate_id or incident.code,
        region=incident.region,
        actor=actor,
        payload={"incident": incident.code, **payload},
    )


def _resolve_grids(grids, polygon) -> tuple[list[Grid], object | None]:
    chosen: dict[int, Grid] = {}
    codes = []
    for g in grids or ():
        if isinstance(g, Grid):
            chosen[g.pk] = g
        elif str(g).strip():
            codes.append(str(g).strip())
    if codes:
        found = {g.code: g for g in Grid.objects.filter(code__in=codes).select_related("region")}
        missing = [c for c in codes if c not in found]
        if missing:
            raise DomainError(
                f"网格不存在：{'、'.join(missing[:10])}；请检查网格编码", field="grids", code=CoreError.INVALID
            )
        chosen.update({g.pk: g for g in found.values()})
    geom = None
    if polygon:
        geom = geo.parse_polygon(polygon, field="polygon")
        cand = geo.grid_index().candidates(geom)
        for g in Grid.objects.filter(pk__in=cand).select_related("region"):
            if geo.overlap_m2(geom, shapely.geometry.shape(g.geometry)) > geo.OVERLAP_TOLERANCE_M2:
                chosen.setdefault(g.pk, g)
    if not chosen:
        raise DomainError(
            "影响范围为空：请选择至少一个网格，或划定一个覆盖网格的范围", field="grids", code=IncidentsError.EMPTY_AREA
        )
    if len(chosen) > MAX_GRIDS:
        raise DomainError(f"影响范围过大（超过{MAX_GRIDS}个网格），请分区宣布", field="grids")
    out = sorted(chosen.values(), key=lambda g: g.code)
    for g in out:
        if "region" not in g._state.fields_cache:
            g.region = Region.objects.get(pk=g.region_id)
    return out, geom


def _common_region(regions: list[Region]) -> Region:
    """The lowest region containing all, at least the street level (the desk sits at a street or above)."""
    parts = [r.path.strip("/").split("/") for r in regions]
    common = []
    for level in zip(*parts):
        if len(set(level)) != 1:
            break
        common.append(level[0])
    path = "/" + "/".join(common) + "/"
    region = Region.objects.get(path=path)
    while region.level == Region.Level.COMMUNITY and region.parent_id:
        region = region.parent
    return region


def _next_code(at) -> str:
    prefix = f"YJ{timezone.localtime(at):%Y%m%d}"
    n = Incident.objects.filter(code__startswith=prefix).count() + 1
    while Incident.objects.filter(code=f"{prefix}{n:03d}").exists():
        n += 1
    return f"{prefix}{n:03d}"


# ----------------------------------------------------------------- declare


@transaction.atomic
def declare(
    actor,
    *,
    name: str,
    kind: str,
    severity: int = Severity.IV,
    grids=(),
    polygon=None,
    desk_unit: Unit | None = None,
    description: str = "",
    at: dt.datetime | None = None,
    mobilise: bool = True,
) -> Incident:
    """Declare an incident for an area (grids and/or a GeoJSON polygon): from now on requests from the
    area go to the desk; party members and volunteers of the area are notified."""
    if not perms.can(actor, perms.DECLARE):
        raise Forbidden("无权宣布应急：需要街道(乡镇)干部或区级管理员角色")
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写事件名称", field="name")
    if len(name) > 120:
        raise DomainError("事件名称过长（最多120字）", field="name")
    if kind not in Kind.values:
        raise DomainError(f"未知的事件类型：{kind}；请从 {', '.join(Kind.values)} 中选择", field="kind")
    try:
        severity = int(severity)
    except (TypeError, ValueError):
        severity = 0
    if severity not in Severity.values:
        raise DomainError("响应级别须为1–4（Ⅰ级最高），请重新选择", field="severity")
    area, geom = _resolve_grids(grids, polygon)
    outside = [g for g in area if not perms.can(actor, perms.DECLARE, g.region)]
    if outside:
        raise Forbidden(
            f"影响范围超出您的管辖范围：{'、'.join(f'{g.name}（{g.region.name}）' for g in outside[:5])}"
            + ("等" if len(outside) > 5 else "")
            + "；请只选择您所辖街道(乡镇)的网格",
            field="grids",
        )
    busy = IncidentGrid.objects.filter(
        grid__in=area, active=True, incident__status=Incident.Status.ACTIVE
    ).select_related("incident", "grid")
    busy = list(busy)
    if busy:
        names = "、".join(sorted({b.incident.name for b in busy}))
        raise Conflict(
            f"以下网格已在应急响应中（{names}）：{'、'.join(b.grid.code for b in busy[:10])}；"
            "请先终止原事件或从范围中去掉这些网格",
            field="grids",
            code=OrgError.OVERLAP,
        )
    region = _common_region([g.region for g in area])
    if desk_unit is None:
        desk_unit = handling_unit(region)
        if desk_unit is None:
            raise DomainError(f"{region.name}没有可作为应急指挥席的单位，请指定指挥席单位", field="desk_unit")
    elif desk_unit.status != Unit.Status.ESTABLISHED:
        raise DomainError(f"{desk_unit.name}不是正常状态的单位，不能作为指挥席", field="desk_unit")
    at = at or _now()
    shapes = [shapely.geometry.shape(g.geometry) for g in area]
    geometry = geo.to_geojson(shapely.union_all(shapes))
    inc = Incident.objects.create(
        code=_next_code(at),
        name=name,
        kind=kind,
        severity=severity,
        description=(description or "").strip(),
        region=region,
        geometry=geometry,
        polygon=geo.to_geojson(geom) if geom is not None else None,
        desk_unit=desk_unit,
        declared_by=_user(actor),
        declared_at=at,
    )
    try:
        with transaction.atomic():
            IncidentGrid.objects.bulk_create([IncidentGrid(incident=inc, grid=g) for g in area])
    except IntegrityError:
        raise Conflict("所选网格刚被另一应急事件占用，请刷新后重试", field="grids", code=OrgError.OVERLAP) from None
    codes = [g.code for g in area]
    _log(
        inc,
        LogEntry.Kind.DECLARED,
        f"宣布{inc.get_kind_display()}应急（{inc.get_severity_display()}），影响{len(area)}个网格，"
        f"诉求直派{desk_unit.name}",
        actor=actor,
        at=at,
        data={"grids": codes},
    )
    _emit(
        inc,
        contracts.DECLARED,
        {
            "name": name,
            "kind": kind,
            "severity": severity,
            "region": region.code,
            "grids": codes,
            "desk_unit": desk_unit.code,
            "desk_unit_name": desk_unit.name,
            "declared_at": at.isoformat(),
        },
        actor=actor,
    )
    if mobilise:
        _mobilise(actor, inc, [g.pk for g in area], at=at)
    inc_routing.clear()
    transaction.on_commit(inc_routing.clear)
    return inc


# ----------------------------------------------------------------- mobilisation


def candidates(grid_pks: list[int], day: dt.date) -> dict[int, tuple[str, int, str]]:
    """``{person_id: (kind, grid_id, basis)}`` — party members who cover, link households in or live in the
    grids, and volunteers who live there (a party member who volunteers is called as a party member)."""
    active = Q(end_date__isnull=True) | Q(end_date__gte=day)
    codes = dict(Grid.objects.filter(pk__in=grid_pks).values_list("pk", "code"))
    found: dict[int, tuple[int, str]] = {}
    for pid, gid in (
        GridAssignment.objects.filter(active, grid_id__in=grid_pks, kind=GridAssignment.Kind.COVERAGE)
        .order_by("id")
        .values_list("person_id", "grid_id")
    ):
        found.setdefault(pid, (gid, f"包片网格{codes[gid]}"))
    for pid, gid in (
        HouseholdLink.objects.filter(active, household__grid_id__in=grid_pks)
        .order_by("id")
        .values_list("member_id", "household__grid_id")
    ):
        found.setdefault(pid, (gid, f"联系户在网格{codes[gid]}"))
    residents = dict(Person.objects.filter(household__grid_id__in=grid_pks).values_list("pk", "household__grid_id"))
    party = set(
        Membership.objects.filter(
            active, person_id__in=set(found) | set(residents), role__in=PARTY_ROLES, unit__kind__in=PARTY_KINDS
        ).values_list("person_id", flat=True)
    )
    out: dict[int, tuple[str, int, str]] = {}
    for pid in sorted(party):
        gid, basis = found.get(pid) or (residents[pid], f"居住在网格{codes[residents[pid]]}")
        out[pid] = (Mobilisation.Kind.PARTY_MEMBER, gid, basis)
    from gongzhi.volunteers.models import Volunteer

    vols = set(
        Volunteer.objects.filter(status=Volunteer.Status.ACTIVE, person_id__in=list(residents)).values_list(
            "person_id", flat=True
        )
    )
    vols |= set(
        Membership.objects.filter(active, person_id__in=list(residents), role=MemberRole.VOLUNTEER).values_list(
            "person_id", flat=True
        )
    )
    for pid in sorted(vols - party):
        out[pid] = (Mobilisation.Kind.VOLUNTEER, residents[pid], f"居住在网格{codes[residents[pid]]}（志愿者）")
    return out


def _mobilise(actor, inc: Incident, grid_pks: list[int], *, at) -> int:
    day = timezone.localdate(at)
    already = set(Mobilisation.objects.filter(incident=inc).values_list("person_id", flat=True))
    found = {pid: v for pid, v in candidates(grid_pks, day).items() if pid not in already}
    regions = dict(Person.objects.filter(pk__in=list(found)).values_list("pk", "region_id"))
    rows = [
        Mobilisation(
            incident=inc, person_id=pid, kind=kind, grid_id=gid, region_id=regions[pid], basis=basis, notified_at=at
        )
        for pid, (kind, gid, basis) in found.items()
    ]
    Mobilisation.objects.bulk_create(rows, batch_size=500)
    body = (
        f"{inc.name}：您所在网格已启动应急响应（{inc.get_severity_display()}）。请到{inc.desk_unit.name}"
        f"应急指挥席或在共治平台报到，听候任务分派。"
    )
    Notification.objects.bulk_create(
        [
            Notification(person_id=pid, incident=inc, title=f"应急动员：{inc.name}", body=body, created_at=at)
            for pid in found
        ],
        batch_size=500,
    )
    n_party = sum(1 for v in found.values() if v[0] == Mobilisation.Kind.PARTY_MEMBER)
    n_vol = len(found) - n_party
    _log(
        inc,
        LogEntry.Kind.MOBILISED,
        f"动员通知：党员{n_party}人、志愿者{n_vol}人（站内通知，未发短信）",
        actor=actor,
        at=at,
        data={"party_member": n_party, "volunteer": n_vol},
    )
    _emit(
        inc,
        contracts.MOBILISED,
        {"party_member": n_party, "volunteer": n_vol, "notified": len(found), "channel": "in_app"},
        actor=actor,
    )
    return len(found)


@transaction.atomic
def mobilise(actor, incident: Incident) -> int:
    """Notify the party members and volunteers of the area not yet called (e.g. after people moved in)."""
    inc = Incident.objects.select_for_update(of=("self",), no_key=True).get(pk=incident.pk)
    perms.require(actor, perms.OPERATE, inc)
    _active(inc)
    return _mobilise(actor, inc, grid_ids(inc), at=_now())


def _active(inc: Incident) -> None:
    if inc.status != Incident.Status.ACTIVE:
        raise DomainError(f"{inc.name}已终止应急响应，不能再办理", field="status", code=CoreError.INVALID_STATE)


def _bump(model, obj, expected_version, **fields) -> None:
    version = obj.version if expected_version is None else int(expected_version)
    n = model.objects.filter(pk=obj.pk, version=version).update(version=version + 1, **fields)
    if n == 0:
        raise Conflict("记录已被他人修改，请刷新后重试", field="version")
    for k, v in fields.items():
        setattr(obj, k, v)
    obj.version = version + 1


def get_mobilisation(user, pk) -> Mobilisation:
    m = (
        Mobilisation.objects.select_related(
            "incident", "incident__region", "incident__desk_unit", "person", "region", "grid"
        )
        .filter(pk=pk)
        .first()
    )
    if m is None or not (is_self(user, m) or visible_incidents(user).filter(pk=m.incident_id).exists()):
        raise NotFound("动员记录不存在或不在您的管辖范围内")
    return m


def is_self(user, m: Mobilisation) -> bool:
    return bool(getattr(user, "is_authenticated", False) and m.person.user_id == user.pk)


def _personal(m: Mobilisation) -> dict:
    return {"personal": {"name": m.person.name, "person_id": m.person_id}}


@transaction.atomic
def check_in(actor, m: Mobilisation, *, expected_version=None, at=None) -> Mobilisation:
    """A mobilised person reports for duty (themselves, or checked in by a cadre/grid worker of their area)."""
    if not is_self(actor, m):
        perms.require(actor, perms.CHECK_IN, m.region)
    _active(m.incident)
    if m.checked_in_at is not None:
        raise Conflict(
            f"{m.person.name}已于{timezone.localtime(m.checked_in_at):%m-%d %H:%M}报到",
            field="status",
            code=CoreError.INVALID_STATE,
        )
    at = at or _now()
    _bump(Mobilisation, m, expected_version, status=Mobilisation.Status.CHECKED_IN, checked_in_at=at)
    _log(
        m.incident,
        LogEntry.Kind.CHECKED_IN,
        f"{m.get_kind_display()}报到（网格{m.grid.code if m.grid else '—'}）",
        actor=actor,
        at=at,
        data={"mobilisation": m.pk},
    )
    _emit(
        m.incident,
        contracts.CHECKED_IN,
        {
            "mobilisation": m.pk,
            "kind": m.kind,
            "grid": m.grid.code if m.grid else None,
            "at": at.isoformat(),
            **_personal(m),
        },
        actor=actor,
    )
    return m


@transaction.atomic
def assign(actor, m: Mobilisation, *, task: str, need=None, expected_version=None, at=None) -> Mobilisation:
    """Give a checked-in person a task (optionally serving one of the incident's pool needs)."""
    perms.require(actor, perms.OPERATE, m.region)
    _active(m.incident)
    task = (task or "").strip()
    if not task:
        raise DomainError("请填写任务内容", field="task")
    if len(task) > 200:
        raise DomainError("任务内容过长（最多200字）", field="task")
    if m.checked_in_at is None:
        raise DomainError(
            f"{m.person.name}尚未报到，请先登记报到再分派任务", field="status", code=CoreError.INVALID_STATE
        )
    if need is not None and not IncidentNeed.objects.filter(incident=m.incident, need=need).exists():
        raise DomainError("所选需求不属于本事件", field="need")
    at = at or _now()
    _bump(Mobilisation, m, expected_version, status=Mobilisation.Status.ASSIGNED, task=task, need=need, assigned_at=at)
    _log(
        m.incident,
        LogEntry.Kind.ASSIGNED,
        f"分派任务：{task}",
        actor=actor,
        at=at,
        data={"mobilisation": m.pk, "need": need.pk if need else None},
    )
    _emit(
        m.incident,
        contracts.ASSIGNED,
        {"mobilisation": m.pk, "kind": m.kind, "task": task, "need": need.pk if need else None, **_personal(m)},
        actor=actor,
    )
    return m


# ----------------------------------------------------------------- needs, notes, counts


@transaction.atomic
def raise_need(
    actor,
    incident: Incident,
    *,
    title: str,
    kind: str,
    quantity: int = 1,
    lon=None,
    lat=None,
    skills=(),
    deadline=None,
    at=None,
):
    """Raise an emergency need of the incident to the common pool (priority 应急)."""
    from gongzhi.resources.services import raise_emergency_need

    inc = Incident.objects.select_for_update(of=("self",), no_key=True).get(pk=incident.pk)
    perms.require(actor, perms.OPERATE, inc)
    _active(inc)
    ids = set(grid_ids(inc))
    if lon in (None, "") or lat in (None, ""):
        g = Grid.objects.filter(pk__in=ids).order_by("code").first()
        lon, lat = g.centroid_lon, g.centroid_lat
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise DomainError("经纬度须为数字", field="location") from None
    if geo.grid_index().locate(lon, lat) not in ids:
        raise DomainError("需求位置须在事件影响范围内", field="location")
    n = IncidentNeed.objects.filter(incident=inc).count() + 1
    if isinstance(skills, str):
        skills = [s.strip() for s in skills.replace("，", ",").split(",") if s.strip()]
    need = raise_emergency_need(
        actor,
        incident_ref=f"{inc.code}-{n}",
        title=title,
        kind=kind,
        quantity=quantity,
        lon=lon,
        lat=lat,
        skills=skills,
        deadline=deadline,
    )
    IncidentNeed.objects.create(incident=inc, need=need, created_at=at or _now())
    _log(
        inc,
        LogEntry.Kind.NEED,
        f"需求上池：{need.title} ×{need.quantity}（{need.get_kind_display()}）",
        actor=actor,
        at=at,
        data={"need": need.pk},
    )
    _emit(
        inc,
        contracts.NEED_RAISED,
        {
            "need": need.pk,
            "title": need.title,
            "kind": need.kind,
            "quantity": need.quantity,
            "grid": need.grid.code if need.grid else None,
        },
        actor=actor,
    )
    return need


@transaction.atomic
def add_note(actor, incident: Incident, *, text: str, at=None) -> LogEntry:
    perms.require(actor, perms.OPERATE, incident)
    _active(incident)
    text = (text or "").strip()
    if not text:
        raise DomainError("请填写情况记录", field="text")
    if len(text) > 300:
        raise DomainError("情况记录过长（最多300字）", field="text")
    e = _log(incident, LogEntry.Kind.NOTE, text, actor=actor, at=at)
    _emit(incident, contracts.NOTE, {"text": text}, actor=actor)
    return e


def request_counts(incident: Incident) -> dict:
    from gongzhi.cases.models import State

    rows = {}
    for s in desk_requests(incident).values_list("state", flat=True):
        rows[s] = rows.get(s, 0) + 1
    done = sum(rows.get(s, 0) for s in (State.RESOLVED, State.CONFIRMED, State.CLOSED))
    return {"received": sum(rows.values()), "resolved": done, "by_state": rows}


def _publish_counts(actor, inc: Incident, at=None) -> dict:
    c = request_counts(inc)
    _log(
        inc,
        LogEntry.Kind.COUNTS,
        f"指挥席受理诉求{c['received']}件，已办结{c['resolved']}件",
        actor=actor,
        at=at,
        data=c,
    )
    _emit(inc, contracts.DESK_COUNTS, c, actor=actor)
    return c


@transaction.atomic
def publish_counts(actor, incident: Incident) -> dict:
    """Put the desk's routing counts (requests received, by state) on the public record now."""
    perms.require(actor, perms.OPERATE, incident)
    return _publish_counts(actor, incident)


# ----------------------------------------------------------------- stand down


@transaction.atomic
def stand_down(
    actor, incident: Incident, *, note: str = "", expected_version=None, at: dt.datetime | None = None
) -> Incident:
    """End the response: routing returns to the responsibility lists; the after-action report is final."""
    inc = (
        Incident.objects.select_for_update(of=("self",), no_key=True)
        .select_related("region", "desk_unit")
        .get(pk=incident.pk)
    )
    perms.require(actor, perms.DECLARE, inc)
    if inc.status == Incident.Status.STOOD_DOWN:
        raise Conflict(
            f"{inc.name}已于{timezone.localtime(inc.stood_down_at):%Y-%m-%d %H:%M}终止响应，不能重复终止",
            field="status",
            code=CoreError.INVALID_STATE,
        )
    at = at or _now()
    if at < inc.declared_at:
        raise DomainError("终止时间不能早于宣布时间", field="at")
    _bump(
        Incident,
        inc,
        expected_version,
        status=Incident.Status.STOOD_DOWN,
        stood_down_at=at,
        stood_down_by=_user(actor),
        stand_down_note=(note or "").strip(),
    )
    IncidentGrid.objects.filter(incident=inc).update(active=False)
    counts = _publish_counts(actor, inc, at=at)
    mob = Mobilisation.objects.filter(incident=inc)
    summary = {
        "requests": counts,
        "mobilised": mob.count(),
        "checked_in": mob.filter(checked_in_at__isnull=False).count(),
        "assigned": mob.filter(assigned_at__isnull=False).count(),
        "needs": IncidentNeed.objects.filter(incident=inc).count(),
    }
    _log(
        inc,
        LogEntry.Kind.STOOD_DOWN,
        "终止应急响应，诉求恢复按权责清单派单" + (f"：{inc.stand_down_note}" if note else ""),
        actor=actor,
        at=at,
        data=summary,
    )
    _emit(
        inc,
        contracts.STOOD_DOWN,
        {"stood_down_at": at.isoformat(), "note": inc.stand_down_note, **summary},
        actor=actor,
    )
    inc_routing.clear()
    transaction.on_commit(inc_routing.clear)
    incident.__dict__.update(
        {k: getattr(inc, k) for k in ("status", "stood_down_at", "stood_down_by_id", "stand_down_note", "version")}
    )
    return inc
