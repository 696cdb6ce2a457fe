"""`python -m pipeline counts` and `schema`: CSV shape, order, filters and argument errors."""
from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import pandas as pd
import pytest

from pipeline.cli import main
from pipeline.stores import ddl, open_store
from tests.support.rollup_fixtures import load, make_requests

pytestmark = pytest.mark.unit


def rolled_up(folder, seed: int, n: int):
    """(url, open store, requests): a SQLite store holding the rollups of n hand-made requests."""
    url = f"sqlite:///{folder}/rollups.db"
    store = open_store(url)
    store.ensure_schema()
    reqs = make_requests(seed=seed, n=n)
    load(store, reqs)
    return url, store, reqs


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    url, _, reqs = rolled_up(tmp_path_factory.mktemp("cli"), 3, 1500)
    return url, reqs


def run_cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with redirect_stdout(out):
        try:
            main(list(argv))
        except SystemExit as exc:
            return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_borough_counts_in_fixed_order(loaded):
    url, reqs = loaded
    rc, out = run_cli("counts", "--by", "borough", "--store", url)
    assert rc == 0
    frame = pd.read_csv(io.StringIO(out), dtype=str)
    assert list(frame.columns) == ["borough", "count"]
    assert frame["borough"].tolist() == ["Bronx", "Brooklyn", "Manhattan", "Unspecified"]
    assert frame.set_index("borough")["count"].astype(int).to_dict() == reqs.groupby("borough").size().to_dict()


def test_day_counts_filtered_inclusive_and_ascending(loaded):
    url, reqs = loaded
    rc, out = run_cli("counts", "--by", "day", "--start", "2024-02-28", "--end", "2024-03-02",
                      "--borough", "bronx", "--complaint-type", " HEAT/HOT  WATER ", "--store", url)
    assert rc == 0
    frame = pd.read_csv(io.StringIO(out), dtype=str)
    sel = reqs[(reqs["borough"] == "Bronx") & (reqs["complaint_type"] == "HEAT/HOT WATER")]
    days = sel["created"].dt.strftime("%Y-%m-%d")
    expected = days[(days >= "2024-02-28") & (days <= "2024-03-02")].value_counts().sort_index()
    assert frame["day"].tolist() == expected.index.tolist()
    assert frame["count"].astype(int).tolist() == expected.tolist()


def test_districts_and_zips_print_as_codes(loaded):
    url, _ = loaded
    _, out = run_cli("counts", "--by", "community_district", "--store", url)
    assert set(out.splitlines()[1:][0].split(",")[0]) <= set("0123456789Unspecified")
    _, out = run_cli("counts", "--by", "zip", "--store", url)
    zips = pd.read_csv(io.StringIO(out), dtype=str)["zip"]
    assert set(zips) == {"10472", "11211", "10027", "Unspecified"}


@pytest.mark.parametrize("args, message", [
    (["--by", "nope"], "invalid choice"),
    (["--by", "day", "--start", "2024-02-30"], "not a date"),
    (["--by", "day", "--start", "2024-03-02", "--end", "2024-03-01"], "is after"),
    (["--by", "day", "--borough", "Jersey"], "not a borough"),
])
def test_bad_arguments_exit_2_with_a_clear_message(args, message):
    err = io.StringIO()
    with redirect_stderr(err):
        rc, _ = run_cli("counts", *args)
    assert rc == 2 and message in err.getvalue()


def test_schema_command_prints_version(tmp_path):
    rc, out = run_cli("schema", "--store", f"sqlite:///{tmp_path}/s.db")
    assert rc == 0 and f"schema version {ddl.latest_version('sqlite')} applied" in out


def test_counts_csv_says_synthetic_when_its_days_hold_synthetic_data(tmp_path):
    from pipeline import provenance
    url, store, _ = rolled_up(tmp_path, 4, 300)
    provenance.record(store, provenance.make("synthetic", 300, "2024-03-01", "2024-03-31", seed=9,
                                             generator="python -m pipeline generate"))
    store.close()
    rc, out = run_cli("counts", "--by", "borough", "--start", "2024-03-10", "--end", "2024-04-10", "--store", url)
    assert rc == 0 and out.startswith("# SYNTHETIC DATA") and "seed 9" in out.splitlines()[1]
    assert list(pd.read_csv(io.StringIO(out), comment="#").columns) == ["borough", "count"]
    rc, out = run_cli("counts", "--by", "borough", "--start", "2024-04-01", "--end", "2024-04-10", "--store", url)
    assert rc == 0 and out.startswith("borough,count")
