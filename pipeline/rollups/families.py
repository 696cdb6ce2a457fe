"""Which rollups Spark counts and which the driver sums from them: the rollup families.

Why families: most rollups are sums of a wider one (same measures and derived dimensions, fewer
dimensions), so Spark counts the day rows of each rollup that is no other's sum (11 of 27) and the
rest are summed from that frame in pandas (pipeline/rollups/frames.py): a small load runs ~12 Spark
jobs instead of ~50. The batch job walks them twice when it can: over the months it recounts, and
over the requests that changed since the store was counted (pipeline/rollups/changed.py), to learn
which of the recounted rows to write.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime

import pandas as pd
from pyspark.sql import DataFrame

from pipeline.rollups import compute as rollups
from pipeline.rollups import frames
from pipeline.rollups.tables import DERIVED_DIMS, ROLLUPS, Rollup

# A count over at most this many requests counts every rollup family in one Spark job
# (compute.count_together): a day's load recounts its month (~290,000 requests at the city's volume),
# whose eleven jobs waited mostly on scheduling. Larger ones keep a job per family, so the driver
# holds one family's rows at a time: every family's day rows at once are ~2 per request, and with
# the default 2g driver 552,713 requests (1.15 M rows) were counted together, 1.6 M ran out of heap.
TOGETHER_ROWS = 600_000


def parent_of(rollup: Rollup, computed: dict[str, Rollup]) -> str | None:
    """An already computed rollup that the rollup is a sum of: same measures, same derived dimensions,
    a superset of its dimensions (every measure is a count, so summing over the extra ones is exact)."""
    derived = set(rollup.dims) & set(DERIVED_DIMS)
    return next((name for name, p in computed.items()
                 if p.measures == rollup.measures and set(p.dims) & set(DERIVED_DIMS) == derived
                 and set(rollup.dims) <= set(p.dims)), None)


def time_dependent(rollup: Rollup) -> bool:
    """Counts that change with the load time alone (open past due), in untouched days too."""
    return "open_past_due" in rollup.measures


def counted_days(requests: DataFrame, rollup: Rollup, now: datetime) -> pd.DataFrame:
    """A rollup's day rows counted by Spark from the requests, as pandas (one job)."""
    return rollups.compute_rollup(requests, rollup, "day", now=now).toPandas()


def day_families(parent: str | None = None) -> list[tuple[str, Rollup]]:
    """The day-grain rollups Spark counts (parent None: those no other is a sum of), or the ones
    summed from `parent`'s rows; each rollup's parent is the first counted rollup it is a sum of
    (parent_of over the rollups before it), so every rollup is in exactly one family."""
    counted: dict[str, Rollup] = {}
    out = []
    for name, rollup in ROLLUPS.items():
        if "day" not in rollup.grains:  # month-only rollups (hotspots): pipeline/rollups/hexes.py
            continue
        found = parent_of(rollup, counted)
        if found is None:
            counted[name] = rollup
        if found == parent:
            out.append((name, rollup))
    return out


def summed_parents() -> dict[str, str]:
    """{rollup: the counted rollup the batch sums it from} (pipeline/rollups/backfill.py fills the
    partitions a rollup added later lacks from the same parent)."""
    return {child: parent for parent, _ in day_families() for child, _ in day_families(parent)}


def untimed(key: str, work: Callable, *args):
    """A `timed` that only runs the work (day_rows' callers that report no stage times)."""
    return work(*args)


def counted_together(requests: DataFrame, counted: list[Rollup], now: datetime) -> dict[str, pd.DataFrame]:
    """Those rollups' day rows in one Spark job (pipeline/rollups/compute.py count_together)."""
    return rollups.split_together(rollups.count_together(requests, counted, "day", now=now).toPandas(), counted, "day")


def day_rows(requests: DataFrame, now: datetime, timed: Callable = untimed,
             skip: Callable[[Rollup], bool] = lambda rollup: False,
             together: bool = False) -> Iterator[tuple[str, Rollup, pd.DataFrame]]:
    """(name, rollup, day rows) of every day-grain rollup: a family's counted rollup, then the ones
    summed from it; not the families whose counted rollup `skip` names (its sums count what it does).
    The caller holds one family's frames at a time (`timed(key, work, *args)` may time the Spark and
    the pandas parts), or with `together` every family's counted rows, from one Spark job (a small
    recount: its jobs wait mostly on scheduling)."""
    counted = [(name, rollup) for name, rollup in day_families() if not skip(rollup)]
    held = timed("spark counts", counted_together, requests, [r for _, r in counted], now) if together else {}
    for name, rollup in counted:
        day = held.pop(name) if together else timed("spark counts", counted_days, requests, rollup, now)
        yield name, rollup, day
        for child, child_rollup in day_families(name):
            yield child, child_rollup, timed("driver sums", frames.coarsen, day, child_rollup, "day")
        del day


def timer(detail: dict[str, float]) -> Callable:
    """A `timed` for day_rows that adds each part's seconds to `detail`."""
    def timed(key: str, work: Callable, *args):
        t0 = time.perf_counter()
        out = work(*args)
        detail[key] = detail.get(key, 0.0) + time.perf_counter() - t0
        return out
    return timed
