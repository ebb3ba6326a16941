"""The penetrating audit's reasons as data: a flag stores a ``code`` and its ``params``; its text is
rendered here, in the viewer's language (gettext), never stored composed. A flag without a code
shows its older composed ``reason``.

Params are plain JSON (names and titles as recorded, dates as ISO text, counts as numbers).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

REASONS = {
    # 变相责任状 (seed 001: 通过责任状强化压力传导; 重点识别并整治“隐形考核”变种，如变相责任状)
    "pledge_targets": _(
        "%(issued_on)s要求%(targets)d个单位签订“%(title)s”，载有目标/指标，而%(issuer)s《%(order)s》"
        "（%(effective_on)s起施行）保护这些单位免于新增考核：疑似变相责任状"
    ),
    "pledge_penalties": _(
        "%(issued_on)s要求%(targets)d个单位签订“%(title)s”，载有问责/扣分条款，而%(issuer)s《%(order)s》"
        "（%(effective_on)s起施行）保护这些单位免于新增考核：疑似变相责任状"
    ),
    "pledge_targets_penalties": _(
        "%(issued_on)s要求%(targets)d个单位签订“%(title)s”，载有目标/指标和问责/扣分条款，而%(issuer)s"
        "《%(order)s》（%(effective_on)s起施行）保护这些单位免于新增考核：疑似变相责任状"
    ),
    # 以调研代替检查 (seed 001: 仅在形式上减少了巡查督查，实质上通过调研替代检查)
    "research_materials": _(
        "%(window)d天内第%(visits)d次到%(target)s调研（首次%(first_on)s），要求提供材料/数据：疑似以调研代替检查"
    ),
    "research_scores": _(
        "%(window)d天内第%(visits)d次到%(target)s调研（首次%(first_on)s），现场打分/排名：疑似以调研代替检查"
    ),
    "research_materials_scores": _(
        "%(window)d天内第%(visits)d次到%(target)s调研（首次%(first_on)s），要求提供材料/数据并打分/排名："
        "疑似以调研代替检查"
    ),
}


def render(flag: Any) -> str:
    """The flag's reason in the active language: its code's text with its params, else its stored text."""
    template = REASONS.get(flag.code or "")
    if template is None:
        return flag.reason or flag.code or ""
    try:
        return str(template) % (flag.params or {})
    except (KeyError, TypeError, ValueError):
        return str(template)
