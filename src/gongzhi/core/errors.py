"""Domain errors: every refusal says what to fix, and nothing is written.

Services raise these; the web layer marks the form field, the API answers 4xx
with the message, the CLI exits non-zero with the message.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the rules refuse. ``field`` names the input to fix, if one does."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None, action: str | None = None):
        super().__init__(str(message))
        self.message = str(message)
        self.field = field
        # The permission action refused (a Forbidden): the 403 page names the roles that hold it.
        self.action = action
        if code:
            self.code = code
        from . import contracts

        contracts.check_error_code(self.code)

    def as_dict(self) -> dict:
        d = {"detail": self.message, "code": self.code}
        if self.field:
            d["field"] = self.field
        return d


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """Someone else changed the record first: reload and try again."""

    status = 409
    code = "conflict"


class IdempotencyMismatch(DomainError):
    """An idempotency key its author already used for a different request: a retry must repeat the
    first request exactly; a new request needs a new key."""

    status = 422
    code = "idempotency_mismatch"
