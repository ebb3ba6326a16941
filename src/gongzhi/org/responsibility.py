"""Who handles a matter: (category, location, time) → responsible unit, with the reason.

The power/responsibility list line that applies is the one for the category
(or, failing that, its major class) in the most specific region containing the
location, in force at the given time. The line names a handling level
(community, street, district) or a department. When no line applies, or the
unit it names does not exist, the fallback chain is: the first-receiving unit
leads (首接负责), then the street, then the district.

Decisions are answered from an in-process **routing snapshot** (categories,
every list line, regions, the handling unit of each region, grids), built once
and rebuilt when what it holds changes:

* in this process: ``post_save``/``post_delete`` of the models it holds, and
  every ``org.*`` domain event (so the org services' bulk ``update()`` calls,
  e.g. ending the previous version of a list line, invalidate it too), both at
  once and again on commit;
* in other processes: a one-query watermark (row counts, highest ids, version
  sums, established units, latest dates, and the shared ``regions``/``categories``
  generations that edits of those rows move, ``core/generations.py``) checked at most every
  ``RECHECK_SECONDS``, and whenever the grid index of :mod:`gongzhi.org.geo` is
  rebuilt.

With a warm snapshot, :func:`resolve` runs no query at all.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core import generations, phrases
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region
from gongzhi.core.phrases import Phrase, phrase

from . import geo
from .contracts import OrgError
from .kinds import HandlerLevel, SlaClass, UnitKind
from .models import Grid, MatterCategory, Power, PowerGrant, ResponsibilityRule, Unit

# The unit that handles matters for a region at each level, in order of preference.
HANDLER_KINDS: dict[str, list[UnitKind]] = {
    Region.Level.COMMUNITY: [
        UnitKind.RESIDENTS_COMMITTEE,
        UnitKind.VILLAGERS_COMMITTEE,
        UnitKind.PARTY_COMMUNITY,
        UnitKind.PARTY_VILLAGE,
    ],
    Region.Level.STREET: [UnitKind.GOVERNMENT, UnitKind.PARTY_STREET, UnitKind.PARTY_TOWNSHIP],
    Region.Level.DISTRICT: [UnitKind.GOVERNMENT, UnitKind.PARTY_DISTRICT],
    Region.Level.CITY: [UnitKind.GOVERNMENT, UnitKind.PARTY_CITY],
}
# Other processes' changes are noticed within this many seconds.
RECHECK_SECONDS = 5.0

# The parts of a decision's reasons, stored as data (core/phrases.py) and shown in the reader's language.
R_GRID = phrases.register("org.reason.grid", _("位置在网格%(grid)s“%(grid_name)s”（%(community)s）"))
R_RULE = phrases.register(
    "org.reason.rule",
    _("权责清单（%(region)s第%(version)s版，%(since)s起）规定由%(handler)s承办"),
    handler=lambda v: HandlerLevel(v).label if v in HandlerLevel.values else v,
)
R_MAJOR = phrases.register("org.reason.major_class", _("适用大类%(code)s %(name)s的条目"))
R_BASIS = phrases.register("org.reason.basis", _("依据：%(basis)s"))
R_MISSING = phrases.register("org.reason.unit_missing", _("清单指定的承办单位不存在或已撤销"))
R_NO_RULE = phrases.register("org.reason.no_rule", _("权责清单中没有“%(code)s %(name)s”在此处生效的条目"))
R_FIRST = phrases.register("org.reason.first_receiver", _("按首接负责制由首接单位%(unit)s牵头办理"))
R_FALLBACK = phrases.register(
    "org.reason.fallback",
    _("转由%(unit)s牵头办理（%(level)s兜底）"),
    level=lambda v: HandlerLevel(v).label,
)
R_SLA = phrases.register("org.reason.sla", _("办理时限：%(sla)s"), sla=lambda v: SlaClass(v).label)


@dataclass
class Decision:
    unit: Unit
    category: MatterCategory
    grid: Grid | None
    region: Region
    rule: ResponsibilityRule | None
    sla: str
    fallback: str | None = None  # None | "first_receiver" | "street" | "district"
    # Phrases (rendered by str() in the reader's language) or plain text.
    reasons: list[Phrase | str] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        """The reasons as one text, in the active language (store :meth:`reasons_data` instead)."""
        return phrases.render_all(self.reasons)

    def reasons_data(self) -> list[dict]:
        return [phrases.as_data(r) for r in self.reasons]

    def as_dict(self) -> dict:
        return {
            "unit": {"code": self.unit.code, "name": self.unit.name, "kind": self.unit.kind},
            "category": self.category.code if self.category else None,
            "grid": self.grid.code if self.grid else None,
            "region": self.region.code,
            "rule": (
                {
                    "id": self.rule.pk,
                    "version": self.rule.version,
                    "region": self.rule.region.code,
                    "legal_basis": self.rule.legal_basis,
                    "handler_level": self.rule.handler_level,
                }
                if self.rule
                else None
            ),
            "sla": self.sla,
            "fallback": self.fallback,
            "explanation": self.explanation,
            "reasons": self.reasons_data(),
        }


# ----------------------------------------------------------------- the snapshot


@dataclass
class Snapshot:
    """Everything a routing decision reads, in memory. Instances are shared: treat them as read-only."""

    categories: dict[str, MatterCategory]
    rules: dict[tuple[int, str], list[ResponsibilityRule]]  # (category id, region path) → newest version first
    regions: dict[int, Region]
    region_by_code: dict[str, Region]
    handlers: dict[int, Unit]  # region id → its handling unit
    grids: dict[int, Grid]
    grid_by_code: dict[str, Grid]
    watermark: tuple
    grid_index: object
    built_at: float = 0.0
    # Built inside a transaction that changed routing data: valid only while this on-commit callback is
    # still pending on the connection (Django drops it when its savepoint or transaction rolls back).
    token: object = None

    def ancestor_at(self, region: Region, level: str) -> Region | None:
        for code in region.path.strip("/").split("/"):
            r = self.region_by_code.get(code)
            if r is not None and r.level == level:
                return r
        return None


_lock = threading.RLock()
_snapshot: Snapshot | None = None
_checked_at = 0.0


def _watermark() -> tuple:
    """One query over the tables the snapshot holds; any insert, delete, version bump, status change of a
    unit, list line ending or grid edit moves it."""
    unit, rule, cat, reg, grid = (m._meta.db_table for m in (Unit, ResponsibilityRule, MatterCategory, Region, Grid))
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {unit}), (SELECT MAX(id) FROM {unit}), (SELECT SUM(version) FROM {unit}), "
        f"(SELECT COUNT(*) FROM {unit} WHERE status = %s), "
        f"(SELECT COUNT(*) FROM {rule}), (SELECT MAX(id) FROM {rule}), (SELECT SUM(version) FROM {rule}), "
        f"(SELECT COUNT(*) FROM {rule} WHERE effective_to IS NOT NULL), (SELECT MAX(effective_to) FROM {rule}), "
        f"(SELECT COUNT(*) FROM {cat}), (SELECT MAX(id) FROM {cat}), "
        f"(SELECT COUNT(*) FROM {reg}), (SELECT MAX(id) FROM {reg}), "
        f"(SELECT COUNT(*) FROM {grid}), (SELECT MAX(id) FROM {grid}), (SELECT MAX(updated_at) FROM {grid})"
    )
    # Edits the counts cannot see (a region or category renamed, a category's SLA changed, in the admin
    # of another process) move the shared generations (core/generations.py); read before the data.
    gens = generations.current_many("regions", "categories")
    with connection.cursor() as cur:
        cur.execute(sql, [Unit.Status.ESTABLISHED])
        return tuple(str(v) for v in cur.fetchone()) + gens


def _build(mark: tuple, index: Any) -> Snapshot:
    regions = {r.pk: r for r in Region.objects.all()}
    categories = {}
    cat_by_id = {c.pk: c for c in MatterCategory.objects.all()}
    for c in cat_by_id.values():
        if c.parent_id:
            c.parent = cat_by_id.get(c.parent_id)
        categories[c.code] = c
    rules: dict[tuple[int, str], list[ResponsibilityRule]] = {}
    for r in ResponsibilityRule.objects.select_related("department").order_by("-version"):
        r.region = regions[r.region_id]
        r.category = cat_by_id[r.category_id]
        rules.setdefault((r.category_id, r.region.path), []).append(r)
    kinds = {k for ks in HANDLER_KINDS.values() for k in ks}
    candidates: dict[int, dict[str, Unit]] = {}
    for u in Unit.objects.filter(kind__in=kinds, status=Unit.Status.ESTABLISHED).order_by("-id"):
        candidates.setdefault(u.region_id, {})[u.kind] = u  # lowest id of each kind wins
    handlers = {}
    for rid, by_kind in candidates.items():
        region = regions.get(rid)
        if region is None:
            continue
        handler = next((by_kind[k] for k in HANDLER_KINDS.get(region.level, []) if k in by_kind), None)
        if handler is not None:
            handler.region = region
            handlers[rid] = handler
    grids = {}
    for g in Grid.objects.defer("geometry"):
        g.region = regions[g.region_id]
        grids[g.pk] = g
    return Snapshot(
        categories=categories,
        rules=rules,
        regions=regions,
        region_by_code={r.code: r for r in regions.values()},
        handlers=handlers,
        grids=grids,
        grid_by_code={g.code: g for g in grids.values()},
        watermark=mark,
        grid_index=index,
        built_at=time.monotonic(),
    )


def snapshot(force_check: bool = False) -> Snapshot:
    """The process's routing snapshot, rebuilt when the data it holds has changed."""
    global _snapshot, _checked_at
    index = geo.grid_index()
    now = time.monotonic()
    dirty = _dirty()
    with _lock:
        snap = _snapshot
        if snap is not None and snap.token is not None and not _pending(snap.token):
            snap = _snapshot = None  # its transaction ended (a commit drops it too; this catches rollbacks)
        if snap is not None and snap.grid_index is index and not force_check and now - _checked_at < RECHECK_SECONDS:
            return snap
        mark = _watermark()
        _checked_at = now
        if snap is None or snap.watermark != mark or snap.grid_index is not index:
            snap = _snapshot = _build(mark, index)
            if dirty:

                def token() -> None:
                    _drop()

                transaction.on_commit(token)
                snap.token = token
        return snap


