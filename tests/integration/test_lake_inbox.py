"""The lake's inbox (pipeline/lake/inbox.py) on real Spark and real Delta: a fold keeps the newest
version of every request whatever the order, leaves the inbox empty, keeps a file handed over while
it runs, and, killed between the lake's commit and its deletes, merges the same rows again to no
effect; the streaming job's hand-over, killed before its mark, hands the same requests over again
and they fold once; a batch load folds the inbox with its own rows but recounts only its own months."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pandas as pd
import pytest
from pyspark.sql import functions as F

from pipeline.ingest import exports as ingest
from pipeline.ingest.normalize import tag_unusable
from pipeline.lake import inbox
from pipeline.lake import table as lake
from pipeline.lake.changes import LOAD_ID_BASE
from pipeline.rollups import batch
from pipeline.stores import open_store
from pipeline.stream.lake_merger import LakeMerger
from pipeline.stream.state import STATE_COLUMNS, RequestState

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
    files = inbox.pending(spark, path)
    return {r[0] for r in spark.read.schema(lake.LAKE_DDL).parquet(*files).select("unique_key").collect()} if files else set()


def hand_over(spark, lake_path: str, rows, tmp_path) -> str:
    """Lake rows into the inbox as the streaming job hands them over: one staged Parquet file."""
    out = tmp_path / f"staged-{uuid.uuid4().hex}"
    rows.select(*lake.LAKE_COLUMNS).coalesce(1).write.parquet(str(out))
    return inbox.hand_over(spark, lake_path, next(out.glob("part-*.parquet")))


@pytest.fixture
def lake_path(spark, sample_csv, tmp_path):
    path = str(tmp_path / "lake")
    lake.merge(spark, path, cleaned(spark, sample_csv))
    return path


def test_a_fold_keeps_the_newest_version_of_each_request_and_empties_the_inbox(spark, sample_csv, lake_path, tmp_path):
    before = state(spark, lake_path)
    # versions with an update time: the lake's version of a request without one is older than any
    rows = cleaned(spark, sample_csv).where("updated_at is not null").orderBy("unique_key").limit(30).cache()
    newer, older, fresh = rows.limit(10), rows.orderBy(F.desc("unique_key")).limit(10), rows.limit(5)
    hand_over(spark, lake_path, versions_of(newer, 1, "Closed", 1), tmp_path)
    hand_over(spark, lake_path, versions_of(older, -30, "Open", 2), tmp_path)  # late and older than the lake's: loses
    fresh = versions_of(fresh, 0, "Open", 3).withColumn("unique_key", F.concat(F.lit("9"), "unique_key"))
    hand_over(spark, lake_path, fresh, tmp_path)
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


def test_a_file_handed_over_while_a_fold_runs_stays_for_the_next_fold(spark, sample_csv, lake_path, monkeypatch, tmp_path):
    rows = cleaned(spark, sample_csv).orderBy("unique_key").limit(20).cache()
    first, during = versions_of(rows.limit(10), 1, "Closed", 1), versions_of(rows.orderBy(F.desc("unique_key")).limit(10), 2, "Closed", 2)
    hand_over(spark, lake_path, first, tmp_path)
    folder = tmp_path / "lake_inbox"
    dead = folder / f".{inbox.PREFIX}1-dead{inbox.SUFFIX}.tmp"  # the copy of a hand-over killed before its rename
    dead.write_bytes(b"PAR1")
    forget, names = inbox._forget, []

    def hand_over_then_forget(spark_, path, files):  # the stream's next hand-over lands between the fold's steps
        names.append(hand_over(spark, lake_path, during, tmp_path))
        forget(spark_, path, files)
    monkeypatch.setattr(inbox, "_forget", hand_over_then_forget)
    monkeypatch.setattr(inbox, "STALE_S", -1)  # every hidden copy counts as old
    inbox.fold(spark, lake_path)
    monkeypatch.undo()
    late = {r[0] for r in during.select("unique_key").collect()}
    assert in_inbox(spark, lake_path) == late
    # the dead copy is swept; the waiting file is not
    assert not dead.exists() and (folder / names[0]).exists()
    assert {k for k, (s, _) in state(spark, lake_path).items() if s == "Closed"} >= {r[0] for r in first.select("unique_key").collect()}

    inbox.fold(spark, lake_path)
    assert in_inbox(spark, lake_path) == set()
    assert {k: v for k, v in state(spark, lake_path).items() if k in late} == {
        r[0]: (r[1], r[2]) for r in during.select("unique_key", "status", F.unix_micros("updated_at")).collect()}


def test_a_fold_killed_before_its_delete_merges_the_same_rows_again_to_no_effect(spark, sample_csv, lake_path, monkeypatch, tmp_path):
    rows = versions_of(cleaned(spark, sample_csv).orderBy("unique_key").limit(10), 1, "Closed", 1)
    hand_over(spark, lake_path, rows, tmp_path)

    def killed(*_):
        raise RuntimeError("killed between the lake's commit and the inbox's deletes")
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
    hand_over(spark, lake_path, live, tmp_path)
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


def test_a_fold_whose_files_a_fold_beside_it_deleted_skips_them(spark, sample_csv, lake_path, tmp_path, monkeypatch):
    """A load and a recompute fold at once and list the same file; the one that reads it after the
    other deleted it (found by the concurrency test: FAILED_READ_FILE.FILE_NOT_EXIST) skips it."""
    hand_over(spark, lake_path, versions_of(cleaned(spark, sample_csv).orderBy("unique_key").limit(10), 1, "Closed", 1), tmp_path)
    listed = inbox.pending(spark, lake_path)
    inbox.fold(spark, lake_path)  # the other fold: merged, then deleted
    after = state(spark, lake_path)
    monkeypatch.setattr(inbox, "pending", lambda *_: listed)  # this one listed them before that
    inbox.fold(spark, lake_path, cleaned(spark, sample_csv).limit(1))
    assert state(spark, lake_path) == after

def state_rows(keys, batch_id: int, closed: bool = False) -> pd.DataFrame:
    """Requests as the streaming job's state holds them (times in epoch microseconds)."""
    t0 = int(NOW.timestamp()) * 10**6
    cols = [c for c in STATE_COLUMNS if c != "batch_id"]
    return pd.DataFrame([{**dict.fromkeys(cols), "unique_key": k, "created_at": t0 + i, "created_month": "2022-05",
                          "period": "p", "complaint_type": "Noise", "borough": "BRONX",
                          "status": "Closed" if closed else "Open", "closed_at": t0 + 10**9 if closed else None,
                          "updated_at": t0 + (10**9 if closed else 0), "version": f"{int(closed)}{k}{batch_id}"}
                         for i, k in enumerate(keys)], columns=cols)


