"""Pages. Thin: they read through the permission scope and call services to change state."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from gongzhi.core.errors import DomainError
from gongzhi.core.formerrors import mark as mark_error
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm
from gongzhi.org import responsibility, services
from gongzhi.org.api import log_unmasked, person_out
from gongzhi.org.kinds import ESTABLISHED_BY_MEMBERS, PARTY_KINDS, MemberRole
from gongzhi.org.models import (
    Grid,
    MatterCategory,
    Membership,
    Person,
    ResponsibilityRule,
    Unit,
)

from .forms import LookupForm, UnitForm


def _visible(request, obj):
    if not perm.allowed(request.user, perm.VIEW, obj):
        raise Http404(_("不在您的管辖范围内"))
    return obj


def home(request: HttpRequest) -> HttpResponse:
    """A role's to-do page (issue 19 item 1); logged out, the public landing page."""
    if not request.user.is_authenticated:
        return landing(request)
    from . import todo

    sections = todo.sections(request.user)
    if not perm._roles(request.user) and not perm.is_system(request.user):
        return render(request, "web/home_resident.html", {"sections": sections})
    region = perm.home_region(request.user)
    units = perm.scope(request.user, Unit.objects.all())
    people = perm.scope(request.user, Person.objects.all())
    grids = perm.scope(request.user, Grid.objects.all())
    regions = perm.scope(request.user, Region.objects.all(), region_field="")
    party = units.filter(kind__in=PARTY_KINDS)
    figures = {
        "streets": regions.filter(level="street").count(),
        "communities": regions.filter(level="community").count(),
        "units": units.count(),
        "party_orgs": party.count(),
        "party_members": Membership.objects.filter(unit__in=party, role=MemberRole.FULL_MEMBER, end_date__isnull=True)
        .values("person")
        .distinct()
        .count(),
        "people": people.count(),
        "grids": grids.count(),
        "grids_without_worker": grids.exclude(
            assignments__kind="grid_worker", assignments__end_date__isnull=True
        ).count(),
    }
    flagged = units.filter(needs_rectification=True).select_related("region")[:20]
    return render(
        request,
        "web/home.html",
        {
            "region": region,
            "figures": figures,
            "flagged": flagged,
            "roles": perm._roles(request.user),
            "sections": sections,
        },
    )


#: The public landing page's figures: the district's requests over this many days.
LANDING_DAYS = 30


def landing(request: HttpRequest) -> HttpResponse:
    """Logged out: raise a request, the consultations open now, the public figures, the public record."""
    from gongzhi.cases import figures as case_figures

    from . import todo

    now = timezone.now()
    rows = case_figures.compute("district", start=now - dt.timedelta(days=LANDING_DAYS), end=now)
    public = rows[0] if rows else None
    rates = [
        (_(case_figures.RATE_LABELS[k]), None if public[k]["value"] is None else round(100 * public[k]["value"], 1))
        for k in ("response_rate", "on_time_rate", "satisfaction_rate")
        if public
    ]
    return render(
        request,
        "web/landing.html",
        {"topics": todo.open_topics(None, now)[:10], "public": public, "rates": rates, "days": LANDING_DAYS},
    )


@login_required
def org_tree(request):
    units = perm.scope(request.user, Unit.objects.select_related("region"))
    # Roots: visible units whose parent is not visible (the top of the user's subtree).
    roots = list(units.filter(Q(parent__isnull=True) | ~Q(parent__in=units)).order_by("path")[:200])
    return render(request, "web/org_tree.html", {"roots": _with_child_counts(roots)})


def _with_child_counts(units):
    ids = [u.pk for u in units]
    counts = dict(
        Unit.objects.filter(parent_id__in=ids).values("parent_id").annotate(n=Count("id")).values_list("parent_id", "n")
    )
    for u in units:
        u.child_count = counts.get(u.pk, 0)
    return units


@login_required
def unit_children(request, code):
    unit = _visible(request, get_object_or_404(Unit, code=code))
    children = perm.scope(request.user, unit.children.select_related("region")).order_by("kind", "name")
    return render(request, "web/_unit_children.html", {"children": _with_child_counts(list(children))})


@login_required
def unit_detail(request, code):
    unit = _visible(request, get_object_or_404(Unit.objects.select_related("region", "parent"), code=code))
    members = (
        Membership.objects.filter(unit=unit, end_date__isnull=True)
        .select_related("person")
        .order_by("role", "person__name")
    )
    form = UnitForm()
    can_edit = perm.allowed(request.user, perm.EDIT_UNIT, unit)
    if request.method == "POST":
        if not can_edit:
            return HttpResponseForbidden(_("无权在此单位下新建"))
        form = UnitForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            people = list(Person.objects.filter(pk__in=d["founding_members"]))
            host = Unit.objects.filter(code=d["host"]).first() if d.get("host") else None
            try:
                if d.get("host") and (host is None or not perm.allowed(request.user, perm.VIEW, host)):
                    raise DomainError(f"单位编码{d['host']}不存在", field="host")
                child = services.create_unit(
                    request.user,
                    code=d["code"],
                    name=d["name"],
                    kind=d["kind"],
                    region=unit.region,
                    parent=unit,
                    founding_members=people,
                    host=host,
                )
            except DomainError as e:
                mark_error(form, e)
            else:
                return redirect("unit", code=child.code)
    return render(
        request,
        "web/unit.html",
        {
            "unit": unit,
            "members": members,
            "form": form,
            "can_edit": can_edit,
            "ancestors": [a for a in unit.ancestors() if perm.allowed(request.user, perm.VIEW, a)],
            "full_members": services.full_member_count(unit),
            "needs_three": unit.kind in ESTABLISHED_BY_MEMBERS,
            "children": _with_child_counts(
                list(perm.scope(request.user, unit.children.all()).order_by("kind", "name"))
            ),
        },
    )


