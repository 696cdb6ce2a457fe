"""The live side follows the rollup catalogue: a rollup given a live_table in pipeline/rollups/tables.py is
tracked by the streaming job's state with no second list to edit."""
from __future__ import annotations

import pytest

from pipeline.rollups.tables import LIVE_DIMS, LIVE_ROLLUPS, ROLLUPS
from pipeline.stream import live_counts
from pipeline.stream.state import STATE_COLUMNS, RequestState

pytestmark = pytest.mark.unit


def test_live_rollups_are_the_catalogues_rollups_with_a_live_table():
    assert {r.name for r in LIVE_ROLLUPS} == {r.name for r in ROLLUPS.values() if r.live_table}
    assert {r.name for r in LIVE_ROLLUPS} >= {"requests", "districts", "zips", "descriptors"}


def test_the_state_keeps_a_count_of_every_live_rollup_over_its_dimensions(tmp_path):
    assert set(LIVE_DIMS) == {d for r in LIVE_ROLLUPS for d in r.dims}
    assert len(set(LIVE_DIMS)) == len(LIVE_DIMS)
    # the state stores each of them, so its counts can group by any live rollup's dimensions
    assert {"period", *LIVE_DIMS} <= set(STATE_COLUMNS)
    state = RequestState(tmp_path / "state.db")
    for r in LIVE_ROLLUPS:
        columns = [row[1] for row in state.conn.execute(f"PRAGMA table_info({live_counts.table_of(r)})")]
        assert columns == ["period", *r.dims, "n", "dirty"]
    state.close()


def test_live_dimensions_keep_the_order_the_rollups_name_them():
    assert LIVE_DIMS == ("borough", "complaint_type", "agency", "community_district", "zip", "descriptor")
