from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .conftest import POLIS_DATA, write_export


def _run(*args) -> str:
    out = StringIO()
    call_command("consensus", *args, stdout=out)
    return out.getvalue()


def test_text_output_lists_groups_consensus_and_representatives(planted_export):
    directory, _ = planted_export
    text = _run(str(directory))
    assert "Opinion groups: 2" in text
    assert "Group A:" in text and "Group B:" in text
    lines = text.splitlines()
    top = lines[lines.index(next(line for line in lines if line.startswith("最大公约数"))) + 1]
    assert "#0 " in top and "statement 0" in top  # common ground comes first
    assert "Representative statements per group:" in text


def test_json_output_has_each_participants_group(planted_export):
    directory, truth = planted_export
    data = json.loads(_run(str(directory), "--json", "--limit", "3"))
    assert len(data["groups"]) == 2
    assert len(data["group_informed_consensus"]) == 3
    assert data["group_informed_consensus"][0]["statement"] == 0
    groups = data["participant_groups"]
    assert set(groups) == {str(p) for p in truth}
    # Same camp, same group.
    for p, camp in truth.items():
        for q, camp2 in truth.items():
            if groups[str(p)] is not None and groups[str(q)] is not None:
                assert (groups[str(p)] == groups[str(q)]) == (camp == camp2)


def test_real_conversation_in_chinese():
    data = json.loads(_run(str(POLIS_DATA / "vtaiwan.uberx"), "--json"))
    assert data["too_small"] is None and len(data["groups"]) >= 2
    assert any("Uber" in item["text"] for item in data["group_informed_consensus"])
    assert sum(g["size"] for g in data["groups"]) == data["participants_in_analysis"]


def test_too_small_conversation_reports_it(tmp_path):
    d = write_export(tmp_path / "small", [(0, "a", 1), (1, "b", 1)], [(1, 0, 1, 1), (2, 1, 1, -1), (3, 0, 2, 1)])
    text = _run(str(d))
    assert "too small to cluster" in text
    assert "Group A" not in text


def test_bad_input_is_a_command_error_with_file_and_line(tmp_path):
    d = write_export(tmp_path / "bad", [(0, "a", 1)], [(1, 0, 1, 1)])
    with (d / "votes.csv").open("a") as fh:
        fh.write("5,x,0,1,agree\n")
    with pytest.raises(CommandError, match=r"votes.csv:3: vote must be an integer"):
        _run(str(d))
    with pytest.raises(CommandError, match="not a directory"):
        _run(str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="--limit"):
        _run(str(POLIS_DATA / "brexit-consensus"), "--limit", "0")


def test_live_replays_the_vote_history(capsys):
    """--live: one update per burst of votes (the platform's live analysis); JSON stays clean."""
    from gongzhi.consult import math as cm
    from gongzhi.consult.polis_io import read_votes

    directory = POLIS_DATA / "london.youth.policing"
    bursts = cm.bursts(sorted(read_votes(directory / "votes.csv")[3])).shape[0]
    data = json.loads(_run(str(directory), "--json", "--live"))
    assert data["live_updates"] == bursts > 100
    assert len(data["groups"]) == 4
    text = _run(str(directory), "--live", "-v", "0")
    assert text.startswith(f"Live analysis: {bursts} updates")
