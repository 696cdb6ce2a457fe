"""pipeline/stores/rows.py `records` converts whole columns (fast) and must give exactly what the
value-by-value reference (`_converter`) gives, for every column type and with missing values;
`key_ordered_values` must sort as SQLite orders the primary key, or the speed-up would be a reordering
bug in disguise (and a store read-back shows nothing is lost or changed)."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.rollups.tables import TableSpec
from pipeline.stores import rows as rowlib

pytestmark = pytest.mark.unit

SPEC = TableSpec(name="t", columns=(("grain", "text"), ("bucket", "text"), ("period", "text"), ("a", "text"),
                                    ("k", "int"), ("label", "text"), ("n", "bigint"), ("x", "double"), ("b", "boolean")),
                 partition_key=("grain", "bucket"), clustering=("period", "a", "k"))

texts = st.text(alphabet=st.sampled_from("aAbZé 0_&ñ\u4e2d"), max_size=4)


def reference(spec: TableSpec, frame: pd.DataFrame) -> list[tuple]:
    types = dict(spec.columns)
    conv = [rowlib._converter(types[c]) for c in spec.column_names]
    return [tuple(f(v) for f, v in zip(conv, row, strict=True))
            for row in frame[list(spec.column_names)].itertuples(index=False, name=None)]


@st.composite
def frames(draw):
    n = draw(st.integers(1, 30))
    col = lambda s: draw(st.lists(s, min_size=n, max_size=n))  # noqa: E731
    return pd.DataFrame({"grain": ["day"] * n, "bucket": ["2025-01"] * n,
                         "period": col(st.sampled_from(["2025-01-02", "2025-01-10"])), "a": col(texts),
                         "k": col(st.integers(-3, 300)), "label": col(st.one_of(texts, st.none(), st.integers())),
                         "n": col(st.one_of(st.integers(0, 2**40), st.none())) if draw(st.booleans())
                         else col(st.integers(0, 2**40)),
                         "x": col(st.one_of(st.floats(allow_nan=False, allow_infinity=False), st.none())),
                         "b": col(st.booleans())})


@settings(max_examples=200, deadline=None)
@given(frames())
def test_whole_column_conversion_equals_the_value_by_value_reference(frame):
    got = rowlib.records(SPEC, frame)
    want = reference(SPEC, frame)
    assert got == want
    assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in want]


@settings(max_examples=200, deadline=None)
@given(frames())
def test_key_order_is_python_tuple_order_of_the_key_and_keeps_every_row(frame):
    frame = frame.drop_duplicates(["period", "a", "k"])
    ordered = rowlib.records(SPEC, frame, key_order=True)
    assert sorted(ordered, key=lambda r: r[:5]) == ordered  # code point order = SQLite BINARY on UTF-8
    assert sorted(map(repr, ordered)) == sorted(map(repr, rowlib.records(SPEC, frame)))


@settings(max_examples=200, deadline=None)
@given(frames())
def test_key_ordered_rows_are_the_reference_rows_sorted_with_their_tail(frame):
    """The key-ordered path converts each key column's distinct values once: the same values and types
    as the value-by-value reference, every row once, each with the tail (SQLite's expires_at)."""
    got = rowlib.records(SPEC, frame, key_order=True, tail=(None,))
    want = sorted(reference(SPEC, frame), key=lambda r: r[:5])
    assert [r[:-1] for r in got] == want and {r[-1] for r in got} == {None}
    assert [[type(v) for v in r[:-1]] for r in got] == [[type(v) for v in r] for r in want]


def test_a_key_mixing_text_and_numbers_keeps_every_row():
    frame = pd.DataFrame({"grain": ["day"] * 3, "bucket": ["2025-01"] * 3, "period": ["2025-01-02"] * 3,
                          "a": ["x", 5, "y"], "k": [3, 2, 1], "label": ["p", "q", "r"], "n": [1, 2, 3],
                          "x": [0.5, 1.5, 2.5], "b": [True, False, True]})
    got = rowlib.records(SPEC, frame, key_order=True)  # in whatever order pandas sorts such a column
    assert sorted(got, key=repr) == sorted(reference(SPEC, frame), key=repr)


@pytest.mark.parametrize("key_order", [False, True])
def test_a_null_key_is_refused_in_either_path(key_order):
    frame = pd.DataFrame({"grain": ["day"] * 2, "bucket": ["2025-01"] * 2, "period": ["2025-01-02", None],
                          "a": ["x", "y"], "k": [1, 2], "label": ["p", "q"], "n": [1, 2], "x": [0.5, 1.5], "b": [True, False]})
    with pytest.raises(ValueError, match="must not be null"):
        rowlib.records(SPEC, frame, key_order=key_order)


def test_text_that_is_not_a_string_is_spelled_as_before():
    frame = pd.DataFrame({"grain": ["day"] * 3, "bucket": ["2025-01"] * 3, "period": ["2025-01-02"] * 3,
                          "a": ["x", "y", "z"], "k": [1.0, 2.0, 3.0], "label": [7, float("nan"), None], "n": [1, 2, 3],
                          "x": [1, 2, 3],
                          "b": [1, 0, 1]})
    assert rowlib.records(SPEC, frame) == reference(SPEC, frame)


def test_sqlite_reads_back_every_row_of_a_key_ordered_write(sqlite_store):
    items = [(p, f"B{i % 7}", f"T{i}", i) for i, p in enumerate(["2025-01-03", "2025-01-02"] * 50)]
    frame = pd.DataFrame([{"grain": "day", "bucket": "2025-01", "period": p, "borough": b, "complaint_type": t,
                           "agency": "NYPD", "n": n} for p, b, t, n in items]).sample(frac=1, random_state=3)
    sqlite_store.replace_periods("requests", "day", ["2025-01-02", "2025-01-03"], frame)
    back = sqlite_store.aggregate("requests", "day", "2025-01-02", "2025-01-03", by=["period", "complaint_type"])
    assert sorted(back.itertuples(index=False, name=None)) == sorted((p, t, n) for p, _, t, n in items)


def frame_sums(rows, columns, by, measures, keep):
    """What the Cassandra store summed its pieces with before sum_dict: filter, group and sum a frame."""
    frame = pd.DataFrame(rows, columns=columns)
    for col, value in keep.items():
        frame = frame[frame[col].isin(value) if isinstance(value, list) else frame[col] == value]
    return rowlib.finish(frame[[*by, *measures]], by, measures)


piece_rows = st.lists(st.tuples(st.sampled_from(["2024-01", "2024-02", "2023-12"]), st.sampled_from(["Bronx", "Queens", "Q"]),
                                st.integers(0, 3), st.integers(0, 50), st.integers(0, 9)), max_size=60)


@settings(max_examples=200, deadline=None)
@given(piece_rows, st.sampled_from([[], ["period"], ["borough"], ["period", "res_bin"], ["res_bin", "borough"]]),
       st.sampled_from([{}, {"borough": "Bronx"}, {"res_bin": 2}, {"borough": ["Queens", "Q"], "res_bin": [0, 3]}]),
       st.sampled_from([["n", "late"], ["n"], ["late"]]))  # one measure and no filter: sum_dict's fast path
def test_sum_dict_equals_the_frame_sums_it_replaced(rows, by, keep, measures):
    columns = ["period", "borough", "res_bin", "n", "late"]
    got = rowlib.frame_of(rowlib.sum_dict(rows, columns, by, measures, keep), by, measures)
    want = frame_sums(rows, columns, by, measures, keep)
    pd.testing.assert_frame_equal(got, want)
    assert list(got.columns) == [*by, *measures] and all(got[m].dtype == "int64" for m in measures)
