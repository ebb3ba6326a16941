"""C2SP tlog-tiles: paths, entry bundles, and reading hashes back out of tiles.

A hash tile of level ``L`` and index ``N`` holds up to 256 consecutive hashes of
Merkle level ``8 * L``, starting at ``N * 256``; it is *full* with 256 hashes and
*partial* (``.p/<W>``) with ``W`` < 256.  Entry bundles hold the leaf data in the
same grouping, each entry prefixed by its length as a big-endian uint16.

Indices in paths are written in groups of three digits, every group but the last
prefixed by ``x``: 1234067 is ``x001/x234/067``.

:class:`TileHashReader` is the outsider's side: given a tree size and a way to fetch
tile paths it answers :class:`~gongzhi.ledger.merkle.HashStore` queries, so the
same proof code runs over published tiles as over the database.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .merkle import HASH_SIZE, fold_peaks, peaks_of, root_from_leaves

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
MAX_ENTRY = 0xFFFF


class TileError(ValueError):
    """A tile path or tile content is malformed."""


def encode_index(n: int) -> str:
    """``1234067`` → ``x001/x234/067``; ``5`` → ``005``."""
    if n < 0:
        raise TileError(f"tile index must be non-negative, got {n}")
    groups = []
    while True:
        groups.append(f"{n % 1000:03d}")
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([*("x" + g for g in groups[:-1]), groups[-1]])


def tile_path(level: int | str, index: int, width: int = TILE_WIDTH) -> str:
    """``tile/<L>/<N>[.p/<W>]``; ``level`` may be ``"entries"`` for entry bundles."""
    if not 1 <= width <= TILE_WIDTH:
        raise TileError(f"tile width must be 1..{TILE_WIDTH}, got {width}")
    if level != "entries" and not (isinstance(level, int) and 0 <= level <= 63):
        raise TileError(f"tile level must be 0..63 or 'entries', got {level!r}")
    path = f"tile/{level}/{encode_index(index)}"
    return path if width == TILE_WIDTH else f"{path}.p/{width}"


_INDEX_RE = re.compile(r"((?:x\d{3}/)*)(\d{3})(?:\.p/([1-9]\d{0,2}))?")


@dataclass(frozen=True)
class TileRef:
    level: int | None  # None for an entry bundle
    index: int
    width: int

    @property
    def is_entries(self) -> bool:
        return self.level is None

    @property
    def is_full(self) -> bool:
        return self.width == TILE_WIDTH

    def path(self) -> str:
        return tile_path("entries" if self.level is None else self.level, self.index, self.width)


def parse_tile_path(path: str) -> TileRef:
    """Parse ``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]`` (the part after ``tile/``)."""
    head, _, rest = path.partition("/")
    if head == "entries":
        level = None
    elif re.fullmatch(r"0|[1-9]\d?", head) and int(head) <= 63:
        level = int(head)
    else:
        raise TileError(f"tile level {head!r} must be 0..63 or 'entries'")
    m = _INDEX_RE.fullmatch(rest)
    if not m:
        raise TileError(f"tile index {rest!r} must look like x001/x234/067 with an optional .p/<W>")
    groups = [g[1:] for g in m.group(1).split("/") if g] + [m.group(2)]
    if len(groups) > 1 and groups[0] == "000":
        raise TileError(f"tile index {rest!r} has a leading zero group")
    index = int("".join(groups))
    width = int(m.group(3)) if m.group(3) else TILE_WIDTH
    if m.group(3) and width >= TILE_WIDTH:
        raise TileError(f"partial tile width {width} must be below {TILE_WIDTH}")
    return TileRef(level, index, width)


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    out = bytearray()
    for e in entries:
        if len(e) > MAX_ENTRY:
            raise TileError(f"entry of {len(e)} bytes exceeds the {MAX_ENTRY}-byte limit of a bundle")
        out += struct.pack(">H", len(e)) + e
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise TileError(f"entry bundle truncated in a length prefix at byte {pos}")
        (n,) = struct.unpack_from(">H", data, pos)
        pos += 2
        if pos + n > len(data):
            raise TileError(f"entry bundle truncated: entry at byte {pos - 2} needs {n} bytes")
        out.append(bytes(data[pos : pos + n]))
        pos += n
    return out


def tile_width_at(level: int, index: int, size: int) -> int:
    """How many hashes tile ``level/index`` holds in a tree of ``size`` leaves (0 if none)."""
    available = size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, available - index * TILE_WIDTH))


def tiles_for_size(size: int) -> list[TileRef]:
    """Every hash tile and entry bundle a log of ``size`` leaves publishes (full and last partial)."""
    refs = []
    level = 0
    while (size >> (TILE_HEIGHT * level)) > 0:
        count = size >> (TILE_HEIGHT * level)
        for n in range((count + TILE_WIDTH - 1) // TILE_WIDTH):
            refs.append(TileRef(level, n, min(TILE_WIDTH, count - n * TILE_WIDTH)))
        level += 1
    for n in range((size + TILE_WIDTH - 1) // TILE_WIDTH):
        refs.append(TileRef(None, n, min(TILE_WIDTH, size - n * TILE_WIDTH)))
    return refs


class TileHashReader:
    """A :class:`~gongzhi.ledger.merkle.HashStore` backed by published tiles.

    ``fetch(path)`` returns the bytes at ``path`` (relative to the log's base URL) or
    raises.  Tiles are fetched at the width the tree ``size`` implies and cached.
    """

    def __init__(self, size: int, fetch: Callable[[str], bytes]):
        self.size = size
        self.fetch = fetch
        self._cache: dict[tuple[int, int], bytes] = {}

    def tile(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._cache:
            width = tile_width_at(level, index, self.size)
            if width == 0:
                raise KeyError(f"tile {level}/{index} does not exist in a tree of size {self.size}")
            path = tile_path(level, index, width)
            data = self.fetch(path)
            if len(data) != width * HASH_SIZE:
                raise TileError(f"{path}: expected {width * HASH_SIZE} bytes ({width} hashes), got {len(data)}")
            self._cache[key] = data
        return self._cache[key]

    def get(self, level: int, index: int) -> bytes:
        if (index + 1) << level > self.size:
            raise KeyError(f"subtree ({level}, {index}) is not complete in a tree of size {self.size}")
        tile_level, r = divmod(level, TILE_HEIGHT)
        first = index << r  # first hash of level 8*tile_level under this subtree
        tile_index, offset = divmod(first, TILE_WIDTH)
        data = self.tile(tile_level, tile_index)
        count = 1 << r
        chunk = data[offset * HASH_SIZE : (offset + count) * HASH_SIZE]
        hashes = [chunk[i : i + HASH_SIZE] for i in range(0, len(chunk), HASH_SIZE)]
        return root_from_leaves(hashes) if count > 1 else hashes[0]

    def get_many(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.get(level, index) for level, index in coords]

    def root(self) -> bytes:
        return fold_peaks(self.get_many(peaks_of(self.size)))

    def entries(self, bundle: int) -> list[bytes]:
        width = tile_width_at(0, bundle, self.size)
        if width == 0:
            raise KeyError(f"entry bundle {bundle} does not exist in a tree of size {self.size}")
        path = tile_path("entries", bundle, width)
        out = decode_bundle(self.fetch(path))
        if len(out) != width:
            raise TileError(f"{path}: expected {width} entries, got {len(out)}")
        return out


def hash_tile(store, level: int, index: int, width: int) -> bytes:
    """Content of hash tile ``level/index`` at ``width`` from a store with ``get_range``."""
    return store.get_range(TILE_HEIGHT * level, index * TILE_WIDTH, width)
