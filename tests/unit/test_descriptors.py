"""Descriptors (issue 14): the read API picks the descriptor rollups only for queries that name the
descriptor, every descriptor count equals a recount of the requests (synthetic rows, SQLite; the
real sample and Cassandra are in tests/integration), and the live state counts a missing
descriptor as 'Unspecified', as the batch does."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipeline.read.api import TABLE_PREFERENCE, Filters, ReadAPI, table_for
from pipeline.rollups.tables import ROLLUPS
from pipeline.stream.rows import dirty_rows
from pipeline.stream.state import STATE_COLUMNS, RequestState
from tests.support.rollup_fixtures import make_requests, recount, sqlite_read_api

pytestmark = pytest.mark.unit
DESCRIPTOR_TABLES = ("type_descriptors", "descriptors", "descriptor_districts", "district_descriptors")


@pytest.fixture(scope="module")
def reqs() -> pd.DataFrame:
    return make_requests(seed=14, n=2000)


@pytest.fixture(scope="module")
def api(reqs, tmp_path_factory) -> ReadAPI:
    return sqlite_read_api(reqs, tmp_path_factory.mktemp('desc'))



def as_dict(frame: pd.DataFrame, key: str) -> dict:
    return dict(zip(frame[key], frame["count"], strict=True))


# -- table choice ------------------------------------------------------------------------------------
def test_descriptor_queries_read_the_descriptor_rollups():
    assert table_for({"descriptor"}) == "type_descriptors"
    assert table_for({"descriptor", "complaint_type"}) == "type_descriptors"
    assert table_for({"descriptor", "complaint_type", "agency"}) == "type_descriptors"
    assert table_for({"descriptor", "borough"}) == "descriptors"
    assert table_for({"descriptor", "borough", "complaint_type", "agency"}) == "descriptors"
    # a type's descriptor by district: the table the type leads (a slice), not district_descriptors
    assert table_for({"descriptor", "community_district", "borough"}) == "descriptor_districts"
    assert table_for({"descriptor", "community_district", "complaint_type"}) == "descriptor_districts"
    assert table_for({"descriptor", "community_district", "complaint_type", "agency"}) == "district_descriptors"
    with pytest.raises(ValueError, match="descriptor"):
        table_for({"descriptor", "zip"})  # no ZIP x descriptor rollup: the app says so on the chart
    with pytest.raises(ValueError):
        table_for({"descriptor", "res_bin"})
    live = [n for n in TABLE_PREFERENCE if ROLLUPS[n].live_table]
    assert ROLLUPS[table_for({"descriptor", "borough"}, preference=live)].live_table == "live_descriptors"


def test_a_filter_fixing_a_later_tables_leading_column_picks_that_table():
    """A filter that pins a later table's leading column makes that table a slice (a seek), where the
    first table would be read whole for the period: the later one wins, within the same grains."""
    assert table_for({"descriptor", "community_district"}) == "descriptor_districts"
    assert table_for({"descriptor", "community_district"}, fixed={"community_district"}) == "district_descriptors"
    assert table_for({"descriptor", "complaint_type", "borough"},
                     fixed={"complaint_type", "descriptor"}) == "descriptor_districts"
    assert table_for({"complaint_type", "community_district"}, fixed={"community_district"}) == "districts"
    # the first table's lead is fixed already: it stays
    assert table_for({"borough", "complaint_type"}, fixed={"borough"}) == "requests"
    # never a table of other grains (the hotspot tables have no day rows)
    assert table_for({"community_district", "borough"}, fixed={"borough"}) == "district_totals"


def test_queries_without_descriptor_keep_their_small_tables():
    """Every column set the read API asks for without a descriptor reads a table without one."""
    for name, rollup in ROLLUPS.items():
        if "descriptor" in rollup.dims:
            continue
        dims = set(rollup.dims)
        assert "descriptor" not in ROLLUPS[table_for(dims, rollup.measures)].dims, name
    assert table_for(set()) == "totals" and table_for({"complaint_type"}) == "types"
    assert table_for({"borough", "complaint_type"}) == "requests"
    assert TABLE_PREFERENCE[-len(DESCRIPTOR_TABLES):] == DESCRIPTOR_TABLES  # read only when asked for


# -- recounts over synthetic rows (SQLite) ------------------------------------------------------------
def test_counts_by_descriptor_equal_recount(api, reqs):
    assert as_dict(api.counts("descriptor"), "descriptor") == recount(reqs, "descriptor")
    for t in ("Noise - Residential", "HEAT/HOT WATER", "Street Condition"):
        got = api.counts("descriptor", Filters(complaint_type=t, start=date(2024, 1, 25), end=date(2024, 3, 17)))
        assert as_dict(got, "descriptor") == recount(reqs, "descriptor", date(2024, 1, 25), date(2024, 3, 17),
                                                     complaint_type=t)
    got = api.counts("descriptor", Filters(borough="Bronx", complaint_type="Street Condition"))
    assert as_dict(got, "descriptor") == recount(reqs, "descriptor", borough="Bronx", complaint_type="Street Condition")


def test_pair_counts_equal_recount(api, reqs):
    """The board report's (type, descriptor) pairs of a district, one read, against a recount."""
    for f, eq in ((Filters(), {}), (Filters(community_district="301", start=date(2024, 2, 1), end=date(2024, 2, 29)),
                                    dict(community_district="301", start=date(2024, 2, 1), end=date(2024, 2, 29)))):
        got = api.pair_counts("complaint_type", "descriptor", f)
        want = recount(reqs, ["complaint_type", "descriptor"], **eq)
        assert dict(zip(zip(got["complaint_type"], got["descriptor"], strict=True), got["count"], strict=True)) == want
        assert list(got["count"]) == sorted(got["count"], reverse=True)
    with pytest.raises(ValueError):
        api.pair_counts("descriptor", "descriptor")
    with pytest.raises(ValueError):
        api.pair_counts("complaint_type", "week")


