"""Error pages a person can use (403, 404, 500 in the site's layout and the user's language),
and web requests refused by a domain rule answered with the matching page instead of a 500."""

from __future__ import annotations

import logging

from django.http import HttpResponse, HttpResponseServerError, UnreadablePostError
from django.template import loader
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError, Forbidden, NotFound

log = logging.getLogger("gongzhi.errors")


def roles_needed(action: str | None) -> list[str]:
    """The names of the roles whose permissions include ``action`` (from the one permission table)."""
    if not action:
        return []
    from gongzhi.org import permissions
    from gongzhi.org.kinds import StaffRoleKind

    return [str(kind.label) for kind in StaffRoleKind if action in permissions.ROLE_ACTIONS.get(kind.value, ())]


def _render(request, template: str, status: int, context: dict) -> HttpResponse:
    context = {"request_id": getattr(request, "request_id", ""), "status": status, **context}
    try:
        body = loader.render_to_string(template, context, request)
    except Exception:  # noqa: BLE001 - the layout itself failed (the database may be down): plain page
        log.exception("error page %s could not be rendered in the layout", template)
        body = loader.render_to_string("errors/plain.html", context)
    return HttpResponse(body, status=status)


def _message(exception) -> str:
    if isinstance(exception, DomainError):
        return exception.message
    text = str(exception) if exception is not None else ""
    # Django's own 404s carry technical text ("No Foo matches the given query."); show ours instead.
    return text if text and not text.startswith(("No ", "Resolver404")) and "{" not in text else ""


def permission_denied(request, exception=None):
    return _render(
        request,
        "errors/403.html",
        403,
        {
            "message": _message(exception),
            "roles": roles_needed(getattr(exception, "action", None)),
        },
    )


def page_not_found(request, exception=None):
    return _render(request, "errors/404.html", 404, {"message": _message(exception), "path": request.path})


def server_error(request):
    try:
        return _render(request, "errors/500.html", 500, {})
    except Exception:  # noqa: BLE001 - the last resort must not fail
        rid = getattr(request, "request_id", "")
        return HttpResponseServerError(f"500 Internal Server Error. Request ID: {rid}\n", content_type="text/plain")


class DomainErrorMiddleware:
    """A view that lets a domain refusal escape gets the page for it, not a 500: a Forbidden is a
    403 naming the roles that may do it, a NotFound a 404, any other refusal a 400 saying why; a
    body the client never finished sending is a 400 too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, UnreadablePostError):
            # The client stopped sending its body (GONGZHI_BODY_READ_TIMEOUT) or went away: not our error.
            log.warning("request body not received in full: %s", exception)
            return _render(request, "errors/400.html", 400, {"message": _("请求内容没有完整收到，请重新提交。")})
        if isinstance(exception, Forbidden):
            return permission_denied(request, exception)
        if isinstance(exception, NotFound):
            return page_not_found(request, exception)
        if isinstance(exception, DomainError):
            return _render(request, "errors/400.html", exception.status, {"message": exception.message})
        return None
