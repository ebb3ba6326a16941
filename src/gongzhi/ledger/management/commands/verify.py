"""``gongzhi verify``: check the public record as an outsider would."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...note import NoteError, Verifier
from ...verify import VerificationFailed, recount_log, verify_log


class Command(BaseCommand):
    help = (
        "Verify the public record from a base URL or a directory of tiles: the checkpoint "
        "signature, the root recomputed from tiles, consistency with a saved checkpoint and "
        "inclusion of records; with --recount, a formal vote's result recomputed from its ballot "
        "entries alone. Exits non-zero on the first failure."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", help="base URL (https://host/ledger/) or a directory of tiles")
        parser.add_argument("--key", required=True, action="append", help="verifier key, or a file holding one")
        parser.add_argument("--origin", help="expected log origin")
        parser.add_argument("--since", help="a checkpoint saved earlier: check the log only grew from it")
        parser.add_argument("--record", action="append", default=[], help="type:id or event id that must be included")
        parser.add_argument("--save", help="write the verified checkpoint here, for a later --since")
        parser.add_argument("--full", action="store_true", help="also rehash every entry and check every tile")
        parser.add_argument(
            "--recount",
            metavar="TARGET",
            action="append",
            default=[],
            help="recompute a published result from the entries alone and compare: formal_vote:ID, or topic:ID "
            "(or a bare topic ID) for every formal vote of a topic (repeatable)",
        )

    def handle(self, *args, source, key, origin=None, since=None, record=(), save=None, full=False, recount=(), **opts):
        verifiers = []
        for k in key:
            text = Path(k).read_text().strip() if Path(k).is_file() else k
            try:
                verifiers.append(Verifier.from_key(text))
            except NoteError as exc:
                raise CommandError(f"--key {k}: {exc}") from None
        since_text = None
        if since:
            try:
                since_text = Path(since).read_bytes()
            except OSError as exc:
                raise CommandError(f"--since {since}: {exc}") from None
        try:
            report = verify_log(source, verifiers, origin=origin, since=since_text, records=record, full=full)
        except VerificationFailed as exc:
            raise CommandError(f"verification FAILED: {exc}") from None
        for target in recount:
            try:
                counted = recount_log(source, verifiers, target, origin=origin)
            except VerificationFailed as exc:
                for line in report.checks:
                    self.stdout.write(f"ok  {line}")
                raise CommandError(f"recount of {target} FAILED: {exc}") from None
            report.checks.extend(line for line in counted.checks[1:])
        for line in report.checks:
            self.stdout.write(f"ok  {line}")
        if save:
            Path(save).write_bytes(report.note_bytes)
        self.stdout.write(self.style.SUCCESS(f"verified: {report.checkpoint.origin} size {report.checkpoint.size}"))
