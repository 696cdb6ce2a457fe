"""Property-based tests (hypothesis) of the web edge's two input layers (issue 10): the URL parser gives a
valid state or a notice for ANY query string, and the read API gives a bounded answer (or a clear
QueryTooLarge) for any valid filters, and refuses malformed ones with a ValueError."""
from __future__ import annotations

import tempfile
from datetime import date, timedelta
from functools import lru_cache
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as S

from app import state as st
from pipeline.read.api import MAX_PERIODS, Filters, QueryTooLarge, ReadAPI
from pipeline.stores import open_store
from tests.support.rollup_fixtures import load, make_requests

pytestmark = pytest.mark.unit

KEYS = S.sampled_from(list(st.PARSERS) + ["utm_source", "", "start[]"])
NASTY = S.sampled_from(["0600-01-01", "9999-12-31", "1678-01-01", "2261-12-31", "0001-01-01", "2024-02-30",
                        "\ud800", "%ED%A0%80", "%00", "x" * 500, "custom", "day", "Brooklyn", "10027", "109",
                        "a|b|c|d|e|f", "1", "true", "1e309", "-1"])
VALUES = S.one_of(NASTY, S.text(max_size=40), S.dates().map(date.isoformat))
QUERIES = S.one_of(
    S.text(max_size=200),
    S.lists(S.tuples(KEYS, VALUES), max_size=8).map(
        lambda pairs: "?" + "&".join(f"{quote(k, safe='')}={v if '%' in v else quote(v, safe='', errors='surrogatepass')}"
                                     for k, v in pairs)))
BOUNDS = S.tuples(S.dates(date(1990, 1, 1), date(2030, 1, 1)), S.integers(0, 4000)).map(
    lambda t: (t[0], t[0] + timedelta(days=t[1])))


def _valid(s: st.State) -> None:
    assert s.range in st.RANGES and s.level in st.LEVELS and s.metric in st.METRICS
    assert s.gran in st.GRANULARITIES and s.split in st.SPLITS
    assert s.borough in (None, *st.AREA_CHOICES)
    for d in (s.start, s.end):
        assert d is None or st.DATE_RANGE[0] <= d <= st.DATE_RANGE[1]
    if s.start and s.end:
        assert s.start <= s.end
    for text in (s.type, s.agency, *s.types):
        assert text is None or (0 < len(text) <= 120 and text.encode("utf-8"))
    assert len(s.types) <= st.MAX_TYPES


@settings(max_examples=200, deadline=None)
@given(QUERIES)
def test_any_query_string_gives_a_valid_state_or_a_notice(search):
    state, notices = st.parse(search)
    _valid(state)
    assert all(isinstance(n, str) and n.encode("utf-8") for n in notices)
    # what we write back is a link we read back the same, silently
    again, again_notices = st.parse(st.serialise(state))
    assert again == state and again_notices == []


@settings(max_examples=150, deadline=None)
@given(QUERIES, BOUNDS)
def test_with_the_data_bounds_dates_are_clamped_and_day_series_capped(search, bounds):
    state, _ = st.parse(search, bounds)
    _valid(state)
    for d in (state.start, state.end):
        assert d is None or bounds[0] <= d <= bounds[1]
    f = st.filters(state, bounds)
    if state.gran == "day":
        assert ((f.end or bounds[1]) - (f.start or bounds[0])).days + 1 <= st.MAX_DAY_SPAN_DAYS
    st.previous_period(f, bounds)  # never overflows


@given(S.one_of(S.none(), S.integers(), S.lists(S.text()), S.dictionaries(S.text(), S.text()), S.binary()))
def test_a_non_string_search_is_no_query(value):
    assert st.parse(value)[0] == st.DEFAULT


@lru_cache(maxsize=1)
def api() -> ReadAPI:
    """One SQLite store of the hand-made requests for all examples (built once)."""
    store = open_store(f"sqlite:///{tempfile.mkdtemp(prefix='props-')}/rollups.db")
    store.ensure_schema()
    load(store, make_requests(n=800))
    store.set_meta("data_version", "1")
    return ReadAPI(store, cache=False)


DIM_VALUES = S.one_of(S.none(), S.sampled_from(["Bronx", "Brooklyn", "Noise - Residential", "NYPD", "109", "10027",
                                                "Nowhere"]), S.text(min_size=1, max_size=30))
FILTERS = S.builds(Filters, start=S.one_of(S.none(), S.dates(date(1900, 1, 1), date(2100, 12, 31))),
                   end=S.one_of(S.none(), S.dates(date(1900, 1, 1), date(2100, 12, 31))),
                   borough=DIM_VALUES, complaint_type=DIM_VALUES, agency=DIM_VALUES)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FILTERS, S.sampled_from(["day", "week", "month"]), S.sampled_from([None, "borough", "complaint_type"]))
def test_any_valid_filters_give_a_bounded_answer(f, granularity, split):
    a = api()
    first, last = a.date_bounds()
    try:
        series = a.timeseries(f, granularity, split, top=5)
    except QueryTooLarge as exc:
        assert "points" in str(exc)
        return
    periods = series["period"].nunique() if len(series) else 0
    assert periods <= min(MAX_PERIODS, (last - first).days + 7)
    assert len(series) <= periods * 6  # top 5 groups + Other
    assert (series["count"] >= 0).all()
    if len(series):
        assert series["period"].min() >= (first.replace(day=1) - timedelta(days=6)).isoformat()
    counts = a.counts("borough", f)
    assert len(counts) <= 10 and int(counts["count"].sum()) >= 0


@given(S.one_of(S.integers(), S.text(max_size=5), S.datetimes()), S.sampled_from(["start", "end"]))
def test_filters_refuse_dates_that_are_not_dates(value, field):
    with pytest.raises(ValueError):
        Filters(**{field: value})


@given(S.one_of(S.just(""), S.just("\ud800"), S.text(min_size=201, max_size=210), S.integers()),
       S.sampled_from(["borough", "complaint_type", "agency", "zip", "community_district"]))
def test_filters_refuse_malformed_dimension_values(value, field):
    with pytest.raises(ValueError):
        Filters(**{field: value})


def test_cli_dates_are_checked_like_url_dates(capsys):
    from pipeline.cli import main
    for bad in ("0600-01-01", "9999-12-31", "2024-02-30", "\ud800"):
        with pytest.raises(SystemExit) as exc:
            main(["counts", "--by", "borough", "--start", bad])
        assert exc.value.code == 2
        assert "--start" in capsys.readouterr().err