def _pending(func: Any) -> bool:
    conn = transaction.get_connection()
    return conn.in_atomic_block and any(f is func for _sids, f, _robust in conn.run_on_commit)


def _dirty() -> bool:
    """Whether this connection's open transaction has changed routing data (an :func:`invalidate` whose
    on-commit drop is still pending; Django forgets it when the savepoint or transaction rolls back)."""
    conn = transaction.get_connection()
    return conn.in_atomic_block and any(func is _drop for _sids, func, _robust in conn.run_on_commit)


def invalidate(*_args: Any, **_kwargs: Any) -> None:
    """Drop the snapshot now and again when the current transaction commits (so a rebuild inside the
    transaction cannot outlive a rollback, nor keep pre-commit data)."""
    global _snapshot
    with _lock:
        _snapshot = None
    conn = transaction.get_connection()
    if conn.in_atomic_block:
        here = set(conn.savepoint_ids)
        if not any(f is _drop and sids == here for sids, f, _robust in conn.run_on_commit):
            transaction.on_commit(_drop)


def _drop() -> None:
    global _snapshot
    with _lock:
        _snapshot = None


def _on_event(sender: Any, instance: Any, created: bool = False, **_kwargs: Any) -> None:
    if created and instance.type.startswith("org."):
        invalidate()


