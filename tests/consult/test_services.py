from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gongzhi.consult import services
from gongzhi.consult.models import Phase, Statement, StatementVote, Topic
from gongzhi.consult.polis_io import read_export
from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError, Forbidden

pytestmark = pytest.mark.django_db


@pytest.fixture
def region(db):
    from gongzhi.core.services import create_region

    city = create_region(SYSTEM, code="330100", name="市", level="city")
    district = create_region(SYSTEM, code="330102", name="区", level="district", parent=city)
    street = create_region(SYSTEM, code="330102001", name="街道", level="street", parent=district)
    return create_region(SYSTEM, code="330102001001", name="社区", level="community", parent=street)


@pytest.fixture
def users(db):
    User = get_user_model()
    return [User.objects.create_user(username=f"r{i}") for i in range(24)]


@pytest.fixture
def moderator(db):
    return get_user_model().objects.create_superuser(username="mod", email="", password=None)


def _phases(now=None, collect_days=(-1, 5)):
    now = now or timezone.now()
    a, b = collect_days
    return [
        {
            "kind": "collect",
            "starts_at": now + timedelta(days=a),
            "ends_at": now + timedelta(days=b),
            "rules": "每人可提交多条观点",
        },
        {"kind": "vote", "starts_at": now + timedelta(days=b), "ends_at": now + timedelta(days=b + 3)},
        {"kind": "publish", "starts_at": now + timedelta(days=b + 3), "ends_at": now + timedelta(days=b + 10)},
    ]


@pytest.fixture
def topic(region, users):
    return services.create_topic(
        title="小区停车怎么管", scope="community", region=region, phases=_phases(), proposed_by=users[0]
    )


def test_topic_with_phases_and_current_phase(topic):
    assert [p.kind for p in topic.phases.order_by("starts_at")] == ["collect", "vote", "publish"]
    assert services.current_phase(topic).kind == "collect"
    later = timezone.now() + timedelta(days=6)
    assert services.current_phase(topic, later).kind == "vote"


@pytest.mark.parametrize(
    "change, fragment",
    [
        (lambda p: p.reverse(), "阶段顺序"),
        (lambda p: p.append(dict(p[0])), "只能出现一次"),
        (lambda p: p.pop(0), "征集"),
        (lambda p: p[1].update(starts_at=p[0]["starts_at"]), "重叠"),
        (lambda p: p[0].update(ends_at=p[0]["starts_at"]), "晚于开始"),
        (lambda p: p[0].update(kind="debate"), "未知的阶段"),
    ],
)
def test_bad_phases_are_refused_and_nothing_written(region, change, fragment):
    phases = _phases()
    change(phases)
    with pytest.raises(DomainError, match=fragment):
        services.create_topic(title="t", scope="community", region=region, phases=phases)
    assert Topic.objects.count() == 0 and Phase.objects.count() == 0


def test_branch_topic_needs_its_unit(region):
    with pytest.raises(DomainError, match="联盟/支部") as exc:
        services.create_topic(title="t", scope="branch", region=region, phases=_phases())
    assert exc.value.field == "unit"


def test_statement_moderation_and_votes(topic, users, moderator):
    st = services.submit_statement(topic, users[1], "  夜间 临时停车 应该免费  ")
    assert st.text == "夜间 临时停车 应该免费" and st.status == Statement.Status.PENDING
    with pytest.raises(DomainError, match="相同的观点"):
        services.submit_statement(topic, users[2], "夜间 临时停车 应该免费")
    with pytest.raises(DomainError, match="尚未采纳"):
        services.cast_vote(st, users[2], 1)
    with pytest.raises(Forbidden):
        services.moderate_statement(st, users[3], accept=True)
    with pytest.raises(DomainError, match="须说明理由"):
        services.moderate_statement(st, moderator, accept=False)
    st = services.moderate_statement(st, moderator, accept=True)
    assert st.status == Statement.Status.ACCEPTED and st.moderated_by == moderator
    services.cast_vote(st, users[2], 1)
    services.cast_vote(st, users[2], -1)
    with pytest.raises(DomainError, match="赞同"):
        services.cast_vote(st, users[2], 2)
    assert StatementVote.objects.filter(statement=st).count() == 2
    bad = services.submit_statement(topic, users[4], "广告：代办车位")
    bad = services.moderate_statement(bad, moderator, accept=False, reason="广告，与议题无关")
    assert bad.moderation_reason == "广告，与议题无关"


