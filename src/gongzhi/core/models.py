"""Core models: regions (the tenancy and distribution key), the domain-event
outbox and its deliveries, API tokens and idempotency keys."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import generations


class Region(models.Model):
    """A place in the administrative hierarchy: city → district/county →
    township/street → community/village. Every row that belongs to a place
    carries its region; ``path`` makes "this region and everything below it"
    one indexed prefix query."""

    class Level(models.TextChoices):
        CITY = "city", _("市")
        DISTRICT = "district", _("区/县")
        STREET = "street", _("街道/乡镇")
        COMMUNITY = "community", _("社区/村")

    class Kind(models.TextChoices):
        URBAN = "urban", _("城市")
        RURAL = "rural", _("农村")

    LEVEL_ORDER = ["city", "district", "street", "community"]

    code = models.CharField(_("代码"), max_length=12, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices, default=Kind.URBAN)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级")
    )
    path = models.CharField(max_length=80, db_index=True, editable=False)
    population = models.PositiveIntegerField(_("常住人口"), default=0)
    area_km2 = models.FloatField(_("面积(平方公里)"), default=0)
    paired_with = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("城乡结对")
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区域")
        verbose_name_plural = _("行政区域")

    def __str__(self) -> str:
        return self.name

    @property
    def is_township(self) -> bool:
        return self.level == self.Level.STREET and self.kind == self.Kind.RURAL

    def level_label(self) -> str:
        if self.level == self.Level.STREET:
            return str(_("乡镇")) if self.kind == self.Kind.RURAL else str(_("街道"))
        if self.level == self.Level.COMMUNITY:
            return str(_("村")) if self.kind == self.Kind.RURAL else str(_("社区"))
        return self.get_level_display()

    def ancestors(self, include_self: bool = True) -> list[Region]:
        """From the top down to this region. Cached per process: regions are few and rarely
        change (the cache is cleared whenever a region is saved here, and within
        ``generations.RECHECK_SECONDS`` when one is saved in another process)."""
        if _regions_generation.changed():
            _ancestor_chain.cache_clear()
        chain = _ancestor_chain(self.path)
        return list(chain if include_self else chain[:-1])

    def subtree(self):
        return Region.objects.filter(path__startswith=self.path)

    def contains(self, other: Region) -> bool:
        return other.path.startswith(self.path)

    def ancestor_at(self, level: str) -> Region | None:
        for r in self.ancestors():
            if r.level == level:
                return r
        return None


@functools.lru_cache(maxsize=50_000)
def _ancestor_chain(path: str) -> tuple[Region, ...]:
    codes = [c for c in path.strip("/").split("/") if c]
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return tuple(by_code[c] for c in codes if c in by_code)


_regions_generation = generations.Watch("regions")


def _clear_region_cache(**_kwargs) -> None:
    """A region changed: clear this process's chains now, and every other process's through the
    ``regions`` generation (core/generations.py)."""
    _ancestor_chain.cache_clear()
    generations.bump("regions")


models.signals.post_save.connect(_clear_region_cache, sender=Region, dispatch_uid="region_ancestor_cache")
models.signals.post_delete.connect(_clear_region_cache, sender=Region, dispatch_uid="region_ancestor_cache_del")


class Event(models.Model):
    """The outbox: a domain event written in the same transaction as the change
    it describes. Subscribers (ledger, rollups, notifications) receive it at
    least once, idempotently by ``event_id``."""

    seq = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Nothing reads the outbox by type or time (subscribers go by seq, pages by aggregate), so every
    # event written is spared those three index entries (type, its LIKE index, occurred_at).
    type = models.CharField(max_length=80)
    occurred_at = models.DateTimeField()
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    aggregate_type = models.CharField(max_length=60)
    aggregate_id = models.CharField(max_length=64)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(default=dict)
    public = models.BooleanField(default=True, help_text=_("是否进入公开记录"))

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["aggregate_type", "aggregate_id"])]
        verbose_name = _("领域事件")
        verbose_name_plural = _("领域事件")

    def __str__(self) -> str:
        return f"#{self.seq} {self.type} {self.aggregate_type}:{self.aggregate_id}"


class DeliveryBatch(models.Model):
    """One call of a subscriber's handler: the outbox range ``first_seq``..``last_seq`` it covered, written
    in the same transaction as the handler's effects (the bookkeeping is one row per batch, however many
    events the batch held and whether the subscriber wanted them). ``skipped`` lists, as ``[a, b]`` ranges,
    the numbers in the range this batch did not cover (not committed when it read the outbox, or outside
    a late-commit fill); ``handled`` counts the events handed to the handler. Read by the lag figures and
    the benchmarks; pruned with the outbox."""

    subscriber = models.CharField(max_length=40)
    first_seq = models.BigIntegerField()
    last_seq = models.BigIntegerField()
    skipped = models.JSONField(default=list, blank=True)
    handled = models.IntegerField(default=0)
    delivered_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["subscriber", "last_seq"], name="core_batch_sub_last")]
        verbose_name = _("投递批次")
        verbose_name_plural = _("投递批次")

    def __str__(self) -> str:
        return f"{self.subscriber} #{self.first_seq}–#{self.last_seq} ({self.handled})"


class OutboxCursor(models.Model):
    """How far one subscriber has read the outbox, so that looking for its pending events starts
    there instead of at the first event ever written.

    Every event with ``seq <= through_seq`` is delivered to the subscriber (or was never committed).
    ``horizon_seq`` is the highest ``seq`` committed when the dispatcher looked at ``horizon_at``:
    every ``seq`` up to it had been allocated by then, so once ``OUTBOX_SETTLE`` has passed, one
    still missing belongs to a transaction that rolled back or has been open for longer than that,
    and the cursor may move past it (``events.dispatch_pending``)."""

    subscriber = models.CharField(max_length=40, primary_key=True)
    through_seq = models.BigIntegerField(default=0)
    # Read up to here: every seq <= frontier_seq is handled, unwanted, or listed in ``holes`` (ranges
    # [a, b] of numbers not committed when the range was read; a late commit is handled from there).
    frontier_seq = models.BigIntegerField(default=0)
    holes = models.JSONField(default=list, blank=True)
    # Bumped by every delivery: a dispatcher that read an older version writes nothing (compare-and-set),
    # so two dispatchers never deliver the same range twice.
    version = models.BigIntegerField(default=0)
    horizon_seq = models.BigIntegerField(null=True, blank=True)
    horizon_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("订阅进度")
        verbose_name_plural = _("订阅进度")

    def __str__(self) -> str:
        return f"{self.subscriber} ≤ #{self.through_seq}"


class ApiToken(models.Model):
    """A bearer token for an API client. Only the SHA-256 of the token is kept."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=80)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(max_length=8, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("API令牌")
        verbose_name_plural = _("API令牌")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def new_key() -> str:
        return "gz_" + secrets.token_urlsafe(32)


