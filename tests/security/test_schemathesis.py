"""Schemathesis over the whole JSON API (issue 17, "Done when").

Every operation of ``/api/v1/openapi.json`` gets generated requests — valid ones and, separately,
ones that break the schema (wrong types, missing fields, out-of-range numbers, odd strings) — sent
to the real WSGI application (the lean intake route included), authenticated with an API token of
the demo's district administrator (the role that may do the most, so the most code runs). Each
answer must not be a 5xx, must have a status the operation declares, and must match the schema and
content type declared for that status.

Random path parameters mostly name nothing (404), so operations whose path names a region, unit,
grid, person or request get a third pass with those parameters set to real objects of the demo
world, their query and body still generated.

Bounded and reproducible: a fixed seed, a fixed number of examples per operation and pass
(``POSITIVE`` + ``NEGATIVE`` + ``REAL``, about 20 in all), no example database.
``GONGZHI_SCHEMATHESIS_EXAMPLES`` multiplies the bounds for a longer hunt.
"""

from __future__ import annotations

import collections
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gongzhi.core.actors import SYSTEM

from .scope_fixtures import _synchronous_classifier  # noqa: F401  (autouse)

SCALE = float(os.environ.get("GONGZHI_SCHEMATHESIS_EXAMPLES", "1"))
POSITIVE, NEGATIVE, REAL = (max(1, round(n * SCALE)) for n in (8, 6, 8))
SEED = 20261217
# Not ``negative_data_rejection``: Django reads a repeated scalar query parameter as its last value
# (``?parent=a&parent=b``), which Schemathesis counts as accepting an array where a string is declared.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def schema(transactional_db, world):
    from gongzhi.wsgi import application

    # The document as clients get it, from the application itself.
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


def run_operation(operation, mode, headers, failures, statuses, examples, path_parameters=None):
    @seed(SEED)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        print_blob=False,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def check(case):
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses.setdefault(operation.label, collections.Counter())[response.status_code] += 1

    try:
        check()
    except Unsatisfiable:  # nothing to get wrong (no parameters, no body): positive mode covers it
        assert mode is GenerationMode.NEGATIVE, operation.label
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collected, reported together below
        failures.append(f"{operation.label} [{mode.value}{', real objects' if path_parameters else ''}]: {exc}")


def real_objects(world):
    """Path parameter values naming real objects, by the path's first segment after /api/v1/."""
    from gongzhi.cases import services
    from gongzhi.org.models import Grid, Person, Unit

    grid = Grid.objects.filter(region=world.comm_a).order_by("code").first()
    req, _ = services.submit(
        SYSTEM,
        description="小区门口垃圾堆放多日无人清运",
        category="01001",
        lon=grid.centroid_lon,
        lat=grid.centroid_lat,
    )
    person = Person.objects.filter(region__path__startswith=world.street_a.path).order_by("pk").first()
    unit = Unit.objects.filter(code=f"{world.street_a.code}-GOV").first()
    return {
        ("regions", "code"): world.street_a.code,
        ("command", "code"): world.street_a.code,
        ("burden", "code"): world.street_a.code,
        ("units", "code"): unit.code,
        ("grids", "code"): grid.code,
        ("people", "pid"): person.pk,
        ("burden", "pid"): person.pk,
        ("cases", "number"): req.number,
    }


def path_parameters_for(operation, objects):
    names = [p.name for p in operation.path_parameters]
    if not names:
        return None
    head = operation.path.removeprefix("/api/v1/").strip("/").split("/")[0]
    values = {n: objects.get((head, n)) for n in names}
    return values if all(v is not None for v in values.values()) else None


@pytest.mark.slow
def test_api_schema_holds_under_fuzzing(schema, users, world):
    from gongzhi.core.services import issue_api_token

    token = issue_api_token(SYSTEM, users["district_admin"], "schemathesis")
    headers = {"Authorization": f"Bearer {token}", "Host": "127.0.0.1"}
    failures, timings, statuses = [], {}, {}
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) > 50
    objects = real_objects(world)
    with_real = 0
    for op in operations:
        t0 = time.monotonic()
        run_operation(op, GenerationMode.POSITIVE, headers, failures, statuses, POSITIVE)
        run_operation(op, GenerationMode.NEGATIVE, headers, failures, statuses, NEGATIVE)
        real = path_parameters_for(op, objects)
        if real:
            with_real += 1
            run_operation(op, GenerationMode.POSITIVE, headers, failures, statuses, REAL, path_parameters=real)
        timings[op.label] = time.monotonic() - t0
    assert with_real >= 10
    slowest = sorted(timings.items(), key=lambda kv: -kv[1])[:5]
    print(f"{len(operations)} operations in {sum(timings.values()):.0f} s; slowest:", slowest)
    assert not failures, "\n\n".join(failures)
    overall = sum(statuses.values(), collections.Counter())
    print("answers:", dict(sorted(overall.items())))
    for label, c in sorted(statuses.items()):
        print(label, dict(sorted(c.items())))
