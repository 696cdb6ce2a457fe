"""The synthetic history's calendar and clock: how many rows each day gets, and New York
wall-clock times as the export prints them.

Why numpy and pandas rather than datetime per row: 5 million rows need vectorised conversions; DST
is handled by pandas' tz database (a spring-forward time moves forward, a fall-back one is either
instant), as the city's exports show them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from pipeline.schema import NY_TZ
from pipeline.synthetic import mix
from pipeline.synthetic.mix_arrays import MixTables, mix_tables

HOUR_NS = 3_600 * 10**9
DAY_NS = 24 * HOUR_NS
YEAR_DAYS = 365.2425
NAT = np.iinfo(np.int64).min


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
