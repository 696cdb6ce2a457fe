"""Places for the synthetic history: a pool of random points inside each NYC ZIP polygon, with the
community district, borough, state-plane coordinates and a street address each point implies.

Why a pool: rows then pick a point by index, so 5 million rows cost one array lookup each, and every
text a point prints (ZIP, address, `09 MANHATTAN`, coordinates) is formatted once per point. Points
are drawn by rejection sampling inside the ZIP polygon, so a row's coordinates always fall inside
its Incident Zip; its Community Board and Borough come from the district polygon that holds the
point, as the city's geocoder does. Repeated addresses are realistic (the same building complains
again). Deterministic for a seed.
"""
from __future__ import annotations

import csv
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import shapely
from shapely.geometry import shape

from pipeline.settings import DATA_DIR

ZIP_GEOJSON = DATA_DIR / "nyc_zip_codes.geojson"
CD_GEOJSON = DATA_DIR / "nyc_community_districts.geojson"
MODZCTA_GEOJSON = DATA_DIR / "nyc_modzcta.geojson"
SAMPLE_CSV = DATA_DIR / "nyc_311_sample_2022.csv"

BORO_CODE = {"Manhattan": 1, "Bronx": 2, "Brooklyn": 3, "Queens": 4, "Staten Island": 5}
CODE_BORO = {v: k for k, v in BORO_CODE.items()}
# A ZIP nobody lives in (a park, a single office tower) still gets complaints, a few.
MIN_ZIP_POPULATION = 1_500
POSTAL_CITY = {"Manhattan": "New York", "Bronx": "Bronx", "Brooklyn": "Brooklyn", "Staten Island": "Staten Island"}


