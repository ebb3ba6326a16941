"""Cloud consultation (云协商): topics with phases, statements with moderation, statement votes.

All writes go through :mod:`gongzhi.consult.services`.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.core.models import Region


def new_key() -> str:
    """A fresh 256-bit key (hex) for keyed pseudonyms on the public record."""
    return secrets.token_hex(32)


class Topic(models.Model):
    """A public matter (议题) put to residents, with a scope and dated phases."""

    class Scope(models.TextChoices):
        COMMUNITY = "community", _("社区")
        VILLAGE = "village", _("村")
        ALLIANCE = "alliance", _("共建联盟")
        BRANCH = "branch", _("党支部")

    class Source(models.TextChoices):
        RESIDENT = "resident", _("居民提出")
        UNIT = "unit", _("单位提出")
        DATA = "data", _("数据发现")

    title = models.CharField(_("议题"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    scope = models.CharField(_("范围"), max_length=12, choices=Scope.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="topics", verbose_name=_("所在区域"))
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="topics",
        verbose_name=_("联盟/支部"),
    )
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.RESIDENT)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("提出人"),
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Keys the participants' pseudonyms on the public record (services.participant_pseudonym): one
    # key per topic, so a participant's votes link within a topic and never across topics. Secret.
    pseudonym_key = models.CharField(max_length=64, default=new_key, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("议题")
        verbose_name_plural = _("议题")

    def __str__(self) -> str:
        return self.title


class Phase(models.Model):
    """One dated phase of a topic: collect → deliberate → vote → publish → follow up."""

    class Kind(models.TextChoices):
        COLLECT = "collect", _("征集")
        DELIBERATE = "deliberate", _("协商")
        VOTE = "vote", _("表决")
        PUBLISH = "publish", _("公示")
        FOLLOW_UP = "follow_up", _("跟踪落实")

    ORDER = ["collect", "deliberate", "vote", "publish", "follow_up"]

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(_("阶段"), max_length=12, choices=Kind.choices)
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    rules = models.TextField(_("规则"), blank=True)

    class Meta:
        ordering = ["topic", "starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["topic", "kind"], name="consult_phase_once_per_topic"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="consult_phase_ends_after_start"
            ),
        ]
        verbose_name = _("阶段")
        verbose_name_plural = _("阶段")

    def __str__(self) -> str:
        return f"{self.topic} · {self.get_kind_display()}"


class Statement(models.Model):
    """A short statement written by a participant; shown to others once a moderator accepts it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        ACCEPTED = "accepted", _("已采纳")
        REJECTED = "rejected", _("未采纳")

    MAX_LENGTH = 280

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="statements")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("作者"),
    )
    text = models.CharField(_("观点"), max_length=MAX_LENGTH)
    status = models.CharField(_("审核状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    moderation_reason = models.CharField(_("审核理由"), max_length=200, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("审核人"),
    )
    moderated_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)

    class Meta:
        ordering = ["topic", "id"]
        indexes = [models.Index(fields=["topic", "status"])]
        verbose_name = _("观点")
        verbose_name_plural = _("观点")

    def __str__(self) -> str:
        return self.text[:40]


class StatementVote(models.Model):
    """One vote event (agree 1 / disagree −1 / pass 0). Votes are never edited: a participant who
    changes their mind casts again and the latest vote counts, as in pol.is."""

    class Value(models.IntegerChoices):
        AGREE = 1, _("赞同")
        PASS = 0, _("跳过")
        DISAGREE = -1, _("反对")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    value = models.SmallIntegerField(_("表态"), choices=Value.choices)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["statement", "voter"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__in=[-1, 0, 1]), name="consult_vote_value"),
        ]
        verbose_name = _("观点表态")
        verbose_name_plural = _("观点表态")


