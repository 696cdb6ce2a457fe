"""The read API's answer cache: one process-wide LRU bounded in bytes (pipeline/read/byte_cache.py; setting
read_cache_mb), keyed by (store URL, tables, query) and tagged with the store's `data_version` meta
value, which the batch job bumps after each load.

Why a version tag and not a TTL: a dashboard must never mix answers from before and after a load,
and between loads every answer stays valid however old. The version is re-read at most every
VERSION_CHECK_S seconds per store, so a reload shows within that delay at one meta read per
interval, not one per query.
"""
from __future__ import annotations

import functools
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pandas as pd

from pipeline.read.byte_cache import ByteLRU
from pipeline.settings import DEFAULTS

VERSION_CHECK_S = 2.0
CACHE_ENTRIES = 512
CACHE_BYTES = DEFAULTS.read_cache_mb * 1024 * 1024  # until the app sets read_cache_mb through configure_cache

_cache = ByteLRU(CACHE_BYTES, CACHE_ENTRIES)
_versions: dict[str, tuple[float, str | None]] = {}
_query = threading.local()  # .memo: the inner answers of the query running in this thread, cache off


def _copy(value):
    return value.copy() if isinstance(value, pd.DataFrame) else value


def configure_cache(max_bytes: int) -> None:
    """Set the process-wide answer cache's byte budget (0 turns caching off)."""
    _cache.resize(max_bytes)


def cache_bytes() -> int:
    return _cache.bytes


def data_version(store) -> str | None:
    """The store's data_version, re-read at most every VERSION_CHECK_S seconds."""
    now = time.monotonic()
    seen = _versions.get(store.url)
    if seen is None or now - seen[0] > VERSION_CHECK_S:
        seen = (now, store.get_meta("data_version"))
        _versions[store.url] = seen
    return seen[1]


def cached(method):
    """Memoise a ReadAPI query per (store, tables, data_version, method, arguments). With the cache off
    (the benchmarks' cold reads) a query still asks each inner query once (`_once`)."""
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        key = (self.store.url, self.tables, method.__name__, args, tuple(sorted(kwargs.items())))
        if not self.cache:
            return _once(key, lambda: method(self, *args, **kwargs))
        version = data_version(self.store)
        hit = _cache.get(key)
        if hit is not None and hit[0] == version:
            return _copy(hit[1])
        value = method(self, *args, **kwargs)
        _cache.put(key, (version, _copy(value)))
        return value
    return wrapper


def _once(key, compute):
    """compute(), its answer kept until the outermost query running in this thread returns: a query
    asked the date bounds again for every sum it made (a partition list and two reads each; 13 times
    for a split series), where the cache answers all but the first."""
    memo = getattr(_query, "memo", None)
    if memo is None:
        _query.memo = {}
        try:
            return compute()
        finally:
            _query.memo = None
    if key not in memo:
        memo[key] = compute()
    return _copy(memo[key])


_pools: dict[int, ThreadPoolExecutor] = {}  # per process: a pool's threads do not survive a gunicorn fork


def prefetch(compute) -> Future:
    """compute() started in a worker thread, for a query to read beside its own next read (one round trip
    instead of two in a row), with the inner answers of the query running in this thread: with the cache
    off, the worker reuses the plan values it already read."""
    memo = getattr(_query, "memo", None)

    def run():
        _query.memo = memo
        try:
            return compute()
        finally:
            _query.memo = None
    pool = _pools.get(os.getpid())
    if pool is None:
        pool = _pools[os.getpid()] = ThreadPoolExecutor(max_workers=4, thread_name_prefix="read-prefetch")
    return pool.submit(run)
