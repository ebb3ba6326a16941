"""Pages of the request loop. Thin: they read through the visibility rules and call services."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongzhi.core import replica
from gongzhi.core.errors import DomainError, IdempotencyMismatch
from gongzhi.core.formerrors import mark as _mark
from gongzhi.org import geo
from gongzhi.org import permissions as perm
from gongzhi.org.kinds import UnitKind
from gongzhi.org.models import Grid, Person, Unit
from gongzhi.security import ratelimit

from . import attachments as attachments_mod
from . import classify, figures, perms, services, sla
from .api import ActionIn, apply_action
from .forms import (
    ActionForm,
    BypassForm,
    HotlineForm,
    MediationCloseForm,
    MediationForm,
    RequestForm,
    WhistleForm,
)
from .models import (
    OPEN_STATES,
    Bypass,
    Channel,
    MediationCase,
    Rating,
    ServiceRequest,
    State,
    Summons,
)
from .views_common import (
    WAITING_STATES,
    dept_requests,
    dept_summonses,
    desk_requests,
    duplicates_for,
    grid_requests,
    log_contact_view,
    request_dict,
    visible_requests,
    worker_grid_ids,
)

# Public intake: at most RATE_LIMIT submissions per client address per RATE_WINDOW seconds.
RATE_LIMIT = 20
RATE_WINDOW = 60
SESSION_KEY = "cases_tokens"


def rate_limited(request, bucket: str = "intake") -> bool:
    """Counted in the shared cache (django-ratelimit), so the limit holds across worker processes."""
    return ratelimit.limited(request, f"cases.{bucket}", f"{RATE_LIMIT}/{RATE_WINDOW}s")


def _remember(request, req) -> None:
    tokens = request.session.get(SESSION_KEY, [])
    if req.token not in tokens:
        request.session[SESSION_KEY] = (tokens + [req.token])[-50:]


def index(request):
    if not request.user.is_authenticated:
        return redirect("cases:new")
    home = perm.home_region(request.user)
    t = figures.total(within=home) if home is not None else None
    return render(request, "cases/index.html", {"home": home, "total": t, "roles": perms.roles(request.user)})


def _intake_ctx(form, **extra) -> dict:
    return {
        "form": form,
        "max_count": attachments_mod.max_count(),
        "max_mb": attachments_mod.max_bytes() // (1024 * 1024),
        **extra,
    }


def _author_key(request, prefix: str, key: str | None) -> str | None:
    """An idempotency key bound to its author: the signed-in user, else the browser's session (two
    browsers sending the same value file two requests; neither sees the other's). Without a session
    cookie there is nothing to bind to, so the key is dropped rather than shared."""
    if not key:
        return None
    if request.user.is_authenticated:
        return f"{prefix}:u{request.user.pk}:{key}"
    session_key = request.session.session_key
    return f"{prefix}:s{session_key}:{key}" if session_key else None


def new(request, simple: bool = False):
    template = "cases/simple.html" if simple else "cases/new.html"
    picker_user = None if simple else request.user  # staff pick the grid by name on the full page
    if request.method == "POST":
        form = RequestForm(request.POST, user=picker_user)
        files = request.FILES.getlist("attachments")
        if rate_limited(request):
            form.is_valid()
            form.add_error(None, _("提交过于频繁，请稍后再试"))
            return render(request, template, _intake_ctx(form), status=429)
        if form.is_valid():
            d = form.cleaned_data
            key = d.get("idempotency_key")
            try:
                req, _created = services.submit(
                    request.user,
                    description=d["description"],
                    channel=Channel.WEB,
                    category=d["category"] or None,
                    lon=d["lon"],
                    lat=d["lat"],
                    grid=d["grid"] or None,
                    address=d["address"],
                    anonymous=d["anonymous"],
                    reporter_name=d["reporter_name"],
                    reporter_phone=d["reporter_phone"],
                    idempotency_key=_author_key(request, "web", key),
                    attachments=files,
                )
            except IdempotencyMismatch as e:
                # The form was sent before with other content (e.g. edited after "back"): file nothing,
                # say so, and give the form a fresh key so that sending it again files a new request.
                form = RequestForm(_with_fresh_key(request.POST), user=picker_user)
                form.is_valid()
                form.add_error(None, e.message)
                return render(request, template, _intake_ctx(form), status=e.status)
            except DomainError as e:
                _mark(form, e)
                if e.field == "attachments":
                    form.add_error(None, e.message)
                    return render(request, template, _intake_ctx(form, attachment_error=e.message), status=e.status)
            else:
                _remember(request, req)
                return redirect(reverse("cases:detail", args=[req.number]) + f"?token={req.token}")
        return render(request, template, _intake_ctx(form), status=400)
    form = RequestForm(initial={"idempotency_key": uuid.uuid4().hex}, user=picker_user)
    if not request.session.session_key:  # the form's key is bound to this browser's session
        request.session.save()
    classify.warm() if classify._model is None else None
    return render(request, template, _intake_ctx(form))


def _with_fresh_key(data):
    data = data.copy()
    data["idempotency_key"] = uuid.uuid4().hex
    return data


def mine(request):
    q = Q(token__in=request.session.get(SESSION_KEY, []))
    if request.user.is_authenticated:
        q |= Q(reporter_user=request.user)
    reqs = ServiceRequest.objects.filter(q).select_related("category", "merged_into").order_by("-created_at")[:100]
    rows = [(r, services.effective(r)) for r in reqs]
    return render(request, "cases/mine.html", {"rows": rows})


def _may_view(request, req) -> bool:
    token = request.GET.get("token") or request.POST.get("token")
    if token and token == req.token:
        return True
    if req.token in request.session.get(SESSION_KEY, []):
        return True
    return visible_requests(request.user).filter(pk=req.pk).exists()


def _available_actions(user, req, is_reporter: bool) -> list[str]:
    acts = []
    dispatcher = perms.can(user, perms.DISPATCH, req)
    handler = perms.can(user, perms.HANDLE, req)
    for a, (frm, _to) in services.ACTIONS.items():
        if req.state not in frm:
            continue
        if a in ("accept", "dispatch", "close", "escalate", "merge", "not_ours") and dispatcher:
            acts.append(a)
        elif a in ("start", "return", "resolve") and handler:
            acts.append(a)
        elif a in ("confirm", "reopen", "cancel") and (is_reporter or dispatcher):
            acts.append(a)
    if req.state in (State.RESOLVED, State.CONFIRMED, State.CLOSED) and (dispatcher or handler):
        acts.append("followup")
    return acts


def detail(request, number):
    req = (
        ServiceRequest.objects.select_related("category", "region", "grid", "handling_unit__region", "merged_into")
        .filter(number=number)
        .first()
    )
    if req is None or not _may_view(request, req):
        raise Http404(_("诉求不存在或无权查看"))
    token = (
        request.GET.get("token")
        or request.POST.get("token")
        or (req.token if req.token in request.session.get(SESSION_KEY, []) else None)
    )
    is_reporter = bool(
        token == req.token or (request.user.is_authenticated and req.reporter_user_id == request.user.pk)
    )
    form = ActionForm(initial={"expected_version": req.version})
    whistle_form = None
    if perms.can(request.user, perms.WHISTLE, req) and req.state in OPEN_STATES:
        whistle_form = WhistleForm(departments=Unit.objects.filter(kind=UnitKind.DEPARTMENT).order_by("code"))
    status = 200
    if request.method == "POST":
        if request.POST.get("form") == "whistle" and whistle_form is not None:
            whistle_form = WhistleForm(request.POST, departments=Unit.objects.filter(kind=UnitKind.DEPARTMENT))
            if whistle_form.is_valid():
                try:
                    services.blow_whistle(
                        request.user,
                        req,
                        departments=whistle_form.cleaned_data["departments"],
                        reason=whistle_form.cleaned_data["reason"],
                    )
                    return redirect(reverse("cases:detail", args=[number]))
                except DomainError as e:
                    _mark(whistle_form, e)
            status = 400
        elif request.POST.get("form") == "pushdown":
            try:
                _decide_pushdown(request)
                return redirect(reverse("cases:detail", args=[number]))
            except DomainError as e:
                form.add_error(None, e.message)
                status = 409 if "刷新" in e.message else 400
        elif request.POST.get("form") == "report":
            try:
                services.report(
                    request.user,
                    int(request.POST.get("summons", 0)),
                    step=request.POST.get("step", ""),
                    note=request.POST.get("note", ""),
                )
                return redirect(reverse("cases:detail", args=[number]))
            except DomainError as e:
                form.add_error(None, e.message)
                status = 400
        else:
            form = ActionForm(request.POST)
            if form.is_valid() and is_reporter and form.cleaned_data["action"] == "confirm":
                for name, message in (("rating", _("请选择是否满意")), ("fixed", _("请选择问题是否解决"))):
                    if not request.POST.get(name):
                        form.add_error(name, message)
            if form.is_valid():
                d = form.cleaned_data
                data = ActionIn(
                    action=d["action"],
                    reason=d["reason"],
                    category=d["category"] or None,
                    unit=d["unit"] or None,
                    resolution=d["resolution"],
                    rating=d["rating"],
                    fixed=d["fixed"] if d["fixed"] is not None else True,
                    into=d["into"] or None,
                    expected_version=d["expected_version"],
                )
                try:
                    apply_action(request.user, req, data, token=token if is_reporter else None)
                    url = reverse("cases:detail", args=[number]) + (f"?token={token}" if is_reporter and token else "")
                    return redirect(url)
                except DomainError as e:
                    _mark(form, e)
                    if e.field == "action":
                        form.errors.setdefault("__all__", form.error_class()).append(e.message)
            status = 409 if any("刷新" in str(x) for x in form.non_field_errors()) else 400
            req.refresh_from_db()
    d = request_dict(request.user, req, timeline=True)
    if request.method == "GET" and not is_reporter:
        log_contact_view(request, req, d, via="page")
    if is_reporter:  # the reporter sees their own contact details
        d.update(
            reporter_name=req.reporter_name,
            reporter_phone=req.reporter_phone,
            masked=False,
            description=req.description,
            resolution=req.resolution,
        )
    whistles = req.whistles.prefetch_related("summonses__department").order_by("blown_at")
    my_units = [r.unit.path for r in perms.roles(request.user)]
    dupes = []
    if req.category_id and req.state in OPEN_STATES and perms.can(request.user, perms.DISPATCH, req):
        dupes = duplicates_for(
            request.user, category=req.category, lon=req.lon, lat=req.lat, text=req.description, exclude_id=req.pk
        )
    acts = _available_actions(request.user, req, is_reporter)
    staff = perms.can(request.user, perms.DISPATCH, req) or perms.can(request.user, perms.HANDLE, req)
    if is_reporter and not staff:  # the resident's own view: what was done, and their three choices
        return render(
            request,
            "cases/reporter.html",
            {
                "req": req,
                "d": d,
                "form": form,
                "token": token,
                "can_rate": "confirm" in acts,
                "can_reopen": "reopen" in acts,
                "can_withdraw": "cancel" in acts,
                "ratings": Rating.choices,
                "labels": services.ACTION_LABELS,
                "effective": services.effective(req) if req.merged_into_id else None,
                "attachments": list(req.attachments.all()),
                "sees_attachments": True,
                "token_q": f"?token={token}" if token else "",
                "geometry": req.grid.geometry,
            },
            status=status,
        )
    return render(
        request,
        "cases/detail.html",
        {
            "list_says": _list_says(req) if "dispatch" in acts else None,
            "pushdowns": _pushdowns_of(request.user, req) if request.user.is_authenticated else [],
            "req": req,
            "d": d,
            "form": form,
            "whistle_form": whistle_form,
            "token": token if is_reporter else "",
            "actions": acts,
            "labels": services.ACTION_LABELS,
            "whistles": whistles,
            "my_units": my_units,
            "dupes": dupes,
            "effective": services.effective(req) if req.merged_into_id else None,
            "geometry": req.grid.geometry,
            "receipts": ledger_receipts(req),
            "attachments": list(req.attachments.all()),
            "sees_attachments": is_reporter or perms.sees_personal(request.user, req),
            "token_q": f"?token={token}" if is_reporter and token else "",
        },
        status=status,
    )


def _list_says(req: ServiceRequest) -> dict | None:
    """What the responsibility and power lists say for the request, shown beside the dispatch form."""
    from gongzhi.org import responsibility

    if not req.category_id:
        return None
    try:
        d = services.route(req)
    except DomainError as e:
        return {"error": e.message}
    return {
        "unit": d.unit,
        "explanation": d.explanation,
        "needed": responsibility.powers_needed(d.category),
        "missing": responsibility.missing_powers(d.unit, d.category, d.region),
    }


def _pushdowns_of(user: Any, req: ServiceRequest) -> list[dict]:
    out = []
    for p in req.pushdowns.select_related("listed_unit", "to_unit", "region", "request").order_by("requested_at"):
        pending = p.status == p.Status.PENDING
        out.append(
            {
                "p": p,
                "consent": pending and perms.may_consent(user, p),
                "approve": pending and perms.may_approve(user, p),
                "withdraw": pending and perms.may_withdraw(user, p),
            }
        )
    return out


def _decide_pushdown(request: HttpRequest) -> None:
    """One decision on a push-down from a page form: consent/decline, approve/refuse, or withdraw."""
    try:
        pk = int(request.POST.get("pushdown", ""))
        version = int(request.POST.get("expected_version", "")) if request.POST.get("expected_version") else None
    except ValueError:
        raise DomainError(_("下派记录编号无效"), field="pushdown") from None
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")
    if decision in ("consent", "decline"):
        services.consent_pushdown(request.user, pk, agree=decision == "consent", note=note, expected_version=version)
    elif decision in ("approve", "refuse"):
        services.approve_pushdown(request.user, pk, approve=decision == "approve", note=note, expected_version=version)
    elif decision == "withdraw":
        services.withdraw_pushdown(request.user, pk, note=note, expected_version=version)
    else:
        raise DomainError(_("未知的操作"), field="decision")


@login_required
def pushdown_inbox(request: HttpRequest) -> HttpResponse:
    """待同意/审批的向基层下派: the receiving unit's staff consent or decline; above the street, approve or refuse."""
    error = ""
    status = 200
    if request.method == "POST":
        try:
            _decide_pushdown(request)
            return redirect(reverse("cases:pushdown_inbox"))
        except DomainError as e:
            error, status = e.message, (409 if "刷新" in e.message else 400)
    box = services.pushdown.inbox(request.user)
    return render(request, "cases/pushdown_inbox.html", {"box": box, "error": error}, status=status)


