"""The shell around every page: navbar from the page registry, global filter bar, notices, theme.

Why the URL is the one source of truth: filters write the query string and pages redraw from it,
so a copied link reopens the same view, the back button works, and embed mode (?embed=1) is just
one more parameter (app/serving.py builds on `state.parse(...).embed`).
"""
from __future__ import annotations

from datetime import date

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from app import descriptors, inputs, provenance_view
from app import state as st
from app.charts import REGISTRY, URL, Reads, csv_frame, register_tables
from app.data import DataUnavailable
from pipeline.schema import BOROUGHS, UNSPECIFIED

# Dash's page template with the document language set (WCAG 3.1.1) and its script holder as a plain
# div: Dash's own <footer> there would be a second contentinfo landmark next to the app's footer.
INDEX_STRING = """<!DOCTYPE html>
<html lang="en">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <div class="dash-scripts">
            {%config%}
            {%scripts%}
            {%renderer%}
        </div>
    </body>
</html>"""


def navbar() -> dbc.Navbar:
    links = [dbc.NavItem(dbc.NavLink(p["name"], href=p["relative_path"], id={"type": "nav", "path": p["path"]},
                                     className="px-2"))
             for p in dash.page_registry.values() if p.get("nav", True)]
    return dbc.Navbar(dbc.Container([
        dbc.NavbarBrand([html.Span("411", className="brand-mark me-2"), "The 411 on the 311"],
                        href=dash.get_relative_path("/"), className="fw-semibold"),
        dbc.NavbarToggler(id="nav-toggle", n_clicks=0),
        dbc.Collapse([
            dbc.Nav(links, navbar=True, className="me-auto"),
            html.Div([
                dbc.Badge("data through …", id="freshness", color="light", text_color="secondary",
                          className="freshness-badge me-3 border", pill=True),
                dbc.Switch(id="theme-switch", label="Dark", value=False, className="mb-0 theme-switch"),
            ], className="d-flex align-items-center"),
        ], id="nav-collapse", is_open=False, navbar=True),
    ], fluid=True), color=None, dark=False, className="app-navbar border-bottom mb-3", id="navbar")


def _labelled(label: str, control, width: dict, target: str | None = None) -> dbc.Col:
    extra = {"html_for": target, "id": f"{target}-label"} if target else {}
    return dbc.Col([dbc.Label(label, className="filter-label mb-1", **extra), control], **width)


def filter_bar() -> html.Div:
    ranges = dbc.RadioItems(
        id="f-range", options=[{"label": v, "value": k} for k, v in st.RANGES.items() if k != "custom"],
        value=st.DEFAULT.range, className="btn-group flex-wrap", inputClassName="btn-check",
        labelClassName="btn btn-outline-primary btn-sm", labelCheckedClassName="active")
    dates = dcc.DatePickerRange(id="f-dates", display_format="YYYY-MM-DD", clearable=True,
                                start_date_placeholder_text="from", end_date_placeholder_text="to",
                                minimum_nights=0, className="date-range")
    return html.Div(dbc.Container([
        dbc.Row([
            _labelled("Period", html.Div([ranges, dates], className="d-flex flex-wrap gap-2 align-items-center"),
                      {"xs": 12, "lg": 5}),
            _labelled("Borough", dcc.Dropdown(id="f-borough", options=[*BOROUGHS, UNSPECIFIED],
                                              placeholder="All boroughs", clearable=True),
                      {"xs": 12, "sm": 4, "lg": 2}, "f-borough"),
            _labelled("Complaint type", dcc.Dropdown(id="f-type", options=[], searchable=True,
                                                     placeholder="All types (search)", clearable=True),
                      {"xs": 12, "sm": 4, "lg": 2}, "f-type"),
            _labelled("Descriptor", dcc.Dropdown(id="f-descriptor", options=[], searchable=True,
                                                 placeholder="All descriptors", clearable=True),
                      {"xs": 12, "sm": 4, "lg": 2}, "f-descriptor"),
            _labelled("Agency", dcc.Dropdown(id="f-agency", options=[], searchable=True,
                                             placeholder="All", clearable=True),
                      {"xs": 12, "sm": 4, "lg": 1}, "f-agency"),  # acronyms: a narrow column keeps one line
        ], className="g-2 align-items-end"),
        html.Div(id="area-chip", className="mt-2"),
    ], fluid=True), className="filter-bar py-2 mb-3", id="filter-bar")


