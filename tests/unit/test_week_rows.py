"""Week rows (pipeline/rollups/tables.py WEEK_GRAINS): a week piece is the days of one week inside one
month; the read API plans a week series as whole pieces plus day rows at the ragged edges, and gives
the same series, equal to a recount, whether the store has week rows or not; a store loaded before them
gets them from its own day rows (pipeline/rollups/backfill.py fill_weeks)."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.read.api import Filters, ReadAPI
from pipeline.read.plan import plan_weeks
from pipeline.rollups import backfill, frames
from pipeline.rollups.tables import ROLLUPS, week_piece
from pipeline.stores import rows as rowlib
from tests.support.rollup_fixtures import load, make_requests, recount, rollup_rows

pytestmark = pytest.mark.unit
WEEKLY = [name for name, r in ROLLUPS.items() if "week" in r.grains]


def piece_days(start: date) -> list[date]:
    """Every day of the week piece starting on `start`."""
    days = [start]
    while week_piece(days[-1] + timedelta(days=1)) == start:
        days.append(days[-1] + timedelta(days=1))
    return days


def test_a_piece_is_one_week_inside_one_month():
    assert week_piece(date(2024, 3, 1)) == date(2024, 3, 1)  # a Friday: the month's first piece
    assert week_piece(date(2024, 3, 3)) == date(2024, 3, 1)
    assert week_piece(date(2024, 3, 4)) == date(2024, 3, 4)  # a Monday
    assert week_piece(date(2024, 3, 31)) == date(2024, 3, 25)
    assert [len(piece_days(date(2024, 3, d))) for d in (1, 4, 25)] == [3, 7, 7]
    assert rowlib.periods_in("week", "2024-03", "0001-01-01", "9999-12-31") == [
        "2024-03-01", "2024-03-04", "2024-03-11", "2024-03-18", "2024-03-25"]
    assert rowlib.periods_in("week", "2024-03", "2024-03-02", "2024-03-18") == ["2024-03-04", "2024-03-11", "2024-03-18"]


@settings(max_examples=300, deadline=None)
@given(st.dates(date(2019, 1, 1), date(2025, 12, 31)), st.integers(0, 400))
def test_plan_weeks_covers_every_day_once_with_whole_pieces(start, length):
    end = start + timedelta(days=length)
    covered: list[date] = []
    for grain, first, last in plan_weeks(start, end):
        if grain == "day":
            d = date.fromisoformat(first)
            while d <= date.fromisoformat(last):
                covered.append(d)
                d += timedelta(days=1)
        else:
            p = date.fromisoformat(first)
            while p <= date.fromisoformat(last):
                covered += piece_days(p)
                p = piece_days(p)[-1] + timedelta(days=1)
    assert covered == [start + timedelta(days=i) for i in range(length + 1)]


def test_week_rows_are_the_sums_of_their_days():
    reqs = make_requests(seed=12, n=1500)
    for name in WEEKLY:
        days = rollup_rows(reqs, name, "day")
        weeks = frames.coarsen(days, name, "week")
        assert (weeks["bucket"] == weeks["period"].str[:7]).all()
        assert set(weeks["period"]) == {week_piece(date.fromisoformat(d)).isoformat() for d in days["period"]}
        assert weeks["n"].sum() == days["n"].sum()
        one = days["period"].map(lambda d: week_piece(date.fromisoformat(d)).isoformat())
        assert weeks.groupby("period")["n"].sum().to_dict() == days.groupby(one)["n"].sum().to_dict()


@pytest.fixture(scope="module")
def reqs() -> pd.DataFrame:
    return make_requests(seed=21, n=3000)


@pytest.fixture(scope="module")
def apis(reqs, tmp_path_factory):
    """The same requests in two stores: with week rows, and as a store loaded before them."""
    from pipeline.stores import open_store
    out = []
    for weeks in (True, False):
        store = open_store(f"sqlite:///{tmp_path_factory.mktemp('weeks')}/rollups.db")
        store.ensure_schema()
        load(store, reqs, weeks=weeks)
        out.append(ReadAPI(store, cache=False))
    yield out
    for api in out:
        api.store.close()


@settings(max_examples=40, deadline=None)
@given(st.dates(date(2023, 12, 20), date(2024, 12, 31)), st.integers(0, 300),
       st.sampled_from([{}, {"borough": "Brooklyn"}, {"complaint_type": "HEAT/HOT WATER"},
                        {"borough": "Bronx", "complaint_type": "Noise - Residential"}]),
       st.sampled_from([None, "borough", "complaint_type"]))
def test_a_week_series_from_week_rows_equals_one_from_day_rows_and_a_recount(apis, reqs, start, length, dims, split):
    with_weeks, without = apis
    f = Filters(start=start, end=start + timedelta(days=length), **dims)
    assert with_weeks.week_rows() and not without.week_rows()
    got = with_weeks.timeseries(f, "week", split)
    pd.testing.assert_frame_equal(got, without.timeseries(f, "week", split))
    rng = with_weeks._range(f)
    monday = reqs["created"].dt.normalize() - pd.to_timedelta(reqs["created"].dt.weekday, unit="D")
    want = recount(reqs, monday.dt.strftime("%Y-%m-%d"), *rng, **dims) if rng else {}
    assert {p: c for p, c in got.groupby("period")["count"].sum().items() if c} == want


def test_fill_weeks_gives_an_older_store_its_week_rows_once(apis, reqs):
    _, without = apis
    store = without.store
    try:
        written = backfill.fill_weeks(store)
        assert set(written) == {f"{name}/week" for name in WEEKLY}
        assert without.week_rows()
        for name in WEEKLY:
            stored = store.aggregate(name, "week", "2023-01-01", "2025-12-31", by=["period"])
            want = frames.coarsen(rollup_rows(reqs, name, "day"), name, "week").groupby("period")["n"].sum()
            assert dict(zip(stored["period"], stored["n"], strict=True)) == want.to_dict()
        assert backfill.fill_weeks(store) == {}  # every month has them now
    finally:  # the module's other tests read this store as one without week rows
        for name in WEEKLY:
            for bucket in store.buckets(name, "week"):
                store.replace_periods(name, "week", rowlib.periods_in("week", bucket, "0001-01-01", "9999-12-31"),
                                      frames.coarsen(pd.DataFrame(), name, "week"))
        store.set_meta(backfill.WEEK_ROWS, "0")
