"""Figure builders: the numbers drawn are the numbers given, and empty data gives a readable notice."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from app import figures, geo
from tests.support.drawn import builders as draw
from tests.support.drawn import drawn

pytestmark = pytest.mark.unit


def _annotation(fig) -> str:
    return " ".join(a.text for a in fig.layout.annotations)


def test_timeseries_single_and_split():
    df = pd.DataFrame({"period": ["2024-01-01", "2024-01-08"], "count": [5, 7]})
    fig = draw.timeseries(df)
    assert list(fig.data[0].y) == [5, 7] and list(fig.data[0].x) == ["2024-01-01", "2024-01-08"]
    split = pd.DataFrame({"period": ["d1", "d1", "d2", "d2"], "borough": ["Bronx", "Queens"] * 2,
                          "count": [1, 9, 2, 8]})
    fig = draw.timeseries(split, "borough")
    assert [t.name for t in fig.data] == ["Queens", "Bronx"]  # largest first
    assert list(fig.data[0].y) == [9, 8]


def test_empty_inputs_say_so():
    for fig in (draw.timeseries(pd.DataFrame({"period": [], "count": []})),
                draw.bars(pd.DataFrame({"x": [], "count": []}), "x"),
                draw.donut(pd.DataFrame({"x": [], "count": []}), "x")):
        assert "No requests match" in _annotation(fig)
    assert "closed" in _annotation(draw.resolution_bars(pd.DataFrame(), "agency"))


def test_bars_put_the_largest_on_top():
    df = pd.DataFrame({"complaint_type": ["A", "B", "C"], "count": [30, 20, 10]})
    fig = draw.bars(df, "complaint_type")
    assert list(fig.data[0].y) == ["C", "B", "A"] and list(fig.data[0].x) == [10, 20, 30]


def test_timeliness_shares_add_up_and_keep_counts():
    df = pd.DataFrame({"agency": ["HPD"], "with_due": [10], "on_time": [6], "late": [3], "open_past_due": [1]})
    fig = draw.timeliness(df, "agency")
    assert [round(t.x[0], 6) for t in fig.data] == [60.0, 30.0, 10.0]
    assert [t.customdata[0] for t in fig.data] == [6, 3, 1]


def test_year_over_year_overlays_the_earlier_series():
    df = pd.DataFrame({"series": ["This period", "A year earlier"], "period": ["2024-01-01", "2024-01-01"],
                       "actual_period": ["2024-01-01", "2023-01-02"], "count": [4, 3]})
    fig = draw.year_over_year(df)
    assert [t.name for t in fig.data] == ["This period", "A year earlier"]
    assert list(fig.data[1].customdata) == ["2023-01-02"]


def test_choropleth_outlines_every_region_and_colours_those_with_data():
    layer = geo.layer("borough")
    df = pd.DataFrame({"id": ["Brooklyn"], "name": ["Brooklyn"], "value": [12.0], "value_text": ["12"],
                       "count": [12], "population": [2_736_074.0]})
    fig = draw.choropleth(layer, list(geo.names("borough")), df, "Requests")
    assert len(fig.data[0].locations) == 5
    assert list(fig.data[1].locations) == ["Brooklyn"] and list(fig.data[1].z) == [12.0]
    assert len(draw.choropleth(layer, list(geo.names("borough")), df, "Requests", selected="Bronx").data) == 3
    assert fig.layout.geo.visible is False and fig.layout.geo.fitbounds == "locations"  # no tiles needed


def test_ranking_text_carries_value_and_trend():
    df = pd.DataFrame({"rank": [1, 2], "name": ["11211 Brooklyn", "10027 New York"], "requests": [9, 4],
                       "trend": ["▁█", "██"]})
    fig = draw.ranking(df, "requests", "Requests")
    assert list(fig.data[0].y) == ["2. 10027 New York", "1. 11211 Brooklyn"]
    assert fig.data[0].text[1] == "9  ▁█"


def test_formatting_helpers():
    assert figures.fmt_hours(0.5) == "30 min" and figures.fmt_hours(5) == "5.0 h"
    assert figures.fmt_hours(72) == "3.0 days" and figures.fmt_hours(math.nan) == "–"
    assert figures.fmt_int(1234567) == "1,234,567" and figures.fmt_int(None) == "–"
    assert figures.change(150, 100) == 50.0 and figures.change(5, 0) is None
    assert figures.sparkline([0, 7]) == "▁█" and figures.sparkline([3, 3]) == "▁▁"
    assert figures.fmt_change(-2.5).startswith("▼ 2.5%")


def test_boundary_layers_are_small_and_keyed_like_the_read_api():
    import gzip
    for level, expect in (("borough", "Brooklyn"), ("community_district", "109"), ("zip", "10027")):
        path = geo.GEO_DIR / geo.LAYER_FILES[level]
        assert len(gzip.compress(path.read_bytes())) <= 300 * 1024
        assert expect in geo.names(level)


def test_clear_map_style_is_transparent_offline_and_survives_plotly_updates():
    """The live and hexagon maps' style: a transparent background, nothing to fetch, and no empty object
    in it: on Plotly.react plotly deletes empty objects inside the style (relinking private keys), so
    the style would differ from the drawn one on every update, be re-set, and MapLibre would refuse it
    ('missing required property "sources"', plotly's "Map error.")."""
    from app import live_view

    def objects(value):
        if isinstance(value, dict):
            yield value
            for v in value.values():
                yield from objects(v)
        elif isinstance(value, list):
            for v in value:
                yield from objects(v)

    style = figures.CLEAR_MAP_STYLE
    assert all(objects(style)) and style["sources"]
    assert [layer["type"] for layer in style["layers"]] == ["background"]
    assert style["layers"][0]["paint"]["background-color"] == "rgba(0,0,0,0)"
    assert "glyphs" not in style and "sprite" not in style and "http" not in str(style)
    live = drawn(live_view.zip_map_figure(pd.DataFrame({"zip": ["10451"], "count": [3]}), "/assets/geo/zip.geojson", ["10451"]))
    assert live.layout.map.style == style and live.layout.paper_bgcolor == "rgba(0,0,0,0)"


def test_builders_answer_plotly_json_that_draws_as_go_figure_would():
    """The app sends each builder's dict as it is (app/figures.py `figure`: no validation per callback). It
    carries the template go.Figure adds, so a chart looks as it did, and plotly accepts all of it (drawn
    raises on any invalid property), the live page's figures included."""
    import json
    from datetime import datetime

    import plotly.graph_objects as go
    from plotly.io.json import to_json_plotly

    from app import live_view
    df = pd.DataFrame({"period": ["2024-01-01", "2024-01-08"], "count": [5, 7], "complete": [True, False]})
    fig = figures.timeseries(df)
    assert isinstance(fig, dict) and drawn(fig).layout.template == go.Figure().layout.template
    assert json.loads(to_json_plotly(fig))["data"][0]["y"] == [5, None]  # what Dash sends: plain JSON
    now = datetime(2024, 5, 1, 12, 30)
    minutes = drawn(live_view.minutes_figure({b: [1] * 60 for b in live_view.LIVE_BOROUGHS}, now))
    assert [t.name for t in minutes.data] == list(live_view.LIVE_BOROUGHS) and minutes.data[0].line.shape == "hv"
    missing = pd.DataFrame({"agency": ["HPD", "DOT"], "median_h": [5.0, float("nan")], "p90_h": [9.0, 1.0]})
    assert list(drawn(figures.resolution_bars(missing, "agency")).data[0].x) == [None, 5.0]  # no bar, not NaN
