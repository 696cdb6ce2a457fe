"""The one place a SparkSession is built (jobs receive it; tests share one per session).

Why these settings: the exports are New York local time, so the session time zone is
America/New_York and every day/hour/minute bucket is a New York bucket; shuffles are small on a
2-core box; the Kafka connector and Delta Lake jars are fetched ahead by `make jars` and passed as
spark.jars so a session never resolves anything over the network at start. Every session has Delta
(the lake is a Delta table, pipeline/lake/table.py); only sessions that read Kafka carry its connector.

On a cluster (spark://, yarn, k8s://) executors connect back to the driver, so its address, bind
interface and ports are settings (spark_driver_*, spark_blockmanager_port; 127.0.0.1 and any free
port by default, which is right only for local mode and a cluster on the same machine).
"""
from __future__ import annotations

import glob
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.schema import NY_TZ
from pipeline.settings import Settings, load

# The streaming job's driver JVM runs for weeks beside its Python: these keep its resident memory near
# its heap. Serial GC has no G1 region tables and never grows past the heap; metaspace, the code
# cache and direct buffers are capped (native memory tracking in a 1.5 M catch-up: metaspace 194 MB,
# code 61 MB, other 48 MB in use at 10 min); glibc gets two malloc arenas instead of 8 per core (the
# JVM's native allocations from many threads otherwise spread over arenas of 64 MB each) and the JVM
# hands freed native memory back every 5 s (glibc keeps it otherwise: `jcmd <pid>
# System.trim_native_heap` freed 63 MB of a 1,153 MB driver 33 min into the 7.2 M catch-up). With the
# 512m heap (stream_driver_memory) the JVM stays near 1 GB resident; its Python: lean_memory.py.
# jdk.nio.maxCachedBufferSize: the JDK copies each heap buffer a socket or file reads into through a
# temporary direct buffer of the same size and keeps it in a per-thread cache; Spark's task threads
# come and go by the hundred, and Kafka fetches are up to megabytes, so that cache was the growth:
# NMT "Other" (direct buffers) rose from 26 to 127 MB through a 7.2 M catch-up. Buffers above 256 KB
# are now freed after use instead.
LEAN_JVM_OPTIONS = "-Djdk.nio.maxCachedBufferSize=262144 -XX:+UseSerialGC -XX:TrimNativeHeapInterval=5000 -XX:MaxMetaspaceSize=256m -XX:ReservedCodeCacheSize=64m -XX:MaxDirectMemorySize=256m -Xss1m"


def cached_jars(settings: Settings, folder: str) -> list[str]:
    """The jars of one folder of the jar cache (scripts/fetch-jars.sh); a clear error if not fetched."""
    jars = sorted(glob.glob(str(settings.path(settings.jar_cache) / folder / "*.jar")))
    if not jars:
        raise RuntimeError(f"jars missing under {settings.jar_cache}/{folder}: run `make jars`")
    return jars


def worker_python() -> str:
    """The interpreter Spark's Python workers run (when PYSPARK_PYTHON is unset): this one, by the
    path it was started as. Not its real path: a virtualenv's bin/python is a link to the base
    interpreter, which has none of the venv's packages (the hexagon rollups' workers failed on
    `import pandas` when the Procfile's `.venv/bin/python` was resolved that way)."""
    return os.path.abspath(sys.executable)


def build_session(app_name: str, settings: Settings | None = None, with_kafka: bool = False,
                  shuffle_partitions: int | None = None, driver_memory: str | None = None, lean: bool = False):
    """`driver_memory` overrides spark_driver_memory (the streaming job passes stream_driver_memory);
    `lean` adds LEAN_JVM_OPTIONS (the streaming job: driver and Python together under 1.5 GB)."""
    from pyspark.sql import SparkSession

    s = settings or load()
    os.environ.setdefault("PYSPARK_PYTHON", worker_python())
    if lean:
        os.environ.setdefault("MALLOC_ARENA_MAX", "2")  # inherited by the driver JVM started below
    os.environ.setdefault("SPARK_LOCAL_IP", s.spark_driver_bind_address)  # local mode stays on loopback
    partitions = str(shuffle_partitions or s.spark_shuffle_partitions or (4 if s.spark_master.startswith("local") else 64))
    builder = (
        SparkSession.builder.appName(app_name)
        .master(s.spark_master)
        .config("spark.driver.memory", driver_memory or s.spark_driver_memory)
        .config("spark.sql.session.timeZone", NY_TZ)
        .config("spark.driver.extraJavaOptions", f"-Duser.timezone={NY_TZ}" + (f" {LEAN_JVM_OPTIONS}" if lean else ""))
        .config("spark.executor.extraJavaOptions", f"-Duser.timezone={NY_TZ}")
        .config("spark.sql.shuffle.partitions", partitions)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.bindAddress", s.spark_driver_bind_address)
        .config("spark.driver.host", s.spark_driver_host)
        .config("spark.executor.memory", s.spark_executor_memory)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        # Delta rebuilds the table's file list (its snapshot) with a shuffle of this many partitions,
        # 50 by default. With 50 and 4 in turns on two busy cores, the 924-row sample's merge into a
        # new lake took 12.8-33 s against 4.2-7.0 s, and reading its month 3.0-4.7 s against 0.9-1.2 s
        # (the lake has thousands of files, not millions: a few partitions list them fast)
        .config("spark.databricks.delta.snapshotPartitions", partitions)
        # every new lake records its change feed (pipeline/lake/table.py CHANGE_FEED), and a merge marks
        # the rows it replaces in a deletion vector instead of rewriting their files: one more day's
        # merge into a month of ~270,000 requests took 5.7-6.2 s against 7.5-8.0 s
        .config("spark.databricks.delta.properties.defaults.enableChangeDataFeed", "true")
        .config("spark.databricks.delta.properties.defaults.enableDeletionVectors", "true")
    )
    for key, port in (("spark.driver.port", s.spark_driver_port), ("spark.blockManager.port", s.spark_blockmanager_port)):
        if port:
            builder = builder.config(key, str(port))
    jars = cached_jars(s, "delta") + (cached_jars(s, "spark-kafka") if with_kafka else [])
    builder = builder.config("spark.jars", ",".join(jars))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


# Whole-stage code generation gives up on a plan whose generated method exceeds this many bytes of
# bytecode. Spark's default (65535) keeps methods HotSpot never compiles (over 8000 bytes, its own
# limit), so they run interpreted: the normaliser's one projection (~40 columns, the place rules) is
# such a method. At 8000, as Spark's docs advise on HotSpot, such a plan runs expression by
# expression, each compiled: normalising the 1.6 M-row first start's rows took 21.5-21.6 s against
# 34.8-38.8 s (the second and third of three runs, one session per setting). Set by the batch job
# around its normalisation, and its rollups' counts when the load is large (pipeline/rollups/batch.py
# BULK_ROWS), not for the whole session: so set, a warm loader's day load took 36.8 and 38.0 s against
# 33.8 and 34.9 s (its small plans paid more compiling than they saved), and the stream's
# micro-batches were no faster.
BULK_CONF = {"spark.sql.codegen.hugeMethodLimit": "8000"}


@contextmanager
def session_conf(spark, conf: dict[str, str]) -> Iterator[None]:
    """Runtime SQL settings for the plans run inside the block, the previous values restored after it."""
    before = {k: spark.conf.get(k, None) for k in conf}
    for k, v in conf.items():
        spark.conf.set(k, v)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)
