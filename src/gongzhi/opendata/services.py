"""The open data app's state changes: publishing snapshots of the public datasets, and spreadsheet imports.

A snapshot is published only when its bytes differ from the dataset's latest one (same data, same
digest: nothing new is written, so the daily job and retries never duplicate). Publishing records the
signed ledger checkpoint of that moment and emits ``opendata.snapshot_published`` with the digest, which
the ledger appends as a public entry: a reader hashes the file, finds the entry by its digest and checks
its inclusion proof against a signed checkpoint (``docs/opendata.md``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gongzhi.core.errors import DomainError
from gongzhi.core.events import emit
from gongzhi.org import permissions as perm

from . import contracts, datasets, imports
from .contracts import OpenDataError
from .models import ImportRun, Snapshot

PUBLISH = "publish_open_data"
IMPORT = "import_records"


@dataclass(frozen=True)
class Published:
    snapshot: Snapshot
    new: bool


def latest(slug: str) -> Snapshot | None:
    return Snapshot.objects.filter(dataset=slug).order_by("-created_at", "-id").first()


def _checkpoint() -> tuple[int | None, str, str]:
    from gongzhi.ledger.services.signing import latest_checkpoint

    cp = latest_checkpoint()
    if cp is None:
        return None, "", ""
    return cp.size, bytes(cp.root).hex(), cp.note


def publish(actor: Any, slug: str, *, now: dt.datetime | None = None) -> Published:
    """Build dataset ``slug`` from the records now and publish it if it changed."""
    perm.require(actor, PUBLISH, None)
    now = now or timezone.now()
    ds = datasets.get(slug, now)
    if ds is None:
        raise DomainError(
            _("没有名为“%(slug)s”的数据集") % {"slug": slug}, field="dataset", code=OpenDataError.UNKNOWN_DATASET
        )
    content, rows = ds.build(now)
    digest = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        same = Snapshot.objects.filter(dataset=slug, sha256=digest).first()
        if same is not None:
            return Published(same, False)
        size, root, note = _checkpoint()
        try:
            with transaction.atomic():
                snap = Snapshot.objects.create(
                    dataset=slug,
                    rows=rows,
                    sha256=digest,
                    content=content,
                    content_type=ds.content_type,
                    filename=ds.filename,
                    checkpoint_size=size,
                    checkpoint_root=root,
                    checkpoint_note=note,
                )
        except IntegrityError:  # the same bytes published by a concurrent run: one wins
            return Published(Snapshot.objects.get(dataset=slug, sha256=digest), False)
        event = emit(
            contracts.SNAPSHOT_PUBLISHED,
            aggregate_type="dataset",
            aggregate_id=slug,
            actor=actor,
            payload={"dataset": slug, "sha256": digest, "rows": rows, "size": len(content), "checkpoint_size": size},
        )
        snap.event_id = event.event_id
        snap.save(update_fields=["event_id"])
    return Published(snap, True)


def publish_all(actor: Any, *, now: dt.datetime | None = None, progress: Any = None) -> list[Published]:
    """Publish every dataset that changed (the daily job, ``gongzhi opendata publish``)."""
    perm.require(actor, PUBLISH, None)
    now = now or timezone.now()
    out = []
    all_ds = datasets.all_datasets(now)
    for i, ds in enumerate(all_ds):
        out.append(publish(actor, ds.slug, now=now))
        if progress:
            progress(i + 1, len(all_ds))
    return out


def run_import(actor: Any, kind: str, filename: str, data: bytes, *, dry_run: bool = True) -> ImportRun:
    """Read a spreadsheet of units, people or households (:mod:`gongzhi.opendata.imports`). Every row
    goes through the org app's own service in a savepoint. A dry run records which rows it would refuse
    and why, and keeps nothing else. Without ``dry_run`` the rows are kept only when none is refused
    (all or nothing); otherwise nothing is kept, the run with every refused row is recorded, and the
    error says how many rows to fix."""
    if kind not in ImportRun.Kind.values:
        raise DomainError(
            _("导入类型须为：%(kinds)s") % {"kinds": "、".join(ImportRun.Kind.values)},
            field="kind",
            code=OpenDataError.BAD_SPREADSHEET,
        )
    perm.require(actor, IMPORT, None)
    sheet = imports.parse(kind, data)
    digest = hashlib.sha256(data).hexdigest()
    run = ImportRun(
        kind=kind,
        filename=filename[:200],
        sha256=digest,
        dry_run=dry_run,
        rows=len(sheet.rows),
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )
    with transaction.atomic():
        refused = imports.execute(kind, sheet, actor)
        run.refused = [r.as_dict() for r in refused]
        run.accepted = len(sheet.rows) - len({r.row for r in refused})
        if dry_run or refused:
            transaction.set_rollback(True)
        else:
            run.applied = True
            run.save()
            emit(
                contracts.IMPORTED,
                aggregate_type="import",
                aggregate_id=run.pk,
                actor=actor,
                payload={"kind": kind, "sha256": digest, "rows": run.accepted},
                public=False,
            )
    if not run.applied:
        run.save()
        if not dry_run:
            raise ImportRefused(run)
    return run


class ImportRefused(DomainError):
    """An import with refused rows: nothing was kept; ``run`` lists the rows to fix."""

    def __init__(self, run: ImportRun):
        super().__init__(
            _("有%(n)d行不能导入，已全部拒绝，未作任何更改；请按列出的原因修改后重新导入") % {"n": len(run.refused)},
            field="file",
            code=OpenDataError.ROWS_REFUSED,
        )
        self.run = run
