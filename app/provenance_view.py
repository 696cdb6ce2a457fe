"""Provenance in the app: the synthetic-data banner on every page (embed mode too), the footer's
source line, the comment line of every CSV export, and the About page's list of loads.

Why its own module: the shell only places two slots (banner, footer source) and calls csv_text; the
rule lives here, once: a view says "synthetic" exactly when its selected days overlap a synthetic
load (pipeline/provenance.py), and synthetic numbers are never attributed to NYC Open Data.
"""
from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, html

from app import state as st
from app.charts import URL, Reads
from app.data import DataUnavailable
from pipeline import provenance
from pipeline.provenance import Load

BANNER_ID = "provenance-banner"
FOOTER_ID = "footer-source"
LOADS_TTL = 10.0  # seconds a list of loads is reused: a new load shows within one refresh
REAL_SOURCE = "NYC Open Data, 311 Service Requests."
SYNTHETIC_TEXT = ("The numbers in this period include synthetic requests made by the project's demo generator. "
                  "They are not New York City's 311 records.")


def banner_slot() -> html.Div:
    """Where the banner goes: inside the page body, outside the chrome embed mode hides."""
    return html.Div(id=BANNER_ID)


def footer_slot() -> html.Span:
    return html.Span("Sources: see About the data. ", id=FOOTER_ID)


def all_loads(reads: Reads) -> list[Load]:
    return reads("loads", cache=LOADS_TTL)


def synthetic_for(search: str | None, reads: Reads | None = None) -> tuple[list[Load], list[Load]]:
    """(every load, the synthetic loads overlapping the days the URL selects)."""
    reads = reads or Reads()
    loads = all_loads(reads)
    f = reads.filters(st.parse(search)[0])
    return loads, provenance.synthetic_in(loads, f.start, f.end)


def banner(synthetic: list[Load], unknown: bool = False) -> object:
    """The red synthetic-data banner; with `unknown` (data but no load recorded: a store filled before
    loads were recorded) a warning that the numbers may be synthetic."""
    if unknown:
        return dbc.Alert([html.Strong("Provenance unknown. ", className="me-1"),
                          "This store holds data but no record of how it was loaded; the numbers may be synthetic. "
                          "Rebuild it (delete var/ and run make run) or load real data with `python -m pipeline fetch`."],
                         color="warning", className="synthetic-banner py-2 mb-3", id="provenance-unknown")
    if not synthetic:
        return None
    return dbc.Alert([
        html.Strong("Synthetic data — not real 311 records. ", className="me-1"),
        SYNTHETIC_TEXT,
        html.Ul([html.Li(x.describe()) for x in synthetic], className="mb-0 mt-1 small"),
    ], color="danger", className="synthetic-banner py-2 mb-3 border-2", id="synthetic-banner")


def footer_source(loads: list[Load], synthetic: list[Load]) -> str:
    """The footer's source line: NYC Open Data only for real loads, the generator for synthetic ones."""
    if not loads:
        return "No data loaded yet. "
    real = [x for x in loads if not x.synthetic]
    if synthetic:
        return ("Source: synthetic demo data from the project's generator (not the city's records)"
                + (f"; real rows: {REAL_SOURCE} " if real else ". "))
    return f"Source: {REAL_SOURCE} " if real else "Source: synthetic demo data from the project's generator. "


def csv_text(frame: pd.DataFrame, search: str | None) -> str:
    """A chart's CSV: a '# SYNTHETIC DATA' comment first when its days hold synthetic data.
    (pandas reads it back with `comment='#'`.)"""
    try:
        _, synthetic = synthetic_for(search)
        head = provenance.csv_comment(synthetic)
    except DataUnavailable:
        head = "# Provenance unknown: the data store did not answer.\n"
    return head + frame.to_csv(index=False)


def loads_list(loads: list[Load]) -> object:
    """The About page's list of every load, newest first, synthetic ones marked."""
    if not loads:
        return html.P("No loads recorded.", className="mb-0")
    return html.Ul([html.Li([dbc.Badge("synthetic", color="danger", className="me-2") if x.synthetic
                             else dbc.Badge("real", color="success", className="me-2"), x.describe()],
                            className="load-item mb-1")
                    for x in reversed(loads)], className="mb-0 list-unstyled", id="loads-list")


def register(app) -> None:
    @app.callback(Output(BANNER_ID, "children"), Output(FOOTER_ID, "children"),
                  Input(URL, "search"), Input(URL, "pathname"))
    def show(search, _pathname):
        """Banner and footer for the days this URL selects (every page, embed mode included)."""
        reads = Reads()
        try:
            loads, synthetic = synthetic_for(search, reads)
            unknown = not loads and reads.bounds() is not None
        except DataUnavailable:
            return None, "Sources: see About the data. "
        if unknown:
            return banner([], unknown=True), "Source unknown: no load recorded. "
        return banner(synthetic), footer_source(loads, synthetic)
