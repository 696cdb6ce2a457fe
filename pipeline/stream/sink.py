"""The streaming job's load side: what one micro-batch writes (pipeline/stream/job.py's foreachBatch).

One micro-batch, idempotent per batch id, in steps: read the batch and note its offsets; apply the
usable events to the request state (pipeline/stream/state.py), whose triggers keep the live counts
(pipeline/stream/live_counts.py); upsert the rows of the live window (48 h back from the wall clock)
whose count changed, as absolute counts with a 48 h TTL, plus the newest requests into recent_events
(pipeline/stream/rows.py builds every row); dead letters through the stream gateway
(pipeline/streams/); the hand-over to the lake's inbox (pipeline/stream/lake_merger.py); prune the state; the
pipeline_status and pipeline_health rows.

Why it never crash-loops: a store that is busy or down is waited for (pipeline/stream/health.py), the
Kafka dead-letter producer likewise; any other failure of a batch is retried one request at a time
and the requests that still fail are dead-lettered with the error, so a replay never meets the same
poison again.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from pipeline.rollups.tables import LIVE_TTL_SECONDS, RECENT_TTL_SECONDS
from pipeline.settings import Settings
from pipeline.stores import StoreUnavailable, open_store
from pipeline.stream import rows as lr
from pipeline.stream.health import Health, PatientStore, patiently
from pipeline.stream.lake_merger import LakeMerger
from pipeline.stream.lean_memory import give_back
from pipeline.stream.state import LIVE_WINDOW_US, STATE_COLUMNS, RequestState
from pipeline.streams import Stream

log = logging.getLogger("pipeline.stream.job")

PRUNE_SLACK_US = 3600 * 10**6  # keep an hour past the live window: minutes on its edge still count right
APPLIED = [c for c in STATE_COLUMNS if c != "batch_id"]


@dataclass
class LiveSink:
    """The parts a micro-batch writes through; `write_batch` is the foreachBatch function."""

    job: str
    state: RequestState
    raw_store: object
    store: PatientStore
    stream: Stream
    health: Health
    lake: LakeMerger
    clock: Callable[[], float]  # the live window ends here: the wall clock (a fixed time only to replay history)
    last_batch: float = field(default_factory=time.time)

    def write_batch(self, df, batch_id: int) -> None:
        write_batch(self, df, batch_id)

    def merge_lake(self, force: bool = False) -> None:
        self.lake.merge(force)

    def close(self) -> None:
        self.lake.join()
        self.stream.close()
        self.raw_store.close()


def open_sink(spark, settings: Settings, job: str, state: RequestState, state_path: Path, lake_every: float,
              stream: Stream, clock: Callable[[], float] = time.time) -> LiveSink:
    raw_store = open_store(settings.store_url, settings)
    health = Health(job, state.offsets_lost(), raw_store)
    store = PatientStore(raw_store, health.waiting)
    store.ensure_schema()
    lake = LakeMerger(spark, str(settings.path(settings.lake_path)), state_path, lake_every)
    return LiveSink(job, state, raw_store, store, stream, health, lake, clock)


# -- the micro-batch, step by step ---------------------------------------------------------------------

def write_batch(sink: LiveSink, df, batch_id: int) -> None:
    started = time.time()
    batch = df.toPandas()
    phases = {"read": time.time() - started}
    record_offsets(sink, batch, batch_id)
    good, bad = apply_batch(sink, batch, batch_id)
    dead_letters(sink, bad, batch_id)
    phases["live"] = time.time() - started - sum(phases.values())
    sink.lake.merge()
    prune(sink)
    phases["lake"] = time.time() - started - sum(phases.values())
    sink.health.set_state("running")
    write_status(sink, batch_id, batch, good, len(bad), started, phases)
    give_back()


def record_offsets(sink: LiveSink, batch: pd.DataFrame, batch_id: int) -> None:
    """Note the batch's offsets per partition; a gap is messages the broker deleted before we read them."""
    if not sink.stream.has_offsets or batch.empty:
        return
    ranges = batch.groupby("partition")["offset"].agg(["min", "max"])
    lost = sink.state.record_offsets(batch_id, {int(p): (int(r["min"]), int(r["max"])) for p, r in ranges.iterrows()})
    if lost:
        log.error("batch %s: %d message(s) expired in Kafka before they were read", batch_id, lost)
    sink.health.row["offsets_lost"] = sink.state.offsets_lost()


