"""Figure builders: data in, figure out (no store, no clock), so each one is tested on its own.

Why one neutral style: the app has a light and a dark theme, and figures are rendered on the
server; transparent backgrounds with mid-grey text and faint grid lines read well on both, so a
theme switch never has to re-query data.
"""
from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd
import plotly.io as pio

from pipeline.read.api import OTHER

COLORS = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16",
          "#64748b", "#f97316", "#14b8a6")
ACCENT = COLORS[0]
TEXT = "#8a94a6"
GRID = "rgba(138,148,166,0.22)"
SCALE = [[0.0, "#dbeafe"], [0.5, "#60a5fa"], [1.0, "#1e3a8a"]]
# The one map style of the tile-less maps (the hexagon map, the live ZIP map): a MapLibre style whose only
# layer is a transparent background, so the card shows through and the maps follow the light and dark themes
# like every other figure (plotly's "white-bg" is a white box in dark mode). No tiles, glyphs or sprites:
# nothing is fetched.
# Why one empty GeoJSON source instead of `"sources": {}`: the style must survive Plotly.react (each patch of
# the live map, each new hexagon figure) unchanged. There plotly's supplyDefaults relinks private keys from the
# old full layout and deletes every object left empty, inside the style too (it is the caller's own object,
# valType "any"), so an empty `sources` vanished; the style no longer matched the drawn one, plotly re-set it,
# MapLibre refused it ('missing required property "sources"') and plotly threw "Map error." on every other
# update. With a source in it the style stays equal, plotly never re-sets it, and updates patch the traces only.
CLEAR_MAP_STYLE = {
    "version": 8,
    "sources": {"none": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}},
    "layers": [{"id": "background", "type": "background", "paint": {"background-color": "rgba(0,0,0,0)"}}],
}
TIMELINESS_COLORS = {"on_time": "#10b981", "late": "#f59e0b", "open_past_due": "#ef4444"}
TIMELINESS_LABELS = {"on_time": "Closed on time", "late": "Closed late", "open_past_due": "Open past due"}


def axis(**extra) -> dict:
    return {"gridcolor": GRID, "zeroline": False, "linecolor": GRID, "automargin": True, **extra}


@cache
def _template() -> dict:
    """plotly's default template as JSON, built once: what go.Figure puts into every figure's layout."""
    return pio.templates[pio.templates.default].to_plotly_json()


def figure(data: list[dict], spec: dict) -> dict:
    """A figure as the JSON dcc.Graph takes: trace dicts (each with its `type`) and a layout dict, with the
    default template go.Figure would add, so it draws the same.

    Why not go.Figure: plotly validates every property of every trace when a figure is built (~2 ms a
    trace; a six-line weekly trend took 16 ms) and deep-copies the whole figure again to serialise it;
    with every read cached, building figures was most of a trends or rankings callback (70-110 ms).
    As dicts the same figure costs ~0.5 ms to serialise. Validation is not lost: the unit tests build a
    go.Figure from each builder's dict (tests/unit/test_figures.py), which raises on any invalid property."""
    return {"data": data, "layout": {"template": _template(), **spec}}


def layout(height: int = 340, legend: bool = True, xaxis: dict | None = None, yaxis: dict | None = None,
           **extra) -> dict:
    """The shared look as one layout dict, which `figure` takes whole: a figure is written once, never
    updated piece by piece."""
    return {
        "height": height, "margin": {"l": 8, "r": 8, "t": 8, "b": 8}, "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)", "font": {"family": "Inter, system-ui, sans-serif", "size": 12, "color": TEXT},
        "colorway": list(COLORS), "showlegend": legend, "hoverlabel": {"font": {"size": 12}},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "title": {"text": ""}},
        "xaxis": axis(**(xaxis or {})), "yaxis": axis(**(yaxis or {})), **extra,
    }


NO_GRID = {"gridcolor": "rgba(0,0,0,0)"}
SMALL_SLICE = 0.04  # donut slices under this share carry no label


