"""One chunk of synthetic rows: a few consecutive days drawn at once, with the dirty rows real
exports carry (unusable keys and dates, unspecified places, outside or malformed ZIPs, duplicates).

Why chunks of days: creation order within a chunk is the file's order, memory stays bounded, and a
chunk's keys continue the previous chunk's, so the file is the same whatever the chunk size.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.schema import UNSPECIFIED
from pipeline.synthetic import mix
from pipeline.synthetic.layout import LEGACY_SCHOOL_FIELDS, STATUSES
from pipeline.synthetic.mix_arrays import MixTables, cdf, mix_tables
from pipeline.synthetic.places import PlacePool
from pipeline.synthetic.timeline import DAY_NS, HOUR_NS, NAT, Plan, first_key, format_local, from_local, to_local

PLACE_DIRT = ("unspecified_values", "unspecified_borough", "no_location", "bad_zip")


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
            type_idx[pos:pos + c] = _choose(cdf(w), u[pos:pos + c])
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
