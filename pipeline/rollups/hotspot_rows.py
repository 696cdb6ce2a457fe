"""The month-only rollups (hotspots and what is derived from them), from the finest rows, in pandas.

Why pandas and one function: the batch job counts the finest rows (one per month, type, district,
H3 cell and place) in Spark and hands them here; every other month-only table is a pure function of
those rows, so the benchmark's synthetic store (bench/) gets exactly what a load writes, and the unit
tests check the derivations without Spark.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.rollups import frames
from pipeline.rollups.tables import ALL, PLACE_HEAD_DEPTH, ROLLUPS
from pipeline.schema import UNSPECIFIED

FINEST = "places_by_cell"
PLACE = ["address", "borough", "community_district"]
REST = ""  # place_heads' address (and borough, district) of the row holding the largest count left out
# A scope's area: (column it is cut by, how its value is spelled in scope_area).
AREAS = ((None, lambda v: ALL), ("borough", lambda v: "b:" + v), ("community_district", lambda v: "d:" + v))
# One H3 cell, every type: the year heads a clicked hexagon's list is ranked from (cell_heads).
CELL_AREAS = (("cell", lambda v: "c:" + v),)


def scope_of(complaint_type: str | None, borough: str | None, district: str | None) -> tuple[str, str]:
    """(scope_type, scope_area) whose heads answer these filters: the narrowest area asked for
    (a district's heads answer borough + district too, its places being cut to the borough)."""
    area = "d:" + district if district else "b:" + borough if borough else ALL
    return complaint_type or ALL, area


def heads(finest: pd.DataFrame, depth: int = PLACE_HEAD_DEPTH, areas=AREAS,
          by_types: tuple[bool, ...] = (True, False)) -> pd.DataFrame:
    """place_heads rows: for each period and scope, its `depth` busiest known places (count descending,
    then place) and a REST row with the largest count of the places left out (none if none is).
    Places without an address are never listed, so they are left out of the heads and their bound
    (as are requests without a cell from a cell's heads).
    Ranked with integer codes and one lexsort per scope level (a city month is ~200,000 place rows)."""
    known = finest[finest["address"] != UNSPECIFIED]
    extra = [c for c, _ in areas if c and c not in PLACE]  # an area that is not part of the place: the cell
    for column in extra:
        known = known[known[column] != UNSPECIFIED]
    frames = []
    for by_type in by_types:
        kind = ["complaint_type"] if by_type else []
        places = known.groupby(["grain", "bucket", "period", *kind, *extra, *PLACE], as_index=False, sort=False)["n"].sum()
        place_order = places.groupby(PLACE, sort=True).ngroup().to_numpy()  # lexicographic (address, borough, district)
        counts = places["n"].to_numpy()
        for column, spell in areas:
            scope = places.groupby(["period", *kind, *([column] if column else [])], sort=False).ngroup().to_numpy()
            order = np.lexsort((place_order, -counts, scope))
            ranked = places.iloc[order]
            sorted_scope = scope[order]
            starts = np.r_[0, np.flatnonzero(np.diff(sorted_scope)) + 1]
            rank = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
            kept = ranked[rank <= depth].copy()  # rank == depth: the first place left out, the largest
            rest = (rank[rank <= depth] == depth)
            kept["scope_type"] = kept["complaint_type"] if by_type else ALL
            kept["scope_area"] = kept[column].map(spell) if column else ALL
            kept.loc[rest, PLACE] = REST
            frames.append(kept)
    if not frames or all(f.empty for f in frames):
        return pd.DataFrame(columns=list(ROLLUPS["place_heads"].columns))
    return pd.concat(frames, ignore_index=True)[list(ROLLUPS["place_heads"].columns)]


def cell_heads(year_finest: pd.DataFrame, depth: int = PLACE_HEAD_DEPTH) -> pd.DataFrame:
    """place_heads year rows of each H3 cell, every type (scope '*', 'c:<cell>'), from the finest rows
    summed to a year: what a clicked hexagon's list over closed years is ranked from."""
    return heads(year_finest, depth, CELL_AREAS, (False,))


def year_heads(year_finest: pd.DataFrame, depth: int = PLACE_HEAD_DEPTH) -> pd.DataFrame:
    """place_heads year rows, from the finest rows summed to a year: every scope the month rows have
    (the city, each borough and district, by type and for every type), so a list over closed years
    is ranked from one piece a year instead of twelve, and each H3 cell's (cell_heads)."""
    return pd.concat([heads(year_finest, depth), cell_heads(year_finest, depth)], ignore_index=True)


def derived_tables(finest: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """{table: rows} of every month-only rollup, from the finest place rows (any number of months)."""
    return {"places_by_cell": finest[list(ROLLUPS["places_by_cell"].columns)],
            "places_by_address": finest[list(ROLLUPS["places_by_address"].columns)],
            "place_heads": heads(finest),
            **{name: frames.coarsen(finest, name, "month") for name in ("hex_cells", "hex_totals", "cell_types", "cell_places")}}
