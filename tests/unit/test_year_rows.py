"""Year rows of the hexagon maps' tables (pipeline/rollups/year_rows.py): which years get them, how a range
is split into year and month pieces, and that a read through them equals a recount of the requests."""
from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.read.api import Filters
from pipeline.read.hotspots import HotspotAPI
from pipeline.rollups import frames, hotspot_rows, year_rows
from pipeline.rollups.hotspot_rows import FINEST, REST
from tests.support.rollup_fixtures import load, make_requests, rollup_rows, with_places

pytestmark = pytest.mark.unit

MONTHS = [f"{y}-{m:02d}" for y in range(2014, 2021) for m in range(1, 13)]


def months_of(piece: tuple[str, str, str]) -> list[str]:
    grain, first, last = piece
    if grain == "year":
        return [m for m in MONTHS if first <= m[:4] <= last]
    return [m for m in MONTHS if first <= m <= last]


@given(st.integers(0, len(MONTHS) - 1), st.integers(0, len(MONTHS) - 1),
       st.sets(st.sampled_from([str(y) for y in range(2013, 2022)])))
def test_a_span_is_read_once_and_listed_whole_years_as_years(i, j, years):
    first, last = sorted((MONTHS[i], MONTHS[j]))
    pieces = year_rows.split_span((first, last), years)
    covered = [m for p in pieces for m in months_of(p)]
    assert covered == [m for m in MONTHS if first <= m <= last]  # every month once, in order
    assert all(a[0] != b[0] for a, b in zip(pieces, pieces[1:], strict=False))  # runs are merged
    as_years = {m[:4] for p in pieces if p[0] == "year" for m in months_of(p)}
    whole = {y for y in years if first <= f"{y}-01" and f"{y}-12" <= last}
    assert as_years == whole  # a listed year read whole from its rows, any other year by months


def test_split_span_examples():
    assert year_rows.split_span(("2016-01", "2025-11"), {str(y) for y in range(2016, 2025)}) == [
        ("year", "2016", "2024"), ("month", "2025-01", "2025-11")]
    assert year_rows.split_span(("2016-03", "2018-12"), {"2016", "2017", "2018"}) == [
        ("month", "2016-03", "2016-12"), ("year", "2017", "2018")]
    assert year_rows.split_span(("2016-03", "2016-05"), {"2016"}) == [("month", "2016-03", "2016-05")]
    assert year_rows.split_span(("2016-01", "2018-12"), {"2016", "2018"}) == [
        ("year", "2016", "2016"), ("month", "2017-01", "2017-12"), ("year", "2018", "2018")]


def test_closed_years_and_what_a_load_writes():
    lake = ["2020-11", "2021-03", "2021-12", "2022-01"]
    assert year_rows.closed_years(lake) == {"2020", "2021"}
    assert year_rows.closed_years([]) == set()
    # a first load (or a store from before year rows): every closed year
    assert year_rows.years_to_write(lake, ["2022-01"], set()) == ["2020", "2021"]
    # a daily load of the current year: none
    assert year_rows.years_to_write(lake, ["2022-01"], {"2020", "2021"}) == []
    # a late version of an old request: that year again
    assert year_rows.years_to_write(lake, ["2021-03", "2022-01"], {"2020", "2021"}) == ["2021"]
    # the first month of a new year closes the last one
    assert year_rows.years_to_write([*lake, "2023-01"], ["2023-01"], {"2020", "2021"}) == ["2022"]
    assert year_rows.meta_value({"2021", "2020"}) == "2020,2021"


def requests_over_two_years() -> pd.DataFrame:
    """make_requests' 2024 rows and the same again a year earlier: 2023 is closed."""
    reqs = make_requests()
    earlier = reqs.assign(created=reqs["created"] - pd.DateOffset(years=1))
    return with_places(pd.concat([earlier, reqs], ignore_index=True))


@pytest.fixture(scope="module")
def years_api(tmp_path_factory):
    from pipeline.stores import open_store
    store = open_store(f"sqlite:///{tmp_path_factory.mktemp('years')}/rollups.db")
    store.ensure_schema()
    reqs = requests_over_two_years()
    load(store, reqs)
    finest = rollup_rows(reqs, FINEST, "month")
    tables = year_rows.tables(finest[finest["period"] < "2024"])
    # shallow heads (2 places a scope or cell), so that lists are ranked with places left out, not from whole heads
    tables["place_heads"] = hotspot_rows.year_heads(frames.coarsen(finest[finest["period"] < "2024"], FINEST, "year"), 2)
    for name, rows in tables.items():
        assert set(rows["period"]) == {"2023"} and set(rows["bucket"]) == {"2023"}
        store.replace_periods(name, "year", ["2023"], rows)
    store.set_meta(year_rows.META, "2023")
    yield HotspotAPI(store, cache=False), reqs, store
    store.close()


