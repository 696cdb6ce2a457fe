"""Cassandra aggregates whose filters fix the leading dimensions name their periods (`period IN ?`)
and seek clustering slices: the sums must equal those of plain rows filtered in pandas."""
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


@pytest.mark.parametrize("table, grain, start, end, by, filters", [
    ("requests", "day", "2024-01-25", "2024-03-03", ["period", "complaint_type"], {"borough": "Bronx"}),
    ("requests", "month", "2024-01", "2024-11", ["agency"], {"borough": "Brooklyn", "complaint_type": "HEAT/HOT WATER"}),
    ("requests", "month", "2024-01", "2024-11", ["complaint_type"], {"borough": "Brooklyn", "agency": "NYPD"}),
    ("type_zips", "day", "2024-02-27", "2024-04-02", ["zip", "borough"], {"complaint_type": "Street Condition"}),
    ("resolution_boroughs", "month", "2024-02", "2024-03", ["res_bin"], {"borough": "Manhattan"}),
    ("zips", "month", "2024-01", "2024-04", ["borough"], {"zip": ["10027", "11211"]}),
])
def test_seeking_filtered_prefixes_sums_like_plain_rows(store, table, grain, start, end, by, filters):
    seek = store.aggregate(table, grain, start, end, by, filters)
    store.server_group_by = False
    try:
        plain = store.aggregate(table, grain, start, end, by, filters)
    finally:
        store.server_group_by = True
    assert not plain.empty
    pd.testing.assert_frame_equal(seek, plain, check_dtype=False)
