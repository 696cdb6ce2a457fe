"""What one micro-batch of the streaming job writes, as pure functions of pandas frames.

Why apart from the sink: the rows are the job's meaning (which live minutes change, which
combinations a moved request left, what the status row says), while pipeline/stream/sink.py only
decides when to write them and where. Nothing here opens a store, a stream or a thread.
"""
from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import pandas as pd

from pipeline.rollups.tables import EXTRA_TABLES, LIVE_ROLLUPS, PERIOD_STRFTIME
from pipeline.stream.state import DIMS, LIVE_WINDOW_US, RequestState, dims_of
from pipeline.streams import events as ev

RECENT_PER_BATCH = 50


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


def moved(before: pd.DataFrame, good: pd.DataFrame) -> pd.DataFrame:
    """The old (period, dims) of requests whose new events put them in another live row."""
    pairs = dims_of(before).merge(dims_of(good), on="unique_key", suffixes=("", "_new"))
    return pairs[np.logical_or.reduce([pairs[d] != pairs[f"{d}_new"] for d in DIMS])]


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


def changed(written: dict[tuple, int], frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[tuple, int]]]:
    """The rows of `frame` whose count differs from what was last written, and the cache entries to
    record once they are written (a restarted job has an empty cache and rewrites every touched row:
    absolute values, so harmless)."""
    keys = list(frame.drop(columns="n").itertuples(index=False, name=None))
    fresh = [written.get(k) != n for k, n in zip(keys, frame["n"], strict=True)]
    return frame[fresh], [(k, n) for k, n, f in zip(keys, frame["n"], fresh, strict=True) if f]


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
