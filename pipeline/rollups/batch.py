"""`python -m pipeline batch`: load 311 export CSVs into the lake and recompute the rollups they touch.

    python -m pipeline batch --input PATH [--store URL] [--lake PATH] [--quarantine PATH]
    python -m pipeline batch --recompute --since YYYY-MM-DD [--store URL] [--lake PATH]

Extract (pipeline/ingest/exports.py) -> normalise and tag unusable rows (pipeline/ingest/normalize.py) ->
quarantine them with their reason, file and line -> merge the rest into the lake
(pipeline/lake/table.py) -> recompute every rollup (pipeline/rollups/compute.py) for exactly the months the load
touched, day, week-piece and month grain, from the lake as of one version -> write the recounted rows whose
keys the requests changed since the store's last count name (pipeline/rollups/changed.py), or else whole
periods (day rows only for the days the load touched, see write_rollups) -> the year rows of a closed year it touched
(pipeline/rollups/year_counts.py, year_rows.py) and the running totals of the years it touched
(pipeline/rollups/running_counts.py) -> the lake version the months now count (meta `lake_marks`) -> meta
`freshness` (latest created time loaded, New York local ISO), `date_bounds` (the first and last day, for the
read API) and `data_version` (+1) -> one
provenance record per input file (pipeline/provenance.py: synthetic, API or export, with its days).

Why recompute from the lake rather than add the new rows' counts: a new version of a request
moves it between statuses or resolution bins, so only a recount of its whole month is right, and
writing recounted rows (never adding to stored ones) makes a re-run idempotent. `--recompute
--since` refolds months without new input, in whole periods (the repair).
Only `run` touches the session, paths and the store; `load_input`/`recompute` receive them.
"""
from __future__ import annotations

import calendar
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipeline import provenance
from pipeline.ingest import exports as ingest
from pipeline.ingest.normalize import tag_unusable
from pipeline.lake import inbox
from pipeline.lake import table as lake
from pipeline.loader.request import LoadRequest, from_args
from pipeline.rollups import backfill, changed, date_bounds, families, frames, running_counts, year_counts
from pipeline.rollups import hexes as hex_rollups
from pipeline.rollups.tables import ROLLUPS, Rollup, week_piece
from pipeline.schema import REQUEST_COLUMN_NAMES
from pipeline.spark import BULK_CONF, session_conf
from pipeline.stores.base import Store

BATCH_GRAINS = ("day", "week", "month")  # week: only the rollups that keep it (tables.WEEK_GRAINS)
# A load of this many rows counts its rollups under BULK_CONF too (pipeline/spark.py): the first
# start's counts took 45.3 and 45.7 s with it against 48.8 s without, a day's load ~1 s more per stage.
BULK_ROWS = 500_000


@dataclass
class Report:
    rows_read: int = 0
    rows_loaded: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    months: list[str] = field(default_factory=list)
    days: list[str] | None = None  # days with loaded rows; None = every day of `months`
    rollup_rows: dict[str, int] = field(default_factory=dict)
    stages: dict[str, float] = field(default_factory=dict)
    detail: dict[str, float] = field(default_factory=dict)  # overlapping parts of stages
    writes: str = ""  # which rows it wrote: whole periods, or changed keys (pipeline/rollups/changed.py)

    @property
    def total_s(self) -> float:
        return sum(self.stages.values())

    def summary(self) -> str:
        lines = [f"rows read        {self.rows_read:,}", f"rows loaded      {self.rows_loaded:,}",
                 f"rows quarantined {sum(self.quarantined.values()):,}"]
        lines += [f"  {why:<26}{n:>10,}" for why, n in sorted(self.quarantined.items())]
        lines.append(f"months           {len(self.months)} ({', '.join(self.months[:3])}{' ...' if len(self.months) > 3 else ''})")
        lines.append(f"rollup rows      {sum(self.rollup_rows.values()):,}" + (f" ({self.writes})" if self.writes else ""))
        lines += [f"{stage:<17}{secs:8.1f} s" for stage, secs in self.stages.items()]
        lines += [f"  ({part}: {secs:.1f} s, overlapping)" for part, secs in self.detail.items()]
        lines.append(f"{'total':<17}{self.total_s:8.1f} s"
                     + (f"  ({self.rows_read / self.total_s:,.0f} rows/s)" if self.rows_read and self.total_s else ""))
        return "\n".join(lines)


