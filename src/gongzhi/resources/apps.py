from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import DemoStep, Manifest, Nav, Permissions, Urls


class ResourcesConfig(AppConfig):
    name = "gongzhi.resources"
    label = "resources"
    verbose_name = _("公共池")
    default_auto_field = "django.db.models.BigAutoField"

    manifest = Manifest(
        api="gongzhi.resources.api:router",
        urls=(
            Urls("resources/", "gongzhi.resources.urls"),
            Urls("pool/", "gongzhi.resources.legacy_urls"),
            Urls("api/v1/pool/", "gongzhi.resources.legacy_api_urls"),
        ),  # old links and API paths: 308 to /resources/ and /api/v1/resources/
        demo=DemoStep("gongzhi.resources.demo:generate", 30),
        permissions=Permissions("gongzhi.resources.services:POOL_ACTIONS", "gongzhi.resources.services:ACTION_LABELS"),
        subscribers=("gongzhi.resources.subscribers",),  # needs from alliances, requests and bypasses reach the pool
        figures="gongzhi.resources.figures",
        nav=(Nav(_("公共池"), "resources:index", 80, action="view"),),
    )
