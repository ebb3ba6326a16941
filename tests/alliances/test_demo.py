"""The demo: alliances like district Y's with a year of meetings, claims, activities and ratings."""

from gongzhi.alliances import demo
from gongzhi.alliances.models import Alliance, Meeting, Task, UnitReview, YearReview


def test_demo_generates_y_district_alliances(world):
    seen = []
    counts = demo.generate(seed=7, scale="tiny", progress=lambda label, done, total: seen.append((done, total)))
    assert seen[-1][0] == seen[-1][1] == 4
    kinds = set(Alliance.objects.filter(status="established").values_list("kind", flat=True))
    assert kinds == {"cross_domain", "cross_industry", "cross_region"}
    assert Alliance.objects.filter(status="applied").count() == 1
    assert Alliance.objects.get(kind="cross_region").partner_province
    assert any("采煤沉陷区" in n for n in Alliance.objects.values_list("name", flat=True))
    assert counts["alliance_meetings"] == Meeting.objects.filter(held_on__isnull=False).count()
    assert Task.objects.filter(completed_on__isnull=False).exists()
    assert YearReview.objects.filter(stage="graded").count() == 4
    stars = set(UnitReview.objects.values_list("stars", flat=True))
    assert stars and all(1 <= s <= 5 for s in stars)


def test_demo_grades_spread_and_follow_up(world):
    from collections import Counter

    from gongzhi.alliances.models import Rectification, Support

    demo.generate(seed=7, scale="tiny", progress=lambda *a: None)
    rows = list(UnitReview.objects.values_list("stars", "final_score", "outcome"))
    dist = Counter(s for s, _f, _o in rows)
    print("grades", sorted(dist.items()), sorted(f for _s, f, _o in rows))
    assert dist[5] >= 1 and dist[1] >= 1  # some at the top, a few on the rectification list
    assert sum(n for s, n in dist.items() if 2 <= s <= 4) > len(rows) / 2  # most in the middle
    assert Rectification.objects.filter(status="open").exists()  # a plan in progress
    assert Support.objects.filter(kind="funding", fund_entry__isnull=False).exists()
    assert Support.objects.filter(kind="pool_priority").count() == dist[5]
