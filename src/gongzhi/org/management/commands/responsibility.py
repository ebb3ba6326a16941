import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gongzhi.core.errors import DomainError
from gongzhi.org import responsibility
from gongzhi.org.models import Grid


class Command(BaseCommand):
    help = "Who handles a matter of CATEGORY at a place (and date), and why."

    def add_arguments(self, parser):
        parser.add_argument("category")
        parser.add_argument("--lon", type=float)
        parser.add_argument("--lat", type=float)
        parser.add_argument("--grid")
        parser.add_argument("--date", type=dt.date.fromisoformat)

    def handle(self, *args, category, lon, lat, grid, date, **opts):
        try:
            g = None
            if grid:
                g = Grid.objects.select_related("region").filter(code=grid).first()
                if g is None:
                    raise DomainError(f"网格{grid}不存在")
            at = dt.datetime.combine(date, dt.time(12), tzinfo=timezone.get_current_timezone()) if date else None
            d = responsibility.resolve(category, lon=lon, lat=lat, grid=g, at=at)
        except DomainError as e:
            raise CommandError(e.message) from e
        self.stdout.write(f"{d.unit.name} ({d.unit.code})")
        for r in d.reasons:
            self.stdout.write(f"  - {r}")
