"""Each rollup of pipeline/rollups/tables.py, defined once as a DataFrame function.

Why one function for every grain: the batch job computes day and month rows from the lake and the
streaming job computes minute rows from live events with this same `compute_rollup`, so a count on
the live page and on the history pages can never disagree by definition.

Semantics (New York time: the session time zone is America/New_York, pipeline/spark.py):
- a request counts in the day/month/minute it was created;
- `status`: the current status of the requests created in the period;
- `resolution`: closed_at - created_at in hours, only where positive, binned by RESOLUTION_BINS_H
  (res_bin = index of the first upper bound >= the value);
- `timeliness`: with_due = has a due date, on_time = closed_at <= due_at, late = closed_at >
  due_at, open_past_due = not closed and due_at < `now` (the time of the load);
- `how` (hours_of_week): weekday (Monday = 0) * 24 + hour;
- `cell`: the H3 cell of latitude/longitude (pipeline/rollups/hexes.py), Unspecified without them.
"""
from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from pipeline.rollups.tables import (
    BUCKET_LENGTHS,
    INT_DIMS,
    PERIOD_FORMATS,
    RESOLUTION_BINS_H,
    ROLLUPS,
    TIMELINESS_MEASURES,
    Rollup,
)
from pipeline.schema import UNSPECIFIED


def resolution_hours(df: DataFrame) -> Column:
    return (F.unix_micros(F.col("closed_at")) - F.unix_micros(F.col("created_at"))) / 3.6e9


def res_bin(hours: Column) -> Column:
    """Index of the first bin whose upper bound is >= hours."""
    expr = F.when(hours <= RESOLUTION_BINS_H[0], F.lit(0))
    for i, bound in enumerate(RESOLUTION_BINS_H[1:], start=1):
        expr = expr.when(hours <= bound, F.lit(i)) if bound != float("inf") else expr.otherwise(F.lit(i))
    return expr


def hour_of_week(ts: Column) -> Column:
    """0 = Monday 00:00-00:59 ... 167 = Sunday 23:00-23:59 (Spark's dayofweek: Sunday = 1)."""
    return ((F.dayofweek(ts) + 5) % 7) * 24 + F.hour(ts)


def _count(cond: Column) -> Column:
    return F.sum(F.when(cond, 1).otherwise(0)).cast("long")


def _timeliness(now: datetime) -> list[Column]:
    """The timeliness measures; with_due counts the due dates, so it is the rows' count once the rows
    without one are left out (compute_rollup) and the count of those with one when they are not
    (count_together)."""
    closed, due = F.col("closed_at"), F.col("due_at")
    return [F.count(due).alias("with_due"), _count(closed.isNotNull() & (closed <= due)).alias("on_time"),
            _count(closed > due).alias("late"), _count(closed.isNull() & (due < F.lit(now))).alias("open_past_due")]


def _rows(df: DataFrame, rollup: Rollup, now: datetime) -> tuple[DataFrame, list[Column]]:
    """The rows a rollup counts (with its derived dimension columns) and its measure expressions.
    Chosen by the rollup's derived dimension or measures, not its name, so a narrow twin of a rollup
    (pipeline/rollups/tables.py) counts exactly what the wide one does."""
    if "cell" in rollup.dims and "cell" not in df.columns:  # H3 cell of the coordinates (hotspots)
        from pipeline.rollups.hexes import with_cell
        df = with_cell(df)
    if "res_bin" in rollup.dims:
        hours = resolution_hours(df)
        return df.where(hours > 0).withColumn("res_bin", res_bin(hours)), [F.count(F.lit(1)).alias("n")]
    if "how" in rollup.dims:
        return df.withColumn("how", hour_of_week(F.col("created_at"))), [F.count(F.lit(1)).alias("n")]
    if rollup.measures == TIMELINESS_MEASURES:
        return df.where(F.col("due_at").isNotNull()), _timeliness(now)
    if rollup.measures != ("n",):
        raise ValueError(f"rollup {rollup.name!r}: no definition for measures {rollup.measures}")
    return df, [F.count(F.lit(1)).alias("n")]


def compute_rollup(df: DataFrame, rollup: Rollup | str, grain: str, now: datetime | None = None) -> DataFrame:
    """The rows of `rollup` at `grain` from normalised requests, columns exactly `rollup.columns`."""
    rollup = ROLLUPS[rollup] if isinstance(rollup, str) else rollup
    if grain not in PERIOD_FORMATS:
        raise ValueError(f"unknown grain {grain!r}")
    now = now or datetime.now(UTC)
    rows, measures = _rows(df, rollup, now)
    period = F.date_format(F.col("created_at"), PERIOD_FORMATS[grain])
    dims = [F.col(d).cast("int").alias(d) if d in INT_DIMS else F.coalesce(F.col(d), F.lit(UNSPECIFIED)).alias(d)
            for d in rollup.dims]
    out = rows.groupBy(period.alias("period"), *dims).agg(*measures)
    return out.select(F.lit(grain).alias("grain"), F.substring("period", 1, BUCKET_LENGTHS[grain]).alias("bucket"),
                      "period", *rollup.dims, *rollup.measures)