def connect_signals() -> None:
    from gongzhi.core.models import Event

    for model in (Region, Unit, Grid, MatterCategory, ResponsibilityRule):
        post_save.connect(invalidate, sender=model, dispatch_uid=f"routing_snapshot_{model.__name__}_save")
        post_delete.connect(invalidate, sender=model, dispatch_uid=f"routing_snapshot_{model.__name__}_delete")
    post_save.connect(_on_event, sender=Event, dispatch_uid="routing_snapshot_org_events")
    post_save.connect(_bump_categories, sender=MatterCategory, dispatch_uid="categories_generation_save")
    post_delete.connect(_bump_categories, sender=MatterCategory, dispatch_uid="categories_generation_delete")


def _bump_categories(*_args: object, **_kwargs: object) -> None:
    generations.bump("categories")  # other processes' snapshots (the regions' own bump is in core.models)


connect_signals()


# ----------------------------------------------------------------- lookups


def category(code: str) -> MatterCategory:
    """The category with ``code`` (its major class attached as ``parent``), or DomainError."""
    c = snapshot().categories.get(str(code).strip())
    if c is None:
        raise DomainError(
            _("未知的事项类别：%(code)s") % {"code": code}, field="category", code=OrgError.UNKNOWN_CATEGORY
        )
    return c


