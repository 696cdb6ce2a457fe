"""`python -m pipeline stream`: Structured Streaming from Kafka (or the spool) into the live tables.

    python -m pipeline stream [--trigger-seconds 1] [--once] [--job live]

Extract: the Kafka topic of stream_url (or the spool folder) as text messages.
Transform: parse with the event schema (pipeline/events.py), tag malformed messages with a reason,
normalise with the batch normaliser (pipeline/normalize.py), bucket by one-minute event-time
windows of created_at; a request is live while it is at most 48 h (the watermark) behind the newest
one, older events still reach the lake but no longer the live tables.
Load (`write_batch`, one micro-batch at a time, via foreachBatch): dead letters; the request state
(pipeline/live_state.py); the minute rows of live_requests / live_districts / live_zips for the
minutes the batch touched, recounted from the state over the same rollup dimensions
(pipeline/tables.py; a test checks the rows equal the batch job's `compute_rollup` at minute grain), as
absolute counts upserted with a 48 h TTL (so a replayed batch rewrites the same values: exactly-once
effect after a crash); the newest requests into recent_events; the cleaned-request lake (merged
every --lake-every seconds, so `batch --recompute` folds live data into history); and the
pipeline_status row.
"""
from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from pipeline import events as ev
from pipeline import lake, spool
from pipeline.live_state import DIMS, LIVE_WINDOW_US, STATE_COLUMNS, RequestState
from pipeline.normalize import normalize
from pipeline.rollups import PERIOD_FORMATS
from pipeline.schema import REQUEST_COLUMNS
from pipeline.settings import Settings, get
from pipeline.spark import build_session
from pipeline.stores import open_store
from pipeline.tables import EXTRA_TABLES, LIVE_TTL_SECONDS, RECENT_TTL_SECONDS, ROLLUPS

log = logging.getLogger("pipeline.stream")

LIVE_ROLLUPS = tuple(r for r in ROLLUPS.values() if r.live_table)
RECENT_PER_BATCH = 50
# Every field as text: numbers and times are cast after parsing, so one bad field makes a reason,
# not a silently null record.
EVENT_SCHEMA = StructType([StructField(f, StringType()) for f in ev.FIELDS])
TYPE_RANK = {t: i for i, t in enumerate(ev.EVENT_TYPES)}


# -- transform (pure DataFrame functions) -----------------------------------------------------------

def _text(c):
    t = F.trim(c)
    return F.when(t != "", t)


