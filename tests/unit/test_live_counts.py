"""The live counts the request state keeps by triggers (pipeline/stream/live_counts.py) against its own
recount (RequestState.counts, the definition), after any sequence of what the streaming job does to the
state: new requests, newer versions that move a request to another row, replays, batches taken back and
prunes. What the sink writes from them is in test_live_sink.py."""
from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as S

from pipeline.rollups.tables import LIVE_ROLLUPS
from pipeline.stream import live_counts
from pipeline.stream.state import STATE_COLUMNS, RequestState

pytestmark = pytest.mark.unit

APPLIED = [c for c in STATE_COLUMNS if c != "batch_id"]
PERIODS = ("2026-12-02T11:00", "2026-12-02T11:01", "2026-12-02T11:02")


def request(key: str, version: int, period: str, borough: str, zip_: str, descriptor: str | None,
            created_at: int = 10**15) -> dict:
    row = dict.fromkeys(APPLIED)
    row.update(unique_key=key, created_at=created_at, period=period, version=f"{version:04d}", borough=borough,
               complaint_type="Noise", agency="NYPD", community_district="201", zip=zip_, descriptor=descriptor)
    return row


def kept(state: RequestState) -> dict[str, set]:
    out = {}
    for r in LIVE_ROLLUPS:
        rows = state.conn.execute(f"SELECT * FROM {live_counts.table_of(r)} WHERE n != 0").fetchall()
        out[r.live_table] = {row[:-1] for row in rows}  # (period, *dims, n)
    return out


def recounted(state: RequestState) -> dict[str, set]:
    return {r.live_table: set(state.counts(PERIODS, r.dims).itertuples(index=False, name=None)) for r in LIVE_ROLLUPS}


events = S.builds(request, key=S.sampled_from("abcdef"), version=S.integers(0, 5), period=S.sampled_from(PERIODS),
                  borough=S.sampled_from(("Bronx", "Queens")), zip_=S.sampled_from(("10451", "11101")),
                  descriptor=S.sampled_from(("Loud Music/Party", None)))
steps = S.lists(S.one_of(
    S.tuples(S.just("apply"), S.lists(events, max_size=6)),
    S.tuples(S.just("replay"), S.just(None)),
    S.tuples(S.just("put_back"), S.lists(events, min_size=1, max_size=4)),
    S.tuples(S.just("prune"), S.integers(0, 3)),
), max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_kept_counts_equal_the_recount_after_any_sequence(tmp_path_factory, plan):
    state = RequestState(tmp_path_factory.mktemp("s") / "state.db")
    last, batch = None, 0
    for op, arg in plan:
        if op == "apply" and arg:
            batch += 1
            last = (batch, pd.DataFrame(arg, columns=APPLIED).sort_values("version"))
            state.apply(*last, 0)
        elif op == "replay" and last is not None:
            state.apply(*last, 0)  # Spark replays the batch after a crash: same versions, same batch id
        elif op == "put_back":
            batch += 1
            good = pd.DataFrame(arg, columns=APPLIED).sort_values("version")
            before = state.by_keys(good["unique_key"].unique())
            state.apply(batch, good, 0)
            state.put_back(list(good["unique_key"].unique()), before)
        elif op == "prune":
            state.prune(10**15 + 1, arg)  # every request, once its batch is at most `arg`
        assert kept(state) == recounted(state)
    state.close()


def test_a_state_from_before_the_kept_counts_is_counted_and_all_of_it_written(tmp_path):
    path = tmp_path / "state.db"
    state = RequestState(path)
    state.apply(1, pd.DataFrame([request("a", 1, PERIODS[0], "Bronx", "10451", None),
                                 request("b", 1, PERIODS[0], "Bronx", "10451", "Loud Music/Party")], columns=APPLIED), 0)
    state.counts_written()
    state.close()
    conn = sqlite3.connect(path)  # the state as the job before this change left it
    for r in LIVE_ROLLUPS:
        for name in live_counts._triggers(r):
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute(f"DROP TABLE {live_counts.table_of(r)}")
    conn.commit()
    conn.close()
    state = RequestState(path)
    assert kept(state) == recounted(state)
    dirty = state.dirty_counts(PERIODS[0])
    assert dirty["live_requests"].to_dict("records") == [
        {"period": PERIODS[0], "borough": "Bronx", "complaint_type": "Noise", "agency": "NYPD", "n": 2}]
    assert len(dirty["live_descriptors"]) == 2
    state.counts_written()
    assert all(f.empty for f in state.dirty_counts(PERIODS[0]).values())
    state.close()