def test_a_hand_over_killed_before_its_mark_hands_the_requests_over_again_and_they_fold_once(spark, tmp_path, monkeypatch):
    state_path = tmp_path / "checkpoint" / "request_state.db"
    state_path.parent.mkdir()
    state = RequestState(state_path)
    state.apply(0, state_rows(["a", "b", "c"], 0), 0)
    lake_path = str(tmp_path / "lake")
    merger = LakeMerger(spark, lake_path, state_path, every=0)

    def killed(*_):
        raise KeyboardInterrupt("killed after the file is in, before the mark")
    monkeypatch.setattr(RequestState, "set_mark", killed)
    with pytest.raises(KeyboardInterrupt):
        merger.merge(force=True)
    monkeypatch.undo()
    assert len(inbox.pending(spark, lake_path)) == 1 and state.mark("lake_batch") is None

    state.apply(1, state_rows(["c"], 1, closed=True), 0)
    merger.merge(force=True)  # a, b again, and c's closing
    assert len(inbox.pending(spark, lake_path)) == 2 and state.mark("lake_batch") == 1
    assert inbox.fold(spark, lake_path) == ["2022-05"]
    got = lake.read(spark, lake_path).select("unique_key", "status").collect()
    assert sorted((r[0], r[1]) for r in got) == [("a", "Open"), ("b", "Open"), ("c", "Closed")]
    assert inbox.pending(spark, lake_path) == []
    state.close()
