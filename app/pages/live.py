"""Live: the last hour as the stream writes it, refreshed every few seconds, with spike alerts.

Why it is built this way: every open tab polls, so one refresh must be cheap for the server and
small on the wire. The store is read at most once a second per worker (all tabs share the
snapshot), the browser keeps fingerprints of what it shows (app/live_view.Prepared.state), and a
refresh sends only patches for what changed, or an empty answer. The "seconds behind"
ticks in the browser (assets/live.js), which also pauses polling while the tab is hidden.
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

import dash
import pandas as pd
from dash import ClientsideFunction, Input, Output, State, dcc, html, no_update

from app import data, geo
from app import live_view as view
from pipeline.schema import NY

log = logging.getLogger(__name__)
SNAPSHOT_TTL_S = 1.0
BASELINE_TTL_S = 900.0


def ny_now() -> datetime:
    return datetime.now(NY).replace(tzinfo=None)


def _baseline(now: datetime) -> tuple[pd.DataFrame, bool]:
    """The means of the two hours of the week the last hour straddles, from the historical rollups, and
    whether any history is loaded (cached: they change once a day, and the hours once an hour)."""
    try:
        model = data.model()
        frame = model.ask("hour_of_week_baseline", hows=view.window_hows(now), cache=BASELINE_TTL_S).value
        return frame, not frame.empty or model.ask("date_bounds", cache=BASELINE_TTL_S).value is not None
    except Exception as exc:  # noqa: BLE001 - no baseline means no alerts, not a broken page
        log.warning("no hour-of-week baseline: %s", exc)
        return view.EMPTY_BASELINE, False


def read_snapshot(now: datetime) -> view.LiveSnapshot:
    """The last hour from the read model: its last good answer, marked stale, while the store is down."""
    answer = data.model().ask_live("last_hour", now, view.FEED_LENGTH)
    baseline, history = _baseline(now)
    return view.snapshot(answer.value, now, baseline, answer.stale_since, history)


class _Shared:
    """One snapshot per worker per second, whatever the number of tabs polling."""

    def __init__(self):
        self.lock = threading.Lock()
        self.at = 0.0
        self.prep: view.Prepared | None = None

    def get(self) -> view.Prepared:
        with self.lock:
            if self.prep is None or time.monotonic() - self.at >= SNAPSHOT_TTL_S:
                self.prep = view.Prepared(read_snapshot(ny_now()), _geojson_url(), _zip_ids())
                self.at = time.monotonic()
            return self.prep


shared = _Shared()


def _geojson_url() -> str:
    return geo.url("zip")


def _zip_ids() -> list[str]:
    return sorted(geo.names("zip"))


# -- layout -------------------------------------------------------------------------------------------

def _card(title: str, body, cls: str = "") -> html.Div:
    return html.Div([html.H2(title, className="live-card-title"), body], className=f"live-card {cls}")


def _figure(title: str, graph) -> html.Div:
    """A chart named for assistive technology; its numbers are in the table under the charts."""
    return html.Div(graph, role="figure", **{"aria-label": f"{title} (chart; its numbers are in the table below)"})


def _empty(status: str) -> view.Prepared:
    return view.Prepared(view.LiveSnapshot(
        now=ny_now(), minutes=pd.DataFrame(columns=["minute", "borough", "count"]),
        by_type=pd.DataFrame(columns=["borough", "complaint_type", "count"]), zips=pd.DataFrame(columns=["zip", "count"]),
        feed=pd.DataFrame(columns=list(view.FEED_COLUMNS)), status=status), _geojson_url(), _zip_ids())


def layout(**_query) -> html.Div:
    try:
        prep = shared.get()
    except Exception as exc:  # noqa: BLE001 - the page still renders; the next tick retries
        log.warning("live snapshot failed: %s", exc)
        prep = _empty("store unavailable")
    graph_config = {"displayModeBar": False}
    return html.Div([
        dcc.Interval(id="live-interval", interval=data.model().settings.live_interval_ms),
        dcc.Store(id="live-state", data=prep.state),
        dcc.Store(id="live-fresh", data=prep.fresh),
        html.Div([html.H1("Live: the last hour", className="live-title"),
                  html.Div(id="live-freshness", className="live-freshness")], className="live-head"),
        html.P("The whole city as the stream reports it: the filters of the other pages do not apply here.",
               className="live-scope small text-body-secondary mb-2"),
        html.Div([
            _card("Requests per minute by borough", _figure("Requests per minute by borough", dcc.Graph(
                id="live-minutes", figure=prep.minutes_figure, config=graph_config)), "live-wide"),
            _card("Spike alerts", html.Div(prep.alerts, id="live-alerts")),
        ], className="live-row"),
        html.Div([
            _card("Last hour by ZIP", _figure("Last hour by ZIP", dcc.Graph(
                id="live-map", figure=prep.map_figure, config=graph_config)), "live-wide"),
            _card("Newest requests", html.Ul(prep.feed_items, id="live-feed", className="live-feed")),
        ], className="live-row"),
        html.Details([html.Summary("Show the charts' numbers as tables", className="small"),
                      html.Div(prep.numbers, id="live-numbers")], className="chart-numbers mt-2"),
    ], className="live-page")


# -- callbacks ------------------------------------------------------------------------------------------

def register(app: dash.Dash) -> None:
    """Callbacks on the app object (app.main.create_app calls this for every page module)."""

    @app.callback(Output("live-minutes", "figure"), Output("live-feed", "children"), Output("live-map", "figure"),
                  Output("live-alerts", "children"), Output("live-fresh", "data"), Output("live-state", "data"),
                  Output("live-numbers", "children"),
                  Input("live-interval", "n_intervals"), State("live-state", "data"), prevent_initial_call=True)
    def refresh(_n, shown):
        try:
            prep = shared.get()
        except Exception as exc:  # noqa: BLE001 - keep what is shown; say the stream is unreadable
            log.warning("live refresh failed: %s", exc)
            # forget the shown freshness, so the first good refresh replaces this notice
            return (no_update,) * 4 + ({"behind": None, "status": "store unavailable", "latest": None},
                                       {**view.shown_state(shown), "t": None}, no_update)
        out = view.refresh(shown, prep)
        keys = ("minutes", "feed", "map", "alerts", "fresh", "state")
        numbers = prep.numbers if out["minutes"] is not None or out["map"] is not None else no_update
        return (*(no_update if out[k] is None else out[k] for k in keys), numbers)

    app.clientside_callback(ClientsideFunction(namespace="live", function_name="freshness"),
                            Output("live-freshness", "children"),
                            Input("live-fresh", "data"), Input("live-interval", "n_intervals"))
