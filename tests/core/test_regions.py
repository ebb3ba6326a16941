import pytest

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError
from gongzhi.core.models import Event
from gongzhi.core.services import create_region


def test_region_tree_and_paths(db):
    city = create_region(SYSTEM, code="990100", name="市", level="city")
    d = create_region(SYSTEM, code="990102", name="区", level="district", parent=city)
    s = create_region(SYSTEM, code="990102001", name="街道", level="street", parent=d)
    c = create_region(SYSTEM, code="990102001001", name="社区", level="community", parent=s)
    assert c.path == "/990100/990102/990102001/990102001001/"
    assert [r.code for r in c.ancestors()] == ["990100", "990102", "990102001", "990102001001"]
    assert s.contains(c) and not c.contains(s)
    assert c.ancestor_at("street") == s
    assert Event.objects.filter(type="core.region_created").count() == 4


@pytest.mark.parametrize(
    "kwargs, field, message",
    [
        ({"code": "12", "level": "city"}, "code", "6位数字"),
        ({"code": "990102", "level": "district"}, "parent", "上级必须是city"),
        ({"code": "990100", "level": "planet"}, "level", "未知的区域层级"),
    ],
)
def test_bad_regions_are_refused(db, kwargs, field, message):
    with pytest.raises(DomainError) as e:
        create_region(SYSTEM, name="x", **kwargs)
    assert e.value.field == field and message in e.value.message


def test_duplicate_and_misnumbered_codes(db):
    city = create_region(SYSTEM, code="990100", name="市", level="city")
    d = create_region(SYSTEM, code="990102", name="区", level="district", parent=city)
    with pytest.raises(DomainError, match="已存在"):
        create_region(SYSTEM, code="990100", name="市", level="city")
    with pytest.raises(DomainError, match="应以上级代码990102开头"):
        create_region(SYSTEM, code="990103001", name="街道", level="street", parent=d)
