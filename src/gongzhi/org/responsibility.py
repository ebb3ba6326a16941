"""Who handles a matter: (category, location, time) → responsible unit, with the reason.

The power/responsibility list line that applies is the one for the category
(or, failing that, its major class) in the most specific region containing the
location, in force at the given time. The line names a handling level
(community, street, district) or a department. When no line applies, or the
unit it names does not exist, the fallback chain is: the first-receiving unit
leads (首接负责), then the street, then the district.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region

from . import geo
from .kinds import HandlerLevel, SlaClass, UnitKind
from .models import Grid, MatterCategory, ResponsibilityRule, Unit

# The unit that handles matters for a region at each level, in order of preference.
HANDLER_KINDS = {
    Region.Level.COMMUNITY: [UnitKind.RESIDENTS_COMMITTEE, UnitKind.VILLAGERS_COMMITTEE, UnitKind.PARTY_COMMUNITY,
                             UnitKind.PARTY_VILLAGE],
    Region.Level.STREET: [UnitKind.GOVERNMENT, UnitKind.PARTY_STREET, UnitKind.PARTY_TOWNSHIP],
    Region.Level.DISTRICT: [UnitKind.GOVERNMENT, UnitKind.PARTY_DISTRICT],
    Region.Level.CITY: [UnitKind.GOVERNMENT, UnitKind.PARTY_CITY],
}


@dataclass
class Decision:
    unit: Unit
    category: MatterCategory
    grid: Grid | None
    region: Region
    rule: ResponsibilityRule | None
    sla: str
    fallback: str | None = None  # None | "first_receiver" | "street" | "district"
    reasons: list[str] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        return "；".join(self.reasons)

    def as_dict(self) -> dict:
        return {
            "unit": {"code": self.unit.code, "name": self.unit.name, "kind": self.unit.kind},
            "category": self.category.code,
            "grid": self.grid.code if self.grid else None,
            "region": self.region.code,
            "rule": (
                {"id": self.rule.pk, "version": self.rule.version, "region": self.rule.region.code,
                 "legal_basis": self.rule.legal_basis, "handler_level": self.rule.handler_level}
                if self.rule else None
            ),
            "sla": self.sla,
            "fallback": self.fallback,
            "explanation": self.explanation,
        }


def handling_unit(region: Region) -> Unit | None:
    kinds = HANDLER_KINDS.get(region.level, [])
    units = {u.kind: u for u in Unit.objects.filter(region=region, kind__in=kinds, status=Unit.Status.ESTABLISHED)
             .order_by("id")}
    for k in kinds:
        if k in units:
            return units[k]
    return None


def find_rule(category: MatterCategory, region: Region, day: dt.date) -> ResponsibilityRule | None:
    """The list line in force on ``day`` for ``category`` (or its major class), most specific region first."""
    paths = [p for p in _prefixes(region.path)]
    cats = [category] + ([category.parent] if category.parent_id else [])
    rules = list(
        ResponsibilityRule.objects.select_related("region", "department", "category")
        .filter(category__in=cats, region__path__in=paths, effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=day))
    )
    if not rules:
        return None
    # Own category before the major class; deeper region before wider; newest version first.
    rules.sort(key=lambda r: (r.category_id != category.pk, -len(r.region.path), -r.version))
    return rules[0]


def _prefixes(path: str) -> list[str]:
    parts = [p for p in path.strip("/").split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def resolve(category_code: str, *, lon: float | None = None, lat: float | None = None, grid: Grid | None = None,
            at: dt.datetime | None = None, first_receiver: Unit | None = None) -> Decision:
    """Decide the responsible unit for a matter at a place and time, with the reasons."""
    try:
        category = MatterCategory.objects.select_related("parent").get(code=category_code)
    except MatterCategory.DoesNotExist:
        raise DomainError(f"未知的事项类别：{category_code}", field="category", code="unknown_category") from None
    if grid is None:
        if lon is None or lat is None:
            raise DomainError("请提供位置（经纬度）或网格", field="location")
        grid = geo.locate(lon, lat)
    community = grid.region
    day = timezone.localdate(at) if at else timezone.localdate()
    reasons = [f"位置在网格{grid.code}“{grid.name}”（{community.name}）"]
    rule = find_rule(category, community, day)
    unit = None
    sla = category.default_sla
    if rule is not None:
        sla = rule.sla
        scope = "" if rule.category_id == category.pk else f"（按大类{rule.category.code}{rule.category.name}）"
        basis = f"，依据：{rule.legal_basis}" if rule.legal_basis else ""
        if rule.handler_level == HandlerLevel.DEPARTMENT:
            unit = rule.department if rule.department.status == Unit.Status.ESTABLISHED else None
            reasons.append(f"权责清单（{rule.region.name}第{rule.version}版，{rule.effective_from}起）{scope}"
                           f"规定由{rule.department.name}承办{basis}")
        else:
            target = community.ancestor_at(rule.handler_level)
            unit = handling_unit(target) if target else None
            reasons.append(f"权责清单（{rule.region.name}第{rule.version}版，{rule.effective_from}起）{scope}"
                           f"规定由{HandlerLevel(rule.handler_level).label}承办{basis}")
        if unit is None:
            reasons.append("清单指定的承办单位不存在或已撤销")
    else:
        reasons.append(f"权责清单中没有“{category.code} {category.name}”在此处生效的条目")
    fallback = None
    if unit is None:
        if first_receiver is not None:
            unit, fallback = first_receiver, "first_receiver"
            reasons.append(f"按首接负责制由首接单位{unit.name}牵头办理")
        else:
            for level, label in ((Region.Level.STREET, "street"), (Region.Level.DISTRICT, "district")):
                r = community.ancestor_at(level)
                unit = handling_unit(r) if r else None
                if unit is not None:
                    fallback = label
                    reasons.append(f"转由{unit.name}牵头办理（{'街道(乡镇)' if label == 'street' else '区(县)'}兜底）")
                    break
    if unit is None:
        raise DomainError(f"{community.name}及其上级没有可承办的单位，请先建立街道或区级单位", field="location",
                          code="no_handler")
    reasons.append(f"办理时限：{SlaClass(sla).label}")
    return Decision(unit=unit, category=category, grid=grid, region=community, rule=rule, sla=sla,
                    fallback=fallback, reasons=reasons)
