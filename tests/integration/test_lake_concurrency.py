"""A batch load and a fold of the lake's inbox (a recompute's, beside it) commit to the same lake
month at the same time, while the streaming job keeps appending to the inbox (real Spark, real
Delta): Delta's optimistic commits conflict, the loser is retried, and both sides' updates are in
the lake afterwards, with one row per request."""
from __future__ import annotations

import csv
import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from pyspark.sql import functions as F

from pipeline.ingest import exports as ingest
from pipeline.ingest.normalize import tag_unusable
from pipeline.lake import inbox
from pipeline.lake import table as lake
from pipeline.producers.produce import read_export
from pipeline.rollups import batch
from pipeline.settings import load
from pipeline.stores import open_store
from pipeline.stream.job import parse_events
from pipeline.stream.sink import open_sink
from pipeline.stream.state import RequestState
from pipeline.streams import events as ev
from pipeline.streams.spool import SpoolStream

pytestmark = pytest.mark.integration

FMT = "%m/%d/%Y %I:%M:%S %p"
NOW = datetime(2022, 6, 1, tzinfo=UTC)
BY_BATCH, BY_STREAM, CHUNK = 100, 50, 10


def write_rows(path, header, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header)
        w.writeheader()
        w.writerows(rows)


def stream_messages(spark, records, closed: datetime):
    """One micro-batch of the stream, as parse_events sees it: closings of `records` at `closed`."""
    values = [ev.encode(ev.make_event({**r, "status": "Closed", "closed_at": closed, "updated_at": closed},
                                      "closed", closed, datetime.now(UTC), "socrata"))[1].decode() for r in records]
    return parse_events(spark.createDataFrame([(v, None, None) for v in values],
                                              "value string, partition int, offset long"))


def cleaned(spark, path: str, load_id: int):
    """The usable rows of an export, normalised and stamped as the batch job's extract makes them."""
    return lake.with_load_id(tag_unusable(ingest.read_exports(spark, path)).where("_reason is null"), load_id)


def versions(spark, lake_path: str) -> dict[str, tuple[str, int | None]]:
    """(status, closed_at in epoch microseconds) of every request in the lake."""
    rows = lake.read(spark, lake_path).select("unique_key", "status", F.unix_micros("closed_at")).collect()
    return {r[0]: (r[1], r[2]) for r in rows}


def micros(t: datetime) -> int:
    return int(t.timestamp()) * 10**6


