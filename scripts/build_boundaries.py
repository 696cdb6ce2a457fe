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


def _points(coords) -> list:
    """The [lon, lat] points of nested GeoJSON coordinates."""
    if coords and isinstance(coords[0], int | float):
        return [coords]
    return [p for c in coords for p in _points(c)]


def cell_grid(boroughs: dict, resolution: int) -> dict:
    """Every H3 cell of the map's resolution over the city's bounding box (and one ring around it),
    as a FeatureCollection keyed by cell id: the Hotspots map references it by URL, so a redraw sends
    only counts (app/hex_figures.py draws any cell outside it inline)."""
    import h3
    points = [pt for f in boroughs["features"] for pt in _points(f["geometry"]["coordinates"])]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    box = h3.LatLngPoly([(min(lats), min(lons)), (min(lats), max(lons)), (max(lats), max(lons)), (max(lats), min(lons))])
    cells = {n for c in h3.polygon_to_cells(box, resolution) for n in h3.grid_disk(c, 1)}
    feats = []
    for c in sorted(cells):
        ring = [[round(lon, 6), round(lat, 6)] for lat, lon in h3.cell_to_boundary(c)]
        feats.append({"type": "Feature", "id": c, "properties": {},
                      "geometry": {"type": "Polygon", "coordinates": [ring + ring[:1]]}})
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
    write_grid(args.out)


def write_grid(out: Path) -> None:
    from pipeline.rollups.tables import HEX_RESOLUTION
    grid = cell_grid(json.loads((out / "boroughs.geojson").read_text()), HEX_RESOLUTION)
    text = json.dumps(grid, separators=(",", ":"))
    (out / "h3_cells.geojson").write_text(text)
    print(f"h3_cells: {len(grid['features'])} cells, {len(text)} bytes, {len(gzip.compress(text.encode()))} gzipped")


if __name__ == "__main__":
    main()
