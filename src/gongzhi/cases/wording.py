"""The request's composed texts, stored as data (``core/phrases.py``) and shown in the reader's language.

``ServiceRequest.routing["reasons"]``, when present, is the structured form of ``routing_reason`` (the
dispatch basis): the responsibility list's reasons (``org/responsibility.py``), a manual dispatch, an
escalation, an emergency bypass, each followed by the reason someone typed. Older rows have only the
text, shown as stored.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gongzhi.core import phrases

AUTO = phrases.register("cases.routing.auto", _("按权责清单自动派单"))
SUGGESTED = phrases.register("cases.routing.suggested", _("按分类建议（置信度%(confidence)s）自动派单"))
MANUAL = phrases.register("cases.routing.manual", _("由%(actor)s人工指定%(unit)s承办"))
LISTED = phrases.register("cases.routing.listed", _("权责清单规定由%(unit)s承办"))
ESCALATED = phrases.register("cases.routing.escalated", _("由%(base)s升级至%(target)s"))
HOW = {"consent": _("经承办单位同意"), "approve": _("经上级批准")}
PUSHDOWN = phrases.register(
    "cases.routing.pushdown",
    _("%(requester)s申请下派至%(unit)s（理由：%(reason)s），%(how)s（%(decider)s）"),
    how=lambda v: HOW.get(v, HOW["approve"]),
)
BYPASS = phrases.register("cases.routing.bypass", _("紧急先行处置（事后备案）"))


def with_reason(items: list, reason: str) -> list:
    """The phrases, then the reason someone typed (data), if any."""
    return [*items, phrases.phrase(phrases.TEXT, text=reason)] if reason else list(items)


def data(items: list) -> list[dict[str, Any]]:
    return [phrases.as_data(i) for i in items]


def routing_text(req: Any) -> str:
    """The dispatch basis of a request in the active language (the stored text for older rows)."""
    stored = (req.routing or {}).get("reasons") if isinstance(req.routing, dict) else None
    if stored:
        from gongzhi.org import responsibility  # noqa: F401 (registers the list's phrases)

        return phrases.render_all(stored)
    return req.routing_reason
