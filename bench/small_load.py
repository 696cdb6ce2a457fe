"""Small-load benchmark: `python -m bench.small_load [--rounds 3] [--compare-with PATH]`.

Issue 12's "small load" line: the 924-row real sample (data/nyc_311_sample_2022.csv) into a fresh
embedded SQLite store and lake, with the real command line (`python -m pipeline batch`), timed end
to end: Python start, extract, lake merge, every rollup, store writes (target <= 15 s). Two ways,
in turns each round:
- warm: `batch` hands the load to a warm loader (`python -m pipeline loader`, pipeline/loader),
  started once by this benchmark; its start and warm-up are timed and printed apart;
- cold: `batch --in-process`, which starts its own Spark session (the JVM, Spark and Delta cold).

`--compare-with PATH` times another checkout (e.g. a worktree of the previous commit, sharing this
virtualenv) in the same turns, its own way (in its own process), so the before/after ratio is
measured on the same machine load. DuckDB counts the same file's requests per borough and day as
the reference.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from bench.batch import duckdb_borough_day
from bench.results import record
from pipeline.settings import ROOT

SAMPLE = ROOT / "data" / "nyc_311_sample_2022.csv"


def load_once(checkout: Path, csv: Path, *extra: str, env: dict | None = None) -> tuple[float, dict[str, float]]:
    """(wall seconds, stage seconds from the job's report) of one load into a fresh store and lake."""
    work = Path(tempfile.mkdtemp(prefix="nyc311-small-"))
    try:
        t0 = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pipeline", "batch", "--input", str(csv),
                               "--store", f"sqlite:///{work}/rollups.db", "--lake", str(work / "lake"),
                               "--quarantine", str(work / "quarantine"), *extra],
                              cwd=checkout, capture_output=True, text=True, check=False, env=env)
        wall = time.perf_counter() - t0
        if done.returncode:
            raise SystemExit(f"load failed in {checkout}:\n{done.stderr[-2000:]}")
        stages = {m[0].strip(): float(m[1]) for m in re.findall(r"^(\S[\w+ ]*?)\s+([\d.]+) s$", done.stdout, re.M)}
        return wall, stages
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def warm_loader(sock: Path):
    """A loader of this checkout listening at `sock`, started (and warmed up) and stopped here;
    yields the seconds it took to listen."""
    log = sock.with_suffix(".log")
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "loader", "--socket", str(sock)], cwd=ROOT,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    try:
        while "listening at" not in log.read_text():
            if proc.poll() is not None or time.perf_counter() - t0 > 600:
                raise SystemExit(f"the loader did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield time.perf_counter() - t0
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.small_load", description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--csv", type=Path, default=SAMPLE)
    ap.add_argument("--compare-with", type=Path, help="another checkout, timed in turns with this one")
    args = ap.parse_args(argv)
    os.environ.setdefault("NYC311_SPARK_MASTER", "local[2]")
    sock = Path(tempfile.mkdtemp(prefix="nyc311-loader-")) / "loader.sock"
    warm_env = {**os.environ, "NYC311_LOADER_SOCKET": str(sock)}
    ways = {"warm": (ROOT, (), warm_env), "cold": (ROOT, ("--in-process",), None)}
    if args.compare_with:
        ways["other"] = (args.compare_with.resolve(), (), None)
    walls: dict[str, list[float]] = {k: [] for k in ways}
    stages: dict[str, list[dict[str, float]]] = {k: [] for k in ways}
    with warm_loader(sock) as ready_s:
        for i in range(args.rounds):
            for name, (checkout, extra, env) in (ways.items() if i % 2 == 0 else reversed(ways.items())):
                wall, parts = load_once(checkout, args.csv, *extra, env=env)
                walls[name].append(wall)
                stages[name].append(parts)
                print(f"round {i + 1} {name:<5} {wall:6.1f} s  {parts}", file=sys.stderr)
    duck_s, groups = duckdb_borough_day(args.csv)
    med = {name: statistics.median(w) for name, w in walls.items()}
    print(f"\n== small load: {args.csv.name} into a fresh SQLite store, end to end (median of {args.rounds})")
    print(f"loader start and warm-up (once): {ready_s:.1f} s")
    for name, (checkout, extra, _) in ways.items():
        rollups = statistics.median(s.get("rollups", float("nan")) for s in stages[name])
        print(f"{name:<6}{str(checkout):<34}{' '.join(extra) or '':<13} wall {med[name]:6.1f} s  rollups stage "
              f"{rollups:5.1f} s  (target <= 15 s wall)  ours / duckdb {med[name] / duck_s:,.0f} x")
    print(f"warm / cold   {med['warm'] / med['cold']:.2f} x")
    if "other" in med:
        print(f"warm / other  {med['warm'] / med['other']:.2f} x;  cold / other  {med['cold'] / med['other']:.2f} x")
    print(f"duckdb {duck_s:.2f} s (borough x day counts from the CSV, {groups} groups)")
    record("small_load", {"csv": args.csv.name, "rounds": args.rounds, "wall_s": med["warm"], "cold_wall_s": med["cold"],
                          "loader_ready_s": ready_s,
                          "rollups_s": statistics.median(s.get("rollups", float("nan")) for s in stages["warm"]),
                          "duckdb_s": duck_s, "ours_over_duckdb": med["warm"] / duck_s})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
