"""Alliance pages: list and map, the alliance page, the application and approval inbox, a unit's view.
Thin: they read through the permission scope and call the services to change state."""

from __future__ import annotations

import datetime as dt
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gongzhi.core.errors import DomainError
from gongzhi.core.formerrors import mark as _fail
from gongzhi.org import permissions as perm
from gongzhi.org.models import Unit

from . import permissions as ap
from . import rating as RT
from . import rules as R
from . import services as S
from .forms import (
    ActivityForm,
    ApplyForm,
    DecideForm,
    FundForm,
    InviteForm,
    MeetingForm,
    MembershipDecisionForm,
)
from .models import (
    Alliance,
    AllianceMember,
    Dimension,
    Goal,
    ListItem,
    Meeting,
    Quarter,
    Rectification,
    RectificationTask,
    UnitReview,
    YearReview,
)


def _alliance(request, code) -> Alliance:
    a = get_object_or_404(Alliance, code=code)
    if not S.visible_alliances(request.user).filter(pk=a.pk).exists():
        raise Http404(_("不在您的管辖范围内"))
    return a


def _year(request) -> int:
    try:
        return int(request.GET.get("year", ""))
    except ValueError:
        return timezone.localdate().year


def _point(a: Alliance):
    for u in [a.lead_unit, *[m.unit for m in a.members.select_related("unit")]]:
        if u.lon is not None and u.lat is not None:
            return u.lon, u.lat
    return None


@login_required
def index(request):
    alliances = S.visible_alliances(request.user).select_related("lead_unit", "region")
    status = request.GET.get("status", "established")
    shown = alliances.filter(status=status) if status in Alliance.Status.values else alliances
    year = _year(request)
    established = alliances.filter(status=Alliance.Status.ESTABLISHED)
    rows = []
    for a in shown.order_by("code")[:300]:
        review = a.reviews.filter(stage=YearReview.Stage.GRADED).order_by("-year").first()
        rows.append({"a": a, "members": a.members.filter(status="active").count(), "review": review})
    points = [
        {"code": a.code, "name": a.name, "kind": a.get_kind_display(), "lon": p[0], "lat": p[1]}
        for a in established[:500]
        if (p := _point(a))
    ]
    return render(
        request,
        "alliances/index.html",
        {
            "rows": rows,
            "status": status,
            "statuses": Alliance.Status.choices,
            "year": year,
            "street_rows": S.street_compliance(established, year),
            "points_json": json.dumps(points, ensure_ascii=False),
            "can_apply": ap.allowed(request.user, ap.APPLY),
            "can_approve": ap.allowed(request.user, ap.APPROVE),
        },
    )


@login_required
def apply(request):
    form = ApplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            a = S.apply_alliance(
                lead_unit=d["lead_unit"],
                kind=d["kind"],
                name=d["name"],
                purpose=d["purpose"],
                members=d["members"],
                initial_needs=d["initial_needs"],
                partner_province=d["partner_province"],
                partner_unit_name=d["partner_unit_name"],
                actor=request.user,
            )
        except DomainError as e:
            _fail(form, e)
        else:
            messages.success(request, _("申请已提交，等待街道(乡镇)党(工)委审批"))
            return redirect("alliances:detail", code=a.code)
    return render(request, "alliances/apply.html", {"form": form})


@login_required
def inbox(request):
    """What waits for a decision within the user's scope."""
    scope = ap.scope(request.user, Alliance.objects.all(), ap.APPROVE)
    manage = ap.scope(request.user, Alliance.objects.all(), ap.MANAGE)
    return render(
        request,
        "alliances/inbox.html",
        {
            "applications": scope.filter(status=Alliance.Status.APPLIED).select_related("lead_unit", "region"),
            "goals": Goal.objects.filter(alliance__in=scope, status=Goal.Status.SUBMITTED).select_related("alliance"),
            "joins": AllianceMember.objects.filter(alliance__in=manage, status="pending").select_related(
                "alliance", "unit"
            ),
            "decide_form": DecideForm(),
        },
    )


