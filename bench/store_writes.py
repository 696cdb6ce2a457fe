"""Store-write benchmark: `python -m bench.store_writes [--rounds 2] [--compare-with PATH]`.

Issue 12's batch loads spend most of their time writing rollup rows (264 s of 569 s for 1.6 M
requests into SQLite). This times `replace_periods` alone: the month rows of three rollups of
bench.read_lake's store (run that first; default var/bench/read_lake_1000000.db, 1 M requests: 880,000
place rows, a wide and a mid-size table) written into a fresh SQLite store, in a random order and
as fresh string objects, as a Spark job's `toPandas` hands them over.

`--compare-with PATH` times another checkout's store code (e.g. a worktree of an earlier commit,
sharing this virtualenv) in turns with this one, round by round: a same-run ratio.
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

TABLES = ("places_by_cell", "zips", "hours_of_week")
SOURCE = ROOT / "var" / "bench" / "read_lake_1000000.db"  # bench.read_lake's default store


def time_writes(source: Path) -> dict[str, float]:
    """Seconds per table of replace_periods into a fresh store, with this process's code."""
    import pandas as pd
    import pyarrow as pa

    from pipeline.settings import load
    from pipeline.stores import open_store
    with sqlite3.connect(source) as src:
        frames = {t: pd.read_sql(f"SELECT * FROM {t} WHERE grain = 'month'", src).drop(columns=["expires_at"])
                  .sample(frac=1, random_state=1) for t in TABLES}
    frames = {t: pa.Table.from_pandas(df, preserve_index=False).to_pandas() for t, df in frames.items()}
    out = {}
    with tempfile.TemporaryDirectory() as work, open_store(f"sqlite:///{work}/w.db", load()) as store:
        store.ensure_schema()
        for table, frame in frames.items():
            t0 = time.perf_counter()
            store.replace_periods(table, "month", sorted(frame["period"].unique()), frame)
            out[table] = time.perf_counter() - t0
    out["rows"] = float(sum(len(f) for f in frames.values()))
    return out


def run_in(checkout: Path, source: Path) -> dict[str, float]:
    """time_writes in a fresh process on `checkout`'s pipeline code (this file need not exist there)."""
    done = subprocess.run([sys.executable, __file__, "--one", "--source", str(source)], cwd=checkout, capture_output=True,
                          text=True, check=False, env={**os.environ, "PYTHONPATH": str(checkout)})
    if done.returncode:
        raise SystemExit(f"writes failed in {checkout}:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.store_writes", description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--source", type=Path, default=SOURCE, help="a SQLite store to take the rows from")
    ap.add_argument("--compare-with", type=Path, help="another checkout, timed in turns with this one")
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # run_in's child: one timing as JSON
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(time_writes(args.source)))
        return 0
    args.source = args.source.resolve()  # the children run in other directories
    if not args.source.exists():
        raise SystemExit(f"{args.source} is missing: run `python -m bench.read_lake --store sqlite:///{args.source}`")
    checkouts = {"this": ROOT, **({"other": args.compare_with.resolve()} if args.compare_with else {})}
    totals: dict[str, list[float]] = {k: [] for k in checkouts}
    for i in range(args.rounds):
        for name, checkout in (checkouts.items() if i % 2 == 0 else reversed(checkouts.items())):
            secs = run_in(checkout, args.source)
            totals[name].append(sum(v for k, v in secs.items() if k != "rows"))
            print(f"round {i + 1} {name:<5} {totals[name][-1]:6.2f} s  "
                  + "  ".join(f"{t} {secs[t]:.2f} s" for t in TABLES), file=sys.stderr)
    print(f"\n== store writes: {int(secs['rows']):,} rollup rows into a fresh SQLite store (median of {args.rounds})")
    for name, checkout in checkouts.items():
        med = statistics.median(totals[name])
        print(f"{name:<6}{str(checkout):<40} {med:6.2f} s  {secs['rows'] / med:,.0f} rows/s")
    if len(checkouts) == 2:
        print(f"this / other  {statistics.median(totals['this']) / statistics.median(totals['other']):.2f} x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
