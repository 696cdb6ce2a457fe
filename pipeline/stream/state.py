"""The streaming job's request state: the newest version of every request of the live window.

Why a state and not increments: after a crash, Spark replays the last micro-batch (offsets are
committed after the sink), so a sink that adds to counts would count some requests twice. Instead
each micro-batch upserts its events here (newest version wins, so replaying a batch changes
nothing), the live counts are kept from this state by its own triggers (pipeline/stream/live_counts.py),
and the rows a batch changed are written as absolute values: any number of replays rewrites the same
rows ("exactly-once effect").

Why a SQLite file next to the Spark checkpoint: foreachBatch runs on the driver, the state is read
back every batch (a round trip to Cassandra per batch would cost freshness), and keeping it with the
checkpoint means both are lost or kept together (a fresh checkpoint replays the topic and rebuilds
the state).

Why pruning asks for the lake mark: the state is also the lake merge's change log. A request leaves
the state only once it is older than the live window by the wall clock (never by the newest event
seen: one future-dated event would empty the state) AND its current version is in the lake, so a
closing that arrives weeks after its request was created still reaches the lake. If such a request
comes back later it is simply inserted again (the lake keeps the newest version).

Kafka offsets per partition and micro-batch are kept too: a batch that starts past where the
previous one ended means the broker deleted messages we never read (retention), and the gap is
counted (failOnDataLoss=false would otherwise skip them silently).
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pandas as pd

from pipeline.schema import REQUEST_COLUMNS, UNSPECIFIED
from pipeline.stream import live_counts

LIVE_WINDOW_US = 48 * 3600 * 10**6
# Per request: every normalised column (times as epoch microseconds) plus what the live job needs.
STATE_COLUMNS = (*(c for c, _ in REQUEST_COLUMNS), "period", "event_type", "event_time", "produced_at",
                 "version", "batch_id")
TIME_COLUMNS = ("created_at", "closed_at", "due_at", "updated_at", "event_time", "produced_at")


class RequestState:
    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=60)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        kinds = {**{c: "INTEGER" for c in (*TIME_COLUMNS, "batch_id")}, "latitude": "REAL", "longitude": "REAL"}
        cols = ", ".join(f"{c} {kinds.get(c, 'TEXT')}" for c in STATE_COLUMNS if c != "unique_key")
        self.conn.execute(f"CREATE TABLE IF NOT EXISTS requests (unique_key TEXT PRIMARY KEY, {cols})")
        self.conn.execute("CREATE INDEX IF NOT EXISTS requests_period ON requests (period)")
        self.conn.execute("CREATE INDEX IF NOT EXISTS requests_batch ON requests (batch_id)")
        self.conn.execute("CREATE INDEX IF NOT EXISTS requests_created ON requests (created_at)")
        # One row per micro-batch: replays overwrite their own row, so totals never double.
        self.conn.execute("CREATE TABLE IF NOT EXISTS batches (batch_id INTEGER PRIMARY KEY, rows INTEGER, "
                          "malformed INTEGER)")
        self.conn.execute("CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, value INTEGER)")
        self.conn.execute("CREATE TABLE IF NOT EXISTS offsets (part INTEGER, batch_id INTEGER, first INTEGER, "
                          "last INTEGER, lost INTEGER, PRIMARY KEY (part, batch_id))")
        live_counts.install(self.conn)

    def close(self) -> None:
        self.conn.close()

    # -- reads --------------------------------------------------------------------------------------
    def _frame(self, where: str, params: Sequence) -> pd.DataFrame:
        rows = self.conn.execute(f"SELECT {', '.join(STATE_COLUMNS)} FROM requests WHERE {where}", params).fetchall()
        return pd.DataFrame(rows, columns=list(STATE_COLUMNS))

    def by_keys(self, keys: Iterable[str]) -> pd.DataFrame:
        keys = list(keys)
        parts = [self._frame(f"unique_key IN ({', '.join('?' * len(chunk))})", chunk)
                 for chunk in (keys[i:i + 500] for i in range(0, len(keys), 500))]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(STATE_COLUMNS))

    def counts(self, periods: Iterable[str], dims: Sequence[str]) -> pd.DataFrame:
        """Requests per (period, *dims) of some periods: the `n` of a rollup at minute grain. A null
        dimension (only the descriptor is ever missing) counts as 'Unspecified', as in compute_rollup.
        The definition the kept counts (pipeline/stream/live_counts.py) must equal, taken afresh."""
        periods = sorted(set(periods))
        cols = ", ".join(("period", *(f"COALESCE({d}, '{UNSPECIFIED}')" for d in dims)))
        keys = ", ".join(str(i) for i in range(1, len(dims) + 2))
        parts = [pd.DataFrame(self.conn.execute(
            f"SELECT {cols}, COUNT(*) FROM requests WHERE period IN ({', '.join('?' * len(chunk))}) GROUP BY {keys}",
            chunk).fetchall(), columns=["period", *dims, "n"])
            for chunk in (periods[i:i + 500] for i in range(0, len(periods), 500))]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["period", *dims, "n"])

    def dirty_counts(self, cut: str) -> dict[str, pd.DataFrame]:
        """Per live table, the kept counts changed since they were last written, of minutes from `cut` on."""
        return live_counts.dirty(self.conn, cut)

    def changed_since(self, batch_id: int) -> pd.DataFrame:
        return self._frame("batch_id > ?", (batch_id,))

    def changed_chunks(self, batch_id: int, size: int) -> Iterator[pd.DataFrame]:
        """changed_since, `size` rows at a time, all from one statement: one consistent snapshot of
        the state (WAL) while the micro-batches keep writing, and memory bounded by `size`."""
        cur = self.conn.execute(f"SELECT {', '.join(STATE_COLUMNS)} FROM requests WHERE batch_id > ?", (batch_id,))
        try:
            while rows := cur.fetchmany(size):
                yield pd.DataFrame(rows, columns=list(STATE_COLUMNS))
        finally:
            cur.close()

    def max_created(self) -> int | None:
        return self.conn.execute("SELECT MAX(created_at) FROM requests").fetchone()[0]

    def offsets_lost(self) -> int:
        return self.conn.execute("SELECT COALESCE(SUM(lost), 0) FROM offsets").fetchone()[0]

    def count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM requests").fetchone()[0]

    def malformed_total(self) -> int:
        return self.conn.execute("SELECT COALESCE(SUM(malformed), 0) FROM batches").fetchone()[0]

    def mark(self, name: str) -> int | None:
        row = self.conn.execute("SELECT value FROM marks WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    # -- writes -------------------------------------------------------------------------------------
    def apply(self, batch_id: int, events: pd.DataFrame, malformed: int) -> None:
        """Upsert events (columns STATE_COLUMNS but batch_id), newest version winning, in one transaction.

        `version` orders versions of a request independently of arrival order, so the result does
        not depend on how events were split into batches or replayed."""
        cols = [c for c in STATE_COLUMNS if c != "unique_key"]
        sets = ", ".join(f"{c} = excluded.{c}" for c in cols)
        sql = (f"INSERT INTO requests ({', '.join(STATE_COLUMNS)}) VALUES ({', '.join('?' * len(STATE_COLUMNS))}) "
               f"ON CONFLICT(unique_key) DO UPDATE SET {sets} WHERE excluded.version > requests.version "
               f"OR (excluded.version = requests.version AND excluded.batch_id = requests.batch_id)")
        frame = events.assign(batch_id=batch_id)[list(STATE_COLUMNS)]
        records = [tuple(None if pd.isna(v) else v for v in row) for row in frame.itertuples(index=False)]
        with live_counts.transaction(self.conn):
            self.conn.executemany(sql, records)
            self.conn.execute("INSERT OR REPLACE INTO batches VALUES (?, ?, ?)", (batch_id, len(records), malformed))

    def put_back(self, keys: Sequence[str], before: pd.DataFrame) -> None:
        """Undo `apply` for some requests: drop them, restore their previous versions (`before`), and
        forget the count rows only they had."""
        rows = before[before["unique_key"].isin(keys)][list(STATE_COLUMNS)]
        with live_counts.transaction(self.conn):
            self.conn.executemany("DELETE FROM requests WHERE unique_key = ?", [(k,) for k in keys])
            self.conn.executemany(f"INSERT OR REPLACE INTO requests VALUES ({', '.join('?' * len(STATE_COLUMNS))})",
                                  [tuple(None if pd.isna(v) else v for v in r) for r in rows.itertuples(index=False)])
            live_counts.drop_zeros(self.conn)

    def counts_written(self) -> None:
        """The marked counts are in the store (or out of the live window): unmark them."""
        live_counts.clean(self.conn)

    def prune(self, created_before: int, merged_upto: int) -> int:
        """Forget requests created before `created_before` (epoch µs) whose current version is in
        the lake (changed in batch `merged_upto` or earlier); returns how many."""
        return self.conn.execute("DELETE FROM requests WHERE created_at < ? AND batch_id <= ?",
                                 (created_before, merged_upto)).rowcount

    def record_offsets(self, batch_id: int, ranges: dict[int, tuple[int, int]]) -> int:
        """Note the (first, last) Kafka offset per partition of a batch; returns the messages skipped
        before it (offsets between the previous batch's last and this one's first). A replayed batch
        is compared with the same predecessor, so it counts the same gap once."""
        lost = 0
        for part, (first, last) in ranges.items():
            prev = self.conn.execute("SELECT MAX(last) FROM offsets WHERE part = ? AND batch_id < ?",
                                     (part, batch_id)).fetchone()[0]
            gap = max(0, first - prev - 1) if prev is not None else 0
            self.conn.execute("INSERT OR REPLACE INTO offsets VALUES (?, ?, ?, ?, ?)", (part, batch_id, first, last, gap))
            lost += gap
        self.conn.execute("DELETE FROM offsets WHERE batch_id < ? AND lost = 0 AND batch_id < "
                          "(SELECT MAX(o.batch_id) FROM offsets o WHERE o.part = offsets.part)", (batch_id - 100,))
        return lost

    def set_mark(self, name: str, value: int) -> None:
        self.conn.execute("INSERT OR REPLACE INTO marks VALUES (?, ?)", (name, value))
