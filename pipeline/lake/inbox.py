"""The lake's inbox: the streaming job appends the requests it changed; the batch job folds them in.

Why not merge from the live job: a MERGE rewrites the files of every month it touches, and the
city's updates close requests weeks old, so the changes of one minute at 2,000 events/s (90-150 k
requests over dozens of months) took 22-24 s to merge on our two cores. Run every 60 s beside the
micro-batches, that stretched them from 0.6 s to 2-3 s and put the live rows' freshness at p95 6 s
(target 3 s). An append writes one file and rewrites none. The batch job, which rewrites those
months anyway, merges the inbox in the same MERGE as its own rows (a load, the nightly recompute),
so the lake gets one rewrite per month per load instead of one per minute.

Why nothing is lost or counted twice: a fold is a lake merge, in which the newest version of a
request wins whatever the order it arrives in, so folding a row again changes nothing; the folded
rows leave the inbox only after the lake's commit, and only the appends the fold read (each append
carries its own stamp, `_appended`, so an append committed while the fold ran stays for the next).
A kill between the two commits leaves rows that the next fold merges again, to no effect.

The inbox is a Delta table beside the lake (`<lake>_inbox`), unpartitioned: it holds at most the
changes since the last load, and readers of history (the batch) fold it before they read the lake.
"""
from __future__ import annotations

import logging
import time
import uuid

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipeline.lake import table as lake

log = logging.getLogger("pipeline.lake.inbox")

STAMP = "_appended"  # one value per append (epoch ns): what a fold deletes once the lake has the rows


def path_of(lake_path: str) -> str:
    """Where a lake's inbox lives: a sibling folder (or key prefix) of the lake."""
    return f"{lake_path.rstrip('/')}_inbox"


def append(spark: SparkSession, lake_path: str, rows: DataFrame) -> None:
    """Append lake rows (with the LOAD_SEQ columns) as one commit of one file. Blind appends never
    conflict with a fold running at the same time; `committed` retries what else might."""
    stamped = rows.select(*lake.LAKE_COLUMNS).withColumn(STAMP, F.lit(time.time_ns()).cast("bigint")).coalesce(1)
    writer = stamped.write.format("delta").mode("append")
    lake.committed(lambda: writer.save(path_of(lake_path)), "appending to the inbox")


def fold(spark: SparkSession, lake_path: str, new: DataFrame | None = None, months: list[str] | None = None) -> list[str]:
    """Merge `new` (lake rows; `months`: theirs, when the caller knows) and every row in the inbox
    into the lake in one commit, then delete the folded appends from the inbox; returns the months
    of `new` (or of the inbox's rows when `new` is None), as lake.merge does."""
    inbox = path_of(lake_path)
    if not lake.exists(spark, inbox):
        return lake.merge(spark, lake_path, new, months) if new is not None else []
    version = _version(spark, inbox)
    pending = spark.read.format("delta").option("versionAsOf", version).load(inbox)
    found = pending.groupBy(lake.PARTITION).agg(F.collect_set(STAMP).alias("stamps")).collect()
    if not found:
        return lake.merge(spark, lake_path, new, months) if new is not None else []
    inbox_months = sorted(r[0] for r in found)
    stamps = sorted({s for r in found for s in r["stamps"]})
    rows = pending.select(*lake.LAKE_COLUMNS)
    if new is not None:
        mine = sorted(months) if months is not None else sorted(r[0] for r in new.select(lake.PARTITION).distinct().collect())
        lake.merge(spark, lake_path, new.select(*lake.LAKE_COLUMNS).unionByName(rows), sorted({*mine, *inbox_months}))
    else:
        mine = inbox_months
        lake.merge(spark, lake_path, rows, inbox_months)
    _forget(spark, inbox, stamps)
    log.info("lake: folded %d append(s) of the inbox (%s) into the lake", len(stamps), ", ".join(inbox_months))
    return mine


def _version(spark: SparkSession, path: str) -> int:
    return int(spark.sql(f"DESCRIBE HISTORY delta.`{path}` LIMIT 1").select("version").first()[0])


def _forget(spark: SparkSession, inbox: str, stamps: list[int]) -> None:
    """Delete the appends a fold merged (by their stamps, as a MERGE: a DELETE's IN list of
    thousands of literals would be planned as thousands of ORs)."""
    view = f"inbox_folded_{uuid.uuid4().hex}"
    spark.createDataFrame([(s,) for s in stamps], f"{STAMP} bigint").createOrReplaceTempView(view)
    sql = f"MERGE INTO delta.`{inbox}` t USING {view} s ON t.{STAMP} = s.{STAMP} WHEN MATCHED THEN DELETE"
    try:
        lake.committed(lambda: spark.sql(sql), "deleting folded rows from the inbox")
    finally:
        spark.catalog.dropTempView(view)
