from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "gongzhi.plans"
    label = "plans"
    verbose_name = _("目标任务")
    default_auto_field = "django.db.models.BigAutoField"
