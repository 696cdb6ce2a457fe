"""Overview (/): the headline numbers for the chosen filters and where the volume comes from."""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from app import charts, descriptors, figures, metrics
from app import state as st
from app.charts import Reads
from app.data import DataUnavailable

PAGE = "overview"
TOP_TYPES = 12


def granularity_for(f) -> str:
    """Daily points for a quarter or less, weekly up to two years, monthly beyond."""
    return metrics.span_granularity(f.start, f.end, 92, 731)


def over_time(s: st.State, reads: Reads) -> pd.DataFrame:
    f = reads.filters(s)
    return reads.series(f, granularity_for(f))[["period", "count", "complete"]]


def top_types(s: st.State, reads: Reads) -> pd.DataFrame:
    return reads("counts", "complaint_type", reads.filters(s)).head(TOP_TYPES).reset_index(drop=True)


def channels(s: st.State, reads: Reads) -> pd.DataFrame:
    charts.borough_level(s)
    descriptors.not_kept(s, "Channels")
    return reads("counts", "channel", reads.filters(s)).reset_index(drop=True)


CHARTS = [
    charts.chart(PAGE, "over-time", "Requests over time", over_time,
                 lambda df, s: figures.timeseries(df), height=320,
                 help="Daily up to a quarter, weekly up to two years, monthly beyond."),
    charts.chart(PAGE, "top-types", "Top complaint types", top_types,
                 lambda df, s: figures.bars(df, "complaint_type"), height=380),
    charts.chart(PAGE, "channels", "How requests arrive", channels,
                 lambda df, s: figures.donut(df, "channel"), height=380,
                 help="Open Data channel: phone, online, mobile app, other."),
    charts.chart(PAGE, "top-descriptors", "Top descriptors of the type", descriptors.top_descriptors,
                 lambda df, s: figures.bars(df, "descriptor"), height=380,
                 help="What the chosen complaint type's requests say, under the other filters."),
]


def kpi_frame(s: st.State, reads: Reads) -> pd.DataFrame:
    """The four headline numbers with the previous period of equal length."""
    bounds = reads.bounds()
    f = st.filters(s, bounds)
    prev = st.previous_period(f, bounds)
    total = int(reads("counts", "borough", f)["count"].sum())
    prev_total = int(reads("counts", "borough", prev)["count"].sum()) if prev else None
    borough_level = not (s.district or s.zip or s.descriptor)  # status and resolution: by borough, no descriptor
    median = metrics.first(reads("resolution", None, f), "median_h") if borough_level else None
    prev_median = metrics.first(reads("resolution", None, prev), "median_h") if prev and borough_level else None
    return pd.DataFrame.from_records([
        {"metric": "requests", "value": total, "previous": prev_total},
        {"metric": "open_now", "value": reads("open_now", f) if borough_level else None, "previous": None},
        {"metric": "median_h", "value": median, "previous": prev_median},
    ])


def kpi_card(label: str, value: str, sub: str, tone: str = "", ident: str = "") -> dbc.Col:
    return dbc.Col(dbc.Card(dbc.CardBody([
        html.Div(label, className="kpi-label"),
        html.Div(value, className="kpi-value", id=f"kpi-{ident}"),
        html.Div(sub, className=f"kpi-sub {tone}"),
    ]), className="kpi-card h-100 shadow-sm"), xs=6, lg=3)


def kpi_cards(k: pd.DataFrame) -> list[dbc.Col]:
    n = metrics.kpi_numbers(k)
    total, prev_total, pct, median, mpct, open_now = (n[key] for key in ("total", "prev_total", "pct", "median",
                                                                          "mpct", "open_now"))
    open_sub = ("kept by borough, not by descriptor" if open_now is None else
                f"{n['open_pct']:.1f}% of these requests" if n["open_pct"] is not None else "of these requests")
    tone = "" if pct is None else ("up" if pct > 0 else "down")
    return [
        kpi_card("Requests", figures.fmt_int(total),
                 f"previous period {figures.fmt_int(prev_total)}" if prev_total is not None else "all time",
                 ident="requests"),
        kpi_card("Change vs previous period", "–" if pct is None else f"{pct:+.1f}%",
                 figures.fmt_change(pct) if pct is None else "same number of days just before", tone,
                 ident="change"),
        kpi_card("Open now", figures.fmt_int(open_now), open_sub, ident="open"),
        kpi_card("Median resolution", figures.fmt_hours(median),
                 "of closed requests" + ("" if mpct is None else f" · {mpct:+.0f}% vs previous"),
                 ident="median"),
    ]


def layout(**query):
    return charts.page(PAGE, "Overview", "What New Yorkers asked 311 for, and how it is going.", query, [
        dcc.Loading(dbc.Row(id="overview-kpis", className="g-3 mb-3",
                            children=[kpi_card(lbl, "…", "", ident=i) for lbl, i in (
                                ("Requests", "requests"), ("Change vs previous period", "change"),
                                ("Open now", "open"), ("Median resolution", "median"))]),
                    type="dot", delay_show=150),
        dbc.Row([dbc.Col(charts.card(CHARTS[0]), xs=12)], className="g-3 mb-3"),
        dbc.Row([dbc.Col(charts.card(CHARTS[1]), xs=12, lg=7), dbc.Col(charts.card(CHARTS[2]), xs=12, lg=5)],
                className="g-3 mb-3"),
        dbc.Row([dbc.Col(charts.card(CHARTS[3]), xs=12, lg=7)], className="g-3"),
    ])


def register(app) -> None:
    charts.register(app, PAGE, CHARTS)
    charts.register_kpis(app, PAGE, lambda s, reads: kpi_cards(kpi_frame(s, reads)), _unavailable,
                         (DataUnavailable,))


def _unavailable(_exc: Exception) -> list[dbc.Col]:
    return [kpi_card(lbl, "–", "data unavailable", ident=i) for lbl, i in (
        ("Requests", "requests"), ("Change vs previous period", "change"), ("Open now", "open"),
        ("Median resolution", "median"))]