def layout() -> html.Div:
    return html.Div([
        html.A("Skip to the page content", href="#main", className="visually-hidden-focusable skip-link"),
        dcc.Store(id="theme", storage_type="local"),
        dcc.Download(id="download"),
        html.Header([navbar(), filter_bar()], id="chrome"),
        html.Main(dbc.Container([
            provenance_view.banner_slot(),
            html.Div(id="url-notice", role="status"),
            dash.page_container,
        ], fluid=True, className="page-body pb-5"), id="main", tabIndex="-1"),
        html.Footer(dbc.Container(html.Small([
            provenance_view.footer_slot(), "Boundaries: NYC Department of City Planning. ",
            html.A("About the data", href=dash.get_relative_path("/about")), " · ",
            html.A("Data API (JSON, CSV)", href=dash.get_relative_path("/api/v1/")),
        ], className="text-body-secondary"), fluid=True), className="app-footer py-3", id="footer"),
    ], id="shell")


def area_chip(s: st.State) -> object:
    """The map-click filters that have no control in the bar, shown with a way to clear them."""
    parts = [f"Community district {s.district}" if s.district else None, f"ZIP {s.zip}" if s.zip else None]
    parts = [p for p in parts if p]
    if not parts:
        return None
    chip = dbc.Badge([" · ".join(parts), html.Button("×", id={"type": "clear-area", "i": 0}, className="chip-close ms-2",
                                                     title="Clear this area filter", n_clicks=0)],
                     color="primary", className="area-chip py-2 px-3", pill=True)
    if not s.district:
        return chip
    report = html.A("Community board report", href=dash.get_relative_path(f"/report/{s.district}"),
                    className="ms-2 small report-link", id="area-report-link")
    return html.Span([chip, report])


def url_notice(notices: list[str]) -> object:
    if not notices:
        return None
    return dbc.Alert([html.Strong("Some link settings were adjusted. "), " ".join(notices)],
                     color="warning", dismissable=True, className="py-2", id="url-alert")


def _date(v: str | None) -> date | None:
    """A date picker's value ('YYYY-MM-DD...'), None when absent or not a date the app accepts."""
    try:
        d = date.fromisoformat(v[:10]) if v else None
    except ValueError:
        return None
    return d if d is None or st.DATE_RANGE[0] <= d <= st.DATE_RANGE[1] else None


