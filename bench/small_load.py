"""Small-load benchmark: `python -m bench.small_load [--rounds 3] [--compare-with PATH]`.

Issue 12's "small load" line: the 924-row real sample (data/nyc_311_sample_2022.csv) into a fresh
embedded SQLite store and lake, with the real command line (`python -m pipeline batch`), timed end
to end: Python and Spark start, extract, lake merge, every rollup, store writes (target <= 15 s).

`--compare-with PATH` times another checkout (e.g. a worktree of the previous commit, sharing this
virtualenv) in turns with this one, round by round, so the before/after ratio is measured on the
same machine load. DuckDB counts the same file's requests per borough and day as the reference.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.batch import duckdb_borough_day
from bench.results import record
from pipeline.settings import ROOT

SAMPLE = ROOT / "data" / "nyc_311_sample_2022.csv"


def load_once(checkout: Path, csv: Path) -> tuple[float, dict[str, float]]:
    """(wall seconds, stage seconds from the job's report) of one load into a fresh store and lake."""
    work = Path(tempfile.mkdtemp(prefix="nyc311-small-"))
    try:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pipeline", "batch", "--input", str(csv),
                               "--store", f"sqlite:///{work}/rollups.db", "--lake", str(work / "lake"),
                               "--quarantine", str(work / "quarantine")],
                              cwd=checkout, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - t0
        if done.returncode:
            raise SystemExit(f"load failed in {checkout}:\n{done.stderr[-2000:]}")
        stages = {m[0].strip(): float(m[1]) for m in re.findall(r"^(\S[\w+ ]*?)\s+([\d.]+) s$", done.stdout, re.M)}
        return wall, stages
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.small_load", description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--csv", type=Path, default=SAMPLE)
    ap.add_argument("--compare-with", type=Path, help="another checkout, timed in turns with this one")
    args = ap.parse_args(argv)
    os.environ.setdefault("NYC311_SPARK_MASTER", "local[2]")
    checkouts = {"this": ROOT, **({"other": args.compare_with.resolve()} if args.compare_with else {})}
    walls: dict[str, list[float]] = {k: [] for k in checkouts}
    stages: dict[str, list[dict[str, float]]] = {k: [] for k in checkouts}
    for i in range(args.rounds):
        for name, checkout in (checkouts.items() if i % 2 == 0 else reversed(checkouts.items())):
            wall, parts = load_once(checkout, args.csv)
            walls[name].append(wall)
            stages[name].append(parts)
            print(f"round {i + 1} {name:<5} {wall:6.1f} s  {parts}", file=sys.stderr)
    duck_s, groups = duckdb_borough_day(args.csv)
    print(f"\n== small load: {args.csv.name} into a fresh SQLite store, end to end (median of {args.rounds})")
    for name, checkout in checkouts.items():
        med = statistics.median(walls[name])
        rollups = statistics.median(s.get("rollups", float("nan")) for s in stages[name])
        print(f"{name:<6}{str(checkout):<40} wall {med:6.1f} s  rollups stage {rollups:5.1f} s  "
              f"(target <= 15 s wall)  ours / duckdb {med / duck_s:,.0f} x")
    if len(checkouts) == 2:
        print(f"this / other  {statistics.median(walls['this']) / statistics.median(walls['other']):.2f} x")
    print(f"duckdb {duck_s:.2f} s (borough x day counts from the CSV, {groups} groups)")
    wall = statistics.median(walls["this"])
    record("small_load", {"csv": args.csv.name, "rounds": args.rounds, "wall_s": wall,
                          "rollups_s": statistics.median(s.get("rollups", float("nan")) for s in stages["this"]),
                          "duckdb_s": duck_s, "ours_over_duckdb": wall / duck_s})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
