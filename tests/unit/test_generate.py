"""The synthetic history generator: export format, determinism, DST-correct local times, places
inside their ZIP, the dirty-row mix and the calibrated complaint mix."""
from __future__ import annotations

import argparse
import csv
import gzip
import io
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline.cli import build_parser
from pipeline.synthetic import complaints, layout, mix, mix_arrays, rows, timeline
from pipeline.synthetic import generate as g
from pipeline.synthetic.places import build_pool, district_polygons, state_plane, zip_areas

pytestmark = pytest.mark.unit

NY = ZoneInfo("America/New_York")
FMT = "%m/%d/%Y %I:%M:%S %p"
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
END = date(2022, 3, 31)     # the window holds the spring-forward night of 2022-03-13
DAYS = 40


def _write(rows=20_000, era="current", dirty=0.02, seed=7, end=END, days=DAYS) -> str:
    out = io.StringIO()
    n = g.generate(out, rows=rows, end=end, days=days, seed=seed, era=era, dirty_fraction=dirty)
    assert n == rows
    return out.getvalue()


def _frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def current() -> str:
    return _write()


@pytest.fixture(scope="module")
def df(current) -> pd.DataFrame:
    return _frame(current)


def test_header_is_the_real_exports(current, sample_csv):
    with open(sample_csv, encoding="utf-8") as fh:
        assert current.split("\n", 1)[0] == fh.readline().rstrip("\n")
    assert len(layout.CURRENT_COLUMNS) == 41


def test_legacy_layout():
    cols = layout.LEGACY_COLUMNS
    assert len(cols) == 53 and len(set(cols)) == 53
    assert "BBL" not in cols and "Open Data Channel Type" not in cols
    for c in ("School Name", "School Not Found", "Garage Lot Name", "Ferry Direction", "Ferry Terminal Name",
              "Vehicle Type", "Bridge Highway Segment", "Latitude", "Longitude", "Location"):
        assert c in cols
    shared = [c for c in layout.CURRENT_COLUMNS if c in cols]
    assert shared == [c for c in cols if c in layout.CURRENT_COLUMNS]  # same relative order
    assert len(shared) == 39
    rows = list(csv.reader(io.StringIO(_write(rows=2_000, era="legacy"))))
    assert tuple(rows[0]) == cols
    assert {len(r) for r in rows} == {53}
    body = pd.DataFrame(rows[1:], columns=rows[0])
    assert (body["School Not Found"] == "N").all()


def test_every_line_has_every_field(current):
    rows = list(csv.reader(io.StringIO(current)))
    assert {len(r) for r in rows} == {41}
    assert len(rows) == 20_001


