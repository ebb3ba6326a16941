"""``gongzhi plans check``: the periodic supervision check of goals and tasks.

Reads computable indicators, raises ``overdue`` and ``off_track`` flags (once per task and kind while
open) and lifts off-track flags of tasks back on track.  Run it daily (cron / a scheduler).
``gongzhi plans figures REGION START END`` prints :func:`gongzhi.plans.figures.task_figures`.
"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region


class Command(BaseCommand):
    help = (
        "Goal/task supervision: 'check' raises overdue and off-track flags; 'figures' prints task figures; "
        "'reviews due|generate' lists or schedules the regular joint reviews (定期会商研判)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["check", "figures", "reviews"])
        parser.add_argument(
            "params",
            nargs="*",
            help="figures: REGION_CODE START END (YYYY-MM-DD); reviews: due (list the joint reviews due) | "
            "generate (schedule each goal's next review by its cadence, as the daily job does)",
        )
        parser.add_argument("--date", help="check as of this date (default today)")
        parser.add_argument("--region", help="only goals in this region's subtree (region code)")

    def handle(self, *args, **opts):
        action, args = opts["action"], opts["params"]
        from ... import figures, services

        def region(code):
            r = Region.objects.filter(code=code).first()
            if r is None:
                raise CommandError(f"没有编码为{code}的区域")
            return r

        if action == "check":
            try:
                on = dt.date.fromisoformat(opts["date"]) if opts.get("date") else None
                out = services.check(SYSTEM, on=on, region=region(opts["region"]) if opts.get("region") else None)
            except (ValueError, DomainError) as e:
                raise CommandError(str(e)) from None
            self.stdout.write(
                f"checked {out['goals']} goals, {out['tasks']} open tasks: {out['readings']} indicator readings, "
                f"{out['overdue']} new overdue flags, {out['off_track']} new off-track flags, "
                f"{out['back_on_track']} back on track"
            )
            return
        if action == "reviews":
            sub = args[0] if args else "due"
            try:
                on = dt.date.fromisoformat(opts["date"]) if opts.get("date") else None
                within = region(opts["region"]) if opts.get("region") else None
                if sub == "generate":
                    out = services.generate_due_reviews(SYSTEM, on=on, region=within)
                    self.stdout.write(
                        f"{out['goals']} goals with a review cadence: {out['scheduled']} reviews scheduled"
                    )
                    return
                if sub != "due":
                    raise CommandError("用法：gongzhi plans reviews due|generate [--region 区域编码] [--date 日期]")
                due = services.due_reviews(SYSTEM, on=on)
                if within is not None:
                    due = due.filter(region__path__startswith=within.path)
            except (ValueError, DomainError) as e:
                raise CommandError(str(e)) from None
            for m in due:
                self.stdout.write(f"#{m.pk} {m.scheduled_on} {m.region.name} 目标#{m.goal_id} {m.goal.title}")
            self.stdout.write(f"{due.count()} joint reviews due")
            return
        if len(args) != 3:
            raise CommandError("用法：gongzhi plans figures 区域编码 开始日期 结束日期")
        try:
            start, end = dt.date.fromisoformat(args[1]), dt.date.fromisoformat(args[2])
        except ValueError as e:
            raise CommandError(f"日期格式不正确：{e}") from None
        self.stdout.write(json.dumps(figures.task_figures(region(args[0]), start, end), ensure_ascii=False))