def empty(message: str = "No requests match these filters.", height: int = 340) -> dict:
    note = {"text": message, "showarrow": False, "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper",
            "font": {"size": 14, "color": TEXT}}
    return figure([], layout(height, False, {"visible": False}, {"visible": False}, annotations=[note]))


def fmt_int(n: float | int | None) -> str:
    if n is None or (isinstance(n, float) and math.isnan(n)):
        return "–"
    return f"{int(round(n)):,}"


def fmt_hours(h: float | None) -> str:
    """Durations the way people say them: minutes, hours, then days."""
    if h is None or (isinstance(h, float) and math.isnan(h)):
        return "–"
    if h < 1:
        return f"{h * 60:.0f} min"
    if h < 48:
        return f"{h:.1f} h"
    return f"{h / 24:.1f} days"


def change(current: float | None, previous: float | None) -> float | None:
    """Relative change in percent, None when there is no previous value to compare with."""
    if current is None or not previous:
        return None
    return (current - previous) / previous * 100.0


def fmt_change(pct: float | None) -> str:
    if pct is None:
        return "no earlier period to compare"
    arrow = "▲" if pct > 0 else "▼" if pct < 0 else "●"
    return f"{arrow} {abs(pct):.1f}% vs previous period"


def sparkline(values: list[float]) -> str:
    """A trend in eight unicode blocks: cheap to send, readable in a table cell."""
    blocks = "▁▂▃▄▅▆▇█"
    vals = [0.0 if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in values]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    if hi == lo:
        return blocks[0] * len(vals)
    return "".join(blocks[int((v - lo) / (hi - lo) * (len(blocks) - 1))] for v in vals)


INCOMPLETE_NOTE = {"text": "dashed: incomplete period", "showarrow": False, "x": 1, "y": 0, "xref": "paper",
                   "yref": "paper", "xanchor": "right", "yanchor": "bottom", "font": {"size": 11, "color": TEXT}}


def _line(part: pd.DataFrame, hover: str, **trace) -> list[dict]:
    """One series as a solid line over its complete periods and a dashed one over the incomplete
    (pipeline/read/series.py: the last period cut short by the data's end or the date range), so a
    partial period never reads as a fall. Without a `complete` column: one solid line."""
    x, y = part["period"].tolist(), part["count"].to_numpy()
    if "complete" not in part or part["complete"].all():
        return [{"type": "scatter", "x": x, "y": y.tolist(), "mode": "lines", "hovertemplate": hover, **trace}]
    whole = part["complete"].to_numpy(dtype=bool)
    near = ~whole | np.r_[False, ~whole[:-1]] | np.r_[~whole[1:], False]
    solid = {"type": "scatter", "x": x, "y": np.where(whole, y.astype(object), None).tolist(), "mode": "lines",
             "hovertemplate": hover, **trace}
    dashed = {**trace, "line": {**trace.get("line", {}), "dash": "dash"}, "showlegend": False,
              "legendgroup": trace.get("legendgroup", trace.get("name")), "fill": None}
    edge = {"type": "scatter", "x": x, "y": np.where(near, y.astype(object), None).tolist(), "mode": "lines+markers",
            "marker": {"size": 5}, "hovertemplate": hover.replace("<extra>", " (incomplete period)<extra>", 1),
            **{k: v for k, v in dashed.items() if k != "fill"}}
    return [solid, edge]


def _numbers(values: pd.Series) -> list:
    """A numeric column as JSON numbers, a missing value as None (null: no bar, no colour)."""
    return [None if v is None or v != v else v for v in values.astype(object).tolist()]


def _incomplete(df: pd.DataFrame) -> bool:
    return "complete" in df and not df["complete"].all()


