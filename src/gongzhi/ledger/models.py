"""The public record: leaves, every complete subtree hash, the head and signed checkpoints."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Leaf(models.Model):
    """One entry of the log: the canonical JSON of a public domain event.

    ``entry`` is what the entry bundles serve; it holds ids, time and salted hashes of
    personal fields, never the personal data.  ``salts`` stays private: given a salt a
    resident can show that a hash in the public record is about them.
    """

    index = models.BigIntegerField(_("序号"), primary_key=True)
    event_id = models.UUIDField(_("事件标识"), unique=True)
    event_type = models.CharField(_("事件类型"), max_length=80)
    record = models.CharField(_("记录"), max_length=130, help_text=_("对象类型:对象标识"))
    occurred_at = models.DateTimeField(_("发生时间"))
    entry = models.BinaryField(_("条目"))
    leaf_hash = models.BinaryField(_("叶哈希"), max_length=32)
    salts = models.TextField(_("个人字段盐值"), default="{}", blank=True, help_text=_("JSON：字段名 → 十六进制盐值"))
    appended_at = models.DateTimeField(_("写入时间"), auto_now_add=True)

    class Meta:
        ordering = ["index"]
        # A plain index (records are looked up by equality only): ``db_index=True`` would
        # add a second, ``varchar_pattern_ops`` index on PostgreSQL that every append pays for.
        indexes = [models.Index(fields=["record"], name="ledger_leaf_record_fc28922b")]
        verbose_name = _("公开记录条目")
        verbose_name_plural = _("公开记录条目")

    def __str__(self) -> str:
        return f"#{self.index} {self.event_type} {self.record}"

    @property
    def salt_map(self) -> dict[str, bytes]:
        """The private salts by personal field name."""
        return {k: bytes.fromhex(v) for k, v in json.loads(self.salts or "{}").items()}


class Node(models.Model):
    """The hash of the complete subtree ``(level, index)``, level ≥ 1 (level 0 is ``Leaf.leaf_hash``).

    Written once when the subtree completes and never changed: these rows are what the
    hash tiles serve (tile level L holds Merkle level 8·L).
    """

    pk = models.CompositePrimaryKey("level", "index")
    level = models.PositiveSmallIntegerField()
    index = models.BigIntegerField()
    hash = models.BinaryField(max_length=32)

    class Meta:
        verbose_name = _("子树哈希")
        verbose_name_plural = _("子树哈希")


class Head(models.Model):
    """The single row that serialises appenders and records the current size and root."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    size = models.BigIntegerField(default=0)
    root = models.BinaryField(max_length=32)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("记录头")
        verbose_name_plural = _("记录头")


class SignedCheckpoint(models.Model):
    """A C2SP checkpoint signed by the log key; one per tree size, never two roots."""

    size = models.BigIntegerField(_("树大小"), unique=True)
    root = models.BinaryField(_("根哈希"), max_length=32)
    note = models.TextField(_("签名检查点"))
    signed_at = models.DateTimeField(_("签名时间"), auto_now_add=True)

    class Meta:
        ordering = ["-size"]
        get_latest_by = "size"
        verbose_name = _("签名检查点")
        verbose_name_plural = _("签名检查点")

    def __str__(self) -> str:
        return f"checkpoint {self.size}"


class WithheldEntry(models.Model):
    """An entry whose content the operator no longer serves (issue 17: text published before the
    public-fields rule).  The leaf, its hash and every subtree hash stay: the tree, its
    checkpoints and every proof still verify.  Bundles and proofs serve a *withheld marker* in
    its place (``services.withheld_marker``), which names the leaf hash, the record and the reason.
    """

    class Reason(models.TextChoices):
        PERSONAL_DATA = "personal_data", _("含个人信息")
        FREE_TEXT = "free_text", _("含自由文本")
        LEGAL_ORDER = "legal_order", _("依法要求")

    index = models.BigIntegerField(_("序号"), primary_key=True)
    reason = models.CharField(_("原因"), max_length=20, choices=Reason.choices)
    note = models.TextField(_("说明（不公开）"), blank=True)
    withheld_at = models.DateTimeField(_("停止公开时间"), auto_now_add=True)
    withheld_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("操作人"),
    )

    class Meta:
        ordering = ["index"]
        verbose_name = _("停止公开的条目")
        verbose_name_plural = _("停止公开的条目")

    def __str__(self) -> str:
        return f"#{self.index} {self.reason}"


class SigningKey(models.Model):
    """The log's signing key when ``GONGZHI_LEDGER_KEY`` is not set: one row, shared by every node through
    the database (never made up on a host's disk). Created once, race-safely, by the first process that
    needs it (adopting an existing ``VAR_DIR/ledger/signer.key``), replaced only by ``gongzhi ledger keygen
    --force``. The private key is as secret as the database; production deployments give
    ``GONGZHI_LEDGER_KEY`` instead (docs/deploy.md)."""

    class Source(models.TextChoices):
        GENERATED = "generated", _("自动生成")
        ADOPTED = "adopted", _("沿用本机密钥文件")
        ROTATED = "rotated", _("更换")

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    key = models.TextField(_("签名私钥"))
    verifier_key = models.TextField(_("验证公钥"))
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Moves on every rotation: other processes compare it with the key they hold.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("公开记录签名密钥")
        verbose_name_plural = _("公开记录签名密钥")

    def __str__(self) -> str:
        return self.verifier_key
