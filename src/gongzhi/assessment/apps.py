from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Manifest, Nav, Permissions, Urls


class AssessmentConfig(AppConfig):
    name = "gongzhi.assessment"
    label = "assessment"
    verbose_name = _("考核评价")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.assessment.api:router",
        urls=(Urls("assessment/", "gongzhi.assessment.urls"),),
        demo=DemoStep("gongzhi.assessment.demo:generate", 110),
        permissions=Permissions("gongzhi.assessment.perms:ROLE_ACTIONS", "gongzhi.assessment.perms:LABELS"),
        figures="gongzhi.assessment.measures",
        nav=(Nav(_("考核评价"), "assessment:index", 120, action="assess_view"),),
    )
