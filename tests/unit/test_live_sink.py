"""The sink's write path without Spark: write_batch is a plain function over a frame, so one
micro-batch (usable events, a malformed message, a replay of the same batch) can be run against
the embedded store and the spool here, and its rows read back: only the live rows whose count changed
are written (pipeline/stream/live_counts.py), zeros when a row empties, nothing on a replay."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from pipeline.settings import load
from pipeline.stream import sink as live_sink
from pipeline.stream.state import STATE_COLUMNS, RequestState
from pipeline.streams.spool import SpoolStream

pytestmark = pytest.mark.unit

NOW = pd.Timestamp("2026-12-02 12:00", tz="America/New_York")


class Frame:
    """What foreachBatch hands the sink, as far as the sink uses it."""

    def __init__(self, rows: pd.DataFrame):
        self.rows = rows

    def toPandas(self) -> pd.DataFrame:  # noqa: N802 - Spark's name
        return self.rows.copy()


def message(key: str, minute: int, borough: str = "Bronx", reason: str | None = None) -> dict:
    created = NOW - pd.Timedelta(minutes=minute)
    micros = created.value // 1000
    row = {c: None for c in STATE_COLUMNS if c != "batch_id"}
    row.update(unique_key=key, created_at=micros, event_time=micros, produced_at=micros, borough=borough,
               complaint_type="Noise", agency="NYPD", community_district="201", zip="10451", descriptor=None,
               status="Open", channel="PHONE", created_month=created.strftime("%Y-%m"), event_type="created",
               period=created.strftime("%Y-%m-%dT%H:%M"), version=f"{micros:020d}")
    return {**row, "value": None if reason is None else '{"bad"', "_bytes": 7, "partition": None, "offset": None,
            "_reason": reason}


@pytest.fixture
def sink(tmp_path):
    settings = load(env={"NYC311_STORE_URL": f"sqlite:///{tmp_path}/live.db", "NYC311_LAKE_PATH": str(tmp_path / "lake")})
    state_path = tmp_path / "checkpoint" / "request_state.db"
    state = RequestState(state_path)
    s = live_sink.open_sink(None, settings, "live", state, state_path, -1.0, SpoolStream(tmp_path / "spool"),
                            clock=lambda: NOW.timestamp())
    yield s
    s.close()
    state.close()


def test_a_batch_and_its_replay_write_the_same_rows(sink, tmp_path):
    batch = Frame(pd.DataFrame([message("1", 5), message("2", 5), message("3", 6, "Queens"),
                                message("x", 5, reason="not a JSON object")]))
    for _ in range(2):  # a replayed batch (crash after the sink, before the commit) changes nothing
        sink.write_batch(batch, 0)
        rows = sink.raw_store.select("live_requests")
        assert sorted(zip(rows["borough"], rows["n"], strict=True)) == [("Bronx", 2), ("Queens", 1)]
        dead = [json.loads(line) for f in (tmp_path / "spool-dlq").iterdir() for line in f.read_text().splitlines()]
        assert [d["reason"] for d in dead] == ["not a JSON object"]
    status = sink.raw_store.select("pipeline_status", {"job": "live"}).iloc[0]
    assert (status["batch_rows"], status["malformed_batch"], status["requests_tracked"]) == (4, 1, 3)
    assert pd.isna(status["lag_messages"])  # the spool has no offsets
    assert sink.raw_store.select("pipeline_health", {"job": "live"}).iloc[0]["state"] == "running"


def test_a_request_that_moves_leaves_a_zero_behind(sink):
    sink.write_batch(Frame(pd.DataFrame([message("1", 5)])), 0)
    moved = message("1", 5, "Queens")
    moved["version"] = moved["version"] + "1"
    sink.write_batch(Frame(pd.DataFrame([moved])), 1)
    rows = sink.raw_store.select("live_requests")
    assert dict(zip(rows["borough"], rows["n"], strict=True)) == {"Bronx": 0, "Queens": 1}


def test_the_sink_writes_changed_rows_only_and_nothing_on_a_replay(sink, monkeypatch):
    written = []
    upsert = sink.store.upsert
    monkeypatch.setattr(sink.store, "upsert", lambda t, rows, **kw: (written.append((t, len(rows))), upsert(t, rows, **kw)))
    first = Frame(pd.DataFrame([message("1", 5), message("2", 5)]))
    sink.write_batch(first, 0)
    assert ("live_requests", 1) in written
    written.clear()
    sink.write_batch(first, 0)  # the replay
    assert not [t for t, _ in written if t.startswith("live_")]
    sink.write_batch(Frame(pd.DataFrame([message("3", 7, "Queens")])), 1)
    assert [(t, n) for t, n in written if t == "live_requests"] == [("live_requests", 1)]  # Bronx did not change


def test_a_row_only_a_refused_batch_had_is_never_written_again(sink, monkeypatch):
    """A store that refuses one row: its batch is taken back request by request, the refused request
    dead-lettered, and the next batches are written without meeting that row again."""
    upsert = sink.store.upsert

    def refuse_staten_island(table, rows, **kw):
        if "borough" in rows and (rows["borough"] == "Staten Island").any():
            raise ValueError("refused")
        return upsert(table, rows, **kw)

    monkeypatch.setattr(sink.store, "upsert", refuse_staten_island)
    sink.write_batch(Frame(pd.DataFrame([message("1", 5), message("2", 5, "Staten Island")])), 0)
    sink.write_batch(Frame(pd.DataFrame([message("3", 5)])), 1)
    rows = sink.raw_store.select("live_requests")
    assert dict(zip(rows["borough"], rows["n"], strict=True)) == {"Bronx": 2}
    assert sink.state.count() == 2
