"""Formal votes (表决): electorates, secret ballots, one person one vote across channels, quorum
and thresholds as data, single choice / approval / ranked choice (instant runoff), tallies,
minutes and follow-up items. Every write is one transaction; a refusal raises a
:class:`~gongzhi.core.errors.DomainError` and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from fractions import Fraction

from django.db import IntegrityError, transaction
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import Conflict, DomainError, Forbidden
from gongzhi.core.events import build_many, dispatch_after_commit, emit
from gongzhi.core.models import Event
from gongzhi.org.kinds import MemberRole
from gongzhi.org.models import Membership, Person, Unit

from . import contracts
from . import permissions as cperm
from .contracts import ConsultError
from .models import Ballot, Elector, FollowUp, FormalVote, RollEntry, VoteOption

ADULT_AGE = 18

# Quorum and threshold presets. Fractions are (numerator, denominator, strict): strict means
# "more than", otherwise "at least".
PRESETS: dict[str, dict] = {
    # Organic Law of the Villagers' Committees, art. 22: a villagers' assembly needs more than half
    # of the adult villagers, or representatives of two thirds or more of the households, and
    # decides by more than half of those present.
    "villagers_assembly": {
        "label": "村民会议（过半数村民或三分之二以上户代表到会，到会人员过半数通过）",
        "quorum": (1, 2, True),
        "households": (2, 3, False),
        "threshold": (1, 2, True),
        "base": "present",
    },
    "simple_majority": {
        "label": "简单多数（有效票过半数）",
        "quorum": (0, 1, False),
        "households": None,
        "threshold": (1, 2, True),
        "base": "valid",
    },
    "two_thirds": {
        "label": "三分之二多数（到会人数三分之二以上同意）",
        "quorum": (1, 2, True),
        "households": None,
        "threshold": (2, 3, False),
        "base": "present",
    },
}


def preset_fields(name: str) -> dict:
    if name not in PRESETS:
        raise DomainError(f"未知的规则预设：{name}（可选 {'/'.join(PRESETS)}）", field="preset")
    p = PRESETS[name]
    out = {
        "preset": name,
        "quorum_num": p["quorum"][0],
        "quorum_den": p["quorum"][1],
        "quorum_strict": p["quorum"][2],
        "threshold_num": p["threshold"][0],
        "threshold_den": p["threshold"][1],
        "threshold_strict": p["threshold"][2],
        "threshold_base": p["base"],
        "household_num": 0,
        "household_den": 1,
        "household_strict": False,
    }
    if p["households"]:
        out.update(
            household_num=p["households"][0], household_den=p["households"][1], household_strict=p["households"][2]
        )
    return out


# --- electorates ------------------------------------------------------------------------------


def adult_cutoff(on: dt.date) -> dt.date:
    try:
        return on.replace(year=on.year - ADULT_AGE)
    except ValueError:  # 29 February
        return on.replace(year=on.year - ADULT_AGE, day=28)


def resident_electorate(region, on: dt.date) -> list[tuple[str, int | None, int | None, int | None]]:
    """Verified adult residents registered in ``region`` (or below): an identity-card number on
    record, a birth date 18 or more years before ``on``, not in the floating population."""
    rows = (
        Person.objects.filter(region__path__startswith=region.path, is_mobile=False, birth_date__lte=adult_cutoff(on))
        .exclude(id_number="")
        .order_by("id")
        .values_list("id", "household_id")
    )
    return [(f"p:{pid}", pid, None, hh) for pid, hh in rows]


def branch_electorate(unit: Unit, on: dt.date):
    """Full members (正式党员) of a party branch; probationary members do not vote."""
    pids = (
        Membership.objects.filter(unit=unit, role=MemberRole.FULL_MEMBER, start_date__lte=on)
        .exclude(end_date__lte=on)
        .order_by("person_id")
        .values_list("person_id", flat=True)
        .distinct()
    )
    return [(f"p:{pid}", pid, None, None) for pid in pids]


# Electorates of member units kept by an app above consult (the alliances app registers
# ``alliance``: the active member units of an alliance). Consult never imports those apps.
_unit_electorates: dict[str, Callable[[int], Iterable[int]]] = {}


def register_unit_electorate(kind: str, member_unit_ids: Callable[[int], Iterable[int]]) -> None:
    """Register where the member units of a unit electorate come from (``kind`` is a
    :class:`FormalVote.Electorate` value; the callable takes the owner's id, e.g. an alliance id)."""
    _unit_electorates[kind] = member_unit_ids


def alliance_member_unit_ids(alliance_id: int) -> list[int]:
    """Unit ids of the active members of an alliance, from the provider the alliances app registered."""
    provider = _unit_electorates.get(FormalVote.Electorate.ALLIANCE)
    if provider is None:
        raise DomainError(
            "联盟成员名册不可用，不能发起联盟表决", field="electorate", code=ConsultError.EMPTY_ELECTORATE
        )
    return sorted(provider(alliance_id))


def alliance_electorate(alliance_id: int):
    return [(f"u:{uid}", None, uid, None) for uid in alliance_member_unit_ids(alliance_id)]


# --- setting up ------------------------------------------------------------------------------


def _fraction(num, den, field):
    if not isinstance(num, int) or not isinstance(den, int) or den <= 0 or num < 0 or num > den:
        raise DomainError("比例须为 0 ≤ 分子 ≤ 分母、分母 > 0 的整数", field=field)


@transaction.atomic
def create_vote(
    *,
    title: str,
    region,
    electorate: str,
    method: str,
    options: list[str],
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    preset: str = "simple_majority",
    rules: dict | None = None,
    unit: Unit | None = None,
    alliance_id: int | None = None,
    max_choices: int | None = None,
    topic=None,
    description: str = "",
    actor,
    exclude_unit_ids=(),
) -> FormalVote:
    """Set up a vote and fix its electorate. ``rules`` may override any preset field
    (``quorum_num``, ``threshold_den``, ``threshold_base`` …). ``exclude_unit_ids`` leaves member
    units off an alliance roll (the alliance appraisal: a unit does not rate itself)."""
    cperm.require(actor, cperm.MANAGE, region)
    title = (title or "").strip()
    if not title:
        raise DomainError("请填写表决事项", field="title")
    if electorate not in FormalVote.Electorate.values:
        raise DomainError(f"未知的投票人范围：{electorate}", field="electorate")
    if method not in FormalVote.Method.values:
        raise DomainError(f"未知的表决方式：{method}（single/approval/ranked）", field="method")
    labels = [(o or "").strip() for o in options or []]
    if len(labels) < 2 or any(not o for o in labels):
        raise DomainError("至少需要两个非空选项", field="options")
    if len(set(labels)) != len(labels):
        raise DomainError("选项不能重复", field="options")
    if (
        not isinstance(opens_at, dt.datetime)
        or not isinstance(closes_at, dt.datetime)
        or timezone.is_naive(opens_at)
        or timezone.is_naive(closes_at)
    ):
        raise DomainError("须填写带时区的开始与截止时间", field="closes_at")
    if closes_at <= opens_at:
        raise DomainError("截止时间须晚于开始时间", field="closes_at")
    fields = preset_fields(preset)
    for k, v in (rules or {}).items():
        if k not in fields or k == "preset":
            raise DomainError(f"未知的规则项：{k}", field="rules")
        fields[k] = v
    _fraction(fields["quorum_num"], fields["quorum_den"], "quorum_num")
    _fraction(fields["household_num"], fields["household_den"], "household_num")
    _fraction(fields["threshold_num"], fields["threshold_den"], "threshold_num")
    if fields["threshold_base"] not in FormalVote.Base.values:
        raise DomainError("通过比例的基数须为 present/valid/electorate", field="threshold_base")
    if method == FormalVote.Method.SINGLE:
        max_choices = 1
    elif method == FormalVote.Method.APPROVAL:
        max_choices = max_choices or len(labels)
    else:
        max_choices = len(labels)
    if not 1 <= max_choices <= len(labels):
        raise DomainError("最多可选项数须在 1 到选项数之间", field="max_choices")
    on = timezone.localdate(opens_at)
    if electorate == FormalVote.Electorate.RESIDENTS:
        if region.level != "community":
            raise DomainError("居民表决须在社区或村范围内进行", field="region")
        members = resident_electorate(region, on)
    elif electorate == FormalVote.Electorate.BRANCH:
        if unit is None or not unit.is_party:
            raise DomainError("党支部表决须指明党组织", field="unit")
        members = branch_electorate(unit, on)
    else:
        if alliance_id is None:
            raise DomainError("联盟表决须指明联盟", field="alliance_id")
        members = alliance_electorate(alliance_id)
        if exclude_unit_ids:
            members = [m for m in members if m[2] not in set(exclude_unit_ids)]
    if not members:
        raise DomainError(
            "投票人名册为空：该范围内没有符合条件的投票人", field="electorate", code=ConsultError.EMPTY_ELECTORATE
        )
    vote = FormalVote.objects.create(
        title=title,
        description=description or "",
        topic=topic,
        region=region,
        electorate=electorate,
        unit=unit,
        alliance_id=alliance_id,
        method=method,
        max_choices=max_choices,
        opens_at=opens_at,
        closes_at=closes_at,
        electorate_size=len(members),
        household_count=len({m[3] for m in members if m[3] is not None}),
        created_by=actor if getattr(actor, "pk", None) else None,
        **fields,
    )
    VoteOption.objects.bulk_create(VoteOption(vote=vote, label=lab, position=i) for i, lab in enumerate(labels))
    Elector.objects.bulk_create(
        (Elector(vote=vote, key=k, person_id=p, unit_id=u, household_id=h) for k, p, u, h in members),
        batch_size=2000,
    )
    emit(
        contracts.VOTE_OPENED,
        aggregate_type="formal_vote",
        aggregate_id=vote.pk,
        region=region,
        actor=actor,
        payload={
            "title": title,
            "method": method,
            "electorate": electorate,
            "electorate_size": len(members),
            "preset": preset,
            "opens_at": opens_at.isoformat(),
            "closes_at": closes_at.isoformat(),
            "topic": topic.pk if topic is not None else None,
            "options": list(vote.options.order_by("position", "id").values_list("id", flat=True)),
            "option_labels": labels,
            "max_choices": max_choices,
            "household_count": vote.household_count,
            "rules": rules_of(vote),
        },
    )
    return vote


def rules_of(vote: FormalVote) -> dict:
    """The counting rules of a vote as published when it opens (``consult.vote_opened``)."""
    return {
        "quorum": [vote.quorum_num, vote.quorum_den, vote.quorum_strict],
        "households": [vote.household_num, vote.household_den, vote.household_strict],
        "threshold": [vote.threshold_num, vote.threshold_den, vote.threshold_strict],
        "base": vote.threshold_base,
    }


def household_pseudonym(vote: FormalVote, household_id: int) -> str:
    """A household's name on the public roll of one vote (HMAC with the vote's secret key): the
    households represented can be counted from the record without naming any."""
    return hmac.new(bytes.fromhex(vote.roll_key), f"household:{household_id}".encode(), hashlib.sha256).hexdigest()[:24]


def roll_event(vote: FormalVote, elector: Elector, channel: str) -> tuple[str, dict]:
    """The public event that ``elector`` voted (type and payload): who only as a salted commitment
    (``personal``), never how; no receipt, no ballot. A household pseudonym only where a household
    quorum rule makes the households represented part of the count."""
    payload: dict = {"channel": channel, "personal": {"elector": elector.key}}
    if vote.household_num > 0 and elector.household_id is not None:
        payload["household"] = household_pseudonym(vote, elector.household_id)
    return contracts.ROLL_RECORDED, payload


# --- voting -----------------------------------------------------------------------------------


def elector_key_for_user(vote: FormalVote, user) -> str:
    """The elector a signed-in user votes as online: their own person record, or — for alliance
    votes — the member unit at which they hold a staff role."""
    cperm.require_participant(user, "投票")
    if vote.electorate == FormalVote.Electorate.ALLIANCE:
        from gongzhi.org.models import StaffRole

        units = set(
            StaffRole.objects.filter(user=user, active=True)
            .exclude(role__in=cperm.READ_ONLY_ROLES)
            .values_list("unit_id", flat=True)
        )
        keys = [k for k in vote.electors.filter(unit_id__in=units).values_list("key", flat=True)]
        if not keys:
            raise Forbidden("您所在单位不是本联盟的在册成员单位，不能投票", field="voter", code=ConsultError.NOT_MEMBER)
        return keys[0]
    person = getattr(user, "person", None)
    if person is None:
        raise Forbidden("您的账号未关联实名登记信息，不能投票", field="voter", code=ConsultError.NOT_MEMBER)
    return f"p:{person.pk}"


def _check_choices(vote: FormalVote, choices) -> list[int]:
    if not isinstance(choices, (list, tuple)):
        raise DomainError("选票格式不正确", field="choices")
    option_ids = set(vote.options.values_list("id", flat=True))
    try:
        picked = [int(c) for c in choices]
    except (TypeError, ValueError):
        raise DomainError("选票中有无法识别的选项", field="choices") from None
    unknown = [c for c in picked if c not in option_ids]
    if unknown:
        raise DomainError(f"选项 {unknown[0]} 不属于本次表决", field="choices")
    if len(set(picked)) != len(picked):
        raise DomainError("同一选项不能重复选择", field="choices")
    if len(picked) > vote.max_choices:
        raise DomainError(f"最多只能选择{vote.max_choices}项", field="choices")
    return picked


def cast_ballot(
    vote: FormalVote,
    choices,
    *,
    voter=None,
    elector_key: str | None = None,
    officer=None,
    at: dt.datetime | None = None,
) -> RollEntry:
    """Cast one ballot. Online: ``voter`` (a user). In person: ``officer`` enters the ballot of
    elector ``elector_key`` (``p:<person id>`` or ``u:<unit id>``). An empty choice list is a blank
    ballot (present, not for any option). Refused: before opening or after closing, electors not on
    the roll, anyone who has voted already (by either channel)."""
    try:
        return _cast(vote, choices, voter=voter, elector_key=elector_key, officer=officer, at=at)
    except IntegrityError:
        raise Conflict("该投票人已经投过票（一人一票）", field="voter", code=ConsultError.ALREADY_VOTED) from None


def cast_for_elector(vote: FormalVote, choices, *, elector_key: str, at: dt.datetime | None = None) -> RollEntry:
    """Cast the ballot of ``elector_key`` for a calling module that has already established that
    its caller speaks for this elector (the alliance appraisal checks that the actor may act for
    the member unit). Recorded as an online ballot; every other rule of :func:`cast_ballot` holds."""
    try:
        return _cast(vote, choices, voter=None, elector_key=elector_key, officer=None, at=at, trusted=True)
    except IntegrityError:
        raise Conflict("该投票人已经投过票（一人一票）", field="voter", code=ConsultError.ALREADY_VOTED) from None


@transaction.atomic
def _cast(vote, choices, *, voter, elector_key, officer, at, trusted=False) -> RollEntry:
    now = at or timezone.now()
    if trusted:
        channel = RollEntry.Channel.ONLINE
        key = elector_key
    elif officer is not None:
        cperm.require(officer, cperm.OFFICER, vote.region)
        channel = RollEntry.Channel.IN_PERSON
        if not elector_key:
            raise DomainError("请选择投票人", field="elector")
        key = elector_key
    else:
        channel = RollEntry.Channel.ONLINE
        key = elector_key_for_user(vote, voter)
    v = FormalVote.objects.get(pk=vote.pk)
    if now < v.opens_at:
        raise DomainError(
            f"表决尚未开始（{timezone.localtime(v.opens_at):%Y-%m-%d %H:%M} 开始）",
            field="vote",
            code=ConsultError.NOT_OPEN,
        )
    if now >= v.closes_at or v.status != FormalVote.Status.OPEN:
        raise DomainError(
            f"表决已于 {timezone.localtime(v.closes_at):%Y-%m-%d %H:%M} 截止，不再接受投票",
            field="vote",
            code=ConsultError.CLOSED,
        )
    picked = _check_choices(v, choices)
    # Row lock on the elector: two simultaneous ballots of one elector queue here; the second sees
    # the roll entry of the first. The unique roll entry is the last line of defence.
    elector = Elector.objects.select_for_update().filter(vote=v, key=key).first()
    if elector is None:
        raise Forbidden("不在本次表决的投票人名册中，不能投票", field="voter", code=ConsultError.NOT_MEMBER)
    if RollEntry.objects.filter(elector=elector).exists():
        raise Conflict("该投票人已经投过票（一人一票）", field="voter", code=ConsultError.ALREADY_VOTED)
    entry = RollEntry.objects.create(
        vote=v, elector=elector, channel=channel, recorded_by=officer if getattr(officer, "pk", None) else None
    )
    ballot = Ballot.objects.create(id=uuid.uuid4(), vote=v, choices=picked)
    kind, payload = roll_event(v, elector, channel)
    # The roll event now; the ballot only at the close, shuffled among the others (publish_ballots).
    emit(
        kind,
        aggregate_type="formal_vote",
        aggregate_id=v.pk,
        region=v.region,
        actor=officer if officer is not None else voter,
        payload=payload,
    )
    entry.receipt = str(ballot.id)  # shown to the voter once; kept nowhere that names them
    return entry


# --- publishing the ballots -------------------------------------------------------------------


def publish_ballots(vote: FormalVote) -> int:
    """Write one public event per ballot of ``vote`` (its choices; its record id ``ballot:<receipt>``),
    all at one time and in a random order, in the caller's transaction (the close). Nothing in a
    ballot's event points to a roll event: they were written at different times, and the order
    of the ballots is shuffled, not the order they were cast in. Bulk: one insert per 1,000."""
    rows = list(Ballot.objects.filter(vote=vote).values_list("id", "choices"))
    random.SystemRandom().shuffle(rows)
    events: list[Event] = []
    for bid, choices in rows:
        events += build_many(
            [(contracts.BALLOT_PUBLISHED, {"vote": vote.pk, "choices": list(choices)}, None)],
            aggregate_type="ballot",
            aggregate_id=str(bid),
            region=vote.region,
            schedule=False,
        )
    if events:
        at = events[0].occurred_at
        for e in events:
            e.occurred_at = at  # one time for all: no order of casting to read from the times
        Event.objects.bulk_create(events, batch_size=1000)
        dispatch_after_commit()
    return len(events)


# --- tally ------------------------------------------------------------------------------------


def _meets(value: int, total: int, num: int, den: int, strict: bool) -> bool:
    share = Fraction(value * den, 1)
    need = Fraction(num * total, 1)
    return share > need if strict else share >= need


def irv(ballots: list[list[int]], options: list[int]) -> list[dict]:
    """Instant runoff: count first preferences among continuing options; an option with more than
    half of the continuing (non-exhausted) ballots wins; otherwise the option with the fewest votes
    is eliminated (ties: the one with fewer first preferences overall, then the later-listed one)."""
    continuing = list(options)
    first_pref = Counter(b[0] for b in ballots if b)
    rounds = []
    while continuing:
        counts = {o: 0 for o in continuing}
        for b in ballots:
            for choice in b:
                if choice in counts:
                    counts[choice] += 1
                    break
        active = sum(counts.values())
        rnd = {"counts": {str(k): v for k, v in counts.items()}, "continuing_ballots": active}
        rounds.append(rnd)
        leader = max(continuing, key=lambda o: (counts[o], first_pref[o], -continuing.index(o)))
        if active and 2 * counts[leader] > active or len(continuing) == 1:
            rnd["winner"] = leader if active else None
            break
        loser = min(continuing, key=lambda o: (counts[o], first_pref[o], -continuing.index(o)))
        rnd["eliminated"] = loser
        continuing.remove(loser)
    return rounds


def tally(vote: FormalVote) -> dict:
    """Count the ballots (pure; no writes)."""
    options = list(vote.options.order_by("position", "id"))
    ballots = list(vote.ballots.values_list("choices", flat=True))
    households = len(
        set(
            RollEntry.objects.filter(vote=vote, elector__household_id__isnull=False).values_list(
                "elector__household_id", flat=True
            )
        )
    )
    result = count(
        ballots,
        [o.id for o in options],
        method=vote.method,
        rules=rules_of(vote),
        electorate_size=vote.electorate_size,
        household_count=vote.household_count,
        households_present=households,
    )
    labels = {o.id: o.label for o in options}
    result["options"] = [{"id": o["id"], "label": labels[o["id"]], **o} for o in result["options"]]
    return result


def count(
    ballots: list[list[int]],
    ids: list[int],
    *,
    method: str,
    rules: dict,
    electorate_size: int,
    household_count: int,
    households_present: int,
) -> dict:
    """The tally of ``ballots`` over options ``ids`` (in ballot order) under ``rules``
    (:func:`rules_of`): pure, with no database and no labels. :func:`tally` counts a vote's ballots
    with it, and the recount from the public record (``consult.recount``) the ballots' leaves."""
    q_num, q_den, q_strict = rules["quorum"]
    h_num, h_den, h_strict = rules["households"]
    t_num, t_den, t_strict = rules["threshold"]
    base_kind = rules["base"]
    present = len(ballots)
    valid = sum(1 for b in ballots if b)
    quorum_people = _meets(present, electorate_size, q_num, q_den, q_strict) if q_num else True
    quorum_households = (
        h_num > 0 and household_count > 0 and _meets(households_present, household_count, h_num, h_den, h_strict)
    )
    quorum = quorum_people or quorum_households
    base = {"present": present, "valid": valid, "electorate": electorate_size}[base_kind]
    result = {
        "electorate": electorate_size,
        "households": household_count,
        "present": present,
        "households_present": households_present,
        "valid": valid,
        "blank": present - valid,
        "quorum_met": quorum,
        "quorum_by_people": quorum_people,
        "quorum_by_households": quorum_households,
        "base": base_kind,
        "base_count": base,
        "threshold": f"{'>' if t_strict else '≥'}{t_num}/{t_den}",
        "options": [],
        "winner": None,
        "passed": False,
    }
    if method == FormalVote.Method.RANKED:
        rounds = irv(ballots, ids)
        result["rounds"] = rounds
        first = Counter(b[0] for b in ballots if b)
        final = rounds[-1]["counts"] if rounds else {}
        for oid in ids:
            result["options"].append({"id": oid, "first_preferences": first[oid], "final_round": final.get(str(oid))})
        win = rounds[-1].get("winner") if rounds else None
        # The runoff winner must also meet the threshold (its final-round votes over the base).
        if win is not None and quorum and _meets(int(final[str(win)]), base, t_num, t_den, t_strict):
            result["winner"], result["passed"] = win, True
    else:
        counts = Counter(c for b in ballots for c in b)
        passing = []
        for oid in ids:
            ok = quorum and base > 0 and _meets(counts[oid], base, t_num, t_den, t_strict)
            result["options"].append({"id": oid, "votes": counts[oid], "meets_threshold": ok})
            if ok:
                passing.append(oid)
        if passing:
            top = max(counts[i] for i in passing)
            leaders = [i for i in passing if counts[i] == top]
            if len(leaders) == 1:
                result["winner"], result["passed"] = leaders[0], True
            else:
                result["tie"] = leaders
    return result


def minutes_text(vote: FormalVote, result: dict) -> str:
    label = {o["id"]: o["label"] for o in result["options"]}
    lines = [
        f"表决事项：{vote.title}",
        f"表决方式：{vote.get_method_display()}；规则：{PRESETS.get(vote.preset, {}).get('label', vote.preset or '自定义')}",
        f"投票时间：{timezone.localtime(vote.opens_at):%Y-%m-%d %H:%M} 至 {timezone.localtime(vote.closes_at):%Y-%m-%d %H:%M}",
        f"应到 {result['electorate']} 人，实到（投票）{result['present']} 人，其中空白票 {result['blank']} 张"
        + (f"；应到 {result['households']} 户，到会 {result['households_present']} 户" if result["households"] else ""),
        f"法定人数：{'已达到' if result['quorum_met'] else '未达到'}",
    ]
    for o in result["options"]:
        count = o.get("votes", o.get("final_round"))
        lines.append(f"  {o['label']}：{count if count is not None else 0} 票")
    if result["passed"]:
        lines.append(f"表决结果：通过 —— {label[result['winner']]}")
    elif not result["quorum_met"]:
        lines.append("表决结果：到会人数不足，表决无效")
    else:
        lines.append("表决结果：未获通过（没有选项达到通过比例）")
    return "\n".join(lines)


@transaction.atomic
def close_vote(vote: FormalVote, *, actor, at: dt.datetime | None = None) -> FormalVote:
    """Tally a vote whose time is up, publish the tally and minutes, and turn a decision into a
    follow-up item. Idempotent: a tallied vote is returned unchanged."""
    v = FormalVote.objects.select_for_update().get(pk=vote.pk)
    if v.status == FormalVote.Status.TALLIED:
        return v
    cperm.require(actor, cperm.MANAGE, v.region)
    now = at or timezone.now()
    if now < v.closes_at:
        raise DomainError(
            f"表决 {timezone.localtime(v.closes_at):%Y-%m-%d %H:%M} 截止，截止前不能计票",
            field="vote",
            code=ConsultError.STILL_OPEN,
        )
    result = tally(v)
    publish_ballots(v)  # every ballot on the public record before the tally, so anyone can recount it
    v.result = result
    v.minutes = minutes_text(v, result)
    v.status = FormalVote.Status.TALLIED
    v.tallied_at = now
    v.save(update_fields=["result", "minutes", "status", "tallied_at"])
    if result["passed"]:
        label = next(o["label"] for o in result["options"] if o["id"] == result["winner"])
        FollowUp.objects.create(vote=v, topic=v.topic, region=v.region, title=f"{v.title}：{label}"[:200])
    emit(
        contracts.VOTE_TALLIED,
        aggregate_type="formal_vote",
        aggregate_id=v.pk,
        region=v.region,
        actor=actor,
        payload={"title": v.title, "result": result, "minutes": v.minutes},
    )
    return v


@transaction.atomic
def close_now(vote: FormalVote, *, actor, at: dt.datetime | None = None) -> FormalVote:
    """End a vote before its deadline and tally it (the calling process has reached its decision
    point, e.g. the alliance appraisal is graded). A vote already past its deadline is simply closed."""
    now = at or timezone.now()
    v = FormalVote.objects.select_for_update().get(pk=vote.pk)
    if v.status == FormalVote.Status.OPEN and now < v.closes_at:
        v.closes_at = max(now, v.opens_at + dt.timedelta(microseconds=1))
        v.save(update_fields=["closes_at"])
        now = v.closes_at
    return close_vote(v, actor=actor, at=max(now, v.closes_at))


def close_due(*, at: dt.datetime | None = None) -> list[int]:
    """Tally every open vote whose time is up (the scheduled job ``consult.close_due_votes``, every
    minute). Each vote is closed in its own transaction; returns the ids of the votes tallied."""
    now = at or timezone.now()
    due = list(
        FormalVote.objects.filter(status=FormalVote.Status.OPEN, closes_at__lte=now)
        .order_by("closes_at", "pk")
        .values_list("pk", flat=True)
    )
    return [close_vote(FormalVote(pk=pk), actor=SYSTEM, at=now).pk for pk in due]


def results(vote: FormalVote, *, at: dt.datetime | None = None) -> dict:
    """The tally; refused while the vote is open (results stay hidden until close). Reading writes
    nothing: a vote whose time is up but which the scheduled job has not tallied yet is counted
    here the same way (no ballot is accepted after the deadline, so the count is final) and marked
    ``published: False``; the job publishes it, with the minutes and the follow-up item."""
    now = at or timezone.now()
    if vote.status == FormalVote.Status.TALLIED:
        return {"result": vote.result, "minutes": vote.minutes, "published": True}
    if now < vote.closes_at:
        raise Forbidden("表决截止前不公布结果", field="vote", code=ConsultError.RESULTS_HIDDEN)
    result = tally(vote)
    return {"result": result, "minutes": minutes_text(vote, result), "published": False}


def turnout(vote: FormalVote) -> dict:
    """What may be shown while a vote is open: how many have voted, by channel (not how)."""
    by = Counter(RollEntry.objects.filter(vote=vote).values_list("channel", flat=True))
    return {
        "electorate": vote.electorate_size,
        "voted": sum(by.values()),
        "online": by.get(RollEntry.Channel.ONLINE, 0),
        "in_person": by.get(RollEntry.Channel.IN_PERSON, 0),
    }


# --- receipts ---------------------------------------------------------------------------------


def check_receipt(receipt: str) -> dict:
    """What a voter's receipt shows (read-only, for anyone holding it: receipts are public on the
    record once published). ``status``:

    * ``published``: the ballot's leaf ``ballot:<receipt>`` is in the signed log: its vote, its
      choices, and the inclusion proof against the latest signed checkpoint (``proof``), checked here
      (``verified``);
    * ``awaiting_checkpoint``: the leaf is written but no signed checkpoint covers it yet;
    * ``recorded``: the ballot is cast and the vote still open: ballots are published together at the close;
    * ``closing``: the vote is tallied; the ledger has not taken the ballots in yet (a few seconds).

    An unknown receipt is :class:`NotFound`; nothing here says who cast a ballot."""
    import base64
    import json

    from gongzhi.core.errors import NotFound
    from gongzhi.ledger import services as ledger

    try:
        rid = uuid.UUID(str(receipt or "").strip())
    except ValueError:
        raise DomainError("回执编号格式不正确（形如 xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx）", field="receipt") from None
    indices = ledger.record_leaves(f"ballot:{rid}")
    if indices:
        try:
            proof = ledger.inclusion(indices[0])
        except ledger.LedgerError:
            return {"receipt": str(rid), "status": "awaiting_checkpoint", "index": indices[0]}
        entry = json.loads(base64.b64decode(proof["entry"]))
        data = entry.get("data") or {}
        check = ledger.receipt(proof["event_id"])
        return {
            "receipt": str(rid),
            "status": "published",
            "vote": data.get("vote"),
            "choices": data.get("choices"),
            "index": proof["index"],
            "verified": bool(check and check.verified),
            "proof": proof,
        }
    ballot = Ballot.objects.filter(pk=rid).values_list("vote_id", "vote__status").first()
    if ballot is None:
        raise NotFound("没有这张选票回执", field="receipt")
    vote_id, status = ballot
    return {
        "receipt": str(rid),
        "status": "recorded" if status == FormalVote.Status.OPEN else "closing",
        "vote": vote_id,
    }
