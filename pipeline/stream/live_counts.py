"""The live counts, kept by the request state itself: one table per live rollup, maintained by triggers.

Why: the streaming job used to recount, after every micro-batch, each live minute the batch touched
from the request state (`RequestState.counts`). At 2,000 requests a second a minute holds 120,000 of
them, so the recount grew through the minute, to 1-1.9 s of a 2-4 s batch in the freshness bench of
2026-12-05, and the batches after it waited. Here SQLite triggers on the state's `requests` table add
and take away one request at a time, in the same transaction as the request itself, so:
- a count is always what `RequestState.counts` would give (tests/unit/test_live_counts.py checks it
  after inserts, newer versions, moves, replays, put-backs and prunes);
- a replayed batch changes nothing (the state's upsert skips a version it already has, and a
  rewrite of the same version leaves the dimensions, so no trigger fires);
- `dirty` marks the rows changed since they were last written to the store, persisted with them: a
  crash between the state's commit and the store's write leaves them marked, and the next batch
  writes them (absolute counts, so writing one twice is harmless). A count that falls to zero is
  written as a zero row, then dropped here.
"""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pandas as pd

from pipeline.rollups.tables import LIVE_ROLLUPS, Rollup
from pipeline.schema import UNSPECIFIED


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """One transaction on a connection in autocommit mode (isolation_level None), rolled back on any error."""
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def table_of(rollup: Rollup) -> str:
    return f"counts_{rollup.live_table}"


def _key(prefix: str, dims: Sequence[str]) -> list[str]:
    """A request's row key: its period and its dimensions, a missing one (only the descriptor is ever
    missing) as 'Unspecified', as compute_rollup counts it."""
    return [f"{prefix}.period", *(f"COALESCE({prefix}.{d}, '{UNSPECIFIED}')" for d in dims)]


def _triggers(rollup: Rollup) -> dict[str, str]:
    """The three triggers that keep `rollup`'s count table, by name. A request without a period has
    no row (the state's recount skips it too)."""
    t, dims = table_of(rollup), rollup.dims
    cols = ", ".join(("period", *dims))
    match = " AND ".join(f"{c} = {v}" for c, v in zip(("period", *dims), _key("OLD", dims), strict=True))
    add = (f"INSERT INTO {t} ({cols}, n, dirty) SELECT {', '.join(_key('NEW', dims))}, 1, 1 "
           f"WHERE NEW.period IS NOT NULL ON CONFLICT ({cols}) DO UPDATE SET n = n + 1, dirty = 1;")
    take = f"UPDATE {t} SET n = n - 1, dirty = 1 WHERE {match};"
    moved = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in ("period", *dims))
    return {
        f"{t}_insert": f"AFTER INSERT ON requests BEGIN {add} END",
        f"{t}_delete": f"AFTER DELETE ON requests BEGIN {take} END",
        f"{t}_update": f"AFTER UPDATE ON requests WHEN {moved} BEGIN {take} {add} END",
    }


def install(conn: sqlite3.Connection, rollups: Sequence[Rollup] = LIVE_ROLLUPS) -> None:
    """Create each count table and its triggers unless they are there with the same columns. A new or
    changed one is filled from the requests already in the state, all marked dirty, so the next batch
    writes them (a state kept from before the tables existed may hold rows a crash left unwritten)."""
    conn.execute("PRAGMA recursive_triggers = ON")  # an INSERT OR REPLACE then fires the delete trigger
    for r in rollups:
        if r.measures != ("n",):
            raise ValueError(f"live table {r.live_table}: only count rollups can be kept live")
        t, cols = table_of(r), ("period", *r.dims)
        have = [row[1] for row in conn.execute(f"PRAGMA table_info({t})")]
        if have == [*cols, "n", "dirty"]:
            continue
        with transaction(conn):
            for name in _triggers(r):
                conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            conn.execute(f"DROP TABLE IF EXISTS {t}")
            conn.execute(f"CREATE TABLE {t} ({', '.join(f'{c} TEXT NOT NULL' for c in cols)}, n INTEGER NOT NULL, "
                         f"dirty INTEGER NOT NULL, PRIMARY KEY ({', '.join(cols)}))")
            conn.execute(f"CREATE INDEX {t}_dirty ON {t} (period) WHERE dirty = 1")
            key = ", ".join(_key("requests", r.dims))
            conn.execute(f"INSERT INTO {t} SELECT {key}, COUNT(*), 1 FROM requests WHERE period IS NOT NULL "
                         f"GROUP BY {', '.join(str(i) for i in range(1, len(cols) + 1))}")
            for name, body in _triggers(r).items():
                conn.execute(f"CREATE TRIGGER {name} {body}")


def dirty(conn: sqlite3.Connection, cut: str, rollups: Sequence[Rollup] = LIVE_ROLLUPS) -> dict[str, pd.DataFrame]:
    """Per live table, the (period, *dims, n) rows changed since they were last written, of minutes
    from `cut` on (older ones left the live window: their store rows expire on their own)."""
    out = {}
    for r in rollups:
        cols = ["period", *r.dims, "n"]
        rows = conn.execute(f"SELECT {', '.join(cols)} FROM {table_of(r)} WHERE dirty = 1 AND period >= ?",
                            (cut,)).fetchall()
        out[r.live_table] = pd.DataFrame(rows, columns=cols)
    return out


def clean(conn: sqlite3.Connection, rollups: Sequence[Rollup] = LIVE_ROLLUPS) -> None:
    """Everything marked is written (or out of the window): zero rows go, the others are unmarked."""
    with transaction(conn):
        for r in rollups:
            conn.execute(f"DELETE FROM {table_of(r)} WHERE dirty = 1 AND n = 0")
            conn.execute(f"UPDATE {table_of(r)} SET dirty = 0 WHERE dirty = 1")


def drop_zeros(conn: sqlite3.Connection, rollups: Sequence[Rollup] = LIVE_ROLLUPS) -> None:
    """Forget the zero rows a batch that was taken back left (RequestState.put_back): they are the
    combinations only its requests had, maybe the very row the store refused, and the store never
    had them (the sink writes every marked row before it applies a batch)."""
    for r in rollups:
        conn.execute(f"DELETE FROM {table_of(r)} WHERE n = 0")
