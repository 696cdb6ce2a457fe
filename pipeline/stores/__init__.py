"""Rollup stores behind one interface: the embedded SQLite store and Apache Cassandra.

Why open_store takes the Settings: a store is opened by an entry point that already holds them (the
app's read model, a CLI command, the stream sink), and the store's knobs (Cassandra consistency
levels) come from that one object instead of a second read of the environment."""
from __future__ import annotations

from urllib.parse import urlparse

from pipeline.settings import DEFAULTS, Settings
from pipeline.stores.base import Store, StoreUnavailable

__all__ = ["Store", "StoreUnavailable", "open_store"]


def open_store(url: str, settings: Settings | None = None) -> Store:
    """Open the store a URL names (sqlite:///PATH or cassandra://HOST[,HOST]:PORT/KEYSPACE), tuned by
    `settings` (the registry defaults when none are given)."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        from pipeline.stores.sqlite import SQLiteStore
        return SQLiteStore(url)
    if scheme == "cassandra":
        from pipeline.stores.cassandra import CassandraStore
        s = settings or DEFAULTS
        return CassandraStore(url, read_consistency=s.cassandra_read_consistency,
                              write_consistency=s.cassandra_write_consistency)
    raise ValueError(f"unknown store URL {url!r}: use sqlite:///PATH or cassandra://HOST:PORT/KEYSPACE")
