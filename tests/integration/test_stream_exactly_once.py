"""Exactly-once effect: kill -9 the streaming job three times and restart the broker while events
flow (real Kafka, Spark, Cassandra); every live count must equal the distinct requests produced."""
from __future__ import annotations

import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest
import stream_helpers as h

from pipeline import events as ev
from pipeline.produce import KafkaSink, Synthetic, _places
from pipeline.stores import open_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]


class Producer(threading.Thread):
    """Synthetic requests (and their closures) at a steady rate; a batch the broker did not
    acknowledge is sent again (at-least-once, so the job also sees duplicates)."""

    def __init__(self, sink: KafkaSink, gen: Synthetic, rate: int, seconds: float):
        super().__init__(daemon=True)
        self.sink, self.gen, self.rate, self.seconds = sink, gen, rate, seconds
        self.created: dict[str, dict] = {}
        self.resent = 0

    def run(self) -> None:
        end = time.monotonic() + self.seconds
        while time.monotonic() < end:
            now = datetime.now(UTC)
            recs = [self.gen.new_request(now) for _ in range(self.rate // 5)]
            batch = [ev.make_event(r, "created", r["created_at"], now, "synthetic") for r in recs]
            batch += [ev.make_event(r, "closed", r["closed_at"], now, "synthetic") for r in self.gen.due_closures(now)]
            while True:
                try:
                    self.sink.send(batch)
                    break
                except Exception:  # noqa: BLE001 - the broker is restarting: send the batch again
                    self.resent += len(batch)
                    time.sleep(1)
            self.created.update((r["unique_key"], r) for r in recs)
            time.sleep(0.2)


def test_counts_survive_kill9_and_broker_restart(kafka_url, cassandra_url, kafka_topic, sample_csv, tmp_path):
    h.create_topic(kafka_url, kafka_topic)
    store = open_store(h.store_url(cassandra_url, "once"))
    store.ensure_schema()
    job = f"eo-{uuid.uuid4().hex[:6]}"
    env = h.job_env(kafka_url, kafka_topic, h.store_url(cassandra_url, "once"), tmp_path)
    log = tmp_path / "stream.log"
    gen = Synthetic(_places(sample_csv), seed=11, close_speedup=7200)
    producer = Producer(KafkaSink(urlparse(kafka_url).netloc, kafka_topic), gen, rate=100, seconds=100)
    producer.start()

    proc = h.start_job(env, log, "--job", job, "--trigger-seconds", "1", "--max-per-trigger", "700")
    checkpoint, replayed = tmp_path / "checkpoints" / job, []
    try:
        for crash in range(3):
            seen = h.status_batch(store, job)
            h.wait_for(lambda seen=seen: h.status_batch(store, job) >= seen + 2, 240,
                       f"two micro-batches before crash {crash + 1}", proc=proc, log=log)
            # crash inside a micro-batch (planned, not committed), so the restart must replay it
            replayed.append(h.wait_for(lambda: h.in_flight(checkpoint), 60, "a batch in flight", every=0.01))
            h.kill9(proc)
            if crash == 1:  # the broker goes away mid-stream too (only through the services script)
                subprocess.run(["bash", "scripts/services.sh", "down", "kafka"], cwd=h.ROOT, check=True)
                time.sleep(3)
                subprocess.run(["bash", "scripts/services.sh", "up", "kafka"], cwd=h.ROOT, check=True)
            proc = h.start_job(env, log, "--job", job, "--trigger-seconds", "1", "--max-per-trigger", "700")
        assert len(replayed) == 3
        producer.join(timeout=300)
        assert not producer.is_alive()
        want = h.expected_counts(producer.created.values())
        got = h.wait_for(lambda: (c := h.live_counts(store, {k[0] for k in want})) == want and c, 300,
                         "live counts to equal the distinct requests produced", every=3, proc=proc, log=log)
        assert sum(got.values()) == len(producer.created)
        zips = store.aggregate("live_zips", "minute", min(k[0] for k in want), max(k[0] for k in want), ["zip"])
        assert int(zips["n"].sum()) == len(producer.created)
        status = store.select("pipeline_status", {"job": job}).iloc[0]
        assert status["malformed_total"] == 0 and status["requests_tracked"] >= len(producer.created)
    finally:
        if proc.poll() is None:
            h.kill9(proc)
        store.close()
