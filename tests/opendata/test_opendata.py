"""Open data (issue 23): the datasets, their publication on the ledger, the catalogue, the pol.is round
trip through ``gongzhi consensus``, the Popolo schemas, and spreadsheet imports with a dry run."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError, Forbidden
from gongzhi.opendata import datasets, services
from gongzhi.opendata.models import ImportRun, Snapshot

pytestmark = pytest.mark.django_db

POPOLO = Path("/work/shared/data/popolo/schemas")
if not POPOLO.is_dir():  # the repository may be checked out next to shared/
    POPOLO = Path(__file__).resolve().parents[3] / "shared" / "data" / "popolo" / "schemas"


def _popolo_validator(name: str):
    from jsonschema import Draft3Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT3

    resources = []
    for p in POPOLO.glob("*.json"):
        doc = json.loads(p.read_text())
        resources.append((doc["id"].rstrip("#"), Resource(contents=doc, specification=DRAFT3)))
        resources.append((doc["id"], Resource(contents=doc, specification=DRAFT3)))
    registry = Registry().with_resources(resources)
    schema = json.loads((POPOLO / f"{name}.json").read_text())
    return Draft3Validator(schema, registry=registry)


@pytest.mark.skipif(not POPOLO.is_dir(), reason="shared Popolo schemas not available")
def test_popolo_validates_and_holds_public_roles_only(world):
    from gongzhi.org.kinds import MemberRole
    from gongzhi.org.models import Membership, Person

    content, rows = datasets.popolo(timezone.now())
    data = json.loads(content)
    assert rows == sum(len(data[k]) for k in ("areas", "organizations", "persons", "memberships"))
    assert data["organizations"] and data["areas"]
    kinds = {"organizations": "organization", "persons": "person", "memberships": "membership", "areas": "area"}
    for key, schema in kinds.items():
        v = _popolo_validator(schema)
        for item in data[key]:
            errors = list(v.iter_errors(item))
            assert not errors, (key, item, [e.message for e in errors])
    # Only people in public roles, by pseudonymous id, surname only; never a phone or an ID number.
    public = Membership.objects.filter(role__in=datasets.PUBLIC_ROLES, end_date__isnull=True)
    assert len(data["memberships"]) == public.count()
    assert {m["role"] for m in data["memberships"]} <= {str(MemberRole(r).label) for r in datasets.PUBLIC_ROLES}
    text = content.decode()
    for p in Person.objects.exclude(id_number="")[:50]:
        assert p.id_number not in text
    for p in Person.objects.exclude(phone="")[:50]:
        assert p.phone not in text
    for person in data["persons"]:
        assert person["id"].startswith("person/") and person["name"].endswith("*")
    # Every membership points at an organisation and a person of the export.
    org_ids = {o["id"] for o in data["organizations"]}
    person_ids = {p["id"] for p in data["persons"]}
    assert all(m["organization_id"] in org_ids and m["person_id"] in person_ids for m in data["memberships"])


def test_grids_and_figures(world):
    from gongzhi.org.models import Grid

    now = timezone.now()
    content, n = datasets.grids(now)
    fc = json.loads(content)
    assert fc["type"] == "FeatureCollection" and n == len(fc["features"]) == Grid.objects.count()
    content, n = datasets.grid_figures(now)
    feature = json.loads(content)["features"][0]
    assert set(datasets.GRID_FIGURES) <= set(feature["properties"])
    content, n = datasets.figures_csv(now)
    table = list(csv.DictReader(io.StringIO(content.decode())))
    figures = datasets.public_figures()
    assert len(table) == n == len(figures) * 3  # district and its two streets
    assert all(row["definition"] for row in table)
    assert {row["level"] for row in table} == {"district", "street"}


def _drain_ledger():
    from gongzhi.core import events
    from gongzhi.ledger.services.signing import sign_checkpoint

    events.dispatch_pending()
    sign_checkpoint()


def test_publish_once_per_content_and_on_the_ledger(world, client):
    first = services.publish(SYSTEM, "grids")
    assert first.new and first.snapshot.sha256 == hashlib.sha256(bytes(first.snapshot.content)).hexdigest()
    again = services.publish(SYSTEM, "grids")
    assert not again.new and again.snapshot.pk == first.snapshot.pk
    assert Snapshot.objects.filter(dataset="grids").count() == 1
    _drain_ledger()
    response = client.get("/data/grids/download")
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert hashlib.sha256(body).hexdigest() == response["X-Content-SHA256"] == first.snapshot.sha256
    meta = client.get("/data/grids/meta.json").json()
    assert meta["sha256"] == first.snapshot.sha256 and meta["licence"] == "CC BY 4.0"
    assert meta["ledger"]["verified"] is True
    entry = client.get(meta["ledger"]["entry"])
    assert entry.status_code == 200 and first.snapshot.sha256 in entry.content.decode()
    # A change in the records gives a new snapshot; the old one stays.
    from gongzhi.org.models import Grid

    g = Grid.objects.order_by("code").first()
    Grid.objects.filter(pk=g.pk).update(name=g.name + "（更名）")
    assert services.publish(SYSTEM, "grids").new
    assert Snapshot.objects.filter(dataset="grids").count() == 2


def test_unknown_dataset_and_unpublished(world, client):
    with pytest.raises(DomainError) as exc:
        services.publish(SYSTEM, "nope")
    assert exc.value.field == "dataset"
    assert client.get("/data/popolo/download").status_code == 404
    assert client.get("/api/v1/data/datasets/popolo").status_code == 404


def test_catalogue_page_and_api(world, users, client):
    services.publish(SYSTEM, "grids")
    page = client.get("/data/")
    assert page.status_code == 200
    html = page.content.decode()
    for slug in ("popolo", "open311-requests", "grids", "grid-figures", "figures"):
        assert f'id="dataset-{slug}"' in html
    assert "CC BY 4.0" in html
    listing = client.get("/api/v1/data/datasets").json()
    by_slug = {d["slug"]: d for d in listing}
    assert by_slug["grids"]["latest"]["sha256"] and by_slug["popolo"]["latest"] is None
    # Publishing by hand: the district administrator only.
    assert client.post("/data/").status_code in (302, 403)
    client.force_login(users["street_cadre"])
    assert client.post("/data/").status_code == 403
    client.force_login(users["district_admin"])
    assert client.post("/data/").status_code == 302
    assert Snapshot.objects.filter(dataset="popolo").exists()


def _camps(topic, voters, moderator):
    from gongzhi.consult import services as cs

    stmts = []
    for i in range(8):
        st = cs.submit_statement(topic, voters[0], f"观点第{i}条：电话13800138000")
        stmts.append(cs.moderate_statement(st, moderator, accept=True))
    pending = cs.submit_statement(topic, voters[1], "未审核的观点")
    for k, u in enumerate(voters[1:]):
        for i, st in enumerate(stmts):
            cs.cast_vote(st, u, 1 if i == 0 else (1 if i % 2 == k % 2 else -1))
    return stmts, pending


def test_consultation_round_trip_through_consensus(world, tmp_path):
    from gongzhi.consult import services as cs
    from gongzhi.consult.models import Phase, Topic

    User = get_user_model()
    voters = [User.objects.create_user(username=f"v{i}") for i in range(24)]
    moderator = User.objects.create_superuser(username="mod", email="", password=None)
    now = timezone.now()
    topic = cs.create_topic(
        title="小区停车怎么管",
        scope="community",
        region=world.comm_a,
        phases=[{"kind": "collect", "starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=1)}],
        proposed_by=voters[0],
    )
    stmts, pending = _camps(topic, voters, moderator)
    assert not any(d.slug == f"consultation-{topic.pk}" for d in datasets.all_datasets(now))  # still open
    Phase.objects.filter(topic=topic).update(starts_at=now - timedelta(days=3), ends_at=now - timedelta(hours=1))
    slug = f"consultation-{topic.pk}"
    assert slug in {d.slug for d in datasets.all_datasets()}
    folder = _round_trip(slug, tmp_path)
    comments = (folder / "comments.csv").read_text()
    assert "13800138000" not in comments and "未审核的观点" not in comments  # masked; unmoderated has no body
    an = cs.analyse_topic(Topic.objects.get(pk=topic.pk))
    summary = dict(csv.reader((folder / "summary.csv").open()))
    assert summary["groups"] == str(an.n_groups) and summary["comments"] == "9"


def _round_trip(slug: str, tmp_path) -> Path:
    """Publish the consultation, unpack it, read it back with ``gongzhi consensus --live`` (the votes
    replayed as the platform's live analysis takes them): the groups it finds are the groups the export
    carries (participants-votes.csv's group-id) and the platform shows."""
    from gongzhi.consult import services as cs
    from gongzhi.consult.models import Topic

    snap = services.publish(SYSTEM, slug).snapshot
    with zipfile.ZipFile(io.BytesIO(bytes(snap.content))) as z:
        z.extractall(tmp_path)
    folder = tmp_path / slug
    assert sorted(p.name for p in folder.iterdir()) == [
        "comments.csv",
        "participants-votes.csv",
        "summary.csv",
        "votes.csv",
    ]
    out = io.StringIO()
    call_command("consensus", str(folder), "--json", "--live", stdout=out)
    result = json.loads(out.getvalue())
    an = cs.analyse_topic(Topic.objects.get(pk=int(slug.rsplit("-", 1)[1])))
    exported: dict = {}
    with (folder / "participants-votes.csv").open() as fh:
        for row in csv.DictReader(fh):
            if row["group-id"] != "":
                exported.setdefault(row["group-id"], set()).add(int(row["participant"]))
    assert an.n_groups >= 2 and sorted(len(v) for v in exported.values()) == sorted(an.group_sizes())
    groups_read: dict = {}
    for pid, g in result["participant_groups"].items():
        if g is not None:
            groups_read.setdefault(g, set()).add(int(pid))
    assert sorted(map(frozenset, groups_read.values()), key=min) == sorted(map(frozenset, exported.values()), key=min)
    return folder


def test_demo_consultation_round_trip(world, tmp_path):
    """The demo's finished consultation, exported in the pol.is format and read back to the same groups."""
    from gongzhi.consult import demo

    demo.generate(seed=1, scale="tiny", progress=lambda *a: None)
    finished = [d.slug for d in datasets.all_datasets() if d.slug.startswith("consultation-")]
    assert len(finished) == 1
    _round_trip(finished[0], tmp_path)


def _xlsx(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _households(world, users):
    from gongzhi.org.models import Grid

    grid_a = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    return _xlsx(
        [
            ["户编码", "地址", "所在区域", "楼栋", "网格编码"],
            ["H-IMP-1", "幸福路1号", world.comm_a.code, "1栋", grid_a.code],  # good
            ["H-IMP-2", "", world.comm_a.code, "", ""],  # no address
            ["H-IMP-3", "幸福路3号", "999999", "", ""],  # unknown region
            ["H-IMP-1", "幸福路4号", world.comm_a.code, "", ""],  # code used above
            ["H-IMP-5", "幸福路5号", world.comm_a.code, "", "NO-SUCH-GRID"],  # unknown grid
            ["H-IMP-6", "other street", world.comm_b.code, "", ""],  # outside a street A cadre's area
            ["H-IMP-7", "幸福路7号", world.comm_a.code, "", ""],  # good
        ]
    )


def test_import_dry_run_reports_every_bad_row_and_changes_nothing(world, users):
    from gongzhi.org.models import Household

    before = Household.objects.count()
    run = services.run_import(users["street_cadre"], "households", "h.xlsx", _households(world, users))
    assert Household.objects.count() == before
    assert run.dry_run and not run.applied and run.rows == 7 and run.accepted == 2
    refused = {(r["row"], r["column"]) for r in run.refused}
    assert refused == {(3, "address"), (4, "region"), (5, "code"), (6, "grid"), (7, "")}
    assert all(r["message"] for r in run.refused)
    # Applying a file with refused rows keeps nothing, and says so.
    with pytest.raises(services.ImportRefused):
        services.run_import(users["street_cadre"], "households", "h.xlsx", _households(world, users), dry_run=False)
    assert Household.objects.count() == before
    assert ImportRun.objects.filter(applied=False).count() == 2


def test_import_people_and_units_apply(world, users):
    from gongzhi.org.models import Household, Person, Unit

    good_h = _xlsx([["户编码", "地址", "所在区域"], ["H-OK-1", "幸福路1号", world.comm_a.code]])
    run = services.run_import(users["district_admin"], "households", "h.xlsx", good_h, dry_run=False)
    assert run.applied and Household.objects.filter(code="H-OK-1").exists()
    people = _xlsx(
        [
            ["name", "region", "gender", "birth_date", "id_number", "phone", "household", "is_mobile"],
            ["王小明", world.comm_a.code, "男", "1980-02-03", "", "13800000001", "H-OK-1", "否"],
            ["", world.comm_a.code, "", "", "", "", "", ""],  # no name
            ["李四", world.comm_a.code, "x", "1980-13-01", "123", "12", "NOPE", "maybe"],
        ]
    )
    run = services.run_import(users["district_admin"], "people", "p.xlsx", people)
    assert {r["row"] for r in run.refused} == {3, 4} and run.accepted == 1
    units = _xlsx(
        [
            ["编码", "名称", "类型", "所在区域", "上级编码"],
            ["IMP-CO-1", "示范企业", "非公企业", world.street_a.code, ""],
            ["IMP-PB-1", "示范党支部", "party_branch", world.street_a.code, ""],  # party orgs need founding
            ["IMP-CO-2", "无类型", "火星单位", world.street_a.code, ""],
        ]
    )
    run = services.run_import(users["district_admin"], "units", "u.xlsx", units)
    assert {(r["row"], r["column"]) for r in run.refused} == {(3, "kind"), (4, "kind")}
    ok = _xlsx(
        [["编码", "名称", "类型", "所在区域"], ["IMP-CO-1", "示范企业", "enterprise_private", world.street_a.code]]
    )
    assert services.run_import(users["district_admin"], "units", "u.xlsx", ok, dry_run=False).applied
    assert Unit.objects.filter(code="IMP-CO-1", kind="enterprise_private").exists()
    assert not Person.objects.filter(name="王小明").exists()  # that file was only a dry run


def test_import_refuses_bad_files_and_roles(world, users):
    with pytest.raises(DomainError) as exc:
        services.run_import(users["district_admin"], "households", "x.xlsx", b"not a spreadsheet")
    assert exc.value.field == "file"
    with pytest.raises(DomainError) as exc:
        services.run_import(users["district_admin"], "households", "x.xlsx", _xlsx([["地址"], ["x"]]))
    assert "户编码" in exc.value.message and "所在区域" in exc.value.message
    with pytest.raises(DomainError):
        services.run_import(users["district_admin"], "cats", "x.xlsx", _xlsx([["a"]]))
    for who in ("grid_worker", "department_staff", "auditor"):
        with pytest.raises(Forbidden):
            services.run_import(users[who], "households", "h.xlsx", _households(world, users))


def test_import_cli_and_page(world, users, client, tmp_path):
    path = tmp_path / "h.xlsx"
    path.write_bytes(_households(world, users))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("opendata", "import", "households", str(path), "--user", "t_street", stdout=out)
    text = out.getvalue()
    assert "7 rows, 2 accepted, 5 refused" in text and "row 4\t所在区域" in text
    client.force_login(users["street_cadre"])
    with path.open("rb") as fh:
        page = client.post("/data/import/", {"kind": "households", "file": fh, "dry_run": "on"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="refused-rows"' in html and html.count("<tr><td") >= 5
    with path.open("rb") as fh:
        page = client.post("/data/import/", {"kind": "households", "file": fh})
    assert page.status_code == 400 and "errorlist" in page.content.decode()
    client.force_login(users["auditor"])
    assert client.get("/data/import/").status_code == 403


def test_import_runs_and_messages_have_a_retention_period(world, users):
    """Both hold personal data (a file name and quoted values; a phone or e-mail address): deleted after
    their period by the privacy purge, recent ones kept."""
    from gongzhi.privacy import services as privacy

    run = services.run_import(users["district_admin"], "households", "张三家.xlsx", _households(world, users))
    ImportRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(days=400))
    fresh = services.run_import(users["district_admin"], "households", "h.xlsx", _households(world, users))
    out = privacy.purge(SYSTEM, kinds=["opendata.import_run", "notify.message"])
    assert out["opendata.import_run"]["rows"] == 1
    assert list(ImportRun.objects.values_list("pk", flat=True)) == [fresh.pk]
