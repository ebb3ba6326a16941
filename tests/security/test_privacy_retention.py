"""Issue 17, MLPS/PIPL: retention periods per kind of record and the purge that applies them.

* every model holding a phone, ID number, reporter or birth date is in the retention register;
* a purge far in the future anonymises every settled request of a year of demo requests and every
  closed mediation case, and every figure (cases/figures.py at each level, the command-centre
  rollups) is exactly what it was;
* an anonymised request keeps its structure but loses its reporter, text, attachments (files too),
  the personal part of its outbox events and the salts of its public-record commitments; the public
  record is byte for byte the same and still verifies; the purge's own event carries counts only;
* open and recently settled records are untouched; a dry run changes nothing; a second purge finds
  nothing; the security audit log is never purged here; bad input exits non-zero and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from gongzhi.cases import figures
from gongzhi.cases import services as cases
from gongzhi.cases.models import OPEN_STATES, Attachment, MediationCase, MediationParty, ServiceRequest, Transition
from gongzhi.core.actors import SYSTEM
from gongzhi.core.models import Event, IdempotencyKey, SecurityLog
from gongzhi.privacy import retention, services
from gongzhi.privacy.retention import MARKER

from .scope_fixtures import _synchronous_classifier  # noqa: F401

PHONE = "13912345678"
IDN = "110101199003074514"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
LATER = timezone.now() + dt.timedelta(days=3650)  # every period has passed


def purge(**kw):
    return services.purge(SYSTEM, **kw)


# ----------------------------------------------------------------------------- the register


PERSONAL_FIELDS = {"phone", "id_number", "reporter_name", "reporter_phone", "reporter_id_number", "birth_date"}


def test_every_model_with_personal_fields_is_in_the_register():
    covered = {m for k in retention.KINDS for m in k.models}
    found = set()
    for model in apps.get_models():
        if not model.__module__.startswith("gongzhi."):
            continue
        if PERSONAL_FIELDS & {f.name for f in model._meta.get_fields()}:
            found.add(model._meta.label)
    assert found, "the walk found nothing: the field names changed"
    missing = sorted(found - covered)
    assert not missing, f"models with personal fields but no retention entry: {missing}"


def test_periods_are_data_and_overridable(settings, monkeypatch):
    table = {row["kind"]: row for row in retention.table()}
    assert table["cases.request"]["action"] == "anonymise" and table["cases.request"]["days"] == 3 * 365
    assert table["core.idempotency"]["action"] == "delete"
    assert table["core.security_log"]["action"] == "keep"  # pruned by its own job, ≥ 180 days
    monkeypatch.setenv("GONGZHI_RETENTION_DAYS", "cases.request=400, core.idempotency=7")
    assert retention.period("cases.request") == 400 and retention.period("core.idempotency") == 7
    settings.GONGZHI_RETENTION_DAYS = {"cases.request": 500}  # settings win over the environment
    assert retention.period("cases.request") == 500 and retention.period("core.idempotency") == 30
    for bad in ({"core.security_log": 30}, {"nope": 30}, {"cases.request": 0}):
        settings.GONGZHI_RETENTION_DAYS = bad
        with pytest.raises(ImproperlyConfigured):
            retention.period("cases.request")
    del settings.GONGZHI_RETENTION_DAYS
    monkeypatch.setenv("GONGZHI_RETENTION_DAYS", "cases.request")
    with pytest.raises(ImproperlyConfigured, match="kind=days"):
        retention.period("cases.request")


def test_the_purge_runs_daily(db):
    from gongzhi.core import schedule

    job = next(j for j in schedule.JOBS if j.name == "privacy.purge_expired")
    assert job.every == dt.timedelta(hours=24)
    result = schedule._task(job.task).enqueue()  # the immediate backend in tests: it runs now
    assert result.return_value == {k: 0 for k in retention.PURGEABLE}  # nothing has expired in an empty database


# ----------------------------------------------------------------------------- figures survive


def _figures():
    out = {level: figures.compute(level) for level in figures.LEVELS}
    out["total"] = figures.total()
    return json.loads(json.dumps(out, default=str))


def _rollups():
    from gongzhi.command.models import AreaDay, CategoryMonth, DailyRollup, StreetDay

    rows = {}
    for model in (DailyRollup, AreaDay, StreetDay, CategoryMonth):
        fields = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        rows[model.__name__] = sorted(json.dumps(r, default=str, sort_keys=True) for r in model.objects.values(*fields))
    return rows


def test_every_figure_survives_a_purge_of_the_demo_year(world):
    from gongzhi.cases import demo as cases_demo
    from gongzhi.command import rollups

    cases_demo.generate(seed=7, scale="tiny", progress=lambda *a: None)
    rollups.rebuild(None)
    settled = ServiceRequest.objects.exclude(state__in=OPEN_STATES)
    n_settled, n_open = settled.count(), ServiceRequest.objects.filter(state__in=OPEN_STATES).count()
    n_mediation = MediationCase.objects.filter(closed_at__isnull=False).count()
    assert n_settled > 300 and n_mediation > 0
    before_figures, before_rollups = _figures(), _rollups()
    open_before = {
        r.pk: (r.description, r.reporter_phone) for r in ServiceRequest.objects.filter(state__in=OPEN_STATES)
    }

    report = purge(now=LATER)

    assert report["cases.request"]["rows"] == n_settled
    assert report["cases.mediation"]["rows"] == n_mediation
    assert not settled.exclude(description=MARKER).exists()
    assert not settled.exclude(reporter_phone="", reporter_name="", reporter_id_number="").exists()
    assert not Transition.objects.filter(request__in=settled).exclude(reason__in=["", MARKER]).exists()
    assert not MediationParty.objects.filter(case__closed_at__isnull=False).exclude(name=MARKER, phone="").exists()
    # open requests are still being handled: untouched
    assert {
        r.pk: (r.description, r.reporter_phone) for r in ServiceRequest.objects.filter(state__in=OPEN_STATES)
    } == open_before and n_open == len(open_before)
    # the figures, from the records and from the rollups rebuilt from them, are exactly the same
    assert _figures() == before_figures
    rollups.rebuild(None)
    assert _rollups() == before_rollups
    assert rollups.check() == []  # and the stored rollups agree with the records
    # a second purge finds nothing left to do
    assert all(row["rows"] == 0 for row in purge(now=LATER).values())


# ----------------------------------------------------------------------------- one request, end to end


@pytest.fixture
def ledger_key(monkeypatch):
    from gongzhi.ledger import services as ledger
    from gongzhi.ledger.note import Signer

    signer = Signer.generate("gongzhi.local/ledger")
    monkeypatch.setenv("GONGZHI_LEDGER_KEY", signer.to_key())
    ledger.keys._signer_cache.clear()
    return signer


@pytest.fixture
def settled_request(world, users, settings, tmp_path):
    """A request with full reporter details, a phone in its text and reasons, a photo, resolved and closed."""
    from gongzhi.org.models import Grid

    settings.GONGZHI_MEDIA_DIR = str(tmp_path / "media")
    g = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    req, _ = cases.submit(
        SYSTEM,
        description=f"楼下垃圾堆放多日，请联系我{PHONE}",
        category="01001",
        lon=g.centroid_lon + 0.000123,
        lat=g.centroid_lat + 0.000123,
        address="幸福小区3号楼2单元501",
        reporter_name="王小明",
        reporter_phone=PHONE,
        reporter_id_number=IDN,
        attachments=[("现场.jpg", JPEG)],
    )
    req.refresh_from_db()
    admin = users["district_admin"]
    if req.state == "submitted":
        cases.accept(admin, req)
        req.refresh_from_db()
    if req.state == "accepted":
        cases.dispatch(admin, req)
        req.refresh_from_db()
    cases.resolve(admin, req, resolution=f"已电话联系居民{PHONE}，已清理")
    req.refresh_from_db()
    cases.close(admin, req, reason=f"居民{PHONE}确认")
    req.refresh_from_db()
    return req


def test_a_request_is_anonymised_and_the_ledger_still_verifies(
    client, settled_request, ledger_key, world, django_capture_on_commit_callbacks
):
    from gongzhi.core.events import dispatch_pending
    from gongzhi.ledger.models import Leaf, SignedCheckpoint
    from gongzhi.ledger.verify import VerificationFailed, verify_log

    req = settled_request
    files = [Attachment.objects.get(request=req).stored_name]
    from gongzhi.cases import attachments

    assert attachments.exists(files[0])
    dispatch_pending(["ledger"])
    record = f"service_request:{req.number}"
    leaves = {leaf.index: (bytes(leaf.entry), bytes(leaf.leaf_hash)) for leaf in Leaf.objects.filter(record=record)}
    assert leaves and Leaf.objects.filter(record=record).exclude(salts="{}").exists()
    figures_before = figures.total()

    dry = purge(now=LATER, kinds=["cases.request"], dry_run=True)
    assert dry["cases.request"]["rows"] == 1
    assert ServiceRequest.objects.get(pk=req.pk).reporter_phone == PHONE  # a dry run changes nothing

    with django_capture_on_commit_callbacks(execute=True):  # files go once the transaction commits
        report = purge(now=LATER, kinds=["cases.request"])
    assert report["cases.request"]["rows"] == 1
    r = ServiceRequest.objects.get(pk=req.pk)
    assert (
        r.description,
        r.resolution,
        r.address,
        r.reporter_name,
        r.reporter_phone,
        r.reporter_id_number,
        r.reporter_user_id,
    ) == (MARKER, MARKER, "", "", "", "", None)
    assert (r.number, r.state, r.category_id, r.region_id, r.grid_id, r.created_at, r.updated_at) == (
        req.number,
        req.state,
        req.category_id,
        req.region_id,
        req.grid_id,
        req.created_at,
        req.updated_at,
    )
    assert (r.lon, r.lat) == (round(req.lon, 3), round(req.lat, 3))
    assert not Attachment.objects.filter(request=req).exists()
    assert not attachments.exists(files[0])  # the file too
    assert all(t.reason in ("", MARKER) for t in Transition.objects.filter(request=req))
    # the outbox keeps structure only
    events = Event.objects.filter(aggregate_type="service_request", aggregate_id=req.number)
    text = json.dumps([e.payload for e in events], ensure_ascii=False)
    assert events.exists() and PHONE not in text and IDN not in text and "王小明" not in text
    assert all("personal" not in e.payload for e in events)
    # the public record: the same entries and hashes, the salts forgotten
    after = {leaf.index: (bytes(leaf.entry), bytes(leaf.leaf_hash)) for leaf in Leaf.objects.filter(record=record)}
    assert after == leaves
    assert not Leaf.objects.filter(record=record).exclude(salts="{}").exists()
    # the purge is on the record itself, with counts only
    purged = Event.objects.get(type="privacy.purged")
    assert purged.payload == {
        "kind": "cases.request",
        "action": "anonymise",
        "rows": 1,
        "cutoff": report["cases.request"]["cutoff"],
        "days": 3 * 365,
    }
    dispatch_pending(["ledger"])
    leaf = Leaf.objects.get(event_id=purged.event_id)
    entry = json.loads(bytes(leaf.entry))
    assert entry["data"] == purged.payload  # every field structured, none committed
    assert figures.total() == figures_before

    def fetch(path):
        resp = client.get("/ledger/" + path)
        if resp.status_code != 200:
            raise VerificationFailed(f"{path}: HTTP {resp.status_code}")
        return resp.content

    cp = verify_log("http://testserver/ledger/", [ledger_key.verifier], records=[record], full=True, fetch=fetch)
    assert cp.checkpoint.size == SignedCheckpoint.objects.latest().size == Leaf.objects.count()


def test_recent_records_are_kept(settled_request):
    report = purge()  # now: the request was settled a moment ago
    assert report["cases.request"]["rows"] == 0
    assert ServiceRequest.objects.get(pk=settled_request.pk).reporter_phone == PHONE


def test_other_kinds(world, users, settled_request):
    from gongzhi.consult.models import Phase, Statement, Topic
    from gongzhi.org.models import Person

    people = list(Person.objects.filter(region=world.comm_a).order_by("pk")[:3])
    case = cases.open_mediation(
        users["district_admin"],
        region=world.comm_a,
        title="王某与李某漏水纠纷",
        lead=people[0].pk,
        parties=[{"name": "王某", "phone": PHONE}, {"name": "李某"}],
    )
    cases.add_session(users["district_admin"], case, at=timezone.now(), place="调解室", notes=f"王某电话{PHONE}")
    cases.close_mediation(users["district_admin"], case, outcome="agreement", agreement="李某赔偿王某500元")
    key = IdempotencyKey.objects.create(key="k1", scope="t", status=201, response={"reporter_phone": PHONE})
    topic = Topic.objects.create(title="t", region=world.comm_a)
    now = timezone.now()
    Phase.objects.create(
        topic=topic, kind="collect", starts_at=now - dt.timedelta(days=2), ends_at=now - dt.timedelta(days=1)
    )
    st = Statement.objects.create(topic=topic, author=users["grid_worker"], text="建议增设充电桩")

    report = purge(now=LATER, kinds=["cases.mediation", "core.idempotency", "consult.statement_author"])
    assert {k: v["rows"] for k, v in report.items()} == {
        "cases.mediation": 1,
        "core.idempotency": 1,
        "consult.statement_author": 1,
    }
    case.refresh_from_db()
    assert (case.title, case.agreement, case.outcome) == (MARKER, MARKER, "agreement")
    assert set(case.parties.values_list("name", "phone")) == {(MARKER, "")}
    assert set(case.sessions.values_list("notes", "place")) == {(MARKER, "")}
    assert not IdempotencyKey.objects.filter(pk=key.pk).exists()
    st.refresh_from_db()
    assert st.author_id is None and st.text == "建议增设充电桩"
    # the security audit log is not the purge's to touch
    assert SecurityLog.objects.count() == SecurityLog.objects.filter(at__lt=LATER).count()
    with pytest.raises(Exception, match="不按期限清理"):
        purge(kinds=["core.security_log"])


def test_only_the_system_purges(users):
    from gongzhi.core.errors import Forbidden

    with pytest.raises(Forbidden):
        services.purge(users["district_admin"])


# ----------------------------------------------------------------------------- the command


def test_command_prints_per_kind_and_refuses_bad_input(settled_request):
    out = io.StringIO()
    call_command("privacy", "purge", "--dry-run", "--now", LATER.date().isoformat(), stdout=out)
    text = out.getvalue()
    assert "cases.request" in text and "would anonymise" in text and "core.idempotency" in text
    line = next(x for x in text.splitlines() if x.startswith("cases.request"))
    assert " 1 rows" in line
    assert ServiceRequest.objects.get(pk=settled_request.pk).reporter_phone == PHONE

    events = Event.objects.count()
    for args, msg in (
        (["--kind", "nope"], "未知的记录类型"),
        (["--kind", "core.security_log"], "不按期限清理"),
        (["--now", "next tuesday"], "--now must be a date"),
        (["--batch-size", "0"], "at least 1"),
    ):
        with pytest.raises(CommandError, match=msg):
            call_command("privacy", "purge", *args, stdout=io.StringIO())
    assert ServiceRequest.objects.get(pk=settled_request.pk).reporter_phone == PHONE
    assert Event.objects.count() == events

    out = io.StringIO()
    call_command(
        "privacy", "purge", "--kind", "cases.request", "--now", LATER.isoformat(timespec="minutes"), stdout=out
    )
    assert "anonymised" in out.getvalue() and " 1 rows" in out.getvalue()
    assert ServiceRequest.objects.get(pk=settled_request.pk).reporter_phone == ""

    out = io.StringIO()
    call_command("privacy", "periods", stdout=out)
    assert "core.security_log" in out.getvalue() and "keep" in out.getvalue()


def test_anonymised_request_pages_show_the_marker(settled_request, users):
    purge(now=LATER, kinds=["cases.request"])
    c = Client()
    c.force_login(users["district_admin"])
    page = c.get(f"/requests/r/{settled_request.number}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert MARKER in body and PHONE not in body and "王小明" not in body
