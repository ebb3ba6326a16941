"""``gongzhi consensus DIR``: opinion groups and the 最大公约数 of a pol.is openData export."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ...polis_io import PolisFormatError
from ...report import analyse_export, analysis_as_dict, replay_export, statement_label


def _pct(p: float) -> str:
    return f"{100 * p:.0f}%"


class Command(BaseCommand):
    help = (
        "Analyse a conversation in the pol.is openData export format (comments.csv, votes.csv): "
        "opinion groups, the group-informed consensus (最大公约数) and each group's representative "
        "statements. --json adds each participant's group. --live replays the votes as the platform's "
        "live analysis runs them (one update per burst of votes), as pol.is does."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="export directory holding comments.csv and votes.csv")
        parser.add_argument("--json", action="store_true", help="print JSON (with each participant's group)")
        parser.add_argument("--seed", type=int, default=0, help="seed for the PCA start and k-means++ starts")
        parser.add_argument("--limit", type=int, default=10, help="statements in the consensus list (default 10)")
        parser.add_argument(
            "--live",
            action="store_true",
            help="replay the vote history: one update per burst of votes, each from the last",
        )

    def handle(self, *args, directory, json=False, seed=0, limit=10, live=False, **opts):
        if limit < 1:
            raise CommandError(_("--limit must be at least 1"))
        updates = None
        try:
            if live:
                conv, an, updates = self._replay(directory, seed, quiet=opts.get("verbosity", 1) == 0)
            else:
                conv, an = analyse_export(directory, seed=seed)
        except PolisFormatError as exc:
            raise CommandError(str(exc)) from None
        if json:
            data = analysis_as_dict(conv, an, limit=limit)
            if updates is not None:
                data["live_updates"] = updates
            self.stdout.write(_json_dump(data))
            return
        if updates is not None:
            self.stdout.write(_("Live analysis: %(n)d updates, one per burst of votes") % {"n": updates})
        self._text(conv, an, limit)

    def _replay(self, directory, seed, quiet):
        """The replay shows a progress bar on standard error (standard output stays clean for --json)."""
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            disable=quiet,
        ) as bar:
            task = bar.add_task(_("updates"), total=None)

            def progress(done, total):
                bar.update(task, completed=done, total=total)

            return replay_export(directory, seed=seed, progress=progress)

    def _text(self, conv, an, limit):
        w = self.stdout.write
        n_in = int(an.in_analysis.sum())
        w(_("Conversation: %(dir)s") % {"dir": conv.directory})
        w(
            _("%(p)d participants (%(n)d in the analysis), %(s)d statements (%(m)d moderated out), %(v)d votes")
            % {
                "p": an.participants.shape[0],
                "n": n_in,
                "s": an.statements.shape[0],
                "m": len(an.moderated_out),
                "v": conv.votes_value.shape[0],
            }
        )
        w("")
        if an.too_small:
            w(
                self.style.WARNING(
                    _("No opinion groups: the conversation is too small to cluster (%(why)s).") % {"why": an.too_small}
                )
            )
        else:
            sil = ", ".join(f"k={k}: {v:.3f}" for k, v in sorted(an.silhouettes.items()))
            w(_("Opinion groups: %(k)d (silhouette %(sil)s)") % {"k": an.n_groups, "sil": sil})
            for g, size in enumerate(an.group_sizes()):
                w(_("  Group %(g)s: %(n)d participants") % {"g": chr(65 + g), "n": size})
            w("")
            w(_("最大公约数 — group-informed consensus, Π_g (A_g+1)/(S_g+2):"))
            for rank, (sid, score) in enumerate(an.most_common_ground(limit), 1):
                j = int((an.statements == sid).nonzero()[0][0])
                per_group = " ".join(
                    f"{chr(65 + g)} {_pct(an.counts['A'][g, j] / an.counts['S'][g, j]) if an.counts['S'][g, j] else '–'}"
                    for g in range(an.n_groups)
                )
                w(f"  {rank:2d}. #{sid:<4d} {score:.3f}  [{per_group}]  {statement_label(conv, sid, 90)}")
        w("")
        for direction, title in (
            ("agree", _("Majority consensus — agreed")),
            ("disagree", _("Majority consensus — disagreed")),
        ):
            stats = an.consensus.get(direction, [])
            w(f"{title}:" + ("" if stats else " " + _("none significant")))
            for st in stats:
                w(
                    f"      #{st.statement:<4d} {_pct(st.n_success / st.n_seen)} ({st.n_success}/{st.n_seen})  "
                    f"{statement_label(conv, st.statement, 90)}"
                )
        if not an.too_small:
            w("")
            w(_("Representative statements per group:"))
            for g in range(an.n_groups):
                w(_("  Group %(g)s:") % {"g": chr(65 + g)})
                for st in an.representative.get(g, []):
                    verb = _("agree") if st.direction == "agree" else _("disagree")
                    flag = "" if st.significant else " " + _("(not significant)")
                    w(
                        f"      #{st.statement:<4d} {verb} {_pct(st.n_success / st.n_seen) if st.n_seen else '–'} "
                        f"({st.n_success}/{st.n_seen}), ×{st.repness:.2f} vs rest{flag}  "
                        f"{statement_label(conv, st.statement, 80)}"
                    )


def _json_dump(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1)
