"""Chart cards and the one registry that ties each chart's data to its figure and its CSV.

Why a registry: the issue asks that a chart's CSV hold exactly the numbers shown. Each chart is a
pair (data function, figure builder); the figure callback and the download callback both call the
same data function for the same URL state, and the figure builder only draws that frame, so the CSV
and the picture cannot drift apart.
"""
from __future__ import annotations

import ctypes
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import MATCH, Input, Output, State, ctx, dcc, html, no_update

from app import figures
from app import state as st
from app.data import DataUnavailable, model
from pipeline.read.api import Filters, QueryTooLarge
from pipeline.read.series import mark_complete

TABLE_ROWS = 200  # rows of a chart's numbers shown as a table (the CSV has them all)

log = logging.getLogger(__name__)
_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="chart")
STALL_S = 0.5  # a chart drawn in turn (render) for this long lets the page's others start at once


def _limit_malloc_arenas(n: int = 2) -> None:
    """glibc gives every thread that allocates its own malloc arena, and freed pandas temporaries stay
    in them: with chart threads and server threads a worker's RSS grows by tens of MB per thread.
    Two arenas keep one worker inside its memory budget; elsewhere than glibc this does nothing."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, n)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


_limit_malloc_arenas()
URL = "_pages_location"  # dash.page_container's Location: the router redraws a page when its search changes


class NotAvailable(Exception):
    """A chart cannot be drawn for this state (e.g. a measure kept by borough under a ZIP filter)."""


def borough_level(s: st.State) -> None:
    """Status, channels, resolution and due dates are rolled up by borough, not by district or ZIP."""
    if s.district or s.zip:
        raise NotAvailable("Kept by borough only: clear the district / ZIP filter to see this chart.")


class Reads:
    """The read model seen by one callback: remembers whether any answer was a stale fallback."""

    def __init__(self) -> None:
        self.stale_since: float | None = None
        self._memo: dict[object, Future] = {}
        self._memo_lock = threading.Lock()

    def memo(self, key: object, compute: Callable[[], object]) -> object:
        """compute() once per key for this callback, whichever chart thread asks first (the others
        wait for it): a page's charts often share a derived frame (rankings: the two charts of a
        level sum the same areas), and reads are cached but what is made of them is not."""
        with self._memo_lock:
            fut = self._memo.get(key)
            mine = fut is None
            if mine:
                fut = self._memo[key] = Future()
        if mine:
            try:
                fut.set_result(compute())
            except BaseException as exc:  # every asker sees the same error
                fut.set_exception(exc)
        return fut.result()

    def __call__(self, method: str, *args, **kwargs):
        answer = model().ask(method, *args, **kwargs)
        if answer.stale_since is not None:
            self.stale_since = min(self.stale_since or answer.stale_since, answer.stale_since)
        return answer.value

    def bounds(self) -> tuple[date, date] | None:
        return self("date_bounds", cache=model().META_TTL)

    def filters(self, s: st.State) -> Filters:
        return st.filters(s, self.bounds())

    def series(self, f: Filters, granularity: str, *args) -> pd.DataFrame:
        """The read API's time series with each period's `complete` flag (pipeline/read/series.py)."""
        through = self("freshness", cache=model().META_TTL)
        return mark_complete(self("timeseries", f, granularity, *args), granularity, f.start, f.end, through)

    def bounds_or_none(self) -> tuple[date, date] | None:
        try:
            return self.bounds()
        except DataUnavailable:
            return None

    def state(self, search: object) -> st.State:
        """The view state of a (client-sent) query string, its dates clamped to the data."""
        return st.parse(search, self.bounds_or_none())[0]


@dataclass(frozen=True)
class Chart:
    page: str
    name: str
    title: str
    data: Callable[[st.State, Reads], pd.DataFrame]
    figure: Callable[[pd.DataFrame, st.State], dict]  # plotly JSON (app/figures.py figure)
    height: int = 340
    help: str = ""


REGISTRY: dict[tuple[str, str], Chart] = {}


def chart(page: str, name: str, title: str, data, figure, height: int = 340, help: str = "") -> Chart:
    c = Chart(page, name, title, data, figure, height, help)
    REGISTRY[(page, name)] = c
    return c


def graph_id(c: Chart) -> dict:
    return {"type": "graph", "page": c.page, "name": c.name}


def table_id(c: Chart) -> dict:
    return {"type": "chart-table", "page": c.page, "name": c.name}


def numbers_id(c: Chart) -> dict:
    return {"type": "chart-numbers", "page": c.page, "name": c.name}


def number_table(frame: pd.DataFrame | None, title: str) -> object:
    """A chart's numbers as an HTML table (screen readers, keyboard users, copy-paste): the frame the
    chart draws, first TABLE_ROWS rows; the CSV button has every row."""
    if frame is None or frame.empty:
        return html.P("No numbers to show for this selection.", className="small mb-0")
    shown = frame.head(TABLE_ROWS)
    head = html.Thead(html.Tr([html.Th(str(col), scope="col") for col in shown.columns]))
    body = html.Tbody([html.Tr([html.Td(_cell(v)) for v in row]) for row in shown.itertuples(index=False)])
    note = (f"First {TABLE_ROWS} of {len(frame):,} rows; the CSV has them all." if len(frame) > TABLE_ROWS else None)
    return html.Div([dbc.Table([html.Caption(title), head, body], size="sm", striped=True, responsive=True,
                               className="mb-1 chart-table"), html.Small(note) if note else None])


def _cell(v) -> str:
    if isinstance(v, float):
        return "" if v != v else f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def graph_config(c: Chart) -> dict:
    """Modebar with a PNG export named after the chart (plotly's own toImage, no server round trip)."""
    return {"displaylogo": False, "responsive": True,
            # geo figures fetch a base-map topology even when the base map is hidden: serve an empty one
            # instead of plotly's CDN (unreachable here, and the app must not depend on a third party)
            "topojsonURL": dash.get_asset_url("topojson/"),
            "modeBarButtonsToRemove": ["select2d", "lasso2d", "autoScale2d"],
            "toImageButtonOptions": {"format": "png", "filename": f"nyc311-{c.page}-{slug(c.name)}",
                                     "scale": 2}}


def card(c: Chart, extra: object = None) -> dbc.Card:
    """A chart in a card: title, optional help, CSV button, and a loading spinner over the graph."""
    header = html.Div([
        html.Div([html.H2(c.title, className="h6 mb-0 chart-title"),
                  html.Small(c.help, className="text-body-secondary") if c.help else None]),
        dbc.Button("⤓ CSV", id={"type": "csv", "page": c.page,
                                                                           "name": c.name},
                   size="sm", color="secondary", outline=True, className="csv-button",
                   title="Download the numbers in this chart as CSV"),
    ], className="d-flex justify-content-between align-items-start gap-2")
    graph = dcc.Graph(id=graph_id(c), figure=figures.empty("Loading…", c.height),
                      config=graph_config(c), style={"height": f"{c.height}px"})
    body = dcc.Loading(html.Div(graph, role="figure", **{"aria-label": f"{c.title} (chart; its numbers are in "
                                                                         "the table below it)"}),
                       type="dot", delay_show=150)
    # the table is drawn when opened (register_tables): hundreds of rows per chart on every redraw
    # would cost the browser far more than the chart itself
    table = html.Details([html.Summary("Show the numbers as a table", id=numbers_id(c), n_clicks=0, className="small"),
                          html.Div(id=table_id(c))], className="chart-numbers mt-1")
    parts = [header, extra, body, table] if extra is not None else [header, body, table]
    return dbc.Card(dbc.CardBody(parts), className="chart-card h-100 shadow-sm")


def stale_notice(stale_since: float | None) -> object:
    if stale_since is None:
        return None
    when = time.strftime("%H:%M:%S", time.localtime(stale_since))
    return dbc.Alert([f"The data store is not answering. Showing the last numbers received (at {when}); "
                      "this page keeps retrying."], color="warning", className="py-2 mb-3", id="stale-alert")


def unavailable_notice(message: str) -> dbc.Alert:
    return dbc.Alert(message, color="danger", className="py-2 mb-3",
                     id="unavailable-alert")


def _draw(c: Chart, s: st.State, reads: Reads, search: object) -> tuple[dict, str | None]:
    """One chart, or an empty one saying why not (and the outage message, if that was the reason)."""
    try:
        return c.figure(c.data(s, reads), s), None
    except DataUnavailable as exc:
        return figures.empty("Data unavailable right now.", c.height), str(exc)
    except (NotAvailable, QueryTooLarge) as exc:
        return figures.empty(str(exc), c.height), None
    except Exception:  # one broken chart must not blank the page; the log has the traceback
        log.exception("chart %s/%s failed for %r", c.page, c.name, search)
        return figures.empty("This chart could not be drawn. The error has been logged.", c.height), None


def settings():
    """The app's Settings, from the read model create_app built it with (not a global read)."""
    return model().settings


def render(charts: list[Chart], search: object) -> tuple[list[dict], object]:
    """Every chart of a page for one URL state, and the page's data notice.

    Charts are read concurrently when the store gains from it (Store.parallel_reads): over Cassandra a
    page's queries mostly wait on the network, so a page costs about its slowest chart instead of the
    sum of them. Over SQLite they are drawn one after another (`_in_turn`). A chart not drawn within
    the request budget (setting request_budget_s) says so instead of holding the whole page."""
    reads = Reads()
    s = reads.state(search)
    budget = settings().request_budget_s
    deadline = time.monotonic() + budget
    if model().parallel_reads():
        futures = [_POOL.submit(_draw, c, s, reads, search) for c in charts]
    else:
        futures = _in_turn(charts, s, reads, search, deadline, min(STALL_S, budget / 4))
    wait_futures(futures, timeout=max(0.0, deadline - time.monotonic()))
    drawn: list[tuple[dict, str | None]] = []
    for c, fut in zip(charts, futures, strict=True):
        if fut.done():
            drawn.append(fut.result())
        else:
            fut.cancel()
            log.warning("chart %s/%s over the %s s budget for %r", c.page, c.name, budget, search)
            drawn.append((figures.empty("This chart took too long to draw: try a shorter range.", c.height), None))
    failure = next((f for _, f in drawn if f), None)
    notice = unavailable_notice(failure) if failure else stale_notice(reads.stale_since)
    return [fig for fig, _ in drawn], notice


def _in_turn(charts: list[Chart], s: st.State, reads: Reads, search: object, deadline: float,
             stall: float) -> list[Future]:
    """The charts drawn one after another by one pool thread, each into a future of its own, waited
    for in turn. Why not in the request thread: a chart that stalls (a store that hangs, a huge range)
    must not hold the others, so once one has drawn for `stall` seconds the charts not yet begun are
    drawn at once, as over Cassandra, and render's budget then treats every future alike."""
    turns: list[Future] = [Future() for _ in charts]  # run's own: `futures` may swap some for the pool's
    futures = list(turns)

    def run() -> None:
        for c, fut in zip(charts, turns, strict=True):
            if fut.set_running_or_notify_cancel():  # False: handed to the pool below
                try:
                    fut.set_result(_draw(c, s, reads, search))
                except BaseException as exc:  # noqa: BLE001 - handed to the request thread, as the pool does
                    fut.set_exception(exc)
    _POOL.submit(run)
    for i, fut in enumerate(futures):
        if wait_futures([fut], timeout=max(0.0, min(stall, deadline - time.monotonic()))).not_done:
            for j in range(i + 1, len(futures)):
                if futures[j].cancel():
                    futures[j] = _POOL.submit(_draw, charts[j], s, reads, search)
            break
    return futures


def register(app, page: str, charts: list[Chart]) -> None:
    """One callback drawing every chart of a page from the page's state store; while the store is
    down it retries on a timer, so the page recovers without a reload."""
    @app.callback([Output(graph_id(c), "figure") for c in charts]
                  + [Output(f"{page}-notice", "children"), Output(f"{page}-retry", "disabled")],
                  Input(f"{page}-state", "data"), Input(f"{page}-retry", "n_intervals"))
    def draw(search, _tick):
        figs, notice = render(charts, search)
        return [*figs, notice, notice is None]


def register_kpis(app, page: str, build: Callable[[st.State, Reads], object],
                  unavailable: Callable[[Exception], object], errors: tuple[type[Exception], ...]) -> None:
    """The callback of a page's headline row (`<page>-kpis`): redrawn with the page's state and on
    its retry tick, so it recovers with the charts; `unavailable` draws the row for `errors`."""
    @app.callback(Output(f"{page}-kpis", "children"), Input(f"{page}-state", "data"),
                  Input(f"{page}-retry", "n_intervals"))
    def kpis(search, _tick):
        reads = Reads()
        s = reads.state(search)  # checked and clamped: the payload is client-made
        try:
            return build(s, reads)
        except errors as exc:
            return unavailable(exc)


def register_tables(app) -> None:
    """One callback for every chart's number table: drawn from the same frame as the chart (and the
    CSV) when its disclosure is opened, and redrawn while open when the view changes."""
    @app.callback(Output({"type": "chart-table", "page": MATCH, "name": MATCH}, "children"),
                  Input({"type": "chart-numbers", "page": MATCH, "name": MATCH}, "n_clicks"), Input(URL, "search"))
    def table(clicks, search):
        """The summary's clicks (mouse, Enter or Space) toggle the disclosure: odd = open."""
        trigger = ctx.outputs_list.get("id", {}) if isinstance(ctx.outputs_list, dict) else {}
        chart = REGISTRY.get((trigger.get("page"), trigger.get("name")))
        if not (isinstance(clicks, int) and clicks % 2 == 1) or chart is None:
            return no_update
        try:
            return number_table(csv_frame(chart, search), chart.title)
        except (DataUnavailable, NotAvailable, QueryTooLarge) as exc:
            return html.P(str(exc), className="small mb-0")


def page(name: str, title: str, lead: str, query: dict, body: list, controls: object = None) -> html.Div:
    """The frame of every analysis page: heading, page options, data notice, body."""
    s, _ = st.parse(query_string(query))
    # the page's one h1; an embedded page keeps it for screen readers only (its frame has a title)
    heading = html.Div([
        html.Div([html.H1(title, className="page-title h3 mb-1"), html.P(lead, className="text-body-secondary mb-0")]),
    ], className="d-flex justify-content-between align-items-end flex-wrap gap-2 mb-3"
                 + (" visually-hidden" if s.embed else ""))
    return html.Div([
        page_state(name, query),
        dcc.Interval(id=f"{name}-retry", interval=20_000, disabled=True),
        heading,
        html.Div(controls, className="page-options mb-3") if controls is not None else None,
        html.Div(id=f"{name}-notice"),
        *body,
    ], className=f"page page-{name}")


def csv_frame(c: Chart, search: object) -> pd.DataFrame:
    """Exactly the frame the chart draws for this state."""
    reads = Reads()
    return c.data(reads.state(search), reads)


def page_state(page: str, query: dict) -> dcc.Store:
    """The page's URL state, captured when the router renders the page (one redraw per change)."""
    return dcc.Store(id=f"{page}-state", data=query_string(query))


def query_string(query: dict) -> str:
    """Back from the router's parsed kwargs to a query string (lists are repeated keys)."""
    pairs = []
    for k, v in query.items():
        for item in (v if isinstance(v, list) else [v]):
            pairs.append((k, item))
    return "?" + urlencode(pairs) if pairs else ""


def write_options(app, controls: dict[str, str]) -> None:
    """Page option controls (component id -> State field) write the URL; the router then redraws."""
    ids = list(controls)

    @app.callback(Output(URL, "search", allow_duplicate=True), [Input(i, "value") for i in ids],
                  State(URL, "search"), prevent_initial_call=True)
    def write(*args):
        *values, search = args
        s, _ = st.parse(search)
        changes = {}
        for cid, value in zip(ids, values, strict=True):
            name = controls[cid]
            default = getattr(st.DEFAULT, name)
            if isinstance(default, tuple):
                value = tuple(value or ())[: st.MAX_TYPES]
            elif isinstance(default, bool):
                value = bool(value)
            changes[name] = value if value not in (None, "") or isinstance(default, tuple) else default
        new = s.but(**changes)
        # controls also report their values when a page is (re)drawn: only a real change writes
        return st.serialise(new) if new != s else no_update
