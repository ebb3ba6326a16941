from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlliancesConfig(AppConfig):
    name = "gongzhi.alliances"
    label = "alliances"
    verbose_name = _("党建联合体")
    default_auto_field = "django.db.models.BigAutoField"
