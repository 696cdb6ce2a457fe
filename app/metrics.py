"""The pages' calculations on what the read model answers: shares, halves, year-over-year pairs, KPIs.

Why apart from the pages: a page module is layout and thin callbacks; the numbers it shows are
derived here from frames alone (no Dash, no store, no clock), so each rule is unit-tested once and
the CSV, the API and the picture share it. The read model (app/data.py) fetches; this derives;
app/figures.py draws.
"""
from __future__ import annotations

import calendar
from datetime import date, timedelta

import numpy as np
import pandas as pd

from app.figures import change

CLOSED = "Closed"


def span_granularity(start: date | None, end: date | None, day_up_to: int, week_up_to: int) -> str:
    """'day' for a span of at most `day_up_to` days, 'week' up to `week_up_to`, 'month' beyond (or
    without both ends)."""
    if start is None or end is None:
        return "month"
    days = (end - start).days + 1
    return "day" if days <= day_up_to else "week" if days <= week_up_to else "month"


# -- map ----------------------------------------------------------------------------------------------

def open_share(mix: pd.DataFrame, by: str = "borough") -> pd.Series:
    """Percent of requests not yet closed per value of `by` (NaN where there are none), from a
    status_mix frame [by, status, count]."""
    total = mix.groupby(by)["count"].sum()
    open_ = mix[mix["status"] != CLOSED].groupby(by)["count"].sum()
    return open_.reindex(total.index, fill_value=0) / total.where(total > 0) * 100


# -- rankings -----------------------------------------------------------------------------------------

def halves_change(counts: list[float]) -> float | None:
    """Percent change from the first half of a series to the last half (an odd series' middle
    period counts in neither); None for fewer than two periods or an empty first half."""
    half = len(counts) // 2
    if not half:
        return None
    return change(sum(counts[len(counts) - half:]), sum(counts[:half]))


def sum_totals(totals: list[pd.DataFrame], level: str) -> pd.DataFrame:
    """Totals (count, borough, population, per_10k per area) summed over the chosen complaint types' answers.
    One type's answer (the usual page) is already one row per area: copied, not grouped (a pandas
    group-by with named aggregations cost ~5 ms of a rankings callback)."""
    if len(totals) == 1 and totals[0][level].is_unique:
        tot = totals[0][[level, "count", "borough", "population"]].copy()
    else:
        tot = pd.concat(totals, ignore_index=True)
        tot = tot.groupby(level, as_index=False).agg(count=("count", "sum"), borough=("borough", "first"),
                                                      population=("population", "first"))
    tot["per_10k"] = tot["count"] / tot["population"] * 10_000
    return tot


def sum_series(series: list[pd.DataFrame], level: str) -> pd.DataFrame:
    """Series (period, area, count) summed over the chosen complaint types' answers."""
    if len(series) == 1 and not series[0].duplicated(["period", level]).any():
        return series[0][["period", level, "count"]]
    return pd.concat(series, ignore_index=True).groupby(["period", level], as_index=False)["count"].sum()


def top_areas(tot: pd.DataFrame, level: str, per_capita: bool, n: int, min_population: int) -> pd.DataFrame:
    """The `n` areas with the most requests (or per resident, among areas of `min_population`+), then by
    area. One numpy lexsort: pandas sorts by two keys through categoricals, ~3 ms a call, four a page."""
    if per_capita:
        tot = tot[tot["population"] >= min_population]
    key = "per_10k" if per_capita else "count"
    order = np.lexsort((tot[level].to_numpy(dtype=object), -tot[key].to_numpy(dtype="float64")))[:n]
    return tot.iloc[order].reset_index(drop=True)


# -- trends -------------------------------------------------------------------------------------------

def year_before(d: date | None, gran: str) -> date | None:
    """The same point a year earlier: 52 weeks back for days and weeks (same weekdays, so Mondays
    line up), twelve months back for months (the 29th of February becomes the 28th)."""
    if d is None:
        return None
    if gran == "month":
        return d.replace(year=d.year - 1, day=min(d.day, calendar.monthrange(d.year - 1, d.month)[1]))
    return d - timedelta(weeks=52)


def align_year_over_year(cur: pd.DataFrame, prev: pd.DataFrame) -> pd.DataFrame:
    """This period's series and the one a year earlier, the earlier drawn on this period's dates:
    their periods are paired in order from the end (equal counts of periods by construction).
    Columns series, period, actual_period, count, complete."""
    cur = cur.assign(series="This period", actual_period=cur["period"])
    n = min(len(cur), len(prev))
    prev = prev.iloc[len(prev) - n:].reset_index(drop=True)
    prev = pd.DataFrame({"period": cur["period"].iloc[len(cur) - n:].to_numpy(), "count": prev["count"],
                         "series": "A year earlier", "actual_period": prev["period"], "complete": prev["complete"]})
    return pd.concat([cur, prev], ignore_index=True)[["series", "period", "actual_period", "count", "complete"]]


# -- overview and resolution KPIs ----------------------------------------------------------------------

def first(frame: pd.DataFrame | None, column: str) -> float | None:
    """The first row's value of a one-row answer (e.g. the city-wide median), None when empty."""
    return float(frame[column].iloc[0]) if frame is not None and not frame.empty else None


def _num(v):
    return None if v is None or pd.isna(v) else v


def kpi_numbers(k: pd.DataFrame) -> dict:
    """The overview's headline numbers from its KPI frame [metric, value, previous]: totals, the
    changes against the previous period, and the share of these requests still open."""
    row = {m: (_num(v), _num(p)) for m, v, p in zip(k["metric"], k["value"], k["previous"], strict=True)}
    total, prev_total = row["requests"]
    median, prev_median = row["median_h"]
    open_now = row["open_now"][0]
    return {"total": total, "prev_total": prev_total, "pct": change(total, prev_total),
            "median": median, "mpct": change(median, prev_median), "open_now": open_now,
            "open_pct": open_now / total * 100 if open_now is not None and total else None}


def due_shares(frame: pd.DataFrame) -> pd.DataFrame:
    """A timeliness frame with on_time_pct, late_pct and open_past_due_pct of the requests with a due
    date (percent, one decimal)."""
    frame = frame.copy()
    for col in ("on_time", "late", "open_past_due"):
        frame[f"{col}_pct"] = (frame[col] / frame["with_due"] * 100).round(1)
    return frame


def resolution_numbers(res: pd.DataFrame, due: pd.DataFrame) -> dict:
    """The resolution page's headline numbers from the city-wide resolution and timeliness answers."""
    with_due = int(due["with_due"].sum()) if not due.empty else 0
    on_time = int(due["on_time"].sum()) if not due.empty else 0
    return {"median": res["median_h"].iloc[0] if not res.empty else None,
            "p90": res["p90_h"].iloc[0] if not res.empty else None,
            "with_due": with_due, "on_time": on_time,
            "on_time_pct": on_time / with_due * 100 if with_due else None,
            "past_due": int(due["open_past_due"].sum()) if not due.empty else 0}
