"""MLPS 2.0 level 3 (issue 17): a security audit log of log-ins, permission changes, unmasked views
and exports of personal data and back-office actions; append-only, kept at least 180 days, read and
exported by auditors (their region's rows)."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from gongzhi.core import audit
from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import SecurityLog
from gongzhi.org.models import StaffRole, Unit

ROLES = [
    "district_admin",
    "street_cadre",
    "community_cadre",
    "grid_worker",
    "department_staff",
    "auditor",
    "other_street_cadre",
]


def _row(kind, **kw):
    return SecurityLog.objects.filter(kind=kind, **kw).order_by("-id").first()


# ----------------------------------------------------------------------------- what is logged


def test_logins_failures_and_logouts(client, users, world):
    user = users["street_cadre"]
    assert client.post("/login/", {"username": user.username, "password": "wrong"}).status_code == 200
    failed = _row("login_failed")
    assert failed.username == user.username and failed.detail == {"username": user.username, "known_user": True}
    assert failed.ip == "127.0.0.1" and failed.region == world.street_a
    assert client.post("/login/", {"username": "nobody-here", "password": "x"}).status_code == 200
    assert _row("login_failed").detail["known_user"] is False and _row("login_failed").region is None
    assert client.post("/login/", {"username": user.username, "password": "pw-" + user.username}).status_code == 302
    ok = _row("login")
    assert ok.user_id == user.pk and ok.username == user.username and ok.region == world.street_a
    client.post("/logout/")
    assert _row("logout").user_id == user.pk


def test_role_and_permission_changes(users, world, django_user_model):
    from gongzhi.org import services as org

    target = django_user_model.objects.create_user("new_staff", is_staff=True)
    unit = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    role = org.grant_role(users["district_admin"], target, unit, "street_cadre")
    granted = _row("role_granted")
    assert granted.target == f"user:{target.pk}" and granted.region == world.street_a
    assert granted.detail == {"user": target.pk, "role": "street_cadre", "unit": unit.code, "active": True}
    role.active = False
    role.save()
    assert _row("role_changed").detail["active"] is False
    role.delete()
    assert _row("role_revoked").target == f"user:{target.pk}"
    target.groups.add(Group.objects.create(name="ops"))
    assert _row("permission_changed").detail["what"] == "group"
    target.is_superuser = True
    target.save()
    assert _row("permission_changed").detail == {"flags": {"is_superuser": [False, True]}}
    target.last_login = timezone.now()
    target.save(update_fields=["last_login"])  # a log-in's save is not a permission change
    assert SecurityLog.objects.filter(kind="permission_changed").count() == 2


def test_admin_actions_are_mirrored(users, world):
    unit = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    LogEntry.objects.log_actions(
        users["district_admin"].pk,
        [unit],
        CHANGE,
        change_message=[{"changed": {"fields": ["name", "address"]}}],
        single_object=True,
    )
    row = _row("admin_action")
    assert row.user_id == users["district_admin"].pk and row.target == f"org.unit:{unit.pk}"
    assert row.detail == {"action": "change", "fields": ["address", "name"]} and row.region == unit.region


def test_the_request_user_and_address_are_recorded(rf, users, world):
    request = rf.get("/", REMOTE_ADDR="10.1.2.3")
    request.user = users["auditor"]
    middleware = audit.AuditContextMiddleware(
        lambda r: audit.record("admin_action", actor=audit.current_actor(), detail={"x": 1})
    )
    row = middleware(request)
    assert row.user_id == users["auditor"].pk and row.ip == "10.1.2.3"
    assert audit.record("admin_action", actor=audit.current_actor()).user_id is None  # outside a request: the system


# ----------------------------------------------------------------------------- append-only, retention


def test_rows_cannot_be_changed_or_deleted_through_the_orm(world):
    row = audit.record("login", actor=SYSTEM, username="x")
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        SecurityLog.objects.filter(pk=row.pk).update(username="y")
    with pytest.raises(PermissionError):
        SecurityLog.objects.filter(pk=row.pk).delete()
    # Nor by SQL: the database refuses an UPDATE (a trigger on SQLite and PostgreSQL).
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"UPDATE {SecurityLog._meta.db_table} SET username = 'y' WHERE id = %s", [row.pk])
    if connection.vendor == "postgresql":  # and a DELETE of a row younger than 180 days
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"DELETE FROM {SecurityLog._meta.db_table} WHERE id = %s", [row.pk])
    assert SecurityLog.objects.get(pk=row.pk).username == "x"


def _aged(days: int, **kw):
    return SecurityLog.objects.create(at=timezone.now() - dt.timedelta(days=days), kind="login", **kw)


@pytest.mark.parametrize("setting,kept", [(30, {10, 179}), (180, {10, 179}), (365, {10, 179, 200, 364})])
def test_pruning_never_deletes_rows_younger_than_the_retention(settings, world, setting, kept):
    settings.GONGZHI_SECURITY_LOG_RETENTION_DAYS = setting  # below 180 counts as 180
    for days in (10, 179, 200, 364, 400):
        _aged(days, username=str(days))
    out = io.StringIO()
    call_command("auditlog", "prune", stdout=out)
    left = {int(u) for u in SecurityLog.objects.filter(kind="login").values_list("username", flat=True)}
    assert left == kept
    assert f"deleted {5 - len(kept)} rows older than {max(setting, 180)} days" in out.getvalue()
    assert _row("log_pruned").detail["deleted"] == 5 - len(kept)
    # Asking the queryset for a younger cut-off still keeps 180 days.
    assert SecurityLog.objects.prune(timezone.now()) == 0 or setting > 180


def test_pruning_is_a_daily_job():
    from gongzhi.core.schedule import JOBS

    assert any(j.name == "core.prune_security_log" and j.every == dt.timedelta(hours=24) for j in JOBS)


# ----------------------------------------------------------------------------- who reads it


@pytest.mark.parametrize("role", ROLES)
def test_audit_pages_by_role(client, users, world, role):
    """Only the auditor reads the log (page, CSV, back office); administrators do not audit themselves."""
    audit.record("login", actor=users["street_cadre"], region=world.street_a)
    client.force_login(users[role])
    allowed = role == "auditor"
    page = client.get("/audit/")
    assert page.status_code == (200 if allowed else 403)
    export = client.get("/audit/export.csv")
    assert export.status_code == (200 if allowed else 403)
    admin_list = client.get(reverse("admin:core_securitylog_changelist"))
    assert admin_list.status_code == (200 if allowed else 403)
    if allowed:
        assert users["street_cadre"].username in page.content.decode()
        assert users["street_cadre"].username in b"".join(export.streaming_content).decode()


def test_anonymous_is_sent_to_log_in(client, users, world):
    assert client.get("/audit/").status_code == 302
    assert client.get("/audit/export.csv").status_code == 302
    client.force_login(users["auditor"])
    assert client.post("/audit/").status_code == 405 and client.post("/audit/export.csv").status_code == 405


def test_a_street_auditor_sees_only_their_street(client, users, world, django_user_model):
    street_auditor = django_user_model.objects.create_user("t_audit_a", is_staff=True)
    unit = Unit.objects.get(code=f"{world.street_a.code}-GOV")
    StaffRole.objects.create(user=street_auditor, unit=unit, role="auditor", region=unit.region)
    audit.record("admin_action", actor=SYSTEM, region=world.comm_a, target="mark-a")
    audit.record("admin_action", actor=SYSTEM, region=world.comm_b, target="mark-b")
    audit.record("admin_action", actor=SYSTEM, target="mark-platform")
    client.force_login(street_auditor)
    body = client.get("/audit/").content.decode()
    assert "mark-a" in body and "mark-b" not in body and "mark-platform" not in body
    client.force_login(users["auditor"])  # the district's auditor sees all three
    body = client.get("/audit/?kind=admin_action").content.decode()
    assert all(m in body for m in ("mark-a", "mark-b", "mark-platform"))


def test_the_log_is_read_only_in_the_back_office(client, users, world):
    row = audit.record("login", actor=users["street_cadre"], region=world.street_a)
    client.force_login(users["auditor"])
    assert client.get(reverse("admin:core_securitylog_change", args=[row.pk])).status_code == 200
    assert client.post(reverse("admin:core_securitylog_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    assert client.get(reverse("admin:core_securitylog_add")).status_code == 403
    assert SecurityLog.objects.filter(pk=row.pk).exists()


def test_filters_and_csv_export(client, users, world):
    audit.record("login", actor=users["street_cadre"], region=world.street_a)
    audit.record(
        "personal_view",
        actor=users["grid_worker"],
        region=world.comm_a,
        target="person:1",
        detail={"fields": ["phone"], "via": "page"},
    )
    client.force_login(users["auditor"])
    body = client.get("/audit/?kind=personal_view").content.decode()
    assert "person:1" in body and users["street_cadre"].username not in body
    resp = client.get("/audit/export.csv?kind=personal_view")
    assert resp["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["at", "kind", "user_id", "username", "region", "target", "ip", "detail"]
    assert [r[1] for r in rows[1:]] == ["personal_view"] and rows[1][4] == world.comm_a.code
    exported = _row("log_exported")
    assert exported.user_id == users["auditor"].pk and exported.detail["rows"] == 1
    # Bad input: a clear 400 with the field marked, nothing exported.
    bad = client.get("/audit/?start=2026-12-10&end=2026-12-01")
    assert bad.status_code == 400 and "截止日期不能早于起始日期" in bad.content.decode()
    assert client.get("/audit/?start=not-a-date").status_code == 400


def test_cli_export(world, tmp_path):
    audit.record("login", actor=SYSTEM, username="cli-user")
    out = tmp_path / "log.csv"
    call_command("auditlog", "export", "--out", str(out), stdout=io.StringIO())
    text = out.read_text()
    assert "cli-user" in text and text.splitlines()[0].startswith("at,kind")
    with pytest.raises(Exception, match="--since must be a date"):
        call_command("auditlog", "export", "--since", "yesterday")


@pytest.mark.parametrize("role", ROLES)
def test_opening_a_request_with_the_reporters_details_is_logged(client, users, world, role):
    """Request pages and the API detail: a row for staff who saw the reporter's details in clear, none
    for those who saw them masked."""
    from gongzhi.cases import services as cases
    from gongzhi.cases.views_common import request_dict
    from gongzhi.org.models import Grid

    grid = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    req, _ = cases.submit(
        SYSTEM,
        description="楼道堆物",
        category="01001",
        lon=grid.centroid_lon,
        lat=grid.centroid_lat,
        reporter_name="张三",
        reporter_phone="13912345678",
    )
    user = users[role]
    client.force_login(user)
    page = client.get(reverse("cases:detail", args=[req.number]))
    api = client.get(f"/api/v1/cases/requests/{req.number}")
    if page.status_code == 404:
        assert api.status_code == 404 and not SecurityLog.objects.filter(kind="personal_view").exists()
        return
    clear = not request_dict(user, req)["masked"]
    assert ("13912345678" in page.content.decode()) is clear
    rows = list(
        SecurityLog.objects.filter(kind="personal_view", target=f"servicerequest:{req.pk}")
        .order_by("id")
        .values_list("detail", flat=True)
    )
    expected = [{"fields": ["reporter_name", "reporter_phone"], "via": v} for v in ("page", "api")]
    assert rows == (expected if clear else [])


def test_behind_a_proxy_the_clients_address_is_recorded(rf, settings, world):
    settings.GONGZHI_CLIENT_IP_HEADER = "X-Real-IP"
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="203.0.113.7")
    request.user = type("Anon", (), {"is_authenticated": False})()
    assert audit.record("login_failed", actor=request.user, request=request, username="x").ip == "203.0.113.7"
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_REAL_IP="not an address")
    request.user = type("Anon", (), {"is_authenticated": False})()
    assert audit.record("login_failed", actor=request.user, request=request, username="x").ip is None
