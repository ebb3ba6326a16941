"""Verify the public record as an outsider: only the published checkpoint and tiles.

Nothing here reads the database.  The source is a base URL (``https://host/ledger/``)
or a directory holding the same files (``checkpoint``, ``tile/...``).  Every check
that fails raises :class:`VerificationFailed` saying exactly what did not match.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from . import merkle
from .merkle import MemoryHashStore, ProofError, leaf_hash
from .note import Checkpoint, NoteError, Verifier, open_checkpoint
from .tiles import TILE_WIDTH, TileError, TileHashReader, hash_tile, tiles_for_size


class VerificationFailed(Exception):
    """The published log does not check out; the message says what did not match."""


def make_fetcher(source: str, timeout: float = 30.0) -> Callable[[str], bytes]:
    """``fetch(path)`` for a base URL or a directory of tiles."""
    if source.startswith(("http://", "https://")):
        import requests

        base = source.rstrip("/") + "/"
        session = requests.Session()

        def fetch_url(path: str) -> bytes:
            url = base + path
            try:
                response = session.get(url, timeout=timeout)
            except requests.RequestException as exc:
                raise VerificationFailed(f"could not fetch {url}: {exc}") from None
            if response.status_code != 200:
                raise VerificationFailed(f"{url}: HTTP {response.status_code}")
            return response.content

        return fetch_url
    root = Path(source)
    if not root.is_dir():
        raise VerificationFailed(f"{source} is neither an http(s) URL nor a directory")

    def fetch_file(path: str) -> bytes:
        try:
            return (root / path).read_bytes()
        except FileNotFoundError:
            raise VerificationFailed(f"{root / path} is missing") from None

    return fetch_file


def _checkpoint(text: bytes | str, verifiers: list[Verifier], what: str, origin: str | None) -> Checkpoint:
    try:
        cp, _ = open_checkpoint(text, verifiers, origin=origin)
    except NoteError as exc:
        raise VerificationFailed(f"{what}: {exc}") from None
    return cp


@dataclass
class Report:
    checkpoint: Checkpoint
    note_bytes: bytes
    checks: list[str] = field(default_factory=list)


def withheld(entry: bytes) -> dict | None:
    """The withheld marker an operator serves in place of an entry, or None for an entry.

    Entries always hold ``data`` (canonically first); a marker never does, and begins with
    ``{"event_id"``.  See ``services.withheld_marker``.
    """
    if not entry.startswith(b'{"event_id"'):
        return None
    try:
        doc = json.loads(entry)
    except ValueError:
        return None
    if not isinstance(doc, dict) or "data" in doc or "withheld" not in doc:
        return None
    try:
        if len(bytes.fromhex(doc["leaf_hash"])) != 32:
            return None
    except (KeyError, TypeError, ValueError):
        return None
    return doc


def entry_hash(entry: bytes) -> bytes:
    """The RFC 9162 leaf hash of a published entry; for a withheld marker, the hash it names.

    A marker cannot lie: its hash must still reach the signed root, through the other
    entries (``--full``) or an inclusion proof (``--record``).
    """
    marker = withheld(entry)
    return bytes.fromhex(marker["leaf_hash"]) if marker is not None else leaf_hash(entry)


def _record_matches(entry: bytes, record: str) -> bool:
    try:
        doc = json.loads(entry)
    except ValueError:
        return False
    rec = doc.get("record") or {}
    return record in (f"{rec.get('type')}:{rec.get('id')}", doc.get("event_id"))


def verify_log(
    source: str,
    verifiers: Iterable[Verifier],
    *,
    origin: str | None = None,
    since: bytes | str | None = None,
    records: Iterable[str] = (),
    full: bool = False,
    fetch: Callable[[str], bytes] | None = None,
) -> Report:
    """Run every requested check; returns a report or raises :class:`VerificationFailed`."""
    verifiers = list(verifiers)
    fetch = fetch or make_fetcher(source)
    note_bytes = fetch("checkpoint")
    cp = _checkpoint(note_bytes, verifiers, "checkpoint signature", origin)
    report = Report(cp, bytes(note_bytes))
    report.checks.append(f"checkpoint signed by {', '.join(v.name for v in verifiers)}: size {cp.size}")
    reader = TileHashReader(cp.size, fetch)

    try:
        root = reader.root()
    except (TileError, KeyError) as exc:
        raise VerificationFailed(f"tiles: {exc}") from None
    if root != cp.root:
        raise VerificationFailed(
            f"root recomputed from the tiles {root.hex()} does not match the checkpoint root {cp.root.hex()}"
        )
    report.checks.append(f"root recomputed from tiles matches: {cp.root.hex()}")

    if full:
        n_withheld = _verify_full(cp, reader, fetch)
        report.checks.append(f"all {cp.size} entries rehashed; every published hash tile matches")
        if n_withheld:
            report.checks.append(
                f"{n_withheld} entries withheld by the operator: their content is not published; the leaf "
                "hashes their markers name are in the signed tree"
            )

    if since is not None:
        old = _checkpoint(since, verifiers, "saved checkpoint (--since) signature", origin)
        if old.origin != cp.origin:
            raise VerificationFailed(f"saved checkpoint is for log {old.origin!r}, this log is {cp.origin!r}")
        if old.size > cp.size:
            raise VerificationFailed(
                f"the log shrank: saved checkpoint has {old.size} leaves, the published one {cp.size}"
            )
        try:
            proof = merkle.consistency_proof(old.size, cp.size, reader)
            merkle.verify_consistency(old.size, cp.size, proof, old.root, cp.root)
        except (ProofError, TileError, KeyError) as exc:
            raise VerificationFailed(
                f"history was rewritten: checkpoint {cp.size} is not consistent with saved checkpoint {old.size}: {exc}"
            ) from None
        report.checks.append(f"consistent with saved checkpoint of size {old.size}")

    for record in records:
        indices = _find_record(record, cp, reader, fetch, source)
        if not indices:
            raise VerificationFailed(f"record {record!r} is not in the log of size {cp.size}")
        hidden: list[int] = []
        for index in indices:
            try:
                entry = reader.entries(index // TILE_WIDTH)[index % TILE_WIDTH]
            except (TileError, KeyError) as exc:
                raise VerificationFailed(f"entry {index}: {exc}") from None
            if not _record_matches(entry, record):
                raise VerificationFailed(f"entry {index} is not about record {record!r}")
            try:
                proof = merkle.inclusion_proof(index, cp.size, reader)
                merkle.verify_inclusion(index, cp.size, entry_hash(entry), proof, cp.root)
            except (ProofError, TileError, KeyError) as exc:
                raise VerificationFailed(f"record {record!r}, leaf {index}: inclusion proof fails: {exc}") from None
            if withheld(entry) is not None:
                hidden.append(index)
        where = ", ".join(map(str, indices)) if len(indices) <= 8 else f"{indices[0]} … {indices[-1]}"
        report.checks.append(
            f"record {record!r} included: {len(indices)} leaf/leaves ({where})"
            + (f"; content withheld by the operator: {', '.join(map(str, hidden))}" if hidden else "")
        )
    return report


def _find_record(record: str, cp: Checkpoint, reader: TileHashReader, fetch, source: str) -> list[int]:
    """Leaf indices about ``record``: the server's hint when online, else a scan of the entries."""
    if source.startswith(("http://", "https://")):
        from urllib.parse import quote

        try:
            data = json.loads(fetch(f"proof/record?record={quote(record)}&size={cp.size}"))
            return sorted(int(leaf["index"]) for leaf in data.get("leaves", []))
        except (VerificationFailed, ValueError, KeyError, TypeError):
            pass  # fall back to scanning the published entries
    found = []
    for bundle in range((cp.size + TILE_WIDTH - 1) // TILE_WIDTH):
        for offset, entry in enumerate(reader.entries(bundle)):
            if _record_matches(entry, record):
                found.append(bundle * TILE_WIDTH + offset)
    return found


def _verify_full(cp: Checkpoint, reader: TileHashReader, fetch) -> int:
    """Rehash every entry and compare every hash tile; returns how many entries are withheld."""
    store = MemoryHashStore()
    n_withheld = 0
    for bundle in range((cp.size + TILE_WIDTH - 1) // TILE_WIDTH):
        try:
            entries = reader.entries(bundle)
        except (TileError, KeyError) as exc:
            raise VerificationFailed(f"entry bundle {bundle}: {exc}") from None
        for e in entries:
            marker = withheld(e)
            if marker is None:
                store.append(leaf_hash(e))
            else:
                n_withheld += 1
                store.append(bytes.fromhex(marker["leaf_hash"]))
    if store.size != cp.size:
        raise VerificationFailed(f"entry bundles hold {store.size} entries, the checkpoint says {cp.size}")
    if store.root() != cp.root:
        raise VerificationFailed(
            f"root of the published entries {store.root().hex()} does not match the checkpoint {cp.root.hex()}"
        )
    for ref in tiles_for_size(cp.size):
        if ref.is_entries:
            continue
        published = reader.tile(ref.level, ref.index)
        expected = hash_tile(store, ref.level, ref.index, ref.width)
        if published != expected:
            for i in range(ref.width):
                if published[i * 32 : i * 32 + 32] != expected[i * 32 : i * 32 + 32]:
                    raise VerificationFailed(
                        f"{ref.path()}: hash {i} is {published[i * 32 : i * 32 + 32].hex()}, "
                        f"the entries give {expected[i * 32 : i * 32 + 32].hex()}"
                    )
    return n_withheld


# --- recounts: a published result recomputed from the entries alone ---------------------------
#
# An app above the ledger registers how to recount its results (consult: a formal vote's tally
# from its ballot leaves, issue 20 item 4). The ledger cannot import those apps; it hands each
# recounter the entries it asked for (by type prefix), after checking that every entry of the log
# hashes to the signed root, so nothing it counts can differ from what the log commits to.


@dataclass(frozen=True)
class Recounter:
    """``run(target, entries)`` → the check lines, or None when ``target`` is not its kind; raises
    :class:`VerificationFailed` on a mismatch. ``entries``: the parsed entries whose type begins
    with ``prefix`` (each with its leaf ``index``), in log order, and the withheld markers (``withheld``
    set, no ``data``) whose record type is in ``marker_records``."""

    prefix: str
    run: Callable[[str, list[dict]], list[str] | None]
    marker_records: frozenset[str] = frozenset()


_recounters: dict[str, Recounter] = {}


def register_recounter(
    name: str, prefix: str, run: Callable[[str, list[dict]], list[str] | None], marker_records: Iterable[str] = ()
) -> None:
    """Declare a recount (from an ``AppConfig.ready()``)."""
    _recounters[name] = Recounter(prefix, run, frozenset(marker_records))


def recounters() -> dict[str, Recounter]:
    return dict(_recounters)


def _first_differing_entry(store: MemoryHashStore, reader: TileHashReader) -> str:
    """``; entry N (…) differs from …`` naming the first entry whose hash is not the published leaf hash."""
    for index in range(min(store.size, reader.size)):
        try:
            published = reader.get(0, index)
        except (TileError, KeyError):
            return ""
        if store.get(0, index) != published:
            try:
                doc = json.loads(reader.entries(index // TILE_WIDTH)[index % TILE_WIDTH])
                what = f" ({doc.get('type')}, record {(doc.get('record') or {}).get('type')}:{(doc.get('record') or {}).get('id')})"
            except (ValueError, TileError, KeyError, AttributeError):
                what = ""
            return f"; entry {index}{what} does not hash to the leaf hash the hash tiles publish"
    return ""


def recount_log(
    source: str,
    verifiers: Iterable[Verifier],
    target: str,
    *,
    origin: str | None = None,
    fetch: Callable[[str], bytes] | None = None,
) -> Report:
    """Recompute a published result named by ``target`` from the log's entries alone.

    Reads every entry bundle once: each entry is rehashed and the root of all of them must equal
    the signed checkpoint's (so an altered or missing entry is caught here), and the entries a
    recounter asked for are parsed and handed to it. Raises :class:`VerificationFailed` when the
    log does not verify, no recounter knows ``target``, or the recount differs from the result
    published on the log."""
    verifiers = list(verifiers)
    if not _recounters:
        raise VerificationFailed("no recount is registered in this installation")
    fetch = fetch or make_fetcher(source)
    note_bytes = fetch("checkpoint")
    cp = _checkpoint(note_bytes, verifiers, "checkpoint signature", origin)
    report = Report(cp, bytes(note_bytes))
    report.checks.append(f"checkpoint signed by {', '.join(v.name for v in verifiers)}: size {cp.size}")
    reader = TileHashReader(cp.size, fetch)
    wanted = {name: [] for name in _recounters}  # type: dict[str, list[dict]]
    needles = {name: ('"type":' + json.dumps(r.prefix)[:-1]).encode() for name, r in _recounters.items()}
    store = MemoryHashStore()
    for bundle in range((cp.size + TILE_WIDTH - 1) // TILE_WIDTH):
        try:
            entries = reader.entries(bundle)
        except (TileError, KeyError) as exc:
            raise VerificationFailed(f"entry bundle {bundle}: {exc}") from None
        for offset, e in enumerate(entries):
            index = bundle * TILE_WIDTH + offset
            marker = withheld(e)
            if marker is not None:
                store.append(bytes.fromhex(marker["leaf_hash"]))
                rtype = (marker.get("record") or {}).get("type")
                for name, r in _recounters.items():
                    if rtype in r.marker_records:
                        wanted[name].append({**marker, "index": index})
                continue
            store.append(leaf_hash(e))
            for name, r in _recounters.items():
                if needles[name] in e:
                    try:
                        doc = json.loads(e)
                    except ValueError:
                        raise VerificationFailed(f"entry {index} is not JSON") from None
                    if isinstance(doc, dict) and str(doc.get("type", "")).startswith(r.prefix):
                        doc["index"] = index
                        wanted[name].append(doc)
    if store.size != cp.size or store.root() != cp.root:
        raise VerificationFailed(
            f"the published entries (root {store.root().hex()}) do not hash to the signed checkpoint's root "
            f"{cp.root.hex()}: an entry was altered, added or dropped" + _first_differing_entry(store, reader)
        )
    report.checks.append(f"all {cp.size} entries rehashed: they hash to the signed root")
    for name, r in _recounters.items():
        lines = r.run(target, wanted[name])
        if lines is not None:
            report.checks.extend(lines)
            return report
    raise VerificationFailed(f"nothing to recount for {target!r} (known: {', '.join(sorted(_recounters))})")
