"""What the catalogue page and the API say about each dataset: read-only views of the snapshots."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from gongzhi.core import figures as registry

from . import datasets
from .models import Snapshot

VERIFY_STEPS = (
    "1. sha256(file) must equal `sha256`.",
    "2. The ledger entry `ledger.index` (GET /ledger/entries/<index>/ or /api/v1/ledger/entries/<index>) holds "
    "an opendata.snapshot_published event with this dataset and digest.",
    "3. Its inclusion proof (GET /ledger/proof/inclusion?index=<index>) reaches the root of a checkpoint "
    "signed by the log key (GET /ledger/checkpoint); `gongzhi verify` does all three from outside.",
)


def _ledger(snap: Snapshot) -> dict | None:
    from gongzhi.ledger.services.proofs import receipt

    if snap.event_id is None:
        return None
    r = receipt(snap.event_id)
    if r is None:
        return {"event_id": str(snap.event_id), "index": None, "state": "pending"}
    return {
        "event_id": str(snap.event_id),
        "index": r.index,
        "tree_size": r.tree_size,
        "verified": r.verified,
        "entry": reverse("ledger:entry", args=[r.index]),
        "state": "included" if r.verified else "unverified",
    }


def meta(snap: Snapshot, request: Any = None) -> dict:
    ds = datasets.get(snap.dataset)
    absolute = request.build_absolute_uri if request is not None else (lambda u: u)
    return {
        "dataset": snap.dataset,
        "title": str(ds.title) if ds else snap.dataset,
        "format": ds.fmt if ds else "",
        "licence": ds.licence if ds else datasets.LICENCE,
        "licence_url": datasets.LICENCE_URL,
        "schema": ds.schema if ds else "",
        "filename": snap.filename,
        "download": absolute(reverse("opendata:download", args=[snap.dataset])),
        "published_at": snap.created_at.isoformat(),
        "rows": snap.rows,
        "size": len(bytes(snap.content)),
        "sha256": snap.sha256,
        "checkpoint": {"size": snap.checkpoint_size, "root": snap.checkpoint_root, "note": snap.checkpoint_note}
        if snap.checkpoint_size is not None
        else None,
        "ledger": _ledger(snap),
        "verify": list(VERIFY_STEPS),
    }


def entries(request: Any = None) -> list[dict]:
    """One row per dataset (published or not), for the catalogue."""
    latest: dict[str, Snapshot] = {}
    for snap in Snapshot.objects.defer("content").order_by("dataset", "-created_at", "-id"):
        latest.setdefault(snap.dataset, snap)
    rows = []
    for ds in datasets.all_datasets():
        found = latest.get(ds.slug)
        rows.append(
            {
                "slug": ds.slug,
                "title": ds.title,
                "description": ds.description,
                "format": ds.fmt,
                "licence": ds.licence,
                "schema": ds.schema,
                "snapshot": found,
                "ledger": _ledger(found) if found else None,
            }
        )
    return rows


def figures_schema() -> dict:
    return {
        "title": _("公开指标及其定义"),
        "columns": {
            "figure": "the figure's name, <app>.<figure>",
            "label": "its name in Chinese",
            "unit": "count, rate (a fraction in [0, 1]), hours, minutes, share or other",
            "definition": "how it is computed from the records",
            "region": "region code (district or street)",
            "region_name": "region name",
            "level": "district or street",
            "period_start": "first day counted (inclusive)",
            "period_end": "day after the last day counted (exclusive)",
            "value": "the figure; empty when there was nothing to count",
            "numerator": "for a rate: its numerator",
            "denominator": "for a rate: its denominator",
        },
        "figures": [
            {"figure": f.name, "label": str(f.label), "unit": f.unit, "definition": " ".join(f.doc.split())}
            for f in datasets.public_figures()
        ],
        "registry": len(registry.all()),
    }
