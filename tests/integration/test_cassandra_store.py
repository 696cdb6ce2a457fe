"""The Cassandra store against the real server (own keyspace): schema and version, period
replacement, TTL, meta, extra tables, errors, and use after fork (gunicorn workers)."""
from __future__ import annotations

import multiprocessing
import time
from urllib.parse import urlparse

import pandas as pd
import pytest

from pipeline.rollups.tables import ROLLUPS, bucket_of
from pipeline.stores import StoreUnavailable, ddl, open_store

pytestmark = pytest.mark.integration


def store_url(cassandra_url: str, keyspace: str) -> str:
    u = urlparse(cassandra_url)
    return f"cassandra://{u.netloc}/{keyspace}"


@pytest.fixture(scope="module")
def store(cassandra_url):
    s = open_store(store_url(cassandra_url, "nyc311_store_test"))
    s.ensure_schema()
    yield s
    s.close()


def req_rows(grain: str, items) -> pd.DataFrame:
    return pd.DataFrame([{"grain": grain, "bucket": bucket_of(grain, p), "period": p, "borough": b,
                          "complaint_type": t, "agency": "NYPD", "n": n} for p, b, t, n in items],
                        columns=list(ROLLUPS["requests"].columns))


def test_schema_created_with_version(store):
    assert store.schema_version() == ddl.latest_version("cql")
    store.ensure_schema()  # idempotent
    assert store.schema_version() == ddl.latest_version("cql")
    store.ping()


def test_replace_periods_is_idempotent_and_removes_stale_rows(store):
    periods = ["2019-12-31", "2020-01-01"]
    rows = req_rows("day", [("2019-12-31", "Bronx", "Noise", 3), ("2019-12-31", "Queens", "Heat", 2),
                            ("2020-01-01", "Bronx", "Noise", 5)])
    for _ in range(2):
        assert store.replace_periods("requests", "day", periods, rows) == 3
        got = store.aggregate("requests", "day", "2019-12-01", "2020-01-31", ["period"])
        assert got.to_dict("records") == [{"period": "2019-12-31", "n": 5}, {"period": "2020-01-01", "n": 5}]
    store.replace_periods("requests", "day", ["2019-12-31"], req_rows("day", [("2019-12-31", "Bronx", "Noise", 4)]))
    got = store.aggregate("requests", "day", "2019-12-31", "2020-01-01", ["period", "borough"])
    assert got.to_dict("records") == [{"period": "2019-12-31", "borough": "Bronx", "n": 4},
                                      {"period": "2020-01-01", "borough": "Bronx", "n": 5}]
    got = store.aggregate("requests", "day", "2019-12-31", "2020-01-01", ["complaint_type"], {"borough": ["Bronx"]})
    assert got.to_dict("records") == [{"complaint_type": "Noise", "n": 9}]
    assert {"2019-12", "2020-01"} <= set(store.buckets("requests", "day"))


def _keys(items) -> pd.DataFrame:
    """Keys to delete (replace_keys' `gone`): whole keys (period, borough, type, agency) or a prefix, at day grain."""
    cols = ["period", "borough", "complaint_type", "agency"][:len(items[0])]
    return pd.DataFrame([{"grain": "day", "bucket": bucket_of("day", k[0]), **dict(zip(cols, k, strict=True))} for k in items])


