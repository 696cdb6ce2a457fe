"""A rollup added after a store was loaded: its rows summed, once, from the rollup it is a sum of.

Why: the batch job writes only the months a load touches, so a new derived rollup (one the batch
sums from a counted one, pipeline/rollups/batch.py `day_families`) would start empty in an existing
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
        for grain in ROLLUPS[child].grains:
            have = set(store.buckets(child, grain))
            for bucket in (b for b in store.buckets(parent, grain) if b not in have):
                periods, rows = child_rows(store, parent, child, grain, bucket)
                if periods:
                    key = f"{child}/{grain}"
                    written[key] = written.get(key, 0) + store.replace_periods(child, grain, periods, rows)
    return written
