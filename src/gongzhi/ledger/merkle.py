"""RFC 9162 Merkle trees over bytes: hashing, stored subtrees, proofs and verifiers.

Pure Python, no Django.  Hashing follows RFC 9162 §2.1.1: a leaf hash is
``SHA-256(0x00 || data)``, an interior node ``SHA-256(0x01 || left || right)``,
and the empty tree hashes to ``SHA-256("")``.

Storage model
-------------
Every *complete* subtree of the log is stored once, addressed by ``(level, index)``:
level 0 holds the leaf hashes, level ``k`` the hash of leaves
``[index * 2**k, (index + 1) * 2**k)``.  These are exactly the hashes that C2SP
tlog-tiles serve (a hash tile of level ``L`` holds level ``8 * L`` hashes), they never
change once written, and appending a leaf writes its level-0 hash plus one hash per
subtree it completes (amortised two writes, at most ``log2 n + 1``).

Any range of leaves that a proof needs, ``[k * 2**j, min((k + 1) * 2**j, n))``,
splits into at most ``log2 n`` complete subtrees, so an inclusion or consistency
proof reads ``O(log² n)`` stored hashes in the worst case and ``O(log n)`` typically,
never the whole log.  :func:`inclusion_proof` and :func:`consistency_proof` first
plan which stored hashes they need and then read them in one ``get_many`` call, which
lets the database store answer a proof with a single query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


class ProofError(ValueError):
    """A proof failed to verify; the message says what did not match."""


# --------------------------------------------------------------------------- hashing


def leaf_hash(data: bytes) -> bytes:
    """``MTH({d}) = SHA-256(0x00 || d)`` (RFC 9162 §2.1.1)."""
    return _sha256(b"\x00" + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """``SHA-256(0x01 || left || right)`` (RFC 9162 §2.1.1)."""
    return _sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n > 1``)."""
    return 1 << ((n - 1).bit_length() - 1)


def peaks_of(size: int) -> list[tuple[int, int]]:
    """The complete subtrees ``(level, index)`` that make up a tree of ``size`` leaves.

    One per set bit of ``size``, largest (leftmost) first.  Their hashes folded from
    the right give the root; this is the tree's compact range.
    """
    out = []
    start = 0
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append((level, start >> level))
            start += 1 << level
    return out