@login_required
def detail(request, code):
    a = _alliance(request, code)
    year = _year(request)
    today = timezone.localdate()
    can_manage = ap.allowed(request.user, ap.MANAGE, a)
    comp = S.compliance(a, year, today=today)
    quarters = list(Quarter.objects.filter(alliance=a, year=year))
    reviews = list(a.reviews.order_by("-year"))
    ctx = {
        "a": a,
        "year": year,
        "years": sorted({year, today.year, *(a.meetings.values_list("year", flat=True))}),
        "members": a.members.select_related("unit").order_by("status", "-role", "unit__name"),
        "goals": a.goals.select_related("proposed_by"),
        "lists": {k: a.list_items.filter(year=year, kind=k).select_related("unit") for k in ListItem.Kind.values},
        "list_labels": dict(ListItem.Kind.choices),
        "tasks": a.tasks.filter(item__year=year).select_related("owner_unit", "item"),
        "compliance": comp,
        "extra_meetings": a.meetings.filter(year=year, required=False),
        "funds": S.fund_summary(a),
        "fund_entries": a.funds.select_related("project", "unit").order_by("-entered_on")[:30],
        "activities": a.activities.filter(held_on__year=year).prefetch_related("participations__unit"),
        "quarters": quarters,
        "reviews": reviews,
        "can_manage": can_manage,
        "can_approve": ap.allowed(request.user, ap.APPROVE, a),
        "can_rate": ap.allowed(request.user, ap.RATE, a),
        "invite_form": InviteForm(),
        "decide_form": DecideForm(),
        "fund_form": FundForm(projects=a.list_items.filter(kind="project"), initial={"entered_on": today}),
        "activity_form": ActivityForm(members=_member_units(a), initial={"held_on": today}),
    }
    return render(request, "alliances/detail.html", ctx)


def _member_units(a: Alliance):
    return Unit.objects.filter(alliance_memberships__alliance=a, alliance_memberships__status="active").order_by("name")


@login_required
@require_POST
def decide(request, code):
    a = _alliance(request, code)
    form = DecideForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            S.decide_application(
                a,
                approve=d["decision"] == "approve",
                reason=d["reason"],
                approver_unit=d["approver_unit"],
                actor=request.user,
            )
            messages.success(request, _("已审批"))
        except DomainError as e:
            messages.error(request, e.message)
    else:
        messages.error(request, "; ".join(m for errs in form.errors.values() for m in errs))
    return redirect("alliances:detail", code=a.code)


@login_required
@require_POST
def invite(request, code):
    a = _alliance(request, code)
    form = InviteForm(request.POST)
    try:
        if not form.is_valid():
            raise DomainError("; ".join(m for errs in form.errors.values() for m in errs))
        S.invite(a, form.cleaned_data["unit"], actor=request.user)
        messages.success(request, _("已发出邀请"))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("alliances:detail", code=a.code)


@login_required
def membership(request, pk):
    m = get_object_or_404(AllianceMember.objects.select_related("alliance", "unit"), pk=pk)
    _alliance(request, m.alliance.code)
    form = MembershipDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            S.accept_membership(
                m, accept=d["accept"] == "yes", special_justification=d["special_justification"], actor=request.user
            )
        except DomainError as e:
            _fail(form, e)
        else:
            messages.success(request, _("已处理加入请求"))
            return redirect("alliances:detail", code=m.alliance.code)
    current = list(S.active_memberships(m.unit))
    return render(
        request,
        "alliances/membership.html",
        {"m": m, "form": form, "current": current, "cap": S.MAX_ALLIANCES, "special_cap": S.MAX_ALLIANCES_SPECIAL},
    )


