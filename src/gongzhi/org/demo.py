"""The demo district's power list (权力清单), beside the responsibility list the generator writes.

Called from the cases demo step (before its push-down examples), through the org services like any
list line. The powers are consistent with the responsibility list: every unit the list names for a matter
holds the powers that matter needs, so routing by the list is never refused; a residents' committee holds
none of them, so a gas leak (燃气泄漏, needs 燃气安全监管) or an illegal building (违法建设, needs 行政执法)
cannot be pushed down to it, even with its consent (seed 001: 权小责大)."""

from __future__ import annotations

import datetime as dt

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Region

from . import services
from .models import MatterCategory, Power, Unit

START = dt.date(2025, 1, 1)

# code: (name, description, categories needing it, departments holding it district-wide, streets hold it)
POWERS = {
    "gas_safety": (
        "燃气安全监管",
        "燃气设施检查、隐患责令整改、燃气违法行为处罚（《城镇燃气管理条例》）",
        ["03003"],
        ["CGW"],
        False,
    ),
    "enforcement": (
        "行政执法",
        "责令改正、查封扣押、行政处罚（街道综合行政执法队经区政府赋权）",
        ["01005", "08", "09"],
        ["CGJ", "STJ"],
        True,
    ),
    "safety_inspection": (
        "安全生产检查",
        "生产经营单位安全检查、责令停产整顿（《安全生产法》）",
        ["07"],
        ["YJJ"],
        True,
    ),
}


def install_power_list() -> int:
    """Define the powers and grant them in every district of the demo (idempotent: skipped if present)."""
    if Power.objects.exists():
        return 0
    cats = {c.code: c for c in MatterCategory.objects.all()}
    n = 0
    for district in Region.objects.filter(level=Region.Level.DISTRICT).order_by("code"):
        streets = list(Region.objects.filter(parent=district, level=Region.Level.STREET).order_by("code"))
        for code, (name, desc, needs, depts, streets_hold) in POWERS.items():
            power = Power.objects.filter(code=code).first() or services.define_power(
                SYSTEM, code=code, name=name, description=desc, categories=[cats[c] for c in needs if c in cats]
            )
            for abbr in depts:
                unit = Unit.objects.filter(code=f"{district.code}-{abbr}").first()
                if unit is not None:
                    services.grant_power(
                        SYSTEM, unit=unit, power=power, region=district, legal_basis=desc, effective_from=START
                    )
                    n += 1
            if streets_hold:
                for street in streets:
                    unit = Unit.objects.filter(code=f"{street.code}-GOV").first()
                    if unit is not None:
                        services.grant_power(
                            SYSTEM, unit=unit, power=power, region=street, legal_basis=desc, effective_from=START
                        )
                        n += 1
    return n
