"""`python -m pipeline stream`: Structured Streaming from Kafka (or the spool) into the live tables.

    python -m pipeline stream [--trigger-seconds 1] [--once] [--job live]

Extract: the messages of stream_url as text, through the stream gateway (pipeline/streams/: a Kafka
topic or the spool folder).
Transform: parse with the event schema (pipeline/streams/events.py), tag malformed messages and messages
outside the contract's sanity limits with a reason, normalise with the batch normaliser
(pipeline/ingest/normalize.py), bucket by one-minute event-time windows of created_at. A request is live
while it was created at most 48 h before the wall clock; every valid event, whatever its age, still
reaches the request state and the lake.
Load (pipeline/stream/sink.py, one micro-batch at a time, via foreachBatch): dead letters; the request
state (pipeline/stream/state.py); the minute rows of every live table (pipeline/rollups/tables.py LIVE_ROLLUPS)
whose count the batch changed, counted in the state over the same rollup dimensions
(tests/integration/test_stream_socrata_dead_letters.py checks the rows equal the batch job's
`compute_rollup` at minute grain), as absolute counts upserted with a 48 h TTL (so a replayed batch
rewrites the same values: exactly-once effect after a crash); the newest requests into recent_events;
the cleaned-request lake's inbox (a file handed over every --lake-every seconds; the next load or
`batch --recompute` folds it into the lake, and the recompute into history, pipeline/lake/inbox.py);
and the pipeline_status / pipeline_health rows.
"""
from __future__ import annotations

import argparse
import logging
import signal
import time
from datetime import datetime

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

from pipeline.ingest.cleaning import text_col
from pipeline.ingest.normalize import normalize
from pipeline.rollups.tables import PERIOD_FORMATS
from pipeline.schema import REQUEST_COLUMNS
from pipeline.settings import Settings, load
from pipeline.spark import build_session
from pipeline.stream.lean_memory import lean_python
from pipeline.stream.sink import open_sink
from pipeline.stream.state import STATE_COLUMNS, RequestState
from pipeline.streams import events as ev
from pipeline.streams import open_stream

log = logging.getLogger("pipeline.stream.job")

# Every field as text: numbers and times are cast after parsing, so one bad field makes a reason,
# not a silently null record.
EVENT_SCHEMA = StructType([StructField(f, StringType()) for f in ev.FIELDS])
TYPE_RANK = {t: i for i, t in enumerate(ev.EVENT_TYPES)}


# -- transform (pure DataFrame functions) -----------------------------------------------------------

def _year_ok(c):
    return F.year(c).between(*ev.YEAR_RANGE)


def sanity_checks(fields: dict, ts: dict) -> list:
    """(condition, reason) of the contract's sanity limits (pipeline/streams/events.py), in the order validate()
    applies them: outside them an event never reaches the state, the store or the lake."""
    checks = []
    for f in ("event_time", "produced_at", *ev.TIME_FIELDS):
        raw = text_col(fields[f])
        checks.append((raw.isNotNull() & ts[f].isNull(), F.concat(F.lit(f"{f} "), raw, F.lit(" is not a timestamp"))))
        checks.append((ts[f].isNotNull() & ~_year_ok(ts[f]),
                       F.concat(F.lit(f"{f} "), raw, F.lit(f" is outside {ev.YEAR_RANGE[0]}-{ev.YEAR_RANGE[1]}"))))
    created, produced = ts["created_at"], F.coalesce(ts["produced_at"], F.current_timestamp())
    checks.append((created < F.lit(ev.OPENED_311.isoformat()).cast("timestamp"),
                   F.concat(F.lit("created_at "), fields["created_at"], F.lit(" is before 2003-03-01 (311's launch)"))))
    checks.append((F.unix_micros(created) - F.unix_micros(produced) > ev.MAX_AHEAD_S * 10**6,
                   F.concat(F.lit("created_at "), fields["created_at"], F.lit(" is more than 1 h after produced_at "),
                            F.coalesce(fields["produced_at"], F.lit("(now)")))))
    for f in ev.TEXT_FIELDS:
        checks.append((F.length(fields[f]) > ev.MAX_TEXT_CHARS,
                       F.format_string(f"{f} is longer than {ev.MAX_TEXT_CHARS} characters (%d)", F.length(fields[f]))))
    return checks