def timeseries(df: pd.DataFrame, split_by: str | None = None, label: str = "Requests",
               height: int = 340) -> dict:
    """Counts per period (columns period, [split_by], count, [complete]). Split by a dimension, an
    'Other' line larger than every named one starts hidden (a click on its legend entry shows it):
    drawn, it would flatten the named lines at the bottom of the axis."""
    if df.empty or df["count"].sum() == 0:
        return empty(height=height)
    traces = []
    if split_by and split_by in df.columns:
        totals = df.groupby(split_by)["count"].sum().sort_values(ascending=False)
        named = totals.drop(OTHER, errors="ignore")
        hide_other = OTHER in totals.index and (named.empty or totals[OTHER] > named.iloc[0])
        for i, group in enumerate(totals.index):
            part = df[df[split_by] == group]
            hidden = hide_other and group == OTHER
            traces += _line(part, "%{x}<br>%{y:,} requests<extra>%{fullData.name}</extra>",
                            name=f"{group} (click to show)" if hidden else str(group), legendgroup=str(group),
                            line=dict(width=2, color=COLORS[i % len(COLORS)]),
                            **({"visible": "legendonly"} if hidden else {}))
    else:
        traces += _line(df, "%{x}<br>%{y:,} requests<extra></extra>", name=label, fill="tozeroy",
                        line=dict(width=2, color=ACCENT), fillcolor="rgba(37,99,235,0.12)")
    notes = [INCOMPLETE_NOTE] if _incomplete(df) else []
    return figure(traces, layout(height, bool(split_by), yaxis={"title": {"text": label}, "rangemode": "tozero"},
                                 annotations=notes))


def year_over_year(df: pd.DataFrame, height: int = 340) -> dict:
    """Current vs one year earlier (columns period, series, count, [complete]; series 'This period'/'A year
    earlier'), plotted on the current period's dates so the two lines overlay."""
    if df.empty or df["count"].sum() == 0:
        return empty(height=height)
    traces = []
    for i, (name, dash) in enumerate((("This period", "solid"), ("A year earlier", "dot"))):
        part = df[df["series"] == name]
        traces += _line(part, "%{customdata}<br>%{y:,} requests<extra>%{fullData.name}</extra>", name=name,
                        line=dict(width=2, dash=dash, color=COLORS[i]),
                        **({"customdata": part["actual_period"].tolist()} if "actual_period" in part else {}))
    notes = [INCOMPLETE_NOTE] if _incomplete(df) else []
    return figure(traces, layout(height, yaxis={"title": {"text": "Requests"}, "rangemode": "tozero"},
                                 annotations=notes))


def side_by_side(df: pd.DataFrame, height: int = 340) -> dict:
    """Two areas' series in adjacent panels with a shared y axis (columns area, period, count, [complete])."""
    areas = list(dict.fromkeys(df["area"])) if not df.empty else []
    if len(areas) == 0 or df["count"].sum() == 0:
        return empty("Pick two areas to compare.", height)
    n = len(areas)
    gap = 0.04
    width = (1 - gap * (n - 1)) / n
    traces, axes, notes = [], {}, []
    for i, area in enumerate(areas):
        part = df[df["area"] == area]
        suffix = "" if i == 0 else str(i + 1)
        traces += _line(part, "%{x}<br>%{y:,} requests<extra>" + area + "</extra>", name=area, fill="tozeroy",
                        line=dict(width=2, color=COLORS[i]), xaxis=f"x{suffix}", yaxis=f"y{suffix}")
        lo = i * (width + gap)
        axes[f"xaxis{suffix}"] = axis(domain=[lo, lo + width], anchor=f"y{suffix}")
        axes[f"yaxis{suffix}"] = axis(rangemode="tozero", anchor=f"x{suffix}",
                                      **({"matches": "y", "showticklabels": False} if i else {}))
        notes.append({"text": area, "x": lo + width / 2, "y": 1.0, "xref": "paper", "yref": "paper",
                      "yanchor": "bottom", "showarrow": False, "font": {"size": 13, "color": TEXT}})
    if _incomplete(df):
        notes.append(INCOMPLETE_NOTE)
    spec = layout(height, False, annotations=notes)
    spec["margin"] = {**spec["margin"], "t": 28}
    spec.update(axes)
    return figure(traces, spec)


