"""The open data app's contracts: the events it emits and its error codes (see :mod:`gongzhi.core.contracts`)."""

from __future__ import annotations

from gongzhi.core.contracts import ErrorCode, EventType, TypedDict


class SnapshotPublished(TypedDict):
    dataset: str  # the dataset's slug
    sha256: str  # hex digest of the bytes served
    rows: int
    size: int  # bytes
    checkpoint_size: int | None  # the signed ledger checkpoint the data was taken at


class Imported(TypedDict):
    kind: str  # units, people, households
    sha256: str  # of the spreadsheet
    rows: int


SNAPSHOT_PUBLISHED = EventType(
    "opendata.snapshot_published", SnapshotPublished, "a public dataset was published (its digest on the record)"
)
IMPORTED = EventType("opendata.imported", Imported, "a spreadsheet of units, people or households was imported")


class OpenDataError(ErrorCode):
    UNKNOWN_DATASET = "unknown_dataset"
    BAD_SPREADSHEET = "bad_spreadsheet"
    ROWS_REFUSED = "rows_refused"
