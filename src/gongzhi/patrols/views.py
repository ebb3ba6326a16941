"""Pages: the patrols of my grids and when each is due (/patrols/), recording a patrol with its findings,
one patrol, and setting how often a community's grids are patrolled. Thin: the services decide."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm
from gongzhi.org.models import Grid
from gongzhi.org.pickers import bind, mark_all

from . import services
from .forms import CadenceForm, PatrolForm
from .models import Patrol

LIST_LIMIT = 300


def _grids_for(user: Any) -> list[Grid]:
    """The grids the user records patrols of: a grid worker's own; a cadre's in scope."""
    if services._only_own_grids(user):
        return services.worker_grids(user)
    qs = perm.scope(user, Grid.objects.select_related("region"), services.RECORD)
    return list(qs.order_by("code")[:LIST_LIMIT])


def _cadence_regions(user: Any) -> list[Region]:
    """The communities whose patrol cadence ``user`` may set (at most 50 on the page)."""
    paths = perm.scope_paths(user, services.SET_CADENCE)
    qs = Region.objects.filter(level="community")
    if paths is not None:
        if not paths:
            return []
        cond = Q(pk__in=[])
        for p in paths:
            cond |= Q(path__startswith=p)
        qs = qs.filter(cond)
    return list(qs.order_by("code")[:50])


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    if not perm.allowed(request.user, services.RECORD) and not perm.allowed(request.user, perm.VIEW):
        raise PermissionDenied
    grids = _grids_for(request.user) if perm.allowed(request.user, services.RECORD) else []
    rows = services.status(grids)
    only_due = request.GET.get("due") == "1"
    if only_due:
        rows = [r for r in rows if r.is_due]
    recent = perm.scope(request.user, Patrol.objects.select_related("grid", "worker"))[:20]
    cadence_regions = _cadence_regions(request.user)
    return render(
        request,
        "patrols/index.html",
        {
            "rows": rows,
            "due_count": sum(1 for r in rows if r.is_due),
            "only_due": only_due,
            "recent": recent,
            "may_record": perm.allowed(request.user, services.RECORD),
            "cadence_regions": cadence_regions,
            "default_every": services.default_every_days(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest) -> HttpResponse:
    perm.require(request.user, services.RECORD)
    grids = _grids_for(request.user)
    if not grids:
        raise PermissionDenied(_("您没有负责的网格"))
    data = request.POST if request.method == "POST" else None
    form = bind(PatrolForm(data, grids=grids, initial={"grid": request.GET.get("grid")}), request.user)
    if request.method == "POST" and form.is_valid():
        grid = Grid.objects.get(code=form.cleaned_data["grid"])
        try:
            patrol, _created = services.record_patrol(
                request.user,
                grid=grid,
                on=form.cleaned_data["on"],
                minutes=form.cleaned_data.get("minutes"),
                note=form.cleaned_data.get("note") or "",
                findings=[services.Finding(text, cat) for text, cat in form.findings()],
                idempotency_key=(
                    f"u{request.user.pk}:{request.POST['idempotency_key']}"[:80]
                    if request.POST.get("idempotency_key")
                    else None
                ),
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _("已记录%(grid)s的巡查，登记问题%(n)d个") % {"grid": grid.name, "n": patrol.findings.count()},
            )
            return redirect("patrols:detail", pk=patrol.pk)
    mark_all(form)
    status = 400 if request.method == "POST" else 200
    key = request.POST.get("idempotency_key") or uuid.uuid4().hex
    return render(request, "patrols/new.html", {"form": form, "idempotency_key": key}, status=status)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    patrol = get_object_or_404(Patrol.objects.select_related("grid", "region", "worker"), pk=pk)
    if not perm.allowed(request.user, perm.VIEW, patrol.region):
        raise Http404
    return render(request, "patrols/detail.html", {"patrol": patrol, "findings": patrol.findings.order_by("number")})


@login_required
@require_POST
def cadence(request: HttpRequest, code: str) -> HttpResponse:
    region = get_object_or_404(Region, code=code)
    form = CadenceForm(request.POST)
    if not form.is_valid():
        perm.require(request.user, services.SET_CADENCE, region)
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("patrols:index")
    services.set_cadence(request.user, region=region, every_days=form.cleaned_data["every_days"])
    messages.success(
        request, _("%(region)s的网格每%(n)d天巡查一次") % {"region": region.name, "n": form.cleaned_data["every_days"]}
    )
    return redirect("patrols:index")
