"""Hand-built requests and the rollup rows they imply, for read-API and store tests: every answer
of the read API can then be compared with a recount of the requests (imported by unit and
integration tests as tests.support.rollup_fixtures; pytest puts the repository root on sys.path,
pyproject.toml `pythonpath`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.rollups.tables import RESOLUTION_BINS_H, ROLLUPS, bucket_of

TYPES = (("Noise - Residential", "NYPD"), ("HEAT/HOT WATER", "HPD"), ("Street Condition", "DOT"))
AREAS = (("Bronx", "209", "10472"), ("Brooklyn", "301", "11211"), ("Manhattan", "109", "10027"),
         ("Unspecified", "Unspecified", "Unspecified"))
STATUSES = ("Closed", "Closed", "Open", "In Progress")
# three per type; "Loud Music/Party" under two types, as in the city's data; Unspecified = no descriptor
DESCRIPTORS = {"Noise - Residential": ("Loud Music/Party", "Banging/Pounding", "Unspecified"),
               "HEAT/HOT WATER": ("ENTIRE BUILDING", "APARTMENT ONLY", "ENTIRE BUILDING"),
               "Street Condition": ("Pothole", "Loud Music/Party", "Cave-in")}


def make_requests(seed: int = 7, n: int = 3000) -> pd.DataFrame:
    """Requests from 2024-01-20 to 2024-04-10 and around the fall DST change (New York local times)."""
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-01-20")
    minutes = rng.integers(0, 81 * 24 * 60, n)
    created = start + pd.to_timedelta(minutes, unit="min")
    fall = pd.Timestamp("2024-11-03") + pd.to_timedelta(rng.integers(0, 25 * 60, 200), unit="min")
    created = created.append(fall)
    k = len(created)
    t = rng.integers(0, len(TYPES), k)
    a = rng.integers(0, len(AREAS), k)
    frame = pd.DataFrame({
        "created": created,
        "complaint_type": [TYPES[i][0] for i in t], "agency": [TYPES[i][1] for i in t],
        "borough": [AREAS[i][0] for i in a], "community_district": [AREAS[i][1] for i in a],
        "zip": [AREAS[i][2] for i in a],
        "channel": rng.choice(["PHONE", "ONLINE", "MOBILE"], k),
        "status": rng.choice(STATUSES, k),
        "res_h": rng.exponential(40, k),
    })
    frame.loc[frame["status"] != "Closed", "res_h"] = np.nan
    # drawn last, so every column above stays what it was before descriptors were rolled up
    frame["descriptor"] = [DESCRIPTORS[c][i] for c, i in zip(frame["complaint_type"], rng.integers(0, 3, k),
                                                             strict=True)]
    return frame


# A point per community district: hand-made places sit around it, a few H3 cells per district.
DISTRICT_POINTS = {"109": (40.8200, -73.9500), "301": (40.7130, -73.9560), "209": (40.8300, -73.8600),
                   "403": (40.7500, -73.8800), "501": (40.6300, -74.0900), "314": (40.6400, -73.9600)}
STREETS = ("MAIN ST", "BROADWAY", "E 55 ST & LEXINGTON AVE", "5 AVE", "OCEAN PKWY", "GRAND ST", "ELM PL",
           "PARK AVE", "2 AVE")


def with_places(reqs: pd.DataFrame) -> pd.DataFrame:
    """`address` and `cell` (pipeline/rollups/tables.py hotspots) for hand-made requests that lack them: the
    k-th place of a district (k = row index mod 9) is at a fixed point near the district's, so every
    place lies in one cell; districts without a point have neither."""
    import h3

    from pipeline.rollups.tables import HEX_RESOLUTION
    if "address" in reqs and "cell" in reqs:
        return reqs
    k = pd.Series(np.arange(len(reqs)) % len(STREETS), index=reqs.index)
    point = reqs["community_district"].map(DISTRICT_POINTS)
    known = point.notna()
    address = np.where(known, [f"{100 + i} {STREETS[i]}" if "&" not in STREETS[i] else STREETS[i] for i in k],
                       "Unspecified")
    cells = [h3.latlng_to_cell(p[0] + 0.006 * (i % 3), p[1] + 0.008 * (i // 3), HEX_RESOLUTION) if ok else "Unspecified"
             for p, i, ok in zip(point, k, known, strict=True)]
    return reqs.assign(address=address, cell=cells)


def rollup_rows(reqs: pd.DataFrame, table: str, grain: str) -> pd.DataFrame:
    rollup = ROLLUPS[table]
    df = with_places(reqs).copy()
    df["grain"] = grain
    if "descriptor" not in df:  # requests made before descriptors were rolled up carry none
        df["descriptor"] = "Unspecified"
    df["period"] = df["created"].dt.strftime("%Y-%m-%d" if grain == "day" else "%Y-%m")
    df["bucket"] = df["period"].map(lambda p: bucket_of(grain, p))
    df["how"] = df["created"].dt.weekday * 24 + df["created"].dt.hour
    df["res_bin"] = np.searchsorted(RESOLUTION_BINS_H, df["res_h"].fillna(0))
    if "res_bin" in rollup.dims:
        df = df[df["res_h"].notna()]
    # requests without a `due_h` column are all due, never late (due at +inf hours)
    due_h = df["due_h"] if "due_h" in df else pd.Series(np.inf, index=df.index)
    closed, due = df["status"] == "Closed", due_h.notna()
    df["n"] = 1
    df["with_due"] = due.astype(int)
    df["on_time"] = (due & closed & (df["res_h"].fillna(0) <= due_h)).astype(int)
    df["late"] = (due & closed & (df["res_h"].fillna(0) > due_h)).astype(int)
    df["open_past_due"] = (due & ~closed).astype(int)
    return df.groupby(list(rollup.key), as_index=False)[list(rollup.measures)].sum()[list(rollup.columns)]


def load(store, reqs: pd.DataFrame, weeks: bool = True) -> None:
    """Every rollup of `reqs` into the store, as a load writes them (`weeks`: with week rows, and the
    meta that lets reads use them)."""
    from pipeline.rollups import frames
    from pipeline.rollups.backfill import WEEK_ROWS
    from pipeline.rollups.hotspot_rows import heads
    for table, rollup in ROLLUPS.items():
        for grain in (g for g in ("day", "week", "month") if g in rollup.grains and (weeks or g != "week")):
            if grain == "week":
                rows = frames.coarsen(rollup_rows(reqs, table, "day"), rollup, "week")
            else:
                rows = heads(rollup_rows(reqs, rollup.heads_of, grain)) if rollup.heads_of else rollup_rows(reqs, table, grain)
            store.replace_periods(table, grain, sorted(rows["period"].unique()), rows)
    if weeks:
        store.set_meta(WEEK_ROWS, "1")
    store.set_meta("data_version", "1")


def loaded_sqlite(reqs: pd.DataFrame, folder):
    """A fresh SQLite store in `folder` holding the rollups of `reqs` (open: the caller closes it)."""
    from pipeline.stores import open_store

    store = open_store(f"sqlite:///{folder}/rollups.db")
    store.ensure_schema()
    load(store, reqs)
    return store


def sqlite_read_api(reqs: pd.DataFrame, folder):
    """A ReadAPI (no cache) over a fresh SQLite store holding the rollups of `reqs`."""
    from pipeline.read.api import ReadAPI
    return ReadAPI(loaded_sqlite(reqs, folder), cache=False)


def four_years() -> pd.DataFrame:
    """make_requests' winter and November of 2024, and the same shapes one, two and three years earlier:
    three closed years and an open one, for the year rows and running totals."""
    parts = [make_requests(seed=40 + k, n=700).assign(created=lambda d, k=k: d["created"] - pd.DateOffset(years=k))
             for k in range(4)]
    return pd.concat(parts, ignore_index=True)


def recount(reqs: pd.DataFrame, by, start=None, end=None, **eq) -> dict:
    """Requests per `by` value created from `start` to `end` (New York days) with the columns in `eq`."""
    day = reqs["created"].dt.date
    m = pd.Series(True, index=reqs.index)
    if start:
        m &= day >= start
    if end:
        m &= day <= end
    for c, v in eq.items():
        m &= reqs[c] == v
    return reqs[m].groupby(by).size().to_dict()
