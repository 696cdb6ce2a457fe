"""Hotspots (/hotspots): where exactly requests come from. A hexagon density map (H3 cells) and the
addresses and intersections with the most requests for the filters; clicking a hexagon narrows the
list to that cell (`cell` in the URL). Read from the month-grain hotspot rollups (pipeline/read/hotspots.py):
a range counts the whole months it touches, which every chart here says."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, dcc, html, no_update

from app import charts, figures, geo, hex_figures, inputs
from app import state as st
from app.charts import URL, NotAvailable, Reads
from app.data import DataUnavailable
from pipeline.read.hotspots import NotKept, is_cell
from pipeline.rollups.tables import HOTSPOT_TOP

PAGE = "hotspots"
TYPES_ID = "hotspots-cell-types"
PLACE_COLUMNS = ["rank", "address", "borough", "community_district", "cell", "count", "months"]


def _ask(reads: Reads, method: str, *args):
    try:
        return reads(method, *args)
    except NotKept as exc:
        raise NotAvailable(str(exc)) from None


def cells_frame(s: st.State, reads: Reads) -> pd.DataFrame:
    """Every H3 cell with requests for the filters: cell, count, months (the map's numbers)."""
    return _ask(reads, "hotspot_cells", reads.filters(s))


def places_frame(s: st.State, reads: Reads) -> pd.DataFrame:
    """The top places for the filters (and the clicked cell), ranked: the list's numbers."""
    top = _ask(reads, "hotspot_places", reads.filters(s), s.cell, HOTSPOT_TOP)
    return top.assign(rank=range(1, len(top) + 1))[PLACE_COLUMNS]


def area_name(district: str, borough: str) -> str:
    """'Brooklyn CD 1' (one address text may name places in two districts), else the borough."""
    return geo.names("community_district").get(district, (borough, borough))[0]


def hex_figure(df: pd.DataFrame, s: st.State):
    return hex_figures.hex_map(df, geo.url("borough"), list(geo.names("borough")), s.cell,
                               grid_url=geo.url("h3_cell"), grid=geo.grid_cells())


def places_figure(df: pd.DataFrame, s: st.State):
    if df.empty:
        return figures.empty("No addresses match these filters." if not s.cell else
                             "No addresses in this hexagon for these filters.", 520)
    label = df.apply(lambda r: f"{r['rank']}. {r['address']} ({area_name(r['community_district'], r['borough'])})",
                     axis=1)
    return figures.bars(df.assign(label=label), "label", "count", f"Requests, {df['months'].iloc[0]}", height=520)


CHARTS = [
    charts.chart(PAGE, "hexagons", "Requests by hexagon", cells_frame, hex_figure, height=520,
                 help="H3 cells of about 0.7 km². Hover for the count (its top complaint types show above the "
                      "map); click a hexagon to list its addresses. Whole months of the range are counted."),
    charts.chart(PAGE, "places", f"Top {HOTSPOT_TOP} addresses and intersections", places_frame, places_figure,
                 height=520, help="Addresses normalised (123 MAIN STREET = 123 MAIN ST); an intersection is "
                                  "its two streets, in either order. Whole months of the range are counted."),
]


def layout(**query):
    s, _ = st.parse(charts.query_string(query))
    notes = []
    if s.cell:
        notes.append(dbc.Alert([f"Showing the addresses of hexagon {s.cell}. ",
                                dcc.Link("Show every hexagon", href=dash.get_relative_path("/hotspots") + st.serialise(s.but(cell=None)),
                                         id="hotspots-clear-cell")],
                               color="info", className="py-2", id="hotspots-cell-note"))
    return charts.page(PAGE, "Hotspots", "Where exactly: the blocks and addresses with the most requests for "
                       "the filters.", query, [
                           *notes,
                           dbc.Row([dbc.Col(charts.card(CHARTS[0], html.Div(
                               types_text(None, None), id=TYPES_ID, className="small mt-2", **{"aria-live": "polite"})),
                               xs=12, xl=7),
                                    dbc.Col(charts.card(CHARTS[1]), xs=12, xl=5)], className="g-3"),
                       ])


def hovered_cell(hover: object) -> str | None:
    """The H3 cell under the pointer in a map hoverData payload (client-made: anything else is None)."""
    points = hover.get("points") if isinstance(hover, dict) else None
    points = [p for p in points if isinstance(p, dict)] if isinstance(points, list) else []
    return next((p["location"] for p in points if isinstance(p.get("location"), str) and is_cell(p["location"])),
                None)


def types_text(cell: str | None, types: pd.DataFrame | None) -> object:
    """The line above the map: the hexagon's top complaint types, with their counts."""
    if cell is None or types is None:
        return "Point at a hexagon for its top complaint types."
    if types.empty:
        return f"Hexagon {cell}: no requests for these filters."
    listed = "; ".join(f"{t} ({figures.fmt_int(n)})" for t, n in zip(types["complaint_type"], types["count"], strict=True))
    return [html.B(f"Hexagon {cell}"), f", top complaint types ({types['months'].iloc[0]}): {listed}"]


def click_cell(search: str | None, click: object) -> str | None:
    """The query string after a click on the map: the clicked cell, or None for anything else (a
    hand-made payload, a click on a borough outline)."""
    cell = hovered_cell(click)
    if cell is None:
        return None
    s, _ = st.parse(search)
    return st.serialise(s.but(cell=cell))


def register(app) -> None:
    charts.register(app, PAGE, CHARTS)
    # what a worker's first hexagon map paid inside a user's visit, now paid at start: the grid layer's
    # cells (a GeoJSON parse). The map is built as plotly JSON (app/figures.py figure): no validators to warm.
    geo.grid_cells()

    @app.callback(Output(TYPES_ID, "children"), Input(charts.graph_id(CHARTS[0]), "hoverData"),
                  State(f"{PAGE}-state", "data"), prevent_initial_call=True)
    def on_hover(hover, search):
        cell = hovered_cell(hover)
        if cell is None:
            return no_update
        reads = charts.Reads()
        s = reads.state(search)  # checked and clamped: the payload is client-made
        try:
            return types_text(cell, _ask(reads, "cell_types", reads.filters(s), cell))
        except (NotAvailable, DataUnavailable) as exc:
            return str(exc)

    @app.callback(Output(URL, "search", allow_duplicate=True),
                  Input(charts.graph_id(CHARTS[0]), "clickData"), State(URL, "search"), prevent_initial_call=True)
    def on_click(click, search):
        new = click_cell(inputs.search(search), click)
        return no_update if new is None else new


