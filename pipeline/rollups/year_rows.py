"""Year rows of the hotspot tables a long range reads most: the hexagon maps' sums (`hex_totals` for
every type, `hex_cells` for one) and the heads (`place_heads`) of every scope and of each H3 cell
(scope 'c:<cell>').

Why the maps: a map's rows are (cell, district, month), and a busy cell has requests most months,
so a year holds up to twelve times fewer rows. Over the ten-year benchmark store a year of
`hex_totals` is 1,854 rows instead of ~22,000, and a year of `hex_cells` ~69,000 instead of ~510,000.
Why the cells' heads: a clicked hexagon's list summed every (place, type, month) row of the cell,
~90,000 for the busiest over ten years (p95 376 ms), and year rows of those sums would still be
~59,000 (a year of the busiest cell has ~6,500 (place, type) rows), no faster in the page (measured).
So each cell keeps, per closed year, its PLACE_HEAD_DEPTH busiest places and the largest count left
out, and a list over years is ranked from them with a few exact lookups, as the scopes' lists are
(pipeline/read/place_ranking.py). Why every scope's heads too: a ten-year citywide list ranked from
119 months of heads looked its candidates up in every month, ~65 places x 119 months of key probes
(360 ms cold); ranked from nine years and the open year's months, a place is looked up only in the
pieces that did not list it.

Which years get them: those the lake has closed, i.e. every year before the year of the lake's
latest month. The current year stays in month rows, so a daily load rewrites no year row. A load
that touches a closed year (a new version of an old request) recounts that whole year. A year that
becomes closed (the first load of a new year) gets its rows on that load, as does every closed
year of a store written before year rows existed (once, on its next load).

How a read knows: the store meta `META` (`year_rows:<tables>:cells`) lists the years whose rows are
written, set after every table is. A range is read as the listed years it covers whole, at year grain, plus the
months left over, at month grain (`split_span`). So every count is still a sum of stored rows
equal to a recount of the raw rows. No pyspark here: the web workers import this module (the batch
job's Spark part is pipeline/rollups/hexes.py `write_year_rows`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd

from pipeline.rollups import frames, hotspot_rows
from pipeline.rollups.tables import ROLLUPS

# the hotspot tables (month rows only); the count rollups' year rows are pipeline/rollups/year_counts.py's
YEARLY = tuple(name for name, r in ROLLUPS.items() if "year" in r.grains and "day" not in r.grains)
# store meta: comma-separated years whose year rows are written. The key names the tables and the heads'
# scopes (':cells' had the cells' heads only; ':scopes' every scope's), so a store whose year rows predate
# a table or a scope rewrites every closed year on its next load.
META = "year_rows:" + ",".join(YEARLY) + ":scopes"


def written(store) -> set[str]:
    """The years whose year rows the store holds (meta META)."""
    return {y for y in (store.get_meta(META) or "").split(",") if y}


def meta_value(years: Iterable[str]) -> str:
    return ",".join(sorted(set(years)))


def closed_years(lake_months: Iterable[str]) -> set[str]:
    """Years before the year of the latest lake month ('YYYY-MM')."""
    months = list(lake_months)
    if not months:
        return set()
    last = max(months)[:4]
    return {m[:4] for m in months if m[:4] < last}


def years_to_write(lake_months: Iterable[str], touched: Iterable[str], done: set[str]) -> list[str]:
    """Closed years a load must (re)write: those whose months it touched, and those not yet written."""
    closed = closed_years(lake_months)
    return sorted((closed & {m[:4] for m in touched}) | (closed - done))


def _next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + 1:04d}-01" if m == 12 else f"{y:04d}-{m + 1:02d}"


def split_span(span: tuple[str, str], years: set[str]) -> list[tuple[str, str, str]]:
    """(grain, first, last) pieces that cover the months first..last of `span` once each: runs of
    consecutive years of `years` whose twelve months the span covers, at year grain, and the runs
    of months between them, at month grain. In time order."""
    first, last = span
    pieces: list[list[str]] = []
    month = first
    while month <= last:
        year = month[:4]
        whole = month.endswith("-01") and year in years and f"{year}-12" <= last
        grain, period = ("year", year) if whole else ("month", month)
        if pieces and pieces[-1][0] == grain:
            pieces[-1][2] = period
        else:
            pieces.append([grain, period, period])
        month = f"{int(year) + 1:04d}-01" if whole else _next_month(month)
    return [tuple(p) for p in pieces]


def periods(grain: str, first: str, last: str) -> list[str]:
    """Every period of a piece of split_span, in time order ('YYYY' years or 'YYYY-MM' months)."""
    if grain == "year":
        return [f"{y:04d}" for y in range(int(first), int(last) + 1)]
    out, month = [], first
    while month <= last:
        out.append(month)
        month = _next_month(month)
    return out


def months_of(period: str) -> tuple[str, str]:
    """The first and last month of a year ('YYYY') or a month ('YYYY-MM')."""
    return (f"{period}-01", f"{period}-12") if len(period) == 4 else (period, period)


def write(store, touched: Iterable[str], finest_of: Callable[[str], pd.DataFrame]) -> dict[str, int]:
    """Write the year rows of the closed years a load must (re)write, one year at a time, from
    `finest_of(year)`: the finest month rows of that whole year (the batch job counts them from the lake,
    the benchmark sums its stored month rows). Marks each year in the meta once all its tables are
    written. Returns {"table/year": rows written}. Which years hold data comes from the store's month
    partitions of the finest table (one per year): no read of the lake when, as on most loads, no
    year needs writing."""
    months = [f"{b}-12" for b in store.buckets(hotspot_rows.FINEST, "month")]  # a year stands for its months
    done = written(store)
    counts: dict[str, int] = {}
    for year in years_to_write(months, touched, done):
        for name, rows in tables(finest_of(year)).items():
            counts[f"{name}/year"] = counts.get(f"{name}/year", 0) + store.replace_periods(name, "year", [year], rows)
        done.add(year)
        store.set_meta(META, meta_value(done))
    return counts


def tables(finest: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """{table: year rows} of the YEARLY tables from the finest month rows (places_by_cell at month
    grain) of whole years: the maps' sums (exact: every measure is a count) and the heads."""
    out = {name: frames.coarsen(finest, name, "year") for name in YEARLY if ROLLUPS[name].heads_of is None}
    out["place_heads"] = hotspot_rows.year_heads(frames.coarsen(finest, hotspot_rows.FINEST, "year"))
    return out
