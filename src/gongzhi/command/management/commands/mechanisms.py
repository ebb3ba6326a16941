"""``gongzhi mechanisms seed|due|list|hold``: the "885" mechanisms from the command line.

- ``seed --region CODE``: define the five default mechanisms for a region (a district), where missing;
- ``due [--date D]``: make the sessions whose period has ended by D (the periodic job does it hourly);
- ``list [--region CODE] [--status due|held|missed]``: the sessions;
- ``hold ID --outcome TEXT [--present UNIT_ID …] [--decision TEXT …]``: record a session as held.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError

from ... import services
from ...models import MechanismSession


class Command(BaseCommand):
    help = 'The "885" mechanisms: seed the five defaults, make due sessions, list sessions, hold one.'

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        seed = sub.add_parser("seed", help="define the five default mechanisms for a region")
        seed.add_argument("--region", required=True, help="region code (a district)")
        due = sub.add_parser("due", help="make the sessions whose period has ended")
        due.add_argument("--date", help="YYYY-MM-DD (default: the district's today)")
        ls = sub.add_parser("list", help="list sessions")
        ls.add_argument("--region", help="region code (its subtree)")
        ls.add_argument("--status", choices=MechanismSession.Status.values)
        hold = sub.add_parser("hold", help="record a session as held")
        hold.add_argument("session", type=int)
        hold.add_argument("--outcome", required=True)
        hold.add_argument("--present", type=int, nargs="*", default=[])
        hold.add_argument("--decision", action="append", default=[])

    def handle(self, *args: Any, action: str, **o: Any) -> None:
        try:
            getattr(self, f"_{action}")(**o)
        except DomainError as e:
            raise CommandError(e.message) from None

    def _seed(self, region: str, **o: Any) -> None:
        reg = services.region_by_code(region)
        n = services.seed_mechanisms(SYSTEM, reg)
        self.stdout.write(f"{n} mechanism(s) defined for {reg.name}")

    def _due(self, date: str | None = None, **o: Any) -> None:
        try:
            day = dt.date.fromisoformat(date) if date else None
        except ValueError:
            raise CommandError(f"日期格式应为YYYY-MM-DD：{date}") from None
        made = services.schedule_due(SYSTEM, day)
        for s in made:
            self.stdout.write(f"{s.pk}\t{s.mechanism.name}\t{s.region.name}\t{s.period}\tdue {s.scheduled_on}")
        self.stdout.write(f"{len(made)} session(s) due")

    def _list(self, region: str | None = None, status: str | None = None, **o: Any) -> None:
        qs = MechanismSession.objects.select_related("mechanism", "region").order_by("-scheduled_on", "pk")
        if region:
            qs = qs.filter(region__path__startswith=services.region_by_code(region).path)
        if status:
            qs = qs.filter(status=status)
        for s in qs[:500]:
            self.stdout.write(
                f"{s.pk}\t{s.mechanism.name}\t{s.region.name}\t{s.period}\t{s.status}\t{s.held_on or ''}\t{s.outcome[:40]}"
            )

    def _hold(self, session: int, outcome: str, present: list[int], decision: list[str], **o: Any) -> None:
        s = MechanismSession.objects.select_related("mechanism", "region").filter(pk=session).first()
        if s is None:
            raise CommandError(f"没有编号为{session}的机制会议")
        s = services.hold_session(SYSTEM, s, outcome=outcome, present=present, decisions=decision)
        self.stdout.write(f"held: {s.mechanism.name} {s.region.name} {s.period} ({len(s.ranking)} ranked)")
