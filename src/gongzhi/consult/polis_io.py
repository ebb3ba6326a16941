"""Read a conversation in the pol.is openData export format.

An export directory holds ``comments.csv`` (the statements), ``votes.csv`` (one
row per vote event) and, when pol.is itself analysed the conversation,
``participants-votes.csv`` whose ``group-id`` column is pol.is's own grouping.

Votes in the export use agree = 1, disagree = -1, pass = 0. A participant may
vote on a statement more than once; the vote with the latest timestamp counts
(for equal timestamps, the later row in the file).

Every malformed row raises :class:`PolisFormatError`, which names the file and
the line so the export can be fixed; nothing is returned half-read.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "PolisFormatError",
    "Statement",
    "Conversation",
    "read_export",
    "read_comments",
    "read_votes",
    "read_polis_groups",
    "latest_votes",
]

# Moderation states in comments.csv.
MODERATED_OUT = -1
UNMODERATED = 0
ACCEPTED = 1


class PolisFormatError(ValueError):
    """A pol.is export file is missing or has a malformed row."""

    def __init__(self, path: Path | str, line: int | None, message: str):
        self.path = Path(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class Statement:
    id: int
    author_id: int
    moderated: int  # -1 rejected, 0 not yet moderated, 1 accepted
    text: str
    timestamp: int  # ms since the epoch


@dataclass
class Conversation:
    """A conversation read from an export; ``votes_*`` hold only the vote that counts."""

    directory: Path
    statements: dict[int, Statement]
    votes_participant: np.ndarray  # int64
    votes_statement: np.ndarray  # int64
    votes_value: np.ndarray  # int8: 1 agree, -1 disagree, 0 pass
    votes_timestamp: np.ndarray  # int64 ms
    raw_vote_rows: int = 0  # rows in votes.csv before later votes replaced earlier ones
    polis_groups: dict[int, int] | None = None  # pol.is group-id per participant, if exported
    meta: dict = field(default_factory=dict)

    @property
    def moderated_out(self) -> list[int]:
        return sorted(s.id for s in self.statements.values() if s.moderated == MODERATED_OUT)


def _open_csv(path: Path):
    if not path.is_file():
        raise PolisFormatError(path, None, "file not found (a pol.is export directory needs it)")
    return path.open(newline="", encoding="utf-8-sig")


def _header(reader, path: Path, required: tuple[str, ...]) -> dict[str, int]:
    try:
        header = next(reader)
    except StopIteration:
        raise PolisFormatError(path, 1, "file is empty; expected a header row") from None
    except csv.Error as exc:
        raise PolisFormatError(path, reader.line_num, f"unreadable CSV: {exc}") from None
    index = {name.strip(): i for i, name in enumerate(header)}
    missing = [c for c in required if c not in index]
    if missing:
        raise PolisFormatError(path, 1, f"header lacks column(s) {', '.join(missing)}; found {', '.join(header)}")
    return index


def _rows(reader, path: Path):
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PolisFormatError(path, reader.line_num, f"unreadable CSV: {exc}") from None
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line
        yield reader.line_num, row


def _int(path: Path, line: int, row: list[str], index: dict[str, int], column: str) -> int:
    pos = index[column]
    if pos >= len(row):
        raise PolisFormatError(path, line, f"row has {len(row)} fields, column {column!r} is missing")
    text = row[pos].strip()
    try:
        return int(text)
    except ValueError:
        try:
            value = float(text)
        except ValueError:
            value = None
        if value is not None and value.is_integer():
            return int(value)
        raise PolisFormatError(path, line, f"{column} must be an integer, got {text!r}") from None


def read_comments(path: Path | str) -> dict[int, Statement]:
    path = Path(path)
    required = ("timestamp", "comment-id", "author-id", "moderated", "comment-body")
    statements: dict[int, Statement] = {}
    with _open_csv(path) as fh:
        reader = csv.reader(fh)
        index = _header(reader, path, required)
        width = len(index)
        for line, row in _rows(reader, path):
            if len(row) != width:
                raise PolisFormatError(path, line, f"expected {width} fields, got {len(row)}")
            sid = _int(path, line, row, index, "comment-id")
            if sid < 0:
                raise PolisFormatError(path, line, f"comment-id must not be negative, got {sid}")
            moderated = _int(path, line, row, index, "moderated")
            if moderated not in (MODERATED_OUT, UNMODERATED, ACCEPTED):
                raise PolisFormatError(path, line, f"moderated must be -1, 0 or 1, got {moderated}")
            if sid in statements:
                raise PolisFormatError(path, line, f"comment-id {sid} appears twice")
            statements[sid] = Statement(
                id=sid,
                author_id=_int(path, line, row, index, "author-id"),
                moderated=moderated,
                text=row[index["comment-body"]],
                timestamp=_int(path, line, row, index, "timestamp"),
            )
    return statements


def read_votes(path: Path | str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All vote rows in file order: (participant, statement, vote, timestamp) arrays."""
    path = Path(path)
    required = ("timestamp", "comment-id", "voter-id", "vote")
    with _open_csv(path) as fh:
        reader = csv.reader(fh)
        index = _header(reader, path, required)
        width = len(index)
        i_ts, i_c, i_v, i_vote = (index[c] for c in required)
        ts, cid, vid, vote = [], [], [], []
        for line, row in _rows(reader, path):
            if len(row) != width:
                raise PolisFormatError(path, line, f"expected {width} fields, got {len(row)}")
            try:
                t, c, p, v = int(row[i_ts]), int(row[i_c]), int(row[i_v]), int(row[i_vote])
            except ValueError:
                t = _int(path, line, row, index, "timestamp")
                c = _int(path, line, row, index, "comment-id")
                p = _int(path, line, row, index, "voter-id")
                v = _int(path, line, row, index, "vote")
            if v not in (-1, 0, 1):
                raise PolisFormatError(path, line, f"vote must be -1, 0 or 1, got {v}")
            if c < 0 or p < 0:
                raise PolisFormatError(path, line, "comment-id and voter-id must not be negative")
            ts.append(t)
            cid.append(c)
            vid.append(p)
            vote.append(v)
    return (
        np.asarray(vid, dtype=np.int64),
        np.asarray(cid, dtype=np.int64),
        np.asarray(vote, dtype=np.int8),
        np.asarray(ts, dtype=np.int64),
    )


