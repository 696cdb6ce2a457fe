"""The streaming job's request state: pruning waits for the lake, and skipped Kafka offsets are counted once."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.stream.state import STATE_COLUMNS, RequestState

pytestmark = pytest.mark.unit
HOUR = 3600 * 10**6


def events(*rows: tuple[str, int]) -> pd.DataFrame:
    cols = [c for c in STATE_COLUMNS if c != "batch_id"]
    return pd.DataFrame([{**dict.fromkeys(cols), "unique_key": k, "created_at": t, "period": "p",
                          "version": f"{t:020d}"} for k, t in rows], columns=cols)


def test_a_request_leaves_the_state_only_once_the_lake_has_it(tmp_path):
    state = RequestState(tmp_path / "s.db")
    state.apply(0, events(("old", 0), ("new", 100 * HOUR)), 0)
    state.apply(1, events(("late", 0)), 0)  # a closing of an old request, not yet in the lake
    assert state.prune(50 * HOUR, merged_upto=0) == 1  # only `old`: `late` is newer than the lake
    assert set(state.changed_since(0)["unique_key"]) == {"late"}
    assert state.prune(50 * HOUR, merged_upto=1) == 1 and state.count() == 1


def test_offsets_skipped_between_batches_are_counted_once(tmp_path):
    state = RequestState(tmp_path / "s.db")
    assert state.record_offsets(0, {0: (0, 9), 1: (0, 4)}) == 0
    assert state.record_offsets(1, {0: (10, 19), 1: (105, 110)}) == 100  # partition 1 lost 5..104
    assert state.record_offsets(1, {0: (10, 19), 1: (105, 110)}) == 100  # a replay: the same gap, not twice
    assert state.offsets_lost() == 100
