"""The permission matrix (issue 17): every endpoint and page, generated from the URL conf.

Every URL pattern the resolver knows (pages, the Ninja API's operations, Open311, the ledger; the
admin as a group) must have an entry in ``tests/security/matrix.py`` that says, for each principal
(anonymous, a resident without a role, every demo role), what a GET and what a POST (an empty form or
``{}``) give. A route without an entry fails ``test_every_route_has_an_entry`` with the line to add;
an entry whose route is gone fails too.

Object routes are filled with objects of street A (the scope of street_cadre, community_cadre and
grid_worker) from the tiny demo district with every module's demo data, so that ``other_street_cadre``
(street B) checks the region scope and not only the role. Every cell also checks that no request
gives a 500 and that a refused or rejected request (401/403/404/405/4xx, log-in redirect) wrote no
row anywhere in the domain tables (row counts of every table of the platform's apps, the outbox
``core.Event`` included), and that no GET writes either.

``GONGZHI_MATRIX_RECORD=/path.json`` records the observed outcomes instead of comparing them (to
review and then copy into the table when a route is added or changed on purpose).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from gongzhi.core.actors import SYSTEM
from tests.security import matrix

# The mark makes pytest-django create the test database; the world itself is built once per module
# (``world_m``) and each test runs in a savepoint inside it.
# The matrix decides permissions and scope in the ORM, the same on both databases; on PostgreSQL its
# 7,000 row-count snapshots of every table took 599 s of the CI's 1,016 s pass (SQLite: about 100 s).
# The scope tests that do run on PostgreSQL: test_scope_matrix.py, test_scope_duplicates.py.
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_only]

PRINCIPALS = matrix.PRINCIPALS
RECORD = os.environ.get("GONGZHI_MATRIX_RECORD")

# Not enumerated: Django's language switch and the API's interactive docs page (a static asset
# shell); the admin is covered as a group by the entries in matrix.ADMIN.
SKIP_NAMES = {"set_language", "api:openapi-view"}
SKIP_PREFIXES = ("admin/", "static/", "media/")


@dataclass(frozen=True)
class Route:
    key: str  # "GET api/v1/units" for API operations, the route pattern for pages
    route: str
    name: str
    api_method: str | None = None  # the API operation's method; None for pages (GET and POST tried)


def _api_methods() -> dict[str, list[str]]:
    """Route pattern → methods of the Ninja API operations, from the API's own OpenAPI schema."""
    from gongzhi.api.api import api

    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    out: dict[str, list[str]] = {}
    for path, ops in schema["paths"].items():
        route = "api/v1/" + re.sub(r"\{(\w+)\}", r"<\1>", path[len("/api/v1/") :])
        out[route] = sorted(m.upper() for m in ops)
    return out


def enumerate_routes() -> dict[str, Route]:
    """Every route of the URL conf (walking nested resolvers), keyed as the matrix is."""
    api_methods = _api_methods()
    found: dict[str, Route] = {}

    def walk(resolver, prefix: str, ns: str):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, prefix + str(p.pattern), ns + (f"{p.namespace}:" if p.namespace else ""))
                continue
            assert isinstance(p, URLPattern)
            route, name = prefix + str(p.pattern), ns + (p.name or "")
            if name in SKIP_NAMES or route.startswith(SKIP_PREFIXES):
                continue
            if route in api_methods:
                for m in api_methods[route]:
                    found[f"{m} {route}"] = Route(f"{m} {route}", route, name, m)
            elif (
                route.startswith("api/v1/")
                and name.startswith("api:")
                and "sync_view_wrapper" in str(getattr(p.callback, "__qualname__", ""))
            ):
                # an operation left out of the schema still needs an entry
                found[f"ANY {route}"] = Route(f"ANY {route}", route, name, "GET")
            else:
                found[route] = Route(route, route, name)

    walk(get_resolver(), "", "")
    for route in matrix.ADMIN:
        found[route] = Route(route, route, "admin")
    return found


ROUTES = enumerate_routes()


