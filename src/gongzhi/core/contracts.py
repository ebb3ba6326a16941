"""Contracts between apps: the event types each app emits and the error codes it raises.

Each app declares both in its own ``<app>/contracts.py``:

* event types as :class:`EventType` values (a ``str`` subclass, so it is used wherever an event
  type string is, e.g. ``emit(contracts.REQUEST_SUBMITTED, ...)`` or a subscriber's type list), each
  with its payload as a ``TypedDict`` (``total=False`` for optional keys; personal fields go under
  ``personal``). The name is ``<app label>.<thing>.<what happened>`` (or ``<app label>.<what>``);
* error codes as one ``StrEnum`` subclassing :class:`ErrorCode` (members in lower_snake case).
  Codes every app shares (``invalid``, ``not_found``, ``invalid_state`` …) are :class:`CoreError`;
  an app declares only what is its own.

:func:`load` (called by the core app at start-up) imports every app's ``contracts`` module and
fills the registry. With ``GONGZHI_CHECK_CONTRACTS`` on (the test settings), emitting an undeclared
event type, a payload that does not match its schema, or raising a ``DomainError`` with an
undeclared code raises :class:`ContractError`, so the test that does it fails.
"""

from __future__ import annotations

import importlib
from enum import StrEnum
from functools import cache
from types import ModuleType
from typing import Any

from django.conf import settings
from typing_extensions import (
    TypedDict,  # pydantic validates only this TypedDict on Python 3.11; apps import it from here
)


class ContractError(AssertionError):
    """Code broke a declared contract (an undeclared event type or error code, a bad payload)."""


class ErrorCode(StrEnum):
    """Base of every app's error-code enum."""


class CoreError(ErrorCode):
    """Codes shared by every app."""

    INVALID = "invalid"  # an input the rules refuse (the message and ``field`` say which)
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"  # someone else changed the record first (optimistic concurrency)
    IDEMPOTENCY_MISMATCH = "idempotency_mismatch"
    INVALID_STATE = "invalid_state"  # the record's current state does not allow this step
    DUPLICATE = "duplicate"  # the thing exists already
    TOO_LARGE = "too_large"
    RATE_LIMITED = "rate_limited"


class EventType(str):
    """A declared event type: its name (the string), its payload schema and a line of doc."""

    payload: type | None
    doc: str

    def __new__(cls, name: str, payload: type | None = None, doc: str = "") -> EventType:
        obj = super().__new__(cls, name)
        obj.payload = payload
        obj.doc = doc
        return obj

    @property
    def app(self) -> str:
        return self.split(".", 1)[0]


# The core app's own events.


class RegionCreated(TypedDict):
    code: str
    name: str
    level: str
    kind: str


class RegionsPaired(TypedDict):
    street: str
    township: str


class ApiTokenIssued(TypedDict):
    name: str


REGION_CREATED = EventType(
    "core.region_created", RegionCreated, "a region (city, district, street, community) was added"
)
REGIONS_PAIRED = EventType("core.regions_paired", RegionsPaired, "an urban street and a rural township were paired")
API_TOKEN_ISSUED = EventType("core.api_token_issued", ApiTokenIssued, "an API token was issued (not public)")


_events: dict[str, EventType] = {}
_errors: dict[str, type[ErrorCode]] = {}
_owners: dict[str, str] = {}  # event type / error code -> declaring module
_loaded = False


def declare(module: ModuleType) -> None:
    """Register the event types and error-code enums a contracts module holds."""
    for value in vars(module).values():
        if isinstance(value, EventType):
            _add(_events, str(value), value, module.__name__)
        elif (
            isinstance(value, type)
            and issubclass(value, ErrorCode)
            and value is not ErrorCode
            and value.__module__ == module.__name__
        ):
            for member in value:
                _add(_errors, member.value, value, module.__name__)


def _add(table: dict, key: str, value: object, owner: str) -> None:
    if key in table and _owners.get(key) != owner and table[key] is not value:
        raise ContractError(f"{key!r} is declared twice: in {_owners[key]} and {owner}")
    table[key] = value
    _owners.setdefault(key, owner)


def load() -> None:
    """Import every installed Gongzhi app's contracts module, as its manifest names it (by default
    ``<app>.contracts``: a missing default is fine, a broken module fails start-up)."""
    global _loaded
    from . import manifest

    declare(importlib.import_module(__name__))
    for _app, module in manifest.loaded().contracts:
        declare(module)
    _loaded = True


def event_types() -> dict[str, EventType]:
    return dict(_events)


def error_codes() -> dict[str, type[ErrorCode]]:
    return dict(_errors)


def checking() -> bool:
    return _loaded and bool(getattr(settings, "GONGZHI_CHECK_CONTRACTS", False))


@cache
def _adapter(payload: type) -> Any:
    from pydantic import ConfigDict, TypeAdapter

    if getattr(payload, "__pydantic_config__", None) is None:
        setattr(payload, "__pydantic_config__", ConfigDict(extra="forbid", arbitrary_types_allowed=True))  # noqa: B010
    return TypeAdapter(payload)


def check_event(type_: str, payload: dict[str, Any] | None) -> None:
    """Refuse an undeclared event type or a payload its schema does not admit (when checking)."""
    if not checking():
        return
    declared = _events.get(str(type_))
    if declared is None:
        raise ContractError(f"event type {type_!r} is not declared in any app's contracts.py")
    if declared.payload is not None:
        from pydantic import ValidationError

        try:
            _adapter(declared.payload).validate_python(payload or {})
        except ValidationError as exc:
            raise ContractError(f"payload of {type_!r} does not match {declared.payload.__name__}: {exc}") from exc


def check_error_code(code: object) -> None:
    """Refuse an error code no app declared (when checking)."""
    if not checking() or isinstance(code, ErrorCode):
        return
    if str(code) not in _errors:
        raise ContractError(f"error code {code!r} is not declared in any app's contracts.py (an ErrorCode enum)")
