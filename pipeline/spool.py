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
from urllib.parse import urlparse

from pipeline.settings import Settings

_seq = itertools.count()


def spool_dir(stream_url: str, settings: Settings) -> Path:
    """The folder of a spool:// URL (relative paths from the project root)."""
    u = urlparse(stream_url)
    return settings.path((u.netloc + u.path) or "var/spool")


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
