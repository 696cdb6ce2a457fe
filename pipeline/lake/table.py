"""The cleaned-request lake: a Delta Lake table partitioned by created_month, one row per unique_key.

Why a table format: the city re-exports requests as they change (status, closed date), and the
streaming job sends the changes it sees, so both the batch job and the stream write new versions
of requests already in the lake, sometimes at the same moment. Delta commits each write atomically
(a new version of the table's log, or nothing), so a kill at any moment leaves the previous
version intact, and two writers never overwrite each other: the later commit sees the earlier and
either still applies or is retried against the new version (merge, below).

How a write works: the new rows are reduced to the newest version of each request (by updated_at,
then closed_at, then load sequence; nulls are oldest) and MERGEd by (created_month, unique_key):
an unknown request is inserted, a known one is replaced only if the incoming version is newer. A
re-run of the same file therefore changes nothing but the load sequence. The merge condition names
the touched months as literals, so Delta reads and rewrites only their files, and two merges into
different months never conflict.

Why keying on the month too: a request's month derives from its created date, which the city does
not change, so every version of a request lands in the same partition. (A version whose created
date did change would be kept in both months; we accept that edge.)

A lake written by the older layout (plain Parquet folders created_month=YYYY-MM) is converted in
place to Delta the first time it is written (CONVERT TO DELTA: it only writes the log). The lake
path may be a local folder or an hdfs:// / s3a:// URI; Spark does all the I/O. (On S3, Delta needs
its S3 log store for concurrent writers from more than one process: see docs/OPERATIONS.md.)
"""
from __future__ import annotations

import logging
import random
import re
import time
import uuid
from functools import reduce

from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import _parse_datatype_string

from pipeline.schema import REQUEST_COLUMN_NAMES, UNSPECIFIED, spark_ddl

log = logging.getLogger("pipeline.lake.table")

# The load sequence orders versions of one request: (load id, row id within the load), higher = later.
LOAD_SEQ = ("_load_id", "_row_id")
LAKE_DDL = f"{spark_ddl()}, _load_id bigint, _row_id bigint"
LAKE_COLUMNS = (*REQUEST_COLUMN_NAMES, *LOAD_SEQ)
PARTITION = "created_month"
# Newest first: a request's versions compare on these, in order (a null is older than any value).
VERSION_ORDER = ("updated_at", "closed_at", *LOAD_SEQ)
# A commit that lost a race with a concurrent writer (Delta's optimistic concurrency): try it again.
CONFLICT = re.compile(r"io\.delta\.exceptions\.(Concurrent\w*|MetadataChanged|ProtocolChanged)Exception"
                      r"|DELTA_CONCURRENT_|DELTA_METADATA_CHANGED|DELTA_PROTOCOL_CHANGED")
RETRIES = 8               # tries of one commit before the conflict is raised
BACKOFF_S = (0.2, 10.0)   # first and longest wait between them (doubling, with jitter)


def with_load_id(df: DataFrame, load_id: int) -> DataFrame:
    """Stamp rows of one load (they carry `_row_id` from the reader): later loads win ties."""
    return df.withColumn("_load_id", F.lit(load_id).cast("bigint"))


def latest_versions(df: DataFrame) -> DataFrame:
    """One row per unique_key: the newest version (nulls are oldest)."""
    w = Window.partitionBy("unique_key").orderBy(*[F.col(c).desc_nulls_last() for c in VERSION_ORDER])
    return df.withColumn("_rank", F.row_number().over(w)).where("_rank = 1").drop("_rank")


def filesystem(spark: SparkSession, path: str):
    """(`path` as a Hadoop Path, its FileSystem): local, hdfs:// and s3a:// alike, as Spark reaches them."""
    jvm_path = spark._jvm.org.apache.hadoop.fs.Path(path)
    return jvm_path, jvm_path.getFileSystem(spark._jsc.hadoopConfiguration())


def globbed(spark: SparkSession, pattern: str) -> list:
    """The FileStatus of every path a glob matches (none when its folder does not exist)."""
    jvm_path, fs = filesystem(spark, pattern)
    return list(fs.globStatus(jvm_path) or [])


def _fs_has(spark: SparkSession, pattern: str) -> bool:
    """Whether a path glob matches anything."""
    return bool(globbed(spark, pattern))


def empty(spark: SparkSession) -> DataFrame:
    """No rows, with the lake schema, built in the JVM. Why not createDataFrame([], LAKE_DDL): a
    DataFrame of a Python list starts Spark's Python workers just to read nothing, and in the
    streaming job they stayed resident (150-800 MB) beside the driver for the rest of its life."""
    fields = _parse_datatype_string(LAKE_DDL).fields
    return spark.range(0).select(*[F.lit(None).cast(f.dataType).alias(f.name) for f in fields])


