"""The code checks `make test` runs before the suite: ruff (lint and format), import-linter (the
layers between apps) and mypy with django-stubs against its baseline.

    python scripts/check_code.py              # all four; non-zero exit if any fails
    python scripts/check_code.py --update-mypy-baseline   # after fixing type errors: shrink it

mypy runs with ``disallow_untyped_defs``: new code is typed. The errors the code had when the check
was introduced are counted per file and error code in ``mypy-baseline.json``; a count above its
baseline (or any error in a file the baseline does not list) fails, and the baseline only shrinks:
``--update-mypy-baseline`` refuses to raise a count.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BASELINE = ROOT / "mypy-baseline.json"
ERROR = re.compile(r"^(?P<path>[^:]+):\d+:(?:\d+:)? error: .*\[(?P<code>[a-z0-9-]+)\]$")


def step(label: str, cmd: list[str], cwd: Path = ROOT) -> bool:
    t0 = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    ok = proc.returncode == 0
    print(f"{'ok  ' if ok else 'FAIL'} {label} ({time.monotonic() - t0:.0f} s)", flush=True)
    if not ok:
        print((proc.stdout + proc.stderr).rstrip()[-6000:], flush=True)
    return ok


def mypy_counts() -> tuple[Counter, str]:
    env = dict(os.environ, GONGZHI_VAR_DIR=os.environ.get("GONGZHI_VAR_DIR", str(ROOT / "var")))
    proc = subprocess.run([str(BIN / "mypy"), "--no-error-summary"], cwd=ROOT, capture_output=True, text=True, env=env)
    counts: Counter = Counter()
    for line in proc.stdout.splitlines():
        m = ERROR.match(line)
        if m:
            counts[f"{m['path']}::{m['code']}"] += 1
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and not counts):
        raise SystemExit(f"mypy did not run: {proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return counts, proc.stdout


def mypy_step(update: bool) -> bool:
    t0 = time.monotonic()
    counts, output = mypy_counts()
    baseline = Counter(json.loads(BASELINE.read_text())) if BASELINE.exists() else Counter()
    worse = {k: (baseline.get(k, 0), n) for k, n in counts.items() if n > baseline.get(k, 0)}
    better = sum((baseline - counts).values())
    label = f"mypy: {sum(counts.values())} errors, baseline {sum(baseline.values())}"
    if update:
        if worse and BASELINE.exists():
            print(f"FAIL {label}: will not raise the baseline", flush=True)
        else:
            BASELINE.write_text(json.dumps(dict(sorted(counts.items())), indent=1, ensure_ascii=False) + "\n")
            print(f"ok   {label}: baseline rewritten ({better} fewer)", flush=True)
        return not worse
    ok = not worse
    print(f"{'ok  ' if ok else 'FAIL'} {label} ({time.monotonic() - t0:.0f} s)", flush=True)
    if worse:
        keys = {k.split("::")[0] for k in worse}
        print("new type errors (file::code: baseline -> now); fix them, new code is typed:")
        for k, (b, n) in sorted(worse.items()):
            print(f"  {k}: {b} -> {n}")
        for line in output.splitlines():
            if line.split(":", 1)[0] in keys and " error: " in line:
                print("   ", line)
    elif better:
        print(
            f"     {better} fewer than the baseline: `python scripts/check_code.py --update-mypy-baseline` shrinks it"
        )
    return ok


def main() -> int:
    update = "--update-mypy-baseline" in sys.argv
    if update or "--mypy-only" in sys.argv:
        return 0 if mypy_step(update) else 1
    results = [
        step("ruff check", [str(BIN / "ruff"), "check", "."]),
        step("ruff format --check", [str(BIN / "ruff"), "format", "--check", "."]),
        step("import-linter (layers between apps)", [str(BIN / "lint-imports")], cwd=ROOT),
        mypy_step(False),
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
