"""Reports defined as data: refusals, the seeded 885 definitions, generation from records, xlsx/PDF
that really open, the CLI."""

from __future__ import annotations

import io
import re

import pytest

from gongzhi.burden import services as S
from gongzhi.burden import sources
from gongzhi.burden.export import to_pdf, to_xlsx
from gongzhi.burden.meter import parse_period
from gongzhi.burden.models import GeneratedReport, ReportDefinition, ReportField
from gongzhi.burden.seed import LISTS, REPORTS, seed_definitions
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError

from .conftest import day


def test_a_field_naming_an_unknown_query_is_refused(db):
    with pytest.raises(DomainError) as e:
        S.define_report(
            SYSTEM,
            code="X",
            name="坏报表",
            fields=[
                {"code": "a", "label": "受理数", "source": "cases.requests"},
                {"code": "b", "label": "神秘指标", "source": "cases.no_such_query"},
            ],
        )
    assert e.value.field == "fields" and "cases.no_such_query" in e.value.message and "神秘指标" in e.value.message
    assert not ReportDefinition.objects.exists() and not ReportField.objects.exists()
    with pytest.raises(DomainError) as e:
        S.define_report(SYSTEM, code="L", name="坏清单", kind="problem_list", list_source="nope")
    assert e.value.field == "list_source" and "nope" in e.value.message
    with pytest.raises(DomainError):
        S.define_report(SYSTEM, code="E", name="空报表", fields=[])


def test_the_885_are_seeded_once_and_every_source_is_registered(db):
    assert seed_definitions(SYSTEM) == 16
    assert seed_definitions(SYSTEM) == 0
    assert ReportDefinition.objects.filter(seeded=True, kind="report").count() == 8
    assert ReportDefinition.objects.filter(seeded=True, kind="problem_list").count() == 8
    for _code, _name, fields in REPORTS:
        assert all(src in sources.FIELD_SOURCES for _c, src in fields)
    assert {src for _c, _n, src in LISTS} == set(sources.LIST_SOURCES)


@pytest.fixture
def demo_records(bworld):
    from gongzhi.alliances import demo as alliances_demo
    from gongzhi.cases import demo as cases_demo

    cases_demo.generate(seed=5, scale="tiny", progress=lambda *a: None)
    alliances_demo.generate(seed=5, scale="tiny", progress=lambda *a: None)
    seed_definitions(SYSTEM)
    return bworld


def test_generated_values_are_the_figures_of_the_records(demo_records):
    from gongzhi.cases import figures

    w = demo_records
    period = f"{day(w, 35):%Y-%m}"
    start, end = parse_period(period)
    rep = S.generate_report(SYSTEM, ReportDefinition.objects.get(code="885-R1"), w.street_a, period)
    values = {v["code"]: v["value"] for v in rep.values}
    t = figures.total(start=sources._aware(start), end=sources._aware(end), within=w.street_a)
    assert values["requests"] == t["requests"] > 0
    sat = t["satisfaction_rate"]["value"]
    assert values["satisfaction"] == (None if sat is None else round(100 * sat, 1))
    lst = S.generate_report(SYSTEM, ReportDefinition.objects.get(code="885-L1"), w.district, period)
    assert lst.columns[0] == "编号"
    overdue = sources.compute_field("cases.overdue_open", w.district, start, end)
    assert len(lst.rows) == min(overdue, 500)
    with pytest.raises(DomainError) as e:
        S.generate_report(SYSTEM, ReportDefinition.objects.get(code="885-R1"), w.street_a, "2026/10")
    assert e.value.field == "period"


def _pdf_pages(body: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page[^s]", body))


def test_xlsx_and_pdf_really_open(demo_records):
    from openpyxl import load_workbook

    w = demo_records
    period = f"{day(w, 35):%Y-%m}"
    reps = [
        S.generate_report(SYSTEM, d, w.district, period)
        for d in ReportDefinition.objects.filter(seeded=True).order_by("kind", "code")
    ]
    wb = load_workbook(io.BytesIO(to_xlsx(reps)))
    assert len(wb.sheetnames) == 16 and wb.sheetnames[0] == "885-L1"
    ws = wb["885-R1"]
    assert ws["A1"].value.startswith("接诉即办运行报表") and ws["A5"].value == "诉求受理量"
    assert ws["B5"].value == reps[[r.definition.code for r in reps].index("885-R1")].values[0]["value"]
    body = to_pdf(reps)
    assert body.startswith(b"%PDF") and _pdf_pages(body) >= 16
    one = to_pdf([reps[-1]])
    assert one.startswith(b"%PDF") and _pdf_pages(one) == 1


def test_cli_generates_the_885_for_a_region_and_month(demo_records, tmp_path):
    from django.core.management import call_command
    from openpyxl import load_workbook

    w = demo_records
    period = f"{day(w, 35):%Y-%m}"
    out = tmp_path / "r.xlsx"
    call_command(
        "reports",
        "generate",
        "--region",
        w.street_a.code,
        "--period",
        period,
        "--format",
        "xlsx",
        "-o",
        str(out),
        stdout=io.StringIO(),
    )
    assert len(load_workbook(out).sheetnames) == 16
    pdf = tmp_path / "r.pdf"
    call_command(
        "reports",
        "generate",
        "--region",
        w.street_a.code,
        "--period",
        period,
        "--format",
        "pdf",
        "-o",
        str(pdf),
        "--definition",
        "885-R3",
        stdout=io.StringIO(),
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    assert GeneratedReport.objects.filter(region=w.street_a, period=period).count() == 17
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="报表期"):
        call_command(
            "reports", "generate", "--region", w.street_a.code, "--period", "oct", "-o", str(out), stdout=io.StringIO()
        )
