"""The lake merge's staged input (pipeline/lake/changes.py): every changed request once, in chunks
whose columns may be all null, with the lake's types and a load sequence in which later batches win."""
from __future__ import annotations

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.lake import changes as lake_changes
from pipeline.schema import REQUEST_COLUMNS
from pipeline.stream.state import STATE_COLUMNS, RequestState

pytestmark = pytest.mark.unit
T0 = 1_764_633_600 * 10**6  # 2025-12-02 00:00 UTC in epoch microseconds


def events(keys, closed: bool = False) -> pd.DataFrame:
    cols = [c for c in STATE_COLUMNS if c != "batch_id"]
    return pd.DataFrame([{**dict.fromkeys(cols), "unique_key": k, "created_at": T0 + i, "period": "p",
                          "complaint_type": "Noise", "borough": "Bronx", "latitude": 40.8 if closed else None,
                          "closed_at": T0 + 10**6 if closed else None, "version": f"{int(closed)}{k}"}
                         for i, k in enumerate(keys)], columns=cols)


def test_stage_writes_each_changed_request_once_with_lake_types(tmp_path):
    state = RequestState(tmp_path / "s.db")
    state.apply(0, events(["a", "b"]), 0)               # merged already
    state.apply(1, events(["c", "d", "e"]), 0)          # open: closed_at all null in the first chunks
    state.apply(2, events(["b", "e"], closed=True), 0)  # closings, one of a merged request
    path = tmp_path / "changes.parquet"
    rows, newest = lake_changes.stage(state, 0, path, chunk=2)
    table = pq.read_table(path)
    assert (rows, newest) == (4, 2) and table.num_rows == 4
    assert table.schema.equals(lake_changes.SCHEMA)
    got = table.to_pandas().set_index("unique_key")
    assert sorted(got.index) == ["b", "c", "d", "e"]
    assert got.loc["e", "closed_at"] == pd.Timestamp(T0 + 10**6, unit="us", tz="UTC")
    assert pd.isna(got.loc["c", "closed_at"]) and got.loc["b", "latitude"] == 40.8
    assert got.loc["b", "_load_id"] == lake_changes.LOAD_ID_BASE + 2 > got.loc["c", "_load_id"]
    assert sorted(got["_row_id"]) == [0, 1, 2, 3]
    assert set(table.column_names) == {*(c for c, _ in REQUEST_COLUMNS), "_load_id", "_row_id"}


def test_nothing_changed_stages_nothing(tmp_path):
    state = RequestState(tmp_path / "s.db")
    state.apply(0, events(["a"]), 0)
    path = tmp_path / "changes.parquet"
    assert lake_changes.stage(state, 0, path) == (0, None) and not path.exists()


def test_staged_times_never_take_pandas_float_path(tmp_path, monkeypatch):
    """pandas' float-to-datetime path overflowed at random on null rows (uninitialised scratch,
    rounded under errstate(over="raise")); the stage must not depend on it."""
    from pandas.core.tools import datetimes

    def overflow(*args, **kwargs):
        raise FloatingPointError("overflow encountered in multiply")

    monkeypatch.setattr(datetimes, "cast_from_unit_vectorized", overflow)
    state = RequestState(tmp_path / "s.db")
    state.apply(1, events(["c", "d"]), 0)
    state.apply(2, events(["e"], closed=True), 0)
    path = tmp_path / "changes.parquet"
    assert lake_changes.stage(state, 0, path, chunk=2) == (3, 2)
    got = pq.read_table(path).to_pandas().set_index("unique_key")
    assert got.loc["e", "closed_at"] == pd.Timestamp(T0 + 10**6, unit="us", tz="UTC")
    assert got.loc["c", "created_at"] == pd.Timestamp(T0, unit="us", tz="UTC") and pd.isna(got.loc["d", "closed_at"])
