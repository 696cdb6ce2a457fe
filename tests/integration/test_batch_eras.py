"""Both export eras in one run: an old 53-column copy of sample rows (no BBL, no Open Data Channel
Type; School*, Garage Lot Name and Ferry* columns) loads exactly like the current layout."""
from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

from pipeline.ingest import exports as ingest
from pipeline.ingest.normalize import tag_unusable
from pipeline.schema import REQUEST_COLUMN_NAMES

pytestmark = pytest.mark.integration

SCHOOL = ["School Name", "School Number", "School Region", "School Code", "School Phone Number", "School Address",
          "School City", "School State", "School Zip", "School Not Found", "School or Citywide Complaint"]


def legacy_header(current: list[str]) -> list[str]:
    """The pre-2018 layout, per tests/fixtures/README.md ("The legacy (pre-2018) layout")."""
    out = []
    for h in current:
        if h in ("BBL", "Open Data Channel Type"):
            continue
        out.append(h)
        if h == "Park Borough":
            out += SCHOOL
        if h == "Bridge Highway Segment":
            out += ["Garage Lot Name", "Ferry Direction", "Ferry Terminal Name"]
    return out


def write(path: Path, header: list[str], rows: list[dict], opener=open) -> None:
    with opener(path, "wt", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header, extrasaction="ignore", restval="Unspecified")
        w.writeheader()
        w.writerows(rows)


def normalised(spark, path) -> dict:
    df = tag_unusable(ingest.read_exports(spark, str(path)))
    assert df.where("_reason is not null").count() == 0
    return {r.unique_key: r for r in df.select(*REQUEST_COLUMN_NAMES).collect()}


def test_old_and_new_layouts_load_identically(spark, sample_csv, tmp_path):
    with open(sample_csv, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, rows = list(reader.fieldnames), [r for _, r in zip(range(100), reader, strict=False)]
    old = legacy_header(header)
    assert len(old) == 53
    (tmp_path / "mixed").mkdir()
    write(tmp_path / "mixed" / "2017.csv.gz", old, rows[:50], gzip.open)
    write(tmp_path / "mixed" / "2022.csv", header, rows[50:])
    write(tmp_path / "current.csv", header, rows)

    mixed, current = normalised(spark, tmp_path / "mixed"), normalised(spark, tmp_path / "current.csv")
    assert len(mixed) == len(current) == 100
    old_keys = {r["Unique Key"] for r in rows[:50]}
    for key, row in current.items():
        expected = row.asDict()
        if key in old_keys:  # old exports have no channel column
            expected["channel"] = "Unspecified"
        assert mixed[key].asDict() == expected
