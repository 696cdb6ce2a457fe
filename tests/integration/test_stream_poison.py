"""Poison messages mixed into a normal stream through real Kafka: a future-dated request, one created
before 311 existed, a year-9999 due date, a 70,000-character complaint type and a 700 KB message.
Each lands in the dead-letter topic with its reason (the big one cut to a fixed size), every normal
request is counted exactly once, and the job never restarts (one process from start to end)."""
from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest

from pipeline.producers.produce import Synthetic, sample_places
from pipeline.stores import open_store
from pipeline.streams import events as ev
from pipeline.streams.kafka import KafkaStream
from tests.support import stream_helpers as h

pytestmark = pytest.mark.integration


def poison(gen: Synthetic, now: datetime) -> dict[str, tuple[bytes, str]]:
    """name -> (message, the start of the reason the dead letter must give)."""
    def event(**changes) -> bytes:
        e = ev.make_event(gen.new_request(now), "created", now, now, "synthetic")
        return json.dumps({**e, **changes}).encode()
    ahead = (now + timedelta(days=365)).astimezone(ev.NY)
    return {
        "future": (event(created_at=ahead.isoformat(timespec="seconds"), created_month=ahead.strftime("%Y-%m")),
                   "created_at " + ahead.isoformat(timespec="seconds") + " is more than 1 h after produced_at"),
        "pre-2003": (event(created_at="2001-09-11T08:46:00-04:00", created_month="2001-09"),
                     "created_at 2001-09-11T08:46:00-04:00 is before 2003-03-01"),
        "year-9999": (event(due_at="9999-12-31T23:59:59-05:00"), "due_at 9999-12-31T23:59:59-05:00 is outside 1900-2100"),
        "70k-text": (event(complaint_type="X" * 70_000), "complaint_type is longer than 256 characters (70000)"),
        "700KB": (event(descriptor="Y" * 700_000), "message of 70"),
    }


def test_poison_is_dead_lettered_and_the_job_keeps_running(kafka_url, cassandra_url, kafka_topic, sample_csv,
                                                           tmp_path):
    from kafka import KafkaConsumer, KafkaProducer
    h.create_topic(kafka_url, kafka_topic)
    servers = urlparse(kafka_url).netloc
    store = open_store(h.store_url(cassandra_url, "poison"))
    store.ensure_schema()
    job = f"poison-{uuid.uuid4().hex[:6]}"
    env = h.job_env(kafka_url, kafka_topic, h.store_url(cassandra_url, "poison"), tmp_path)
    log = tmp_path / "stream.log"
    proc = h.start_job(env, log, "--job", job, "--trigger-seconds", "1", "--lake-every", "5")
    gen = Synthetic(sample_places(sample_csv), seed=5, close_speedup=1)
    sink = KafkaStream(servers, kafka_topic)
    raw = KafkaProducer(bootstrap_servers=servers, acks="all", max_request_size=2 * 1024 * 1024)
    created, bad = [], poison(gen, datetime.now(UTC))
    try:
        for name, (message, _) in bad.items():  # poison between normal batches, one micro-batch each
            now = datetime.now(UTC)
            recs = [gen.new_request(now) for _ in range(40)]
            sink.send([ev.make_event(r, "created", r["created_at"], now, "synthetic") for r in recs])
            created += recs
            raw.send(kafka_topic, key=name.encode(), value=message).get(timeout=30)
            h.wait_for(lambda: h.status_batch(store, job) >= 0 and proc.poll() is None, 240,
                       "the job's first batch", proc=proc, log=log)
            time.sleep(1.5)
        want = h.expected_counts(created)
        h.wait_for(lambda: h.live_counts(store, {k[0] for k in want}) == want, 240,
                   "live counts to equal the normal requests", proc=proc, log=log)
        h.wait_for(lambda: int(store.select("pipeline_status", {"job": job}).iloc[0]["malformed_total"]) == len(bad),
                   120, "every poison message in the dead letters", proc=proc, log=log)
        assert h.live_counts(store, {k[0] for k in want}) == want
        assert proc.poll() is None, "the job must never stop"
        health = store.select("pipeline_health", {"job": job}).iloc[0]
        assert health["state"] == "running" and int(health["offsets_lost"]) == 0
    finally:
        raw.close()
        sink.close()
        if proc.poll() is None:
            h.kill9(proc)
        store.close()
    consumer = KafkaConsumer(kafka_topic + "-dlq", bootstrap_servers=servers, auto_offset_reset="earliest",
                             consumer_timeout_ms=10_000, max_partition_fetch_bytes=2 * 1024 * 1024)
    dead = [json.loads(m.value) for m in consumer]
    consumer.close()
    assert len(dead) == len(bad)
    for name, (message, reason) in bad.items():
        match = [d for d in dead if d["reason"].startswith(reason)]
        assert len(match) == 1, (name, [d["reason"] for d in dead])
        d = match[0]
        assert d["message_bytes"] == len(message) and len(d["message"]) <= ev.DEAD_LETTER_CHARS
        assert d["truncated"] == (len(message) > ev.DEAD_LETTER_CHARS) and message.decode().startswith(d["message"])
    assert "Traceback" not in log.read_text()


def test_expired_offsets_are_recorded_and_shown(kafka_url, cassandra_url, kafka_topic, sample_csv, tmp_path):
    """Messages the broker deletes (retention) before the job reads them are counted in the health row
    and named on the live page, not skipped silently (failOnDataLoss=false)."""
    from kafka import KafkaAdminClient, TopicPartition

    from pipeline.read.live import LiveAPI
    h.create_topic(kafka_url, kafka_topic, partitions=1)
    servers = urlparse(kafka_url).netloc
    env = h.job_env(kafka_url, kafka_topic, h.store_url(cassandra_url, "expired"), tmp_path)
    job = f"lost-{uuid.uuid4().hex[:6]}"
    gen = Synthetic(sample_places(sample_csv), seed=6, close_speedup=1)
    sink = KafkaStream(servers, kafka_topic)

    def send(n: int) -> list[dict]:
        now = datetime.now(UTC)
        recs = [gen.new_request(now) for _ in range(n)]
        sink.send([ev.make_event(r, "created", r["created_at"], now, "synthetic") for r in recs])
        return recs

    def run_once() -> None:
        proc = h.start_job(env, tmp_path / "stream.log", "--job", job, "--once", "--lake-every", "-1")
        assert proc.wait(timeout=400) == 0, (tmp_path / "stream.log").read_text()[-4000:]

    kept = send(20)
    run_once()
    send(30)  # offsets 20..49: deleted by the broker before the job comes back
    admin = KafkaAdminClient(bootstrap_servers=servers)
    try:
        admin.delete_records({TopicPartition(kafka_topic, 0): 50})
    finally:
        admin.close()
    kept += send(10)
    sink.close()
    run_once()
    with open_store(h.store_url(cassandra_url, "expired")) as store:
        want = h.expected_counts(kept)
        assert h.live_counts(store, {k[0] for k in want}) == want
        assert int(store.select("pipeline_health", {"job": job}).iloc[0]["offsets_lost"]) == 30
        _, shown = LiveAPI(store).stream_status(datetime.now(ev.NY).replace(tzinfo=None), job)
        assert "30 message(s) expired in Kafka before they were read" in shown
