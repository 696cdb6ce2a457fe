"""Community board report (/report/<district>?month=YYYY-MM): one printable page per district and month.

Why drawn when the page opens rather than by callbacks: a board member prints it or saves it as PDF,
so the whole report must be in the page the moment it loads, and the print style sheet
(assets/css/30-print.css) lays it out on one or two sheets. The numbers come from app/report_data.py.
"""
from __future__ import annotations

from datetime import date, timedelta

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, dcc, html

from app import figures, geo
from app import report_data as rd
from app.charts import Reads
from app.data import DataUnavailable, model

PAGE = "report"


def _month_name(month: str) -> str:
    return date.fromisoformat(f"{month}-01").strftime("%B %Y")


def _shift(month: str, months: int) -> str:
    d = date.fromisoformat(f"{month}-01")
    d = (d + timedelta(days=32)).replace(day=1) if months > 0 else (d - timedelta(days=1)).replace(day=1)
    return d.strftime("%Y-%m")


def _change(now: float, before: float) -> str:
    pct = figures.change(now, before)
    return figures.fmt_change(pct) + " vs a year earlier" if pct is not None else "no requests a year earlier"


def _kpi(label: str, value: str, sub: str) -> dbc.Col:
    return dbc.Col(html.Div([html.Div(label, className="kpi-label"), html.Div(value, className="kpi-value"),
                             html.Div(sub, className="kpi-sub")], className="report-kpi"), xs=6, md=3)


def _table(frame: pd.DataFrame, columns: dict[str, str], formats: dict[str, object], caption: str) -> html.Table:
    head = html.Thead(html.Tr([html.Th(label, scope="col") for label in columns.values()]))
    rows = [html.Tr([html.Td(formats.get(c, str)(row[c])) for c in columns]) for _, row in frame.iterrows()]
    body = html.Tbody(rows or [html.Tr(html.Td("None in this month.", colSpan=len(columns)))])
    return html.Table([html.Caption(caption), head, body], className="table table-sm report-table")


def _pct(v) -> str:
    return "–" if pd.isna(v) else f"{v:+.1f}%"


def _section(title: str, *body) -> html.Section:
    return html.Section([html.H2(title, className="report-h2"), *body], className="report-section")


