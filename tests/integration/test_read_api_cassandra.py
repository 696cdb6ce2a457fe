"""The read API gives the same answers over Cassandra as over SQLite on the same rollup rows (and
both equal a recount of the requests those rows were built from)."""
from __future__ import annotations

from datetime import date
from urllib.parse import urlparse

import pandas as pd
import pytest

from pipeline.read.api import Filters, ReadAPI
from pipeline.rollups import running_counts
from pipeline.stores import open_store
from pipeline.stores import rows as rowlib
from tests.support.rollup_fixtures import load, make_requests

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def apis(cassandra_url, tmp_path_factory):
    reqs = make_requests(seed=11, n=1200)
    u = urlparse(cassandra_url)
    cass = open_store(f"cassandra://{u.netloc}/nyc311_readapi_test")
    lite = open_store(f"sqlite:///{tmp_path_factory.mktemp('eq')}/rollups.db")
    for s in (cass, lite):
        s.ensure_schema()
        load(s, reqs)
        running_counts.write(s, [])  # ytd rows of 2024: ranges of whole months read them (no closed year)
    yield ReadAPI(cass, cache=False), ReadAPI(lite, cache=False), reqs
    cass.close()


def same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False)


@pytest.mark.parametrize("call", [
    lambda api: api.counts("borough", Filters(start=date(2024, 1, 25), end=date(2024, 3, 17))),
    lambda api: api.counts("zip", Filters(complaint_type="HEAT/HOT WATER")),
    lambda api: api.counts("day", Filters(start=date(2024, 3, 8), end=date(2024, 3, 12), borough="Bronx")),
    lambda api: api.timeseries(Filters(), "week", split_by="complaint_type", top=2),
    lambda api: api.timeseries(Filters(start=date(2024, 1, 20)), "month", split_by="zip", among=("10027", "11211", "99999")),
    lambda api: api.timeseries(Filters(start=date(2024, 2, 1), end=date(2024, 11, 3)), "month"),
    lambda api: api.top_areas("zip", Filters(agency="NYPD"), per_capita=True),
    lambda api: api.top_areas("community_district", Filters(start=date(2024, 2, 15))),
    lambda api: api.resolution("complaint_type", Filters()),
    lambda api: api.resolution("agency", Filters(start=date(2024, 2, 1), end=date(2024, 10, 31))),  # ytd(10) - ytd(1)
    lambda api: api.status_mix(Filters(borough="Manhattan"), by="complaint_type"),
    lambda api: api.timeliness(Filters(), by="borough"),
    lambda api: api.hour_of_week_baseline(weeks=4, end=date(2024, 4, 7)),
    lambda api: api.hour_of_week_baseline(weeks=4, end=date(2024, 4, 7), hows=(167, 0)),
    # lists on a dim that is not leading: one statement per value (SPLIT_LIST), and beyond it filtered here
    lambda api: api.timeseries(Filters(start=date(2024, 2, 10)), "month", split_by="agency", among=("NYPD", "HPD")),
    lambda api: api.timeseries(Filters(), "week", split_by="agency", among=("NYPD", "HPD", "DOT", "DSNY", "DEP", "X")),
    lambda api: api.vocabulary("agency"),
    lambda api: api.counts("descriptor", Filters(complaint_type="Noise - Residential")),
    lambda api: api.counts("borough", Filters(descriptor="Loud Music/Party", start=date(2024, 2, 3))),
    lambda api: api.timeseries(Filters(descriptor="ENTIRE BUILDING", borough="Bronx"), "week"),
    lambda api: api.top_areas("community_district", Filters(descriptor="Pothole")),
])
def test_same_answers_as_sqlite(apis, call):
    cass, lite, _ = apis
    same(call(cass), call(lite))


def test_bounds_and_counts_equal_recount(apis):
    cass, _, reqs = apis
    assert cass.date_bounds() == (reqs["created"].min().date(), reqs["created"].max().date())
    got = cass.counts("complaint_type")
    assert dict(zip(got["complaint_type"], got["count"], strict=True)) == reqs.groupby("complaint_type").size().to_dict()


def test_descriptor_counts_equal_recount(apis):
    cass, _, reqs = apis
    got = cass.counts("descriptor", Filters(complaint_type="Street Condition"))
    want = reqs[reqs["complaint_type"] == "Street Condition"].groupby("descriptor").size().to_dict()
    assert dict(zip(got["descriptor"], got["count"], strict=True)) == want
    got = cass.counts("borough", Filters(descriptor="Loud Music/Party"))
    want = reqs[reqs["descriptor"] == "Loud Music/Party"].groupby("borough").size().to_dict()
    assert dict(zip(got["borough"], got["count"], strict=True)) == want


def test_client_side_sums_give_the_same_answers(apis):
    cass, lite, _ = apis
    cass.store.server_group_by = False
    try:
        f = Filters(start=date(2024, 1, 25), end=date(2024, 3, 17), borough="Bronx")
        same(cass.counts("zip", f), lite.counts("zip", f))
        same(cass.resolution("agency", f), lite.resolution("agency", f))
    finally:
        cass.store.server_group_by = True


def test_many_aggregates_at_once_equal_each_alone(apis):
    """aggregate_many sends every statement of every query in one round; each answer is still its own."""
    cass = apis[0].store
    queries = [("boroughs", "day", "2024-01-25", "2024-03-17", ["borough"], None),
               ("resolution_agencies", "ytd", "2024-10", "2024-10", ["agency", "res_bin"], None),
               ("resolution_agencies", "ytd", "2024-01", "2024-01", ["agency", "res_bin"], {"agency": "NYPD"}),
               ("requests", "month", "2024-01", "2024-11", ["period", "agency"], {"agency": ["NYPD", "HPD"]}),
               ("hours_of_week", "day", "2024-03-04", "2024-03-10", ["how"], {"how": [0, 1, 2, 3, 4, 5]})]
    together = cass.aggregate_many(queries)
    assert len(together) == len(queries) and all(len(frame) for frame in together)
    for query, frame in zip(queries, together, strict=True):
        same(frame, cass.aggregate(*query))
        same(frame, apis[1].store.aggregate(*query))
    # the read API's form of the same answers: {values of by: [measures]}, equal across the stores
    sums = cass.sums_many(queries)
    assert sums == apis[1].store.sums_many(queries) and all(sums)
    for query, frame, got in zip(queries, together, sums, strict=True):
        same(rowlib.frame_of(got, query[4], [c for c in frame.columns if c not in query[4]]), frame)