def exists(spark: SparkSession, path: str) -> bool:
    """Whether the lake is a Delta table yet: a committed version in its log (Delta writes a commit
    to a dot-named temporary file and renames it). Not merely a `_delta_log` folder: a kill while
    the table was being created leaves one behind, empty, and every MERGE then failed with
    DELTA_TABLE_NOT_FOUND (found by the exactly-once test's kills)."""
    return _fs_has(spark, f"{path.rstrip('/')}/_delta_log/[0-9]*")


def _parquet_lake(spark: SparkSession, path: str) -> bool:
    """Whether `path` holds month folders of the lake's older plain-Parquet layout."""
    return _fs_has(spark, f"{path.rstrip('/')}/{PARTITION}=*")


def _quoted(path: str) -> str:
    """The path as a SQL identifier (delta.`path`, parquet.`path`)."""
    if "`" in path:
        raise ValueError(f"lake path may not contain a backtick: {path!r}")
    return f"`{path}`"


def is_conflict(exc: BaseException) -> bool:
    """Whether a failed commit lost a race with another writer (and is worth trying again)."""
    return bool(CONFLICT.search(str(exc)))


def committed(action, what: str, tries: int = RETRIES, sleep=time.sleep):
    """Run one Delta commit, trying it again (bounded, with back-off) while it conflicts with a
    concurrent writer: each try re-reads the table's newest version, so neither side's update is lost."""
    wait = BACKOFF_S[0]
    for attempt in range(1, tries + 1):
        try:
            return action()
        except Exception as exc:
            if attempt == tries or not is_conflict(exc):
                raise
            log.warning("lake: %s conflicted with a concurrent commit (try %d of %d); retrying in %.1f s",
                        what, attempt, tries, wait)
            sleep(wait * random.uniform(0.5, 1.0))
            wait = min(wait * 2, BACKOFF_S[1])


def ensure(spark: SparkSession, path: str) -> None:
    """Create the lake table if it is missing; convert an older plain-Parquet lake in place."""
    if exists(spark, path):
        evolve(spark, path)
        return
    if _parquet_lake(spark, path):
        log.info("lake: converting the Parquet lake at %s to Delta", path)
        sql = f"CONVERT TO DELTA parquet.{_quoted(path)} PARTITIONED BY ({PARTITION} string)"
        committed(lambda: exists(spark, path) or spark.sql(sql), "converting the table")
        evolve(spark, path)
        return
    # an empty write commits version 0, also over the empty _delta_log a killed creation leaves
    # (CREATE TABLE IF NOT EXISTS takes that folder for a table and skips); two creators conflict
    # like any other commits and the later one is retried
    create = empty(spark).write.format("delta").partitionBy(PARTITION).mode("append")
    committed(lambda: exists(spark, path) or create.save(path), "creating the table")


def _missing_columns(spark: SparkSession, path: str) -> list[tuple[str, str]]:
    """Lake columns (name, type) a table written by an older version lacks (e.g. `address`)."""
    have = set(spark.read.format("delta").load(path).columns)
    return [(f.name, f.dataType.simpleString()) for f in _parse_datatype_string(LAKE_DDL).fields
            if f.name not in have]


def evolve(spark: SparkSession, path: str) -> None:
    """Add the columns an older lake lacks (ALTER TABLE ADD COLUMNS: a log-only commit; old rows read
    them as null, and `read` fills those as the schema's default), so MERGE's `SET *` finds them."""
    def add():
        missing = _missing_columns(spark, path)
        if missing:
            cols = ", ".join(f"{c} {t}" for c, t in missing)
            spark.sql(f"ALTER TABLE delta.{_quoted(path)} ADD COLUMNS ({cols})")
    committed(add, "adding new columns")


# Columns added after the first lakes were written, and what their old rows read as.
ADDED_DEFAULTS = {"address": UNSPECIFIED}


def read(spark: SparkSession, path: str, months: list[str] | None = None, version: int | None = None) -> DataFrame:
    """The lake (optionally only some months: Delta then lists only their files; optionally as of
    one of its versions, see snapshot); empty with the lake schema when it does not exist."""
    if not exists(spark, path):
        if _parquet_lake(spark, path):  # an older Parquet lake not yet converted (see ensure)
            df = spark.read.schema(LAKE_DDL).parquet(path)
        else:
            return empty(spark)
    else:
        reader = spark.read.format("delta")
        df = (reader if version is None else reader.option("versionAsOf", version)).load(path)
    return _lake_columns(df, months)


def _lake_columns(df: DataFrame, months: list[str] | None) -> DataFrame:
    extra = [c for c in ("_change_type",) if c in df.columns]  # the change feed's, for changes()
    df = df.select(*[F.col(c) if c in df.columns else F.lit(None).cast("string").alias(c) for c in LAKE_COLUMNS], *extra)
    df = df.withColumns({c: F.coalesce(F.col(c), F.lit(v)) for c, v in ADDED_DEFAULTS.items()})
    return df if months is None else df.where(F.col(PARTITION).isin(months))