def parse_events(raw: DataFrame) -> DataFrame:
    """Messages (column `value`, plus Kafka's partition/offset) -> normalised events with `_reason`
    (null for a usable event) and the state columns of pipeline/live_state.py."""
    e = F.from_json(F.col("value"), EVENT_SCHEMA)
    df = raw.withColumn("_e", F.when(F.trim(F.col("value")).startswith("{"), e))
    fields = {f: F.col("_e").getField(f) for f in ev.FIELDS}
    ts = {f: _text(fields[f]).try_cast("timestamp") for f in ("event_time", "produced_at", *ev.TIME_FIELDS)}
    checks = [
        (F.col("_e").isNull(), F.lit("not a JSON object")),
        (_text(fields["unique_key"]).isNull(), F.lit("missing field unique_key")),
        (F.coalesce(fields["schema_version"], F.lit("")) != str(ev.SCHEMA_VERSION),
         F.concat(F.lit("schema_version "), F.coalesce(fields["schema_version"], F.lit("null")),
                  F.lit(f" is not {ev.SCHEMA_VERSION}"))),
        (~F.coalesce(fields["event_type"], F.lit("")).isin(*ev.EVENT_TYPES),
         F.concat(F.lit("event_type "), F.coalesce(fields["event_type"], F.lit("null")), F.lit(" is unknown"))),
        (_text(fields["created_at"]).isNull(), F.lit("missing field created_at")),
        (ts["created_at"].isNull(), F.concat(F.lit("created_at "), fields["created_at"], F.lit(" is not a timestamp"))),
        (ts["event_time"].isNull(), F.lit("event_time missing or not a timestamp")),
    ]
    reason = F.when(checks[0][0], checks[0][1])
    for cond, why in checks[1:]:
        reason = reason.when(cond, why)
    flat = df.select(
        "value", "partition", "offset", reason.alias("_reason"),
        *[(ts[c] if c in ts else fields[c]).alias(c) for c, _ in REQUEST_COLUMNS],
        fields["event_type"].alias("event_type"), ts["event_time"].alias("event_time"),
        ts["produced_at"].alias("produced_at"))
    norm = normalize(flat)
    micros = {c: F.unix_micros(F.col(c)) for c in ("created_at", "closed_at", "due_at", "updated_at",
                                                   "event_time", "produced_at")}
    rank = F.coalesce(*[F.when(F.col("event_type") == t, F.lit(i)) for t, i in TYPE_RANK.items()], F.lit(0))
    version = F.format_string("%020d|%020d|%020d|%d", *[F.coalesce(micros[c], F.lit(0))
                                                         for c in ("updated_at", "closed_at", "event_time")], rank)
    # The one-minute event-time bucket of created_at (New York time) is the live tables' period.
    # (Not F.window: it drops rows whose time is null, and those must reach the dead letters.)
    period = F.date_format("created_at", PERIOD_FORMATS["minute"])
    return norm.select(
        "value", "partition", "offset", "_reason",
        *[micros[c].alias(c) if c in micros else F.col(c) for c in STATE_COLUMNS if c not in ("period", "version",
                                                                                          "batch_id")],
        period.alias("period"), version.alias("version"))


def live_rows(state: RequestState, periods: set[str]) -> dict[str, pd.DataFrame]:
    """Minute rows of every live table for some periods, counted from the request state.

    The count is compute_rollup's for rollups measured by `n` (requests per period and dims); it is
    taken in the state's SQLite, next to the data, because a Spark job per micro-batch over a whole
    minute of requests would cost seconds of freshness (tests/integration/test_stream_rollups.py
    checks the two agree)."""
    out = {}
    for r in LIVE_ROLLUPS:
        if r.measures != ("n",):
            raise ValueError(f"live table {r.live_table}: only count rollups can be kept live")
        rows = state.counts(periods, r.dims)
        out[r.live_table] = rows.assign(grain="minute", bucket=rows["period"].str[:13])[list(r.columns)]
    return out


