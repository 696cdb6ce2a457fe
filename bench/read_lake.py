"""Read API against DuckDB over the lake: `python -m bench.read_lake [--rows N] [--store URL]`.

Issue 12 asks for every read figure beside DuckDB computing the same answer from the same data in
the same run. This benchmark:
1. loads N synthetic export rows (bench/batch.py's cached generator, the city's rate of ~3.2 M a
   year) into a fresh lake and store with the batch job (kept for the next run: meta
   bench_read_lake names the load, and the lake beside it is reused);
2. for each query class the dashboard asks, calls the read API cold (ReadAPI(cache=False): every
   call reaches the store) and DuckDB over the lake's current Parquet files (the Delta table's
   files as Spark lists them), in turns, `--repeat` times, and checks the two answers are equal, so
   no ratio is ever bought with a wrong number (it is a recount of the raw rows too);
3. prints p50 / p95 per class and read API / DuckDB.

DuckDB reads every row of the range for each answer (two threads, like our two cores); the read API
reads rollup rows. Both times are wall time in this process, the store's and DuckDB's I/O included.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

from bench.batch import BENCH, END, ROWS_PER_YEAR, synthetic
from bench.read import pct
from bench.results import record
from pipeline.read.api import Filters, ReadAPI
from pipeline.schema import UNSPECIFIED
from pipeline.settings import ROOT, load
from pipeline.stores import open_store

TOP_TYPE = "Noise - Residential"


def ensure_load(rows: int, store_url: str) -> Path:
    """The lake of the N-row load (loading it into a fresh lake and the store unless already there)."""
    lake = BENCH / f"read_lake_{rows}"
    days = max(1, round(rows / ROWS_PER_YEAR * 365))
    with open_store(store_url, load()) as store:
        store.ensure_schema()
        if store.get_meta("bench_read_lake") == str(rows) and (lake / "_delta_log").exists():
            return lake
    csv = synthetic(rows, END, days, 311, f"history_{rows}_{END}.csv")
    from pipeline.rollups import batch
    from pipeline.spark import build_session
    shutil.rmtree(lake, ignore_errors=True)
    spark = build_session("nyc311-bench-read-lake", load())
    try:
        with open_store(store_url, load()) as store:
            t0 = time.perf_counter()
            report = batch.load_input(spark, store, str(csv), str(lake), str(BENCH / f"read_lake_q_{rows}"))
            store.set_meta("bench_read_lake", str(rows))
        print(f"loaded {report.rows_loaded:,} rows in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    finally:
        spark.stop()
    return lake


def lake_files(lake: Path) -> list[str]:
    """The Delta table's current Parquet files (not the ones a later version replaced)."""
    from pipeline.spark import build_session
    spark = build_session("nyc311-bench-read-lake-files", load())
    try:
        return [f.removeprefix("file://").removeprefix("file:") for f in
                spark.read.format("delta").load(str(lake)).inputFiles()]
    finally:
        spark.stop()


def duck(files: list[str]):
    import duckdb
    con = duckdb.connect()
    con.execute("SET threads = 2")
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    # created_at is an instant; the dashboard's days are New York days
    con.execute(f"""CREATE VIEW lake AS SELECT *,
        CAST(timezone('America/New_York', CAST(created_at AS TIMESTAMPTZ)) AS DATE) AS day
        FROM read_parquet([{listed}])""")
    return con


def classes(first: date, last: date) -> list[tuple[str, object, str, list]]:
    """(label, read API call, DuckDB SQL, SQL parameters): answers as {key tuple: count}."""
    ranges = {"all": (first, last), "last 30 d": (last - timedelta(days=29), last)}
    out = []
    for name, (a, b) in ranges.items():
        f = Filters(start=a, end=b)
        ft = f.but(complaint_type=TOP_TYPE)
        fb = f.but(borough="Brooklyn")
        span = "day BETWEEN ? AND ?"
        u = f"coalesce({{}}, '{UNSPECIFIED}')"
        out += [
            (f"{name}: counts by borough", lambda api, f=f: api.counts("borough", f),
             f"SELECT {u.format('borough')}, count(*) FROM lake WHERE {span} GROUP BY 1", [a, b]),
            (f"{name}: counts by complaint type", lambda api, f=f: api.counts("complaint_type", f),
             f"SELECT {u.format('complaint_type')}, count(*) FROM lake WHERE {span} GROUP BY 1", [a, b]),
            (f"{name}: day series", lambda api, f=f: api.timeseries(f, "day"),
             f"SELECT strftime(day, '%Y-%m-%d'), count(*) FROM lake WHERE {span} GROUP BY 1", [a, b]),
            (f"{name}: month series by borough [Brooklyn]", lambda api, f=fb: api.timeseries(f, "month", "borough", 5),
             f"SELECT strftime(date_trunc('month', day), '%Y-%m-%d'), borough, count(*) FROM lake "
             f"WHERE {span} AND borough = 'Brooklyn' GROUP BY 1, 2", [a, b]),
            (f"{name}: top ZIPs for a type", lambda api, f=ft: api.top_areas("zip", f, 1000),
             f"SELECT zip, count(*) FROM lake WHERE {span} AND complaint_type = ? AND zip <> '{UNSPECIFIED}' "
             "GROUP BY 1", [a, b, TOP_TYPE]),
            (f"{name}: community districts", lambda api, f=f: api.top_areas("community_district", f, 1000),
             f"SELECT community_district, count(*) FROM lake WHERE {span} AND community_district <> '{UNSPECIFIED}' "
             "GROUP BY 1", [a, b]),
            (f"{name}: status mix", lambda api, f=f: api.status_mix(f),
             f"SELECT {u.format('status')}, count(*) FROM lake WHERE {span} GROUP BY 1", [a, b]),
        ]
    return out


