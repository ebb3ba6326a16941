"""Which fields of a public event may appear in clear in the public record.

The rule (issue 17): a public ledger entry holds **structured fields only** — ids, codes,
states, times, counts, flags.  Every other field of the payload (reasons, notes, titles,
names, minutes, anything typed by a person) is replaced in the entry by a salted
commitment, ``sha256:<hex>``, whose salt stays private in ``Leaf.salts``; the text itself
stays in the operational database, shown only to those allowed to see it.

Two checks, both applied by :func:`gongzhi.ledger.services.entries._iter_entries` to every event:

1. **The allow-list** (:data:`STRUCTURED_FIELDS`): per event type, the top-level payload
   fields that are structured.  A field not on its type's list is committed whatever its
   value; an event type not on the list at all has *every* field committed (a new event
   type publishes nothing in clear until someone declares its structured fields here).
2. **The shape check** (:func:`is_structured`): even an allow-listed field is kept only
   where its value is structured.  Strings must be short tokens (ASCII letters, digits and
   ``_ . : + - /``, no spaces, at most 64 characters — codes, ids, states, ISO times,
   decimal amounts) and must not look like a mobile phone or a resident ID number; any
   other string inside an allow-listed field (e.g. a unit name inside a list of scores) is
   committed where it stands, and the rest of the structure is kept.

Wildcards: a key ending in ``.*`` covers every type with that prefix (``cases.request.*``
covers each request action).  ``tests/security/test_ledger_public_fields.py`` walks every
public event the demo produces and every type declared here.
"""

from __future__ import annotations

import re
from functools import lru_cache

# TOKEN (a structured string), PERSONAL_NUMBER and is_token: one rule with the back office's masking.
from gongzhi.core.redaction import PERSONAL_NUMBER, TOKEN, is_token  # noqa: F401

# A commitment as the ledger writes it.
COMMITMENT = re.compile(r"sha256:[0-9a-f]{64}")

_REQUEST = frozenset(
    {
        "number",
        "state",
        "category",
        "region",
        "grid",
        "unit",
        "action",
        "from_state",
        "to_state",
        "followers",
        "channel",
        "suggested",
        "confidence",
        "attachments",
        "on_time",
        "rating",
        "fixed",
        "auto",
        "into",
        "departments",
        "street",
        "department",
        "step",
        "late",
        "bypass",
        "filed_late",
    }
)
_ALLIANCE = frozenset({"code", "kind"})
_INCIDENT = frozenset({"incident"})