def test_batch_load_and_inbox_folds_overlap_and_both_updates_land(spark, sample_csv, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="pipeline.lake.table")
    with open(sample_csv, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, rows = reader.fieldnames, sorted(reader, key=lambda r: r["Unique Key"])
    lake_path, quarantine = str(tmp_path / "lake"), str(tmp_path / "quarantine")
    store = open_store(f"sqlite:///{tmp_path}/rollups.db")
    lake.merge(spark, lake_path, cleaned(spark, sample_csv, load_id=1))  # the lake as a first load left it
    before = versions(spark, lake_path)

    # the batch side: a re-export closing the first BY_BATCH requests, plus ten requests new to the lake
    by_batch = rows[:BY_BATCH]
    batch_closed = datetime(2022, 5, 31, 12, 0, tzinfo=ev.NY)
    update = [{**r, "Status": "Closed", "Closed Date": batch_closed.strftime(FMT),
               "Resolution Action Updated Date": batch_closed.strftime(FMT)} for r in by_batch]
    update += [{**r, "Unique Key": f"8{i:07d}"} for i, r in enumerate(rows[-10:])]
    write_rows(tmp_path / "reexport.csv", header, update)
    # the stream side: closings of the next BY_STREAM requests, in micro-batches of CHUNK
    by_stream = sorted(read_export(sample_csv), key=lambda r: r["unique_key"])[BY_BATCH:BY_BATCH + BY_STREAM]
    stream_closed = datetime(2022, 5, 31, 18, 0, tzinfo=ev.NY)

    settings = load(env={"NYC311_STORE_URL": f"sqlite:///{tmp_path}/live.db", "NYC311_LAKE_PATH": lake_path})
    state_path = tmp_path / "checkpoint" / "request_state.db"
    state_path.parent.mkdir()
    state = RequestState(state_path)
    sink = open_sink(spark, settings, "concurrency", state, state_path, 3600.0, SpoolStream(tmp_path / "spool"),
                    clock=lambda: NOW.timestamp())
    batch_done, failures = threading.Event(), []

    def batch_side():
        try:
            batch.load_input(spark, store, str(tmp_path / "reexport.csv"), lake_path, quarantine, now=NOW)
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            failures.append(exc)
        finally:
            batch_done.set()

    loader = threading.Thread(target=batch_side)
    merges = 0
    try:
        # the stream appends micro-batch after micro-batch to the inbox, and each is folded into the
        # month the batch load merges into
        for i, start in enumerate(range(0, BY_STREAM, CHUNK)):
            sink.write_batch(stream_messages(spark, by_stream[start:start + CHUNK], stream_closed), i)
            sink.merge_lake(force=True)
            inbox.fold(spark, lake_path)
            merges += 1
            if i == 0:
                loader.start()
        extra = stream_closed
        probe = F.col("unique_key") == by_batch[0]["Unique Key"]

        def batch_committed() -> bool:
            return lake.read(spark, lake_path).where(probe).first().status == "Closed"
        while not batch_done.is_set() and not batch_committed():  # newer versions until the batch's merge is in
            extra += timedelta(minutes=1)
            i += 1
            sink.write_batch(stream_messages(spark, by_stream[-CHUNK:], extra), i)
            sink.merge_lake(force=True)
            inbox.fold(spark, lake_path)
            merges += 1
        loader.join()
        inbox.fold(spark, lake_path)  # what the load's own fold left for the next
    finally:
        sink.close()
        state.close()
        store.close()
    assert not failures, failures

    got = versions(spark, lake_path)
    assert len(got) == len(rows) + 10 == lake.read(spark, lake_path).count()  # one row per request
    assert {f"8{i:07d}" for i in range(10)} <= set(got)
    assert {got[r["Unique Key"]] for r in by_batch} == {("Closed", micros(batch_closed))}
    assert {got[r["unique_key"]] for r in by_stream[:-CHUNK]} == {("Closed", micros(stream_closed))}
    assert {got[r["unique_key"]] for r in by_stream[-CHUNK:]} == {("Closed", micros(extra))}
    untouched = {r["Unique Key"] for r in rows[BY_BATCH + BY_STREAM:]}
    assert {k: got[k] for k in untouched} == {k: before[k] for k in untouched}
    # the two sides did commit at the same time: at least one commit lost the race and was retried
    retried = [r for r in caplog.records if "conflicted with a concurrent commit" in r.getMessage()]
    assert retried, f"no commit conflicted in {merges} folds during the batch load"


def test_an_older_parquet_lake_is_converted_in_place_and_keeps_its_rows(spark, sample_csv, tmp_path):
    """A lake written before the Delta change (plain Parquet by created_month) is read as it is,
    converted on the first write, and merged like any Delta lake: nothing to migrate by hand."""
    old = lake.latest_versions(cleaned(spark, sample_csv, load_id=1).select(*lake.LAKE_COLUMNS))
    path = str(tmp_path / "lake")
    old.write.partitionBy(lake.PARTITION).parquet(path)  # the older layout, as its merge wrote it
    rows = old.count()
    assert not lake.exists(spark, path) and lake.read(spark, path).count() == rows

    first = old.orderBy("unique_key").first()
    newer = old.where(F.col("unique_key") == first.unique_key).withColumn("status", F.lit("Closed")).withColumn(
        "updated_at", F.coalesce("updated_at", "created_at") + F.expr("INTERVAL 1 DAY")).withColumn("_load_id", F.lit(2).cast("bigint"))
    assert lake.merge(spark, path, newer) == [first.created_month]
    assert lake.exists(spark, path)
    assert lake.read(spark, path).count() == rows
    assert lake.read(spark, path).where(F.col("unique_key") == first.unique_key).first().status == "Closed"


def test_a_lake_whose_creation_was_killed_is_created_by_the_next_merge(spark, sample_csv, tmp_path):
    """A kill inside CREATE TABLE leaves an empty `_delta_log` folder and no commit: the lake is
    not a table yet (reads give no rows), and the next merge creates it instead of failing with
    DELTA_TABLE_NOT_FOUND at every retry."""
    lake_path = tmp_path / "lake"
    (lake_path / "_delta_log").mkdir(parents=True)
    assert not lake.exists(spark, str(lake_path))
    assert lake.read(spark, str(lake_path)).count() == 0
    rows = cleaned(spark, sample_csv, load_id=1)
    lake.merge(spark, str(lake_path), rows)
    assert lake.exists(spark, str(lake_path))
    assert lake.read(spark, str(lake_path)).count() == rows.select("unique_key").distinct().count() > 0
