"""Checks and conversions both stores apply before writing or querying (pure functions).

Why shared: a wrong column or a row outside the periods being replaced must fail the same way on
SQLite and Cassandra, before anything is deleted.
"""
from __future__ import annotations

import calendar
import contextlib
import functools
import gc
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from operator import itemgetter

import numpy as np
import pandas as pd

from pipeline.rollups.tables import INT_DIMS, PERIOD_STRFTIME, SHAPE_OF, TableSpec, bucket_of, rollup_of, week_piece
from pipeline.stores.ddl import all_specs

MAX_BUCKETS = 5_000


def spec_of(table: str) -> TableSpec:
    try:
        return all_specs()[table]
    except KeyError:
        raise ValueError(f"unknown table {table!r}: declare it in pipeline/rollups/tables.py") from None


def rollup_columns(table: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(dims, measures) of a rollup table or its live twin."""
    rollup = rollup_of(table)
    if rollup is None:
        raise ValueError(f"{table!r} is not a rollup table")
    return rollup.dims, rollup.measures


def check_period(grain: str, period: str) -> None:
    try:
        ok = datetime.strptime(period, PERIOD_STRFTIME[grain]).strftime(PERIOD_STRFTIME[grain]) == period
    except (KeyError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"period {period!r} is not a {grain} period ({PERIOD_STRFTIME.get(grain, '?')})")


def records(spec: TableSpec, rows: pd.DataFrame, key_order: bool = False, tail: tuple = ()) -> list[tuple]:
    """Rows as tuples in the table's column order, with Python scalar types the drivers accept, each
    followed by the constants in `tail` (the SQLite store's expires_at); sorted by the primary key
    with `key_order` (key_ordered_values).

    Why sorted through each key column's codes: a column's few distinct values are converted once and
    the rows take them by code, where sorting the frame and converting every value made three passes
    over millions of Python strings (half the time of writing a first start into SQLite). Why the
    collector paused: a million new tuples set off full collections of every live object."""
    missing = [c for c in spec.column_names if c not in rows.columns]
    extra = [c for c in rows.columns if c not in spec.column_names]
    if missing or extra:
        raise ValueError(f"{spec.name}: rows have missing columns {missing} / unknown columns {extra}")
    if rows.empty:
        return []
    key = (*spec.partition_key, *spec.clustering)
    types = dict(spec.columns)
    if key_order and len(rows) > 1:
        columns = key_ordered_values(spec, rows, key, types)
    else:
        if rows[list(key)].isna().any().any():
            raise ValueError(f"{spec.name}: key columns {key} must not be null (use 'Unspecified')")
        columns = [_python_values(rows[c], types[c]) for c in spec.column_names]
    with _collector_paused():
        return list(zip(*columns, *([v] * len(rows) for v in tail), strict=True))


def key_ordered_values(spec: TableSpec, rows: pd.DataFrame, key: tuple[str, ...], types: dict) -> list[list]:
    """records' columns sorted by the table's primary key (text by code point, as SQLite's BINARY
    collation orders UTF-8; numbers by value), key columns through their codes.

    Why: a SQLite WITHOUT ROWID table is a B-tree on that key. Rows in Spark's or pandas' order land
    on random pages, splitting them; in key order they fill pages one after another. For 880,000 place
    rows the inserts take ~10 s less (sorting the tuples in Python took 8 s)."""
    coded, sortable = {}, True
    for c in key:
        try:
            coded[c] = pd.factorize(rows[c], sort=True)
        except TypeError:  # text mixed with numbers has no one order; the order is only for speed
            coded[c], sortable = pd.factorize(rows[c]), False
        if (coded[c][0] < 0).any():
            raise ValueError(f"{spec.name}: key columns {key} must not be null (use 'Unspecified')")
    order = np.lexsort([coded[c][0] for c in reversed(key)]) if sortable else np.arange(len(rows))
    out = []
    for c in spec.column_names:
        if c in coded:
            codes, uniques = coded[c]
            values = np.empty(len(uniques), dtype=object)
            values[:] = _python_values(pd.Series(uniques), types[c])
            out.append(values[codes[order]].tolist())
        else:
            out.append(_python_values(rows[c].iloc[order], types[c]))
    return out


@contextlib.contextmanager
def _collector_paused():
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def key_prefixes(spec: TableSpec, keys: pd.DataFrame) -> tuple[tuple[str, ...], list[tuple]]:
    """(columns, values) of key prefixes to delete (Store.replace_keys): the columns must be the
    table's key from its start, the partition key at least; values in the types the drivers take."""
    cols, key = tuple(keys.columns), (*spec.partition_key, *spec.clustering)
    if len(cols) < len(spec.partition_key) or cols != key[:len(cols)]:
        raise ValueError(f"{spec.name}: keys to delete must be a prefix of {key}, got {cols}")
    if keys.empty:
        return cols, []
    if keys.isna().any().any():
        raise ValueError(f"{spec.name}: keys to delete must not be null")
    types = dict(spec.columns)
    return cols, list(zip(*(_python_values(keys[c], types[c]) for c in cols), strict=True))


def check_keyed_rows(table: str, grain: str, rows: pd.DataFrame, gone: pd.DataFrame) -> None:
    """check_rollup_rows for Store.replace_keys: every row and key at `grain`, with its bucket."""
    periods = sorted(set(rows["period"].astype(str)) | set(gone["period"].astype(str)))
    check_rollup_rows(table, grain, periods, rows)
    if not gone.empty and (set(gone["grain"]) != {grain} or
                           (gone["bucket"] != gone["period"].map(lambda p: bucket_of(grain, p))).any()):
        raise ValueError(f"{table}: keys to delete must be at grain {grain!r} with bucket_of(grain, period)")


def _python_values(column: pd.Series, cql_type: str) -> list:
    """One column as the Python scalars _converter gives, a column at a time.

    Why: converting value by value cost ~9 us a row, a third of writing a large load into SQLite;
    whole columns cost ~1. A column with missing values of a numeric type, or a timestamp, takes
    the value-by-value path (tests/unit/test_store_rows.py checks both against _converter)."""
    if cql_type in ("int", "bigint", "double", "boolean") and not column.isna().any():
        kind = {"double": "float64", "boolean": "bool"}.get(cql_type, "int64")
        try:
            return column.astype(kind).tolist()
        except (TypeError, ValueError):
            pass  # e.g. text that int() reads but numpy does not: the reference path decides
    if cql_type == "text":
        return [v if type(v) is str else _text(v) for v in column.tolist()]
    return [*map(_converter(cql_type), column.tolist())]


def _text(v: object) -> str | None:
    return None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)


def _converter(cql_type: str):
    if cql_type in ("int", "bigint"):
        return lambda v: None if pd.isna(v) else int(v)
    if cql_type == "double":
        return lambda v: None if pd.isna(v) else float(v)
    if cql_type == "boolean":
        return lambda v: None if pd.isna(v) else bool(v)
    if cql_type == "timestamp":
        return lambda v: None if pd.isna(v) else pd.Timestamp(v).to_pydatetime()
    return _text


def check_rollup_rows(table: str, grain: str, periods: Sequence[str], rows: pd.DataFrame) -> None:
    """Every row must belong to one of `periods` at `grain`, with the bucket its period implies.

    One hashing pass (the periods) and two comparisons over the rows: this runs before every write of
    millions of rows."""
    for p in periods:
        check_period(grain, p)
    if rows.empty:
        return
    grains = rows["grain"].to_numpy()
    if (grains != grain).any():
        raise ValueError(f"{table}: rows carry grains {sorted(map(str, set(grains)))}, expected only {grain!r}")
    codes, seen = pd.factorize(rows["period"])
    outside = set(seen) - set(periods)
    if outside:
        raise ValueError(f"{table}: rows for periods {sorted(outside)[:5]} not among the periods being replaced")
    if (codes < 0).any():
        raise ValueError(f"{table}: rows for periods [None] not among the periods being replaced")
    expected = np.array([bucket_of(grain, p) for p in seen], dtype=object)
    wrong = rows["bucket"].to_numpy() != expected[codes]
    if wrong.any():
        raise ValueError(f"{table}: bucket must be bucket_of(grain, period), e.g. row {rows[wrong].iloc[0].to_dict()}")


def filter_value(column: str, value):
    """A filter value in the column's type (a list/tuple stays a list of values)."""
    if isinstance(value, list | tuple | set | frozenset):
        return [filter_value(column, v) for v in value]
    return int(value) if column in INT_DIMS else str(value)


def check_query(table: str, grain: str, start: str, end: str, by: Sequence[str],
                filters: Mapping[str, object] | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    dims, measures = rollup_columns(table)
    check_period(grain, start)
    check_period(grain, end)
    bad = [c for c in (*by, *(filters or {})) if c not in (*dims, "period")]
    if bad:
        raise ValueError(f"{table}: cannot group or filter by {bad}; columns are period, {', '.join(dims)}")
    return dims, measures


def seek_depth(dims: Sequence[str], filters: Mapping[str, object] | None, grain: str) -> int:
    """How many leading dims of a rollup a query fixes (one value or a list of values): the stores
    then name the periods and seek to each (period, fixed prefix) instead of reading the whole range.
    Minute rows (a few hours, TTL) are always read as a range."""
    lead = 0
    while grain != "minute" and lead < len(dims) and dims[lead] in (filters or {}):
        lead += 1
    return lead


def empty_result(by: Sequence[str], measures: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in by})
    for m in measures:
        frame[m] = pd.Series(dtype="int64")
    return frame


def finish(frame: pd.DataFrame, by: Sequence[str], measures: Sequence[str], grouped: bool = False) -> pd.DataFrame:
    """Sum duplicates (partial sums from several partitions) and type the measures; sorted by `by`.
    `grouped`: the rows are one query's `GROUP BY by ORDER BY by`, summed and sorted already (a pandas
    sort of a one-row answer cost ~1 ms, most of a small lookup's time)."""
    if frame.empty:
        return empty_result(by, measures)
    if not grouped:
        frame = (frame.groupby(list(by), as_index=False, sort=True)[list(measures)].sum() if by
                 else frame[list(measures)].sum().to_frame().T)
    for m in measures:
        frame[m] = frame[m].astype("int64")
    return frame.reset_index(drop=True)


def sum_dict(rows: Iterable[tuple], columns: Sequence[str], by: Sequence[str], measures: Sequence[str],
             keep: Mapping[str, object] | None = None) -> dict[tuple, list[int]]:
    """Rows as plain tuples (named by `columns`): those matching `keep` (column -> a value or a list of
    values), summed per `by` in Python, as {values of `by`: [sums of `measures`]} (Store.sums_many; frame_of
    makes the frame). Why not a frame: a read plan's pieces hold tens to a few thousand rows each, where
    building a frame, filtering and grouping it cost ~1-3 ms a piece, most of a cold query's time on our
    side of the network."""
    at = {c: i for i, c in enumerate(columns)}
    tests = [(at[c], set(v) if isinstance(v, list) else {v}) for c, v in (keep or {}).items()]
    keys, sums = [at[c] for c in by], [at[m] for m in measures]
    if len(sums) == 1 and not tests:  # one measure, nothing to filter (most reads): ~4x faster than below
        key_of = itemgetter(*keys) if len(keys) > 1 else (lambda row, i=keys[0]: (row[i],)) if keys else (lambda row: ())
        totals: dict[tuple, int] = {}
        m = sums[0]
        for row in rows:
            key = key_of(row)
            totals[key] = totals.get(key, 0) + row[m]
        return {key: [n] for key, n in totals.items()}
    acc: dict[tuple, list[int]] = {}
    for row in rows:
        if tests and not all(row[i] in values for i, values in tests):
            continue
        key = tuple(row[i] for i in keys)
        got = acc.get(key)
        if got is None:
            acc[key] = [row[i] for i in sums]
        else:
            for j, i in enumerate(sums):
                got[j] += row[i]
    return acc


def frame_of(acc: Mapping[tuple, Sequence[int]], by: Sequence[str], measures: Sequence[str]) -> pd.DataFrame:
    """Sums keyed by the values of `by` as a frame [*by, *measures], sorted by `by`, measures int64."""
    if not acc:
        return empty_result(by, measures)
    order = sorted(acc)
    frame = pd.DataFrame({c: [k[j] for k in order] for j, c in enumerate(by)}, index=pd.RangeIndex(len(order)))
    for j, m in enumerate(measures):
        frame[m] = np.fromiter((acc[k][j] for k in order), dtype="int64", count=len(order))
    return frame


# -- partitions a period range touches (both stores seek by them) ----------------------------------
def buckets_between(grain: str, start: str, end: str) -> list[str]:
    """Every partition bucket from start's to end's (years, months or hours)."""
    first, last = bucket_of(grain, start), bucket_of(grain, end)
    grain = SHAPE_OF.get(grain, grain)
    if grain in ("month", "year"):
        out = [str(y) for y in range(int(first), int(last) + 1)]
    elif grain in ("day", "week"):
        out, y, m = [], int(first[:4]), int(first[5:7])
        while f"{y:04d}-{m:02d}" <= last:
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
            if len(out) > MAX_BUCKETS:
                break
    else:
        t, stop = datetime.strptime(first, "%Y-%m-%dT%H"), datetime.strptime(last, "%Y-%m-%dT%H")
        out = []
        while t <= stop and len(out) <= MAX_BUCKETS:
            out.append(t.strftime("%Y-%m-%dT%H"))
            t += timedelta(hours=1)
    if len(out) > MAX_BUCKETS:
        raise ValueError(f"{grain} range {start}..{end} spans more than {MAX_BUCKETS} partitions: narrow it")
    return out


def periods_in(grain: str, bucket: str, start: str, end: str) -> list[str]:
    """The year, month, week-piece or day periods of a partition bucket inside start..end."""
    return [p for p in _bucket_periods(SHAPE_OF.get(grain, grain), bucket) if start <= p <= end]


@functools.lru_cache(maxsize=4096)
def _bucket_periods(grain: str, bucket: str) -> tuple[str, ...]:
    """Every period of a bucket (cached: a cold ten-year series names them for ~20 partitions, ~2 ms)."""
    if grain == "year":
        return (bucket,)
    if grain == "month":
        return tuple(f"{bucket}-{m:02d}" for m in range(1, 13))
    days = calendar.monthrange(int(bucket[:4]), int(bucket[5:7]))[1]
    periods = [f"{bucket}-{d:02d}" for d in range(1, days + 1)]
    if grain == "week":  # the days that start a week piece: the 1st and every Monday
        periods = [p for p in periods if week_piece(date.fromisoformat(p)).isoformat() == p]
    return tuple(periods)