def test_no_statements_or_votes_outside_their_phases(region, users, moderator):
    t = services.create_topic(title="x", scope="village", region=region, phases=_phases(collect_days=(1, 5)))
    with pytest.raises(DomainError, match="只有在征集、协商阶段才能提交观点") as exc:
        services.submit_statement(t, users[1], "一个观点内容")
    assert exc.value.code == "closed"
    soon = timezone.now() + timedelta(days=2)
    st = services.submit_statement(t, users[1], "一个观点内容", at=soon)
    st = services.moderate_statement(st, moderator, accept=True)
    with pytest.raises(DomainError, match="表决"):
        services.cast_vote(st, users[2], 1, at=timezone.now() + timedelta(days=6))


def _camps(topic, users, moderator, n_statements=8):
    stmts = []
    for i in range(n_statements):
        st = services.submit_statement(topic, users[0], f"观点第{i}条：具体内容")
        stmts.append(services.moderate_statement(st, moderator, accept=True))
    for k, u in enumerate(users[1:]):
        camp = k % 2
        for i, st in enumerate(stmts):
            value = 1 if i == 0 else (1 if i % 2 == camp else -1)
            services.cast_vote(st, u, value)
    return stmts


def test_analysis_export_round_trip(topic, users, moderator, tmp_path):
    stmts = _camps(topic, users, moderator)
    an = services.analyse_topic(topic)
    assert an.n_groups == 2
    assert an.most_common_ground(1)[0][0] == stmts[0].id
    files = services.export_polis(topic)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    conv = read_export(tmp_path)
    assert sorted(conv.statements) == sorted(s.id for s in stmts)
    assert conv.votes_value.shape[0] == 23 * 8
    # Participant numbers are pseudonymous: the author appears first as 0, no user ids.
    assert conv.statements[stmts[0].id].author_id == 0
    assert set(conv.votes_participant.tolist()) == set(range(1, 24))
    from gongzhi.consult import math as cm

    again = cm.analyse(
        cm.build_vote_matrix(conv.votes_participant, conv.votes_statement, conv.votes_value, conv.votes_timestamp),
        conv.moderated_out,
    )
    assert sorted(again.group_sizes()) == sorted(an.group_sizes())


def test_next_statement_prefers_informative_unseen_statements(topic, users, moderator):
    stmts = _camps(topic, users, moderator)
    newcomer = get_user_model().objects.create_user(username="new")
    # A fresh statement nobody has seen gets the new-statement boost.
    fresh = services.moderate_statement(
        services.submit_statement(topic, users[1], "新的观点：增加充电桩"), moderator, accept=True
    )
    assert services.next_statement(topic, newcomer) == fresh
    services.cast_vote(fresh, newcomer, 0)
    chosen = services.next_statement(topic, newcomer)
    assert chosen is not None and chosen != fresh
    # Nothing already voted on or authored by the voter is shown; at the end there is nothing left.
    seen = {fresh.id}
    while (nxt := services.next_statement(topic, newcomer)) is not None:
        assert nxt.id not in seen
        seen.add(nxt.id)
        services.cast_vote(nxt, newcomer, 1)
    assert seen == {s.id for s in stmts} | {fresh.id}
    assert services.next_statement(topic, users[0]) == fresh  # users[0] wrote the others


# --- live analysis: one update per burst of votes (docs/consultation.md §8) ----------------------


def _spread_votes(topic, seconds_apart=10):
    """Give each voter's votes their own second, voters ``seconds_apart`` apart: one burst per voter."""
    t0 = timezone.now() - timedelta(hours=1)
    voters = sorted(set(StatementVote.objects.filter(statement__topic=topic).values_list("voter_id", flat=True)))
    for i, voter in enumerate(voters):
        StatementVote.objects.filter(statement__topic=topic, voter_id=voter).update(
            created_at=t0 + timedelta(seconds=i * seconds_apart)
        )
    return len(voters)


def _replay_of(topic):
    from gongzhi.consult import math as cm

    p, s, v, t = services.topic_votes(topic)
    return cm.replay(p, s, v, t, services._rejected(topic))


