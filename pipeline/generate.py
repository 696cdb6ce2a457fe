"""`python -m pipeline generate`: N years of realistic synthetic 311 history, written in the NYC Open
Data export format (current 41-column layout or the older 53-column one), so that the batch loader
reads it exactly as it reads a real export.

Why synthetic: the real history is tens of millions of rows that cannot be fetched here; the batch
benchmark and the dashboards still need years of data with the real data's shape and warts. The
mix is calibrated in pipeline/synthetic_mix.py, the places in pipeline/synthetic_places.py.

How it stays fast (5 million rows is ~2 GB): rows are drawn in day-ordered chunks with numpy, every
text a row prints is a lookup into a small table of preformatted, already-quoted CSV fields (dates:
one string per day plus one per second of the day), and a line is one `",".join` of those pieces.
Same arguments and seed give a byte-identical file.
"""
from __future__ import annotations

import argparse
import gzip
import io
import os
import sys
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from pipeline import provenance
from pipeline import synthetic_mix as mix
from pipeline.schema import NY_TZ, UNSPECIFIED
from pipeline.synthetic_places import PlacePool, build_pool, quote

CURRENT_COLUMNS: tuple[str, ...] = (
    "Unique Key", "Created Date", "Closed Date", "Agency", "Agency Name", "Complaint Type", "Descriptor",
    "Location Type", "Incident Zip", "Incident Address", "Street Name", "Cross Street 1", "Cross Street 2",
    "Intersection Street 1", "Intersection Street 2", "Address Type", "City", "Landmark", "Facility Type",
    "Status", "Due Date", "Resolution Description", "Resolution Action Updated Date", "Community Board", "BBL",
    "Borough", "X Coordinate (State Plane)", "Y Coordinate (State Plane)", "Open Data Channel Type",
    "Park Facility Name", "Park Borough", "Vehicle Type", "Taxi Company Borough", "Taxi Pick Up Location",
    "Bridge Highway Name", "Bridge Highway Direction", "Road Ramp", "Bridge Highway Segment", "Latitude",
    "Longitude", "Location",
)
SCHOOL_COLUMNS = (
    "School Name", "School Number", "School Region", "School Code", "School Phone Number", "School Address",
    "School City", "School State", "School Zip", "School Not Found", "School or Citywide Complaint",
)
# The pre-2018 export layout (53 columns), reconstructed from the current one: no BBL after Community
# Board, no Open Data Channel Type after the state-plane coordinates, the eleven School columns after
# Park Borough, and Garage Lot Name, Ferry Direction, Ferry Terminal Name after Bridge Highway Segment.
LEGACY_COLUMNS: tuple[str, ...] = (
    *CURRENT_COLUMNS[:24],                      # Unique Key .. Community Board
    "Borough", "X Coordinate (State Plane)", "Y Coordinate (State Plane)", "Park Facility Name", "Park Borough",
    *SCHOOL_COLUMNS,
    *CURRENT_COLUMNS[31:38],                    # Vehicle Type .. Bridge Highway Segment
    "Garage Lot Name", "Ferry Direction", "Ferry Terminal Name", "Latitude", "Longitude", "Location",
)
ERAS = {"current": CURRENT_COLUMNS, "legacy": LEGACY_COLUMNS}
# What old exports print in the School columns of a request that is not about a school.
LEGACY_SCHOOL_FIELDS = ",".join(["Unspecified"] * 9 + ["N", ""])
STATUSES = ("Closed", "Open", "In Progress", "Assigned", "Pending", "Started")
HOUR_NS = 3_600 * 10**9
DAY_NS = 24 * HOUR_NS
YEAR_DAYS = 365.2425
CHUNK_ROWS = 200_000
NAT = np.iinfo(np.int64).min
PLACE_DIRT = ("unspecified_values", "unspecified_borough", "no_location", "bad_zip")


# ---------------------------------------------------------------- the calibrated tables, as arrays

