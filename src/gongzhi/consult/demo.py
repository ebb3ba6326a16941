"""Demo data for consultation: a few topics in the demo district with moderated statements and a
two-camp pattern of votes (so the opinion map shows groups and a 最大公约数 list), one topic still
collecting, and one finished formal vote with its tally and minutes. Deterministic by seed."""

from __future__ import annotations

import datetime as dt
import random
import uuid

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.events import build_many, dispatch_after_commit
from gongzhi.core.models import Event, Region
from gongzhi.org.models import StaffRole

from . import services, votes
from .models import Ballot, Elector, FormalVote, RollEntry, Statement, StatementVote, Topic

TOPICS = [
    (
        "小区停车难怎么解决",
        [
            "划定夜间临时停车位，白天恢复消防通道",  # common ground
            "收取停车管理费，用于维护车位",
            "禁止外来车辆进入小区",
            "与周边单位错峰共享停车位",
            "拆除部分绿地改建停车位",
            "严格处罚占用消防通道的车辆",
            "增设充电桩车位",
            "由业委会统一管理停车收益",
        ],
    ),
    (
        "村集体收益如何使用",
        [
            "收益使用方案须经村民会议表决并公开账目",  # common ground
            "优先修缮村内道路和路灯",
            "按户平均分红",
            "设立困难户救助基金",
            "投资发展乡村旅游项目",
            "为高龄老人发放补贴",
        ],
    ),
    (
        "老旧小区加装电梯",
        [
            "加装方案公开征求每栋楼居民意见",  # common ground
            "低层住户应获得适当补偿",
            "费用按楼层分摊",
            "政府补贴之外不再由居民出资",
            "优先为有高龄老人的楼栋加装",
        ],
    ),
]
PARTICIPANTS = {"tiny": 24, "district": 60, "city": 120}


def _communities() -> list[Region]:
    first = (
        StaffRole.objects.filter(user__username="community", role="community_cadre").select_related("region").first()
    )
    comms = list(Region.objects.filter(level="community").order_by("code"))
    if not comms:
        return []
    out = [first.region] if first and first.region.level == "community" else [comms[0]]
    rural = next((c for c in comms if c.kind == "rural" and c not in out), None)
    out.append(rural or comms[-1])
    out.append(next((c for c in comms if c not in out), comms[0]))
    return out


def _public_inputs(topic: Topic, people: list) -> None:
    """The statements and statement votes of a demo topic on the public record, as the services
    write them one by one (bulk here: a few inserts per topic; each vote at its own time)."""
    authors = {u.pk: u for u in people}
    batch = [
        (*services.statement_event(st, topic), authors.get(st.author_id))
        for st in Statement.objects.filter(topic=topic).order_by("id")
    ]
    rows = list(
        StatementVote.objects.filter(statement__topic=topic)
        .order_by("created_at", "id")
        .values_list("statement_id", "voter_id", "value", "created_at")
    )
    batch += [(*services.statement_vote_event(topic, sid, uid, val), authors.get(uid)) for sid, uid, val, _ in rows]
    events = build_many(batch, aggregate_type="topic", aggregate_id=topic.pk, region=topic.region)
    for e, (*_, at) in zip(events[-len(rows) :] if rows else [], rows, strict=True):
        e.occurred_at = at
    Event.objects.bulk_create(events, batch_size=1000)
    dispatch_after_commit()


