"""``gongzhi assess --period 2026-Q3 [--scheme CODE] [--region CODE]``: run an assessment scheme and print
the ranking (the operator runs it as the system)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from gongzhi.assessment import services as A
from gongzhi.assessment.models import Scheme
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region


class Command(BaseCommand):
    help = "Run a differentiated assessment over a period (2026, 2026-H1, 2026-Q3, 2026-07) and print the results."

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True)
        parser.add_argument("--scheme", help="scheme code (default: the only / first active scheme)")
        parser.add_argument("--region", help="region code to assess below (default: the scheme's region)")

    def handle(self, *args, period, scheme=None, region=None, **opts):
        s = Scheme.objects.filter(code=scheme).first() if scheme else Scheme.objects.filter(active=True).first()
        if s is None:
            raise CommandError(f"没有考核方案{scheme or ''}：先运行 gongzhi demo 或通过接口创建方案")
        root = None
        if region:
            root = Region.objects.filter(code=region).first()
            if root is None:
                raise CommandError(f"没有代码为{region}的区域")
        try:
            run = A.run_assessment(SYSTEM, s, period, root)
        except DomainError as e:
            raise CommandError(e.message) from None
        w = self.stdout.write
        w(f"run {run.pk}: {s.code} {run.period} {run.start}..{run.end} below {run.region.code} ({run.seconds}s)")
        w(
            f"{'level':<10} {'rank':>5} {'region':<13} {'kind':<6} {'index':<14} {'raw':>6} {'pen':>5} {'score':>6}"
            f" {'fusion':>6}  name"
        )
        for x in run.results.select_related("region").order_by("-level", "area_kind", "rank", "region__code"):
            idx = "—" if x.index_value is None else f"{x.index_name[:5]} {x.index_value:.3f}"
            w(
                f"{x.level:<10} {x.rank or '—':>5} {x.region.code:<13} {x.area_kind:<6} {idx:<14} "
                f"{_f(x.raw_score):>6} {x.penalty:>5.1f} {_f(x.score):>6} {_f(x.fusion.get('value'), 100):>6}  "
                f"{x.region.name}"
            )


def _f(x, scale=1):
    return "—" if x is None else f"{x * scale:.1f}"
