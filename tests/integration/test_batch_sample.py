"""The batch job end to end on the real sample export: Spark -> lake -> rollups -> the real Cassandra
and the embedded SQLite store; every count checked against a recount of the raw CSV made here with
Python's csv module (independent of the Spark code); re-runs, updated requests and quarantine."""
from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import LOAD_NOW

from pipeline.ingest.normalize import BAD_CREATED, MALFORMED, NO_KEY
from pipeline.lake import table as lake
from pipeline.rollups import batch, date_bounds
from pipeline.rollups.backfill import WEEK_ROWS
from pipeline.rollups.tables import ROLLUPS, week_piece
from pipeline.stores import open_store

pytestmark = pytest.mark.integration

NOW = LOAD_NOW  # the shared loads' (conftest), so a load here matches theirs
SHARED = Path(__file__).resolve().parents[2] / "data"  # the product's own copy (data/README.md)
SAMPLE = str(SHARED / "nyc_311_sample_2022.csv")  # conftest's `sample_csv`, for module-scoped fixtures
BOROUGHS = {"BRONX": "Bronx", "BROOKLYN": "Brooklyn", "MANHATTAN": "Manhattan", "QUEENS": "Queens",
            "STATEN ISLAND": "Staten Island"}
CODES = {"MANHATTAN": 1, "BRONX": 2, "BROOKLYN": 3, "QUEENS": 4, "STATEN ISLAND": 5}


# -- the independent recount ---------------------------------------------------------------------
def reference_sets():
    zips = {str(f["properties"]["postalCode"]).zfill(5)
            for f in json.loads((SHARED / "nyc_zip_codes.geojson").read_text())["features"]}
    # ZIPs folded into another's Modified ZCTA (11249 into 11211) are NYC ZIPs too
    zips |= {z.strip() for f in json.loads((SHARED / "nyc_modzcta.geojson").read_text())["features"]
             for z in str(f["properties"].get("label") or "").split(",") if z.strip()}
    cds = {str(f["properties"]["BoroCD"])
           for f in json.loads((SHARED / "nyc_community_districts.geojson").read_text())["features"]}
    return zips, cds


