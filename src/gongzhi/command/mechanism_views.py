"""Pages of "141" and "885" on the command centre: the four boards of a centre (figures per board and the
open records of one), the mechanisms' sessions of a region, and one session (what it reads from the
records, and the form that holds it). Thin: check scope, read, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _t

from gongzhi.core.errors import DomainError, Forbidden, NotFound
from gongzhi.core.models import Region
from gongzhi.org import permissions

from . import boards, mechanisms, perms, queries, services
from .models import Board, FollowUp, MechanismSession
from .views import _date, with_region


@login_required
def mechanisms_index(request: HttpRequest) -> HttpResponse:
    """The menu's entry: the mechanisms of the user's own centre."""
    region = queries.centre_for(request.user)
    if region is None:
        raise PermissionDenied(_t("您没有可查看的指挥中心"))
    return redirect("command:mechanisms", code=region.code)


@with_region
def boards_view(request: HttpRequest, region: Region) -> HttpResponse:
    start, end = queries.period(_date(request.GET.get("start")), _date(request.GET.get("end")))
    board = request.GET.get("board") or ""
    if board and board not in boards.BOARDS:
        raise Http404(_t("没有这个板块"))
    return render(
        request,
        "command/boards.html",
        {
            "region": region,
            "start": start,
            "end": end,
            "figures": boards.figures(region, start, end),
            "board": board,
            "board_label": Board(board).label if board else "",
            "records": boards.records(region, board) if board else None,
            "crumbs": queries.breadcrumbs(region, queries.centre_for(request.user)),
        },
    )


@with_region
def mechanisms_view(request: HttpRequest, region: Region) -> HttpResponse:
    from .models import Mechanism

    sessions = (
        services.visible_sessions(request.user)
        .filter(region__path__startswith=region.path)
        .order_by("-scheduled_on", "mechanism__kind", "region__code")[:100]
    )
    ancestors = [p for p in region.path.split("/") if p]
    return render(
        request,
        "command/mechanisms.html",
        {
            "region": region,
            "mechanisms": Mechanism.objects.filter(region__code__in=ancestors, active=True).select_related("region"),
            "sessions": sessions,
            "summary": queries.mechanisms_summary(region),
            "crumbs": queries.breadcrumbs(region, queries.centre_for(request.user)),
        },
    )


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _followups(text: str) -> list[dict]:
    """One follow-up a line: ``事项 | 时限(YYYY-MM-DD) | 单位编号(可空)``."""
    out = []
    for line in _lines(text):
        parts = [p.strip() for p in line.split("|")]
        out.append(
            {
                "title": parts[0],
                "due_on": parts[1] if len(parts) > 1 else "",
                "unit": parts[2] if len(parts) > 2 else "",
            }
        )
    return out


@with_region
def session_view(request: HttpRequest, region: Region, pk: int) -> HttpResponse:
    s = MechanismSession.objects.select_related("mechanism", "region", "held_by").filter(pk=pk).first()
    if s is None or not s.region.path.startswith(region.path):
        raise Http404(_t("没有这次机制会议"))
    can_hold = s.status != MechanismSession.Status.HELD and permissions.allowed(request.user, perms.HOLD, s.region)
    error = None
    units = list(mechanisms.participants(s.mechanism, s.region))
    if request.method == "POST":
        if not can_hold:
            raise PermissionDenied(_t("无权召开这次会议，或会议已召开"))
        statements = [
            {"unit": u.pk, "text": request.POST.get(f"statement_{u.pk}", "")}
            for u in units
            if (request.POST.get(f"statement_{u.pk}") or "").strip()
        ]
        try:
            services.hold_session(
                request.user,
                s,
                outcome=request.POST.get("outcome", ""),
                held_on=request.POST.get("held_on") or None,
                present=request.POST.getlist("present"),
                decisions=_lines(request.POST.get("decisions", "")),
                statements=statements,
                followups=_followups(request.POST.get("followups", "")),
                close_followups=request.POST.getlist("close"),
                expected_version=int(request.POST.get("expected_version") or s.version),
            )
        except (Forbidden, NotFound):
            raise
        except DomainError as e:
            error = e
        except ValueError:
            error = DomainError(_t("版本号无效"), field="expected_version")
        else:
            messages.success(request, _t("会议已记录"))
            return redirect("command:session", code=region.code, pk=s.pk)
    preview = None
    if s.status != MechanismSession.Status.HELD:
        preview = mechanisms.compute(s.mechanism, s.region, s.start, s.end)
    data = {"figures": s.figures, "ranking": s.ranking} if preview is None else preview
    return render(
        request,
        "command/session.html",
        {
            "region": region,
            "s": s,
            "m": s.mechanism,
            "data": data,
            "units": units,
            "can_hold": can_hold,
            "error": error,
            "post": request.POST if error else None,
            "followups": FollowUp.objects.filter(session=s).select_related("unit"),
            "crumbs": queries.breadcrumbs(region, queries.centre_for(request.user)),
        },
        status=400 if error else 200,
    )
