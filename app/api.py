"""The data API (/api/v1): the numbers of every chart as JSON or CSV, for people who work in R,
Python or Excel, described by an OpenAPI document.

Why it is built on the chart registry (app/charts.py): a chart's numbers, its CSV download and its
API answer come from the same data function for the same URL state, so the API cannot disagree with
the picture. The query parameters are the pages' own, read by the same parser with the same checks
and clamping (app/state.py); a value it ignores comes back as a notice, never as an error page.
"""
from __future__ import annotations

import json
import math
import threading
import time
from datetime import date, datetime
from urllib.parse import parse_qs

import dash
import pandas as pd
from flask import Response, request

from app import descriptors, provenance_view
from app import state as st
from app.charts import REGISTRY, NotAvailable, Reads
from app.data import DataUnavailable
from pipeline.read.api import QueryTooLarge
from pipeline.settings import Settings

PREFIX = "/api/v1"
FORMATS = ("json", "csv")
CACHE_SECONDS = 60
# Parameters of every chart; each page reads the ones it needs (the State of app/state.py).
PARAMETER_HELP = {
    "range": "Date range: 7d, 30d, 365d, all, or custom (with start and/or end).",
    "start": "First day, YYYY-MM-DD (New York). Clamped to the data's days.",
    "end": "Last day, YYYY-MM-DD (New York). Clamped to the data's days.",
    "borough": "Borough name as written in the data, e.g. BROOKLYN, or Unspecified.",
    "district": "Community district: borough digit and two-digit district, e.g. 301 for Brooklyn CD 1.",
    "zip": "Five-digit ZIP code.",
    "type": "Complaint type, e.g. Noise - Residential.",
    "agency": "Agency acronym, e.g. NYPD.",
    "descriptor": "Descriptor, e.g. Loud Music/Party (best with its complaint type); not combinable with zip.",
    "level": "Map level: borough, community_district or zip.",
    "metric": "Map metric.",
    "gran": "Time series granularity: day, week or month.",
    "split": "Split a time series by complaint_type, borough, agency, or none.",
    "area_a": "First borough to compare.",
    "area_b": "Second borough to compare.",
    "types": "Up to five complaint types separated by |.",
    "cell": "Hotspots: an H3 cell id of resolution 8 (e.g. 882a100d2dfffff); narrows the places to that cell.",
}
ENUMS = {"range": list(st.RANGES), "borough": list(st.AREA_CHOICES), "level": list(st.LEVELS),
         "metric": list(st.METRICS), "gran": list(st.GRANULARITIES), "split": list(st.SPLITS),
         "area_a": list(st.AREA_CHOICES), "area_b": list(st.AREA_CHOICES)}


