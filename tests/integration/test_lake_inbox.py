"""The lake's inbox (pipeline/lake/inbox.py) on real Spark and real Delta: a fold keeps the newest
version of every request whatever the order, leaves the inbox empty, keeps an append that commits
while it runs, and, killed between its two commits, merges the same rows again to no effect; a
batch load folds the inbox with its own rows but recounts only its own months."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pyspark.sql import functions as F

from pipeline.ingest import exports as ingest
from pipeline.ingest.normalize import tag_unusable
from pipeline.lake import inbox
from pipeline.lake import table as lake
from pipeline.lake.changes import LOAD_ID_BASE
from pipeline.rollups import batch
from pipeline.stores import open_store

pytestmark = pytest.mark.integration

NOW = datetime(2022, 6, 1, tzinfo=UTC)
OLD_MONTH = "2019-01"


def cleaned(spark, path: str):
    """The sample's usable rows as a first load leaves them in the lake (one version per request)."""
    rows = lake.with_load_id(tag_unusable(ingest.read_exports(spark, path)).where("_reason is null"), 1)
    return lake.latest_versions(rows.select(*lake.LAKE_COLUMNS))


def versions_of(rows, days: int, status: str, batch_id: int):
    """The same requests as the streaming job would hand them over: updated `days` after the lake's
    version (negative: an older version arriving late), from micro-batch `batch_id`."""
    when = F.coalesce("updated_at", "created_at") + F.expr(f"INTERVAL {days} DAYS")
    return rows.withColumns({"status": F.lit(status), "updated_at": when,
                             "_load_id": F.lit(LOAD_ID_BASE + batch_id).cast("bigint")})


def state(spark, path: str) -> dict[str, tuple[str, int]]:
    rows = lake.read(spark, path).select("unique_key", "status", F.unix_micros("updated_at")).collect()
    assert len(rows) == len({r[0] for r in rows})  # one row per request
    return {r[0]: (r[1], r[2]) for r in rows}


def in_inbox(spark, path: str) -> set[str]:
    return {r[0] for r in spark.read.format("delta").load(inbox.path_of(path)).select("unique_key").collect()}


@pytest.fixture
def lake_path(spark, sample_csv, tmp_path):
    path = str(tmp_path / "lake")
    lake.merge(spark, path, cleaned(spark, sample_csv))
    return path


def test_a_fold_keeps_the_newest_version_of_each_request_and_empties_the_inbox(spark, sample_csv, lake_path):
    before = state(spark, lake_path)
    # versions with an update time: the lake's version of a request without one is older than any
    rows = cleaned(spark, sample_csv).where("updated_at is not null").orderBy("unique_key").limit(30).cache()
    newer, older, fresh = rows.limit(10), rows.orderBy(F.desc("unique_key")).limit(10), rows.limit(5)
    inbox.append(spark, lake_path, versions_of(newer, 1, "Closed", 1))
    inbox.append(spark, lake_path, versions_of(older, -30, "Open", 2))  # late and older than the lake's: loses
    fresh = versions_of(fresh, 0, "Open", 3).withColumn("unique_key", F.concat(F.lit("9"), "unique_key"))
    inbox.append(spark, lake_path, fresh)
    months = sorted({r[0] for r in rows.select(lake.PARTITION).distinct().collect()})

    assert inbox.fold(spark, lake_path) == months
    got = state(spark, lake_path)
    want = dict(before)
    for r in versions_of(newer, 1, "Closed", 1).select("unique_key", "status", F.unix_micros("updated_at")).collect():
        want[r[0]] = (r[1], r[2])
    for r in fresh.select("unique_key", "status", F.unix_micros("updated_at")).collect():
        want[r[0]] = (r[1], r[2])
    assert got == want and len(got) == len(before) + 5
    assert in_inbox(spark, lake_path) == set()
    # nothing left: a second fold changes nothing
    assert inbox.fold(spark, lake_path) == [] and state(spark, lake_path) == got


def test_an_append_committed_while_a_fold_runs_stays_for_the_next_fold(spark, sample_csv, lake_path, monkeypatch):
    rows = cleaned(spark, sample_csv).orderBy("unique_key").limit(20).cache()
    first, during = versions_of(rows.limit(10), 1, "Closed", 1), versions_of(rows.orderBy(F.desc("unique_key")).limit(10), 2, "Closed", 2)
    inbox.append(spark, lake_path, first)
    forget = inbox._forget

    def append_then_forget(spark_, path, stamps):  # the stream's next hand-over lands between the fold's commits
        inbox.append(spark, lake_path, during)
        forget(spark_, path, stamps)
    monkeypatch.setattr(inbox, "_forget", append_then_forget)
    inbox.fold(spark, lake_path)
    monkeypatch.undo()
    late = {r[0] for r in during.select("unique_key").collect()}
    assert in_inbox(spark, lake_path) == late
    assert {k for k, (s, _) in state(spark, lake_path).items() if s == "Closed"} >= {r[0] for r in first.select("unique_key").collect()}

    inbox.fold(spark, lake_path)
    assert in_inbox(spark, lake_path) == set()
    assert {k: v for k, v in state(spark, lake_path).items() if k in late} == {
        r[0]: (r[1], r[2]) for r in during.select("unique_key", "status", F.unix_micros("updated_at")).collect()}


def test_a_fold_killed_before_its_delete_merges_the_same_rows_again_to_no_effect(spark, sample_csv, lake_path, monkeypatch):
    rows = versions_of(cleaned(spark, sample_csv).orderBy("unique_key").limit(10), 1, "Closed", 1)
    inbox.append(spark, lake_path, rows)

    def killed(*_):
        raise RuntimeError("killed between the lake's commit and the inbox's")
    monkeypatch.setattr(inbox, "_forget", killed)
    with pytest.raises(RuntimeError):
        inbox.fold(spark, lake_path)
    monkeypatch.undo()
    after_first = state(spark, lake_path)
    keys = {r[0] for r in rows.select("unique_key").collect()}
    assert in_inbox(spark, lake_path) == keys and {after_first[k][0] for k in keys} == {"Closed"}

    inbox.fold(spark, lake_path)
    assert state(spark, lake_path) == after_first and in_inbox(spark, lake_path) == set()


def test_a_load_folds_the_inbox_with_its_rows_and_recounts_only_its_months(spark, sample_csv, tmp_path):
    lake_path = str(tmp_path / "lake")
    live = versions_of(cleaned(spark, sample_csv).orderBy("unique_key").limit(5), 1, "Closed", 1).withColumns({
        "unique_key": F.concat(F.lit("7"), "unique_key"), lake.PARTITION: F.lit(OLD_MONTH),
        "created_at": F.lit("2019-01-15 12:00:00").cast("timestamp")})  # late closings of an old month
    inbox.append(spark, lake_path, live)
    store = open_store(f"sqlite:///{tmp_path}/rollups.db")
    try:
        sample_months = sorted({r[0] for r in cleaned(spark, sample_csv).select(lake.PARTITION).distinct().collect()})
        report = batch.load_input(spark, store, sample_csv, lake_path, str(tmp_path / "quarantine"), now=NOW)
    finally:
        store.close()
    assert report.months == sample_months and OLD_MONTH not in sample_months
    got = state(spark, lake_path)
    assert {r[0] for r in live.select("unique_key").collect()} <= set(got)
    assert len(got) == cleaned(spark, sample_csv).count() + 5
    assert in_inbox(spark, lake_path) == set()
