"""Year rows of the count rollups that keep them (tables.YEAR_GRAINS), summed from the store's own month rows.

Why from the store and not from Spark: a year row must equal the sum of the month rows a read would
otherwise add up, and those are what the store holds (each month as last recounted, open-past-due
counts as of that month's load). Summing them is exact (every measure is a count) and needs no lake:
the batch job calls this after its month rows are written, and the benchmark on its synthetic store.

Which years: those the lake has closed (pipeline/rollups/year_rows.py `years_to_write`, as for the
hotspot tables): every year before the latest month's. The open year stays in month rows, so a daily
load writes no year row; a load that touches a closed year (a late request, a new version of an old
one) rewrites that year; the first load of a new year writes the year just closed; a store written
before year rows existed gets every closed year on its next load.

How a read knows: the store meta `META` lists the years written, set after each year's every table.
The key names the tables, so a table given year rows later waits, read from month rows, until a
load has written its years. A load takes a closed year it touches off the list before it rewrites
that year's month rows (`forget`), so no read sums year rows older than the months they stand for.
No pyspark here: the web workers import this module.
"""
from __future__ import annotations

from collections.abc import Iterable

from pipeline.rollups import frames
from pipeline.rollups.tables import ROLLUPS
from pipeline.rollups.year_rows import meta_value, years_to_write

YEARLY = tuple(name for name, r in ROLLUPS.items() if "year" in r.grains and "day" in r.grains)
META = "year_counts:" + ",".join(YEARLY)
SPAN = "totals"  # every request counts in it: its month partitions (one per year) are the years with data


def written(store) -> set[str]:
    """The years whose year rows every YEARLY table holds (meta META)."""
    return parse(store.get_meta(META))


def parse(value: str | None) -> set[str]:
    """The years of a META value (the read API reads it with other meta values in one read)."""
    return {y for y in (value or "").split(",") if y}


def forget(store, touched: Iterable[str]) -> None:
    """Take the years of the months ('YYYY-MM') a load is about to recount off the meta: reads of
    those years sum month rows until `write` has rewritten their year rows."""
    done = written(store)
    if done & {m[:4] for m in touched}:
        store.set_meta(META, meta_value(done - {m[:4] for m in touched}))


def year_rows(store, name: str, year: str):
    """One table's rows of one year, summed from its stored month rows of that year."""
    rollup = ROLLUPS[name]
    months = store.aggregate(name, "month", f"{year}-01", f"{year}-12", by=["period", *rollup.dims])
    return frames.coarsen(months, rollup, "year")


def write(store, touched: Iterable[str]) -> dict[str, int]:
    """Write the year rows of the closed years a load must (re)write, `touched` being the months
    ('YYYY-MM') it recounted; marks each year in the meta once all its tables are written.
    Returns {"table/year": rows written}: empty on most loads, which touch only the open year."""
    months = [f"{b}-12" for b in store.buckets(SPAN, "month")]  # a year's partition stands for its months
    done = written(store)
    counts: dict[str, int] = {}
    for year in years_to_write(months, touched, done):
        for name in YEARLY:
            key = f"{name}/year"
            counts[key] = counts.get(key, 0) + store.replace_periods(name, "year", [year], year_rows(store, name, year))
        done.add(year)
        store.set_meta(META, meta_value(done))
    return counts
