"""The place column in the lake: a lake written before it existed keeps working (its rows read as
Unspecified, the next merge adds the column), and the streaming job's rows carry the place, so
`batch --recompute` counts streamed requests by place (real Spark, real Delta, SQLite store)."""
from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path

import pytest
from pyspark.sql import functions as F

from pipeline.lake import table as lake
from pipeline.producers.produce import read_export
from pipeline.read.api import Filters
from pipeline.read.hotspots import HotspotAPI
from pipeline.rollups import batch
from pipeline.stores import open_store
from pipeline.stream.job import parse_events
from pipeline.streams import events as ev

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "nyc_311_sample_2022.csv"
NOW = datetime(2022, 6, 1, tzinfo=UTC)


def streamed(spark, records):
    """The lake rows the streaming job makes of `records` (events as parse_events reads them)."""
    values = [ev.encode(ev.make_event(r, "created", r["created_at"], NOW, "replay"))[1].decode() for r in records]
    rows = parse_events(spark.createDataFrame([(v, None, None) for v in values], "value string, partition int, offset long"))
    rows = rows.where("_reason is null").withColumns(  # the state keeps times as epoch microseconds
        {c: F.timestamp_micros(c) for c in ev.TIME_FIELDS})
    return (lake.with_load_id(rows, 2)
            .withColumn("_row_id", F.monotonically_increasing_id()).select(*lake.LAKE_COLUMNS))


def test_an_old_lake_gains_the_place_and_recompute_counts_streamed_requests(spark, tmp_path):
    path = str(tmp_path / "lake")
    records = list(islice(read_export(SAMPLE), 60))
    old, new = records[:30], records[30:]
    # a lake of the layout before `address`: the same rows without the column
    streamed(spark, old).drop("address").write.format("delta").partitionBy(lake.PARTITION).save(path)
    before = lake.read(spark, path)
    assert before.count() == 30 and {r[0] for r in before.select("address").distinct().collect()} == {"Unspecified"}

    lake.merge(spark, path, streamed(spark, new))
    assert "address" in spark.read.format("delta").load(path).columns
    got = {r.unique_key: r.address for r in lake.read(spark, path).select("unique_key", "address").collect()}
    assert {k: got[k] for k in (r["unique_key"] for r in new)} == {r["unique_key"]: r["address"] for r in new}
    assert all(got[r["unique_key"]] == "Unspecified" for r in old)

    store = open_store(f"sqlite:///{tmp_path}/rollups.db")
    try:
        batch.recompute(spark, store, path, date(2022, 5, 1), now=NOW)
        shown = HotspotAPI(store, cache=False).hotspot_places(Filters(), None, 1000)
        want = Counter((r["address"], r["borough"]) for r in new if r["address"] != "Unspecified")
        assert Counter({(a, b): int(n) for a, b, n in zip(shown["address"], shown["borough"], shown["count"],
                                                         strict=True)}) == want
    finally:
        store.close()
