"""The read API fills a series from its sums in Python: the same frames as the pandas path it replaced."""
from __future__ import annotations

import threading
from datetime import date

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.read.api import Filters, ReadAPI
from pipeline.read.plan import OTHER, fill_series, series_frame
from tests.support.rollup_fixtures import make_requests, sqlite_read_api

pytestmark = pytest.mark.unit


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from(["Bronx", "Queens", "Manhattan", "Other"]),
                          st.integers(1, 50)), max_size=30),
       st.integers(0, 6), st.sampled_from([None, (), ("Queens",), ("Bronx", "Staten Island")]))
def test_series_frame_equals_fill_series(cells, periods_shown, among):
    """The read API fills a series from its sums in Python (series_frame) where it built a frame and
    reindexed it (fill_series): the same frame, with and without a split, named groups or not."""
    periods = [f"2024-01-{d:02d}" for d in range(1, periods_shown + 1)]
    sums: dict[tuple, list[int]] = {}
    for day, borough, n in cells:
        if among is None or borough in among:
            sums.setdefault((f"2024-01-{day + 1:02d}", borough), [0])[0] += n
    frame = pd.DataFrame([(p, b, v[0]) for (p, b), v in sorted(sums.items())], columns=["period", "borough", "count"])
    pd.testing.assert_frame_equal(series_frame(sums, periods, "borough", among),
                                  fill_series(frame, periods, "borough", among=among))
    whole = {(p,): [sum(v[0] for (q, _), v in sums.items() if q == p)] for p, _ in sums}
    pd.testing.assert_frame_equal(series_frame(whole, periods, None),
                                  fill_series(frame.groupby("period", as_index=False)["count"].sum(), periods, None))


def test_a_top_series_reads_the_whole_series_beside_the_groups_totals(tmp_path):
    """The whole series (for 'Other') is read in a worker thread while the groups' totals are: one round
    trip less for a cold query. The worker answers with the query's own plan values (one meta read), the
    answer equals the one read in turn, and with the cache on the whole series is kept for the next ask."""
    api = sqlite_read_api(make_requests(), tmp_path)
    f = Filters(start=date(2024, 1, 20), end=date(2024, 3, 10))
    store, seen = api.store, []
    real_sums, real_metas = store.sums_many, store.get_metas
    store.sums_many = lambda queries: seen.append((threading.current_thread().name, queries[0][4])) or real_sums(queries)
    store.get_metas = lambda keys: seen.append(("meta", keys)) or real_metas(keys)
    got = api.timeseries(f, "week", "complaint_type", 2)
    assert [name for name, _ in seen].count("meta") == 1
    whole = [name for name, keys in seen if name != "meta" and keys == ["period"]]
    assert len(whole) == 1 and whole[0].startswith("read-prefetch")
    every = api.timeseries(f, "week", "complaint_type")
    other = every[~every["complaint_type"].isin(set(got["complaint_type"]) - {OTHER})].groupby("period")["count"].sum()
    assert got[got["complaint_type"] == OTHER].set_index("period")["count"].to_dict() == other.to_dict()
    cached = ReadAPI(store, cache=True)
    cached.timeseries(f, "week", "complaint_type", 2)
    seen.clear()
    cached.timeseries(f, "week")
    assert seen == []
