"""Transform: raw 311 fields -> the normalised request record of pipeline/schema.py.

Why column expressions only: Python UDFs would ship every row to a Python worker and cap the
loader far below its 50,000 rows/s target on two cores; lookups (ZIP -> borough, valid community
districts) are literal maps built from config/reference/ (scripts/build_reference_data.py).

Why idempotent: the functions take columns named as in the normalised schema, raw export strings
or already normalised values alike, so the streaming job runs the same `normalize` over live events
and normalising twice changes nothing (`BRONX` and `Bronx` both give `Bronx`; `09 MANHATTAN` and
`109` both give `109`; a timestamp column is kept as it is).

Times: the export prints New York wall time without an offset; they are parsed in the session time
zone (America/New_York, pipeline/spark.py). Wall times that do not exist (the spring-forward gap,
e.g. 02:30 on the second Sunday of March) move forward by the gap (03:30 EDT); ambiguous ones (the
repeated hour in November) take the earlier offset (EDT). Both are java.time's rules, deterministic.
"""
from __future__ import annotations

import csv
from functools import lru_cache

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, TimestampType

from pipeline.ingest import places
from pipeline.ingest.cleaning import WHITESPACE, dim_col, text_col
from pipeline.schema import BOROUGH_CODES, CREATED_YEARS, REQUEST_COLUMNS, UNSPECIFIED
from pipeline.settings import ROOT

REFERENCE = ROOT / "config" / "reference"

# Input formats of a time: the export's, then the ISO forms of Socrata's API and of live events.
TIME_FORMATS = ("MM/dd/yyyy hh:mm:ss a", "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss",
                "yyyy-MM-dd HH:mm:ss")
# A generous box around the five boroughs: coordinates outside it are typos or (0, 0) placeholders.
NYC_BOUNDS = {"lat": (40.45, 40.95), "lon": (-74.30, -73.65)}

BOROUGH_BY_UPPER = {b.upper(): b for b in BOROUGH_CODES.values()}
CODE_BY_BOROUGH = {b: code for code, b in BOROUGH_CODES.items()}
_BOROUGH_RE = "|".join(BOROUGH_BY_UPPER)

# Quarantine reasons, in the order they are checked.
MALFORMED, NO_KEY, NO_CREATED, BAD_CREATED = ("malformed_row", "missing_unique_key",
                                               "missing_created_date", "unparseable_created_date")
OUT_OF_RANGE = "created_date_out_of_range"
# A row dated 12/31/9999 is a placeholder, not a request: outside schema.CREATED_YEARS it is
# quarantined, so date_bounds, period labels and every date computed from the data stay inside what
# Python's date can hold (issue 10).


@lru_cache(maxsize=1)
def zip_boroughs() -> dict[str, str]:
    with open(REFERENCE / "zip_boroughs.csv", newline="") as fh:
        return {r["zip"]: r["borough"] for r in csv.DictReader(fh)}


@lru_cache(maxsize=1)
def community_districts() -> tuple[int, ...]:
    with open(REFERENCE / "community_districts.csv", newline="") as fh:
        return tuple(int(r["boro_cd"]) for r in csv.DictReader(fh))


def _lookup(c: Column, d: dict) -> Column:
    """d[c], null when absent, as a CASE expression (a literal map is scanned key by key per row)."""
    out = None
    for k, v in d.items():
        out = (F.when(c == F.lit(k), F.lit(v)) if out is None else out.when(c == F.lit(k), F.lit(v)))
    return out


def _in_sets(c: Column, groups: dict) -> Column:
    """The key of the first group whose values hold c (hashed `IN` sets), else null."""
    out = None
    for key, values in groups.items():
        cond = c.isin(*values)
        out = F.when(cond, F.lit(key)) if out is None else out.when(cond, F.lit(key))
    return out


@lru_cache(maxsize=1)
def _zips_by_borough() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for z, b in zip_boroughs().items():
        groups.setdefault(b, []).append(z)
    return groups


def parse_time(c: Column, dtype=StringType()) -> Column:
    """A time column as a timestamp: kept when already one, else parsed as New York wall time."""
    if isinstance(dtype, TimestampType):
        return c
    t = text_col(c)
    iso = F.coalesce(*[F.try_to_timestamp(t, F.lit(fmt)) for fmt in TIME_FORMATS[1:]])
    return F.when(F.substring(t, 5, 1) == "-", iso).otherwise(F.try_to_timestamp(t, F.lit(TIME_FORMATS[0])))


