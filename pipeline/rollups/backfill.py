"""Rows a store lacks because it was loaded before they existed, summed once from rows it holds: a
rollup added later, from the rollup it is a sum of (`fill`), and week rows, from each rollup's own
day rows (`fill_weeks`).

Why: the batch job writes only the months a load touches, so a new derived rollup (one the batch
sums from a counted one, pipeline/rollups/families.py `day_families`) would start empty in an existing
store and read as zero for every older month. Before a load writes, every partition that the parent
holds and the child lacks is summed from the parent's stored rows (exact: every measure is a count)
and written. A store whose rollups are all written costs one partition listing per table and grain.
No pyspark here: the stores' own reads and writes.
"""
from __future__ import annotations

import pandas as pd

from pipeline.rollups import frames
from pipeline.rollups.tables import ROLLUPS
from pipeline.stores import rows as rowlib

FIRST, LAST = "0001-01-01", "9999-12-31"  # every period of a bucket (periods_in cuts to the bucket)
# store meta: "1" once every month with day rows has its week rows. The key names the rollups that keep
# them, so a rollup given week rows later is read from its day rows until a load has filled it.
WEEK_ROWS = "week_rows:" + ",".join(name for name, r in ROLLUPS.items() if "week" in r.grains)
# Rollups added after stores held data, each with the parent it is a sum of (families.summed_parents for the day
# families; the finest hotspot rows, pipeline/rollups/hotspot_rows.py, for cell_places): the batch's backfill fills them.
# Until a load has filled one (`fill` marks the store: meta filled_key), the read API does not read it (it
# would read as zero for every month loaded before it existed) and answers from its parent, as before.
ADDED_LATER = {"channel_boroughs": "channels", "cell_places": "places_by_cell"}


def filled_key(name: str) -> str:
    return f"filled:{name}"


def child_rows(store, parent: str, child: str, grain: str, bucket: str) -> tuple[list[str], pd.DataFrame]:
    """The child's rows of one partition, summed from the parent's (periods, rows)."""
    rollup = ROLLUPS[child]
    periods = rowlib.periods_in(grain, bucket, FIRST, LAST)
    rows = store.aggregate(parent, grain, periods[0], periods[-1], by=["period", *rollup.dims])
    return sorted(set(rows["period"])), frames.coarsen(rows, rollup, grain)  # grain, bucket, column order


def fill(store, parents: dict[str, str]) -> dict[str, int]:
    """Write every partition a child lacks and its parent holds ({child: parent}); {"child/grain": rows}."""
    written: dict[str, int] = {}
    for child, parent in parents.items():
        # week rows: fill_weeks; year rows: pipeline/rollups/year_counts.py, after the load
        for grain in (g for g in ROLLUPS[child].grains if g not in ("week", "year")):
            have = set(store.buckets(child, grain))
            for bucket in (b for b in store.buckets(parent, grain) if b not in have):
                periods, rows = child_rows(store, parent, child, grain, bucket)
                if periods:
                    key = f"{child}/{grain}"
                    written[key] = written.get(key, 0) + store.replace_periods(child, grain, periods, rows)
        if child in ADDED_LATER and store.get_meta(filled_key(child)) != "1":
            store.set_meta(filled_key(child), "1")  # every partition the parent holds is now the child's too
    return written


def fill_weeks(store) -> dict[str, int]:
    """Write the week rows (tables.WEEK_GRAINS) of every month whose day rows a rollup holds and whose
    week rows it lacks, summed from those day rows, then mark the store (meta WEEK_ROWS): the read API
    reads week rows only in a marked store, so a store loaded before they existed keeps reading day
    rows until they are all written. {"table/week": rows}."""
    written: dict[str, int] = {}
    for name, rollup in ROLLUPS.items():
        if "week" not in rollup.grains:
            continue
        have = set(store.buckets(name, "week"))
        for bucket in (b for b in store.buckets(name, "day") if b not in have):
            days = rowlib.periods_in("day", bucket, FIRST, LAST)
            rows = store.aggregate(name, "day", days[0], days[-1], by=["period", *rollup.dims])
            periods = rowlib.periods_in("week", bucket, FIRST, LAST)
            written[f"{name}/week"] = written.get(f"{name}/week", 0) + store.replace_periods(
                name, "week", periods, frames.coarsen(rows, rollup, "week"))
    if store.get_meta(WEEK_ROWS) != "1":
        store.set_meta(WEEK_ROWS, "1")
    return written
