"""The embedded stream: a folder of JSON-lines files standing in for a Kafka topic.

Why files: the embedded default (stream_url spool://var/spool) must run without a broker, and
Spark's file source already gives the streaming job offsets, checkpoints and replay over a folder.
Each small batch of messages is one file, written under a hidden temporary name and renamed into
place, so the job never reads half a file (Spark skips names starting with '.' or '_').
"""
from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.streams import events as ev
from pipeline.streams.base import Stream

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

_seq = itertools.count()


def dlq_dir(spool: Path) -> Path:
    """Dead letters of a spool folder: its sibling `<name>-dlq`."""
    return spool.with_name(spool.name + "-dlq")


def write_lines(folder: Path, lines: Iterable[bytes], name: str | None = None) -> Path | None:
    """Atomically add one file of JSON lines to `folder` (None when there is nothing to write).

    `name` makes the write idempotent (a replayed batch overwrites its own file); by default the
    name orders files by time and is unique per process."""
    data = b"".join(line.rstrip(b"\n") + b"\n" for line in lines)
    if not data:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    name = name or f"{time.time_ns():020d}-{os.getpid()}-{next(_seq):06d}.jsonl"
    tmp = folder / f".{name}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    final = folder / name
    os.replace(tmp, final)
    return final


class SpoolStream(Stream):
    """Events as one atomic JSON-lines file per send; dead letters in the sibling `<name>-dlq` folder."""

    interval = 1.0  # one file a second at most: every file is an entry in the job's source log

    def __init__(self, folder: Path):
        self.folder = folder
        self.dlq = dlq_dir(folder)
        self.url = f"spool://{folder}"

    def send(self, events: list[dict]) -> None:
        write_lines(self.folder, (ev.encode(e)[1] for e in events))

    def send_dead_lines(self, lines: list[bytes], batch_id: int | None) -> None:
        # One file per batch id: a replayed batch overwrites its own dead letters.
        write_lines(self.dlq, lines, name=None if batch_id is None else f"batch-{batch_id:012d}.jsonl")

    def read(self, spark: SparkSession, max_per_trigger: int, max_files: int) -> DataFrame:
        from pyspark.sql import functions as F
        self.folder.mkdir(parents=True, exist_ok=True)
        # Files are deleted once their batch is committed: the spool is a queue, not an archive (the lake is).
        return (spark.readStream.format("text").option("maxFilesPerTrigger", max_files)
                .option("cleanSource", "delete").load(str(self.folder))
                .select("value", F.lit(None).cast("int").alias("partition"),
                        F.lit(None).cast("long").alias("offset")))
