"""app/live_view.py: the spike rule and what a live refresh sends."""
from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import pytest
from dash import Patch

from app import live_view as view

pytestmark = pytest.mark.unit

# Wednesday 2026-11-25 14:20 New York: hour of week 2*24+14 = 62, previous hour 61.
NOW = datetime(2026, 11, 25, 14, 20, 30)


def _baseline(rows):
    return pd.DataFrame(rows, columns=["borough", "complaint_type", "how", "mean"])


def _by_type(rows):
    return pd.DataFrame(rows, columns=["borough", "complaint_type", "count"])


def test_hour_of_week():
    assert view.hour_of_week(datetime(2026, 11, 23, 0, 5)) == 0      # Monday
    assert view.hour_of_week(NOW) == 62
    assert view.hour_of_week(datetime(2026, 11, 29, 23, 59)) == 167  # Sunday


def test_expected_blends_the_two_hours_the_window_straddles():
    exp = view.expected_last_hour(_baseline([("Bronx", "Noise", 61, 6.0), ("Bronx", "Noise", 62, 12.0),
                                             ("Bronx", "Noise", 10, 99.0)]), NOW)
    # 40 minutes of hour 61, 20 of hour 62
    assert exp.iloc[0]["expected"] == pytest.approx(6 * 40 / 60 + 12 * 20 / 60)


def test_spike_rule_ratio_count_and_floor():
    base = _baseline([("Bronx", "Noise", 61, 2.0), ("Bronx", "Noise", 62, 2.0),
                      ("Queens", "Heat", 61, 4.0), ("Queens", "Heat", 62, 4.0),
                      ("Brooklyn", "Rodent", 61, 0.01), ("Brooklyn", "Rodent", 62, 0.01)])
    hits = view.spikes(_by_type([
        ("Bronx", "Noise", 6),        # 3.0x of 2.0 and >= 5: flagged
        ("Queens", "Heat", 11),       # 2.75x: not flagged
        ("Brooklyn", "Rodent", 4),    # 400x of 0.01, but the floor makes it 8x and 4 < 5: not flagged
        ("Manhattan", "Graffiti", 5),  # no baseline at all: floor 0.5 -> 10x, flagged
    ]), base, NOW)
    assert list(zip(hits["borough"], hits["complaint_type"], strict=True)) == [("Manhattan", "Graffiti"), ("Bronx", "Noise")]
    assert hits.iloc[0]["ratio"] == pytest.approx(10.0)
    assert hits.iloc[1]["ratio"] == pytest.approx(3.0)
    assert hits.iloc[1]["expected"] == pytest.approx(2.0)


def test_spikes_of_nothing():
    assert view.spikes(_by_type([]), _baseline([]), NOW).empty


def test_minute_series_fills_the_hour():
    m = pd.DataFrame([("2026-11-25T14:20", "Bronx", 3), ("2026-11-25T13:21", "Bronx", 1),
                      ("2026-11-25T13:20", "Bronx", 7)], columns=["minute", "borough", "count"])
    s = view.minute_series(m, NOW)
    assert len(s["Bronx"]) == 60 and s["Bronx"][0] == 1 and s["Bronx"][-1] == 3 and sum(s["Bronx"]) == 4
    assert sum(s["Queens"]) == 0


def _snap(now=NOW, minutes=(), zips=(), feed=(), latest=None):
    return view.LiveSnapshot(
        now=now, minutes=pd.DataFrame(list(minutes), columns=["minute", "borough", "count"]),
        by_type=pd.DataFrame(columns=["borough", "complaint_type", "count"]),
        zips=pd.DataFrame(list(zips), columns=["zip", "count"]),
        feed=pd.DataFrame(list(feed), columns=list(view.FEED_COLUMNS)), latest=latest, status="running")


def _feed_row(k, sec):
    return (str(k), NOW - timedelta(seconds=sec), "Bronx", "Noise", "Loud Music", "10451")


def test_refresh_sends_nothing_when_nothing_moved():
    snap = _snap(minutes=[("2026-11-25T14:20", "Bronx", 3)], zips=[("10451", 3)], feed=[_feed_row(1, 5)],
                 latest=NOW - timedelta(seconds=5))
    shown = view.Prepared(snap).state
    out = view.refresh(shown, view.Prepared(snap))
    assert all(v is None for v in out.values())
    # a few seconds later, same minute, same data: still nothing
    later = view.Prepared(snap.__class__(**{**snap.__dict__, "now": NOW + timedelta(seconds=9)}))
    assert all(v is None for v in view.refresh(shown, later).values())


def test_refresh_patches_only_what_changed():
    before = _snap(minutes=[("2026-11-25T14:20", "Bronx", 3)], zips=[("10451", 3)])
    after = _snap(minutes=[("2026-11-25T14:20", "Bronx", 4)], zips=[("10451", 3)])
    out = view.refresh(view.Prepared(before).state, view.Prepared(after))
    assert isinstance(out["minutes"], Patch) and out["map"] is None and out["feed"] is None
    ops = out["minutes"].to_plotly_json()["operations"]
    assert [op["location"] for op in ops] == [["data", 0, "y"]]  # only the Bronx trace
    assert out["state"]["m"] != view.Prepared(before).state["m"]


def test_refresh_slides_the_window_with_x0():
    before = _snap()
    after = _snap(now=NOW + timedelta(minutes=1))
    out = view.refresh(view.Prepared(before).state, view.Prepared(after))
    locations = [op["location"] for op in out["minutes"].to_plotly_json()["operations"]]
    assert ["data", 0, "x0"] in locations and len(locations) == 2 * len(view.LIVE_BOROUGHS)


def test_feed_patch_inserts_new_on_top_and_trims():
    p = view.feed_patch(["3", "2", "1"], ["5", "4", "3"], ["i5", "i4", "i3"])
    ops = p.to_plotly_json()["operations"]
    assert [o["operation"] for o in ops] == ["Insert", "Insert", "Delete", "Delete"]
    assert ops[0]["params"] == {"index": 0, "value": "i5"} and ops[1]["params"] == {"index": 1, "value": "i4"}
    assert view.feed_patch(["1"], ["1"], ["i1"]) is None
    assert view.feed_patch(["1", "2"], ["9", "8"], ["i9", "i8"]) == ["i9", "i8"]  # not a shift: replace
    assert view.feed_patch([], ["1"], ["i1"]) == ["i1"]


def test_no_history_no_alerts():
    by_type = _by_type([("Bronx", "Noise", 50)])
    assert view.spikes(by_type, _baseline([]), NOW).empty
    assert view.spikes(by_type, _baseline([]), NOW, history=False).empty


def test_history_without_rows_for_these_hours_still_alerts():
    """The page reads only the window's two hours: none of them in the history is a floor, not 'no history'."""
    by_type = _by_type([("Bronx", "Noise", 50)])
    hits = view.spikes(by_type, _baseline([]), NOW, history=True)
    assert hits["ratio"].tolist() == [pytest.approx(50 / view.BASELINE_FLOOR)]
    assert view.window_hows(NOW) == (61, 62) and view.window_hows(datetime(2026, 11, 23, 0, 5)) == (167, 0)
