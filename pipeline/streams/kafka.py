"""A Kafka topic as the stream: kafka://HOST:PORT[,HOST:PORT...]/TOPIC, dead letters in <topic>-dlq.

Why the producer settings: acks=all + idempotence mean a write counts once min.insync.replicas
brokers hold it, and a retry after a broker went away never duplicates it (explicit, so a
conflicting option raises). The producer and the lag consumer are made on first use, so a job whose
batches are all clean never connects one.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pipeline.streams import events as ev
from pipeline.streams.base import Stream

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger("pipeline.streams")
ACK_TIMEOUT_S = 60


class KafkaStream(Stream):
    """Events keyed by unique key (every version of a request in one partition, in order)."""

    interval = 0.05  # seconds between sends of a steady producer
    needs_kafka_connector = True
    has_offsets = True

    def __init__(self, servers: str, topic: str):
        self.servers, self.topic = servers, topic
        self.url = f"kafka://{servers}/{topic}"
        self._producer = self._consumer = None

    @property
    def producer(self):
        if self._producer is None:
            from kafka import KafkaProducer
            self._producer = KafkaProducer(bootstrap_servers=self.servers, acks="all", enable_idempotence=True,
                                           linger_ms=20, retries=10, batch_size=256 * 1024,
                                           max_request_size=4 * 1024 * 1024)
        return self._producer

    def _send_acked(self, topic: str, messages: list[tuple[bytes | None, bytes]]) -> None:
        futures = [self.producer.send(topic, key=k, value=v) for k, v in messages]
        self.producer.flush()
        for f in futures:
            f.get(timeout=ACK_TIMEOUT_S)

    def send(self, events: list[dict]) -> None:
        self._send_acked(self.topic, [ev.encode(e) for e in events])

    def send_dead_lines(self, lines: list[bytes], batch_id: int | None) -> None:
        self._send_acked(self.topic + "-dlq", [(None, line) for line in lines])

    def read(self, spark: SparkSession, max_per_trigger: int, max_files: int) -> DataFrame:
        from pyspark.sql import functions as F
        return (spark.readStream.format("kafka").option("kafka.bootstrap.servers", self.servers)
                .option("subscribe", self.topic).option("startingOffsets", "earliest")
                .option("failOnDataLoss", "false").option("maxOffsetsPerTrigger", max_per_trigger).load()
                .select(F.col("value").cast("string").alias("value"), "partition", "offset"))

    def lag(self, last_offsets: dict[int, int]) -> int | None:
        from kafka import KafkaConsumer, TopicPartition
        try:
            if self._consumer is None:
                self._consumer = KafkaConsumer(bootstrap_servers=self.servers, enable_auto_commit=False)
            ends = self._consumer.end_offsets([TopicPartition(self.topic, p) for p in last_offsets])
        except Exception as exc:  # noqa: BLE001 - lag is informative; a broker hiccup must not stop the job
            log.warning("lag unknown: %s", exc)
            return None
        return int(sum(max(0, end - 1 - last_offsets[tp.partition]) for tp, end in ends.items()))

    def close(self) -> None:
        for c in (self._producer, self._consumer):
            if c is not None:
                c.close()