def fold_peaks(hashes: Sequence[bytes]) -> bytes:
    """Root of a range given the hashes of its complete subtrees, left to right."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def root_from_leaves(leaf_hashes: Iterable[bytes]) -> bytes:
    """``MTH(D[n])`` from the leaf hashes, in one pass and ``O(log n)`` memory."""
    stack: list[bytes] = []
    count = 0
    for h in leaf_hashes:
        count += 1
        n = count
        # Merge while the new leaf completes subtrees (trailing zero bits of count).
        while n & 1 == 0:
            h = node_hash(stack.pop(), h)
            n >>= 1
        stack.append(h)
    return fold_peaks(stack)


# --------------------------------------------------------------------------- storage


class HashStore(Protocol):
    """Read access to the stored complete-subtree hashes of a log."""

    def get_many(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        """The hashes of the complete subtrees ``(level, index)``, in order.

        Raises ``KeyError`` naming the first missing subtree.
        """
        ...


def extend(
    size: int, peak_hashes: Sequence[bytes], leaf_hashes: Iterable[bytes], *, leaves: bool = True
) -> tuple[int, list[bytes], list[tuple[int, int, bytes]]]:
    """Append leaves to a tree known only by its size and compact range.

    ``peak_hashes`` are the hashes of :func:`peaks_of(size) <peaks_of>` in order.
    Returns the new size, the new peak hashes and every newly completed subtree as
    ``(level, index, hash)`` — the rows a store has to write (with ``leaves=False``
    only those of level 1 and up, for a store that keeps the leaf hashes elsewhere).
    """
    peaks = list(peak_hashes)
    if len(peaks) != bin(size).count("1"):
        raise ValueError(f"a tree of size {size} has {bin(size).count('1')} peaks, got {len(peaks)}")
    nodes: list[tuple[int, int, bytes]] = []
    append = nodes.append
    for h in leaf_hashes:
        index = size
        level = 0
        if leaves:
            append((0, index, h))
        while index & 1:
            h = _sha256(b"\x01" + peaks.pop() + h).digest()  # node_hash, inlined
            index >>= 1
            level += 1
            append((level, index, h))
        peaks.append(h)
        size += 1
    return size, peaks, nodes


class MemoryHashStore:
    """All complete-subtree hashes in memory, one ``bytearray`` per level.

    Ten million leaves take about 640 MB (32 bytes per stored hash, two hashes per
    leaf).  Appending is amortised ``O(1)``, worst case ``O(log n)``.
    """

    def __init__(self) -> None:
        self.levels: list[bytearray] = []
        self.size = 0
        self._peaks: list[bytes] = []

    def append(self, leaf_hash_: bytes) -> int:
        """Append one leaf hash; returns its index."""
        self.extend((leaf_hash_,))
        return self.size - 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        levels = self.levels
        peaks = self._peaks
        size = self.size
        for h in leaf_hashes:
            if len(h) != HASH_SIZE:
                raise ValueError(f"leaf hash must be {HASH_SIZE} bytes, got {len(h)}")
            index = size
            level = 0
            if not levels:
                levels.append(bytearray())
            levels[0] += h
            while index & 1:
                h = node_hash(peaks.pop(), h)
                index >>= 1
                level += 1
                if len(levels) <= level:
                    levels.append(bytearray())
                levels[level] += h
            peaks.append(h)
            size += 1
        self.size = size

    def get(self, level: int, index: int) -> bytes:
        try:
            row = self.levels[level]
        except IndexError:
            raise KeyError((level, index)) from None
        start = index * HASH_SIZE
        if index < 0 or start + HASH_SIZE > len(row):
            raise KeyError((level, index))
        return bytes(row[start : start + HASH_SIZE])

    def get_many(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.get(level, index) for level, index in coords]

    def get_range(self, level: int, start: int, count: int) -> bytes:
        """``count`` consecutive level-``level`` hashes from ``start``, concatenated."""
        row = self.levels[level] if level < len(self.levels) else b""
        end = (start + count) * HASH_SIZE
        if start < 0 or end > len(row):
            raise KeyError(f"level {level} holds {len(row) // HASH_SIZE} hashes, asked for {start}..{start + count}")
        return bytes(row[start * HASH_SIZE : end])

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"size {size} is outside the tree (0..{self.size})")
        return fold_peaks(self.get_many(peaks_of(size)))


# --------------------------------------------------------------------------- proofs


def _range_subtrees(lo: int, hi: int) -> list[tuple[int, int]]:
    """Complete subtrees covering ``[lo, hi)``, left to right (``lo`` aligned as in proofs)."""
    out = []
    while lo < hi:
        # Largest aligned power of two starting at lo that fits.
        level = (hi - lo).bit_length() - 1
        while lo & ((1 << level) - 1):
            level -= 1
        out.append((level, lo >> level))
        lo += 1 << level
    return out


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form ``PATH(index, D[size])``, bottom first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of size {size}")
    out: list[tuple[int, int]] = []
    lo, hi, m = 0, size, index
    # Walk down from the root; record siblings, then reverse (RFC lists bottom first).
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if m < k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
            m -= k
    out.reverse()
    return out


def consistency_ranges(size1: int, size2: int) -> list[tuple[int, int]]:
    """The leaf ranges whose hashes form ``PROOF(size1, D[size2])`` (RFC 9162 §2.1.4.1)."""
    if not 0 <= size1 <= size2:
        raise ValueError(f"need 0 <= size1 <= size2, got size1={size1}, size2={size2}")
    if size1 == 0 or size1 == size2:
        return []
    out: list[tuple[int, int]] = []
    lo, hi, m, b = 0, size2, size1, True
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            out.append((lo + k, hi))
            hi = lo + k
        else:
            out.append((lo, lo + k))
            lo += k
            m -= k
            b = False
    if not b:
        out.append((lo, hi))
    out.reverse()
    return out


def _resolve(ranges: Sequence[tuple[int, int]], store: HashStore) -> list[bytes]:
    plans = [_range_subtrees(lo, hi) for lo, hi in ranges]
    flat = [c for plan in plans for c in plan]
    hashes = store.get_many(flat)
    out = []
    pos = 0
    for plan in plans:
        out.append(fold_peaks(hashes[pos : pos + len(plan)]))
        pos += len(plan)
    return out


def proof_subtrees(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Every stored ``(level, index)`` a proof over ``ranges`` reads (for stores and tests)."""
    return [c for lo, hi in ranges for c in _range_subtrees(lo, hi)]


