"""The hotspot list from heads in pieces, a month or a closed year each (pipeline/read/place_ranking.py,
pipeline/rollups/hotspot_rows.py `heads`): whenever it answers, it is exactly the brute-force ranking
of every place row; it settles the typical skewed month mixes without summing every row; and it reads
a SQLite store through the key seeks, giving what summing every row gives."""
from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.read import place_ranking
from pipeline.read.hotspots import rank_places
from pipeline.rollups import hotspot_rows
from pipeline.rollups.tables import ALL
from pipeline.schema import UNSPECIFIED

pytestmark = pytest.mark.unit

KEY = place_ranking.KEY
PLACES = [(f"{i} MAIN ST", ("Bronx", "Queens")[i % 2], ("201", "401", "402")[i % 3]) for i in range(40)]
TYPES = ("Noise", "Heat", "Rats")


def finest(counts: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """Finest place rows from (month index, place index, type index, n) tuples (n > 0 summed)."""
    rows = pd.DataFrame(counts, columns=["m", "p", "t", "n"])
    rows = rows.groupby(["m", "p", "t"], as_index=False)["n"].sum()
    rows = rows[rows["n"] > 0]
    frame = pd.DataFrame({
        "grain": "month", "period": rows["m"].map(lambda m: f"2024-{m + 1:02d}"),
        "cell": "8a2a1072b59ffff", "complaint_type": rows["t"].map(lambda t: TYPES[t]),
        "address": rows["p"].map(lambda p: PLACES[p][0] if p else UNSPECIFIED),
        "borough": rows["p"].map(lambda p: PLACES[p][1]), "community_district": rows["p"].map(lambda p: PLACES[p][2]),
        "n": rows["n"]})
    frame["bucket"] = frame["period"].str[:4]
    return frame


def brute(rows: pd.DataFrame, months: set[str], n: int, **eq) -> pd.DataFrame:
    m = rows["period"].isin(months)
    for c, v in eq.items():
        m &= rows[c] == v
    return rank_places(rows[m], n)[[*KEY, "count"]]


def ranked(rows: pd.DataFrame, months: set[str], n: int, depth: int, **eq) -> pd.DataFrame | None:
    """top_places_by_piece over the months' heads of `depth`, one piece a month, as the read API ranks a
    scope's list (the store's reads done in pandas)."""
    heads = hotspot_rows.heads(rows, depth)
    scope = hotspot_rows.scope_of(eq.get("complaint_type"), eq.get("borough"), eq.get("community_district"))
    mine = heads[heads["period"].isin(months) & (heads["scope_type"] == scope[0]) & (heads["scope_area"] == scope[1])]
    left_out = mine["address"] == hotspot_rows.REST
    rests = {**dict.fromkeys(sorted(months), 0),
             **dict(zip(mine.loc[left_out, "period"], mine.loc[left_out, "n"].astype(int), strict=True))}
    listed = mine[~left_out].rename(columns={"period": "piece"})
    if "borough" in eq and scope[1].startswith("d:"):
        listed = listed[listed["borough"] == eq["borough"]]

    def lookup(missing):
        assert set(missing["piece"]) <= {p for p, r in rests.items() if r}  # never a month that listed every place
        found = []
        for piece, places in missing.groupby("piece"):
            m = (rows["period"] == piece) & rows["address"].isin(places["address"])
            for c, v in eq.items():
                m &= rows[c] == v
            found.append(rows[m].groupby(KEY, as_index=False)["n"].sum().assign(piece=piece))
        return pd.concat(found, ignore_index=True).rename(columns={"n": "count"})
    return place_ranking.top_places_by_piece(listed[[*KEY, "piece", "n"]], rests, n, lookup)


counts = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 39), st.integers(0, 2), st.integers(1, 30)),
                  min_size=1, max_size=300)
