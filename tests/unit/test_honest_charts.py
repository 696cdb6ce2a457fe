"""Charts that don't mislead: a cut-short last period is marked, a huge 'Other' does not flatten the
named lines, small donut slices carry no overlapping labels, long durations read in days."""
from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from pipeline.read.series import mark_complete, period_bounds
from tests.support.drawn import builders as draw

pytestmark = pytest.mark.unit


def test_period_bounds_of_each_granularity():
    assert period_bounds("2024-02-01", "month") == (datetime(2024, 2, 1), datetime(2024, 3, 1))
    assert period_bounds("2024-12-01", "month")[1] == datetime(2025, 1, 1)
    assert period_bounds("2024-03-04", "week")[1] == datetime(2024, 3, 11)
    assert period_bounds("2024-03-10", "day")[1] == datetime(2024, 3, 11)
    with pytest.raises(ValueError):
        period_bounds("2024-03-10", "hour")


def test_the_period_the_data_ends_in_is_incomplete():
    df = pd.DataFrame({"period": ["2024-03-08", "2024-03-09", "2024-03-10"], "count": [100, 98, 31]})
    marked = mark_complete(df, "day", date(2024, 3, 8), date(2024, 3, 10), datetime(2024, 3, 10, 8, 15))
    assert list(marked["complete"]) == [True, True, False]
    assert list(marked["count"]) == [100, 98, 31]  # the numbers are untouched
    # data that reaches within the slack of the day's end holds the day
    late = mark_complete(df, "day", date(2024, 3, 8), date(2024, 3, 10), datetime(2024, 3, 10, 23, 40))
    assert late["complete"].all()


def test_weeks_and_months_cut_by_the_range_are_incomplete():
    weeks = pd.DataFrame({"period": ["2024-02-26", "2024-03-04", "2024-03-11"], "count": [5, 7, 2]})
    # the range starts on a Wednesday and ends on a Tuesday: its first and last weeks are partial
    marked = mark_complete(weeks, "week", date(2024, 2, 28), date(2024, 3, 12), None)
    assert list(marked["complete"]) == [False, True, False]
    months = pd.DataFrame({"period": ["2024-01-01", "2024-02-01"], "count": [50, 40]})
    whole = mark_complete(months, "month", date(2024, 1, 1), date(2024, 2, 29), datetime(2024, 3, 2))
    assert whole["complete"].all()
    assert mark_complete(months.iloc[:0], "month", None, None, None).columns.tolist() == ["period", "count",
                                                                                          "complete"]


def test_an_incomplete_last_period_is_drawn_dashed_not_as_a_fall():
    df = pd.DataFrame({"period": ["d1", "d2", "d3"], "count": [10, 11, 2], "complete": [True, True, False]})
    fig = draw.timeseries(df)
    solid, dashed = fig.data
    assert list(solid.y) == [10, 11, None]
    assert list(dashed.y) == [None, 11, 2] and dashed.line.dash == "dash" and dashed.showlegend is False
    assert "incomplete period" in " ".join(a.text for a in fig.layout.annotations)
    for fig in (draw.year_over_year(df.assign(series="This period", actual_period=df["period"])),
                draw.side_by_side(df.assign(area="Bronx"))):
        assert any(t.line.dash == "dash" for t in fig.data)
    # complete series: one trace each, no note
    assert len(draw.timeseries(df.assign(complete=True)).data) == 1


def test_an_other_line_that_dwarfs_the_named_ones_starts_hidden():
    df = pd.DataFrame({"period": ["d1", "d2"] * 3, "complaint_type": ["Other"] * 2 + ["Noise"] * 2 + ["Heat"] * 2,
                       "count": [900, 950, 40, 45, 30, 20]})
    fig = draw.timeseries(df, "complaint_type")
    other = [t for t in fig.data if t.name.startswith("Other")]
    assert len(other) == 1 and other[0].visible == "legendonly" and list(other[0].y) == [900, 950]
    assert all(t.visible is None for t in fig.data if not t.name.startswith("Other"))
    # an Other no larger than the named lines is drawn like them
    small = df.assign(count=[10, 12, 40, 45, 30, 20])
    assert all(t.visible is None for t in draw.timeseries(small, "complaint_type").data)


def test_small_donut_slices_carry_no_label():
    df = pd.DataFrame({"status": ["Closed", "Open", "Pending", "Assigned"], "count": [900, 80, 15, 5]})
    pie = draw.donut(df, "status").data[0]
    assert list(pie.text) == ["90%", "8%", "", ""] and pie.textposition == "inside"
    assert list(pie.values) == [900, 80, 15, 5]


def test_long_resolution_times_read_in_days():
    df = pd.DataFrame({"agency": ["HPD", "DOT"], "median_h": [12.0, 240.0], "p90_h": [96.0, 3000.0]})
    fig = draw.resolution_bars(df, "agency")
    assert "Days" in fig.layout.xaxis.title.text
    assert list(fig.data[1].x) == [125.0, 4.0]  # reversed: largest category order kept, in days
    short = draw.resolution_bars(df.assign(median_h=[1.0, 2.0], p90_h=[3.0, 24.0]), "agency")
    assert "Hours" in short.layout.xaxis.title.text and list(short.data[1].x) == [24.0, 3.0]

