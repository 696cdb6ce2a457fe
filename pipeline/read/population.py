"""Residents per area, for per-capita rates.

Boroughs: 2020 Census (pipeline/schema.BOROUGH_POPULATION). ZIPs: the Health Department's Modified
ZCTAs (data/nyc_modzcta.geojson, `pop_est`); a MODZCTA folds a few ZIPs without residents of
their own (e.g. 10001 holds 10119 and 10199), so each folded ZIP is given its MODZCTA's population.
The ZIP table is derived once into config/population/zip_population.csv by
`python -m pipeline.read.population`. Community districts: 2020 Census by community district, NYC
Department of City Planning (data/nyc_community_district_population_2020.csv, source and checks in
data/README.md), keyed like the store's `community_district` (BoroCD as text, e.g. '109'); the
joint-interest areas (parks, airports) have no population and so no rate.
"""
from __future__ import annotations

import csv
import json
from functools import lru_cache
from pathlib import Path

from pipeline.schema import BOROUGH_POPULATION
from pipeline.settings import CONFIG_DIR, DATA_DIR

ZIP_CSV = CONFIG_DIR / "population" / "zip_population.csv"
MODZCTA_GEOJSON = DATA_DIR / "nyc_modzcta.geojson"
DISTRICT_CSV = DATA_DIR / "nyc_community_district_population_2020.csv"


def build_zip_csv(geojson: Path = MODZCTA_GEOJSON, out: Path = ZIP_CSV) -> int:
    """Write zip,modzcta,population from the MODZCTA layer; returns the number of ZIPs."""
    features = json.loads(geojson.read_text())["features"]
    rows = {}
    for feat in features:
        p = feat["properties"]
        if not str(p.get("pop_est") or "").strip():
            continue
        for z in str(p["zcta"]).split(","):
            z = z.strip()
            if len(z) == 5 and z.isdigit():
                rows[z] = (p["modzcta"], int(float(p["pop_est"])))
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["zip", "modzcta", "population"])
        for z in sorted(rows):
            w.writerow([z, *rows[z]])
    return len(rows)


@lru_cache(maxsize=1)
def zip_population() -> dict[str, int]:
    if not ZIP_CSV.exists():
        return {}
    with open(ZIP_CSV, newline="") as fh:
        return {r["zip"]: int(r["population"]) for r in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def district_population() -> dict[str, int]:
    """Residents by community district ('101'..'503'), 59 districts."""
    with open(DISTRICT_CSV, newline="") as fh:
        return {str(int(r["borocd"])): int(r["population_2020"]) for r in csv.DictReader(fh)}


def population(level: str) -> dict[str, int]:
    """Residents by area at 'borough' | 'zip' | 'community_district' (empty when unknown)."""
    if level == "borough":
        return dict(BOROUGH_POPULATION)
    if level == "zip":
        return zip_population()
    if level == "community_district":
        return district_population()
    return {}


if __name__ == "__main__":
    print(f"{build_zip_csv()} ZIPs written to {ZIP_CSV}")
