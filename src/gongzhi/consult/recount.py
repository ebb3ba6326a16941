"""Recount a formal vote from the public record alone (issue 20 item 4; seed 003: 区块链技术则可以
确保协商过程的真实可信).

``gongzhi verify SOURCE --key K --recount formal_vote:N`` (or ``topic:N``, or ``N`` for a topic)
hands this module the consultation entries of a log whose every entry it has rehashed to the signed
root (:func:`gongzhi.ledger.verify.recount_log`). From them alone — never the consult tables — it
takes the vote's rules published when it opened (``consult.vote_opened``), its ballots published at
the close (``consult.ballot_published``, record ``ballot:<receipt>``) and its roll
(``consult.roll_recorded``), counts the ballots with the same function the close uses
(:func:`gongzhi.consult.votes.count`) and compares the result with the tally published on the log
(``consult.vote_tallied``). Any difference, a ballot without a voter on the roll (or the reverse), a
receipt twice, a choice the vote does not offer, or a ballot of the vote withheld: a failure naming it.
"""

from __future__ import annotations

from gongzhi.ledger.public_fields import COMMITMENT
from gongzhi.ledger.verify import VerificationFailed, register_recounter

from .contracts import (
    BALLOT_PUBLISHED,
    ROLL_RECORDED,
    STATEMENT_SUBMITTED,
    STATEMENT_VOTED,
    VOTE_OPENED,
    VOTE_TALLIED,
)
from .votes import count

PREFIX = "consult."
# Fields of the published tally compared with the recount (those in clear on the record).
COMPARED = (
    "electorate",
    "households",
    "present",
    "households_present",
    "valid",
    "blank",
    "quorum_met",
    "quorum_by_people",
    "quorum_by_households",
    "base",
    "base_count",
    "threshold",
    "winner",
    "passed",
    "tie",
    "rounds",
    "options",
)


def _committed(value: object) -> bool:
    return isinstance(value, str) and COMMITMENT.fullmatch(value) is not None


def _record(doc: dict) -> tuple[str, str]:
    rec = doc.get("record") or {}
    return str(rec.get("type")), str(rec.get("id"))


def recount(target: str, entries: list[dict]) -> list[str] | None:
    """The registered recounter: ``formal_vote:<id>`` recounts that vote; ``topic:<id>`` (or a bare
    id) counts the topic's statements and statement votes and recounts each of its formal votes."""
    kind, _, ident = target.rpartition(":")
    if kind == "formal_vote":
        return recount_vote(ident, entries)
    if kind not in ("", "topic") or not ident.isdigit():
        return None
    ids = [
        _record(doc)[1]
        for doc in entries
        if doc.get("type") == VOTE_OPENED and str((doc.get("data") or {}).get("topic")) == ident
    ]
    lines = statement_counts(ident, entries)
    if not ids and not lines:
        raise VerificationFailed(f"the log holds no statement and no formal vote of topic {ident}")
    return lines + [line for vote_id in ids for line in recount_vote(vote_id, entries)]


def statement_counts(topic_id: str, entries: list[dict]) -> list[str]:
    """What the log says of a topic's statements: how many, how many statement votes by how many
    participants (pseudonyms), and per statement the agree / disagree / pass counts of each
    participant's latest vote (the counts the results page and the pol.is export show)."""
    statements: list = []
    latest: dict[tuple, int] = {}
    n_votes = 0
    for doc in entries:
        if _record(doc) != ("topic", topic_id):
            continue
        data = doc.get("data") or {}
        if doc.get("type") == STATEMENT_SUBMITTED:
            statements.append(data.get("statement"))
        elif doc.get("type") == STATEMENT_VOTED:
            n_votes += 1
            value = data.get("value")
            latest[(data.get("statement"), data.get("participant"))] = value if type(value) is int else 0
    if not statements and not n_votes:
        return []
    what = f"topic {topic_id}"
    lines = [
        f"{what}: {len(statements)} statements (texts as commitments), {n_votes} statement votes by "
        f"{len({p for _, p in latest})} participants"
    ]
    per: dict = {}
    for (sid, _), value in latest.items():
        per.setdefault(sid, [0, 0, 0])[{1: 0, -1: 1, 0: 2}.get(value, 2)] += 1
    for sid in sorted(per, key=lambda x: (x is None, x)):
        a, d, p = per[sid]
        lines.append(f"{what}: statement {sid}: agree {a}, disagree {d}, pass {p} (latest vote of each participant)")
    return lines