@pytest.mark.parametrize("kind", ["cassandra", "sqlite"])
def test_replace_keys_deletes_then_writes_whole_keys_and_prefixes(store, tmp_path, kind):
    """Store.replace_keys' contract, alike in both stores: every key in `gone` is deleted and then
    `rows` are written, so a key both gone and written ends written. Cassandra batches whole-key
    deletes with the writes of their partition (one timestamp, at which a tombstone would win),
    so it must leave such a key out of the deletes; a prefix's range tombstone lands first."""
    s = store if kind == "cassandra" else open_store(f"sqlite:///{tmp_path}/keys.db")
    s.ensure_schema()
    day, other = "2018-03-05", "2018-03-06"
    s.replace_periods("requests", "day", [day, other], req_rows("day", [
        (day, "Bronx", "Noise", 1), (day, "Bronx", "Heat", 2), (day, "Queens", "Noise", 3), (day, "Queens", "Heat", 4),
        (other, "Bronx", "Noise", 5)]))
    gone = _keys([(day, "Bronx", "Noise", "NYPD"), (day, "Bronx", "Heat", "NYPD")])  # both whole keys; Heat rewritten
    for _ in range(2):  # idempotent
        assert s.replace_keys("requests", "day", req_rows("day", [(day, "Bronx", "Heat", 7)]), gone) == 1
        got = s.aggregate("requests", "day", day, other, ["period", "borough", "complaint_type"])
        assert sorted(map(tuple, got.to_numpy().tolist())) == [
            (day, "Bronx", "Heat", 7), (day, "Queens", "Heat", 4), (day, "Queens", "Noise", 3), (other, "Bronx", "Noise", 5)]
    # a prefix (a period and a borough): its rows go, and the one written under it stays
    s.replace_keys("requests", "day", req_rows("day", [(day, "Queens", "Steam", 9)]), _keys([(day, "Queens")]))
    got = s.aggregate("requests", "day", day, other, ["period", "borough", "complaint_type"])
    assert sorted(map(tuple, got.to_numpy().tolist())) == [
        (day, "Bronx", "Heat", 7), (day, "Queens", "Steam", 9), (other, "Bronx", "Noise", 5)]
    if s is not store:
        s.close()


def test_upsert_ttl_expires(store):
    period = time.strftime("%Y-%m-%dT%H:%M", time.gmtime())
    rows = req_rows("minute", [(period, "Bronx", "Noise", 2)])
    store.upsert("live_requests", rows, ttl_seconds=2)
    store.upsert("live_requests", rows.assign(n=6), ttl_seconds=2)  # same key: overwrite
    assert store.aggregate("live_requests", "minute", period, period, [])["n"].tolist() == [6]
    time.sleep(3)
    assert store.aggregate("live_requests", "minute", period, period, []).empty


def test_meta_and_extra_tables(store):
    store.set_meta("freshness", "2024-01-01T00:00:00")
    assert store.get_meta("freshness") == "2024-01-01T00:00:00"
    assert store.get_meta("never-set") is None
    assert store.get_metas(["freshness", "never-set", "freshness"]) == {"freshness": "2024-01-01T00:00:00"}
    assert store.get_metas([]) == {}
    if "pipeline_status" in ddl.all_specs():
        spec = ddl.all_specs()["pipeline_status"]
        row = {c: None for c in spec.column_names} | {"job": "store-test", "batch_id": 7}
        store.upsert("pipeline_status", pd.DataFrame([row]))
        got = store.select("pipeline_status", {"job": "store-test"})
        assert got["batch_id"].tolist() == [7]


def test_wrong_port_is_store_unavailable(cassandra_url):
    u = urlparse(cassandra_url)
    bad = open_store(f"cassandra://{u.hostname}:1/nyc311_store_test")
    with pytest.raises(StoreUnavailable, match="cannot connect"):
        bad.ping()
    with pytest.raises(StoreUnavailable):
        bad.aggregate("requests", "day", "2020-01-01", "2020-01-02", [])


def test_missing_keyspace_is_store_unavailable(cassandra_url):
    s = open_store(store_url(cassandra_url, "nyc311_store_never_created"))
    assert s.schema_version() is None
    with pytest.raises(StoreUnavailable, match="schema"):
        s.get_meta("x")
    s.close()


def _child_reads(url, queue):
    s = open_store(url)
    queue.put(int(s.aggregate("requests", "day", "2020-01-01", "2020-01-01", [])["n"].sum()))


def test_session_reopens_after_fork(store):
    store.get_meta("freshness")  # the parent holds a live session before forking
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=lambda: (store.get_meta("freshness"), _child_reads(store.url, queue)))
    proc.start()
    proc.join(60)
    assert proc.exitcode == 0 and queue.get(timeout=5) == 5
    assert store.get_meta("freshness") is not None  # parent session still fine