def inclusion_proof(index: int, size: int, store: HashStore) -> list[bytes]:
    """RFC 9162 inclusion proof of leaf ``index`` in the tree of the first ``size`` leaves."""
    return _resolve(inclusion_ranges(index, size), store)


def consistency_proof(size1: int, size2: int, store: HashStore) -> list[bytes]:
    """RFC 9162 consistency proof between the trees of ``size1`` and ``size2`` leaves."""
    return _resolve(consistency_ranges(size1, size2), store)


# --------------------------------------------------------------------------- verifiers


def _check_hash(name: str, value: bytes) -> None:
    if not isinstance(value, (bytes, bytearray)):
        raise ProofError(f"{name} must be bytes, got {type(value).__name__}")
    if len(value) != HASH_SIZE:
        raise ProofError(f"{name} is {len(value)} bytes, a SHA-256 hash is {HASH_SIZE}")


def _check_sizes(**sizes: int) -> None:
    for name, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ProofError(f"{name} must be a non-negative integer, got {value!r}")


def verify_inclusion(index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes) -> bool:
    """Check an inclusion proof (RFC 9162 §2.1.3.2); returns True or raises :class:`ProofError`."""
    _check_sizes(index=index, size=size)
    proof = list(proof or ())
    _check_hash("leaf hash", leaf_hash)
    _check_hash("root", root)
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
    if index >= size:
        raise ProofError(f"leaf index {index} is not below tree size {size}")
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for i, p in enumerate(proof):
        if sn == 0:
            raise ProofError(f"proof has {len(proof)} hashes, more than the {i} a tree of size {size} needs")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"proof has {len(proof)} hashes, too few for leaf {index} in a tree of size {size}")
    if r != root:
        raise ProofError(f"computed root {r.hex()} does not match the expected root {bytes(root).hex()}")
    return True


def verify_consistency(size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes) -> bool:
    """Check a consistency proof (RFC 9162 §2.1.4.2); returns True or raises :class:`ProofError`.

    Beyond the RFC's loop this rejects hashes that are not 32 bytes, ``size1 > size2``,
    ``size1 == 0`` with a non-empty proof or with ``root1`` other than the empty-tree
    hash, and equal sizes with a non-empty proof or different roots.
    """
    _check_sizes(size1=size1, size2=size2)
    proof = list(proof or ())
    _check_hash("root1", root1)
    _check_hash("root2", root2)
    for i, p in enumerate(proof):
        _check_hash(f"proof[{i}]", p)
    if size1 > size2:
        raise ProofError(f"size1 {size1} is larger than size2 {size2}: a log never shrinks")
    if size1 == size2:
        if proof:
            raise ProofError(f"sizes are equal ({size1}) but the proof is not empty ({len(proof)} hashes)")
        if root1 != root2:
            raise ProofError(f"sizes are equal ({size1}) but the roots differ: {root1.hex()} != {root2.hex()}")
        return True
    if size1 == 0:
        if proof:
            raise ProofError(f"size1 is 0: the proof must be empty, it has {len(proof)} hashes")
        if root1 != EMPTY_ROOT:
            raise ProofError(f"size1 is 0 but root1 {root1.hex()} is not the empty-tree hash")
        return True
    if not proof:
        raise ProofError(f"the proof between sizes {size1} and {size2} cannot be empty")
    if size1 & (size1 - 1) == 0:  # exact power of two: root1 is the first node
        proof = [bytes(root1), *proof]
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for i, c in enumerate(proof[1:], start=1):
        if sn == 0:
            raise ProofError(f"proof has more hashes than sizes {size1} -> {size2} need (extra from #{i})")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn & 1 == 0 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError(f"proof has too few hashes for sizes {size1} -> {size2}")
    if fr != root1:
        raise ProofError(f"proof gives old root {fr.hex()}, expected root1 {bytes(root1).hex()}")
    if sr != root2:
        raise ProofError(f"proof gives new root {sr.hex()}, expected root2 {bytes(root2).hex()}")
    return True
