"""The platform itself (``core.actors.SYSTEM``) acts only where no user does: demo steps,
migrations, scheduled jobs, event subscribers and operator commands. Anywhere else, the actor comes
from the caller. A new use of SYSTEM inside a service must be one of the named exceptions below."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "gongzhi"

# Module kinds where the platform acts by itself.
ALLOWED_MODULES = ("demo.py", "tasks.py", "subscribers.py")
ALLOWED_DIRS = ("management/commands", "migrations", "demo")
# Functions inside service modules that run as the platform, with the reason.
ALLOWED_FUNCTIONS = {
    # the scheduled job (core.schedule) that escalates every overdue request
    ("cases/services/lifecycle.py", "escalate_overdue"),
    # the filing worker is checked first; the platform then records the request's steps as they happened
    ("cases/services/bypass.py", "file_bypass"),
    # the scheduled job that tallies formal votes whose time is up
    ("consult/votes.py", "close_due"),
    # the outbox subscriber's handler (burden counts the platform's own demands)
    ("burden/platform.py", "on_events"),
    # notify's subscriber and meeting reminder count the messages that ask a worker to act (burden meter)
    ("notify/services.py", "_count_burden"),
    # the audit log's signal handlers: outside any request (a management command) the platform acted
    ("core/audit.py", "current_actor"),
    # the daily pruning jobs (core.prune_outbox, core.prune_idempotency_keys), beside their services
    ("core/prune.py", "prune_outbox_task"),
    ("core/prune.py", "prune_idempotency_keys_task"),
}


def uses():
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("core/actors.py") or path.name in ALLOWED_MODULES or any(d in rel for d in ALLOWED_DIRS):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
                if name == "SYSTEM":
                    yield rel, fn.name


def test_system_acts_only_in_demo_jobs_subscribers_commands_and_named_exceptions():
    found = set(uses())
    unexpected = found - ALLOWED_FUNCTIONS
    assert not unexpected, f"SYSTEM used as the actor where a caller's actor belongs: {sorted(unexpected)}"
    assert ALLOWED_FUNCTIONS <= found, f"exceptions no longer needed: {sorted(ALLOWED_FUNCTIONS - found)}"
