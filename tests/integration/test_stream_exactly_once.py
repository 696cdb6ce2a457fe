"""Exactly-once effect: kill -9 the streaming job ten times (half of them inside a micro-batch, half
inside a lake merge's Delta commit), restart the Kafka broker once and Cassandra once, while events
flow (real Kafka, Spark, Cassandra). Afterwards every live count equals the distinct requests
produced, the lake holds exactly one row per request in its final version, and the history
rollups recomputed from the lake equal a recount of those final versions."""
from __future__ import annotations

import uuid
from collections import Counter
from urllib.parse import urlparse

import pytest

from pipeline.lake import inbox
from pipeline.lake import table as lake
from pipeline.producers.produce import Synthetic, sample_places
from pipeline.rollups import batch
from pipeline.stores import open_store
from pipeline.streams import events as ev
from pipeline.streams.kafka import KafkaStream
from tests.support import stream_helpers as h

# 344-431 s alone; 649 s beside the cluster tests (scripts/test.sh runs the serial modules side by
# side), when its ten restarts share the two cores: the suite's 900 s would be a hang guard too tight
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.serial, pytest.mark.timeout(1800)]

KILLS = 10
BROKER_RESTART, STORE_RESTART = 3, 6  # the broker restarts after this kill; Cassandra before it, under the job


def history_recount(records) -> dict[str, Counter]:
    """The day rows of the requests and status rollups, counted here from the final versions."""
    out = {"requests": Counter(), "status": Counter()}
    for r in records:
        day, dims = r["created_at"].astimezone(ev.NY).date().isoformat(), (r["borough"], r["complaint_type"], r["agency"])
        out["requests"][(day, *dims)] += 1
        out["status"][(day, *dims, r["status"])] += 1
    return out


def history_stored(store, days: list[str]) -> dict[str, Counter]:
    dims = ["period", "borough", "complaint_type", "agency"]
    got = {"requests": store.aggregate("requests", "day", days[0], days[-1], dims),
           "status": store.aggregate("status", "day", days[0], days[-1], [*dims, "status"])}
    return {name: +Counter({tuple(r[:-1]): int(r[-1]) for r in df.itertuples(index=False)}) for name, df in got.items()}


def test_counts_survive_kill9_and_server_restarts(spark, kafka_url, cassandra_url, kafka_topic, sample_csv,
                                                  tmp_path):
    h.create_topic(kafka_url, kafka_topic)
    store = open_store(h.store_url(cassandra_url, "once"))
    store.ensure_schema()
    job = f"eo-{uuid.uuid4().hex[:6]}"
    env = h.job_env(kafka_url, kafka_topic, h.store_url(cassandra_url, "once"), tmp_path)
    log = tmp_path / "stream.log"
    gen = Synthetic(sample_places(sample_csv), seed=11, close_speedup=7200)
    # events flow until the last restart (each restart of the job takes 10-30 s, so a fixed span ran
    # dry before the tenth kill and left no merge to kill), then 10 s more
    producer = h.Producer(KafkaStream(urlparse(kafka_url).netloc, kafka_topic), gen, rate=50, seconds=1200)
    producer.start()
    args = ("--job", job, "--trigger-seconds", "1", "--max-per-trigger", "700", "--lake-every", "4")

    def start():
        return h.start_job(env, log, *args), (log.stat().st_size if log.exists() else 0)

    proc, since = start()
    checkpoint, in_batch, at_hand_over = tmp_path / "checkpoints" / job, [], 0
    try:
        for crash in range(KILLS):
            if crash == STORE_RESTART:  # the job rides out the store going away (it waits, then catches up)
                h.restart_service("cassandra")
                store.close()  # a fresh session rather than the driver's reconnection back-off
                store = open_store(h.store_url(cassandra_url, "once"))
            seen = h.status_batch(store, job)
            h.wait_for(lambda seen=seen, store=store: h.status_batch(store, job) > seen, 240,
                       f"a micro-batch before crash {crash + 1}", proc=proc, log=log)
            if crash % 2 == 0:
                # inside a micro-batch (planned, not committed), so the restart must replay it
                in_batch.append(h.wait_for(lambda: h.in_flight(checkpoint), 180, "a batch in flight", every=0.01))
            else:
                # at a hand-over to the lake's inbox: the file is in or not, and the mark follows it (a
                # copy and a rename, milliseconds: test_lake_inbox.py kills inside it deterministically)
                h.wait_for(lambda since=since: h.hand_overs_begun(log, since), 180, "a hand-over to the inbox",
                           every=0.02, proc=proc, log=log)
                at_hand_over += 1
            h.kill9(proc)
            if crash == BROKER_RESTART:  # the broker goes away mid-stream too (only through the services script)
                h.restart_service("kafka")
            proc, since = start()
        producer.finish(after=10)
        assert len(in_batch) == at_hand_over == KILLS // 2, (in_batch, at_hand_over)
        producer.join(timeout=300)
        assert not producer.is_alive()
        want = h.expected_counts(producer.created.values())
        first, last = min(k[0] for k in want), max(k[0] for k in want)

        def zip_total() -> int:
            return int(store.aggregate("live_zips", "minute", first, last, ["zip"])["n"].sum())

        # One micro-batch upserts live_requests before live_zips, so wait for both: reading the zips
        # the moment the request counts match raced the rest of that batch's writes.
        got = h.wait_for(lambda: (c := h.live_counts(store, {k[0] for k in want})) == want
                         and zip_total() == len(producer.created) and c, 300,
                         "live request and zip counts to equal the distinct requests produced", every=3,
                         proc=proc, log=log)
        assert sum(got.values()) == len(producer.created)
        # A micro-batch writes its status row after its live rows (pipeline/stream/sink.py write_status), so
        # the counts can be complete a moment before the status says so (r73: 11,383 tracked of 11,470).
        status = h.wait_for(lambda: (row := store.select("pipeline_status", {"job": job}).iloc[0].to_dict())
                            ["requests_tracked"] >= len(producer.created) and row, 60,
                            "the job's status to track every request produced", every=1, proc=proc, log=log)
        assert status["malformed_total"] == 0 and status["requests_tracked"] >= len(producer.created)

        # the lake: one row per request, each in its final version (open or closed), once the inbox
        # is folded in (as a load or the nightly recompute does), here while the job still appends
        lake_path = str(tmp_path / "lake")
        closed = {k for k, r in producer.final.items() if r["status"] == "Closed"}

        def lake_state():
            inbox.fold(spark, lake_path)
            rows = lake.read(spark, lake_path).select("unique_key", "status").collect()
            return (len(rows), {r[0] for r in rows}, {r[0] for r in rows if r[1] == "Closed"})
        h.wait_for(lambda: lake_state() == (len(producer.final), set(producer.final), closed), 600,
                   "the lake to hold every request's final version", every=3, proc=proc, log=log)
    finally:
        producer.finish()
        if proc.poll() is None:
            h.kill9(proc)
        store.close()

    # history rollups recomputed from the lake equal the recount (a keyspace of their own)
    history = open_store(h.store_url(cassandra_url, "eo_history"))
    try:
        days = sorted({r["created_at"].astimezone(ev.NY).date() for r in producer.final.values()})
        batch.recompute(spark, history, lake_path, since=days[0])
        assert history_stored(history, [d.isoformat() for d in days]) == history_recount(producer.final.values())
    finally:
        history.close()