def recount(path: str) -> dict[str, Counter]:
    zips, cds = reference_sets()
    counts: dict[str, Counter] = {k: Counter() for k in
                                  ("borough", "community_district", "zip", "complaint_type", "agency", "day",
                                   "status", "channel", "descriptor", "type_descriptor", "district_descriptor")}
    with open(path, newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            m = re.fullmatch(r"(\d{1,2}) (BRONX|BROOKLYN|MANHATTAN|QUEENS|STATEN ISLAND)", r["Community Board"].strip())
            cd = str(CODES[m.group(2)] * 100 + int(m.group(1))) if m else None
            z = r["Incident Zip"].strip()[:5]
            counts["borough"][BOROUGHS.get(r["Borough"].strip().upper(), "Unspecified")] += 1
            counts["community_district"][cd if cd in cds else "Unspecified"] += 1
            counts["zip"][z if z in zips else "Unspecified"] += 1
            for dim, col in (("complaint_type", "Complaint Type"), ("agency", "Agency"), ("status", "Status"),
                             ("descriptor", "Descriptor")):
                counts[dim][r[col].strip() or "Unspecified"] += 1
            descriptor = (r["Complaint Type"].strip() or "Unspecified", r["Descriptor"].strip() or "Unspecified")
            counts["type_descriptor"][descriptor] += 1
            counts["district_descriptor"][(cd if cd in cds else "Unspecified", *descriptor)] += 1
            counts["channel"][r.get("Open Data Channel Type", "").strip().upper() or "Unspecified"] += 1
            counts["day"][datetime.strptime(r["Created Date"], "%m/%d/%Y %I:%M:%S %p").date().isoformat()] += 1
    return counts


# where each dimension is counted, and how the store names it
DIM_TABLES = {"borough": ("requests", "borough"), "complaint_type": ("requests", "complaint_type"),
              "agency": ("requests", "agency"), "day": ("requests", "period"),
              "community_district": ("districts", "community_district"), "zip": ("zips", "zip"),
              "status": ("status", "status"), "channel": ("channels", "channel"),
              "descriptor": ("descriptors", "descriptor")}
# descriptors by type, and by district and type (the board report's; and the same counts in the table
# a type leads, summed by the batch), each from its own rollup: (table, columns, recount they equal)
PAIR_TABLES = {"type_descriptor": ("type_descriptors", ["complaint_type", "descriptor"], "type_descriptor"),
               "district_descriptor": ("district_descriptors", ["community_district", "complaint_type", "descriptor"],
                                       "district_descriptor"),
               "descriptor_district": ("descriptor_districts", ["community_district", "complaint_type", "descriptor"],
                                       "district_descriptor")}


def store_counts(store, table: str, column: str, grain: str) -> Counter:
    start, end = ("2022-05-01", "2022-05-31") if grain == "day" else ("2022-05", "2022-05")
    got = store.aggregate(table, grain, start, end, [column])
    return Counter({k: int(n) for k, n in zip(got[column], got["n"], strict=True)})


def store_pairs(store, table: str, columns: list[str], grain: str) -> Counter:
    start, end = ("2022-05-01", "2022-05-31") if grain == "day" else ("2022-05", "2022-05")
    got = store.aggregate(table, grain, start, end, columns)
    return Counter({tuple(r[:-1]): int(r[-1]) for r in got[[*columns, "n"]].itertuples(index=False)})


def snapshot(store) -> dict:
    out = {}
    for name, rollup in ROLLUPS.items():
        df = store.select(name)
        out[name] = df.sort_values(list(rollup.columns)).reset_index(drop=True)
    return out


def load(spark, store, path, tmp: Path):
    return batch.load_input(spark, store, str(path), str(tmp / "lake"), str(tmp / "quarantine"), now=NOW)


# -- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sqlite_load(sample_sqlite):
    """The sample in SQLite (conftest's shared load, at this module's NOW)."""
    return sample_sqlite.store, sample_sqlite.report, sample_sqlite.tmp


@pytest.fixture(scope="module")
def cassandra_store(sample_cassandra):
    return sample_cassandra.store


@pytest.fixture(scope="module")
def expected():
    return recount(SAMPLE)


# -- tests ------------------------------------------------------------------------------------------
def test_report_counts_every_row(sqlite_load, expected):
    _, report, _ = sqlite_load
    assert report.rows_read == report.rows_loaded == sum(expected["borough"].values()) == 924
    assert report.quarantined == {} and report.months == ["2022-05"]


@pytest.mark.parametrize("dim", sorted(DIM_TABLES))
@pytest.mark.parametrize("grain", ["day", "month"])
def test_sqlite_counts_equal_raw_recount(sqlite_load, expected, dim, grain):
    table, column = DIM_TABLES[dim]
    if dim == "day" and grain == "month":
        assert store_counts(sqlite_load[0], table, column, grain) == Counter({"2022-05": 924})
        return
    assert store_counts(sqlite_load[0], table, column, grain) == expected[dim]


@pytest.mark.parametrize("dim", sorted(DIM_TABLES))
def test_cassandra_counts_equal_raw_recount(cassandra_store, expected, dim):
    table, column = DIM_TABLES[dim]
    assert store_counts(cassandra_store, table, column, "day") == expected[dim]
    assert sum(store_counts(cassandra_store, table, column, "month").values()) == 924


@pytest.mark.parametrize("pair", sorted(PAIR_TABLES))
def test_descriptor_rollups_equal_raw_recount_on_both_stores(sqlite_load, cassandra_store, expected, pair):
    table, columns, recounted = PAIR_TABLES[pair]
    for store in (sqlite_load[0], cassandra_store):
        for grain in ("day", "month"):
            assert store_pairs(store, table, columns, grain) == expected[recounted], (store.url, grain)


def test_week_rows_equal_raw_recount_on_both_stores(sqlite_load, cassandra_store, expected):
    """Each week piece the load wrote (tables.WEEK_GRAINS: a week's days inside one month) holds the
    recount of its days, in every rollup that keeps week rows; and the store is marked for reads."""
    want = Counter()
    for day, n in expected["day"].items():
        want[week_piece(date.fromisoformat(day)).isoformat()] += n
    assert sum(want.values()) == 924 and "2022-05-01" in want  # a Sunday: the month's first piece is one day
    for store in (sqlite_load[0], cassandra_store):
        for name in (n for n, r in ROLLUPS.items() if "week" in r.grains):
            rows = store.aggregate(name, "week", "2022-05-01", "2022-05-31", by=["period"])
            assert Counter(dict(zip(rows["period"], rows["n"].astype(int), strict=True))) == want, (store.url, name)
        assert store.get_meta(WEEK_ROWS) == "1"


def test_cassandra_holds_the_same_rollups_as_sqlite(sqlite_load, cassandra_store):
    ours, theirs = snapshot(sqlite_load[0]), snapshot(cassandra_store)
    for name in ROLLUPS:
        assert ours[name].astype(str).equals(theirs[name].astype(str)), name
    assert cassandra_store.get_meta("freshness") == "2022-05-01T02:06:26"


def test_every_closed_request_in_resolution_and_every_due_date_in_timeliness(sqlite_load):
    store = sqlite_load[0]
    res = store.aggregate("resolution", "month", "2022-05", "2022-05", [])
    with open(SAMPLE, newline="") as fh:
        rows = list(csv.DictReader(fh))
    fmt = "%m/%d/%Y %I:%M:%S %p"
    positive = sum(1 for r in rows if r["Closed Date"]
                   and datetime.strptime(r["Closed Date"], fmt) > datetime.strptime(r["Created Date"], fmt))
    assert int(res["n"].iloc[0]) == positive
    how = store.aggregate("hours_of_week", "day", "2022-05-01", "2022-05-01", ["how"])
    # 2022-05-01 was a Sunday: hours 0-2 of Sunday are 144..146
    assert set(how["how"]) <= {144, 145, 146} and int(how["n"].sum()) == 924


def test_second_run_changes_nothing(spark, sqlite_load, sample_csv):
    store, _, tmp = sqlite_load
    before, version = snapshot(store), int(store.get_meta("data_version"))
    lake_rows = lake.read(spark, str(tmp / "lake")).drop(*lake.LOAD_SEQ)
    first = sorted(lake_rows.collect())
    load(spark, store, sample_csv, tmp)
    after = snapshot(store)
    for name in ROLLUPS:
        assert before[name].equals(after[name]), name
    assert sorted(lake.read(spark, str(tmp / "lake")).drop(*lake.LOAD_SEQ).collect()) == first
    assert int(store.get_meta("data_version")) == version + 1


def test_updated_request_replaces_old_version_and_bad_rows_are_quarantined(spark, sample_csv, tmp_path):
    with open(sample_csv, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        header, rows = reader.fieldnames, [r for r in reader if r["Status"] == "In Progress"][:20]
    rows[2] = {**rows[2], "Resolution Description": 'She said "wait"\nthen, later: done'}  # a quoted line break
    rows[3] = {**rows[3], "Created Date": "05/02/2022 09:00:00 AM"}  # a day the update does not touch
    first = tmp_path / "in" / "a.csv"
    first.parent.mkdir()
    with open(first, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header)
        w.writeheader()
        w.writerows(rows)
        w.writerow({**rows[0], "Unique Key": ""})
        w.writerow({**rows[1], "Unique Key": "1", "Created Date": "13/45/2022 10:00:00 AM"})
        fh.write("2,05/01/2022 12:00:00 AM,too,few\n")
    store = open_store(f"sqlite:///{tmp_path}/rollups.db")
    report = load(spark, store, first, tmp_path)
    assert (report.rows_read, report.rows_loaded) == (23, 20)
    assert report.quarantined == {NO_KEY: 1, BAD_CREATED: 1, MALFORMED: 1}
    # the file was read with multi-line quoting: the line break survived
    assert lake.read(spark, str(tmp_path / "lake")).where(f"unique_key = '{rows[2]['Unique Key']}'").count() == 1
    # `line` numbers records (header = 1): the quoted line break does not count
    quarantined = [json.loads(line) for f in (tmp_path / "quarantine").rglob("*.json") for line in f.open()]
    assert sorted((q["reason"], q["line"], q["source_file"].endswith("a.csv")) for q in quarantined) == sorted([
        (NO_KEY, 22, True), (BAD_CREATED, 23, True), (MALFORMED, 24, True)])

    updated = tmp_path / "b.csv"
    with open(updated, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header)
        w.writeheader()
        w.writerow({**rows[0], "Status": "Closed", "Closed Date": "05/01/2022 03:00:00 AM",
                    "Resolution Action Updated Date": "05/01/2022 03:00:05 AM"})
    load(spark, store, updated, tmp_path)
    requests = lake.read(spark, str(tmp_path / "lake"))
    assert requests.count() == 20
    assert requests.where(f"unique_key = '{rows[0]['Unique Key']}'").first().status == "Closed"
    status = store.aggregate("status", "month", "2022-05", "2022-05", ["status"])
    assert dict(zip(status["status"], status["n"].astype(int), strict=True)) == {"Closed": 1, "In Progress": 19}
    res = store.aggregate("resolution", "day", "2022-05-01", "2022-05-31", [])
    assert int(res["n"].sum()) == 1
    days = store.aggregate("requests", "day", "2022-05-01", "2022-05-31", ["period"])
    assert dict(zip(days["period"], days["n"].astype(int), strict=True)) == {"2022-05-01": 19, "2022-05-02": 1}
    assert int(store.get_meta("data_version")) == 2
    # the read API's range bounds, recorded for that version: the first and last day loaded
    assert date_bounds.recorded(store.get_metas([date_bounds.META, date_bounds.VERSION])) == (
        True, (date(2022, 5, 1), date(2022, 5, 2)))
    store.close()


def test_recompute_from_the_lake_rebuilds_the_same_rollups(spark, sqlite_load, tmp_path):
    from datetime import date
    source, _, tmp = sqlite_load
    store = open_store(f"sqlite:///{tmp_path}/rollups.db")
    report = batch.recompute(spark, store, str(tmp / "lake"), since=date(2022, 5, 17), now=NOW)
    assert report.months == ["2022-05"]
    ours, theirs = snapshot(source), snapshot(store)
    for name in ROLLUPS:
        assert ours[name].equals(theirs[name]), name
    assert batch.recompute(spark, store, str(tmp / "lake"), since=date(2022, 6, 1)).months == []
    store.close()


def test_command_line_needs_input_or_recompute(capsys):
    import argparse
    parser = argparse.ArgumentParser()
    batch.add_arguments(parser)
    assert batch.run(parser.parse_args([])) == 2
    assert batch.run(parser.parse_args(["--recompute"])) == 2
    assert batch.run(parser.parse_args(["--input", "/nonexistent/x.csv"])) == 2
    assert "no such file" in capsys.readouterr().err
