"""One text-cleaning rule set: the Python functions the producers use and the Spark expressions the
batch and streaming normaliser use give the same answer for the same raw value, and the full
normalisers (events.record_from_raw and normalize) agree on the dimension columns."""
from __future__ import annotations

import pytest

from pipeline.ingest import cleaning
from pipeline.ingest.normalize import normalize
from pipeline.schema import UNSPECIFIED
from pipeline.streams import events as ev

pytestmark = pytest.mark.unit

TRICKY = [None, "", " ", "   ", "\t", "\n", " \t\r\n ", "N/A", "n/a", " N/A ", "NA", "na", "Na", "N / A", "NAN",
          "Unspecified", "UNSPECIFIED", "unspecified", " Unspecified\t", "Noise", "  Noise - Residential  ",
          "\tHEAT/HOT WATER\n", "NYPD", "Nà", "0", "Illegal Parking", "a\tb"]


def test_python_and_spark_rules_agree_on_tricky_values(spark):
    frame = spark.createDataFrame([(i, v) for i, v in enumerate(TRICKY)], "i int, v string")
    rows = frame.select("i", cleaning.text_col(frame["v"]).alias("text"),
                        cleaning.dim_col(frame["v"]).alias("dim")).orderBy("i").collect()
    assert [r["text"] for r in rows] == [cleaning.text(v) for v in TRICKY]
    assert [r["dim"] for r in rows] == [cleaning.dim(v) for v in TRICKY]


def test_placeholders_are_unspecified_and_text_is_kept():
    assert {cleaning.dim(v) for v in ("N/A", "n/a", "NA", "", None, "  ", "unspecified")} == {UNSPECIFIED}
    assert cleaning.dim("  Noise - Residential ") == "Noise - Residential"
    assert cleaning.text("N/A") == "N/A"  # free text (descriptor, agency name) keeps what it says


def test_live_records_and_batch_rows_get_the_same_dimensions(spark):
    fields = ("complaint_type", "agency", "status")
    raws = [{"unique_key": str(i), "created_at": "05/01/2022 12:00:03 AM", "complaint_type": v, "agency": v,
             "status": "Open"} for i, v in enumerate(TRICKY)]
    live = {r["unique_key"]: ev.record_from_raw(r, ev.export_time) for r in raws}
    frame = spark.createDataFrame([tuple(r.get(f) for f in ("unique_key", "created_at", *fields)) for r in raws],
                                  "unique_key string, created_at string, complaint_type string, agency string, "
                                  "status string")
    batch = {r["unique_key"]: r for r in normalize(frame).collect()}
    for key, rec in live.items():
        assert (batch[key]["complaint_type"], batch[key]["agency"]) == (rec["complaint_type"], rec["agency"]), key
