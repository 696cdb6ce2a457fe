"""The scale-out rollup store: Apache Cassandra through cassandra-driver.

Why this layout: tables are partitioned by (grain, bucket) and clustered by period then dims
(pipeline/rollups/tables.py), so a ten-year month-grain query reads ~10 partitions and restricts the period
by a clustering range. Every statement is prepared; writes are idempotent upserts (no counters), so
replaying a batch or a stream micro-batch is harmless. replace_periods deletes each period by its
clustering prefix (one range tombstone) and then writes UNLOGGED batches that each hold rows of a
single partition (one mutation per batch on the replica; see bench/read.py for the measured gain over
single-row inserts).

Processes and threads: the driver's Cluster owns an event-loop thread (libev from the wheel), which
does not survive fork, so the session is opened lazily in the process that uses it and reopened when
the pid changes (gunicorn workers fork after the app is imported). One session is shared by the
threads of a process (the driver is thread-safe). Errors reaching Cassandra become StoreUnavailable
with the reason; once connected, the driver reconnects on its own (exponential back-off), and a
failed first connection is retried on the next call.

Consistency: reads at cassandra_read_consistency, writes at cassandra_write_consistency, LOCAL_ONE
by default so pages answer and jobs write with one node of a replication-factor-2 ring down (QUORUM
of 2 needs both); a read may then miss a write until hints arrive (docs/OPERATIONS.md: clusters).
"""
from __future__ import annotations

import os
import threading
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from urllib.parse import parse_qs, urlparse

import pandas as pd

from pipeline.rollups.tables import bucket_of
from pipeline.stores import ddl
from pipeline.stores import rows as rowlib
from pipeline.stores.base import Store, StoreUnavailable

CONCURRENCY = 64
SPLIT_LIST = 4           # a list filter of up to this many values on a dim Cassandra cannot seek: a statement per value
# rows per UNLOGGED single-partition batch (1 = none): such batches are outside Cassandra's batch size thresholds
# (CASSANDRA-10876); 100 wrote 1.1-1.3x the rows/s of 40, and 1,000 x CONCURRENCY overfilled the connection's socket
BATCH_ROWS = 100
FETCH_SIZE = 10_000
RETRY_CONNECT_S = 2.0    # after a failed connection, answer StoreUnavailable at once for this long
SCHEMA_AGREEMENT_S = 120  # a loaded ring can take a gossip round or two to spread a new keyspace


def parse_url(url: str) -> tuple[list[str], int, str, int]:
    """cassandra://HOST[,HOST]:PORT/KEYSPACE[?rf=N] -> (hosts, port, keyspace, replication factor)."""
    u = urlparse(url)
    netloc = u.netloc.rsplit("@", 1)[-1]
    hostpart, _, port = netloc.rpartition(":") if ":" in netloc else (netloc, "", "9042")
    hosts = [h for h in hostpart.split(",") if h] or ["127.0.0.1"]
    keyspace = u.path.strip("/")
    if not keyspace.replace("_", "a").isalnum() or keyspace[0].isdigit():
        raise ValueError(f"store URL {url!r}: the path must name a keyspace, e.g. cassandra://127.0.0.1:9042/nyc311")
    rf = int(parse_qs(u.query).get("rf", ["1"])[0])
    return hosts, int(port or 9042), keyspace, rf


