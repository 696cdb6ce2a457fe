"""Resolution (/resolution): how long requests take to close, who is late, and what is still open."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from app import charts, descriptors, figures, metrics
from app import state as st
from app.charts import NotAvailable, Reads
from app.data import DataUnavailable

PAGE = "resolution"
TOP = 15
MIN_CLOSED = 20  # medians of a handful of requests rank noise, not slowness


def by_agency(s: st.State, reads: Reads) -> pd.DataFrame:
    charts.borough_level(s)
    descriptors.not_kept(s, "Status, resolution times and due dates")
    res = reads("resolution", "agency", reads.filters(s))
    return res.sort_values("closed", ascending=False).head(TOP).sort_values("median_h", ascending=False
                                                                            ).reset_index(drop=True)


def slowest_types(s: st.State, reads: Reads) -> pd.DataFrame:
    charts.borough_level(s)
    descriptors.not_kept(s, "Status, resolution times and due dates")
    res = reads("resolution", "complaint_type", reads.filters(s))
    return res[res["closed"] >= MIN_CLOSED].head(TOP).reset_index(drop=True)


def status(s: st.State, reads: Reads) -> pd.DataFrame:
    charts.borough_level(s)
    descriptors.not_kept(s, "Status, resolution times and due dates")
    return reads("status_mix", reads.filters(s))


def timeliness_by_agency(s: st.State, reads: Reads) -> pd.DataFrame:
    charts.borough_level(s)
    descriptors.not_kept(s, "Status, resolution times and due dates")
    frame = reads("timeliness", reads.filters(s), "agency")
    return metrics.due_shares(frame[frame["with_due"] > 0].head(TOP).reset_index(drop=True))


CHARTS = [
    charts.chart(PAGE, "by-agency", "Resolution time by agency", by_agency,
                 lambda df, s: figures.resolution_bars(df, "agency"), height=420,
                 help=f"The {TOP} agencies closing the most requests."),
    charts.chart(PAGE, "slowest-types", "Slowest complaint types", slowest_types,
                 lambda df, s: figures.resolution_bars(df, "complaint_type"), height=420,
                 help=f"By median, among types with at least {MIN_CLOSED} closed requests."),
    charts.chart(PAGE, "status", "Status of these requests today", status,
                 lambda df, s: figures.donut(df, "status"), height=360),
    charts.chart(PAGE, "timeliness", "Against the city's due dates", timeliness_by_agency,
                 lambda df, s: figures.timeliness(df, "agency"), height=360,
                 help="Requests that carry a due date: closed on time, closed late, still open past due."),
]


def summary(s: st.State, reads: Reads) -> list:
    charts.borough_level(s)
    descriptors.not_kept(s, "Status, resolution times and due dates")
    f = reads.filters(s)
    n = metrics.resolution_numbers(reads("resolution", None, f), reads("timeliness", f))
    cells = [("Median time to close", figures.fmt_hours(n["median"]), "closed requests"),
             ("90th percentile", figures.fmt_hours(n["p90"]), "9 in 10 close faster"),
             ("Closed on time", "–" if n["on_time_pct"] is None else f"{n['on_time_pct']:.1f}%",
              f"of {figures.fmt_int(n['with_due'])} with a due date"),
             ("Open past due", figures.fmt_int(n["past_due"]), "as of the last load")]
    return [dbc.Col(dbc.Card(dbc.CardBody([html.Div(label, className="kpi-label"),
                                           html.Div(value, className="kpi-value"),
                                           html.Div(sub, className="kpi-sub")]),
                             className="kpi-card h-100 shadow-sm"), xs=6, lg=3) for label, value, sub in cells]


def layout(**query):
    return charts.page(PAGE, "Resolution", "How long the city takes to close requests, and whether it meets its "
                       "own due dates.", query, [
                           dcc.Loading(dbc.Row(id="resolution-kpis", className="g-3 mb-3"), type="dot",
                                       delay_show=150),
                           dbc.Row([dbc.Col(charts.card(CHARTS[0]), xs=12, xl=6),
                                    dbc.Col(charts.card(CHARTS[1]), xs=12, xl=6)], className="g-3 mb-3"),
                           dbc.Row([dbc.Col(charts.card(CHARTS[2]), xs=12, xl=4),
                                    dbc.Col(charts.card(CHARTS[3]), xs=12, xl=8)], className="g-3"),
                       ])


def register(app) -> None:
    charts.register(app, PAGE, CHARTS)
    charts.register_kpis(app, PAGE, summary,
                         lambda exc: dbc.Col(dbc.Alert(str(exc), color="secondary", className="py-2 mb-0")),
                         (DataUnavailable, NotAvailable))
