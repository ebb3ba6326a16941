"""Tile paths, entry bundles and proofs read back from published tiles."""

from __future__ import annotations

import pytest

from gongzhi.ledger import merkle, tiles
from gongzhi.ledger.merkle import MemoryHashStore, leaf_hash
from gongzhi.ledger.tiles import TileError, TileRef, encode_index, parse_tile_path, tile_path


@pytest.mark.parametrize(
    "n, text",
    [
        (0, "000"),
        (5, "005"),
        (999, "999"),
        (1000, "x001/000"),
        (1234067, "x001/x234/067"),
        (10**9, "x001/x000/x000/000"),
    ],
)
def test_index_encoding(n, text):
    assert encode_index(n) == text
    assert parse_tile_path(f"0/{text}") == TileRef(0, n, 256)


def test_paths():
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(1, 3, 17) == "tile/1/003.p/17"
    assert tile_path("entries", 0, 255) == "tile/entries/000.p/255"
    assert parse_tile_path("entries/x001/002.p/9") == TileRef(None, 1002, 9)
    assert parse_tile_path("63/000").level == 63


@pytest.mark.parametrize(
    "bad",
    ["64/000", "01/000", "0/0", "0/1234", "0/x001", "0/001.p/256", "0/001.p/0", "0/001.p/01", "0/x000/001", "e/000"],
)
def test_bad_paths(bad):
    with pytest.raises(TileError):
        parse_tile_path(bad)


def test_bundles():
    entries = [b"", b"a", b"x" * 70000 if False else b"\x00" * 300]
    assert tiles.decode_bundle(tiles.encode_bundle(entries)) == entries
    with pytest.raises(TileError, match="limit"):
        tiles.encode_bundle([b"x" * 70000])
    with pytest.raises(TileError, match="truncated"):
        tiles.decode_bundle(b"\x00\x05abc")


def _publish(n):
    data = [f"entry {i}".encode() for i in range(n)]
    store = MemoryHashStore()
    store.extend(leaf_hash(d) for d in data)
    files = {}
    for ref in tiles.tiles_for_size(n):
        if ref.is_entries:
            body = tiles.encode_bundle(data[ref.index * 256 : ref.index * 256 + ref.width])
        else:
            body = tiles.hash_tile(store, ref.level, ref.index, ref.width)
        files[ref.path()] = body
    return data, store, files


@pytest.mark.parametrize("n", [1, 255, 256, 257, 65536 + 300])
def test_reader_matches_store(n):
    data, store, files = _publish(n)
    fetched = []

    def fetch(path):
        fetched.append(path)
        return files[path]

    reader = tiles.TileHashReader(n, fetch)
    assert reader.root() == store.root()
    for index in {0, n // 2, n - 1}:
        assert merkle.inclusion_proof(index, n, reader) == merkle.inclusion_proof(index, n, store)
    for size1 in {1, n // 3, n - 1} - {0}:
        assert merkle.consistency_proof(size1, n, reader) == merkle.consistency_proof(size1, n, store)
    assert reader.entries((n - 1) // 256)[-1] == data[-1]
    # Proofs read few tiles, not the whole log.
    assert len(set(fetched)) <= 12


def test_reader_rejects_wrong_length():
    _, _, files = _publish(300)
    reader = tiles.TileHashReader(300, lambda p: files[p][:-1])
    with pytest.raises(TileError, match="expected"):
        reader.root()
