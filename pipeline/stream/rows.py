"""What one micro-batch of the streaming job writes, as pure functions of pandas frames.

Why apart from the sink: the rows are the job's meaning (the live rows a batch changed, the newest
requests, the dead letters, what the status row says), while pipeline/stream/sink.py only
decides when to write them and where. Nothing here opens a store, a stream or a thread.
"""
from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd

from pipeline.rollups.tables import EXTRA_TABLES, LIVE_ROLLUPS, PERIOD_STRFTIME
from pipeline.stream.state import LIVE_WINDOW_US, RequestState
from pipeline.streams import events as ev

RECENT_PER_BATCH = 50


def dirty_rows(state: RequestState, cut: str) -> dict[str, pd.DataFrame]:
    """The minute rows of every live table whose kept count (pipeline/stream/live_counts.py) changed
    since it was last written, of minutes from `cut` on, a count that fell to zero included. The
    counts are compute_rollup's at minute grain, kept in the state's SQLite next to the data: a Spark
    job per micro-batch would cost seconds of freshness (tests/integration/test_stream_socrata_dead_letters.py
    checks the two agree)."""
    by_table = state.dirty_counts(cut)
    return {r.live_table: minute_rows(r, by_table[r.live_table]) for r in LIVE_ROLLUPS}


def minute_rows(rollup, counts: pd.DataFrame) -> pd.DataFrame:
    """(period, *dims, n) counts as rows of the rollup's live table."""
    return counts.assign(grain="minute", bucket=counts["period"].str[:13])[list(rollup.columns)]


def live_cut(now_s: float) -> str:
    """The first minute (New York, period format) of the live window that ends at the wall clock."""
    cut = pd.Timestamp(int(now_s * 10**6) - LIVE_WINDOW_US, unit="us", tz="UTC")
    return cut.tz_convert(ev.NY).strftime(PERIOD_STRFTIME["minute"])


def plain(v):
    """A pandas/numpy scalar as a plain Python value (None for every kind of missing)."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def ts(micros) -> pd.Timestamp | None:
    return None if micros is None or pd.isna(micros) else pd.Timestamp(int(micros), unit="us", tz="UTC")


def recent_frame(good: pd.DataFrame) -> pd.DataFrame:
    """The newest requests of a batch, as recent_events rows (the live feed)."""
    top = good.sort_values(["created_at", "unique_key"]).drop_duplicates("unique_key", keep="last")
    top = top.nlargest(RECENT_PER_BATCH, "created_at")
    cols = EXTRA_TABLES["recent_events"].column_names
    return top.assign(created_at=[ts(v) for v in top["created_at"]],
                      produced_at=[ts(v) for v in top["produced_at"]])[list(cols)]


def dead_letter_records(bad: pd.DataFrame, batch_id: int, now: datetime) -> list[dict]:
    """Dead-letter records (pipeline/streams/events.py dead_letter) of a batch's unusable messages."""
    dead_at = now.isoformat(timespec="milliseconds")
    sizes = bad["_bytes"] if "_bytes" in bad else [None] * len(bad)
    return [ev.dead_letter(r, v, None if s is None or pd.isna(s) else int(s), batch_id=batch_id,
                           partition=plain(p), offset=plain(o), dead_at=dead_at)
            for r, v, s, p, o in zip(bad["_reason"], bad["value"], sizes, bad["partition"], bad["offset"], strict=True)]


def failed_request(events: pd.DataFrame, exc: Exception) -> pd.DataFrame:
    """The events of a request that could not be applied, as dead letters carrying the error."""
    why = f"could not be processed: {type(exc).__name__}: {str(exc)[:300]}"
    return events.assign(_reason=why, _bytes=None, value=[json.dumps(
        {c: plain(events.iloc[i][c]) for c in ("unique_key", "created_at", "event_type")})
        for i in range(len(events))])


def status_row(job: str, batch_id: int, batch: pd.DataFrame, good: pd.DataFrame, malformed: int, now: float,
               last_batch: float, lag: int | None, malformed_total: int, tracked: int) -> dict:
    """The job's pipeline_status row after a micro-batch."""
    produced = good["produced_at"].max() if not good.empty else None
    return {
        "job": job, "batch_id": batch_id, "last_batch_time": pd.Timestamp(now, unit="s", tz="UTC"),
        "last_event_time": ts(good["event_time"].max() if not good.empty else None),
        "last_produced_at": ts(produced), "batch_rows": len(batch),
        "input_rate": len(batch) / max(now - last_batch, 1e-3), "lag_messages": lag,
        "seconds_behind": None if produced is None or pd.isna(produced) else now - produced / 1e6,
        "malformed_batch": malformed, "malformed_total": malformed_total, "requests_tracked": tracked,
    }
