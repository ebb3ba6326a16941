"""The command centre shows the matters pushed down per street (issue 20, item 2; seeds 001 and 002)."""

from __future__ import annotations

from django.utils import timezone

from gongzhi.command import queries
from gongzhi.org.models import MatterCategory
from tests.cases.pushdown_helpers import push_down


def test_centre_figures_and_page(cased, users, client):
    pd = push_down(cased, users)
    start, end = queries.period(timezone.localdate(pd.requested_at), timezone.localdate(pd.requested_at))
    f = queries.figures(cased.district, start, end)["pushdowns"]
    assert f["took_effect"] >= 1 and f["streets"][0]["took_effect"] == f["took_effect"]
    assert f["streets"][0]["code"] == cased.street_a.code
    assert all(r["code"] != cased.street_b.code for r in f["streets"])
    client.force_login(users["district_admin"])
    day = timezone.localdate(pd.requested_at).isoformat()  # the district's day
    page = client.get(f"/command/{cased.district.code}/?start={day}&end={day}").content.decode()
    assert 'id="pushdowns"' in page and cased.street_a.name in page
    assert MatterCategory.objects.filter(code="01001").exists()
