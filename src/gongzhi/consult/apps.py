from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultConfig(AppConfig):
    name = "gongzhi.consult"
    label = "consult"
    verbose_name = _("云协商与表决")
    default_auto_field = "django.db.models.BigAutoField"