@transaction.atomic
def generate(*, seed: int, scale: str, progress) -> dict[str, int]:
    rng = random.Random(seed * 31 + 5)
    comms = _communities()
    if not comms:
        return {}
    User = get_user_model()
    n = PARTICIPANTS.get(scale, PARTICIPANTS["district"])
    now = timezone.now().replace(second=0, microsecond=0)
    prefix = "consult_demo_"
    User.objects.bulk_create(
        User(username=f"{prefix}{i:03d}", password="!", first_name=f"居民{i + 1}") for i in range(n)
    )
    people = list(User.objects.filter(username__startswith=prefix).order_by("username"))
    moderator = User.objects.filter(is_superuser=True).order_by("id").first()
    total = len(TOPICS) + 1
    n_statements = n_votes = 0
    topics = []
    for ti, ((title, texts), region) in enumerate(zip(TOPICS, [comms[0], comms[1], comms[0]])):
        progress("consult", ti, total)
        start = now - dt.timedelta(days=10)
        still_open = ti != 2
        if still_open:
            phases = [
                ("collect", start, now + dt.timedelta(days=4)),
                ("deliberate", now + dt.timedelta(days=4), now + dt.timedelta(days=10)),
                ("vote", now + dt.timedelta(days=10), now + dt.timedelta(days=13)),
                ("publish", now + dt.timedelta(days=13), now + dt.timedelta(days=20)),
            ]
        else:
            start = now - dt.timedelta(days=30)
            phases = [
                ("collect", start, now - dt.timedelta(days=20)),
                ("deliberate", now - dt.timedelta(days=20), now - dt.timedelta(days=12)),
                ("vote", now - dt.timedelta(days=12), now - dt.timedelta(days=8)),
                ("publish", now - dt.timedelta(days=8), now + dt.timedelta(days=5)),
            ]
        topic = services.create_topic(
            title=title,
            scope="village" if region.kind == "rural" else "community",
            region=region,
            description="居民线上提出观点、对他人观点表态，平台找出各方的最大公约数。",
            phases=[
                {
                    "kind": k,
                    "starts_at": a,
                    "ends_at": b,
                    "rules": "实名参与；观点须与议题相关、文明表达；主持人审核后公开。",
                }
                for k, a, b in phases
            ],
            source="resident" if ti != 1 else "data",
        )
        topics.append(topic)
        sts = Statement.objects.bulk_create(
            Statement(
                topic=topic,
                author=people[j % n],
                text=t,
                status=Statement.Status.ACCEPTED,
                moderated_by=moderator,
                moderated_at=start,
            )
            for j, t in enumerate(texts)
        )
        Statement.objects.create(
            topic=topic,
            author=people[-1],
            text="楼下小卖部打折了，快来买",
            status="rejected",
            moderation_reason="广告，与议题无关",
            moderated_by=moderator,
            moderated_at=start,
        )
        Statement.objects.create(topic=topic, author=people[1], text="建议定期召开议事会通报进展")
        rows = []
        for pi, user in enumerate(people):
            camp = pi % 2
            for j, st in enumerate(sts):
                if j and rng.random() < 0.2:
                    continue
                if j == 0:
                    v = 1 if rng.random() < 0.9 else 0
                elif rng.random() < 0.12:
                    v = 0
                else:
                    v = 1 if (j % 2 == camp) == (rng.random() < 0.85) else -1
                rows.append(StatementVote(statement=st, voter=user, value=v))
        created = StatementVote.objects.bulk_create(rows, batch_size=2000)
        # spread the votes over the days of the collect phase (participation over time)
        days = max(1, min(9, (min(now, phases[0][2]) - start).days))
        ids = [r.pk for r in created if r.pk is not None] or list(
            StatementVote.objects.filter(statement__topic=topic).order_by("id").values_list("id", flat=True)
        )
        chunk = -(-len(ids) // days)
        for d in range(days):
            part = ids[d * chunk : (d + 1) * chunk]
            if part:
                StatementVote.objects.filter(pk__in=part).update(
                    created_at=start + dt.timedelta(days=d, hours=rng.randint(8, 20))
                )
        _public_inputs(topic, people)
        services.update_live_analysis(topic)  # what the scheduled job would do: the live groups
        n_statements += len(sts) + 2
        n_votes += len(rows)
    # one finished formal vote (villagers' assembly rules) on the third topic, tallied and minuted
    progress("consult", len(TOPICS), total)
    region = topics[2].region
    vote = votes.create_vote(
        title="老旧小区加装电梯实施方案",
        region=region,
        electorate="residents",
        method="single",
        preset="villagers_assembly",
        options=["同意", "不同意", "弃权"],
        opens_at=now - dt.timedelta(days=12),
        closes_at=now - dt.timedelta(days=8),
        topic=topics[2],
        description="按村民会议规则：过半数居民或三分之二以上户代表参加，到会人员过半数通过。",
        actor=SYSTEM,
    )
    options = list(vote.options.order_by("position").values_list("id", flat=True))
    electors = list(Elector.objects.filter(vote=vote).order_by("id"))
    present = electors[: len(electors) * 3 // 5 + 1]
    roll = RollEntry.objects.bulk_create(
        RollEntry(vote=vote, elector=e, channel="online" if i % 3 else "in_person") for i, e in enumerate(present)
    )
    # the roll on the public record, as cast_ballot writes it (who as a commitment, never how)
    Event.objects.bulk_create(
        build_many(
            [(*votes.roll_event(vote, r.elector, r.channel), None) for r in roll],
            aggregate_type="formal_vote",
            aggregate_id=vote.pk,
            region=vote.region,
        ),
        batch_size=1000,
    )
    weights = [0.72, 0.2, 0.08]
    Ballot.objects.bulk_create(
        Ballot(id=uuid.UUID(int=rng.getrandbits(128)), vote=vote, choices=[rng.choices(options, weights)[0]])
        for _ in present
    )
    votes.close_vote(FormalVote.objects.get(pk=vote.pk), actor=SYSTEM, at=now)
    progress("consult", total, total)
    return {
        "consult_topics": len(TOPICS),
        "consult_statements": n_statements,
        "consult_votes": n_votes,
        "formal_votes": 1,
        "formal_ballots": len(present),
    }