def test_every_route_has_an_entry():
    missing = sorted(set(ROUTES) - set(matrix.TABLE))
    stale = sorted(set(matrix.TABLE) - set(ROUTES))
    hint = "\n".join(f"    {k!r}: E(get=..., post=...)," for k in missing)
    assert not missing, (
        f"{len(missing)} route(s) of the URL conf have no entry in tests/security/matrix.py TABLE; add what each "
        f"principal {PRINCIPALS} may do (run with GONGZHI_MATRIX_RECORD=/tmp/m.json to see what they get now):\n" + hint
    )
    assert not stale, f"entries in tests/security/matrix.py TABLE for routes that no longer exist: {stale}"
    no_params = sorted(k for k in ROUTES if re.search(r"<|\(\?P", ROUTES[k].route) and k not in matrix.PARAMS)
    assert not no_params, f"routes with URL parameters but no PARAMS entry in tests/security/matrix.py: {no_params}"
    stale_params = sorted((set(matrix.PARAMS) | set(matrix.BODIES)) - set(ROUTES))
    assert not stale_params, (
        f"PARAMS entries in tests/security/matrix.py for routes that no longer exist: {stale_params}"
    )


# ------------------------------------------------------------------ the world, once per module


def _domain_tables() -> list[str]:
    """Every table of the platform's apps and the user tables, less those a refused request may
    legitimately write (the security audit log records refusals; sessions; the cache)."""
    skip = {"core.SecurityLog"}
    tables = []
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label
        if (
            model._meta.app_label in matrix.DOMAIN_APPS
            and label not in skip
            and model._meta.managed
            and not model._meta.proxy
        ):
            tables.append(model._meta.db_table)
    return sorted(set(tables))


def _snapshot(tables) -> dict[str, int]:
    qn = connection.ops.quote_name
    sql = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM {qn(t)}" for t in tables)
    with connection.cursor() as cur:
        cur.execute(sql)
        return dict(cur.fetchall())


@pytest.fixture(scope="module")
def world_m(django_db_setup, django_db_blocker):
    """The tiny district with every module's demo data, principals, their browsers and API tokens, and
    the objects the routes are filled with; built once and rolled back at the end of the module."""
    from django.contrib.auth import get_user_model

    from gongzhi.cases import classify, routing
    from gongzhi.cases import services as case_services
    from gongzhi.core.events import dispatch_pending
    from gongzhi.core.models import Region
    from gongzhi.core.services import issue_api_token
    from gongzhi.demo.generator import DemoGenerator, run_module_demos
    from gongzhi.org import geo
    from gongzhi.org.models import Person, StaffRole, Unit

    mp = pytest.MonkeyPatch()
    mp.setattr(classify, "BACKGROUND", False)
    mp.setattr(case_services.intake, "SUGGEST_TIMEOUT_S", None)
    settings_ctx = override_settings(RATELIMIT_ENABLE=False, AXES_ENABLED=False)
    settings_ctx.enable()
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            gen = DemoGenerator(seed=7, scale="tiny")
            gen.build()
            gen.check()
            gen.write()
            geo.invalidate()
            routing.clear()
            run_module_demos(seed=7, scale="tiny", progress=lambda *a: None)
            routing.clear()
            dispatch_pending(["ledger"])  # the public record (checkpoint, tiles, proofs) of the demo's events
            w = type("World", (), {})()
            w.district = Region.objects.get(level="district")
            w.street_a, w.street_b = list(Region.objects.filter(level="street").order_by("code"))
            w.comm_a = Region.objects.filter(parent=w.street_a).order_by("code").first()
            w.comm_b = Region.objects.filter(parent=w.street_b).order_by("code").first()
            User = get_user_model()
            d = w.district.code

            def make(name, unit, role):
                u = User.objects.create_user(name, password="pw-" + name, is_staff=True)
                StaffRole.objects.create(user=u, unit=unit, role=role, region=unit.region)
                return u

            users = {
                "district_admin": make("t_district", Unit.objects.get(code=f"{d}-GOV"), "district_admin"),
                "street_cadre": make("t_street", Unit.objects.get(code=f"{w.street_a.code}-GOV"), "street_cadre"),
                "community_cadre": make(
                    "t_comm", Unit.objects.get(region=w.comm_a, kind="residents_committee"), "community_cadre"
                ),
                "grid_worker": make(
                    "t_grid", Unit.objects.get(region=w.comm_a, kind="residents_committee"), "grid_worker"
                ),
                "department_staff": make("t_dept", Unit.objects.get(code=f"{d}-CGJ"), "department_staff"),
                "auditor": make("t_audit", Unit.objects.get(code=f"{d}-GOV"), "auditor"),
                "other_street_cadre": make(
                    "t_street_b", Unit.objects.get(code=f"{w.street_b.code}-GOV"), "street_cadre"
                ),
            }
            # A resident: a log-in with no platform role, linked to a person of community A.
            resident = User.objects.create_user("t_resident", password="pw-resident")
            Person.objects.filter(
                pk=Person.objects.filter(region=w.comm_a, user__isnull=True).order_by("-pk").values("pk")[:1]
            ).update(user=resident)
            users["resident"] = resident
            w.users = users
            w.sessions, w.tokens = {}, {}
            for p in PRINCIPALS:
                if p != "anonymous":
                    c = Client()
                    c.force_login(users[p])
                    w.sessions[p] = c.cookies[settings.SESSION_COOKIE_NAME].value
                    w.tokens[p] = issue_api_token(SYSTEM, users[p], "matrix")
            w.objects = matrix.build_objects(w)
            w.canary = _canary(w)
            w.tables = _domain_tables()
            yield w
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            settings_ctx.disable()
            mp.undo()
            geo.invalidate()
            routing.clear()


