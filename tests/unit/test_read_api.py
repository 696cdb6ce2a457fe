"""The read API over hand-built rollups: every answer must equal a recount of the requests the
rollups were built from (range stitching across month edges, DST days, filters, percentiles)."""
from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.read import cache as read_cache
from pipeline.read.api import Filters, ReadAPI
from pipeline.read.plan import (
    OTHER,
    fill_series,
    hour_of_week_days,
    percentile_from_bins,
    period_labels,
    period_range,
    plan_range,
)
from pipeline.rollups import date_bounds
from pipeline.rollups.tables import EXTRA_TABLES, RESOLUTION_BINS_H, ROLLUPS
from pipeline.stores import open_store
from tests.support.rollup_fixtures import load, make_requests, recount, rollup_rows, sqlite_read_api

pytestmark = pytest.mark.unit

@pytest.fixture(scope="module")
def reqs() -> pd.DataFrame:
    return make_requests()


@pytest.fixture(scope="module")
def api(reqs, tmp_path_factory) -> ReadAPI:
    return sqlite_read_api(reqs, tmp_path_factory.mktemp('api'))



# -- pure planning ---------------------------------------------------------------------------------
def test_fill_series_gives_every_period_and_group_and_sums_the_rest_as_other():
    periods = ["2024-01-01", "2024-01-02", "2024-01-03"]
    frame = pd.DataFrame({"period": ["2024-01-01", "2024-01-01", "2024-01-03", "2024-01-03"],
                          "borough": ["Bronx", "Queens", "Bronx", "Manhattan"], "count": [5, 1, 2, 3]})
    whole = fill_series(frame.groupby("period", as_index=False)["count"].sum(), periods, None)
    assert whole.to_dict("list") == {"period": periods, "count": [6, 0, 5]}
    top = fill_series(frame, periods, "borough", top=1)  # Bronx (7) kept, Queens and Manhattan summed
    assert top.set_index(["period", "borough"])["count"].to_dict() == {
        ("2024-01-01", "Bronx"): 5, ("2024-01-01", OTHER): 1, ("2024-01-02", "Bronx"): 0,
        ("2024-01-02", OTHER): 0, ("2024-01-03", "Bronx"): 2, ("2024-01-03", OTHER): 3}
    named = fill_series(frame[frame["borough"] == "Bronx"], periods, "borough", among=("Bronx", "Staten Island"))
    assert len(named) == 6 and named["count"].sum() == 7 and named["count"].dtype == "int64"
    assert fill_series(frame.iloc[0:0], [], "borough").empty


@settings(max_examples=300, deadline=None)
@given(st.dates(date(1999, 1, 1), date(2031, 12, 31)), st.integers(0, 800), st.sampled_from(["day", "week", "month"]))
def test_labels_and_ranges_equal_the_pandas_calendar(start, days, granularity):
    """period_range and period_labels (in Python since they cost ~1 ms a plan piece) against pandas' calendar."""
    end = start + timedelta(days=days)
    first = {"day": start, "week": start - timedelta(days=start.weekday()), "month": start.replace(day=1)}[granularity]
    want = [d.strftime("%Y-%m-%d") for d in pd.date_range(first, end, freq={"day": "D", "week": "7D", "month": "MS"}[granularity])]
    assert period_range(start, end, granularity) == want
    days_ = pd.Series([(start + timedelta(days=k)).isoformat() for k in range(0, days + 1, 3)] * 2, dtype="object")
    stamps = pd.to_datetime(days_, format="%Y-%m-%d")
    labels = {"day": days_, "month": days_.str[:7] + "-01",
              "week": (stamps - pd.to_timedelta(stamps.dt.weekday, unit="D")).dt.strftime("%Y-%m-%d")}
    assert days_.map(period_labels(days_, "day", granularity)).tolist() == labels[granularity].tolist()
    assert days_.str[:7].map(period_labels(days_.str[:7], "month", "month")).tolist() == labels["month"].tolist()


