"""Hotspot reads (pipeline/read/hotspots.py), their URL state, the hexagon figure and the live map's theme."""
from __future__ import annotations

import base64
from datetime import date

import h3
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from app import hex_figures
from app import state as st
from app.figures import CLEAR_MAP_STYLE
from app.pages.hotspots import click_cell, hovered_cell, types_text
from pipeline.read import hotspots
from pipeline.read.api import Filters
from pipeline.rollups.tables import HEX_RESOLUTION
from tests.support.rollup_fixtures import load, make_requests, with_places

pytestmark = pytest.mark.unit

CELL = h3.latlng_to_cell(40.7128, -73.9570, HEX_RESOLUTION)


def test_month_span_and_label():
    assert hotspots.month_span((date(2024, 1, 20), date(2024, 3, 2))) == ("2024-01", "2024-03")
    assert hotspots.month_span(None) is None
    assert hotspots.months_label(("2024-01", "2024-01")) == "2024-01"
    assert hotspots.months_label(("2024-01", "2024-03")) == "2024-01 to 2024-03"


def test_is_cell_accepts_only_cells_of_the_map_resolution():
    assert hotspots.is_cell(CELL)
    for bad in ("", "not-a-cell", CELL.upper(), h3.cell_to_parent(CELL, 7), h3.cell_to_children(CELL, 9)[0],
                "8" * 15, None, 123, CELL + "0"):
        assert not hotspots.is_cell(bad), bad


def test_agency_zip_and_descriptor_are_not_kept():
    """The page then says which filter to clear (a descriptor reached the stores' column check and
    blanked both charts with a logged error before)."""
    assert hotspots.rollup_filters(Filters(borough="Bronx")) == {"borough": "Bronx"}
    for f in (Filters(agency="NYPD"), Filters(zip="10027"),
              Filters(complaint_type="Noise - Residential", descriptor="Loud Music/Party")):
        with pytest.raises(hotspots.NotKept):
            hotspots.rollup_filters(f)


def test_rank_places_sums_months_and_orders_ties_by_name():
    rows = pd.DataFrame({"address": ["B ST", "A ST", "B ST", "Unspecified", "C ST"],
                         "borough": ["Bronx"] * 5, "community_district": ["201"] * 5,
                         "cell": [CELL] * 5, "n": [1, 2, 1, 50, 1]})
    top = hotspots.rank_places(rows, 2)
    assert list(top["address"]) == ["A ST", "B ST"] and list(top["count"]) == [2, 2]


def test_rank_cells_sums_and_skips_no_cell_and_top_types_rank_a_cell():
    rows = pd.DataFrame({"cell": [CELL, CELL, CELL, CELL, "Unspecified"],
                         "complaint_type": ["Noise", "Heat", "Rats", "Bees", "X"], "n": [5, 7, 1, 1, 99]})
    cells = hotspots.rank_cells(rows)
    assert list(cells["cell"]) == [CELL] and int(cells["count"].iloc[0]) == 14
    assert hotspots.rank_cells(rows[rows["cell"] == "Unspecified"]).empty
    top = hotspots.top_types(rows[rows["cell"] == CELL])
    assert list(zip(top["complaint_type"], top["count"], strict=True)) == [("Heat", 7), ("Noise", 5), ("Bees", 1)]


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from pipeline.stores import open_store
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('hot')}/rollups.db")
    store.ensure_schema()
    reqs = with_places(make_requests())
    load(store, reqs)
    yield hotspots.HotspotAPI(store, cache=False), reqs
    store.close()


@pytest.mark.parametrize("f", [Filters(), Filters(borough="Brooklyn"), Filters(complaint_type="HEAT/HOT WATER"),
                               Filters(start=date(2024, 2, 10), end=date(2024, 3, 5), community_district="109")])
def test_places_and_cells_equal_a_recount_of_the_requests(api, f):
    api, reqs = api
    sel = reqs
    for col, v in f.dims().items():
        sel = sel[sel[col] == v]
    if f.start:  # whole months of the range
        month = sel["created"].dt.strftime("%Y-%m")
        sel = sel[(month >= f.start.strftime("%Y-%m")) & (month <= f.end.strftime("%Y-%m"))]
    places = api.hotspot_places(f, None, 1000)
    want = sel[sel["address"] != "Unspecified"].groupby(["address", "borough"]).size().to_dict()
    assert dict(zip(zip(places["address"], places["borough"], strict=True), places["count"], strict=True)) == want
    cells = api.hotspot_cells(f)
    assert dict(zip(cells["cell"], cells["count"], strict=True)) == sel[sel["cell"] != "Unspecified"]["cell"].value_counts().to_dict()
    one = cells["cell"].iloc[0]
    narrowed = api.hotspot_places(f, one, 1000)
    assert set(narrowed["cell"]) == {one}
    assert int(narrowed["count"].sum()) == int((sel[sel["cell"] == one]["address"] != "Unspecified").sum())
    types = api.cell_types(f, one, 50)
    assert dict(zip(types["complaint_type"], types["count"], strict=True)) == \
        sel[sel["cell"] == one]["complaint_type"].value_counts().to_dict()