@dataclass(frozen=True)
class MixTables:
    types: tuple[mix.ComplaintType, ...]
    weight: np.ndarray          # (T,)
    profile: np.ndarray         # (T,) index into profile arrays
    hour_cdf: np.ndarray        # (P, 2 weekend, 24)
    dow: np.ndarray             # (P, 7)
    month: np.ndarray           # (P, 12)
    agency: np.ndarray          # (T,) index into agencies
    agencies: tuple[str, ...]
    median_h: np.ndarray
    sigma: np.ndarray
    blocks: tuple[np.ndarray, ...]     # per type: (descriptors, locations) preformatted 5-field block
    desc_cdf: tuple[np.ndarray, ...]
    loc_cdf: tuple[np.ndarray, ...]
    extras: tuple[np.ndarray, ...]     # per type: preformatted 7-field Vehicle..Bridge block options
    extras_cdf: tuple[np.ndarray, ...]
    channel_cdf: np.ndarray            # (A, 5)
    open_cdf: np.ndarray               # (A, len(STATUSES)) over STATUSES (Closed has weight 0)
    never_closed: np.ndarray           # (A,)
    due_days: np.ndarray               # (A,) nan when the agency sets no due date
    status_piece: np.ndarray           # (A, len(STATUSES)) "Facility Type,Status"
    texts: np.ndarray                  # resolution texts; [0] is ""
    closed_text_idx: tuple[np.ndarray, ...]   # per agency: indices into texts
    closed_text_cdf: tuple[np.ndarray, ...]
    open_text_idx: np.ndarray          # (A,)


def _cdf(weights) -> np.ndarray:
    w = np.asarray(list(weights), dtype=float)
    c = np.cumsum(w / w.sum())
    c[-1] = 1.0
    return c


@lru_cache(maxsize=1)
def mix_tables() -> MixTables:
    types = mix.TYPES
    agencies = tuple(dict.fromkeys(t.agency for t in types))
    profiles = tuple(mix.PROFILES)
    hour_cdf = np.array([[_cdf(h), _cdf(w if w is not None else h)] for h, w, _, _ in mix.PROFILES.values()])
    dow = np.array([d for _, _, d, _ in mix.PROFILES.values()], dtype=float)
    month = np.array([m for _, _, _, m in mix.PROFILES.values()], dtype=float)
    blocks, desc_cdf, loc_cdf, extras, extras_cdf = [], [], [], [], []
    for t in types:
        head = ",".join(quote(v) for v in (t.agency, mix.AGENCY_NAMES[t.agency], t.name))
        blocks.append(np.array([[f"{head},{quote(d)},{quote(loc)}" for loc in t.locations] for d in t.descriptors],
                               dtype=object))
        desc_cdf.append(_cdf(t.descriptors.values()))
        loc_cdf.append(_cdf(t.locations.values()))
        opts = t.extras or {mix.NO_EXTRAS: 1.0}
        extras.append(np.array([",".join(quote(v) for v in e) for e in opts], dtype=object))
        extras_cdf.append(_cdf(opts.values()))
    texts = [""]
    closed_idx, closed_cdf, open_idx = [], [], []
    for a in agencies:
        chosen = mix.CLOSED_TEXTS.get(a, {"": 1.0})
        closed_idx.append(np.arange(len(texts), len(texts) + len(chosen)))
        texts.extend(quote(x) for x in chosen)
        closed_cdf.append(_cdf(chosen.values()))
        if a in mix.OPEN_TEXTS:
            open_idx.append(len(texts))
            texts.append(quote(mix.OPEN_TEXTS[a]))
        else:
            open_idx.append(0)
    return MixTables(
        types=types, weight=np.array([t.weight for t in types]),
        profile=np.array([profiles.index(t.profile) for t in types]),
        hour_cdf=hour_cdf, dow=dow, month=month,
        agency=np.array([agencies.index(t.agency) for t in types]), agencies=agencies,
        median_h=np.array([t.median_h for t in types]), sigma=np.array([t.sigma for t in types]),
        blocks=tuple(blocks), desc_cdf=tuple(desc_cdf), loc_cdf=tuple(loc_cdf),
        extras=tuple(extras), extras_cdf=tuple(extras_cdf),
        channel_cdf=np.array([_cdf(mix.channel_mix(a)) for a in agencies]),
        open_cdf=np.array([_cdf(mix.open_status(a).get(s, 0.0) for s in STATUSES) for a in agencies]),
        never_closed=np.array([mix.NEVER_CLOSED.get(a, mix.NEVER_CLOSED_DEFAULT) for a in agencies]),
        due_days=np.array([mix.DUE_DAYS.get(a, np.nan) for a in agencies]),
        status_piece=np.array([[f"{quote(mix.FACILITY_TYPE.get(a, ''))},{s}" for s in STATUSES] for a in agencies],
                              dtype=object),
        texts=np.array(texts, dtype=object), closed_text_idx=tuple(closed_idx),
        closed_text_cdf=tuple(closed_cdf), open_text_idx=np.array(open_idx),
    )