def test_the_descriptor_filter_narrows_counts_series_and_areas(api, reqs):
    f = Filters(descriptor="Loud Music/Party", start=date(2024, 2, 3), end=date(2024, 4, 9))
    want = dict(start=date(2024, 2, 3), end=date(2024, 4, 9), descriptor="Loud Music/Party")
    assert as_dict(api.counts("complaint_type", f), "complaint_type") == recount(reqs, "complaint_type", **want)
    assert as_dict(api.counts("borough", f), "borough") == recount(reqs, "borough", **want)
    days = api.timeseries(f, "day")
    expected = recount(reqs, reqs["created"].dt.strftime("%Y-%m-%d"), **want)
    assert {p: c for p, c in zip(days["period"], days["count"], strict=True) if c} == expected
    areas = api.top_areas("community_district", f, n=100)
    want_cd = {k: v for k, v in recount(reqs, "community_district", **want).items() if k != "Unspecified"}
    assert as_dict(areas, "community_district") == want_cd
    board = api.counts("descriptor", Filters(community_district="301", complaint_type="Noise - Residential"))
    assert as_dict(board, "descriptor") == recount(reqs, "descriptor", community_district="301",
                                                    complaint_type="Noise - Residential")


# -- the live path ---------------------------------------------------------------------------------------
def test_live_rows_count_descriptors_and_a_missing_one_as_unspecified(tmp_path):
    state = RequestState(tmp_path / "s.db")
    cols = [c for c in STATE_COLUMNS if c != "batch_id"]
    rows = [("a", "Loud Music/Party"), ("b", "Loud Music/Party"), ("c", None), ("d", "Banging/Pounding")]
    frame = pd.DataFrame([{**dict.fromkeys(cols), "unique_key": k, "created_at": 0, "period": "2024-03-01T10:00",
                           "version": "1", "borough": "Bronx", "complaint_type": "Noise - Residential",
                           "agency": "NYPD", "community_district": "209", "zip": "10472", "descriptor": d}
                          for k, d in rows], columns=cols)
    state.apply(0, frame, 0)
    rows = dirty_rows(state, "2024-03-01T10:00")  # what the sink writes after this batch
    live = rows["live_descriptors"]
    assert list(live.columns) == list(ROLLUPS["descriptors"].columns)
    assert dict(zip(live["descriptor"], live["n"], strict=True)) == {
        "Loud Music/Party": 2, "Unspecified": 1, "Banging/Pounding": 1}
    assert int(rows["live_requests"]["n"].sum()) == 4

