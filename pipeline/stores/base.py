"""The store interface every rollup store implements (see pipeline/rollups/tables.py for the tables).

Why this shape: the batch job replaces whole periods (a recompute of a month must also remove rows
whose combination no longer exists, e.g. after a request changed status), the streaming job upserts
minute rows with a TTL, and the read API asks for sums over a period range with filters, grouped by
a few columns. Everything else (which rollups to read, stitching months and days) lives in
pipeline/read/api.py, once for both stores.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

import pandas as pd


class StoreUnavailable(RuntimeError):
    """The store does not answer; the message says which store and why."""


class Store(ABC):
    url: str
    # Whether a page's charts gain from reading at once (app/charts.py render): a networked store's
    # queries mostly wait on the server, so they overlap; see SQLiteStore for the other case.
    parallel_reads = True

    @abstractmethod
    def ensure_schema(self) -> None:
        """Create tables if missing and record the applied schema version (idempotent)."""

    @abstractmethod
    def schema_version(self) -> int | None:
        """The schema version recorded in the store, or None before ensure_schema()."""

    @abstractmethod
    def replace_periods(self, table: str, grain: str, periods: Sequence[str], rows: pd.DataFrame) -> int:
        """Make `rows` the whole content of `periods` of `table` at `grain` (delete, then upsert).

        Idempotent: running it twice with the same rows leaves the same content. Returns rows written.
        """

    @abstractmethod
    def replace_keys(self, table: str, grain: str, rows: pd.DataFrame, gone: pd.DataFrame) -> int:
        """Delete the rows of `table` whose key begins with one of `gone`'s rows (columns: grain,
        bucket, period and the dims that follow it in the key, a prefix of it), then upsert `rows`
        (all at `grain`): the batch's write of what changed requests touch (pipeline/rollups/changed.py).
        Idempotent, as replace_periods. Returns rows written."""

    @abstractmethod
    def upsert(self, table: str, rows: pd.DataFrame, ttl_seconds: int | None = None) -> int:
        """Insert-or-overwrite rows by primary key (optionally expiring); returns rows written."""

    @abstractmethod
    def aggregate(self, table: str, grain: str, start: str, end: str, by: Sequence[str],
                  filters: Mapping[str, str] | None = None) -> pd.DataFrame:
        """Sum every measure of `table` over periods start..end (inclusive, same grain format),
        rows matching `filters` (column -> value), grouped by `by` (may include 'period').
        Returns columns [*by, *measures]; empty frame with those columns when nothing matches."""

    def aggregate_many(self, queries: Sequence[tuple]) -> list[pd.DataFrame]:
        """`aggregate(*query)` for each query, in order. A store whose reads wait on a network
        (parallel_reads) sends them all at once: a total's plan pieces, or the days of a baseline."""
        return [self.aggregate(*query) for query in queries]

    @abstractmethod
    def sums_many(self, queries: Sequence[tuple]) -> list[dict[tuple, list[int]]]:
        """aggregate_many's answers as {values of the query's `by`: [measures]} (stores/rows.py sum_dict): the
        read API adds a plan's pieces up in Python, where a frame per piece, a concat and a group-by cost more
        than the rows."""

    @abstractmethod
    def buckets(self, table: str, grain: str) -> list[str]:
        """The partitions (bucket values) holding rows of `table` at `grain`, ascending."""

    @abstractmethod
    def select(self, table: str, where: Mapping[str, object] | None = None, limit: int | None = None) -> pd.DataFrame:
        """Rows of any table (pipeline/rollups/tables.py EXTRA_TABLES: status, recent events, ...) whose columns
        equal `where` (give the whole partition key on Cassandra), in clustering order, at most `limit`."""

    @abstractmethod
    def get_meta(self, key: str) -> str | None:
        """A value of the small key/value meta table (freshness, data version, ...)."""

    def get_metas(self, keys: Sequence[str]) -> dict[str, str]:
        """{key: value} of the keys the meta table holds, in one read where the store can (a cold
        read-API query needs four or five of them before it sums anything)."""
        return {k: v for k in keys if (v := self.get_meta(k)) is not None}

    @abstractmethod
    def set_meta(self, key: str, value: str) -> None:
        ...

    @abstractmethod
    def ping(self) -> None:
        """Raise StoreUnavailable with the reason if the store does not answer a trivial query."""

    def close(self) -> None:  # noqa: B027 - default: nothing to release
        """Release connections (optional)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
