"""What the platform holds about one person, gathered as plain data (JSON-ready), in clear.

A person is known to the platform as a log-in (``user``), as a record in the register
(``org.Person``), or both (``Person.user``).  The export takes both:

* the account and the person record, memberships, grid assignments, linked households, roles;
* residents' requests: those filed from the account, and those whose reporter ID number is the
  person's (a hotline request filed for them), with their own contact fields, the transitions'
  actions and times, follow-ups and attachment names;
* consultation: statements written, statement votes, formal votes taken part in (the roll: who voted,
  never how — a ballot carries no voter, so there is nothing of the person's in it to export);
* volunteering: registration, certificates, service records, points accounts with their movements;
* mediation as mediator; emergency mobilisations and notifications;
* the account's own log-ins from the security audit log.

Other people's personal fields are never included (staff appear by user name only).
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

FORMAT = "gongzhi.personal-data/1"


def _d(value):
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else value


def _requests(user, person) -> list[dict]:
    from gongzhi.cases.models import ServiceRequest

    cond = Q(pk__in=[])
    if user is not None:
        cond |= Q(reporter_user=user)
    if person is not None and person.id_number:
        cond |= Q(reporter_id_number=person.id_number)
    out = []
    qs = (
        ServiceRequest.objects.filter(cond)
        .select_related("category", "region", "grid", "handling_unit")
        .prefetch_related("transitions", "attachments", "followups")
        .order_by("created_at", "pk")
    )
    for r in qs:
        out.append(
            {
                "number": r.number,
                "channel": r.channel,
                "created_at": _d(r.created_at),
                "state": r.state,
                "category": r.category.code if r.category_id else None,
                "category_name": r.category.name if r.category_id else None,
                "region": r.region.code,
                "grid": r.grid.code,
                "lon": r.lon,
                "lat": r.lat,
                "address": r.address,
                "description": r.description,
                "anonymous": r.anonymous,
                "reporter_name": r.reporter_name,
                "reporter_phone": r.reporter_phone,
                "reporter_id_number": r.reporter_id_number,
                "handling_unit": r.handling_unit.name if r.handling_unit_id else None,
                "due_at": _d(r.due_at),
                "resolved_at": _d(r.resolved_at),
                "resolution": r.resolution,
                "rating": r.rating,
                "fixed": r.fixed,
                "transitions": [
                    {"action": t.action, "from_state": t.from_state, "to_state": t.to_state, "at": _d(t.at)}
                    for t in r.transitions.all()
                ],
                "follow_ups": [{"at": _d(f.at), "rating": f.rating, "fixed": f.fixed} for f in r.followups.all()],
                "attachments": [
                    {
                        "name": a.original_name,
                        "content_type": a.content_type,
                        "size": a.size,
                        "sha256": a.sha256,
                        "url": a.url,
                        "uploaded_at": _d(a.uploaded_at),
                    }
                    for a in r.attachments.all()
                ],
            }
        )
    return out


def _consultation(user, person) -> dict:
    from gongzhi.consult.models import RollEntry, Statement, StatementVote, Topic

    out = {
        "topics_proposed": [],
        "statements": [],
        "statement_votes": [],
        "formal_votes": [],
        "ballots": "无：选票不记录投票人，无法也不应与本人关联 (ballots carry no voter)",
    }
    if user is not None:
        out["topics_proposed"] = [
            {"topic": t.pk, "title": t.title, "created_at": _d(t.created_at)}
            for t in Topic.objects.filter(proposed_by=user).order_by("pk")
        ]
        out["statements"] = [
            {"id": s.pk, "topic": s.topic_id, "text": s.text, "status": s.status, "created_at": _d(s.created_at)}
            for s in Statement.objects.filter(author=user).order_by("pk")
        ]
        out["statement_votes"] = [
            {
                "statement": v.statement_id,
                "topic": v.statement.topic_id,
                "value": v.value,
                "created_at": _d(v.created_at),
            }
            for v in StatementVote.objects.filter(voter=user).select_related("statement").order_by("pk")
        ]
    if person is not None:
        out["formal_votes"] = [
            {"vote": e.vote_id, "title": e.vote.title, "channel": e.channel, "at": _d(e.at)}
            for e in RollEntry.objects.filter(elector__person=person).select_related("vote").order_by("pk")
        ]
    return out


def _volunteer(person) -> dict | None:
    from gongzhi.volunteers.models import Movement, Volunteer

    v = Volunteer.objects.filter(person=person).select_related("bank").first() if person is not None else None
    if v is None:
        return None
    accounts = []
    for acc in v.accounts.select_related("bank").order_by("pk"):
        moves = list(Movement.objects.filter(account=acc).select_related("entry").order_by("pk"))
        accounts.append(
            {
                "bank": acc.bank.code,
                "balance": sum(m.amount for m in moves),
                "movements": [
                    {
                        "amount": m.amount,
                        "kind": m.entry.kind,
                        "memo": m.entry.memo,
                        "reference": m.entry.reference,
                        "at": _d(m.entry.created_at),
                    }
                    for m in moves
                ],
            }
        )
    return {
        "bank": v.bank.code,
        "joined_on": _d(v.joined_on),
        "status": v.status,
        "skills": v.skills,
        "certificates": [
            {
                "field": c.field,
                "level": c.level,
                "number": c.number,
                "issued_on": _d(c.issued_on),
                "expires_on": _d(c.expires_on),
                "revoked": c.revoked,
            }
            for c in v.certificates.order_by("pk")
        ],
        "service_records": [
            {
                "task_ref": s.task_ref,
                "title": s.title,
                "date": _d(s.date),
                "hours": str(s.hours),
                "points": s.points,
                "status": s.status,
                "reason": s.reason,
            }
            for s in v.records.order_by("date", "pk")
        ],
        "redemptions": [
            {"item": r.item.name, "quantity": r.quantity, "points": r.points, "at": _d(r.created_at)}
            for r in v.redemptions.select_related("item").order_by("pk")
        ],
        "accounts": accounts,
    }


def _person(person) -> dict:
    return {
        "id": person.pk,
        "name": person.name,
        "gender": person.gender,
        "birth_date": _d(person.birth_date),
        "id_number": person.id_number,
        "phone": person.phone,
        "region": person.region.code,
        "region_name": person.region.name,
        "household": person.household.address if person.household_id else None,
        "is_mobile": person.is_mobile,
        "memberships": [
            {
                "unit": m.unit.code,
                "unit_name": m.unit.name,
                "role": m.role,
                "start_date": _d(m.start_date),
                "end_date": _d(m.end_date),
            }
            for m in person.memberships.select_related("unit").order_by("pk")
        ],
        "grid_assignments": [
            {"grid": g.grid.code, "kind": g.kind, "start_date": _d(g.start_date), "end_date": _d(g.end_date)}
            for g in person.grid_assignments.select_related("grid").order_by("pk")
        ],
        "linked_households": [
            {"household": h.household.address, "start_date": _d(h.start_date), "end_date": _d(h.end_date)}
            for h in person.linked_households.select_related("household").order_by("pk")
        ],
    }


def _user(user) -> dict:
    from gongzhi.core.models import ApiToken
    from gongzhi.org.models import StaffRole

    return {
        "username": user.get_username(),
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "date_joined": _d(user.date_joined),
        "last_login": _d(user.last_login),
        "roles": [
            {"role": r.role, "unit": r.unit.code, "active": r.active}
            for r in StaffRole.objects.filter(user=user).select_related("unit").order_by("pk")
        ],
        "api_tokens": [
            {"name": t.name, "created_at": _d(t.created_at), "last_used_at": _d(t.last_used_at)}
            for t in ApiToken.objects.filter(user=user).order_by("pk")
        ],
    }


def _incidents(person) -> dict:
    from gongzhi.incidents.models import Mobilisation, Notification

    if person is None:
        return {"mobilisations": [], "notifications": []}
    return {
        "mobilisations": [
            {
                "incident": m.incident.code,
                "kind": m.kind,
                "status": m.status,
                "task": m.task,
                "notified_at": _d(m.notified_at),
                "checked_in_at": _d(m.checked_in_at),
            }
            for m in Mobilisation.objects.filter(person=person).select_related("incident").order_by("pk")
        ],
        "notifications": [
            {"title": n.title, "body": n.body, "created_at": _d(n.created_at), "read_at": _d(n.read_at)}
            for n in Notification.objects.filter(person=person).order_by("pk")
        ],
    }


def _mediation(person) -> list[dict]:
    from gongzhi.cases.models import MediationCase

    if person is None:
        return []
    lead = MediationCase.objects.filter(lead=person)
    helped = MediationCase.objects.filter(volunteers=person)
    return [
        {"case": c.pk, "role": "lead", "opened_at": _d(c.opened_at), "closed_at": _d(c.closed_at)}
        for c in lead.order_by("pk")
    ] + [
        {"case": c.pk, "role": "volunteer", "opened_at": _d(c.opened_at), "closed_at": _d(c.closed_at)}
        for c in helped.order_by("pk")
    ]


def _logins(user) -> list[dict]:
    from gongzhi.core.models import SecurityLog

    if user is None:
        return []
    return [
        {"at": _d(r.at), "kind": r.kind, "ip": r.ip}
        for r in SecurityLog.objects.filter(user_id=user.pk, kind__in=("login", "logout")).order_by("at", "pk")
    ]


def collect(*, user=None, person=None) -> dict:
    """The whole export of ``user`` and/or ``person`` (either may be None)."""
    if person is None and user is not None:
        person = getattr(user, "person", None)
    if user is None and person is not None:
        user = person.user
    return {
        "format": FORMAT,
        "generated_at": _d(timezone.now()),
        "account": _user(user) if user is not None else None,
        "person": _person(person) if person is not None else None,
        "requests": _requests(user, person),
        "consultation": _consultation(user, person),
        "volunteer": _volunteer(person),
        "mediation": _mediation(person),
        "incidents": _incidents(person),
        "logins": _logins(user),
    }


def row_count(data: dict) -> int:
    """Records in an export (for the audit log)."""
    c = data.get("consultation") or {}
    inc = data.get("incidents") or {}
    vol = data.get("volunteer") or {}
    return (
        bool(data.get("account"))
        + bool(data.get("person"))
        + len(data.get("requests") or [])
        + len(c.get("statements") or [])
        + len(c.get("statement_votes") or [])
        + len(c.get("formal_votes") or [])
        + len(vol.get("service_records") or [])
        + len(data.get("mediation") or [])
        + len(inc.get("mobilisations") or [])
        + len(inc.get("notifications") or [])
    )
