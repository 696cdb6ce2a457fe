"""Provenance records in the real Cassandra store (own keyspace): loads round-trip through the meta
table, a re-recorded load replaces its earlier version, and the read API the app uses returns them."""
from __future__ import annotations

from urllib.parse import urlparse

import pytest

from pipeline import provenance
from pipeline.read.api import ReadAPI
from pipeline.stores import open_store

pytestmark = pytest.mark.integration


def test_loads_round_trip_in_cassandra(cassandra_url):
    u = urlparse(cassandra_url)
    store = open_store(f"cassandra://{u.netloc}/nyc311_provenance_test")
    try:
        store.ensure_schema()
        store.set_meta(provenance.META_KEY, "[]")
        feed = provenance.make("synthetic", None, "2026-01-01", None, load_id="feed", generator="p", seed=3)
        provenance.record(store, feed)
        provenance.record(store, provenance.make("export", 924, "2022-05-01", "2022-05-01", file="s.csv",
                                                 bytes=461602, sha256="ab" * 32))
        provenance.record(store, provenance.Load(**{**feed.__dict__, "rows": 5, "last_day": "2026-01-02"}))
        got = ReadAPI(store, cache=False).loads()
        assert [(x.kind, x.rows, x.last_day) for x in got] == [("export", 924, "2022-05-01"), ("synthetic", 5, "2026-01-02")]
        assert [x.id for x in provenance.synthetic_in(got, None, None)] == ["feed"]
    finally:
        store.close()
