"""The pure parts of writing only what changed (pipeline/rollups/changed.py): which recounted rows a
load writes and which keys it deletes, and when the store's marks allow it at all."""
from __future__ import annotations

import pandas as pd

from pipeline.rollups import changed
from pipeline.rollups.tables import ROLLUPS


class Meta:
    def __init__(self):
        self.meta = {}

    def get_meta(self, key):
        return self.meta.get(key)

    def set_meta(self, key, value):
        self.meta[key] = value


def boroughs(*rows):
    return pd.DataFrame([("month", p[:4], p, b, n) for p, b, n in rows],
                        columns=["grain", "bucket", "period", "borough", "n"]).astype({"n": "int64"})


def test_split_writes_the_changed_keys_rows_and_deletes_the_keys_the_recount_lacks():
    recount = boroughs(("2025-12", "BRONX", 5), ("2025-12", "QUEENS", 7), ("2026-01", "BRONX", 1))
    keys = pd.DataFrame({"period": ["2025-12", "2025-12", "2025-12"], "borough": ["QUEENS", "BROOKLYN", "QUEENS"]})
    rows, gone = changed.split(recount, keys, ROLLUPS["boroughs"], "month")
    assert rows.to_dict("records") == [
        {"grain": "month", "bucket": "2025", "period": "2025-12", "borough": "QUEENS", "n": 7}]
    assert gone.to_dict("records") == [{"grain": "month", "bucket": "2025", "period": "2025-12", "borough": "BROOKLYN"}]
    assert list(rows.columns) == list(ROLLUPS["boroughs"].columns)


def test_split_without_keys_writes_and_deletes_nothing():
    rows, gone = changed.split(boroughs(("2025-12", "BRONX", 5)), None, ROLLUPS["boroughs"], "month")
    assert rows.empty and gone.empty
    assert list(gone.columns) == ["grain", "bucket", "period", "borough"]


def test_a_scope_of_place_heads_is_deleted_and_written_whole():
    heads = ROLLUPS["place_heads"]
    recount = pd.DataFrame([("month", "2025", "2025-12", t, a, addr, "BRONX", "201", n)
                            for t, a, addr, n in (("*", "*", "1 MAIN ST", 9), ("*", "*", "2 MAIN ST", 4),
                                                  ("Noise", "*", "1 MAIN ST", 3))],
                           columns=list(heads.columns))
    keys = pd.DataFrame({"period": ["2025-12"], "scope_type": ["*"], "scope_area": ["*"], "address": ["2 MAIN ST"]})
    rows, gone = changed.split(recount, keys, heads, "month")
    assert sorted(rows["address"]) == ["1 MAIN ST", "2 MAIN ST"]  # the whole scope, not only the changed place
    assert gone.to_dict("records") == [
        {"grain": "month", "bucket": "2025", "period": "2025-12", "scope_type": "*", "scope_area": "*"}]


def test_the_marks_allow_changed_keys_only_for_months_all_counted_from_this_lake():
    store = Meta()
    assert changed.since(store, "lake-a", ["2025-12"]) is None  # a store never counted
    changed.write_marks(store, "lake-a", ["2025-11", "2025-12"], 7)
    changed.write_marks(store, "lake-a", ["2025-12"], 9)
    assert changed.since(store, "lake-a", ["2025-12"]) == 9
    assert changed.since(store, "lake-a", ["2025-11", "2025-12"]) == 7  # the oldest: every change since
    assert changed.since(store, "lake-a", ["2025-10", "2025-12"]) is None  # a month never counted
    assert changed.since(store, "lake-b", ["2025-12"]) is None  # another lake: its versions mean nothing here
    changed.write_marks(store, "lake-b", ["2025-12"], 2)
    assert changed.read_marks(store) == ("lake-b", {"2025-12": 2})  # the other lake's marks are gone
