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


def test_a_rollup_added_later_is_read_only_once_a_load_has_filled_it(tmp_path):
    """A store loaded before channel_boroughs existed holds none of its rows: the read API answers the
    channel counts from `channels` until backfill.fill has filled it and marked the store, then from it,
    and both answers equal the recount of the requests (a later rollup never reads as zero)."""
    from pipeline.read.api import Filters, ReadAPI
    reqs = make_requests(seed=5, n=1200)
    store = open_store(f"sqlite:///{tmp_path}/rollups.db")
    store.ensure_schema()
    load(store, reqs)
    store._conn().execute("DELETE FROM channel_boroughs")  # as a store loaded before the rollup existed
    api = ReadAPI(store, cache=False)
    assert backfill.ADDED_LATER.items() <= summed_parents().items()  # the batch sums each from that parent
    assert not api.filled("channel_boroughs")
    brooklyn = Filters(borough="Brooklyn")
    assert api._table(Filters(), "channel") == api._table(brooklyn, "channel") == "channels"
    recount = reqs.groupby("channel").size().sort_values(ascending=False)
    before = api.counts("channel")
    assert dict(zip(before["channel"], before["count"], strict=True)) == recount.to_dict()
    before_brooklyn = api.counts("channel", brooklyn)
    written = backfill.fill(store, summed_parents())
    assert {"channel_boroughs/day", "channel_boroughs/month"} <= set(written)
    assert store.get_meta(backfill.filled_key("channel_boroughs")) == "1"
    assert api._table(Filters(), "channel") == api._table(brooklyn, "channel") == "channel_boroughs"
    assert api._table(Filters(complaint_type="Noise"), "channel") == "channels"  # the type is not in it
    pd.testing.assert_frame_equal(api.counts("channel"), before)
    pd.testing.assert_frame_equal(api.counts("channel", brooklyn), before_brooklyn)
    store.close()