@login_required
@require_GET
def power_list(request: HttpRequest) -> HttpResponse:
    """权力清单: the powers, the categories needing them and who holds them where, in the user's area."""
    # The lists are public information: a user without a role sees the whole platform's list.
    from gongzhi.core.models import Region
    from gongzhi.org import responsibility
    from gongzhi.org.models import Power

    region = perm.home_region(request.user) or Region.objects.filter(parent__isnull=True).order_by("code").first()
    if region is None:
        raise Http404(_("您没有可查看的区域"))
    powers = Power.objects.prefetch_related("needed_by").order_by("code")
    return render(
        request,
        "cases/power_list.html",
        {"region": region, "powers": powers, "grants": responsibility.power_list(region)},
    )


def attachment(request, number, pk):
    """One attachment's bytes, to the reporter and to staff who may handle or dispatch the request."""
    req = ServiceRequest.objects.select_related("region", "handling_unit__region").filter(number=number).first()
    if req is None or not _may_view(request, req):
        raise Http404(_("诉求不存在或无权查看"))
    token = request.GET.get("token") or (req.token if req.token in request.session.get(SESSION_KEY, []) else None)
    is_reporter = bool(
        token == req.token or (request.user.is_authenticated and req.reporter_user_id == request.user.pk)
    )
    if not (is_reporter or perms.sees_personal(request.user, req)):
        raise PermissionDenied(_("无权查看附件"))
    att = req.attachments.filter(pk=pk).exclude(stored_name="").first()
    if att is None:
        raise Http404(_("附件不存在"))
    try:
        fh = attachments_mod.open_file(att)
    except FileNotFoundError:
        raise Http404(_("附件文件已丢失")) from None
    resp = FileResponse(
        fh, content_type=att.content_type, as_attachment=not att.is_image, filename=att.original_name or att.stored_name
    )
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cache-Control"] = "private, no-store"
    resp["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def ledger_receipts(req) -> list[dict] | None:
    """The request's events in the public record, each with its receipt (leaf index,
    checkpoint) checked by a real inclusion proof."""
    from gongzhi.core.models import Event
    from gongzhi.ledger import services as ledger
    from gongzhi.ledger.models import Leaf

    events = list(Event.objects.filter(aggregate_type="service_request", aggregate_id=req.number, public=True))
    seen = {e.event_id for e in events}
    # Events pruned from the outbox (core/prune.py) are still in the log: their leaves stand in for them.
    for leaf in Leaf.objects.filter(record=f"service_request:{req.number}").exclude(event_id__in=seen):
        events.append(Event(event_id=leaf.event_id, type=leaf.event_type, occurred_at=leaf.occurred_at, seq=None))
    events.sort(key=lambda e: (e.occurred_at, e.seq or 0))
    from gongzhi.ledger.labels import label

    # An event type is shown by its label (in the reader's language), never as its code.
    return [{"event": e, "label": label(e.type), "receipt": ledger.receipt(e.event_id)} for e in events]


def _open(qs):
    return qs.filter(state__in=OPEN_STATES)


@login_required
def grid_inbox(request):
    grids = worker_grid_ids(request.user)
    qs = grid_requests(request.user, grids)
    rows = [(r, sla.flags(r)) for r in _open(qs).order_by(F_due(), "created_at")[:200]]
    bypasses = Bypass.objects.filter(worker=request.user, filed_at__isnull=True).select_related("category", "grid")
    return render(
        request,
        "cases/grid_inbox.html",
        {"rows": rows, "grids": Grid.objects.filter(pk__in=grids), "bypasses": bypasses, "bypass_form": BypassForm()},
    )


def F_due():
    from django.db.models import F

    return F("due_at").asc(nulls_last=True)


@login_required
def desk(request):
    qs = desk_requests(request.user)
    waiting = qs.filter(state__in=WAITING_STATES)
    waiting = [(r, sla.flags(r)) for r in waiting.order_by(F_due(), "created_at")[:200]]
    in_hand = [
        (r, sla.flags(r)) for r in qs.filter(state__in=[State.DISPATCHED, State.IN_PROGRESS]).order_by(F_due())[:200]
    ]
    summonses = (
        Summons.objects.filter(whistle__request__in=qs, acted_at__isnull=True)
        .select_related("department", "whistle__request")
        .order_by("ack_due")[:100]
    )
    unfiled = perm.scope(
        request.user,
        Bypass.objects.filter(filed_at__isnull=True, flagged_at__isnull=False).select_related("grid", "category"),
    )[:50]
    home = perm.home_region(request.user)
    streets = figures.compute("street", within=home) if home is not None else []
    return render(
        request,
        "cases/desk.html",
        {
            "waiting": waiting,
            "in_hand": in_hand,
            "summonses": summonses,
            "unfiled": unfiled,
            "streets": streets,
            "now": timezone.now(),
        },
    )


@login_required
def dept_inbox(request):
    rows = [(r, sla.flags(r)) for r in _open(dept_requests(request.user)).order_by(F_due())[:200]]
    summonses = dept_summonses(request.user)[:100]
    return render(request, "cases/dept_inbox.html", {"rows": rows, "summonses": summonses, "now": timezone.now()})


@login_required
def hotline(request):
    if not perms.can(request.user, perms.INTAKE):
        raise Http404(_("无权使用热线受理台"))
    created = None
    if request.method == "POST":
        form = HotlineForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            key = d.get("idempotency_key")
            try:
                created, _c = services.submit(
                    request.user,
                    description=d["description"],
                    channel=Channel.HOTLINE,
                    category=d["category"] or None,
                    lon=d["lon"],
                    lat=d["lat"],
                    grid=d["grid"] or None,
                    address=d["address"],
                    anonymous=d["anonymous"],
                    reporter_name=d["reporter_name"],
                    reporter_phone=d["reporter_phone"],
                    reporter_id_number=d["reporter_id_number"],
                    idempotency_key=_author_key(request, "hotline", key),
                )
                form = HotlineForm(initial={"idempotency_key": uuid.uuid4().hex})
            except IdempotencyMismatch as e:
                form = HotlineForm(_with_fresh_key(request.POST))
                form.is_valid()
                form.add_error(None, e.message)
                return render(
                    request,
                    "cases/hotline.html",
                    {"form": form, "created": None},
                    status=e.status,
                )
            except DomainError as e:
                _mark(form, e)
        status = 200 if created or form.is_valid() and not form.errors else 400
    else:
        form = HotlineForm(initial={"idempotency_key": uuid.uuid4().hex})
        status = 200
    return render(request, "cases/hotline.html", {"form": form, "created": created}, status=status)


@replica.reads  # a dashboard: from the read replica when one is configured
@login_required
def figures_page(request):
    level = request.GET.get("level", "street")
    if level not in figures.LEVELS:
        level = "street"
    home = perm.home_region(request.user)
    rows = figures.compute(level, within=home) if home else []
    total = figures.total(within=home) if home else None
    return render(
        request,
        "cases/figures.html",
        {
            "rows": rows,
            "total": total,
            "level": level,
            "levels": figures.LEVELS,
            "rates": figures.RATES,
            "data_as_of": replica.data_as_of(),
        },
    )


@login_required
def bypass(request):
    form = BypassForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("form") == "file":
            try:
                req = services.file_bypass(
                    request.user,
                    int(request.POST.get("bypass", 0)),
                    description=request.POST.get("description", ""),
                    resolution=request.POST.get("resolution", ""),
                )
                return redirect("cases:detail", number=req.number)
            except DomainError as e:
                form = BypassForm()
                form.add_error(None, e.message)
        elif form.is_valid():
            try:
                services.start_bypass(request.user, **form.cleaned_data)
                return redirect("cases:grid_inbox")
            except DomainError as e:
                _mark(form, e)
    bypasses = Bypass.objects.filter(worker=request.user, filed_at__isnull=True).select_related("category", "grid")
    return render(
        request, "cases/bypass.html", {"bypass_form": form, "bypasses": bypasses}, status=400 if form.errors else 200
    )


@login_required
def mediation(request):
    cases = perm.scope(request.user, MediationCase.objects.select_related("region", "lead")).order_by("-opened_at")
    form = MediationForm(request.POST or None)
    home = perm.home_region(request.user)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            vols = [int(x) for x in d["volunteers"].replace("，", ",").split(",") if x.strip()]
        except ValueError:
            form.add_error("volunteers", _("请填写人员编号，用逗号分隔"))
        else:
            try:
                region = Person.objects.filter(pk=d["lead"]).values_list("region", flat=True).first()
                from gongzhi.core.models import Region

                services.open_mediation(
                    request.user,
                    region=Region.objects.get(pk=region) if region else home,
                    title=d["title"],
                    lead=d["lead"],
                    volunteers=vols,
                    parties=[{"name": d["party_a"]}, {"name": d["party_b"]}],
                )
                return redirect("cases:mediation")
            except DomainError as e:
                _mark(form, e)
    return render(
        request, "cases/mediation.html", {"cases": cases[:200], "form": form}, status=400 if form.errors else 200
    )


@login_required
def mediation_detail(request, pk):
    case = perm.scope(request.user, MediationCase.objects.select_related("region", "lead")).filter(pk=pk).first()
    if case is None:
        raise Http404(_("调解案件不存在"))
    form = MediationCloseForm(request.POST or None)
    if request.method == "POST":
        if request.POST.get("form") == "session":
            try:
                services.add_session(
                    request.user,
                    case,
                    at=timezone.now(),
                    place=request.POST.get("place", ""),
                    notes=request.POST.get("notes", ""),
                )
                return redirect("cases:mediation_detail", pk=pk)
            except DomainError as e:
                form.add_error(None, e.message)
        elif form.is_valid():
            try:
                services.close_mediation(request.user, case, **form.cleaned_data)
                return redirect("cases:mediation_detail", pk=pk)
            except DomainError as e:
                _mark(form, e)
    return render(
        request, "cases/mediation_detail.html", {"case": case, "form": form}, status=400 if form.errors else 200
    )


@require_GET
def grids_geojson(request):
    """Public: grid boundaries (no personal data) for the submission map."""
    feats = [
        {"type": "Feature", "geometry": g.geometry, "properties": {"code": g.code, "name": g.name}}
        for g in Grid.objects.only("code", "name", "geometry")
    ]
    return JsonResponse({"type": "FeatureCollection", "features": feats}, json_dumps_params={"ensure_ascii": False})


@require_GET
def places(request):
    """Public: communities (村/社区) with their grids, for the simple page's short list. From the routing
    snapshot: no query."""
    from gongzhi.org import responsibility

    snap = responsibility.snapshot()
    by_region: dict[int, list] = {}
    for g in sorted(snap.grids.values(), key=lambda g: g.code):
        by_region.setdefault(g.region_id, []).append({"code": g.code, "name": g.name})
    rows = []
    for rid, grids in by_region.items():
        r = snap.regions[rid]
        street = snap.regions.get(r.parent_id)
        rows.append({"code": r.code, "name": r.name, "street": street.name if street else "", "grids": grids})
    rows.sort(key=lambda c: c["code"])
    return JsonResponse({"communities": rows}, json_dumps_params={"ensure_ascii": False})


@require_GET
def locate(request):
    try:
        g = geo.locate(float(request.GET.get("lon", "")), float(request.GET.get("lat", "")))
    except ValueError:
        return JsonResponse({"detail": _("经纬度须为数字"), "field": "location"}, status=400)
    except DomainError as e:
        return JsonResponse(e.as_dict(), status=400)
    return JsonResponse(
        {"grid": g.code, "grid_name": g.name, "region": g.region.code, "region_name": g.region.name},
        json_dumps_params={"ensure_ascii": False},
    )


@require_GET
def suggest(request):
    s = classify.suggest(request.GET.get("text", ""), k=3, timeout=2.0) or []
    return JsonResponse(
        {
            "suggestions": [{"category": c.code, "name": c.name, "confidence": round(p, 3)} for c, p in s],
            "threshold": services.intake.SUGGESTION_THRESHOLD,
        },
        json_dumps_params={"ensure_ascii": False},
    )
