"""The 应建未建 list for street cadres: /party/gaps/ (``org.party.gaps``, scoped to the viewer)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongzhi.core.models import Region

from . import party
from . import permissions as perm
from .api import log_unmasked, person_out


@login_required
@require_GET
def gaps_page(request: HttpRequest) -> HttpResponse:
    within = None
    code = request.GET.get("region", "").strip()
    if code:
        within = Region.objects.filter(code=code).first()
        if within is None or not perm.allowed(request.user, perm.VIEW, within):
            raise Http404(_("不在您的管辖范围内"))
    found = party.gaps(request.user, within)
    people = [p for g in found for p in g.members]
    outs = {p.pk: person_out(request.user, p) for p in people}
    log_unmasked(request, people, [outs[p.pk] for p in people], via="page")
    rows = [
        {
            "gap": g,
            "members": [{"p": p, "out": outs[p.pk], "relation": party.relation_label(p)} for p in g.members],
        }
        for g in found
    ]
    return render(
        request,
        "org/party_gaps.html",
        {
            "rows": rows,
            "region": within,
            "unit_gaps": sum(1 for g in found if g.kind == "unit"),
            "area_gaps": sum(1 for g in found if g.kind == "area"),
            "any_unmasked": any(o["unmasked"] for o in outs.values()),
        },
    )
