import resource
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gongzhi.demo.generator import DEMO_PASSWORD, SCALES, DemoGenerator, database_is_empty, run_module_demos


class Command(BaseCommand):
    help = "Generate a realistic synthetic district (or city) into an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same data)")
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="district",
            help="district (default, seconds) or city (≥1 million people, ≥10,000 grids)",
        )
        parser.add_argument(
            "--district-only",
            action="store_true",
            help="only the district (regions, organisation, people, grids, lists): no module data",
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing (exit 0) when the database already holds data"
        )

    def handle(self, *args, seed, scale, if_empty, district_only=False, **opts):
        if not database_is_empty():
            if if_empty:
                self.stdout.write("数据库已有数据，跳过示范数据生成 (database not empty; demo skipped)")
                return
            raise CommandError(
                "数据库已有数据：示范数据只能载入空数据库 (the database is not empty: "
                "the demo loads into an empty database; use a fresh DATABASE_URL or delete var/)"
            )
        t0 = time.perf_counter()
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            transient=False,
            disable=opts.get("verbosity", 1) == 0,
        ) as bar:
            tasks = {}

            def progress(label, done, total):
                if label not in tasks:
                    tasks[label] = bar.add_task(label, total=total)
                bar.update(tasks[label], completed=done, total=total)

            gen = DemoGenerator(seed=seed, scale=scale, progress=progress)
            gen.build()
            gen.check()
            counts = gen.write()
            if not district_only:
                counts.update(run_module_demos(seed=seed, scale=scale, progress=progress))
            if connection.vendor == "postgresql":
                # Fresh planner statistics after a bulk load: with the stale ones a region-subtree join
                # was planned as a nested loop (the city's burden summary took 91 ms instead of 2.5 ms).
                with connection.cursor() as cur:
                    cur.execute("ANALYZE")
        secs = time.perf_counter() - t0
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        summary = ", ".join(f"{k} {v:,}" for k, v in counts.items())
        self.stdout.write(f"示范数据已生成 (demo generated): scale={scale} seed={seed}; {summary}")
        self.stdout.write(f"time {secs:.1f} s, peak memory {peak_mb:.0f} MB")
        self.stdout.write(
            "演示账号 (demo logins), password "
            + DEMO_PASSWORD
            + ": "
            + ", ".join([*(u[0] for u in gen.demo_users), "resident"])
        )