def test_plan_range_uses_months_inside_and_days_at_the_edges():
    assert plan_range(date(2024, 1, 20), date(2024, 4, 10)) == [
        ("day", "2024-01-20", "2024-01-31"), ("month", "2024-02", "2024-03"), ("day", "2024-04-01", "2024-04-10")]
    assert plan_range(date(2024, 2, 1), date(2024, 2, 29)) == [("month", "2024-02", "2024-02")]
    assert plan_range(date(2024, 2, 1), date(2024, 2, 28)) == [("day", "2024-02-01", "2024-02-28")]
    assert plan_range(date(2024, 1, 31), date(2024, 2, 1)) == [("day", "2024-01-31", "2024-02-01")]
    assert plan_range(date(2024, 12, 1), date(2025, 1, 31)) == [("month", "2024-12", "2025-01")]
    assert plan_range(date(2024, 3, 1), date(2024, 2, 1)) == []
    assert plan_range(date(2024, 1, 20), date(2024, 4, 10), months=False) == [("day", "2024-01-20", "2024-04-10")]


def test_percentiles_interpolate_inside_the_bin():
    counts = np.zeros(len(RESOLUTION_BINS_H))
    counts[RESOLUTION_BINS_H.index(24)] = 10  # all ten values in (18 h, 24 h]
    assert percentile_from_bins(counts, 0.5) == pytest.approx(21.0)
    assert percentile_from_bins(counts, 0.9) == pytest.approx(18 + 6 * 0.9)
    counts[-1] = 90  # open last bin answers its lower edge
    assert percentile_from_bins(counts, 0.5) == RESOLUTION_BINS_H[-2]
    assert math.isnan(percentile_from_bins(np.zeros(len(RESOLUTION_BINS_H)), 0.5))


# -- against a recount -----------------------------------------------------------------------------
@pytest.mark.parametrize("by", ["borough", "complaint_type", "agency", "community_district", "zip", "channel", "status"])
def test_counts_stitched_across_month_edges_equal_recount(api, reqs, by):
    start, end = date(2024, 1, 25), date(2024, 3, 17)
    got = api.counts(by, Filters(start=start, end=end))
    assert dict(zip(got[by], got["count"], strict=True)) == recount(reqs, by, start, end)
    assert got["count"].is_monotonic_decreasing


def test_counts_unbounded_and_filtered(api, reqs):
    got = api.counts("complaint_type", Filters(borough="Bronx"))
    assert dict(zip(got["complaint_type"], got["count"], strict=True)) == recount(reqs, "complaint_type", borough="Bronx")
    f = Filters(start=date(2024, 2, 10), end=date(2024, 4, 2), community_district="109", complaint_type="HEAT/HOT WATER")
    got = api.counts("agency", f)
    assert dict(zip(got["agency"], got["count"], strict=True)) == recount(
        reqs, "agency", f.start, f.end, community_district="109", complaint_type="HEAT/HOT WATER")
    with pytest.raises(ValueError, match="no rollup holds"):
        api.counts("borough", Filters(zip="10027", community_district="109"))


def test_day_counts_include_dst_days(api, reqs):
    for day in (date(2024, 3, 10), date(2024, 11, 3)):
        got = api.counts("day", Filters(start=day, end=day))
        expected = int((reqs["created"].dt.date == day).sum())
        assert got.to_dict("records") == [{"day": day.isoformat(), "count": expected}] and expected > 0


def test_timeseries_fills_gaps_and_labels_weeks_and_months(api, reqs):
    f = Filters(start=date(2024, 1, 29), end=date(2024, 11, 3))
    months = api.timeseries(f, "month")
    assert months["period"].tolist()[:3] == ["2024-01-01", "2024-02-01", "2024-03-01"]
    assert len(months) == 11 and months.loc[months["period"] == "2024-07-01", "count"].item() == 0
    assert months["count"].sum() == sum(recount(reqs, "borough", f.start, f.end).values())
    weeks = api.timeseries(f, "week")
    assert weeks["period"].iloc[0] == "2024-01-29" and set(pd.to_datetime(weeks["period"]).dt.weekday) == {0}
    assert weeks["count"].sum() == months["count"].sum()
    days = api.timeseries(Filters(start=date(2024, 4, 9), end=date(2024, 4, 12)), "day")
    assert days["period"].tolist() == ["2024-04-09", "2024-04-10", "2024-04-11", "2024-04-12"]
    assert days["count"].tolist()[2:] == [0, 0]


