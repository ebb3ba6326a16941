"""``gongzhi councils list|matters|publish|threshold``: the platforms and the 三重一大 matters from the
console (the operator is the system actor unless ``--user`` names a platform user, whose roles are then
checked)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region

from ... import procedure as P
from ...models import Council, Matter, SubjectType


class Command(BaseCommand):
    help = "List platforms and 三重一大 matters, publish a decided matter, set a threshold."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="list the platforms")
        m = sub.add_parser("matters", help="list the 三重一大 matters with their status and what is left")
        m.add_argument("--status", choices=Matter.Status.values)
        p = sub.add_parser("publish", help="publish a decided matter (the fourth step)")
        p.add_argument("code")
        p.add_argument("--note", default="")
        p.add_argument("--user")
        t = sub.add_parser("threshold", help="show, or set, the amount above which an effect needs a matter")
        t.add_argument("region", help="region code")
        t.add_argument("--subject", choices=[s for s in SubjectType.values if s != SubjectType.OTHER])
        t.add_argument("--amount")
        t.add_argument("--user")

    def _actor(self, name: str | None) -> Any:
        if not name:
            return SYSTEM
        user = get_user_model().objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"no user {name}")
        return user

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            getattr(self, "do_" + o["action"])(o)
        except DomainError as e:
            raise CommandError(f"{e} ({e.field})" if getattr(e, "field", None) else str(e)) from None

    def do_list(self, o: dict) -> None:
        for c in Council.objects.select_related("region", "host").order_by("region__path", "code"):
            n = c.members.filter(active=True).count()
            self.stdout.write(f"{c.code}\t{c.get_level_display()}\t{c.region.name}\t{c.name}\t{n} members")

    def do_matters(self, o: dict) -> None:
        qs = Matter.objects.select_related("council").order_by("proposed_at")
        if o["status"]:
            qs = qs.filter(status=o["status"])
        for m in qs:
            left = P.remaining(m)
            self.stdout.write(
                f"{m.code}\t{m.kind}\t{m.status}\t{m.subject_type}:{m.subject_ref}\t"
                f"{m.amount if m.amount is not None else '-'}\t{left if left is not None else '-'}\t{m.title}"
            )

    def do_publish(self, o: dict) -> None:
        m = Matter.objects.filter(code=o["code"]).first()
        if m is None:
            raise CommandError(f"no matter {o['code']}")
        m = P.publish(self._actor(o["user"]), m, note=o["note"])
        self.stdout.write(f"{m.code} {m.status}")

    def do_threshold(self, o: dict) -> None:
        region = Region.objects.filter(code=o["region"]).first()
        if region is None:
            raise CommandError(f"no region {o['region']}")
        if o["amount"] is not None:
            if not o["subject"]:
                raise CommandError("--subject is required with --amount")
            P.set_threshold(self._actor(o["user"]), region=region, subject_type=o["subject"], amount=o["amount"])
        for s in [o["subject"]] if o["subject"] else [s for s in SubjectType.values if s != SubjectType.OTHER]:
            self.stdout.write(f"{region.code}\t{s}\t{P.threshold(s, region)}")