#: Event type (or ``prefix.*``) → the payload fields that may appear in clear.
STRUCTURED_FIELDS: dict[str, frozenset[str]] = {
    # core / org
    "core.region_created": frozenset({"code", "level", "kind"}),
    "core.regions_paired": frozenset({"street", "township"}),
    "org.unit_established": frozenset({"code", "kind", "parent", "founding_members"}),
    "org.unit_moved": frozenset({"code", "parent"}),
    "org.unit_updated": frozenset({"code", "fields"}),
    "org.party_org_flagged": frozenset({"code", "full_members"}),
    "org.party_org_rectified": frozenset({"code", "full_members"}),
    "org.member_added": frozenset({"unit", "role"}),
    "org.member_left": frozenset({"unit", "role"}),
    "org.household_linked": frozenset({"household"}),
    "org.grid_created": frozenset({"code", "area_m2"}),
    "org.grid_reshaped": frozenset({"code", "area_m2"}),
    "org.grid_assigned": frozenset({"grid", "kind"}),
    "org.grid_party_org_set": frozenset({"grid", "party_org", "co_builders"}),
    "org.category_created": frozenset({"code", "sla"}),
    "org.responsibility_rule_added": frozenset(
        {"category", "region", "version", "handler_level", "department", "sla", "effective_from"}
    ),
    # the power list (权力清单)
    "org.power_defined": frozenset({"code", "categories"}),
    "org.power_granted": frozenset({"power", "unit", "region", "effective_from", "grant"}),
    "org.power_grant_ended": frozenset({"power", "unit", "region", "effective_to", "grant"}),
    # cases
    "cases.request.*": _REQUEST,
    "cases.bypass.started": frozenset({"grid", "category", "filing_due"}),
    "cases.bypass.unfiled": frozenset({"grid", "street", "filing_due"}),
    "cases.mediation.opened": frozenset({"region"}),
    "cases.mediation.closed": frozenset({"outcome", "region"}),
    # push-downs (向基层下派): the reason and the decision's note are free text, kept as commitments
    "cases.pushdown.requested": frozenset(
        {"number", "region", "street", "category", "listed_unit", "to_unit", "pushdown"}
    ),
    "cases.pushdown.decided": frozenset(
        {"number", "region", "street", "category", "listed_unit", "to_unit", "pushdown", "status", "decision"}
    ),
    # alliances
    "alliances.applied": _ALLIANCE | {"lead_unit", "members"},
    "alliances.approved": _ALLIANCE | {"decided_on", "members"},
    "alliances.rejected": _ALLIANCE | {"decided_on", "members"},
    "alliances.member.requested": _ALLIANCE | {"unit", "via"},
    "alliances.member.joined": _ALLIANCE | {"unit", "beyond_cap"},
    "alliances.member.declined": _ALLIANCE | {"unit", "beyond_cap"},
    "alliances.member.exited": _ALLIANCE | {"unit"},
    "alliances.member.removed": _ALLIANCE | {"unit", "record"},
    "alliances.goal.approved": _ALLIANCE,
    "alliances.goal.rejected": _ALLIANCE,
    "alliances.lists.agreed": _ALLIANCE | {"year", "counts"},
    "alliances.task.claimed": _ALLIANCE | {"unit", "deadline"},
    "alliances.task.completed": _ALLIANCE | {"unit", "on_time"},
    "alliances.meeting.recorded": _ALLIANCE | {"year", "period", "held_on", "late", "attendance"},
    "alliances.fund.recorded": _ALLIANCE | {"direction", "source", "amount", "on", "balance"},
    "alliances.activity.recorded": _ALLIANCE | {"held_on", "units"},
    "alliances.rules.published": frozenset({"version", "effective_from", "rules"}),
    "alliances.quarter.closed": frozenset({"alliance", "year", "quarter", "ruleset", "scores"}),
    "alliances.score.corrected": frozenset({"alliance", "year", "quarter", "unit", "dimension", "points"}),
    "alliances.points.published": frozenset({"alliance", "year", "points"}),
    "alliances.rated": frozenset({"alliance", "year", "stars", "score", "ruleset", "units"}),
    # what follows from a grade (issue 20): task titles and notes are text, kept as commitments
    "alliances.rectification.opened": frozenset(
        {"alliance", "year", "unit", "round", "stars", "final", "opened_on", "deadline", "tasks"}
    ),
    "alliances.rectification.task_done": frozenset({"alliance", "year", "unit", "task", "done_on"}),
    "alliances.rectification.reviewed": frozenset(
        {"alliance", "year", "unit", "round", "result", "reviewed_on", "tasks_done", "tasks", "evidence"}
    ),
    "alliances.support.recorded": frozenset(
        {"alliance", "year", "unit", "stars", "kind", "amount", "fund_entry", "priority", "recorded_on"}
    ),
    # consultation and formal votes
    "consult.topic_created": frozenset({"scope", "phases"}),
    # issue 20 item 4 (seed 003): statements (text committed), statement votes under a per-topic
    # participant pseudonym, the roll (who only as a commitment), ballots (record ballot:<receipt>)
    "consult.statement_submitted": frozenset({"statement", "participant"}),
    "consult.statement_voted": frozenset({"statement", "participant", "value"}),
    "consult.statement_moderated": frozenset({"statement", "status"}),
    "consult.analysis_updated": frozenset({"updates", "votes", "groups"}),
    "consult.vote_opened": frozenset(
        {
            "method",
            "electorate",
            "electorate_size",
            "preset",
            "opens_at",
            "closes_at",
            "topic",
            "options",
            "max_choices",
            "household_count",
            "rules",
        }
    ),
    "consult.roll_recorded": frozenset({"channel", "household"}),
    "consult.ballot_published": frozenset({"vote", "choices"}),
    "consult.vote_tallied": frozenset({"result"}),
    # the common pool
    "resources.resource_offered": frozenset({"owner", "kind", "quantity", "grid", "shared_with_paired"}),
    "resources.need_raised": frozenset({"kind", "quantity", "priority", "source", "grid"}),
    "resources.need_cancelled": frozenset(),
    "resources.matched": frozenset(
        {"method", "needs", "resources", "served", "demand", "total_cost", "replaced_proposals", "shortfalls"}
    ),
    "resources.resource_withdrawn": frozenset({"dropped_assignments", "repair_run"}),
    "resources.response": frozenset({"assignment", "resource", "accepted", "quantity"}),
    "resources.dispatched": frozenset({"assignment", "quantity"}),
    "resources.delivered": frozenset({"assignment", "quantity", "received", "progress", "closed"}),
    # volunteers
    "volunteers.bank_opened": frozenset(),
    "volunteers.registered": frozenset({"bank"}),
    "volunteers.certificate_verified": frozenset({"field", "level", "expires_on", "verified_by"}),
    "volunteers.rule_published": frozenset({"version", "effective_from", "points_per_hour", "daily_cap", "yearly_cap"}),
    "volunteers.service_claimed": frozenset({"record", "task_type", "task_ref", "hours", "points", "rule_version"}),
    "volunteers.service_confirmed": frozenset({"record", "points", "entry"}),
    "volunteers.service_rejected": frozenset({"record", "points", "entry"}),
    "volunteers.redeemed": frozenset({"item", "quantity", "points", "entry"}),
    "volunteers.transferred": frozenset({"from", "to", "points", "entry"}),
    # plans
    "plans.goal_created": frozenset({"source_kind", "lead_unit", "due_on", "alliance_goal", "follow_up"}),
    "plans.goal_closed": frozenset({"source_kind", "lead_unit", "due_on"}),
    "plans.goal_cancelled": frozenset({"source_kind", "lead_unit", "due_on"}),
    "plans.record_linked": frozenset({"kind", "object_id", "task"}),
    "plans.task_assigned": frozenset({"goal", "unit", "deadline", "target", "parent"}),
    "plans.progress_reported": frozenset({"goal", "value", "progress"}),
    "plans.task_done": frozenset({"goal", "unit", "deadline", "target", "done_on", "on_time", "evidence"}),
    "plans.feedback_received": frozenset({"source", "rating", "task", "unit"}),
    "plans.flag_raised": frozenset({"goal", "kind", "unit"}),
    "plans.flag_resolved": frozenset({"kind", "auto"}),
    "plans.review_scheduled": frozenset({"goal", "cadence", "first_on"}),
    "plans.review_held": frozenset(
        {"goal", "meeting", "held_on", "participants", "judgements", "adjustments", "flags", "indicators"}
    ),
    "plans.adjustment_requested": frozenset({"goal", "kind", "changes"}),
    "plans.adjustment_approved": frozenset({"goal", "kind", "changes"}),
    "plans.adjustment_rejected": frozenset({"goal", "kind", "changes"}),
    "plans.task_adjusted": frozenset({"goal", "kind", "changes"}),
    # burden, assessment
    "burden.definition.created": frozenset({"kind", "fields", "list_source"}),
    "burden.demand.issued": frozenset(
        {
            "kind",
            "issuer",
            "minutes",
            "full_minutes",
            "recurrence",
            "occurrences",
            "targets",
            "duplicate_fields",
            "hidden_assessment",
        }
    ),
    "burden.item.completed": frozenset({"item", "on", "minutes"}),
    "burden.order.issued": frozenset({"issuer", "effective_on", "target_cut_pct"}),
    "burden.report.generated": frozenset({"report", "period", "rows"}),
    "assessment.indicator_defined": frozenset({"code", "formula", "element"}),
    "assessment.indicator_changed": frozenset({"code", "formula", "version", "active"}),
    "assessment.scheme_created": frozenset({"code", "weights", "params"}),
    "assessment.weights_changed": frozenset({"code", "version", "weights"}),
    "assessment.run_completed": frozenset({"scheme", "period", "start", "end", "results"}),
    # incidents
    "incidents.declared": _INCIDENT | {"kind", "severity", "region", "grids", "desk_unit", "declared_at"},
    "incidents.mobilised": _INCIDENT | {"party_member", "volunteer", "notified", "channel"},
    "incidents.checked_in": _INCIDENT | {"mobilisation", "kind", "grid", "at"},
    "incidents.assigned": _INCIDENT | {"mobilisation", "kind", "need"},
    "incidents.need_raised": _INCIDENT | {"need", "kind", "quantity", "grid"},
    "incidents.note": _INCIDENT,
    "incidents.desk_counts": _INCIDENT | {"received", "resolved", "by_state"},
    "incidents.stood_down": _INCIDENT | {"stood_down_at", "requests", "mobilised", "checked_in", "assigned", "needs"},
    # councils (titles, minutes and notes only as commitments)
    "councils.established": frozenset({"council", "level", "region", "host"}),
    "councils.member_added": frozenset({"council", "role", "unit"}),
    "councils.meeting_held": frozenset({"council", "meeting", "held_on", "members", "present", "quorum", "agenda"}),
    "councils.decision_recorded": frozenset(
        {"council", "meeting", "decision", "votes_for", "votes_against", "votes_abstain", "outcome", "effect"}
        | {"effect_type", "effect_ref"}
    ),
    "councils.matter_step": frozenset(
        {"matter", "kind", "step", "status", "council", "subject_type", "subject_ref", "amount", "decision"}
    ),
    "councils.matter_used": frozenset({"matter", "subject_type", "subject_ref", "effect_ref", "amount", "remaining"}),
}

