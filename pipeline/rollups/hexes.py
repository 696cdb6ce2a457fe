"""The month-grain hotspot rollups (pipeline/rollups/tables.py `places_by_*`, `place_heads`, `hex_cells`), counted by the batch job.

Why apart from pipeline/rollups/compute.py: they need the H3 cell of each request, which only Python's `h3`
computes (a vectorised pandas UDF over latitude/longitude, batch only: the live page does not show
hotspots), and they have no day rows, so the batch job counts them from the lake rows of the months
it recomputes instead of summing day rows (the maps and the cells' heads have year rows too:
write_year_rows). Null coordinates go to no cell (Unspecified), so the cells of a month still add up
to its requests.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

from pipeline.lake import table as lake
from pipeline.rollups import compute as rollups
from pipeline.rollups import hotspot_rows, year_rows
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


def finest(requests: DataFrame, now: datetime) -> pd.DataFrame:
    """The finest hotspot rows (places_by_cell at month grain) of some lake rows, counted by Spark."""
    df = with_cell(requests.select("created_at", "latitude", "longitude", "address", "complaint_type",
                                   "borough", "community_district"))  # compute_rollup would add it too
    return rollups.compute_rollup(df, ROLLUPS[hotspot_rows.FINEST], "month", now=now).toPandas()


def month_rows(finest_rows: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    """(table, month rows as pandas) of every month-only rollup from the finest rows:
    pipeline/rollups/hotspot_rows.py derives them (the benchmark store too)."""
    tables = hotspot_rows.derived_tables(finest_rows)
    if set(tables) != set(MONTH_ONLY):
        raise AssertionError(f"month-only rollups {sorted(MONTH_ONLY)} but derived {sorted(tables)}")
    yield from tables.items()


def write_year_rows(spark, store, lake_path: str, touched: list[str], finest_rows: pd.DataFrame,
                    now: datetime) -> dict[str, int]:
    """Write the year rows of the closed years this load must (re)write (pipeline/rollups/year_rows.py
    `write`, after the month rows): the finest rows of the months the load touched are the ones just
    counted, the year's other months are counted again from the lake. Returns {"table/year": rows}."""
    def finest_of(year: str) -> pd.DataFrame:
        rows = finest_rows[finest_rows["period"].str.startswith(year)]
        others = [m for m in (f"{year}-{i:02d}" for i in range(1, 13)) if m not in touched]
        if not others:
            return rows
        return pd.concat([rows, finest(lake.read(spark, lake_path, others), now)], ignore_index=True)
    return year_rows.write(store, touched, finest_of)
