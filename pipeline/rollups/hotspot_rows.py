"""The month-only rollups (hotspots and what is derived from them), from the finest rows, in pandas.

Why pandas and one function: the batch job counts the finest rows (`hotspots`: one per month, type,
district, H3 cell and place) in Spark and hands them here; every other month-only table is a pure
function of those rows, so the benchmark's synthetic store (bench/) gets exactly what a load writes,
and the unit tests check the derivations without Spark.
"""
from __future__ import annotations

import pandas as pd

from pipeline.rollups.tables import ROLLUPS


def coarsened(finest: pd.DataFrame, name: str) -> pd.DataFrame:
    """Rows of a coarser month-only rollup: the finest rows summed over the dims it drops."""
    rollup = ROLLUPS[name]
    keys = ["grain", "bucket", "period", *rollup.dims]
    return finest.groupby(keys, as_index=False, sort=False)[list(rollup.measures)].sum()[list(rollup.columns)]


def derived_tables(finest: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """{table: rows} of every month-only rollup, from `hotspots` rows (any number of months)."""
    return {"hotspots": finest[list(ROLLUPS["hotspots"].columns)], "hex_cells": coarsened(finest, "hex_cells")}
