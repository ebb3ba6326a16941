"""Spreadsheet imports of units, people and households (openpyxl).

A district starts from the records it has in spreadsheets. The first row of the first sheet names the
columns, in Chinese or English (:data:`COLUMNS`); each further row is one record. Every row is created by
the org app's own service (``create_unit``, ``create_person``, ``create_household``), so an imported
record obeys exactly the rules of one entered by hand; each row runs in its own savepoint and a refusal
is kept with the row number, the column and the reason. :func:`execute` runs them all; the caller
(``services.run_import``) then commits (no row refused, not a dry run) or rolls the whole import back.
Later rows may refer to earlier ones of the same file (a person to a household imported above).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region
from gongzhi.org import services as org
from gongzhi.org.kinds import PARTY_KINDS, UnitKind
from gongzhi.org.models import Grid, Household, Person, Unit

# column key -> accepted header names (the first is the template's)
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "units": {
        "code": ("编码", "code"),
        "name": ("名称", "name"),
        "kind": ("类型", "kind"),
        "region": ("所在区域", "region"),
        "parent": ("上级编码", "parent"),
        "address": ("地址", "address"),
        "lon": ("经度", "lon"),
        "lat": ("纬度", "lat"),
    },
    "people": {
        "name": ("姓名", "name"),
        "region": ("所在区域", "region"),
        "gender": ("性别", "gender"),
        "birth_date": ("出生日期", "birth_date"),
        "id_number": ("身份证号", "id_number"),
        "phone": ("手机号", "phone"),
        "household": ("户编码", "household"),
        "is_mobile": ("流动人口", "is_mobile"),
    },
    "households": {
        "code": ("户编码", "code"),
        "address": ("地址", "address"),
        "region": ("所在区域", "region"),
        "building": ("楼栋", "building"),
        "grid": ("网格编码", "grid"),
    },
}
REQUIRED = {
    "units": ("code", "name", "kind", "region"),
    "people": ("name", "region"),
    "households": ("code", "address", "region"),
}
MAX_ROWS = 50_000


@dataclass(frozen=True)
class Refusal:
    row: int  # the spreadsheet's row number (the header is row 1)
    column: str  # the column key, "" for the whole row
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "code": self.code, "message": self.message}


@dataclass
class Sheet:
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


class RowError(DomainError):
    pass


def header_label(kind: str, key: str) -> str:
    return COLUMNS[kind][key][0]


def parse(kind: str, data: bytes) -> Sheet:
    """The rows of the first sheet, by column key. A file that is not a spreadsheet, or a header
    without a required column, is refused as a whole."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise DomainError(_("文件不是有效的 xlsx 电子表格"), field="file", code="bad_spreadsheet") from None
    ws = wb.worksheets[0]
    it = ws.iter_rows(values_only=True)
    header = next(it, None)
    if not header:
        raise DomainError(_("电子表格是空的：第1行应为列名"), field="file", code="bad_spreadsheet")
    names = {str(h).strip().lower(): i for i, h in enumerate(header) if h is not None}
    index: dict[str, int] = {}
    for key, aliases in COLUMNS[kind].items():
        for a in aliases:
            if a.lower() in names:
                index[key] = names[a.lower()]
                break
    missing = [header_label(kind, k) for k in REQUIRED[kind] if k not in index]
    if missing:
        raise DomainError(
            _("缺少必需的列：%(cols)s") % {"cols": "、".join(missing)}, field="file", code="bad_spreadsheet"
        )
    sheet = Sheet()
    for n, values in enumerate(it, start=2):
        if values is None or all(v is None or str(v).strip() == "" for v in values):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise DomainError(
                _("一次最多导入%(n)d行，请分批导入") % {"n": MAX_ROWS}, field="file", code="bad_spreadsheet"
            )
        row = {k: (values[i] if i < len(values) else None) for k, i in index.items()}
        sheet.rows.append((n, row))
    wb.close()
    return sheet


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _region(v: Any) -> Region:
    code = _text(v)
    r = Region.objects.filter(code=code).first() if code else None
    if r is None:
        raise RowError(_("区域代码“%(code)s”不存在") % {"code": code}, field="region")
    return r


def _date(v: Any, column: str) -> dt.date | None:
    if v is None or _text(v) == "":
        return None
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return dt.date.fromisoformat(_text(v))
    except ValueError:
        raise RowError(_("日期须写成 YYYY-MM-DD，而不是“%(v)s”") % {"v": _text(v)}, field=column) from None


