"""The notify module's action, in the one permission table (``org.permissions``).

The list of messages sent (what, to whom, when, delivered or failed) is for the district administrator,
street cadres and auditors, in their area; recipients are masked by the usual rule. Everyone logged in
manages their own preferences (no role needed)."""

from __future__ import annotations

from gongzhi.org.kinds import StaffRoleKind as R

VIEW_MESSAGES = "notify_view_messages"

ROLE_ACTIONS = {
    R.DISTRICT_ADMIN: frozenset({VIEW_MESSAGES}),
    R.STREET_CADRE: frozenset({VIEW_MESSAGES}),
    R.AUDITOR: frozenset({VIEW_MESSAGES}),
}
LABELS = {VIEW_MESSAGES: "查看通知发送记录"}
