"""Issue 17, item 2: the back office showed personal data to view-only roles.

Found: ``auditor`` or ``dept`` opening a ``core.Event`` in /admin/ saw ``payload.personal`` (phone, ID
number) in clear; street cadres saw full ID numbers at /org/person/<id>/.  Now every admin page
(change lists, change pages, inlines) applies the ``view_personal`` rule of the API and pages, full ID
numbers are shown only to roles that register residents, and every unmasked view is logged.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Event, SecurityLog
from gongzhi.org.admin_base import PersonalDataAdmin, PersonalDataInline, mask_json

PHONE = "13912345678"
ID_NUMBER = "110101199003074514"
REASON = f"已电话联系居民{PHONE}"

# Admins of installed libraries: only superusers reach them (Django model permissions; staff roles
# are not given any), so the platform's masking does not apply there.
THIRD_PARTY = {
    "auth.Group",
    "auth.User",
    "django_tasks_database.DBTaskResult",
    "axes.AccessAttempt",
    "axes.AccessLog",
    "axes.AccessFailureLog",
    "otp_totp.TOTPDevice",
    "otp_static.StaticDevice",
}

# role -> (sees the phone, sees the full ID number) for a person / request in community A (street A)
PERSON_MATRIX = {
    "district_admin": (True, True),
    "street_cadre": (True, False),
    "community_cadre": (True, True),
    "grid_worker": (True, True),
    "department_staff": (False, False),
    "auditor": (False, False),
}


@pytest.fixture
def event(world):
    """An intake event carrying the reporter's personal fields and a free-text reason."""
    from gongzhi.cases import services as cases
    from gongzhi.org.models import Grid

    grid = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    req, _ = cases.submit(
        SYSTEM,
        description="楼道堆物",
        category="01001",
        lon=grid.centroid_lon,
        lat=grid.centroid_lat,
        reporter_name="张三",
        reporter_phone=PHONE,
        reporter_id_number=ID_NUMBER,
    )
    ev = Event.objects.get(type="cases.request.submit", aggregate_id=req.number)
    assert ev.payload["personal"]["phone"] == PHONE and ev.region.path.startswith(world.comm_a.path)
    return ev


