from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gongzhi.core.actors import SYSTEM
from gongzhi.core.services import region_by_code
from gongzhi.org import party


class Command(BaseCommand):
    help = (
        "List where a party organisation should exist but does not (应建未建): units with three or more "
        "full party members working there and no organisation in them, communities with three or more "
        "living there and no primary organisation (party constitution art. 30, seed 004)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", help="region code (default: everywhere)")

    def handle(self, *args: Any, **opts: Any) -> None:
        within = region_by_code(opts["region"]) if opts.get("region") else None
        found = party.gaps(SYSTEM, within)
        for g in found:
            where = f"{g.unit.code} {g.name}" if g.unit else f"{g.region.code} {g.name}"
            self.stdout.write(
                f"[{'单位' if g.unit else '社区/村'}] {where}（{g.region.name}）：正式党员{len(g.members)}名"
            )
            for p in g.members:
                self.stdout.write(f"    {p.name}  组织关系：{party.relation_label(p)}")
        self.stdout.write(f"共{len(found)}处应建未建 ({len(found)} gaps)")
