"""Shared read helpers for pages and the API: visibility and the request's public shape."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from gongzhi.core.errors import NotFound
from gongzhi.org import permissions as perm

from . import perms, sla, wording
from .models import PushDown, ServiceRequest, State, Summons, Transition


def visible_requests(user):
    qs = ServiceRequest.objects.select_related("category", "region", "grid", "handling_unit", "handling_unit__region")
    if perm.is_system(user):
        return qs
    paths = perm.scope_paths(user, perm.VIEW) or []
    cond = Q(pk__in=[])
    for p in paths:
        cond |= Q(region__path__startswith=p)
    if getattr(user, "is_authenticated", False):
        cond |= Q(reporter_user=user)
    return qs.filter(cond)


#: What waits at the dispatch desk (to accept, dispatch again or decide on).
WAITING_STATES = (State.SUBMITTED, State.ACCEPTED, State.RETURNED, State.REOPENED, State.ESCALATED)


def _under(paths: Iterable[str], field: str) -> Q:
    """Rows whose ``field`` (a path) starts with one of ``paths``; none for no paths."""
    cond = Q(pk__in=[])
    for p in paths:
        cond |= Q(**{f"{field}__startswith": p})
    return cond


def worker_grid_ids(user: Any) -> list[int]:
    """The grids the user works as a grid worker now (none for other users)."""
    from gongzhi.org.models import GridAssignment, Person

    person = Person.objects.filter(user=user).first() if getattr(user, "is_authenticated", False) else None
    if person is None:
        return []
    return list(
        GridAssignment.objects.filter(
            person=person, kind=GridAssignment.Kind.GRID_WORKER, end_date__isnull=True
        ).values_list("grid_id", flat=True)
    )


def grid_requests(user: Any, grids: list[int]) -> QuerySet[ServiceRequest]:
    """The requests of a grid worker's grids (the grid inbox); without grids, those of the user's scope."""
    qs = visible_requests(user)
    return qs.filter(grid_id__in=grids) if grids else perm.scope(user, qs)


def desk_requests(user: Any) -> QuerySet[ServiceRequest]:
    """The requests of the dispatch desk: visible ones where the user may dispatch."""
    paths = perms.street_paths(user, perms.DISPATCH)
    qs = visible_requests(user)
    return qs if paths is None else qs.filter(_under(paths, "region__path"))


def dept_requests(user: Any) -> QuerySet[ServiceRequest]:
    """Requests handled by the user's units or units below them (the department's inbox)."""
    paths = [r.unit.path for r in perms.roles(user)]
    return ServiceRequest.objects.filter(_under(paths, "handling_unit__path")).select_related(
        "category", "region", "grid", "handling_unit"
    )


def dept_summonses(user: Any) -> QuerySet[Summons]:
    """Summonses (吹哨) to the user's units not yet reported for, the earliest due first."""
    paths = [r.unit.path for r in perms.roles(user)]
    return (
        Summons.objects.filter(_under(paths, "department__path"), acted_at__isnull=True)
        .select_related("department", "whistle__request")
        .order_by("ack_due")
    )


def visible_request(user, number: str) -> ServiceRequest:
    req = visible_requests(user).filter(number=number).first()
    if req is None:
        raise NotFound(f"诉求{number}不存在或不在您的管辖范围内")
    return req


def masked_description(user, req: ServiceRequest) -> str:
    """The description as ``user`` may see it (phone/ID-like numbers masked unless they may see the
    reporter's details)."""
    return req.description if perms.sees_personal(user, req) else perm.mask_text(req.description)


def duplicates_for(
    user, req_or_place: ServiceRequest | None = None, *, category, lon, lat, text="", exclude_id=None
) -> list[dict]:
    """Possible duplicates among the requests ``user`` may see, descriptions masked as for them."""
    from . import classify

    return classify.duplicates(
        category=category,
        lon=lon,
        lat=lat,
        text=text,
        exclude_id=exclude_id,
        within=visible_requests(user),
        mask=lambda r: masked_description(user, r),
    )


