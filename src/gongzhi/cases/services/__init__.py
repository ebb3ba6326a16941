"""Use cases of the request loop. The only code that changes a request:
one function per use case, one transaction each, each transition recorded
(who, when, why) and published as a domain event (declared in :mod:`gongzhi.cases.contracts`).

Concurrency: every change to a request is an ``UPDATE … WHERE version = v``;
of two people acting at once one wins and the other gets :class:`Conflict`.

Every use case takes the actor first (a user, or ``core.actors.SYSTEM`` for the demo, jobs and
operator commands). The package, by concern:

* :mod:`.transitions` — the state machine (:data:`ACTIONS`), the one way a request changes state,
  reading a request;
* :mod:`.intake` — :func:`submit` (its PostgreSQL fast write path is :mod:`gongzhi.cases.fastwrite`);
* :mod:`.lifecycle` — accept, dispatch, handle, resolve, confirm, reopen, close, escalate, merge …;
* :mod:`.whistle` — whistle and report (吹哨报到);
* :mod:`.bypass` — emergency bypass and its filing (紧急先行处置, 事后备案);
* :mod:`.mediation` — mediation cases (老马工作室);
* :mod:`.pushdown` — the power check on dispatch and push-downs (向基层下派: consent, approval).

Callers use the package (``from gongzhi.cases import services; services.submit(...)``). Intake's
tunables (``SUGGESTION_THRESHOLD``, ``SUGGEST_TIMEOUT_S``) live in :mod:`.intake`: set them there.
"""

from __future__ import annotations

from . import bypass, intake, lifecycle, mediation, pushdown, transitions, whistle
from .bypass import BYPASS_FILING_HOURS, BYPASS_MAJOR_CLASSES, file_bypass, flag_unfiled_bypasses, start_bypass
from .intake import MAX_DESCRIPTION, submit
from .lifecycle import (
    accept,
    cancel,
    close,
    confirm,
    dispatch,
    effective,
    escalate,
    escalate_overdue,
    level_above,
    merge,
    not_ours,
    record_followup,
    reopen,
    resolve,
    return_to_dispatcher,
    route,
    start,
)
from .mediation import add_session, close_mediation, open_mediation
from .pushdown import approve as approve_pushdown
from .pushdown import consent as consent_pushdown
from .pushdown import withdraw as withdraw_pushdown
from .transitions import (
    ACTION_LABELS,
    ACTIONS,
    REASON_REQUIRED,
    SLA_ORDER,
    actor_label,
    followers,
    get_request,
    now,
    stricter,
)
from .transitions import (
    _category as _category,  # the API checks a category code the way intake does
)
from .whistle import WHISTLE_ACK_HOURS, blow_whistle, report

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "BYPASS_FILING_HOURS",
    "BYPASS_MAJOR_CLASSES",
    "MAX_DESCRIPTION",
    "REASON_REQUIRED",
    "SLA_ORDER",
    "WHISTLE_ACK_HOURS",
    "accept",
    "actor_label",
    "add_session",
    "approve_pushdown",
    "consent_pushdown",
    "pushdown",
    "withdraw_pushdown",
    "blow_whistle",
    "bypass",
    "cancel",
    "close",
    "close_mediation",
    "confirm",
    "dispatch",
    "effective",
    "escalate",
    "escalate_overdue",
    "file_bypass",
    "flag_unfiled_bypasses",
    "followers",
    "get_request",
    "intake",
    "level_above",
    "lifecycle",
    "mediation",
    "merge",
    "not_ours",
    "now",
    "open_mediation",
    "record_followup",
    "reopen",
    "report",
    "resolve",
    "return_to_dispatcher",
    "route",
    "start",
    "start_bypass",
    "stricter",
    "submit",
    "transitions",
    "whistle",
]