class RateLimiter:
    """A token bucket per client address, per worker process: `rate` requests a minute on average,
    `burst` at once. nginx limits the API across workers in production (config/nginx); this one
    holds where no proxy stands in front (make run) and keeps one client from hogging a worker."""

    def __init__(self, rate_per_min: int, burst: int, clock=time.monotonic, max_clients: int = 10_000):
        self.rate, self.burst, self.clock, self.max_clients = rate_per_min / 60.0, burst, clock, max_clients
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before the next one."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        with self.lock:
            tokens, at = self.buckets.get(client, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens < 1:
                self.buckets[client] = (tokens, now)
                return (1 - tokens) / self.rate
            if len(self.buckets) >= self.max_clients and client not in self.buckets:
                self.buckets.clear()  # a flood of addresses must not grow memory without bound
            self.buckets[client] = (tokens - 1, now)
            return 0.0


def _plain(value):
    """A cell as JSON: numpy scalars to Python, NaN and missing to null, dates to ISO text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date | pd.Timestamp):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    columns = [str(c) for c in frame.columns]
    return [dict(zip(columns, (_plain(v) for v in row), strict=True)) for row in frame.itertuples(index=False)]


def answer(page: str, name: str, search: str) -> tuple[int, dict, str | None]:
    """(status, JSON body, CSV text or None) of one chart's data for query string `search`, read by
    the pages' own parser (which skips `format` like any foreign parameter). Free of Flask so the
    tests and the benchmark call it directly."""
    chart = REGISTRY.get((page, name))
    if chart is None:
        return 404, {"error": f"No chart {page}/{name}: GET {PREFIX}/charts lists them."}, None
    try:
        fmt = parse_qs(search.lstrip("?"), max_num_fields=100).get("format", ["json"])[-1]
    except ValueError:
        fmt = "json"  # too many fields: the parser below says so in a notice
    if fmt not in FORMATS:
        return 400, {"error": "format must be json or csv."}, None
    reads = Reads()
    try:
        state, notices = st.parse(search, reads.bounds())
        frame = chart.data(state, reads)
        notices += [n for n in [descriptors.unknown(state)] if n]  # as the pages' notice says it
    except DataUnavailable as exc:
        return 503, {"error": f"The data store is not answering: {exc}"}, None
    except (NotAvailable, QueryTooLarge, ValueError) as exc:  # ValueError: no rollup holds this combination
        return 400, {"error": str(exc)}, None
    applied = st.serialise(state)
    if fmt == "csv":
        return 200, {}, provenance_view.csv_text(frame, applied)
    body = {"chart": {"page": page, "name": name, "title": chart.title, "help": chart.help},
            "query": applied.lstrip("?"), "notices": notices, "stale": reads.stale_since is not None,
            "columns": [str(c) for c in frame.columns], "rows": records(frame)}
    return 200, body, None


def catalogue() -> list[dict]:
    return [{"page": p, "name": n, "title": c.title, "help": c.help, "url": f"{PREFIX}/charts/{p}/{n}"}
            for (p, n), c in sorted(REGISTRY.items())]


def openapi() -> dict:
    """The OpenAPI 3.1 document: one path per chart, the pages' parameters with their checks."""
    def param(key: str) -> dict:
        schema: dict = {"type": "string"}
        if key in ENUMS:
            schema["enum"] = ENUMS[key]
        elif key in ("start", "end"):
            schema["format"] = "date"
        elif key == "district":
            schema["pattern"] = "^[1-5][0-9][0-9]$"
        elif key == "zip":
            schema["pattern"] = "^[0-9]{5}$"
        else:
            schema["maxLength"] = 120 if key != "types" else 5 * 121
        return {"name": key, "in": "query", "required": False, "description": PARAMETER_HELP[key], "schema": schema}

    error = {"description": "The question cannot be answered as asked; `error` says why.",
             "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    params = [param(k) for k in PARAMETER_HELP] + [{
        "name": "format", "in": "query", "required": False, "description": "json (default) or csv.",
        "schema": {"type": "string", "enum": list(FORMATS), "default": "json"}}]
    paths: dict = {f"{PREFIX}/charts": {"get": {
        "operationId": "listCharts", "summary": "Every chart the API serves.",
        "responses": {"200": {"description": "The charts.", "content": {"application/json": {"schema": {
            "type": "array", "items": {"$ref": "#/components/schemas/ChartRef"}}}}}}}}}
    for c in catalogue():
        paths[c["url"]] = {"get": {
            "operationId": f"{c['page']}_{c['name']}".replace("-", "_"), "summary": c["title"],
            "description": c["help"] or c["title"], "tags": [c["page"]], "parameters": params,
            "responses": {
                "200": {"description": "The chart's numbers.", "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ChartData"}},
                    "text/csv": {"schema": {"type": "string"}}}},
                "400": error, "404": error,
                "429": {"description": "Too many requests: wait Retry-After seconds."},
                "503": {"description": "The data store is not answering: retry later."}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "The 411 on the 311: data API", "version": "1.0.0",
                 "description": "The numbers of every chart of the NYC 311 dashboard, as JSON or CSV."},
        "servers": [{"url": dash.get_relative_path("/").rstrip("/") or "/"}],
        "paths": paths,
        "components": {"schemas": {
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}},
            "ChartRef": {"type": "object", "required": ["page", "name", "title", "url"], "properties": {
                k: {"type": "string"} for k in ("page", "name", "title", "help", "url")}},
            "ChartData": {"type": "object", "required": ["chart", "query", "notices", "columns", "rows"],
                          "properties": {
                              "chart": {"$ref": "#/components/schemas/ChartRef"},
                              "query": {"type": "string", "description": "The parameters as applied."},
                              "notices": {"type": "array", "items": {"type": "string"}},
                              "stale": {"type": "boolean"},
                              "columns": {"type": "array", "items": {"type": "string"}},
                              "rows": {"type": "array", "items": {"type": "object"}}}},
        }},
    }


