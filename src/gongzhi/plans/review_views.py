"""Joint review pages (定期会商研判, seed 003): the reviews due and coming (/plans/reviews/), a meeting
(/plans/reviews/<pk>/: the indicators, the judgement form, what was decided), and a goal's schedule
(/plans/goals/<pk>/reviews/, POST). Thin: parse, call a service, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _t
from django.views.decorators.http import require_POST

from gongzhi.core.errors import DomainError
from gongzhi.org.models import Unit

from . import perms as P
from . import services as PS
from . import status as S
from .models import Adjustment, Cadence, Judgement, JudgementReason, ReviewMeeting, Task


@login_required
def reviews(request: HttpRequest) -> HttpResponse:
    qs = P.scope(request.user, ReviewMeeting.objects.select_related("goal", "region"))
    today = S.today()
    waiting = list(qs.filter(state=ReviewMeeting.State.SCHEDULED).order_by("scheduled_on", "id")[:200])
    return render(
        request,
        "plans/reviews.html",
        {
            "due": [m for m in waiting if m.scheduled_on <= today],
            "coming": [m for m in waiting if m.scheduled_on > today],
            "held": qs.filter(state=ReviewMeeting.State.HELD).order_by("-held_on", "-id")[:50],
            "can_generate": P.allowed(request.user, P.MANAGE),
        },
    )


@login_required
@require_POST
def generate(request: HttpRequest) -> HttpResponse:
    try:
        out = PS.generate_due_reviews(request.user)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _t("已安排会商%(n)s次") % {"n": out["scheduled"]})
    return redirect("plans:reviews")


def _units(raw: str) -> list[Unit]:
    codes = [c for c in raw.replace("，", ",").replace(" ", ",").split(",") if c]
    found = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    missing = [c for c in codes if c not in found]
    if missing:
        raise DomainError(_t("没有编码为%(code)s的单位") % {"code": "、".join(missing)}, field="participants")
    return [found[c] for c in codes]


@login_required
def review(request: HttpRequest, pk: int) -> HttpResponse:
    m = get_object_or_404(ReviewMeeting.objects.select_related("goal", "region"), pk=pk)
    try:
        goal = PS.get_goal(request.user, m.goal_id)
    except DomainError:
        raise Http404(_t("会商不存在或不在您的管辖范围内")) from None
    manage = PS.can_manage(request.user, goal)
    tasks = list(goal.tasks.exclude(state=Task.State.CANCELLED).select_related("unit").order_by("deadline", "id"))
    error = None
    if request.method == "POST":
        if not manage:
            raise Http404(_t("无权召开会商"))
        post = request.POST
        try:
            judgements = [
                {
                    "task": str(t.pk),
                    "status": post.get(f"j{t.pk}-status", ""),
                    "reason": post.get(f"j{t.pk}-reason", ""),
                    "note": post.get(f"j{t.pk}-note", ""),
                }
                for t in tasks
                if post.get(f"j{t.pk}-status")
            ]
            adjustments = []
            if post.get("adj-task"):
                adjustments.append(
                    {
                        "task": post.get("adj-task"),
                        "kind": post.get("adj-kind", ""),
                        "reason": post.get("adj-reason", ""),
                        "deadline": post.get("adj-deadline") or None,
                        "target": post.get("adj-target") or None,
                    }
                )
            PS.hold_review(
                request.user,
                m,
                participants=_units(post.get("participants", "")),
                judgements=judgements,
                adjustments=adjustments,
                summary=post.get("summary", ""),
                held_on=post.get("held_on") or None,
            )
        except DomainError as e:
            error = e
        else:
            messages.success(request, _t("会商研判已记录"))
            return redirect("plans:review", pk=m.pk)
    titles = {t.pk: t.title for t in goal.tasks.all()}
    unit_names = dict(Unit.objects.filter(code__in={i["unit"] for i in m.indicators}).values_list("code", "name"))
    return render(
        request,
        "plans/review.html",
        {
            "m": m,
            "goal": goal,
            "manage": manage and m.state == ReviewMeeting.State.SCHEDULED and goal.state == "active",
            "tasks": [t for t in tasks if t.state == Task.State.OPEN] or tasks,
            "snapshot": [
                {**i, "title": titles.get(i["task"], ""), "unit_name": unit_names.get(i["unit"], i["unit"])}
                for i in m.indicators
            ],
            "judgements": m.judgements.select_related("task", "flag"),
            "adjustments": m.adjustments.select_related("task"),
            "statuses": Judgement.choices,
            "reasons": JudgementReason.choices,
            "kinds": [(k, v) for k, v in Adjustment.Kind.choices if k in ("deadline", "scope", "cancel")],
            "error": error,
            "post": request.POST if request.method == "POST" else {},
            "today": S.today(),
        },
    )


@login_required
@require_POST
def goal_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        goal = PS.get_goal(request.user, pk)
    except DomainError:
        raise Http404(_t("目标不存在或不在您的管辖范围内")) from None
    try:
        if request.POST.get("action") == "schedule":
            PS.schedule_review(request.user, goal, on=request.POST.get("scheduled_on"))
            messages.success(request, _t("已安排会商"))
        else:
            PS.set_review_schedule(
                request.user, goal, cadence=request.POST.get("cadence", ""), first_on=request.POST.get("first_on")
            )
            messages.success(request, _t("会商周期已设定"))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("plans:goal", pk=goal.pk)


CADENCES = Cadence.choices
