"""The printable daily brief (每日简报) of a centre: a PDF from the rollups (reportlab, Chinese via STSong-Light)."""

from __future__ import annotations

import datetime as dt
import io

from gongzhi.core.models import Region

from . import desk, queries


def _pct(r: dict) -> str:
    return "—" if r["value"] is None else f"{r['value']:.1%}（{r['num']}/{r['den']}）"


def data(user, region: Region, day: dt.date) -> dict:
    """The brief's content for ``day``: that day's figures, the 30 days to it, the open requests now."""
    start30 = day - dt.timedelta(days=queries.PERIOD_DAYS - 1)
    queries.rollups.refresh_stale(queries.area(region))
    return {
        "region": region,
        "day": day,
        "today": queries.totals(region, day, day),
        "month": queries.totals(region, start30, day),
        "now": queries.open_now(region),
        "children": queries.children(region, start30, day),
        "top": queries.top_categories(region, start30, day, limit=5),
        "hot": queries.hot_spots(region, limit=5),
        "alerts": queries.alerts(user, region, limit=10),
        "incidents": queries.incidents(user, region),
        "bypasses": desk.unfiled_bypasses(region, limit=10),
    }


def render_pdf(user, region: Region, day: dt.date) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    from gongzhi.core.pdf import paragraph_styles

    h1, h2, body = paragraph_styles(9.5)
    d = data(user, region, day)
    style = TableStyle(
        [
            ("FONT", (0, 0), (-1, -1), body.fontName, 9),
            ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f3ece6")),
        ]
    )

    def table(rows, widths=None):
        t = Table(rows, colWidths=widths, repeatRows=1)
        t.setStyle(style)
        return t

    out = [
        Paragraph(f"{region.name}指挥中心 每日简报", h1),
        Paragraph(f"日期：{day:%Y年%m月%d日}　近30天：{day - dt.timedelta(days=29):%m月%d日}至{day:%m月%d日}", body),
        Paragraph("数据来源：诉求流转记录的汇总表（按事件实时更新）", body),
    ]
    t, m = d["today"], d["month"]
    out += [
        Paragraph("一、主要指标", h2),
        table(
            [
                ["指标", "当日", "近30天"],
                ["新增诉求", str(t["requests"]), str(m["requests"])],
                ["响应率", _pct(t["response_rate"]), _pct(m["response_rate"])],
                ["解决率", _pct(t["resolution_rate"]), _pct(m["resolution_rate"])],
                ["满意率", _pct(t["satisfaction_rate"]), _pct(m["satisfaction_rate"])],
                ["按时办结率", _pct(t["on_time_rate"]), _pct(m["on_time_rate"])],
                ["吹哨率", _pct(t["whistle_rate"]), _pct(m["whistle_rate"])],
            ],
            [40 * mm, 55 * mm, 55 * mm],
        ),
        Paragraph(f"当前在办诉求 {d['now']['open']} 件，其中超期 {d['now']['overdue']} 件。", body),
    ]
    if d["children"]:
        out += [
            Paragraph("二、下级对比（近30天）", h2),
            table(
                [["区域", "诉求", "响应率", "满意率", "在办", "超期"]]
                + [
                    [
                        c["name"],
                        str(c["requests"]),
                        _pct(c["response_rate"]),
                        _pct(c["satisfaction_rate"]),
                        str(c["open"]),
                        str(c["overdue"]),
                    ]
                    for c in d["children"]
                ]
            ),
        ]
    out += [
        Paragraph("三、高发事项（近30天）", h2),
        table(
            [["事项", "诉求", "满意率"]]
            + [[f"{c['code']} {c['name']}", str(c["requests"]), _pct(c["satisfaction_rate"])] for c in d["top"]]
        )
        if d["top"]
        else Paragraph("无", body),
        Paragraph("四、热点网格（在办/超期）", h2),
        table(
            [["网格", "社区/村", "在办", "超期"]]
            + [[f"{h['code']} {h['name']}", h["community"], str(h["open"]), str(h["overdue"])] for h in d["hot"]]
        )
        if d["hot"]
        else Paragraph("无", body),
        Paragraph("五、预警、突发事件与待备案", h2),
    ]
    lines = [f"预警：{a.title}" for a in d["alerts"]] + [f"突发事件：{i.name}" for i in d["incidents"]]
    lines += [f"紧急先行处置未按时备案：{b.grid.code} {b.summary}" for b in d["bypasses"]]
    out += [Paragraph(x, body) for x in lines] or [Paragraph("无", body)]
    out.append(Spacer(1, 6 * mm))
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf,
        pagesize=A4,
        title=f"{region.name}每日简报 {day}",
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    ).build(out)
    return buf.getvalue()
