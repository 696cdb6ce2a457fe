"""Year rows of the count rollups (pipeline/rollups/year_counts.py): written for the years the store's
data has closed, each the sum of its stored month rows; rewritten when a load touches a closed year;
and every total the read API gives from them equals the same total from month rows and a recount of
the requests, while a range that covers a closed year whole does read its year rows."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.read.api import Filters, ReadAPI
from pipeline.read.plan import with_years
from pipeline.rollups import frames, year_counts
from pipeline.rollups.tables import ROLLUPS
from pipeline.stores import open_store
from tests.support.rollup_fixtures import load, recount, rollup_rows

pytestmark = pytest.mark.unit
CLOSED = {"2021", "2022", "2023"}  # the requests reach November 2024


@pytest.fixture(scope="module")
def written(store):
    """What the first load after year rows existed writes: every closed year, once."""
    return year_counts.write(store, [])


def test_the_closed_years_are_written_once_each_the_sum_of_its_months(store, reqs, written):
    assert year_counts.written(store) == CLOSED
    assert set(written) == {f"{name}/year" for name in year_counts.YEARLY}
    for name in year_counts.YEARLY:
        stored = store.aggregate(name, "year", "2021", "2024", by=["period", *ROLLUPS[name].dims])
        want = frames.coarsen(rollup_rows(reqs, name, "month"), name, "year")
        want = want[want["period"].isin(CLOSED)]
        key = ["period", *ROLLUPS[name].dims]
        got = stored.sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(got[key + list(ROLLUPS[name].measures)],
                                      want.sort_values(key).reset_index(drop=True)[key + list(ROLLUPS[name].measures)],
                                      check_dtype=False)
    assert year_counts.write(store, []) == {}  # nothing left to write
    assert year_counts.write(store, ["2024-02", "2024-11"]) == {}  # a load of the open year writes none


def test_a_load_that_touches_a_closed_year_rewrites_that_year(store, reqs, written):
    name = "boroughs"
    march = rollup_rows(reqs, name, "month")
    march = march[march["period"] == "2022-03"]
    try:
        year_counts.forget(store, ["2022-03", "2024-11"])  # as a load does before it recounts those months
        assert year_counts.written(store) == CLOSED - {"2022"}
        store.replace_periods(name, "month", ["2022-03"], march.assign(n=march["n"] + 1))  # a recount moved
        again = year_counts.write(store, ["2022-03", "2024-11"])
        assert year_counts.written(store) == CLOSED
        assert set(again) == {f"{n}/year" for n in year_counts.YEARLY}
        year = store.aggregate(name, "year", "2022", "2022", by=["borough"])
        months = store.aggregate(name, "month", "2022-01", "2022-12", by=["borough"])
        assert dict(zip(year["borough"], year["n"], strict=True)) == dict(zip(months["borough"], months["n"], strict=True))
    finally:
        store.replace_periods(name, "month", ["2022-03"], march)
        year_counts.write(store, ["2022-03"])


def test_a_range_reads_the_years_it_covers_whole_and_months_around_them():
    plan = [("day", "2020-12-15", "2020-12-31"), ("month", "2021-01", "2024-02"), ("day", "2024-03-01", "2024-03-09")]
    assert with_years(plan, {"2021", "2023"}) == [
        ("day", "2020-12-15", "2020-12-31"), ("year", "2021", "2021"), ("month", "2022-01", "2022-12"),
        ("year", "2023", "2023"), ("month", "2024-01", "2024-02"), ("day", "2024-03-01", "2024-03-09")]
    assert with_years(plan, set()) == plan


def test_a_store_without_year_rows_reads_months(reqs, tmp_path):
    s = open_store(f"sqlite:///{tmp_path}/rollups.db")
    s.ensure_schema()
    load(s, reqs[reqs["created"].dt.year >= 2023])
    try:
        assert ReadAPI(s, cache=False).year_counts() == set()
    finally:
        s.close()


QUERIES = [("counts", "borough"), ("counts", "zip"), ("counts", "complaint_type"), ("counts", "community_district"),
           ("resolution", "complaint_type"), ("resolution", "borough"), ("resolution", None), ("status_mix", None),
           ("timeliness", "agency"), ("top_areas", "zip"), ("top_areas", "community_district")]


def ask(api: ReadAPI, query: tuple[str, str | None], f: Filters) -> pd.DataFrame:
    name, by = query
    if name in ("status_mix", "timeliness"):
        return getattr(api, name)(f, by)
    return getattr(api, name)(by, f)


@settings(max_examples=60, deadline=None)
@given(st.dates(date(2020, 12, 1), date(2023, 3, 1)), st.integers(0, 1100),
       st.sampled_from([{}, {"borough": "Brooklyn"}, {"complaint_type": "HEAT/HOT WATER"},
                        {"borough": "Bronx", "complaint_type": "Noise - Residential"}]),
       st.sampled_from(QUERIES))
def test_totals_from_year_rows_equal_month_rows_and_a_recount(store, reqs, written, start, length, dims, query):
    years, months = ReadAPI(store, cache=False), ReadAPI(store, cache=False)
    months.year_counts = lambda: set()
    f = Filters(start=start, end=start + timedelta(days=length), **dims)
    got = ask(years, query, f)
    pd.testing.assert_frame_equal(got, ask(months, query, f))
    if query[0] == "counts":
        rng = years._range(f)
        want = recount(reqs, query[1], *rng, **dims) if rng else {}
        assert dict(zip(got[query[1]], got["count"], strict=True)) == {k: v for k, v in want.items() if v}


def test_a_range_over_a_closed_year_reads_its_year_rows(store, written, monkeypatch):
    grains = []
    real = store.sums_many
    monkeypatch.setattr(store, "sums_many", lambda queries: grains.extend(q[:2] for q in queries) or real(queries))
    ReadAPI(store, cache=False).resolution("complaint_type", Filters(start=date(2021, 3, 1), end=date(2023, 2, 28)))
    # 2021-03..12, 2022, 2023-01..02 (the day reads before them find the data's bounds)
    assert [g for t, g in grains if t == "resolution_types"] == ["month", "year", "month"]
