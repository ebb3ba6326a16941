"""``gongzhi opendata``: the public datasets and spreadsheet imports.

gongzhi opendata list
gongzhi opendata publish [--dataset SLUG]
gongzhi opendata export SLUG -o FILE          (the latest published snapshot, as served)
gongzhi opendata import units|people|households FILE.xlsx [--apply] [--user NAME]
gongzhi opendata template units|people|households -o FILE.xlsx
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gongzhi.core.actors import SYSTEM
from gongzhi.core.errors import DomainError

from ... import catalogue, imports, services


class Command(BaseCommand):
    help = "Public datasets (list, publish, export) and spreadsheet imports of units, people and households."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="every dataset and its latest snapshot")
        p = sub.add_parser("publish", help="publish every dataset that changed (or one)")
        p.add_argument("--dataset", help="only this dataset")
        p = sub.add_parser("export", help="write the latest snapshot of a dataset to a file")
        p.add_argument("slug")
        p.add_argument("-o", "--output", required=True)
        p = sub.add_parser("import", help="import a spreadsheet (a dry run unless --apply)")
        p.add_argument("kind", choices=list(imports.COLUMNS))
        p.add_argument("file")
        p.add_argument("--apply", action="store_true", help="keep the rows (only when none is refused)")
        p.add_argument("--user", help="act as this user (default: the platform itself)")
        p = sub.add_parser("template", help="an empty spreadsheet with the columns of a kind")
        p.add_argument("kind", choices=list(imports.COLUMNS))
        p.add_argument("-o", "--output", required=True)

    def handle(self, *args: Any, action: str, **opts: Any) -> None:
        try:
            getattr(self, f"_{action}")(**opts)
        except DomainError as exc:
            raise CommandError(exc.message) from None

    def _list(self, **opts: Any) -> None:
        for row in catalogue.entries():
            snap = row["snapshot"]
            state = f"{snap.created_at:%Y-%m-%d %H:%M} rows={snap.rows} sha256={snap.sha256}" if snap else "-"
            self.stdout.write(f"{row['slug']}\t{row['format']}\t{state}")

    def _publish(self, dataset: str | None = None, **opts: Any) -> None:
        if dataset:
            done = [services.publish(SYSTEM, dataset)]
        else:
            with Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                disable=opts.get("verbosity", 1) == 0,
            ) as bar:
                task = bar.add_task("datasets", total=None)
                done = services.publish_all(SYSTEM, progress=lambda i, n: bar.update(task, completed=i, total=n))
        for p in done:
            s = p.snapshot
            self.stdout.write(f"{'new' if p.new else 'same'}\t{s.dataset}\trows={s.rows}\tsha256={s.sha256}")

    def _export(self, slug: str, output: str, **opts: Any) -> None:
        snap = services.latest(slug)
        if snap is None:
            raise CommandError(f"dataset {slug!r} has not been published (gongzhi opendata publish)")
        Path(output).write_bytes(bytes(snap.content))
        self.stdout.write(f"{output}\tsha256={snap.sha256}")

    def _import(self, kind: str, file: str, apply: bool = False, user: str | None = None, **opts: Any) -> None:
        actor: Any = SYSTEM
        if user:
            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"no user named {user!r}")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            run = services.run_import(actor, kind, path.name, path.read_bytes(), dry_run=not apply)
        except services.ImportRefused as exc:
            self._report(exc.run)
            raise CommandError(exc.message) from None
        self._report(run)
        if run.refused:
            raise CommandError(f"{len(run.refused)} rows would be refused; fix them and run again")

    def _report(self, run: Any) -> None:
        w = self.stdout.write
        verb = "imported" if run.applied else "dry run"
        w(f"{verb}: {run.rows} rows, {run.accepted} accepted, {len(run.refused)} refused")
        for r in run.refused:
            label = imports.COLUMNS[run.kind].get(r["column"], (r["column"],))[0] if r["column"] else ""
            w(f"row {r['row']}\t{label}\t{r['code']}\t{r['message']}")

    def _template(self, kind: str, output: str, **opts: Any) -> None:
        Path(output).write_bytes(imports.template(kind))
        self.stdout.write(output)
