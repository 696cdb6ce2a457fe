"""pipeline/rollups/frames.py: the batch job's month rows and narrow rollups, summed in pandas from
a wide rollup's day rows, equal a brute-force recount of those rows, for any rows."""
from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.rollups import frames
from pipeline.rollups.families import day_families
from pipeline.rollups.tables import ROLLUPS

pytestmark = pytest.mark.unit

DAYS = ("2022-05-31", "2022-06-01", "2022-06-30", "2023-01-01")
ROW = st.tuples(st.sampled_from(DAYS), st.sampled_from(("BROOKLYN", "QUEENS", "Unspecified")),
                st.sampled_from(("Noise", "HEAT/HOT WATER")), st.sampled_from(("NYPD", "HPD")),
                st.integers(0, 9), st.integers(1, 50))


def resolution_days(rows: list[tuple]) -> pd.DataFrame:
    """Day rows of the `resolution` rollup (one per key, as Spark's group-by gives them)."""
    summed = Counter()
    for day, borough, ctype, agency, res_bin, n in rows:
        summed[(day, borough, ctype, agency, res_bin)] += n
    frame = pd.DataFrame([(*k, v) for k, v in summed.items()],
                         columns=["period", "borough", "complaint_type", "agency", "res_bin", "n"])
    frame.insert(0, "bucket", frame["period"].str[:7])
    frame.insert(0, "grain", "day")
    return frame


def brute(rows: list[tuple], dims: tuple[str, ...], length: int) -> dict[tuple, int]:
    index = {"borough": 1, "complaint_type": 2, "agency": 3, "res_bin": 4}
    out = Counter()
    for row in rows:
        out[(row[0][:length], *(row[index[d]] for d in dims))] += row[5]
    return dict(out)


@settings(max_examples=60, deadline=None)
@given(st.lists(ROW, max_size=40))
def test_month_rows_and_narrow_rollups_equal_a_recount(rows):
    days = resolution_days(rows)
    for name in ("resolution", "resolution_boroughs", "resolution_types", "resolution_agencies"):
        rollup = ROLLUPS[name]
        for grain, length, bucket in (("day", 10, 7), ("month", 7, 4)):
            got = frames.coarsen(days, rollup, grain)
            assert list(got.columns) == list(rollup.columns)
            assert (got["grain"] == grain).all() and (got["bucket"] == got["period"].str[:bucket]).all()
            assert got["n"].dtype == "int64"
            assert {(r.period, *(getattr(r, d) for d in rollup.dims)): r.n for r in got.itertuples()} \
                == brute(rows, rollup.dims, length)


def test_no_rows_give_an_empty_frame_with_the_rollups_columns():
    got = frames.coarsen(resolution_days([]).iloc[0:0], "resolution_boroughs", "month")
    assert got.empty and list(got.columns) == list(ROLLUPS["resolution_boroughs"].columns)


def test_every_day_rollup_is_in_exactly_one_family():
    """Each day-grain rollup is counted by Spark once or summed from one counted parent, never both."""
    counted = [name for name, _ in day_families()]
    summed = [child for parent in counted for child, _ in day_families(parent) if child != parent]
    everything = [name for name, r in ROLLUPS.items() if "day" in r.grains]
    assert sorted(counted + summed) == sorted(everything)
    assert not set(counted) & set(summed)