def borough_name(c: Column) -> Column:
    """`BRONX`/`Bronx` -> `Bronx`; anything else -> null."""
    return _lookup(F.upper(F.trim(c)), BOROUGH_BY_UPPER)


def _district_parts(cb: Column) -> tuple[Column, Column]:
    """(borough name, district number as text) of a `Community Board` value like `09 MANHATTAN`."""
    u = F.upper(F.trim(cb))
    pattern = rf"^(\d{{1,2}}|UNSPECIFIED) +({_BOROUGH_RE})$"
    return F.regexp_extract(u, pattern, 2), F.regexp_extract(u, pattern, 1)


def community_district(cb: Column) -> Column:
    """BoroCD text (`09 MANHATTAN` -> `109`; `109` stays), `Unspecified` unless a known district."""
    boro, number = _district_parts(cb)
    code = _lookup(boro, {k: CODE_BY_BOROUGH[v] for k, v in BOROUGH_BY_UPPER.items()})
    t = F.trim(cb)
    borocd = F.when(t.rlike(r"^[1-5]\d\d$"), t.try_cast("int")).otherwise(code * 100 + number.try_cast("int"))
    return F.when(borocd.isin(*community_districts()), borocd.cast("string")).otherwise(F.lit(UNSPECIFIED))


def district_borough(cb: Column) -> Column:
    """The borough a `Community Board` value names, also for `Unspecified BROOKLYN` and `301`."""
    boro, _ = _district_parts(cb)
    t = F.trim(cb)
    by_code = F.when(t.rlike(r"^[1-5]\d\d$"), _lookup(F.substring(t, 1, 1), {str(k): v for k, v in BOROUGH_CODES.items()}))
    return F.coalesce(borough_name(boro), by_code)


def zip5(c: Column) -> Column:
    """Five-digit NYC ZIP (`10027-1234` -> `10027`), null when malformed or outside NYC."""
    z = F.substring(F.trim(c.cast("string")), 1, 5)
    return F.when(z.isin(*zip_boroughs()), z)


def zip_borough(c: Column) -> Column:
    return _in_sets(F.substring(F.trim(c.cast("string")), 1, 5), _zips_by_borough())


def _coordinate(c: Column, bounds: tuple[float, float]) -> Column:
    v = c.try_cast("double")
    return F.when(v.between(*bounds), v)


def street_column(c: Column) -> Column:
    """pipeline.ingest.places.normalise_street as a column expression (the same rules, in the same order)."""
    seps = places.SEPARATORS
    s = F.translate(F.upper(c.cast("string")), seps, " " * len(seps))
    words = F.create_map(*[F.lit(x) for pair in places.WORDS.items() for x in pair])

    def word(w: Column) -> Column:
        w = F.regexp_replace(w, *places.ORDINAL)
        return F.coalesce(F.try_element_at(words, w), w)

    s = F.array_join(F.transform(F.filter(F.split(s, " "), lambda w: w != ""), word), " ")
    return F.when((s != "") & ~s.isin(*places.PLACEHOLDERS), s)


PLACE_PARTS = ("_place_a", "_place_s1", "_place_s2")


def place_parts(df: DataFrame, address: Column, address_type: Column, street_1: Column,
                street_2: Column) -> DataFrame:
    """The three normalised streets as columns of their own: place_column refers to each several
    times, and inlined its ~40 nested regexp_replace calls blew up the generated code (Spark keeps a
    non-cheap expression used more than once in its own projection).

    The two intersection streets are normalised only for a crossing (place_column's only use of
    them): most rows are ADDRESS rows, which carry their block's cross streets too."""
    a = PLACE_PARTS[0]
    df = df.withColumn(a, street_column(address))
    crossing = is_crossing(address_type, F.col(a))
    return df.withColumns({part: F.when(crossing, street_column(c))
                           for part, c in zip(PLACE_PARTS[1:], (street_1, street_2), strict=True)})


