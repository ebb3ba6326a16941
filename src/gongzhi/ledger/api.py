"""Public-record endpoints of the JSON API (mounted at /api/v1/ledger/ by gongzhi.api.api).

The record is public: no authentication.  The same proofs are served under
``/ledger/proof/...``; the tiles and checkpoint follow C2SP tlog-tiles under ``/ledger/``.
"""

from __future__ import annotations

import uuid

from ninja import Router, Schema

from gongzhi.core.errors import NotFound

from . import services
from .note import parse_checkpoint

PREFIX = "ledger"
router = Router(tags=["ledger"], auth=None)


class CheckpointOut(Schema):
    origin: str
    size: int
    root: str
    note: str


class ReceiptOut(Schema):
    event_id: str
    index: int
    tree_size: int
    checkpoint: str
    verified: bool
    problem: str = ""


class InclusionOut(Schema):
    index: int
    tree_size: int
    event_id: str
    record: str
    entry: str
    leaf_hash: str
    proof: list[str]
    root: str
    checkpoint: str


class ConsistencyOut(Schema):
    size1: int
    size2: int
    root1: str
    root2: str
    proof: list[str]
    checkpoint: str


def _or_404(fn, *args):
    try:
        return fn(*args)
    except services.LedgerError as exc:
        raise NotFound(str(exc)) from None


@router.get("/checkpoint", response=CheckpointOut, summary="Latest signed checkpoint")
def checkpoint(request):
    cp = services.latest_checkpoint()
    if cp is None:
        raise NotFound("尚未签发检查点")
    body = parse_checkpoint(cp.note.split("\n\n", 1)[0] + "\n")
    return {"origin": body.origin, "size": body.size, "root": services.b64(body.root), "note": cp.note}


@router.get("/receipt/{event_id}", response=ReceiptOut, summary="Receipt of one event, proof-checked")
def receipt(request, event_id: uuid.UUID):
    r = services.receipt(event_id)
    if r is None:
        raise NotFound("该事件尚未写入公开记录或尚无检查点", field="event_id")
    return {"event_id": str(event_id), **r.__dict__}


@router.get("/proof/inclusion", response=InclusionOut, summary="Inclusion proof by leaf index")
def inclusion(request, index: int, size: int | None = None):
    return _or_404(services.inclusion, index, size)


@router.get("/proof/consistency", response=ConsistencyOut, summary="Consistency proof between two sizes")
def consistency(request, size1: int, size2: int | None = None):
    return _or_404(services.consistency, size1, size2)
