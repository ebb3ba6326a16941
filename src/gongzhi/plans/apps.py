import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Job, Manifest, Nav, Permissions, Urls


class PlansConfig(AppConfig):
    name = "gongzhi.plans"
    label = "plans"
    verbose_name = _("目标任务")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.plans.api:router",
        urls=(Urls("plans/", "gongzhi.plans.urls"),),
        demo=DemoStep("gongzhi.plans.demo:generate", 60),
        jobs=(
            Job(
                "plans.daily_check",
                dt.timedelta(hours=24),
                "gongzhi.plans.tasks.daily_check",
                "read computable indicators; flag overdue and off-track tasks",
            ),
            Job(
                "plans.reviews_due",
                dt.timedelta(hours=24),
                "gongzhi.plans.tasks.generate_reviews",
                "schedule each goal's next joint review (定期会商研判) by its cadence",
            ),
        ),
        permissions=Permissions("gongzhi.plans.perms:ROLE_ACTIONS", "gongzhi.plans.perms:LABELS"),
        figures=("gongzhi.plans.figures", "gongzhi.plans.indicators"),
        nav=(
            Nav(_("目标任务"), "plans:index", 110, action="plans_view"),
            Nav(_("定期会商"), "plans:reviews", 111, action="plans_view"),  # 定期会商研判 (seed 003)
        ),
    )
