"""The analyst's `counts` command answers exactly what a recount of the raw export rows gives, for
both export eras: the current 41-column layout (the real sample) and the older 53-column layout
(tests/fixtures/nyc_311_legacy_sample.csv, real rows in the old column set)."""
from __future__ import annotations

import csv
import io
from collections import Counter
from contextlib import redirect_stdout

import pytest
from conftest import LEGACY_CSV, SAMPLE_CSV
from test_batch_sample import recount

from pipeline.cli import main as cli

pytestmark = pytest.mark.integration

BY = ("borough", "community_district", "zip", "complaint_type", "agency", "descriptor", "day")


def counts_cli(store_url: str, by: str) -> Counter:
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(SystemExit) as done:
        cli(["counts", "--by", by, "--store", store_url])
    assert done.value.code in (0, None)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[0] == [by, "count"]
    return Counter({k: int(n) for k, n in rows[1:]})


@pytest.fixture(scope="module", params=["current", "legacy"])
def era(request):
    """Each era's export, loaded once for the whole run (conftest), and its recount."""
    current = request.param == "current"
    loaded = request.getfixturevalue("sample_sqlite" if current else "legacy_sqlite")
    return loaded.url, recount(SAMPLE_CSV if current else LEGACY_CSV)


@pytest.mark.parametrize("by", BY)
def test_counts_command_equals_raw_recount(era, by):
    url, expected = era
    assert counts_cli(url, by) == +expected[by]