def test_year_rows_are_the_sums_of_their_months():
    finest = rollup_rows(requests_over_two_years(), FINEST, "month")
    for name, rows in year_rows.tables(finest).items():
        if name == "place_heads":  # the cells' heads: test_cell_heads_list_each_cell_s_busiest_places...
            continue
        months = frames.coarsen(finest, name, "month")
        assert rows.groupby("period")["n"].sum().to_dict() == \
            months.groupby(months["period"].str[:4])["n"].sum().to_dict()
        assert rows.duplicated(["period", *[c for c in rows.columns if c not in ("grain", "bucket", "period", "n")]]).sum() == 0


@settings(max_examples=25, deadline=None)
@example(date(2023, 1, 1), 700, {})  # 2023 whole: its year rows, then 2024's months
@example(date(2023, 1, 1), 400, {"complaint_type": "HEAT/HOT WATER"})
@given(st.dates(date(2022, 12, 1), date(2024, 2, 1)), st.integers(0, 500),
       st.sampled_from([{}, {"borough": "Brooklyn"}, {"complaint_type": "HEAT/HOT WATER"}]))
def test_reads_through_year_rows_equal_a_recount(years_api, start, days, dims):
    api, reqs, _ = years_api
    f = Filters(start=start, end=min(date(2024, 12, 31), start + pd.Timedelta(days=days)), **dims)
    sel = reqs
    for col, v in f.dims().items():
        sel = sel[sel[col] == v]
    rng = api._range(f)  # the range clamped to the data's days (None: outside them, nothing shown)
    month = sel["created"].dt.strftime("%Y-%m")
    sel = sel[(month >= rng[0].strftime("%Y-%m")) & (month <= rng[1].strftime("%Y-%m"))] if rng else sel[:0]
    want = sel[sel["cell"] != "Unspecified"]["cell"].value_counts().to_dict()
    cells = api.hotspot_cells(f)  # the map: hex_totals for every type, hex_cells for one
    assert dict(zip(cells["cell"], cells["count"], strict=True)) == want
    for cell in list(want)[:3]:
        places = api.hotspot_places(f, cell, 1000)
        here = sel[(sel["cell"] == cell) & (sel["address"] != "Unspecified")]
        assert dict(zip(zip(places["address"], places["borough"], strict=True), places["count"], strict=True)) == \
            here.groupby(["address", "borough"]).size().to_dict()
        assert top_list(api.hotspot_places(f, cell, 3)) == brute_top(here, 3)  # ranked from the cell's heads
    # the scope's list: from its year heads and its months' heads when the range covers 2023 whole
    assert top_list(api.hotspot_places(f, None, 3)) == brute_top(sel[sel["address"] != "Unspecified"], 3)


def top_list(got: pd.DataFrame) -> list[tuple]:
    return list(zip(got["address"], got["borough"], got["community_district"], got["count"].astype(int), strict=True))


def brute_top(requests: pd.DataFrame, n: int) -> list[tuple]:
    counts = requests.groupby(["address", "borough", "community_district"]).size().reset_index(name="count")
    counts = counts.sort_values(["count", "address", "borough", "community_district"], ascending=[False, True, True, True])
    return [tuple(r) for r in counts.head(n).itertuples(index=False)]


def test_cell_heads_list_each_cell_s_busiest_places_and_the_largest_left_out():
    finest = rollup_rows(requests_over_two_years(), FINEST, "month")
    year = frames.coarsen(finest, FINEST, "year")
    got = hotspot_rows.cell_heads(year, 2)
    assert set(got["scope_type"]) == {"*"} and got["scope_area"].str.startswith("c:").all()
    known = year[(year["address"] != "Unspecified") & (year["cell"] != "Unspecified")]
    for (period, cell), rows in known.groupby(["period", "cell"]):
        places = rows.groupby(["address", "borough", "community_district"])["n"].sum().reset_index()
        places = places.sort_values(["n", "address", "borough", "community_district"], ascending=[False, True, True, True])
        mine = got[(got["period"] == period) & (got["scope_area"] == "c:" + cell)]
        listed = mine[mine["address"] != REST]
        assert list(zip(listed["address"], listed["n"], strict=True)) == list(zip(places["address"], places["n"], strict=True))[:2]
        assert list(mine.loc[mine["address"] == REST, "n"]) == list(places["n"].iloc[2:3])


