from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlliancesConfig(AppConfig):
    name = "gongzhi.alliances"
    label = "alliances"
    verbose_name = _("党建联合体")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # consult sits below alliances: hand it the alliance electorate (the active member units).
        from gongzhi.consult.votes import register_unit_electorate

        from .appraisal import member_unit_ids

        register_unit_electorate("alliance", member_unit_ids)