def latest_votes(participant, statement, value, timestamp=None):
    """Keep one vote per (participant, statement): the latest by timestamp, then by position.

    Returns the four arrays (timestamp may be None) sorted by participant, then statement.
    """
    participant = np.asarray(participant, dtype=np.int64)
    statement = np.asarray(statement, dtype=np.int64)
    value = np.asarray(value, dtype=np.int8)
    n = participant.shape[0]
    order = np.arange(n)
    if timestamp is not None:
        timestamp = np.asarray(timestamp, dtype=np.int64)
        if n and (np.diff(timestamp) < 0).any():
            order = np.argsort(timestamp, kind="stable")  # by time, then file position
    if n == 0:
        return participant, statement, value, timestamp
    # Then by (participant, statement), keeping time order within a pair. The composite
    # key · n + rank is unique, so an unstable (faster) sort gives the same, deterministic order.
    span = int(statement.max()) + 1
    key = (participant * span + statement)[order]
    if (np.diff(key) < 0).any():
        if (int(key.max()) + 1) * n < 2**62:
            order = order[np.argsort(key * n + np.arange(n))]
        else:
            order = order[np.argsort(key, kind="stable")]
    p, s = participant[order], statement[order]
    last = np.ones(n, dtype=bool)
    last[:-1] = (p[1:] != p[:-1]) | (s[1:] != s[:-1])
    keep = order[last]
    return (
        participant[keep],
        statement[keep],
        value[keep],
        None if timestamp is None else timestamp[keep],
    )


def read_polis_groups(path: Path | str) -> dict[int, int]:
    """pol.is's own ``group-id`` per participant (participants without a group are left out)."""
    path = Path(path)
    groups: dict[int, int] = {}
    with _open_csv(path) as fh:
        reader = csv.reader(fh)
        index = _header(reader, path, ("participant", "group-id"))
        for line, row in _rows(reader, path):
            pid = _int(path, line, row, index, "participant")
            pos = index["group-id"]
            if pos >= len(row):
                raise PolisFormatError(path, line, f"row has {len(row)} fields, group-id is missing")
            if row[pos].strip() == "":
                continue
            groups[pid] = _int(path, line, row, index, "group-id")
    return groups


def read_export(directory: Path | str) -> Conversation:
    """Read ``comments.csv``, ``votes.csv`` and (if present) ``participants-votes.csv``."""
    return read_export_and_log(directory)[0]


def read_export_and_log(directory: Path | str) -> tuple[Conversation, tuple[np.ndarray, ...]]:
    """:func:`read_export`, and every row of ``votes.csv`` as :func:`read_votes` returns them (the
    vote log a replay needs), from one read of the file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PolisFormatError(directory, None, "not a directory; expected a pol.is export directory")
    statements = read_comments(directory / "comments.csv")
    log = read_votes(directory / "votes.csv")
    raw_rows = int(log[0].shape[0])
    p, s, v, t = latest_votes(*log)
    pv = directory / "participants-votes.csv"
    groups = read_polis_groups(pv) if pv.is_file() else None
    return Conversation(
        directory=directory,
        statements=statements,
        votes_participant=p,
        votes_statement=s,
        votes_value=v,
        votes_timestamp=t,
        raw_vote_rows=raw_rows,
        polis_groups=groups,
    ), log
