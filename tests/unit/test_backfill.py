"""A rollup added after a store was loaded (pipeline/rollups/backfill.py): the partitions it lacks are
summed from its parent's stored rows, equal to the rows a recount of the requests gives, and a store
whose rollups are all written gets nothing."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.rollups import backfill
from pipeline.rollups.families import summed_parents
from pipeline.rollups.hotspot_rows import FINEST
from pipeline.rollups.tables import ROLLUPS
from pipeline.stores import open_store
from tests.support.rollup_fixtures import load, loaded_sqlite, make_requests, rollup_rows, with_places

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
    # the batch sums each from that parent: a day family's, or the finest hotspot rows (month-only rollups)
    assert all(summed_parents().get(child) == parent or (parent == FINEST and "day" not in ROLLUPS[child].grains)
               for child, parent in backfill.ADDED_LATER.items())
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


def test_a_clicked_cell_reads_cell_places_once_a_load_has_filled_it(tmp_path):
    """cell_places (a cell's places summed over types) added to a store loaded before it: a cell's list
    reads places_by_cell until backfill.fill has summed it from those rows, then cell_places (a type's
    list still reads places_by_cell), with the same answer, a recount of the requests."""
    from pipeline.read.api import Filters
    from pipeline.read.hotspots import HotspotAPI
    reqs = with_places(make_requests(seed=7, n=1500))
    store = loaded_sqlite(reqs, tmp_path)
    by_type = store.aggregate("cell_places", "month", "2024-01", "2024-12", by=["period", "cell", "address"])
    store._conn().execute("DELETE FROM cell_places")  # as a store loaded before the rollup existed
    before = HotspotAPI(store, cache=False)
    assert before._cell_table({}) == "places_by_cell"
    cells = list(before.hotspot_cells(Filters())["cell"].head(4))
    lists = {cell: before.hotspot_places(Filters(), cell, 1000) for cell in cells}
    written = backfill.fill(store, backfill.ADDED_LATER)
    assert written["cell_places/month"] > 0 and store.get_meta(backfill.filled_key("cell_places")) == "1"
    pd.testing.assert_frame_equal(  # summed from places_by_cell: the rows the load had written
        store.aggregate("cell_places", "month", "2024-01", "2024-12", by=["period", "cell", "address"]), by_type)
    after = HotspotAPI(store, cache=False)
    assert after._cell_table({"borough": "Bronx"}) == "cell_places"
    assert after._cell_table({"complaint_type": "HEAT/HOT WATER"}) == "places_by_cell"  # no type in it
    for cell in cells:
        got = after.hotspot_places(Filters(), cell, 1000)
        pd.testing.assert_frame_equal(got, lists[cell])
        mine = reqs[(reqs["cell"] == cell) & (reqs["address"] != "Unspecified")]
        assert dict(zip(got["address"], got["count"], strict=True)) == mine.groupby("address").size().to_dict()
    store.close()
