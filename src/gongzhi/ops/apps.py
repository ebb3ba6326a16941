from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from gongzhi.core.manifest import Manifest, Urls


class OpsConfig(AppConfig):
    """Running the platform: health and readiness, the worker's heartbeat, request ids in the
    logs, error pages, and the checks a production deployment must pass."""

    name = "gongzhi.ops"
    label = "ops"
    verbose_name = _("运行维护")

    manifest = Manifest(urls=(Urls("", "gongzhi.ops.urls"),))  # /healthz, /readyz

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the production checks)
