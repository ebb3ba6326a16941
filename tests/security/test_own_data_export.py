"""Issue 17, PIPL: a person's own data export.

* a signed-in resident downloads, from /account/my-data/ (linked from every page's user menu) and
  from GET /api/v1/privacy/my-data, everything held about them: account, person record, their
  requests with their own contact fields in clear, their statements and votes, their volunteer
  record and points — and nothing about anyone else;
* staff produce the same export for a person at the person's written request (page and API); the
  permission matrix: district administrator and the community cadre of the person's community may;
  street cadres, grid workers, department staff, auditors, a street cadre elsewhere, a user with no
  role and anonymous visitors may not, and a refusal writes nothing;
* every export is in the security audit log (a staff export with the written request's reference).
"""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from gongzhi.cases import services as cases
from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import SecurityLog
from gongzhi.org.models import Person

from .scope_fixtures import _synchronous_classifier, client_as, place  # noqa: F401

PHONE = "13912345678"
OTHER_PHONE = "13800001111"


@pytest.fixture
def resident(world, place):
    """A resident of community A with a log-in, two requests of their own, a statement and a vote; and
    someone else's request beside them."""
    from gongzhi.consult.models import Statement, StatementVote, Topic

    user = get_user_model().objects.create_user("resident_wang", password="pw-resident-123")
    person = Person.objects.filter(region=world.comm_a, user__isnull=True).exclude(id_number="").order_by("pk").first()
    person.user = user
    person.save(update_fields=["user"])
    own = [
        cases.submit(
            SYSTEM,
            description=f"楼道灯坏了 {i}",
            category="01001",
            lon=place.lon,
            lat=place.lat,
            reporter_name=person.name,
            reporter_phone=PHONE,
            reporter_user=user,
        )[0]
        for i in range(2)
    ]
    hotline = cases.submit(
        SYSTEM,
        description="热线代为登记：门前积水",
        category="01001",
        lon=place.lon,
        lat=place.lat,
        reporter_name=person.name,
        reporter_id_number=person.id_number,
    )[0]
    other = cases.submit(
        SYSTEM,
        description="别人的诉求",
        category="01001",
        lon=place.lon,
        lat=place.lat,
        reporter_name="李四",
        reporter_phone=OTHER_PHONE,
    )[0]
    topic = Topic.objects.create(title="加装电梯", region=world.comm_a)
    st = Statement.objects.create(topic=topic, author=user, text="支持加装电梯", status="accepted")
    StatementVote.objects.create(statement=st, voter=user, value=1)
    return type(
        "Resident",
        (),
        {"user": user, "person": person, "own": own, "hotline": hotline, "other": other, "statement": st},
    )()


def _logged(kind="personal_export"):
    return list(SecurityLog.objects.filter(kind=kind).order_by("id"))


def _check_own(data, r):
    assert data["format"] == "gongzhi.personal-data/1"
    assert data["account"]["username"] == "resident_wang"
    assert data["person"]["name"] == r.person.name and data["person"]["id_number"] == r.person.id_number
    numbers = {q["number"] for q in data["requests"]}
    assert numbers == {r.own[0].number, r.own[1].number, r.hotline.number}  # the hotline one by ID number
    mine = next(q for q in data["requests"] if q["number"] == r.own[0].number)
    assert mine["reporter_phone"] == PHONE and mine["description"] == "楼道灯坏了 0"  # in clear: it is theirs
    assert mine["transitions"] and mine["transitions"][0]["action"] == "submit"
    assert data["consultation"]["statements"][0]["text"] == "支持加装电梯"
    assert data["consultation"]["statement_votes"] == [
        {
            "statement": r.statement.pk,
            "topic": r.statement.topic_id,
            "value": 1,
            "created_at": data["consultation"]["statement_votes"][0]["created_at"],
        }
    ]
    text = json.dumps(data, ensure_ascii=False)
    assert OTHER_PHONE not in text and "李四" not in text and r.other.number not in text


def test_the_resident_downloads_their_own_data_from_the_page(resident):
    c = Client()
    c.force_login(resident.user)
    home = c.get("/requests/mine/")
    assert 'href="/account/my-data/"' in home.content.decode()  # the user menu links it
    page = c.get("/account/my-data/")
    assert page.status_code == 200
    assert 'id="my-data-download"' in page.content.decode() and 'id="retention-periods"' in page.content.decode()
    assert not _logged()  # looking at the page exports nothing
    resp = c.get("/account/my-data/download/")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("application/json")
    assert resp["Content-Disposition"].startswith('attachment; filename="my-data-')
    assert resp["Cache-Control"] == "no-store"
    _check_own(json.loads(resp.content), resident)
    [row] = _logged()
    assert row.user_id == resident.user.pk and row.target == f"own_data:user:{resident.user.pk}"
    assert row.region_id == resident.person.region_id and row.detail["rows"] >= 5


