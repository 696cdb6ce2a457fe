"""The embedded rollup store: one SQLite file in WAL mode.

Why these settings: the app runs several gunicorn workers with threads reading while the streaming
job writes. WAL lets readers proceed during a write, busy_timeout makes a second writer wait instead
of failing, and each thread of each process opens its own connection (sqlite3 connections must not
cross threads or forks). Keys are the Cassandra keys flattened, (grain, bucket, period, dims...), so
a period-range query is an index range scan. TTL rows carry expires_at (epoch seconds): reads skip
expired rows, and writers purge them now and then.
"""
from __future__ import annotations

import math
import os
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import urlparse

import pandas as pd

from pipeline.rollups.tables import bucket_of
from pipeline.settings import resolve
from pipeline.stores import ddl
from pipeline.stores import rows as rowlib
from pipeline.stores.base import Store, StoreUnavailable

PURGE_EVERY_S = 600
# periods a seeking query names at most, one query per partition (a month of days names ~31); beyond it
# a range scan. Seeks win even for day rows over years: a ten-year day series of one borough's type took
# 21 ms in 119 seeking queries against 115 ms for the range scan, a district's 11 against 117 ms
# (2026-12-04, the ten-year benchmark store); the cap only bounds a query whatever the range asks.
SEEK_PERIODS = 10_000
# A seek over several partitions is one query (`bucket IN (...) AND period IN (...)`) while the key
# prefixes SQLite probes, partitions x periods x the values of listed leading dims, stay under this
# (most are empty: a period lies in one partition; ~10-25 us each, measured); beyond it (day rows
# over a year: 13 x 365, or a lookup of 60 addresses) one query per partition.
ONE_QUERY_PROBES = 2_000
# The write-ahead log is cut back to this size when a write restarts it after a checkpoint. Without a
# limit it keeps the size of the largest transaction for as long as a connection is open: after a
# 1 M-row load the store was 609 MB and its log 90 MB more, held by the web and stream processes.
WAL_LIMIT_BYTES = 64 * 1024 * 1024


def sqlite_path(url: str) -> str:
    """sqlite:///var/x.db is relative to the project root; sqlite:////abs/x.db is absolute."""
    u = urlparse(url)
    path = (u.netloc + u.path)[1:] if not u.netloc else u.netloc + u.path
    if not path:
        raise ValueError(f"store URL {url!r} names no file: use sqlite:///var/rollups.db")
    return str(resolve(path)) if not os.path.isabs(path) else path