def test_a_clicked_cell_over_a_closed_year_is_ranked_from_its_heads(years_api):
    """Every cell's top 3 over 2023-2024 (2023 whole: its year heads, two places deep) equals the brute
    force; and the heads settle most of them without summing the cell's rows."""
    api, reqs, _ = years_api
    f = Filters(start=date(2023, 1, 1), end=date(2024, 12, 31))
    span = ("2023-01", "2024-12")
    settled = 0
    cells = sorted(set(reqs["cell"]) - {"Unspecified"})
    for cell in cells:
        here = reqs[(reqs["cell"] == cell) & (reqs["address"] != "Unspecified")]
        assert top_list(api.hotspot_places(f, cell, 3)) == brute_top(here, 3)
        top = api._cell_top_from_heads({"cell": cell}, cell, span, 3)
        if top is not None:
            settled += 1
            assert list(zip(top["address"], top["count"], strict=True)) == [(a, c) for a, _, _, c in brute_top(here, 3)]
    assert settled >= len(cells) // 2, (settled, len(cells))


def test_a_scope_s_list_over_a_closed_year_is_ranked_from_its_year_heads(years_api):
    """The city's, a borough's, a type's and a district's top 3 over 2023-2024 (2023 whole: its year
    heads, two places deep, and 2024's twelve months of heads, one piece each) equal the brute force,
    with a cell each place's requests fall in; and the pieces settle them without summing every row."""
    api, reqs, _ = years_api
    f = Filters(start=date(2023, 1, 1), end=date(2024, 12, 31))
    pieces = year_rows.split_span(("2023-01", "2024-12"), {"2023"})
    assert pieces[0] == ("year", "2023", "2023")
    district = reqs.loc[reqs["community_district"] != "Unspecified", "community_district"].mode().iloc[0]
    settled = 0
    for dims in ({}, {"borough": "Brooklyn"}, {"complaint_type": "HEAT/HOT WATER"}, {"community_district": district}):
        known = reqs[reqs["address"] != "Unspecified"]
        for col, v in dims.items():
            known = known[known[col] == v]
        assert top_list(api.hotspot_places(f.but(**dims), None, 3)) == brute_top(known, 3)
        scope_type, scope_area = hotspot_rows.scope_of(dims.get("complaint_type"), dims.get("borough"),
                                                      dims.get("community_district"))
        top = api._top_from_pieces(dims, {"scope_type": scope_type, "scope_area": scope_area}, pieces, 3)
        if top is not None:
            settled += 1
            assert top_list(top) == brute_top(known, 3)
            for address, borough, cell in zip(top["address"], top["borough"], top["cell"], strict=True):
                assert cell in set(known.loc[(known["address"] == address) & (known["borough"] == borough), "cell"])
    assert settled >= 3


def test_only_the_years_the_meta_lists_are_read_from_year_rows(years_api):
    """Year rows doubled on purpose: a range covering 2023 reads them while the meta lists 2023, and
    the month rows once it does not (a store written before year rows existed)."""
    api, _, store = years_api
    f = Filters(start=date(2023, 1, 1), end=date(2024, 12, 31))
    right = api.hotspot_cells(f)
    doubled = store.aggregate("hex_totals", "year", "2023", "2023", by=["borough", "community_district", "cell"])
    doubled = doubled.assign(grain="year", bucket="2023", period="2023", n=doubled["n"] * 2)
    try:
        store.replace_periods("hex_totals", "year", ["2023"], doubled[["grain", "bucket", "period", "borough",
                                                                       "community_district", "cell", "n"]])
        assert int(api.hotspot_cells(f)["count"].sum()) > int(right["count"].sum())
        store.set_meta(year_rows.META, "")
        assert api.hotspot_cells(f).equals(right)
    finally:
        store.replace_periods("hex_totals", "year", ["2023"], doubled.assign(n=doubled["n"] // 2)[
            ["grain", "bucket", "period", "borough", "community_district", "cell", "n"]])
        store.set_meta(year_rows.META, "2023")