class IdempotencyKey(models.Model):
    """A POST's idempotency key and the answer it got: a retry gets the same
    answer and creates nothing."""

    key = models.CharField(max_length=120)
    scope = models.CharField(max_length=120)  # endpoint + user
    status = models.PositiveSmallIntegerField()
    response = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="core_uniq_idempotency")]


class ScheduledJob(models.Model):
    """When a periodic job (``core.schedule.JOBS``) was last enqueued; the row is locked while a
    scheduler decides, so two schedulers never enqueue the same run twice."""

    name = models.CharField(max_length=60, primary_key=True)
    last_enqueued_at = models.DateTimeField(null=True, blank=True)
    last_task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")

    def __str__(self) -> str:
        return self.name


class SecurityLogQuerySet(models.QuerySet):
    """Append-only: no bulk update or delete through the ORM (pruning uses :meth:`prune`)."""

    def update(self, **kwargs):
        raise PermissionError("the security audit log is append-only")

    def delete(self):
        raise PermissionError("the security audit log is append-only; use `gongzhi auditlog prune`")

    def prune(self, before) -> int:
        """Delete rows older than ``before`` (never younger than the retention setting allows)."""
        import datetime as dt

        from django.db import connection
        from django.utils import timezone

        days = max(int(getattr(settings, "GONGZHI_SECURITY_LOG_RETENTION_DAYS", 180)), 180)
        floor = timezone.now() - dt.timedelta(days=days)
        cutoff = min(before, floor)
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {table} WHERE at < %s", [connection.ops.adapt_datetimefield_value(cutoff)])
            return cur.rowcount


class SecurityLog(models.Model):
    """The security audit log (MLPS 2.0 level 3): log-ins, permission changes, unmasked views and
    exports of personal data, back-office actions.  Append-only (no ORM update or delete, no admin
    edits); kept at least ``GONGZHI_SECURITY_LOG_RETENTION_DAYS`` (≥ 180) days.  Written by
    :mod:`gongzhi.core.audit`.  ``user_id`` and ``username`` are copied, not a foreign key, so a
    deleted account never changes or removes its rows."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("登录")
        LOGIN_FAILED = "login_failed", _("登录失败")
        LOGOUT = "logout", _("退出登录")
        ROLE_GRANTED = "role_granted", _("授予角色")
        ROLE_CHANGED = "role_changed", _("变更角色")
        ROLE_REVOKED = "role_revoked", _("撤销角色")
        PERMISSION_CHANGED = "permission_changed", _("变更权限")
        PERSONAL_VIEW = "personal_view", _("查看未脱敏个人信息")
        PERSONAL_EXPORT = "personal_export", _("导出未脱敏个人信息")
        ADMIN_ACTION = "admin_action", _("后台操作")
        LEDGER_WITHHOLD = "ledger_withhold", _("公开记录停止公开")
        LOG_PRUNED = "log_pruned", _("清理过期审计日志")
        LOG_EXPORTED = "log_exported", _("导出审计日志")

    at = models.DateTimeField(_("时间"), db_index=True)
    kind = models.CharField(_("类型"), max_length=32, choices=Kind.choices)
    user_id = models.IntegerField(_("用户编号"), null=True, blank=True)
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("区域")
    )
    target = models.CharField(_("对象"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("IP地址"), null=True, blank=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    objects = SecurityLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["kind", "at"], name="core_seclog_kind_at")]
        verbose_name = _("安全审计日志")
        verbose_name_plural = _("安全审计日志")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} {self.username}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("the security audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the security audit log is append-only")


class Lease(models.Model):
    """A named lease held by one process across the cluster until ``expires_at`` (``core.leases``):
    the scheduler of periodic jobs runs only while it holds ``scheduler``; a standby takes over when
    the holder stops renewing it."""

    name = models.CharField(max_length=60, primary_key=True)
    holder = models.CharField(max_length=120)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("集群租约")
        verbose_name_plural = _("集群租约")

    def __str__(self) -> str:
        return f"{self.name} @ {self.holder}"
