"""Hotspots end to end: the batch job's place and hexagon rollups (`places_by_*`, `place_heads`, `hex_*`, `cell_types`), read through
pipeline/read/hotspots.py, equal a recount of the raw CSV rows made here with Python's csv module, on
the real sample (both export eras) and on synthetic rows, in SQLite and in Cassandra."""
from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from pathlib import Path

import h3
import pytest
from conftest import LEGACY_CSV, LOAD_NOW, SAMPLE_CSV

from pipeline.ingest import places
from pipeline.read.api import Filters
from pipeline.read.hotspots import HotspotAPI
from pipeline.rollups import batch
from pipeline.rollups.tables import HEX_RESOLUTION
from pipeline.stores import open_store

pytestmark = pytest.mark.integration

NOW = LOAD_NOW  # the shared loads' (conftest), so a load here matches theirs
SAMPLE, LEGACY = SAMPLE_CSV, LEGACY_CSV  # the files the shared loads (conftest) load: the recount reads the same
BOROUGHS = {"BRONX": "Bronx", "BROOKLYN": "Brooklyn", "MANHATTAN": "Manhattan", "QUEENS": "Queens",
            "STATEN ISLAND": "Staten Island"}


def raw_rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def recount(rows: list[dict], type_: str | None = None, borough: str | None = None, cell: str | None = None,
            types: Counter | None = None):
    """(places Counter keyed by (place, borough), cells Counter) of raw export rows; `types`, if given,
    gets the complaint types of the rows counted in a cell."""
    placec, cellc = Counter(), Counter()
    for r in rows:
        b = BOROUGHS.get(r["Borough"].strip().upper(), "Unspecified")
        if (type_ and r["Complaint Type"].strip() != type_) or (borough and b != borough):
            continue
        try:
            lat, lon = float(r["Latitude"]), float(r["Longitude"])
            c = h3.latlng_to_cell(lat, lon, HEX_RESOLUTION) if 40.45 <= lat <= 40.95 and -74.3 <= lon <= -73.65 else None
        except ValueError:
            c = None
        if cell and c != cell:
            continue
        p = places.place(r["Incident Address"], r["Address Type"], r["Intersection Street 1"],
                         r["Intersection Street 2"])
        if p != "Unspecified":
            placec[(p, b)] += 1
        if c:
            cellc[c] += 1
            if types is not None:
                types[r["Complaint Type"].strip()] += 1
    return placec, cellc


def shown_places(api: HotspotAPI, f: Filters, cell: str | None = None) -> Counter:
    got = api.hotspot_places(f, cell, 1000)
    return Counter({(a, b): int(n) for a, b, n in zip(got["address"], got["borough"], got["count"], strict=True)})


def load(spark, store, path: Path, tmp: Path) -> HotspotAPI:
    batch.load_input(spark, store, str(path), str(tmp / "lake"), str(tmp / "quarantine"), now=NOW)
    return HotspotAPI(store, cache=False)


@pytest.fixture(scope="module")
def sqlite_api(sample_sqlite):
    return HotspotAPI(sample_sqlite.store, cache=False)


@pytest.fixture(scope="module")
def cassandra_api(sample_cassandra):
    return HotspotAPI(sample_cassandra.store, cache=False)


CASES = [dict(), dict(type_="Noise - Residential"), dict(borough="Manhattan"),
         dict(type_="Illegal Parking", borough="Brooklyn")]


def _filters(type_=None, borough=None) -> Filters:
    return Filters(complaint_type=type_, borough=borough)


@pytest.mark.parametrize("store", ["sqlite", "cassandra"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c.values()) or "all")
def test_places_and_cells_equal_a_recount(request, store, case):
    api = request.getfixturevalue(f"{store}_api")
    want_places, want_cells = recount(raw_rows(SAMPLE), **case)
    assert want_places, "the case must select something"
    assert shown_places(api, _filters(**case)) == want_places
    cells = api.hotspot_cells(_filters(**case))
    assert Counter(dict(zip(cells["cell"], cells["count"].astype(int), strict=True))) == want_cells
    assert (cells["months"] == "2022-05").all()
    # a cell narrows the list to that cell's places
    busiest = cells["cell"].iloc[0]
    types = Counter()
    assert shown_places(api, _filters(**case), busiest) == recount(raw_rows(SAMPLE), **case, cell=busiest, types=types)[0]
    # and pointing at it gives its types (all of them here: n = 50)
    got = api.cell_types(_filters(**case), busiest, 50)
    assert Counter(dict(zip(got["complaint_type"], got["count"].astype(int), strict=True))) == types


