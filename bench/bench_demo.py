"""`gongzhi demo --scale city`: time and peak memory on this machine (goal: < 10 minutes).

Runs migrate + `gongzhi demo --scale city --district-only` in a child process on a
fresh SQLite database (and on PostgreSQL with --pg), reading the child's peak RSS
from getrusage. The baseline measured in the same run: inserting the same kind of
rows one by one through the ORM (`Model.save()`) instead of in bulk, extrapolated
to the city's row count.

Run: .venv/bin/python bench/bench_demo.py [--scale city] [--pg postgresql://127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

PY = sys.executable


def run_demo(scale: str, database_url: str) -> tuple[float, float, str]:
    var = tempfile.mkdtemp(prefix="gongzhi-bench-demo-")
    env = dict(os.environ, GONGZHI_VAR_DIR=var, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="gongzhi.settings")
    subprocess.run([PY, "-m", "gongzhi.cli", "migrate", "--noinput", "-v0"], env=env, check=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    out = subprocess.run(
        [PY, "-m", "gongzhi.cli", "demo", "--scale", scale, "--district-only"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return secs, max(peak, before) / 1024, out


def baseline_rows_per_second(database_url: str, n: int = 3000) -> tuple[float, float]:
    """Rows/s for one-by-one ORM saves vs bulk_create, same rows, same database kind."""
    code = f"""
import os, time, datetime as dt
os.environ['DJANGO_SETTINGS_MODULE']='gongzhi.settings'
import django; django.setup()
from django.core.management import call_command
call_command('migrate', verbosity=0)
from gongzhi.core.models import Region
from gongzhi.org.models import Person
r = Region.objects.create(code='990100', name='x', level='city', path='/990100/')
def rows(k):
    return [Person(name='张三', region=r, gender='m', birth_date=dt.date(1980,1,1), phone='13800000000') for _ in range(k)]
t=time.perf_counter()
for p in rows({n}): p.save()
one=time.perf_counter()-t
t=time.perf_counter(); Person.objects.bulk_create(rows({n}), batch_size=5000); bulk=time.perf_counter()-t
print({n}/one, {n}/bulk)
"""
    var = tempfile.mkdtemp(prefix="gongzhi-bench-base-")
    env = dict(os.environ, GONGZHI_VAR_DIR=var, DATABASE_URL=database_url)
    out = subprocess.run([PY, "-c", code], env=env, check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default="city")
    ap.add_argument("--pg", help="also run on this PostgreSQL database (it is wiped: use a scratch one)")
    args = ap.parse_args()
    targets = [("SQLite", "")]
    if args.pg:
        targets.append(("PostgreSQL", args.pg))
    for label, url in targets:
        if url:
            import psycopg

            with psycopg.connect(url, autocommit=True) as c:
                c.execute("drop schema public cascade; create schema public")
        secs, peak_mb, out = run_demo(args.scale, url)
        counts = dict((k, int(v.replace(",", ""))) for k, v in re.findall(r"(\w+) ([\d,]+)", out.split(";")[-1]))
        rows = sum(counts.values())
        if url:
            with psycopg.connect(url, autocommit=True) as c:
                c.execute("drop schema public cascade; create schema public")
        one, bulk = baseline_rows_per_second(url)
        print(
            f"{label}: gongzhi demo --scale {args.scale}: {secs:.1f} s, peak RSS {peak_mb:.0f} MB, "
            f"{rows:,} rows ({counts.get('person', 0):,} people, {counts.get('grid', 0):,} grids) "
            f"→ {rows / secs:,.0f} rows/s; goal < 600 s: {'met' if secs < 600 else 'NOT met'}"
        )
        print(
            f"  baseline (same run): ORM save() one by one {one:,.0f} rows/s vs bulk_create {bulk:,.0f} rows/s; "
            f"the city's rows one by one would take ≈ {rows / one:,.0f} s "
            f"({rows / one / secs:.1f}× the bulk generator)"
        )


if __name__ == "__main__":
    main()
