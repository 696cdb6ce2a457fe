"""bench/read_lake.py compares the read API's frames with DuckDB's rows: the comparison keys each
answer by what it counts, not by the labels the API adds (an area's home borough, per-capita
columns) or the zero periods it fills in."""
from __future__ import annotations

import pandas as pd
import pytest

from bench.read_lake import as_counts

pytestmark = pytest.mark.unit


def test_an_areas_home_borough_and_per_capita_columns_are_labels_not_keys():
    frame = pd.DataFrame({"zip": ["11201", "10001"], "borough": ["Brooklyn", "Manhattan"], "count": [5, 3],
                          "population": [1.0, None], "per_10k": [2.0, None]})
    assert as_counts(frame) == {("11201",): 5, ("10001",): 3}


def test_filled_zero_periods_are_left_out_and_split_series_keep_both_keys():
    frame = pd.DataFrame({"period": ["2025-12-01", "2025-12-01", "2026-01-01"], "borough": ["Brooklyn", "Other", "Brooklyn"],
                          "count": [4, 0, 2]})
    assert as_counts(frame) == {("2025-12-01", "Brooklyn"): 4, ("2026-01-01", "Brooklyn"): 2}


def test_a_different_count_is_not_equal():
    frame = pd.DataFrame({"borough": ["Queens"], "count": [7]})
    assert as_counts(frame) != {("Queens",): 8}