filters = st.sampled_from([{}, {"complaint_type": "Noise"}, {"borough": "Bronx"}, {"community_district": "401"},
                           {"complaint_type": "Heat", "borough": "Queens"},
                           {"borough": "Queens", "community_district": "402"},
                           {"borough": "Bronx", "community_district": "401"}])  # no place: empty


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=counts, first=st.integers(0, 5), length=st.integers(1, 6), n=st.integers(1, 12),
       depth=st.integers(1, 12), eq=filters)
def test_whenever_the_heads_answer_they_equal_the_brute_force_ranking(counts, first, length, n, depth, eq):
    rows = finest(counts)
    months = {f"2024-{m + 1:02d}" for m in range(first, min(first + length, 6))}
    got = ranked(rows, months, n, max(depth, n), **eq)
    if got is not None:
        pd.testing.assert_frame_equal(got.reset_index(drop=True), brute(rows, months, n, **eq).reset_index(drop=True),
                                      check_dtype=False)


def test_heads_settle_a_skewed_city_without_summing_every_row():
    """Zipf-like places over twelve months: the top 5 from heads of depth 20 needs no full sum."""
    rng = np.random.default_rng(3)
    weights = 1 / np.arange(1, 41) ** 1.3
    draws = [(m, int(p), int(rng.integers(0, 3)), 1) for m in range(6)
             for p in rng.choice(40, size=400, p=weights / weights.sum())]
    rows = finest(draws)
    months = set(rows["period"])
    for eq in ({}, {"borough": "Queens"}, {"complaint_type": "Noise"}):
        got = ranked(rows, months, 5, 20, **eq)
        assert got is not None, eq
        pd.testing.assert_frame_equal(got, brute(rows, months, 5, **eq), check_dtype=False)


def test_heads_keep_depth_places_and_the_largest_left_out():
    rows = finest([(0, 1, 0, 9), (0, 2, 0, 7), (0, 3, 1, 5), (0, 4, 0, 3), (0, 0, 0, 50)])  # place 0: no address
    heads = hotspot_rows.heads(rows, 2)
    city = heads[(heads["scope_type"] == ALL) & (heads["scope_area"] == ALL)]
    assert list(zip(city["address"], city["n"], strict=True)) == [("1 MAIN ST", 9), ("2 MAIN ST", 7), ("", 5)]
    noise = heads[(heads["scope_type"] == "Noise") & (heads["scope_area"] == ALL)]
    assert list(noise["n"]) == [9, 7, 3]
    assert not (heads["address"] == UNSPECIFIED).any()
    queens_402 = heads[(heads["scope_type"] == ALL) & (heads["scope_area"] == "d:402")]  # place 2 alone (2 % 3 == 2 -> 402; 2 % 2 -> Bronx)
    assert list(queens_402["address"]) == ["2 MAIN ST"] and list(queens_402["borough"]) == ["Bronx"]


def test_the_read_api_ranks_from_heads_what_summing_every_row_ranks(tmp_path):
    from pipeline.read.api import Filters
    from pipeline.read.hotspots import HotspotAPI
    from pipeline.stores import open_store
    rng = np.random.default_rng(8)
    weights = 1 / np.arange(1, 41) ** 1.2
    rows = finest([(m, int(p), int(rng.integers(0, 3)), 1) for m in range(6)
                   for p in rng.choice(40, size=300, p=weights / weights.sum())])
    store = open_store(f"sqlite:///{tmp_path}/rollups.db")
    store.ensure_schema()
    for table, frame in hotspot_rows.derived_tables(rows).items():
        store.replace_periods(table, "month", sorted(frame["period"].unique()), frame)
    days = [f"2024-{m:02d}-01" for m in range(1, 7)] + ["2024-06-30"]  # the data's range (date_bounds)
    store.replace_periods("totals", "day", days, pd.DataFrame(
        {"grain": "day", "bucket": [d[:7] for d in days], "period": days, "n": 1}))
    api = HotspotAPI(store, cache=False)
    for f in (Filters(start=date(2024, 1, 1), end=date(2024, 6, 30)), Filters(start=date(2024, 2, 3), end=date(2024, 4, 1)),
              Filters(start=date(2024, 1, 1), end=date(2024, 6, 30), borough="Bronx"),
              Filters(start=date(2024, 1, 1), end=date(2024, 6, 30), complaint_type="Heat", community_district="402")):
        got = api.hotspot_places(f, None, 5)
        months = {f"2024-{m:02d}" for m in range(f.start.month, f.end.month + 1)}
        eq = {k: v for k, v in f.dims().items()}
        want = brute(rows, months, 5, **eq)
        pd.testing.assert_frame_equal(got[[*KEY, "count"]], want, check_dtype=False)
        assert (got["cell"] == "8a2a1072b59ffff").all()
    store.close()