def test_live_analysis_runs_one_update_per_burst_as_the_replay_does(topic, users, moderator):
    from gongzhi.consult.models import LiveAnalysis
    from gongzhi.core.models import Event

    _camps(topic, users, moderator)
    bursts = _spread_votes(topic)
    assert services.update_live_analysis(topic) == bursts == 23
    live = LiveAnalysis.objects.get(topic=topic)
    assert (live.updates, live.votes_covered, live.n_groups) == (23, 23 * 8, 2)
    assert (
        live.through_vote_id
        == StatementVote.objects.filter(statement__topic=topic).order_by("created_at", "id").last().id
    )
    ev = Event.objects.filter(type="consult.analysis_updated").get()
    assert ev.payload == {"updates": 23, "votes": 23 * 8, "groups": 2}
    # The stored state is the replay's, and the page's groups are the last update's.
    replay = _replay_of(topic)
    assert live.state == replay.state.to_json() and live.prior_state == replay.prior.to_json()
    shown = services.analyse_topic(topic)
    assert shown.labels.tolist() == replay.analysis.labels.tolist()
    # Nothing new: nothing runs, nothing is written.
    assert services.update_live_analysis(topic) == 0
    assert LiveAnalysis.objects.get(topic=topic).version == live.version
    assert Event.objects.filter(type="consult.analysis_updated").count() == 1


def test_live_analysis_in_steps_ends_where_one_run_ends(topic, users, moderator):
    from gongzhi.consult.models import LiveAnalysis

    _camps(topic, users, moderator)
    _spread_votes(topic)
    steps = 0
    while services.update_live_analysis(topic, budget_seconds=0):  # stops after each update
        steps += 1
    live = LiveAnalysis.objects.get(topic=topic)
    assert steps == live.updates == 23
    assert live.state == _replay_of(topic).state.to_json()


def test_newest_burst_waits_until_votes_settle(topic, users, moderator):
    from gongzhi.consult.models import LiveAnalysis

    stmts = _camps(topic, users, moderator)
    _spread_votes(topic)
    services.update_live_analysis(topic)
    services.cast_vote(stmts[1], users[3], -1)  # a change of mind, just now
    now = timezone.now()
    assert services.update_live_analysis(topic, now=now) == 0  # more votes may come in this second
    assert LiveAnalysis.objects.get(topic=topic).updates == 23
    # The page already shows what that update will give.
    ahead = services.analyse_topic(topic)
    assert services.update_live_analysis(topic, now=now + timedelta(seconds=services.LIVE_SETTLE_SECONDS + 1)) == 1
    assert services.analyse_topic(topic).labels.tolist() == ahead.labels.tolist()


def test_concurrent_update_conflicts_and_changes_nothing(topic, users, moderator, monkeypatch):
    from gongzhi.consult import math as cm
    from gongzhi.consult.models import LiveAnalysis
    from gongzhi.core.errors import Conflict

    _camps(topic, users, moderator)
    _spread_votes(topic)
    real = cm.replay

    def racing(*args, **kw):  # another worker commits while this one computes
        LiveAnalysis.objects.filter(topic=topic).update(version=7)
        return real(*args, **kw)

    monkeypatch.setattr(cm, "replay", racing)
    with pytest.raises(Conflict):
        services.update_live_analysis(topic)
    live = LiveAnalysis.objects.filter(topic=topic).first()
    assert live is None or (live.updates == 0 and live.state is None)


def test_scheduled_job_updates_only_topics_with_new_votes(topic, users, moderator, region):
    quiet = services.create_topic(title="没有人表态的议题", scope="community", region=region, phases=_phases())
    _camps(topic, users, moderator)
    _spread_votes(topic)
    assert services.update_live_analyses() == {topic.pk: 23}
    assert services.update_live_analyses() == {}
    assert not hasattr(quiet, "live_analysis") or quiet.live_analysis is None


def test_live_analysis_starts_again_when_its_last_vote_is_gone(topic, users, moderator):
    from gongzhi.consult.models import LiveAnalysis

    stmts = _camps(topic, users, moderator)
    _spread_votes(topic)
    services.update_live_analysis(topic)
    stmts[-1].delete()  # e.g. removed in the back office: its votes go with it, the last one too
    assert services.analyse_topic(topic).n_groups == 2  # a fresh analysis, not a stale state
    assert services.update_live_analysis(topic) == 23
    live = LiveAnalysis.objects.get(topic=topic)
    assert (live.updates, live.votes_covered) == (23, 23 * 7)
    assert live.state == _replay_of(topic).state.to_json()
