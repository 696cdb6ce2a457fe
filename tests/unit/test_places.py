"""The normalised place of a request (pipeline/ingest/places.py), in Python and as Spark columns."""
from __future__ import annotations

import csv
import random
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.ingest import exports as ingest
from pipeline.ingest import places
from pipeline.ingest.normalize import normalize

pytestmark = pytest.mark.unit

FIXTURE = Path(__file__).parents[1] / "fixtures" / "nyc_311_legacy_sample.csv"

SAME_PLACE = [  # real-world spellings of one place, each group must give one normal form
    ("123 MAIN ST", ["123 MAIN STREET", "123 Main St.", "  123   main  street ", "123 MAIN STR", "123 main st,"]),
    ("364 W 127 ST", ["364 WEST  127 STREET", "364 W 127TH ST", "364 West 127th Street", "364 W. 127 St"]),
    ("593 FT WASHINGTON AVE", ["593 FT WASHINGTON AVENUE", "593 Ft. Washington Ave", "593 FT WASHINGTON AV"]),
    ("15-07 150 ST", ["15-07 150 STREET", "15-07 150TH ST"]),
    ("1 E 42 ST", ["1 EAST 42ND STREET", "1 E 42 ST"]),
    ("ST NICHOLAS TER", ["ST NICHOLAS TERRACE", "St. Nicholas Terrace"]),
    ("GRAND CONCOURSE", ["GRAND CONCOURSE"]),
    ("BELL BLVD", ["BELL BOULEVARD", "Bell Blvd."]),
    ("ANNADALE RD", ["ANNADALE ROAD"]),
    ("AUBURN PL", ["AUBURN PLACE"]),
    ("BROADWAY", ["BROADWAY", "broadway"]),
    ("S RAILROAD ST", ["SOUTH RAILROAD STREET"]),  # no rule may eat words that only contain a suffix
]


@pytest.mark.parametrize("normal, variants", SAME_PLACE)
def test_variants_are_one_place(normal, variants):
    assert places.normalise_street(normal) == normal
    for v in variants:
        assert places.normalise_street(v) == normal, v


def test_directionals_and_suffixes_abbreviate():
    assert places.normalise_street("100 NORTH   3 STREET") == "100 N 3 ST"
    assert places.normalise_street("CENTRAL PARK WEST") == "CENTRAL PARK W"
    assert places.normalise_street("MAJOR DEEGAN EXPRESSWAY") == "MAJOR DEEGAN EXPY"
    assert places.normalise_street("HENRY HUDSON PARKWAY") == "HENRY HUDSON PKWY"


def test_empty_is_none_and_place_unspecified():
    for v in (None, "", "   ", ".,"):
        assert places.normalise_street(v) is None
    assert places.place(None) == places.place("  ") == "Unspecified"


def test_intersections_are_sorted_so_both_orders_are_one_place():
    a = places.place("EAST   55 STREET", "INTERSECTION", "EAST   55 STREET", "LEXINGTON AVENUE")
    b = places.place("LEXINGTON AVENUE", "intersection", "Lexington Ave", "E 55th St")
    assert a == b == "E 55 ST & LEXINGTON AVE"
    # no incident address but two streets: an intersection too
    assert places.place(None, None, "BELL BOULEVARD", "40 AVENUE") == "40 AVE & BELL BLVD"


def test_an_address_stays_an_address():
    # an ADDRESS row carries the block's cross streets in the intersection columns: not the place
    assert places.place("1006 GERARD AVENUE", "ADDRESS", "EAST  164 STREET", "EAST  165 STREET") == "1006 GERARD AVE"
    # a blockface is the street it names
    assert places.place("GREENE STREET", "BLOCKFACE", "CANAL STREET", "GRAND STREET") == "GREENE ST"
    # an intersection missing a street falls back to the address
    assert places.place("AUBURN PLACE", "INTERSECTION", "AUBURN PLACE", None) == "AUBURN PL"
    assert places.place(None, "INTERSECTION", "X ST", "X STREET") == "Unspecified"


def test_idempotent():
    for raw in ("364 WEST  127 STREET", "E 55 ST & LEXINGTON AVE", "15-07 150TH ST", "x" * 300):
        p = places.place(raw)
        assert places.place(p) == p and len(p) <= places.MAX_PLACE_CHARS


# The pieces awkward addresses are made of: separators, whitespace runs, ordinals, suffixes, placeholders.
PIECES = (" ", "  ", ".", ",", "\t", "\n", "\r\n", "\f", "\x0b", "127TH", "1ST", "2nd", "ST", "STREET", "Ave.",
          "north", "NA", "N/A", "unspecified", "15-07", "&", "É", "ß", "x")


