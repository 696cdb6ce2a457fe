"""Smoke tests of the real service stack: if these fail, every other integration test is moot.

Why each one exists: Cassandra and Kafka are launched from Maven jars by our own script
(scripts/services.sh), and the Spark Kafka connector comes from Maven at a version that is not
pyspark's own (see config/spark/pom.xml), so each link is proven with a real round trip.
"""
from __future__ import annotations

import json
import uuid
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.integration


def _broker(kafka_url: str) -> str:
    return urlparse(kafka_url).netloc


def _produce(kafka_url: str, topic: str, values: list[dict]) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=_broker(kafka_url), acks="all",
                             value_serializer=lambda v: json.dumps(v).encode())
    try:
        for v in values:
            producer.send(topic, key=str(v["n"]).encode(), value=v)
        producer.flush(timeout=30)
    finally:
        producer.close()


def test_cassandra_round_trip(cassandra_url):
    from cassandra.cluster import Cluster

    u = urlparse(cassandra_url)
    keyspace = f"smoke_{uuid.uuid4().hex[:8]}"
    cluster = Cluster([u.hostname], port=u.port)
    session = cluster.connect()
    try:
        version = session.execute("SELECT release_version FROM system.local").one().release_version
        assert version.startswith("5.0")
        session.execute(f"CREATE KEYSPACE {keyspace} WITH replication = "
                        "{'class': 'SimpleStrategy', 'replication_factor': 1}")
        session.execute(f"CREATE TABLE {keyspace}.kv (k text PRIMARY KEY, v int)")
        insert = session.prepare(f"INSERT INTO {keyspace}.kv (k, v) VALUES (?, ?)")
        for i in range(3):
            session.execute(insert, (f"k{i}", i))
        session.execute(insert, ("k1", 10))  # an INSERT on an existing key is an upsert
        rows = {r.k: r.v for r in session.execute(f"SELECT k, v FROM {keyspace}.kv")}
        assert rows == {"k0": 0, "k1": 10, "k2": 2}
    finally:
        session.execute(f"DROP KEYSPACE IF EXISTS {keyspace}")
        cluster.shutdown()


def test_kafka_produce_consume(kafka_url, kafka_topic):
    from kafka import KafkaConsumer

    sent = [{"n": i, "text": f"message {i}"} for i in range(5)]
    _produce(kafka_url, kafka_topic, sent)
    consumer = KafkaConsumer(kafka_topic, bootstrap_servers=_broker(kafka_url),
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             group_id=f"smoke-{kafka_topic}", consumer_timeout_ms=20000,
                             value_deserializer=json.loads)
    try:
        got = []
        for record in consumer:
            got.append(record.value)
            if len(got) == len(sent):
                break
    finally:
        consumer.close()
    assert got == sent


def test_spark_reads_kafka_topic(spark, kafka_url, kafka_topic):
    sent = [{"n": i, "text": f"event {i}"} for i in range(4)]
    _produce(kafka_url, kafka_topic, sent)
    df = (spark.read.format("kafka")
          .option("kafka.bootstrap.servers", _broker(kafka_url))
          .option("subscribe", kafka_topic)
          .option("startingOffsets", "earliest")
          .option("endingOffsets", "latest")
          .load())
    rows = df.selectExpr("CAST(key AS STRING) AS k", "CAST(value AS STRING) AS v").collect()
    assert sorted((r.k, json.loads(r.v)["text"]) for r in rows) == [(str(i), f"event {i}") for i in range(4)]


def test_spark_streams_kafka_topic(spark, kafka_url, kafka_topic, tmp_path):
    """The streaming source uses other connector classes than the batch read (offsets, micro-batches)."""
    _produce(kafka_url, kafka_topic, [{"n": i, "text": f"live {i}"} for i in range(3)])
    name = f"smoke_{kafka_topic.replace('-', '_')}"
    query = (spark.readStream.format("kafka")
             .option("kafka.bootstrap.servers", _broker(kafka_url))
             .option("subscribe", kafka_topic)
             .option("startingOffsets", "earliest")
             .load()
             .selectExpr("CAST(value AS STRING) AS v")
             .writeStream.format("memory").queryName(name)
             .option("checkpointLocation", str(tmp_path / "checkpoint"))
             .trigger(availableNow=True)
             .start())
    query.awaitTermination(120)
    assert query.exception() is None
    texts = sorted(json.loads(r.v)["text"] for r in spark.table(name).collect())
    assert texts == ["live 0", "live 1", "live 2"]