def coarsen(rows: DataFrame, rollup: Rollup | str, grain: str) -> DataFrame:
    """Rows of `rollup` at a coarser grain from finer ones (day -> month, minute -> day).

    Equal to compute_rollup at that grain because every measure is a count, hence additive; the
    batch job uses it to aggregate the requests once instead of once per grain."""
    rollup = ROLLUPS[rollup] if isinstance(rollup, str) else rollup
    length = {"month": 7, "day": 10}[grain]
    period = F.substring("period", 1, length)
    out = rows.groupBy(period.alias("period"), *rollup.dims).agg(
        *[F.sum(m).cast("long").alias(m) for m in rollup.measures])
    return out.select(F.lit(grain).alias("grain"), F.substring("period", 1, BUCKET_LENGTHS[grain]).alias("bucket"),
                      "period", *rollup.dims, *rollup.measures)


def _together_dims(rollups: list[Rollup]) -> list[str]:
    return sorted({d for r in rollups for d in r.dims})


def _grouping_sets(rollups: list[Rollup]) -> list[tuple[str, ...]]:
    return list(dict.fromkeys(("period", *r.dims) for r in rollups))


def count_together(df: DataFrame, rollups: list[Rollup], grain: str, now: datetime | None = None) -> DataFrame:
    """The rows of several rollups at `grain` in one Spark job: grouping sets over their dimensions,
    every measure counted for every set, and `_set` (Spark's grouping id) telling the sets apart;
    `split_together` takes each rollup's rows out, equal to its compute_rollup. Why: over a day's
    month (~290,000 requests) each compute_rollup is a ~0.5 s job that waits mostly on scheduling, and
    a load counts 11 of them (and 13 more over its changed requests); one job with every set took
    3.3 s against 5.1 s for the eleven. Not for a large recount: its answer holds every rollup's
    rows at once on the driver.

    Equal by construction to compute_rollup's filters: the resolution rollups count the rows with a
    positive resolution time, so res_bin is null for the others and their groups are dropped; the
    timeliness rollups count the rows with a due date, so a group is theirs only with with_due > 0."""
    if any("cell" in r.dims or r.measures not in (("n",), TIMELINESS_MEASURES) for r in rollups):
        raise ValueError("count_together counts request rollups without cells; use compute_rollup")
    now = now or datetime.now(UTC)
    hours = resolution_hours(df)
    derived = {"res_bin": F.when(hours > 0, res_bin(hours)).cast("int"),
               "how": hour_of_week(F.col("created_at")).cast("int")}
    dims = _together_dims(rollups)
    rows = df.select(F.date_format(F.col("created_at"), PERIOD_FORMATS[grain]).alias("period"), "closed_at", "due_at",
                     *[(derived[d] if d in derived else F.coalesce(F.col(d), F.lit(UNSPECIFIED))).alias(d) for d in dims])
    return rows.groupingSets([list(s) for s in _grouping_sets(rollups)], *dims, "period").agg(
        F.grouping_id().alias("_set"), F.count(F.lit(1)).alias("n"), *_timeliness(now))


def split_together(counted: pd.DataFrame, rollups: list[Rollup], grain: str) -> dict[str, pd.DataFrame]:
    """{rollup name: its rows} out of count_together's answer (as pandas), each with the columns and
    dtypes compute_rollup's toPandas gives."""
    order = [*_together_dims(rollups), "period"]  # grouping_id: a bit per column, set when not grouped
    out = {}
    for r in rollups:
        kept = {"period", *r.dims}
        gid = sum(1 << (len(order) - 1 - i) for i, c in enumerate(order) if c not in kept)
        rows = counted[counted["_set"] == gid]
        if "res_bin" in r.dims:
            rows = rows[rows["res_bin"].notna()]
        if r.measures == TIMELINESS_MEASURES:
            rows = rows[rows["with_due"] > 0]
        rows = rows.astype({d: "int32" for d in r.dims if d in INT_DIMS})
        out[r.name] = pd.DataFrame({"grain": grain, "bucket": rows["period"].str.slice(0, BUCKET_LENGTHS[grain]),
                                    **{c: rows[c] for c in ("period", *r.dims, *r.measures)}}).reset_index(drop=True)
    return out
