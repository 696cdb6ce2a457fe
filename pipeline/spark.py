"""The one place a SparkSession is built (jobs receive it; tests share one per session).

Why these settings: the exports are New York local time, so the session time zone is
America/New_York and every day/hour/minute bucket is a New York bucket; shuffles are small on a
2-core box; the Kafka connector and Delta Lake jars are fetched ahead by `make jars` and passed as
spark.jars so a session never resolves anything over the network at start. Every session has Delta
(the lake is a Delta table, pipeline/lake.py); only sessions that read Kafka carry its connector.
"""
from __future__ import annotations

import glob
import os

from pipeline.schema import NY_TZ
from pipeline.settings import Settings, get


def cached_jars(settings: Settings, folder: str) -> list[str]:
    """The jars of one folder of the jar cache (scripts/fetch-jars.sh); a clear error if not fetched."""
    jars = sorted(glob.glob(str(settings.path(settings.jar_cache) / folder / "*.jar")))
    if not jars:
        raise RuntimeError(f"jars missing under {settings.jar_cache}/{folder}: run `make jars`")
    return jars


def build_session(app_name: str, settings: Settings | None = None, with_kafka: bool = False,
                  shuffle_partitions: int | None = None):
    from pyspark.sql import SparkSession

    s = settings or get()
    os.environ.setdefault("PYSPARK_PYTHON", os.path.realpath(os.sys.executable))
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # local mode stays on loopback
    builder = (
        SparkSession.builder.appName(app_name)
        .master(s.spark_master)
        .config("spark.driver.memory", s.spark_driver_memory)
        .config("spark.sql.session.timeZone", NY_TZ)
        .config("spark.driver.extraJavaOptions", f"-Duser.timezone={NY_TZ}")
        .config("spark.executor.extraJavaOptions", f"-Duser.timezone={NY_TZ}")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions or (4 if s.spark_master.startswith("local") else 64)))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
    )
    jars = cached_jars(s, "delta") + (cached_jars(s, "spark-kafka") if with_kafka else [])
    builder = builder.config("spark.jars", ",".join(jars))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark
