"""The descriptor filter's URL state (issue 14): kept in the link with the other filters, checked and
clamped like them (an unusable value is ignored with a notice), never combined with a ZIP code
(no rollup holds both)."""
from __future__ import annotations

import pytest

from app import state as st

pytestmark = pytest.mark.unit

def test_the_descriptor_lives_in_the_url_with_the_other_filters():
    s, notices = st.parse("?type=Noise+-+Residential&descriptor=Loud+Music%2FParty")
    assert notices == [] and s.descriptor == "Loud Music/Party"
    assert st.filters(s, None).descriptor == "Loud Music/Party"
    assert st.parse(st.serialise(s))[0] == s
    assert "descriptor=Loud+Music%2FParty" in st.global_part("?descriptor=Loud+Music%2FParty&level=zip")


@pytest.mark.parametrize("value", ["x" * 121, "%00bad", "\ud800", "+++"])
def test_an_unusable_descriptor_is_ignored_with_a_notice(value):
    s, notices = st.parse(f"?type=Noise+-+Residential&descriptor={value}")
    assert s.descriptor is None and s.type == "Noise - Residential"
    assert value == "+++" or any("Ignored descriptor" in n for n in notices)


def test_a_descriptor_and_a_zip_code_cannot_be_combined():
    s, notices = st.parse("?descriptor=Pothole&zip=11211")
    assert (s.zip, s.descriptor) == ("11211", None) and "ZIP code and a descriptor" in notices[0]
    st.filters(s, None)  # a read the read API can answer (no rollup holds ZIP x descriptor)
