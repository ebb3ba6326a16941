"""The platform's URLs plus views that fail on purpose (error pages and error logging)."""

from django.core.exceptions import PermissionDenied
from django.urls import path

from gongzhi.core.errors import Forbidden, NotFound
from gongzhi.urls import handler403, handler404, handler500  # noqa: F401
from gongzhi.urls import urlpatterns as platform


def boom(request):
    raise RuntimeError("boom: a bug in a view")


def refused(request):
    raise Forbidden("无权分配角色：示例", action="manage_roles")


def denied(request):
    raise PermissionDenied


def missing(request):
    raise NotFound("没有这条诉求")


urlpatterns = [
    path("test-boom/", boom),
    path("test-refused/", refused),
    path("test-denied/", denied),
    path("test-missing/", missing),
    *platform,
]