def grid_by_code(code: str) -> Grid | None:
    snap = snapshot()
    g = snap.grid_by_code.get(code)
    if g is None and code:
        g = snapshot(force_check=True).grid_by_code.get(code)
    return g


def locate(lon: float, lat: float) -> Grid:
    """The Grid containing (lon, lat) (with its region), from memory. Raises DomainError outside every grid."""
    gid = geo.grid_index().locate(lon, lat)
    if gid is None:
        raise DomainError(
            _("位置(%(lon).6f, %(lat).6f)不在任何网格内，请检查坐标或选择网格") % {"lon": lon, "lat": lat},
            field="location",
            code=OrgError.OUTSIDE_GRIDS,
        )
    g = snapshot().grids.get(gid)
    if g is None:
        g = snapshot(force_check=True).grids.get(gid) or geo.locate(lon, lat)
    return g


def handling_unit(region: Region) -> Unit | None:
    return snapshot().handlers.get(region.pk)


def find_rule(category: MatterCategory, region: Region, day: dt.date) -> ResponsibilityRule | None:
    """The list line in force on ``day`` for ``category`` (or its major class), most specific region first."""
    rules = snapshot().rules
    paths = _prefixes(region.path)
    # Own category before the major class; deeper region before wider; newest version first.
    for cat_id in [category.pk] + ([category.parent_id] if category.parent_id else []):
        for path in reversed(paths):
            for r in rules.get((cat_id, path), ()):
                if r.effective_from <= day and (r.effective_to is None or r.effective_to > day):
                    return r
    return None


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def resolve(
    category_code: str,
    *,
    lon: float | None = None,
    lat: float | None = None,
    grid: Grid | None = None,
    at: dt.datetime | None = None,
    first_receiver: Unit | None = None,
) -> Decision:
    """Decide the responsible unit for a matter at a place and time, with the reasons."""
    snap = snapshot()
    category = snap.categories.get(category_code)
    if category is None:
        raise DomainError(
            _("未知的事项类别：%(code)s") % {"code": category_code}, field="category", code=OrgError.UNKNOWN_CATEGORY
        )
    if grid is None:
        if lon is None or lat is None:
            raise DomainError(str(_("请提供位置（经纬度）或网格")), field="location")
        grid = locate(lon, lat)
        snap = snapshot()
    community = snap.regions.get(grid.region_id) or grid.region
    day = timezone.localdate(at) if at else timezone.localdate()
    reasons: list[Phrase | str] = [phrase(R_GRID, grid=grid.code, grid_name=grid.name, community=community.name)]
    rule = find_rule(category, community, day)
    unit = None
    sla = category.default_sla
    if rule is not None:
        sla = rule.sla
        listed = {"region": rule.region.name, "version": rule.version, "since": str(rule.effective_from)}
        if rule.handler_level == HandlerLevel.DEPARTMENT:
            department = rule.department
            assert department is not None  # a department-level rule names its department (add_responsibility_rule)
            unit = department if department.status == Unit.Status.ESTABLISHED else None
            reasons.append(phrase(R_RULE, handler=department.name, **listed))
        else:
            target = snap.ancestor_at(community, rule.handler_level)
            unit = snap.handlers.get(target.pk) if target else None
            reasons.append(phrase(R_RULE, handler=str(rule.handler_level), **listed))
        if rule.category_id != category.pk:
            reasons.append(phrase(R_MAJOR, code=rule.category.code, name=rule.category.name))
        if rule.legal_basis:
            reasons.append(phrase(R_BASIS, basis=rule.legal_basis))
        if unit is None:
            reasons.append(phrase(R_MISSING))
    else:
        reasons.append(phrase(R_NO_RULE, code=category.code, name=category.name))
    fallback = None
    if unit is None:
        if first_receiver is not None:
            unit, fallback = first_receiver, "first_receiver"
            reasons.append(phrase(R_FIRST, unit=unit.name))
        else:
            for level, label in ((Region.Level.STREET, "street"), (Region.Level.DISTRICT, "district")):
                r = snap.ancestor_at(community, level)
                unit = snap.handlers.get(r.pk) if r else None
                if unit is not None:
                    fallback = label
                    reasons.append(phrase(R_FALLBACK, unit=unit.name, level=label))
                    break
    if unit is None:
        raise DomainError(
            _("%(community)s及其上级没有可承办的单位，请先建立街道或区级单位") % {"community": community.name},
            field="location",
            code=OrgError.NO_HANDLER,
        )
    reasons.append(phrase(R_SLA, sla=str(sla)))
    return Decision(
        unit=unit,
        category=category,
        grid=grid,
        region=community,
        rule=rule,
        sla=sla,
        fallback=fallback,
        reasons=reasons,
    )


