"""Plan pages: the plan tree, a goal's accountability page, a task page, a unit's task inbox and
the forms to create a goal, decompose it and adjust tasks.  Thin: parse, call a service, render."""

from __future__ import annotations

from collections import defaultdict

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _t
from django.views.decorators.http import require_POST

from gongzhi.core.errors import DomainError
from gongzhi.core.models import Region
from gongzhi.org.kinds import HOUSEHOLD_KINDS
from gongzhi.org.models import Unit

from . import forms as F
from . import perms as P
from . import services as PS
from . import status as S
from .models import Adjustment, Cadence, Goal, Link, ReviewSchedule, SourceKind, SupervisionFlag, Task
from .services.reading import loop


def _fail(form, e: DomainError) -> None:
    visible = e.field in form.fields and not form.fields[e.field].widget.is_hidden
    form.add_error(e.field if visible else None, e.message)
    F.mark_invalid(form)


def _next(request, default):
    nxt = request.POST.get("next") or request.GET.get("next")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return nxt
    return default


def _tree(tasks, progress):
    """Tasks in tree order with their depth: [(task, depth, progress)]."""
    children = defaultdict(list)
    ids = {t.pk for t in tasks}
    for t in tasks:
        children[t.parent_id if t.parent_id in ids else None].append(t)
    out = []

    def walk(parent, depth):
        for t in children.get(parent, []):
            out.append((t, depth, progress.get(t.pk, 100.0 if t.state == "done" else t.progress)))
            walk(t.pk, depth + 1)

    walk(None, 0)
    return out


@login_required
def index(request):
    goals = PS.visible_goals(request.user)
    q = (request.GET.get("q") or "").strip()
    source = request.GET.get("source") or ""
    want = request.GET.get("status") or ""
    if q:
        goals = goals.filter(Q(title__icontains=q) | Q(tasks__title__icontains=q)).distinct()
    if source in SourceKind.values:
        goals = goals.filter(source_kind=source)
    goals = goals.order_by("due_on", "id")
    sums = S.summaries(goals)
    rows = [(g, sums[g.pk]) for g in goals]
    if want:
        rows = [r for r in rows if r[1]["status"] == want]
    page = Paginator(rows, 30).get_page(request.GET.get("page"))
    tasks = defaultdict(list)
    for t in Task.objects.filter(goal_id__in=[g.pk for g, _ in page]).select_related("unit"):
        tasks[t.goal_id].append(t)
    items = [(g, s, _tree([t for t in tasks[g.pk] if t.state != "cancelled"], s["task_progress"])) for g, s in page]
    counts = defaultdict(int)
    for _g, s in rows:
        counts[s["status"]] += 1
    return render(
        request,
        "plans/index.html",
        {
            "items": items,
            "page": page,
            "q": q,
            "source": source,
            "want": want,
            "sources": SourceKind.choices,
            "statuses": list(S.STATUS_LABELS.items()),
            "counts": [(k, lbl, counts[k]) for k, lbl in S.STATUS_LABELS.items() if counts[k]],
            "total": len(rows),
            "can_create": P.allowed(request.user, P.MANAGE),
            "inbox_count": PS.inbox(request.user).count(),
        },
    )


@login_required
def goal_new(request):
    if not P.allowed(request.user, P.MANAGE):
        raise Http404(_t("无权创建目标"))
    form = F.GoalForm(request.POST or None, initial={"source_kind": request.GET.get("source") or "directive"})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            region = None
            if d["region"]:
                region = Region.objects.filter(code=d["region"]).first()
                if region is None:
                    raise DomainError(_t("没有编码为%(code)s的区域") % {"code": d["region"]}, field="region")
            alliance_goal = follow_up = None
            if d["source_kind"] == SourceKind.ALLIANCE and d["alliance_goal"]:
                from gongzhi.alliances.models import Goal as AllianceGoal

                alliance_goal = AllianceGoal.objects.filter(pk=d["alliance_goal"]).select_related("alliance").first()
                if alliance_goal is None:
                    raise DomainError(_t("没有这个联合体目标"), field="alliance_goal")
            if d["source_kind"] == SourceKind.CONSULTATION and d["follow_up"]:
                from gongzhi.consult.models import FollowUp

                follow_up = FollowUp.objects.filter(pk=d["follow_up"]).first()
                if follow_up is None:
                    raise DomainError(_t("没有这个协商落实事项"), field="follow_up")
            goal = PS.create_goal(
                request.user,
                title=d["title"],
                description=d["description"],
                source_kind=d["source_kind"],
                alliance_goal=alliance_goal,
                follow_up=follow_up,
                directive_ref=d["directive_ref"],
                directive_issuer=d["directive_issuer"],
                region=region,
                lead_unit=d["lead_unit"],
                starts_on=d["starts_on"],
                due_on=d["due_on"],
            )
        except DomainError as e:
            _fail(form, e)
        else:
            messages.success(request, _t("目标已立项，请分解任务"))
            return redirect("plans:task_new", pk=goal.pk)
    else:
        F.mark_invalid(form)
    return render(request, "plans/goal_form.html", {"form": form, "sources": _source_choices(request.user)})


