"""The normalised service-request record: the contract shared by the batch loader, the lake,
the live event stream and the rollups.

Why one list: the streaming job parses events with the same field names the batch loader writes,
so one rollup definition can run on both (see pipeline/rollups/tables.py).
"""
from __future__ import annotations

from zoneinfo import ZoneInfo

NY_TZ = "America/New_York"
NY = ZoneInfo(NY_TZ)  # export times are New York local: days and hours are bucketed in this zone

BOROUGHS = ("Bronx", "Brooklyn", "Manhattan", "Queens", "Staten Island")
UNSPECIFIED = "Unspecified"
# New York local years the product accepts for a request's created date (batch rows outside are
# quarantined, the read API ignores stored periods outside, CLI and URL dates are bounded by them).
CREATED_YEARS = (1900, 2100)
BOROUGH_CODES = {1: "Manhattan", 2: "Bronx", 3: "Brooklyn", 4: "Queens", 5: "Staten Island"}
BOROUGH_POPULATION = {  # 2020 Census, data/README.md
    "Bronx": 1_472_654, "Brooklyn": 2_736_074, "Manhattan": 1_694_251,
    "Queens": 2_405_464, "Staten Island": 495_747,
}

# Normalised columns, in order, with their Spark SQL types. Timestamps are instants; their local
# New York wall time is what the export printed. Dimension columns are never null: an unknown value
# is "Unspecified", so that rollup keys (Cassandra primary keys) are always complete.
REQUEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("unique_key", "string"),
    ("created_at", "timestamp"),
    ("closed_at", "timestamp"),
    ("due_at", "timestamp"),
    ("updated_at", "timestamp"),       # Resolution Action Updated Date: orders versions of a request
    ("agency", "string"),
    ("agency_name", "string"),
    ("complaint_type", "string"),
    ("descriptor", "string"),
    ("status", "string"),              # Open, In Progress, Closed, Pending, Assigned, Started, ...
    ("borough", "string"),             # one of BOROUGHS or Unspecified
    ("community_district", "string"),  # BoroCD as text, e.g. "109", or Unspecified
    ("zip", "string"),                 # five digits, NYC only, or Unspecified
    ("channel", "string"),             # Open Data Channel Type: PHONE, ONLINE, MOBILE, OTHER, UNKNOWN...
    ("latitude", "double"),
    ("longitude", "double"),
    ("created_month", "string"),       # YYYY-MM in New York time: the lake's partition column
    ("address", "string"),             # normalised place, pipeline/ingest/places.py (last: lakes written before
                                       # it gain it by ALTER TABLE ADD COLUMNS, pipeline/lake/table.py)
)
REQUEST_COLUMN_NAMES = tuple(c for c, _ in REQUEST_COLUMNS)


def spark_ddl() -> str:
    """The request schema as a Spark DDL string (for the lake and the event parser)."""
    return ", ".join(f"{c} {t}" for c, t in REQUEST_COLUMNS)