def zip_cdfs(pool: PlacePool, tables: MixTables) -> np.ndarray:
    """(T, Z) cumulative ZIP choice per complaint type: population times the type's borough leaning."""
    out = np.empty((len(tables.types), len(pool.zips)))
    for i, t in enumerate(tables.types):
        lean = np.array([t.boroughs.get(b, 1.0) for b in pool.zip_borough])
        out[i] = _cdf(pool.zip_weight * lean)
    return out


# ---------------------------------------------------------------- the calendar

@dataclass(frozen=True)
class Plan:
    days: np.ndarray        # datetime64[D], first..last day
    counts: np.ndarray      # rows created on each day
    type_day: np.ndarray    # (T, D) relative intensity of each type on each day
    now_ns: int             # export instant (UTC ns): the end of the last day, New York time


def plan(rows: int, end: date, days: int, seed: int, tables: MixTables | None = None) -> Plan:
    """Spread `rows` over the `days` ending at `end` (inclusive) by yearly growth and each type's
    weekday and month profile."""
    tables = tables or mix_tables()
    d = np.arange(np.datetime64(end - timedelta(days=days - 1)), np.datetime64(end + timedelta(days=1)),
                  dtype="datetime64[D]")
    di = d.astype(np.int64)
    dow = (di + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    month = d.astype("datetime64[M]").astype(np.int64) % 12
    growth = mix.YEARLY_GROWTH ** ((di - di[0]) / YEAR_DAYS)
    type_day = (tables.weight[:, None] * tables.dow[tables.profile][:, dow]
                * tables.month[tables.profile][:, month] * growth[None, :])
    per_day = type_day.sum(axis=0)
    counts = np.random.default_rng([seed, 1]).multinomial(rows, per_day / per_day.sum())
    end_local = datetime.combine(end + timedelta(days=1), datetime.min.time(), ZoneInfo(NY_TZ))
    return Plan(d, counts, type_day, int(end_local.timestamp()) * 10**9)


def first_key(created_ns: int) -> int:
    """A unique key near the real dataset's for that time (keys grow ~3.2 M a year)."""
    anchor_key, anchor_day = mix.KEY_ANCHOR
    anchor_ns = int(pd.Timestamp(anchor_day, tz=NY_TZ).value)
    years = (created_ns - anchor_ns) / (YEAR_DAYS * DAY_NS)
    return max(1_000_000, int(anchor_key + years * mix.REAL_REQUESTS_PER_YEAR))


# ---------------------------------------------------------------- time formatting

@lru_cache(maxsize=1)
def _clock() -> np.ndarray:
    """`hh:mm:ss AM` for every second of a day."""
    out = []
    for s in range(86_400):
        h, m, sec = s // 3600, s // 60 % 60, s % 60
        out.append(f" {(h % 12) or 12:02d}:{m:02d}:{sec:02d} {'AM' if h < 12 else 'PM'}")
    return np.array(out, dtype=object)


def to_local(utc_ns: np.ndarray) -> np.ndarray:
    """UTC instants (int64 ns, NAT for none) -> New York wall-clock ns (NAT kept)."""
    ok = utc_ns != NAT
    out = np.full(len(utc_ns), NAT, dtype=np.int64)
    if ok.any():
        idx = pd.DatetimeIndex(utc_ns[ok], tz="UTC").tz_convert(NY_TZ).tz_localize(None)
        out[ok] = idx.asi8
    return out


def from_local(local_ns: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """New York wall-clock ns -> UTC ns. A time in the spring-forward gap does not exist and moves
    forward (as a clock would show it); one in the repeated fall-back hour is either instant."""
    ambiguous = rng.random(len(local_ns)) < 0.5
    idx = pd.DatetimeIndex(local_ns).tz_localize(NY_TZ, ambiguous=ambiguous, nonexistent="shift_forward")
    return idx.asi8.copy()


def format_local(local_ns: np.ndarray) -> np.ndarray:
    """Wall-clock ns -> `MM/DD/YYYY hh:mm:ss AM` strings ("" for NAT)."""
    out = np.full(len(local_ns), "", dtype=object)
    ok = local_ns != NAT
    if not ok.any():
        return out
    v = local_ns[ok]
    day = v // DAY_NS
    sec = (v - day * DAY_NS) // 10**9
    d0, d1 = int(day.min()), int(day.max())
    dates = pd.to_datetime(np.arange(d0, d1 + 1), unit="D").strftime("%m/%d/%Y").to_numpy(dtype=object)
    out[ok] = dates[day - d0] + _clock()[sec]
    return out


# ---------------------------------------------------------------- one chunk of rows

@dataclass
class Chunk:
    """Rows of a few consecutive days: `pieces` are the CSV line's preformatted parts, in era order."""
    pieces: list
    keys: np.ndarray          # unique key per row (int; the printed key may be blank on unusable rows)
    type_idx: np.ndarray
    point: np.ndarray         # index into the place pool
    created_utc: np.ndarray
    dirty: np.ndarray         # dirty kind per row, "" for a clean row
    next_key: int

    def render(self) -> str:
        return "\n".join(map(",".join, zip(*self.pieces, strict=False))) + "\n"

    def __len__(self) -> int:
        return len(self.keys)


def _choose(cdf: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, u, side="right"), len(cdf) - 1)


def generate_chunk(p: Plan, day_lo: int, day_hi: int, *, pool: PlacePool, zcdf: np.ndarray, seed: int,
                   key_start: int | None, era: str = "current", dirty_fraction: float = 0.02,
                   tables: MixTables | None = None) -> Chunk:
    """The rows created on plan days [day_lo, day_hi), sorted by creation, keys from `key_start`."""
    tb = tables or mix_tables()
    rng = np.random.default_rng([seed, 2, day_lo])
    counts = p.counts[day_lo:day_hi]
    n_total = int(counts.sum())
    n_dirty = int(rng.binomial(n_total, dirty_fraction)) if dirty_fraction > 0 else 0
    kinds = tuple(mix.DIRTY_KINDS)
    kind_w = np.array(list(mix.DIRTY_KINDS.values()))
    kind_n = rng.multinomial(n_dirty, kind_w / kind_w.sum())
    n_dup = int(kind_n[kinds.index("duplicate_update")])
    # the updated copies of duplicated keys are extra lines; take them out of the day counts
    row_day = np.repeat(np.arange(day_lo, day_hi), counts)
    if n_dup:
        row_day = row_day[np.sort(rng.choice(n_total, n_total - n_dup, replace=False))]
        counts = np.bincount(row_day - day_lo, minlength=day_hi - day_lo)
    n = len(row_day)

    # complaint type given the day, then creation time of day given the type's profile
    type_idx = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    pos = 0
    for k, c in enumerate(counts):
        if c:
            w = p.type_day[:, day_lo + k]
            type_idx[pos:pos + c] = _choose(_cdf(w), u[pos:pos + c])
            pos += c
    day_int = p.days[row_day].astype(np.int64)
    weekend = ((day_int + 3) % 7 >= 5).astype(np.int64)
    prof = tb.profile[type_idx]
    hour = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    for pi in range(tb.hour_cdf.shape[0]):
        for we in (0, 1):
            m = (prof == pi) & (weekend == we)
            if m.any():
                hour[m] = _choose(tb.hour_cdf[pi, we], u[m])
    local = day_int * DAY_NS + (hour * 3600 + rng.integers(0, 3600, n)) * 10**9
    created = from_local(local, rng)
    order = np.argsort(created, kind="stable")
    type_idx, created = type_idx[order], created[order]

    if key_start is None:
        key_start = first_key(int(created[0])) if n else first_key(p.now_ns)
    keys = key_start + np.cumsum(1 + (rng.random(n) < 0.2) * rng.integers(1, 4, n))
    agency = tb.agency[type_idx]

    # what and where; old exports print the School columns before and three more after these
    extra_tabs = tb.extras if era == "current" else [
        np.array([f"{LEGACY_SCHOOL_FIELDS},{e},,," for e in tab], dtype=object) for tab in tb.extras]
    block = np.empty(n, dtype=object)
    extras = np.empty(n, dtype=object)
    zip_i = np.empty(n, dtype=np.int64)
    u1, u2, u3, u4 = rng.random((4, n))
    for t in range(len(tb.types)):
        m = np.flatnonzero(type_idx == t)
        if not len(m):
            continue
        block[m] = tb.blocks[t][_choose(tb.desc_cdf[t], u1[m]), _choose(tb.loc_cdf[t], u2[m])]
        extras[m] = extra_tabs[t][_choose(tb.extras_cdf[t], u3[m])]
        zip_i[m] = _choose(zcdf[t], u4[m])
    point = pool.start[zip_i] + (rng.random(n) * pool.count[zip_i]).astype(np.int64)

    # life cycle: resolution time, status at export time, update time, due date
    hours = tb.median_h[type_idx] * np.exp(tb.sigma[type_idx] * rng.standard_normal(n))
    closed = created + (hours * HOUR_NS).astype(np.int64)
    is_closed = (closed <= p.now_ns) & (rng.random(n) >= tb.never_closed[agency])
    status = np.zeros(n, dtype=np.int64)
    u = rng.random(n)
    for a in range(len(tb.agencies)):
        m = (agency == a) & ~is_closed
        status[m] = _choose(tb.open_cdf[a], u[m])
    nypd = np.array([tb.agencies[a] == "NYPD" for a in range(len(tb.agencies))])[agency]
    updated = np.where(is_closed, closed + nypd * rng.integers(1, 20, n) * 10**9, NAT)
    touched = ~is_closed & ~nypd & (rng.random(n) < 0.5)
    updated[touched] = created[touched] + ((p.now_ns - created[touched]) * rng.random(int(touched.sum())) * 0.5
                                           ).astype(np.int64)
    closed = np.where(is_closed, closed, NAT)
    due_days = tb.due_days[agency]
    due = np.where(np.isnan(due_days), NAT, created + (np.nan_to_num(due_days) * DAY_NS).astype(np.int64))
    text = np.where(is_closed, 0, tb.open_text_idx[agency])
    u = rng.random(n)
    for a in range(len(tb.agencies)):
        m = (agency == a) & is_closed
        text[m] = tb.closed_text_idx[a][_choose(tb.closed_text_cdf[a], u[m])]
    channel = np.empty(n, dtype=np.int64)
    u = rng.random(n)
    for a in range(len(tb.agencies)):
        m = agency == a
        channel[m] = _choose(tb.channel_cdf[a], u[m])

    # dirty rows: pick them now, spoil the numbers before formatting and the texts after
    dirty = np.full(n, "", dtype=object)
    # re-sent keys: preferably closed requests (sent open, re-sent closed), else open ones (sent Open
    # before any update, re-sent with their later status and update time)
    closed_rows, open_rows = np.flatnonzero(is_closed), np.flatnonzero(~is_closed)
    k = min(n_dup, len(closed_rows))
    dup = np.concatenate([rng.choice(closed_rows, k, replace=False),
                          rng.choice(open_rows, n_dup - k, replace=False)]).astype(np.int64)
    dup_open = dup[k:]
    status[dup_open] = np.where(status[dup_open] == STATUSES.index("Open"), STATUSES.index("In Progress"),
                                status[dup_open])
    no_update = dup_open[updated[dup_open] == NAT]
    updated[no_update] = created[no_update] + ((p.now_ns - created[no_update])
                                               * rng.uniform(0.1, 1.0, len(no_update))).astype(np.int64)
    dirty[dup] = "duplicate_update"
    others = np.flatnonzero(dirty == "")
    spoil_n = min(n_dirty - n_dup, len(others))
    spoil = rng.choice(others, spoil_n, replace=False)
    spoil_kinds = np.repeat([k for k in kinds if k != "duplicate_update"],
                            [c for k, c in zip(kinds, kind_n, strict=True) if k != "duplicate_update"])[:spoil_n]
    dirty[spoil] = spoil_kinds
    m = dirty == "closed_before_created"
    closed[m] = created[m] - (rng.uniform(0.05, 240, int(m.sum())) * HOUR_NS).astype(np.int64)
    updated[m] = closed[m]
    status[m] = 0
    text[m] = 0

    created_l, closed_l, updated_l, due_l = (to_local(x) for x in (created, closed, updated, due))
    m = dirty == "midnight_placeholder"
    created_l[m] = created_l[m] // DAY_NS * DAY_NS
    has = m & (closed_l != NAT)
    closed_l[has] = closed_l[has] // DAY_NS * DAY_NS
    updated_l[has] = closed_l[has]

    key_s = keys.astype(str).astype(object)
    created_s, closed_s, updated_s, due_s = (format_local(x) for x in (created_l, closed_l, updated_l, due_l))
    status_s = tb.status_piece[agency, status]
    text_s = tb.texts[text]
    channel_s = np.array(mix.CHANNELS, dtype=object)[channel]

    # the final version of a duplicated key goes out as an extra line; the row in place becomes the
    # earlier version: still open, updated before the final version was
    final = {
        "key": key_s[dup], "created": created_s[dup], "closed": closed_s[dup], "status": status_s[dup],
        "text": text_s[dup], "updated": updated_s[dup],
    }
    if len(dup):
        dup_closed = dup[:k]
        early = created[dup_closed] + ((closed[dup_closed] - created[dup_closed])
                                       * rng.uniform(0.1, 0.9, k)).astype(np.int64)
        updated_s[dup_closed] = format_local(to_local(early))
        closed_s[dup] = ""
        status_s[dup_closed] = tb.status_piece[agency[dup_closed], _open_status(tb, agency[dup_closed], rng)]
        status_s[dup_open] = tb.status_piece[agency[dup_open], STATUSES.index("Open")]
        updated_s[dup_open] = ""
        text_s[dup] = tb.texts[tb.open_text_idx[agency[dup]]]

    zip_address, park, latlon = pool.zip_address[point], pool.park[point], pool.latlon[point]
    place = (pool.place_legacy if era == "legacy" else pool.place)[point]
    _spoil_places(np.flatnonzero(np.isin(dirty, PLACE_DIRT)), dirty, point, pool, era, rng,
                  zip_address, place, park, latlon, channel_s)
    m = np.flatnonzero(dirty == "unusable")
    blank_key = rng.random(len(m)) < 0.5
    key_s[m[blank_key]] = ""
    created_s[m[~blank_key]] = np.array(mix.UNPARSEABLE_DATES, dtype=object)[
        rng.integers(0, len(mix.UNPARSEABLE_DATES), int((~blank_key).sum()))]

    cols = {
        "key": key_s, "created": created_s, "closed": closed_s, "block": block, "zip_address": zip_address,
        "status": status_s, "due": due_s, "text": text_s, "updated": updated_s, "place": place,
        "channel": channel_s, "park": park, "extras": extras, "latlon": latlon,
    }
    extra_n = len(dup)
    if extra_n:
        for name, col in cols.items():
            tail = final.get(name, col[dup])
            cols[name] = np.concatenate([col, tail])
        keys = np.concatenate([keys, keys[dup]])
        type_idx = np.concatenate([type_idx, type_idx[dup]])
        point = np.concatenate([point, point[dup]])
        created = np.concatenate([created, created[dup]])
        dirty = np.concatenate([dirty, np.full(extra_n, "", dtype=object)])
    return Chunk(_layout(cols, era), keys, type_idx, point, created, dirty,
                 int(keys.max()) + 1 if len(keys) else key_start)


def _open_status(tb: MixTables, agency: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    u = rng.random(len(agency))
    return np.array([_choose(tb.open_cdf[a], x) for a, x in zip(agency.tolist(), u, strict=True)], dtype=np.int64)


def _spoil_places(rows: np.ndarray, dirty: np.ndarray, point: np.ndarray, pool: PlacePool, era: str,
                  rng: np.random.Generator, zip_address, place, park, latlon, channel) -> None:
    """Rebuild the place pieces of the rows whose place fields a dirty kind spoils (in place)."""
    pt, kind = point[rows], dirty[rows]
    zips, address, board = pool.zips[pool.point_zip[pt]], pool.address[pt], pool.board[pt]
    bbl, borough, park_borough = pool.bbl[pt], pool.borough_upper[pt], pool.borough_upper[pt]
    xy, ll = pool.xy[pt], pool.latlon[pt]
    m = kind == "unspecified_values"
    board[m], park_borough[m], address[m] = "0 Unspecified", UNSPECIFIED, ",,,,,,,,"
    channel[rows[m]] = "UNKNOWN"
    m = kind == "unspecified_borough"  # the ZIP and the point still place it
    borough[m] = park_borough[m] = UNSPECIFIED
    board[m] = "0 Unspecified"
    m = kind == "no_location"
    xy[m], ll[m] = ",", ",,"
    m &= rng.random(len(rows)) < 0.5  # half of them lack the ZIP and address too
    zips[m], address[m], bbl[m], board[m] = "", ",,,,,,,,", "", "0 Unspecified"
    borough[m] = park_borough[m] = UNSPECIFIED
    m = kind == "bad_zip"
    bad = np.array(mix.OUTSIDE_NYC_ZIPS + mix.MALFORMED_ZIPS, dtype=object)
    zips[m] = bad[rng.integers(0, len(bad), int(m.sum()))]
    zip_address[rows] = zips + "," + address
    place[rows] = board + "," + (borough if era == "legacy" else bbl + "," + borough) + "," + xy
    park[rows] = "Unspecified," + park_borough
    latlon[rows] = ll


def _layout(c: dict, era: str) -> list:
    """The pieces of a line in the era's column order (each piece holds one or more fields)."""
    head = [c["key"], c["created"], c["closed"], c["block"], c["zip_address"], c["status"], c["due"], c["text"],
            c["updated"], c["place"]]
    if era == "legacy":
        return [*head, c["park"], c["extras"], c["latlon"]]
    return [*head, c["channel"], c["park"], c["extras"], c["latlon"]]


# ---------------------------------------------------------------- the whole file

def header(era: str) -> str:
    return ",".join(quote(c) for c in ERAS[era]) + "\n"


def chunk_bounds(counts: np.ndarray, chunk_rows: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """Consecutive day ranges of about `chunk_rows` rows each."""
    bounds, lo, acc = [], 0, 0
    for i, c in enumerate(counts.tolist()):
        acc += c
        if acc >= chunk_rows:
            bounds.append((lo, i + 1))
            lo, acc = i + 1, 0
    if lo < len(counts):
        bounds.append((lo, len(counts)))
    return bounds


def generate(out, *, rows: int, end: date, days: int, seed: int = 311, era: str = "current",
             dirty_fraction: float = 0.02, progress=None, chunk_rows: int = CHUNK_ROWS) -> int:
    """Write the header and all rows to the text stream `out`; return the number of rows written."""
    if era not in ERAS:
        raise ValueError(f"unknown era {era!r}: use one of {', '.join(ERAS)}")
    if not 0 <= dirty_fraction <= 1:
        raise ValueError(f"dirty fraction {dirty_fraction} is not between 0 and 1")
    tables = mix_tables()
    pool = build_pool(seed)
    zcdf = zip_cdfs(pool, tables)
    p = plan(rows, end, days, seed, tables)
    out.write(header(era))
    written, key = 0, None
    for lo, hi in chunk_bounds(p.counts, chunk_rows):
        if not p.counts[lo:hi].sum():
            continue
        chunk = generate_chunk(p, lo, hi, pool=pool, zcdf=zcdf, seed=seed, key_start=key, era=era,
                               dirty_fraction=dirty_fraction, tables=tables)
        out.write(chunk.render())
        written += len(chunk)
        key = chunk.next_key
        if progress:
            progress(written, rows)
    return written


# ---------------------------------------------------------------- command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--years", type=float, default=1.0, help="years of history to write (may be fractional)")
    parser.add_argument("--out", required=True,
                        help="output CSV file (.gz compresses), or a folder to write a named file into")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--rows", type=int, help="total rows to write (overrides --rows-per-year)")
    size.add_argument("--rows-per-year", type=int, default=100_000,
                      help="rows per year (default 100000; the real city logs about 3.2 million)")
    parser.add_argument("--seed", type=int, default=311, help="random seed: same seed, same bytes")
    parser.add_argument("--end", type=date.fromisoformat, default=None,
                        help="last day of the history, YYYY-MM-DD (default: yesterday in New York)")
    parser.add_argument("--era", choices=tuple(ERAS), default="current",
                        help="export layout: current (41 columns) or legacy (53 columns, pre-2018)")
    parser.add_argument("--dirty-fraction", type=float, default=0.02,
                        help="share of rows with the faults real exports carry (default 0.02)")
    parser.add_argument("--gzip", action="store_true", help="gzip the output (also implied by a .gz name)")


def _progress_printer(stream=sys.stderr):
    started = time.monotonic()
    tty = stream.isatty()

    def show(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-9)
        line = f"generate: {done:,}/{total:,} rows ({100 * done / max(total, 1):.0f}%), {rate:,.0f} rows/s"
        stream.write(("\r" + line) if tty else line + "\n")
        stream.flush()
    return show


def output_path(out: str, era: str, start: date, end: date, gz: bool) -> Path:
    path = Path(out)
    if out.endswith(("/", os.sep)) or path.is_dir():
        path = path / f"311_synthetic_{era}_{start:%Y%m%d}_{end:%Y%m%d}.csv"
    if gz and path.suffix != ".gz":  # readers pick the codec by the name
        path = path.with_name(path.name + ".gz")
    return path


def run(args: argparse.Namespace) -> int:
    problem = ("--years must be positive" if args.years <= 0 else
               "--dirty-fraction must be between 0 and 1" if not 0 <= args.dirty_fraction <= 1 else
               "the row count must not be negative" if (args.rows if args.rows is not None
                                                        else args.rows_per_year) < 0 else None)
    if problem:
        print(f"generate: {problem}", file=sys.stderr)
        return 2
    end = args.end or (datetime.now(ZoneInfo(NY_TZ)).date() - timedelta(days=1))
    days = max(1, round(args.years * YEAR_DAYS))
    rows = args.rows if args.rows is not None else round(args.rows_per_year * days / YEAR_DAYS)
    gz = args.gzip or args.out.endswith(".gz")
    path = output_path(args.out, args.era, end - timedelta(days=days - 1), end, gz)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")  # the loader never sees a half-written file
    started, cpu = time.monotonic(), time.process_time()
    try:
        with open(part, "wb") as raw:
            binary = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0, filename="") if gz else raw
            with io.TextIOWrapper(binary, encoding="utf-8", newline="") as text:
                written = generate(text, rows=rows, end=end, days=days, seed=args.seed, era=args.era,
                                   dirty_fraction=args.dirty_fraction, progress=_progress_printer())
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, path)
    # the batch job reads this to record the load as synthetic (pipeline/provenance.py)
    provenance.write_sidecar(path, "synthetic", generator="python -m pipeline generate", seed=args.seed,
                             generated_rows=written, era=args.era)
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    size = path.stat().st_size
    # CPU time too: on a shared machine the wall-clock rate says more about the neighbours
    print(f"{chr(10) if sys.stderr.isatty() else ''}generate: wrote {written:,} rows ({args.era} era, {end - timedelta(days=days - 1)} .. {end}) to "
          f"{path}: {size / 1e6:,.1f} MB ({size / max(written, 1):,.0f} bytes a row), "
          f"{elapsed:,.1f} s wall ({written / max(elapsed, 1e-9):,.0f} rows/s), "
          f"{cpu:,.1f} s CPU ({written / max(cpu, 1e-9):,.0f} rows/s)", file=sys.stderr)
    return 0
