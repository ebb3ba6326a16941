from gongzhi.councils.models import Council, Decision, Matter


def test_demo(demo, world):
    assert demo["councils"] >= 2
    joint = Council.objects.get(code=f"LXH-{world.street_a.code}")
    assert joint.meetings.count() == 2
    effects = set(Decision.objects.filter(meeting__council=joint).values_list("effect_type", flat=True))
    assert {"plan_goal", "pool_need", "matter"} <= effects
    assert Matter.objects.filter(status="published").count() == 1
    assert Matter.objects.filter(status="consulted").count() == 1
