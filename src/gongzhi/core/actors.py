"""Who acts: a user, or the platform itself, named explicitly.

Every service takes its actor as a required argument. A user (authenticated or not) is checked
against the permission table (``org.permissions``). :data:`SYSTEM` is the platform itself and may do
anything; only the demo generator, migrations, scheduled jobs, event subscribers and operator
commands (``gongzhi <command>`` run by whoever runs the server) pass it. ``None`` is not an actor: a
caller that forgot to pass one is refused (:func:`check`), never given every right.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

A = TypeVar("A")


class SystemActor:
    """The platform itself. Stored as no user (``actor`` NULL) in events and logs."""

    is_system = True
    is_authenticated = False  # not a user: never stored as one, holds no roles
    is_anonymous = False
    is_active = True
    is_superuser = False
    is_staff = False
    pk = None
    id = None
    username = "system"

    def __repr__(self) -> str:
        return "SYSTEM"

    __str__ = __repr__

    def __reduce__(
        self,
    ) -> tuple[Callable[[], SystemActor], tuple[()]]:  # one instance, also across pickling (task arguments)
        return (_system, ())


def _system() -> SystemActor:
    return SYSTEM


SYSTEM = SystemActor()


class MissingActor(TypeError):
    """A service was called without an actor (``None``)."""


def is_system(actor: object) -> bool:
    """The platform itself; a missing actor (``None``) is refused, not read as the system."""
    if actor is None:
        raise MissingActor(
            "actor is required: pass the user who acts, or core.actors.SYSTEM for the demo, "
            "migrations, scheduled jobs, subscribers and operator commands"
        )
    return actor is SYSTEM


def check(actor: A) -> A:
    """Return ``actor`` unchanged after refusing ``None``."""
    is_system(actor)
    return actor


def user_or_none(actor: object) -> Any:
    """The user to store as who acted (``actor`` foreign keys): None for the system or an anonymous
    visitor."""
    return actor if getattr(actor, "is_authenticated", False) else None
