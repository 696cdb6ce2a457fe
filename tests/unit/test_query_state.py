"""URL state: every filter and page option survives a round trip; bad values fall back with a notice."""
from __future__ import annotations

from datetime import date

import pytest

from app import state as st
from pipeline.read.api import Filters

pytestmark = pytest.mark.unit

BOUNDS = (date(2023, 1, 1), date(2024, 6, 30))


def test_defaults_serialise_to_nothing():
    s, notices = st.parse("")
    assert s == st.DEFAULT and notices == []
    assert st.serialise(st.DEFAULT) == ""


def test_round_trip_of_every_field():
    s = st.State(range="custom", start=date(2024, 1, 2), end=date(2024, 3, 4), borough="Staten Island",
                 zip="10301", type="HEAT/HOT WATER", agency="HPD", level="zip", metric="per_10k",
                 gran="month", split="borough", area_a="Bronx", area_b="Queens",
                 types=("Noise - Residential", "Illegal Parking"), embed=True)
    search = st.serialise(s)
    assert search.startswith("?") and "HEAT%2FHOT+WATER" in search
    assert st.parse(search) == (s, [])


@pytest.mark.parametrize("search, field, label", [
    ("?borough=Atlantis", "borough", "borough"),
    ("?zip=1002", "zip", "ZIP code"),
    ("?district=999", "district", "community district"),
    ("?metric=happiness", "metric", "metric"),
    ("?range=forever", "range", "date range"),
    ("?start=2024-13-01", "start", "start date"),
    ("?gran=hourly", "gran", "granularity"),
    ("?embed=maybe", "embed", "embed"),
    ("?types=" + "|".join("abcdef"), "types", "complaint types"),
])
def test_bad_values_fall_back_to_defaults_with_a_notice(search, field, label):
    s, notices = st.parse(search)
    assert getattr(s, field) == getattr(st.DEFAULT, field)
    assert len(notices) == 1 and label in notices[0]


def test_foreign_and_empty_parameters_are_ignored_silently():
    s, notices = st.parse("?utm_source=mail&borough=&level=zip")
    assert s == st.DEFAULT.but(level="zip") and notices == []


def test_dates_imply_custom_and_are_put_in_order():
    s, notices = st.parse("?start=2024-05-01&end=2024-02-01")
    assert (s.range, s.start, s.end) == ("custom", date(2024, 2, 1), date(2024, 5, 1))
    assert "swapped" in notices[0]
    s, notices = st.parse("?range=custom")
    assert s.range == st.DEFAULT.range and notices
    s, _ = st.parse("?range=7d&start=2024-01-01")
    assert s.range == "custom"  # explicit dates win over a preset


def test_presets_end_on_the_latest_day_with_data():
    f = st.filters(st.DEFAULT.but(range="7d", borough="Bronx"), BOUNDS)
    assert f == Filters(start=date(2024, 6, 24), end=date(2024, 6, 30), borough="Bronx")
    assert st.filters(st.DEFAULT.but(range="365d"), BOUNDS).start == date(2023, 7, 2)
    assert st.filters(st.DEFAULT.but(range="all"), BOUNDS) == Filters()
    assert st.filters(st.DEFAULT.but(range="30d"), None) == Filters()
    s, _ = st.parse("?start=2024-02-01&end=2024-02-29&district=109")
    assert st.filters(s, BOUNDS) == Filters(start=date(2024, 2, 1), end=date(2024, 2, 29),
                                            community_district="109")


def test_a_zip_and_a_district_do_not_combine():
    s, notices = st.parse("?district=109&zip=10027")
    assert (s.district, s.zip) == (None, "10027") and "cannot be combined" in notices[0]


def test_previous_period_has_equal_length_and_needs_loaded_data():
    f = Filters(start=date(2024, 6, 1), end=date(2024, 6, 30))
    assert st.previous_period(f, BOUNDS) == Filters(start=date(2024, 5, 2), end=date(2024, 5, 31))
    assert st.previous_period(Filters(start=date(2023, 6, 1), end=date(2024, 6, 30)), BOUNDS) is None
    assert st.previous_period(Filters(), BOUNDS) is None


def test_links_to_other_pages_keep_the_global_filters():
    search = "?range=30d&borough=Bronx&level=zip&metric=per_10k&embed=1"
    assert st.global_part(search) == "?range=30d&borough=Bronx&embed=1"
