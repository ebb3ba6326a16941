"""The pool and volunteer demos on the tiny district: they write a consistent state."""

from __future__ import annotations


def test_demos_write_a_consistent_pool_and_ledger(world):
    from gongzhi.resources import demo as pool_demo
    from gongzhi.resources.models import Assignment, PoolResource
    from gongzhi.resources.services import used_by_resource
    from gongzhi.volunteers import demo as vol_demo
    from gongzhi.volunteers import services as V
    from gongzhi.volunteers.models import CatalogueItem, Volunteer

    seen = []
    pc = pool_demo.generate(seed=1, scale="tiny", progress=lambda label, done, total: seen.append(label))
    vc = vol_demo.generate(seed=1, scale="tiny", progress=lambda label, done, total: seen.append(label))
    assert pc["pool_assignments"] > 0 and vc["volunteers"] > 0 and vc["service_records"] > 0
    assert {"公共池资源", "志愿者"} <= set(seen)
    states = set(Assignment.objects.values_list("status", flat=True))
    assert {"proposed", "accepted", "delivered"} <= states
    used = used_by_resource()
    assert all(used.get(r.pk, 0) <= r.quantity for r in PoolResource.objects.all())  # never over-allocated
    assert V.verify_ledger() == []
    assert all(i.stock >= 0 for i in CatalogueItem.objects.all())
    assert Volunteer.objects.filter(person__user__username="grid").exists()  # the demo user "grid" volunteers
