"""The request loop's declared events cover every step it records (cases/contracts.py)."""

from gongzhi.cases import contracts, services


def test_every_request_action_and_recorded_step_has_a_declared_event():
    assert set(services.ACTIONS) | set(services.ACTION_LABELS) == set(contracts.REQUEST_EVENTS)
    assert all(
        t.startswith(contracts.REQUEST_PREFIX) and t.payload is not None for t in contracts.REQUEST_EVENTS.values()
    )
