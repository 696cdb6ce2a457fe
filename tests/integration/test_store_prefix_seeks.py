"""Aggregates whose filters fix the leading dimensions (a value or a list) name their periods and seek
key slices, in Cassandra (`period IN ? AND dim IN ?`) and SQLite (`bucket IN (..) AND period IN (..)`, one query
for every partition or one per partition):
the sums must equal those of plain rows filtered in pandas (Cassandra) or of a range scan (SQLite)."""
from __future__ import annotations

from urllib.parse import urlparse

import pandas as pd
import pytest

from pipeline.stores import open_store
from tests.support.rollup_fixtures import load, make_requests

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def store(cassandra_url):
    u = urlparse(cassandra_url)
    s = open_store(f"cassandra://{u.netloc}/nyc311_prefix_test")
    s.ensure_schema()
    load(s, make_requests(seed=5, n=800))
    yield s
    s.close()


CASES = [
    ("requests", "day", "2024-01-25", "2024-03-03", ["period", "complaint_type"], {"borough": "Bronx"}),
    ("requests", "month", "2024-01", "2024-11", ["agency"], {"borough": "Brooklyn", "complaint_type": "HEAT/HOT WATER"}),
    ("requests", "month", "2024-01", "2024-11", ["complaint_type"], {"borough": "Brooklyn", "agency": "NYPD"}),
    ("type_zips", "day", "2024-02-27", "2024-04-02", ["zip", "borough"], {"complaint_type": "Street Condition"}),
    ("resolution_boroughs", "month", "2024-02", "2024-03", ["res_bin"], {"borough": "Manhattan"}),
    ("zips", "month", "2024-01", "2024-04", ["borough"], {"zip": ["10027", "11211"]}),
    # a list on the leading dim is a set of slices too (the hotspot lookups: address IN ?)
    ("requests", "month", "2024-01", "2024-11", ["complaint_type"], {"borough": ["Bronx", "Queens"]}),
    ("requests", "day", "2024-01-25", "2024-03-03", ["period", "agency"],
     {"borough": ["Bronx", "Brooklyn"], "complaint_type": ["HEAT/HOT WATER", "Noise - Residential"]}),
    ("type_zips", "month", "2024-01", "2024-11", ["zip"], {"complaint_type": ["Street Condition", "HEAT/HOT WATER"]}),
    # the live baseline's two hours of a day: hours_of_week leads with the hour of the week
    ("hours_of_week", "day", "2024-02-01", "2024-03-31", ["borough", "complaint_type", "how"], {"how": [61, 62]}),
    ("hours_of_week", "day", "2024-02-01", "2024-03-31", ["period", "how"], {"how": [167, 0, 1]}),
]
CASE_IDS = [f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("table, grain, start, end, by, filters", CASES, ids=CASE_IDS)
def test_seeking_filtered_prefixes_sums_like_plain_rows(store, table, grain, start, end, by, filters):
    seek = store.aggregate(table, grain, start, end, by, filters)
    store.server_group_by = False
    try:
        plain = store.aggregate(table, grain, start, end, by, filters)
    finally:
        store.server_group_by = True
    assert not plain.empty
    pd.testing.assert_frame_equal(seek, plain, check_dtype=False)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    s = open_store(f"sqlite:///{tmp_path_factory.mktemp('seek')}/rollups.db")
    s.ensure_schema()
    load(s, make_requests(seed=5, n=800))
    yield s
    s.close()


@pytest.mark.parametrize("table, grain, start, end, by, filters", CASES, ids=CASE_IDS)
def test_sqlite_seeks_sum_like_a_range_scan(sqlite_store, table, grain, start, end, by, filters):
    seek = sqlite_store.aggregate(table, grain, start, end, by, filters)  # one query for every partition
    sqlite_store.one_query_probes = 0  # this real store, one seeking query per partition
    try:
        per_partition = sqlite_store.aggregate(table, grain, start, end, by, filters)
    finally:
        del sqlite_store.one_query_probes  # back to the class's limit
    sqlite_store.seek_periods = 0  # this real store, every query a range scan
    try:
        scan = sqlite_store.aggregate(table, grain, start, end, by, filters)
    finally:
        del sqlite_store.seek_periods  # back to the class's limit
    assert not scan.empty
    pd.testing.assert_frame_equal(seek, scan, check_dtype=False)
    pd.testing.assert_frame_equal(per_partition, scan, check_dtype=False)