def parse_events(raw: DataFrame) -> DataFrame:
    """Messages (column `value`, plus Kafka's partition/offset) -> normalised events with `_reason`
    (null for a usable event) and the state columns of pipeline/stream/state.py.

    Why in steps: the JSON fields and parsed timestamps are projected once as columns, and the
    reason is computed once from them. Written as one expression, every check repeated its own
    parse and the reason appeared twice, a plan so large that planning it again for each
    micro-batch cost seconds of freshness."""
    size = F.coalesce(F.octet_length("value"), F.lit(0))
    e = F.from_json(F.col("value"), EVENT_SCHEMA)
    stamps = ("event_time", "produced_at", *ev.TIME_FIELDS)
    df = raw.select("value", "partition", "offset", size.alias("_bytes")).withColumn(
        "_e", F.when((F.col("_bytes") <= ev.MAX_MESSAGE_BYTES) & F.trim(F.col("value")).startswith("{"), e))
    df = df.select("value", "partition", "offset", "_bytes", F.col("_e").isNull().alias("_no_json"),
                   *[F.col("_e").getField(f).alias(f"_f_{f}") for f in ev.FIELDS])
    df = df.select("*", *[text_col(F.col(f"_f_{f}")).try_cast("timestamp").alias(f"_t_{f}") for f in stamps])
    fields = {f: F.col(f"_f_{f}") for f in ev.FIELDS}
    ts = {f: F.col(f"_t_{f}") for f in stamps}
    size = F.col("_bytes")
    checks = [
        (size > ev.MAX_MESSAGE_BYTES, F.format_string(f"message of %d bytes is larger than {ev.MAX_MESSAGE_BYTES}", size)),
        (F.col("_no_json"), F.lit("not a JSON object")),
        (text_col(fields["unique_key"]).isNull(), F.lit("missing field unique_key")),
        (F.coalesce(fields["schema_version"], F.lit("")) != str(ev.SCHEMA_VERSION),
         F.concat(F.lit("schema_version "), F.coalesce(fields["schema_version"], F.lit("null")),
                  F.lit(f" is not {ev.SCHEMA_VERSION}"))),
        (~F.coalesce(fields["event_type"], F.lit("")).isin(*ev.EVENT_TYPES),
         F.concat(F.lit("event_type "), F.coalesce(fields["event_type"], F.lit("null")), F.lit(" is unknown"))),
        (text_col(fields["created_at"]).isNull(), F.lit("missing field created_at")),
        (ts["created_at"].isNull(), F.concat(F.lit("created_at "), fields["created_at"], F.lit(" is not a timestamp"))),
        (ts["event_time"].isNull(), F.lit("event_time missing or not a timestamp")),
        *sanity_checks(fields, ts),
    ]
    reason = F.when(checks[0][0], checks[0][1])
    for cond, why in checks[1:]:
        reason = reason.when(cond, why)
    df = df.withColumn("_reason", reason)
    # Only a dead letter needs the message, and at most its first DEAD_LETTER_CHARS (plus one, to tell a cut).
    kept = F.when(F.col("_reason").isNotNull(), F.substring("value", 1, ev.DEAD_LETTER_CHARS + 1))
    flat = df.select(
        kept.alias("value"), "_bytes", "partition", "offset", "_reason",
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
        "value", "_bytes", "partition", "offset", "_reason",
        *[micros[c].alias(c) if c in micros else F.col(c) for c in STATE_COLUMNS if c not in ("period", "version",
                                                                                          "batch_id")],
        period.alias("period"), version.alias("version"))


# -- job --------------------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--job", default="live", help="job name: its checkpoint folder and status row")
    parser.add_argument("--trigger-seconds", type=float, default=None,
                        help="micro-batch interval (default: the stream_trigger_ms setting)")
    parser.add_argument("--max-per-trigger", type=int, default=None,
                        help="most Kafka messages per micro-batch (bounds a catch-up after downtime; "
                             "default: the stream_max_offsets_per_trigger setting)")
    parser.add_argument("--max-files-per-trigger", type=int, default=None,
                        help="most spool files per micro-batch (the embedded stream's catch-up bound; "
                             "default: the stream_max_files_per_trigger setting)")
    parser.add_argument("--lake-every", type=float, default=None,
                        help="seconds between merges of live requests into the lake (negative: never; "
                             "default: the stream_lake_every_s setting)")
    parser.add_argument("--once", action="store_true", help="process what is available now, then stop")
    parser.add_argument("--as-of", metavar="ISO", type=datetime.fromisoformat,
                        help="end the 48 h live window at this fixed time instead of the wall clock (only to "
                             "replay history into the live tables, e.g. 2022-05-01T01:00:00-04:00)")


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = settings or load()
    lean_python()
    stream = open_stream(settings)
    spark = build_session(f"nyc311-stream-{args.job}", settings, with_kafka=stream.needs_kafka_connector,
                          shuffle_partitions=2, driver_memory=settings.stream_driver_memory, lean=True)
    checkpoint = settings.path(settings.checkpoint_path) / args.job
    state_path = checkpoint / "request_state.db"
    state = RequestState(state_path)
    bound = getattr(args, "max_per_trigger", None) or settings.stream_max_offsets_per_trigger
    files = getattr(args, "max_files_per_trigger", None) or settings.stream_max_files_per_trigger
    raw = stream.read(spark, bound, files)
    as_of = getattr(args, "as_of", None)
    clock = time.time if as_of is None else (lambda: as_of.timestamp())
    lake_every = args.lake_every if args.lake_every is not None else float(settings.stream_lake_every_s)
    trigger_ms = settings.stream_trigger_ms if args.trigger_seconds is None else int(args.trigger_seconds * 1000)
    sink = open_sink(spark, settings, args.job, state, state_path, lake_every, stream, clock)
    writer = (parse_events(raw).writeStream.foreachBatch(sink.write_batch)
              .option("checkpointLocation", str(checkpoint / "spark")).queryName(args.job))
    writer = writer.trigger(availableNow=True) if args.once else writer.trigger(
        processingTime=f"{trigger_ms} milliseconds")
    query = writer.start()
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _: stopping.append(signum))
    log.info("streaming %s -> %s (checkpoint %s)", settings.stream_url, settings.store_url, checkpoint)
    try:
        # Polling instead of one blocking wait: a SIGTERM (honcho, systemd) then stops the query
        # between two calls into the JVM, never inside one; and the lake is merged while no batch runs.
        while not stopping and not query.awaitTermination(0.5):
            if not args.once:
                sink.merge_lake()
        if stopping and query.isActive:
            query.stop()
        if args.once:
            sink.merge_lake(force=True)
    finally:
        sink.close()
        state.close()
        spark.stop()
    return 0