def test_the_resident_downloads_their_own_data_from_the_api(resident):
    c = Client()
    c.force_login(resident.user)
    resp = c.get("/api/v1/privacy/my-data")
    assert resp.status_code == 200
    _check_own(resp.json(), resident)
    assert _logged()[0].detail == {"rows": 7, "fields": ["all"], "via": "api", "basis": "own_data"}


def test_anonymous_gets_nothing(resident):
    c = Client()
    assert c.get("/account/my-data/").status_code == 302
    assert c.get("/account/my-data/download/")["Location"].startswith("/login/")
    assert c.get("/api/v1/privacy/my-data").status_code == 401
    assert (
        c.post(
            f"/api/v1/privacy/people/{resident.person.pk}/export", {"reference": "x"}, content_type="application/json"
        ).status_code
        == 401
    )
    assert c.post(f"/privacy/person/{resident.person.pk}/export/", {"reference": "x"}).status_code == 302
    assert not _logged()


def test_a_user_without_a_person_record_gets_their_account_and_requests(world, place):
    user = get_user_model().objects.create_user("walkin", password="pw-walkin-123")
    req = cases.submit(
        SYSTEM,
        description="路灯不亮",
        category="01001",
        lon=place.lon,
        lat=place.lat,
        reporter_phone=PHONE,
        reporter_user=user,
    )[0]
    c = Client()
    c.force_login(user)
    data = c.get("/api/v1/privacy/my-data").json()
    assert data["person"] is None and data["volunteer"] is None
    assert [q["number"] for q in data["requests"]] == [req.number]


# ----------------------------------------------------------------------------- staff, at a written request

# role → outcome of the export for a person of community A (street A)
MATRIX = {
    "district_admin": 200,
    "community_cadre": 200,
    "street_cadre": 403,  # sees ID numbers masked: may not hand out a full copy
    "grid_worker": 403,
    "department_staff": 403,
    "auditor": 403,  # reads, does not act
    "other_street_cadre": 404,  # not in their area: not even there
    "resident": 404,  # a log-in with no role (someone else's data)
}


@pytest.mark.parametrize("role", list(MATRIX))
def test_staff_export_permission_matrix(role, resident, users):
    if role == "resident":
        who = get_user_model().objects.create_user("someone_else", password="pw-someone-123")
    else:
        who = users[role]
    c = Client()
    c.force_login(who)
    url = f"/privacy/person/{resident.person.pk}/export/"
    expected = MATRIX[role]
    page = c.get(url)
    assert page.status_code == expected
    resp = c.post(url, {"reference": "书面申请 2026-12-01 第7号"})
    assert resp.status_code == expected
    api = c.post(
        f"/api/v1/privacy/people/{resident.person.pk}/export", {"reference": "第7号"}, content_type="application/json"
    )
    assert api.status_code == expected
    # without the written request's reference: refused for the roles that may, as before for the rest
    empty = c.post(f"/api/v1/privacy/people/{resident.person.pk}/export", {}, content_type="application/json")
    assert empty.status_code == (400 if expected == 200 else expected)
    if expected == 200:
        assert resp["Content-Disposition"].startswith(f'attachment; filename="person-{resident.person.pk}-')
        data = json.loads(resp.content)
        _check_own(data, resident)
        assert data["produced_for"]["reference"] == "书面申请 2026-12-01 第7号"
        _check_own(api.json(), resident)
        rows = _logged()
        assert [r.target for r in rows] == [f"person:{resident.person.pk}"] * 2
        assert rows[0].user_id == who.pk and rows[0].detail["reference"] == "书面申请 2026-12-01 第7号"
        assert rows[1].detail["via"] == "api" and rows[1].detail["basis"] == "written_request"
        assert 'href="/privacy/person/' in c.get(f"/org/person/{resident.person.pk}/").content.decode()
    else:
        assert not _logged()
        if role not in ("resident",):
            person_page = c.get(f"/org/person/{resident.person.pk}/")
            assert "/privacy/person/" not in person_page.content.decode()


def test_a_staff_export_needs_the_written_request(resident, users):
    c = Client()
    c.force_login(users["community_cadre"])
    url = f"/privacy/person/{resident.person.pk}/export/"
    resp = c.post(url, {"reference": "  "})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert 'aria-invalid="true"' in body and "书面申请" in body
    api = c.post(
        f"/api/v1/privacy/people/{resident.person.pk}/export", {"reference": ""}, content_type="application/json"
    )
    assert api.status_code == 400 and api.json()["field"] == "reference"
    api = c.post(
        f"/api/v1/privacy/people/{resident.person.pk}/export", {"reference": "x" * 101}, content_type="application/json"
    )
    assert api.status_code == 400 and api.json()["field"] == "reference"
    assert (
        c.post(
            "/api/v1/privacy/people/999999999/export", {"reference": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert c.post("/account/my-data/download/").status_code == 405
    assert not _logged()
