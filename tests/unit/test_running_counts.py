"""Running totals of the resolution rollups (pipeline/rollups/running_counts.py): each ytd row the sum of
its year's stored month rows so far, each upto row the sum of every year up to it; rewritten from the
months a load touches (and, for upto, every later year); a year just closed made current through
December; and every total the read API gives through them equals the same total from year and month
rows and a recount of the requests, while a long range reads at most four running periods."""
from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.read.api import Filters, ReadAPI
from pipeline.read.plan import running_plan, total_plan
from pipeline.rollups import running_counts, year_counts
from pipeline.rollups.tables import ROLLUPS, RUNNING_TABLES
from pipeline.stores import open_store
from tests.support.rollup_fixtures import load, rollup_rows

pytestmark = pytest.mark.unit
YTD = {"2021": "2021-12", "2022": "2022-12", "2023": "2023-12", "2024": "2024-11"}  # the requests reach November 2024
UPTO = {"2021", "2022", "2023"}


@pytest.fixture(scope="module")
def written(store):
    """What the first load after running totals existed writes: every year's (store: tests/unit/conftest.py)."""
    year_counts.write(store, [])
    return running_counts.write(store, [])


def sums(store, name: str, grain: str, period: str) -> dict:
    dims = list(ROLLUPS[name].dims)
    frame = store.aggregate(name, grain, period, period, by=dims)
    return {tuple(row[:-1]): int(row[-1]) for row in frame[[*dims, "n"]].itertuples(index=False)}


def recounted(reqs, name: str, first: str, last: str) -> dict:
    months = rollup_rows(reqs, name, "month")
    months = months[(months["period"] >= first) & (months["period"] <= last)]
    dims = list(ROLLUPS[name].dims)
    total = months.groupby(dims)["n"].sum()
    return {k if isinstance(k, tuple) else (k,): int(v) for k, v in total.items() if v}


def test_every_year_s_running_rows_are_written_once_each_a_recount(store, reqs, written):
    assert running_counts.written(store) == (YTD, UPTO)
    assert set(written) == {f"{n}/{g}" for n in RUNNING_TABLES for g in ("ytd", "upto")}
    for name in RUNNING_TABLES:
        for year, last in YTD.items():
            for month in (f"{year}-01", f"{year}-06", last):
                assert sums(store, name, "ytd", month) == recounted(reqs, name, f"{year}-01", month)
        for year in UPTO:
            assert sums(store, name, "upto", year) == recounted(reqs, name, "2000-01", f"{year}-12")
    assert running_counts.write(store, []) == {}  # nothing left to write


def test_a_load_rewrites_the_months_it_touched_and_every_later_upto(store, reqs, written):
    name = "resolution_types"
    march = rollup_rows(reqs, name, "month")
    march = march[march["period"] == "2022-03"]
    try:
        running_counts.forget(store, ["2022-03", "2024-11"])  # as a load does before it recounts those months
        assert running_counts.written(store) == ({"2021": "2021-12", "2022": "2022-02", "2023": "2023-12",
                                                  "2024": "2024-10"}, {"2021"})
        store.replace_periods(name, "month", ["2022-03"], march.assign(n=march["n"] + 1))  # a recount moved
        again = running_counts.write(store, ["2022-03", "2024-11"])
        assert running_counts.written(store) == (YTD, UPTO)
        # 2022: March to December; 2024: November alone; upto: 2022 and 2023 (each holds 2022)
        assert again[f"{name}/ytd"] == sum(len(sums(store, name, "ytd", m)) for m in
                                            [f"2022-{k:02d}" for k in range(3, 13)] + ["2024-11"])
        assert again[f"{name}/upto"] == len(sums(store, name, "upto", "2022")) + len(sums(store, name, "upto", "2023"))
        moved = {tuple(k): 1 for k in march[list(ROLLUPS[name].dims)].itertuples(index=False)}  # +1 a row
        for period in ("2022-03", "2022-12"):
            want = recounted(reqs, name, "2022-01", period)
            assert sums(store, name, "ytd", period) == {k: want.get(k, 0) + moved.get(k, 0) for k in want | moved}
        assert sums(store, name, "ytd", "2022-02") == recounted(reqs, name, "2022-01", "2022-02")
        want = recounted(reqs, name, "2000-01", "2023-12")
        assert sums(store, name, "upto", "2023") == {k: want.get(k, 0) + moved.get(k, 0) for k in want | moved}
    finally:
        store.replace_periods(name, "month", ["2022-03"], march)
        running_counts.forget(store, ["2022-03"])
        running_counts.write(store, ["2022-03"])


