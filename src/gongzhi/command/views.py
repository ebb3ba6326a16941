"""Command centre pages: the centre (figures, trends, drill-down, one map), the wall (大屏),
the desk, the daily brief (PDF) and the map layers. Thin: check scope, read, render.

All but the desk (where staff act on what they see) read from the read replica when one is configured
(``core/replica.py``), and say how fresh the data is."""

from __future__ import annotations

import datetime as dt
import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _t

from gongzhi.core import replica
from gongzhi.core.errors import Forbidden, NotFound

from . import boards, brief, desk, mapdata, queries


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def with_region(view):
    """Resolve ``code`` to a region the user may view as a centre (404 unknown, 403 outside the scope)."""

    @functools.wraps(view)
    @login_required
    def wrapper(request, code, *args, **kwargs):
        try:
            region = queries.region_for(request.user, code)
        except NotFound as e:
            raise Http404(e.message) from None
        except Forbidden as e:
            raise PermissionDenied(e.message) from None
        return view(request, region, *args, **kwargs)

    return wrapper


@login_required
def index(request):
    region = queries.centre_for(request.user)
    if region is None:
        raise PermissionDenied(_t("您没有可查看的指挥中心"))
    return redirect("command:centre", code=region.code)


def _context(request, region):
    start, end = queries.period(_date(request.GET.get("start")), _date(request.GET.get("end")))
    figs = queries.figures(region, start, end)
    return {
        "region": region,
        "f": figs,
        "start": start,
        "end": end,
        "crumbs": queries.breadcrumbs(region, queries.centre_for(request.user)),
        "layers": mapdata.LAYERS,
        "bounds": mapdata.bounds(region),
        "data_as_of": queries.data_as_of(),
    }


@replica.reads
@with_region
def centre(request, region):
    ctx = _context(request, region)
    ctx["board_figures"] = boards.figures(region, ctx["start"], ctx["end"])  # "141": the four boards
    ctx["mech"] = queries.mechanisms_summary(region)  # "885": the five mechanisms' outcomes
    return render(request, "command/centre.html", ctx)


@replica.reads
@with_region
def wall(request, region):
    return render(
        request,
        "command/wall.html",
        {
            **_context(request, region),
            "incidents": queries.incidents(request.user, region),
            "alerts": queries.alerts(request.user, region, limit=8),
            "refreshed": timezone.localtime(),
        },
    )


@replica.reads
@with_region
def wall_panel(request, region):
    """The part of the wall that htmx polls."""
    ctx = _context(request, region)
    return render(
        request,
        "command/_wall_panel.html",
        {
            **ctx,
            "incidents": queries.incidents(request.user, region),
            "alerts": queries.alerts(request.user, region, limit=8),
            "refreshed": timezone.localtime(),
        },
    )


@with_region
def desk_view(request, region):
    return render(
        request,
        "command/desk.html",
        {
            "region": region,
            "d": desk.desk(
                request.user,
                region,
                board=request.GET.get("board") if request.GET.get("board") in boards.BOARDS else None,
            ),
            "now_state": queries.open_now(region),
            "crumbs": queries.breadcrumbs(region, queries.centre_for(request.user)),
        },
    )


@replica.reads
@with_region
def brief_pdf(request, region):
    day = _date(request.GET.get("date")) or queries.period()[1]
    pdf = brief.render_pdf(request.user, region, day)
    resp = HttpResponse(pdf, content_type="application/pdf")
    resp["Content-Disposition"] = f'inline; filename="brief-{region.code}-{day}.pdf"'
    return resp


@replica.reads
@with_region
def layer(request, region, name):
    if name not in mapdata.LAYERS:
        raise Http404(_t("没有这个图层"))
    return JsonResponse(mapdata.layer(request.user, region, name))
