import json
import sys

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.services import region_by_code
from gongzhi.org import services
from gongzhi.org.models import Grid


class Command(BaseCommand):
    help = "Import grids from GeoJSON (all or nothing) or export them as GeoJSON."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="import a FeatureCollection (properties: community, name, code?)")
        imp.add_argument("file")
        exp = sub.add_parser("export", help="export grids as a FeatureCollection")
        exp.add_argument("--region", help="region code (default: all)")
        exp.add_argument("-o", "--output", help="file (default: standard output)")

    def handle(self, *args, action, **opts):
        try:
            if action == "import":
                try:
                    with open(opts["file"], encoding="utf-8") as f:
                        data = json.load(f)
                except (OSError, json.JSONDecodeError) as e:
                    raise CommandError(f"无法读取GeoJSON文件 {opts['file']}: {e}") from e
                created = services.import_grids(SYSTEM, data)
                self.stdout.write(f"导入网格 {len(created)} 个 (imported): " + ", ".join(g.code for g in created))
            else:
                qs = Grid.objects.all()
                if opts.get("region"):
                    qs = qs.filter(region__path__startswith=region_by_code(opts["region"]).path)
                text = json.dumps(services.export_grids(qs), ensure_ascii=False)
                if opts.get("output"):
                    with open(opts["output"], "w", encoding="utf-8") as f:
                        f.write(text)
                else:
                    sys.stdout.write(text + "\n")
        except DomainError as e:
            raise CommandError(e.message) from e