def _float(v: Any, column: str) -> float | None:
    if v is None or _text(v) == "":
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise RowError(_("“%(v)s”不是数字") % {"v": _text(v)}, field=column) from None


def _kind(v: Any) -> str:
    text = _text(v)
    by_label = {str(label): value for value, label in UnitKind.choices}
    kind = text if text in UnitKind.values else by_label.get(text, "")
    if not kind:
        raise RowError(_("未知的单位类型“%(v)s”") % {"v": text}, field="kind")
    if kind in PARTY_KINDS:
        raise RowError(_("党组织须经成立程序（至少三名正式党员）建立，不能由表格导入"), field="kind")
    return kind


def _bool(v: Any, column: str) -> bool:
    text = _text(v).lower()
    if text in ("", "否", "no", "false", "0", "n"):
        return False
    if text in ("是", "yes", "true", "1", "y"):
        return True
    raise RowError(_("请填写“是”或“否”，而不是“%(v)s”") % {"v": _text(v)}, field=column)


def _gender(v: Any) -> str:
    text = _text(v).lower()
    found = {"": "", "男": "m", "女": "f", "m": "m", "f": "f", "male": "m", "female": "f"}.get(text)
    if found is None:
        raise RowError(_("性别请填写“男”或“女”"), field="gender")
    return found


def _create(kind: str, row: dict, actor: Any) -> None:
    if kind == "units":
        parent_code = _text(row.get("parent"))
        parent = Unit.objects.filter(code=parent_code).first() if parent_code else None
        if parent_code and parent is None:
            raise RowError(_("上级单位编码“%(code)s”不存在") % {"code": parent_code}, field="parent")
        org.create_unit(
            actor,
            code=_text(row.get("code")),
            name=_text(row.get("name")),
            kind=_kind(row.get("kind")),
            region=_region(row.get("region")),
            parent=parent,
            address=_text(row.get("address")),
            lon=_float(row.get("lon"), "lon"),
            lat=_float(row.get("lat"), "lat"),
        )
    elif kind == "people":
        hh_code = _text(row.get("household"))
        household = Household.objects.filter(code=hh_code).first() if hh_code else None
        if hh_code and household is None:
            raise RowError(_("户编码“%(code)s”不存在") % {"code": hh_code}, field="household")
        id_number = _text(row.get("id_number")).upper()
        if id_number and Person.objects.filter(id_number=id_number).exists():
            raise RowError(_("身份证号已登记"), field="id_number", code="duplicate")
        org.create_person(
            actor,
            name=_text(row.get("name")),
            region=_region(row.get("region")),
            gender=_gender(row.get("gender")),
            birth_date=_date(row.get("birth_date"), "birth_date"),
            id_number=id_number,
            phone=_text(row.get("phone")),
            household=household,
            is_mobile=_bool(row.get("is_mobile"), "is_mobile"),
        )
    else:
        region = _region(row.get("region"))
        grid_code = _text(row.get("grid"))
        grid = Grid.objects.filter(code=grid_code).first() if grid_code else None
        if grid_code and grid is None:
            raise RowError(_("网格编码“%(code)s”不存在") % {"code": grid_code}, field="grid")
        if grid is not None and grid.region_id != region.pk:
            raise RowError(
                _("网格%(grid)s不在区域%(region)s内") % {"grid": grid.code, "region": region.code}, field="grid"
            )
        org.create_household(
            actor,
            code=_text(row.get("code")),
            address=_text(row.get("address")),
            region=region,
            building=_text(row.get("building")),
            grid=grid,
        )


def execute(kind: str, sheet: Sheet, actor: Any) -> list[Refusal]:
    """Create every row in its own savepoint; the refusals, in row order. Must run inside the caller's
    transaction (which decides whether anything is kept)."""
    refused = []
    for n, row in sheet.rows:
        try:
            with transaction.atomic():
                _create(kind, row, actor)
        except DomainError as exc:
            refused.append(Refusal(n, exc.field or "", str(exc.code), exc.message))
    return refused


def template(kind: str) -> bytes:
    """An empty spreadsheet with the column names (Chinese) of ``kind``."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = kind
    ws.append([aliases[0] for aliases in COLUMNS[kind].values()])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