@pytest.mark.parametrize("store", ["sqlite", "cassandra"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c.values()) or "all")
def test_top_places_from_heads_are_ranked_and_cut(request, store, case):
    """A short list (n <= PLACE_HEAD_DEPTH) is ranked from place_heads and exact lookups by address
    (pipeline/read/place_ranking.py): the recount's top places, counts and order."""
    api = request.getfixturevalue(f"{store}_api")
    want = recount(raw_rows(SAMPLE), **case)[0]
    got = api.hotspot_places(_filters(**case), None, 5)
    assert list(got["count"]) == sorted(want.values(), reverse=True)[:5]
    assert all(want[(a, b)] == n for a, b, n in zip(got["address"], got["borough"], got["count"], strict=True))
    if not case:
        assert got["address"].iloc[0] == "364 W 127 ST" and int(got["count"].iloc[0]) == 9
        # the city's month has more places than its heads keep: settled by the bound and the lookups
        assert api._top_from_heads({}, ("2022-05", "2022-05"), 5) is not None


def test_legacy_era_equals_a_recount(legacy_sqlite):
    api = HotspotAPI(legacy_sqlite.store, cache=False)
    want_places, want_cells = recount(raw_rows(LEGACY))
    assert shown_places(api, Filters()) == want_places
    cells = api.hotspot_cells(Filters())
    assert Counter(dict(zip(cells["cell"], cells["count"].astype(int), strict=True))) == want_cells


def test_synthetic_spellings_are_one_place_over_months(spark, tmp_path):
    """Spellings of one address and both orders of one intersection are one place, and a place's
    count over two months is the sum of both (no month is left out)."""
    header = list(raw_rows(SAMPLE)[0])
    base = {h: "" for h in header} | {"Agency": "NYPD", "Complaint Type": "Noise - Street/Sidewalk",
                                      "Borough": "BROOKLYN", "Community Board": "01 BROOKLYN",
                                      "Latitude": "40.7128", "Longitude": "-73.9570", "Status": "Open"}
    spellings = [("123 MAIN STREET", "ADDRESS", "", ""), ("123 Main St.", "ADDRESS", "", ""),
                 ("123 main  st", "ADDRESS", "X", "Y"), ("BEDFORD AVENUE", "INTERSECTION", "BEDFORD AVENUE", "NORTH 7 STREET"),
                 ("N 7TH ST", "INTERSECTION", "North 7th St", "Bedford Ave")]
    rows = []
    for i, (a, t, s1, s2) in enumerate(spellings * 2):
        month = "05" if i < len(spellings) else "06"
        rows.append(base | {"Unique Key": str(900000 + i), "Created Date": f"{month}/0{1 + i % 5}/2022 10:00:00 AM",
                            "Incident Address": a, "Address Type": t, "Intersection Street 1": s1,
                            "Intersection Street 2": s2})
    path = tmp_path / "synthetic.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header)
        w.writeheader()
        w.writerows(rows)
    store = open_store(f"sqlite:///{tmp_path}/rollups.db")
    try:
        api = load(spark, store, path, tmp_path)
        both = shown_places(api, Filters())
        assert both == Counter({("123 MAIN ST", "Brooklyn"): 6, ("BEDFORD AVE & N 7 ST", "Brooklyn"): 4})
        assert both == recount(rows)[0]
        june = shown_places(api, Filters(start=date(2022, 6, 1), end=date(2022, 6, 30)))
        assert june == Counter({("123 MAIN ST", "Brooklyn"): 3, ("BEDFORD AVE & N 7 ST", "Brooklyn"): 2})
    finally:
        store.close()
