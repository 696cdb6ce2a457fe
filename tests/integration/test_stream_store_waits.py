"""A busy store does not crash the streaming job: with the embedded SQLite store locked by another
writer for longer than its busy timeout, the job waits with back-off (pipeline/stream/sink.py), then
catches up with exact counts, one process from start to end."""
from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime

import pytest

from pipeline.producers.produce import Synthetic, sample_places
from pipeline.read import live as live_read
from pipeline.stores import open_store
from pipeline.streams import events as ev
from pipeline.streams.spool import SpoolStream
from tests.support import stream_helpers as h

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_the_job_waits_out_a_locked_store(sample_csv, tmp_path):
    db = tmp_path / "rollups.db"
    store_url = f"sqlite:///{db}"
    with open_store(store_url) as store:
        store.ensure_schema()
    env = {**h.job_env("kafka://unused:1/x", "x", store_url, tmp_path), "NYC311_STREAM_URL": f"spool://{tmp_path}/spool"}
    sink = SpoolStream(tmp_path / "spool")
    gen = Synthetic(sample_places(sample_csv), seed=3, close_speedup=1)
    created = []

    def send(n: int) -> None:
        now = datetime.now(UTC)
        recs = [gen.new_request(now) for _ in range(n)]
        sink.send([ev.make_event(r, "created", r["created_at"], now, "synthetic") for r in recs])
        created.extend(recs)

    log = tmp_path / "stream.log"
    proc = h.start_job(env, log, "--job", "live", "--trigger-seconds", "1", "--lake-every", "-1")
    try:
        send(30)
        with open_store(store_url) as store:
            h.wait_for(lambda: h.status_batch(store, "live") >= 0, 240, "the first batch", proc=proc, log=log)
        lock = sqlite3.connect(db, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")  # another writer holds the store past its 30 s busy timeout
        try:
            send(40)
            # held until the job has given up on the busy timeout at least once and is backing off
            h.wait_for(lambda: "database is locked; retrying in" in log.read_text(), 400,
                       "the job to wait for the locked store", proc=proc, log=log)
            time.sleep(3)
            assert proc.poll() is None, log.read_text()[-3000:]
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        send(20)
        want = h.expected_counts(created)
        with open_store(store_url) as store:
            h.wait_for(lambda: h.live_counts(store, {k[0] for k in want}) == want, 180,
                       "live counts to equal every request sent", proc=proc, log=log)
            health = live_read.health(store, "live")
            assert health["state"] == "running" and int(health["store_waits"]) >= 1, log.read_text()[-5000:]
        assert proc.poll() is None
    finally:
        if proc.poll() is None:
            h.kill9(proc)
