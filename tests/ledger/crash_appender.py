"""Helper process for the crash-safety test: appends batches until killed.

Usage: python crash_appender.py FIRST_BATCH COMMITTED_LOG
Batch k holds events ``uuid5(k, j)`` for j < size(k), plus the first events of batch
k - 1 again (re-delivery).  After ``append_events`` returns (committed), k is written
to COMMITTED_LOG and fsynced; a kill between the commit and that write is allowed
and must not cause a duplicate on restart.
"""

import os
import sys
import uuid
from datetime import UTC, datetime

import django


def batch_events(k):
    from gongzhi.ledger.services import LedgerEvent

    size = 1 + (k * 7919) % 300
    ids = [(k, j) for j in range(size)]
    if k > 0:
        ids += [(k - 1, j) for j in range(min(5, 1 + ((k - 1) * 7919) % 300))]
    return [
        LedgerEvent(
            event_id=uuid.uuid5(uuid.NAMESPACE_OID, f"{b}.{j}"),
            type="vote.tallied",
            occurred_at=datetime(2026, 11, 22, tzinfo=UTC),
            aggregate_type="vote",
            aggregate_id=str(b),
            payload={"batch": b, "j": j},
        )
        for b, j in ids
    ]


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gongzhi.settings")
    django.setup()
    from django.db import connection

    from gongzhi.ledger.services import append_events

    first, log_path = int(sys.argv[1]), sys.argv[2]
    connection.ensure_connection()
    print("ready", flush=True)
    with open(log_path, "a") as log:
        k = first
        while True:
            append_events(batch_events(k), sign=k % 2 == 0)
            log.write(f"{k}\n")
            log.flush()
            os.fsync(log.fileno())
            k += 1


if __name__ == "__main__":
    main()
