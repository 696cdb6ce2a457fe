"""Trends (/trends): volumes over time by complaint type or area, year over year, two areas side by side."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc

from app import charts, figures, metrics
from app import state as st
from app.charts import Reads
from pipeline.read.series import mark_complete
from pipeline.schema import UNSPECIFIED

PAGE = "trends"
TOP_SERIES = 6


def trend(s: st.State, reads: Reads) -> pd.DataFrame:
    split = None if s.split == "none" else s.split
    return reads.series(reads.filters(s), s.gran, split, TOP_SERIES if split else None)


def shift_back(f, gran: str):
    """The comparison window a year earlier (metrics.year_before of both ends)."""
    return f.but(start=metrics.year_before(f.start, gran), end=metrics.year_before(f.end, gran))


def year_over_year(s: st.State, reads: Reads) -> pd.DataFrame:
    """This period and the same window a year earlier, the earlier one on this period's dates."""
    bounds = reads.bounds()
    f = st.filters(s.but(range="365d", start=None, end=None) if s.range == "all" else s, bounds)
    if bounds and f.end is None:
        f = f.but(end=bounds[1])
    if bounds and f.start is None:
        f = f.but(start=bounds[0])
    prev_f = shift_back(f, s.gran)
    # a year ago is history: only the date range can cut its periods short, not the data's end
    prev = mark_complete(reads("timeseries", prev_f, s.gran), s.gran, prev_f.start, prev_f.end, None)
    return metrics.align_year_over_year(reads.series(f, s.gran), prev)


def two_areas(s: st.State, reads: Reads) -> pd.DataFrame:
    f = reads.filters(s).but(borough=None, community_district=None, zip=None)
    areas = [a for a in (s.area_a, s.area_b) if a]
    if len(areas) < 2:
        biggest = [b for b in reads("counts", "borough", f)["borough"] if b not in areas and b != UNSPECIFIED]
        areas = (areas + biggest)[:2]
    if not areas:
        return pd.DataFrame(columns=["area", "period", "count", "complete"])
    # both boroughs in one read (`among`): over ten years of weeks, two 119-partition reads were most
    # of the page's first visit
    both = reads.series(f, s.gran, "borough", None, tuple(dict.fromkeys(areas)))
    frames = [both[both["borough"] == a].assign(area=a) for a in dict.fromkeys(areas)]
    return pd.concat(frames, ignore_index=True)[["area", "period", "count", "complete"]]


CHARTS = [
    charts.chart(PAGE, "trend", "Requests over time", trend,
                 lambda df, s: figures.timeseries(df, None if s.split == "none" else s.split), height=380,
                 help=f"Split shows the {TOP_SERIES} largest groups; the rest are summed as Other (hidden while it "
                      "outgrows them all: click it in the legend). Dashed: a period the data or the range cuts short."),
    charts.chart(PAGE, "year-over-year", "Year over year", year_over_year,
                 lambda df, s: figures.year_over_year(df), height=320,
                 help="Days and weeks compare with 52 weeks earlier (same weekdays); months with 12 months "
                      "earlier. 'All time' compares the last 365 days."),
    charts.chart(PAGE, "two-areas", "Two boroughs side by side", two_areas,
                 lambda df, s: figures.side_by_side(df), height=320,
                 help="Same filters, one borough per panel, shared scale."),
]


def _radio(ident: str, options: dict, value: str) -> dbc.RadioItems:
    return dbc.RadioItems(id=ident, options=[{"label": v, "value": k} for k, v in options.items()], value=value,
                          className="btn-group flex-wrap", inputClassName="btn-check",
                          labelClassName="btn btn-outline-secondary btn-sm", labelCheckedClassName="active")


def controls(s: st.State) -> dbc.Row:
    areas = list(st.AREA_CHOICES)
    return dbc.Row([
        dbc.Col([dbc.Label("Granularity", className="filter-label mb-1"),
                 _radio("trends-gran", st.GRANULARITIES, s.gran)], xs=12, md="auto"),
        dbc.Col([dbc.Label("Split by", className="filter-label mb-1"),
                 _radio("trends-split", st.SPLITS, s.split)], xs=12, md="auto"),
        dbc.Col([dbc.Label("Compare", className="filter-label mb-1"),
                 html_pair(dcc.Dropdown(id="trends-area-a", options=areas, value=s.area_a, placeholder="Largest"),
                           dcc.Dropdown(id="trends-area-b", options=areas, value=s.area_b,
                                        placeholder="Second largest"))], xs=12, md=5, lg=4),
    ], className="g-3 align-items-end")


def html_pair(a, b) -> dbc.Row:
    return dbc.Row([dbc.Col(a, xs=6), dbc.Col(b, xs=6)], className="g-2")


def layout(**query):
    s, _ = st.parse(charts.query_string(query))
    return charts.page(PAGE, "Trends", "How volumes move over time, against last year and between boroughs.",
                       query, [
                           dbc.Row([dbc.Col(charts.card(CHARTS[0]), xs=12)], className="g-3 mb-3"),
                           dbc.Row([dbc.Col(charts.card(CHARTS[1]), xs=12, xl=6),
                                    dbc.Col(charts.card(CHARTS[2]), xs=12, xl=6)], className="g-3"),
                       ], controls(s))


def register(app) -> None:
    charts.register(app, PAGE, CHARTS)
    charts.write_options(app, {"trends-gran": "gran", "trends-split": "split", "trends-area-a": "area_a",
                               "trends-area-b": "area_b"})