def recount_vote(vote_id: str, entries: list[dict]) -> list[str]:
    """Recount formal vote ``vote_id`` from ``entries``; the check lines, or :class:`VerificationFailed`."""
    what = f"formal vote {vote_id}"
    opened, tallied, roll, ballots, withheld_ballots = [], [], [], [], []
    for doc in entries:
        rtype, rid = _record(doc)
        if "withheld" in doc and "data" not in doc:
            if rtype == "ballot":
                withheld_ballots.append(doc["index"])
            elif rtype == "formal_vote" and rid == vote_id:
                raise VerificationFailed(f"{what}: entry {doc['index']} is withheld by the operator; cannot recount")
            continue
        t = doc.get("type")
        data = doc.get("data") or {}
        if t == BALLOT_PUBLISHED:
            if str(data.get("vote")) == vote_id:
                ballots.append((rid, data.get("choices"), doc["index"]))
        elif rtype != "formal_vote" or rid != vote_id:
            continue
        elif t == VOTE_OPENED:
            opened.append(doc)
        elif t == VOTE_TALLIED:
            tallied.append(doc)
        elif t == ROLL_RECORDED:
            roll.append(doc)
    if len(opened) != 1:
        raise VerificationFailed(f"{what}: {len(opened)} opening entries on the log (expected one)")
    if not tallied:
        raise VerificationFailed(f"{what}: no published tally on the log (not closed yet?)")
    if len(tallied) > 1:
        raise VerificationFailed(f"{what}: {len(tallied)} tallies published (expected one)")
    rules_doc = opened[0]["data"]
    needed = ("method", "options", "max_choices", "electorate_size", "household_count", "rules")
    missing = [k for k in needed if k not in rules_doc or _committed(rules_doc[k])]
    if missing:
        raise VerificationFailed(
            f"{what}: its opening entry does not publish {', '.join(missing)} (opened before ballots were "
            "published on the record); it cannot be recounted"
        )
    tally_doc = tallied[0]
    published = (tally_doc.get("data") or {}).get("result")
    if not isinstance(published, dict):
        raise VerificationFailed(f"{what}: the tally entry {tally_doc['index']} publishes no result in clear")
    options = [int(o) for o in rules_doc["options"]]
    late = [i for _, _, i in ballots if i > tally_doc["index"]]
    if late:
        raise VerificationFailed(f"{what}: ballots published after the tally (entries {late[:5]})")
    receipts: dict[str, int] = {}
    clean: list[list[int]] = []
    for receipt, choices, index in ballots:
        if receipt in receipts:
            raise VerificationFailed(f"{what}: receipt {receipt} appears twice (entries {receipts[receipt]}, {index})")
        receipts[receipt] = index
        if (
            not isinstance(choices, list)
            or any(type(c) is not int or c not in options for c in choices)
            or len(set(choices)) != len(choices)
            or len(choices) > int(rules_doc["max_choices"])
        ):
            raise VerificationFailed(f"{what}: ballot {receipt} (entry {index}) is not a valid ballot: {choices!r}")
        clean.append(choices)
    if len(ballots) != len(roll):
        extra = (
            f"; {len(withheld_ballots)} ballot entries on the log are withheld, which may be this vote's"
            if withheld_ballots
            else ""
        )
        raise VerificationFailed(
            f"{what}: {len(ballots)} ballots on the log but {len(roll)} voters on the roll: "
            + ("a ballot is missing" if len(ballots) < len(roll) else "a ballot has no voter")
            + extra
        )
    rules = rules_doc["rules"]
    households_recounted = rules["households"][0] > 0
    if households_recounted:
        households_present = len({(d.get("data") or {}).get("household") for d in roll} - {None})
    else:
        households_present = int(published.get("households_present") or 0)
    mine = count(
        clean,
        options,
        method=rules_doc["method"],
        rules=rules,
        electorate_size=int(rules_doc["electorate_size"]),
        household_count=int(rules_doc["household_count"]),
        households_present=households_present,
    )
    differences = []
    for key in COMPARED:
        theirs = published.get(key)
        ours = mine.get(key)
        if key == "options" and isinstance(theirs, list):
            theirs = [{k: v for k, v in o.items() if k != "label"} for o in theirs if isinstance(o, dict)]
        if _committed(theirs):
            continue  # not in clear on the record (e.g. the threshold's "≥"): recounted, not compared
        if theirs != ours:
            differences.append(f"{key}: published {theirs!r}, recount {ours!r}")
    if differences:
        raise VerificationFailed(
            f"{what}: the recount from {len(ballots)} ballot leaves differs from the published tally "
            f"(entry {tally_doc['index']}): " + "; ".join(differences)
        )
    counts = ", ".join(f"{o['id']}: {o.get('votes', o.get('final_round'))}" for o in mine["options"])
    outcome = (
        f"passed, option {mine['winner']}"
        if mine["passed"]
        else ("quorum not met" if not mine["quorum_met"] else "not passed")
    )
    return [
        f"{what}: rules from its opening entry {opened[0]['index']} ({rules_doc['method']}, "
        f"electorate {rules_doc['electorate_size']})",
        f"{what}: {len(ballots)} ballot leaves, receipts unique, choices valid; {len(roll)} voters on the roll"
        + (f"; {households_present} households represented" if households_recounted else ""),
        f"{what}: recount — present {mine['present']}, valid {mine['valid']}, options {{{counts}}}: {outcome}",
        f"{what}: recount matches the published tally (entry {tally_doc['index']})",
    ]


register_recounter("consult.formal_vote", PREFIX, recount, marker_records=("ballot", "formal_vote"))
