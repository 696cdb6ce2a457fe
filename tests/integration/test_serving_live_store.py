"""The live page's reads (pipeline/read/live.py LiveAPI, as app/live_view shows them) over SQLite and the real Cassandra: the last hour by
minute, borough x type, ZIP, the newest requests and the stream status, each equal to a recount
of the events written the way the streaming job writes them."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest

from app import live_view as view
from bench.web import random_events, write
from pipeline.read.live import LiveAPI
from pipeline.stores import open_store

pytestmark = pytest.mark.integration
UTC = ZoneInfo("UTC")
NY = ZoneInfo("America/New_York")


@pytest.fixture(params=["sqlite", "cassandra"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/rollups.db"
    else:
        u = urlparse(request.getfixturevalue("cassandra_url"))
        url = f"cassandra://{u.netloc}/nyc311_serving_test"
    s = open_store(url)
    s.ensure_schema()
    yield s
    s.close()


def test_last_hour_equals_a_recount(store):
    # a moment of its own (rows of earlier runs in the same keyspace are at other minutes)
    rng = random.Random()
    now = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(minutes=rng.randrange(300_000), seconds=30)
    events = random_events(120, now - timedelta(minutes=75), now, rng, f"r{rng.randrange(10**9)}-")
    write(store, events, now)
    ny_now = now.astimezone(NY).replace(tzinfo=None)
    snap = view.snapshot(LiveAPI(store).last_hour(ny_now, view.FEED_LENGTH), ny_now)

    start = now.replace(second=0) - timedelta(minutes=59)
    inside = events[events["created_at"] >= start]
    assert snap.minutes["count"].sum() == len(inside) > 0
    per_borough = inside.groupby("borough").size().to_dict()
    assert snap.minutes.groupby("borough")["count"].sum().to_dict() == per_borough
    per_type = inside.groupby(["borough", "complaint_type"]).size()
    got = snap.by_type.set_index(["borough", "complaint_type"])["count"]
    assert got.sort_index().to_dict() == per_type.sort_index().to_dict()
    assert snap.zips.set_index("zip")["count"].to_dict() == inside.groupby("zip").size().to_dict()

    newest = events.sort_values(["created_at", "unique_key"], ascending=False).head(20)
    assert list(snap.feed["unique_key"]) == list(newest["unique_key"])
    assert snap.feed["created_at"].iloc[0] == newest["created_at"].iloc[0].astimezone(NY).replace(tzinfo=None)
    assert snap.latest == now.astimezone(NY).replace(tzinfo=None)
    assert snap.status == "running"