# The change feed (Delta's Change Data Feed) records, for every commit, the versions of the requests
# it inserted, replaced (the replaced one and its successor) or deleted. The batch reads it to learn
# which requests changed since the store's rollups were counted (pipeline/rollups/changed.py), so a
# day's load rewrites the rollup rows those requests count in, not its whole month. New lakes have it
# from their first commit (pipeline/spark.py sets the table default); snapshot turns it on for older ones.
CHANGE_FEED = "delta.enableChangeDataFeed"


class NoChangeFeed(RuntimeError):
    """The change feed does not cover the versions asked for (turned on later, or its files vacuumed)."""


def snapshot(spark: SparkSession, path: str) -> tuple[str, int]:
    """(the table's id, its newest version): the id tells a lake from another one at the same path
    (deleted and created again), whose versions start over. Turns the change feed on first (a commit
    of its own) if an older lake lacks it, so every version after the one returned has it."""
    quoted = _quoted(path)
    detail = spark.sql(f"DESCRIBE DETAIL delta.{quoted}").select("id", "properties").first()
    if (detail["properties"] or {}).get(CHANGE_FEED) != "true":
        committed(lambda: spark.sql(f"ALTER TABLE delta.{quoted} SET TBLPROPERTIES ({CHANGE_FEED} = true)"),
                  "turning the change feed on")
    return detail["id"], int(spark.sql(f"DESCRIBE HISTORY delta.{quoted} LIMIT 1").select("version").first()[0])


def changes(spark: SparkSession, path: str, after: dict[str, int], upto: int) -> DataFrame:
    """Every version of a request in each month of `after` that the commits after that month's version
    up to `upto` wrote, replaced or deleted, as lake rows with `_image`: "post" (written) or "pre"
    (replaced or deleted); materialised (a handful of rows per changed request, read by a Spark job
    per rollup family). Raises NoChangeFeed if the feed does not cover those commits."""
    start = min(after.values(), default=upto)
    if start >= upto:
        return empty(spark).withColumn("_image", F.lit("post"))
    feed = (spark.read.format("delta").option("readChangeFeed", "true")
            .option("startingVersion", start + 1).option("endingVersion", upto).load(path))
    since = reduce(lambda a, b: a | b, [(F.col(PARTITION) == m) & (F.col("_commit_version") > v) for m, v in after.items()])
    image = F.when(F.col("_change_type").isin("update_preimage", "delete"), "pre").otherwise("post")
    try:
        return _lake_columns(feed.where(since), None).withColumn("_image", image).drop("_change_type").localCheckpoint()
    except Exception as exc:  # AnalysisException / Py4JJavaError, by message (Delta's error classes vary by release)
        if re.search(r"DELTA_MISSING_CHANGE_DATA|change data|CDC|vacuum|FileNotFound", str(exc), re.I):
            raise NoChangeFeed(str(exc).splitlines()[0]) from exc
        raise


def months(spark: SparkSession, path: str, since_month: str | None = None) -> list[str]:
    """The months present in the lake (from its partition values), optionally from `since_month` on."""
    df = read(spark, path).select(PARTITION).distinct()
    if since_month:
        df = df.where(F.col(PARTITION) >= since_month)
    return sorted(r[0] for r in df.collect())


def merge(spark: SparkSession, path: str, new: DataFrame, months: list[str] | None = None) -> list[str]:
    """Merge normalised rows (with the LOAD_SEQ columns) into the lake in one atomic commit (retried
    while it conflicts with a concurrent writer); returns the months it touched (`months`: the
    caller has counted them already, which saves a Spark job)."""
    touched = sorted(months) if months is not None else sorted(r[0] for r in new.select(PARTITION).distinct().collect())
    if not touched:
        return []
    ensure(spark, path)
    view = f"lake_merge_{uuid.uuid4().hex}"  # one per call: the stream's merge thread and a batch may overlap
    latest_versions(new.select(*LAKE_COLUMNS)).createOrReplaceTempView(view)
    newer = (f"struct({', '.join(f's.{c}' for c in VERSION_ORDER)}) > "
             f"struct({', '.join(f't.{c}' for c in VERSION_ORDER)})")
    in_months = ", ".join(f"'{m}'" for m in touched)  # months are YYYY-MM (normalise derives them)
    sql = (f"MERGE INTO delta.{_quoted(path)} t USING {view} s "
           f"ON t.{PARTITION} IN ({in_months}) AND t.{PARTITION} = s.{PARTITION} AND t.unique_key = s.unique_key "
           f"WHEN MATCHED AND {newer} THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
    try:
        committed(lambda: spark.sql(sql), f"merge into {', '.join(touched)}")
    finally:
        spark.catalog.dropTempView(view)
    return touched
