"""Socrata replay end to end (local SODA stand-in -> producer -> real Kafka -> Spark job -> Cassandra
and the lake), with malformed messages on the same topic going to the dead-letter topic."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import pytest

from pipeline.lake import inbox
from pipeline.lake import table as lake_table
from pipeline.producers.socrata import SODA_FIELDS
from pipeline.read import live as live_read
from pipeline.rollups.compute import compute_rollup
from pipeline.stores import open_store
from pipeline.streams import events as ev
from tests.support import stream_helpers as h

pytestmark = pytest.mark.integration

_spec = importlib.util.spec_from_file_location(
    "socrata_fixture_server", Path(__file__).parents[1] / "fixtures" / "socrata" / "server.py")
fixture_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture_server)

MALFORMED = [b"garbage", json.dumps({"schema_version": 9, "unique_key": "1"}).encode(),
             json.dumps({"schema_version": 1, "event_type": "created", "unique_key": "2",
                         "event_time": "2022-05-01T00:00:00-04:00"}).encode()]


def expected_records():
    out = []
    for row in fixture_server.ROWS:
        try:
            out.append(ev.record_from_raw({n: row.get(s) for s, n in SODA_FIELDS.items()}, ev.soda_time))
        except ev.MalformedEvent:
            pass
    return out


def test_socrata_replay_and_dead_letters(kafka_url, cassandra_url, kafka_topic, tmp_path, spark):
    from kafka import KafkaConsumer, KafkaProducer
    h.create_topic(kafka_url, kafka_topic)
    servers = urlparse(kafka_url).netloc
    env = h.job_env(kafka_url, kafka_topic, h.store_url(cassandra_url, "socrata"), tmp_path, NYC311_SOCRATA_APP_TOKEN="tok")
    with fixture_server.SodaServer() as soda:
        env["NYC311_SOCRATA_URL"] = soda.url
        subprocess.run([sys.executable, "-m", "pipeline", "produce", "--socrata", "--once", "--page-size", "50",
                        "--since", "2022-04-30T00:00:00.000", "--state", str(tmp_path / "hwm.json")],
                       cwd=h.ROOT, env=env, check=True, timeout=120)
    assert [r["token"] for r in soda.requests] == ["tok"] * len(soda.requests) and len(soda.requests) == 4  # 429, 3 pages
    producer = KafkaProducer(bootstrap_servers=servers, acks="all")
    for m in MALFORMED:
        producer.send(kafka_topic, m).get(timeout=30)
    producer.close()

    job = f"soda-{uuid.uuid4().hex[:6]}"
    log = tmp_path / "stream.log"
    # a replay of 2022: the live window ends then, not at the wall clock
    proc = h.start_job(env, log, "--job", job, "--once", "--as-of", "2022-05-01T01:00:00-04:00")
    assert proc.wait(timeout=400) == 0, log.read_text()[-4000:]

    records = expected_records()
    want = h.expected_counts(records)
    with open_store(h.store_url(cassandra_url, "socrata")) as store:
        assert h.live_counts(store, {k[0] for k in want}) == want
        status = live_read.status(store, job)
        assert status["malformed_total"] == 3 and status["batch_rows"] == len(records) + 3
        feed = live_read.recent_events(store, n=20, now=datetime(2022, 5, 1, 1, 0, tzinfo=ev.NY))
        newest = sorted(records, key=lambda r: (r["created_at"], r["unique_key"]), reverse=True)[:20]
        assert list(feed["unique_key"]) == [r["unique_key"] for r in newest]
        by_borough = live_read.last_hour_by_borough(store, now=datetime(2022, 5, 1, 0, 59, tzinfo=ev.NY))
        assert by_borough["count"].sum() == len(records)

    # every event reached the lake once the inbox is folded, and the batch job's rollup over it gives the live rows
    assert inbox.fold(spark, str(tmp_path / "lake"))
    lake = lake_table.read(spark, str(tmp_path / "lake"))
    assert lake.count() == len(records) == lake.select("unique_key").distinct().count()
    batch_rows = compute_rollup(lake, "requests", "minute").toPandas()
    assert h.Counter({(r.period, r.borough, r.complaint_type, r.agency): r.n for r in batch_rows.itertuples()}) == want

    consumer = KafkaConsumer(kafka_topic + "-dlq", bootstrap_servers=servers, auto_offset_reset="earliest",
                             consumer_timeout_ms=10_000)
    dead = [json.loads(m.value) for m in consumer]
    consumer.close()
    # the poller dead-letters the SODA row it cannot make an event of (no created date) itself
    polled = [d for d in dead if d.get("source") == "socrata"]
    assert [d["reason"] for d in polled] == ["socrata row: row without unique key or created date"]
    assert json.loads(polled[0]["message"])["unique_key"] == "54046765"
    dead = [d for d in dead if d.get("source") != "socrata"]
    assert sorted(d["message"] for d in dead) == sorted(m.decode() for m in MALFORMED)
    reasons = pd.Series({d["message"]: d["reason"] for d in dead})
    assert reasons["garbage"] == "not a JSON object"
    assert reasons[MALFORMED[1].decode()] == "schema_version 9 is not 1"
    assert reasons[MALFORMED[2].decode()] == "missing field created_at"
