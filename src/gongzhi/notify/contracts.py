"""The notify app's contracts: it emits no events (it reacts to others'); its error codes."""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode


class NotifyError(ErrorCode):
    LINK_INVALID = "link_invalid"  # a rating link that is not one of ours (a wrong or altered token)
    LINK_USED = "link_used"  # a rating link used once already
    LINK_EXPIRED = "link_expired"
    NO_ADDRESS = "no_address"  # a test message to a channel the user has no address for