def _source_choices(user):
    """Open source rows the user may turn into goals: approved alliance goals and open consultation decisions."""
    from gongzhi.alliances.models import Goal as AllianceGoal
    from gongzhi.consult.models import FollowUp

    ag = P.perm.scope(
        user,
        AllianceGoal.objects.filter(status="approved").select_related("alliance"),
        P.MANAGE,
        region_field="alliance__region",
    )[:50]
    fu = P.scope(user, FollowUp.objects.filter(status="open"), P.MANAGE)[:100]
    return {"alliance_goals": ag, "follow_ups": fu}


@login_required
def goal_detail(request, pk):
    try:
        goal = PS.get_goal(request.user, pk)
    except DomainError:
        raise Http404(_t("目标不存在或不在您的管辖范围内")) from None
    user = request.user
    manage = PS.can_manage(user, goal)
    supervise = P.allowed(user, P.SUPERVISE, goal)
    forms = {"feedback": F.FeedbackForm(prefix="fb"), "link": F.LinkForm(prefix="ln"), "flag": F.FlagForm(prefix="fl")}
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "feedback":
                form = forms["feedback"] = F.FeedbackForm(request.POST, prefix="fb")
                if form.is_valid():
                    d = form.cleaned_data
                    PS.add_feedback(user, goal, source=d["source"], text=d["text"], rating=d["rating"], unit=d["unit"])
                    messages.success(request, _t("反馈已记录"))
                    return redirect("plans:goal", pk=goal.pk)
            elif action == "link":
                form = forms["link"] = F.LinkForm(request.POST, prefix="ln")
                if form.is_valid():
                    PS.link_record(user, goal, kind=form.cleaned_data["kind"], object_id=form.cleaned_data["object_id"])
                    messages.success(request, _t("已关联记录"))
                    return redirect("plans:goal", pk=goal.pk)
            elif action == "flag":
                form = forms["flag"] = F.FlagForm(request.POST, prefix="fl")
                if form.is_valid():
                    task = get_object_or_404(Task, pk=form.cleaned_data["task"], goal=goal)
                    PS.raise_flag(user, task, kind=form.cleaned_data["kind"], detail=form.cleaned_data["detail"])
                    messages.success(request, _t("已发起督办"))
                    return redirect("plans:goal", pk=goal.pk)
            elif action == "resolve":
                flag = get_object_or_404(SupervisionFlag, pk=request.POST.get("flag"), task__goal=goal)
                PS.resolve_flag(user, flag, resolution=request.POST.get("resolution", ""))
                messages.success(request, _t("督办已解除"))
                return redirect("plans:goal", pk=goal.pk)
            elif action in ("approve", "reject"):
                adj = get_object_or_404(Adjustment, pk=request.POST.get("adjustment"), task__goal=goal)
                PS.decide_adjustment(user, adj, approve=action == "approve", note=request.POST.get("note", ""))
                messages.success(request, _t("调整申请已审批"))
                return redirect("plans:goal", pk=goal.pk)
            elif action in ("close", "cancel"):
                PS.close_goal(
                    user,
                    goal,
                    version=request.POST.get("version") or None,
                    cancel=action == "cancel",
                    reason=request.POST.get("reason", ""),
                )
                messages.success(request, _t("目标已关闭"))
                return redirect("plans:goal", pk=goal.pk)
        except DomainError as e:
            target = {"feedback": "feedback", "link": "link", "flag": "flag"}.get(action)
            if target:
                _fail(forms[target], e)
            else:
                messages.error(request, e.message)
    tasks = list(goal.tasks.select_related("unit").order_by("deadline", "id"))
    summary = S.goal_summary(goal, tasks)
    tree = _tree([t for t in tasks if t.state != "cancelled"], summary["task_progress"])
    links = list(goal.links.select_related("task"))
    timeline = PS.timeline(goal)
    by_kind = defaultdict(list)
    for ln in links:
        rec_url = None
        try:
            rec_url = PS.resolve_record(ln.kind, ln.object_id)["url"]
        except DomainError:
            pass
        by_kind[ln.get_kind_display()].append((ln, rec_url))
    return render(
        request,
        "plans/goal.html",
        {
            "goal": goal,
            "summary": summary,
            "tree": tree,
            "cancelled": [t for t in tasks if t.state == "cancelled"],
            "timeline": timeline[::-1],
            "loop": loop(timeline),
            "reviews": goal.reviews.order_by("-scheduled_on", "-id")[:12],
            "review_schedule": ReviewSchedule.objects.filter(goal=goal).first(),
            "cadences": Cadence.choices,
            "links": dict(by_kind),
            "manage": manage,
            "supervise": supervise,
            "flags": SupervisionFlag.objects.filter(task__goal=goal).select_related("task"),
            "pending": Adjustment.objects.filter(task__goal=goal, status="requested").select_related("task"),
            "adjustments": Adjustment.objects.filter(task__goal=goal).select_related("task", "requested_by"),
            "feedback": goal.feedback.select_related("unit", "task"),
            "forms": forms,
            "open_tasks": [t for t in tasks if t.state == "open"],
            "source": _source_info(goal),
        },
    )


