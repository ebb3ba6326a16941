"""Consultation inputs on the public record (issue 20 item 4).

Seed 003 (《关于党建引领基层高效能治理的几点思考》, 治理方式更智能): "区块链技术则可以确保协商过程的真实可信"
— the blockchain-style log makes the consultation process verifiable. Read as rules:

* every statement, every statement vote and every formal ballot is on the log (statement text only
  as a salted commitment; statement votes under a per-topic pseudonym, never the person);
* a secret ballot is not linked to its voter: the roll says who voted, the ballot (published at the
  close, shuffled) carries only the choice and the receipt the voter keeps;
* a voter proves their ballot was counted with the receipt (inclusion proof), and anyone recounts a
  published tally from the log alone (``gongzhi verify --recount``); a dropped or altered ballot is
  reported.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.utils import timezone

from gongzhi.consult import services, votes
from gongzhi.consult.models import Ballot, FormalVote, Statement
from gongzhi.core.models import Event
from gongzhi.ledger import services as ledger
from gongzhi.ledger.models import Leaf
from gongzhi.ledger.note import Signer
from gongzhi.ledger.public_fields import COMMITMENT
from gongzhi.org.models import Person

NOW = timezone.now().replace(microsecond=0)
OPEN = NOW - dt.timedelta(hours=1)
CLOSE = NOW + dt.timedelta(hours=1)
AFTER = CLOSE + dt.timedelta(minutes=1)


@pytest.fixture
def ledger_key(monkeypatch):
    signer = Signer.generate("gongzhi.local/ledger")
    monkeypatch.setenv("GONGZHI_LEDGER_KEY", signer.to_key())
    ledger.keys._signer_cache.clear()
    return signer


def entries(record_type=None, event_type=None) -> list[dict]:
    out = []
    for leaf in Leaf.objects.order_by("index"):
        doc = json.loads(bytes(leaf.entry))
        if (record_type is None or doc["record"]["type"] == record_type) and (
            event_type is None or doc["type"] == event_type
        ):
            out.append(doc)
    return out


def topic_with_statements(world, n_users=4):
    User = get_user_model()
    people = [User.objects.create_user(username=f"pr{i}") for i in range(n_users)]
    phases = [{"kind": "collect", "starts_at": NOW - dt.timedelta(days=1), "ends_at": NOW + dt.timedelta(days=3)}]
    t1 = services.create_topic(title="停车", scope="community", region=world.comm_a, phases=phases)
    t2 = services.create_topic(title="电梯", scope="community", region=world.comm_a, phases=phases)
    return people, t1, t2


def test_statements_and_statement_votes_are_on_the_record(world, users, ledger_key):
    people, t1, t2 = topic_with_statements(world)
    s1 = services.submit_statement(t1, people[0], "夜间开放单位停车场，电话13812345678")
    s2 = services.submit_statement(t2, people[0], "加装电梯按楼层分摊费用")
    for st in (s1, s2):
        Statement.objects.filter(pk=st.pk).update(status="accepted")
        st.refresh_from_db()
    services.cast_vote(s1, people[1], 1)
    services.cast_vote(s1, people[1], -1)  # a change of mind: both events are kept
    services.cast_vote(s1, people[2], 0)
    services.cast_vote(s2, people[1], 1)
    call_command("ledger", "sync")
    submitted = entries(event_type="consult.statement_submitted")
    assert len(submitted) == 2
    for doc in submitted:
        assert COMMITMENT.fullmatch(doc["data"]["text"])  # the text only as a salted commitment
        assert "1381234" not in json.dumps(doc, ensure_ascii=False)
    # the commitment opens with the private salt kept beside the leaf
    leaf = Leaf.objects.get(event_type="consult.statement_submitted", record=f"topic:{t1.pk}")
    doc = json.loads(bytes(leaf.entry))
    salt = bytes.fromhex(json.loads(leaf.salts)["/data/text"])
    assert ledger.commitment(salt, s1.text) == doc["data"]["text"]
    voted = entries(event_type="consult.statement_voted")
    assert [(d["data"]["statement"], d["data"]["value"]) for d in voted] == [
        (s1.pk, 1),
        (s1.pk, -1),
        (s1.pk, 0),
        (s2.pk, 1),
    ]
    # one pseudonym per participant per topic: links their votes in a topic, not across topics, never the id
    p1_t1 = {d["data"]["participant"] for d in voted[:2]}
    assert len(p1_t1) == 1 and voted[2]["data"]["participant"] not in p1_t1
    assert voted[3]["data"]["participant"] not in p1_t1  # the same person in another topic
    assert p1_t1 == {services.participant_pseudonym(t1, people[1].pk)}
    for d in voted:
        assert str(people[1].pk) != d["data"]["participant"] and COMMITMENT.fullmatch(d["personal"]["actor"])
    # the author's pseudonym is the one their votes would carry in that topic
    assert submitted[0]["data"]["participant"] == services.participant_pseudonym(t1, people[0].pk)
    # anyone counts the statement votes from the log: each participant's latest vote
    from gongzhi.consult.recount import recount

    lines = recount(f"topic:{t1.pk}", entries())
    assert lines[0].endswith("1 statements (texts as commitments), 3 statement votes by 2 participants")
    assert lines[1].endswith(f"statement {s1.pk}: agree 0, disagree 1, pass 1 (latest vote of each participant)")


def make_vote(world, users, **kw):
    kw.setdefault("preset", "simple_majority")
    return votes.create_vote(
        title="小区加装电梯方案",
        region=world.comm_a,
        electorate="residents",
        method=kw.pop("method", "single"),
        options=["同意", "不同意", "弃权"],
        opens_at=OPEN,
        closes_at=CLOSE,
        actor=users["community_cadre"],
        **kw,
    )


def cast(vote, users, picks):
    """Officer-entered ballots, one per elector in roll order; returns the receipts."""
    ids = list(vote.options.order_by("position").values_list("id", flat=True))
    keys = list(vote.electors.order_by("id").values_list("key", flat=True)[: len(picks)])
    out = []
    for key, pick in zip(keys, picks, strict=True):
        choice = [ids[i] for i in pick] if isinstance(pick, tuple) else [ids[pick]]
        out.append(votes.cast_ballot(vote, choice, elector_key=key, officer=users["community_cadre"], at=NOW).receipt)
    return out


def test_secret_ballots_roll_and_receipts(world, users, ledger_key):
    vote = make_vote(world, users)
    receipts = cast(vote, users, [0, 0, 1, 2, 0])
    assert len(set(receipts)) == 5
    call_command("ledger", "sync")
    # while open: the roll is public (who voted, as commitments), no ballot is
    roll = entries(event_type="consult.roll_recorded")
    assert len(roll) == 5 and not entries(event_type="consult.ballot_published")
    text = json.dumps(roll)
    for doc in roll:
        assert set(doc["data"]) == {"channel"} and COMMITMENT.fullmatch(doc["personal"]["elector"])
    assert not any(r in text for r in receipts)  # the roll never names a receipt
    assert votes.check_receipt(receipts[0])["status"] == "recorded"
    votes.close_vote(FormalVote.objects.get(pk=vote.pk), actor=users["community_cadre"], at=AFTER)
    call_command("ledger", "sync")
    ballots = entries(event_type="consult.ballot_published")
    assert sorted(d["record"]["id"] for d in ballots) == sorted(receipts)
    for d in ballots:
        assert set(d["data"]) == {"vote", "choices"} and d["personal"] == {}  # no voter, no actor
    assert len({d["occurred_at"] for d in ballots}) == 1  # one time for all: no casting order
    tally = entries(event_type="consult.vote_tallied")[0]
    assert max(Leaf.objects.filter(event_type="consult.ballot_published").values_list("index", flat=True)) < (
        Leaf.objects.get(event_type="consult.vote_tallied").index
    )
    assert tally["data"]["result"]["present"] == 5
    # a voter checks their receipt: the leaf, its choice and a verified inclusion proof
    found = votes.check_receipt(receipts[2])
    yes, no = vote.options.order_by("position").values_list("id", flat=True)[:2]
    assert found["status"] == "published" and found["verified"] and found["choices"] == [no]
    assert found["proof"]["record"] == f"ballot:{receipts[2]}"


def test_receipt_api_and_page(client, world, users, ledger_key):
    vote = make_vote(world, users)
    person = Person.objects.get(pk=int(vote.electors.order_by("id").first().key[2:]))
    person.user = get_user_model().objects.create_user("voter1", password="x")
    person.save()
    client.force_login(person.user)
    yes = vote.options.order_by("position").first().pk
    r = client.post(f"/api/v1/consult/votes/{vote.pk}/ballots", {"choices": [yes]}, content_type="application/json")
    assert r.status_code == 201
    receipt = r.json()["receipt"]
    assert Ballot.objects.filter(pk=receipt).exists()
    client.logout()
    r = client.get(f"/api/v1/consult/ballots/{receipt}")  # public: no token
    assert r.status_code == 200 and r.json()["status"] == "recorded" and "choices" not in r.json()
    FormalVote.objects.filter(pk=vote.pk).update(closes_at=NOW - dt.timedelta(minutes=1), opens_at=OPEN)
    votes.close_due()
    call_command("ledger", "sync")
    r = client.get(f"/api/v1/consult/ballots/{receipt}")
    body = r.json()
    assert body["status"] == "published" and body["verified"] and body["choices"] == [yes]
    html = client.get(f"/consult/receipt/?receipt={receipt}").content.decode()
    assert 'data-status="published"' in html and 'id="receipt-verified"' in html
    assert client.get("/api/v1/consult/ballots/00000000-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/api/v1/consult/ballots/not-a-receipt").status_code == 400


def export(tmp_path: Path, name: str) -> Path:
    out = tmp_path / name
    call_command("ledger", "export", str(out))
    return out


def run_verify(directory: Path, signer, *targets) -> str:
    import io

    buf = io.StringIO()
    args = [str(directory), "--key", signer.verifier.to_key()]
    for t in targets:
        args += ["--recount", t]
    call_command("verify", *args, stdout=buf)
    return buf.getvalue()


@pytest.mark.parametrize("method", ["single", "approval", "ranked"])
def test_recount_from_the_log_matches_the_tally(world, users, ledger_key, tmp_path, method):
    topic = services.create_topic(
        title="加装电梯",
        scope="community",
        region=world.comm_a,
        phases=[{"kind": "collect", "starts_at": OPEN, "ends_at": CLOSE}],
    )
    vote = make_vote(world, users, method=method, topic=topic)
    picks = {
        "single": [0, 0, 1, 2, 0, 1, 0],
        "approval": [(0, 1), (0,), (1,), (), (0, 2), (1,), (0,)],
        "ranked": [(2, 0), (2, 1), (1, 0), (0,), (0, 1), (1, 2), (0, 2)],
    }[method]
    cast(vote, users, picks)
    votes.close_vote(FormalVote.objects.get(pk=vote.pk), actor=users["community_cadre"], at=AFTER)
    call_command("ledger", "sync")
    out = run_verify(export(tmp_path, "log"), ledger_key, f"topic:{topic.pk}", f"formal_vote:{vote.pk}")
    assert f"formal vote {vote.pk}: recount matches the published tally" in out
    assert "7 ballot leaves" in out


def test_recount_reports_a_dropped_ballot(world, users, ledger_key, tmp_path):
    vote = make_vote(world, users)
    receipts = cast(vote, users, [0, 0, 1])
    votes.close_vote(FormalVote.objects.get(pk=vote.pk), actor=users["community_cadre"], at=AFTER)
    # the operator leaves one ballot off the log (its outbox event never reaches the ledger)
    Event.objects.filter(type="consult.ballot_published", aggregate_id=receipts[1]).delete()
    call_command("ledger", "sync")
    with pytest.raises(CommandError, match="2 ballots on the log but 3 voters on the roll"):
        run_verify(export(tmp_path, "log"), ledger_key, f"formal_vote:{vote.pk}")


def test_recount_reports_a_ballot_altered_before_it_was_logged(world, users, ledger_key, tmp_path):
    vote = make_vote(world, users)
    receipts = cast(vote, users, [0, 0, 1])
    votes.close_vote(FormalVote.objects.get(pk=vote.pk), actor=users["community_cadre"], at=AFTER)
    no = vote.options.order_by("position").values_list("id", flat=True)[1]
    ev = Event.objects.get(type="consult.ballot_published", aggregate_id=receipts[0])
    ev.payload = {**ev.payload, "choices": [no]}
    ev.save()
    call_command("ledger", "sync")
    with pytest.raises(CommandError, match="differs from the published tally"):
        run_verify(export(tmp_path, "log"), ledger_key, f"formal_vote:{vote.pk}")


def test_recount_reports_a_tampered_ballot_leaf(world, users, ledger_key, tmp_path):
    vote = make_vote(world, users)
    cast(vote, users, [0, 1, 1])
    votes.close_vote(FormalVote.objects.get(pk=vote.pk), actor=users["community_cadre"], at=AFTER)
    call_command("ledger", "sync")
    out = export(tmp_path, "log")
    assert "recount matches" in run_verify(out, ledger_key, f"formal_vote:{vote.pk}")
    # someone edits a published ballot in the entry bundle: its hash no longer reaches the signed root
    yes, no = vote.options.order_by("position").values_list("id", flat=True)[:2]
    bundles = sorted(p for p in (out / "tile" / "entries").rglob("*") if p.is_file())
    needle = f'"choices":[{no}]'.encode()
    target = next(p for p in bundles if needle in p.read_bytes())
    target.write_bytes(target.read_bytes().replace(needle, f'"choices":[{yes}]'.encode(), 1))
    with pytest.raises(CommandError, match=r"entry \d+ \(consult.ballot_published, record ballot:"):
        run_verify(out, ledger_key, f"formal_vote:{vote.pk}")


def test_household_quorum_is_recounted_from_the_roll(world, users, ledger_key, tmp_path):
    vote = make_vote(world, users, preset="villagers_assembly")
    n = min(6, vote.electorate_size)
    cast(vote, users, [0] * n)
    roll = [e.payload for e in Event.objects.filter(type="consult.roll_recorded")]
    with_household = [p for p in roll if "household" in p]
    assert with_household and all(len(p["household"]) == 24 for p in with_household)
    votes.close_vote(FormalVote.objects.get(pk=vote.pk), actor=users["community_cadre"], at=AFTER)
    call_command("ledger", "sync")
    out = run_verify(export(tmp_path, "log"), ledger_key, f"formal_vote:{vote.pk}")
    assert "households represented" in out and "recount matches" in out


def test_recount_of_an_unknown_target(world, users, ledger_key, tmp_path):
    make_vote(world, users)
    call_command("ledger", "sync")
    with pytest.raises(CommandError, match="no published tally"):
        run_verify(export(tmp_path, "log"), ledger_key, f"formal_vote:{FormalVote.objects.get().pk}")
    with pytest.raises(CommandError, match="no statement and no formal vote of topic 999999"):
        run_verify(export(tmp_path, "log2"), ledger_key, "999999")