def bars(df: pd.DataFrame, category: str, value: str = "count", label: str = "Requests",
         height: int = 340, value_format: str = ",") -> dict:
    """Horizontal bars, largest on top (df already sorted largest first)."""
    if df.empty:
        return empty(height=height)
    bar = {"type": "bar", "x": _numbers(df[value][::-1]), "y": df[category].astype(str).tolist()[::-1], "orientation": "h",
           "marker": {"color": ACCENT}, "hovertemplate": "%{y}<br>%{x:" + value_format + "}<extra></extra>"}
    return figure([bar], layout(height, False, {"title": {"text": label}}, NO_GRID))


def donut(df: pd.DataFrame, category: str, value: str = "count", height: int = 340) -> dict:
    """Shares of a whole. Only slices of at least SMALL_SLICE carry a label, inside the ring: the
    small ones' labels overlapped each other and the legend (their numbers are in the hover and CSV)."""
    if df.empty or df[value].sum() == 0:
        return empty(height=height)
    share = df[value] / df[value].sum()
    text = [f"{s:.0%}" if s >= SMALL_SLICE else "" for s in share]
    pie = {"type": "pie", "labels": df[category].tolist(), "values": df[value].tolist(), "hole": 0.55, "sort": False,
           "marker": {"colors": list(COLORS)}, "text": text, "textinfo": "text", "textposition": "inside",
           "insidetextorientation": "horizontal", "hovertemplate": "%{label}<br>%{value:,} (%{percent})<extra></extra>"}
    spec = layout(height)
    spec["legend"] = {"orientation": "v", "x": 1.0, "xanchor": "left", "y": 0.5, "yanchor": "middle",
                      "title": {"text": ""}}
    spec["uniformtext"] = {"minsize": 10, "mode": "hide"}
    return figure([pie], spec)


def duration_unit(hours: pd.Series) -> tuple[float, str]:
    """Hours for durations up to three days, days beyond: '3,000 h' reads as nothing, '125 days' does."""
    return (24.0, "days") if len(hours) and float(hours.max()) > 72 else (1.0, "hours")


def resolution_bars(df: pd.DataFrame, category: str, height: int = 380) -> dict:
    """Median and p90 side by side per category (columns category, median_h, p90_h), in hours or days."""
    if df.empty:
        return empty("No closed requests match these filters.", height)
    cats = df[category].astype(str).tolist()[::-1]
    per, unit = duration_unit(pd.concat([df["median_h"], df["p90_h"]]).dropna())
    short = "h" if unit == "hours" else "days"
    traces = [{"type": "bar", "x": _numbers(df[column][::-1] / per), "y": cats, "orientation": "h", "name": name,
               "marker": {"color": color}, "hovertemplate": "%{y}<br>" + what + " %{x:.1f} " + short + "<extra></extra>"}
              for column, name, color, what in (("median_h", "Median", COLORS[0], "median"),
                                                ("p90_h", "90th percentile", COLORS[1], "p90"))]
    return figure(traces, layout(height, True, {"title": {"text": f"{unit.capitalize()} from creation to closing"},
                                                "rangemode": "tozero"}, NO_GRID, barmode="group"))


def timeliness(df: pd.DataFrame, category: str, height: int = 380) -> dict:
    """Stacked shares of on time / late / open past due per category (counts in hover)."""
    if df.empty or df["with_due"].sum() == 0:
        return empty("No requests with a due date match these filters.", height)
    traces = []
    cats = df[category].astype(str).tolist()[::-1]
    for col in ("on_time", "late", "open_past_due"):
        share = (df[col] / df["with_due"].where(df["with_due"] > 0) * 100)[::-1]
        traces.append({"type": "bar", "x": _numbers(share), "y": cats, "orientation": "h", "name": TIMELINESS_LABELS[col],
                       "marker": {"color": TIMELINESS_COLORS[col]}, "customdata": df[col].tolist()[::-1],
                       "hovertemplate": "%{y}<br>%{x:.1f}% (%{customdata:,})<extra>" + TIMELINESS_LABELS[col]
                       + "</extra>"})
    spec = layout(height, True, {"title": {"text": "% of requests with a due date"}, "range": [0, 100]}, NO_GRID,
                  barmode="stack")
    spec["legend"]["traceorder"] = "normal"
    return figure(traces, spec)


