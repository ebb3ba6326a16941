"""The "eight reports, eight problem lists" (八张报表、八张问题清单, Chongqing's "885", seed 004) as
seeded definitions: every field and every list is a named query over records (sources.py)."""

from __future__ import annotations

from django.db import transaction

from .models import ReportDefinition

REPORTS = [
    (
        "885-R1",
        "接诉即办运行报表",
        [
            ("requests", "cases.requests"),
            ("response", "cases.response_rate"),
            ("on_time", "cases.on_time_rate"),
            ("satisfaction", "cases.satisfaction_rate"),
            ("hours", "cases.median_hours_to_resolution"),
        ],
    ),
    (
        "885-R2",
        "诉求办理质量报表",
        [
            ("resolution", "cases.resolution_rate"),
            ("return", "cases.return_rate"),
            ("reopen", "cases.reopen_rate"),
            ("whistle", "cases.whistle_rate"),
            ("overdue", "cases.overdue_open"),
        ],
    ),
    (
        "885-R3",
        "党建联合体运行报表",
        [
            ("alliances", "alliances.active"),
            ("held", "alliances.meetings_held"),
            ("missing", "alliances.meetings_missing"),
            ("tasks", "alliances.tasks_completed"),
        ],
    ),
    (
        "885-R4",
        "公共池资源调度报表",
        [
            ("resources", "pool.resources_active"),
            ("idle", "pool.resources_idle"),
            ("open", "pool.needs_open"),
            ("closed", "pool.needs_closed"),
        ],
    ),
    (
        "885-R5",
        "志愿服务报表",
        [("volunteers", "volunteers.active"), ("records", "volunteers.records"), ("hours", "volunteers.hours")],
    ),
    ("885-R6", "矛盾纠纷调解报表", [("cases", "cases.mediations"), ("agreements", "cases.mediation_agreements")]),
    ("885-R7", "紧急先行处置报表", [("bypasses", "cases.bypasses"), ("unfiled", "cases.bypasses_unfiled")]),
    (
        "885-R8",
        "基层减负监测报表",
        [
            ("minutes", "burden.minutes"),
            ("reports", "burden.report_items"),
            ("saved", "burden.minutes_saved"),
            ("hidden", "burden.hidden_assessments"),
        ],
    ),
]
LISTS = [
    ("885-L1", "超期未办结诉求清单", "cases.overdue_requests"),
    ("885-L2", "紧急处置逾期未备案清单", "cases.unfiled_bypasses"),
    ("885-L3", "不满意诉求清单", "cases.unsatisfied"),
    ("885-L4", "重办诉求清单", "cases.reopened"),
    ("885-L5", "吹哨后未按时报到清单", "cases.late_reports"),
    ("885-L6", "1142会议落后的联合体清单", "alliances.behind_1142"),
    ("885-L7", "闲置资源清单", "pool.idle_resources"),
    ("885-L8", "超负荷网格员清单", "burden.overloaded_workers"),
]
FIELD_MINUTES = 10  # what filling one figure by hand would cost a worker (counting, checking, typing)


@transaction.atomic
def seed_definitions(actor) -> int:
    """Create the sixteen definitions that are missing (idempotent). Returns how many were made."""
    from . import services, sources

    have = set(ReportDefinition.objects.values_list("code", flat=True))
    made = 0
    for code, name, fields in REPORTS:
        if code in have:
            continue
        services.define_report(
            actor,
            code=code,
            name=name,
            seeded=True,
            description="八张报表（885机制）",
            fields=[
                {"code": c, "label": sources.FIELD_SOURCES[s].label, "source": s, "minutes": FIELD_MINUTES}
                for c, s in fields
            ],
        )
        made += 1
    for code, name, src in LISTS:
        if code in have:
            continue
        services.define_report(
            actor,
            code=code,
            name=name,
            kind=ReportDefinition.Kind.PROBLEM_LIST,
            list_source=src,
            seeded=True,
            description="八张问题清单（885机制）",
        )
        made += 1
    return made
