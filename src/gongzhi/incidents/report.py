"""The after-action report (复盘报告): every figure computed from the records — the incident log, the
requests the desk received (cases), the mobilisation rows and the pool needs (resources).

Formulas (times in hours / minutes, medians over the rows that have both ends):

* requests: received = requests from the area routed by the override while active; resolved = state
  resolved/confirmed/closed; on time = resolved_at <= due_at; time to resolve = resolved_at − created_at.
* people: mobilised = rows; checked in = checked_in_at set; check-in rate = checked in / mobilised;
  time to check in = checked_in_at − notified_at; assigned = assigned_at set.
* needs: per need quantity, delivered (fulfilled), committed/in transit, open (``need_progress``); met = closed
  or fulfilled >= quantity.
"""

from __future__ import annotations

import io
import statistics

from django.urls import reverse
from django.utils import timezone

from gongzhi.core.pdf import paragraph_styles

from .models import Incident, IncidentNeed, Mobilisation
from .services import desk_requests


def _median(xs):
    return round(statistics.median(xs), 1) if xs else None


def build(incident: Incident) -> dict:
    from gongzhi.cases.models import State
    from gongzhi.resources.services import need_progress

    end = incident.stood_down_at or timezone.now()
    reqs = list(desk_requests(incident).select_related("category", "handling_unit", "grid").order_by("created_at"))
    done_states = {State.RESOLVED, State.CONFIRMED, State.CLOSED}
    by_state: dict[str, int] = {}
    labels = dict(State.choices)
    hours, on_time = [], 0
    rows = []
    for r in reqs:
        by_state[r.state] = by_state.get(r.state, 0) + 1
        h = None
        if r.resolved_at and r.state in done_states:
            h = (r.resolved_at - r.created_at).total_seconds() / 3600
            hours.append(h)
            if r.due_at and r.resolved_at <= r.due_at:
                on_time += 1
        rows.append(
            {
                "number": r.number,
                "created_at": r.created_at,
                "category": r.category.name if r.category else "",
                "grid": r.grid.code,
                "state": labels.get(r.state, r.state),
                "unit": r.handling_unit.name if r.handling_unit else "",
                "hours": round(h, 1) if h is not None else None,
                "url": reverse("cases:detail", args=[r.number]),
            }
        )
    resolved = len(hours)
    mobs = list(Mobilisation.objects.filter(incident=incident).select_related("person", "grid"))
    kinds = dict(Mobilisation.Kind.choices)
    people = {}
    minutes = []
    for m in mobs:
        p = people.setdefault(m.kind, {"label": kinds[m.kind], "mobilised": 0, "checked_in": 0, "assigned": 0})
        p["mobilised"] += 1
        if m.checked_in_at:
            p["checked_in"] += 1
            minutes.append((m.checked_in_at - m.notified_at).total_seconds() / 60)
        if m.assigned_at:
            p["assigned"] += 1
    checked = sum(1 for m in mobs if m.checked_in_at)
    needs = []
    met = 0
    for link in IncidentNeed.objects.filter(incident=incident).select_related("need"):
        n = link.need
        prog = need_progress(n)
        is_met = n.status == n.Status.CLOSED or prog["fulfilled"] >= n.quantity
        met += is_met
        needs.append(
            {
                "id": n.pk,
                "title": n.title,
                "kind": n.get_kind_display(),
                "quantity": n.quantity,
                "status": n.get_status_display(),
                "fulfilled": prog["fulfilled"],
                "committed": prog["committed"] + prog["in_transit"],
                "open": prog["open"],
                "met": is_met,
                "url": reverse("resources:need", args=[n.pk]),
            }
        )
    return {
        "incident": incident,
        "duration_h": round((end - incident.declared_at).total_seconds() / 3600, 1),
        "timeline": list(incident.log.all()),
        "requests": {
            "received": len(reqs),
            "resolved": resolved,
            "on_time": on_time,
            "on_time_rate": round(on_time / resolved, 3) if resolved else None,
            "median_hours": _median(hours),
            "by_state": [(labels.get(s, s), n) for s, n in sorted(by_state.items())],
            "rows": rows,
        },
        "people": {
            "mobilised": len(mobs),
            "checked_in": checked,
            "check_in_rate": round(checked / len(mobs), 3) if mobs else None,
            "assigned": sum(1 for m in mobs if m.assigned_at),
            "median_check_in_minutes": _median(minutes),
            "by_kind": list(people.values()),
        },
        "needs": {"raised": len(needs), "met": met, "rows": needs},
    }