def _source_info(goal: Goal) -> dict:
    from django.urls import reverse

    if goal.alliance_goal_id:
        ag = goal.alliance_goal
        return {
            "label": f"{ag.alliance.name}：{ag.title}",
            "url": reverse("alliances:detail", args=[ag.alliance.code]),
            "note": ag.decision_reason,
        }
    if goal.follow_up_id:
        fu = goal.follow_up
        return {
            "label": fu.title,
            "url": reverse("consult:vote", args=[fu.vote_id]) if fu.vote_id else None,
            "note": "",
        }
    return {
        "label": f"{goal.directive_issuer.name if goal.directive_issuer else ''} {goal.directive_ref}",
        "url": None,
        "note": "",
    }


def _unit_candidates(goal: Goal):
    """Units a task may be given to: those of the goal's region subtree and the departments above it."""
    ancestors = [p for p in goal.region.path.strip("/").split("/") if p]
    return (
        Unit.objects.filter(
            Q(region__path__startswith=goal.region.path)
            | Q(region__code__in=ancestors, kind__in=("department", "government"))
        )
        .exclude(kind__in=HOUSEHOLD_KINDS)
        .order_by("region__path", "code")[:400]
    )


@login_required
def task_new(request, pk):
    try:
        goal = PS.get_goal(request.user, pk)
    except DomainError:
        raise Http404(_t("目标不存在或不在您的管辖范围内")) from None
    if not PS.can_manage(request.user, goal):
        raise Http404(_t("无权分解该目标"))
    parents = goal.tasks.filter(state="open")
    form = F.TaskForm(request.POST or None, parents=parents, initial={"baseline": 0, "weight": 1})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        params = {"category": d["category"]} if d["category"] else {}
        try:
            parent = goal.tasks.filter(pk=d["parent"]).first() if d["parent"] else None
            task = PS.add_task(
                request.user,
                goal,
                title=d["title"],
                unit=d["unit"],
                deadline=d["deadline"],
                quality_standard=d["quality_standard"],
                indicator_name=d["indicator_name"],
                indicator_unit=d["indicator_unit"],
                baseline=d["baseline"],
                target=d["target"],
                indicator_source=d["indicator_source"],
                indicator_params=params,
                weight=d["weight"] or 1,
                parent=parent,
            )
        except DomainError as e:
            _fail(form, e)
        else:
            messages.success(request, _t("任务“%(t)s”已下达给%(u)s") % {"t": task.title, "u": task.unit.name})
            if request.POST.get("more"):
                return redirect("plans:task_new", pk=goal.pk)
            return redirect("plans:goal", pk=goal.pk)
    else:
        F.mark_invalid(form)
    return render(
        request,
        "plans/task_form.html",
        {"goal": goal, "form": form, "units": _unit_candidates(goal), "tasks": goal.tasks.select_related("unit")},
    )


def _task_forms(task, data=None, which=None):
    init = {"version": task.version}
    return {
        "progress": F.ProgressForm(data if which == "progress" else None, prefix=f"p{task.pk}", initial=init),
        "done": F.DoneForm(data if which == "done" else None, prefix=f"d{task.pk}", initial=init),
        "adjust": F.AdjustForm(data if which == "adjust" else None, prefix=f"a{task.pk}", initial=init),
    }


