"""The analyst's `counts` command answers exactly what a recount of the raw export rows gives, for
both export eras: the current 41-column layout (the real sample) and the older 53-column layout
(tests/fixtures/nyc_311_legacy_sample.csv, real rows in the old column set)."""
from __future__ import annotations

import csv
import io
from collections import Counter
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from conftest import SAMPLE_CSV
from test_batch_sample import NOW, recount

from pipeline.cli import main as cli
from pipeline.rollups import batch
from pipeline.stores import open_store

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
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
def era(request, spark, tmp_path_factory):
    path = SAMPLE_CSV if request.param == "current" else str(FIXTURES / "nyc_311_legacy_sample.csv")
    tmp = tmp_path_factory.mktemp(f"counts_{request.param}")
    url = f"sqlite:///{tmp}/rollups.db"
    with open_store(url) as store:
        batch.load_input(spark, store, path, str(tmp / "lake"), str(tmp / "quarantine"), now=NOW)
    return url, recount(path)


@pytest.mark.parametrize("by", BY)
def test_counts_command_equals_raw_recount(era, by):
    url, expected = era
    assert counts_cli(url, by) == +expected[by]