def _reference_street(value: object) -> str | None:
    """normalise_street as it was written first, with regular expressions, so the rules cannot drift
    (one change since: a vertical tab separates words like other ASCII whitespace; before, the batch
    trimmed it from an address's ends and the producers kept it, so the two gave different places)."""
    if value is None:
        return None
    s = re.sub(r"[ \t\r\n\f\v]+", " ", re.sub(r"[.,]", " ", str(value).upper()))
    words = (re.sub(places.ORDINAL[0], r"\1", w) for w in s.strip(" ").split(" "))
    s = " ".join(places.WORDS.get(w, w) for w in words)
    return s if s and s not in places.PLACEHOLDERS else None


@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join) | st.text(max_size=30))
def test_street_rules_equal_the_regular_expression_rules(value):
    assert places.normalise_street(value) == _reference_street(value)


def _awkward(n: int) -> list[str]:
    rng = random.Random(311)
    return ["".join(rng.choices(PIECES, k=rng.randint(0, 10))) for _ in range(n)]


def _fixture_rows() -> list[dict]:
    with open(FIXTURE, newline="") as fh:
        return [{ingest.EXPORT_COLUMNS[h]: v or None for h, v in row.items() if h in ingest.EXPORT_COLUMNS}
                for row in csv.DictReader(fh)]


def test_spark_columns_apply_the_same_rules(spark):
    """Batch (Spark expressions) and stream producers (Python) give the same place for every real row,
    and for the awkward spellings above; running it again over the result changes nothing."""
    rows = _fixture_rows()
    variants = [v for _, vs in SAME_PLACE for v in vs]
    extra = [{"unique_key": f"x{i}", "created_at": "05/01/2022 12:00:03 AM", "incident_address": v}
             for i, v in enumerate(variants)]
    extra.append({"unique_key": "y", "created_at": "05/01/2022 12:00:03 AM", "address_type": "INTERSECTION",
                  "intersection_street_1": "Lexington Ave", "intersection_street_2": "E 55th St"})
    rows += extra
    awkward = _awkward(400)  # and every address shape: ADDRESS rows, crossings, streets missing or equal
    types = (None, "ADDRESS", "INTERSECTION", " intersection ", "BLOCKFACE", "\tIntersection\n", "\xa0INTERSECTION")
    rows += [{"unique_key": f"z{i}", "created_at": "05/01/2022 12:00:03 AM", "incident_address": a or None,
              "address_type": types[i % len(types)], "intersection_street_1": awkward[-i - 1] or None,
              "intersection_street_2": (a if i % 7 == 0 else awkward[(i * 13) % 400]) or None}
             for i, a in enumerate(awkward)]
    cols = ["unique_key", "created_at", "incident_address", "address_type", "intersection_street_1",
            "intersection_street_2"]
    df = spark.createDataFrame([tuple(r.get(c) for c in cols) for r in rows], ", ".join(f"{c} string" for c in cols))
    got = {r.unique_key: r.address for r in normalize(df).select("unique_key", "address").collect()}
    want = {r["unique_key"]: places.place(r.get("incident_address"), r.get("address_type"),
                                          r.get("intersection_street_1"), r.get("intersection_street_2"))
            for r in rows}
    assert got == want
    assert got["y"] == "E 55 ST & LEXINGTON AVE"
    assert sum(1 for v in got.values() if " & " in v) >= 3  # the sample's intersections
    again = normalize(spark.createDataFrame([(k, "05/01/2022 12:00:03 AM", v) for k, v in got.items()],
                                            "unique_key string, created_at string, address string"))
    assert {r.unique_key: r.address for r in again.select("unique_key", "address").collect()} == got


def test_events_carry_the_place_from_exports_and_soda():
    """Replay (export rows) and Socrata events carry the place, so the stream's lake rows have it and
    `batch --recompute` counts streamed requests by place."""
    from datetime import UTC, datetime

    from pipeline.producers.socrata import event_of
    from pipeline.streams import events as ev
    raw = {"unique_key": "1", "created_at": "05/01/2022 12:00:03 AM", "complaint_type": "Noise", "borough": "BRONX",
           "incident_address": "1006 Gerard Avenue", "address_type": "ADDRESS"}
    rec = ev.record_from_raw(raw, ev.export_time)
    assert rec["address"] == "1006 GERARD AVE"
    e = ev.make_event(rec, "created", rec["created_at"], datetime(2022, 5, 1, 5, tzinfo=UTC), "replay")
    assert e["address"] == "1006 GERARD AVE"
    soda = {"unique_key": "2", "created_date": "2022-05-01T00:00:09.000", "complaint_type": "Noise",
            "borough": "MANHATTAN", "address_type": "INTERSECTION", "incident_address": "EAST   55 STREET",
            "intersection_street_1": "LEXINGTON AVENUE", "intersection_street_2": "EAST   55 STREET"}
    assert event_of(soda, datetime(2022, 5, 1, 5, tzinfo=UTC))["address"] == "E 55 ST & LEXINGTON AVE"
    old = {k: v for k, v in e.items() if k != "address"}  # events of producers older than the field
    ev.validate(old)
