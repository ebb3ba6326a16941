"""The public datasets: what each one holds, its licence and schema, and the function that builds it.

Every builder reads operational records and returns the exact bytes published and the number of
records; it applies the same masking rule as a logged-out visitor gets on every page (names of people
in public roles shortened to the surname, personal numbers in free text masked, no record a public page
does not show). Builders are pure reads: :mod:`gongzhi.opendata.services` stores and signs the result.

- ``popolo``: organisations, areas, persons in public roles and their memberships, Popolo JSON;
- ``open311-requests``: the public requests, the columns of Open311 GeoReport v2, one CSV;
- ``grids``: grid boundaries with names and codes, GeoJSON;
- ``grid-figures``: the request loop's public figures per grid for the last complete month, GeoJSON;
- ``figures``: every public figure of the district and of each street for the last complete month,
  with its definition, CSV;
- ``consultation-<id>``: each finished public consultation in the pol.is openData format (zip of
  comments.csv, votes.csv, participants-votes.csv, summary.csv), for red-dwarf or pol.is tools.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gongzhi.core import figures as registry
from gongzhi.core.models import Region
from gongzhi.org.kinds import MemberRole
from gongzhi.org.models import Grid, Membership, Unit

LICENCE = "CC BY 4.0"
LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
# People in these roles hold a public office (书记, 干部, 网格员, 调解员): they are in the Popolo export,
# under the surname-only name a logged-out visitor sees. Members, residents, staff and volunteers never.
PUBLIC_ROLES = (MemberRole.SECRETARY, MemberRole.CADRE, MemberRole.GRID_WORKER, MemberRole.MEDIATOR)
# Figures published per region (district and streets): every figure of these apps whose subject is a region.
PUBLIC_FIGURE_APPS = ("cases", "alliances", "volunteers", "resources", "plans", "burden")
GRID_FIGURES = ("requests", "response_rate", "on_time_rate", "satisfaction_rate", "resolution_rate")


@dataclass(frozen=True)
class Dataset:
    slug: str
    title: object
    description: object
    fmt: str
    content_type: str
    filename: str
    schema: str  # where the format is defined
    build: Callable[[dt.datetime], tuple[bytes, int]]
    licence: str = LICENCE


def _csv(header: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode("utf-8")


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def last_month(now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The last complete calendar month before ``now`` in the district's zone: [start, end)."""
    end = timezone.localtime(now).date().replace(day=1)
    start = (end - dt.timedelta(days=1)).replace(day=1)
    return start, end


# ------------------------------------------------------------------------------------------ Popolo


