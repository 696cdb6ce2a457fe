"""The read API's pure arithmetic: which rollup table answers a query, which grain segments cover a
date range, how rollup periods become series labels, and quantiles of resolution times from their
binned counts.

Why apart from pipeline/read/api.py: none of it touches a store or a cache, so it is tested on its
own, and the read API stays about what to read and from where.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipeline.rollups.tables import RESOLUTION_BINS_H, ROLLUPS, TABLE_PREFERENCE, week_piece
from pipeline.rollups.year_rows import periods as year_periods
from pipeline.rollups.year_rows import split_span

OTHER = "Other"  # the groups a top-N series sums together


def month_end(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def plan_range(start: date, end: date, months: bool = True, weeks: bool = False) -> list[tuple[str, str, str]]:
    """(grain, first period, last period) segments covering start..end: month rows for the whole
    months inside, day rows for the partial months at the edges (all days when months=False; with
    weeks=True, week-piece rows for the whole pieces inside and day rows at the edges)."""
    if start > end:
        return []
    if weeks:
        return plan_weeks(start, end)
    if not months:
        return [("day", start.isoformat(), end.isoformat())]
    first_full = start if start.day == 1 else month_end(start) + timedelta(days=1)
    last_full = end if end == month_end(end) else end.replace(day=1) - timedelta(days=1)
    if first_full > last_full:
        return [("day", start.isoformat(), end.isoformat())]
    segments = []
    if start < first_full:
        segments.append(("day", start.isoformat(), (first_full - timedelta(days=1)).isoformat()))
    segments.append(("month", first_full.isoformat()[:7], last_full.isoformat()[:7]))
    if last_full < end:
        segments.append(("day", (last_full + timedelta(days=1)).isoformat(), end.isoformat()))
    return segments


def whole_edge_months(start: date, end: date, bounds: tuple[date, date]) -> tuple[date, date]:
    """start..end widened to whole months where it meets the data's first or last day: nothing lies
    beyond those days, so that month's row is the sum of its days, and a range ending on the latest day
    (the dashboard's default) reads one month row per group, not a day row per day of the month."""
    return start.replace(day=1) if start == bounds[0] else start, month_end(end) if end == bounds[1] else end


def plan_weeks(start: date, end: date) -> list[tuple[str, str, str]]:
    """Segments covering start..end for a week series: week pieces (tables.week_piece) wholly inside
    as week rows, the days before the first and after the last as day rows. A piece ends the day
    before the next one starts (a Sunday or a month's last day)."""
    first = start if week_piece(start) == start else next(
        d for d in (start + timedelta(days=i) for i in range(1, 8)) if week_piece(d) == d)
    after = end + timedelta(days=1)  # the day after the last whole piece starts a piece
    last_end = end if week_piece(after) == after else week_piece(end) - timedelta(days=1)
    if first > last_end:
        return [("day", start.isoformat(), end.isoformat())]
    segments = [("day", start.isoformat(), (first - timedelta(days=1)).isoformat())] if start < first else []
    segments.append(("week", first.isoformat(), week_piece(last_end).isoformat()))
    if last_end < end:
        segments.append(("day", (last_end + timedelta(days=1)).isoformat(), end.isoformat()))
    return segments


def with_years(segments: list[tuple[str, str, str]], years: set[str]) -> list[tuple[str, str, str]]:
    """The month segments of a plan as the whole years of `years` they cover, at year grain, and the
    months between (year_rows.split_span): a total over ten years reads ~10 rows per group, not ~120."""
    if not years:
        return segments
    return [piece for seg in segments for piece in (split_span(seg[1:], years) if seg[0] == "month" else [seg])]


def running_plan(segments: list[tuple[str, str, str]], ytd: dict[str, str], upto: set[str], first_year: str,
                 years: set[str] | frozenset[str] = frozenset()) -> list[tuple[int, str, str, str]] | None:
    """The month segment of a plan as running totals (pipeline/rollups/running_counts.py): months m1..m2
    = upto(y2 - 1) + ytd(m2) - upto(y1 - 1) - ytd(m1 - 1), the terms of years before `first_year` (no
    data) and of a January's month before left out. When y2 = y1 + 1 and y1 has year rows (`years`), the
    two upto terms are y1's year row: one read, not two (the last 365 days cross one new year).
    (sign, grain, period, period) pieces, the day segments kept with sign +1; None when a term is not
    current (`ytd`: {year: last month written}, `upto`: the closed years written)."""
    out, terms = [], []
    for grain, p1, p2 in segments:
        if grain != "month":
            out.append((1, grain, p1, p2))
            continue
        y1, y2 = p1[:4], p2[:4]
        terms = [(1, "ytd", p2)]
        if not p1.endswith("-01"):
            terms.append((-1, "ytd", f"{y1}-{int(p1[5:]) - 1:02d}"))
        before = f"{int(y1) - 1:04d}"
        if int(y2) == int(y1) + 1 and y1 in years and before >= first_year:
            terms.append((1, "year", y1))
        elif y2 > y1:
            terms += [(1, "upto", f"{int(y2) - 1:04d}")]
            if before >= first_year:
                terms.append((-1, "upto", before))
        if not all(ytd.get(p[:4], "") >= p if g == "ytd" else g == "year" or p in upto for _, g, p in terms):
            return None
        out += [(sign, g, p, p) for sign, g, p in terms]
    return out if terms else None


def total_plan(segments: list[tuple[str, str, str]], years: set[str],
               running: tuple[dict[str, str], set[str], str] | None = None) -> list[tuple[int, str, str, str]]:
    """(sign, grain, first, last) pieces of a total over `segments`: with year rows (`with_years`), or
    with the running totals `running` = (ytd, upto, first year) when they read fewer periods."""
    pieces = [(1, *piece) for piece in with_years(segments, years)]
    signed = running_plan(segments, *running, years) if running else None
    if signed is not None and len(signed) < sum(len(split_periods(g, p1, p2)) for _, g, p1, p2 in pieces):
        return signed
    return pieces


def split_periods(grain: str, first: str, last: str) -> list[str]:
    """The periods a piece reads: its years or months; a day segment counts as one read."""
    return year_periods(grain, first, last) if grain in ("year", "month") else [first]


def hour_of_week_days(first: date, weeks: int, hows: list[int]) -> list[tuple[date, date]]:
    """The runs of consecutive days, in the `weeks` weeks from Monday `first`, on which the hours of the
    week `hows` fall (weekday = how // 24): the live page's two hours are 8 of a baseline's 56 days."""
    runs: list[tuple[date, date]] = []
    for day in (first + timedelta(days=7 * k + w) for k in range(weeks) for w in sorted({h // 24 for h in hows})):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def period_labels(periods: Iterable[str], grain: str, granularity: str) -> dict[str, str]:
    """{period: its 'YYYY-MM-DD' label of day/week/month} of each rollup period ('YYYY-MM' or 'YYYY-MM-DD').
    Each distinct period is labelled once, in Python: a plan's piece holds a few hundred rows of a few dozen
    periods, where pandas' date parsing and formatting of a whole column cost ~1 ms a piece."""
    if granularity == "month":
        return {p: p[:7] + "-01" for p in periods}
    if grain not in ("day", "week") or (granularity == "day" and grain != "day"):
        raise ValueError(f"{granularity} series need day rows")
    if granularity == "day":
        return {p: p for p in periods}
    return {p: _monday(date.fromisoformat(p)).isoformat() for p in periods}


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def period_range(start: date, end: date, granularity: str) -> list[str]:
    """Every label from the period holding start to the one holding end."""
    if granularity == "month":
        out, y, m = [], start.year, start.month
        while (y, m) <= (end.year, end.month):
            out.append(f"{y:04d}-{m:02d}-01")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    first, step = (start, 1) if granularity == "day" else (_monday(start), 7)
    return [(first + timedelta(days=k)).isoformat() for k in range(0, (end - first).days + 1, step)]


def series_frame(sums: dict[tuple, list[int]], periods: list[str], split_by: str | None,
                 among: tuple[str, ...] | None = None) -> pd.DataFrame:
    """fill_series (no top) of sums {(period, group?): [count]}: every period of `periods` and, when split,
    every group (the `among` ones, or those present), missing ones at 0, in (period, group) order. In
    Python: a ten-year week series of eight groups is ~4,000 cells, where the frame, its multi-index and
    the reindex cost several ms."""
    if split_by is None:
        return pd.DataFrame({"period": pd.Series(periods, dtype="object"),
                             "count": np.fromiter((sums.get((p,), (0,))[0] for p in periods), "int64", len(periods))})
    groups = sorted(set(among) if among is not None else {k[1] for k in sums})
    cells = [(p, g) for p in periods for g in groups]
    return pd.DataFrame({"period": pd.Series([p for p, _ in cells], dtype="object"),
                         split_by: pd.Series([g for _, g in cells], dtype="object"),
                         "count": np.fromiter((sums.get(c, (0,))[0] for c in cells), "int64", len(cells))})


def fill_series(frame: pd.DataFrame, periods: list[str], split_by: str | None, top: int | None = None,
                among: tuple[str, ...] | None = None) -> pd.DataFrame:
    """A series frame (period, split_by?, count) over every label of `periods` and, when split, every
    group (the `among` ones, or those present; with `top`, the top largest and the rest as 'Other'),
    missing ones at 0: a chart's axis shows the range asked, not just the periods that had requests."""
    by = [split_by] if split_by else []
    if split_by:
        if top is not None:
            totals = frame.groupby(split_by)["count"].sum().sort_values(ascending=False, kind="stable")
            keep = set(totals.index[:top])
            frame = frame.assign(**{split_by: frame[split_by].where(frame[split_by].isin(keep), OTHER)})
            frame = frame.groupby(["period", split_by], as_index=False)["count"].sum()
        groups = sorted(frame[split_by].unique()) if among is None else sorted(set(among))
        index = pd.MultiIndex.from_product([periods, groups], names=["period", split_by])
        frame = frame.set_index(["period", split_by])["count"].reindex(index, fill_value=0).reset_index()
    else:
        frame = frame.set_index("period")["count"].reindex(pd.Index(periods, name="period"), fill_value=0)
        frame = frame.reset_index()
    frame["count"] = frame["count"].astype("int64")
    return frame[["period", *by, "count"]].reset_index(drop=True)


def quantiles_by_group(sums: dict[tuple, list[int]], key: str | None) -> pd.DataFrame:
    """Resolution bins summed as {(group?, res_bin): [n]} as [key?, 'closed', 'median_h', 'p90_h'] per group
    (a group per key value, sorted; one row when key is None). A (groups x bins) matrix filled in Python:
    a pivot table of the same rows cost ~5 ms of a resolution query."""
    groups = sorted({k[0] for k in sums}) if key else [None]
    at = {g: i for i, g in enumerate(groups)}
    counts = np.zeros((len(groups), len(RESOLUTION_BINS_H)), dtype="float64")
    for k, (n, *_) in sums.items():
        counts[at[k[0]] if key else 0, min(max(int(k[-1]), 0), len(RESOLUTION_BINS_H) - 1)] += n
    result = pd.DataFrame({"closed": counts.sum(axis=1).astype("int64"),
                           "median_h": percentiles_from_bins(counts, 0.5), "p90_h": percentiles_from_bins(counts, 0.9)})
    if key:
        result.insert(0, key, pd.Series(groups, dtype="object"))
    return result


def percentile_from_bins(counts: np.ndarray, q: float) -> float:
    """The q-quantile of values binned by RESOLUTION_BINS_H, interpolated linearly inside its bin
    (exact to the bin width; the open last bin answers its lower edge)."""
    return float(percentiles_from_bins(np.asarray(counts, dtype="float64")[None, :], q)[0])


def percentiles_from_bins(counts: np.ndarray, q: float) -> np.ndarray:
    """percentile_from_bins for each row of a (groups x bins) matrix, vectorised."""
    upper = np.array(RESOLUTION_BINS_H)
    lower = np.concatenate([[0.0], upper[:-1]])
    total = counts.sum(axis=1)
    cum = counts.cumsum(axis=1)
    target = q * total
    i = np.minimum((cum < target[:, None] - 1e-9).sum(axis=1), counts.shape[1] - 1)
    rows = np.arange(len(counts))
    before = cum[rows, i] - counts[rows, i]
    inside = np.divide(target - before, counts[rows, i], out=np.zeros(len(counts)), where=counts[rows, i] > 0)
    width = np.where(np.isinf(upper[i]), 0.0, upper[i] - lower[i])
    out = lower[i] + width * inside
    return np.where(total > 0, out, np.nan)


def table_for(columns: set[str], measures: tuple[str, ...] = ("n",), preference=None,
              fixed: frozenset[str] | set[str] = frozenset()) -> str:
    """The first table of `preference` (default TABLE_PREFERENCE) holding `columns` and `measures`.
    A table with a derived dimension (res_bin, how) counts something else than requests, so it
    qualifies only when that dimension is asked for.

    `fixed`: the dimensions a filter pins to one value. When the first table's leading dimension is
    not one of them but a later table of the same grains leads with one, the later table wins: the
    stores seek to a leading value and read its slice, where they would read the first table's whole
    period and filter it (a district's descriptors: ~400 rows of district_descriptors for a month,
    not the ~15,000 of descriptor_districts)."""
    qualified = [name for name in preference or TABLE_PREFERENCE
                 if ROLLUPS[name].measures == measures and columns <= set(ROLLUPS[name].dims)
                 and ROLLUPS[name].derived <= columns]
    if not qualified:
        raise ValueError(f"no rollup holds {', '.join(sorted(columns))} together: drop one of these filters")
    first = ROLLUPS[qualified[0]]
    if not first.dims or first.dims[0] in fixed:
        return first.name
    return next((name for name in qualified if ROLLUPS[name].dims[:1] and ROLLUPS[name].dims[0] in fixed
                 and _served(ROLLUPS[name].grains) == _served(first.grains)), first.name)


def _served(grains: tuple[str, ...]) -> tuple[str, ...]:
    """The grains a table answers every range with; year rows (tables.YEAR_GRAINS) only speed up some."""
    return tuple(g for g in grains if g != "year")
