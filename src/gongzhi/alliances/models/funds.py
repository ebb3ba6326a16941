"""The alliance's fund entries: income by source, spending by project."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gongzhi.org.models import Unit

from .alliance import Alliance
from .lists import ListItem


class FundEntry(models.Model):
    """The funding ledger: income by source, spending by project ("量力而行、自愿参与")."""

    class Direction(models.TextChoices):
        INCOME = "income", _("收入")
        SPENDING = "spending", _("支出")

    class Source(models.TextChoices):
        PARTY_FEES = "party_fees", _("党费补")
        DEPARTMENT = "department", _("部门扶")
        ENTERPRISE = "enterprise", _("企业帮")
        REVENUE_SHARE = "revenue_share", _("收益提")

    alliance = models.ForeignKey(Alliance, on_delete=models.CASCADE, related_name="funds")
    direction = models.CharField(_("收支"), max_length=8, choices=Direction.choices)
    source = models.CharField(_("来源"), max_length=14, choices=Source.choices, blank=True)
    project = models.ForeignKey(
        ListItem, null=True, blank=True, on_delete=models.PROTECT, related_name="spending", verbose_name=_("项目")
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("出资/经办单位")
    )
    amount = models.DecimalField(_("金额(元)"), max_digits=12, decimal_places=2)
    entered_on = models.DateField(_("日期"))
    note = models.CharField(_("摘要"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["entered_on", "id"]
        verbose_name = _("经费收支")
        verbose_name_plural = _("经费收支")
