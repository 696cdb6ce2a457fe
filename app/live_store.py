"""Reads of the live page over any store: the last hour from the tables the streaming job writes
(pipeline/stream.py), through the live read helpers (pipeline/live_read.py).

Why apart from the page: these are the only store queries of the live page, and they must behave
the same on SQLite and Cassandra (tests/integration/test_serving_live_store.py runs both); the
page module registers itself with Dash and cannot be imported without an app.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from app import live_view as view
from pipeline import live_read
from pipeline.events import NY
from pipeline.schema import UNSPECIFIED
from pipeline.stores import Store

EMPTY_BASELINE = pd.DataFrame(columns=["borough", "complaint_type", "how", "mean"])
STALLED_AFTER_S = 60
JOB = "live"  # the streaming job's default name (python -m pipeline stream --job)


def ny_naive(ts) -> datetime | None:
    """A stored instant as naive New York time. Stores hold instants: SQLite gives them back aware,
    the Cassandra driver as naive UTC."""
    if ts is None or pd.isna(ts):
        return None
    ts = pd.Timestamp(ts)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert(NY).tz_localize(None).to_pydatetime()


def stream_status(store: Store, now: datetime, job: str = JOB) -> tuple[datetime | None, str]:
    """(when the newest processed event was produced, status) from the streaming job's status and
    health rows (waiting for the store, messages expired in Kafka, a catch-up backlog)."""
    row = live_read.status(store, job)
    if row is None:
        return None, "stream not started"
    last_batch = ny_naive(row["last_batch_time"])
    if last_batch is None:
        return ny_naive(row["last_produced_at"]), "unknown"
    idle = (now - last_batch).total_seconds()
    state = "running" if idle < STALLED_AFTER_S else f"no batch for {idle:.0f} s"
    notes = live_read.health_notes(row, live_read.health(store, job))
    return ny_naive(row["last_produced_at"]), " · ".join([state, *notes])


def read_snapshot(store: Store, now: datetime, baseline: pd.DataFrame = EMPTY_BASELINE) -> view.LiveSnapshot:
    """The last hour (60 minute rows ending at `now`, naive New York time) as the live page shows it."""
    aware = now.replace(tzinfo=NY)
    labels = view.minute_labels(now)
    minutes = live_read.last_hour_by_borough(store, aware).rename(columns={"period": "minute"})
    # borough x complaint type over the hour, for the spike rule (live_read splits by one column)
    by_type = store.aggregate("live_requests", "minute", labels[0], labels[-1], ["borough", "complaint_type"])
    zips = live_read.last_hour_by_zip(store, aware)
    zips = zips[(zips["zip"] != UNSPECIFIED) & (zips["count"] > 0)]
    feed = live_read.recent_events(store, view.FEED_LENGTH, aware, lookback_minutes=len(labels))
    feed["created_at"] = [ny_naive(t) for t in feed["created_at"]]
    latest, status = stream_status(store, now)
    return view.LiveSnapshot(
        now=now, minutes=minutes, by_type=by_type.rename(columns={"n": "count"}),
        zips=zips.reset_index(drop=True), feed=feed[list(view.FEED_COLUMNS)], latest=latest, status=status,
        baseline=baseline)