@login_required
def person_detail(request, pk):
    person = _visible(request, get_object_or_404(Person.objects.select_related("region", "household"), pk=pk))
    memberships = person.memberships.select_related("unit").order_by("-start_date")
    p = person_out(request.user, person)
    log_unmasked(request, [person], [p], via="page")  # every unmasked view is in the security log
    return render(
        request,
        "web/person.html",
        {
            "person": person,
            "p": p,
            "memberships": memberships,
            "grids": person.grid_assignments.filter(end_date__isnull=True).select_related("grid"),
            "links": person.linked_households.filter(end_date__isnull=True).select_related("household"),
            "can_export": perm.allowed(request.user, "export_person_data", person),  # gongzhi.privacy
        },
    )


@login_required
def grid_map(request):
    region = perm.home_region(request.user)
    grids = perm.scope(request.user, Grid.objects.all())
    from django.db.models import Max, Min

    b = grids.aggregate(w=Min("min_lon"), s=Min("min_lat"), e=Max("max_lon"), n=Max("max_lat"))
    return render(request, "web/map.html", {"region": region, "bounds": b, "grid_count": grids.count()})


@login_required
def grid_detail(request, code):
    grid = _visible(request, get_object_or_404(Grid.objects.select_related("region__parent", "party_org"), code=code))
    return render(
        request,
        "web/grid.html",
        {
            "grid": grid,
            "workers": grid.assignments.filter(end_date__isnull=True).select_related("person").order_by("kind"),
            "households": grid.households.count(),
            "co_builders": grid.co_builders.all(),
        },
    )


@login_required
def search(request):
    q = (request.GET.get("q") or "").strip()
    results = {}
    if q:
        u = request.user
        results = {
            "units": perm.scope(
                u, Unit.objects.filter(Q(name__icontains=q) | Q(code__iexact=q)).select_related("region")
            )[:30],
            "people": perm.scope(u, Person.objects.filter(name__startswith=q).select_related("region"))[:30],
            "grids": perm.scope(
                u, Grid.objects.filter(Q(name__icontains=q) | Q(code__startswith=q)).select_related("region")
            )[:30],
            "regions": perm.scope(u, Region.objects.filter(name__icontains=q), region_field="")[:30],
            "categories": MatterCategory.objects.filter(
                Q(name__icontains=q) | Q(code__startswith=q) | Q(keywords__icontains=q)
            )[:30],
        }
    return render(request, "web/search.html", {"q": q, "results": results})


@login_required
def lists(request):
    region = perm.home_region(request.user)
    day = timezone.localdate()
    rules = (
        ResponsibilityRule.objects.select_related("category", "region", "department")
        .filter(effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=day))
    )
    if region is not None:
        rules = rules.filter(region__path__in=_prefix_or_below(region))
    decision = None
    form = LookupForm(request.GET or None)
    if request.GET and form.is_valid():
        d = form.cleaned_data
        try:
            grid = None
            if d.get("grid"):
                grid = Grid.objects.select_related("region").filter(code=d["grid"]).first()
                if grid is None:
                    raise DomainError(_("网格编码不存在"), field="grid")
            at = (
                dt.datetime.combine(d["at"], dt.time(12), tzinfo=timezone.get_current_timezone())
                if d.get("at")
                else None
            )
            decision = responsibility.resolve(d["category"].code, grid=grid, lon=d.get("lon"), lat=d.get("lat"), at=at)
        except DomainError as e:
            mark_error(form, e)
    return render(
        request,
        "web/lists.html",
        {
            "rules": rules.order_by("category__code", "region__path"),
            "form": form,
            "decision": decision,
            "categories": MatterCategory.objects.all(),
        },
    )


def _prefix_or_below(region):
    return list(
        Region.objects.filter(
            Q(path__startswith=region.path) | Q(pk__in=[r.pk for r in region.ancestors()])
        ).values_list("path", flat=True)
    )


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker at the site's root (its scope is the whole site; issue 19 item 3)."""
    from django.contrib.staticfiles import finders

    path = finders.find("gongzhi/sw.js")
    if not isinstance(path, str):
        raise Http404("service worker missing")
    with open(path, encoding="utf-8") as f:
        resp = HttpResponse(f.read(), content_type="application/javascript; charset=utf-8")
    resp["Cache-Control"] = "no-cache"
    resp["Service-Worker-Allowed"] = "/"
    return resp


@require_safe
def web_manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest: the field pages install as an app on a phone's home screen."""
    from django.http import JsonResponse
    from django.templatetags.static import static

    resp = JsonResponse(
        {
            "name": _("共治 · 党建引领基层治理"),
            "short_name": _("共治"),
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#f7f5f2",
            "theme_color": "#b71c1c",
            "lang": request.LANGUAGE_CODE,
            "icons": [{"src": static("gongzhi/favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
        },
        json_dumps_params={"ensure_ascii": False},
    )
    resp["Content-Type"] = "application/manifest+json"
    return resp
