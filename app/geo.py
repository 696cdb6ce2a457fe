"""Map layers, read once per process from the simplified files under assets/geo/.

Why from assets: scripts/build_boundaries.py writes them there (committed), so the shapes the server
puts into a figure are the same small files, loaded once and reused by every map callback."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

GEO_DIR = Path(__file__).resolve().parent.parent / "assets" / "geo"
LAYER_FILES = {"borough": "boroughs.geojson", "community_district": "community_districts.geojson",
               "zip": "zips.geojson"}


@cache
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