_recorded: dict = {}


@pytest.fixture(scope="module", autouse=True)
def _record_out():
    yield
    if RECORD and _recorded:
        old = {}
        if os.path.exists(RECORD):
            with open(RECORD) as fh:
                old = json.load(fh)
        old.update(_recorded)
        with open(RECORD, "w") as fh:
            json.dump(old, fh, ensure_ascii=False, indent=1, sort_keys=True)


def _canary(w):
    """Full phone and ID numbers of street A's people and reporters (the resident's own left out): no
    response to a principal who may not see them in clear may contain one."""
    from gongzhi.cases.models import ServiceRequest
    from gongzhi.org.models import Person

    a = w.street_a.path
    own = Person.objects.filter(user=w.users["resident"]).values_list("phone", "id_number").first() or ()
    values = set()
    for phone, idn in Person.objects.filter(region__path__startswith=a).values_list("phone", "id_number"):
        values.update((phone, idn))
    for phone, idn in ServiceRequest.objects.filter(region__path__startswith=a).values_list(
        "reporter_phone", "reporter_id_number"
    ):
        values.update((phone, idn))
    values = {v for v in values if v and len(v) >= 11} - set(own)
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


def outcome_of(resp) -> str:
    s = resp.status_code
    if 300 <= s < 400:
        loc = resp.headers.get("Location", "")
        return "login" if loc.startswith(("/login/", "/account/2fa")) else "redir"
    if 200 <= s < 300:
        return "ok"
    return str(s)


#: Outcomes that refuse or reject the request: nothing may be written.
NO_WRITE = {"login", "401", "403", "404", "405", "400", "409", "413", "422", "429"}


def _url(w, r: Route) -> str:
    params = dict(matrix.PARAMS[r.key](w.objects)) if r.key in matrix.PARAMS else {}
    query = params.pop("?", "")
    query = f"?{query}" if query else ""
    if "(?P" in r.route:
        return reverse(r.name, kwargs=params) + query
    url = r.route
    for name, value in params.items():
        url, n = re.subn(r"<(?:\w+:)?" + name + ">", str(value), url)
        assert n == 1, f"{r.key}: no parameter {name}"
    assert "<" not in url, f"{r.key}: unfilled parameters in {url}"
    return "/" + url + query


def _request(w, principal: str, r: Route, method: str, url: str):
    if r.api_method is not None:
        headers = {}
        if principal != "anonymous":
            headers["Authorization"] = f"Bearer {w.tokens[principal]}"
        c = Client()
        body = matrix.BODIES[r.key](w.objects) if r.key in matrix.BODIES else {}
        kwargs = {} if method == "GET" else {"data": json.dumps(body), "content_type": "application/json"}
        return getattr(c, method.lower())(url, headers=headers, **kwargs)
    c = Client()  # a fresh browser with the principal's session (a log-out in one cell ends no other)
    if principal != "anonymous":
        c.cookies[settings.SESSION_COOKIE_NAME] = w.sessions[principal]
    return c.get(url) if method == "GET" else c.post(url, {})


#: Principals who may not see street A's personal data in clear (masked or nothing).
NO_PERSONAL_A = {"anonymous", "resident", "department_staff", "auditor", "other_street_cadre"}


