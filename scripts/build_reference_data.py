"""Build the small lookup tables the normaliser needs from the NYC boundary files in data/.

Why a generated CSV instead of reading GeoJSON at run time: the Spark job turns these tables into
literal map expressions (no join, no file access on executors), and the streaming job reuses them.
Run: `.venv/bin/python scripts/build_reference_data.py [DATA_DIR]` (default: the repository's data/, found
from this file, so it runs from any clone; output: config/reference/).
Source: NYC ZIP code tabulation areas (pediacities), Modified ZCTAs (for ZIPs folded into another's
tabulation area) and NYC DCP community districts (nycd), see
data/README.md.
"""
from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "config" / "reference"


def zip_boroughs(geojson: Path) -> list[tuple[str, str]]:
    """ZIP -> borough; a ZIP drawn in several boroughs goes to the one holding most of its area."""
    area: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for f in json.loads(geojson.read_text())["features"]:
        p = f["properties"]
        area[str(p["postalCode"]).zfill(5)][p["borough"]] += float(p.get("Shape_Area") or 0)
    return sorted((z, max(b.items(), key=lambda kv: kv[1])[0]) for z, b in area.items())


def folded_zips(modzcta: Path, known: dict[str, str]) -> list[tuple[str, str]]:
    """ZIPs that exist only inside a Modified ZCTA's label (e.g. 11249 folded into 11211): real NYC
    ZIPs that 311 rows carry, placed in the borough of the MODZCTA that folds them."""
    extra = []
    for f in json.loads(modzcta.read_text())["features"]:
        p = f["properties"]
        home = known.get(str(p["modzcta"]))
        for z in str(p.get("label") or "").replace(" ", "").split(","):
            if z and z not in known and home:
                extra.append((z, home))
    return extra


def community_districts(geojson: Path) -> list[int]:
    return sorted({int(f["properties"]["BoroCD"]) for f in json.loads(geojson.read_text())["features"]})


def main(data_dir: str = str(ROOT / "data")) -> None:
    data = Path(data_dir)
    OUT.mkdir(parents=True, exist_ok=True)
    with open(OUT / "zip_boroughs.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["zip", "borough"])
        zips = zip_boroughs(data / "nyc_zip_codes.geojson")
        w.writerows(sorted(zips + folded_zips(data / "nyc_modzcta.geojson", dict(zips))))
    with open(OUT / "community_districts.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["boro_cd"])
        w.writerows([cd] for cd in community_districts(data / "nyc_community_districts.geojson"))


if __name__ == "__main__":
    main(*sys.argv[1:])
