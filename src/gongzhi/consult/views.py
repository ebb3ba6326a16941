"""Consult pages: topics, cloud consultation (statements, agree/disagree/pass via htmx), moderation,
results (opinion map, 最大公约数), pol.is CSV export, and formal votes (ballot, officer entry,
results after close)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from gongzhi.core.errors import DomainError
from gongzhi.core.formerrors import mark as _mark
from gongzhi.core.models import Region
from gongzhi.org import permissions as perm
from gongzhi.org.models import Person, Unit
from gongzhi.org.pickers import PickerField

from . import permissions as cperm
from . import services, votes
from .models import FollowUp, FormalVote, Statement, StatementVote, Topic


def _topic(request, pk) -> Topic:
    topic = cperm.visible(request.user, Topic.objects.select_related("region"), "region").filter(pk=pk).first()
    if topic is None:
        raise Http404
    return topic


def _vote(request, pk) -> FormalVote:
    vote = cperm.visible(request.user, FormalVote.objects.select_related("region"), "region").filter(pk=pk).first()
    if vote is None:
        raise Http404
    return vote


# --- topics -----------------------------------------------------------------------------------


class TopicForm(forms.Form):
    title = forms.CharField(label=_("议题"), max_length=120)
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    region = forms.ModelChoiceField(label=_("社区/村"), queryset=Region.objects.none())
    collect_days = forms.IntegerField(label=_("征集天数"), min_value=1, max_value=90, initial=7)
    deliberate_days = forms.IntegerField(label=_("协商天数"), min_value=0, max_value=90, initial=7)
    vote_days = forms.IntegerField(label=_("表决天数"), min_value=0, max_value=30, initial=3)
    publish_days = forms.IntegerField(label=_("公示天数"), min_value=0, max_value=30, initial=5)
    rules = forms.CharField(
        label=_("参与规则"),
        required=False,
        max_length=500,
        initial=_("实名参与；观点须与议题相关，不得含人身攻击；主持人审核后公开。"),
    )

    def __init__(self, *args, user=None, **kw):
        super().__init__(*args, **kw)
        ps = cperm.paths(user, cperm.MANAGE)
        qs = Region.objects.filter(level="community").order_by("code")
        if ps is not None:
            qs = qs.filter(pk__in=[r.pk for r in qs if any(r.path.startswith(p) for p in ps)])
        self.fields["region"].queryset = qs


@login_required
def index(request):
    topics = cperm.visible(request.user, Topic.objects.select_related("region"), "region")
    region_code = request.GET.get("region")
    if region_code:
        topics = topics.filter(region__code=region_code)
    now = timezone.now()
    rows = []
    for t in topics[:100]:
        phase = next((p for p in t.phases.all() if p.starts_at <= now < p.ends_at), None)
        rows.append((t, phase))
    formal = cperm.visible(request.user, FormalVote.objects.select_related("region"), "region")[:50]
    return render(
        request,
        "consult/index.html",
        {
            "rows": rows,
            "formal": formal,
            "can_manage": cperm.allowed(request.user, cperm.MANAGE),
            "follow_ups": cperm.visible(request.user, FollowUp.objects.select_related("region"), "region")[:20],
            "now": now,
        },
    )


@login_required
def topic_new(request):
    if not cperm.allowed(request.user, cperm.MANAGE):
        raise Http404
    form = TopicForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        start = timezone.now().replace(second=0, microsecond=0)
        phases = []
        for kind, days in (
            ("collect", d["collect_days"]),
            ("deliberate", d["deliberate_days"]),
            ("vote", d["vote_days"]),
            ("publish", d["publish_days"]),
        ):
            if days:
                end = start + dt.timedelta(days=days)
                phases.append({"kind": kind, "starts_at": start, "ends_at": end, "rules": d["rules"]})
                start = end
        try:
            topic = services.create_topic(
                title=d["title"],
                description=d["description"],
                scope="village" if d["region"].kind == "rural" else "community",
                region=d["region"],
                phases=phases,
                proposed_by=request.user,
            )
        except DomainError as e:
            _mark(form, e)
        else:
            return redirect("consult:topic", pk=topic.pk)
    return render(request, "consult/form.html", {"form": form, "heading": _t("发起议题")})


class StatementForm(forms.Form):
    text = forms.CharField(
        label=_("我的观点"),
        max_length=Statement.MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": Statement.MAX_LENGTH}),
    )


@login_required
def topic(request, pk):
    t = _topic(request, pk)
    form = StatementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_statement(t, request.user, form.cleaned_data["text"])
        except DomainError as e:
            _mark(form, e)
        else:
            messages.success(request, _t("观点已提交，主持人审核后公开"))
            return redirect("consult:topic", pk=t.pk)
    now = timezone.now()
    current = services.current_phase(t, now)
    return render(
        request,
        "consult/topic.html",
        {
            "topic": t,
            "phases": t.phases.all(),
            "current": current,
            "form": form,
            "can_write": (
                current is not None and current.kind in services.STATEMENT_PHASES and cperm.takes_part(request.user)
            ),
            "can_manage": cperm.allowed(request.user, cperm.MANAGE, t),
            "pending": t.statements.filter(status=Statement.Status.PENDING).count(),
            "accepted": t.statements.filter(status=Statement.Status.ACCEPTED).count(),
            "card": _card_context(request, t),
            "formal": t.formal_votes.all(),
        },
    )


def _card_context(request, t: Topic, error: str | None = None) -> dict:
    current = services.current_phase(t)
    if current is None or current.kind not in services.VOTING_PHASES:
        return {"topic": t, "closed": True, "current": current}
    if not cperm.takes_part(request.user):
        return {"topic": t, "read_only": True, "error": error}
    st = services.next_statement(t, request.user)
    voted = StatementVote.objects.filter(statement__topic=t, voter=request.user).values("statement").distinct().count()
    return {"topic": t, "statement": st, "voted": voted, "error": error}


@login_required
def next_card(request, pk):
    t = _topic(request, pk)
    error = None
    if request.method == "POST":
        try:
            st = get_object_or_404(Statement, pk=request.POST.get("statement"), topic=t)
            services.cast_vote(st, request.user, int(request.POST.get("value", "x")))
        except (ValueError, TypeError):
            error = _t("表态只能是赞同、反对或跳过")
        except DomainError as e:
            error = e.message
    return render(request, "consult/_card.html", _card_context(request, t, error))


@login_required
def moderate(request, pk):
    t = _topic(request, pk)
    if not cperm.allowed(request.user, cperm.MANAGE, t):
        raise Http404
    error = None
    if request.method == "POST":
        st = get_object_or_404(Statement, pk=request.POST.get("statement"), topic=t)
        try:
            services.moderate_statement(
                st, request.user, accept=request.POST.get("accept") == "1", reason=request.POST.get("reason", "")
            )
        except DomainError as e:
            error = (st.pk, e.message)
        else:
            return redirect("consult:moderate", pk=t.pk)
    return render(
        request,
        "consult/moderate.html",
        {
            "topic": t,
            "pending": t.statements.filter(status=Statement.Status.PENDING).order_by("id"),
            "done": t.statements.exclude(status=Statement.Status.PENDING).order_by("-moderated_at")[:50],
            "error": error,
        },
    )


@login_required
def results(request, pk):
    t = _topic(request, pk)
    data = services.results_data(t)
    return render(request, "consult/results.html", {"topic": t, "data": data})


@login_required
def export(request, pk, name):
    t = _topic(request, pk)
    # The same masking rule as every page: statements' text in clear only with view_personal for the
    # topic's region, and such an export is written to the security audit log.
    clear = perm.allowed(request.user, perm.VIEW_PERSONAL, t.region)
    files = services.export_polis(t, mask=not clear)
    if name not in files:
        raise Http404
    if clear and name == "comments.csv":
        from gongzhi.core import audit

        audit.personal_export(
            f"topic:{t.pk}:{name}",
            actor=request.user,
            region=t.region,
            request=request,
            rows=t.statements.count(),
            fields=["comment-body"],
        )
    resp = HttpResponse(files[name], content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="topic-{t.pk}-{name}"'
    return resp


# --- formal votes -----------------------------------------------------------------------------


class VoteForm(forms.Form):
    title = forms.CharField(label=_("表决事项"), max_length=120)
    region = forms.ModelChoiceField(label=_("社区/村"), queryset=Region.objects.none())
    electorate = forms.ChoiceField(label=_("投票人"), choices=FormalVote.Electorate.choices)
    unit = PickerField("unit", purpose="party", label=_("党支部（党支部表决时选择）"), required=False)
    method = forms.ChoiceField(label=_("表决方式"), choices=FormalVote.Method.choices)
    preset = forms.ChoiceField(label=_("规则"), choices=[(k, v["label"]) for k, v in votes.PRESETS.items()])
    options = forms.CharField(
        label=_("选项（每行一个）"), widget=forms.Textarea(attrs={"rows": 3}), initial="同意\n不同意\n弃权"
    )
    hours = forms.IntegerField(label=_("投票时长（小时）"), min_value=1, max_value=24 * 30, initial=48)

    def __init__(self, *args, user=None, **kw):
        super().__init__(*args, **kw)
        ps = cperm.paths(user, cperm.MANAGE)
        qs = Region.objects.filter(level="community").order_by("code")
        if ps is not None:
            qs = qs.filter(pk__in=[r.pk for r in qs if any(r.path.startswith(p) for p in ps)])
        self.fields["region"].queryset = qs


@login_required
def vote_new(request):
    if not cperm.allowed(request.user, cperm.MANAGE):
        raise Http404
    form = VoteForm(request.POST or None, user=request.user, initial={"topic": request.GET.get("topic")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        unit = Unit.objects.filter(code=d["unit"].strip()).first() if d["unit"].strip() else None
        topic = Topic.objects.filter(pk=request.GET.get("topic") or 0).first()
        now = timezone.now()
        try:
            if d["unit"].strip() and unit is None:
                raise DomainError(_t("没有这个单位编码"), field="unit")
            vote = votes.create_vote(
                title=d["title"],
                region=d["region"],
                electorate=d["electorate"],
                method=d["method"],
                preset=d["preset"],
                options=d["options"].splitlines(),
                opens_at=now,
                closes_at=now + dt.timedelta(hours=d["hours"]),
                unit=unit,
                topic=topic,
                actor=request.user,
            )
        except DomainError as e:
            _mark(form, e)
        else:
            return redirect("consult:vote", pk=vote.pk)
    return render(request, "consult/form.html", {"form": form, "heading": _t("发起表决")})


class OfficerForm(forms.Form):
    id_number = forms.CharField(label=_("投票人身份证号（联盟表决填单位编码）"), max_length=40)


def _elector_key(vote: FormalVote, ident: str) -> str:
    ident = ident.strip()
    if vote.electorate == FormalVote.Electorate.ALLIANCE:
        unit = Unit.objects.filter(code=ident).first()
        if unit is None:
            raise DomainError(_t("没有这个单位编码"), field="id_number")
        return f"u:{unit.pk}"
    person = Person.objects.filter(id_number=ident.upper()).first()
    if person is None:
        raise DomainError(_t("没有登记这个身份证号"), field="id_number")
    return f"p:{person.pk}"


@login_required
def vote_page(request, pk):
    vote = _vote(request, pk)
    now = timezone.now()
    is_open = vote.opens_at <= now < vote.closes_at and vote.status == FormalVote.Status.OPEN
    officer_form = OfficerForm()
    error = None
    receipt = None
    if request.method == "POST" and is_open:
        choices = request.POST.getlist("choice")
        if vote.method == FormalVote.Method.RANKED:
            ranked = sorted(
                (
                    (int(r), o)
                    for o, r in ((o, request.POST.get(f"rank_{o}")) for o in vote.options.values_list("id", flat=True))
                    if r and r.isdigit()
                )
            )
            choices = [o for _, o in ranked]
        try:
            if request.POST.get("officer"):
                officer_form = OfficerForm(request.POST)
                if not officer_form.is_valid():
                    raise DomainError(_t("请填写投票人身份证号"), field="id_number")
                key = _elector_key(vote, officer_form.cleaned_data["id_number"])
                entry = votes.cast_ballot(vote, choices, elector_key=key, officer=request.user)
                messages.success(request, _t("现场选票已录入，请将回执编号交给投票人"))
            else:
                entry = votes.cast_ballot(vote, choices, voter=request.user)
                messages.success(request, _t("您的选票已投出（秘密投票，记录中不含您的选择）"))
        except DomainError as e:
            if request.POST.get("officer"):
                _mark(officer_form, e)
            error = e.message
        else:
            # Shown once, on this answer (not redirected: the receipt is kept in no session or message).
            receipt = entry.receipt
    result = None
    if now >= vote.closes_at:
        try:
            result = votes.results(vote, at=now)
        except DomainError as e:
            error = e.message
    labels = dict(vote.options.values_list("id", "label"))
    return render(
        request,
        "consult/vote.html",
        {
            "vote": vote,
            "options": vote.options.all(),
            "is_open": is_open,
            "error": error,
            "turnout": votes.turnout(vote),
            "result": result,
            "labels": labels,
            "winner": labels.get(result["result"]["winner"]) if result else None,
            "officer_form": officer_form,
            "is_officer": cperm.allowed(request.user, cperm.OFFICER, vote),
            "can_manage": cperm.allowed(request.user, cperm.MANAGE, vote),
            "preset_label": votes.PRESETS.get(vote.preset, {}).get("label", vote.preset),
            "receipt": receipt,
        },
    )


@require_GET
def ballot_receipt(request: HttpRequest) -> HttpResponse:
    """验证我的选票: public (the receipt is the key; published ballots are public on the record)."""
    code = (request.GET.get("receipt") or "").strip()
    found: dict | None = None
    error = None
    labels: dict = {}
    if code:
        try:
            found = votes.check_receipt(code)
        except DomainError as e:
            error = e.message
        else:
            vote = FormalVote.objects.filter(pk=int(found.get("vote") or 0)).first()
            if (
                vote is not None
                and request.user.is_authenticated
                and cperm.visible(request.user, FormalVote.objects.filter(pk=vote.pk), "region").exists()
            ):
                labels = dict(vote.options.values_list("id", "label"))
                found["title"] = vote.title
            found["labels"] = [labels.get(c, str(c)) for c in found.get("choices") or []]
    return render(request, "consult/receipt.html", {"code": code, "found": found, "error": error})


@login_required
@require_POST
def vote_close(request, pk):
    vote = _vote(request, pk)
    try:
        votes.close_vote(vote, actor=request.user)
    except DomainError as e:
        messages.error(request, e.message)
    return redirect("consult:vote", pk=vote.pk)