_EXTRA: dict[str, frozenset[str]] = {}


def register(event_type: str, fields) -> None:
    """Declare the structured fields of an event type (or ``prefix.*``) outside this module."""
    _EXTRA[event_type] = frozenset(fields)
    allowed_fields.cache_clear()


def unregister(event_type: str) -> None:
    _EXTRA.pop(event_type, None)
    allowed_fields.cache_clear()


def declared_types() -> dict[str, frozenset[str]]:
    """Every declared type or wildcard with its fields."""
    return {**STRUCTURED_FIELDS, **_EXTRA}


@lru_cache(maxsize=1024)
def allowed_fields(event_type: str) -> frozenset[str] | None:
    """The clear fields of ``event_type``; None when the type is not declared (all committed)."""
    table = declared_types()
    if event_type in table:
        return table[event_type]
    parts = event_type.split(".")
    for n in range(len(parts) - 1, 0, -1):
        found = table.get(".".join(parts[:n]) + ".*")
        if found is not None:
            return found
    return None


def is_structured(value) -> bool:
    """True if ``value`` holds only structured scalars (recursively, keys included)."""
    t = type(value)
    if t is str:
        return is_token(value)
    if value is None or t is bool or t is int or t is float:
        return True
    if t is dict:
        return all(type(k) is str and is_token(k) and is_structured(v) for k, v in value.items())
    if t is list or t is tuple:
        return all(is_structured(v) for v in value)
    return False
