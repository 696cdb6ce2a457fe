"""The lake's inbox: the streaming job drops the requests it changed there; the batch job folds them in.

Why not merge from the live job: a MERGE rewrites the files of every month it touches, and the
city's updates close requests weeks old, so the changes of one minute at 2,000 events/s (90-150 k
requests over dozens of months) took 22-24 s to merge on our two cores. Run every 60 s beside the
micro-batches, that stretched them from 0.6 s to 2-3 s and put the live rows' freshness at p95 6 s
(target 3 s). Even a Delta append of them was a Spark job of 5-7 s, and it still held the batches
up (p95 6.3 s). The job already stages its changes as a Parquet file of lake rows
(pipeline/lake/changes.py); handing that file over is a copy and a rename, no Spark job at all.
The batch job, which rewrites those months anyway, merges the inbox's files in the same MERGE as
its own rows (a load, the nightly recompute), so the lake gets one rewrite per month per load
instead of one per minute.

Why nothing is lost or counted twice: a fold is a lake merge, in which the newest version of a
request wins whatever the order it arrives in, so folding a row again changes nothing; a fold
deletes only the files it listed before it read them, and only after the lake's commit, so a file
handed over while it runs stays for the next fold, and a kill between the commit and the deletes
leaves files that the next fold merges again, to no effect. Two folds at once (a load and a
recompute) may list the same file: the one that reads it after the other deleted it skips it, since
the deleting fold had committed its rows to the lake first. A file appears whole or not at all: it
is written under a hidden name and renamed.

The inbox is a folder beside the lake (`<lake>_inbox`), reached through Hadoop's FileSystem like
the lake itself (a local folder, hdfs://, s3a://). Readers of history (the batch) fold it before
they read the lake.
"""
from __future__ import annotations

import logging
import time
import uuid
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from pipeline.lake import table as lake

log = logging.getLogger("pipeline.lake.inbox")

PREFIX, SUFFIX = "changes-", ".parquet"  # a handed-over file; anything else in the folder is not one (yet)
STALE_S = 3600  # a hidden .tmp file this old (or its checksum) is the copy of a hand-over killed before its rename


def path_of(lake_path: str) -> str:
    """Where a lake's inbox lives: a sibling folder (or key prefix) of the lake."""
    return f"{lake_path.rstrip('/')}_inbox"


def hand_over(spark: SparkSession, lake_path: str, staged: Path) -> str:
    """Move a local Parquet file of lake rows (with the LOAD_SEQ columns) into the inbox, whole or
    not at all; returns its name there. A copy and a rename through the JVM: no Spark job."""
    folder, fs = lake.filesystem(spark, path_of(lake_path))
    hadoop = spark._jvm.org.apache.hadoop.fs
    name = f"{PREFIX}{time.time_ns()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
    hidden, final = hadoop.Path(folder, f".{name}.tmp"), hadoop.Path(folder, name)
    fs.mkdirs(folder)
    fs.copyFromLocalFile(True, True, hadoop.Path(Path(staged).resolve().as_uri()), hidden)
    if not fs.rename(hidden, final):
        raise OSError(f"could not rename {hidden} to {final}")
    return name


def pending(spark: SparkSession, lake_path: str) -> list[str]:
    """The files in the inbox now, oldest first (a hidden copy in flight does not match)."""
    return sorted(st.getPath().toString() for st in lake.globbed(spark, f"{path_of(lake_path)}/{PREFIX}*{SUFFIX}"))


def fold(spark: SparkSession, lake_path: str, new: DataFrame | None = None, months: list[str] | None = None) -> list[str]:
    """Merge `new` (lake rows; `months`: theirs, when the caller knows) and every file in the inbox
    into the lake in one commit, then delete those files; returns the months of `new` (or of the
    inbox's rows when `new` is None), as lake.merge does."""
    files = pending(spark, lake_path)
    if not files:
        return lake.merge(spark, lake_path, new, months) if new is not None else []
    # The folder, narrowed to the files listed: one handed over since waits for the next fold, and one
    # gone by the time Spark plans or reads it (or reads it again for a retried commit) was merged and
    # deleted by a fold beside this one, after its lake commit, so its rows are in the lake already.
    # (Naming the files to read instead fails the whole read on the first one missing.)
    names = [f.rsplit("/", 1)[-1] for f in files]
    rows = (spark.read.schema(lake.LAKE_DDL).option("ignoreMissingFiles", "true")
            .option("pathGlobFilter", f"{PREFIX}*{SUFFIX}").parquet(path_of(lake_path))
            .where(F.col("_metadata.file_name").isin(names)).select(*lake.LAKE_COLUMNS))
    inbox_months = sorted(r[0] for r in rows.select(lake.PARTITION).distinct().collect())
    if new is None:
        mine = inbox_months
    else:
        mine = sorted(months) if months is not None else sorted(r[0] for r in new.select(lake.PARTITION).distinct().collect())
        rows = new.select(*lake.LAKE_COLUMNS).unionByName(rows)
    lake.merge(spark, lake_path, rows, sorted({*mine, *inbox_months}))
    _forget(spark, lake_path, files)
    log.info("lake: folded %d file(s) of the inbox (%s) into the lake", len(files), ", ".join(inbox_months))
    return mine


def _forget(spark: SparkSession, lake_path: str, files: list[str]) -> None:
    """Delete the files a fold merged (one already gone: a fold beside this one deleted it), and the
    copies hand-overs killed before their rename left."""
    _, fs = lake.filesystem(spark, path_of(lake_path))
    hadoop = spark._jvm.org.apache.hadoop.fs
    for f in files:
        fs.delete(hadoop.Path(f), False)
    for st in lake.globbed(spark, f"{path_of(lake_path)}/.*{PREFIX}*.tmp*"):
        if st.getModificationTime() < (time.time() - STALE_S) * 1000:
            fs.delete(st.getPath(), False)
