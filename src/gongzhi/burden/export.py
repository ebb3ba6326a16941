"""Exports of generated reports: xlsx (openpyxl) and PDF (reportlab, Chinese via the built-in CID font
STSong-Light, no font file needed). One sheet / one section per report."""

from __future__ import annotations

import io

from django.utils import timezone

UNITS = {"rate": "%", "hours": "小时", "minutes": "分钟", "count": ""}
MANUAL = "（需人工填写）"


def _value(v: dict):
    if v.get("manual"):
        return MANUAL
    return "—" if v.get("value") is None else v["value"]


def _title(rep) -> str:
    return f"{rep.definition.name}（{rep.region.name}，{rep.period}）"


def to_xlsx(reports) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for rep in reports:
        name = rep.definition.code[:28]
        while name in used:
            name = name[:26] + f"_{len(used)}"
        used.add(name)
        ws = wb.create_sheet(name)
        ws.append([_title(rep)])
        ws["A1"].font = Font(bold=True, size=13)
        ws.append(
            [f"生成时间：{timezone.localtime(rep.generated_at):%Y-%m-%d %H:%M}", "数据来源：平台业务记录（自动生成）"]
        )
        ws.append([])
        if rep.values:
            ws.append(["指标", "数值", "单位", "数据来源"])
            for v in rep.values:
                ws.append([v["label"], _value(v), UNITS.get(v.get("unit") or "", ""), v["source"]])
            ws.append([])
        if rep.columns:
            ws.append(list(rep.columns))
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
            for row in rep.rows:
                ws.append(list(row))
            if not rep.rows:
                ws.append(["（本期无问题）"])
        for col, width in zip("ABCDEF", (34, 22, 18, 22, 20, 14)):
            ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_pdf(reports) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import (
        PageBreak,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    from gongzhi.core.pdf import cjk_font

    font = cjk_font()
    styles = getSampleStyleSheet()
    for s in ("Title", "Normal", "Heading2"):
        styles[s].fontName = font
    cell = styles["Normal"].clone("cell", fontName=font, fontSize=8, leading=10)

    def table(data, widths=None):
        t = Table([[Paragraph(str(c), cell) for c in row] for row in data], colWidths=widths, repeatRows=1)
        t.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ]
            )
        )
        return t

    story = []
    for i, rep in enumerate(reports):
        if i:
            story.append(PageBreak())
        story.append(Paragraph(_title(rep), styles["Title"]))
        story.append(
            Paragraph(
                f"生成时间：{timezone.localtime(rep.generated_at):%Y-%m-%d %H:%M}；数据来源：平台业务记录（自动生成）",
                styles["Normal"],
            )
        )
        story.append(Spacer(1, 8))
        if rep.values:
            story.append(
                table(
                    [["指标", "数值", "单位", "数据来源"]]
                    + [[v["label"], _value(v), UNITS.get(v.get("unit") or "", ""), v["source"]] for v in rep.values]
                )
            )
            story.append(Spacer(1, 8))
        if rep.columns:
            story.append(
                table(
                    [list(rep.columns)] + [list(r) for r in rep.rows]
                    if rep.rows
                    else [list(rep.columns), ["（本期无问题）"] + [""] * (len(rep.columns) - 1)]
                )
            )
    if not story:
        story.append(Paragraph("（无报表）", styles["Normal"]))
    buf = io.BytesIO()
    SimpleDocTemplate(
        buf, pagesize=A4, title="报表", leftMargin=36, rightMargin=36, topMargin=36, bottomMargin=36
    ).build(story)
    return buf.getvalue()
