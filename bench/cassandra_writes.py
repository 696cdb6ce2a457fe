"""Cassandra write ceiling: `python -m bench.cassandra_writes [--rows 200000] [--rounds 2]`.

Why: issue 12's batch into Cassandra spends nearly all its rollups stage writing rows (1,404 s of
1,449 s for 5 M requests), at ~25,700 rows/s on one node. This says what bounds that rate on this
machine: real rollup rows (bench.read_lake's store, run that first) are written with the store's own
`upsert` into a fresh keyspace, and the CPU seconds of the writing processes (the client: binding and
sending the statements) and of the Cassandra server are counted per row. Two cores at those costs
give the machine's ceiling in rows/s, and the rows a request counts in give it in requests/s.

Two variants, in turns (each with one writing process and with two, so one Python process's GIL is
not the limit):
- `stored`: the rows as the product partitions them (day rows by month, month rows by year);
- `narrow`: one partition per period (the bucket set to the period): what a narrower partition key
  would cost the server. Only the write is measured; the reads of such a layout are not.
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
import uuid
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "var" / "bench" / "read_lake_1000000.db"  # bench.read_lake's default store
TABLES = {"zips": "day", "places_by_cell": "month"}  # a wide day-grain table and the widest month-grain one
STORE = "cassandra://127.0.0.1:9042/nyc311_writes"
CORES = os.cpu_count() or 2
# rollup rows per request of `python -m bench.batch` into Cassandra, 2026-12-06 (36.1 M rows for 5 M
# requests, from its log: bench.batch does not record the count)
ROWS_PER_REQUEST = 7.2


def rows_file(source: Path, rows: int, work: Path) -> int:
    """Up to `rows` rows of each table in TABLES (shuffled, as a load's frames come) into one Parquet
    file each under `work`; returns the rows written in all."""
    import pandas as pd
    total = 0
    with sqlite3.connect(source) as src:
        for table, grain in TABLES.items():
            df = pd.read_sql(f"SELECT * FROM {table} WHERE grain = ? LIMIT ?", src, params=(grain, rows))
            df.drop(columns=["expires_at"]).sample(frac=1, random_state=1).to_parquet(work / f"{table}.parquet")
            total += len(df)
    return total


def write_share(store_url: str, work: Path, variant: str, share: int, shares: int) -> None:
    """One writing process: its share of every table's rows, through the store's upsert. It reads its
    rows and connects first, says `ready`, writes on `go` (stdin), then prints the CPU seconds the
    writes took, so the figures hold neither its start nor its reading."""
    import resource

    import pandas as pd

    from pipeline.settings import load
    from pipeline.stores import open_store
    store = open_store(store_url, load())
    store.ping()
    frames = {t: pd.read_parquet(work / f"{t}.parquet").iloc[share::shares] for t in TABLES}
    if variant == "narrow":
        frames = {t: df.assign(bucket=df["period"]) for t, df in frames.items()}
    print("ready", flush=True)
    sys.stdin.readline()
    before = resource.getrusage(resource.RUSAGE_SELF)
    for table, df in frames.items():
        store.upsert(table, df)
    after = resource.getrusage(resource.RUSAGE_SELF)
    print(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, flush=True)
    store.close()


def server_pid(port: int) -> int:
    """The process listening on 127.0.0.1:`port`, whichever checkout started it."""
    import psutil
    for c in psutil.net_connections(kind="tcp"):
        if c.status == psutil.CONN_LISTEN and c.laddr.port == port and c.pid:
            return c.pid
    raise SystemExit(f"nothing listens on port {port}: `bash scripts/services.sh up`")


def one_run(work: Path, variant: str, writers: int, rows: int) -> dict[str, float]:
    """A fresh keyspace, `writers` processes writing every row at once: wall seconds and CPU per row."""
    import psutil

    from pipeline.settings import load
    from pipeline.stores import open_store
    url = f"{STORE}_{uuid.uuid4().hex[:6]}"
    store = open_store(url, load())
    store.ensure_schema()
    server = psutil.Process(server_pid(urlparse(url).port or 9042))
    procs = [subprocess.Popen([sys.executable, "-m", "bench.cassandra_writes", "--writer", url, str(work), variant,
                               str(i), str(writers)], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for i in range(writers)]
    try:
        if any(p.stdout.readline().strip() != "ready" for p in procs):
            raise SystemExit("a writer failed before writing")
        s0, t0 = sum(server.cpu_times()[:2]), time.perf_counter()
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        reports = [p.stdout.readline().strip() for p in procs]  # each writer's CPU seconds, '' if it died
        wall, server_cpu = time.perf_counter() - t0, sum(server.cpu_times()[:2]) - s0
        if any(p.wait(timeout=60) for p in procs) or not all(reports):
            raise SystemExit("a writer failed")
        client = sum(map(float, reports))
    finally:  # a failed run leaves no keyspace behind
        for p in procs:
            if p.poll() is None:
                p.kill()
        store._sess(keyspace=False).execute(f"DROP KEYSPACE IF EXISTS {store.keyspace}", timeout=120)
        store.close()
    return {"rows_per_s": rows / wall, "client_us_per_row": client / rows * 1e6,
            "server_us_per_row": server_cpu / rows * 1e6, "busy_cores": (client + server_cpu) / wall}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.cassandra_writes", description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=200_000, help="rows of each table written per run")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--source", type=Path, default=SOURCE, help="a SQLite store to take the rows from")
    ap.add_argument("--rows-per-request", type=float, default=ROWS_PER_REQUEST,
                    help="rollup rows a request counts in, for the ceiling in requests/s")
    ap.add_argument("--writer", nargs=5, help=argparse.SUPPRESS)  # one_run's child: URL WORK VARIANT SHARE SHARES
    args = ap.parse_args(argv)
    if args.writer:
        url, work, variant, share, shares = args.writer
        write_share(url, Path(work), variant, int(share), int(shares))
        return 0
    if not args.source.exists():
        raise SystemExit(f"{args.source} is missing: run `python -m bench.read_lake --store sqlite:///{args.source}`")
    from bench.results import record
    runs: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-writes-") as tmp:
        work = Path(tmp)
        total = rows_file(args.source, args.rows, work)
        for i in range(args.rounds):  # in turns: every variant once per round, the order reversed each round
            order = [(v, w) for v in ("stored", "narrow") for w in (1, 2)]
            for variant, writers in order if i % 2 == 0 else order[::-1]:
                got = one_run(work, variant, writers, total)
                runs.setdefault(f"{variant}, {writers} writer{'s' * (writers > 1)}", []).append(got)
                print(f"round {i + 1} {variant:<6} {writers} writer(s): {got['rows_per_s']:8,.0f} rows/s  client "
                      f"{got['client_us_per_row']:5.1f} us/row  server {got['server_us_per_row']:5.1f} us/row  "
                      f"{got['busy_cores']:.2f} cores busy", file=sys.stderr)
    per_request = args.rows_per_request
    out = {"rows_written": total, "cores": CORES, "rows_per_request": per_request, "variants": {}}
    print(f"\n== {total:,} rollup rows ({', '.join(TABLES)}) into one Cassandra node, median of {args.rounds}")
    for name, got in runs.items():
        med = {k: statistics.median(g[k] for g in got) for k in got[0]}
        ceiling = CORES * 1e6 / (med["client_us_per_row"] + med["server_us_per_row"])
        med["ceiling_rows_per_s"] = ceiling
        med["ceiling_requests_per_s"] = ceiling / per_request
        out["variants"][name] = {k: round(v, 2) for k, v in med.items()}
        print(f"{name:<20} {med['rows_per_s']:8,.0f} rows/s; CPU per row client {med['client_us_per_row']:.1f} us, "
              f"server {med['server_us_per_row']:.1f} us: at most {ceiling:,.0f} rows/s on {CORES} cores"
              f" = {ceiling / per_request:,.0f} requests/s at {per_request:.1f} rows each")
    record("cassandra_writes", out)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
