"""The stream interface every message stream implements: Kafka and the embedded spool folder.

Why one interface: producers (synthetic, replay, the city's feed), the streaming job's source and
its dead letters all need the same few things from "the stream", and each used to spell out the
Kafka-or-spool switch itself. Behind this interface the switch is made once, in open_stream
(pipeline/streams/__init__.py), as pipeline/stores/ does for the rollup stores.
"""
from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # producers and web workers never import pyspark
    from pyspark.sql import DataFrame, SparkSession


class Stream(ABC):
    url: str
    # Seconds between two sends of a steady producer: what one send costs the reading side.
    interval: float = 1.0
    # Whether the Spark session reading this stream needs the Kafka connector jars.
    needs_kafka_connector: bool = False
    # Whether messages carry (partition, offset): then the job records gaps and reports its lag.
    has_offsets: bool = False

    @abstractmethod
    def send(self, events: list[dict]) -> None:
        """Send events (pipeline/streams/events.py); returns only once the stream holds every one."""

    def dead_letters(self, records: Iterable[dict], batch_id: int | None = None) -> None:
        """Dead-letter records (pipeline/streams/events.py dead_letter), acknowledged. `batch_id` is the
        streaming job's micro-batch: a replayed batch must rewrite its dead letters, not add them again."""
        lines = [json.dumps(r).encode() for r in records]
        if lines:
            self.send_dead_lines(lines, batch_id)

    @abstractmethod
    def send_dead_lines(self, lines: list[bytes], batch_id: int | None) -> None:
        """Encoded dead letters to the stream's dead-letter twin (Kafka: <topic>-dlq; spool: <dir>-dlq)."""

    @abstractmethod
    def read(self, spark: SparkSession, max_per_trigger: int, max_files: int) -> DataFrame:
        """The streaming job's source: a streaming DataFrame of text `value`, `partition`, `offset`.

        Why the bounds: after downtime the source holds the whole backlog (an hour at 2,000 events/s
        is 7.2 M messages); each micro-batch takes at most max_per_trigger messages (Kafka) or
        max_files files (spool), so the driver's memory does not grow with the backlog."""

    def lag(self, last_offsets: dict[int, int]) -> int | None:
        """Messages between the last offsets read per partition and the end of the stream (None: unknown)."""
        return None

    def close(self) -> None:  # noqa: B027 - default: nothing to release
        """Release connections (optional)."""

    def __enter__(self) -> Stream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
