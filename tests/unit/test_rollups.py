"""Each rollup of pipeline/rollups/tables.py on small inline requests (pipeline/rollups/compute.py)."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipeline.ingest.normalize import normalize
from pipeline.rollups.compute import coarsen, compute_rollup
from pipeline.rollups.tables import COUNTED, RESOLUTION_BINS_H, ROLLUPS

pytestmark = pytest.mark.unit

FIELDS = ("unique_key", "created_at", "closed_at", "due_at", "agency", "complaint_type", "status", "borough",
          "community_district", "zip", "channel")


@pytest.fixture(scope="module")
def requests(spark):
    rows = [  # created (NY local), closed, due, agency, type, status, borough, board, zip, channel
        ("1", "05/01/2022 12:00:03 AM", "05/01/2022 12:07:46 AM", None, "NYPD", "Noise", "Closed", "BRONX",
         "04 BRONX", "10452", "ONLINE"),
        ("2", "05/01/2022 11:59:59 PM", None, "05/03/2022 11:00:00 PM", "NYPD", "Noise", "In Progress", "BRONX",
         "04 BRONX", "10452", "MOBILE"),     # still 05-01 in New York (05-02 in UTC)
        ("3", "05/02/2022 10:00:00 AM", "05/02/2022 09:00:00 AM", "05/05/2022 10:00:00 AM", "DOT",
         "Street Condition", "Closed", "Unspecified", "0 Unspecified", "", ""),   # closed before created
        ("4", "05/02/2022 10:00:00 AM", "05/06/2022 10:00:00 AM", "05/05/2022 10:00:00 AM", "DOT",
         "Street Condition", "Closed", "QUEENS", "01 QUEENS", "11102", "PHONE"),  # 96 h, late
        ("5", "06/05/2022 11:10:00 PM", "06/05/2022 11:25:00 PM", "06/06/2022 11:25:00 PM", "NYPD", "Noise",
         "Closed", "BRONX", "04 BRONX", "10452", "PHONE"),   # a Sunday, 15 min, on time
        ("6", "03/14/2022 12:30:00 AM", None, "04/01/2022 12:00:00 AM", "HPD", "Heat", "Open", "BROOKLYN",
         "01 BROOKLYN", "11211", "PHONE"),   # a Monday; open past due
    ]
    df = spark.createDataFrame(rows, ", ".join(f"{f} string" for f in FIELDS))
    return normalize(df).cache()


NOW = datetime(2022, 7, 1, tzinfo=UTC)


def rows_of(df, *cols):
    return sorted(tuple(r[c] for c in cols) for r in df.collect())


def test_columns_are_the_contract_for_every_rollup_and_grain(requests):
    for rollup in COUNTED.values():
        for grain in ("day", "month", "minute"):
            assert tuple(compute_rollup(requests, rollup, grain, now=NOW).columns) == rollup.columns


def test_requests_count_on_their_new_york_day(requests):
    day = compute_rollup(requests, "requests", "day", now=NOW)
    assert rows_of(day, "grain", "bucket", "period", "borough", "complaint_type", "agency", "n") == [
        ("day", "2022-03", "2022-03-14", "Brooklyn", "Heat", "HPD", 1),
        ("day", "2022-05", "2022-05-01", "Bronx", "Noise", "NYPD", 2),
        ("day", "2022-05", "2022-05-02", "Queens", "Street Condition", "DOT", 1),
        ("day", "2022-05", "2022-05-02", "Unspecified", "Street Condition", "DOT", 1),
        ("day", "2022-06", "2022-06-05", "Bronx", "Noise", "NYPD", 1),
    ]
    month = compute_rollup(requests, "requests", "month", now=NOW)
    assert rows_of(month, "bucket", "period", "borough", "n") == [
        ("2022", "2022-03", "Brooklyn", 1), ("2022", "2022-05", "Bronx", 2), ("2022", "2022-05", "Queens", 1),
        ("2022", "2022-05", "Unspecified", 1), ("2022", "2022-06", "Bronx", 1)]


def test_minute_grain_buckets_by_hour(requests):
    minute = compute_rollup(requests.where("unique_key = '2'"), "requests", "minute", now=NOW)
    assert rows_of(minute, "bucket", "period", "n") == [("2022-05-01T23", "2022-05-01T23:59", 1)]


def test_area_rollups_carry_district_and_zip(requests):
    districts = compute_rollup(requests, "districts", "month", now=NOW)
    assert rows_of(districts, "period", "community_district", "borough", "n") == [
        ("2022-03", "301", "Brooklyn", 1), ("2022-05", "204", "Bronx", 2), ("2022-05", "401", "Queens", 1),
        ("2022-05", "Unspecified", "Unspecified", 1), ("2022-06", "204", "Bronx", 1)]
    zips = compute_rollup(requests, "zips", "month", now=NOW)
    assert rows_of(zips, "period", "zip", "n") == [
        ("2022-03", "11211", 1), ("2022-05", "10452", 2), ("2022-05", "11102", 1), ("2022-05", "Unspecified", 1),
        ("2022-06", "10452", 1)]


def test_channels_and_current_status(requests):
    may = requests.where("created_month = '2022-05'")
    assert rows_of(compute_rollup(may, "channels", "month", now=NOW), "channel", "n") == [
        ("MOBILE", 1), ("ONLINE", 1), ("PHONE", 1), ("Unspecified", 1)]
    assert rows_of(compute_rollup(may, "status", "month", now=NOW), "borough", "status", "n") == [
        ("Bronx", "Closed", 1), ("Bronx", "In Progress", 1), ("Queens", "Closed", 1), ("Unspecified", "Closed", 1)]


def test_resolution_bins_only_positive_durations(requests):
    res = compute_rollup(requests, "resolution", "day", now=NOW)
    # 7m43s -> bin 0 (<= 0.25 h); 96 h -> bin of bound 96; 15 min -> bin 0 (<= 0.25 h inclusive)
    assert rows_of(res, "period", "res_bin", "n") == [
        ("2022-05-01", 0, 1), ("2022-05-02", RESOLUTION_BINS_H.index(96), 1), ("2022-06-05", 0, 1)]


def test_resolution_bin_edges(spark):
    from pyspark.sql import functions as F

    from pipeline.rollups.compute import res_bin
    hours = [0.1, 0.25, 0.26, 1.0, 23.9, 24.0, 17520.0, 17520.5, 1e6]
    got = [r[0] for r in spark.createDataFrame([(h,) for h in hours], "h double")
           .select(res_bin(F.col("h"))).collect()]
    expected = [next(i for i, b in enumerate(RESOLUTION_BINS_H) if b >= h) for h in hours]
    assert got == expected and expected[-1] == len(RESOLUTION_BINS_H) - 1


def test_timeliness_against_due_date(requests):
    t = compute_rollup(requests, "timeliness", "month", now=NOW)
    assert rows_of(t, "period", "borough", "with_due", "on_time", "late", "open_past_due") == [
        ("2022-03", "Brooklyn", 1, 0, 0, 1),       # open, due 04-01, before `now`
        ("2022-05", "Bronx", 1, 0, 0, 1),          # open, due 05-03, before `now`
        ("2022-05", "Queens", 1, 0, 1, 0),         # closed a day after due
        ("2022-05", "Unspecified", 1, 1, 0, 0),
        ("2022-06", "Bronx", 1, 1, 0, 0),
    ]
    early = compute_rollup(requests, "timeliness", "month", now=datetime(2022, 5, 2, tzinfo=UTC))
    assert rows_of(early, "period", "borough", "open_past_due") == [
        ("2022-03", "Brooklyn", 1), ("2022-05", "Bronx", 0), ("2022-05", "Queens", 0),
        ("2022-05", "Unspecified", 0), ("2022-06", "Bronx", 0)]


def test_hour_of_week_in_new_york_time(requests):
    how = compute_rollup(requests, "hours_of_week", "month", now=NOW)
    # 2022-05-01 is a Sunday: 00:00 -> 6*24+0, 23:59 -> 6*24+23; 05-02 Monday 10:00 -> 10;
    # 06-05 Sunday 23:10 -> 167; 03-14 Monday 00:30 (the day after the DST change) -> 0
    assert rows_of(how, "period", "borough", "how", "n") == [
        ("2022-03", "Brooklyn", 0, 1), ("2022-05", "Bronx", 144, 1), ("2022-05", "Bronx", 167, 1),
        ("2022-05", "Queens", 10, 1), ("2022-05", "Unspecified", 10, 1), ("2022-06", "Bronx", 167, 1)]


def test_month_from_days_equals_month_computed(requests):
    for rollup in COUNTED.values():
        day = compute_rollup(requests, rollup, "day", now=NOW)
        direct = compute_rollup(requests, rollup, "month", now=NOW)
        assert sorted(coarsen(day, rollup, "month").collect()) == sorted(direct.collect()), rollup.name


def test_a_narrow_rollup_summed_from_a_wide_one_equals_its_own_count(requests):
    from pipeline.rollups.families import parent_of
    from pipeline.rollups.tables import Rollup

    narrow = Rollup("boroughs_only", ("borough",))
    computed = {n: ROLLUPS[n] for n in ("hours_of_week", "resolution", "timeliness", "requests", "zips")}
    assert parent_of(narrow, computed) == "requests"
    assert parent_of(Rollup("res_by_borough", ("borough", "res_bin")), computed) == "resolution"
    assert parent_of(Rollup("late_by_type", ("complaint_type",), ROLLUPS["timeliness"].measures),
                     computed) == "timeliness"
    assert parent_of(Rollup("by_channel", ("channel",)), computed) is None
    wide = compute_rollup(requests, "requests", "day", now=NOW)
    assert sorted(coarsen(wide, narrow, "day").collect()) == sorted(compute_rollup(requests, narrow, "day", now=NOW).collect())