def by_piece(rows: pd.DataFrame, years: set[str], depth: int, n: int, lookups: list | None = None) -> pd.DataFrame | None:
    """top_places_by_piece over per-year heads of `depth` (one piece a year of `years`) and the exact
    place rows of every other year (one piece, nothing left out), as a clicked hexagon is ranked."""
    rows = rows[rows["address"] != UNSPECIFIED]
    year = rows["period"].str[:4]
    place_years = rows.assign(year=year).groupby([*KEY, "year"], as_index=False)["n"].sum()
    listed, rests = [], {}
    for y, here in place_years[place_years["year"].isin(years)].groupby("year"):
        ranked_ = place_ranking.rank(here.rename(columns={"n": "count"}), len(here))
        listed.append(ranked_.head(depth).rename(columns={"count": "n"}).assign(piece=y)[[*KEY, "piece", "n"]])
        rests[y] = int(ranked_["count"].iloc[depth]) if len(ranked_) > depth else 0
    others = place_years[~place_years["year"].isin(years)]
    listed.append(others.groupby(KEY, as_index=False)["n"].sum().assign(piece="months")[[*KEY, "piece", "n"]])
    rests["months"] = 0

    def lookup(missing):
        if lookups is not None:
            lookups.append(missing)
        assert set(missing["piece"]) <= years  # never a piece that listed every place
        got = place_years.merge(missing.rename(columns={"piece": "year"}), on=[*KEY, "year"])
        return got.rename(columns={"year": "piece", "n": "count"})
    return place_ranking.top_places_by_piece(pd.concat(listed, ignore_index=True), rests, n, lookup)


def over_years(counts: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """finest() rows with the month index read as a year (2019 + m), one month each."""
    rows = finest(counts)
    return rows.assign(period=rows["period"].map(lambda p: f"{2019 + int(p[5:7]) - 1}-06"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(counts=counts, closed=st.sets(st.integers(0, 5)), n=st.integers(1, 12), depth=st.integers(1, 12))
def test_ranked_by_piece_whenever_it_answers_it_equals_the_brute_force_ranking(counts, closed, n, depth):
    rows = over_years(counts)
    years = {str(2019 + y) for y in closed}
    got = by_piece(rows, years, max(depth, n), n)
    if got is not None:
        want = brute(rows, set(rows["period"]), n)
        pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False)


def test_a_place_listed_every_year_is_never_looked_up():
    """Zipf-like places over six closed years: the top 5 from heads 20 deep settles, and the places
    every year listed (the busiest) are not looked up."""
    rng = np.random.default_rng(4)
    weights = 1 / np.arange(1, 41) ** 1.3
    rows = over_years([(m, int(p), int(rng.integers(0, 3)), 1) for m in range(6)
                       for p in rng.choice(40, size=400, p=weights / weights.sum())])
    lookups: list[pd.DataFrame] = []
    got = by_piece(rows, {str(y) for y in range(2019, 2025)}, 20, 5, lookups)
    assert got is not None
    pd.testing.assert_frame_equal(got, brute(rows, set(rows["period"]), 5), check_dtype=False)
    asked = pd.concat(lookups) if lookups else pd.DataFrame(columns=[*KEY, "piece"])
    assert not set(asked["address"]) & set(got["address"].head(3))