def _pct(x):
    return "—" if x is None else f"{x * 100:.0f}%"


def pdf(incident: Incident) -> bytes:
    """The report as a PDF (reportlab; Chinese text in the CJK font of :mod:`gongzhi.core.pdf`)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    r = build(incident)
    h1, h2, body = paragraph_styles(10, cjk_wrap=True)

    def table(data, widths=None):
        t = Table([[Paragraph(str(c), body) for c in row] for row in data], colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    def t(dt_):
        return timezone.localtime(dt_).strftime("%Y-%m-%d %H:%M") if dt_ else "—"

    inc = incident
    rq, pp, nd = r["requests"], r["people"], r["needs"]
    story = [
        Paragraph(f"应急处置复盘报告：{inc.name}", h1),
        Paragraph(f"编号 {inc.code}　类型 {inc.get_kind_display()}　级别 {inc.get_severity_display()}", body),
        Paragraph(f"区域 {inc.region.name}　应急指挥席 {inc.desk_unit.name}　影响网格 {inc.area.count()} 个", body),
        Paragraph(f"宣布 {t(inc.declared_at)}　终止 {t(inc.stood_down_at)}　历时 {r['duration_h']} 小时", body),
        Paragraph("一、诉求受理与办理", h2),
        table(
            [
                ["受理", "办结", "按时办结", "按时率", "办结用时中位数(小时)"],
                [
                    rq["received"],
                    rq["resolved"],
                    rq["on_time"],
                    _pct(rq["on_time_rate"]),
                    rq["median_hours"] if rq["median_hours"] is not None else "—",
                ],
            ]
        ),
        Spacer(1, 4),
        table([["状态", "件数"]] + [[s, n] for s, n in rq["by_state"]] or [["—", 0]], [60 * mm, 30 * mm]),
        Paragraph("二、人员动员与报到", h2),
        table(
            [["身份", "动员", "报到", "分派任务"]]
            + [[k["label"], k["mobilised"], k["checked_in"], k["assigned"]] for k in pp["by_kind"]]
            + [["合计", pp["mobilised"], pp["checked_in"], pp["assigned"]]]
        ),
        Paragraph(
            f"报到率 {_pct(pp['check_in_rate'])}；报到用时中位数 "
            f"{pp['median_check_in_minutes'] if pp['median_check_in_minutes'] is not None else '—'} 分钟",
            body,
        ),
        Paragraph("三、需求与满足", h2),
        table(
            [["需求", "类别", "数量", "已送达", "已承诺/在途", "待满足", "状态"]]
            + [
                [n["title"], n["kind"], n["quantity"], n["fulfilled"], n["committed"], n["open"], n["status"]]
                for n in nd["rows"]
            ]
        ),
        Paragraph(f"共 {nd['raised']} 项，已满足 {nd['met']} 项", body),
        Paragraph("四、事件日志", h2),
        table(
            [["时间", "类型", "内容"]] + [[t(e.at), e.get_kind_display(), e.text] for e in r["timeline"]],
            [32 * mm, 28 * mm, 110 * mm],
        ),
        Spacer(1, 6),
        Paragraph(
            "本报告全部数字由系统业务记录（诉求、流转、动员、报到、资源池需求与分配）自动计算生成；事件日志已写入公开记录。",
            body,
        ),
    ]
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"复盘报告 {inc.code}",
    )
    doc.build(story)
    return buf.getvalue()
