"""Reads for the live page: the streaming job's tables (pipeline/stream/job.py), over any store.

Why apart from pipeline/read/api.py: these read minute rows that expire after 48 h, the feed and
the job's status row, all keyed on "now"; the history pages never need them. Every function takes
`now` so tests (and replays of old data) can ask about any moment; periods are New York minutes.
LiveAPI is to these what ReadAPI is to the rollups: the object the app's read model (app/data.py)
calls, so the live page gets the same last-good fallback as every other page and never holds a store.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

import pandas as pd

from pipeline.rollups.tables import EXTRA_TABLES, PERIOD_STRFTIME
from pipeline.schema import UNSPECIFIED
from pipeline.stores.base import Store, StoreUnavailable
from pipeline.streams.events import NY

MINUTE = PERIOD_STRFTIME["minute"]


def _minute(t: datetime) -> str:
    return t.astimezone(NY).strftime(MINUTE)


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(NY)


def per_minute(store: Store, by: str = "borough", minutes: int = 60, now: datetime | None = None,
               filters: dict | None = None) -> pd.DataFrame:
    """Requests created per minute over the last `minutes` (to `now`), split by `by`.

    Columns ['period', by, 'count'], period 'YYYY-MM-DDTHH:MM' ascending; minutes without requests
    are absent. `by` in borough, complaint_type, agency (live_requests), community_district
    (live_districts) or zip (live_zips)."""
    table = {"community_district": "live_districts", "zip": "live_zips"}.get(by, "live_requests")
    end = _now(now)
    df = store.aggregate(table, "minute", _minute(end - timedelta(minutes=minutes - 1)), _minute(end),
                         ["period", by], filters)
    return df.rename(columns={"n": "count"}).sort_values(["period", by]).reset_index(drop=True)


def last_hour_by_borough(store: Store, now: datetime | None = None) -> pd.DataFrame:
    return per_minute(store, "borough", 60, now)


def last_hour_by_type(store: Store, now: datetime | None = None) -> pd.DataFrame:
    """Columns ['borough', 'complaint_type', 'count'] over the last hour (the live spike rule's input)."""
    end = _now(now)
    df = store.aggregate("live_requests", "minute", _minute(end - timedelta(minutes=59)), _minute(end),
                         ["borough", "complaint_type"])
    return df.rename(columns={"n": "count"})


def last_hour_by_zip(store: Store, now: datetime | None = None) -> pd.DataFrame:
    """Columns ['zip', 'count'] over the last hour, largest first."""
    df = per_minute(store, "zip", 60, now)
    return (df.groupby("zip", as_index=False)["count"].sum().sort_values(["count", "zip"], ascending=[False, True])
            .reset_index(drop=True))


def recent_events(store: Store, n: int = 50, now: datetime | None = None, lookback_minutes: int = 120) -> pd.DataFrame:
    """The newest `n` requests created up to `now` (within the look-back), newest first, with the
    columns of the recent_events table."""
    end, parts, have = _now(now), [], 0
    for back in range(lookback_minutes):
        rows = store.select("recent_events", {"period": _minute(end - timedelta(minutes=back))}, limit=n)
        if not rows.empty:
            parts.append(rows)
            have += len(rows)
        if have >= n:
            break
    cols = list(EXTRA_TABLES["recent_events"].column_names)
    if not parts:
        return pd.DataFrame(columns=cols)
    df = pd.concat(parts, ignore_index=True)
    df["created_at"] = pd.to_datetime(df["created_at"], utc=True)
    return df.sort_values(["created_at", "unique_key"], ascending=False).head(n).reset_index(drop=True)[cols]


def status(store: Store, job: str = "live") -> dict | None:
    """The job's pipeline_status row as a dict (None before its first micro-batch)."""
    rows = store.select("pipeline_status", {"job": job})
    return None if rows.empty else rows.iloc[0].to_dict()


def health(store: Store, job: str = "live") -> dict | None:
    """The job's pipeline_health row (state, Kafka messages lost to retention, store waits) or None
    (also while a store predates the table: the streaming job adds it when it starts)."""
    try:
        rows = store.select("pipeline_health", {"job": job})
    except StoreUnavailable:
        return None
    return None if rows.empty else rows.iloc[0].to_dict()


BACKLOG_SHOWN = 10_000  # messages behind the end of the topic before the live page mentions it


def health_notes(status_row: dict | None, health_row: dict | None) -> list[str]:
    """What the live page adds to the stream status: the job waiting for the store, messages that
    expired in Kafka before the job read them (never silent), a catch-up backlog."""
    notes = []
    if health_row:
        state = str(health_row.get("state") or "")
        if state.startswith("waiting"):
            notes.append(state.split(" (")[0])
        lost = health_row.get("offsets_lost")
        if lost is not None and not pd.isna(lost) and int(lost) > 0:
            notes.append(f"{int(lost):,} message(s) expired in Kafka before they were read")
    lag = (status_row or {}).get("lag_messages")
    if lag is not None and not pd.isna(lag) and int(lag) >= BACKLOG_SHOWN:
        notes.append(f"catching up: {int(lag):,} message(s) behind")
    return notes


JOB = "live"  # the streaming job's default name (python -m pipeline stream --job)
STALLED_AFTER_S = 60


def ny_naive(ts) -> datetime | None:
    """A stored instant as naive New York time. Stores hold instants: SQLite gives them back aware,
    the Cassandra driver as naive UTC."""
    if ts is None or pd.isna(ts):
        return None
    ts = pd.Timestamp(ts)
    if ts.tzinfo is None:
        ts = ts.tz_localize("UTC")
    return ts.tz_convert(NY).tz_localize(None).to_pydatetime()


def stream_status(status_row: dict | None, health_row: dict | None, now: datetime) -> tuple[datetime | None, str]:
    """(when the newest processed event was produced, status) from the streaming job's status and
    health rows (waiting for the store, messages expired in Kafka, a catch-up backlog); `now` naive
    New York time."""
    if status_row is None:
        return None, "stream not started"
    last_batch = ny_naive(status_row["last_batch_time"])
    if last_batch is None:
        return ny_naive(status_row["last_produced_at"]), "unknown"
    idle = (now - last_batch).total_seconds()
    state = "running" if idle < STALLED_AFTER_S else f"no batch for {idle:.0f} s"
    notes = health_notes(status_row, health_row)
    return ny_naive(status_row["last_produced_at"]), " · ".join([state, *notes])


class LastHour(NamedTuple):
    """The live page's reads at one moment; times naive New York (a tuple, so caches can size it)."""
    minutes: pd.DataFrame   # [minute, borough, count]
    by_type: pd.DataFrame   # [borough, complaint_type, count]
    zips: pd.DataFrame      # [zip, count], named ZIPs with requests, largest first
    feed: pd.DataFrame      # the recent_events columns, newest first
    latest: datetime | None
    status: str


class LiveAPI:
    """The live reads over one store."""

    def __init__(self, store: Store):
        self.store = store

    def stream_status(self, now: datetime, job: str = JOB) -> tuple[datetime | None, str]:
        """stream_status() of the job's rows; `now` naive New York time."""
        return stream_status(status(self.store, job), health(self.store, job), now)

    def last_hour(self, now: datetime, feed_length: int = 20, job: str = JOB) -> LastHour:
        """The 60 minutes ending at `now` (naive New York time), the feed and the stream's status."""
        aware = now.replace(tzinfo=NY)
        minutes = last_hour_by_borough(self.store, aware).rename(columns={"period": "minute"})
        zips = last_hour_by_zip(self.store, aware)
        zips = zips[(zips["zip"] != UNSPECIFIED) & (zips["count"] > 0)].reset_index(drop=True)
        feed = recent_events(self.store, feed_length, aware, lookback_minutes=60)
        feed["created_at"] = [ny_naive(t) for t in feed["created_at"]]
        latest, state = self.stream_status(now, job)
        return LastHour(minutes, last_hour_by_type(self.store, aware), zips, feed, latest, state)
