"""How fresh the store is: the latest request time any job has loaded.

Why apart from pipeline/read/api.py: two jobs say it in two places (the batch job's meta, the streaming
job's status row), and the header of every page and /healthz ask it; the rest of the read API is sums.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from pipeline.schema import NY_TZ
from pipeline.stores.base import Store


def latest_loaded(store: Store) -> datetime | None:
    """Latest created time loaded (New York local, naive), from batch or stream; None if empty.
    Batch: meta 'freshness' (ISO, New York local). Stream: meta 'live_freshness' if a job sets
    it, and the `last_event_time` of the streaming job's pipeline_status row (job 'live')."""
    times = [datetime.fromisoformat(v).replace(tzinfo=None)
             for v in store.get_metas(("freshness", "live_freshness")).values() if v]
    try:
        status = store.select("pipeline_status", {"job": "live"})
    except ValueError:  # no such table declared: batch-only deployments
        status = pd.DataFrame()
    if not status.empty and pd.notna(status["last_event_time"].iloc[0]):
        t = pd.Timestamp(status["last_event_time"].iloc[0])
        t = t.tz_localize("UTC") if t.tzinfo is None else t
        times.append(t.tz_convert(NY_TZ).tz_localize(None).to_pydatetime())
    return max(times) if times else None
