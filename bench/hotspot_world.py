"""Synthetic finest hotspot rows (`hotspots`: month, type, district, H3 cell, place) for bench/read.py.

Why a module of its own: the hotspot read (pipeline/read/hotspots.py) ranks places and cells, so its
cost depends on how requests spread over places, which the per-area World of bench/read.py does not
model. This one does, at city scale, without the batch job:

- a fixed universe of ~1.2 M places (addresses "123 MAIN ST" and intersections "BROADWAY & W 42 ST",
  the two streets sorted as pipeline/ingest/places.py writes them), each with a fixed community
  district (the World's), its borough, and a real H3 cell (HEX_RESOLUTION) in NYC's bounding box;
  the ~1,900 cells are the box's cells inside rough borough rectangles, each owned by its nearest
  district of that borough;
- a place's popularity is Zipf-like over a fixed rank (the same places stay busy month after
  month, with a log-normal monthly wobble), tuned so a month of ~266,000 requests gives ~0.87
  finest rows per request (most places get one request, the top ones several hundred);
- a place asks ~60 % of its requests under its own main type (drawn from the World's type mix),
  the rest from the global mix; on top, a heating type is concentrated in winter at a fixed set of
  buildings (its share of the month's requests follows HEAT_SHARE);
- ~2 % of requests have no coordinates (cell Unspecified), ~3 % no address (address Unspecified).

Everything is drawn from (seed, month), so a month is the same whatever order months are made in.
"""
from __future__ import annotations

import calendar
from functools import cached_property

import h3
import numpy as np
import pandas as pd

from pipeline.rollups.hotspot_rows import FINEST
from pipeline.rollups.tables import HEX_RESOLUTION, ROLLUPS, bucket_of
from pipeline.schema import UNSPECIFIED

PER_DAY = 8200              # bench/read.py's default requests per day
N_ADDRESSES = 1_150_000
N_INTERSECTIONS = 50_000
# popularity over places: Zipf over a fixed rank, plus a busier head (HEAD_SHARE of the requests on the
# top HEAD_PLACES ranks): at 266 k requests, ~0.87 rows per request, ~85 % of the places asked about
# once, ~300 places with dozens and the top ones several hundred
PLACE_ZIPF = 0.5
HEAD_SHARE, HEAD_PLACES, HEAD_ZIPF = 0.06, 1000, 0.5
MONTHLY_WOBBLE = 0.4        # sigma of a place's log-normal month-to-month factor
MAIN_TYPE_SHARE = 0.6
NO_COORDS = 0.02
NO_ADDRESS = 0.03
HEAT_TYPE = 1               # index into World.types of the winter heating type
HEAT_BUILDINGS = 60_000
HEAT_ZIPF = 0.5
HEAT_SHARE = (0.13, 0.11, 0.08, 0.04, 0.015, 0.005, 0.005, 0.005, 0.01, 0.03, 0.07, 0.11)  # Jan..Dec
NYC_BOX = (40.50, 40.91, -74.25, -73.70)   # lat min, lat max, lon min, lon max
# rough rectangles of the boroughs (lat min, lat max, lon min, lon max): where places are
BOROUGH_BOXES = {"Manhattan": (40.70, 40.88, -74.02, -73.91), "Bronx": (40.79, 40.91, -73.93, -73.76),
                 "Brooklyn": (40.57, 40.74, -74.04, -73.86), "Queens": (40.54, 40.80, -73.96, -73.70),
                 "Staten Island": (40.50, 40.65, -74.25, -74.05)}
_NAMES = ("MAIN", "PARK", "OAK", "MAPLE", "CEDAR", "ELM", "WASHINGTON", "LINCOLN", "JEFFERSON", "MADISON",
          "FRANKLIN", "CLINTON", "FULTON", "ATLANTIC", "OCEAN", "BEDFORD", "NOSTRAND", "FLATBUSH", "KINGS",
          "QUEENS", "JAMAICA", "NORTHERN", "ASTORIA", "VERNON", "GRAND", "BROAD", "CANAL", "HUDSON", "LENOX",
          "AMSTERDAM", "COLUMBUS", "LEXINGTON", "ST NICHOLAS", "CONVENT", "JEROME", "GRAND CONCOURSE",
          "TREMONT", "FORDHAM", "WEBSTER", "BAILEY", "RICHMOND", "VICTORY", "HYLAN", "FOREST", "BAY",
          "SURF", "NEPTUNE", "MERMAID", "UNION", "DEKALB", "MYRTLE", "GATES", "HALSEY", "MARCY", "TOMPKINS",
          "THROOP", "LEWIS", "STUYVESANT", "RALPH", "HOWARD", "ROCKAWAY", "LINDEN", "PITKIN", "SUTTER",
          "LIBERTY", "HILLSIDE", "UNION TPKE", "METROPOLITAN", "WOODHAVEN", "CROSS BAY", "BEACH", "DITMARS",
          "STEINWAY", "BROADWAY", "CENTRAL", "RIVERSIDE", "WEST END", "EAST END", "YORK", "PLEASANT",
          "PROSPECT", "EASTERN", "OCEAN", "CORTELYOU", "CHURCH", "AVENUE", "COURT", "SMITH", "HOYT", "BOND",
          "NEVINS", "HENRY", "HICKS", "CLARK", "PIERREPONT", "MONTAGUE", "JORALEMON", "SCHERMERHORN")
