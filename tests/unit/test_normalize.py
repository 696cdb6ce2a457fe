"""Parsing and normalisation of export rows (pipeline/ingest/exports.py, pipeline/ingest/normalize.py)."""
from __future__ import annotations

import gzip

import pytest

from pipeline.ingest import exports as ingest
from pipeline.ingest.normalize import BAD_CREATED, MALFORMED, NO_CREATED, NO_KEY, OUT_OF_RANGE, normalize, tag_unusable
from pipeline.schema import REQUEST_COLUMN_NAMES

pytestmark = pytest.mark.unit

FIELDS = ("unique_key", "created_at", "closed_at", "due_at", "updated_at", "agency", "complaint_type",
          "status", "borough", "community_district", "zip", "channel", "latitude", "longitude")


def raw(spark, *rows: dict):
    """Raw export-like rows: every field a string (missing = null)."""
    return spark.createDataFrame([tuple(r.get(f) for f in FIELDS) for r in rows], ", ".join(f"{f} string" for f in FIELDS))


def one(spark, **fields):
    return normalize(raw(spark, {"unique_key": "1", "created_at": "05/01/2022 12:00:03 AM", **fields})).first()


def each(spark, field, cases, out=None, **fixed):
    """Normalise one row per case (one Spark job for all) and return {input: output of `out`}."""
    rows = [{"unique_key": str(i), "created_at": "05/01/2022 12:00:03 AM", **fixed, field: given}
            for i, (given, _) in enumerate(cases)]
    got = {int(r.unique_key): r[0] for r in normalize(raw(spark, *rows)).select(out or field, "unique_key").collect()}
    return [(given, got[i]) for i, (given, _) in enumerate(cases)]


def test_columns_in_schema_order(spark):
    assert tuple(normalize(raw(spark, {"unique_key": "1"})).columns) == REQUEST_COLUMN_NAMES


# Timestamps are compared as New York wall time with offset (collect() would convert to the OS zone).
TIMES = [
    ("05/01/2022 12:00:03 AM", "2022-05-01 00:00:03 -04:00"),
    ("05/01/2022 12:30:00 PM", "2022-05-01 12:30:00 -04:00"),
    ("12/31/2021 11:59:59 PM", "2021-12-31 23:59:59 -05:00"),
    ("2022-05-01T13:04:05.000", "2022-05-01 13:04:05 -04:00"),   # Socrata API / live events
    # DST: the spring-forward gap moves forward by the gap; the repeated hour takes EDT (the earlier)
    ("03/13/2022 02:30:00 AM", "2022-03-13 03:30:00 -04:00"),
    ("11/06/2022 01:30:00 AM", "2022-11-06 01:30:00 -04:00"),
    ("not a date", None),
    ("", None),
]


def test_times_are_new_york_wall_time(spark):
    from pyspark.sql import functions as F
    rows = [{"unique_key": str(i), "created_at": "05/01/2022 12:00:03 AM", "closed_at": text}
            for i, (text, _) in enumerate(TIMES)]
    df = normalize(raw(spark, *rows)).select("unique_key", F.date_format("closed_at", "yyyy-MM-dd HH:mm:ss XXX"))
    got = {int(k): v for k, v in df.collect()}
    assert [(text, got[i]) for i, (text, _) in enumerate(TIMES)] == TIMES


BOROUGHS = [
    ("BRONX", "Bronx"), ("STATEN ISLAND", "Staten Island"), ("  brooklyn ", "Brooklyn"), ("Queens", "Queens"),
    ("Unspecified", "Unspecified"), (None, "Unspecified"),
]


def test_borough_spelling(spark):
    assert each(spark, "borough", BOROUGHS) == BOROUGHS


def test_unspecified_borough_placed_by_community_board_then_zip(spark):
    boards = [("09 MANHATTAN", "Manhattan"), ("Unspecified BROOKLYN", "Brooklyn"), ("0 Unspecified", "Queens"),
              ("garbage", "Queens")]
    assert each(spark, "community_district", boards, out="borough", borough="Unspecified", zip="11372") == boards
    assert one(spark, borough="Unspecified", community_district="0 Unspecified", zip="99999").borough == "Unspecified"


DISTRICTS = [
    ("09 MANHATTAN", "109"), ("01 BROOKLYN", "301"), ("12 STATEN ISLAND", "Unspecified"),  # SI has 3 CDs
    ("03 STATEN ISLAND", "503"), ("64 MANHATTAN", "164"), ("0 Unspecified", "Unspecified"),
    ("Unspecified QUEENS", "Unspecified"), ("garbage", "Unspecified"), (None, "Unspecified"),
    ("109", "109"), ("999", "Unspecified"),
]


def test_community_district_is_borocd(spark):
    assert each(spark, "community_district", DISTRICTS) == DISTRICTS


ZIPS = [
    ("10027", "10027"), ("10027-1234", "10027"), (" 11201 ", "11201"), ("90210", "Unspecified"),
    ("N/A", "Unspecified"), ("1002", "Unspecified"), (None, "Unspecified"),
]