class LiveAnalysis(models.Model):
    """Where the topic's opinion groups stand: pol.is's live state, carried from update to update.

    One update runs per burst of votes (votes at most a second apart, ``consult.math.bursts``),
    each continuing from the last, so the groups a participant sees do not jump about between
    visits and are a function of the vote log alone. Written only by
    ``services.update_live_analysis`` (the scheduled job ``consult.update_live_analyses``).
    """

    topic = models.OneToOneField(
        Topic, on_delete=models.CASCADE, primary_key=True, related_name="live_analysis", verbose_name=_("议题")
    )
    state = models.JSONField(_("聚类状态"), null=True, blank=True)  # ClusterState after the last update
    prior_state = models.JSONField(null=True, blank=True)  # before it: the last update can be redone
    through_vote_id = models.BigIntegerField(_("已处理至表态"), null=True, blank=True)
    votes_covered = models.PositiveIntegerField(_("已处理表态数"), default=0)
    updates = models.PositiveIntegerField(_("更新次数"), default=0)
    n_groups = models.PositiveSmallIntegerField(_("观点群体数"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("实时观点分析")
        verbose_name_plural = _("实时观点分析")

    def __str__(self) -> str:
        return f"{self.topic_id}: {self.updates} updates, {self.n_groups} groups"


# --- formal votes (表决) ---------------------------------------------------------------------------


class FormalVote(models.Model):
    """A formal vote with an electorate fixed when it opens, quorum and threshold stored as data.

    Secrecy: :class:`Ballot` rows carry no voter and no time; :class:`RollEntry` records who voted
    (and by which channel) but not how. Results are computed only after ``closes_at``."""

    class Electorate(models.TextChoices):
        RESIDENTS = "residents", _("社区/村登记居民（18周岁以上）")
        ALLIANCE = "alliance", _("联盟成员单位")
        BRANCH = "branch", _("党支部正式党员")

    class Method(models.TextChoices):
        SINGLE = "single", _("单选")
        APPROVAL = "approval", _("认可投票（可多选）")
        RANKED = "ranked", _("排序复选（即时决选）")

    class Base(models.TextChoices):
        PRESENT = "present", _("到会（投票）人数")
        VALID = "valid", _("有效票数")
        ELECTORATE = "electorate", _("应到人数")

    class Status(models.TextChoices):
        OPEN = "open", _("进行中")
        TALLIED = "tallied", _("已计票公布")

    title = models.CharField(_("表决事项"), max_length=120)
    description = models.TextField(_("说明"), blank=True)
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="formal_votes", verbose_name=_("议题")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    electorate = models.CharField(_("投票人"), max_length=10, choices=Electorate.choices)
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("党支部/联盟牵头单位"),
    )
    alliance_id = models.PositiveIntegerField(_("联盟"), null=True, blank=True)
    method = models.CharField(_("表决方式"), max_length=10, choices=Method.choices)
    max_choices = models.PositiveSmallIntegerField(_("最多可选"), default=1)
    preset = models.CharField(_("规则预设"), max_length=24, blank=True)
    # Quorum: met when ballots cast (op) quorum_num/quorum_den of the electorate, or — when the
    # household rule is set — households represented (op) household_num/household_den of households.
    quorum_num = models.PositiveSmallIntegerField(default=0)
    quorum_den = models.PositiveSmallIntegerField(default=1)
    quorum_strict = models.BooleanField(default=True)
    household_num = models.PositiveSmallIntegerField(default=0)
    household_den = models.PositiveSmallIntegerField(default=1)
    household_strict = models.BooleanField(default=False)
    # Threshold: an option passes with support (op) threshold_num/threshold_den of the base.
    threshold_num = models.PositiveSmallIntegerField(default=1)
    threshold_den = models.PositiveSmallIntegerField(default=2)
    threshold_strict = models.BooleanField(default=True)
    threshold_base = models.CharField(max_length=10, choices=Base.choices, default=Base.PRESENT)
    opens_at = models.DateTimeField(_("开始"))
    closes_at = models.DateTimeField(_("截止"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    electorate_size = models.PositiveIntegerField(_("应到人数"), default=0)
    household_count = models.PositiveIntegerField(_("应到户数"), default=0)
    result = models.JSONField(_("计票结果"), null=True, blank=True)
    minutes = models.TextField(_("表决纪要"), blank=True)
    tallied_at = models.DateTimeField(_("计票时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Keys the household pseudonyms of the roll on the public record (a household quorum is
    # recountable without naming households). Secret.
    roll_key = models.CharField(max_length=64, default=new_key, editable=False)

    class Meta:
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="consult_formalvote_closes_after_open"
            ),
        ]
        verbose_name = _("表决")
        verbose_name_plural = _("表决")

    def __str__(self) -> str:
        return self.title


class VoteOption(models.Model):
    vote = models.ForeignKey(FormalVote, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("选项"), max_length=120)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["vote", "position", "id"]
        verbose_name = _("表决选项")
        verbose_name_plural = _("表决选项")

    def __str__(self) -> str:
        return self.label


class Elector(models.Model):
    """The electorate, fixed when the vote opens: one row per person (``p:<id>``) or unit (``u:<id>``)."""

    vote = models.ForeignKey(FormalVote, on_delete=models.CASCADE, related_name="electors")
    key = models.CharField(max_length=24)
    person = models.ForeignKey("org.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("org.Unit", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    household_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["vote", "key"], name="consult_elector_once")]
        verbose_name = _("投票人")
        verbose_name_plural = _("投票人名册")


class RollEntry(models.Model):
    """Who voted and through which channel — never how. One per elector (unique)."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("网上投票")
        IN_PERSON = "in_person", _("投票站现场（工作人员录入）")

    vote = models.ForeignKey(FormalVote, on_delete=models.CASCADE, related_name="roll")
    elector = models.OneToOneField(Elector, on_delete=models.CASCADE, related_name="roll_entry")
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    receipt: str  # not a column: set by votes.cast_ballot on the entry it returns (the voter's receipt)

    class Meta:
        verbose_name = _("投票记录")
        verbose_name_plural = _("投票记录")


class Ballot(models.Model):
    """A secret ballot: the choices only (option ids, in rank order for ranked votes; empty =
    blank ballot). No voter, no timestamp; a random primary key so row order tells nothing. The
    primary key is also the voter's receipt: it is shown to the voter once, and the ballot's leaf on
    the public record (published at the close) is ``ballot:<id>``."""

    id = models.UUIDField(primary_key=True, editable=False)
    vote = models.ForeignKey(FormalVote, on_delete=models.CASCADE, related_name="ballots")
    choices = models.JSONField(default=list)

    class Meta:
        verbose_name = _("选票")
        verbose_name_plural = _("选票")


class FollowUp(models.Model):
    """A decision to carry out (跟踪落实), created from a vote that passed."""

    class Status(models.TextChoices):
        OPEN = "open", _("落实中")
        DONE = "done", _("已落实")

    vote = models.ForeignKey(FormalVote, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("落实事项"), max_length=200)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("落实事项")
        verbose_name_plural = _("落实事项")

    def __str__(self) -> str:
        return self.title
