"""The hash store: every complete subtree hash of the tree, level 0 in ``Leaf.leaf_hash`` and the rest
in ``Node`` (:class:`DbHashStore`, answering a proof with one statement over both tables), and the head (size and
root) with the append lock."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, connections, router
from django.utils import timezone

from .. import merkle
from ..merkle import EMPTY_ROOT
from ..models import Head, Leaf, Node


def _b(value) -> bytes:
    return bytes(value) if value is not None else b""


class DbHashStore:
    """:class:`~gongzhi.ledger.merkle.HashStore` over the database.

    Level 0 (the leaf hashes) lives in ``Leaf.leaf_hash``; every higher complete
    subtree in ``Node``.  A proof is one statement (one round trip): a ``UNION ALL`` of both tables.
    """

    def get_many(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        if not coords:
            return []
        conn = connections[router.db_for_read(Node)]  # the replica on public pages that read from it
        qn = conn.ops.quote_name
        found: dict[tuple[int, int], bytes] = {}
        leaves = sorted({i for level, i in coords if level == 0})
        upper = sorted({c for c in coords if c[0] > 0})
        leaf_sql = f"SELECT 0, {qn('index')}, leaf_hash FROM {qn(Leaf._meta.db_table)} WHERE {qn('index')} IN "
        # OR of equalities: both SQLite and PostgreSQL answer it from the primary key index
        # (SQLite does not use an index for row-value IN lists).
        pair = f"(level = %s AND {qn('index')} = %s)"
        node_sql = f"SELECT level, {qn('index')}, hash FROM {qn(Node._meta.db_table)} WHERE "
        with conn.cursor() as cur:
            # One statement per round trip for both tables (a proof: one round trip): the leaves in
            # chunks of 500 and the upper subtrees in chunks of 200, joined with UNION ALL.
            for k in range(max(-(-len(leaves) // 500), -(-len(upper) // 200))):
                lchunk = leaves[k * 500 : (k + 1) * 500]
                uchunk = upper[k * 200 : (k + 1) * 200]
                parts, params = [], []
                if lchunk:
                    parts.append(leaf_sql + f"({', '.join(['%s'] * len(lchunk))})")
                    params += lchunk
                if uchunk:
                    parts.append(node_sql + " OR ".join([pair] * len(uchunk)))
                    params += [x for c in uchunk for x in c]
                cur.execute(" UNION ALL ".join(parts), params)
                found.update(((lv, i), _b(h)) for lv, i, h in cur.fetchall())
        out = []
        for c in coords:
            if c not in found:
                raise KeyError(f"stored subtree {c} is missing")
            out.append(found[c])
        return out

    def get_range(self, level: int, start: int, count: int) -> bytes:
        if level == 0:
            qs = Leaf.objects.filter(index__gte=start, index__lt=start + count).values_list("leaf_hash", flat=True)
        else:
            qs = Node.objects.filter(level=level, index__gte=start, index__lt=start + count).values_list(
                "hash", flat=True
            )
        rows = list(qs.order_by("index"))
        if len(rows) != count:
            raise KeyError(f"level {level} has {len(rows)} of the {count} hashes from {start}")
        return b"".join(_b(h) for h in rows)

    def root(self, size: int) -> bytes:
        return merkle.fold_peaks(self.get_many(merkle.peaks_of(size)))


store = DbHashStore()


class _DictStore:
    """A :class:`~gongzhi.ledger.merkle.HashStore` over hashes already read."""

    def __init__(self, hashes: dict[tuple[int, int], bytes]):
        self.hashes = hashes

    def get_many(self, coords: Sequence[tuple[int, int]]) -> list[bytes]:
        try:
            return [self.hashes[c] for c in coords]
        except KeyError as exc:
            raise KeyError(f"stored subtree {exc.args[0]} is missing") from None


def _lock_head() -> tuple[int, bytes]:
    """Take the append lock and read the head as ``(size, root)``.

    The first statement is a write, so SQLite takes its write lock at once and
    PostgreSQL holds the row lock until commit: appenders are serialised.
    """
    qn = connection.ops.quote_name
    table = qn(Head._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET updated_at = %s WHERE id = 1", [now])
        if cur.rowcount == 0:
            Head.objects.get_or_create(id=1, defaults={"root": EMPTY_ROOT})
            cur.execute(f"UPDATE {table} SET updated_at = %s WHERE id = 1", [now])
        cur.execute(f"SELECT size, root FROM {table} WHERE id = 1")
        size, root = cur.fetchone()
    return size, _b(root)


def head() -> tuple[int, bytes]:
    h = Head.objects.filter(id=1).first()
    return (h.size, _b(h.root)) if h else (0, EMPTY_ROOT)
