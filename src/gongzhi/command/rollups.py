"""Keeping the rollup tables current.

Two paths, one set of definitions (those of :mod:`gongzhi.cases.figures`: each request's counts are
``cases.figures.fact_counts``, the rates ``cases.figures.rates`` of the summed counts; the tables are the
fast path of the ``cases.*`` figures, registered in :mod:`gongzhi.command.queries`):

- incremental (:func:`apply`): the batch subscriber passes the requests named by a
  batch of ``cases.request.*`` events; their facts are recomputed from their
  transitions (with ``cases.figures.request_facts`` itself), written; every day cell they
  touch (grid × day, community × day, street × day) and their grids are regrouped
  from the facts, and the month and year tables (per community and per street, with and without
  category × SLA class) get the difference new − old facts, added under row locks taken in one order.
  Recomputing from records makes a redelivered event a no-op: the handler is
  idempotent by construction, whatever the event id.
- rebuild (:func:`rebuild`): facts recomputed in SQL from the transitions
  (``INSERT … SELECT … GROUP BY``; skipped with ``facts=False``), the grid-day table grouped from the
  facts, and every coarser table from the next finer one (community-day and category-month from
  grid-day, street tables from community tables, months from days, years from months): one pass over
  the facts, the rest over tables that are each smaller than the last.

:func:`check` compares the stored rollups with the records.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Min, Model, Q, Sum
from django.db.models.functions import TruncMonth, TruncYear
from django.utils import timezone

from gongzhi.cases import figures
from gongzhi.cases.models import OPEN_STATES, ServiceRequest, State
from gongzhi.core import bulksql
from gongzhi.core.models import Region

from .models import (
    COUNTS,
    SUMS,
    AreaDay,
    AreaMonth,
    AreaYear,
    CategoryMonth,
    CategoryYear,
    DailyRollup,
    GridState,
    RequestFact,
    StreetCategoryMonth,
    StreetCategoryYear,
    StreetDay,
    StreetMonth,
    StreetYear,
)

FIELDS = COUNTS + SUMS


# ----------------------------------------------------------------- facts, incremental


def _hierarchy(region_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """community id → (street id, district id)."""
    out = {}
    for rid, parent, grand in Region.objects.filter(pk__in=set(region_ids)).values_list(
        "pk", "parent_id", "parent__parent_id"
    ):
        out[rid] = (parent or rid, grand or parent or rid)
    return out


def compute_facts(request_ids: Iterable[int]) -> list[RequestFact]:
    """The facts of these requests, computed from their transitions exactly as ``cases.figures`` does."""
    rows = list(
        ServiceRequest.objects.filter(pk__in=list(request_ids)).values_list(
            "pk", "region_id", "grid_id", "category_id", "sla", "state", "created_at", "due_at"
        )
    )
    if not rows:
        return []
    facts = {r[0]: {"key": 0, "sla": r[4]} for r in rows}
    figures.request_facts(facts, None, None)
    hier = _hierarchy({r[1] for r in rows})
    out = []
    for pk, region_id, grid_id, category_id, sla_class, state, created_at, due_at in rows:
        f = facts[pk]
        counted = state not in figures.EXCLUDED
        street_id, district_id = hier.get(region_id, (region_id, region_id))
        c = dict.fromkeys(COUNTS, 0)
        m = dict.fromkeys(figures.FACT_MINUTES, 0.0)
        if counted:  # the per-request counts exactly as cases.figures defines them
            c.update(figures.fact_counts(f))
            m.update(figures.fact_minutes(f))
            c["closed"] = int(state == State.CLOSED)
        out.append(
            RequestFact(
                request_id=pk,
                region_id=region_id,
                street_id=street_id,
                district_id=district_id,
                grid_id=grid_id,
                category_id=category_id,
                sla=sla_class,
                day=timezone.localtime(created_at).date(),
                is_open=state in OPEN_STATES,
                due_at=due_at,
                **c,
                **m,
            )
        )
    return out


def apply(request_ids: Iterable[int]) -> int:
    """Recompute the facts of these requests; regroup the day cells they touch (old and new) and add the
    change of their contribution to the month tables (a delta: a month cell holds too many facts to regroup
    at every batch)."""
    ids = list(set(request_ids))
    if not ids:
        return 0
    with transaction.atomic():
        # locked: a concurrent dispatcher handling the same requests waits, then sees these facts as old
        # (and for a request without facts yet, the second insert fails on the key and is retried later)
        old = list(RequestFact.objects.select_for_update().filter(request_id__in=ids).order_by("request_id"))
        cells = _cells(old)
        new = compute_facts(ids)
        RequestFact.objects.filter(request_id__in=ids).delete()
        RequestFact.objects.bulk_create(new, batch_size=2000)
        for name, more in _cells(new).items():
            cells[name] |= more
        regroup(cells)
        _add_period_deltas(old, new)
    return len(new)


AREA_KEYS = ("region_id", "street_id", "district_id")
STREET_KEYS = ("street_id", "district_id")
CATEGORY_KEYS = ("region_id", "street_id", "district_id", "category_id", "sla")
STREET_CATEGORY_KEYS = ("street_id", "district_id", "category_id", "sla")
# the month and year tables, kept by deltas: model → (keys without the period, period column)
PERIOD_TABLES: dict[Any, tuple[tuple[str, ...], str]] = {
    CategoryMonth: (CATEGORY_KEYS, "month"),
    StreetCategoryMonth: (STREET_CATEGORY_KEYS, "month"),
    CategoryYear: (CATEGORY_KEYS, "year"),
    StreetCategoryYear: (STREET_CATEGORY_KEYS, "year"),
    AreaMonth: (AREA_KEYS, "month"),
    AreaYear: (AREA_KEYS, "year"),
    StreetMonth: (STREET_KEYS, "month"),
    StreetYear: (STREET_KEYS, "year"),
}


def period_key(day: dt.date, grain: str) -> dt.date:
    """The period a day belongs to: itself, the first of its month or 1 January of its year."""
    if grain == "month":
        return day.replace(day=1)
    if grain == "year":
        return day.replace(month=1, day=1)
    return day


def _add_period_deltas(old: list[RequestFact], new: list[RequestFact]) -> None:
    """Add new − old to every month and year table. Sums are additive, so a key that ends up in two rows
    (two dispatchers inserting it at once) still sums right; rows are locked in one order (table, period,
    pk) by every dispatcher."""
    for model, (keys, grain) in PERIOD_TABLES.items():
        deltas: dict = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
        for sign, facts in ((-1, old), (1, new)):
            for f in facts:
                d = deltas[(*(getattr(f, k) for k in keys), period_key(f.day, grain))]
                for name in FIELDS:
                    d[name] += sign * getattr(f, name)
        deltas = {k: d for k, d in deltas.items() if any(d.values())}
        if not deltas:
            continue
        first = keys[0]
        for period in sorted({k[-1] for k in deltas}):  # rows locked in one order by every dispatcher
            wanted = {k[:-1]: d for k, d in deltas.items() if k[-1] == period}
            rows = (
                model.objects.select_for_update()
                .filter(**{f"{first}__in": {k[0] for k in wanted}, grain: period})
                .order_by("pk")
            )
            changed, seen = [], set()
            for row in rows:
                key = tuple(getattr(row, k) for k in keys)
                if key in wanted and key not in seen:
                    seen.add(key)
                    for name, v in wanted[key].items():
                        setattr(row, name, getattr(row, name) + v)
                    changed.append(row)
            bulksql.update_rows(changed, FIELDS)
            model.objects.bulk_create(
                [model(**dict(zip(keys, key)), **{grain: period}, **d) for key, d in wanted.items() if key not in seen],
                batch_size=1000,
            )


def _cells(facts) -> dict[str, set]:
    """The day cells (and grids) a list of facts contributes to."""
    cells: dict[str, set] = {"grid_day": set(), "area_day": set(), "grid": set(), "street_day": set()}
    for f in facts:
        cells["grid_day"].add((f.grid_id, f.day))
        cells["area_day"].add((f.region_id, f.day))
        cells["street_day"].add((f.street_id, f.day))
        cells["grid"].add(f.grid_id)
    return cells


def _by_second(pairs: set) -> dict:
    out: dict = defaultdict(set)
    for a, b in pairs:
        out[b].add(a)
    return out


def regroup(cells: dict[str, set]) -> None:
    """Delete and regroup from the facts the rollup rows of the given cells."""
    for day, grids in _by_second(cells["grid_day"]).items():
        DailyRollup.objects.filter(grid_id__in=grids, day=day).delete()
        _insert_grouped(DailyRollup, RequestFact.objects.filter(grid_id__in=grids, day=day))
    for day, regions in _by_second(cells["area_day"]).items():
        AreaDay.objects.filter(region_id__in=regions, day=day).delete()
        _insert_grouped(AreaDay, RequestFact.objects.filter(region_id__in=regions, day=day))
    for day, streets in _by_second(cells["street_day"]).items():
        StreetDay.objects.filter(street_id__in=streets, day=day).delete()
        _insert_grouped(StreetDay, RequestFact.objects.filter(street_id__in=streets, day=day))
    refresh_grids(cells["grid"])


# ----------------------------------------------------------------- grouping (INSERT … SELECT)

KEYS: dict[Any, tuple[str, ...]] = {
    DailyRollup: ("region_id", "street_id", "district_id", "grid_id", "category_id", "sla", "day"),
    AreaDay: (*AREA_KEYS, "day"),
    StreetDay: (*STREET_KEYS, "day"),
    **{m: (*keys, grain) for m, (keys, grain) in PERIOD_TABLES.items()},
}
TRUNC = {"month": TruncMonth, "year": TruncYear}


def _insert_grouped(model, source_qs) -> None:
    """``INSERT INTO rollup (keys, counts) SELECT keys, SUM(counts) FROM source WHERE … GROUP BY keys``.

    The source is the facts or a finer rollup table; a period column the source lacks (``month``,
    ``year``) is its ``day`` or ``month`` truncated."""
    keys = KEYS[model]
    qs = source_qs.order_by()
    names = {f.name for f in source_qs.model._meta.get_fields()}
    period = keys[-1]
    if period not in names:
        finer = "day" if "day" in names else "month"
        qs = qs.annotate(**{period: TRUNC[period](finer)})
    qs = qs.values(*keys).annotate(**{f"s_{f}": Sum(f) for f in FIELDS})
    sql, params = qs.query.sql_with_params()
    cols = ", ".join(connection.ops.quote_name(c) for c in (*keys, *FIELDS))
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {model._meta.db_table} ({cols}) {sql}", params)


def refresh_grids(grid_ids: Iterable[int] | None, at: dt.datetime | None = None) -> None:
    """Recount open and overdue requests of these grids (all grids when None) from the open facts."""
    at = at or timezone.now()
    qs = RequestFact.objects.filter(is_open=True)
    gs = GridState.objects.all()
    if grid_ids is not None:
        grid_ids = list(grid_ids)
        if not grid_ids:
            return
        qs = qs.filter(grid_id__in=grid_ids)
        gs = gs.filter(grid_id__in=grid_ids)
    rows = (
        qs.values("grid_id", "region_id", "street_id", "district_id")
        .order_by()
        .annotate(
            n=Count("request_id"),
            late=Count("request_id", filter=Q(due_at__lt=at)),
            nxt=Min("due_at", filter=Q(due_at__gte=at)),
        )
    )
    states = [
        GridState(
            grid_id=r["grid_id"],
            region_id=r["region_id"],
            street_id=r["street_id"],
            district_id=r["district_id"],
            open=r["n"],
            overdue=r["late"],
            next_due_at=r["nxt"],
            computed_at=at,
        )
        for r in rows
    ]
    gs.delete()
    GridState.objects.bulk_create(states, batch_size=2000)


def refresh_stale(area: Q, at: dt.datetime | None = None) -> int:
    """Grids in ``area`` where an open request has fallen due since the last count: recount them."""
    at = at or timezone.now()
    stale = list(GridState.objects.filter(area, next_due_at__lte=at).values_list("grid_id", flat=True))
    if stale:
        with transaction.atomic():
            refresh_grids(stale, at)
    return len(stale)


# ----------------------------------------------------------------- rebuild from records (SQL)


def _fact_select(vendor: str, where: str) -> str:
    """SELECT producing RequestFact rows from requests and transitions (the figures' definitions in SQL)."""
    excluded = ", ".join(f"'{s}'" for s in sorted(figures.EXCLUDED))
    open_states = ", ".join(f"'{s}'" for s in sorted(OPEN_STATES))
    resp = ", ".join(f"'{a}'" for a in sorted(figures.RESPONSE_ACTIONS))
    emergency = ", ".join(f"'{k}'" for k in figures.RESPONSE_HOURS)
    satisfied = ", ".join(f"'{k}'" for k in figures.SATISFIED)
    tz = timezone.get_current_timezone_name()
    T = "cases_transition"
    if vendor == "postgresql":
        day = f"(r.created_at AT TIME ZONE '{tz}')::date"
        mins = "EXTRACT(EPOCH FROM ({a} - {b})) / 60.0"
        within = (
            "(tr.responded - tr.dispatched) <= CASE WHEN r.sla IN ({e}) THEN interval '{h} hours' "
            "ELSE interval '{d} hours' END"
        )
        agg_extra = (
            ", (array_agg(COALESCE((t.data->>'on_time')::boolean, true) ORDER BY t.at, t.id) "
            "FILTER (WHERE t.action = 'resolve'))[1] AS on_time"
            ", (array_agg(t.data->>'rating' ORDER BY t.at DESC, t.id DESC) FILTER (WHERE t.action IN "
            "('confirm', 'followup') AND COALESCE(t.data->>'rating', '') <> ''))[1] AS rating"
            ", (array_agg(COALESCE((t.data->>'fixed')::boolean, true) ORDER BY t.at DESC, t.id DESC) FILTER "
            "(WHERE t.action IN ('confirm', 'followup') AND COALESCE(t.data->>'rating', '') <> ''))[1] AS fixed"
        )
        on_time, rating, fixed = "tr.on_time", "tr.rating", "tr.fixed"
        true = "true"
    else:
        offset = timezone.now().astimezone(timezone.get_current_timezone()).utcoffset()
        hours = int(offset.total_seconds() // 3600)
        day = f"date(r.created_at, '{hours:+d} hours')"
        mins = "((julianday({a}) - julianday({b})) * 1440.0)"
        within = (
            "((julianday(tr.responded) - julianday(tr.dispatched)) * 24.0) <= "
            "CASE WHEN r.sla IN ({e}) THEN {h} ELSE {d} END + 1e-9"
        )
        agg_extra = ""
        rated = (
            f"FROM {T} t2 WHERE t2.request_id = r.id AND t2.action IN ('confirm', 'followup') "
            "AND COALESCE(json_extract(t2.data, '$.rating'), '') <> '' ORDER BY t2.at DESC, t2.id DESC LIMIT 1"
        )
        on_time = (
            f"(SELECT COALESCE(json_extract(t2.data, '$.on_time'), 1) <> 0 FROM {T} t2 "
            "WHERE t2.request_id = r.id AND t2.action = 'resolve' ORDER BY t2.at, t2.id LIMIT 1)"
        )
        rating = f"(SELECT json_extract(t2.data, '$.rating') {rated})"
        fixed = f"(SELECT COALESCE(json_extract(t2.data, '$.fixed'), 1) <> 0 {rated})"
        true = "1"
    within = within.format(e=emergency, h=figures.RESPONSE_HOURS["emergency"], d=figures.DEFAULT_RESPONSE_HOURS)
    counted = f"(r.state NOT IN ({excluded}))"

    def flag(cond: str) -> str:
        return f"CASE WHEN {counted} AND ({cond}) THEN 1 ELSE 0 END"

    exprs = [
        "r.id",
        "r.region_id",
        "COALESCE(c.parent_id, c.id)",
        "COALESCE(s.parent_id, c.parent_id, c.id)",
        "r.grid_id",
        "r.category_id",
        "r.sla",
        day,
        f"CASE WHEN r.state IN ({open_states}) THEN {true} ELSE NOT {true} END",
        "r.due_at",
        flag("1 = 1"),
        flag("tr.dispatched IS NOT NULL"),
        flag(f"tr.dispatched IS NOT NULL AND tr.responded IS NOT NULL AND {within}"),
        flag("tr.resolved IS NOT NULL"),
        flag("r.state = 'closed'"),
        flag(f"tr.resolved IS NOT NULL AND COALESCE({on_time}, {true}) = {true}"),
        flag(f"tr.resolved IS NOT NULL AND COALESCE({on_time}, {true}) <> {true}"),
        flag("tr.dispatched IS NOT NULL AND tr.returned = 1"),
        flag("tr.resolved IS NOT NULL AND tr.reopened = 1"),
        flag(f"{rating} IS NOT NULL"),
        flag(f"{rating} IN ({satisfied})"),
        flag(f"{rating} IS NOT NULL AND COALESCE({fixed}, {true}) = {true}"),
        flag("tr.whistled = 1"),
        (
            f"CASE WHEN {counted} AND tr.dispatched IS NOT NULL AND tr.submitted IS NOT NULL "
            f"THEN {mins.format(a='tr.dispatched', b='tr.submitted')} ELSE 0 END"
        ),
        (
            f"CASE WHEN {counted} AND tr.resolved IS NOT NULL AND tr.submitted IS NOT NULL "
            f"THEN {mins.format(a='tr.resolved', b='tr.submitted')} ELSE 0 END"
        ),
    ]
    select_list = ",\n  ".join(f"{e} AS {c}" for e, c in zip(exprs, FACT_COLUMNS))
    return f"""
WITH tr0 AS (
  SELECT t.request_id,
    MIN(CASE WHEN t.action = 'submit' THEN t.at END) AS submitted,
    MIN(CASE WHEN t.action = 'dispatch' THEN t.at END) AS dispatched,
    MIN(CASE WHEN t.action = 'resolve' THEN t.at END) AS resolved,
    MAX(CASE WHEN t.action = 'return' THEN 1 ELSE 0 END) AS returned,
    MAX(CASE WHEN t.action = 'reopen' THEN 1 ELSE 0 END) AS reopened,
    MAX(CASE WHEN t.action = 'whistle' THEN 1 ELSE 0 END) AS whistled
    {agg_extra}
  FROM {T} t JOIN cases_servicerequest r ON r.id = t.request_id
  JOIN core_region c ON c.id = r.region_id
  WHERE {where}
  GROUP BY t.request_id
), tr AS (
  SELECT tr0.*, (SELECT MIN(t3.at) FROM {T} t3 WHERE t3.request_id = tr0.request_id
                 AND t3.action IN ({resp}) AND t3.at >= tr0.dispatched) AS responded
  FROM tr0
)
SELECT {select_list}
FROM cases_servicerequest r
JOIN core_region c ON c.id = r.region_id
LEFT JOIN core_region s ON s.id = c.parent_id
LEFT JOIN tr ON tr.request_id = r.id
WHERE {where}
"""


FACT_COLUMNS = (
    "request_id",
    "region_id",
    "street_id",
    "district_id",
    "grid_id",
    "category_id",
    "sla",
    "day",
    "is_open",
    "due_at",
    *COUNTS,
    *SUMS,
)


def _area_q(region: Region | None, prefix: str = "") -> Q:
    """Rows of a rollup table (with region/street/district columns) inside ``region``'s subtree."""
    if region is None:
        return Q()
    col = {"community": "region_id", "street": "street_id", "district": "district_id"}.get(region.level)
    if col:
        return Q(**{prefix + col: region.pk})
    return Q(
        **{
            prefix + "district_id__in": list(
                Region.objects.filter(path__startswith=region.path, level="district").values_list("pk", flat=True)
            )
        }
    )


# every rollup table, each grouped from the one after the arrow (the first from the facts):
# one pass over the facts, then over tables each smaller than its source
BUILD_ORDER: tuple[tuple[Any, Any], ...] = (
    (DailyRollup, RequestFact),
    (AreaDay, DailyRollup),
    (CategoryMonth, DailyRollup),
    (AreaMonth, AreaDay),
    (AreaYear, AreaMonth),
    (CategoryYear, CategoryMonth),
    (StreetDay, AreaDay),
    (StreetMonth, StreetDay),
    (StreetYear, StreetMonth),
    (StreetCategoryMonth, CategoryMonth),
    (StreetCategoryYear, StreetCategoryMonth),
)
STREET_TABLES = (StreetDay, StreetMonth, StreetYear, StreetCategoryMonth, StreetCategoryYear)
ROLLUP_TABLES = tuple(m for m, _ in BUILD_ORDER)


def rebuild(region: Region | None = None, progress=None, facts: bool = True) -> dict[str, int]:
    """Recompute facts and rollups from the records, for ``region``'s subtree (everything when None).

    ``facts=False`` keeps the facts as they are and regroups only the rollups from them. ``progress`` is
    called with a label before every step (``facts``, then each table's name, then ``grids``)."""
    progress = progress or (lambda label: None)
    vendor = connection.vendor
    where = "1 = 1" if region is None else "c.path LIKE %s"
    params = [] if region is None else [region.path + "%"]
    area = _area_q(region)
    # the street tables are regrouped for whole streets (a community's street when one community is rebuilt)
    street_region = region.parent if region is not None and region.level == "community" else region
    street_area = _area_q(street_region)
    whole = region is None and vendor == "postgresql"
    with transaction.atomic():
        if whole:
            with connection.cursor() as cur:
                # set-based grouping of tens of millions of rows: hash aggregates and sorts in memory
                cur.execute("SET LOCAL work_mem = '512MB'")
                cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cleared = (*ROLLUP_TABLES, GridState, *((RequestFact,) if facts else ()))
        if region is None:
            with connection.cursor() as cur:
                for model in cleared:
                    # TRUNCATE for the large tables without constraints; GridState (small) has foreign keys,
                    # whose pending checks in the same transaction TRUNCATE refuses
                    big = vendor == "postgresql" and model is not GridState
                    cur.execute(f"{'TRUNCATE' if big else 'DELETE FROM'} {model._meta.db_table}")
        else:
            for model in cleared:
                model.objects.filter(street_area if model in STREET_TABLES else area).delete()
        # a whole rebuild on PostgreSQL fills empty tables: their indexes are built once at the end
        dropped = _drop_indexes((*ROLLUP_TABLES, *((RequestFact,) if facts else ()))) if whole else []
        if facts:
            progress("facts")
            cols = ", ".join(FACT_COLUMNS)
            sql = _fact_select(vendor, where)
            with connection.cursor() as cur:
                cur.execute(f"INSERT INTO {RequestFact._meta.db_table} ({cols}) {sql}", params * 2)
        for model, source in BUILD_ORDER:
            progress(model._meta.db_table)
            _insert_grouped(model, source.objects.filter(street_area if model in STREET_TABLES else area))
        if dropped:
            progress("indexes")
            _create_indexes(dropped)
        progress("grids")
        if region is None:
            refresh_grids(None)
        else:
            refresh_grids(list(RequestFact.objects.filter(area).values_list("grid_id", flat=True).distinct()))
    if vendor == "postgresql":
        with connection.cursor() as cur:
            for model in (RequestFact, *ROLLUP_TABLES, GridState):
                cur.execute(f"ANALYZE {model._meta.db_table}")
    return {
        "facts": RequestFact.objects.filter(area).count(),
        "daily": DailyRollup.objects.filter(area).count(),
        "area_day": AreaDay.objects.filter(area).count(),
        "category_month": CategoryMonth.objects.filter(area).count(),
        "area_month": AreaMonth.objects.filter(area).count(),
        "area_year": AreaYear.objects.filter(area).count(),
        "grids": GridState.objects.filter(area).count(),
    }


def _drop_indexes(models: Iterable[type[Model]]) -> list:
    """Drop the (non-unique) indexes of these tables; returns what to create again."""
    out = []
    with connection.schema_editor(atomic=False) as editor:
        for model in models:
            for index in model._meta.indexes:
                editor.remove_index(model, index)
                out.append((model, index))
    return out


def _create_indexes(dropped: list) -> None:
    with connection.schema_editor(atomic=False) as editor:
        for model, index in dropped:
            editor.add_index(model, index)


def check(region: Region | None = None) -> list[str]:
    """Differences between the stored rollups and the records (empty when they agree).

    Recomputes the facts from the transitions in SQL into a comparison (not stored),
    and compares per community × day and per grid the stored sums with them."""
    vendor = connection.vendor
    where = "1 = 1" if region is None else "c.path LIKE %s"
    params = [] if region is None else [region.path + "%"]
    cols = ", ".join(f"SUM(x.{f})" for f in FIELDS)
    sql = f"SELECT x.region_id, x.day, {cols} FROM ({_fact_select(vendor, where)}) x GROUP BY x.region_id, x.day"
    expected = {}
    with connection.cursor() as cur:
        cur.execute(sql, params * 2)
        for row in cur.fetchall():
            day = row[1] if isinstance(row[1], dt.date) else dt.date.fromisoformat(str(row[1]))
            expected[(row[0], day)] = row[2:]
    stored = {}
    for row in AreaDay.objects.filter(_area_q(region)).values_list("region_id", "day", *FIELDS):
        stored[(row[0], row[1])] = row[2:]
    problems = []
    for key in sorted(set(expected) | set(stored), key=lambda k: (k[1], k[0])):
        e, s = expected.get(key), stored.get(key)
        e = e or (0,) * len(FIELDS)
        s = s or (0,) * len(FIELDS)
        for name, a, b in zip(FIELDS, e, s):
            if abs(float(a or 0) - float(b or 0)) > (0.5 if name in SUMS else 0):
                problems.append(f"region {key[0]} day {key[1]}: {name} records {a} rollup {b}")
    # the finer tables must add up to the same totals
    tables = [DailyRollup, CategoryMonth, AreaMonth, AreaYear, CategoryYear]
    if region is None or region.level != "community":
        tables += [StreetDay, StreetCategoryMonth, StreetMonth, StreetYear, StreetCategoryYear]
    for model in tables:
        t1 = model.objects.filter(_area_q(region)).aggregate(**{f: Sum(f) for f in COUNTS})
        t2 = AreaDay.objects.filter(_area_q(region)).aggregate(**{f: Sum(f) for f in COUNTS})
        for f in COUNTS:
            if (t1[f] or 0) != (t2[f] or 0):
                problems.append(f"{model.__name__}.{f} total {t1[f]} differs from AreaDay {t2[f]}")
    # and every month and year cell must be the sum of its days (or months)
    for model, source in BUILD_ORDER:
        if model not in PERIOD_TABLES or (
            model in STREET_TABLES and region is not None and region.level == "community"
        ):
            continue
        stored, grouped = _cell_sums(model, model, region), _cell_sums(model, source, region)
        for key in sorted(set(stored) | set(grouped), key=str):
            a, b = stored.get(key, (0,) * len(FIELDS)), grouped.get(key, (0,) * len(FIELDS))
            for name, x, y in zip(FIELDS, a, b):
                if abs(float(x or 0) - float(y or 0)) > (0.5 if name in SUMS else 0):
                    problems.append(f"{model.__name__} {key}: {name} stored {x}, its {source.__name__} give {y}")
    now = timezone.now()
    reqs = ServiceRequest.objects.filter(state__in=OPEN_STATES)
    if region is not None:
        reqs = reqs.filter(region__path__startswith=region.path)
    records = reqs.aggregate(n=Count("pk"), late=Count("pk", filter=Q(due_at__lt=now)))
    refresh_stale(_area_q(region), now)
    grid = GridState.objects.filter(_area_q(region)).aggregate(n=Sum("open"), late=Sum("overdue"))
    if (grid["n"] or 0) != records["n"] or (grid["late"] or 0) != records["late"]:
        problems.append(
            f"open/overdue requests: records {records['n']}/{records['late']}, grid states {grid['n']}/{grid['late']}"
        )
    return problems


def _cell_sums(model: Any, source: Any, region: Region | None) -> dict:
    """Sums of ``source`` grouped by the cells of ``model`` (keys and period), inside ``region``."""
    keys = KEYS[model]
    qs = source.objects.filter(_area_q(region)).order_by()
    names = {f.name for f in source._meta.get_fields()}
    period = keys[-1]
    if period not in names:
        qs = qs.annotate(**{period: TRUNC[period]("day" if "day" in names else "month")})
    rows = (
        qs.values(*keys).annotate(**{f"s_{f}": Sum(f) for f in FIELDS}).values_list(*keys, *(f"s_{f}" for f in FIELDS))
    )
    out: dict = {}
    for row in rows:
        key = tuple(row[: len(keys)])
        prev = out.get(key)
        vals = row[len(keys) :]
        out[key] = vals if prev is None else tuple((p or 0) + (v or 0) for p, v in zip(prev, vals))
    return out


def latest_day() -> dt.date | None:
    return AreaDay.objects.aggregate(d=Max("day"))["d"]