def log_contact_view(request, req: ServiceRequest, d: dict, *, via: str) -> None:
    """Security audit log (issue 17): staff who opened a request with the reporter's details in
    clear; the reporter viewing their own request is not logged."""
    if d.get("masked", True) or (req.reporter_user_id and req.reporter_user_id == getattr(request.user, "pk", None)):
        return
    fields = [f for f in ("reporter_name", "reporter_phone", "reporter_id_number") if getattr(req, f, "")]
    if fields:
        from gongzhi.core import audit

        audit.personal_view(req, fields, actor=request.user, request=request, via=via)


def request_dict(user, req: ServiceRequest, *, timeline: bool = False) -> dict:
    f = sla.flags(req)
    # Free text (description, resolution, reasons) may hold a phone or ID number: masked like the
    # contact fields for anyone who may not see the reporter's details.
    see = perms.sees_personal(user, req)
    text = (lambda s: s) if see else perm.mask_text
    d = {
        "number": req.number,
        "state": req.state,
        "state_label": str(State(req.state).label),
        "channel": req.channel,
        "description": text(req.description),
        "category": req.category.code if req.category_id else None,
        "category_name": req.category.name if req.category_id else None,
        "suggested_category": req.suggested_category.code if req.suggested_category_id else None,
        "suggestion_confidence": req.suggestion_confidence,
        "region": req.region.code,
        "region_name": req.region.name,
        "grid": req.grid.code,
        "grid_name": req.grid.name,
        "lon": req.lon,
        "lat": req.lat,
        "address": req.address,
        "anonymous": req.anonymous,
        "handling_unit": req.handling_unit.code if req.handling_unit_id else None,
        "handling_unit_name": req.handling_unit.name if req.handling_unit_id else None,
        "routing_reason": wording.routing_text(req),
        "sla": req.sla,
        "due_at": req.due_at.isoformat() if req.due_at else None,
        "overdue": f["overdue"],
        "due_soon": f["due_soon"],
        "escalation_level": req.escalation_level,
        "merged_into": req.merged_into.number if req.merged_into_id else None,
        "rating": req.rating or None,
        "fixed": req.fixed,
        "resolution": text(req.resolution),
        "created_at": req.created_at.isoformat(),
        "updated_at": req.updated_at.isoformat(),
        "version": req.version,
        **perms.masked_contact(user, req),
    }
    if timeline:
        d["timeline"] = [
            {
                "action": t.action,
                "from_state": t.from_state,
                "to_state": t.to_state,
                "actor": t.actor_label,
                "unit": t.unit.name if t.unit_id else None,
                "reason": text(t.reason),
                "at": t.at.isoformat(),
                "data": t.data,
            }
            for t in Transition.objects.filter(request=req).select_related("unit").order_by("at", "id")
        ]
        d["pushdowns"] = [
            pushdown_dict(p, text)
            for p in req.pushdowns.select_related("listed_unit", "to_unit").order_by("requested_at", "id")
        ]
        atts = list(req.attachments.all())
        if see:
            d["attachments"] = [
                {
                    "id": a.pk,
                    "name": a.original_name,
                    "content_type": a.content_type,
                    "size": a.size,
                    "sha256": a.sha256,
                    "url": a.url or None,
                }
                for a in atts
            ]
        else:
            d["attachments"] = {"count": len(atts), "hidden": True} if atts else []
    return d


def pushdown_dict(p: PushDown, text: Callable[[str], str] = lambda s: s) -> dict:
    """A push-down (向基层下派) as the API and the pages show it; free text through ``text`` (masking)."""
    return {
        "id": p.pk,
        "request": p.request.number,
        "status": p.status,
        "status_label": str(p.get_status_display()),
        "listed_unit": p.listed_unit.code,
        "listed_unit_name": p.listed_unit.name,
        "to_unit": p.to_unit.code,
        "to_unit_name": p.to_unit.name,
        "reason": text(p.reason),
        "requested_by": p.requested_label,
        "requested_at": p.requested_at.isoformat(),
        "decided_by": p.decided_label or None,
        "decided_at": p.decided_at.isoformat() if p.decided_at else None,
        "note": text(p.decision_note),
        "version": p.version,
    }


def local(t):
    return timezone.localtime(t) if t else None