def test_same_seed_same_bytes(tmp_path):
    parser = argparse.ArgumentParser()
    g.add_arguments(parser)
    paths = []
    for name, seed in (("a.csv.gz", "7"), ("b.csv.gz", "7"), ("c.csv.gz", "8")):
        args = parser.parse_args(["--years", "0.02", "--rows", "3000", "--end", "2021-11-10", "--seed", seed,
                                  "--out", str(tmp_path / name)])
        assert g.run(args) == 0
        paths.append(tmp_path / name)
    a, b, c = (p.read_bytes() for p in paths)
    assert a == b and a != c
    text = gzip.decompress(a).decode()
    assert len(text.splitlines()) == 3_001
    assert not list(tmp_path.glob("*.part"))


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exc:
        build_parser(only="generate").parse_args(["generate", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for opt in ("--years", "--rows-per-year", "--seed", "--end", "--era", "--dirty-fraction", "--gzip"):
        assert opt in out


def _clean(df: pd.DataFrame) -> pd.DataFrame:
    created = pd.to_datetime(df["Created Date"], format=FMT, errors="coerce")
    return df[created.notna() & (df["Unique Key"] != "")]


def test_dates_parse_lie_in_range_and_exist_in_new_york(df):
    clean = _clean(df)
    assert len(clean) > 0.98 * len(df)
    created = pd.to_datetime(clean["Created Date"], format=FMT)
    start = pd.Timestamp(END - timedelta(days=DAYS - 1))
    assert created.min() >= start and created.max() < pd.Timestamp(END + timedelta(days=1))
    for col in ("Created Date", "Closed Date", "Due Date", "Resolution Action Updated Date"):
        t = pd.to_datetime(df[col], format=FMT, errors="coerce").dropna()
        assert len(t) > 0
        gap = (t >= pd.Timestamp("2022-03-13 02:00")) & (t < pd.Timestamp("2022-03-13 03:00"))
        assert not gap.any(), f"{col} has wall times that do not exist in New York"
        t.dt.tz_localize(NY, ambiguous="NaT", nonexistent="raise")  # raises on a non-existent time
    closed = pd.to_datetime(clean["Closed Date"], format=FMT, errors="coerce").dropna()
    assert closed.max() < pd.Timestamp(END + timedelta(days=1))  # nothing closes after the export


def test_fall_back_hour_and_format_round_trip():
    local = np.array([pd.Timestamp("2021-11-07 01:30").value] * 400, dtype=np.int64)
    utc = timeline.from_local(local, np.random.default_rng(1))
    assert set(np.unique(utc - local) // (3600 * 10**9)) == {4, 5}  # both instants of the repeated hour
    assert set(timeline.format_local(timeline.to_local(utc))) == {"11/07/2021 01:30:00 AM"}
    gap = np.array([pd.Timestamp("2022-03-13 02:15").value], dtype=np.int64)
    assert timeline.format_local(timeline.to_local(timeline.from_local(gap, np.random.default_rng(1))))[0] == "03/13/2022 03:00:00 AM"
    noon_midnight = np.array([pd.Timestamp("2022-05-01 00:00:05").value, pd.Timestamp("2022-05-01 12:00:05").value])
    assert list(timeline.format_local(noon_midnight)) == ["05/01/2022 12:00:05 AM", "05/01/2022 12:00:05 PM"]


def test_creation_follows_the_clock_and_the_calendar():
    text = _write(rows=30_000, end=date(2021, 12, 31), days=365, dirty=0)
    d = _frame(text)
    created = pd.to_datetime(d["Created Date"], format=FMT)
    noise = d["Complaint Type"].str.startswith("Noise - ")
    night = created.dt.hour.isin([22, 23, 0, 1])
    assert night[noise].mean() > 2 * night[~noise].mean()
    heat = d["Complaint Type"] == "HEAT/HOT WATER"
    winter = created.dt.month.isin([12, 1, 2])
    assert heat[winter].mean() > 4 * heat[created.dt.month.isin([6, 7, 8])].mean()
    weekend = created.dt.dayofweek >= 5
    assert noise[weekend].mean() > noise[~weekend].mean()


def test_coordinates_fall_inside_their_zip_and_district(df):
    clean = _clean(df)
    clean = clean[clean["Latitude"] != ""]
    rows = clean.sample(400, random_state=1)
    polygons = {a.code: a.polygon for a in zip_areas()}
    lat, lon = rows["Latitude"].astype(float).to_numpy(), rows["Longitude"].astype(float).to_numpy()
    in_zip = [z in polygons and shapely.contains_xy(polygons[z], x, y)
              for z, x, y in zip(rows["Incident Zip"], lon, lat, strict=True)]
    assert np.mean(in_zip) > 0.97  # the rest carry a deliberately bad ZIP
    districts = dict(district_polygons())
    boro_code = {"MANHATTAN": 1, "BRONX": 2, "BROOKLYN": 3, "QUEENS": 4, "STATEN ISLAND": 5}
    checked = 0
    for cb, x, y in zip(rows["Community Board"], lon, lat, strict=True):
        num, _, boro = cb.partition(" ")
        if num.isdigit() and boro in boro_code:
            assert shapely.contains_xy(districts[boro_code[boro] * 100 + int(num)], x, y)
            checked += 1
    assert checked > 350
    sx, sy = state_plane(lat, lon)
    assert np.allclose(sx, rows["X Coordinate (State Plane)"].astype(float), atol=1)
    assert np.allclose(sy, rows["Y Coordinate (State Plane)"].astype(float), atol=1)


def test_state_plane_matches_the_real_sample(sample_csv):
    s = pd.read_csv(sample_csv, dtype=str, keep_default_na=False)
    s = s[s["Latitude"] != ""]
    x, y = state_plane(s["Latitude"].astype(float).to_numpy(), s["Longitude"].astype(float).to_numpy())
    assert np.abs(x - s["X Coordinate (State Plane)"].astype(float)).max() < 1.5
    assert np.abs(y - s["Y Coordinate (State Plane)"].astype(float)).max() < 1.5


def test_pool_is_deterministic():
    a, b = build_pool(3, 32), build_pool(3, 32)
    assert a is b or (np.array_equal(a.lat, b.lat) and list(a.address) == list(b.address))
    fresh = build_pool.__wrapped__(3, 32)
    assert np.array_equal(a.lat, fresh.lat) and list(a.board) == list(fresh.board)


def test_complaint_mix_matches_the_calibration(df):
    tables = mix_arrays.mix_tables()
    p = timeline.plan(20_000, END, DAYS, 7, tables)
    expected = p.type_day.sum(axis=1) / p.type_day.sum()
    observed = df["Complaint Type"].value_counts(normalize=True)
    for t, share in zip(tables.types, expected, strict=True):
        assert abs(observed.get(t.name, 0.0) - share) < max(0.01, 0.2 * share), t.name
    assert len(observed) >= 40
    agency = {t.name: t.agency for t in complaints.TYPES}
    assert (df["Agency"] == df["Complaint Type"].map(agency)).all()
    assert (df["Agency Name"] == df["Agency"].map(complaints.AGENCY_NAMES)).all()
    assert set(df["Open Data Channel Type"]) <= set(mix.CHANNELS)


def test_status_and_dates_agree(df):
    clean = _clean(df)
    closed = clean["Status"] == "Closed"
    assert (clean.loc[closed, "Closed Date"] != "").all()
    first = ~clean["Unique Key"].duplicated(keep="last")  # earlier versions of updated keys are open
    assert (clean.loc[~closed & first, "Closed Date"] == "").all()
    assert set(clean["Status"]) <= set(layout.STATUSES)
    due = clean["Due Date"] != ""
    assert set(clean.loc[due, "Agency"]) <= set(mix.DUE_DAYS) and due.any()


def test_keys_increase_with_time(df):
    clean = _clean(df)
    first = clean[~clean["Unique Key"].duplicated(keep="first")]
    keys = first["Unique Key"].astype(int).to_numpy()
    # the final versions of updated keys come after their chunk; all other keys rise in file order
    once = first[~first["Unique Key"].isin(clean.loc[clean["Unique Key"].duplicated(), "Unique Key"])]
    assert (np.diff(once["Unique Key"].astype(int).to_numpy()) > 0).all()
    created = pd.to_datetime(first["Created Date"], format=FMT)
    assert np.corrcoef(keys, created.astype("int64"))[0, 1] > 0.999


def test_dirty_rows_are_the_real_kinds():
    p = timeline.plan(20_000, END, DAYS, 7)
    pool = build_pool(7)
    chunk = rows.generate_chunk(p, 0, DAYS, pool=pool, zcdf=mix_arrays.zip_cdfs(pool, mix_arrays.mix_tables()), seed=7,
                             key_start=None, dirty_fraction=0.1)
    share = (chunk.dirty != "").mean()
    assert 0.08 < share < 0.12
    assert set(chunk.dirty) - {""} == set(mix.DIRTY_KINDS)
    d = _frame(layout.header("current") + chunk.render())
    created = pd.to_datetime(d["Created Date"], format=FMT, errors="coerce")
    closed = pd.to_datetime(d["Closed Date"], format=FMT, errors="coerce")
    assert (closed < created).sum() > 50
    assert (d["Unique Key"] == "").sum() > 10 and created.isna().sum() > 10
    assert ((created.dt.hour == 0) & (created.dt.minute == 0) & (created.dt.second == 0)).sum() > 50
    assert ((d["Latitude"] == "") & (d["Incident Zip"] == "")).sum() > 10
    assert ((d["Latitude"] == "") & (d["Incident Zip"] != "")).sum() > 10
    zips = d["Incident Zip"]
    assert (~zips.str.fullmatch(r"\d{5}") & (zips != "")).sum() > 10
    assert zips.isin(mix.OUTSIDE_NYC_ZIPS).sum() > 5
    placed = (d["Borough"] == "Unspecified") & zips.str.fullmatch(r"1\d{4}") & (d["Latitude"] != "")
    assert placed.sum() > 50
    # re-sent keys: the later line carries the later update and status (mostly: now closed)
    keyed = d[d["Unique Key"] != ""]
    dup = keyed[keyed["Unique Key"].duplicated(keep=False)]
    assert dup["Unique Key"].nunique() > 100
    closed_later = 0
    for _, pair in dup.groupby("Unique Key", sort=False):
        early, late = pair.iloc[0], pair.iloc[-1]
        assert len(pair) == 2 and early["Status"] != "Closed" and late["Status"] not in ("Open", early["Status"])
        assert late["Resolution Action Updated Date"]
        if early["Resolution Action Updated Date"]:
            assert datetime.strptime(late["Resolution Action Updated Date"], FMT) > \
                datetime.strptime(early["Resolution Action Updated Date"], FMT)
        closed_later += late["Status"] == "Closed"
    assert closed_later > 0.9 * dup["Unique Key"].nunique()


def test_no_dirt_when_asked_for_none():
    d = _frame(_write(rows=5_000, dirty=0.0))
    created = pd.to_datetime(d["Created Date"], format=FMT, errors="coerce")
    assert created.notna().all() and not d["Unique Key"].duplicated().any()
    assert d["Incident Zip"].str.fullmatch(r"1\d{4}").all() and (d["Borough"] != "Unspecified").all()


def test_legacy_fixture_is_rebuilt_from_the_sample(tmp_path, sample_csv):
    from tests.fixtures import make_legacy as mod
    mod.write(tmp_path / "legacy.csv")
    committed = FIXTURES / "nyc_311_legacy_sample.csv"
    assert (tmp_path / "legacy.csv").read_bytes() == committed.read_bytes()
    rows = list(csv.reader(io.StringIO(committed.read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == layout.LEGACY_COLUMNS and len(rows) == 201 and {len(r) for r in rows} == {53}
    sample = pd.read_csv(sample_csv, dtype=str, keep_default_na=False).set_index("Unique Key")
    legacy = pd.DataFrame(rows[1:], columns=rows[0]).set_index("Unique Key")
    shared = [c for c in legacy.columns if c in sample.columns]
    assert legacy[shared].equals(sample.loc[legacy.index, shared])


@pytest.mark.parametrize("dirty", [0.0, 0.5, 1.0])
def test_row_count_is_exact_whatever_the_dirt(dirty):
    text = _write(rows=1_500, dirty=dirty, days=3)
    assert len(list(csv.reader(io.StringIO(text)))) == 1_501


def test_bad_arguments_are_refused_clearly(tmp_path, capsys):
    parser = argparse.ArgumentParser()
    g.add_arguments(parser)
    for argv in (["--dirty-fraction", "1.5"], ["--years", "0"], ["--rows", "-3"]):
        assert g.run(parser.parse_args([*argv, "--out", str(tmp_path / "x.csv")])) == 2
        assert "generate: " in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_output_names(tmp_path):
    start, end = date(2021, 1, 1), date(2021, 12, 31)
    assert g.output_path(str(tmp_path), "legacy", start, end, False) == \
        tmp_path / "311_synthetic_legacy_20210101_20211231.csv"
    assert g.output_path(str(tmp_path / "x.csv"), "current", start, end, True) == tmp_path / "x.csv.gz"
    assert g.output_path(str(tmp_path / "x.csv.gz"), "current", start, end, True) == tmp_path / "x.csv.gz"


def test_sunday_midnight_looks_like_the_real_sample(sample_csv):
    """The one hour we have real rows for (Sunday 2022-05-01, 00:00-01:00) is NYPD noise at night."""
    tables = mix_arrays.mix_tables()
    p = timeline.plan(1_000, date(2022, 5, 1), 1, 1, tables)
    hour_pmf = np.diff(np.concatenate([np.zeros((tables.hour_cdf.shape[0], 2, 1)), tables.hour_cdf], axis=2), axis=2)
    share = p.type_day[:, 0] * hour_pmf[tables.profile, 1, 0]
    share = pd.Series(share / share.sum(), index=[t.name for t in tables.types])
    real = pd.read_csv(sample_csv, dtype=str, keep_default_na=False)
    real_share = real["Complaint Type"].value_counts(normalize=True)
    agency = pd.Series([t.agency for t in tables.types], index=share.index)
    assert share[agency == "NYPD"].sum() > 0.85 and (real["Agency"] == "NYPD").mean() > 0.85
    noise = share.index.str.startswith("Noise - ")
    assert abs(share[noise].sum() - real_share[real_share.index.str.startswith("Noise - ")].sum()) < 0.1
    for name in ("Noise - Residential", "Noise - Street/Sidewalk", "Noise - Commercial", "Illegal Parking"):
        assert abs(share[name] - real_share[name]) < 0.06, name
    assert share.idxmax() == real_share.idxmax() == "Noise - Residential"
