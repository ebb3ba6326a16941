"""``gongzhi incident declare|stand-down|list``: emergency mode from the console (the operator is the system
actor unless ``--user`` names a platform user, whose roles are then checked)."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.org.models import Unit

from ... import services as S
from ...models import Incident, Kind


class Command(BaseCommand):
    help = "Declare an incident for an area, stand it down, or list incidents."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        d = sub.add_parser("declare", help="declare an incident: requests from the area go to its desk")
        d.add_argument("--name", required=True)
        d.add_argument("--kind", required=True, choices=Kind.values)
        d.add_argument("--severity", type=int, default=4, help="1 (I, most severe) … 4 (IV)")
        d.add_argument("--grid", action="append", default=[], help="grid code (repeat for several)")
        d.add_argument("--polygon", help="GeoJSON file (Polygon/MultiPolygon/Feature) of the area")
        d.add_argument("--desk", help="desk unit code (default: the street's government unit)")
        d.add_argument("--description", default="")
        d.add_argument("--user", help="act as this user (default: the system)")
        s = sub.add_parser("stand-down", help="stand an incident down and finalise its after-action report")
        s.add_argument("code")
        s.add_argument("--note", default="")
        s.add_argument("--user")
        lst = sub.add_parser("list", help="list incidents")
        lst.add_argument("--active", action="store_true")

    def _user(self, name):
        if not name:
            return SYSTEM  # the operator running the command
        u = get_user_model().objects.filter(username=name).first()
        if u is None:
            raise CommandError(f"no user {name}")
        return u

    def handle(self, *args, **o):
        try:
            getattr(self, "do_" + o["action"].replace("-", "_"))(o)
        except DomainError as e:
            raise CommandError(f"{e.message}" + (f" [{e.field}]" if e.field else "")) from None

    def do_declare(self, o):
        polygon = None
        if o["polygon"]:
            try:
                polygon = json.loads(Path(o["polygon"]).read_text(encoding="utf-8"))
            except (OSError, ValueError) as e:
                raise CommandError(f"cannot read GeoJSON {o['polygon']}: {e}") from None
        desk = None
        if o["desk"]:
            desk = Unit.objects.filter(code=o["desk"]).first()
            if desk is None:
                raise CommandError(f"no unit {o['desk']}")
        inc = S.declare(
            self._user(o["user"]),
            name=o["name"],
            kind=o["kind"],
            severity=o["severity"],
            grids=o["grid"],
            polygon=polygon,
            desk_unit=desk,
            description=o["description"],
        )
        self.stdout.write(
            f"{inc.code} declared: {inc.area.count()} grids, desk {inc.desk_unit.code} "
            f"({inc.desk_unit.name}), {inc.mobilisations.count()} people notified"
        )

    def do_stand_down(self, o):
        inc = Incident.objects.filter(code=o["code"]).first()
        if inc is None:
            raise CommandError(f"no incident {o['code']}")
        S.stand_down(self._user(o["user"]), inc, note=o["note"])
        c = S.request_counts(inc)
        self.stdout.write(
            f"{inc.code} stood down: {c['received']} requests received, {c['resolved']} resolved; "
            f"report at {inc.get_absolute_url()}report/"
        )

    def do_list(self, o):
        qs = Incident.objects.select_related("desk_unit").order_by("-declared_at")
        if o["active"]:
            qs = qs.filter(status=Incident.Status.ACTIVE)
        for i in qs:
            self.stdout.write(f"{i.code}\t{i.status}\t{i.declared_at:%Y-%m-%d %H:%M}\t{i.name}\t{i.desk_unit.code}")
