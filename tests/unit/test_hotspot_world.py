"""The benchmark's synthetic hotspot rows (bench/hotspot_world.py): the shape the hotspot read is
benchmarked on must look like a real month of the city (rows per request, heavy places, real cells)."""
from __future__ import annotations

import h3
import pandas as pd
import pytest

from bench.hotspot_world import NYC_BOX, HotspotWorld
from bench.read import World
from pipeline.read.hotspots import is_cell
from pipeline.rollups.hotspot_rows import FINEST, derived_tables
from pipeline.rollups.tables import HEX_RESOLUTION, ROLLUPS
from pipeline.schema import UNSPECIFIED

pytestmark = pytest.mark.unit
N = 266_000


@pytest.fixture(scope="module")
def hw():
    return HotspotWorld(World())


@pytest.fixture(scope="module")
def months(hw):
    return {m: hw.month(m, N) for m in ("2024-01", "2024-07")}


def test_columns_and_counts(months):
    for month, rows in months.items():
        assert list(rows.columns) == list(ROLLUPS[FINEST].columns)
        assert rows["n"].sum() == N
        assert (rows["grain"] == "month").all() and (rows["period"] == month).all()
        assert (rows["bucket"] == month[:4]).all()
        key = list(ROLLUPS[FINEST].key)
        assert not rows.duplicated(key).any()


def test_rows_per_request_like_the_city(months):
    """Winter (the heating type piles up at a few buildings) and summer both near the real 0.86."""
    for rows in months.values():
        assert 0.8 <= len(rows) / N <= 0.95


def test_cells_are_res8_inside_nyc(hw, months):
    lat0, lat1, lon0, lon1 = NYC_BOX
    cells = set().union(*(set(r["cell"]) for r in months.values()))
    assert UNSPECIFIED in cells
    cells.discard(UNSPECIFIED)
    assert 1500 <= len(hw.cells) <= 2500 and cells <= set(hw.cells)
    for cell in cells:
        assert is_cell(cell) and h3.get_resolution(cell) == HEX_RESOLUTION
        lat, lon = h3.cell_to_latlng(cell)
        assert lat0 <= lat <= lat1 and lon0 <= lon <= lon1


def test_missing_coordinates_and_addresses(months):
    rows = months["2024-07"]
    no_cell = rows.loc[rows["cell"] == UNSPECIFIED, "n"].sum() / N
    no_address = rows.loc[rows["address"] == UNSPECIFIED, "n"].sum() / N
    assert 0.015 <= no_cell <= 0.025 and 0.025 <= no_address <= 0.035


def test_heavy_persistent_places(months):
    """The top place has >= 100 requests, most places one, the same places stay busy, and a place
    keeps its district and cell."""
    tops = []
    for rows in months.values():
        known = rows[rows["address"] != UNSPECIFIED]
        places = known.groupby("address", sort=False)["n"].sum()
        assert places.max() >= 100
        assert (places == 1).mean() > 0.75
        tops.append(set(places.nlargest(100).index))
    assert len(tops[0] & tops[1]) >= 30
    known = rows[(rows["address"] != UNSPECIFIED) & (rows["cell"] != UNSPECIFIED)]
    assert not known.drop_duplicates(["address", "community_district", "cell"])["address"].duplicated().any()


def test_deterministic(hw):
    """The same seed gives the same rows from a fresh world; another seed another city."""
    pd.testing.assert_frame_equal(HotspotWorld(World()).month("2024-07", 5000), hw.month("2024-07", 5000))
    other = HotspotWorld(World(), seed=5)
    assert not (other.geography[1] == HotspotWorld(World()).geography[1]).all()


def test_default_count_and_derived_tables(hw, months):
    assert hw.requests("2023-02") == hw.per_day * 28 and hw.requests("2024-02") == hw.per_day * 29
    rows = months["2024-01"]
    tables = derived_tables(rows)
    assert tables[FINEST].equals(rows)
    assert tables["hex_cells"]["n"].sum() == N and len(tables["hex_cells"]) < len(rows) / 4
