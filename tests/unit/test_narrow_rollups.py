"""Narrow rollups (pipeline/rollups/tables.py): the same counts as the wide ones, and the read API answers the
same from either layout."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import pytest

from bench.read import LAYOUTS, dashboard_queries
from pipeline.ingest.normalize import normalize
from pipeline.read.api import ReadAPI, table_for
from pipeline.rollups.compute import compute_rollup
from pipeline.rollups.tables import COUNTED, ROLLUPS
from pipeline.stores import open_store
from tests.support.rollup_fixtures import load, make_requests

pytestmark = pytest.mark.unit

FIELDS = ("unique_key", "created_at", "closed_at", "due_at", "agency", "complaint_type", "status", "borough",
          "community_district", "zip", "channel")
NOW = datetime(2022, 7, 1, tzinfo=UTC)


def finer(rollup):
    """The other rollups holding every dimension of `rollup` and counting the same thing."""
    return [w for w in COUNTED.values() if w is not rollup and set(rollup.dims) < set(w.dims)
            and w.measures == rollup.measures and w.derived == rollup.derived]


@pytest.fixture(scope="module")
def requests(spark):
    rows = []
    for i in range(60):  # created, closed, due (NY local) over two months, several areas and types
        day = 1 + i % 28
        closed = None if i % 5 == 0 else f"0{5 + i % 2}/{day:02d}/2022 0{1 + i % 8}:30:00 PM"
        due = None if i % 3 == 0 else f"0{5 + i % 2}/{min(day + 2, 28):02d}/2022 10:00:00 AM"
        rows.append((str(i), f"0{5 + i % 2}/{day:02d}/2022 0{1 + i % 7}:15:00 AM", closed, due,
                     ("NYPD", "DOT", "HPD")[i % 3], ("Noise", "Street Condition", "Heat")[i % 3],
                     ("Closed", "Open", "In Progress")[i % 4 % 3], ("BRONX", "QUEENS", "BROOKLYN", "Unspecified")[i % 4],
                     ("04 BRONX", "01 QUEENS", "01 BROOKLYN", "0 Unspecified")[i % 4],
                     ("10452", "11102", "11211", "")[i % 4 if i % 7 else 3], ("PHONE", "ONLINE", "")[i % 3]))
    df = spark.createDataFrame(rows, ", ".join(f"{f} string" for f in FIELDS))
    return normalize(df).cache()


def test_every_narrow_rollup_sums_its_wide_ones(requests):
    """92 (narrow, wide) pairs at two grains; each rollup is computed once per grain (62 Spark jobs,
    not 368: a wide rollup is finer than many narrow ones)."""
    computed: dict[tuple[str, str], pd.DataFrame] = {}

    def rows(rollup, grain):
        if (rollup.name, grain) not in computed:
            computed[rollup.name, grain] = compute_rollup(requests, rollup, grain, now=NOW).toPandas()
        return computed[rollup.name, grain]

    checked = 0
    for rollup in COUNTED.values():
        for wide in finer(rollup):
            for grain in ("day", "month"):
                narrow = rows(rollup, grain)
                summed = rows(wide, grain).groupby(list(rollup.key), as_index=False)[list(rollup.measures)].sum()
                key = list(rollup.key)
                pd.testing.assert_frame_equal(
                    narrow.sort_values(key).reset_index(drop=True)[list(rollup.columns)],
                    summed.sort_values(key).reset_index(drop=True)[list(rollup.columns)], check_dtype=False)
                assert narrow[list(rollup.measures)].to_numpy().sum() > 0
                checked += 1
    assert checked >= 2 * len([n for n in ROLLUPS if n not in LAYOUTS["wide"]])


def test_every_rollup_is_in_the_read_preference_and_narrow_ones_lead():
    assert set(LAYOUTS["narrow"]) == set(ROLLUPS)
    assert table_for(set()) == "totals"
    assert table_for({"zip", "borough"}) == "zip_totals"
    assert table_for({"zip", "complaint_type"}) == "type_zips"
    assert table_for({"zip", "agency"}) == "zips"
    assert table_for({"borough", "res_bin"}) == "resolution_boroughs"
    assert table_for({"agency", "res_bin"}) == "resolution_agencies"
    assert table_for({"complaint_type"}, ROLLUPS["timeliness"].measures) == "timeliness_types"
    # a table of closed requests per bin never answers a plain count
    assert all(not ROLLUPS[table_for({c})].derived for c in ("borough", "complaint_type", "agency"))


def test_read_api_answers_the_same_from_narrow_and_wide_rollups(tmp_path):
    store = open_store(f"sqlite:///{tmp_path}/layouts.db")
    store.ensure_schema()
    reqs = make_requests()
    load(store, reqs)
    narrow, wide = ReadAPI(store, cache=False), ReadAPI(store, cache=False, tables=LAYOUTS["wide"])
    top_type = wide.vocabulary("complaint_type")["value"].iloc[0]
    for label, call in dashboard_queries(date(2024, 4, 10), top_type):
        a, b = call(narrow), call(wide)
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b, check_dtype=False, obj=label)
        else:
            assert a == b, label
    assert narrow.counts("borough")["count"].sum() == len(reqs)


def test_every_rollup_has_one_read_rank():
    """A rollup added to pipeline/rollups/tables.py without a place in its TABLE_PREFERENCE would be
    loaded and stored but never read (table_for only considers ranked rollups)."""
    from pipeline.rollups.tables import TABLE_PREFERENCE
    assert sorted(TABLE_PREFERENCE) == sorted(ROLLUPS), (
        f"unranked: {sorted(set(ROLLUPS) - set(TABLE_PREFERENCE))}; "
        f"ranked twice or unknown: {sorted(n for n in set(TABLE_PREFERENCE) if TABLE_PREFERENCE.count(n) > 1 or n not in ROLLUPS)}")
