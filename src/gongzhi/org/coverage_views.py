"""Household coverage pages (包片联户, seed 002): /party/coverage/ (by community and grid, with the gaps)
and /party/coverage/members/<pk>/ (a member's linked households, visits and the visit form).
Thin: read :mod:`.coverage`, call ``services.record_visit``, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region

from . import coverage, services
from . import permissions as perm
from .api import log_unmasked, person_out
from .models import Household, Person, VisitPurpose

GAP_LIMIT = 300


def _within(request: HttpRequest) -> Region | None:
    code = request.GET.get("region", "").strip()
    if not code:
        return None
    within = Region.objects.filter(code=code).first()
    if within is None or not perm.allowed(request.user, perm.VIEW, within):
        raise Http404(_("不在您的管辖范围内"))
    return within


@login_required
def coverage_page(request: HttpRequest) -> HttpResponse:
    within = _within(request)
    if not perm.allowed(request.user, perm.VIEW):
        raise Http404(_("不在您的管辖范围内"))
    rows = coverage.coverage(request.user, within)
    found = coverage.gaps(request.user, within, limit=GAP_LIMIT)
    outs = {p.pk: person_out(request.user, p) for p in found.members}
    log_unmasked(request, found.members, [outs[p.pk] for p in found.members], via="page")
    today = timezone.localdate()
    recent = coverage.visits(request.user, within, today - dt.timedelta(days=30), today + dt.timedelta(days=1))
    by_purpose = coverage.visits_by_purpose(recent)
    return render(
        request,
        "org/coverage.html",
        {
            "region": within,
            "rows": rows,
            "totals": coverage.totals(rows),
            "gap_households": found.households,
            "gap_members": [{"p": p, "out": outs[p.pk]} for p in found.members],
            "gap_limit": GAP_LIMIT,
            "recent": recent.count(),
            "by_purpose": [(label, by_purpose.get(code, 0)) for code, label in VisitPurpose.choices],
            "any_unmasked": any(o["unmasked"] for o in outs.values()),
        },
    )


class VisitForm(forms.Form):
    household = forms.ChoiceField(label=_l("联系户"))
    visited_on = forms.DateField(label=_l("走访日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    purpose = forms.ChoiceField(label=_l("走访事由"), choices=VisitPurpose.choices)
    note = forms.CharField(label=_l("备注"), max_length=300, required=False)
    matter = forms.CharField(
        label=_l("反映的诉求（填写则登记为诉求，由责任单位办理）"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    category = forms.CharField(label=_l("诉求类别编码（可不填）"), max_length=5, required=False)

    def __init__(self, *args: Any, households: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["household"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(h.pk, f"{h.code} {h.building or ''}") for h in households]


@login_required
def member_page(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(Person.objects.select_related("region"), pk=pk)
    if not perm.allowed(request.user, perm.VIEW, member):
        raise Http404(_("不在您的管辖范围内"))
    links = coverage.member_links(member)
    households = [row["household"] for row in links]
    can_record = any(perm.allowed(request.user, perm.EDIT_PERSON, h) for h in households)
    form = VisitForm(request.POST or None, households=households)
    if request.method == "POST":
        if not can_record:
            raise Http404(_("无权记录走访"))
        if form.is_valid():
            d = form.cleaned_data
            household = get_object_or_404(Household, pk=d["household"])
            try:
                visit = services.record_visit(
                    request.user,
                    member,
                    household,
                    purpose=d["purpose"],
                    visited_on=d["visited_on"],
                    note=d["note"],
                    matter=d["matter"],
                    category=d["category"] or None,
                )
            except DomainError as e:
                form.add_error(e.field if e.field in form.fields else None, e.message)
            else:
                msg = _("走访已记录")
                if visit.request_number:
                    msg += _("，诉求已登记：%(n)s") % {"n": visit.request_number}
                messages.success(request, msg)
                return redirect("coverage_member", pk=member.pk)
        for name in form.errors:
            if name in form.fields:
                form.fields[name].widget.attrs["aria-invalid"] = "true"
    out = person_out(request.user, member)
    log_unmasked(request, [member], [out], via="page")
    see_notes = perm.allowed(request.user, perm.VIEW_PERSONAL, member)
    visits = [
        {"v": v, "note": v.note if see_notes else perm.mask_text(v.note)}
        for v in member.household_visits.select_related("household", "grid").order_by("-visited_on", "-id")[:100]
    ]
    return render(
        request,
        "org/coverage_member.html",
        {
            "member": member,
            "out": out,
            "links": links,
            "visits": visits,
            "form": form,
            "can_record": can_record,
        },
    )