# ----------------------------------------------------------------- the power list (权力清单)
#
# The responsibility list says who must handle a matter; the power list says what a unit may decide
# (enforcement, inspection, approval …). A matter may be assigned only to a unit that holds, where the
# matter is, every power its category (or its major class) needs (seed 001: 权小责大; seed 002: 街道乡镇
# 权力清单、责任清单 … 防止向基层转嫁责任). Read from the database (dispatch only, not the intake path).

# Region levels from the top; a unit's level is its region's (a district department is at district level).
LEVEL_RANK = {Region.Level.CITY: 0, Region.Level.DISTRICT: 1, Region.Level.STREET: 2, Region.Level.COMMUNITY: 3}


def unit_rank(unit: Unit) -> int:
    """How far down a unit stands: 0 city … 3 community (its region's level)."""
    return LEVEL_RANK.get(Region.Level(unit.region.level), 3)


_needs: dict = {"at": None, "ids": frozenset()}


def categories_needing_powers() -> frozenset[int]:
    """Ids of the categories that need some power (per process; re-read at most every ``RECHECK_SECONDS``
    and at once after a change in this process), so intake asks the power list only for those."""
    at = _needs["at"]
    now = time.monotonic()
    if at is None or now - at >= RECHECK_SECONDS:
        through = Power.needed_by.through
        _needs["ids"] = frozenset(through.objects.values_list("mattercategory_id", flat=True))
        _needs["at"] = now
    return _needs["ids"]


def needs_powers(category: MatterCategory) -> bool:
    ids = categories_needing_powers()
    return category.pk in ids or (category.parent_id is not None and category.parent_id in ids)


def _forget_needs(*_args: object, **_kwargs: object) -> None:
    _needs["at"] = None


post_save.connect(_forget_needs, sender=Power, dispatch_uid="power_needs_save")
post_delete.connect(_forget_needs, sender=Power, dispatch_uid="power_needs_delete")
m2m_changed.connect(_forget_needs, sender=Power.needed_by.through, dispatch_uid="power_needs_m2m")


def powers_needed(category: MatterCategory) -> list[Power]:
    """The powers a matter of ``category`` needs: its own and its major class's."""
    ids = [category.pk] + ([category.parent_id] if category.parent_id else [])
    return list(Power.objects.filter(needed_by__in=ids).distinct().order_by("code"))


def holds(unit: Unit, power: Power, region: Region, day: dt.date | None = None) -> bool:
    """Whether ``unit`` holds ``power`` at a place in ``region`` on ``day`` (a grant for the region or an
    ancestor of it, in force that day)."""
    day = day or timezone.localdate()
    return (
        PowerGrant.objects.filter(unit=unit, power=power, region__path__in=_prefixes(region.path))
        .filter(effective_from__lte=day)
        .exclude(effective_to__lte=day)
        .exists()
    )


def missing_powers(unit: Unit, category: MatterCategory, region: Region, day: dt.date | None = None) -> list[Power]:
    """The powers ``category`` needs that ``unit`` does not hold in ``region`` (empty: it may be assigned)."""
    if not needs_powers(category):
        return []
    return [p for p in powers_needed(category) if not holds(unit, p, region, day)]


def power_list(region: Region, day: dt.date | None = None) -> list[PowerGrant]:
    """The power-list lines in force on ``day`` that apply in ``region`` (granted there or above) or below it."""
    day = day or timezone.localdate()
    from django.db.models import Q

    return list(
        PowerGrant.objects.filter(Q(region__path__in=_prefixes(region.path)) | Q(region__path__startswith=region.path))
        .filter(effective_from__lte=day)
        .exclude(effective_to__lte=day)
        .select_related("unit", "power", "region")
        .order_by("region__path", "unit__code", "power__code")
    )
