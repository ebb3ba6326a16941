from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.services import region_by_code
from gongzhi.org import coverage


def _pct(r: float | None) -> str:
    return "—" if r is None else f"{100 * r:.1f}%"


class Command(BaseCommand):
    help = (
        "Party members' household coverage (包片联户, seed 002): per community and grid, households, households "
        "linked by an active link and the rate; party members linking households; the gaps (--gaps lists them)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--region", help="region code (default: everywhere)")
        parser.add_argument("--gaps", action="store_true", help="list unlinked households and members")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            within = region_by_code(opts["region"]) if opts.get("region") else None
        except DomainError as e:
            raise CommandError(e.message) from None
        rows = coverage.coverage(SYSTEM, within)
        for r in rows:
            self.stdout.write(
                f"{r.region.code} {r.region.name}：{r.linked}/{r.households}户 {_pct(r.rate)}，"
                f"联户党员{r.members_linking}/{r.members}"
            )
            for g in r.grids:
                self.stdout.write(f"    {g.grid.code} {g.grid.name}：{g.linked}/{g.households}户 {_pct(g.rate)}")
        t = coverage.totals(rows)
        if opts.get("gaps"):
            found = coverage.gaps(SYSTEM, within)
            for h in found.households:
                self.stdout.write(f"[未联系户] {h.code} {h.region.name} {h.grid.code if h.grid else '—'}")
            for p in found.members:
                self.stdout.write(f"[未联户党员] #{p.pk} {p.name} {p.region.name}")
        self.stdout.write(
            f"共{t['communities']}个社区/村：{t['linked']}/{t['households']}户 {_pct(t['rate'])}"
            f" ({t['linked']} of {t['households']} households linked)"
        )