def test_timeseries_split_keeps_top_and_sums_other(api, reqs):
    f = Filters(start=date(2024, 2, 1), end=date(2024, 2, 29))
    got = api.timeseries(f, "month", split_by="borough", top=2)
    totals = recount(reqs, "borough", f.start, f.end)
    top2 = sorted(totals, key=totals.get, reverse=True)[:2]
    assert set(got["borough"]) == {*top2, "Other"}
    assert got.set_index("borough")["count"].to_dict()["Other"] == sum(v for k, v in totals.items() if k not in top2)


@pytest.mark.parametrize("gran", ["day", "week", "month"])
def test_a_top_split_equals_the_whole_split_with_the_rest_summed(api, gran):
    """The top groups are read alone and 'Other' is the whole series less theirs: the same frame as
    keeping the top of the split over every group (ties by name) and summing the rest."""
    f = Filters(start=date(2024, 1, 20), end=date(2024, 3, 10))
    every = api.timeseries(f, gran, split_by="complaint_type")
    totals = every.groupby("complaint_type")["count"].sum()
    totals = totals[totals > 0].sort_values(ascending=False, kind="stable")
    for top in (0, 1, 2, len(totals) - 1, len(totals), 100):
        keep = set(totals.index[:top])
        want = every[every["complaint_type"].isin(totals.index)]
        want = want.assign(complaint_type=want["complaint_type"].where(want["complaint_type"].isin(keep), "Other"))
        want = want.groupby(["period", "complaint_type"], as_index=False)["count"].sum()
        got = api.timeseries(f, gran, split_by="complaint_type", top=top)
        pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_dtype=False)


def test_a_split_by_a_fixed_dimension_is_its_one_group(api, reqs):
    """Split by the borough the filter fixes: one group per period, equal to a recount, and the same
    answer a split over every borough gives for that borough (no second read of the rows)."""
    f = Filters(start=date(2024, 2, 1), end=date(2024, 3, 31), borough="Bronx")
    got = api.timeseries(f, "week", split_by="borough")
    assert list(got.columns) == ["period", "borough", "count"] and set(got["borough"]) == {"Bronx"}
    every = api.timeseries(f.but(borough=None), "week", split_by="borough")
    pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                  every[every["borough"] == "Bronx"].reset_index(drop=True), check_dtype=False)
    assert got["count"].sum() == recount(reqs, "borough", f.start, f.end)["Bronx"]
    nothing = api.timeseries(f.but(borough="Nowhere"), "week", split_by="borough")
    assert nothing.empty and list(nothing.columns) == ["period", "borough", "count"]


def test_a_split_among_some_groups_is_those_groups_of_the_whole_split(api, reqs):
    """`among` (the rankings' sparklines: only the areas shown) gives exactly those groups' rows of the
    split over every group, across month edges, with a filter fixing the group or not, and refuses
    values a filter would refuse."""
    f = Filters(start=date(2024, 1, 20), end=date(2024, 3, 10))
    every = api.timeseries(f, "month", split_by="zip")
    some = tuple(sorted(every["zip"].unique())[:2])
    got = api.timeseries(f, "month", split_by="zip", among=(*some, "00000"))
    want = every[every["zip"].isin(some)].reset_index(drop=True)
    pd.testing.assert_frame_equal(got[got["zip"] != "00000"].reset_index(drop=True), want, check_dtype=False)
    none = got[got["zip"] == "00000"]  # a named group without requests: its periods, at zero
    assert list(none["period"]) == list(want["period"].unique()) and not none["count"].any()
    assert got.groupby("zip")["count"].sum().to_dict() == {"00000": 0, **{
        z: n for z, n in recount(reqs, "zip", f.start, f.end).items() if z in some}}
    assert api.timeseries(f, "month", split_by="zip", among=()).empty
    assert api.timeseries(f.but(zip=some[0]), "month", split_by="zip", among=(some[1],)).empty
    fixed = api.timeseries(f.but(zip=some[0]), "month", split_by="zip", among=some)
    assert fixed["count"].sum() == want[want["zip"] == some[0]]["count"].sum()
    for bad in ({"split_by": "zip", "among": ("x" * 201,)}, {"split_by": "channel", "among": ("PHONE",)},
                {"among": ("10001",)}):
        with pytest.raises(ValueError):
            api.timeseries(f, "month", **bad)