def quote(value: str) -> str:
    """One CSV field as the export writes it: quoted only when it holds a comma, quote or line break."""
    if "," in value or '"' in value or "\n" in value or "\r" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def state_plane(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 degrees -> NAD83 New York Long Island state plane (EPSG:2263) US survey feet, as the
    export's X/Y Coordinate columns (Lambert conformal conic, 2 standard parallels; Snyder 1987)."""
    a, f = 6378137.0, 1 / 298.257222101
    e = math.sqrt(2 * f - f * f)
    p1, p2, p0, l0 = (math.radians(v) for v in (41 + 2 / 60, 40 + 40 / 60, 40 + 10 / 60, -74.0))

    def m(p):
        return np.cos(p) / np.sqrt(1 - (e * np.sin(p)) ** 2)

    def t(p):
        s = e * np.sin(p)
        return np.tan(np.pi / 4 - p / 2) / ((1 - s) / (1 + s)) ** (e / 2)

    n = (math.log(m(p1)) - math.log(m(p2))) / (math.log(t(p1)) - math.log(t(p2)))
    big_f = m(p1) / (n * t(p1) ** n)
    rho0 = a * big_f * t(p0) ** n
    rho = a * big_f * t(np.radians(lat)) ** n
    theta = n * (np.radians(lon) - l0)
    ft = 0.3048006096012192
    return (300000.0 + rho * np.sin(theta)) / ft, (rho0 - rho * np.cos(theta)) / ft


@dataclass(frozen=True)
class ZipArea:
    code: str
    borough: str       # the borough the ZIP polygon file names
    city: str          # postal city, upper case, as the export's City column
    population: float
    polygon: object


@lru_cache(maxsize=1)
def zip_areas() -> tuple[ZipArea, ...]:
    """ZIP polygons (parts of one ZIP merged) with their population weight, sorted by ZIP."""
    parts: dict[str, list] = defaultdict(list)
    meta: dict[str, tuple[str, str]] = {}
    for feat in json.loads(ZIP_GEOJSON.read_text())["features"]:
        p = feat["properties"]
        if not re.fullmatch(r"1\d{4}", p["postalCode"]):  # 00083 is Central Park's tabulation area, no ZIP
            continue
        parts[p["postalCode"]].append(shape(feat["geometry"]))
        # the export's City is the postal city: NEW YORK for all of Manhattan, the neighbourhood in Queens
        city = p["PO_NAME"] if p["borough"] == "Queens" else POSTAL_CITY[p["borough"]]
        meta.setdefault(p["postalCode"], (p["borough"], city.upper()))
    population: dict[str, float] = defaultdict(float)
    for feat in json.loads(MODZCTA_GEOJSON.read_text())["features"]:
        p = feat["properties"]
        zips = [z.strip() for z in p["zcta"].split(",") if z.strip() in parts] or [p["modzcta"]]
        for z in zips:
            population[z] += float(p["pop_est"] or 0) / len(zips)
    areas = []
    for code in sorted(parts):
        poly = shapely.union_all(parts[code])
        shapely.prepare(poly)
        borough, city = meta[code]
        areas.append(ZipArea(code, borough, city, max(population.get(code, 0.0), MIN_ZIP_POPULATION), poly))
    return tuple(areas)


@lru_cache(maxsize=1)
def district_polygons() -> tuple[tuple[int, object], ...]:
    out = []
    for feat in json.loads(CD_GEOJSON.read_text())["features"]:
        poly = shape(feat["geometry"])
        shapely.prepare(poly)
        out.append((int(feat["properties"]["BoroCD"]), poly))
    return tuple(sorted(out, key=lambda x: x[0]))


@lru_cache(maxsize=1)
def sample_streets() -> tuple[np.ndarray, np.ndarray, list[tuple[str, str, str]]]:
    """(lat, lon, (street, cross 1, cross 2)) of the real sample's geocoded addresses: a point borrows
    the streets of the nearest real address, so streets, ZIP and district agree."""
    lat, lon, streets = [], [], []
    with open(SAMPLE_CSV, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            names = tuple(row[c].strip() for c in ("Street Name", "Cross Street 1", "Cross Street 2"))
            if row["Latitude"] and all(names):
                lat.append(float(row["Latitude"]))
                lon.append(float(row["Longitude"]))
                streets.append(names)
    return np.array(lat), np.array(lon), streets


def _nearest(lat: np.ndarray, lon: np.ndarray, ref_lat: np.ndarray, ref_lon: np.ndarray) -> np.ndarray:
    out = np.empty(len(lat), dtype=np.int64)
    for i in range(0, len(lat), 4096):
        d = (lat[i:i + 4096, None] - ref_lat) ** 2 + ((lon[i:i + 4096, None] - ref_lon) * 0.76) ** 2
        out[i:i + 4096] = d.argmin(axis=1)
    return out


@dataclass(frozen=True)
class PlacePool:
    """Per-ZIP index (`zips`, `zip_borough`, `zip_weight`, `start`, `count`) and per-point columns."""
    zips: np.ndarray          # ZIP codes (str)
    zip_borough: np.ndarray   # nominal borough of each ZIP (str)
    zip_weight: np.ndarray    # population weight
    start: np.ndarray         # first point of each ZIP in the point arrays
    count: np.ndarray         # number of points of each ZIP
    lat: np.ndarray
    lon: np.ndarray
    point_zip: np.ndarray     # index into zips
    borocd: np.ndarray        # BoroCD of the district holding the point, 0 when none
    borough: np.ndarray       # borough of the point, title case
    # preformatted CSV fields (already quoted where needed)
    address: np.ndarray       # Incident Address .. Landmark (9 fields, joined)
    board: np.ndarray         # Community Board
    bbl: np.ndarray
    borough_upper: np.ndarray
    xy: np.ndarray            # X,Y Coordinate (State Plane) (2 fields)
    latlon: np.ndarray        # Latitude,Longitude,Location (3 fields)
    # the same, joined as the export's neighbouring columns print them
    zip_address: np.ndarray   # Incident Zip .. Landmark (10 fields)
    place: np.ndarray         # Community Board,BBL,Borough,X,Y (current layout)
    place_legacy: np.ndarray  # Community Board,Borough,X,Y (legacy layout: no BBL)
    park: np.ndarray          # Park Facility Name,Park Borough


def _sample_in(poly, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = poly.bounds
    xs, ys, have = [], [], 0
    while have < n:
        x = rng.uniform(minx, maxx, 4 * n + 16)
        y = rng.uniform(miny, maxy, 4 * n + 16)
        inside = shapely.contains_xy(poly, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _addresses(rng: np.random.Generator, borough: np.ndarray, city: list[str],
               streets: list[tuple[str, str, str]]) -> tuple[list[str], list[str]]:
    """(the 9 fields Incident Address .. Landmark, BBL) of each point: a house on its street, or
    (8 %) an intersection, which has no house and no lot."""
    n = len(borough)
    kind = rng.random(n)
    house = rng.integers(1, 2500, n)
    queens_a, queens_b = rng.integers(1, 260, n), rng.integers(1, 99, n)
    block, lot = rng.integers(1, 16000, n), rng.integers(1, 200, n)
    address, bbl = [], []
    for i in range(n):
        s, c1, c2 = streets[i]
        boro = borough[i]
        if kind[i] < 0.08:
            fields = ("", "", "", "", s, c1, "INTERSECTION", city[i], "")
            bbl.append("")
        else:
            number = f"{queens_a[i]}-{queens_b[i]:02d}" if boro == "Queens" else str(house[i])
            fields = (f"{number} {s}", s, c1, c2, c1, c2, "BLOCKFACE" if kind[i] < 0.09 else "ADDRESS", city[i], s)
            bbl.append(f"{BORO_CODE[boro]}{block[i]:05d}{lot[i]:04d}")
        address.append(",".join(quote(v) for v in fields))
    return address, bbl


@lru_cache(maxsize=4)
def build_pool(seed: int, points_per_zip: int = 256) -> PlacePool:
    """Draw `points_per_zip` points inside every ZIP polygon (more for populous ZIPs)."""
    rng = np.random.default_rng([seed, 7_311])
    areas = zip_areas()
    weights = np.array([a.population for a in areas])
    sizes = np.clip((points_per_zip * weights / np.median(weights)).astype(int), 16, 4 * points_per_zip)
    lons, lats, pz = [], [], []
    for i, (area, k) in enumerate(zip(areas, sizes, strict=True)):
        x, y = _sample_in(area.polygon, int(k), rng)
        lons.append(x)
        lats.append(y)
        pz.append(np.full(len(x), i))
    lon, lat, point_zip = np.concatenate(lons), np.concatenate(lats), np.concatenate(pz)
    borocd = np.zeros(len(lon), dtype=np.int32)
    for cd, poly in district_polygons():
        hit = (borocd == 0) & shapely.contains_xy(poly, lon, lat)
        borocd[hit] = cd
    zip_borough = np.array([a.borough for a in areas])
    borough = np.where(borocd > 0, np.array([""] + [CODE_BORO.get(c // 100, "") for c in range(1, 600)])[
        np.minimum(borocd, 599)], zip_borough[point_zip])
    x_sp, y_sp = state_plane(lat, lon)
    ref_lat, ref_lon, streets = sample_streets()
    near = _nearest(lat, lon, ref_lat, ref_lon).tolist()
    address, bbl = _addresses(rng, borough.tolist(), [areas[z].city for z in point_zip.tolist()],
                              [streets[i] for i in near])
    board = [f"{cd % 100:02d} {b.upper()}" if cd else f"Unspecified {b.upper()}"
             for cd, b in zip(borocd.tolist(), borough.tolist(), strict=True)]
    latlon = [f'{la!r},{lo!r},"({la!r}, {lo!r})"' for la, lo in zip(lat.tolist(), lon.tolist(), strict=True)]
    xy = [f"{int(round(a))},{int(round(b))}" for a, b in zip(x_sp.tolist(), y_sp.tolist(), strict=True)]
    start = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    zips = np.array([a.code for a in areas], dtype=object)
    address, board, bbl, xy = (np.array(v, dtype=object) for v in (address, board, bbl, xy))
    upper = np.array([b.upper() for b in borough], dtype=object)
    return PlacePool(
        zips=zips, zip_borough=zip_borough, zip_weight=weights, start=start, count=sizes, lat=lat, lon=lon,
        point_zip=point_zip, borocd=borocd, borough=borough, address=address, board=board, bbl=bbl,
        borough_upper=upper, xy=xy, latlon=np.array(latlon, dtype=object),
        zip_address=zips[point_zip] + "," + address, place=board + "," + bbl + "," + upper + "," + xy,
        place_legacy=board + "," + upper + "," + xy, park="Unspecified," + upper)
