"""The pure parts of writing only what changed (pipeline/rollups/changed.py): which recounted rows a
load writes and which keys it deletes, and when the store's marks allow it at all."""
from __future__ import annotations

import pandas as pd

from pipeline.rollups import changed, hotspot_rows
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


def finest(*places):
    """places_by_cell month rows of 2025-12: (type, address, requests), one cell, one district."""
    return pd.DataFrame([("month", "2025", "2025-12", "882a100d07fffff", t, "BRONX", "201", a, n) for t, a, n in places],
                        columns=list(ROLLUPS["places_by_cell"].columns)).astype({"n": "int64"})


def test_place_heads_write_the_heads_that_differ_and_delete_those_no_longer_listed():
    """Depth 100: a scope lists every place. A new request at 2 MAIN ST (Noise) and one moved from
    3 MAIN ST (Noise, its only one) to 2 MAIN ST: 2 MAIN ST's heads change, 3 MAIN ST's go, 1 MAIN ST's stay."""
    before = finest(("Noise", "1 MAIN ST", 5), ("Noise", "2 MAIN ST", 1), ("Noise", "3 MAIN ST", 1))
    after = finest(("Noise", "1 MAIN ST", 5), ("Noise", "2 MAIN ST", 3))
    keys = {changed.PRE: finest(("Noise", "3 MAIN ST", 1)), changed.POST: finest(("Noise", "2 MAIN ST", 2))}
    scopes = hotspot_rows.heads(pd.concat([keys[changed.PRE], keys[changed.POST]]))
    keys[("place_heads", "month")] = scopes[changed.key_columns(ROLLUPS["place_heads"])]
    new_heads = hotspot_rows.heads(after)
    rows, gone = changed.split_heads(new_heads, after, keys)
    assert set(zip(rows["scope_type"], rows["scope_area"], rows["address"], rows["n"], strict=True)) == {
        (t, a, "2 MAIN ST", 3) for t in ("Noise", "*") for a in ("*", "b:BRONX", "d:201")}
    assert set(zip(gone["scope_type"], gone["scope_area"], gone["address"], strict=True)) == {
        (t, a, "3 MAIN ST") for t in ("Noise", "*") for a in ("*", "b:BRONX", "d:201")}
    assert list(gone.columns) == [c for c in ROLLUPS["place_heads"].key]
    # what the store held plus these writes and deletes is the recount's heads
    stored = hotspot_rows.heads(before)
    key = list(ROLLUPS["place_heads"].key)
    kept = stored.merge(gone, on=key, how="left", indicator=True).query("_merge == 'left_only'")[stored.columns]
    kept = pd.concat([kept.merge(rows[key], on=key, how="left", indicator=True).query("_merge == 'left_only'")[stored.columns],
                      rows], ignore_index=True)
    pd.testing.assert_frame_equal(kept.sort_values(key).reset_index(drop=True).astype(str),
                                  new_heads.sort_values(key).reset_index(drop=True).astype(str))


def test_the_marks_allow_changed_keys_only_for_months_all_counted_from_this_lake():
    store = Meta()
    assert changed.since(store, "lake-a", ["2025-12"], 10) is None  # a store never counted
    changed.write_marks(store, "lake-a", ["2025-11", "2025-12"], 7)
    changed.write_marks(store, "lake-a", ["2025-12"], 9)
    assert changed.since(store, "lake-a", ["2025-12"], 10) == {"2025-12": 9}
    assert changed.since(store, "lake-a", ["2025-11", "2025-12"], 10) == {"2025-11": 7, "2025-12": 9}
    assert changed.since(store, "lake-a", ["2025-10", "2025-12"], 10) is None  # a month never counted
    assert changed.since(store, "lake-b", ["2025-12"], 10) is None  # another lake: its versions mean nothing here
    assert changed.since(store, "lake-a", ["2025-12"], 8) is None  # the lake went back to an older copy
    changed.write_marks(store, "lake-b", ["2025-12"], 2)
    assert changed.read_marks(store) == ("lake-b", {"2025-12": 2})  # the other lake's marks are gone


def test_split_matches_integer_dims_whatever_their_dtype():
    rollup = ROLLUPS["resolution_boroughs"]
    recount = pd.DataFrame([("month", "2025", "2025-12", "BRONX", 3, 2), ("month", "2025", "2025-12", "BRONX", 4, 1)],
                           columns=list(rollup.columns)).astype({"res_bin": "int32"})
    keys = pd.DataFrame({"period": ["2025-12", "2025-12"], "borough": ["BRONX", "BRONX"],
                         "res_bin": pd.Series([3, 5], dtype=object)})
    rows, gone = changed.split(recount, keys, rollup, "month")
    assert rows["res_bin"].tolist() == [3]
    assert gone["res_bin"].tolist() == [5]
