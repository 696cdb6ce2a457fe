"""Map layers: the simplified files under assets/geo/ (written by scripts/build_boundaries.py).

Why figures reference them by URL: the browser fetches each layer once and caches it, so callback
responses carry only numbers; the server reads a layer once per process, for the region names."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

GEO_DIR = Path(__file__).resolve().parent.parent / "assets" / "geo"
LAYER_FILES = {"borough": "boroughs.geojson", "community_district": "community_districts.geojson",
               "zip": "zips.geojson", "h3_cell": "h3_cells.geojson"}


def layer(level: str) -> dict:
    return json.loads((GEO_DIR / LAYER_FILES[level]).read_text())


def url(level: str) -> str:
    """The layer's public URL (under the app's path prefix): figures reference it, browsers cache it."""
    import dash
    return dash.get_asset_url(f"geo/{LAYER_FILES[level]}")


@cache
def names(level: str) -> dict[str, tuple[str, str]]:
    """Region id -> (display name, borough)."""
    return {f["id"]: (f["properties"]["name"], f["properties"]["borough"]) for f in layer(level)["features"]}


@cache
def grid_cells() -> frozenset[str]:
    """The H3 cells of the hexagon map's grid layer (the city's box at HEX_RESOLUTION)."""
    return frozenset(f["id"] for f in layer("h3_cell")["features"])
