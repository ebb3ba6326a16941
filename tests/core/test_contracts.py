"""Declared contracts: event types with payload schemas, error codes as enums, the explicit actor."""

from __future__ import annotations

import pickle

import pytest
from django.db import transaction

from gongzhi.core import actors, contracts
from gongzhi.core.contracts import ContractError, CoreError
from gongzhi.core.errors import DomainError
from gongzhi.core.events import emit
from gongzhi.core.models import Event
from gongzhi.org import permissions


@pytest.fixture
def checking(settings):
    settings.GONGZHI_CHECK_CONTRACTS = True


def test_a_declared_event_with_its_payload_is_written(db, checking):
    with transaction.atomic():
        emit(
            contracts.REGIONS_PAIRED,
            aggregate_type="region",
            aggregate_id="x",
            payload={"street": "110101001", "township": "110101002"},
            actor=actors.SYSTEM,
        )
    ev = Event.objects.get()
    assert ev.type == "core.regions_paired" and type(ev.type) is str
    assert ev.actor is None  # the system is stored as no user


def test_an_undeclared_event_type_is_refused_and_nothing_is_written(db, checking):
    with pytest.raises(ContractError, match="core.regions_divorced"), transaction.atomic():
        emit("core.regions_divorced", aggregate_type="region", aggregate_id="x", payload={})
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {"street": "110101001"},  # a required key missing
        {"street": "110101001", "township": "110101002", "extra": 1},  # a key the schema does not have
        {"street": ["not", "a", "code"], "township": "110101002"},  # a value of the wrong type
    ],
)
def test_a_payload_its_schema_does_not_admit_is_refused(db, checking, payload):
    with pytest.raises(ContractError, match="RegionsPaired"), transaction.atomic():
        emit(contracts.REGIONS_PAIRED, aggregate_type="region", aggregate_id="x", payload=payload)
    assert not Event.objects.exists()


def test_an_undeclared_error_code_is_refused(checking):
    with pytest.raises(ContractError, match="no_such_code"):
        DomainError("refused", code="no_such_code")
    assert DomainError("refused", code=CoreError.INVALID_STATE).as_dict()["code"] == "invalid_state"
    assert DomainError("refused", code="duplicate").code == "duplicate"  # a declared value, as a string


def test_without_checking_nothing_is_refused(db, settings):
    settings.GONGZHI_CHECK_CONTRACTS = False
    DomainError("refused", code="no_such_code")
    with transaction.atomic():
        emit("core.anything", aggregate_type="region", aggregate_id="x", payload={})
    assert Event.objects.filter(type="core.anything").exists()


def test_one_value_declared_by_two_apps_is_refused():
    class Twice(contracts.ErrorCode):
        INVALID = "invalid"

    module = type(pickle)("gongzhi.nowhere.contracts")
    module.Twice = Twice
    Twice.__module__ = module.__name__
    with pytest.raises(ContractError, match="declared twice"):
        contracts.declare(module)


def test_every_declared_event_is_named_after_its_app_and_has_a_payload_schema():
    from django.apps import apps

    labels = {c.label for c in apps.get_app_configs() if c.name.startswith("gongzhi.")}
    for name, et in contracts.event_types().items():
        assert et.app in labels, f"{name}: the first part must be the emitting app's label"
        assert et.payload is not None, f"{name}: declare its payload"


def test_error_codes_are_lower_snake_case():
    for code in contracts.error_codes():
        assert code.replace("_", "").isalnum() and code == code.lower(), code


def test_a_missing_actor_is_refused_and_the_system_is_explicit():
    with pytest.raises(actors.MissingActor, match="actor is required"):
        permissions.allowed(None, permissions.VIEW)
    assert permissions.allowed(actors.SYSTEM, permissions.MANAGE_ROLES)
    assert pickle.loads(pickle.dumps(actors.SYSTEM)) is actors.SYSTEM
    assert actors.user_or_none(actors.SYSTEM) is None


def test_the_migration_renames_every_event_an_app_renamed():
    import importlib

    from gongzhi.alliances.contracts import RENAMED as alliances
    from gongzhi.resources.contracts import RENAMED as resources

    migration = importlib.import_module("gongzhi.core.migrations.0006_rename_event_types")
    assert migration.RENAMED == {k: str(v) for k, v in {**alliances, **resources}.items()}
    declared = contracts.event_types()
    assert all(new in declared for new in migration.RENAMED.values())
    assert not any(old in declared for old in migration.RENAMED)