@pytest.mark.parametrize("role", ["auditor", "department_staff"])
def test_view_only_roles_see_the_event_payload_masked(client, users, event, role):
    """The finding, reproduced: an auditor or department user opens the event in the back office."""
    client.force_login(users[role])
    page = client.get(reverse("admin:core_event_change", args=[event.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert PHONE not in body and ID_NUMBER not in body and "张三" not in body
    assert "139****5678" in body and "110101********4514" in body
    assert event.aggregate_id in body  # structured fields stay readable
    listing = client.get(reverse("admin:core_event_changelist"))
    assert listing.status_code == 200 and PHONE not in listing.content.decode()
    assert not SecurityLog.objects.filter(kind="personal_view").exists()
    event.refresh_from_db()
    assert event.payload["personal"]["phone"] == PHONE  # masking is for display only


@pytest.mark.parametrize("role", ["district_admin", "street_cadre", "community_cadre", "grid_worker"])
def test_roles_with_view_personal_see_it_and_are_logged(client, users, event, role):
    client.force_login(users[role])
    body = client.get(reverse("admin:core_event_change", args=[event.pk])).content.decode()
    assert PHONE in body
    row = SecurityLog.objects.get(kind="personal_view")
    assert row.username == users[role].username and row.target == f"event:{event.pk}"
    assert row.detail == {"fields": ["payload.personal"], "via": "admin"} and row.region_id == event.region_id


def test_other_streets_cadre_cannot_open_the_event(client, users, event):
    client.force_login(users["other_street_cadre"])
    assert client.get(reverse("admin:core_event_change", args=[event.pk])).status_code in (302, 403, 404)
    assert not SecurityLog.objects.filter(kind="personal_view").exists()


def test_every_admin_page_applies_the_masking_rule():
    """Generated from the admin registry: a new admin (or inline) that does not mask fails here."""
    offenders = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.label in THIRD_PARTY:
            continue
        if not isinstance(model_admin, PersonalDataAdmin):
            offenders.append(model._meta.label)
        offenders += [
            f"{model._meta.label} inline {i.__name__}"
            for i in model_admin.inlines
            if not issubclass(i, PersonalDataInline)
        ]
    assert not offenders, offenders
    assert len(admin.site._registry) - len(THIRD_PARTY) >= 40


def test_free_text_and_personal_json_are_masked_structured_fields_are_not():
    doc = {
        "number": "2612070006266",
        "grid": "990102001001001",
        "reason": REASON,
        "personal": {"name": "张三", "phone": PHONE, "id_number": ID_NUMBER, "person_id": 72},
        "followers": ["2612070006266"],
    }
    out = mask_json(doc)
    assert out["number"] == "2612070006266" and out["grid"] == "990102001001001"
    assert out["followers"] == ["2612070006266"]
    assert PHONE not in out["reason"] and out["reason"].startswith("已电话联系居民139****5678")
    assert out["personal"] == {
        "name": "张*",
        "phone": "139****5678",
        "id_number": "110101********4514",
        "person_id": 72,
    }


def test_inlines_mask_their_rows(client, users, world):
    """An inline shows its rows masked too (incident log entries hold free text)."""
    from gongzhi.incidents import services as incidents
    from gongzhi.org.models import Grid

    grids = list(Grid.objects.filter(region=world.comm_a).values_list("code", flat=True)[:1])
    inc = incidents.declare(users["district_admin"], name="暴雨", kind="flood", severity=2, grids=grids, mobilise=False)
    incidents.add_note(users["district_admin"], inc, text=f"联系人电话{PHONE}")
    # Incident admin pages go by Django's model permissions: give the auditor the view permission.
    from django.contrib.auth.models import Permission

    auditor = users["auditor"]
    auditor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_incident", "view_logentry"], content_type__app_label="incidents")
    )
    client.force_login(auditor)
    body = client.get(reverse("admin:incidents_incident_change", args=[inc.pk])).content.decode()
    assert "联系人电话139****5678" in body and PHONE not in body
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_superuser("root", password="x"))
    assert PHONE in client.get(reverse("admin:incidents_incident_change", args=[inc.pk])).content.decode()


# ----------------------------------------------------------------------------- the person page


@pytest.fixture
def person(world):
    from gongzhi.org.models import Person

    p = (
        Person.objects.filter(region__path__startswith=world.comm_a.path)
        .exclude(phone="")
        .exclude(id_number="")
        .select_related("region")
        .first()
    )
    assert p is not None
    return p


@pytest.mark.parametrize("role", sorted(PERSON_MATRIX))
def test_person_page_and_api_by_role(client, users, person, role):
    sees_phone, sees_id = PERSON_MATRIX[role]
    client.force_login(users[role])
    page = client.get(reverse("person", args=[person.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert (person.phone in body) is sees_phone
    assert (person.id_number in body) is sees_id
    assert (person.id_number[:6] + "********" + person.id_number[-4:] in body) is (not sees_id)
    api = client.get(f"/api/v1/people/{person.pk}").json()
    assert (api["phone"] == person.phone) is sees_phone and (api["id_number"] == person.id_number) is sees_id
    logged = list(
        SecurityLog.objects.filter(kind="personal_view", target=f"person:{person.pk}")
        .order_by("id")
        .values_list("detail", flat=True)
    )
    fields = sorted(f for f, shown in (("phone", sees_phone), ("id_number", sees_id)) if shown)
    assert logged == ([{"fields": fields, "via": "page"}, {"fields": fields, "via": "api"}] if fields else [])


def test_person_page_outside_the_scope(client, users, person):
    client.force_login(users["other_street_cadre"])
    assert client.get(reverse("person", args=[person.pk])).status_code in (403, 404)
    assert not SecurityLog.objects.filter(kind="personal_view").exists()


def test_person_list_api_logs_each_unmasked_person(client, users, world):
    client.force_login(users["street_cadre"])
    people = client.get(f"/api/v1/people?region={world.comm_a.code}&limit=5").json()
    assert len(people) == 5
    with_phone = [p for p in people if p["phone"]]
    assert all("*" in p["id_number"] for p in people if p["id_number"])
    assert SecurityLog.objects.filter(kind="personal_view", detail__via="api").count() == len(with_phone)


# ----------------------------------------------------------------------------- exports


@pytest.mark.parametrize("role", sorted(PERSON_MATRIX))
def test_consultation_export_masks_by_role_and_logs_clear_exports(client, users, world, role):
    """The pol.is export (comments.csv) applies the same rule: statements' text in clear only with
    view_personal for the topic's region, and a clear export is in the security audit log."""
    import datetime as dt

    from django.utils import timezone

    from gongzhi.consult import services as consult

    now = timezone.now()
    topic = consult.create_topic(
        title="小区停车怎么管",
        scope="community",
        region=world.comm_a,
        proposed_by=users["community_cadre"],
        phases=[{"kind": "collect", "starts_at": now - dt.timedelta(days=1), "ends_at": now + dt.timedelta(days=3)}],
    )
    st = consult.submit_statement(topic, users["community_cadre"], f"有事请打我电话{PHONE}")
    consult.moderate_statement(st, users["community_cadre"], accept=True)
    client.force_login(users[role])
    resp = client.get(reverse("consult:export", args=[topic.pk, "comments.csv"]))
    assert resp.status_code == 200
    body = resp.content.decode()
    clear = PERSON_MATRIX[role][0]
    assert (PHONE in body) is clear and ("139****5678" in body) is (not clear)
    rows = SecurityLog.objects.filter(kind="personal_export", target=f"topic:{topic.pk}:comments.csv")
    assert rows.count() == (1 if clear else 0)
    if clear:
        assert rows.get().username == users[role].username and rows.get().detail["rows"] == 1