def test_a_bad_cell_is_a_clear_error(api):
    with pytest.raises(ValueError, match="not an H3 cell"):
        api[0].hotspot_places(Filters(), "zzz")


def test_url_state_keeps_a_cell_and_explains_a_bad_one():
    s, notices = st.parse(f"?cell={CELL}")
    assert s.cell == CELL and notices == []
    assert st.serialise(s) == f"?cell={CELL}"
    s, notices = st.parse("?cell=88ffffffffffff%3Cscript%3E")
    assert s.cell is None and notices and "hexagon cell" in notices[0]


def test_the_hovered_cell_and_its_types_line():
    assert hovered_cell({"points": [{"location": "Brooklyn"}, {"location": CELL}]}) == CELL
    for junk in (None, [], {"points": None}, {"points": [{"location": CELL.upper()}]}):
        assert hovered_cell(junk) is None
    assert "Point at a hexagon" in types_text(None, None)
    line = types_text(CELL, pd.DataFrame({"complaint_type": ["Heat", "Noise"], "count": [1200, 5], "months": "2024-01"}))
    assert line[1] == ", top complaint types (2024-01): Heat (1,200); Noise (5)"


def test_a_click_on_a_cell_writes_it_and_anything_else_is_ignored():
    assert click_cell("?type=Noise", {"points": [{"location": CELL}]}) == f"?type=Noise&cell={CELL}"
    for junk in (None, {}, {"points": "x"}, {"points": [{"location": "Brooklyn"}]}, {"points": [{"location": 5}]}):
        assert click_cell("?type=Noise", junk) is None


def numbers(values) -> list:
    """A trace's numbers as sent to the browser: plotly JSON carries numeric arrays as base64 typed arrays."""
    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def test_hex_map_draws_closed_cell_rings_and_follows_the_theme():
    cells = pd.DataFrame({"cell": [CELL, h3.grid_disk(CELL, 1)[1]], "count": [5, 2]})
    gj = hex_figures.cells_geojson(list(cells["cell"]))
    ring = gj["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7 and -74.3 < ring[0][0] < -73.6  # [lon, lat]
    fig = go.Figure(hex_figures.hex_map(cells, "/assets/geo/boroughs.geojson", ["Brooklyn"], selected=CELL))
    assert list(fig.data[1].locations) == list(cells["cell"]) and numbers(fig.data[1].z) == [5, 2]
    assert fig.layout.map.style == CLEAR_MAP_STYLE and fig.layout.paper_bgcolor == "rgba(0,0,0,0)"
    assert list(fig.data[2].locations) == [CELL]  # the selected cell outlined
    assert "No requests" in go.Figure(hex_figures.hex_map(cells.iloc[:0], "", [])).layout.annotations[0].text


def test_a_selection_reuses_the_unselected_map_and_leaves_it_as_it_was():
    """hex_map builds the map once per set of counts; selecting a cell outlines it and centres the
    view on it in a copy, so the next figure (another cell, or none) is drawn as if it were the first."""
    cells = pd.DataFrame({"cell": [CELL, *list(h3.grid_disk(CELL, 2))[1:]], "count": range(19, 0, -1)})
    other = cells["cell"].iloc[5]
    plain = hex_figures.hex_map(cells, "/b.geojson", ["Brooklyn"])
    one = hex_figures.hex_map(cells, "/b.geojson", ["Brooklyn"], selected=CELL)
    two = hex_figures.hex_map(cells, "/b.geojson", ["Brooklyn"], selected=other)
    assert one["data"][0] is two["data"][0] is plain["data"][0]  # the same base traces, not rebuilt
    assert len(plain["data"]) == 2 and [list(f["data"][-1]["locations"]) for f in (one, two)] == [[CELL], [other]]
    assert one["layout"]["map"]["center"] != two["layout"]["map"]["center"] != plain["layout"]["map"]["center"]
    again = hex_figures.hex_map(cells, "/b.geojson", ["Brooklyn"])
    assert again == plain and again["layout"]["map"]["zoom"] == plain["layout"]["map"]["zoom"]
    fewer = hex_figures.hex_map(cells.assign(count=cells["count"] + 1), "/b.geojson", ["Brooklyn"])
    assert numbers(go.Figure(fewer).data[1].z)[0] == 20  # other counts: another map
