"""Fixtures shared by unit modules: four years of requests (three closed, one open) and a SQLite store
holding their rollups, for the year rows' and running totals' tests. Module-scoped: each module gets a
store of its own, so what one writes (year rows, running totals) never shows in another."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.support.rollup_fixtures import four_years, loaded_sqlite


@pytest.fixture(scope="module")
def reqs() -> pd.DataFrame:
    return four_years()


@pytest.fixture(scope="module")
def store(reqs, tmp_path_factory):
    with loaded_sqlite(reqs, tmp_path_factory.mktemp("four_years")) as s:
        yield s