_SUFFIXES = ("ST", "AVE", "PL", "RD", "BLVD", "PKWY", "CT", "LN", "TER", "DR")


def _zipf(n: int, s: float) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** s
    return p / p.sum()


def _streets() -> np.ndarray:
    """~3,000 distinct street names, numbered and named, as the normalised addresses spell them."""
    names = [f"{d} {k} ST" for d in ("W", "E") for k in range(1, 231)]
    names += [f"{k} {s}" for k in range(1, 260) for s in ("ST", "AVE", "RD", "DR")]
    names += [f"BEACH {k} ST" for k in range(1, 150)]
    names += [f"{a} {s}" for a in dict.fromkeys(_NAMES) for s in _SUFFIXES]
    names += ["BROADWAY", "BOWERY", "GRAND CONCOURSE", "THE PROMENADE"]
    return np.array(sorted(set(names)), dtype=object)


class HotspotWorld:
    """The places of the synthetic city and how a month's requests fall on them."""

    def __init__(self, world, seed: int = 311, per_day: int = PER_DAY):
        self.world = world
        self.seed = seed
        self.per_day = per_day
        self.types = np.array(world.types, dtype=object)
        self.type_p = np.asarray(world.type_p, dtype=float)
        self.cds = np.array(world.cds, dtype=object)
        self.cd_borough = np.array(world.cd_borough, dtype=object)
        self.cd_p = np.asarray(world.cd_p, dtype=float)

    # -- the fixed universe ------------------------------------------------------------------------
    @cached_property
    def geography(self) -> tuple[np.ndarray, np.ndarray]:
        """(cells, owner): the H3 cells places are in, and the district (index into World.cds) owning
        each. The cells are those of NYC's box whose centre is in a borough rectangle, each owned by
        the nearest district centre of that borough (centres uniform in their borough's rectangle);
        a district owns at least the cell nearest its centre."""
        rng = np.random.default_rng([self.seed, 1])
        lat0, lat1, lon0, lon1 = NYC_BOX
        box = h3.LatLngPoly([(lat0, lon0), (lat0, lon1), (lat1, lon1), (lat1, lon0)])
        ids = np.array(sorted(h3.polygon_to_cells(box, HEX_RESOLUTION)), dtype=object)
        lat, lon = np.array([h3.cell_to_latlng(c) for c in ids]).T[:, :, None]  # cells x 1
        cd_box = np.array([BOROUGH_BOXES[b] for b in self.cd_borough]).T  # 4 x districts
        cd_lat, cd_lon = rng.uniform(cd_box[0], cd_box[1]), rng.uniform(cd_box[2], cd_box[3])
        dist = (lat - cd_lat) ** 2 + ((lon - cd_lon) * 0.76) ** 2  # cells x districts (0.76 = cos 40.7)
        inside = (lat >= cd_box[0]) & (lat <= cd_box[1]) & (lon >= cd_box[2]) & (lon <= cd_box[3])
        near = np.where(inside, dist, np.inf)
        owner, kept = near.argmin(axis=1), np.isfinite(near.min(axis=1))
        centre_cell = dist.argmin(axis=0)
        owner[centre_cell], kept[centre_cell] = np.arange(len(self.cds)), True
        return ids[kept], owner[kept]

    @cached_property
    def streets(self) -> np.ndarray:
        return _streets()

    def addresses(self, place: np.ndarray) -> np.ndarray:
        """The normalised address of each place index ("123 MAIN ST", "BROADWAY & W 42 ST")."""
        places = self.places
        house, street = places["house"].to_numpy()[place], places["street"].to_numpy()[place]
        street2 = places["street2"].to_numpy()[place]
        corner = house < 0
        out = np.empty(len(place), dtype=object)
        out[~corner] = pd.Series(house[~corner]).astype(str).to_numpy(dtype=object) + " " + self.streets[street[~corner]]
        out[corner] = self.streets[street[corner]] + " & " + self.streets[street2[corner]]
        return out

    @property
    def cells(self) -> np.ndarray:
        return self.geography[0]

    @property
    def cell_cd(self) -> np.ndarray:
        return self.geography[1]

    @cached_property
    def places(self) -> pd.DataFrame:
        """house number (-1 for an intersection), street (and street2 of an intersection) as indices
        into `streets`, cd (index into World.cds), cell (index into `cells`), main type, and `weight`
        (Zipf over a fixed random rank); heat buildings are the rows with heat_weight > 0. The
        address strings are spelled only for the places a month asks about (`addresses`): 1.2 M
        strings would cost a second."""
        rng = np.random.default_rng([self.seed, 2])
        streets = self.streets
        # addresses: street by street (how many on each: multinomial), house numbers distinct along it
        on_street = rng.multinomial(N_ADDRESSES, np.full(len(streets), 1 / len(streets)))
        street = np.repeat(np.arange(len(streets)), on_street)
        house = np.arange(N_ADDRESSES) - np.repeat(np.cumsum(on_street) - on_street, on_street)  # 0, 1, ...
        step, start = rng.integers(1, 6, len(streets)), rng.integers(1, 60, len(streets))
        house = start[street] + house * step[street]
        # intersections: two different streets, sorted (house -1)
        a = rng.integers(0, len(streets), N_INTERSECTIONS * 2)
        b = rng.integers(0, len(streets), N_INTERSECTIONS * 2)
        pair = np.unique((np.minimum(a, b) * len(streets) + np.maximum(a, b))[a != b])
        pairs = np.stack(np.divmod(pair[rng.permutation(len(pair))[:N_INTERSECTIONS]], len(streets)), axis=1)
        house = np.concatenate([house, np.full(len(pairs), -1)])
        street2 = np.concatenate([np.full(N_ADDRESSES, -1), pairs[:, 1]])
        street = np.concatenate([street, pairs[:, 0]])
        n = len(house)
        # a district by the World's district mix, then one of the district's cells
        cd = rng.choice(len(self.cds), n, p=self.cd_p)
        by_cd = np.argsort(self.cell_cd, kind="stable")
        starts = np.searchsorted(self.cell_cd[by_cd], np.arange(len(self.cds)))
        sizes = np.bincount(self.cell_cd, minlength=len(self.cds))
        cell = by_cd[starts[cd] + (rng.random(n) * sizes[cd]).astype(np.int64)]
        by_rank = (1 - HEAD_SHARE) * _zipf(n, PLACE_ZIPF)
        by_rank[:HEAD_PLACES] += HEAD_SHARE * _zipf(HEAD_PLACES, HEAD_ZIPF)
        weight = np.empty(n)
        weight[rng.permutation(n)] = by_rank
        heat = np.zeros(n)
        heat[rng.choice(N_ADDRESSES, HEAT_BUILDINGS, replace=False)] = _zipf(HEAT_BUILDINGS, HEAT_ZIPF)
        return pd.DataFrame({"house": house, "street": street, "street2": street2, "cd": cd, "cell": cell,
                             "main_type": rng.choice(len(self.types), n, p=self.type_p),
                             "weight": weight, "heat_weight": heat})

    # -- a month ----------------------------------------------------------------------------------
    def requests(self, month: str) -> int:
        year, mon = map(int, month.split("-"))
        return self.per_day * calendar.monthrange(year, mon)[1]

    def month(self, month: str, n: int | None = None) -> pd.DataFrame:
        """The finest `hotspots` rows of one month ('YYYY-MM') holding n requests (default: the
        World's requests per day x the month's days)."""
        n = self.requests(month) if n is None else n
        year, mon = map(int, month.split("-"))
        places = self.places
        rng = np.random.default_rng([self.seed, 3, year, mon])
        n_heat = int(round(n * HEAT_SHARE[mon - 1]))
        p = places["weight"].to_numpy() * rng.lognormal(0.0, MONTHLY_WOBBLE, len(places))
        place = rng.choice(len(places), n - n_heat, p=p / p.sum())
        kind = np.where(rng.random(n - n_heat) < MAIN_TYPE_SHARE, places["main_type"].to_numpy()[place],
                        rng.choice(len(self.types), n - n_heat, p=self.type_p))
        heat_w = places["heat_weight"].to_numpy()
        heated = np.flatnonzero(heat_w)
        place = np.concatenate([place, heated[rng.choice(len(heated), n_heat, p=heat_w[heated] / heat_w[heated].sum())]])
        kind = np.concatenate([kind, np.full(n_heat, HEAT_TYPE)])
        cd = places["cd"].to_numpy()[place]
        n_cells, n_places = len(self.cells), len(places)
        cell = np.where(rng.random(n) < NO_COORDS, n_cells, places["cell"].to_numpy()[place])
        addr = np.where(rng.random(n) < NO_ADDRESS, n_places, place)
        key = ((kind.astype(np.int64) * len(self.cds) + cd) * (n_cells + 1) + cell) * (n_places + 1) + addr
        key, count = np.unique(key, return_counts=True)
        rest, addr = np.divmod(key, n_places + 1)
        rest, cell = np.divmod(rest, n_cells + 1)
        kind, cd = np.divmod(rest, len(self.cds))
        address = np.full(len(addr), UNSPECIFIED, dtype=object)
        known = addr < n_places
        address[known] = self.addresses(addr[known])
        frame = pd.DataFrame({"grain": "month", "bucket": bucket_of("month", month), "period": month,
                              "complaint_type": self.types[kind], "borough": self.cd_borough[cd],
                              "community_district": self.cds[cd],
                              "cell": np.append(self.cells, UNSPECIFIED)[cell], "address": address,
                              "n": count.astype(np.int64)})
        return frame[list(ROLLUPS[FINEST].columns)]