def test_top_areas_per_capita(api, reqs):
    got = api.top_areas("borough", Filters(), n=10, per_capita=True)
    assert "Unspecified" not in set(got["borough"]) and list(got.columns) == ["borough", "count", "population", "per_10k"]
    bronx = got.set_index("borough").loc["Bronx"]
    assert bronx["per_10k"] == pytest.approx(bronx["count"] / 1_472_654 * 10_000)
    assert got["per_10k"].is_monotonic_decreasing
    zips = api.top_areas("zip", Filters(), n=2)
    assert list(zips.columns) == ["zip", "borough", "count", "population", "per_10k"] and len(zips) == 2
    assert zips["population"].notna().all()
    cds = api.top_areas("community_district", Filters(), per_capita=True).set_index("community_district")
    assert set(cds.index) == {"209", "301", "109"}  # 2020 Census by community district (data/README.md)
    assert cds["population"].to_dict() == {"209": 188_249, "301": 204_125, "109": 110_458}
    assert cds["per_10k"].to_dict() == pytest.approx((cds["count"] / cds["population"] * 10_000).to_dict())


def test_resolution_and_status(api, reqs):
    f = Filters(start=date(2024, 1, 20), end=date(2024, 12, 31))
    got = api.resolution("borough", f)
    closed = reqs[reqs["res_h"].notna()]
    assert dict(zip(got["borough"], got["closed"], strict=True)) == closed.groupby("borough").size().to_dict()
    for _, row in got.iterrows():
        true = closed.loc[closed["borough"] == row["borough"], "res_h"]
        for q, col in ((0.5, "median_h"), (0.9, "p90_h")):  # in the bin of the true quantile
            assert np.searchsorted(RESOLUTION_BINS_H, row[col]) == np.searchsorted(RESOLUTION_BINS_H, true.quantile(q))
    assert got["median_h"].is_monotonic_decreasing
    overall = api.resolution(None, f)
    assert list(overall.columns) == ["closed", "median_h", "p90_h"] and overall["closed"].item() == len(closed)
    mix = api.status_mix(f)
    assert dict(zip(mix["status"], mix["count"], strict=True)) == reqs.groupby("status").size().to_dict()
    assert api.open_now(f) == int((reqs["status"] != "Closed").sum())
    tl = api.timeliness(f, by="borough")
    assert tl["with_due"].sum() == len(reqs)


def test_vocabulary_bounds_baseline(api, reqs):
    voc = api.vocabulary("complaint_type")
    assert dict(zip(voc["value"], voc["count"], strict=True)) == reqs.groupby("complaint_type").size().to_dict()
    first, last = api.date_bounds()
    assert (first, last) == (reqs["created"].min().date(), reqs["created"].max().date())
    base = api.hour_of_week_baseline(weeks=2, end=date(2024, 3, 20))  # Sundays 03-10 and 03-17
    window = reqs[(reqs["created"] >= "2024-03-04") & (reqs["created"] < "2024-03-18")]
    assert base["mean"].sum() == pytest.approx(len(window) / 2)
    assert list(base.columns) == ["borough", "complaint_type", "how", "mean"] and base["how"].between(0, 167).all()


def test_hour_of_week_days_are_the_weekdays_of_the_hours():
    monday = date(2024, 3, 4)
    assert hour_of_week_days(monday, 2, [61, 62]) == [(date(2024, 3, 6), date(2024, 3, 6)),
                                                      (date(2024, 3, 13), date(2024, 3, 13))]
    # Sunday 23:00 and Monday 00:00: each Sunday runs into the next week's Monday
    assert hour_of_week_days(monday, 2, [167, 0]) == [(date(2024, 3, 4), date(2024, 3, 4)),
                                                      (date(2024, 3, 10), date(2024, 3, 11)),
                                                      (date(2024, 3, 17), date(2024, 3, 17))]
    assert hour_of_week_days(monday, 1, [23, 24]) == [(date(2024, 3, 4), date(2024, 3, 5))]


