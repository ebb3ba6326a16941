"""``gongzhi rollups rebuild [--region CODE]`` recomputes the command-centre rollups from the records;
``gongzhi rollups check [--region CODE]`` compares them with the records (exit 1 on a difference)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError

from ... import rollups, services


class Command(BaseCommand):
    help = "Rebuild the command-centre rollups from the records, or check them against the records."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rebuild", "check"])
        parser.add_argument("--region", help="region code: only this region's subtree")

    def handle(self, *args, action, region=None, **opts):
        try:
            reg = services.region_by_code(region) if region else None
            t0 = time.perf_counter()
            if action == "rebuild":
                counts = services.rebuild_rollups(SYSTEM, reg)
                self.stdout.write(
                    f"rollups rebuilt in {time.perf_counter() - t0:.1f}s: "
                    + ", ".join(f"{k} {v:,}" for k, v in counts.items())
                )
                return
            problems = rollups.check(reg)
        except DomainError as e:
            raise CommandError(e.message) from None
        if problems:
            shown = "\n".join(problems[:50])
            raise CommandError(f"rollups differ from the records ({len(problems)} differences):\n{shown}")
        self.stdout.write(f"rollups agree with the records ({time.perf_counter() - t0:.1f}s)")