class SQLiteStore(Store):
    seek_periods = SEEK_PERIODS  # 0: every query a range scan (bench.read --layouts scan compares both)
    one_query_probes = ONE_QUERY_PROBES
    # In process: a read holds the GIL for most of its time (pandas around a sub-millisecond query), so a
    # page's charts read at once only contend (ten-year trends: 133 ms one after another, 155-166 ms at once)
    parallel_reads = False

    def __init__(self, url: str):
        self.url = url
        self.path = sqlite_path(url)
        self._local = threading.local()
        self._last_purge: dict[str, float] = {}

    # -- connections -----------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        try:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(f"PRAGMA journal_size_limit = {int(WAL_LIMIT_BYTES)}")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA cache_size = -32768")  # 32 MiB of pages per connection
            conn.execute("PRAGMA mmap_size = 268435456")
        except (sqlite3.Error, OSError) as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _read(self, sql: str, params: Sequence = ()) -> list[tuple]:
        try:
            return self._conn().execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                raise StoreUnavailable(f"SQLite store {self.path}: {exc} (run `python -m pipeline schema`)") from exc
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc

    def _write(self, work) -> None:
        """Run work(conn) in one IMMEDIATE transaction (writers queue on busy_timeout)."""
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                work(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"SQLite store {self.path}: {exc}") from exc

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- schema -----------------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        if self.schema_version() == ddl.latest_version("sqlite"):
            return  # every version applied: nothing to do (jobs call this on each run)
        applied = datetime.now(UTC).isoformat(timespec="seconds")

        def work(conn):
            for version, statements in ddl.versions("sqlite"):
                for stmt in statements:
                    conn.execute(stmt)
                conn.execute("INSERT OR IGNORE INTO schema_version (version, applied_at) VALUES (?, ?)",
                             (version, applied))
        self._write(work)

    def schema_version(self) -> int | None:
        try:
            rows = self._conn().execute("SELECT MAX(version) FROM schema_version").fetchall()
        except sqlite3.OperationalError:
            return None
        return rows[0][0] if rows else None

    # -- writes -----------------------------------------------------------------------------------
    def _insert_sql(self, spec, verb: str = "INSERT OR REPLACE") -> str:
        cols = (*spec.column_names, "expires_at")
        return f"{verb} INTO {spec.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"

    def replace_periods(self, table: str, grain: str, periods: Sequence[str], rows: pd.DataFrame) -> int:
        spec = rowlib.spec_of(table)
        records = rowlib.records(spec, rows, key_order=True, tail=(None,))  # B-tree pages filled in turn
        rowlib.check_rollup_rows(table, grain, periods, rows)
        keys = [(grain, bucket_of(grain, p), p) for p in periods]

        def work(conn):
            conn.executemany(f"DELETE FROM {spec.name} WHERE grain = ? AND bucket = ? AND period = ?", keys)
            conn.executemany(self._insert_sql(spec), records)
        self._write(work)
        return len(records)

    def replace_keys(self, table: str, grain: str, rows: pd.DataFrame, gone: pd.DataFrame) -> int:
        spec = rowlib.spec_of(table)
        rowlib.check_keyed_rows(table, grain, rows, gone)
        cols, keys = rowlib.key_prefixes(spec, gone)
        records = rowlib.records(spec, rows, key_order=True, tail=(None,))

        def work(conn):
            conn.executemany(f"DELETE FROM {spec.name} WHERE {' AND '.join(f'{c} = ?' for c in cols)}", keys)
            conn.executemany(self._insert_sql(spec), records)
        self._write(work)
        return len(records)

    def upsert(self, table: str, rows: pd.DataFrame, ttl_seconds: int | None = None) -> int:
        spec = rowlib.spec_of(table)
        expires = time.time() + ttl_seconds if ttl_seconds else None
        records = rowlib.records(spec, rows, tail=(expires,))
        now = time.time()
        purge = now - self._last_purge.get(table, 0) > PURGE_EVERY_S

        def work(conn):
            conn.executemany(self._insert_sql(spec), records)
            if purge:
                conn.execute(f"DELETE FROM {spec.name} WHERE expires_at IS NOT NULL AND expires_at <= ?", (now,))
        self._write(work)
        if purge:
            self._last_purge[table] = now
        return len(records)

    # -- reads ------------------------------------------------------------------------------------
    def aggregate(self, table: str, grain: str, start: str, end: str, by: Sequence[str],
                  filters: Mapping[str, object] | None = None) -> pd.DataFrame:
        result, measures, grouped = self._grouped(table, grain, start, end, by, filters)
        return rowlib.finish(pd.DataFrame(result, columns=[*by, *measures]), by, measures, grouped=grouped)

    def sums_many(self, queries: Sequence[tuple]) -> list[dict[tuple, list[int]]]:
        out = []
        for query in queries:
            result, measures, _ = self._grouped(*query)
            by = query[4]
            out.append(rowlib.sum_dict(result, [*by, *measures], by, measures))
        return out

    def _grouped(self, table: str, grain: str, start: str, end: str, by: Sequence[str],
                 filters: Mapping[str, object] | None = None) -> tuple[list[tuple], tuple[str, ...], bool]:
        """The rows of one aggregate ([*by, *measures] tuples), its measures, and whether they are one
        span's sums already grouped and sorted by `by` (else partial sums to add up)."""
        dims, measures = rowlib.check_query(table, grain, start, end, by, filters)
        conds, params = ["(expires_at IS NULL OR expires_at > ?)"], [time.time()]
        for col, value in (filters or {}).items():
            value = rowlib.filter_value(col, value)
            if isinstance(value, list):
                conds.append(f"{col} IN ({', '.join('?' * len(value))})")
                params.extend(value)
            else:
                conds.append(f"{col} = ?")
                params.append(value)
        select = [*by, *(f"SUM({m}) AS {m}" for m in measures)]
        spans = self._spans(dims, grain, start, end, filters)
        result = []
        for where, span_params in spans:
            sql = f"SELECT {', '.join(select)} FROM {table} WHERE {' AND '.join([where, *conds])}"
            if by:
                sql += f" GROUP BY {', '.join(by)}"
                if len(spans) == 1:  # SQLite's grouping sorts by these anyway: pandas need not sort again
                    sql += f" ORDER BY {', '.join(by)}"
            result += [r for r in self._read(sql, [*span_params, *params]) if r[len(by)] is not None]
        return result, measures, len(spans) == 1

    def _spans(self, dims: Sequence[str], grain: str, start: str, end: str,
               filters: Mapping[str, object] | None) -> list[tuple[str, list]]:
        """The key conditions of a period range, one query each. When the filters fix the rollup's
        leading dims, the periods are named, so SQLite seeks to each (period, fixed prefix) of the
        primary key instead of scanning every row of the range: a type's month of place rows is a
        few thousand of the month's quarter million. One query names every partition and period
        (ONE_QUERY_PROBES), or, for many, one query per partition (`bucket = ? AND period IN (...)`,
        summed in pandas). Otherwise (or beyond `seek_periods` periods: day rows over years) one
        range scan."""
        lead = rowlib.seek_depth(dims, filters, grain)
        if lead:
            buckets = rowlib.buckets_between(grain, start, end)
            periods = {b: ps for b in buckets if (ps := rowlib.periods_in(grain, b, start, end))}
            named = [p for ps in periods.values() for p in ps]
            if not named:
                return []
            # key prefixes one query probes: every (partition, period, value of each listed leading dim)
            probes = len(periods) * len(named) * math.prod(
                len(v) if isinstance(v := (filters or {})[d], list | tuple | set | frozenset) else 1 for d in dims[:lead])
            if len(named) <= self.seek_periods and probes <= self.one_query_probes:
                # one query, so SQLite groups every partition's rows at once: a cell's ten years of
                # month rows come back as its ~4,000 places, not ten partial sums of ~1,500 each to
                # convert and add up again in pandas (36 ms to 22 ms, and no second grouping)
                return [(f"grain = ? AND bucket IN ({', '.join('?' * len(periods))}) "
                         f"AND period IN ({', '.join('?' * len(named))})", [grain, *periods, *named])]
            if len(named) <= self.seek_periods:
                return [(f"grain = ? AND bucket = ? AND period IN ({', '.join('?' * len(ps))})", [grain, b, *ps])
                        for b, ps in periods.items()]
        # (bucket, period) as one row value, so the period bounds are part of the key's seek: with
        # `bucket >= ? AND bucket <= ?` SQLite scanned the whole first and last partitions (a day of
        # hour_of_week read its month's ~160,000 rows: 14.5 ms against 1.5). A bucket is its periods'
        # prefix, so the row value orders as the period does; the period bounds stay as a check.
        return [("grain = ? AND (bucket, period) >= (?, ?) AND (bucket, period) <= (?, ?) AND period >= ? AND period <= ?",
                 [grain, bucket_of(grain, start), start, bucket_of(grain, end), end, start, end])]

    def select(self, table: str, where: Mapping[str, object] | None = None, limit: int | None = None) -> pd.DataFrame:
        """Rows of any table by equality on some columns, in key order (reversed if the spec says
        descending); for the small extra tables (status, recent events)."""
        spec = rowlib.spec_of(table)
        conds, params = [], []
        if table not in ddl.INTERNAL_TABLES:
            conds, params = ["(expires_at IS NULL OR expires_at > ?)"], [time.time()]
        for col, value in (where or {}).items():
            if col not in spec.column_names:
                raise ValueError(f"{table} has no column {col!r}")
            conds.append(f"{col} = ?")
            params.append(value)
        order = ", ".join(f"{c}{' DESC' if spec.descending else ''}" for c in (*spec.partition_key, *spec.clustering))
        sql = f"SELECT {', '.join(spec.column_names)} FROM {table}"
        sql += f" WHERE {' AND '.join(conds)}" if conds else ""
        sql += f" ORDER BY {order}"
        if limit:
            sql += " LIMIT ?"
            params.append(int(limit))
        frame = pd.DataFrame(self._read(sql, params), columns=list(spec.column_names))
        for col, typ in spec.columns:
            if typ == "timestamp":
                frame[col] = pd.to_datetime(frame[col])
        return frame

    def buckets(self, table: str, grain: str) -> list[str]:
        """The partitions (buckets) of a table at a grain, ascending."""
        rowlib.spec_of(table)
        # one index probe per bucket: SELECT DISTINCT would scan every row of the table
        out, sql = [], f"SELECT MIN(bucket) FROM {table} WHERE grain = ? AND bucket > ?"
        while True:
            nxt = self._read(sql, (grain, out[-1] if out else ""))[0][0]
            if nxt is None:
                return out
            out.append(nxt)

    # -- meta -------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE key = ?", (key,))
        return rows[0][0] if rows else None

    def get_metas(self, keys: Sequence[str]) -> dict[str, str]:
        keys = list(dict.fromkeys(keys))
        return dict(self._read(f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(keys))})", keys)) if keys else {}

    def set_meta(self, key: str, value: str) -> None:
        self._write(lambda conn: conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value)))

    def ping(self) -> None:
        self._read("SELECT 1")