class CassandraStore(Store):
    def __init__(self, url: str, connect_timeout: float = 5.0, request_timeout: float = 20.0,
                 server_group_by: bool = True, read_consistency: str | None = None,
                 write_consistency: str | None = None):
        from cassandra import ConsistencyLevel

        from pipeline.settings import DEFAULTS
        self.url = url
        read_consistency = read_consistency or DEFAULTS.cassandra_read_consistency  # open_store passes the settings'
        write_consistency = write_consistency or DEFAULTS.cassandra_write_consistency
        self.read_cl = ConsistencyLevel.name_to_value[read_consistency.upper()]
        self.write_cl = ConsistencyLevel.name_to_value[write_consistency.upper()]
        # filters and GROUP BY inside Cassandra (True, measured faster by bench.read --compare) or
        # plain rows summed in pandas (False): both must give the same answers (tested)
        self.server_group_by = server_group_by
        self.hosts, self.port, self.keyspace, self.rf = parse_url(url)
        self.connect_timeout = connect_timeout
        self.request_timeout = request_timeout
        self._lock = threading.Lock()
        self._cluster = None
        self._session = None
        self._pid: int | None = None
        self._failed_at = 0.0
        self._failure = ""
        self._prepared: dict[str, object] = {}
        self._keyspace_ready = False

    # -- connection ---------------------------------------------------------------------------------
    def _where(self) -> str:
        return f"Cassandra {','.join(self.hosts)}:{self.port}/{self.keyspace}"

    def _connect(self):
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
        from cassandra.policies import ExponentialReconnectionPolicy
        from cassandra.query import tuple_factory
        try:
            from cassandra.io.libevreactor import LibevConnection as connection_class
        except ImportError:  # pragma: no cover - wheels without libev
            from cassandra.io.asyncioreactor import AsyncioConnection as connection_class
        # the default profile is the reads'; writes set their own level on the statement
        profile = ExecutionProfile(row_factory=tuple_factory, request_timeout=self.request_timeout,
                                   consistency_level=self.read_cl)
        cluster = Cluster(self.hosts, port=self.port, connection_class=connection_class,
                          connect_timeout=self.connect_timeout, control_connection_timeout=self.connect_timeout,
                          reconnection_policy=ExponentialReconnectionPolicy(0.5, 10.0),
                          execution_profiles={EXEC_PROFILE_DEFAULT: profile},
                          protocol_version=5, idle_heartbeat_interval=15,
                          max_schema_agreement_wait=SCHEMA_AGREEMENT_S)
        try:
            session = cluster.connect()
        except Exception as exc:  # NoHostAvailable, OSError, auth errors...: all mean "not answering"
            cluster.shutdown()
            raise StoreUnavailable(f"{self._where()}: cannot connect: {_reason(exc)}") from exc
        session.default_fetch_size = FETCH_SIZE
        return cluster, session

    def _sess(self, keyspace: bool = True):
        """The process's session (opened lazily, reopened after fork); keyspace set when it exists."""
        with self._lock:
            if self._session is None or self._pid != os.getpid():
                if time.monotonic() - self._failed_at < RETRY_CONNECT_S and self._pid == os.getpid():
                    raise StoreUnavailable(self._failure)
                self._prepared, self._keyspace_ready = {}, False
                self._pid = os.getpid()
                try:
                    self._cluster, self._session = self._connect()
                except StoreUnavailable as exc:
                    self._failed_at, self._failure, self._session = time.monotonic(), str(exc), None
                    raise
            if keyspace and not self._keyspace_ready:
                from cassandra import InvalidRequest
                try:
                    self._session.set_keyspace(self.keyspace)
                except InvalidRequest as exc:
                    raise StoreUnavailable(f"{self._where()}: keyspace missing ({_reason(exc)}): run "
                                           f"`python -m pipeline schema --store {self.url}`") from exc
                except Exception as exc:
                    raise StoreUnavailable(f"{self._where()}: {_reason(exc)}") from exc
                self._keyspace_ready = True
            return self._session

    def _prepare(self, cql: str, write: bool = False):
        session = self._sess()  # first: after a fork this forgets the parent's statements
        stmt = self._prepared.get(cql)
        if stmt is None:
            stmt = self._run(lambda: session.prepare(cql))
            if write:
                stmt.consistency_level = self.write_cl
            self._prepared[cql] = stmt
        return stmt

    def _run(self, fn):
        from cassandra.cluster import NoHostAvailable
        try:
            return fn()
        except Exception as exc:
            if _is_unavailable(exc):
                if isinstance(exc, NoHostAvailable):
                    self._drop()  # next call reconnects from scratch (after RETRY_CONNECT_S)
                raise StoreUnavailable(f"{self._where()}: {_reason(exc)}") from exc
            raise

    def _drop(self) -> None:
        with self._lock:
            cluster, self._cluster, self._session = self._cluster, None, None
            self._prepared, self._keyspace_ready = {}, False
            self._failed_at = time.monotonic()
            self._failure = f"{self._where()}: no host answered; retrying"
        if cluster is not None and self._pid == os.getpid():
            threading.Thread(target=cluster.shutdown, daemon=True).start()

    def close(self) -> None:
        with self._lock:
            if self._cluster is not None and self._pid == os.getpid():
                self._cluster.shutdown()
            self._cluster = self._session = None
            self._prepared, self._keyspace_ready = {}, False
            self._failed_at = 0.0

    # -- schema -------------------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        if self.schema_version() == ddl.latest_version("cql"):
            return  # every version applied: nothing to do (jobs call this on each run)
        session = self._sess(keyspace=False)

        def work():
            session.execute(f"CREATE KEYSPACE IF NOT EXISTS {self.keyspace} WITH replication = "
                            f"{{'class': 'SimpleStrategy', 'replication_factor': {int(self.rf)}}}")
            session.set_keyspace(self.keyspace)
            self._keyspace_ready = True
            applied = datetime.now(UTC).isoformat(timespec="seconds")
            for version, statements in ddl.versions("cql"):
                for stmt in statements:
                    session.execute(stmt, timeout=60)
                session.execute("INSERT INTO schema_version (version, applied_at) VALUES (%s, %s)",
                                (version, applied))
            # a job that went on before every node knew the keyspace would fail on the other replica
            if not self._cluster.control_connection.wait_for_schema_agreement(wait_time=SCHEMA_AGREEMENT_S):
                raise StoreUnavailable(f"{self._where()}: nodes disagree on the schema after {SCHEMA_AGREEMENT_S} s")
        self._run(work)

    def schema_version(self) -> int | None:
        try:
            rows = self._run(lambda: list(self._sess().execute("SELECT version FROM schema_version")))
        except StoreUnavailable as exc:
            if "keyspace missing" in str(exc) or "unconfigured table" in str(exc):
                return None
            raise
        return max((r[0] for r in rows), default=None)

    # -- writes -------------------------------------------------------------------------------------
    def _insert(self, spec, ttl: bool = False):
        cols = spec.column_names
        cql = f"INSERT INTO {spec.name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        return self._prepare(cql + (" USING TTL ?" if ttl else ""), write=True)

    def _write_records(self, spec, records: list[tuple], ttl: int | None = None, deletes: Sequence = ()) -> None:
        """Single-partition UNLOGGED batches, run concurrently. `deletes`, (a prepared DELETE of a whole row,
        its key) pairs, ride in their partition's batches (replace_keys): none may be a row of `records`, as a
        batch's statements share one timestamp, at which a tombstone wins."""
        from cassandra.concurrent import execute_concurrent
        from cassandra.query import BatchStatement, BatchType

        insert, tail, npk = self._insert(spec, ttl=ttl is not None), (() if ttl is None else (int(ttl),)), len(spec.partition_key)
        by_partition: dict[tuple, list[tuple]] = defaultdict(list)
        for stmt, values in (*deletes, *((insert, (*r, *tail)) for r in records)):
            by_partition[values[:npk]].append((stmt, values))
        if BATCH_ROWS <= 1:  # single-row statements (bench.read --compare measures both)
            self._concurrent(execute_concurrent, [s for rows in by_partition.values() for s in rows])
            return
        statements = []
        for rows in by_partition.values():
            for i in range(0, len(rows), BATCH_ROWS):
                statements.append((batch := BatchStatement(batch_type=BatchType.UNLOGGED, consistency_level=self.write_cl), ()))
                for stmt, values in rows[i:i + BATCH_ROWS]:
                    batch.add(stmt, values)
        self._concurrent(execute_concurrent, statements)

    def _concurrent(self, execute_concurrent, statements) -> list:
        if not statements:
            return []
        results = execute_concurrent(self._sess(), statements, concurrency=CONCURRENCY, raise_on_first_error=True,
                                     results_generator=False)
        return [r.result_or_exc for r in results]

    def replace_periods(self, table: str, grain: str, periods: Sequence[str], rows: pd.DataFrame) -> int:
        from cassandra.concurrent import execute_concurrent
        spec = rowlib.spec_of(table)
        records = rowlib.records(spec, rows)
        rowlib.check_rollup_rows(table, grain, periods, rows)

        def work():
            delete = self._prepare(f"DELETE FROM {spec.name} WHERE grain = ? AND bucket = ? AND period = ?", write=True)
            self._concurrent(execute_concurrent, [(delete, (grain, bucket_of(grain, p), p)) for p in periods])
            self._write_records(spec, records)
        self._run(work)
        return len(records)

    def replace_keys(self, table: str, grain: str, rows: pd.DataFrame, gone: pd.DataFrame) -> int:
        from cassandra.concurrent import execute_concurrent
        spec = rowlib.spec_of(table)
        rowlib.check_keyed_rows(table, grain, rows, gone)
        cols, keys = rowlib.key_prefixes(spec, gone)
        records = rowlib.records(spec, rows)

        def work():  # a whole key: a row's tombstone; a shorter prefix (a scope's heads): a range tombstone
            delete = self._prepare(f"DELETE FROM {spec.name} WHERE {' AND '.join(f'{c} = ?' for c in cols)}", write=True)
            if len(cols) == len(spec.partition_key) + len(spec.clustering):  # whole rows
                written = set(map(itemgetter(*map(spec.column_names.index, cols)), records))  # deleted, then written: written
                return self._write_records(spec, records, deletes=[(delete, k) for k in keys if k not in written])
            # a prefix can cover rows written now (a tombstone wins at one timestamp): the range deletes land first
            self._concurrent(execute_concurrent, [(delete, k) for k in keys])
            self._write_records(spec, records)
        self._run(work)
        return len(records)

    def upsert(self, table: str, rows: pd.DataFrame, ttl_seconds: int | None = None) -> int:
        records = rowlib.records(spec := rowlib.spec_of(table), rows)
        self._run(lambda: self._write_records(spec, records, ttl=int(ttl_seconds) if ttl_seconds else None))
        return len(records)

    # -- reads --------------------------------------------------------------------------------------
    def aggregate(self, table: str, grain: str, start: str, end: str, by: Sequence[str],
                  filters: Mapping[str, object] | None = None) -> pd.DataFrame:
        return self.aggregate_many([(table, grain, start, end, by, filters)])[0]

    def aggregate_many(self, queries: Sequence[tuple]) -> list[pd.DataFrame]:
        return [rowlib.frame_of(sums, query[4], rowlib.rollup_columns(query[0])[1])
                for query, sums in zip(queries, self.sums_many(queries), strict=True)]

    def sums_many(self, queries: Sequence[tuple]) -> list[dict[tuple, list[int]]]:
        """Every statement of every query in one concurrent round (`_statements`), each query's rows then
        filtered and summed on their own: a total's pieces (edge days, years, months) wait together."""
        from cassandra.concurrent import execute_concurrent
        plans = [self._statements(*query) for query in queries]

        def work():
            statements = [(self._prepare(cql), args) for cql, many, _ in plans for args in many]
            results = iter(self._concurrent(execute_concurrent, statements))
            return [[row for _ in many for row in next(results)] for _, many, _ in plans]
        return [finish(rows) for rows, (_, _, finish) in zip(self._run(work), plans, strict=True)]

    def _statements(self, table: str, grain: str, start: str, end: str, by: Sequence[str],
                    filters: Mapping[str, object] | None = None):
        """(cql, the arguments of each of its statements, rows -> sums) of one aggregate.
        The partitions of start..end are read concurrently with a clustering range on period.
        Single-value filters are applied by Cassandra inside each partition (ALLOW FILTERING never
        scans beyond the partitions named), and when the grouping columns form a prefix of the
        clustering key Cassandra sums per (period, prefix) itself (GROUP BY), which cuts the rows
        sent to us; partial sums of the partitions are added up in pandas. server_group_by=False
        reads plain rows instead (bench.read --compare measures both).
        When filters fix the leading dimensions (day and month grains; one value or a list of values),
        the periods are named (`period IN ?`) so that each (period, filtered prefix) is a clustering
        slice Cassandra seeks to, instead of filtering every row of the period range: a list on the
        leading dim (`address IN ?`, the hotspot lookups) is a set of slices, not a scan. A short list on
        a dim it cannot seek (SPLIT_LIST: the live baseline's two hours of the week) is one statement per
        value, each filtered by Cassandra: read whole and filtered here, a day of them was ~5,000 rows."""
        dims, measures = rowlib.check_query(table, grain, start, end, by, filters)
        filters = {c: rowlib.filter_value(c, v) for c, v in (filters or {}).items()}
        # the seekable prefix: leading dims fixed by a value or a list (IN on clustering columns)
        lead = rowlib.seek_depth(dims, filters, grain) if self.server_group_by else 0
        server = {d: filters[d] for d in dims[:lead]}
        split = None  # a short list Cassandra filters one value per statement (it refuses IN when filtering)
        if self.server_group_by:
            server.update({c: v for c, v in filters.items() if c not in server and not isinstance(v, list)})
            split = next((c for c, v in filters.items() if c not in server and len(v) <= SPLIT_LIST), None)
        client = {c: v for c, v in filters.items() if c not in server and c != split}
        clustering = ("period", *dims)
        needed = {*by, *client} - {"period"}
        depth = max((clustering.index(c) for c in needed), default=0) + 1 if self.server_group_by else len(clustering)
        prefix = list(clustering[:depth])
        if depth < len(clustering):
            select = [*prefix, *(f"SUM({m})" for m in measures)]
            group = f" GROUP BY {', '.join(prefix)}"
        else:
            select, group = [*prefix, *measures], ""
        where = "".join(f" AND {c} IN ?" if isinstance(v, list) else f" AND {c} = ?" for c, v in server.items())
        where += f" AND {split} = ?" if split else ""
        periods = "period IN ?" if lead else "period >= ? AND period <= ?"
        cql = (f"SELECT {', '.join(select)} FROM {table} WHERE grain = ? AND bucket = ? "
               f"AND {periods}{where}{group}{' ALLOW FILTERING' if len(server) > lead or split else ''}")

        def bounds(bucket: str) -> tuple:
            return (rowlib.periods_in(grain, bucket, start, end),) if lead else (start, end)

        many = [(grain, b, *bounds(b), *server.values(), *one) for b in rowlib.buckets_between(grain, start, end)
                for one in ([[v] for v in filters[split]] if split else [[]])]

        def finish(rows: list) -> dict[tuple, list[int]]:
            return rowlib.sum_dict(rows, [*prefix, *measures], by, measures, client)
        return cql, many, finish

    def select(self, table: str, where: Mapping[str, object] | None = None, limit: int | None = None) -> pd.DataFrame:
        spec = rowlib.spec_of(table)
        where = dict(where or {})
        if unknown := [c for c in where if c not in spec.column_names]:
            raise ValueError(f"{table} has no column {unknown[0]!r}")
        cql = (f"SELECT {', '.join(spec.column_names)} FROM {table}" + (" WHERE " + " AND ".join(f"{c} = ?" for c in where) if where else "")
               + (f" LIMIT {int(limit)}" if limit else "") + (" ALLOW FILTERING" if set(where) - set(spec.partition_key) else ""))
        rows = self._run(lambda: list(self._sess().execute(self._prepare(cql), tuple(where.values()))))
        return pd.DataFrame(rows, columns=list(spec.column_names))

    def buckets(self, table: str, grain: str) -> list[str]:
        rowlib.spec_of(table)
        rows = self._run(lambda: list(self._sess().execute(self._prepare(f"SELECT DISTINCT grain, bucket FROM {table}"))))
        return sorted(b for g, b in rows if g == grain)

    # -- meta ---------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        return self.get_metas([key]).get(key)

    def get_metas(self, keys: Sequence[str]) -> dict[str, str]:
        keys, cql = list(dict.fromkeys(keys)), "SELECT key, value FROM meta WHERE key IN ?"
        return dict(self._run(lambda: list(self._sess().execute(self._prepare(cql), (keys,))))) if keys else {}

    def set_meta(self, key: str, value: str) -> None:
        self._run(lambda: self._sess().execute(self._prepare("INSERT INTO meta (key, value) VALUES (?, ?)", write=True),
                                               (key, value)))

    def ping(self) -> None:
        self._run(lambda: self._sess(keyspace=False).execute("SELECT release_version FROM system.local"))


def _reason(exc: BaseException) -> str:
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict) and errors:
        return "; ".join(f"{host}: {err}" for host, err in errors.items())
    return f"{type(exc).__name__}: {exc}"


def _is_unavailable(exc: BaseException) -> bool:
    """Errors that mean "Cassandra (or our keyspace/table) is not there", not a bug in the query."""
    from cassandra import DriverException, RequestExecutionException, RequestValidationException
    from cassandra.cluster import NoHostAvailable
    if isinstance(exc, RequestValidationException):
        text = str(exc)
        return "unconfigured table" in text or "does not exist" in text
    return isinstance(exc, NoHostAvailable | DriverException | RequestExecutionException | OSError)
