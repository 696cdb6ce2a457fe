"""The hexagon density map of the Hotspots page: H3 cells in, figure out (pure, unit-tested).

Why a tile map without tiles (figures.CLEAR_MAP_STYLE): the cells carry their own shapes (GeoJSON
from h3.cell_to_boundary), no tile server is reachable, and a transparent background follows the
light and dark themes. Borough outlines (the map page's layer, fetched by URL) give the context.
"""
from __future__ import annotations

import math
import threading
from collections import OrderedDict

import pandas as pd

from app import figures

NYC_CENTER = {"lat": 40.705, "lon": -73.978}


def cells_geojson(cells: list[str]) -> dict:
    """The cells as a GeoJSON FeatureCollection keyed by cell id ([lon, lat] rings, closed)."""
    import h3
    features = []
    for c in cells:
        ring = [[lon, lat] for lat, lon in h3.cell_to_boundary(c)]
        features.append({"type": "Feature", "id": c, "properties": {},
                         "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]}})
    return {"type": "FeatureCollection", "features": features}


def view_of(cells: list[str]) -> tuple[dict, float]:
    """Centre and zoom that fit the cells (the whole city when there are none)."""
    import h3
    if not cells:
        return NYC_CENTER, 9.2
    pts = [h3.cell_to_latlng(c) for c in cells]
    lats, lons = [p[0] for p in pts], [p[1] for p in pts]
    span = max(max(lons) - min(lons), (max(lats) - min(lats)) * 1.3, 0.02)
    zoom = max(8.8, min(13.0, math.log2(360 / span) - 0.8))
    return {"lat": (max(lats) + min(lats)) / 2, "lon": (max(lons) + min(lons)) / 2}, zoom


# The map without a selected cell, as plotly JSON, by its cells and counts (LRU). A click on a hexagon
# redraws the page with the same map and one more outline: rebuilding and deep-copying ~2,500 cells
# for that was ~20 ms of the click's callback (measured on the ten-year store).
BASES = 32
_bases: OrderedDict[tuple, tuple[dict, dict, float]] = OrderedDict()
_bases_lock = threading.Lock()


def hex_map(cells: pd.DataFrame, outline_url: str, outline_ids: list[str], selected: str | None = None,
            height: int = 520, grid_url: str | None = None, grid: frozenset[str] = frozenset()) -> dict:
    """Cells coloured by requests (cells columns cell, count); the selected cell outlined. The hover
    shows the count; the page shows the hexagon's top types beside the map (they are read per cell).
    Cells of `grid` take their shapes from the layer at `grid_url` (fetched once, cached by the
    browser), so a redraw carries counts, not ~2,000 polygons; any other cell is drawn inline.
    A figure dict (plotly JSON) when there are cells: the unselected map is built once per set of
    counts, and a selection adds its outline and view to a shallow copy of it."""
    if cells.empty:
        return figures.empty("No requests with coordinates match these filters.", height)
    ids = list(cells["cell"])
    key = (tuple(ids), tuple(cells["count"].astype("int64")), outline_url, tuple(outline_ids), height, grid_url, grid)
    with _bases_lock:
        base = _bases.get(key)
        if base is not None:
            _bases.move_to_end(key)
    if base is None:
        base = _base_map(cells, outline_url, outline_ids, height, grid_url, grid)
        with _bases_lock:
            _bases[key] = base
            while len(_bases) > BASES:
                _bases.popitem(last=False)
    fig, center, zoom = base
    data = fig["data"]
    if selected in ids:
        data = [*data, {"type": "choroplethmap", "geojson": cells_geojson([selected]), "featureidkey": "id",
                        "locations": [selected], "z": [0], "showscale": False,
                        "colorscale": [[0, "rgba(0,0,0,0)"], [1, "rgba(0,0,0,0)"]],
                        "marker": {"line": {"width": 3, "color": figures.COLORS[1]}}, "hoverinfo": "skip"}]
        center, zoom = view_of([selected])
    layout = fig["layout"]
    return {"data": data, "layout": {**layout, "map": {**layout["map"], "center": center, "zoom": zoom}}}


def _base_map(cells: pd.DataFrame, outline_url: str, outline_ids: list[str], height: int, grid_url: str | None,
              grid: frozenset[str]) -> tuple[dict, dict, float]:
    """The map with no cell selected, as plotly JSON, and the view that fits every cell."""
    ids = list(cells["cell"])
    outline = {"type": "choroplethmap", "geojson": outline_url, "featureidkey": "id", "locations": list(outline_ids),
               "z": [0] * len(outline_ids), "showscale": False, "hoverinfo": "skip",
               "colorscale": [[0, "rgba(200,205,214,0.25)"], [1, "rgba(200,205,214,0.25)"]],
               "marker": {"line": {"width": 0.6, "color": "#9aa4b2"}}}
    zmax = float(cells["count"].quantile(0.98)) or None
    on_grid = cells["cell"].isin(grid) if grid_url else pd.Series(False, index=cells.index)
    traces = [outline]
    for part, geojson in ((cells[on_grid], grid_url), (cells[~on_grid], None)):
        if part.empty:
            continue
        traces.append({
            "type": "choroplethmap", "geojson": geojson or cells_geojson(list(part["cell"])), "featureidkey": "id",
            "locations": part["cell"].tolist(), "z": part["count"].astype("int64").tolist(),
            "colorscale": figures.SCALE, "zmin": 0, "zmax": zmax,
            "marker": {"line": {"width": 0.5, "color": "#ffffff"}, "opacity": 0.85},
            "customdata": part["count"].map(figures.fmt_int).tolist(),
            "hovertemplate": "<b>%{customdata} requests</b><br>cell %{location}<extra></extra>",
            "showscale": len(traces) == 1, "colorbar": {"title": {"text": "Requests", "side": "right"}, "thickness": 12}})
    center, zoom = view_of(ids)
    fig = figures.figure(traces, figures.layout(height, False, clickmode="event",
                                                map={"style": figures.CLEAR_MAP_STYLE, "center": center, "zoom": zoom}))
    return fig, center, zoom
