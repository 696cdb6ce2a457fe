"""Hotspot reads: the places and H3 cells with the most requests for some filters.

Why a module of its own: pipeline/read/api.py is past its size limit; `HotspotAPI` is the ReadAPI
with these two queries added (app/data.py builds it), same caching, same store calls.

Month grain only (pipeline/rollups/tables.py `hotspots`, `hex_cells`): a range is read as the whole
months it touches (`month_span`), and each answer says which months in its `months` column, so
a page can label it. Filters: borough, community district, complaint type; agency and ZIP are not
kept in these rollups (NotKept). Every count is a sum of stored rows that keep every place, so it
equals a recount of the raw rows of those months (tests/integration/test_hotspots_recount.py).
"""
from __future__ import annotations

import re

import pandas as pd

from pipeline.read.api import Filters, ReadAPI, cached
from pipeline.rollups.tables import HEX_RESOLUTION, HOTSPOT_TOP
from pipeline.schema import UNSPECIFIED

PLACE_COLUMNS = ["address", "borough", "community_district", "cell", "count", "months"]
CELL_COLUMNS = ["cell", "count", "top_types", "months"]
TOP_TYPES = 3
_CELL = re.compile(r"8[0-9a-f]{14}")


class NotKept(ValueError):
    """The hotspot rollups do not hold this filter; the message says which."""


def is_cell(value: object, resolution: int = HEX_RESOLUTION) -> bool:
    """Whether a value is a valid H3 cell id of the map's resolution (URL and API input)."""
    import h3
    return (isinstance(value, str) and bool(_CELL.fullmatch(value)) and h3.is_valid_cell(value)
            and h3.get_resolution(value) == resolution)


def month_span(rng: tuple | None) -> tuple[str, str] | None:
    """The first and last month ('YYYY-MM') a (start, end) date range touches."""
    if rng is None:
        return None
    return rng[0].strftime("%Y-%m"), rng[1].strftime("%Y-%m")


def months_label(span: tuple[str, str] | None) -> str:
    return "" if span is None else span[0] if span[0] == span[1] else f"{span[0]} to {span[1]}"


def rollup_filters(f: Filters) -> dict[str, str]:
    """The filters the hotspot rollups can apply (NotKept for agency and ZIP)."""
    if f.agency or f.zip:
        raise NotKept("Hotspots are kept by borough, community district and complaint type: clear the "
                      "agency / ZIP filter to see them.")
    return f.dims()


def rank_places(rows: pd.DataFrame, n: int) -> pd.DataFrame:
    """Top `n` known places of summed rows (count descending, then address): pure, unit-tested."""
    known = rows[rows["address"] != UNSPECIFIED]
    keys = ["address", "borough", "community_district"]
    summed = known.groupby(keys, as_index=False).agg(count=("n", "sum"), cell=("cell", "first"))
    summed = summed.sort_values(["count", *keys], ascending=[False, True, True, True], kind="stable")
    return summed.head(n).reset_index(drop=True)


def rank_cells(rows: pd.DataFrame) -> pd.DataFrame:
    """Cells with their count and their TOP_TYPES types ('Noise (12); Heat (3)'), busiest first."""
    rows = rows[rows["cell"] != UNSPECIFIED]
    if rows.empty:
        return pd.DataFrame({"cell": pd.Series(dtype=object), "count": pd.Series(dtype="int64"),
                             "top_types": pd.Series(dtype=object)})
    by_type = rows.groupby(["cell", "complaint_type"], as_index=False)["n"].sum()
    by_type = by_type.sort_values(["cell", "n", "complaint_type"], ascending=[True, False, True], kind="stable")
    tops = by_type.groupby("cell").head(TOP_TYPES).groupby("cell").apply(
        lambda g: "; ".join(f"{t} ({n:,})" for t, n in zip(g["complaint_type"], g["n"], strict=True)),
        include_groups=False)
    cells = rows.groupby("cell", as_index=False)["n"].sum().rename(columns={"n": "count"})
    cells["top_types"] = cells["cell"].map(tops).fillna("")
    return cells.sort_values(["count", "cell"], ascending=[False, True], kind="stable").reset_index(drop=True)


class HotspotAPI(ReadAPI):
    """ReadAPI plus the hotspot queries."""

    @cached
    def hotspot_places(self, f: Filters = Filters(), cell: str | None = None, n: int = HOTSPOT_TOP) -> pd.DataFrame:
        """Top places for the filters (and one H3 cell): PLACE_COLUMNS, busiest first."""
        dims = rollup_filters(f)
        if cell is not None:
            if not is_cell(cell):
                raise ValueError(f"cell {cell!r} is not an H3 cell of resolution {HEX_RESOLUTION}")
            dims["cell"] = cell
        span = month_span(self._range(f))
        if span is None:
            return pd.DataFrame(columns=PLACE_COLUMNS)
        rows = self.store.aggregate("hotspots", "month", *span, by=["address", "borough", "community_district",
                                                                     "cell"], filters=dims)
        top = rank_places(rows, max(1, min(int(n), 1000)))
        return top.assign(months=months_label(span))[PLACE_COLUMNS]

    @cached
    def hotspot_cells(self, f: Filters = Filters()) -> pd.DataFrame:
        """Every H3 cell with requests for the filters: CELL_COLUMNS, busiest first."""
        dims = rollup_filters(f)
        span = month_span(self._range(f))
        if span is None:
            return pd.DataFrame(columns=CELL_COLUMNS)
        rows = self.store.aggregate("hex_cells", "month", *span, by=["cell", "complaint_type"], filters=dims)
        return rank_cells(rows).assign(months=months_label(span))[CELL_COLUMNS]
