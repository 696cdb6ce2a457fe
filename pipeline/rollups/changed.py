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
recount, which is what the mark said. place_heads ranks the places of a scope (a type and an area),
so each scope a changed request counts in is deleted and written whole.

Whole periods instead (batch.write_rollups' other path): a store without marks (its first load, an
older store, another lake), a feed that does not cover the commits (turned on later, vacuumed), a
change larger than KEYED_MAX_SHARE of the months' requests (counting it twice costs more than the
writes it saves), `batch --recompute` (the repair: it rewrites everything), and always the rollups
that count open-past-due requests, which change with the load time alone (families.time_dependent).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime

import pandas as pd
from pyspark.sql import DataFrame

from pipeline.rollups import families, frames
from pipeline.rollups import hexes as hex_rollups
from pipeline.rollups.tables import BUCKET_LENGTHS, ROLLUPS, Rollup

log = logging.getLogger("pipeline.rollups.changed")

META = "lake_marks"
KEYED_MAX_SHARE = 0.2  # changed request versions per request of the months recounted, at most
GRAINS = ("day", "week", "month")  # the batch's grains (batch.BATCH_GRAINS)
SCOPE = ("scope_type", "scope_area")  # place_heads: what is rewritten whole

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


def since(store, lake_id: str, months: list[str]) -> int | None:
    """The lake version after which the changes must be read for `months` (the oldest of their marks),
    None when one of them has none of this lake."""
    known, marks = read_marks(store)
    if known != lake_id or not months or any(m not in marks for m in months):
        return None
    return min(marks[m] for m in months)


def key_columns(rollup: Rollup) -> list[str]:
    """The columns after grain and bucket that name what a change rewrites: a row, or a scope's heads."""
    return ["period", *SCOPE] if rollup.heads_of else ["period", *rollup.dims]


def split(rows: pd.DataFrame, keys: pd.DataFrame | None, rollup: Rollup, grain: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the recounted rows to write, the keys to delete: grain, bucket and key_columns) from a
    rollup's recounted rows and the keys changed requests count in. Pure."""
    cols = key_columns(rollup)
    keys = (pd.DataFrame(columns=cols) if keys is None else keys[cols]).drop_duplicates()
    hit = rows.merge(keys, on=cols, how="inner") if len(keys) else rows.iloc[:0]
    if rollup.heads_of:
        gone = keys
    else:
        both = keys.merge(rows[cols].drop_duplicates(), on=cols, how="left", indicator=True)
        gone = both.loc[both["_merge"] == "left_only", cols]
    gone = gone.assign(grain=grain, bucket=gone["period"].astype(str).str.slice(0, BUCKET_LENGTHS[grain]))
    return hit[list(rollup.columns)].reset_index(drop=True), gone[["grain", "bucket", *cols]].reset_index(drop=True)


def affected_keys(changes: DataFrame, now: datetime, timed: Callable | None = None) -> Keys:
    """The keys every changed version counts in, per table and grain: the same families and hotspot
    derivations the recount runs, over the changed versions (a few thousand rows: ~12 small jobs)."""
    keys: Keys = {}
    timed = timed or (lambda key, work, *args: work(*args))
    for name, rollup, day in families.day_rows(changes, now, timed, skip=families.time_dependent):
        for grain in (g for g in GRAINS if g in rollup.grains):
            rows = day if grain == "day" else frames.coarsen(day, rollup, grain)
            keys[(name, grain)] = rows[key_columns(rollup)].drop_duplicates()
    finest = timed("spark counts", hex_rollups.finest, changes, now)
    for name, rows in hex_rollups.month_rows(finest):
        keys[(name, "month")] = rows[key_columns(ROLLUPS[name])].drop_duplicates()
    return keys


def keys_since(spark, store, lake_path: str, snapshot: tuple[str, int], months: list[str], requests: DataFrame,
               now: datetime, timed: Callable | None = None) -> tuple[Keys | None, str]:
    """(the keys to write, or None for whole periods; why, for the load's report)."""
    from pipeline.lake import table as lake

    lake_id, version = snapshot
    after = since(store, lake_id, months)
    if after is None:
        return None, "whole periods: the store has no mark of this lake for every month"
    try:
        feed = lake.changes(spark, lake_path, after, version, months)
    except lake.NoChangeFeed as exc:
        log.warning("batch: the lake's change feed does not cover versions %d-%d (%s): writing whole periods",
                    after + 1, version, exc)
        return None, f"whole periods: no change feed after lake version {after}"
    changed, total = feed.count(), requests.count()
    if changed > KEYED_MAX_SHARE * total:
        return None, f"whole periods: {changed:,} changed versions of {total:,} requests"
    return affected_keys(feed, now, timed), f"changed keys: {changed:,} changed versions since lake version {after}"
