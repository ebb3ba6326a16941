"""The C2SP tlog-tiles read API and JSON proof endpoints under ``/ledger/``.

Cache headers: full tiles and full entry bundles never change and are served
``immutable`` for a year; a partial tile of a given width never changes either but is
superseded as the log grows, so it gets a short lifetime; the checkpoint must be
revalidated on every use.

With a read replica configured (``core/replica.py``) these public pages read from it: the log is
append-only, so a lagging replica serves an older but consistent checkpoint, and every hash a proof
against it needs is on both databases.
"""

from __future__ import annotations

from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongzhi.core import replica

from . import services
from .models import Leaf
from .services import LedgerError
from .tiles import (
    TILE_HEIGHT,
    TILE_WIDTH,
    TileError,
    encode_bundle,
    parse_tile_path,
    tile_width_at,
)

FULL_TILE_CACHE = "public, max-age=31536000, immutable"
PARTIAL_TILE_CACHE = "public, max-age=60"
CHECKPOINT_CACHE = "no-cache"


def _public(response: HttpResponse, cache: str) -> HttpResponse:
    response["Cache-Control"] = cache
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _error(status: int, message: str) -> HttpResponse:
    return _public(HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8"), "no-store")


@replica.reads
@require_GET
def checkpoint(request):
    cp = services.latest_checkpoint()
    if cp is None:
        return _error(404, _("尚未签发检查点。"))
    return _public(HttpResponse(cp.note, content_type="text/plain; charset=utf-8"), CHECKPOINT_CACHE)


@replica.reads
@require_GET
def tile(request, path: str):
    try:
        ref = parse_tile_path(path)
    except TileError as exc:
        return _error(400, str(exc))
    size, _root = services.head()
    level = 0 if ref.is_entries else ref.level
    available = tile_width_at(level, ref.index, size)
    if ref.width > available:
        return _error(404, _("该瓦片尚不存在：当前记录只有 %(n)d 个条目。") % {"n": size})
    if ref.is_entries:
        entries = services.public_entries(ref.index * TILE_WIDTH, ref.width)  # withheld ones as markers
        if len(entries) != ref.width:
            return _error(500, "entry bundle incomplete")
        body = encode_bundle(entries)
    else:
        try:
            body = services.store.get_range(TILE_HEIGHT * ref.level, ref.index * TILE_WIDTH, ref.width)
        except KeyError as exc:
            return _error(500, str(exc))
    cache = FULL_TILE_CACHE if ref.is_full else PARTIAL_TILE_CACHE
    return _public(HttpResponse(body, content_type="application/octet-stream"), cache)


def _int(request, name: str, default=None):
    raw = request.GET.get(name)
    if raw is None or raw == "":
        if default is ...:
            raise LedgerError(f"missing query parameter '{name}'")
        return default
    if not raw.isdigit():
        raise LedgerError(f"query parameter '{name}' must be a non-negative integer, got {raw!r}")
    return int(raw)


def _json(fn):
    def view(request, *args, **kwargs):
        if request.method != "GET":
            return _error(405, "GET only")
        try:
            data = fn(request, *args, **kwargs)
        except (LedgerError, Leaf.DoesNotExist) as exc:
            return _public(JsonResponse({"error": str(exc)}, status=404), "no-store")
        return _public(JsonResponse(data, json_dumps_params={"ensure_ascii": False}), "no-cache")

    view.__name__ = fn.__name__
    return view


@replica.reads
@_json
def inclusion_proof(request):
    """``?index=N[&size=S]``: proof for one leaf against a signed checkpoint."""
    return services.inclusion(_int(request, "index", ...), _int(request, "size"))


@replica.reads
@_json
def record_proof(request):
    """``?record=type:id`` or ``?record=<event uuid>``: proofs for every leaf about a record."""
    record = request.GET.get("record", "").strip()
    if not record:
        raise LedgerError("missing query parameter 'record' (type:id or an event id)")
    size = _int(request, "size")
    indices = services.record_leaves(record)
    cp = services.checkpoint_for(size)
    proofs = [services.inclusion(i, cp.size) for i in indices if i < cp.size]
    for p in proofs:
        p.pop("checkpoint", None)
    return {"record": record, "tree_size": cp.size, "checkpoint": cp.note, "leaves": proofs}


@replica.reads
@_json
def consistency_proof(request):
    """``?from=A[&to=B]``: consistency proof between two tree sizes."""
    return services.consistency(_int(request, "from", ...), _int(request, "to"))