def apply_batch(sink: LiveSink, batch: pd.DataFrame, batch_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(applied events, dead letters): the usable events applied at once, or, if that fails for any
    reason but the store, request by request, the requests that still fail joining the dead letters."""
    bad = batch[batch["_reason"].notna()]
    good = batch[batch["_reason"].isna()].sort_values("version")
    try:
        apply(sink, good, batch_id, len(bad))
    except StoreUnavailable:
        raise  # PatientStore does not give up; this is shutdown
    except Exception as exc:  # noqa: BLE001 - find the request(s) that fail and dead-letter them
        log.warning("batch %s failed (%s); retrying request by request", batch_id, exc)
        failed = apply_one_by_one(sink, good, batch_id, len(bad))
        bad = pd.concat([bad, failed], ignore_index=True)
        good = good[~good["unique_key"].isin(failed["unique_key"])]
        sink.state.apply(batch_id, good.iloc[:0][APPLIED], len(bad))
    return good, bad


def apply(sink: LiveSink, good: pd.DataFrame, batch_id: int, malformed: int) -> None:
    """Requests into the state, then the live rows they changed and the recent feed.

    The rows a crash or a failed write left marked are written first, so that a batch taken back
    (put_back) can tell the count rows only its own requests made (pipeline/stream/live_counts.py)."""
    cut = lr.live_cut(sink.clock())
    write_live(sink, cut)
    before = sink.state.by_keys(good["unique_key"].unique())
    sink.state.apply(batch_id, good[APPLIED], malformed)
    try:
        write_live(sink, cut)
        recent = good[good["period"] >= cut]
        if not recent.empty:
            sink.store.upsert("recent_events", lr.recent_frame(recent), ttl_seconds=RECENT_TTL_SECONDS)
    except StoreUnavailable:
        raise
    except Exception:
        # The state must not keep what the store refused: every later batch would write it again.
        sink.state.put_back(list(good["unique_key"].unique()), before)
        raise


def apply_one_by_one(sink: LiveSink, good: pd.DataFrame, batch_id: int, malformed: int) -> pd.DataFrame:
    """Apply each request's events alone; returns the events of requests that still fail, as dead letters."""
    failed = []
    for _, events in good.groupby("unique_key", sort=False):
        try:
            apply(sink, events, batch_id, malformed)
        except StoreUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001
            failed.append(lr.failed_request(events, exc))
    return pd.concat(failed, ignore_index=True) if failed else good.iloc[:0].assign(_reason=None)


def write_live(sink: LiveSink, cut: str) -> None:
    """Upsert the live rows whose kept count changed since it was last written, then unmark them."""
    for table, rows in lr.dirty_rows(sink.state, cut).items():
        if not rows.empty:
            sink.store.upsert(table, rows, ttl_seconds=LIVE_TTL_SECONDS)
    sink.state.counts_written()


def dead_letters(sink: LiveSink, bad: pd.DataFrame, batch_id: int) -> None:
    """The batch's dead letters through the gateway, waiting out a broker that is down."""
    if bad.empty:
        return
    records = lr.dead_letter_records(bad, batch_id, datetime.now(UTC))
    patiently(lambda: sink.stream.dead_letters(records, batch_id), "dead letters", retry_on=(Exception,))
    log.warning("batch %s: %d malformed message(s) to the dead letters", batch_id, len(records))


def prune(sink: LiveSink) -> None:
    """Forget requests past the live window (wall clock) once the lake's inbox has their current version."""
    merged = sink.state.mark("lake_batch") if sink.lake.every >= 0 else 2**62
    if merged is not None:
        sink.state.prune(int(sink.clock() * 10**6) - LIVE_WINDOW_US - PRUNE_SLACK_US, merged)


def write_status(sink: LiveSink, batch_id: int, batch: pd.DataFrame, good: pd.DataFrame, malformed: int,
                 started: float, phases: dict[str, float]) -> None:
    now = time.time()
    lag = None
    if sink.stream.has_offsets and not batch.empty:
        lag = sink.stream.lag({int(p): int(o) for p, o in batch.groupby("partition")["offset"].max().items()})
    row = lr.status_row(sink.job, batch_id, batch, good, malformed, now, sink.last_batch, lag,
                        sink.state.malformed_total(), sink.state.count())
    sink.store.upsert("pipeline_status", pd.DataFrame([row]))
    sink.store.upsert("pipeline_health", sink.health.frame())
    sink.last_batch = now
    log.info("batch %s: %d message(s), %d malformed, %.2f s (%s)", batch_id, len(batch), malformed, now - started,
             ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))
