"""A rollup added after a store was loaded (pipeline/rollups/backfill.py): the partitions it lacks are
summed from its parent's stored rows, equal to the rows a recount of the requests gives, and a store
whose rollups are all written gets nothing."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.rollups import backfill
from pipeline.rollups.families import summed_parents
from pipeline.rollups.tables import ROLLUPS
from pipeline.stores import open_store
from tests.support.rollup_fixtures import load, make_requests, rollup_rows

pytestmark = pytest.mark.unit
NEW = "descriptor_districts"


def stored(store, grain: str) -> pd.DataFrame:
    first, last = ("2024-01-01", "2024-12-31") if grain == "day" else ("2024-01", "2024-12")
    return store.aggregate(NEW, grain, first, last, by=["period", *ROLLUPS[NEW].dims])


def expected(reqs: pd.DataFrame, grain: str) -> pd.DataFrame:
    rows = rollup_rows(reqs, NEW, grain)
    return rows[["period", *ROLLUPS[NEW].dims, "n"]]


def test_a_rollup_added_later_is_summed_from_its_parent_once(tmp_path):
    reqs = make_requests(seed=3, n=1500)
    store = open_store(f"sqlite:///{tmp_path}/rollups.db")
    store.ensure_schema()
    load(store, reqs)
    assert summed_parents()[NEW] == "district_descriptors"
    assert backfill.fill(store, summed_parents()) == {}  # every rollup written: nothing to do
    store._conn().execute(f"DELETE FROM {NEW}")  # as a store loaded before the rollup existed
    store._conn().execute("DELETE FROM district_descriptors WHERE grain = 'day' AND bucket = '2024-11'")
    written = backfill.fill(store, summed_parents())
    assert set(written) == {f"{NEW}/day", f"{NEW}/month"}
    assert store.buckets(NEW, "day") == ["2024-01", "2024-02", "2024-03", "2024-04"]  # not the parent's missing one
    for grain in ("day", "month"):
        want = expected(reqs, grain)
        if grain == "day":
            want = want[~want["period"].str.startswith("2024-11")]
        pd.testing.assert_frame_equal(stored(store, grain).reset_index(drop=True),
                                      want.sort_values(list(want.columns[:-1])).reset_index(drop=True), check_dtype=False)
    assert backfill.fill(store, summed_parents()) == {}  # once
    store.close()
