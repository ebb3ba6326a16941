"""Category suggestion (jieba + scikit-learn) and duplicate hints."""

from __future__ import annotations

from gongzhi.cases import classify, services
from gongzhi.cases.models import ServiceRequest, State
from gongzhi.core.actors import SYSTEM


def test_tokens_cut_chinese_words():
    assert "垃圾" in classify.tokens("小区门口的垃圾没人清运！")
    assert "！" not in classify.tokens("垃圾！")


def test_suggestion_learns_from_categorised_requests(submit, world):
    classify.invalidate()
    texts = {
        "03004": ["暖气不热，屋里只有十五度", "家里暖气片冰凉，供暖不达标", "供暖温度太低，老人受不了"],
        "05001": ["楼上装修噪音太大，中午也在打钻", "广场舞音响太吵，晚上十点还在跳", "夜里施工噪音扰民"],
    }
    for code, items in texts.items():
        for t in items * 3:
            submit(description=t, category=code)
    classify.invalidate()
    cat, conf = classify.suggest("我家暖气一点都不热")
    assert cat.code == "03004" and 0 < conf <= 1
    top = classify.suggest("隔壁装修噪音很吵", k=3)
    assert top[0][0].code == "05001" and top[0][1] >= top[1][1]


def test_low_confidence_never_routes_on_its_own(submit, world, monkeypatch):
    classify.invalidate()
    monkeypatch.setattr(services.intake, "SUGGESTION_THRESHOLD", 1.01)
    req = submit(description="路灯不亮，晚上很黑", category=None)
    assert req.state == State.SUBMITTED and req.category is None and req.handling_unit is None
    assert req.suggested_category is not None and req.suggestion_confidence is not None
    monkeypatch.setattr(services.intake, "SUGGESTION_THRESHOLD", 0.0)
    req2 = submit(description="路灯不亮，晚上很黑", category=None)
    assert req2.state == State.DISPATCHED and req2.category == req2.suggested_category


def test_duplicates_ranked_by_distance_and_text(submit, place):
    a = submit(description="小区门口垃圾堆放多日无人清运")
    b = submit(description="楼道里有人乱扔东西", lon=place.lon + 0.0005)
    far = submit(description="小区门口垃圾堆放多日无人清运", lon=place.lon + 0.01)
    other = submit(description="小区门口垃圾堆放多日无人清运", category="01002")
    every = ServiceRequest.objects.all()  # the system's view: a user's is their scope (tests/security)
    hits = classify.duplicates(category=a.category, lon=place.lon, lat=place.lat, text="门口垃圾没人清运", within=every)
    numbers = [h["number"] for h in hits]
    assert numbers[0] == a.number
    assert b.number in numbers and far.number not in numbers and other.number not in numbers
    assert hits[0]["distance_m"] < 1 and hits[0]["similarity"] > 0
    services.resolve(SYSTEM, a, resolution="已清运")  # no longer open
    assert a.number not in [
        h["number"] for h in classify.duplicates(category=a.category, lon=place.lon, lat=place.lat, within=every)
    ]
