"""The pages' calculations (app/metrics.py) on hand-made frames: each rule once, without Dash or a store."""
from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

from app import metrics

pytestmark = pytest.mark.unit


def test_span_granularity_days_weeks_months():
    assert metrics.span_granularity(None, date(2024, 1, 1), 92, 731) == "month"
    assert metrics.span_granularity(date(2024, 1, 1), date(2024, 4, 1), 92, 731) == "day"  # 92 days
    assert metrics.span_granularity(date(2024, 1, 1), date(2024, 4, 2), 92, 731) == "week"
    assert metrics.span_granularity(date(2022, 1, 1), date(2024, 1, 1), 92, 731) == "week"  # 731 days
    assert metrics.span_granularity(date(2022, 1, 1), date(2024, 1, 2), 92, 731) == "month"


def test_open_share_by_borough():
    mix = pd.DataFrame({"borough": ["Bronx", "Bronx", "Bronx", "Queens", "Queens"],
                        "status": ["Closed", "Open", "In Progress", "Closed", "Closed"],
                        "count": [6, 3, 1, 5, 0]})
    share = metrics.open_share(mix)
    assert share["Bronx"] == pytest.approx(40.0) and share["Queens"] == 0.0
    empty = metrics.open_share(pd.DataFrame({"borough": ["Bronx"], "status": ["Open"], "count": [0]}))
    assert math.isnan(empty["Bronx"])


def test_halves_change_leaves_the_middle_of_an_odd_series_out():
    assert metrics.halves_change([]) is None and metrics.halves_change([7]) is None
    assert metrics.halves_change([10, 15]) == pytest.approx(50.0)
    assert metrics.halves_change([10, 999, 5]) == pytest.approx(-50.0)
    assert metrics.halves_change([0, 0, 4, 4]) is None  # nothing in the first half to compare with


def test_sum_totals_sum_series_and_top_areas():
    a = pd.DataFrame({"zip": ["10001", "10002"], "count": [10, 1], "borough": ["Manhattan"] * 2,
                      "population": [20_000.0, 1_000.0]})
    b = pd.DataFrame({"zip": ["10001", "10002"], "count": [5, 2], "borough": ["Manhattan"] * 2,
                      "population": [20_000.0, 1_000.0]})
    sa = pd.DataFrame({"period": ["2024-01", "2024-02"], "zip": ["10001", "10001"], "count": [4, 6]})
    sb = pd.DataFrame({"period": ["2024-01"], "zip": ["10001"], "count": [5]})
    tot, ser = metrics.sum_totals([a, b], "zip"), metrics.sum_series([sa, sb], "zip")
    assert dict(zip(tot["zip"], tot["count"], strict=True)) == {"10001": 15, "10002": 3}
    assert tot.set_index("zip")["per_10k"].to_dict() == pytest.approx({"10001": 7.5, "10002": 30.0})
    assert ser.set_index("period")["count"].to_dict() == {"2024-01": 9, "2024-02": 6}
    assert list(metrics.top_areas(tot, "zip", False, 10, 2_000)["zip"]) == ["10001", "10002"]
    assert list(metrics.top_areas(tot, "zip", True, 10, 2_000)["zip"]) == ["10001"]  # 10002: too few residents
    assert list(metrics.top_areas(tot, "zip", True, 10, 500)["zip"]) == ["10002", "10001"]


def test_year_before_keeps_weekdays_or_months():
    assert metrics.year_before(None, "day") is None
    assert metrics.year_before(date(2024, 3, 4), "week") == date(2023, 3, 6)  # Monday -> Monday
    assert metrics.year_before(date(2024, 3, 4), "week").weekday() == date(2024, 3, 4).weekday()
    assert metrics.year_before(date(2024, 2, 29), "month") == date(2023, 2, 28)
    assert metrics.year_before(date(2024, 5, 31), "month") == date(2023, 5, 31)


def test_align_year_over_year_pairs_periods_from_the_end():
    cur = pd.DataFrame({"period": ["2024-01", "2024-02", "2024-03"], "count": [1, 2, 3], "complete": [True] * 3})
    prev = pd.DataFrame({"period": ["2022-12", "2023-01", "2023-02", "2023-03"], "count": [9, 10, 20, 30],
                         "complete": [True, True, True, False]})
    out = metrics.align_year_over_year(cur, prev)
    assert list(out.columns) == ["series", "period", "actual_period", "count", "complete"]
    earlier = out[out["series"] == "A year earlier"]
    assert list(earlier["period"]) == ["2024-01", "2024-02", "2024-03"]
    assert list(earlier["actual_period"]) == ["2023-01", "2023-02", "2023-03"]
    assert list(earlier["count"]) == [10, 20, 30] and list(earlier["complete"]) == [True, True, False]
    this = out[out["series"] == "This period"]
    assert list(this["actual_period"]) == list(this["period"]) and list(this["count"]) == [1, 2, 3]


def test_kpi_numbers():
    k = pd.DataFrame.from_records([{"metric": "requests", "value": 200, "previous": 100},
                                   {"metric": "open_now", "value": 50, "previous": None},
                                   {"metric": "median_h", "value": 12.0, "previous": 16.0}])
    n = metrics.kpi_numbers(k)
    assert (n["total"], n["prev_total"], n["open_now"]) == (200, 100, 50)
    assert n["pct"] == pytest.approx(100.0) and n["mpct"] == pytest.approx(-25.0)
    assert n["open_pct"] == pytest.approx(25.0)
    k.loc[1, "value"] = float("nan")  # kept by borough only: no open count
    k.loc[0, "previous"] = float("nan")  # all time: no previous period
    n = metrics.kpi_numbers(k)
    assert n["open_now"] is None and n["open_pct"] is None and n["prev_total"] is None and n["pct"] is None


def test_first_value_of_a_one_row_answer():
    assert metrics.first(pd.DataFrame({"median_h": [3]}), "median_h") == 3.0
    assert metrics.first(pd.DataFrame(columns=["median_h"]), "median_h") is None
    assert metrics.first(None, "median_h") is None


def test_due_shares_and_resolution_numbers():
    due = pd.DataFrame({"agency": ["NYPD", "DOT"], "with_due": [10, 4], "on_time": [5, 1], "late": [3, 1],
                        "open_past_due": [2, 2]})
    shares = metrics.due_shares(due)
    assert list(shares["on_time_pct"]) == [50.0, 25.0] and list(shares["open_past_due_pct"]) == [20.0, 50.0]
    assert "on_time_pct" not in due.columns  # the answer itself is left as it was
    res = pd.DataFrame({"median_h": [5.5], "p90_h": [40.0]})
    n = metrics.resolution_numbers(res, due)
    assert (n["median"], n["p90"], n["with_due"], n["on_time"], n["past_due"]) == (5.5, 40.0, 14, 6, 4)
    assert n["on_time_pct"] == pytest.approx(6 / 14 * 100)
    n = metrics.resolution_numbers(res.iloc[0:0], due.iloc[0:0])
    assert n["median"] is None and n["on_time_pct"] is None and n["with_due"] == 0
