from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import Manifest, Nav, Urls


class LedgerConfig(AppConfig):
    name = "gongzhi.ledger"
    label = "ledger"
    verbose_name = _("公开记录")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.ledger.api:router",
        urls=(Urls("ledger/", "gongzhi.ledger.urls"),),
        subscribers=("gongzhi.ledger.subscribers",),  # every public event becomes a leaf
        nav=(Nav(_("公开记录"), "/ledger/", 160),),
    )
