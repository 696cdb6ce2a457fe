"""The streaming job's lake merge input: the requests changed since the last merge, staged as one
Parquet file written a bounded chunk at a time.

Why a file and not one pandas frame: while the job catches up after downtime (an hour at 2,000
events/s is 7.2 M events), hundreds of thousands of requests change between two merges, and a
merge takes longer the bigger the lake gets. As one pandas frame (plus its copy into Spark) they
held the driver's Python at gigabytes; written here MERGE_CHUNK rows at a time, its memory stays
bounded whatever the backlog, and Spark reads the file as any other Parquet source.

The file lives next to the request state, on the driver's disk: the streaming job's state is a
local SQLite file already, so the job runs where its checkpoint folder is local (Spark local mode;
on a cluster, point checkpoint_path at a folder the executors can read too).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pipeline.schema import REQUEST_COLUMNS
from pipeline.stream.state import RequestState

MERGE_CHUNK = 10_000  # requests per chunk: ~40 MB of pandas and arrow copies at a time in the driver's Python
LOAD_ID_BASE = 10**13  # a stream row's load id is this + its batch id: after every batch load id (epoch ms)
_ARROW = {"string": pa.string(), "double": pa.float64(), "timestamp": pa.timestamp("us", tz="UTC")}
SCHEMA = pa.schema([*((c, _ARROW[t]) for c, t in REQUEST_COLUMNS), ("_load_id", pa.int64()), ("_row_id", pa.int64())])


def lake_rows(changed: pd.DataFrame, first_row: int) -> pa.Table:
    """State rows (times as epoch microseconds) as lake rows with their load sequence: the load id
    is the batch that last changed the request, so a later batch's version wins a tie."""
    frame = changed[[c for c, _ in REQUEST_COLUMNS]].copy()
    for c, t in REQUEST_COLUMNS:
        if t == "timestamp":
            # Through nullable integers, never floats: pandas' float path (cast_from_unit_vectorized)
            # leaves its scratch array uninitialised for null rows and rounds it under
            # errstate(over="raise"), so a chunk with null closing times failed at random with
            # FloatingPointError (one lake merge of the 7.2 M catch-up on 2026-12-02).
            frame[c] = pd.to_datetime(frame[c].astype("Int64"), unit="us", utc=True)
    frame["_load_id"] = LOAD_ID_BASE + changed["batch_id"].astype("int64")
    frame["_row_id"] = np.arange(first_row, first_row + len(frame), dtype="int64")
    return pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)


def stage(state: RequestState, since_batch: int, path: Path, chunk: int = MERGE_CHUNK) -> tuple[int, int | None]:
    """Write the requests changed after `since_batch` to the Parquet file `path`; returns (rows,
    newest batch id among them), (0, None) and no file when nothing changed."""
    writer, rows, newest = None, 0, None
    path.unlink(missing_ok=True)
    try:
        for part in state.changed_chunks(since_batch, chunk):
            writer = writer or pq.ParquetWriter(path, SCHEMA)
            writer.write_table(lake_rows(part, rows))
            rows += len(part)
            top = int(part["batch_id"].max())
            newest = top if newest is None else max(newest, top)
    finally:
        if writer is not None:
            writer.close()
    return rows, newest