def test_a_year_just_closed_is_made_current_through_december(reqs, tmp_path):
    """The open year's ytd rows reach its latest month; the first load of the next year touches only
    January, yet the year before must then reach December (an empty month carries the sum forward)."""
    s = open_store(f"sqlite:///{tmp_path}/rollups.db")
    s.ensure_schema()
    try:
        upto_june = reqs[reqs["created"] < pd.Timestamp("2023-07-01")]
        load(s, upto_june)
        running_counts.write(s, [])
        assert running_counts.written(s)[0]["2023"] == upto_june["created"].max().strftime("%Y-%m") < "2023-12"
        january = reqs[(reqs["created"] >= pd.Timestamp("2024-01-01")) & (reqs["created"] < pd.Timestamp("2024-02-01"))]
        load(s, pd.concat([upto_june, january]))
        running_counts.forget(s, ["2024-01"])
        running_counts.write(s, ["2024-01"])
        ytd, upto = running_counts.written(s)
        assert ytd["2023"] == "2023-12" and "2023" in upto
        for name in RUNNING_TABLES:
            assert sums(s, name, "ytd", "2023-12") == recounted(upto_june, name, "2023-01", "2023-12")
            assert sums(s, name, "upto", "2023") == recounted(upto_june, name, "2000-01", "2023-12")
    finally:
        s.close()


def test_a_range_of_whole_months_is_at_most_four_running_periods():
    running = (YTD, UPTO, "2021")
    plan = [("day", "2020-12-15", "2020-12-31"), ("month", "2021-03", "2024-10"), ("day", "2024-11-01", "2024-11-09")]
    assert running_plan(plan, *running) == [
        (1, "day", "2020-12-15", "2020-12-31"), (1, "ytd", "2024-10", "2024-10"), (-1, "ytd", "2021-02", "2021-02"),
        (1, "upto", "2023", "2023"), (1, "day", "2024-11-01", "2024-11-09")]  # upto 2020: before the data
    assert running_plan([("month", "2022-01", "2024-11")], *running) == [
        (1, "ytd", "2024-11", "2024-11"), (1, "upto", "2023", "2023"), (-1, "upto", "2021", "2021")]
    assert running_plan([("month", "2024-01", "2024-12")], *running) is None  # December 2024 not written
    assert running_plan([("month", "2022-01", "2023-05")], YTD, {"2021"}, "2021") is None  # upto 2022 stale
    # across one new year (the last 365 days), the closed year's own row stands for upto(2022) - upto(2021)
    assert running_plan([("month", "2022-12", "2023-11")], *running, {"2021", "2022"}) == [
        (1, "ytd", "2023-11", "2023-11"), (-1, "ytd", "2022-11", "2022-11"), (1, "year", "2022", "2022")]
    assert running_plan([("month", "2022-12", "2023-11")], YTD, {"2021"}, "2021", {"2022"}) == [
        (1, "ytd", "2023-11", "2023-11"), (-1, "ytd", "2022-11", "2022-11"), (1, "year", "2022", "2022")]
    assert running_plan([("month", "2022-12", "2023-11")], *running, {"2021"}) == [  # no year row of 2022
        (1, "ytd", "2023-11", "2023-11"), (-1, "ytd", "2022-11", "2022-11"), (1, "upto", "2022", "2022"),
        (-1, "upto", "2021", "2021")]
    assert running_plan([("month", "2021-03", "2022-10")], *running, {"2021"}) == [  # upto 2020: before the data
        (1, "ytd", "2022-10", "2022-10"), (-1, "ytd", "2021-02", "2021-02"), (1, "upto", "2021", "2021")]
    # a short range reads its months: running totals only when they read fewer periods
    assert total_plan([("month", "2023-02", "2023-03")], set(), running) == [
        (1, "month", "2023-02", "2023-03")]
    assert total_plan([("month", "2023-02", "2023-06")], set(), running) == [
        (1, "ytd", "2023-06", "2023-06"), (-1, "ytd", "2023-01", "2023-01")]


TOTALS = [("resolution", "complaint_type"), ("resolution", "agency"), ("resolution", None)]


@settings(max_examples=80, deadline=None)
@given(st.dates(date(2020, 12, 1), date(2024, 11, 30)), st.integers(0, 1500),
       st.sampled_from([{}, {"complaint_type": "HEAT/HOT WATER"}, {"agency": "NYPD"}]), st.sampled_from(TOTALS))
def test_totals_from_running_rows_equal_year_and_month_rows(store, written, start, length, dims, query):
    running, plain = ReadAPI(store, cache=False), ReadAPI(store, cache=False)
    plain.running_totals = lambda: None
    f = Filters(start=start, end=start + timedelta(days=length), **dims)
    pd.testing.assert_frame_equal(running.resolution(query[1], f), plain.resolution(query[1], f))


def test_the_whole_range_reads_running_rows(store, written, monkeypatch):
    reads = []
    real = store.sums_many
    monkeypatch.setattr(store, "sums_many", lambda queries: reads.extend(q[:4] for q in queries) or real(queries))
    ReadAPI(store, cache=False).resolution("complaint_type", Filters())
    assert sorted(r for r in reads if r[0] == "resolution_types") == [
        ("resolution_types", "upto", "2023", "2023"), ("resolution_types", "ytd", "2024-11", "2024-11")]
