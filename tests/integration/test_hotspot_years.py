"""Year rows of the hexagon maps' tables (pipeline/rollups/year_rows.py) and of the count rollups
(pipeline/rollups/year_counts.py), and the running totals (pipeline/rollups/running_counts.py), through the
real batch job, in SQLite and in Cassandra: written for the years the lake has closed, rewritten when a load touches
such a year (a new version of an old request, a late one), left alone by a load of the current
year; and a range read through them equals a recount of the raw rows, as the month rows do."""
from __future__ import annotations

import csv
import uuid
from collections import Counter
from datetime import UTC, date, datetime
from urllib.parse import urlparse

import pytest
from test_hotspots_recount import SAMPLE, raw_rows, recount, shown_places

from pipeline.read.api import Filters, ReadAPI
from pipeline.read.hotspots import HotspotAPI
from pipeline.rollups import batch, running_counts, year_counts, year_rows
from pipeline.stores import open_store

pytestmark = pytest.mark.integration

NOW = datetime(2022, 3, 1, tzinfo=UTC)
CELL_A, CELL_B = ("40.7128", "-73.9570"), ("40.6782", "-73.9442")  # two Brooklyn hexagons
# (unique key, created 'MM/DD/YYYY', address, coordinates)
FIRST = [("1", "03/02/2021", "10 MAIN ST", CELL_A), ("2", "03/05/2021", "10 MAIN STREET", CELL_A),
         ("3", "03/09/2021", "20 OAK AVE", CELL_A), ("4", "03/12/2021", "5 ELM ST", CELL_B),
         ("5", "11/03/2021", "10 Main St.", CELL_A), ("6", "11/20/2021", "30 PINE ST", CELL_B),
         ("7", "01/15/2022", "10 MAIN ST", CELL_A)]
# a late request of a closed year, and request 3 again with its address corrected (a newer version)
SECOND = [("8", "06/01/2021", "20 OAK AVE", CELL_A), ("3", "03/09/2021", "5 ELM ST", CELL_B)]
THIRD = [("9", "02/02/2022", "30 PINE ST", CELL_B)]  # the current year only


def write_csv(path, rows) -> list[dict]:
    header = list(raw_rows(SAMPLE)[0])
    base = {h: "" for h in header} | {"Agency": "NYPD", "Complaint Type": "Noise - Street/Sidewalk",
                                      "Borough": "BROOKLYN", "Community Board": "01 BROOKLYN", "Status": "Open",
                                      "Address Type": "ADDRESS"}
    out = [base | {"Unique Key": str(900100 + int(key)), "Created Date": f"{day} 10:00:00 AM",
                   "Incident Address": address, "Latitude": lat, "Longitude": lon}
           | ({"Status": "Closed", "Closed Date": f"{day} 04:00:00 PM"} if int(key) % 2 else {})  # odd keys: closed
           for key, day, address, (lat, lon) in rows]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, header)
        w.writeheader()
        w.writerows(out)
    return out


