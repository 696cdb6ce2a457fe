"""An LRU bounded in bytes (and entries), shared by the read API's answer cache and the app's
last-good answers.

Why bytes: a cache bounded in entries is unbounded in memory, since one day-by-day series split by
type can weigh as much as a thousand small answers (issue 10: a worker grew to 472 MB). Sizes are
a frame's memory with its strings (size_of); an answer larger than a quarter of the budget is not kept at all, so
one answer never evicts everything else.
"""
from __future__ import annotations

import sys
import threading
from collections import OrderedDict
from collections.abc import Hashable

import pandas as pd

SAMPLE = 64  # text values measured per column; the column's size is their mean times its length


def size_of(value) -> int:
    """Approximate bytes an answer holds: a frame's arrays, its text columns' strings estimated from
    a sample of them, a small constant otherwise. Why not pandas' deep memory_usage: it measures every
    string and costs ~0.3 ms even for a ten-row frame, on every answer cached (about a quarter of a
    board report's cold render, measured); a sample is within a few percent for the budget's needs."""
    if isinstance(value, pd.DataFrame):
        n = len(value)
        total = 512 + 8 * n  # the index
        for _, column in value.items():
            values = column.to_numpy()
            total += values.nbytes
            if values.dtype == object and n:
                sample = values[:: max(1, n // SAMPLE)][:SAMPLE]
                total += sum(sys.getsizeof(v) for v in sample) * n // len(sample)
        return total
    if isinstance(value, tuple):  # e.g. (version, frame) or (time, frame)
        return sum(size_of(v) for v in value) + 64
    return 256


class ByteLRU:
    """Thread-safe LRU of key -> value, at most `max_bytes` (by size_of) and `max_entries`."""

    def __init__(self, max_bytes: int, max_entries: int = 512):
        self.max_bytes, self.max_entries = max(0, int(max_bytes)), max_entries
        self._items: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable, default=None):
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return default
            self._items.move_to_end(key)
            return hit[0]

    def put(self, key: Hashable, value: object) -> bool:
        """Keep value under key (most recent); False when it is too big to keep."""
        size = size_of(value)
        with self._lock:
            self._drop(key)
            if size > self.max_bytes // 4:
                return False
            self._items[key] = (value, size)
            self._bytes += size
            self._evict()
        return True

    def resize(self, max_bytes: int) -> None:
        with self._lock:
            self.max_bytes = max(0, int(max_bytes))
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def _drop(self, key: Hashable) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self._bytes -= old[1]

    def _evict(self) -> None:
        while self._items and (self._bytes > self.max_bytes or len(self._items) > self.max_entries):
            _, (_, size) = self._items.popitem(last=False)
            self._bytes -= size