def report_body(r: rd.BoardReport, notice: str) -> list:
    open_past_due = int(r.past_due["open_past_due"].sum()) if not r.past_due.empty else 0
    months = {"prev": _shift(r.month, -1), "next": _shift(r.month, 1)}
    base = dash.get_relative_path(f"/report/{r.district}")
    area_map = figures.choropleth(geo.url("community_district"), list(r.areas["id"]), r.areas, "Requests",
                                  height=260, selected=r.district)
    return [
        html.Div([
            html.A(f"← {_month_name(months['prev'])}", href=f"{base}?month={months['prev']}", className="me-3"),
            html.A(f"{_month_name(months['next'])} →", href=f"{base}?month={months['next']}", className="me-3"),
            html.Button("Print or save as PDF", id="report-print", n_clicks=0, className="btn btn-sm btn-primary"),
        ], className="report-actions d-flex align-items-center flex-wrap gap-1 mb-2"),
        dbc.Alert(notice, color="warning", className="py-2") if notice else None,
        html.Header([
            html.H1(f"{r.name}: 311 in {_month_name(r.month)}", className="report-title"),
            html.P(f"Community board report · {r.borough} · compared with {_month_name(r.prior)} and the whole city",
                   className="report-sub"),
        ]),
        dbc.Alert("This month is not over in the data yet: its counts are partial.", color="info",
                  className="py-2 report-partial") if not r.complete else None,
        dbc.Row([
            _kpi("Requests", figures.fmt_int(r.total), _change(r.total, r.total_prior)),
            _kpi("Median time to close", figures.fmt_hours(r.median_h),
                 f"city: {figures.fmt_hours(r.city_median_h)}"),
            _kpi("Closed requests", figures.fmt_int(r.closed), "created this month and closed since"),
            _kpi("Open past due", figures.fmt_int(open_past_due), "with a due date, still open after it"),
        ], className="g-2 mb-2 report-kpis", id="report-kpis"),
        dbc.Row([
            dbc.Col(_section("Top complaint types", _table(
                r.types, {"complaint_type": "Complaint type", "count": _month_name(r.month),
                          "prior": _month_name(r.prior), "change_pct": "Change"},
                {"count": figures.fmt_int, "prior": figures.fmt_int, "change_pct": _pct},
                f"The {rd.TOP_TYPES} most frequent types this month, against the same month a year earlier.")),
                xs=12, lg=7),
            dbc.Col(_section("Where in the borough", html.Div(dcc.Graph(
                figure=area_map, config={"staticPlot": True, "displayModeBar": False}, className="report-map"),
                role="figure", **{"aria-label": f"Map of {r.borough}'s community districts by requests (its "
                                                "numbers are in the table below it)"}),
                html.P(f"Requests by community district of {r.borough}; {r.name} outlined.", className="small"),
                html.Details([html.Summary("Show the map's numbers as a table", className="small"), _table(
                    r.areas.sort_values("count", ascending=False)[["name", "count"]],
                    {"name": "Community district", "count": "Requests"}, {"count": figures.fmt_int},
                    f"Requests created in {_month_name(r.month)}, by community district of {r.borough}.")],
                    className="chart-numbers report-map-numbers")),
                xs=12, lg=5),
        ], className="g-3"),
        _section("Top descriptors", _table(
            r.descriptors, {"descriptor": "Descriptor", "complaint_type": "Complaint type",
                            "count": _month_name(r.month), "prior": _month_name(r.prior), "change_pct": "Change"},
            {"count": figures.fmt_int, "prior": figures.fmt_int, "change_pct": _pct},
            f"What the requests say: the {rd.TOP_DESCRIPTORS} most frequent descriptors this month, against the "
            "same month a year earlier.")),
        dbc.Row([
            dbc.Col(_section("Open past due by agency", _table(
                r.past_due, {"agency": "Agency", "with_due": "With a due date", "open_past_due": "Open past due",
                             "on_time_pct": "Closed on time"},
                {"with_due": figures.fmt_int, "open_past_due": figures.fmt_int,
                 "on_time_pct": lambda v: "–" if pd.isna(v) else f"{v:.1f}%"},
                "Requests created this month that carry the city's due date, by agency (most open past due first).")),
                xs=12, lg=7),
            dbc.Col(_section("Hotspots", _table(
                r.hotspots if r.hotspots is not None else pd.DataFrame(columns=["address", "count"]),
                {"address": "Address or intersection", "count": "Requests"}, {"count": figures.fmt_int},
                f"The {rd.TOP_PLACES} places with the most requests this month (addresses normalised).")),
                xs=12, lg=5),
        ], className="g-3"),
        html.P("Source: NYC 311 Service Requests as loaded into this dashboard (see About the data). Days in New "
               "York time; a request counts in the month it was created, in its latest version.",
               className="small text-body-secondary report-foot"),
    ]


def layout(district: str | None = None, month: str | None = None, **_query) -> html.Div:
    reads = Reads()
    try:
        rd.district_of(district)
        bounds = reads.bounds()
        through = reads("freshness", cache=model().META_TTL)
        chosen, notice = rd.pick_month(month, bounds, through)
        if chosen is None:
            body = [dbc.Alert("No data is loaded yet.", color="secondary")]
        else:
            body = report_body(rd.build(reads, district, chosen, through), notice)
    except rd.NoSuchDistrict as exc:
        body = [html.H1("Community board report", className="report-title"), dbc.Alert(str(exc), color="warning"),
                index_links()]
    except DataUnavailable as exc:
        body = [dbc.Alert(f"Data unavailable right now: {exc}", color="danger", id="unavailable-alert")]
    return html.Div(body, className="page report-page")


def index_links() -> html.Div:
    """Every district's report, by borough."""
    by_borough: dict[str, list] = {}
    for ident, (name, borough) in sorted(geo.names("community_district").items()):
        by_borough.setdefault(borough, []).append(
            html.Li(html.A(name, href=dash.get_relative_path(f"/report/{ident}"))))
    return html.Div([html.Div([html.H2(b, className="h6"), html.Ul(items, className="list-unstyled small")],
                              className="report-index-col") for b, items in sorted(by_borough.items())],
                    className="report-index d-flex flex-wrap gap-4")


def index_layout(**_query) -> html.Div:
    return html.Div([html.H1("Community board reports", className="page-title h3"),
                     html.P("One printable page per community district and month.", className="text-body-secondary"),
                     index_links()], className="page report-page")


def register(app) -> None:
    app.clientside_callback("function(n) { if (n) { window.print(); } return ''; }",
                            Output("report-print", "title"), Input("report-print", "n_clicks"),
                            prevent_initial_call=True)