@pytest.fixture(params=["sqlite", "cassandra"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/rollups.db"
    u = urlparse(request.getfixturevalue("cassandra_url"))
    return f"cassandra://{u.netloc}{u.path}_years_{uuid.uuid4().hex[:8]}"


def test_year_rows_follow_the_loads_and_equal_a_recount(spark, tmp_path, store_url):
    latest: dict[str, dict] = {}  # the raw rows as the lake keeps them: the last version of each request
    with open_store(store_url) as store:
        api = HotspotAPI(store, cache=False)
        for i, rows in enumerate((FIRST, SECOND, THIRD)):
            raw = write_csv(tmp_path / f"load{i}.csv", rows)
            latest.update({r["Unique Key"]: r for r in raw})
            report = batch.load_input(spark, store, str(tmp_path / f"load{i}.csv"), str(tmp_path / "lake"),
                                      str(tmp_path / "quarantine"), now=NOW)
            # 2021 is closed from the first load on (the lake reaches 2022); the third load touches only 2022
            assert year_rows.written(store) == {"2021"}
            assert ("hex_totals/year" in report.rollup_rows) == (i < 2)
            every = list(latest.values())
            in_2021 = [r for r in every if r["Created Date"].endswith("2021 10:00:00 AM")]
            # the year rows themselves: one year's sums
            heads = store.aggregate("place_heads", "year", "2021", "2021", by=["scope_area", "address", "borough"],
                                    filters={"scope_type": "*"})
            city = heads[heads["scope_area"] == "*"]  # the city's heads, every place of 2021 (fewer than 100)
            assert Counter({(a, b): int(n) for _, a, b, n in city.itertuples(index=False)}) == recount(in_2021)[0]
            heads = heads[heads["scope_area"].str.startswith("c:")]  # each cell's
            assert Counter({(s[2:], a, b): int(n) for s, a, b, n in heads.itertuples(index=False)}) == Counter(
                {(c, a, b): n for c in recount(in_2021)[1] for (a, b), n in recount(in_2021, cell=c)[0].items()})
            for table in ("hex_totals", "hex_cells"):
                cells = store.aggregate(table, "year", "2021", "2021", by=["cell"])
                assert Counter(dict(zip(cells["cell"], cells["n"].astype(int), strict=True))) == recount(in_2021)[1]
            # reads over ranges that cover 2021 whole (year rows) and in part (month rows only)
            for start in (date(2021, 1, 1), date(2021, 3, 1)):
                f = Filters(start=start, end=date(2022, 2, 28))
                chosen = [r for r in every if datetime.strptime(r["Created Date"][:10], "%m/%d/%Y").date() >= start]
                want_places, want_cells = recount(chosen)
                months_only = HotspotAPI(store, cache=False)
                months_only.use_year_rows = False
                for one_type in (None, "Noise - Street/Sidewalk"):  # the maps: hex_totals (running totals), hex_cells
                    got = api.hotspot_cells(Filters(start=f.start, end=f.end, complaint_type=one_type))
                    assert Counter(dict(zip(got["cell"], got["count"].astype(int), strict=True))) == want_cells
                    assert got.equals(months_only.hotspot_cells(Filters(start=f.start, end=f.end, complaint_type=one_type)))
                for cell in want_cells:
                    every_place = recount(chosen, cell=cell)[0]
                    assert shown_places(api, f, cell) == every_place
                    # a short list: from the cell's year heads (place_heads 'c:<cell>') when 2021 is whole
                    top = api.hotspot_places(f, cell, 2)
                    assert list(top["count"]) == sorted(every_place.values(), reverse=True)[:2]
                    assert all(every_place[(a, b)] == n for a, b, n in zip(top["address"], top["borough"], top["count"], strict=True))
                assert shown_places(api, f) == want_places
                top = api.hotspot_places(f, None, 2)  # a short list: from the city's year heads when 2021 is whole
                assert list(top["count"]) == sorted(want_places.values(), reverse=True)[:2]
                assert all(want_places[(a, b)] == n for a, b, n in zip(top["address"], top["borough"], top["count"], strict=True))
                # the count rollups' totals, from their year rows when 2021 is whole (pipeline/rollups/year_counts.py)
                by_type = ReadAPI(store, cache=False).counts("complaint_type", f)
                assert dict(zip(by_type["complaint_type"], by_type["count"], strict=True)) == {
                    "Noise - Street/Sidewalk": len(chosen)}
                # resolution totals: from the running totals (pipeline/rollups/running_counts.py) by agency and type
                plain = ReadAPI(store, cache=False)
                plain.running_totals = lambda: None  # year and month rows only
                for by in (None, "agency", "complaint_type"):
                    got = ReadAPI(store, cache=False).resolution(by, f)
                    assert int(got["closed"].sum()) == sum(1 for r in chosen if r["Closed Date"]), by
                    assert got.equals(plain.resolution(by, f)), by
            # the count rollups' year rows follow the same closed years, each the year's recount
            assert year_counts.written(store) == {"2021"}
            assert running_counts.written(store) == ({"2021": "2021-12", "2022": "2022-01" if i < 2 else "2022-02"},
                                                     {"2021"})
            assert ("resolution_types/upto" in report.rollup_rows) == (i < 2)  # the third load touches 2022 alone
            assert "hex_totals/ytd" in report.rollup_rows  # the every-type map's running totals: each load's 2022
            assert ("totals/year" in report.rollup_rows) == (i < 2)
            for table in ("totals", "boroughs", "types", "requests", "status"):
                year = store.aggregate(table, "year", "2021", "2021", by=[])
                assert int(year["n"].sum()) == len(in_2021)
    assert recount(every)[0][("10 MAIN ST", "Brooklyn")] == 4  # three spellings are one place
