"""The public record's pages (``/ledger/``: the latest checkpoint, recent entries, a receipt search;
``/ledger/entries/<n>/``: one entry with its inclusion proof, checked in the browser by
``static/gongzhi/ledger-proof.js``), and the C2SP tlog-tiles read API and JSON proof endpoints under
``/ledger/``.

Cache headers: full tiles and full entry bundles never change and are served
``immutable`` for a year; a partial tile of a given width never changes either but is
superseded as the log grows, so it gets a short lifetime; the checkpoint must be
revalidated on every use.

With a read replica configured (``core/replica.py``) these public pages read from it: the log is
append-only, so a lagging replica serves an older but consistent checkpoint, and every hash a proof
against it needs is on both databases.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from gongzhi.core import replica
from gongzhi.core.models import Event, Region

from . import labels, services
from .models import Leaf, SignedCheckpoint, WithheldEntry
from .note import NoteError, parse_checkpoint
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


# --------------------------------------------------------------------------- pages

PAGE_SIZE = 50
MAX_PAGE = 200  # offsets stay cheap; older entries are reached by number or receipt


def _checkpoint_info(cp: SignedCheckpoint | None) -> dict | None:
    """What the pages show of a signed checkpoint: origin, size, root (base64 and hex), time, note."""
    if cp is None:
        return None
    body, _sep, signatures = cp.note.partition("\n\n")
    try:
        parsed = parse_checkpoint(body + "\n")
    except NoteError:
        return None
    return {
        "origin": parsed.origin,
        "size": parsed.size,
        "root_b64": services.b64(parsed.root),
        "root_hex": parsed.root.hex(),
        "signed_at": cp.signed_at,
        "note": cp.note,
        "signatures": [line for line in signatures.splitlines() if line],
    }


def _verifier_key() -> str:
    try:
        return services.verifier().to_key()
    except Exception:  # no key yet (nothing signed): the page says so
        return ""


def _regions() -> list[Region]:
    """The places a visitor can pick: the district's streets and communities, in tree order."""
    return list(
        Region.objects.filter(level__in=[Region.Level.DISTRICT, Region.Level.STREET, Region.Level.COMMUNITY])
        .only("code", "name", "level", "path")
        .order_by("path")
    )


def _search(q: str) -> tuple[str, int | str] | None:
    """A receipt (event id), an entry number or a record (``type:id``): the entry page to open, or the
    record to list, or None when nothing matches."""
    q = q.strip()
    if q.isdigit():
        index = int(q)
        return ("entry", index) if Leaf.objects.filter(index=index).exists() else None
    try:
        event_id = uuid.UUID(q)
    except ValueError:
        event_id = None
    if event_id is not None:
        found = Leaf.objects.filter(event_id=event_id).values_list("index", flat=True).first()
        return ("entry", found) if found is not None else None
    if ":" in q and Leaf.objects.filter(record=q).exists():
        return ("record", q)
    return None


@replica.reads
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The public record: latest signed checkpoint and how to verify it, recent entries by kind and
    place, and a receipt search."""
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "").strip()
    place = request.GET.get("region", "").strip()
    record = request.GET.get("record", "").strip()
    not_found = False
    if q:
        found = _search(q)
        if found and found[0] == "entry":
            return redirect("ledger:entry", index=found[1])
        if found:
            record = str(found[1])
        else:
            not_found = True
    try:
        page = max(1, min(MAX_PAGE, int(request.GET.get("page", "1"))))
    except ValueError:
        page = 1
    leaves = Leaf.objects.order_by("-index")
    types = labels.public_types()
    if kind in types:
        leaves = leaves.filter(event_type=kind)
    else:
        kind = ""
    regions = _regions()
    region = next((r for r in regions if r.code == place), None)
    if region is not None:
        # The place of an entry is its event's region (and the places below it), from the outbox.
        events = Event.objects.filter(region__path__startswith=region.path).values("event_id")
        leaves = leaves.filter(event_id__in=events)
    if record:
        leaves = leaves.filter(record=record)
    start = (page - 1) * PAGE_SIZE
    rows: list[dict[str, Any]] = [
        dict(r)
        for r in leaves.values("index", "event_type", "record", "occurred_at", "event_id")[
            start : start + PAGE_SIZE + 1
        ]
    ]
    has_next = len(rows) > PAGE_SIZE and page < MAX_PAGE
    rows = rows[:PAGE_SIZE]
    withheld = set(WithheldEntry.objects.filter(index__in=[r["index"] for r in rows]).values_list("index", flat=True))
    for r in rows:
        r["label"] = labels.label(r["event_type"])
        r["withheld"] = r["index"] in withheld
    cp = _checkpoint_info(services.latest_checkpoint())
    base = request.build_absolute_uri(reverse("ledger:index"))
    params = {k: v for k, v in (("kind", kind), ("region", region.code if region else ""), ("record", record)) if v}
    return render(
        request,
        "ledger/index.html",
        {
            "checkpoint": cp,
            "verifier_key": _verifier_key(),
            "base_url": base,
            "rows": rows,
            "page": page,
            "has_next": has_next,
            "query": urlencode(params),
            "kinds": labels.kind_choices(),
            "kind": kind,
            "regions": regions,
            "region": region,
            "record": record,
            "q": q,
            "not_found": not_found,
            "data_as_of": replica.data_as_of(),
        },
    )


@replica.reads
@require_GET
def entry(request: HttpRequest, index: int) -> HttpResponse:
    """One entry: its public fields (or that it is withheld), its leaf hash and its inclusion proof
    against the latest checkpoint, which the page's script checks (``ledger-proof.js``)."""
    leaf = Leaf.objects.filter(index=index).only("index", "event_id", "event_type", "record", "occurred_at").first()
    if leaf is None:
        raise Http404(_("公开记录中没有这个条目。"))
    published = services.public_entries(index, 1)[0]
    fields = json.loads(published)
    withheld = WithheldEntry.objects.filter(index=index).first()
    leaf_hash = bytes(Leaf.objects.filter(index=index).values_list("leaf_hash", flat=True).get())
    cp = services.latest_checkpoint()
    proof = None
    if cp is not None and index < cp.size:
        proof = services.inclusion(index, cp.size)
    region = None
    if fields.get("region"):
        region = Region.objects.filter(code=fields["region"]).only("code", "name").first()
    return render(
        request,
        "ledger/entry.html",
        {
            "leaf": leaf,
            "label": labels.label(leaf.event_type),
            "fields": json.dumps(fields, ensure_ascii=False, indent=2, sort_keys=True),
            "withheld": withheld,
            "leaf_hash": leaf_hash.hex(),
            "region": region,
            "checkpoint": _checkpoint_info(cp),
            "proof": proof,
            "proof_len": len(proof["proof"]) if proof else 0,
            "data_as_of": replica.data_as_of(),
        },
    )
