"""``/pick/<kind>/?q=…&for=…``: the search-as-you-type answers of every picker field (``org/pickers.py``).

Only platform staff (a role somewhere) get answers, and only rows in their scope that the field's
purpose admits; people are labelled by the masking rule. The answer is JSON:
``{"results": [{"value", "label", "hint"}, …]}``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

import gongzhi.alliances.pickers  # noqa: F401 - registers the alliance-goal source
import gongzhi.volunteers.pickers  # noqa: F401 - registers the volunteer source
from gongzhi.org import pickers


@require_GET
@login_required
def pick(request: HttpRequest, kind: str) -> JsonResponse:
    if not pickers.may_pick(request.user):
        raise PermissionDenied(_("选择器仅供平台工作人员使用"))
    src = pickers.get(kind)
    if src is None:
        raise Http404
    purpose = request.GET.get("for") or src.purposes[0]
    if purpose not in src.purposes:
        return JsonResponse({"detail": _("不支持的用途"), "field": "for"}, status=400)
    q = (request.GET.get("q") or "")[:60]
    rows = pickers.search(kind, request.user, q, purpose)
    resp = JsonResponse({"results": [c.as_dict() for c in rows]}, json_dumps_params={"ensure_ascii": False})
    resp["Cache-Control"] = "private, no-store"
    return resp
