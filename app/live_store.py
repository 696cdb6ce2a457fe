"""Reads of the live page over any store: the last hour from the tables the streaming job writes
(pipeline/stream.py: live_requests, live_zips, recent_events, pipeline_status).

Why apart from the page: these are the only store queries of the live page, and they must behave
the same on SQLite and Cassandra (tests/integration/test_serving_live_store.py runs both); the
page module registers itself with Dash and cannot be imported without an app.
"""
from __future__ import annotations

from datetime import datetime

import pandas as pd

from app import live_view as view
from pipeline.schema import NY_TZ, UNSPECIFIED
from pipeline.stores import Store

EMPTY_BASELINE = pd.DataFrame(columns=["borough", "complaint_type", "how", "mean"])
STALLED_AFTER_S = 60


def ny_naive(ts) -> datetime | None:
    """A stored instant as naive New York time. Stores hold instants: SQLite gives them back aware,
    the Cassandra driver as naive UTC."""
    if ts is None or pd.isna(ts):
        return None
    ts = pd.Timestamp(ts)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert(NY_TZ).tz_localize(None).to_pydatetime()


def feed(store: Store, labels: list[str]) -> pd.DataFrame:
    """Newest requests, reading minute partitions newest first until the feed is full."""
    parts, have = [], 0
    for period in reversed(labels):
        rows = store.select("recent_events", {"period": period}, limit=view.FEED_LENGTH)
        if not rows.empty:
            parts.append(rows)
            have += len(rows)
        if have >= view.FEED_LENGTH:
            break
    if not parts:
        return pd.DataFrame(columns=list(view.FEED_COLUMNS))
    frame = pd.concat(parts, ignore_index=True)
    frame["created_at"] = [ny_naive(t) for t in frame["created_at"]]
    frame = frame.sort_values(["created_at", "unique_key"], ascending=False).drop_duplicates("unique_key")
    return frame.head(view.FEED_LENGTH)[list(view.FEED_COLUMNS)].reset_index(drop=True)


def stream_status(store: Store, now: datetime) -> tuple[datetime | None, str]:
    """(when the newest processed event was produced, status) from the streaming job's status row."""
    rows = store.select("pipeline_status")
    if rows.empty:
        return None, "stream not started"
    row = rows.sort_values("last_batch_time").iloc[-1]
    last_batch = ny_naive(row["last_batch_time"])
    if last_batch is None:
        return ny_naive(row["last_produced_at"]), "unknown"
    idle = (now - last_batch).total_seconds()
    return ny_naive(row["last_produced_at"]), "running" if idle < STALLED_AFTER_S else f"no batch for {idle:.0f} s"


def read_snapshot(store: Store, now: datetime, baseline: pd.DataFrame = EMPTY_BASELINE) -> view.LiveSnapshot:
    """The last hour (60 minute rows ending at `now`, New York time) as the live page shows it."""
    labels = view.minute_labels(now)
    start, end = labels[0], labels[-1]
    minutes = store.aggregate("live_requests", "minute", start, end, ["period", "borough"])
    by_type = store.aggregate("live_requests", "minute", start, end, ["borough", "complaint_type"])
    zips = store.aggregate("live_zips", "minute", start, end, ["zip"])
    zips = zips[(zips["zip"] != UNSPECIFIED) & (zips["n"] > 0)]
    latest, status = stream_status(store, now)
    return view.LiveSnapshot(
        now=now, minutes=minutes.rename(columns={"period": "minute", "n": "count"}),
        by_type=by_type.rename(columns={"n": "count"}), zips=zips.rename(columns={"n": "count"}),
        feed=feed(store, labels), latest=latest, status=status, baseline=baseline)
