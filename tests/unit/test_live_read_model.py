"""The live page reads through the read model like every other page (app/data.py): while the store
is down it shows the last good hour, marked stale, and says so; never answered before, a clear
message. Also: the page asks the read model, never a store."""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest

from app import data
from app import live_view as view
from pipeline.read import live as live_read
from pipeline.settings import load
from pipeline.stores import open_store
from pipeline.streams.events import NY

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 2, 1, 0, 30)  # naive New York time, as the page passes it
DOWN = "sqlite:////proc/no-such-dir/rollups.db"  # a store that cannot be opened


@pytest.fixture
def store_url(tmp_path, sqlite_store) -> str:
    """A store whose streaming job reported a micro-batch at NOW (status and health rows)."""
    t = pd.Timestamp(NOW, tz=NY).tz_convert("UTC")
    sqlite_store.upsert("pipeline_status", pd.DataFrame([{
        "job": live_read.JOB, "batch_id": 1, "last_batch_time": t, "last_event_time": t, "last_produced_at": t,
        "batch_rows": 1, "input_rate": 1.0, "lag_messages": 0, "seconds_behind": 0.0, "malformed_batch": 0,
        "malformed_total": 0, "requests_tracked": 1}]))
    return f"sqlite:///{tmp_path}/rollups.db"


def test_a_live_read_falls_back_to_the_last_good_answer(store_url):
    model = data.ReadModel(store_url)
    good = model.ask_live("last_hour", NOW)
    assert good.stale_since is None and good.value.status == "running"
    model.store_url = DOWN
    model._forget_store()
    stale = model.ask_live("last_hour", NOW + timedelta(seconds=5))  # a later moment: same last good answer
    assert stale.stale_since is not None and stale.value is good.value
    with pytest.raises(data.DataUnavailable):
        data.ReadModel(DOWN).ask_live("last_hour", NOW)  # never answered: a clear message instead
    model.store_url = store_url
    assert model.ask_live("last_hour", NOW).stale_since is None  # next call simply works again


def test_a_store_that_fails_once_is_reopened_before_falling_back(store_url):
    """A node that just died fails the first query over its old connections: the read model opens
    the store again and asks once more, so the page shows fresh data, not a stale notice."""
    opened = []

    def opener(url):
        opened.append(url)
        return open_store(url)

    model = data.ReadModel(store_url, opener=opener)
    assert model.ask_live("last_hour", NOW).stale_since is None
    store = model.api().store

    def broken(*args, **kwargs):
        raise ConnectionError("connection to the dead node reset")
    store.aggregate = broken
    assert model.ask_live("last_hour", NOW + timedelta(seconds=1)).stale_since is None
    assert len(opened) == 2 and model.api().store is not store

    down = data.ReadModel(DOWN, opener=opener)  # a store that cannot be opened: no second try
    with pytest.raises(data.DataUnavailable):
        down.ask_live("last_hour", NOW)
    assert len(opened) == 3


def test_the_live_page_says_its_data_is_stale(store_url):
    from app.pages import live
    model = data.configure(load({"NYC311_STORE_URL": store_url}))
    assert live.read_snapshot(NOW).status == "running"
    model.store_url = DOWN
    model._forget_store()
    snap = live.read_snapshot(NOW + timedelta(seconds=5))
    assert re.fullmatch(r"store unavailable: showing the data read at \d\d:\d\d:\d\d", snap.status)
    assert view.Prepared(snap).fresh["status"] == snap.status  # what the freshness line shows


def test_no_page_or_app_module_reads_a_store_directly():
    app_dir = Path(__file__).resolve().parents[2] / "app"
    direct = re.compile(r"\.store\b|store\.(aggregate|select|upsert|ping)\(|open_store|live_read\.")
    hits = [f"{p.relative_to(app_dir)}:{i}: {line.strip()}" for p in sorted(app_dir.rglob("*.py"))
            if p.name != "data.py"  # the read model itself
            for i, line in enumerate(p.read_text().splitlines(), 1) if direct.search(line)]
    assert not hits, "read through app/data.py's read model:\n" + "\n".join(hits)