@login_required
def record_meeting(request, code, pk):
    a = _alliance(request, code)
    meeting = get_object_or_404(Meeting, pk=pk, alliance=a)
    members = _member_units(a)
    form = MeetingForm(
        request.POST or None,
        members=members,
        initial={"held_on": min(timezone.localdate(), meeting.due_on or timezone.localdate())},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            S.record_meeting(
                meeting,
                held_on=d["held_on"],
                topic=d["topic"],
                minutes=d["minutes"],
                decisions=d["decisions"],
                attendees=list(d["attendees"]),
                late_reason=d["late_reason"],
                actor=request.user,
            )
        except DomainError as e:
            _fail(form, e)
        else:
            messages.success(request, _("会议已记录"))
            return redirect("alliances:detail", code=a.code)
    return render(
        request,
        "alliances/meeting.html",
        {"a": a, "meeting": meeting, "form": form, "signed": meeting.attendance.select_related("unit")},
    )


@login_required
@require_POST
def funds(request, code):
    a = _alliance(request, code)
    form = FundForm(request.POST, projects=a.list_items.filter(kind="project"))
    try:
        if not form.is_valid():
            raise DomainError("; ".join(m for errs in form.errors.values() for m in errs))
        d = form.cleaned_data
        if d["direction"] == "income":
            S.record_income(
                a, source=d["source"], amount=d["amount"], on=d["entered_on"], note=d["note"], actor=request.user
            )
        else:
            S.record_spending(
                a, project=d["project"], amount=d["amount"], on=d["entered_on"], note=d["note"], actor=request.user
            )
        messages.success(request, _("已记账"))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect(f"/alliances/{a.code}/#funds")


@login_required
@require_POST
def activity(request, code):
    a = _alliance(request, code)
    form = ActivityForm(request.POST, members=_member_units(a))
    try:
        if not form.is_valid():
            raise DomainError("; ".join(m for errs in form.errors.values() for m in errs))
        d = form.cleaned_data
        S.record_activity(
            a,
            kind=d["kind"],
            title=d["title"],
            held_on=d["held_on"],
            organiser=a.lead_unit,
            participants=list(d["participants"]),
            actor=request.user,
        )
        messages.success(request, _("活动已记录"))
    except DomainError as e:
        messages.error(request, e.message)
    return redirect(f"/alliances/{a.code}/#activities")


@login_required
def quarter(request, code, year, q):
    a = _alliance(request, code)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "close":
                RT.close_quarter(a, year, q, actor=request.user)
                messages.success(request, _("本季度已结账"))
            elif request.POST.get("action") == "correct":
                unit = get_object_or_404(Unit, code=request.POST.get("unit", ""))
                qq = get_object_or_404(Quarter, alliance=a, year=year, quarter=q)
                RT.correct_score(
                    qq,
                    unit,
                    dimension=request.POST.get("dimension", ""),
                    points=request.POST.get("points"),
                    reason=request.POST.get("reason", ""),
                    actor=request.user,
                )
                messages.success(request, _("已添加更正记录"))
            else:
                RT.compute_quarter(a, year, q, actor=request.user)
                messages.success(request, _("已根据记录重新计分"))
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("alliances:quarter", code=code, year=year, q=q)
    qq = Quarter.objects.filter(alliance=a, year=year, quarter=q).select_related("ruleset").first()
    table = RT.quarter_scores(qq) if qq else []
    unit = None
    lines = None
    if qq and request.GET.get("unit"):
        unit = get_object_or_404(Unit, code=request.GET["unit"])
        lines = [(label, RT.drill_down(qq, unit)[d]) for d, label in Dimension.choices]
    return render(
        request,
        "alliances/quarter.html",
        {
            "a": a,
            "year": year,
            "q": q,
            "quarter": qq,
            "table": table,
            "unit": unit,
            "lines": lines,
            "dimensions": Dimension.choices,
            "bounds": R.quarter_bounds(year, q),
            "can_rate": ap.allowed(request.user, ap.RATE, a),
        },
    )


def _explained(rv: YearReview) -> list[dict]:
    """Each unit's row of the review page: the grade, and what it is made of (per dimension: got / max
    over the year) and what followed from it (rectification, support)."""
    follow = S.follow_up(rv)
    labels = dict(Dimension.choices)
    rows = []
    for ur in rv.units.select_related("unit"):
        dims = (ur.breakdown or {}).get("dims") or {}
        rows.append(
            {
                "ur": ur,
                "dims": [
                    {"label": labels[d], "got": (dims.get(d) or {}).get("got"), "max": (dims.get(d) or {}).get("max")}
                    for d in R.DIMENSIONS
                ],
                "max": (ur.breakdown or {}).get("max"),
                "rectifications": follow.get(ur.unit_id, {}).get("rectifications", []),
                "supports": follow.get(ur.unit_id, {}).get("supports", []),
            }
        )
    return rows


@login_required
def review(request, code, year):
    a = _alliance(request, code)
    rv = YearReview.objects.filter(alliance=a, year=year).select_related("ruleset").first()
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "start":
                RT.start_review(a, year, actor=request.user)
            elif action == "publish":
                RT.publish_points(rv, actor=request.user)
            elif action == "appraise":
                RT.open_appraisal(rv, actor=request.user)
            elif action == "grade":
                RT.grade(rv, actor=request.user)
            elif action == "fund" and rv is not None:
                ur = get_object_or_404(UnitReview, review=rv, unit__code=request.POST.get("unit", ""))
                S.record_support_funding(
                    ur, amount=request.POST.get("amount"), note=request.POST.get("note", ""), actor=request.user
                )
            messages.success(request, _("已完成"))
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("alliances:review", code=code, year=year)
    rules = rv.ruleset.rules if rv else None
    return render(
        request,
        "alliances/review.html",
        {
            "a": a,
            "year": year,
            "review": rv,
            "rows": _explained(rv) if rv else [],
            "thresholds": [
                {"stars": st, "score": t, "share": round(share * 100)} for st, t, share in R.thresholds(rules)
            ]
            if rules
            else [],
            "max_final": R.max_final(rules) if rules else None,
            "rectify_max": rules["year_end"]["rectify_max_stars"] if rules else None,
            "support_min": rules["year_end"]["support_min_stars"] if rules else None,
            "rectify": RT.rectification_list(rv) if rv else [],
            "support": RT.support_list(rv) if rv else [],
            "can_rate": ap.allowed(request.user, ap.RATE, a),
        },
    )


@login_required
def rectification(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """A rectification (整顿): its plan of tasks, the deadline, the re-review; the unit marks tasks done,
    the rating body adds tasks and records the re-review."""
    a = _alliance(request, code)
    rect = get_object_or_404(Rectification.objects.select_related("unit", "unit_review__review"), pk=pk, alliance=a)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "done":
                task = get_object_or_404(RectificationTask, pk=request.POST.get("task") or 0, rectification=rect)
                S.complete_rectification_task(task, note=request.POST.get("note", ""), actor=request.user)
                messages.success(request, _("整改任务已完成"))
            elif action == "add":
                S.add_rectification_task(
                    rect,
                    title=request.POST.get("title", ""),
                    due_on=_date(request.POST.get("due_on")),
                    actor=request.user,
                )
                messages.success(request, _("已添加整改任务"))
            elif action in ("pass", "fail"):
                done = S.rereview(rect, passed=action == "pass", note=request.POST.get("note", ""), actor=request.user)
                messages.success(request, _("复核已记录"))
                if done.next_round is not None:
                    return redirect("alliances:rectification", code=code, pk=done.next_round.pk)
            else:
                messages.error(request, _("未知操作"))
        except DomainError as e:
            messages.error(request, e.message)
        return redirect("alliances:rectification", code=code, pk=rect.pk)
    return render(
        request,
        "alliances/rectification.html",
        {
            "a": a,
            "rect": rect,
            "tasks": list(rect.tasks.all()),
            "rounds": list(Rectification.objects.filter(unit_review=rect.unit_review).order_by("round")),
            "evidence": S.rectification_evidence(rect) if rect.status == Rectification.Status.OPEN else rect.evidence,
            "can_rate": ap.allowed(request.user, ap.RATE, a),
            "can_report": ap.allowed(request.user, ap.APPLY, rect.unit) or ap.allowed(request.user, ap.APPLY, a),
            "today": timezone.localdate(),
        },
    )


def _date(value: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        raise DomainError(_("日期格式应为 YYYY-MM-DD"), field="due_on") from None


@login_required
def unit_view(request, code):
    unit = get_object_or_404(Unit, code=code)
    if not perm.allowed(request.user, perm.VIEW, unit):
        raise Http404(_("不在您的管辖范围内"))
    return render(request, "alliances/unit.html", {"d": S.unit_duties(unit), "today": timezone.localdate()})
