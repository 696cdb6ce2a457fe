"""Map (/map): requests by borough, community district or ZIP; click a region to filter the app to it."""
from __future__ import annotations

import math

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, no_update

from app import charts, descriptors, figures, geo, inputs, metrics
from app import state as st
from app.charts import URL, Reads

PAGE = "map"
TOP = 10
COLUMNS = ["id", "name", "borough", "count", "population", "value", "value_text"]
# Metrics the read API can give below borough level (resolution and status are rolled up by borough).
BOROUGH_ONLY = {"median_h", "open_share"}


def _value_text(metric: str, v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "not available"
    if metric == "count":
        return figures.fmt_int(v)
    if metric == "per_10k":
        return f"{v:,.1f} per 10,000"
    if metric == "median_h":
        return figures.fmt_hours(v)
    return f"{v:.1f}%"


def region_frame(s: st.State, reads: Reads) -> pd.DataFrame:
    """One row per region of the chosen level with the chosen metric (the map's numbers).

    The map ignores its own area filters (district, ZIP) so the whole city stays visible around a
    clicked region; the borough filter narrows it (drill down: click a borough, then switch level)."""
    level, metric = s.level, s.metric
    if level == "zip" or metric in BOROUGH_ONLY:
        descriptors.not_kept(s, "ZIP codes" if level == "zip" else st.METRICS[metric])
    f = reads.filters(s).but(community_district=None, zip=None)
    if level == "borough":
        f = f.but(borough=None)
    if metric in BOROUGH_ONLY and level != "borough":
        return pd.DataFrame(columns=COLUMNS)
    areas = reads("top_areas", level, f, 10_000, True)
    frame = pd.DataFrame({"id": areas[level].astype(str), "borough": areas["borough"], "count": areas["count"],
                          "population": areas["population"]})
    if metric == "count":
        frame["value"] = frame["count"].astype(float)
    elif metric == "per_10k":
        frame["value"] = areas["per_10k"].astype(float).where(areas["population"] >= st.MIN_POPULATION)
    elif metric == "median_h":
        res = reads("resolution", "borough", f)
        frame["value"] = frame["id"].map(dict(zip(res["borough"], res["median_h"], strict=True))).astype(float)
    else:
        frame["value"] = frame["id"].map(metrics.open_share(reads("status_mix", f, "borough"))).astype(float)
    known = geo.names(level)
    frame = frame[frame["id"].isin(known)].copy()  # 'Unspecified' and ZIPs outside the layer have no shape
    frame["name"] = frame["id"].map(lambda i: known[i][0])
    frame["value_text"] = frame["value"].map(lambda v: _value_text(metric, v))
    return frame.sort_values("value", ascending=False, na_position="last")[COLUMNS].reset_index(drop=True)


def top_frame(s: st.State, reads: Reads) -> pd.DataFrame:
    frame = region_frame(s, reads).dropna(subset=["value"]).head(TOP)
    return frame[["name", "borough", "value", "value_text", "count"]]


def map_figure(df: pd.DataFrame, s: st.State):
    selected = {"borough": s.borough, "community_district": s.district, "zip": s.zip}[s.level]
    fig = figures.choropleth(geo.url(s.level), list(geo.names(s.level)), df, st.METRICS[s.metric], selected=selected)
    if df.empty and s.metric in BOROUGH_ONLY and s.level != "borough":
        note = {"text": f"{st.METRICS[s.metric]} is available by borough only.", "showarrow": False, "x": 0.5,
                "y": 0.97, "xref": "paper", "yref": "paper", "font": {"size": 13, "color": figures.TEXT},
                "bgcolor": "rgba(255,255,255,0.85)"}
        fig["layout"]["annotations"] = [*fig["layout"].get("annotations", []), note]
    return fig


CHARTS = [
    charts.chart(PAGE, "regions", "Requests by area", region_frame, map_figure, height=560,
                 help="Hover for details; click a region to filter every page to it. Colours saturate at the "
                      "95th percentile; per-resident rates need 2,000+ residents."),
    charts.chart(PAGE, "top", f"Top {TOP} areas", top_frame,
                 lambda df, s: figures.bars(df.assign(label=df["name"]), "label", "value", st.METRICS[s.metric],
                                            height=560, value_format=",.1f"), height=560),
]


def controls(s: st.State) -> dbc.Row:
    return dbc.Row([
        dbc.Col([dbc.Label("Level", className="filter-label mb-1"),
                 dbc.RadioItems(id="map-level", options=[{"label": v, "value": k} for k, v in st.LEVELS.items()],
                                value=s.level, className="btn-group flex-wrap", inputClassName="btn-check",
                                labelClassName="btn btn-outline-secondary btn-sm", labelCheckedClassName="active")],
                xs=12, md="auto"),
        dbc.Col([dbc.Label("Measure", html_for="map-metric", className="filter-label mb-1"),
                 dbc.Select(id="map-metric", options=[{"label": v, "value": k} for k, v in st.METRICS.items()],
                            value=s.metric, size="sm")], xs=12, md=4, lg=3),
    ], className="g-3 align-items-end")


def layout(**query):
    s, _ = st.parse(charts.query_string(query))
    notes = []
    if s.metric in BOROUGH_ONLY and s.level != "borough":
        notes.append(dbc.Alert(f"{st.METRICS[s.metric]} comes from rollups kept by borough: switch the level to "
                               "Borough to see it on the map.", color="info", className="py-2", id="map-level-note"))
    return charts.page(PAGE, "Map", "Where requests come from. Per-capita rates use 2020 Census populations "
                       "(boroughs, community districts) and MODZCTA estimates (ZIP codes).", query, [
                           *notes,
                           dbc.Row([dbc.Col(charts.card(CHARTS[0]), xs=12, xl=8),
                                    dbc.Col(charts.card(CHARTS[1]), xs=12, xl=4)], className="g-3"),
                       ], controls(s))


def click_filter(search: str | None, level: str, region: str) -> str:
    """The query string after clicking a region: the region becomes the filter of its level."""
    s, _ = st.parse(search)
    if level == "borough":
        return st.serialise(s.but(borough=region, district=None, zip=None))
    borough = geo.names(level).get(region, (None, None))[1] or None
    if level == "community_district":
        return st.serialise(s.but(district=region, zip=None, borough=borough))
    return st.serialise(s.but(zip=region, district=None, borough=borough))


def register(app) -> None:
    charts.register(app, PAGE, CHARTS)
    charts.write_options(app, {"map-level": "level", "map-metric": "metric"})

    @app.callback(Output(URL, "search", allow_duplicate=True),
                  Input(charts.graph_id(CHARTS[0]), "clickData"), State(URL, "search"), prevent_initial_call=True)
    def on_click(click, search):
        """A click names a region of the drawn level; anything else (a hand-made payload) is ignored."""
        points = click.get("points") if isinstance(click, dict) else None
        points = [p for p in points if isinstance(p, dict)] if isinstance(points, list) else []
        location = next((p["location"] for p in points if isinstance(p.get("location"), str)), None)
        search = inputs.search(search)
        s, _ = st.parse(search)
        if not location or location not in geo.names(s.level):
            return no_update
        return click_filter(search, s.level, location)

