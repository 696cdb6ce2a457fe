"""Rollup stores behind one interface: the embedded SQLite store and Apache Cassandra."""
from __future__ import annotations

from urllib.parse import urlparse

from pipeline.stores.base import Store, StoreUnavailable

__all__ = ["Store", "StoreUnavailable", "open_store"]


def open_store(url: str) -> Store:
    """Open the store a URL names (sqlite:///PATH or cassandra://HOST[,HOST]:PORT/KEYSPACE)."""
    scheme = urlparse(url).scheme
    if scheme == "sqlite":
        from pipeline.stores.sqlite import SQLiteStore
        return SQLiteStore(url)
    if scheme == "cassandra":
        from pipeline.stores.cassandra import CassandraStore
        return CassandraStore(url)
    raise ValueError(f"unknown store URL {url!r}: use sqlite:///PATH or cassandra://HOST:PORT/KEYSPACE")
