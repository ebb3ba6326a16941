"""``gongzhi pool_match``: run the common-pool matcher over a region as the system."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region

from ... import services


class Command(BaseCommand):
    help = "Match the open needs of a region (default: the whole city) to the pool and print the figures."

    def add_arguments(self, parser):
        parser.add_argument("--region", help="region code (default: the root region)")
        parser.add_argument(
            "--method",
            choices=["flow", "greedy"],
            default="flow",
            help="min-cost flow (default) or the greedy baseline",
        )

    def handle(self, *args, region=None, method="flow", **opts):
        reg = None
        if region:
            reg = Region.objects.filter(code=region).first()
            if reg is None:
                raise CommandError(f"no region with code {region}")
        try:
            run = services.run_matching(SYSTEM, region=reg, method=method)
        except DomainError as e:
            raise CommandError(e.message) from None
        self.stdout.write(
            f"{run.method}: {run.needs} needs, {run.resources} resources; served {run.served} of {run.demand}; "
            f"{run.assignments} assignments, total cost {run.total_cost}, {run.seconds:.3f} s"
        )
