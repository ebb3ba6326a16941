"""``gongzhi ledger``: keys, appending, checkpoints and export of the public record."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ... import services
from ...models import Leaf, SignedCheckpoint
from ...tiles import TILE_HEIGHT, TILE_WIDTH, encode_bundle, tiles_for_size


class Command(BaseCommand):
    help = "The public record: keygen, status, sync, checkpoint, export, verifier-key."
    # `ledger keygen` makes the key a production deployment must name before its checks pass.
    requires_system_checks: list = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        kg = sub.add_parser("keygen", help="make an Ed25519 signer key and print the verifier key")
        kg.add_argument("--name", help="key name (default: the log origin)")
        kg.add_argument("--out", help="key file (default: VAR_DIR/ledger/signer.key)")
        kg.add_argument("--force", action="store_true", help="replace an existing key file")
        sub.add_parser("status", help="tree size, root and latest checkpoint")
        sy = sub.add_parser("sync", help="append every public outbox event not yet in the log")
        sy.add_argument("--batch", type=int, default=2000)
        sub.add_parser("checkpoint", help="sign a checkpoint of the current tree")
        ex = sub.add_parser("export", help="write the checkpoint and all tiles to a directory")
        ex.add_argument("directory")
        sub.add_parser("verifier-key", help="print the verifier key of the log key")

    def handle(self, *args, action, **opts):
        try:
            getattr(self, "do_" + action.replace("-", "_"))(**opts)
        except services.LedgerError as exc:
            raise CommandError(str(exc)) from None

    def do_keygen(self, name=None, out=None, force=False, **_):
        path = Path(out) if out else services.key_path()
        signer = services.write_new_key(path, name=name, force=force)
        self.stdout.write(f"signer key written to {path} (keep it secret)")
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
            events = list(Event.objects.filter(public=True, seq__gt=last).select_related("region").order_by("seq")[:batch])
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
                entries = Leaf.objects.filter(index__gte=start, index__lt=start + ref.width).order_by("index")
                data = encode_bundle(bytes(e) for e in entries.values_list("entry", flat=True))
            else:
                data = services.store.get_range(TILE_HEIGHT * ref.level, start, ref.width)
            target.write_bytes(data)
        (out / "checkpoint").write_text(cp.note)
        self.stdout.write(f"exported checkpoint {cp.size} and its tiles to {out}")