def _cell(w, principal: str, r: Route, method: str, url: str) -> tuple[str, list[str], str]:
    """(outcome, tables whose row count changed, a leaked personal value or ""), rolled back afterwards."""
    sid = transaction.savepoint()
    try:
        before = _snapshot(w.tables)
        leak = ""
        try:
            resp = _request(w, principal, r, method, url)
            outcome = outcome_of(resp)
            ctype = resp.headers.get("Content-Type", "")
            if (
                principal in NO_PERSONAL_A
                and not getattr(resp, "streaming", False)
                and (ctype.startswith(("text/", "application/json", "application/geo+json", "application/xml")))
            ):
                m = w.canary.search(resp.content.decode("utf-8", "replace"))
                leak = m.group(0) if m else ""
        except Exception as exc:  # noqa: BLE001 - the test client re-raises a view's exception: a 500
            outcome = f"500 {type(exc).__name__}: {exc}"[:300]
        after = _snapshot(w.tables) if not outcome.startswith("500") else before
        changed = sorted(t for t in w.tables if before.get(t) != after.get(t))
        return outcome, changed, leak
    finally:
        transaction.savepoint_rollback(sid)


def _methods(r: Route) -> list[str]:
    if r.api_method:
        return [r.api_method]
    if r.key in matrix.ADMIN:
        return ["GET"]
    return ["GET", "POST"]


def test_canary_catches_clear_personal_data(world_m):
    """The leak check is not vacuous: a street cadre of street A sees a person of community A in clear."""
    r = ROUTES["org/person/<int:pk>/"]
    c = Client()
    c.cookies[settings.SESSION_COOKIE_NAME] = world_m.sessions["street_cadre"]
    resp = c.get(_url(world_m, r))
    assert resp.status_code == 200
    assert world_m.canary.search(resp.content.decode())


def _params():
    for key in sorted(ROUTES):
        entry = matrix.TABLE.get(key)
        marks = [pytest.mark.xfail(strict=True, reason=entry.xfail)] if entry is not None and entry.xfail else []
        yield pytest.param(key, marks=marks, id=key)


@pytest.mark.parametrize("key", list(_params()))
def test_route(world_m, key):
    r = ROUTES[key]
    entry = matrix.TABLE.get(key)
    if entry is None and not RECORD:
        pytest.fail(f"no entry for {key} in tests/security/matrix.py (see test_every_route_has_an_entry)")
    url = _url(world_m, r)
    problems, observed = [], {}
    for method in _methods(r):
        row = []
        for p in PRINCIPALS:
            outcome, changed, leak = _cell(world_m, p, r, method, url)
            row.append(outcome)
            if leak:
                problems.append(f"{method} {url} as {p}: street A's personal data in clear ({leak[:3]}…)")
            if outcome.startswith("500"):
                problems.append(f"{method} {url} as {p}: {outcome}")
            if changed and (method == "GET" or outcome in NO_WRITE):
                problems.append(f"{method} {url} as {p} gave {outcome} but wrote rows in {changed}")
            elif changed:
                row[-1] = outcome + "*"
        observed[method] = row
    if RECORD:
        _recorded[key] = {"url": url, **{m: " ".join(v) for m, v in observed.items()}}
    if entry is not None and not RECORD:
        for method, row in observed.items():
            expected = entry.expected(method)
            diff = [
                f"{p}: expected {e}, got {o}" for p, e, o in zip(PRINCIPALS, expected, row) if o not in e.split("|")
            ]
            if diff:
                problems.append(f"{method} {url}: " + "; ".join(diff))
    assert not problems, "\n".join(problems)


#: Entries of the menu that are a resident's pages (a log-in with no platform role sees only these).
RESIDENT_MENU = {
    "home",
    "map",
    "cases:index",
    "volunteers:index",
    "consult:index",
    "/ledger/",
    "/api/v1/docs",
    "opendata:catalogue",
}


def test_menu_links_never_refuse(world_m):
    """Issue 19 item 1: the menu shows only what the role may open; a 403 never follows a menu link."""
    from gongzhi.web.templatetags.gongzhi_nav import nav_entries

    seen = {}
    for principal in PRINCIPALS[1:]:
        user = world_m.users[principal]
        entries = nav_entries(user)
        seen[principal] = {e.url for e in entries}
        c = Client()
        c.cookies[settings.SESSION_COOKIE_NAME] = world_m.sessions[principal]
        for e in entries:
            resp = c.get(e.href)
            assert resp.status_code in (200, 302), f"{principal}: menu link {e.href} gives {resp.status_code}"
            if resp.status_code == 302:
                assert not resp["Location"].startswith(settings.LOGIN_URL), f"{principal}: {e.href} asks to log in"
    assert seen["resident"] == RESIDENT_MENU
    # a role sees what it may open: the command centre for cadres, not for a grid worker or a department
    assert "command:index" in seen["street_cadre"] and "command:index" not in seen["grid_worker"]
    assert "command:index" not in seen["department_staff"]
    assert "admin:index" in seen["district_admin"]