def is_crossing(address_type: Column, address: Column) -> Column:
    """An intersection: so typed, or no usable incident address (pipeline.ingest.places.place)."""
    kind = F.upper(F.btrim(address_type.cast("string"), F.lit(WHITESPACE)))
    return (kind == F.lit(places.INTERSECTION)) | address.isNull()


def place_column(address_type: Column) -> Column:
    """pipeline.ingest.places.place as a column expression over place_parts: intersections sorted, else
    the address."""
    a, s1, s2 = (F.col(c) for c in PLACE_PARTS)
    crossing = F.when(s1.isNotNull() & s2.isNotNull() & (s1 != s2),
                      F.concat(F.least(s1, s2), F.lit(" & "), F.greatest(s1, s2)))
    chosen = F.coalesce(F.when(is_crossing(address_type, a), crossing), a, F.lit(UNSPECIFIED))
    return F.substring(chosen, 1, places.MAX_PLACE_CHARS)


def normalize(df: DataFrame) -> DataFrame:
    """Every column of REQUEST_COLUMNS, normalised, followed by the input's other columns.

    A REQUEST column the input lacks (older exports have no channel) is treated as empty."""
    types = {f.name: f.dataType for f in df.schema.fields}

    def col(name: str) -> Column:
        return F.col(name) if name in types else F.lit(None).cast("string")

    # live events carry the place already normalised (`address`); normalising it again keeps it
    df = place_parts(df, F.coalesce(text_col(col("incident_address")), text_col(col("address"))),
                     col("address_type"), col("intersection_street_1"), col("intersection_street_2"))
    lat, lon = _coordinate(col("latitude"), NYC_BOUNDS["lat"]), _coordinate(col("longitude"), NYC_BOUNDS["lon"])
    both = lat.isNotNull() & lon.isNotNull()
    created = parse_time(col("created_at"), types.get("created_at", StringType()))
    out = {
        "unique_key": text_col(col("unique_key")),
        "created_at": created,
        **{c: parse_time(col(c), types.get(c, StringType())) for c in ("closed_at", "due_at", "updated_at")},
        "agency": dim_col(col("agency")),
        "agency_name": text_col(col("agency_name")),
        "complaint_type": dim_col(col("complaint_type")),
        "descriptor": text_col(col("descriptor")),
        "status": dim_col(col("status")),
        "borough": F.coalesce(borough_name(col("borough")), district_borough(col("community_district")),
                              zip_borough(col("zip")), F.lit(UNSPECIFIED)),
        "community_district": community_district(col("community_district")),
        "zip": F.coalesce(zip5(col("zip")), F.lit(UNSPECIFIED)),
        "channel": F.coalesce(F.upper(text_col(col("channel"))), F.lit(UNSPECIFIED)),
        "latitude": F.when(both, lat),
        "longitude": F.when(both, lon),
        "created_month": F.date_format(created, "yyyy-MM"),
        "address": place_column(col("address_type")),
    }
    typed = [out[c].cast(t).alias(c) for c, t in REQUEST_COLUMNS]
    names = {c for c, _ in REQUEST_COLUMNS} | set(PLACE_PARTS)
    return df.select(*typed, *[F.col(c) for c in df.columns if c not in names])


def tag_unusable(raw: DataFrame) -> DataFrame:
    """Normalise raw rows and add `_reason`: null for a usable row, else why it is quarantined.

    Keeps the created date as it was read in `_created_raw`, for the quarantine record."""
    has_corrupt = "_corrupt_record" in raw.columns
    created_raw = F.col("created_at").cast("string") if "created_at" in raw.columns else F.lit(None).cast("string")
    df = normalize(raw.withColumn("_created_raw", created_raw))
    checks = [(F.col("_corrupt_record").isNotNull(), MALFORMED)] if has_corrupt else []
    checks += [(F.col("unique_key").isNull(), NO_KEY), (text_col(F.col("_created_raw")).isNull(), NO_CREATED),
               (F.col("created_at").isNull(), BAD_CREATED),
               (~F.year("created_at").between(*CREATED_YEARS), OUT_OF_RANGE)]
    reason = F.when(checks[0][0], F.lit(checks[0][1]))
    for cond, why in checks[1:]:
        reason = reason.when(cond, F.lit(why))
    return df.withColumn("_reason", reason)
