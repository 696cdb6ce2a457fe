"""A load writes only the rollup rows that changed requests touch (pipeline/rollups/changed.py), and
the store still equals a full recount of the lake, in the real Cassandra node and the embedded store.

The real sample is loaded (whole periods: the store has no marks yet). Then the lake changes twice:
a direct merge, as the streaming job's (a request moved to another borough, one given a place), and
a second export: requests closed (status, resolution, timeliness move), moved to another complaint
type or place (their old keys fall to nothing and must go), and new requests on two more days of
the month (new day rows, a new week piece). That load must take the changed-keys path, write a
fraction of its month's rows, and leave every row of every rollup table, every grain, equal to a
`batch --recompute` of the same lake into a fresh store."""
from __future__ import annotations

import csv
import uuid
from datetime import date, datetime, timedelta
from urllib.parse import urlparse

import pandas as pd
import pytest
from pyspark.sql import functions as F

from pipeline.ingest import exports as ingest
from pipeline.ingest.normalize import tag_unusable
from pipeline.lake import table as lake
from pipeline.lake.changes import LOAD_ID_BASE
from pipeline.rollups import batch
from pipeline.rollups.tables import ROLLUPS, RUNNING_TABLES
from pipeline.schema import REQUEST_COLUMN_NAMES
from pipeline.stores import open_store
from tests.conftest import LOAD_NOW

pytestmark = pytest.mark.integration

FMT = "%m/%d/%Y %I:%M:%S %p"
LATER = "05/20/2022 09:00:00 AM"  # the changed versions' update time: newer than every sample row's


def _rows(sample_csv: str) -> tuple[list[dict], list[str]]:
    with open(sample_csv, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader), list(reader.fieldnames)


def _write(path, header, rows) -> str:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)
    return str(path)


def second_export(rows: list[dict]) -> list[dict]:
    """Closings, type and place moves of sample requests, and new requests on May 2 and 7."""
    still_open = [r for r in rows if not r["Closed Date"]]
    out = []
    for i, r in enumerate(still_open[:12]):  # closed: from In Progress to Closed, a resolution bin
        closed = datetime.strptime(r["Created Date"], FMT) + timedelta(hours=1 + 7 * i)
        out.append({**r, "Status": "Closed", "Closed Date": closed.strftime(FMT), "Resolution Action Updated Date": LATER})
    for r in rows[100:105]:  # another type: every key of the old type's rows loses them
        out.append({**r, "Complaint Type": "Keyed Test Type", "Resolution Action Updated Date": LATER})
    for r in rows[200:203]:  # another place: the place rows and the scopes' heads move
        out.append({**r, "Incident Address": "1 KEYED TEST PLACE", "Resolution Action Updated Date": LATER})
    for i, r in enumerate(rows[300:306]):  # new requests on new days of the month
        day = "05/02/2022" if i % 2 else "05/07/2022"
        out.append({**r, "Unique Key": f"99{i:06d}", "Created Date": day + r["Created Date"][10:],
                    "Closed Date": "", "Status": "Open"})
    return out


def stream_merge(spark, lake_path: str, path: str) -> None:
    """Merge an export's rows into the lake the way the streaming job does: no rollups written."""
    tagged = tag_unusable(ingest.read_exports(spark, path))
    good = lake.with_load_id(tagged.where(F.col("_reason").isNull()), LOAD_ID_BASE + 1)
    lake.merge(spark, lake_path, good.select(*REQUEST_COLUMN_NAMES, *lake.LOAD_SEQ))


def every_row(store, table: str) -> pd.DataFrame:
    """Every row of a rollup table at every grain, in one order (partition by partition: Cassandra
    reads by partition key)."""
    grains = [*ROLLUPS[table].grains, *(("ytd", "upto") if table in RUNNING_TABLES else ())]
    parts = [store.select(table, {"grain": g, "bucket": b}) for g in grains for b in store.buckets(table, g)]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(list(out.columns)).reset_index(drop=True).astype(str)


@pytest.mark.parametrize("kind", ["sqlite", "cassandra"])
def test_a_load_writes_the_changed_keys_and_the_store_equals_a_recount(spark, sample_csv, cassandra_url, tmp_path, kind):
    def url(name: str) -> str:
        if kind == "sqlite":
            return f"sqlite:///{tmp_path}/{name}.db"
        u = urlparse(cassandra_url)
        return f"cassandra://{u.netloc}{u.path}_keyed_{name}_{uuid.uuid4().hex[:8]}"  # fresh keyspaces

    rows, header = _rows(sample_csv)
    lake_path, quarantine = str(tmp_path / "lake"), str(tmp_path / "quarantine")
    moved = [{**rows[400], "Borough": "QUEENS", "Resolution Action Updated Date": LATER},
             {**rows[401], "Incident Address": "2 KEYED TEST PLACE", "Resolution Action Updated Date": LATER}]
    with open_store(url("loaded")) as store, open_store(url("recount")) as recount:
        first = batch.load_input(spark, store, sample_csv, lake_path, quarantine, now=LOAD_NOW)
        assert first.writes.startswith("whole periods"), first.writes
        stream_merge(spark, lake_path, _write(tmp_path / "stream.csv", header, moved))
        second = batch.load_input(spark, store, _write(tmp_path / "second.csv", header, second_export(rows)),
                                  lake_path, quarantine, now=LOAD_NOW)
        assert second.writes.startswith("changed keys"), second.writes
        batch.recompute(spark, recount, lake_path, date(2022, 5, 1), now=LOAD_NOW)

        empty = set()
        for table in ROLLUPS:
            loaded, expected = every_row(store, table), every_row(recount, table)
            if expected.empty:
                empty.add(table)
            pd.testing.assert_frame_equal(loaded, expected, obj=table)
        assert empty <= {n for n, r in ROLLUPS.items() if "with_due" in r.measures}  # the sample has no due dates
        # a fraction of the month's place rows was written the second time, not all of them
        places = len(every_row(store, "places_by_cell"))
        assert second.rollup_rows["places_by_cell/month"] < places / 4, (second.rollup_rows, places)
        if kind == "cassandra":  # keyspaces of their own each run
            for s in (store, recount):
                s._sess(keyspace=False).execute(f"DROP KEYSPACE IF EXISTS {s.keyspace}", timeout=60)
