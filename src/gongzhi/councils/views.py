"""Council pages: platforms by level, a platform (members, meetings, hold a meeting with its agenda
drawn from the records), a meeting (attendance, quorum, agenda, record a vote), the 三重一大 matters
(propose, the procedure's timeline and its next step). Thin: parse, call a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.views.decorators.http import require_POST

from gongzhi.core.errors import DomainError, Forbidden, NotFound

from . import perms
from . import procedure as P
from . import services as S
from .models import Decision, Level, Matter, MatterKind, SubjectType


def _int(value: Any, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _fail(request: HttpRequest, e: DomainError) -> None:
    if isinstance(e, Forbidden):
        raise e  # the 403 page (ops.errors), never a message on the page it was refused from
    field = getattr(e, "field", None)
    messages.error(request, f"{e}" + (f"（{field}）" if field else ""))


def _get(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except NotFound:
        raise Http404(_t("记录不存在或不在您的管辖范围内")) from None


@login_required
def index(request: HttpRequest) -> HttpResponse:
    councils = S.visible_councils(request.user)
    level = request.GET.get("level") or ""
    if level in Level.values:
        councils = councils.filter(level=level)
    return render(
        request,
        "councils/index.html",
        {
            "councils": councils[:300],
            "levels": Level.choices,
            "level": level,
            "matters": S.visible_matters(request.user)[:100],
            "can_manage": perms.can(request.user, perms.MANAGE),
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    c = _get(S.get_council, request.user, pk)
    can = perms.can(request.user, perms.MANAGE, c.region)
    return render(
        request,
        "councils/detail.html",
        {
            "council": c,
            "members": c.members.select_related("unit", "person").order_by("id"),
            "voting": S.voting_members(c).select_related("unit", "person"),
            "meetings": c.meetings.all()[:100],
            "matters": c.matters.all()[:50],
            "candidates": S.agenda_candidates(c) if can else [],
            "can_manage": can,
            "today": timezone.localdate().isoformat(),
            "quorum_needed": S.quorum_needed(c, S.voting_members(c).count()),
        },
    )


@login_required
@require_POST
def hold_meeting(request: HttpRequest, pk: int) -> HttpResponse:
    c = _get(S.get_council, request.user, pk)
    try:
        m = S.hold_meeting(
            request.user,
            c,
            title=request.POST.get("title", ""),
            held_on=request.POST.get("held_on", ""),
            present=request.POST.getlist("present"),
            agenda=request.POST.getlist("agenda"),
            topics=[t for t in request.POST.get("topics", "").splitlines() if t.strip()],
            minutes=request.POST.get("minutes", ""),
        )
    except DomainError as e:
        _fail(request, e)
        return redirect("councils:detail", pk=c.pk)
    messages.success(request, _t("会议已记录，纪要已公开"))
    return redirect("councils:meeting", pk=m.pk)


@login_required
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    m = _get(S.get_meeting, request.user, pk)
    return render(
        request,
        "councils/meeting.html",
        {
            "meeting": m,
            "council": m.council,
            "attendance": m.attendance.select_related("member__unit", "member__person").order_by("member_id"),
            "agenda": m.agenda.all(),
            "decisions": m.decisions.all(),
            "effects": [(v, label) for v, label in Decision.Effect.choices if v != Decision.Effect.MATTER],
            "can_manage": perms.can(request.user, perms.MANAGE, m.council.region),
        },
    )


@login_required
@require_POST
def record_decision(request: HttpRequest, pk: int) -> HttpResponse:
    m = _get(S.get_meeting, request.user, pk)
    post = request.POST
    effect = post.get("effect", "none")
    params: dict = {}
    if effect == Decision.Effect.PLAN_GOAL:
        params = {k: post.get(k, "") for k in ("lead_unit", "due_on", "budget")}
    elif effect == Decision.Effect.POOL_NEED:
        params = {
            "kind": post.get("kind", ""),
            "quantity": _int(post.get("quantity"), 0),
            "priority": post.get("priority", "basic"),
            "grid": post.get("grid", ""),
        }
    item = m.agenda.filter(pk=_int(post.get("agenda_item"))).first() if post.get("agenda_item") else None
    try:
        S.record_decision(
            request.user,
            m,
            title=post.get("title", ""),
            votes_for=_int(post.get("votes_for"), -1),
            votes_against=_int(post.get("votes_against"), -1),
            votes_abstain=_int(post.get("votes_abstain"), -1),
            effect=effect,
            params=params,
            agenda_item=item,
        )
    except DomainError as e:
        _fail(request, e)
    else:
        messages.success(request, _t("表决结果已记录"))
    return redirect("councils:meeting", pk=m.pk)


@login_required
def propose(request: HttpRequest) -> HttpResponse:
    if not perms.can(request.user, perms.MANAGE):
        messages.error(request, _t("无权提出三重一大事项"))
        return redirect("councils:index")
    councils = S.visible_councils(request.user)
    if request.method == "POST":
        c = councils.filter(pk=_int(request.POST.get("council"))).first()
        try:
            if c is None:
                raise DomainError(_t("请选择决策机构"), field="council")
            m = P.propose(
                request.user,
                c,
                kind=request.POST.get("kind", ""),
                title=request.POST.get("title", ""),
                subject_type=request.POST.get("subject_type", ""),
                subject_ref=request.POST.get("subject_ref", ""),
                amount=request.POST.get("amount") or None,
                description=request.POST.get("description", ""),
            )
        except DomainError as e:
            _fail(request, e)
        else:
            messages.success(request, _t("事项已提出"))
            return redirect("councils:matter", pk=m.pk)
    return render(
        request,
        "councils/propose.html",
        {"councils": councils, "kinds": MatterKind.choices, "subjects": SubjectType.choices, "post": request.POST},
    )


@login_required
def matter(request: HttpRequest, pk: int) -> HttpResponse:
    m = _get(S.get_matter, request.user, pk)
    return render(
        request,
        "councils/matter.html",
        {
            "matter": m,
            "timeline": P.timeline(m),
            "remaining": P.remaining(m),
            "uses": m.uses.all(),
            "meetings": m.council.meetings.filter(quorum_met=True)[:20],
            "can_manage": perms.can(request.user, perms.MANAGE, m.region),
        },
    )


@login_required
@require_POST
def matter_step(request: HttpRequest, pk: int) -> HttpResponse:
    m = _get(S.get_matter, request.user, pk)
    perms.require(request.user, perms.MANAGE, m.region)
    step = request.POST.get("step", "")
    version = _int(request.POST.get("version"), 0) or None
    try:
        if step == "consultation":
            P.consult(
                request.user,
                m,
                note=request.POST.get("note", ""),
                consulted=_int(request.POST.get("consulted"), 0),
                version=version,
            )
        elif step == "decision":
            mt = m.council.meetings.filter(pk=_int(request.POST.get("meeting"))).first()
            if mt is None:
                raise DomainError(_t("请选择作出集体决策的会议"), field="meeting")
            P.decide(
                request.user,
                m,
                meeting=mt,
                votes_for=_int(request.POST.get("votes_for"), -1),
                votes_against=_int(request.POST.get("votes_against"), -1),
                votes_abstain=_int(request.POST.get("votes_abstain"), -1),
                version=version,
            )
        elif step == "publication":
            P.publish(request.user, m, note=request.POST.get("note", ""), version=version)
        else:
            raise DomainError(_t("未知的步骤"), field="step")
    except DomainError as e:
        _fail(request, e)
    else:
        messages.success(request, _t("已记录"))
    return redirect("councils:matter", pk=m.pk)


_ = Matter