def as_counts(frame: pd.DataFrame) -> dict[tuple, int]:
    """An API answer as {keys: count}, zero rows (filled periods) left out."""
    keys = [c for c in frame.columns if c not in ("count", "population", "per_10k")]
    if "borough" in keys and len(keys) > 1 and keys[0] in ("zip", "community_district"):
        keys = [keys[0]]  # an area's home borough is a label, not part of the count
    return {tuple(str(v) for v in row[:-1]): int(row[-1]) for row in frame[[*keys, "count"]].itertuples(index=False)
            if row[-1]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.read_lake", description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--store", help="an empty store, or one holding this load (default: a SQLite file per --rows)")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    os.environ.setdefault("NYC311_SPARK_MASTER", "local[2]")
    args.store = args.store or f"sqlite:///{BENCH}/read_lake_{args.rows}.db"  # another load's rows would count too
    lake = ensure_load(args.rows, args.store)
    files = lake_files(lake)
    con = duck(files)
    with open_store(args.store, load()) as store:
        api = ReadAPI(store, cache=False)
        first, last = api.date_bounds()
        print(f"\n== read API ({args.store}) against DuckDB over the lake ({args.rows:,} rows, {first} to {last}), "
              f"cold, {args.repeat} runs each, in turns")
        print(f"{'query':<48}{'api p50':>9}{'api p95':>9}{'duckdb p50':>12}{'ratio':>8}  answers")
        all_api, all_duck, wrong = [], [], 0
        for label, call, sql, params in classes(first, last):
            api_ms, duck_ms = [], []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                ours = call(api)
                api_ms.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                theirs = con.execute(sql, params).fetchall()
                duck_ms.append((time.perf_counter() - t0) * 1000)
            same = as_counts(ours) == {tuple(str(v) for v in r[:-1]): int(r[-1]) for r in theirs}
            wrong += not same
            all_api += api_ms
            all_duck += duck_ms
            print(f"{label:<48}{statistics.median(api_ms):8.1f} {pct(api_ms, 95):8.1f} {statistics.median(duck_ms):11.1f} "
                  f"{statistics.median(api_ms) / statistics.median(duck_ms):7.2f}x  {'equal' if same else 'DIFFER'}")
        print(f"{'every query':<48}{statistics.median(all_api):8.1f} {pct(all_api, 95):8.1f} "
              f"{statistics.median(all_duck):11.1f} {statistics.median(all_api) / statistics.median(all_duck):7.2f}x  "
              f"{'all equal' if not wrong else f'{wrong} differ'}   (target: read API p95 <= 50 ms)")
    figures = {"rows": args.rows, "api_p50_ms": statistics.median(all_api), "api_p95_ms": pct(all_api, 95),
               "duckdb_p50_ms": statistics.median(all_duck),
               "api_over_duckdb": statistics.median(all_api) / statistics.median(all_duck), "answers_equal": not wrong,
               "lake_mb": sum(os.path.getsize(f) for f in files) / 1e6}
    if args.store.startswith("sqlite:///"):  # the embedded store's size against the lake's (issue 12)
        db = ROOT / args.store.removeprefix("sqlite:///")  # sqlite:///rel is relative to the root
        figures["store_mb"] = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 1e6  # with -wal
        print(f"store {figures['store_mb']:,.0f} MB against the lake's Parquet {figures['lake_mb']:,.0f} MB: "
              f"{figures['store_mb'] / figures['lake_mb']:.1f}x (target <= 1x)")
    record(f"read_lake_{args.store.split(':', 1)[0]}", figures)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
