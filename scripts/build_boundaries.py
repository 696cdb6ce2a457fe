"""Simplified map layers for the dashboard: `.venv/bin/python scripts/build_boundaries.py [--source DIR] [--out DIR]`.

Why: the city's boundary files are 1-4 MB of survey-grade coordinates; a browser choropleth needs a
few hundred KB. Each layer is simplified with shapely (topology-preserving), coordinates rounded to
~10 m, and every feature gets one `id` property in the read API's normalised spelling (borough name,
BoroCD as text, five-digit ZIP) so the app can join rollups to shapes. Outputs are committed under
assets/geo/ (Dash serves assets/ as static files). Sources: data/README.md; --source defaults to the
repository's data/ and --out to its assets/geo/, both found from this file, so it runs from any clone.
"""
from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

from shapely.geometry import mapping, shape

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "data"
OUT = ROOT / "assets" / "geo"
BOROUGH_CODES = {1: "Manhattan", 2: "Bronx", 3: "Brooklyn", 4: "Queens", 5: "Staten Island"}
MAX_GZIP_BYTES = 300 * 1024
DIGITS = 4  # ~11 m at NYC's latitude: far below what a city-wide choropleth can show


def _round(coords):
    if isinstance(coords[0], (int, float)):
        return [round(coords[0], DIGITS), round(coords[1], DIGITS)]
    return [_round(c) for c in coords]


def simplify_feature(geometry: dict, tolerance: float) -> dict:
    """One geometry, simplified and rounded, as a GeoJSON mapping."""
    g = mapping(shape(geometry).simplify(tolerance, preserve_topology=True))
    return {"type": g["type"], "coordinates": _round(g["coordinates"])}


def borough_props(p: dict) -> dict:
    return {"id": p["BoroName"], "name": p["BoroName"], "borough": p["BoroName"]}


def district_props(p: dict) -> dict:
    cd = int(p["BoroCD"])
    borough = BOROUGH_CODES[cd // 100]
    num = cd % 100
    # x26 and above are joint-interest areas (parks, airports) without a community board
    name = f"{borough} CD {num}" if num < 26 else f"{borough} joint interest area {num}"
    return {"id": str(cd), "name": name, "borough": borough}


def zip_props(p: dict) -> dict:
    return {"id": str(p["postalCode"]), "name": f"{p['postalCode']} {p.get('PO_NAME') or ''}".strip(),
            "borough": p.get("borough") or ""}


LAYERS = {
    "boroughs": ("nyc_boroughs.geojson", borough_props, 0.0008),
    "community_districts": ("nyc_community_districts.geojson", district_props, 0.0005),
    "zips": ("nyc_zip_codes.geojson", zip_props, 0.0003),
}


def build_layer(source: Path, props, tolerance: float) -> dict:
    data = json.loads(source.read_text())
    feats = [{"type": "Feature", "id": props(f["properties"])["id"], "properties": props(f["properties"]),
              "geometry": simplify_feature(f["geometry"], tolerance)}
             for f in data["features"] if f.get("geometry")]
    return {"type": "FeatureCollection", "features": feats}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=SOURCE, help="folder of the city's boundary files (default: data/)")
    ap.add_argument("--out", type=Path, default=OUT, help="folder for the simplified layers (default: assets/geo/)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, (fname, props, tol) in LAYERS.items():
        layer = build_layer(args.source / fname, props, tol)
        text = json.dumps(layer, separators=(",", ":"))
        size = len(gzip.compress(text.encode()))
        if size > MAX_GZIP_BYTES:
            raise SystemExit(f"{name}: {size} bytes gzipped exceeds {MAX_GZIP_BYTES}; raise the tolerance")
        (args.out / f"{name}.geojson").write_text(text)
        print(f"{name}: {len(layer['features'])} features, {len(text)} bytes, {size} gzipped")


if __name__ == "__main__":
    main()