def register(app) -> None:
    provenance_view.register(app)

    @app.callback(
        Output(URL, "search"), Output("f-range", "value"), Output("f-dates", "start_date"),
        Output("f-dates", "end_date"), Output("f-borough", "value"), Output("f-type", "value"),
        Output("f-agency", "value"), Output("area-chip", "children"), Output("url-notice", "children"),
        Output("chrome", "className"), Output("footer", "className"), Output("f-type", "options"),
        Output("f-agency", "options"), Output("f-descriptor", "value"), Output("f-descriptor", "options"),
        Input(URL, "search"), Input("f-range", "value"), Input("f-dates", "start_date"),
        Input("f-dates", "end_date"), Input("f-borough", "value"), Input("f-type", "value"),
        Input("f-agency", "value"), Input({"type": "clear-area", "i": ALL}, "n_clicks"),
        Input("f-descriptor", "value"),
    )
    def sync(search, rng, start, end, borough, ctype, agency, _clear, descriptor):
        """URL -> controls on load and navigation; a control change -> URL (one circular callback).

        Every input is checked (app/inputs.py): a value of the wrong type counts as no value."""
        s, notices = st.parse(inputs.search(search), Reads().bounds_or_none())
        rng, borough, ctype, agency, descriptor = (inputs.text(v, 200) for v in (rng, borough, ctype, agency,
                                                                                 descriptor))
        start, end = _date(inputs.text(start, 40)), _date(inputs.text(end, 40))
        trigger = ctx.triggered_id
        if trigger in (None, URL):
            chrome = "d-none" if s.embed else ""
            notices += [n for n in [descriptors.unknown(s)] if n]
            # options and value go out together: a dropdown drops a value its options lack
            return (no_update, s.range if s.range != "custom" else None, _iso(s.start), _iso(s.end), s.borough,
                    s.type, s.agency, area_chip(s), url_notice(notices), chrome, chrome + " app-footer py-3",
                    vocabulary_options("complaint_type", s.type), vocabulary_options("agency", s.agency),
                    s.descriptor, descriptors.options(s.type, s.descriptor))
        if trigger == "f-range":
            s = s.but(range=rng if rng in st.RANGES else st.DEFAULT.range, start=None, end=None)
        elif trigger in ("f-dates",):
            s = s.but(range="custom", start=_date(start), end=_date(end))
            if not (s.start or s.end):
                s = s.but(range=st.DEFAULT.range)
        elif isinstance(trigger, dict):
            s = s.but(district=None, zip=None)
        else:
            s = s.but(borough=borough if borough in st.AREA_CHOICES else None, type=ctype or None, agency=agency or None,
                      descriptor=None if trigger == "f-type" else descriptor or None)  # a descriptor is of one type
            if s.descriptor and s.zip:
                s = s.but(zip=None)  # a descriptor chosen now wins over a ZIP (no rollup holds both)
            if trigger == "f-borough":
                s = s.but(district=None, zip=None)  # a district or ZIP belongs to one borough
        # the new URL is parsed again, so a value no control offers (a hand-made payload) is dropped
        return (st.serialise(st.parse(st.serialise(s))[0]), s.range if s.range != "custom" else None, _iso(s.start), _iso(s.end),
                s.borough, s.type, s.agency, area_chip(s), no_update, no_update, no_update, no_update, no_update,
                s.descriptor, descriptors.options(s.type, s.descriptor) if trigger == "f-type" else no_update)

    @app.callback(Output({"type": "nav", "path": ALL}, "href"), Output({"type": "nav", "path": ALL}, "active"),
                  Input(URL, "search"), Input(URL, "pathname"))
    def nav_links(search, pathname):
        """Links keep the global filters, so moving between pages keeps the view."""
        query = st.global_part(inputs.search(search))
        here = app.strip_relative_path(inputs.text(pathname, 2048) or "/") or ""
        paths = [o["id"]["path"] for o in ctx.outputs_list[0]]
        return ([dash.get_relative_path(p) + query for p in paths],
                [here == p.strip("/") for p in paths])

    @app.callback(Output("freshness", "children"), Input(URL, "pathname"))
    def freshness(_pathname):
        try:
            fresh = Reads()("freshness", cache=30)
        except DataUnavailable:
            return "data store unavailable"
        return f"data through {fresh:%b %-d, %Y %-I:%M %p}" if fresh else "no data loaded yet"

    @app.callback(Output("download", "data"), Input({"type": "csv", "page": ALL, "name": ALL}, "n_clicks"),
                  State(URL, "search"), prevent_initial_call=True)
    def download(clicks, search):
        trigger = inputs.trigger_id(("type", "page", "name"))
        chart = REGISTRY.get((trigger["page"], trigger["name"])) if trigger else None
        if chart is None or not any(inputs.clicks(clicks)):
            return no_update
        search = inputs.search(search)
        frame = csv_frame(chart, search)
        return dcc.send_string(provenance_view.csv_text(frame, search), f"nyc311-{chart.page}-{trigger['name']}.csv")

    register_tables(app)

    app.clientside_callback(
        """
        function(checked, stored) {
            const trig = (dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
            let dark = trig.startsWith("theme-switch") ? !!checked : stored === "dark";
            document.documentElement.setAttribute("data-bs-theme", dark ? "dark" : "light");
            return [dark, dark ? "dark" : "light"];
        }
        """,
        Output("theme-switch", "value"), Output("theme", "data"),
        Input("theme-switch", "value"), Input("theme", "data"),
    )

    # The live page shows the whole city's last hour from one snapshot all tabs share (pages/live.py),
    # and a board report is one district and month (pages/report.py): the filters do not apply to
    # them, so the bar is hidden there rather than shown doing nothing.
    app.clientside_callback(
        """function(path) { return /\\/(live|report(\\/[^\\/]*)?)\\/?$/.test(path || ""); }""",
        Output("filter-bar", "hidden"), Input(URL, "pathname"),
    )

    @app.callback(Output("nav-collapse", "is_open"), Input("nav-toggle", "n_clicks"),
                  State("nav-collapse", "is_open"), prevent_initial_call=True)
    def toggle_nav(_n, is_open):
        return not bool(is_open)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def vocabulary_options(kind: str, current: str | None) -> list[dict]:
    """Dropdown options with all-time totals; the current value is always among them (a link may name
    a value the store does not hold, or the store may be down)."""
    try:
        vocab = Reads()("vocabulary", kind, cache=300)
        options = [{"label": f"{v} ({c:,})", "value": v}
                   for v, c in zip(vocab["value"], vocab["count"], strict=True)]
    except DataUnavailable:
        options = []
    if current and all(o["value"] != current for o in options):
        options.insert(0, {"label": current, "value": current})
    return options