def _act(request, task, action, forms) -> bool:
    """Run one task action from a POST; True when done (errors go on the form)."""
    user = request.user
    form = forms.get(action)
    if form is None or not form.is_valid():
        if form is not None:
            F.mark_invalid(form)
        return False
    d = form.cleaned_data
    try:
        if action == "progress":
            PS.report_progress(
                user, task, value=d["value"], progress=d["progress"], note=d["note"], version=d["version"]
            )
            messages.success(request, _t("进度已报告：%(t)s") % {"t": task.title})
        elif action == "done":
            PS.complete_task(
                user,
                task,
                evidence_kind=d["evidence_kind"],
                evidence_id=d["evidence_id"],
                note=d["note"],
                version=d["version"],
            )
            messages.success(request, _t("任务已完成：%(t)s") % {"t": task.title})
        elif action == "adjust":
            if PS.can_manage(user, task.goal) and request.POST.get("direct"):
                PS.adjust_task(user, task, kind=d["kind"], reason=d["reason"], version=d["version"], **form.changes())
                messages.success(request, _t("任务已调整：%(t)s") % {"t": task.title})
            else:
                PS.request_adjustment(user, task, kind=d["kind"], reason=d["reason"], **form.changes())
                messages.success(request, _t("调整申请已提交，待审批：%(t)s") % {"t": task.title})
    except DomainError as e:
        _fail(form, e)
        return False
    return True


@login_required
def task_detail(request, pk):
    try:
        task = PS.get_task(request.user, pk)
    except DomainError:
        raise Http404(_t("任务不存在或不在您的管辖范围内")) from None
    action = request.POST.get("action") if request.method == "POST" else None
    forms = _task_forms(task, request.POST if action else None, action)
    if action and PS.can_act(request.user, task) and _act(request, task, action, forms):
        return redirect("plans:task", pk=task.pk)
    if action and not PS.can_act(request.user, task):
        messages.error(request, _t("无权办理该任务：不是您所在单位的任务"))
    return render(
        request,
        "plans/task.html",
        {
            "task": task,
            "forms": forms,
            "can_act": PS.can_act(request.user, task),
            "manage": PS.can_manage(request.user, task.goal),
            "overdue": S.is_overdue(task),
            "updates": task.updates.select_related("reporter_unit", "reported_by"),
            "adjustments": task.adjustments.select_related("requested_by", "decided_by"),
            "flags": task.flags.all(),
            "links": task.links.all(),
            "children": task.children.select_related("unit"),
        },
    )


@login_required
def inbox(request):
    tasks = list(PS.inbox(request.user)[:100])
    action = request.POST.get("action") if request.method == "POST" else None
    acted = None
    if action:
        acted = get_object_or_404(Task, pk=request.POST.get("task"))
        if acted not in tasks:
            messages.error(request, _t("该任务不在您的待办中"))
            return redirect("plans:inbox")
    rows = []
    today = S.today()
    flags = defaultdict(list)
    for f in SupervisionFlag.objects.filter(task__in=tasks, resolved_at__isnull=True):
        flags[f.task_id].append(f)
    pending = set(Adjustment.objects.filter(task__in=tasks, status="requested").values_list("task_id", flat=True))
    for t in tasks:
        forms = _task_forms(
            t, request.POST if acted and acted.pk == t.pk else None, action if acted and acted.pk == t.pk else None
        )
        if acted and acted.pk == t.pk and _act(request, t, action, forms):
            return redirect(_next(request, "plans:inbox"))
        rows.append(
            {
                "task": t,
                "forms": forms,
                "overdue": S.is_overdue(t, today),
                "days": (t.deadline - today).days,
                "late": (today - t.deadline).days,
                "flags": flags[t.pk],
                "pending": t.pk in pending,
                "open": acted is not None and acted.pk == t.pk,
            }
        )
    units = P.report_units(request.user)
    return render(request, "plans/inbox.html", {"rows": rows, "units": units, "link_kinds": Link.Kind.choices})


@login_required
@require_POST
def check_now(request):
    try:
        out = PS.check(request.user)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(
            request,
            _t("检查完成：新增逾期督办%(o)s项，指标偏离督办%(f)s项") % {"o": out["overdue"], "f": out["off_track"]},
        )
    return redirect("plans:index")