def test_zip_is_five_digit_nyc(spark):
    assert each(spark, "zip", ZIPS) == ZIPS


def test_coordinates_outside_nyc_or_invalid_are_null(spark):
    r = one(spark, latitude="40.8123", longitude="-73.9524")
    assert (r.latitude, r.longitude) == (40.8123, -73.9524)
    assert one(spark, latitude="0", longitude="0").latitude is None
    r = one(spark, latitude="40.8", longitude="oops")
    assert (r.latitude, r.longitude) == (None, None)


def test_text_dimensions_trimmed_never_null(spark):
    r = one(spark, agency=" NYPD ", complaint_type="Noise - Residential ", status=" ", channel="online")
    assert (r.agency, r.complaint_type, r.status, r.channel) == ("NYPD", "Noise - Residential", "Unspecified", "ONLINE")
    r = one(spark)
    assert (r.agency, r.complaint_type, r.status, r.channel) == ("Unspecified",) * 4
    assert r.created_month == "2022-05"


def test_normalise_twice_changes_nothing(spark):
    df = normalize(raw(spark, {
        "unique_key": " 42 ", "created_at": "11/06/2022 01:30:00 AM", "closed_at": "11/07/2022 09:00:00 AM",
        "agency": "DOT", "complaint_type": "Street Condition", "status": "Closed", "borough": "Unspecified",
        "community_district": "09 MANHATTAN", "zip": "10027-0001", "channel": "phone",
        "latitude": "40.81", "longitude": "-73.95"}))
    assert normalize(df).collect() == df.collect()


def test_unusable_rows_are_tagged_with_their_reason(spark):
    tagged = tag_unusable(raw(spark, {"unique_key": "1", "created_at": "05/01/2022 12:00:03 AM"},
                              {"unique_key": " ", "created_at": "05/01/2022 12:00:03 AM"},
                              {"unique_key": "3", "created_at": ""},
                              {"unique_key": "4", "created_at": "13/45/2022 99:00:00 AM"},
                              # placeholders outside 1900-2100 (issue 10: 9999 broke date_bounds)
                              {"unique_key": "5", "created_at": "12/31/9999 12:00:00 AM"},
                              {"unique_key": "6", "created_at": "01/01/0600 12:00:00 AM"},
                              {"unique_key": "7", "created_at": "12/31/2100 11:59:59 PM"},
                              {"unique_key": "8", "created_at": "1899-12-31T23:59:59"}))
    by_key = {r._created_raw + "|" + (r.unique_key or ""): r._reason for r in tagged.collect()}
    assert by_key == {"05/01/2022 12:00:03 AM|1": None, "05/01/2022 12:00:03 AM|": NO_KEY,
                      "|3": NO_CREATED, "13/45/2022 99:00:00 AM|4": BAD_CREATED,
                      "12/31/9999 12:00:00 AM|5": OUT_OF_RANGE, "01/01/0600 12:00:00 AM|6": OUT_OF_RANGE,
                      "12/31/2100 11:59:59 PM|7": None, "1899-12-31T23:59:59|8": OUT_OF_RANGE}


HEADER = "Unique Key,Created Date,Complaint Type,Borough,Resolution Description\n"


def test_reader_selects_by_header_and_quarantines_malformed_rows(spark, tmp_path):
    (tmp_path / "a.csv").write_text(
        HEADER
        + '1,05/01/2022 12:00:03 AM,Noise,BRONX,"said ""hi""\non two lines"\n'
        + "2,05/01/2022 12:00:04 AM,Noise\n"                         # too few fields
        + "3,05/01/2022 12:00:05 AM,Noise,QUEENS,x\n")
    # another era: other columns, other order, gzipped
    with gzip.open(tmp_path / "b.csv.gz", "wt") as fh:
        fh.write("Borough,School Name,Created Date,Unique Key,Complaint Type\n"
                 "BROOKLYN,PS 1,05/02/2022 01:00:00 PM,4,Heat\n")
    rows = ingest.read_exports(spark, str(tmp_path)).cache()
    tagged = tag_unusable(rows).cache()
    got = {r.unique_key: (r.complaint_type, r.borough, r.channel, r._reason) for r in tagged.collect()}
    assert got == {"1": ("Noise", "Bronx", "Unspecified", None), "2": ("Noise", "Unspecified", "Unspecified", MALFORMED),
                   "3": ("Noise", "Queens", "Unspecified", None), "4": ("Heat", "Brooklyn", "Unspecified", None)}
    bad = ingest.locate_rows(tagged.where("_reason is not null"), tagged).collect()
    assert [(r.unique_key, r._source_file.endswith("a.csv"), r._line) for r in bad] == [("2", True, 3)]


def test_input_that_is_not_an_export_is_a_clear_error(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ingest.InputError, match="not a 311 export"):
        ingest.read_header(str(tmp_path / "x.csv"))
    with pytest.raises(ingest.InputError, match="no such file"):
        ingest.export_files(str(tmp_path / "missing"))
