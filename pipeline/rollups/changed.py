"""The rollup rows a load must write: those whose keys the requests changed since the store was counted.

Why: a load recounts whole months (pipeline/rollups/batch.py), and writing every recounted row made
one more day of 10,000 requests rewrite its month's ~1 M rows (26.5 s of the 46 s a day took into
Cassandra), nearly all of them unchanged.

How: the store records, per month, the lake version its rollups are a recount of, and which lake
(meta `lake_marks`: the Delta table's id, whose versions start over if the lake is made anew). When
every month a load touches carries a mark of this lake, the load reads the lake's change feed since
the oldest mark (pipeline/lake/table.py `changes`): every version of every request that changed,
before and after the change, whoever wrote it (this load, an earlier load that died before its
rollups, the streaming job's merges). Counting those versions with the rollups' own definitions
(families.day_rows, hexes) names every key whose count can have changed: a superset, since a change
that moved no count still names its keys. The load then writes the recounted rows of those keys and
deletes those keys the recount no longer has (`split`); every other stored row already equals the
recount, which is what the mark said. place_heads ranks the places of a scope (a type and an area):
for each scope a changed request counts in, the heads are ranked again as they were and as they
are, and only the rows that differ are written (`split_heads`).

Whole periods instead (batch.write_rollups' other path): a store without marks (its first load, an
older store, another lake) or with one newer than the lake (copied back from an older backup), a feed that does not cover the commits (turned on later, vacuumed), a
change larger than KEYED_MAX_SHARE of the months' requests (counting it twice costs more than the
writes it saves), `batch --recompute` (the repair: it rewrites everything), and always the rollups
that count open-past-due requests, which change with the load time alone (families.time_dependent).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame

from pipeline.rollups import families, frames, hotspot_rows
from pipeline.rollups import hexes as hex_rollups
from pipeline.rollups.tables import BUCKET_LENGTHS, INT_DIMS, ROLLUPS, Rollup

log = logging.getLogger("pipeline.rollups.changed")

META = "lake_marks"
KEYED_MAX_SHARE = 0.2  # changed request versions per request of the months recounted, at most
GRAINS = ("day", "week", "month")  # the batch's grains (batch.BATCH_GRAINS)
SCOPE = ("scope_type", "scope_area")  # place_heads: what a change ranks again
PRE, POST = ("finest", "pre"), ("finest", "post")  # Keys' finest hotspot rows of the old / new versions

Keys = dict[tuple[str, str], pd.DataFrame]  # (table, grain) -> key columns (key_columns) of the rows to write


def read_marks(store) -> tuple[str | None, dict[str, int]]:
    """(the lake's id, {month: lake version its rollups count}) as the store records them."""
    raw = json.loads(store.get_meta(META) or "{}")
    return raw.get("lake"), {m: int(v) for m, v in raw.get("months", {}).items()}


def write_marks(store, lake_id: str, months: list[str], version: int) -> None:
    """Record that the rollups of `months` now count lake version `version` (after every write of the load)."""
    known, marks = read_marks(store)
    marks = {**(marks if known == lake_id else {}), **dict.fromkeys(months, version)}
    store.set_meta(META, json.dumps({"lake": lake_id, "months": dict(sorted(marks.items()))}))


def since(store, lake_id: str, months: list[str], version: int) -> dict[str, int] | None:
    """{month: the lake version after which its changes must be read, up to `version`}, None when
    one of them has no mark of this lake, or one newer than `version` (a lake restored from an older
    copy: the store counts versions the lake no longer has)."""
    known, marks = read_marks(store)
    if known != lake_id or not months or any(m not in marks or marks[m] > version for m in months):
        return None
    return {m: marks[m] for m in months}


def key_columns(rollup: Rollup) -> list[str]:
    """The columns after grain and bucket that name what a change rewrites: a row, or a scope's heads."""
    return ["period", *SCOPE] if rollup.heads_of else ["period", *rollup.dims]


def _hashes(frame: pd.DataFrame) -> np.ndarray:
    """A 64-bit hash of each row (integer dims as int64: an object column of ints hashes otherwise)."""
    frame = frame.astype({c: "int64" for c in frame.columns if c in INT_DIMS})
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def split(rows: pd.DataFrame, keys: pd.DataFrame | None, rollup: Rollup, grain: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the recounted rows to write, the keys to delete: grain, bucket and key_columns) from a
    rollup's recounted rows and the keys changed requests count in. Pure.
    The rows are picked by a hash of their key columns (a month's ~235,000 place rows: a merge on
    six text columns cost ~0.3 s a table); a collision could only add a recounted row to the writes,
    and a key is deleted only if no picked row has it exactly."""
    cols = key_columns(rollup)
    keys = (pd.DataFrame(columns=cols) if keys is None else keys[cols]).drop_duplicates()
    hit = rows[np.isin(_hashes(rows[cols]), _hashes(keys))] if len(keys) and len(rows) else rows.iloc[:0]
    if rollup.heads_of:
        gone = keys
    else:
        both = keys.merge(hit[cols], on=cols, how="left", indicator=True)
        gone = both.loc[both["_merge"] == "left_only", cols]
    gone = gone.assign(grain=grain, bucket=gone["period"].astype(str).str.slice(0, BUCKET_LENGTHS[grain]))
    return hit[list(rollup.columns)].reset_index(drop=True), gone[["grain", "bucket", *cols]].reset_index(drop=True)


def affected_keys(changes: DataFrame, now: datetime, timed: Callable = families.untimed,
                  together: bool = True) -> Keys:
    """The keys every changed version counts in, per table and grain: the same families and hotspot
    derivations the recount runs, over the changed versions (a few thousand rows: 3 small jobs).
    Also the finest hotspot rows of the old and of the new versions apart (PRE, POST: split_heads)."""
    keys: Keys = {}
    for name, rollup, day in families.day_rows(changes, now, timed, skip=families.time_dependent, together=together):
        for grain in (g for g in GRAINS if g in rollup.grains):
            rows = day if grain == "day" else frames.coarsen(day, rollup, grain)
            keys[(name, grain)] = rows[key_columns(rollup)].drop_duplicates()
    for image in (PRE, POST):
        keys[image] = timed("spark counts", hex_rollups.finest, changes.where(changes["_image"] == image[1]), now)
    for name, rows in hex_rollups.month_rows(pd.concat([keys[PRE], keys[POST]], ignore_index=True)):
        keys[(name, "month")] = rows[key_columns(ROLLUPS[name])].drop_duplicates()
    return keys


def split_heads(rows: pd.DataFrame, finest: pd.DataFrame, keys: Keys) -> tuple[pd.DataFrame, pd.DataFrame]:
    """split for place_heads: of the scopes a changed version counts in, the head rows that differ from
    the ones stored, and the stored heads no longer listed. The stored heads are ranked again from the
    finest rows as the store counted them: the recount's, less the new versions', plus the old ones'
    (exact, as the marks say the store counted the lake just before these changes). Why: a day's
    requests touch nearly every scope of their month, and a scope's ~100 heads mostly keep their place."""
    heads = ROLLUPS["place_heads"]
    scopes = keys.get(("place_heads", "month"))
    new, _ = split(rows, scopes, heads, "month")
    finest_key = [c for c in ROLLUPS[hotspot_rows.FINEST].columns if c != "n"]
    pre, post = keys[PRE], keys[POST]
    before = pd.concat([finest, pre, post.assign(n=-post["n"])], ignore_index=True)
    before = before.groupby(finest_key, as_index=False, sort=False)["n"].sum()
    old, _ = split(hotspot_rows.heads(before[before["n"] > 0]), scopes, heads, "month")
    full = [c for c in heads.columns if c not in heads.measures]
    same = new.merge(old.astype({"n": "int64"}), on=list(heads.columns), how="left", indicator=True)["_merge"] == "both"
    listed = old[full].merge(new[full], on=full, how="left", indicator=True)
    return new[~same.to_numpy()].reset_index(drop=True), listed.loc[listed["_merge"] == "left_only", full].reset_index(drop=True)


def keys_since(spark, store, lake_path: str, snapshot: tuple[str, int], months: list[str], total: int,
               now: datetime, submit: Callable, timed: Callable) -> tuple[Future | None, str]:
    """(the keys to write, as a future of `submit`, or None for whole periods; why, for the load's
    report); `total`: the months' requests, which the recount reads. Why a future: the keys' three
    small Spark jobs wait mostly on scheduling, so they run beside the recount's, and the writer waits
    for them only when it first splits."""
    from pipeline.lake import table as lake

    lake_id, version = snapshot
    after = since(store, lake_id, months, version)
    if after is None:
        return None, "whole periods: the store has no mark of this lake for every month"
    first = min(after.values())
    try:
        feed = lake.changes(spark, lake_path, after, version)
    except lake.NoChangeFeed as exc:
        log.warning("batch: the lake's change feed does not cover versions %d-%d (%s): writing whole periods",
                    first + 1, version, exc)
        return None, f"whole periods: no change feed after lake version {first}"
    changed = feed.count()
    if changed > KEYED_MAX_SHARE * total:
        return None, f"whole periods: {changed:,} changed versions of {total:,} requests"
    together = changed <= families.TOGETHER_ROWS  # a large catch-up's feed: a job per family
    return (submit(timed, "changed keys", affected_keys, feed, now, families.untimed, together),
            f"changed keys: {changed:,} changed versions since lake version {first}")
