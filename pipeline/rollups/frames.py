"""Rollup rows summed in pandas: a coarser grain, or a narrower rollup, from rows already counted.

Why pandas: the batch job brings every rollup's rows to the driver anyway (the store is written from
there), so once Spark has counted a wide rollup's day rows, its month rows and the narrower rollups
it is the parent of (pipeline/rollups/families.py parent_of) are sums of a frame in memory: milliseconds,
where a Spark job each cost a scheduling round trip (~50 of them for the 924-row sample). Exact for
the same reason pipeline/rollups/compute.py's `coarsen` is: every measure is a count, hence additive.
Pure (no Spark), so the unit tests check it against hand-made rows.
"""
from __future__ import annotations

from datetime import date

import pandas as pd

from pipeline.rollups.tables import BUCKET_LENGTHS, ROLLUPS, Rollup, week_piece

# Characters of a day period ('YYYY-MM-DD') that spell each coarser-or-equal grain's period (a week
# piece's is a day of its own: week_pieces).
PERIOD_LENGTHS = {"year": 4, "month": 7, "day": 10}


def week_pieces(periods: pd.Series) -> pd.Series:
    """Day periods ('YYYY-MM-DD') as the first days of their week pieces (tables.week_piece): mapped
    over the distinct days, a month's ~31, not every row."""
    days = periods.astype(str).str.slice(0, 10)
    starts = {d: week_piece(date.fromisoformat(d)).isoformat() for d in days.unique()}
    return days.map(starts)


def coarsen(rows: pd.DataFrame, rollup: Rollup | str, grain: str) -> pd.DataFrame:
    """Rows of `rollup` at `grain` from rows of the same or a wider rollup at the same or a finer
    grain: periods cut to the grain, the dims the rollup drops summed over. Column order and types
    as the store expects them (rollup.columns, measures int64)."""
    rollup = ROLLUPS[rollup] if isinstance(rollup, str) else rollup
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in rollup.measures else object) for c in rollup.columns})
    period = week_pieces(rows["period"]) if grain == "week" else rows["period"].astype(str).str.slice(0, PERIOD_LENGTHS[grain])
    keyed = rows.assign(period=period)
    out = keyed.groupby(["period", *rollup.dims], as_index=False, sort=False, dropna=False)[list(rollup.measures)].sum()
    out = out.astype({m: "int64" for m in rollup.measures})
    out["grain"] = grain
    out["bucket"] = out["period"].str.slice(0, BUCKET_LENGTHS[grain])
    return out[list(rollup.columns)]
