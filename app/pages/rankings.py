"""Rankings (/rankings): neighbourhood awards, the ZIPs and districts with the most requests."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, dcc, html

from app import charts, descriptors, figures, geo, metrics
from app import state as st
from app.charts import Reads
from app.data import DataUnavailable

PAGE = "rankings"
N = 10
COLUMNS = ["rank", "area", "name", "borough", "requests", "population", "per_10k", "trend", "first_period",
           "series", "change_pct"]


def sparkline_granularity(f) -> str:
    return metrics.span_granularity(f.start, f.end, 31, 183)


def _types(s: st.State) -> list[str | None]:
    return list(s.types) or [s.type]


def areas(s: st.State, reads: Reads, level: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Totals per area for the chosen complaint types (summed over the types), and the series of the
    areas the level's two charts show (its top N by requests and per resident): only their rows are
    read, where every area's series was (ten years of every ZIP's months: 21,000 rows, 70 ms cold,
    for 20 sparklines)."""
    if level == "zip":
        descriptors.not_kept(s, "ZIP codes")
    # an area of one level cannot be filtered by an area of the other (no rollup holds both)
    f = reads.filters(s).but(**({"community_district": None} if level == "zip" else {"zip": None}))
    gran = sparkline_granularity(f)
    tot = metrics.sum_totals([reads("top_areas", level, f.but(complaint_type=t), 10_000, False) for t in _types(s)],
                             level)
    shown = tuple(sorted({a for per_capita in (False, True)
                          for a in metrics.top_areas(tot, level, per_capita, N, st.MIN_POPULATION)[level]}))
    series = [reads("timeseries", f.but(complaint_type=t), gran, level, among=shown) for t in _types(s)]
    return tot, metrics.sum_series(series, level)


def award_frame(s: st.State, reads: Reads, level: str, per_capita: bool) -> pd.DataFrame:
    tot, ser = reads.memo(("areas", level), lambda: areas(s, reads, level))  # both charts of a level
    if per_capita and tot["population"].notna().sum() == 0 and not tot.empty:
        raise charts.NotAvailable("No population figures are loaded for this level, so no per-resident rate.")
    top = metrics.top_areas(tot, level, per_capita, N, st.MIN_POPULATION)
    names = geo.names(level)
    # each shown area's series in period order, in plain Python: a few thousand rows at most, where a
    # pandas sort, group-by and iterrows cost ~10 ms a chart
    by_area: dict[str, list[tuple]] = {area: [] for area in top[level].tolist()}
    for area, period, count in zip(ser[level].tolist(), ser["period"].tolist(), ser["count"].tolist(), strict=True):
        if area in by_area:
            by_area[area].append((period, count))
    rows = []
    for i, (area, borough, count, population, per_10k) in enumerate(zip(
            *(top[c].tolist() for c in (level, "borough", "count", "population", "per_10k")), strict=True)):
        values = sorted(by_area[area])
        counts = [c for _, c in values]
        rows.append({
            "rank": i + 1, "area": area, "name": names.get(str(area), (str(area), ""))[0],
            "borough": borough, "requests": int(count), "population": population,
            "per_10k": per_10k, "trend": figures.sparkline(counts),
            "first_period": values[0][0] if values else None,
            "series": ";".join(str(c) for c in counts),
            "change_pct": metrics.halves_change(counts),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def _chart(level: str, per_capita: bool, title: str) -> charts.Chart:
    name = f"{'zip' if level == 'zip' else 'district'}-{'per-capita' if per_capita else 'requests'}"
    value, label, fmt = (("per_10k", "Requests per 10,000 residents", ",.1f") if per_capita
                         else ("requests", "Requests", ",.0f"))
    return charts.chart(PAGE, name, title, lambda s, reads: award_frame(s, reads, level, per_capita),
                        lambda df, s: figures.ranking(df, value, label, fmt), height=420,
                        help="Bar text: total and its trend over the period (first to last).")


CHARTS = [
    _chart("zip", False, "ZIP codes with the most requests"),
    _chart("zip", True, "ZIP codes with the most requests per resident"),
    _chart("community_district", False, "Community districts with the most requests"),
    _chart("community_district", True, "Community districts with the most requests per resident"),
    charts.chart(PAGE, "top-descriptors", "Top descriptors of the type", descriptors.top_descriptors,
                 lambda df, s: figures.bars(df, "descriptor"), height=420,
                 help="What the chosen complaint type's requests say, under the other filters."),
]


def controls(s: st.State) -> dbc.Row:
    chosen = list(s.types)
    return dbc.Row([
        dbc.Col([dbc.Label(f"Complaint types (up to {st.MAX_TYPES}; empty = the filter bar's choice)",
                           className="filter-label mb-1"),
                 dcc.Dropdown(id="rankings-types", options=[{"label": t, "value": t} for t in chosen], value=chosen,
                              multi=True, searchable=True,
                              placeholder=f"As in the filter bar: {s.type}" if s.type else "All complaint types")], xs=12, lg=8),
    ], className="g-3")


def layout(**query):
    s, _ = st.parse(charts.query_string(query))
    return charts.page(PAGE, "Neighbourhood awards",
                       "Which ZIP codes and community districts call 311 the most, in total and per resident.",
                       query, [
                           dbc.Row([dbc.Col(charts.card(CHARTS[0]), xs=12, xl=6),
                                    dbc.Col(charts.card(CHARTS[1]), xs=12, xl=6)], className="g-3 mb-3"),
                           dbc.Row([dbc.Col(charts.card(CHARTS[2]), xs=12, xl=6),
                                    dbc.Col(charts.card(CHARTS[3]), xs=12, xl=6)], className="g-3 mb-3"),
                           dbc.Row([dbc.Col(charts.card(CHARTS[4]), xs=12, xl=6)], className="g-3"),
                           html.Nav(id="rankings-reports", className="small mt-2",
                                    **{"aria-label": "Community board reports of the ranked districts"}),
                       ], controls(s))


def register(app) -> None:
    charts.register(app, PAGE, CHARTS)
    charts.write_options(app, {"rankings-types": "types"})

    @app.callback(Output("rankings-reports", "children"), Input(f"{PAGE}-state", "data"))
    def report_links(search):
        """Each ranked district links to its community board report."""
        reads = Reads()
        try:
            top = award_frame(reads.state(search), reads, "community_district", False)
        except (DataUnavailable, charts.NotAvailable):
            return None
        links = [html.A(name, href=dash.get_relative_path(f"/report/{area}"), className="me-3")
                 for area, name in zip(top["area"], top["name"], strict=True)]
        return [html.Span("Community board reports: ", className="fw-semibold me-2"), *links] if links else None

    @app.callback(Output("rankings-types", "options"), Input(f"{PAGE}-state", "data"))
    def type_options(_search):
        try:
            vocab = Reads()("vocabulary", "complaint_type", cache=300)
        except DataUnavailable:
            return dash.no_update
        return [{"label": f"{v} ({c:,})", "value": v} for v, c in zip(vocab["value"], vocab["count"], strict=True)]