class _Stage:
    """Times a stage into the report and prints a progress line to stderr."""

    def __init__(self, report: Report, name: str):
        self.report, self.name = report, name

    def __enter__(self):
        self.t0 = time.perf_counter()
        print(f"[batch] {self.name} ...", file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        secs = time.perf_counter() - self.t0
        self.report.stages[self.name] = self.report.stages.get(self.name, 0.0) + secs
        print(f"[batch] {self.name} done in {secs:.1f} s", file=sys.stderr, flush=True)


def month_days(month: str) -> list[str]:
    """Every calendar day of a 'YYYY-MM' month (day periods to replace, even those now empty)."""
    y, m = int(month[:4]), int(month[5:7])
    return [date(y, m, d).isoformat() for d in range(1, calendar.monthrange(y, m)[1] + 1)]


def periods_of(grain: str, months: list[str]) -> list[str]:
    """Every period of `grain` in the months ('YYYY-MM'): days, week pieces or the months."""
    if grain == "month":
        return list(months)
    days = [d for m in months for d in month_days(m)]
    return days if grain == "day" else sorted({week_piece(date.fromisoformat(d)).isoformat() for d in days})


def quarantine_rows(tagged: DataFrame) -> DataFrame:
    """Quarantine records: reason, where the row came from, and what was read."""
    bad = tagged.where(F.col("_reason").isNotNull())
    return ingest.locate_rows(bad, tagged).select(
        F.col("_reason").alias("reason"), F.col("_source_file").alias("source_file"), F.col("_line").alias("line"),
        "unique_key", F.col("_created_raw").alias("created_date"), F.col(ingest.CORRUPT).alias("raw_record"))


def write_rollups(store: Store, requests: DataFrame, months: list[str], now: datetime, report: Report,
                  days: list[str] | None = None, keys: Future[changed.Keys] | None = None,
                  together: bool = False) -> pd.DataFrame:
    """Write the recount of `months` (their day, week-piece and month rows) into every rollup table.

    With `keys` (pipeline/rollups/changed.py; a future, as Spark counts them beside the recount),
    only the recounted rows whose keys a changed request counts in, deleting those keys the recount
    lacks. Without, whole periods: the month periods and week pieces of `months`, and their day
    periods in `days` (the days a load touched: a request counts on its created day, so no other
    day's counts can change) or all of them. Rollups counting open-past-due requests always get
    whole periods, every day (they change with the load time).

    Spark counts each family's widest rollup (pipeline/rollups/families.py) and hands it to the
    driver, which sums the rest of the family and the coarser grains in pandas; a family's frames are
    dropped once written. Why a writer thread: Spark counts the next family while the store takes
    the previous one (the store writes concurrently itself); with `together`, one Spark job counts
    every family (a recount of at most families.TOGETHER_ROWS requests). Returns the finest hotspot rows
    (pipeline/rollups/hexes.py), from which the year rows of a touched closed year are summed."""
    timed = families.timer(report.detail)

    def write(name: str, grain: str, rows, periods: list[str] | None, finest=None) -> int:
        known = keys.result() if periods is None else None  # the first split waits for the keys
        t0 = time.perf_counter()
        if periods is None:
            n = store.replace_keys(name, grain, *(changed.split_heads(rows, finest, known) if ROLLUPS[name].heads_of
                                                  else changed.split(rows, known.get((name, grain)), ROLLUPS[name], grain)))
        else:
            n = store.replace_periods(name, grain, periods, rows)
        report.detail["store writes"] = report.detail.get("store writes", 0.0) + time.perf_counter() - t0
        return n

    with ThreadPoolExecutor(max_workers=1) as writer:
        pending = []

        def submit(name: str, rollup: Rollup, grain: str, rows, finest=None) -> None:
            periods = None if keys is not None and not families.time_dependent(rollup) else periods_of(grain, months)
            if grain == "day" and periods is not None and days is not None and not families.time_dependent(rollup):
                periods = sorted(set(days) & set(periods))
                rows = rows[rows["period"].isin(periods)]
            pending.append((f"{name}/{grain}", writer.submit(write, name, grain, rows, periods, finest)))

        for name, rollup, day in families.day_rows(requests, now, timed, together=together):
            for grain in (g for g in BATCH_GRAINS if g in rollup.grains):
                submit(name, rollup, grain, day if grain == "day" else timed("driver sums", frames.coarsen, day, rollup, grain))
            del day
        finest = timed("spark counts", hex_rollups.finest, requests, now)
        for name, pdf in hex_rollups.month_rows(finest):
            submit(name, ROLLUPS[name], "month", pdf, finest)
        for key, done in pending:
            report.rollup_rows[key] = done.result()
    return finest


def _finish(store: Store, latest: str | None) -> None:
    if latest:
        previous = store.get_meta("freshness")
        store.set_meta("freshness", max(latest, previous or latest))
    version = str(int(store.get_meta(date_bounds.VERSION) or 0) + 1)
    date_bounds.record(store, version)  # the read API's range bounds, trusted beside this version alone
    store.set_meta(date_bounds.VERSION, version)


def _latest_created(df: DataFrame) -> str | None:
    return df.agg(F.date_format(F.max("created_at"), "yyyy-MM-dd'T'HH:mm:ss")).first()[0]


def load_input(spark: SparkSession, store: Store, input_path: str, lake_path: str, quarantine_path: str,
               now: datetime | None = None) -> Report:
    """Load export CSV(s): the whole batch job for one input."""
    report, now = Report(), now or datetime.now(UTC)
    load_id = int(time.time() * 1000)
    store.ensure_schema()
    with _Stage(report, "extract+normalise"), session_conf(spark, BULK_CONF):  # cached here, once
        tagged = tag_unusable(ingest.read_exports(spark, input_path)).cache()
        counts = {r[0]: r[1] for r in tagged.groupBy("_reason").count().collect()}
        report.rows_read = sum(counts.values())
        report.rows_loaded = counts.pop(None, 0)
        report.quarantined = counts
    with _Stage(report, "quarantine"):
        if report.quarantined:
            quarantine_rows(tagged).write.mode("append").json(f"{quarantine_path.rstrip('/')}/load={load_id}")
    with _Stage(report, "lake merge"):
        good = lake.with_load_id(tagged.where(F.col("_reason").isNull()), load_id)
        summary = load_summary(good)
        latest, report.days, per_file = summary.latest, summary.days, summary.per_file
        # with what the streaming job left in the lake's inbox since the last load (pipeline/lake/inbox.py)
        report.months = inbox.fold(spark, lake_path, good.select(*REQUEST_COLUMN_NAMES, *lake.LOAD_SEQ),
                                   months=summary.months)
        tagged.unpersist()
    with session_conf(spark, BULK_CONF) if report.rows_read >= BULK_ROWS else nullcontext():
        _rollups(spark, store, lake_path, report, now, keyed=True)
    _finish(store, latest)
    record_files(store, ingest.export_files(input_path), per_file, load_id)
    return report


@dataclass
class LoadSummary:
    """What a load's good rows span: the latest created time (New York ISO), the days and months
    they touch, and per input file its rows and first and last day (for provenance)."""
    latest: str | None
    days: list[str]
    months: list[str]
    per_file: dict[str, tuple[int, str, str]]


def load_summary(good: DataFrame) -> LoadSummary:
    """One Spark job (rows per file and New York day) instead of four: each cost ~0.5-0.8 s of a
    small load."""
    rows = good.groupBy(F.col("_source_file").alias("file"), F.date_format("created_at", "yyyy-MM-dd").alias("day"),
                        F.col(lake.PARTITION).alias("month")).agg(
        F.count(F.lit(1)).alias("n"), F.max("created_at").cast("long").alias("epoch"),
        F.date_format(F.max("created_at"), "yyyy-MM-dd'T'HH:mm:ss").alias("latest")
    ).collect()
    per_file: dict[str, tuple[int, str, str]] = {}
    for r in rows:
        name = ingest._local(r["file"])
        n, first, last = per_file.get(name, (0, r["day"], r["day"]))
        per_file[name] = (n + r["n"], min(first, r["day"]), max(last, r["day"]))
    latest = max(rows, key=lambda r: r["epoch"], default=None)  # the latest instant (local times repeat in November)
    return LoadSummary(latest=latest["latest"] if latest else None,
                       days=sorted({r["day"] for r in rows}), months=sorted({r["month"] for r in rows}),
                       per_file=per_file)


def record_files(store: Store, files: list[str], per_file: dict[str, tuple[int, str, str]], load_id: int) -> None:
    """One provenance record per input file (pipeline/provenance.py), after its rows are in the store."""
    for i, f in enumerate(files):
        n, first, last = per_file.get(ingest._local(f), (0, None, None))
        provenance.record(store, provenance.file_load(f, n, first, last, f"batch-{load_id}-{i}"))


def recompute(spark: SparkSession, store: Store, lake_path: str, since: date, now: datetime | None = None) -> Report:
    """Recount every rollup for the lake months from `since` on, without new input."""
    report, now = Report(), now or datetime.now(UTC)
    store.ensure_schema()
    with _Stage(report, "lake merge"):  # the live changes the streaming job left in the lake's inbox
        inbox.fold(spark, lake_path)
    report.months = lake.months(spark, lake_path, since.isoformat()[:7])
    _rollups(spark, store, lake_path, report, now)
    _finish(store, _latest_created(lake.read(spark, lake_path, report.months)) if report.months else None)
    return report


def _rollups(spark: SparkSession, store: Store, lake_path: str, report: Report, now: datetime,
             keyed: bool = False) -> None:
    """Recount report.months from the lake as of one version and write them (`keyed`: only the rows
    the changes since the store's marks touch, when it can, pipeline/rollups/changed.py), then the
    year rows and running totals, then the marks."""
    with _Stage(report, "backfill"):  # rollups added since the store was loaded: summed once from their parents
        report.rollup_rows.update({f"backfill {k}": v for k, v in backfill.fill(store, {**families.summed_parents(), **backfill.ADDED_LATER}).items()})
        report.rollup_rows.update({f"backfill {k}": v for k, v in backfill.fill_weeks(store).items()})
    if not report.months:
        return
    with _Stage(report, "rollups"):
        year_counts.forget(store, report.months)  # a touched closed year: read from its months until rewritten
        running_counts.forget(store, report.months)  # and its running totals, as of that year
        snapshot = lake.snapshot(spark, lake_path) if lake.exists(spark, lake_path) else None
        requests = lake.read(spark, lake_path, report.months, snapshot[1] if snapshot else None).cache()
        keys, report.writes = None, "whole periods"
        try:
            total = requests.count()  # fills the cache; sizes the keyed share and the recount's jobs
            with ThreadPoolExecutor(max_workers=1) as helper:  # the changed keys' small jobs beside the recount's
                if keyed and snapshot:
                    keys, report.writes = changed.keys_since(spark, store, lake_path, snapshot, report.months, total,
                                                             now, helper.submit, families.timer(report.detail))
                finest = write_rollups(store, requests, report.months, now, report, report.days, keys,
                                       together=total <= families.TOGETHER_ROWS)
        finally:
            requests.unpersist()
    with _Stage(report, "year rows"):  # closed years only (pipeline/rollups/year_rows.py): most loads write none
        report.rollup_rows.update(hex_rollups.write_year_rows(spark, store, lake_path, report.months, finest, now))
        report.rollup_rows.update(year_counts.write(store, report.months))  # from the month rows just written
        report.rollup_rows.update(running_counts.write(store, report.months))  # likewise
    if snapshot:
        changed.write_marks(store, snapshot[0], report.months, snapshot[1])


def add_arguments(parser) -> None:
    parser.add_argument("--input", metavar="PATH", help="export CSV file or folder of .csv/.csv.gz files")
    parser.add_argument("--store", metavar="URL", help="rollup store (default: setting store_url)")
    parser.add_argument("--lake", metavar="PATH", help="cleaned-request lake (default: setting lake_path)")
    parser.add_argument("--quarantine", metavar="PATH", help="where bad rows go (default: setting quarantine_path)")
    parser.add_argument("--recompute", action="store_true", help="recount rollups from the lake, no new input")
    from pipeline.cli import day
    parser.add_argument("--since", metavar="YYYY-MM-DD", type=day,
                        help="with --recompute: first day whose month is recounted")
    parser.add_argument("--in-process", action="store_true",
                        help="start Spark here even when a warm loader listens (setting loader_socket)")


def execute(spark: SparkSession, req: LoadRequest, settings=None) -> Report:
    """Run one load request (pipeline/loader/request.py) on a session: `batch`'s own, or the warm
    loader's (pipeline/loader/server.py), so both are the same load."""
    from pipeline.stores import open_store

    with open_store(req.store, settings) as store:
        if req.input is None:
            return recompute(spark, store, req.lake, req.since_day, req.now_at)
        print(f"[batch] {len(ingest.export_files(req.input))} file(s) from {req.input}", file=sys.stderr)
        return load_input(spark, store, req.input, req.lake, req.quarantine, req.now_at)


def run(args, settings=None) -> int:
    """`settings`: the CLI's (pipeline/cli.py); read here only when called on its own. The load goes
    to the warm loader when one listens (unless --in-process), else runs on a session started here."""
    from pipeline.loader import client
    from pipeline.settings import load
    from pipeline.spark import build_session

    if args.recompute == bool(args.input):
        print("batch: give either --input PATH or --recompute --since YYYY-MM-DD", file=sys.stderr)
        return 2
    if args.recompute and not args.since:
        print("batch: --recompute needs --since YYYY-MM-DD", file=sys.stderr)
        return 2
    s = settings or load()
    try:
        req = from_args(args, s)
    except ingest.InputError as exc:
        print(f"batch: {exc}", file=sys.stderr)
        return 2
    if not args.in_process:
        rc = client.send(req, s)
        if rc is not None:
            return rc
    t0 = time.perf_counter()
    spark = build_session("nyc311-batch", s)
    startup = time.perf_counter() - t0
    try:
        report = execute(spark, req, s)
    except ingest.InputError as exc:
        print(f"batch: {exc}", file=sys.stderr)
        return 2
    finally:
        spark.stop()
    report.stages = {"spark start": startup, **report.stages}
    print(report.summary())
    return 0