def about_html(rate_per_min: int) -> str:
    base = dash.get_relative_path("/").rstrip("/")
    example = f"{base}{PREFIX}/charts/overview/top-types?range=365d&borough=BROOKLYN"
    items = "".join(f'<li><a href="{base}{c["url"]}">{c["page"]}/{c["name"]}</a>: {c["title"]}</li>'
                    for c in catalogue())
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Data API — The 411 on the 311</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}
code,pre{{background:#f1f5f9;padding:.1rem .3rem;border-radius:.2rem}}pre{{padding:.6rem;overflow:auto}}</style>
</head><body><main><h1>The data API</h1>
<p>Every chart's numbers as JSON or CSV, with the same query parameters as the pages: a link you see in the
browser works here too. The numbers are the ones the charts draw. The full description is the
<a href="{base}{PREFIX}/openapi.json">OpenAPI document</a>.</p>
<h2>Examples</h2>
<pre>curl '{example}'
curl '{example}&amp;format=csv'</pre>
<p>R: <code>read.csv("…&amp;format=csv", comment.char = "#")</code>. Python: <code>pandas.read_csv(url, comment="#")</code>.
Excel: Data → From Web, with the CSV link. A CSV starts with a <code>#</code> line when the days hold synthetic data.</p>
<h2>Limits</h2><p>Requests are rate-limited per address ({rate_per_min} a minute); over the limit the
answer is 429 with Retry-After. Values the pages would ignore are ignored here too and listed in
<code>notices</code>.</p>
<h2>Charts</h2><ul>{items}</ul></main></body></html>"""


def install(app: dash.Dash, settings: Settings) -> None:
    """Attach the /api/v1 routes to the Dash app's Flask server."""
    limiter = RateLimiter(settings.api_rate_per_min, max(1, settings.api_rate_per_min // 4))
    server = app.server

    def respond(body, status: int = 200, mimetype: str = "application/json") -> Response:
        text = body if isinstance(body, str) else json.dumps(body, allow_nan=False)
        response = Response(text, status=status, mimetype=mimetype)
        response.headers["Access-Control-Allow-Origin"] = "*"  # public, read-only numbers
        response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}" if status == 200 else "no-store"
        return response

    @server.before_request
    def _limit():
        if not request.path.startswith(PREFIX):
            return None
        wait = limiter.take(request.remote_addr or "?")
        if wait:
            response = respond({"error": "Too many requests: slow down."}, 429)
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
            return response
        return None

    @server.route(PREFIX + "/")
    @server.route(PREFIX)
    def _about():
        return respond(about_html(settings.api_rate_per_min), mimetype="text/html")

    @server.route(PREFIX + "/openapi.json")
    def _openapi():
        return respond(openapi())

    @server.route(PREFIX + "/charts")
    def _charts():
        return respond(catalogue())

    @server.route(PREFIX + "/charts/<page>/<name>")
    def _chart(page: str, name: str):
        status, body, csv = answer(page, name, request.query_string.decode("utf-8", "replace"))
        if csv is not None:
            response = respond(csv, mimetype="text/csv")
            response.headers["Content-Disposition"] = f'attachment; filename="nyc311-{page}-{name}.csv"'
            return response
        return respond(body, status)
