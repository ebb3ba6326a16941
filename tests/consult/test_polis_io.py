from __future__ import annotations

import numpy as np
import pytest

from gongzhi.consult.polis_io import PolisFormatError, latest_votes, read_export

from .conftest import POLIS_DATA, write_export


def test_reads_real_export_and_keeps_the_last_vote():
    conv = read_export(POLIS_DATA / "brexit-consensus")
    assert len(conv.statements) == 50
    assert conv.raw_vote_rows == 5312
    # 9 rows were superseded by a later vote of the same person on the same statement.
    assert conv.votes_value.shape[0] == 5303
    pairs = set(zip(conv.votes_participant.tolist(), conv.votes_statement.tolist()))
    assert len(pairs) == 5303
    assert set(np.unique(conv.votes_value).tolist()) <= {-1, 0, 1}
    assert conv.polis_groups is not None and set(conv.polis_groups.values()) == {0, 1}


def test_participants_votes_with_xid_column_is_read():
    conv = read_export(POLIS_DATA / "london.youth.policing")
    assert set(conv.polis_groups.values()) == {0, 1, 2}
    assert len(conv.polis_groups) == 24
    assert conv.moderated_out == sorted(s.id for s in conv.statements.values() if s.moderated == -1)


def test_later_vote_overrides_earlier_even_when_rows_are_out_of_order(tmp_path):
    statements = [(0, "a", 1), (1, "b", 1)]
    votes = [
        (300, 0, 7, -1),  # latest for (7, 0), written first
        (100, 0, 7, 1),
        (200, 0, 7, 0),
        (100, 1, 7, 1),
        (100, 1, 7, -1),  # same timestamp: the later row wins
    ]
    conv = read_export(write_export(tmp_path / "x", statements, votes))
    got = dict(zip(zip(conv.votes_participant.tolist(), conv.votes_statement.tolist()), conv.votes_value.tolist()))
    assert got == {(7, 0): -1, (7, 1): -1}
    assert conv.raw_vote_rows == 5


def test_latest_votes_without_timestamps_uses_position():
    p, s, v, t = latest_votes([1, 1, 2], [5, 5, 5], [1, -1, 0])
    assert p.tolist() == [1, 2] and s.tolist() == [5, 5] and v.tolist() == [-1, 0] and t is None


@pytest.mark.parametrize(
    "row, line, fragment",
    [
        ("10,x,0,1,2", 3, "vote must be -1, 0 or 1"),
        ("10,x,0,1", 3, "expected 5 fields"),
        ("10,x,zero,1,1", 3, "comment-id must be an integer"),
        ("10,x,0,-4,1", 3, "must not be negative"),
    ],
)
def test_malformed_vote_row_names_file_and_line(tmp_path, row, line, fragment):
    d = write_export(tmp_path / "bad", [(0, "a", 1)], [(1, 0, 1, 1)])
    with (d / "votes.csv").open("a") as fh:
        fh.write(row + "\n")
    with pytest.raises(PolisFormatError) as exc:
        read_export(d)
    assert exc.value.line == line
    assert exc.value.path.name == "votes.csv"
    assert fragment in str(exc.value)
    assert f"votes.csv:{line}:" in str(exc.value)


def test_malformed_comment_rows(tmp_path):
    d = write_export(tmp_path / "c", [(0, "a", 1), (1, "b, with comma", 0)], [(1, 0, 1, 1)])
    text = (d / "comments.csv").read_text()
    (d / "comments.csv").write_text(text + "5,x,2,0,0,0,7,text\n")
    with pytest.raises(PolisFormatError, match=r"comments.csv:4: moderated must be -1, 0 or 1"):
        read_export(d)
    (d / "comments.csv").write_text(text + "5,x,1,0,0,0,1,again\n")
    with pytest.raises(PolisFormatError, match=r"comments.csv:4: comment-id 1 appears twice"):
        read_export(d)


def test_missing_files_and_columns(tmp_path):
    with pytest.raises(PolisFormatError, match="not a directory"):
        read_export(tmp_path / "nope")
    d = write_export(tmp_path / "m", [(0, "a", 1)], [(1, 0, 1, 1)])
    (d / "votes.csv").unlink()
    with pytest.raises(PolisFormatError, match=r"votes.csv: file not found"):
        read_export(d)
    (d / "votes.csv").write_text("timestamp,comment-id,vote\n1,0,1\n")
    with pytest.raises(PolisFormatError, match=r"votes.csv:1: header lacks column\(s\) voter-id"):
        read_export(d)
    (d / "votes.csv").write_text("")
    with pytest.raises(PolisFormatError, match="file is empty"):
        read_export(d)


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.integers(0, 3), st.sampled_from([-1, 0, 1]), st.integers(0, 5)), max_size=40
    )
)
def test_latest_votes_matches_a_plain_replay(events):
    """Replaying the events in (timestamp, file position) order, a dict keeps the last vote."""
    expected = {}
    for _, (p, s, v, t) in sorted(enumerate(events), key=lambda e: (e[1][3], e[0])):
        expected[(p, s)] = (v, t)
    if events:
        p, s, v, t = (list(x) for x in zip(*events))
    else:
        p = s = v = t = []
    gp, gs, gv, gt = latest_votes(p, s, v, t)
    got = {(a, b): (c, d) for a, b, c, d in zip(gp.tolist(), gs.tolist(), gv.tolist(), gt.tolist())}
    assert got == expected
    assert list(zip(gp.tolist(), gs.tolist())) == sorted(expected)
