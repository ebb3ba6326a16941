"""The message templates: each a code (the provider's template is looked up by it), a subject and a text
with ``%(name)s`` parameters, rendered in the recipient's language; whether it asks a worker to act (the
burden meter counts those) and whether it is an emergency (sent in quiet hours, never held for a digest)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Template:
    code: str
    subject: Any
    text: Any
    asks_action: bool = False
    emergency: bool = False


TEMPLATES: dict[str, Template] = {
    t.code: t
    for t in (
        Template("request_accepted", _("诉求已受理"), _("您反映的诉求 %(number)s 已受理，我们将尽快办理。")),
        Template(
            "request_dispatched",
            _("新派单"),
            _("诉求 %(number)s（%(category)s）已派至%(unit)s，请在 %(due)s 前办理。"),
            asks_action=True,
        ),
        Template(
            "request_resolved",
            _("诉求已办结"),
            _("您反映的诉求 %(number)s 已办结，请评价办理结果：%(url)s"),
        ),
        Template(
            "request_reopened",
            _("诉求重办"),
            _("诉求 %(number)s 经居民评价未解决，已重办，请重新办理。"),
            asks_action=True,
        ),
        Template(
            "request_overdue",
            _("诉求超期升级"),
            _("诉求 %(number)s 已超期，升级至%(unit)s，请督办。"),
            asks_action=True,
        ),
        Template("consult_opened", _("社区议事协商"), _("您所在社区的议事协商“%(title)s”已开始，欢迎参与。")),
        Template(
            "alert_raised",
            _("预警"),
            _("%(region)s出现预警（%(kind)s），观测 %(observed)s，预期 %(expected)s，请值班人员处置。"),
            asks_action=True,
            emergency=True,
        ),
        Template(
            "volunteer_task",
            _("志愿服务任务"),
            _("“%(title)s”需要%(field)s资质的志愿者，您的证书符合要求，欢迎认领。"),
        ),
        Template(
            "meeting_due",
            _("会议提醒"),
            _("联合体“%(alliance)s”的%(kind)s应于 %(due)s 前召开，请按时召开并记录。"),
            asks_action=True,
        ),
        Template("digest", _("通知汇总"), _("您有 %(count)s 条新通知：%(lines)s")),
        Template("test", _("测试通知"), _("这是一条测试通知（%(channel)s）。")),
    )
}


def render(code: str, params: dict[str, Any], language: str = "zh-hans") -> tuple[str, str]:
    """The subject and text of template ``code`` in ``language``."""
    t = TEMPLATES[code]
    with translation.override(language or "zh-hans"):
        subject = str(t.subject)
        try:
            text = str(t.text) % {k: v for k, v in params.items()}
        except (KeyError, TypeError, ValueError):
            text = str(t.text)
    return subject, text
