"""``gongzhi ledger``: keys, appending, checkpoints and export of the public record."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gongzhi.core.actors import SYSTEM

from ... import services
from ...models import Leaf, SignedCheckpoint
from ...tiles import TILE_HEIGHT, TILE_WIDTH, encode_bundle, tiles_for_size


class Command(BaseCommand):
    help = "The public record: keygen, status, sync, checkpoint, export, verifier-key, withhold, withheld."
    # `ledger keygen` makes the key a production deployment must name before its checks pass.
    requires_system_checks: list = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        kg = sub.add_parser(
            "keygen",
            help="make an Ed25519 signer key: a key file to give as GONGZHI_LEDGER_KEY (--out), or the database's "
            "key shared by every node (without --out; --force rotates it); prints the verifier key",
        )
        kg.add_argument("--name", help="key name (default: the log origin)")
        kg.add_argument("--out", help="write a key file (mode 0600) to give as GONGZHI_LEDGER_KEY on every node")
        kg.add_argument("--force", action="store_true", help="replace an existing key file or rotate the database key")
        sub.add_parser("status", help="tree size, root and latest checkpoint")
        sy = sub.add_parser("sync", help="append every public outbox event not yet in the log")
        sy.add_argument("--batch", type=int, default=2000)
        sub.add_parser("checkpoint", help="sign a checkpoint of the current tree")
        ex = sub.add_parser("export", help="write the checkpoint and all tiles to a directory")
        ex.add_argument("directory")
        sub.add_parser("verifier-key", help="print the verifier key of the log key")
        wh = sub.add_parser("withhold", help="stop serving the content of entries (the tree and proofs stay valid)")
        wh.add_argument("--index", type=int, action="append", default=[], help="leaf index (repeatable)")
        wh.add_argument("--event", action="append", default=[], help="event id (repeatable)")
        wh.add_argument("--record", action="append", default=[], help="every leaf about type:id (repeatable)")
        wh.add_argument("--reason", required=True, choices=["personal_data", "free_text", "legal_order"])
        wh.add_argument("--note", default="", help="why, for the operators (never published)")
        wh.add_argument("--dry-run", action="store_true", help="list the entries, change nothing")
        sub.add_parser("withheld", help="list the withheld entries")

    def handle(self, *args, action, **opts):
        try:
            getattr(self, "do_" + action.replace("-", "_"))(**opts)
        except services.LedgerError as exc:
            raise CommandError(str(exc)) from None

    def do_keygen(self, name=None, out=None, force=False, **_):
        if out:
            path = Path(out)
            signer = services.write_new_key(path, name=name, force=force)
            self.stdout.write(f"signer key written to {path} (keep it secret; give it as GONGZHI_LEDGER_KEY={path})")
        else:
            if services.key_from_settings() is not None:
                raise CommandError(
                    "GONGZHI_LEDGER_KEY is set, so the log signs with that key and a database key would go unused; "
                    "use --out FILE to make a key file for it"
                )
            signer = services.database_key(SYSTEM, name=name, force=force)
            self.stdout.write(
                "signer key " + ("rotated" if force else "stored") + " in the database (shared by every node)"
            )
        self.stdout.write(f"verifier key (publish it): {signer.verifier.to_key()}")

    def do_verifier_key(self, **_):
        self.stdout.write(services.load_signer(create=False).verifier.to_key())

    def do_status(self, **_):
        size, root = services.head()
        self.stdout.write(f"origin {services.origin()}")
        self.stdout.write(f"tree size {size}, root {root.hex()}")
        cp = services.latest_checkpoint()
        self.stdout.write(f"latest checkpoint: size {cp.size}" if cp else "no checkpoint signed yet")

    def do_sync(self, batch=2000, **_):
        from gongzhi.core.models import Event

        total = 0
        last = 0
        while True:
            events = list(
                Event.objects.filter(public=True, seq__gt=last).select_related("region").order_by("seq")[:batch]
            )
            if not events:
                break
            result = services.append_events(events)
            total += len(result.appended)
            last = events[-1].seq
        cp = services.sign_checkpoint()
        self.stdout.write(f"appended {total} events; checkpoint size {cp.size}")

    def do_checkpoint(self, **_):
        cp = services.sign_checkpoint()
        self.stdout.write(cp.note)

    def do_withhold(self, index=(), event=(), record=(), reason="", note="", dry_run=False, **_):
        indices = services.leaves_for(indices=index, event_ids=event, records=record)
        if not indices:
            raise CommandError("name entries with --index, --event or --record")
        if dry_run:
            for leaf in Leaf.objects.filter(index__in=indices).order_by("index"):
                self.stdout.write(f"{leaf.index}\t{leaf.event_type}\t{leaf.record}")
            self.stdout.write(f"{len(indices)} entries would be withheld (dry run)")
            return
        new = services.withhold(SYSTEM, indices, reason=reason, note=note)
        self.stdout.write(
            f"withheld {len(new)} entries ({len(indices) - len(new)} already withheld): "
            + ", ".join(map(str, new[:20]))
            + (" …" if len(new) > 20 else "")
        )
        self.stdout.write(
            "the tree, checkpoints and proofs are unchanged; purge cached entry bundles "
            "(CDN, mirrors) that hold these entries"
        )

    def do_withheld(self, **_):
        from ...models import WithheldEntry

        rows = WithheldEntry.objects.order_by("index")
        for w in rows:
            self.stdout.write(f"{w.index}\t{w.reason}\t{w.withheld_at:%Y-%m-%d %H:%M}\t{w.note}")
        self.stdout.write(f"{rows.count()} withheld entries")

    def do_export(self, directory, **_):
        cp = SignedCheckpoint.objects.order_by("-size").first()
        if cp is None:
            raise CommandError("no checkpoint has been signed yet; run `gongzhi ledger checkpoint`")
        out = Path(directory)
        for ref in tiles_for_size(cp.size):
            target = out / ref.path()
            target.parent.mkdir(parents=True, exist_ok=True)
            start = ref.index * TILE_WIDTH
            if ref.is_entries:
                data = encode_bundle(services.public_entries(start, ref.width))  # withheld ones as markers
            else:
                data = services.store.get_range(TILE_HEIGHT * ref.level, start, ref.width)
            target.write_bytes(data)
        (out / "checkpoint").write_text(cp.note)
        self.stdout.write(f"exported checkpoint {cp.size} and its tiles to {out}")
