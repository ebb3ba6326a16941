"""The alliances contracts: every renamed event (alliance.* -> alliances.*) is declared under its new
name only, and the public record's allow-list follows the rename (an event without one would be
published with commitments only)."""

from gongzhi.alliances import contracts as C
from gongzhi.core import contracts
from gongzhi.ledger import public_fields


def test_renamed_events_are_declared_and_published_under_their_new_names():
    declared = contracts.event_types()
    ours = {t for t in declared if t.startswith("alliances.")}
    new_since = {  # issue 20: what follows from a grade, declared after the rename
        C.RECTIFICATION_OPENED,
        C.RECTIFICATION_TASK_DONE,
        C.RECTIFICATION_REVIEWED,
        C.SUPPORT_RECORDED,
    }
    assert set(C.RENAMED.values()) == ours - new_since
    for t in new_since:
        assert public_fields.allowed_fields(t) is not None, t
    for old, new in C.RENAMED.items():
        assert old.startswith("alliance.") and new == "alliances." + old.removeprefix("alliance.")
        assert old not in declared
        assert public_fields.allowed_fields(new) is not None, new
        assert public_fields.allowed_fields(old) is None, old
