"""About (/about): where the data comes from, what every number means, and how fresh it is."""
from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from app import charts, provenance_view
from app import state as st
from app.charts import Reads
from app.data import DataUnavailable

PAGE = "about"

SOURCES = """
- **What this store holds** is listed under *Loads* below, load by load: real requests and, on a demo
  machine, synthetic ones. Pages whose period holds synthetic requests say so in a red banner, and their CSV
  files start with a `# SYNTHETIC DATA` line.
- **Real 311 Service Requests** come from NYC Open Data: *311 Service Requests from 2010 to Present*
  ([erm2-nwe9](https://data.cityofnewyork.us/Social-Services/311-Service-Requests-from-2010-to-Present/erm2-nwe9))
  for 2020 onward and the 2010–2019 dataset on the same portal
  ([76ig-c548](https://data.cityofnewyork.us/d/76ig-c548)), as export files or through the city's API.
- **Synthetic requests** are made by the project's generator (`python -m pipeline generate`, calibrated on a
  real sample) and by its demo live producer. They are not the city's records.
- **Boundaries**: boroughs and community districts from the NYC Department of City Planning (BYTES of the BIG
  APPLE); ZIP code tabulation areas. Simplified for the web (shapes within about 30–80 m).
- **Population**: 2020 Census for boroughs; the NYC Health Department's Modified ZIP Code Tabulation Areas
  (MODZCTA) population estimates for ZIP codes; 2020 Census by community district from the NYC Department of
  City Planning. Where no population is known, no per-capita rate is shown.
"""

DEFINITIONS = [
    ("Requests", "Service requests *created* in the chosen period, in New York local time (days, weeks and months "
                 "are bucketed in America/New_York, across daylight-saving changes). A request counts once, in "
                 "its latest version."),
    ("Change vs previous period", "Requests in the period against the same number of days immediately before it."),
    ("Open now", "Requests created in the period whose current status is anything but Closed."),
    ("Resolution time", "Closed minus created, for requests created in the period and closed after they were "
                        "created (rows closed before creation, a known quirk of the export, are left out). Kept "
                        "as a histogram of 30 bins; the median and 90th percentile are read off the merged bins "
                        "with linear interpolation inside a bin."),
    ("Per 10,000 residents", "Requests divided by the area's population, times 10,000; shown only for areas with "
                             f"at least {st.MIN_POPULATION:,} residents (a ZIP of offices and few residents would "
                             "otherwise top every list). Community districts use the 2020 Census by community district "
                             "(NYC Department of City Planning); parks and airports have no residents and no rate."),
    ("Map colours", "The colour scale runs from the lowest value to the 95th percentile, so one outlier does not "
                    "wash out the rest; hover a region for its exact value."),
    ("Share still open", "Open requests as a percentage of all requests created in the period (by borough)."),
    ("On time / late / open past due", "Among requests that carry the city's Due Date: closed by the due date, "
                                      "closed after it, and still open after it as of the last load."),
    ("Week", "ISO week starting Monday, labelled by its Monday."),
    ("Year over year", "Days and weeks compare with 52 weeks earlier, so weekdays line up; months with the same "
                       "months a year earlier."),
    ("Relative periods", "'Last 7 / 30 / 365 days' end on the latest day with data, not on today."),
    ("Unspecified", "311 rows without a borough, district or ZIP. They count in every total but have no place "
                    "on the map."),
]

HOW = """
Counts are not computed from raw rows in the browser. A batch job cleans each export row into one normalised
record (the latest version of each request), writes them to a data lake, and sums them into *rollups*: one row
per day or month and combination of borough, district, ZIP, complaint type, agency, channel and status. The
streaming job adds the newest requests minute by minute. Every number on these pages is a sum of rollup rows,
and the test suite recounts the raw rows to check them. Every chart's CSV holds exactly the numbers it draws.
"""


def layout(**query):
    return charts.page(PAGE, "About the data", "Sources, definitions and freshness.", query, [
        dbc.Row([
            dbc.Col([
                dbc.Card(dbc.CardBody([html.H2("Sources", className="h5"), dcc.Markdown(SOURCES, link_target="_blank")]),
                         className="mb-3 shadow-sm"),
                dbc.Card(dbc.CardBody([html.H2("How counts are made", className="h5"), dcc.Markdown(HOW)]),
                         className="mb-3 shadow-sm"),
                dbc.Card(dbc.CardBody([html.H2("Freshness", className="h5"), dcc.Loading(html.Div(id="about-freshness"))]),
                         className="mb-3 shadow-sm"),
                dbc.Card(dbc.CardBody([html.H2("Loads", className="h5"), html.Div(id="about-loads")]), className="mb-3 shadow-sm"),
            ], xs=12, lg=5),
            dbc.Col(dbc.Card(dbc.CardBody([
                html.H2("Definitions", className="h5"),
                html.Dl([item for term, text in DEFINITIONS
                         for item in (html.Dt(term), html.Dd(dcc.Markdown(text), className="mb-2"))]),
            ]), className="shadow-sm"), xs=12, lg=7),
        ], className="g-3"),
    ])


def register(app) -> None:

    @app.callback(Output("about-loads", "children"), Input(f"{PAGE}-state", "data"))
    def loads(_search):
        """Every load the store recorded: kind, what, rows, days, when it ran (pipeline/provenance.py)."""
        try:
            return provenance_view.loads_list(provenance_view.all_loads(Reads()))
        except DataUnavailable:
            return "Unknown right now."

    @app.callback(Output("about-freshness", "children"), Output(f"{PAGE}-notice", "children"),
                  Output(f"{PAGE}-retry", "disabled"),
                  Input(f"{PAGE}-state", "data"), Input(f"{PAGE}-retry", "n_intervals"))
    def freshness(_search, _tick):
        reads = Reads()
        try:
            fresh = reads("freshness", cache=30)
            bounds = reads.bounds()
        except DataUnavailable as exc:
            return "Unknown right now.", charts.unavailable_notice(str(exc)), False
        if fresh is None or bounds is None:
            return "No data has been loaded yet.", None, True
        return html.Ul([
            html.Li(f"Latest request loaded: {fresh:%A %B %-d, %Y, %-I:%M %p} (New York time)."),
            html.Li(f"Requests loaded from {bounds[0]:%B %-d, %Y} to {bounds[1]:%B %-d, %Y}."),
        ], className="mb-0"), charts.stale_notice(reads.stale_since), reads.stale_since is None
