"""Run the consensus math on a pol.is export and shape the result for people and programs."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .math import Analysis, StatementStat, analyse, build_vote_matrix, bursts, replay
from .polis_io import Conversation, read_export, read_export_and_log

__all__ = ["analyse_export", "replay_export", "analysis_as_dict", "statement_label"]


def analyse_export(directory: Path | str, *, seed: int = 0) -> tuple[Conversation, Analysis]:
    """Read an export directory and analyse it (raises ``PolisFormatError`` on bad input)."""
    conv = read_export(directory)
    vm = build_vote_matrix(conv.votes_participant, conv.votes_statement, conv.votes_value, conv.votes_timestamp)
    return conv, analyse(vm, conv.moderated_out, seed=seed)


def replay_export(directory: Path | str, *, seed: int = 0, progress=None) -> tuple[Conversation, Analysis, int]:
    """Run a conversation as the platform's live analysis would have run it (docs/consultation.md
    §8): one update per burst of its votes, each continuing from the last. Returns the
    conversation, the last update's analysis and the number of updates. ``progress(done, total)``
    is told after each update."""
    conv, (p, s, v, t) = read_export_and_log(directory)
    order = np.argsort(t, kind="stable")
    p, s, v, t = p[order], s[order], v[order], t[order]
    ends = bursts(t)
    tell = None if progress is None else (lambda done: progress(done, ends.shape[0]))
    r = replay(p, s, v, t, conv.moderated_out, ends=ends, seed=seed, progress=tell)
    if r.analysis is None:  # no votes at all
        return conv, analyse(build_vote_matrix(p, s, v, t), conv.moderated_out, seed=seed), 0
    return conv, r.analysis, r.updates


def statement_label(conv: Conversation, sid: int, width: int | None = None) -> str:
    st = conv.statements.get(sid)
    text = " ".join(st.text.split()) if st else "(statement not in comments.csv)"
    if width is not None and len(text) > width:
        text = text[: width - 1] + "…"
    return text


def _stat(conv: Conversation, stat: StatementStat) -> dict:
    out = stat.as_dict()
    out["text"] = statement_label(conv, stat.statement)
    return out


def analysis_as_dict(conv: Conversation, an: Analysis, *, limit: int = 10, participants: bool = True) -> dict:
    in_analysis = int(an.in_analysis.sum())
    data = {
        "conversation": str(conv.directory),
        "participants": int(an.participants.shape[0]),
        "participants_in_analysis": in_analysis,
        "statements": int(an.statements.shape[0]),
        "statements_moderated_out": list(an.moderated_out),
        "votes": int(conv.votes_value.shape[0]),
        "vote_rows": conv.raw_vote_rows,
        "too_small": an.too_small,
        "silhouettes": {str(k): round(v, 6) for k, v in an.silhouettes.items()},
        "groups": [
            {
                "id": g,
                "size": size,
                "representative": [_stat(conv, s) for s in an.representative.get(g, [])],
            }
            for g, size in enumerate(an.group_sizes())
        ],
        "group_informed_consensus": [
            {"statement": sid, "score": round(v, 6), "text": statement_label(conv, sid)}
            for sid, v in an.most_common_ground(limit)
        ],
        "group_informed_consensus_disagree": [
            {"statement": sid, "score": round(v, 6), "text": statement_label(conv, sid)}
            for sid, v in an.most_common_ground(limit, direction="disagree")
        ],
        "consensus": {d: [_stat(conv, s) for s in an.consensus.get(d, [])] for d in ("agree", "disagree")},
        "divisive": [
            {"statement": sid, "spread": round(v, 6), "text": statement_label(conv, sid)} for sid, v in an.divisive
        ],
    }
    if participants:
        data["participant_groups"] = {str(pid): g for pid, g in an.group_of().items()}
        data["projection"] = {
            str(pid): (None if not an.in_analysis[i] else [round(float(x), 6) for x in an.projection[i]])
            for i, pid in enumerate(an.participants)
        }
    return data