@pytest.mark.parametrize("hows", [(61, 62), (167, 0), (23, 24), (0,), tuple(range(0, 168, 5))])
def test_baseline_of_some_hours_equals_the_whole_baseline_and_a_recount(api, reqs, hows):
    """The live page asks for the two hours its window straddles: the same means as the whole baseline's."""
    end = date(2024, 4, 9)  # weeks Monday 03-11 .. Sunday 04-07
    whole = api.hour_of_week_baseline(weeks=4, end=end)
    some = api.hour_of_week_baseline(weeks=4, end=end, hows=hows)
    expected = whole[whole["how"].isin(hows)].reset_index(drop=True)
    pd.testing.assert_frame_equal(some, expected, check_dtype=False)
    window = reqs[(reqs["created"] >= "2024-03-11") & (reqs["created"] < "2024-04-08")]
    how = window["created"].dt.weekday * 24 + window["created"].dt.hour
    assert some["mean"].sum() * 4 == pytest.approx(int(how.isin(hows).sum())) and not some.empty


def test_baseline_refuses_other_hours(api):
    for hows in [(168,), (-1,), ("61",), (61.5,)]:
        with pytest.raises(ValueError, match="hours of the week"):
            api.hour_of_week_baseline(hows=hows)
    assert api.hour_of_week_baseline(hows=()).empty
    before = api.hour_of_week_baseline(weeks=1, end=date(2024, 1, 21), hows=(0,))  # Monday 01-15: before the data
    assert before.empty and list(before.columns) == ["borough", "complaint_type", "how", "mean"]


def test_freshness_from_meta(api):
    assert api.freshness() is None
    api.store.set_meta("freshness", "2024-11-03T23:59:00")
    api.store.set_meta("live_freshness", "2024-11-04T00:03:00")
    assert api.freshness().isoformat() == "2024-11-04T00:03:00"
    status = {"job": "live", "last_event_time": pd.Timestamp("2024-11-04T05:10:00", tz="UTC")}  # 00:10 EST
    api.store.upsert("pipeline_status", pd.DataFrame([status]).reindex(
        columns=[c for c, _ in EXTRA_TABLES["pipeline_status"].columns]))
    assert api.freshness().isoformat() == "2024-11-04T00:10:00"