def choropleth(geojson: dict | str, region_ids: list[str], df: pd.DataFrame, metric_label: str,
               height: int = 560, selected: str | None = None) -> dict:
    """Regions coloured by the df's `value` (df columns id, name, value, value_text, count, population).

    Plain SVG geo (d3) fitted to the regions, no base map: no tile server is needed (none is
    reachable), and it draws in a fraction of the time a WebGL map takes on a machine without a GPU.
    `geojson` may be the layer's URL, so the browser fetches (and caches) the shapes once instead of
    receiving them in every callback response."""
    shown = df.dropna(subset=["value"]) if not df.empty else df
    hover = ("<b>%{customdata[0]}</b><br>" + metric_label + ": %{customdata[1]}<br>"
             "Requests: %{customdata[2]}<br>Residents: %{customdata[3]}<extra></extra>")
    # every region outlined, so places without data still read as part of the city
    traces = [{"type": "choropleth", "geojson": geojson, "locations": list(region_ids), "z": [0] * len(region_ids),
               "featureidkey": "id", "colorscale": [[0, "rgba(200,205,214,0.35)"], [1, "rgba(200,205,214,0.35)"]],
               "showscale": False, "marker": {"line": {"width": 0.6, "color": "#9aa4b2"}}, "hoverinfo": "skip"}]
    if not shown.empty:
        traces.append({
            "type": "choropleth", "geojson": geojson, "locations": shown["id"].tolist(), "z": _numbers(shown["value"]),
            "featureidkey": "id", "colorscale": SCALE, "marker": {"line": {"width": 0.6, "color": "#ffffff"}},
            "customdata": [list(row) for row in zip(shown["name"], shown["value_text"], shown["count"].map(fmt_int),
                                                    shown["population"].map(fmt_int), strict=True)],
            "hovertemplate": hover, "colorbar": {"title": {"text": metric_label, "side": "right"}, "thickness": 12},
            # one outlier (a ZIP of offices with few residents) must not wash out every other region
            "zmin": float(shown["value"].min()), "zmax": float(shown["value"].quantile(0.95)) or None,
        })
    if selected in region_ids:  # the region the app is filtered to, outlined on top
        traces.append({"type": "choropleth", "geojson": geojson, "locations": [selected], "z": [0], "featureidkey": "id",
                       "colorscale": [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]], "showscale": False,
                       "marker": {"line": {"width": 3, "color": COLORS[1]}}, "hoverinfo": "skip"})
    geo = {"fitbounds": "locations", "visible": False, "bgcolor": "rgba(0,0,0,0)",
           "projection": {"type": "mercator"}, "domain": {"x": [0, 0.88], "y": [0, 1]}}
    return figure(traces, layout(height, False, geo=geo, clickmode="event"))


def ranking(df: pd.DataFrame, value: str, label: str, value_format: str = ",.0f", height: int = 400) -> dict:
    """Award-style ranking: bars with the value and the area's trend (unicode sparkline) as text.
    df columns rank, name, <value>, trend; sorted best first."""
    if df.empty:
        return empty(height=height)
    ys = [f"{r}. {n}" for r, n in zip(df["rank"], df["name"], strict=True)][::-1]
    text = [f"{v:{value_format}}  {t}" for v, t in zip(df[value], df["trend"], strict=True)][::-1]
    bar = {"type": "bar", "x": _numbers(df[value][::-1]), "y": ys, "orientation": "h", "text": text, "textposition": "auto",
           "marker": {"color": ACCENT}, "insidetextanchor": "end", "cliponaxis": False,
           "insidetextfont": {"color": "#ffffff"}, "outsidetextfont": {"color": TEXT},
           "hovertemplate": "%{y}<br>" + label + ": %{x:" + value_format + "}<extra></extra>"}
    return figure([bar], layout(height, False, {"title": {"text": label}}, NO_GRID))
