"""The month-grain hotspot rollups (pipeline/rollups/tables.py `places_by_*`, `place_heads`, `hex_cells`), counted by the batch job.

Why apart from pipeline/rollups/compute.py: they need the H3 cell of each request, which only Python's `h3`
computes (a vectorised pandas UDF over latitude/longitude, batch only: the live page does not show
hotspots), and they exist at month grain only, so the batch job counts them from the lake rows of
the months it recomputes instead of summing day rows. Null coordinates go to no cell (Unspecified),
so the cells of a month still add up to its requests.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from pipeline.rollups import compute as rollups
from pipeline.rollups import hotspot_rows
from pipeline.rollups.tables import HEX_RESOLUTION, ROLLUPS
from pipeline.schema import UNSPECIFIED

MONTH_ONLY = tuple(name for name, r in ROLLUPS.items() if "day" not in r.grains)


def cells_of(lat: pd.Series, lon: pd.Series, resolution: int = HEX_RESOLUTION) -> pd.Series:
    """H3 cell ids of coordinates (pure, also the unit tests' recount); Unspecified where either is null."""
    import h3
    return pd.Series([h3.latlng_to_cell(a, o, resolution) if pd.notna(a) and pd.notna(o) else UNSPECIFIED
                      for a, o in zip(lat, lon, strict=True)], index=lat.index, dtype=object)


@F.pandas_udf(StringType())
def _cell_udf(lat: pd.Series, lon: pd.Series) -> pd.Series:
    return cells_of(lat, lon)


def with_cell(requests: DataFrame) -> DataFrame:
    return requests.withColumn("cell", _cell_udf(F.col("latitude"), F.col("longitude")))


def month_rows(requests: DataFrame, now: datetime) -> Iterator[tuple[str, pd.DataFrame]]:
    """(table, month rows as pandas) of every month-only rollup, over the given lake rows: Spark counts
    the finest rows, pipeline/rollups/hotspot_rows.py derives the rest (the benchmark store too)."""
    df = with_cell(requests.select("created_at", "latitude", "longitude", "address", "complaint_type",
                                   "borough", "community_district"))  # compute_rollup would add it too
    finest = rollups.compute_rollup(df, ROLLUPS[hotspot_rows.FINEST], "month", now=now).toPandas()
    tables = hotspot_rows.derived_tables(finest)
    if set(tables) != set(MONTH_ONLY):
        raise AssertionError(f"month-only rollups {sorted(MONTH_ONLY)} but derived {sorted(tables)}")
    yield from tables.items()