def test_live_counts(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/live.db")
    store.ensure_schema()
    rows = pd.DataFrame([{"grain": "minute", "bucket": "2024-11-03T01", "period": f"2024-11-03T01:0{m}",
                          "borough": b, "complaint_type": "Noise", "agency": "NYPD", "n": m + 1}
                         for m in range(3) for b in ("Bronx", "Queens")])
    store.upsert("live_requests", rows, ttl_seconds=3600)
    api = ReadAPI(store)
    since = pd.Timestamp("2024-11-03T01:01").to_pydatetime()
    got = api.live_counts(since, by="borough")
    assert got.to_dict("records") == [{"borough": "Bronx", "count": 5}, {"borough": "Queens", "count": 5}]
    assert api.live_counts(since, per_minute=True)["minute"].tolist() == ["2024-11-03T01:02", "2024-11-03T01:01"][::-1]


def test_empty_store_gives_empty_frames(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/empty.db")
    store.ensure_schema()
    api = ReadAPI(store)
    assert api.date_bounds() is None and api.freshness() is None and api.open_now() == 0
    assert list(api.counts("borough").columns) == ["borough", "count"] and api.counts("day").empty
    assert list(api.timeseries(split_by="borough").columns) == ["period", "borough", "count"]
    assert list(api.top_areas("zip").columns) == ["zip", "borough", "count", "population", "per_10k"]
    assert list(api.resolution("agency").columns) == ["agency", "closed", "median_h", "p90_h"]
    assert list(api.status_mix().columns) == ["status", "count"]
    assert list(api.timeliness().columns) == ["with_due", "on_time", "late", "open_past_due"]
    assert list(api.hour_of_week_baseline().columns) == ["borough", "complaint_type", "how", "mean"]
    assert list(api.vocabulary("agency").columns) == ["value", "count"]


def test_cache_off_still_asks_each_inner_query_once_per_query(reqs, tmp_path):
    """Cold (no cache), a query reads the date bounds once, not once per sum; the next query reads again."""
    api = sqlite_read_api(reqs, tmp_path)
    calls = []
    original = api.store.buckets
    api.store.buckets = lambda *a: calls.append(a) or original(*a)
    first = api.timeseries(Filters(start=date(2024, 1, 25)), "month", "borough", 2)
    assert len(calls) == 1
    api.timeseries(Filters(start=date(2024, 1, 25)), "month", "borough", 2)
    assert len(calls) == 2
    assert first["count"].sum() == int((reqs["created"] >= "2024-01-25").sum())


def test_cold_queries_trust_the_recorded_bounds_only_beside_their_data_version(reqs, tmp_path):
    """A load records the first and last day with the data_version it sets (pipeline/rollups/date_bounds.py),
    so a cold query reads no partitions for them; a writer that changes the rows and the version without
    recording them sends the reads back to the rows, and an empty store records no bounds."""
    api = sqlite_read_api(reqs, tmp_path)
    store, scans = api.store, []
    original = store.buckets
    store.buckets = lambda *a: scans.append(a) or original(*a)
    days = reqs["created"].dt.date
    assert api.date_bounds() == (days.min(), days.max()) and len(scans) == 1  # nothing recorded: read
    date_bounds.record(store, store.get_meta("data_version"))  # as a load ends
    scans.clear()
    assert api.date_bounds() == (days.min(), days.max())
    assert api.counts("borough")["count"].sum() == len(reqs) and not scans
    fewer = reqs[days < days.max()]
    for table in (n for n, r in ROLLUPS.items() if "day" in r.grains):
        store.replace_periods(table, "day", [days.max().isoformat()], rollup_rows(reqs, table, "day").iloc[:0])
    store.set_meta("data_version", "2")
    assert api.date_bounds() == (days.min(), fewer["created"].dt.date.max()) and scans
    empty = open_store(f"sqlite:///{tmp_path}/empty.db")
    empty.ensure_schema()
    date_bounds.record(empty, "1")
    empty.set_meta("data_version", "1")
    assert date_bounds.recorded(empty.get_metas([date_bounds.META, date_bounds.VERSION])) == (True, None)
    assert ReadAPI(empty, cache=False).date_bounds() is None
    for bad in ("{", "[]", '{"version": "1", "first": "2024-01-20"}', '{"version": "1", "first": 7, "last": 8}',
                '{"version": "1", "first": "2024-02-01", "last": "2024-01-01"}',
                '{"version": "1", "first": "1850-01-01", "last": "2024-01-01"}'):  # unreadable: read the rows
        assert date_bounds.recorded({date_bounds.META: bad, date_bounds.VERSION: "1"}) == (False, None), bad


def test_cache_serves_copies_until_data_version_changes(tmp_path, reqs, monkeypatch):
    monkeypatch.setattr(read_cache, "VERSION_CHECK_S", 0.0)
    store = open_store(f"sqlite:///{tmp_path}/cache.db")
    store.ensure_schema()
    small = reqs[reqs["created"] < "2024-02-01"]
    load(store, small)
    api = ReadAPI(store)
    first = api.counts("borough")
    first["count"] = 0  # callers may mutate what they get
    assert api.counts("borough")["count"].sum() == len(small)
    # drop the last day from every rollup with days (the narrow ones answer these queries), and from its
    # month's rows, as a load would: a range ending on the data's last day reads that month's row
    fewer = small[small["created"] < "2024-01-31"]
    for table in (n for n, r in ROLLUPS.items() if "day" in r.grains):
        store.replace_periods(table, "day", ["2024-01-31"], rollup_rows(small, table, "day").iloc[:0])
        store.replace_periods(table, "month", ["2024-01"], rollup_rows(fewer, table, "month"))
    assert api.counts("borough")["count"].sum() == len(small)  # same data_version: the cached answer
    store.set_meta("data_version", "2")
    assert api.date_bounds() == (date(2024, 1, 20), date(2024, 1, 30))
    assert api.counts("borough")["count"].sum() == len(fewer)
