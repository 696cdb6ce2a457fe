"""count_together (pipeline/rollups/compute.py): one Spark job for several rollups gives each the rows,
columns and dtypes its own compute_rollup gives, including the rows those leave out (no positive
resolution time, no due date)."""
from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from pipeline.ingest.normalize import normalize
from pipeline.rollups import families
from pipeline.rollups.compute import compute_rollup, count_together, split_together
from pipeline.rollups.tables import ROLLUPS

pytestmark = pytest.mark.unit

FIELDS = ("unique_key", "created_at", "closed_at", "due_at", "agency", "complaint_type", "descriptor", "status",
          "borough", "community_district", "zip", "channel")
NOW = datetime(2022, 6, 10, tzinfo=UTC)


def stamp(t: pd.Timestamp | None) -> str | None:
    return None if t is None else t.strftime("%m/%d/%Y %I:%M:%S %p")


@pytest.fixture(scope="module")
def requests(spark):
    """400 requests over May and June 2022: closed after, at or before their creation or not at all,
    due before or after NOW or without a due date, in four boroughs with an Unspecified one."""
    rng = np.random.default_rng(11)
    rows = []
    for i in range(400):
        created = pd.Timestamp("2022-05-01") + pd.Timedelta(minutes=int(rng.integers(0, 61 * 24 * 60)))
        closed = (None, created, created - pd.Timedelta(hours=3),
                  created + pd.Timedelta(hours=float(rng.exponential(50)))) [int(rng.integers(0, 4))]
        due = (None, created + pd.Timedelta(hours=float(rng.exponential(80))))[int(rng.integers(0, 2))]
        k = int(rng.integers(0, 4))
        rows.append((str(i), stamp(created), stamp(closed), stamp(due), ("NYPD", "DOT", "HPD")[i % 3],
                     ("Noise", "Street Condition", "Heat")[i % 3], ("Loud Music", "Pothole", None)[int(rng.integers(0, 3))],
                     ("Closed", "Open", "In Progress")[int(rng.integers(0, 3))],
                     ("BRONX", "QUEENS", "BROOKLYN", "Unspecified")[k], ("04 BRONX", "01 QUEENS", "01 BROOKLYN", "")[k],
                     ("10452", "11102", "11211", "")[k], ("PHONE", "ONLINE", "")[int(rng.integers(0, 3))]))
    df = spark.createDataFrame(rows, ", ".join(f"{f} string" for f in FIELDS))
    return normalize(df).cache()


@pytest.mark.parametrize("grain", ["day", "month"])
def test_each_rollup_equals_its_own_count(requests, grain):
    counted = [r for _, r in families.day_families()]
    together = split_together(count_together(requests, counted, grain, now=NOW).toPandas(), counted, grain)
    assert set(together) == {r.name for r in counted}
    for rollup in counted:
        alone = compute_rollup(requests, rollup, grain, now=NOW).toPandas()
        key = list(rollup.key)
        got = together[rollup.name].sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(got, alone.sort_values(key).reset_index(drop=True), obj=rollup.name)
        assert len(got) > 0


def test_the_left_out_rows_are_left_out(requests):
    """The fixture has requests closed at or before their creation and requests without a due date:
    the resolution and timeliness rollups count fewer requests than `requests` does."""
    counted = [ROLLUPS[n] for n in ("requests", "resolution", "timeliness")]
    got = split_together(count_together(requests, counted, "month", now=NOW).toPandas(), counted, "month")
    total = got["requests"]["n"].sum()
    assert total == 400
    assert 0 < got["resolution"]["n"].sum() < total
    assert 0 < got["timeliness"]["with_due"].sum() < total
    assert (got["timeliness"]["with_due"] > 0).all()


def test_cells_are_not_counted_together(requests):
    with pytest.raises(ValueError, match="compute_rollup"):
        count_together(requests, [ROLLUPS["hex_cells"]], "month", now=NOW)


def test_day_rows_are_the_same_either_way(requests):
    """families.day_rows: one job for every family (a day's recount) or a job each (a large one), the
    same rollups in the same order with the same rows."""
    apart = list(families.day_rows(requests, NOW))
    together = list(families.day_rows(requests, NOW, together=True))
    assert [name for name, _, _ in together] == [name for name, _, _ in apart]
    for (name, rollup, a), (_, _, t) in zip(apart, together, strict=True):
        key = list(rollup.key)
        pd.testing.assert_frame_equal(t.sort_values(key).reset_index(drop=True)[list(rollup.columns)],
                                      a.sort_values(key).reset_index(drop=True)[list(rollup.columns)],
                                      check_dtype=False, obj=name)
