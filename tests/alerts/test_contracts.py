"""The alerts app's declared events cover every status an alert can be moved to (alerts/contracts.py)."""

from gongzhi.alerts import contracts
from gongzhi.alerts.models import Status


def test_every_status_an_alert_moves_to_has_a_declared_event():
    assert set(contracts.STATUS_EVENTS) == set(Status.values) - {Status.OPEN}