def person_id(pk: int) -> str:
    """A stable pseudonymous id: the same person has the same id in every export, and it cannot be
    turned back into the platform's row id without the site's secret."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"opendata.person:{pk}".encode(), hashlib.sha256)
    return "person/" + mac.hexdigest()[:16]


def popolo(now: dt.datetime) -> tuple[bytes, int]:
    from gongzhi.org.admin_base import mask_name

    areas = [
        {
            "id": f"area/{r.code}",
            "identifier": r.code,
            "name": r.name,
            "classification": r.level,
            "parent_id": f"area/{r.parent.code}" if r.parent is not None else None,
        }
        for r in Region.objects.select_related("parent").order_by("path")
    ]
    units = Unit.objects.select_related("parent", "region").exclude(status=Unit.Status.DISSOLVED).order_by("path")
    organizations = []
    for u in units:
        org = {
            "id": f"unit/{u.code}",
            "name": u.name,
            "classification": u.kind,
            "identifiers": [{"scheme": "gongzhi-unit", "identifier": u.code}],
            "parent_id": f"unit/{u.parent.code}" if u.parent is not None else None,
            "area_id": f"area/{u.region.code}",
        }
        if u.established_on:
            org["founding_date"] = u.established_on.isoformat()
        organizations.append(org)
    active = (
        Membership.objects.filter(role__in=PUBLIC_ROLES, end_date__isnull=True)
        .exclude(unit__status=Unit.Status.DISSOLVED)
        .select_related("person", "unit")
        .order_by("unit__path", "role", "person_id")
    )
    persons: dict[int, dict] = {}
    memberships = []
    for m in active:
        pid = person_id(m.person_id)
        persons.setdefault(m.person_id, {"id": pid, "name": mask_name(m.person.name)})
        memberships.append(
            {
                "id": f"membership/{m.pk}",
                "person_id": pid,
                "organization_id": f"unit/{m.unit.code}",
                "role": str(MemberRole(m.role).label),
                "start_date": m.start_date.isoformat(),
            }
        )
    data = {
        "areas": areas,
        "organizations": organizations,
        "persons": sorted(persons.values(), key=lambda p: p["id"]),
        "memberships": memberships,
    }
    return _json(data), len(areas) + len(organizations) + len(persons) + len(memberships)


# ------------------------------------------------------------------------------------------ Open311

OPEN311_COLUMNS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def open311_requests(now: dt.datetime) -> tuple[bytes, int]:
    from gongzhi.cases.open311 import public_requests, request_row

    rows = []
    for r in public_requests().filter(created_at__lt=now).order_by("created_at", "id").iterator(chunk_size=2000):
        row = request_row(r)
        rows.append(["" if row[c] is None else row[c] for c in OPEN311_COLUMNS])
    return _csv(OPEN311_COLUMNS, rows), len(rows)


# ------------------------------------------------------------------------------------------ grids


def _grid_features(props_of: Callable[[Grid], dict]) -> tuple[bytes, int]:
    grids = Grid.objects.select_related("region").order_by("code")
    features = [{"type": "Feature", "id": g.code, "geometry": g.geometry, "properties": props_of(g)} for g in grids]
    return _json({"type": "FeatureCollection", "features": features}), len(features)


def grids(now: dt.datetime) -> tuple[bytes, int]:
    return _grid_features(lambda g: {"code": g.code, "name": g.name, "community": g.region.code})


def grid_figures(now: dt.datetime) -> tuple[bytes, int]:
    from gongzhi.cases import figures as case_figures

    start, end = last_month(now)
    rows = case_figures.compute("grid", start=case_figures.aware(start), end=case_figures.aware(end))
    by_grid = {r["key"]: r for r in rows}

    def props(g: Grid) -> dict:
        r = by_grid.get(g.code, {})
        out: dict = {"code": g.code, "name": g.name, "period_start": start.isoformat(), "period_end": end.isoformat()}
        for k in GRID_FIGURES:
            v = r.get(k)
            out[k] = v["value"] if isinstance(v, dict) else v
        return out

    return _grid_features(props)


# ------------------------------------------------------------------------------------------ figures

FIGURE_COLUMNS = [
    "figure",
    "label",
    "unit",
    "definition",
    "region",
    "region_name",
    "level",
    "period_start",
    "period_end",
    "value",
    "numerator",
    "denominator",
]


def public_figures() -> list[registry.Figure]:
    return [f for f in registry.all() if f.app in PUBLIC_FIGURE_APPS]


def figures_csv(now: dt.datetime) -> tuple[bytes, int]:
    start, end = last_month(now)
    regions = list(Region.objects.filter(level__in=["district", "street"]).order_by("path"))
    rows = []
    for f in public_figures():
        for region in regions:
            v = registry.compute(f.name, region, start, end, fast=True)
            num = den = ""
            if isinstance(v, dict):
                num, den, v = v.get("num", ""), v.get("den", ""), v.get("value")
            rows.append(
                [
                    f.name,
                    str(f.label),
                    f.unit,
                    " ".join(f.doc.split()),
                    region.code,
                    region.name,
                    region.level,
                    start.isoformat(),
                    end.isoformat(),
                    "" if v is None else (round(v, 6) if isinstance(v, float) else v),
                    num,
                    den,
                ]
            )
    return _csv(FIGURE_COLUMNS, rows), len(rows)


# ------------------------------------------------------------------------------------------ pol.is


def finished_consultations(now: dt.datetime) -> Any:
    """Public consultations (of a community or village) with statements whose discussion is over: every
    collect, deliberate and vote phase has ended (the results may still be in their publication phase)."""
    from django.db.models import Q

    from gongzhi.consult.models import Phase, Topic

    open_phases = Q(phases__kind__in=[Phase.Kind.COLLECT, Phase.Kind.DELIBERATE, Phase.Kind.VOTE])
    return (
        Topic.objects.filter(scope__in=[Topic.Scope.COMMUNITY, Topic.Scope.VILLAGE], statements__isnull=False)
        .annotate(last_end=Max("phases__ends_at", filter=open_phases))
        .filter(last_end__lte=now)
        .distinct()
        .order_by("id")
    )


def consultation(topic_id: int) -> Callable[[dt.datetime], tuple[bytes, int]]:
    def build(now: dt.datetime) -> tuple[bytes, int]:
        from gongzhi.consult.models import Topic
        from gongzhi.consult.services import export_polis

        topic = Topic.objects.get(pk=topic_id)
        files = export_polis(topic, mask=True, public=True)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for name in sorted(files):
                info = zipfile.ZipInfo(f"consultation-{topic_id}/{name}", date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, files[name])
        return out.getvalue(), files["votes.csv"].count("\n") - 1

    return build


STATIC: tuple[Dataset, ...] = (
    Dataset(
        "popolo",
        _("组织、区域与公职人员"),
        _("单位、区域、担任公共职务的人员（仅姓氏）及其任职，Popolo JSON"),
        "Popolo JSON",
        "application/json",
        "popolo.json",
        "https://www.popoloproject.com/specs/",
        popolo,
    ),
    Dataset(
        "open311-requests",
        _("公开诉求"),
        _("公开类别的群众诉求，Open311 GeoReport v2 字段，批量 CSV"),
        "CSV",
        "text/csv; charset=utf-8",
        "open311-requests.csv",
        "https://wiki.open311.org/GeoReport_v2/",
        open311_requests,
    ),
    Dataset(
        "grids",
        _("网格边界"),
        _("全部网格的边界、名称与编码，GeoJSON"),
        "GeoJSON",
        "application/geo+json",
        "grids.geojson",
        "https://datatracker.ietf.org/doc/html/rfc7946",
        grids,
    ),
    Dataset(
        "grid-figures",
        _("网格公开指标"),
        _("上一个完整月份各网格的诉求量、响应率、按时办结率、满意率、解决率，GeoJSON"),
        "GeoJSON",
        "application/geo+json",
        "grid-figures.geojson",
        "https://datatracker.ietf.org/doc/html/rfc7946",
        grid_figures,
    ),
    Dataset(
        "figures",
        _("公开指标及其定义"),
        _("上一个完整月份全区和各街道的每项公开指标，附定义、分子和分母，CSV"),
        "CSV",
        "text/csv; charset=utf-8",
        "figures.csv",
        "/data/figures/schema",
        figures_csv,
    ),
)


def all_datasets(now: dt.datetime | None = None) -> list[Dataset]:
    """The static datasets and one per finished public consultation."""
    now = now or timezone.now()
    out = list(STATIC)
    for topic in finished_consultations(now):
        out.append(
            Dataset(
                f"consultation-{topic.pk}",
                _("协商议题：%(title)s") % {"title": topic.title},
                _("pol.is openData 格式（comments.csv、votes.csv、participants-votes.csv、summary.csv）"),
                "ZIP (CSV)",
                "application/zip",
                f"consultation-{topic.pk}.zip",
                "https://github.com/compdemocracy/openData",
                consultation(topic.pk),
            )
        )
    return out


def get(slug: str, now: dt.datetime | None = None) -> Dataset | None:
    for d in STATIC:
        if d.slug == slug:
            return d
    if slug.startswith("consultation-") and slug[len("consultation-") :].isdigit():
        return next((d for d in all_datasets(now) if d.slug == slug), None)
    return None
