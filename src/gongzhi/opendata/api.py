"""/api/v1/data/: the public data catalogue and each dataset's metadata (no log-in)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router

from gongzhi.core.apischema import ErrorOut
from gongzhi.core.errors import NotFound

from . import catalogue, services

PREFIX = "data"
router = Router(tags=["data"])


@router.get("/datasets", response={200: list[dict]}, auth=None)
def datasets_list(request: HttpRequest) -> list[dict]:
    """Every public dataset: slug, title, format, licence, schema and its latest snapshot's digest,
    row count, time and ledger checkpoint (null when not yet published)."""
    out = []
    for row in catalogue.entries(request):
        snap = row["snapshot"]
        out.append(
            {
                "slug": row["slug"],
                "title": str(row["title"]),
                "format": row["format"],
                "licence": row["licence"],
                "schema": row["schema"],
                "latest": catalogue.meta(snap, request) if snap else None,
            }
        )
    return out


@router.get("/datasets/{slug}", response={200: dict, 404: ErrorOut}, auth=None)
def dataset_meta(request: HttpRequest, slug: str) -> dict:
    """One dataset's latest snapshot: digest, checkpoint, ledger entry and how to verify it."""
    snap = services.latest(slug)
    if snap is None:
        raise NotFound(_("数据集“%(slug)s”尚未发布") % {"slug": slug}, field="slug")
    return catalogue.meta(snap, request)
