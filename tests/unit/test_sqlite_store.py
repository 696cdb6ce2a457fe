"""The embedded SQLite store: schema files, period replacement, TTL, aggregation, threads."""
from __future__ import annotations

import threading
import time

import pandas as pd
import pytest

from pipeline.rollups.tables import ROLLUPS
from pipeline.stores import StoreUnavailable, ddl, open_store
from pipeline.stores.sqlite import sqlite_path

pytestmark = pytest.mark.unit


def req_rows(grain: str, items: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """requests rows from (period, borough, complaint_type, n); agency NYPD."""
    from pipeline.rollups.tables import bucket_of
    return pd.DataFrame([{"grain": grain, "bucket": bucket_of(grain, p), "period": p, "borough": b,
                          "complaint_type": t, "agency": "NYPD", "n": n} for p, b, t, n in items],
                        columns=list(ROLLUPS["requests"].columns))


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def test_schema_files_hold_exactly_the_tables_of_tables_py():
    for dialect in ("cql", "sqlite"):
        missing = ddl.missing_statements(dialect)
        assert not missing, (f"config/{dialect} lags pipeline/rollups/tables.py: run `python -m pipeline schema --write-ddl` "
                             f"and commit the new file ({len(missing)} statements missing)")
        have = ddl.live_statements(dialect).values()  # every CREATE not dropped by a later file
        assert sorted(have) == sorted(ddl.normalise(s) for s in ddl.rendered(dialect))
    assert ddl.latest_version("cql") == ddl.latest_version("sqlite") >= 1


def test_cql_keys_partition_by_grain_and_bucket():
    cql = ddl.cql_create(ddl.all_specs()["zips"])
    assert "PRIMARY KEY ((grain, bucket), period, zip, borough, complaint_type, agency)" in cql


def test_schema_version_recorded_and_idempotent(store):
    assert store.schema_version() == ddl.latest_version("sqlite")
    store.ensure_schema()
    assert store.schema_version() == ddl.latest_version("sqlite")


def test_schema_version_none_before_schema(tmp_path):
    assert open_store(f"sqlite:///{tmp_path}/empty.db").schema_version() is None


def test_relative_path_is_under_project_root():
    from pipeline.settings import ROOT
    assert sqlite_path("sqlite:///var/rollups.db") == str(ROOT / "var" / "rollups.db")
    assert sqlite_path("sqlite:////tmp/x.db") == "/tmp/x.db"


def test_replace_periods_replaces_and_is_idempotent(store):
    rows = req_rows("day", [("2024-03-01", "Bronx", "Noise", 3), ("2024-03-01", "Queens", "Heat", 2),
                            ("2024-03-02", "Bronx", "Noise", 5)])
    for _ in range(2):
        assert store.replace_periods("requests", "day", ["2024-03-01", "2024-03-02"], rows) == 3
    got = store.aggregate("requests", "day", "2024-03-01", "2024-03-31", ["period"])
    assert got.to_dict("records") == [{"period": "2024-03-01", "n": 5}, {"period": "2024-03-02", "n": 5}]
    # a recount without Queens removes the stale row; other periods are untouched
    store.replace_periods("requests", "day", ["2024-03-01"], req_rows("day", [("2024-03-01", "Bronx", "Noise", 4)]))
    got = store.aggregate("requests", "day", "2024-03-01", "2024-03-02", ["period", "borough"])
    assert got.to_dict("records") == [{"period": "2024-03-01", "borough": "Bronx", "n": 4},
                                      {"period": "2024-03-02", "borough": "Bronx", "n": 5}]
    # an empty recount clears the period
    store.replace_periods("requests", "day", ["2024-03-02"], req_rows("day", []))
    assert store.aggregate("requests", "day", "2024-03-02", "2024-03-02", []).empty


def test_the_write_ahead_log_shrinks_back_after_a_big_load(tmp_path, monkeypatch):
    """A load's big transactions grow the log; the next write after a checkpoint cuts it to the limit."""
    from pipeline.stores import sqlite as sqlite_module
    monkeypatch.setattr(sqlite_module, "WAL_LIMIT_BYTES", 256 * 1024)
    store = open_store(f"sqlite:///{tmp_path}/big.db")
    store.ensure_schema()
    try:
        days = [f"2024-03-{d:02d}" for d in range(1, 32)]
        rows = req_rows("day", [(p, b, f"Type {t:03d}", 1) for p in days for b in ("Bronx", "Queens") for t in range(300)])
        store.replace_periods("requests", "day", days, rows)  # ~18,600 rows in one transaction
        wal = tmp_path / "big.db-wal"
        assert wal.stat().st_size > 1024 * 1024  # the load's transaction, past the limit
        store._conn().execute("PRAGMA wal_checkpoint(PASSIVE)")  # as SQLite does by itself past 1,000 pages
        assert wal.stat().st_size > 1024 * 1024  # a checkpoint alone leaves the file as it was
        store.set_meta("after", "load")
        assert wal.stat().st_size <= 256 * 1024
        assert int(store.aggregate("requests", "day", days[0], days[-1], [])["n"].iloc[0]) == len(rows)
    finally:
        store.close()


def test_replace_periods_rejects_rows_outside_periods_before_deleting(store):
    store.replace_periods("requests", "day", ["2024-03-01"], req_rows("day", [("2024-03-01", "Bronx", "Noise", 1)]))
    with pytest.raises(ValueError, match="not among the periods"):
        store.replace_periods("requests", "day", ["2024-03-01"], req_rows("day", [("2024-03-02", "Bronx", "Noise", 1)]))
    with pytest.raises(ValueError, match="missing columns"):
        store.replace_periods("requests", "day", ["2024-03-01"], pd.DataFrame({"grain": ["day"]}))
    with pytest.raises(ValueError, match="not a day period"):
        store.replace_periods("requests", "day", ["2024-3-1"], req_rows("day", []))
    assert store.aggregate("requests", "day", "2024-03-01", "2024-03-01", [])["n"].tolist() == [1]


def test_aggregate_filters_groups_and_empty_shape(store):
    store.replace_periods("requests", "month", ["2024-01", "2024-02"], req_rows("month", [
        ("2024-01", "Bronx", "Noise", 3), ("2024-01", "Queens", "Noise", 2), ("2024-02", "Bronx", "Heat", 7)]))
    got = store.aggregate("requests", "month", "2024-01", "2024-02", ["complaint_type"], {"borough": "Bronx"})
    assert got.to_dict("records") == [{"complaint_type": "Heat", "n": 7}, {"complaint_type": "Noise", "n": 3}]
    got = store.aggregate("requests", "month", "2024-01", "2024-12", [], {"borough": ["Bronx", "Queens"]})
    assert got["n"].tolist() == [12] and got["n"].dtype == "int64"
    empty = store.aggregate("requests", "month", "2023-01", "2023-12", ["borough"], {"agency": "DOT"})
    assert list(empty.columns) == ["borough", "n"] and empty.empty
    # the read API's form: the same sums keyed by the values of `by` (each query on its own)
    queries = [("requests", "month", "2024-01", "2024-02", ["complaint_type"], {"borough": "Bronx"}),
               ("requests", "month", "2024-01", "2024-12", [], {"borough": ["Bronx", "Queens"]}),
               ("requests", "month", "2023-01", "2023-12", ["borough"], {"agency": "DOT"}),
               ("requests", "month", "2024-01", "2024-02", ["period", "borough"], None)]
    assert store.sums_many(queries) == [{("Heat",): [7], ("Noise",): [3]}, {(): [12]}, {},
                                        {("2024-01", "Bronx"): [3], ("2024-01", "Queens"): [2], ("2024-02", "Bronx"): [7]}]
    with pytest.raises(ValueError, match="cannot group or filter"):
        store.aggregate("requests", "month", "2024-01", "2024-02", ["zip"])
    with pytest.raises(ValueError, match="not a rollup table"):
        store.aggregate("nope", "month", "2024-01", "2024-02", [])


def test_filter_values_are_parameters_not_sql(store):
    store.replace_periods("requests", "month", ["2024-01"], req_rows("month", [("2024-01", "Bronx", "Noise", 3)]))
    got = store.aggregate("requests", "month", "2024-01", "2024-01", [], {"borough": "x' OR '1'='1"})
    assert got.empty


def test_upsert_with_ttl_expires_and_overwrites(store):
    rows = req_rows("minute", [("2024-03-01T10:00", "Bronx", "Noise", 1)])
    store.upsert("live_requests", rows, ttl_seconds=1)
    store.upsert("live_requests", rows.assign(n=4), ttl_seconds=1)  # same key: overwrite, not add
    assert store.aggregate("live_requests", "minute", "2024-03-01T10:00", "2024-03-01T10:59", [])["n"].tolist() == [4]
    time.sleep(1.2)
    assert store.aggregate("live_requests", "minute", "2024-03-01T10:00", "2024-03-01T10:59", []).empty
    store.upsert("live_requests", rows)  # no TTL: stays
    assert store.aggregate("live_requests", "minute", "2024-03-01T00:00", "2024-03-01T23:59", [])["n"].tolist() == [1]


def test_meta_buckets_select_and_ping(store):
    assert store.get_meta("freshness") is None
    store.set_meta("freshness", "2024-03-01T10:00:00")
    assert store.get_meta("freshness") == "2024-03-01T10:00:00"
    assert store.get_metas(["freshness", "never-set", "freshness"]) == {"freshness": "2024-03-01T10:00:00"}
    assert store.get_metas([]) == {}
    assert store.select("meta", {"key": "freshness"})["value"].tolist() == ["2024-03-01T10:00:00"]
    store.replace_periods("requests", "day", ["2024-03-01", "2024-05-02"], req_rows("day", [
        ("2024-03-01", "Bronx", "Noise", 1), ("2024-05-02", "Bronx", "Noise", 1)]))
    assert store.buckets("requests", "day") == ["2024-03", "2024-05"]
    store.ping()


def test_missing_tables_raise_store_unavailable(tmp_path):
    with pytest.raises(StoreUnavailable, match="schema"):
        open_store(f"sqlite:///{tmp_path}/none.db").aggregate("requests", "day", "2024-01-01", "2024-01-02", [])


def test_readers_in_threads_while_a_writer_replaces(store):
    days = [f"2024-03-{d:02d}" for d in range(1, 29)]
    store.replace_periods("requests", "day", days, req_rows("day", [(d, "Bronx", "Noise", 1) for d in days]))
    errors, totals = [], []

    def read():
        try:
            for _ in range(30):
                totals.append(int(store.aggregate("requests", "day", days[0], days[-1], [])["n"].sum()))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for _ in range(10):
        store.replace_periods("requests", "day", days, req_rows("day", [(d, "Bronx", "Noise", 1) for d in days]))
    for t in threads:
        t.join()
    assert not errors and set(totals) == {28}  # each reader sees a whole replacement, never half of one