def vanished(before: pd.DataFrame, after: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Zero rows for (period, dims) combinations some request left (its borough or type changed)."""
    out = {}
    for r in LIVE_ROLLUPS:
        if before.empty:
            continue
        old = before[list(("period", *r.dims))].drop_duplicates()
        new = after[r.live_table][list(("period", *r.dims))]
        gone = old.merge(new, how="left", indicator=True).query("_merge == 'left_only'").drop(columns="_merge")
        if not gone.empty:
            out[r.live_table] = gone.assign(grain="minute", bucket=gone["period"].str[:13], n=0)[list(r.columns)]
    return out


def _plain(v):
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def _ts(micros) -> pd.Timestamp | None:
    return None if micros is None or pd.isna(micros) else pd.Timestamp(int(micros), unit="us", tz="UTC")


# -- load -------------------------------------------------------------------------------------------

class LiveSink:
    """The foreachBatch sink: everything one micro-batch writes (idempotent per batch id)."""

    def __init__(self, spark: SparkSession, settings: Settings, job: str, state: RequestState, state_path: Path,
                 lake_every: float, kafka: tuple[str, str] | None, dlq_folder: Path | None):
        self.spark, self.settings, self.job, self.state, self.state_path = spark, settings, job, state, state_path
        self.merging: threading.Thread | None = None
        self.lake_every, self.kafka, self.dlq_folder = lake_every, kafka, dlq_folder
        self.store = open_store(settings.store_url)
        self.store.ensure_schema()
        self.last_batch = time.time()
        self.last_lake = time.time()
        self._producer = self._consumer = None
        self.written: dict[str, dict[tuple, int]] = {}

    def write_batch(self, df: DataFrame, batch_id: int) -> None:
        started = time.time()
        batch = df.toPandas()
        phases = {"read": time.time() - started}
        bad = batch[batch["_reason"].notna()]
        good = batch[batch["_reason"].isna()].sort_values("version")
        self.dead_letters(bad, batch_id)
        before = self.state.by_keys(good["unique_key"].unique())
        self.state.apply(batch_id, good[[c for c in STATE_COLUMNS if c != "batch_id"]], len(bad))
        phases["state"] = time.time() - started - sum(phases.values())
        newest = self.state.max_created()
        cutoff = None if newest is None else pd.Timestamp(newest - LIVE_WINDOW_US, unit="us", tz="UTC")
        live_cut = "" if cutoff is None else cutoff.tz_convert("America/New_York").strftime("%Y-%m-%dT%H:%M")
        periods = {p for p in set(good["period"]) | set(before["period"]) if p and p >= live_cut}
        if periods:
            rows = live_rows(self.state, periods)
            moved = before.merge(good[["unique_key", *DIMS]], on="unique_key", suffixes=("", "_new"))
            moved = moved[np.logical_or.reduce([moved[d] != moved[f"{d}_new"] for d in DIMS])]
            for table, zeros in vanished(moved[moved["period"] >= live_cut], rows).items():
                rows[table] = pd.concat([rows[table], zeros], ignore_index=True)
            for table, frame in rows.items():
                self.upsert_changed(table, frame, live_cut)
        self.recent(good)
        phases["live"] = time.time() - started - sum(phases.values())
        self.merge_lake()
        phases["lake"] = time.time() - started - sum(phases.values())
        self.status(batch_id, batch, good, len(bad), started, phases)

    def upsert_changed(self, table: str, frame: pd.DataFrame, live_cut: str) -> None:
        """Upsert the rows whose count differs from what this process last wrote (after a restart
        the cache is empty and every touched row is rewritten: absolute values, so harmless)."""
        cache = self.written.setdefault(table, {})
        keys = list(frame.drop(columns="n").itertuples(index=False, name=None))
        fresh = [cache.get(k) != n for k, n in zip(keys, frame["n"], strict=True)]
        changed = frame[fresh]
        if not changed.empty:
            self.store.upsert(table, changed, ttl_seconds=LIVE_TTL_SECONDS)
            cache.update((k, n) for k, n, f in zip(keys, frame["n"], fresh, strict=True) if f)
        if len(cache) > 200_000:  # forget minutes that left the live window
            self.written[table] = {k: n for k, n in cache.items() if k[2] >= live_cut}

    def dead_letters(self, bad: pd.DataFrame, batch_id: int) -> None:
        if bad.empty:
            return
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        lines = [json.dumps({"reason": r, "message": v, "batch_id": batch_id, "partition": _plain(p),
                             "offset": _plain(o), "dead_at": now}).encode()
                 for r, v, p, o in zip(bad["_reason"], bad["value"], bad["partition"], bad["offset"], strict=True)]
        if self.kafka:
            from kafka import KafkaProducer
            if self._producer is None:
                self._producer = KafkaProducer(bootstrap_servers=self.kafka[0], acks="all")
            futures = [self._producer.send(self.kafka[1] + "-dlq", value=line) for line in lines]
            self._producer.flush()
            for f in futures:
                f.get(timeout=30)
        else:
            # One file per batch id: a replayed batch overwrites its own dead letters.
            spool.write_lines(self.dlq_folder, lines, name=f"batch-{batch_id:012d}.jsonl")
        log.warning("batch %s: %d malformed message(s) to the dead letters", batch_id, len(lines))

    def recent(self, good: pd.DataFrame) -> None:
        if good.empty:
            return
        top = good.sort_values(["created_at", "unique_key"]).drop_duplicates("unique_key", keep="last")
        top = top.nlargest(RECENT_PER_BATCH, "created_at")
        cols = EXTRA_TABLES["recent_events"].column_names
        frame = top.assign(created_at=[_ts(v) for v in top["created_at"]],
                           produced_at=[_ts(v) for v in top["produced_at"]])[list(cols)]
        self.store.upsert("recent_events", frame, ttl_seconds=RECENT_TTL_SECONDS)

    def merge_lake(self, force: bool = False) -> None:
        """Every lake_every seconds, merge the requests changed since the last merge into the lake, in a
        thread of its own: a merge rewrites whole months (seconds to tens of seconds) and must not hold
        up the micro-batches. `force` merges now and waits (the end of an --once run)."""
        if self.lake_every < 0 or (self.merging is not None and self.merging.is_alive()):
            if force and self.merging is not None:
                self.merging.join()
            else:
                return
        if force:
            self._merge()
        elif time.time() - self.last_lake >= self.lake_every:
            self.last_lake = time.time()
            self.merging = threading.Thread(target=self._merge, name="lake-merge", daemon=True)
            self.merging.start()

    def _merge(self) -> None:
        """Idempotent (the newest version of a request wins), so a crash mid-merge only repeats it."""
        state = RequestState(self.state_path)  # its own connection: the micro-batches keep writing
        try:
            done = state.mark("lake_batch")
            changed = state.changed_since(-1 if done is None else done)
            if changed.empty:
                return
            batch_id = int(changed["batch_id"].max())
            frame = changed[[c for c, _ in REQUEST_COLUMNS]].copy()
            for c, t in REQUEST_COLUMNS:
                if t == "timestamp":
                    frame[c] = pd.to_datetime(frame[c].astype("float64"), unit="us", utc=True)
            frame["_load_id"] = 10**13 + batch_id  # after every batch load id (epoch ms)
            frame["_row_id"] = np.arange(len(frame), dtype="int64")
            df = self.spark.createDataFrame(frame, lake.LAKE_DDL)
            months = lake.merge(self.spark, str(self.settings.path(self.settings.lake_path)), df)
            state.set_mark("lake_batch", batch_id)
            log.info("lake: merged %d request(s) into %s", len(frame), ", ".join(months))
        except Exception:  # noqa: BLE001 - the next merge retries; the live tables must keep flowing
            log.exception("lake merge failed; retrying at the next interval")
        finally:
            state.close()

    def lag(self, batch: pd.DataFrame) -> int | None:
        """Messages between this batch's last offsets and the end of the topic (Kafka only)."""
        if not self.kafka or batch.empty:
            return None
        from kafka import KafkaConsumer, TopicPartition
        if self._consumer is None:
            self._consumer = KafkaConsumer(bootstrap_servers=self.kafka[0], enable_auto_commit=False)
        done = batch.groupby("partition")["offset"].max()
        try:
            ends = self._consumer.end_offsets([TopicPartition(self.kafka[1], int(p)) for p in done.index])
        except Exception as exc:  # noqa: BLE001 - lag is informative; a broker hiccup must not stop the job
            log.warning("lag unknown: %s", exc)
            return None
        return int(sum(max(0, end - 1 - int(done[tp.partition])) for tp, end in ends.items()))

    def status(self, batch_id: int, batch: pd.DataFrame, good: pd.DataFrame, malformed: int, started: float,
               phases: dict[str, float]) -> None:
        now = time.time()
        produced = good["produced_at"].max() if not good.empty else None
        row = {
            "job": self.job, "batch_id": batch_id, "last_batch_time": pd.Timestamp(now, unit="s", tz="UTC"),
            "last_event_time": _ts(good["event_time"].max() if not good.empty else None),
            "last_produced_at": _ts(produced), "batch_rows": len(batch),
            "input_rate": len(batch) / max(now - self.last_batch, 1e-3), "lag_messages": self.lag(batch),
            "seconds_behind": None if produced is None or pd.isna(produced) else now - produced / 1e6,
            "malformed_batch": malformed, "malformed_total": self.state.malformed_total(),
            "requests_tracked": self.state.count(),
        }
        self.store.upsert("pipeline_status", pd.DataFrame([row]))
        self.last_batch = now
        log.info("batch %s: %d message(s), %d malformed, %.2f s (%s)", batch_id, len(batch), malformed, now - started,
                 ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))

    def close(self) -> None:
        for c in (self._producer, self._consumer):
            if c is not None:
                c.close()
        self.store.close()


