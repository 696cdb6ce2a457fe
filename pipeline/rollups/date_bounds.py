"""The first and last New York day with requests in the store, recorded by each load.

Why recorded: every read-API query clamps its range to them, and finding them takes two reads one
after the other (the partitions of the smallest day rollup, then the days of its first and last
month), ~6-8 ms of every cold query on Cassandra before it sums anything. A load records them with
the data_version it is about to set (pipeline/rollups/batch.py), and a reader trusts them only
beside that same version: a writer that changes rows without recording them (a test fixture, a
synthesis) changes the version or never had a record, and the reader scans instead.
"""
from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date

from pipeline.read import plan
from pipeline.schema import CREATED_YEARS
from pipeline.stores.base import Store

META = "date_bounds"
VERSION = "data_version"

Bounds = tuple[date, date] | None


def scan(store: Store, table: str | None = None) -> Bounds:
    """The bounds read from the day rows of `table` (default: the smallest count rollup); periods of
    years outside CREATED_YEARS are bad rows that slipped in and are ignored, so that date
    arithmetic on the bounds can never overflow (the batch job quarantines such rows)."""
    table = table or plan.table_for(set())
    lo, hi = CREATED_YEARS
    buckets = [b for b in store.buckets(table, "day") if b[:4].isdigit() and lo <= int(b[:4]) <= hi]
    if not buckets:
        return None
    days = []
    for frame in store.aggregate_many([(table, "day", f"{b}-01", plan.month_end(date.fromisoformat(f"{b}-01"))
                                        .isoformat(), ["period"]) for b in (buckets[0], buckets[-1])]):
        days.extend(frame.loc[frame["n"] > 0, "period"])
    return (date.fromisoformat(min(days)), date.fromisoformat(max(days))) if days else None


def record(store: Store, version: str) -> None:
    """Record the bounds as of now for the data_version `version` (set it after this)."""
    bounds = scan(store)
    store.set_meta(META, json.dumps({"version": version, "first": bounds and bounds[0].isoformat(),
                                     "last": bounds and bounds[1].isoformat()}))


def recorded(meta: Mapping[str, str]) -> tuple[bool, Bounds]:
    """(True, the bounds) if `meta` (META and VERSION read together) holds bounds recorded for its
    data_version; (False, None) if the reader must scan, a record it cannot read included."""
    try:
        doc = json.loads(meta.get(META) or "null")
        if not isinstance(doc, dict) or doc.get("version") is None or str(doc["version"]) != meta.get(VERSION):
            return False, None
        if doc.get("first") is None:
            return True, None
        first, last = date.fromisoformat(doc["first"]), date.fromisoformat(doc["last"])
    except (KeyError, TypeError, ValueError):
        return False, None
    lo, hi = CREATED_YEARS
    return (True, (first, last)) if lo <= first.year and first <= last and last.year <= hi else (False, None)
