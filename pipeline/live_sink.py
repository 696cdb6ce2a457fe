"""The streaming job's load side: everything one micro-batch writes (pipeline/stream.py's foreachBatch).

Per micro-batch, idempotent per batch id: dead letters; the request state (pipeline/live_state.py);
the minute rows of the live tables for the minutes the batch touched that are inside the live window
(48 h back from the wall clock), recounted from the state and upserted as absolute counts with a
48 h TTL; the newest requests into recent_events; the cleaned-request lake (merged every
--lake-every seconds); the pipeline_status and pipeline_health rows.

Why it never crash-loops: a store that is busy or down is waited for (back-off, the health row says
"waiting for the store"), the Kafka dead-letter producer likewise; any other failure of a batch is
retried one request at a time and the requests that still fail are dead-lettered with the error, so
a replay never meets the same poison again.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame, SparkSession

from pipeline import events as ev
from pipeline import lake, lake_changes, spool
from pipeline.lean_memory import give_back
from pipeline.live_state import DIMS, LIVE_WINDOW_US, STATE_COLUMNS, RequestState, dims_of
from pipeline.settings import Settings
from pipeline.stores import StoreUnavailable, open_store
from pipeline.tables import EXTRA_TABLES, LIVE_TTL_SECONDS, PERIOD_STRFTIME, RECENT_TTL_SECONDS, ROLLUPS

log = logging.getLogger("pipeline.stream")

LIVE_ROLLUPS = tuple(r for r in ROLLUPS.values() if r.live_table)
RECENT_PER_BATCH = 50
PRUNE_SLACK_US = 3600 * 10**6  # keep an hour past the live window: minutes on its edge still recount right
BACKOFF_S = (0.5, 30.0)        # first and longest wait between tries of a busy or down store / broker
WAITING = "waiting for the store"


def live_rows(state: RequestState, periods: set[str]) -> dict[str, pd.DataFrame]:
    """Minute rows of every live table for some periods, counted from the request state.

    The count is compute_rollup's for rollups measured by `n` (requests per period and dims); it is
    taken in the state's SQLite, next to the data, because a Spark job per micro-batch over a whole
    minute of requests would cost seconds of freshness (tests/integration/test_stream_socrata_dead_letters.py
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


def live_cut(now_s: float) -> str:
    """The first minute (New York, period format) of the live window that ends at the wall clock."""
    cut = pd.Timestamp(int(now_s * 10**6) - LIVE_WINDOW_US, unit="us", tz="UTC")
    return cut.tz_convert(ev.NY).strftime(PERIOD_STRFTIME["minute"])


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


def patiently(fn: Callable, what: str, on_wait: Callable[[str], None] | None = None,
              retry_on: tuple[type[BaseException], ...] = (StoreUnavailable,), sleep=time.sleep):
    """fn() until it succeeds, waiting with exponential back-off while it raises `retry_on` (a store or
    broker that is busy or down). Why forever: Kafka keeps the messages, so waiting loses nothing,
    while failing the micro-batch would restart the job into the same wait."""
    wait = BACKOFF_S[0]
    while True:
        try:
            return fn()
        except retry_on as exc:
            log.warning("%s: %s; retrying in %.1f s", what, exc, wait)
            if on_wait is not None:
                on_wait(str(exc))
            sleep(wait)
            wait = min(wait * 2, BACKOFF_S[1])


class PatientStore:
    """A store whose every call waits out StoreUnavailable (writes are idempotent upserts, so a retry
    repeats nothing), telling `on_wait` while it waits."""

    def __init__(self, store, on_wait: Callable[[str], None]):
        self._store, self._on_wait = store, on_wait

    def __getattr__(self, name):
        attr = getattr(self._store, name)
        if not callable(attr) or name == "close":
            return attr
        return lambda *a, **k: patiently(lambda: attr(*a, **k), f"store {name}", self._on_wait)


class LiveSink:
    """The foreachBatch sink: everything one micro-batch writes (idempotent per batch id)."""

    def __init__(self, spark: SparkSession, settings: Settings, job: str, state: RequestState, state_path: Path,
                 lake_every: float, kafka: tuple[str, str] | None, dlq_folder: Path | None,
                 clock: Callable[[], float] = time.time):
        self.clock = clock  # the live window ends here: the wall clock (a fixed time only to replay history)
        self.spark, self.settings, self.job, self.state, self.state_path = spark, settings, job, state, state_path
        self.merging: threading.Thread | None = None
        self.merge_lock = threading.Lock()  # the micro-batches and the job's idle loop both start merges
        self.lake_every, self.kafka, self.dlq_folder = lake_every, kafka, dlq_folder
        self.health = {"job": job, "state": "starting", "state_since": pd.Timestamp.now(tz="UTC"),
                       "offsets_lost": state.offsets_lost(), "store_waits": 0}
        self.raw_store = open_store(settings.store_url, settings)
        self.store = PatientStore(self.raw_store, self.waiting)
        self.store.ensure_schema()
        self.last_batch = time.time()
        self.last_lake = time.time()
        self._producer = self._consumer = None
        self.written: dict[str, dict[tuple, int]] = {}

    # -- health ---------------------------------------------------------------------------------------
    def set_state(self, state: str) -> None:
        if state != self.health["state"]:
            self.health.update(state=state, state_since=pd.Timestamp.now(tz="UTC"))

    def waiting(self, why: str) -> None:
        """Called between tries of a busy or down store: say so in the health row, if the store takes it."""
        if not self.health["state"].startswith(WAITING):
            self.health["store_waits"] += 1
        self.set_state(f"{WAITING} ({why[:200]})")
        try:
            self.raw_store.upsert("pipeline_health", pd.DataFrame([self.health]))
        except StoreUnavailable:
            pass  # the store is down: the log says it, the row will once the store is back

    # -- the micro-batch --------------------------------------------------------------------------------
    def write_batch(self, df: DataFrame, batch_id: int) -> None:
        started = time.time()
        batch = df.toPandas()
        phases = {"read": time.time() - started}
        if self.kafka and not batch.empty:
            ranges = batch.groupby("partition")["offset"].agg(["min", "max"])
            lost = self.state.record_offsets(batch_id, {int(p): (int(r["min"]), int(r["max"]))
                                                        for p, r in ranges.iterrows()})
            if lost:
                log.error("batch %s: %d message(s) expired in Kafka before they were read", batch_id, lost)
            self.health["offsets_lost"] = self.state.offsets_lost()
        bad = batch[batch["_reason"].notna()]
        good = batch[batch["_reason"].isna()].sort_values("version")
        try:
            self.apply(good, batch_id, len(bad))
        except StoreUnavailable:
            raise  # PatientStore does not give up; this is shutdown
        except Exception as exc:  # noqa: BLE001 - find the request(s) that fail and dead-letter them
            log.warning("batch %s failed (%s); retrying request by request", batch_id, exc)
            failed = self.apply_one_by_one(good, batch_id, len(bad))
            bad = pd.concat([bad, failed], ignore_index=True)
            good = good[~good["unique_key"].isin(failed["unique_key"])]
            self.state.apply(batch_id, good.iloc[:0][[c for c in STATE_COLUMNS if c != "batch_id"]], len(bad))
        self.dead_letters(bad, batch_id)
        phases["live"] = time.time() - started - sum(phases.values())
        self.merge_lake()
        self.prune()
        phases["lake"] = time.time() - started - sum(phases.values())
        self.set_state("running")
        self.status(batch_id, batch, good, len(bad), started, phases)
        give_back()

    def apply(self, good: pd.DataFrame, batch_id: int, malformed: int) -> None:
        """Requests into the state, then the live rows they change and the recent feed."""
        before = self.state.by_keys(good["unique_key"].unique())
        self.state.apply(batch_id, good[[c for c in STATE_COLUMNS if c != "batch_id"]], malformed)
        cut = live_cut(self.clock())
        try:
            periods = {p for p in set(good["period"]) | set(before["period"]) if p and p >= cut}
            if periods:
                rows = live_rows(self.state, periods)
                moved = dims_of(before).merge(dims_of(good), on="unique_key", suffixes=("", "_new"))
                moved = moved[np.logical_or.reduce([moved[d] != moved[f"{d}_new"] for d in DIMS])]
                for table, zeros in vanished(moved[moved["period"] >= cut], rows).items():
                    rows[table] = pd.concat([rows[table], zeros], ignore_index=True)
                for table, frame in rows.items():
                    self.upsert_changed(table, frame, cut)
            self.recent(good[good["period"] >= cut])
        except StoreUnavailable:
            raise
        except Exception:
            # The state must not keep what the store refused: every later batch would recount it.
            self.state.put_back(list(good["unique_key"].unique()), before)
            raise

    def apply_one_by_one(self, good: pd.DataFrame, batch_id: int, malformed: int) -> pd.DataFrame:
        """Apply each request's events alone; returns the events of requests that still fail, as dead letters."""
        failed = []
        for _, events in good.groupby("unique_key", sort=False):
            try:
                self.apply(events, batch_id, malformed)
            except StoreUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001
                why = f"could not be processed: {type(exc).__name__}: {str(exc)[:300]}"
                failed.append(events.assign(_reason=why, _bytes=None, value=[json.dumps(
                    {c: _plain(events.iloc[i][c]) for c in ("unique_key", "created_at", "event_type")})
                    for i in range(len(events))]))
        return pd.concat(failed, ignore_index=True) if failed else good.iloc[:0].assign(_reason=None)

    def prune(self) -> None:
        """Forget requests past the live window (wall clock) once the lake has their current version."""
        merged = self.state.mark("lake_batch") if self.lake_every >= 0 else 2**62
        if merged is not None:
            self.state.prune(int(self.clock() * 10**6) - LIVE_WINDOW_US - PRUNE_SLACK_US, merged)

    def upsert_changed(self, table: str, frame: pd.DataFrame, cut: str) -> None:
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
            self.written[table] = {k: n for k, n in cache.items() if k[2] >= cut}

    def dead_letters(self, bad: pd.DataFrame, batch_id: int) -> None:
        if bad.empty:
            return
        now = datetime.now(UTC).isoformat(timespec="milliseconds")
        sizes = bad["_bytes"] if "_bytes" in bad else [None] * len(bad)
        lines = [json.dumps(ev.dead_letter(r, v, None if s is None or pd.isna(s) else int(s), batch_id=batch_id,
                                           partition=_plain(p), offset=_plain(o), dead_at=now)).encode()
                 for r, v, s, p, o in zip(bad["_reason"], bad["value"], sizes, bad["partition"], bad["offset"],
                                          strict=True)]
        if self.kafka:
            patiently(lambda: self._send_dlq(lines), "dead-letter topic", retry_on=(Exception,))
        else:
            # One file per batch id: a replayed batch overwrites its own dead letters.
            spool.write_lines(self.dlq_folder, lines, name=f"batch-{batch_id:012d}.jsonl")
        log.warning("batch %s: %d malformed message(s) to the dead letters", batch_id, len(lines))

    def _send_dlq(self, lines: list[bytes]) -> None:
        from kafka import KafkaProducer
        if self._producer is None:
            self._producer = KafkaProducer(bootstrap_servers=self.kafka[0], acks="all", enable_idempotence=True,
                                           retries=5)
        futures = [self._producer.send(self.kafka[1] + "-dlq", value=line) for line in lines]
        self._producer.flush()
        for f in futures:
            f.get(timeout=30)

    def recent(self, good: pd.DataFrame) -> None:
        if good.empty:
            return
        top = good.sort_values(["created_at", "unique_key"]).drop_duplicates("unique_key", keep="last")
        top = top.nlargest(RECENT_PER_BATCH, "created_at")
        cols = EXTRA_TABLES["recent_events"].column_names
        frame = top.assign(created_at=[_ts(v) for v in top["created_at"]],
                           produced_at=[_ts(v) for v in top["produced_at"]])[list(cols)]
        self.store.upsert("recent_events", frame, ttl_seconds=RECENT_TTL_SECONDS)

    # -- the lake -------------------------------------------------------------------------------------
    def merge_lake(self, force: bool = False) -> None:
        """Every lake_every seconds, merge the requests changed since the last merge into the lake, in a
        thread of its own: a merge rewrites the touched months' files (seconds to tens of seconds) and
        must not hold up the micro-batches. `force` merges now and waits (the end of an --once run).
        A kill mid-merge loses nothing: the Delta commit is atomic, and the merge mark advances only
        after it, so the restarted job merges the same requests again. The job's main loop calls this
        between micro-batches too: Spark runs no batch while no event comes, and the changes of the
        last batches before a quiet spell must still reach the lake."""
        with self.merge_lock:
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
        """Idempotent (the newest version of a request wins), so a crash mid-merge only repeats it.
        The changed requests are staged as a Parquet file a bounded chunk at a time
        (pipeline/lake_changes.py): a catch-up changes millions between two merges."""
        state = RequestState(self.state_path)  # its own connection: the micro-batches keep writing
        staged = self.state_path.parent / "lake-changes.parquet"
        try:
            done = state.mark("lake_batch")
            rows, batch_id = lake_changes.stage(state, -1 if done is None else done, staged)
            if not rows:
                return
            log.info("lake: merging %d request(s) changed up to batch %d", rows, batch_id)  # tests kill inside it
            df = self.spark.read.schema(lake.LAKE_DDL).parquet(str(staged))
            months = lake.merge(self.spark, str(self.settings.path(self.settings.lake_path)), df)
            state.set_mark("lake_batch", batch_id)
            log.info("lake: merged %d request(s) into %s", rows, ", ".join(months))
        except Exception:  # noqa: BLE001 - the next merge retries; the live tables must keep flowing
            log.exception("lake merge failed; retrying at the next interval")
        finally:
            state.close()
            staged.unlink(missing_ok=True)
            give_back()

    # -- status ---------------------------------------------------------------------------------------
    def lag(self, batch: pd.DataFrame) -> int | None:
        """Messages between this batch's last offsets and the end of the topic (Kafka only)."""
        if not self.kafka or batch.empty:
            return None
        from kafka import KafkaConsumer, TopicPartition
        try:
            if self._consumer is None:
                self._consumer = KafkaConsumer(bootstrap_servers=self.kafka[0], enable_auto_commit=False)
            done = batch.groupby("partition")["offset"].max()
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
        self.store.upsert("pipeline_health", pd.DataFrame([self.health]))
        self.last_batch = now
        log.info("batch %s: %d message(s), %d malformed, %.2f s (%s)", batch_id, len(batch), malformed, now - started,
                 ", ".join(f"{k} {v:.2f}" for k, v in phases.items()))

    def close(self) -> None:
        if self.merging is not None:
            self.merging.join()  # a lake merge in flight finishes before the process ends
        for c in (self._producer, self._consumer):
            if c is not None:
                c.close()
        self.raw_store.close()
