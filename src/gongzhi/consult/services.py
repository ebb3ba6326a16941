"""Cloud consultation use cases: the only code that writes consult models. Each function is one
transaction; a refusal raises :class:`~gongzhi.core.errors.DomainError` and changes nothing."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from gongzhi.core.contracts import CoreError
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.events import emit

from . import contracts
from . import math as cm
from .contracts import ConsultError
from .models import LiveAnalysis, Phase, Statement, StatementVote, Topic
from .polis_io import latest_votes

STATEMENT_PHASES = {Phase.Kind.COLLECT, Phase.Kind.DELIBERATE}
VOTING_PHASES = {Phase.Kind.COLLECT, Phase.Kind.DELIBERATE}
MIN_STATEMENT_LENGTH = 4
LIVE_SETTLE_SECONDS = 5  # the newest burst of votes is analysed once this long has passed without a vote
LIVE_JOB_BUDGET_SECONDS = 40  # one run of the scheduled job (every minute) stops after this long


def _now(at: datetime | None) -> datetime:
    return at or timezone.now()


def participant_pseudonym(topic: Topic, user_id: int) -> str:
    """A participant's name on the public record within one topic: the first 96 bits of
    HMAC-SHA256(the topic's secret key, ``user:<id>``) in hex. It links one participant's
    statements and votes within the topic (as pol.is's open data numbers participants) without
    saying who they are, and differs from topic to topic (docs/consultation.md, "On the public record")."""
    key = bytes.fromhex(topic.pseudonym_key)
    return hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).hexdigest()[:24]


def statement_event(statement: Statement, topic: Topic) -> tuple[str, dict]:
    """The public event of a submitted statement: type and payload (the text is committed)."""
    return contracts.STATEMENT_SUBMITTED, {
        "statement": statement.pk,
        "text": statement.text,
        "participant": participant_pseudonym(topic, statement.author_id) if statement.author_id else "",
    }


def statement_vote_event(topic: Topic, statement_id: int, voter_id: int, value: int) -> tuple[str, dict]:
    """The public event of one statement vote: type and payload."""
    return contracts.STATEMENT_VOTED, {
        "statement": statement_id,
        "participant": participant_pseudonym(topic, voter_id),
        "value": value,
    }


@transaction.atomic
def create_topic(
    *,
    title: str,
    scope: str,
    region,
    phases: list[dict],
    description: str = "",
    unit=None,
    source: str = Topic.Source.RESIDENT,
    proposed_by=None,
) -> Topic:
    """Raise a topic. ``phases``: dicts with ``kind``, ``starts_at``, ``ends_at`` and optional
    ``rules``, in the order collect → deliberate → vote → publish → follow up (any may be left out
    but collect), not overlapping."""
    title = (title or "").strip()
    if not title:
        raise DomainError("请填写议题名称", field="title")
    if len(title) > 120:
        raise DomainError("议题名称不能超过120字", field="title")
    if scope not in Topic.Scope.values:
        raise DomainError(f"未知的议题范围：{scope}（应为 {'/'.join(Topic.Scope.values)}）", field="scope")
    if source not in Topic.Source.values:
        raise DomainError(f"未知的议题来源：{source}", field="source")
    if scope in (Topic.Scope.ALLIANCE, Topic.Scope.BRANCH) and unit is None:
        raise DomainError("共建联盟或党支部范围的议题须指明联盟/支部", field="unit")
    if not phases:
        raise DomainError("议题至少要有“征集”阶段", field="phases")
    kinds = [p.get("kind") for p in phases]
    unknown = [k for k in kinds if k not in Phase.ORDER]
    if unknown:
        raise DomainError(f"未知的阶段：{unknown[0]}", field="phases")
    if len(set(kinds)) != len(kinds):
        raise DomainError("每个阶段只能出现一次", field="phases")
    if Phase.Kind.COLLECT not in kinds:
        raise DomainError("议题至少要有“征集”阶段", field="phases")
    if kinds != sorted(kinds, key=Phase.ORDER.index):
        raise DomainError("阶段顺序应为：征集 → 协商 → 表决 → 公示 → 跟踪落实", field="phases")
    previous_end = None
    for p in phases:
        start, end = p.get("starts_at"), p.get("ends_at")
        if not isinstance(start, datetime) or not isinstance(end, datetime):
            raise DomainError(f"阶段“{p['kind']}”须有开始和结束时间", field="phases")
        if timezone.is_naive(start) or timezone.is_naive(end):
            raise DomainError(f"阶段“{p['kind']}”的时间须带时区", field="phases")
        if end <= start:
            raise DomainError(f"阶段“{p['kind']}”的结束时间须晚于开始时间", field="phases")
        if previous_end is not None and start < previous_end:
            raise DomainError(f"阶段“{p['kind']}”与上一阶段时间重叠", field="phases")
        previous_end = end
    topic = Topic.objects.create(
        title=title,
        description=description or "",
        scope=scope,
        region=region,
        unit=unit,
        source=source,
        proposed_by=proposed_by,
    )
    Phase.objects.bulk_create(
        Phase(topic=topic, kind=p["kind"], starts_at=p["starts_at"], ends_at=p["ends_at"], rules=p.get("rules", ""))
        for p in phases
    )
    emit(
        contracts.TOPIC_CREATED,
        aggregate_type="topic",
        aggregate_id=topic.pk,
        region=region,
        actor=proposed_by,
        payload={"title": title, "scope": scope, "phases": kinds},
    )
    return topic


def current_phase(topic: Topic, at: datetime | None = None) -> Phase | None:
    now = _now(at)
    return topic.phases.filter(starts_at__lte=now, ends_at__gt=now).first()


def _require_phase(topic: Topic, allowed: set, action: str, at: datetime | None) -> Phase:
    phase = current_phase(topic, at)
    if phase is None or phase.kind not in allowed:
        names = "、".join(str(Phase.Kind(k).label) for k in Phase.ORDER if k in allowed)
        now = phase.get_kind_display() if phase else "不在任何阶段"
        raise DomainError(f"议题当前{now}，只有在{names}阶段才能{action}", field="topic", code=ConsultError.CLOSED)
    return phase


@transaction.atomic
def submit_statement(topic: Topic, author, text: str, *, at: datetime | None = None) -> Statement:
    from . import permissions as cperm

    cperm.require_participant(author, "提交观点")
    _require_phase(topic, STATEMENT_PHASES, "提交观点", at)
    text = " ".join((text or "").split())
    if len(text) < MIN_STATEMENT_LENGTH:
        raise DomainError(f"观点至少{MIN_STATEMENT_LENGTH}个字", field="text")
    if len(text) > Statement.MAX_LENGTH:
        raise DomainError(f"观点不能超过{Statement.MAX_LENGTH}字，请精简后再提交", field="text")
    if topic.statements.exclude(status=Statement.Status.REJECTED).filter(text=text).exists():
        raise DomainError("已有相同的观点，请直接对它表态", field="text", code=CoreError.DUPLICATE)
    st = Statement.objects.create(topic=topic, author=author, text=text)
    kind, payload = statement_event(st, topic)
    emit(kind, aggregate_type="topic", aggregate_id=topic.pk, region=topic.region, actor=author, payload=payload)
    return st


@transaction.atomic
def moderate_statement(statement: Statement, moderator, *, accept: bool, reason: str = "") -> Statement:
    from . import permissions as cperm

    if moderator is None or not (
        moderator.has_perm("consult.change_statement") or cperm.allowed(moderator, cperm.MANAGE, statement.topic)
    ):
        raise Forbidden("只有主持人可以审核观点", field="moderator")
    reason = (reason or "").strip()
    if not accept and not reason:
        raise DomainError("不采纳观点须说明理由", field="reason")
    if len(reason) > 200:
        raise DomainError("审核理由不能超过200字", field="reason")
    st = Statement.objects.select_for_update().get(pk=statement.pk)
    st.status = Statement.Status.ACCEPTED if accept else Statement.Status.REJECTED
    st.moderation_reason = reason
    st.moderated_by = moderator
    st.moderated_at = timezone.now()
    st.save(update_fields=["status", "moderation_reason", "moderated_by", "moderated_at"])
    emit(
        contracts.STATEMENT_MODERATED,
        aggregate_type="topic",
        aggregate_id=st.topic_id,
        region=st.topic.region,
        actor=moderator,
        payload={"statement": st.pk, "status": st.status, "reason": reason},
    )
    return st


@transaction.atomic
def cast_vote(statement: Statement, voter, value: int, *, at: datetime | None = None) -> StatementVote:
    """Agree (1), disagree (−1) or pass (0) on an accepted statement; a later vote replaces the
    earlier one in every count (all vote events are kept)."""
    if value not in (-1, 0, 1):
        raise DomainError("表态只能是赞同(1)、反对(-1)或跳过(0)", field="value")
    from . import permissions as cperm

    cperm.require_participant(voter, "表态")
    _require_phase(statement.topic, VOTING_PHASES, "表态", at)
    if statement.status != Statement.Status.ACCEPTED:
        raise DomainError("该观点尚未采纳，不能表态", field="statement")
    sv = StatementVote.objects.create(statement=statement, voter=voter, value=value)
    topic = statement.topic
    kind, payload = statement_vote_event(topic, statement.pk, voter.pk, value)
    emit(kind, aggregate_type="topic", aggregate_id=topic.pk, region=topic.region, actor=voter, payload=payload)
    return sv


# --- reading: analysis, next statement, export -------------------------------------------------


def _vote_log(topic: Topic):
    """All vote events of a topic, oldest first: (event ids, voter ids, statement ids, values, ms)."""
    rows = list(
        StatementVote.objects.filter(statement__topic=topic)
        .order_by("created_at", "id")
        .values_list("id", "voter_id", "statement_id", "value", "created_at")
    )
    if not rows:
        return (np.zeros(0, np.int64),) * 3 + (np.zeros(0, np.int8), np.zeros(0, np.int64))
    ids, voter, statement, value, created = zip(*rows)
    millis = [int(c.timestamp() * 1000) for c in created]
    return (
        np.asarray(ids, np.int64),
        np.asarray(voter, np.int64),
        np.asarray(statement, np.int64),
        np.asarray(value, np.int8),
        np.asarray(millis, np.int64),
    )


def topic_votes(topic: Topic):
    """All vote events of a topic as arrays (voter id, statement id, value, time in ms), oldest first."""
    return _vote_log(topic)[1:]


def _rejected(topic: Topic) -> list[int]:
    return list(topic.statements.filter(status=Statement.Status.REJECTED).values_list("id", flat=True))


def _covered(ids: np.ndarray, through_vote_id: int | None) -> int | None:
    """How many events of the log the live analysis has taken in (those up to its last vote);
    ``None`` when that vote is gone from the log (its statement was deleted): the state no longer
    describes the log, and the analysis starts again from nothing."""
    if through_vote_id is None:
        return 0
    hit = np.flatnonzero(ids == through_vote_id)
    return int(hit[0]) + 1 if hit.size else None


def analyse_topic(topic: Topic, *, seed: int = 0) -> cm.Analysis:
    """The consensus math on the topic's votes; rejected statements are moderated out.

    It continues from the topic's live analysis (§8 of docs/consultation.md): with no vote since
    the last update it redoes that update (the groups shown are the live groups); with newer
    votes it runs the update they will get. Nothing is written.
    """
    ids, p, s, v, t = _vote_log(topic)
    previous = None
    live = LiveAnalysis.objects.filter(topic=topic).first()
    if live is not None and live.through_vote_id is not None:
        covered = _covered(ids, live.through_vote_id)
        if covered is not None:
            previous = live.prior_state if covered == ids.shape[0] else live.state
    return cm.analyse(
        cm.build_vote_matrix(p, s, v, t),
        _rejected(topic),
        seed=seed,
        previous=cm.ClusterState.from_json(previous) if previous else None,
    )


def update_live_analysis(topic: Topic, *, now: datetime | None = None, budget_seconds: float | None = None) -> int:
    """Run the live analysis's updates that are due: one per burst of votes (at most
    ``BURST_GAP_MS`` apart) after the last update, oldest first; the newest burst waits until
    ``LIVE_SETTLE_SECONDS`` have passed since its last vote (more may still come). With
    ``budget_seconds`` it stops after the update that goes past the budget; the next call goes
    on from there. Returns the number of updates run.

    Two callers at once: the first to commit wins, the other gets :class:`Conflict` and the
    winner's state stands (both compute the same updates from the same log).
    """
    now = _now(now)
    with transaction.atomic():
        live, _ = LiveAnalysis.objects.select_for_update().get_or_create(topic=topic)
        ids, p, s, v, t = _vote_log(topic)
        start = _covered(ids, live.through_vote_id)
        state, prior = live.state, live.prior_state
        if start is None:
            start, state, prior = 0, None, None
        ends = cm.bursts(t)
        ends = ends[ends > start]
        if ends.size and now.timestamp() * 1000 - t[-1] <= LIVE_SETTLE_SECONDS * 1000:
            ends = ends[:-1]  # the newest burst may still be growing
        if not ends.size:
            return 0
        stop = None
        if budget_seconds is not None:
            deadline = time.monotonic() + budget_seconds
            stop = lambda: time.monotonic() > deadline  # noqa: E731
        load = cm.ClusterState.from_json
        r = cm.replay(
            p,
            s,
            v,
            t,
            _rejected(topic),
            ends=ends,
            start=start,
            previous=load(state) if state else None,
            prior=load(prior) if prior else None,
            statistics=False,
            stop=stop,
        )
        n_groups = r.analysis.n_groups  # at least one update ran
        changed = LiveAnalysis.objects.filter(pk=live.pk, version=live.version).update(
            state=r.state.to_json() if r.state else None,
            prior_state=r.prior.to_json() if r.prior else None,
            through_vote_id=int(ids[r.through - 1]),
            votes_covered=r.through,
            updates=(live.updates if start else 0) + r.updates,
            n_groups=n_groups,
            updated_at=now,
            version=live.version + 1,
        )
        if not changed:
            raise Conflict("实时分析已被另一进程更新", field="topic")
        emit(
            contracts.ANALYSIS_UPDATED,
            aggregate_type="topic",
            aggregate_id=topic.pk,
            region=topic.region,
            payload={"updates": r.updates, "votes": r.through, "groups": n_groups},
        )
    return r.updates


def update_live_analyses(*, now: datetime | None = None, budget_seconds: float = LIVE_JOB_BUDGET_SECONDS) -> dict:
    """Bring every topic with votes after its last update up to date (the scheduled job), within
    ``budget_seconds`` in all; what is left waits for the next run. Returns {topic id: updates}."""
    deadline = time.monotonic() + budget_seconds
    due = (
        Topic.objects.annotate(last_vote=Max("statements__votes__id"))
        .filter(last_vote__isnull=False)
        .filter(Q(live_analysis__through_vote_id__isnull=True) | Q(live_analysis__through_vote_id__lt=F("last_vote")))
        .order_by("id")
    )
    done = {}
    for topic in due:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        try:
            done[topic.pk] = update_live_analysis(topic, now=now, budget_seconds=left)
        except Conflict:
            continue  # another worker is on it
    return done


def next_statement(topic: Topic, voter) -> Statement | None:
    """The accepted statement to show ``voter`` next: not yet voted on by them, not their own, with
    the highest pol.is priority (see :func:`gongzhi.consult.math.next_statement_priority`); ties go
    to the older statement. ``None`` when nothing is left."""
    candidates = list(
        topic.statements.filter(status=Statement.Status.ACCEPTED)
        .exclude(votes__voter=voter)
        .exclude(author=voter)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if not candidates:
        return None
    p, s, v, t = topic_votes(topic)
    p, s, v, _ = latest_votes(p, s, v, t)
    ids = np.asarray(candidates, dtype=np.int64)
    pos = {sid: i for i, sid in enumerate(candidates)}
    agree = np.zeros(ids.shape[0])
    passes = np.zeros(ids.shape[0])
    seen = np.zeros(ids.shape[0])
    for sid, val in zip(s.tolist(), v.tolist()):
        i = pos.get(sid)
        if i is not None:
            seen[i] += 1
            agree[i] += val > 0
            passes[i] += val == 0
    extremity = np.zeros(ids.shape[0])
    if s.size:
        an = analyse_topic(topic)
        ext = cm.statement_extremity(an)
        for j, sid in enumerate(an.statements.tolist()):
            if sid in pos:
                extremity[pos[sid]] = ext[j]
    priority = cm.next_statement_priority(agree, passes, seen, extremity)
    best = int(ids[int(np.argmax(priority))])  # argmax takes the first (oldest) of equal priorities
    return Statement.objects.get(pk=best)


def export_polis(topic: Topic, *, mask: bool = False, public: bool = False) -> dict[str, str]:
    """The topic in the pol.is openData format: ``comments.csv``, ``votes.csv``,
    ``participants-votes.csv`` (each participant's latest vote per statement and the group the
    platform's analysis puts them in, ``group-id``) and ``summary.csv``. Participants are numbered
    0, 1, … in order of first appearance (no user ids leave the platform). With ``mask`` the
    statements' text has phone-, ID- and account-like numbers masked (``permissions.mask_text``),
    as for a viewer without ``view_personal`` (issue 17). With ``public`` (the open-data export)
    only accepted statements keep their text: a statement nobody outside moderation saw is a row
    without a body."""
    from gongzhi.org.permissions import mask_text

    numbers: dict[int, int] = {}

    def number(user_id):
        if user_id is None:
            return ""
        if user_id not in numbers:
            numbers[user_id] = len(numbers)
        return numbers[user_id]

    statements = list(topic.statements.order_by("created_at", "id"))
    moderated = {Statement.Status.ACCEPTED: 1, Statement.Status.PENDING: 0, Statement.Status.REJECTED: -1}
    p, s, v, t = topic_votes(topic)
    lp, ls, lv, _ = latest_votes(p, s, v, t)
    agrees = {sid: int(((ls == sid) & (lv > 0)).sum()) for sid in (st.id for st in statements)}
    disagrees = {sid: int(((ls == sid) & (lv < 0)).sum()) for sid in (st.id for st in statements)}

    def stamp(ms: int) -> str:
        return timezone.localtime(datetime.fromtimestamp(ms / 1000, tz=timezone.get_current_timezone())).strftime(
            "%a %b %d %H:%M:%S %Z %Y"
        )

    events = sorted(
        [(int(st.created_at.timestamp() * 1000), 0, st) for st in statements], key=lambda e: (e[0], e[2].id)
    )
    comments = io.StringIO()
    w = csv.writer(comments, lineterminator="\n")
    w.writerow(["timestamp", "datetime", "comment-id", "author-id", "agrees", "disagrees", "moderated", "comment-body"])
    vote_rows = sorted(zip(t.tolist(), range(len(t)), p.tolist(), s.tolist(), v.tolist()))
    # Number participants by first appearance across statements and votes, in time order.
    for _, _, who in sorted([(e[0], 0, e[2].author_id) for e in events] + [(r[0], 1, r[2]) for r in vote_rows]):
        number(who)
    for ts, _, st in events:
        w.writerow(
            [
                ts,
                stamp(ts),
                st.id,
                number(st.author_id),
                agrees[st.id],
                disagrees[st.id],
                moderated[st.status],
                "" if public and st.status != Statement.Status.ACCEPTED else (mask_text(st.text) if mask else st.text),
            ]
        )
    votes = io.StringIO()
    w = csv.writer(votes, lineterminator="\n")
    w.writerow(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
    for ts, _, voter, sid, val in vote_rows:
        w.writerow([ts, stamp(ts), sid, number(voter), val])
    an = analyse_topic(topic)
    return {
        "comments.csv": comments.getvalue(),
        "votes.csv": votes.getvalue(),
        "participants-votes.csv": _participants_votes(an, statements, number, (ls, lv, lp)),
        "summary.csv": _polis_summary(topic, an, statements, numbers),
    }


def _participants_votes(an: cm.Analysis, statements: list, number: Callable[[Any], Any], latest: tuple) -> str:
    """pol.is's ``participants-votes.csv``: one row per participant (by export number) with their
    group in the platform's analysis (empty when not grouped), their counts and their latest vote
    on each statement (empty when they did not vote on it)."""
    ls, lv, lp = latest
    group = an.group_of()
    sids = [st.id for st in statements]
    authored: dict[int, int] = {}
    for st in statements:
        if st.author_id is not None:
            authored[number(st.author_id)] = authored.get(number(st.author_id), 0) + 1
    votes: dict[int, dict[int, int]] = {}
    for who, sid, val in zip(lp.tolist(), ls.tolist(), lv.tolist()):
        votes.setdefault(number(who), {})[sid] = int(val)
    people = {number(pid) for pid in an.participants.tolist()} | set(votes) | set(authored)
    by_number = {number(pid): g for pid, g in group.items()}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree", *sids])
    for n in sorted(people):
        mine = votes.get(n, {})
        g = by_number.get(n)
        w.writerow(
            [
                n,
                "" if g is None else g,
                authored.get(n, 0),
                len(mine),
                sum(1 for x in mine.values() if x > 0),
                sum(1 for x in mine.values() if x < 0),
                *["" if sid not in mine else mine[sid] for sid in sids],
            ]
        )
    return out.getvalue()


def _polis_summary(topic: Topic, an: cm.Analysis, statements: list, numbers: dict) -> str:
    """pol.is's ``summary.csv``: key, value rows."""
    voters = len(an.participants)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    for row in (
        ("topic", topic.title),
        ("url", f"/consult/{topic.pk}/"),
        ("views", voters),
        ("voters", voters),
        ("voters-in-conv", int(an.in_analysis.sum())),
        ("commenters", len({st.author_id for st in statements if st.author_id is not None})),
        ("comments", len(statements)),
        ("groups", an.n_groups),
        ("conversation-description", ""),
    ):
        w.writerow(row)
    return out.getvalue()


def results_data(topic: Topic, *, seed: int = 0, limit: int = 10) -> dict:
    """Everything the results page shows, as plain data: the opinion map (participants' projection
    coloured by group), the 最大公约数 list (group-informed consensus), each group's distinctive
    statements, majority consensus, the most divisive statements and daily participation."""
    texts = dict(topic.statements.values_list("id", "text"))
    an = analyse_topic(topic, seed=seed)

    def stat(s):
        d = s.as_dict()
        d["text"] = texts.get(s.statement, "")
        return d

    points = []
    for i in range(len(an.participants)):
        if an.in_analysis[i] and np.isfinite(an.projection[i]).all():
            points.append(
                {
                    "x": round(float(an.projection[i, 0]), 5),
                    "y": round(float(an.projection[i, 1]), 5),
                    "group": int(an.labels[i]),
                }
            )
    days: dict[str, int] = {}
    voters: dict[str, set] = {}
    for voter, created in StatementVote.objects.filter(statement__topic=topic).values_list("voter_id", "created_at"):
        day = timezone.localtime(created).date().isoformat()
        days[day] = days.get(day, 0) + 1
        voters.setdefault(day, set()).add(voter)
    live = LiveAnalysis.objects.filter(topic=topic).first()
    total_votes = StatementVote.objects.filter(statement__topic=topic).count()
    return {
        "live": {
            "updates": live.updates if live else 0,
            "votes_covered": live.votes_covered if live else 0,
            "votes_pending": total_votes - (live.votes_covered if live else 0),
            "updated_at": timezone.localtime(live.updated_at).strftime("%Y-%m-%d %H:%M")
            if live and live.updated_at
            else None,
        },
        "participants": int(an.participants.shape[0]),
        "in_analysis": int(an.in_analysis.sum()),
        "statements": int(an.statements.shape[0]),
        "too_small": an.too_small,
        "n_groups": an.n_groups,
        "group_sizes": an.group_sizes(),
        "points": points,
        "common_ground": [
            {"statement": sid, "score": round(v, 4), "text": texts.get(sid, "")}
            for sid, v in an.most_common_ground(limit)
        ],
        "consensus": {d: [stat(s) for s in an.consensus.get(d, [])] for d in ("agree", "disagree")},
        "groups": [
            {"id": g, "size": size, "representative": [stat(s) for s in an.representative.get(g, [])]}
            for g, size in enumerate(an.group_sizes())
        ],
        "divisive": [
            {"statement": sid, "spread": round(v, 4), "text": texts.get(sid, "")} for sid, v in an.divisive[:limit]
        ],
        "participation": [{"day": d, "votes": days[d], "participants": len(voters[d])} for d in sorted(days)],
    }