# -- job --------------------------------------------------------------------------------------------

def source(spark: SparkSession, settings: Settings, max_per_trigger: int) -> tuple[DataFrame, tuple[str, str] | None,
                                                                                    Path | None]:
    """The message stream of stream_url: (DataFrame with value/partition/offset, kafka (servers, topic), dlq)."""
    u = urlparse(settings.stream_url)
    if u.scheme == "kafka":
        topic = u.path.strip("/")
        raw = (spark.readStream.format("kafka").option("kafka.bootstrap.servers", u.netloc)
               .option("subscribe", topic).option("startingOffsets", "earliest").option("failOnDataLoss", "false")
               .option("maxOffsetsPerTrigger", max_per_trigger).load()
               .select(F.col("value").cast("string").alias("value"), "partition", "offset"))
        return raw, (u.netloc, topic), None
    folder = spool.spool_dir(settings.stream_url, settings)
    folder.mkdir(parents=True, exist_ok=True)
    # Files are deleted once their batch is committed: the spool is a queue, not an archive (the lake is).
    raw = (spark.readStream.format("text").option("maxFilesPerTrigger", 1000).option("cleanSource", "delete")
           .load(str(folder))
           .select("value", F.lit(None).cast("int").alias("partition"), F.lit(None).cast("long").alias("offset")))
    return raw, None, spool.dlq_dir(folder)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--job", default="live", help="job name: its checkpoint folder and status row")
    parser.add_argument("--trigger-seconds", type=float, default=1.0, help="micro-batch interval")
    parser.add_argument("--max-per-trigger", type=int, default=20000, help="most Kafka messages per micro-batch")
    parser.add_argument("--lake-every", type=float, default=60.0,
                        help="seconds between merges of live requests into the lake (negative: never)")
    parser.add_argument("--once", action="store_true", help="process what is available now, then stop")


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = settings or get()
    is_kafka = settings.stream_url.startswith("kafka:")
    spark = build_session(f"nyc311-stream-{args.job}", settings, with_kafka=is_kafka, shuffle_partitions=2)
    checkpoint = settings.path(settings.checkpoint_path) / args.job
    state_path = checkpoint / "request_state.db"
    state = RequestState(state_path)
    raw, kafka, dlq = source(spark, settings, args.max_per_trigger)
    sink = LiveSink(spark, settings, args.job, state, state_path, args.lake_every, kafka, dlq)
    writer = (parse_events(raw).writeStream.foreachBatch(sink.write_batch)
              .option("checkpointLocation", str(checkpoint / "spark")).queryName(args.job))
    writer = writer.trigger(availableNow=True) if args.once else writer.trigger(
        processingTime=f"{int(args.trigger_seconds * 1000)} milliseconds")
    query = writer.start()
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _: stopping.append(signum))
    log.info("streaming %s -> %s (checkpoint %s)", settings.stream_url, settings.store_url, checkpoint)
    try:
        # Polling instead of one blocking wait: a SIGTERM (honcho, systemd) then stops the query
        # between two calls into the JVM, never inside one.
        while not stopping and not query.awaitTermination(0.5):
            pass
        if stopping and query.isActive:
            query.stop()
        if args.once:
            sink.merge_lake(force=True)
    finally:
        sink.close()
        state.close()
        spark.stop()
    return 0
