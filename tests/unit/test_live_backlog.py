"""The live page says the stream is catching up while a backlog lasts (issue 9, bounded catch-up).

Why through the store: the note comes from the job's status row (lag_messages, written every
micro-batch) through the live reads (pipeline/read/live.py LiveAPI) into what the page's freshness line shows, so the test
writes the rows the job writes and reads what the page would send."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest

from app import live_view as view
from pipeline.read import live as live_read
from pipeline.streams.events import NY

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 2, 1, 0, 30)  # naive New York time, as the page passes it


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def _job_rows(store, lag: int | None, state: str = "running") -> None:
    """The status and health rows the streaming job writes after a micro-batch (pipeline/stream/sink.py)."""
    t = pd.Timestamp(NOW, tz=NY).tz_convert("UTC")
    store.upsert("pipeline_status", pd.DataFrame([{
        "job": live_read.JOB, "batch_id": 7, "last_batch_time": t, "last_event_time": t - pd.Timedelta(minutes=50),
        "last_produced_at": t - pd.Timedelta(minutes=50), "batch_rows": 20000, "input_rate": 2500.0,
        "lag_messages": lag, "seconds_behind": 3000.0, "malformed_batch": 0, "malformed_total": 0,
        "requests_tracked": 140000}]))
    store.upsert("pipeline_health", pd.DataFrame([{"job": live_read.JOB, "state": state, "state_since": t,
                                                  "offsets_lost": 0, "store_waits": 0}]))


def _shown(store) -> str:
    """The status the live page's freshness line shows (assets/live.js appends it)."""
    return view.Prepared(view.snapshot(live_read.LiveAPI(store).last_hour(NOW), NOW)).fresh["status"]


def test_backlog_is_shown_while_it_lasts(store):
    _job_rows(store, 6_480_000)  # 54 minutes of a 2,000 events/s feed still in Kafka
    assert _shown(store) == "running · catching up: 6,480,000 message(s) behind"
    _job_rows(store, 20_000)
    assert _shown(store) == "running · catching up: 20,000 message(s) behind"
    _job_rows(store, 0)  # caught up: the note goes away
    assert _shown(store) == "running"


def test_a_small_lag_is_normal_not_a_backlog(store):
    _job_rows(store, live_read.BACKLOG_SHOWN - 1)
    assert _shown(store) == "running"
    _job_rows(store, None)  # spool stream: no lag known
    assert _shown(store) == "running"


def test_backlog_and_store_wait_are_both_said(store):
    _job_rows(store, 1_000_000, state="waiting for the store (connection refused)")
    assert _shown(store) == "running · waiting for the store · catching up: 1,000,000 message(s) behind"
