"""Helpers of the streaming tests: run the job as a subprocess (so it can be killed), read results."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd

from pipeline.producers.produce import Synthetic
from pipeline.streams import events as ev
from pipeline.streams.events import NY
from pipeline.streams.kafka import KafkaStream
from tests.support.jvm import jvm_defaults

ROOT = Path(__file__).resolve().parents[2]


def store_url(cassandra_url: str, test: str) -> str:
    """A keyspace of the test's own, named after the suite's (NYC311_TEST_CASSANDRA) and the test.
    Why not one for all stream tests: each test produces requests created "now", so live minute rows
    of the test that ran just before (same minutes, same boroughs and types) would add to its counts."""
    url = urlparse(cassandra_url)
    return f"cassandra://{url.netloc}/{url.path.strip('/')}_{test}"


def job_env(kafka_url: str, topic: str, store: str, tmp: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "NYC311_STREAM_URL": f"kafka://{urlparse(kafka_url).netloc}/{topic}",
            "NYC311_STORE_URL": store, "NYC311_CHECKPOINT_PATH": str(tmp / "checkpoints"),
            "NYC311_LAKE_PATH": str(tmp / "lake"), "NYC311_SPARK_MASTER": "local[2]",
            "NYC311_SPARK_DRIVER_MEMORY": "1g", "PYSPARK_PYTHON": sys.executable, **extra}


def start_job(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen:
    """`python -m pipeline stream ...` in its own process group (so kill -9 takes its JVM too)."""
    fh = open(log, "ab")
    return subprocess.Popen([sys.executable, "-m", "pipeline", "stream", *args], cwd=ROOT, env=env,
                            stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)


def kill9(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def create_topic(kafka_url: str, topic: str, partitions: int = 2) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=urlparse(kafka_url).netloc)
    try:
        admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        admin.close()


def minute(ts) -> str:
    return ts.astimezone(NY).strftime("%Y-%m-%dT%H:%M")


def expected_counts(records) -> Counter:
    """Distinct requests per (period, borough, complaint_type, agency): what live_requests must hold."""
    return Counter((minute(r["created_at"]), r["borough"], r["complaint_type"], r["agency"]) for r in records)


def live_counts(store, periods) -> Counter:
    periods = sorted(periods)
    df = store.aggregate("live_requests", "minute", periods[0], periods[-1],
                         ["period", "borough", "complaint_type", "agency"])
    return Counter({tuple(r[:4]): int(r[4]) for r in df.itertuples(index=False) if r[4]})


def wait_for(check, timeout: float, what: str, every: float = 2.0, proc: subprocess.Popen | None = None, log=None):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"streaming job exited ({proc.returncode}) while waiting for {what}:\n"
                                 + (log.read_text()[-4000:] if log else ""))
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})"
                         + (f"\n{log.read_text()[-4000:]}" if log else ""))


def in_flight(checkpoint: Path) -> int | None:
    """The id of a micro-batch Spark has planned (offsets logged) but not committed, else None:
    killing the job now forces a replay of that batch on restart."""
    def ids(folder: str) -> list[int]:
        d = checkpoint / "spark" / folder
        return [int(f.name) for f in d.iterdir() if f.name.isdigit()] if d.exists() else []
    planned, committed = max(ids("offsets"), default=-1), max(ids("commits"), default=-1)
    return planned if planned > committed else None


def status_batch(store, job: str) -> int:
    rows = store.select("pipeline_status", {"job": job})
    return -1 if rows.empty or pd.isna(rows.iloc[0]["batch_id"]) else int(rows.iloc[0]["batch_id"])


class Producer(threading.Thread):
    """Synthetic requests (and their closures) at a steady rate; a batch the broker did not
    acknowledge is sent again (at-least-once, so the job also sees duplicates)."""

    def __init__(self, sink: KafkaStream, gen: Synthetic, rate: int, seconds: float):
        super().__init__(daemon=True)
        self.sink, self.gen, self.rate, self.seconds = sink, gen, rate, seconds
        self.created: dict[str, dict] = {}
        self.final: dict[str, dict] = {}  # each request's newest version sent
        self.resent = 0
        self.end = time.monotonic() + seconds

    def finish(self, after: float = 0.0) -> None:
        """Stop producing `after` seconds from now (a test whose pace is set by the job, not the clock)."""
        self.end = min(self.end, time.monotonic() + after)

    def run(self) -> None:
        self.end = time.monotonic() + self.seconds
        while time.monotonic() < self.end:
            now = datetime.now(UTC)
            recs = [self.gen.new_request(now) for _ in range(self.rate // 5)]
            closed = self.gen.due_closures(now)
            batch = [ev.make_event(r, "created", r["created_at"], now, "synthetic") for r in recs]
            batch += [ev.make_event(r, "closed", r["closed_at"], now, "synthetic") for r in closed]
            while True:
                try:
                    self.sink.send(batch)
                    break
                except Exception:  # noqa: BLE001 - the broker is restarting: send the batch again
                    self.resent += len(batch)
                    time.sleep(1)
            self.created.update((r["unique_key"], r) for r in recs)
            self.final.update((r["unique_key"], r) for r in [*recs, *closed])
            time.sleep(0.2)


def restart_service(name: str, down_for: float = 3.0) -> None:
    """Stop one shared server (kafka or cassandra) and start it again, through scripts/services.sh of
    the checkout that started it: this one under `make test`, or NYC311_TEST_SERVICES_ROOT when the
    servers were started from another checkout (a worktree testing against shared servers). Checks
    that the server really stopped answering, so a restart that did nothing fails the test."""
    root = Path(os.environ.get("NYC311_TEST_SERVICES_ROOT") or ROOT)
    port = {"kafka": 9092, "cassandra": 9042}[name]
    subprocess.run(["bash", "scripts/services.sh", "down", name], cwd=root, check=True)
    try:
        import socket
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            raise AssertionError(f"{name} still answers after `services.sh down` in {root}: set "
                                 "NYC311_TEST_SERVICES_ROOT to the checkout that started it")
    except OSError:
        pass
    time.sleep(down_for)
    with jvm_defaults():  # as scripts/test.sh started it
        subprocess.run(["bash", "scripts/services.sh", "up", name], cwd=root, check=True)


def hand_overs_begun(log: Path, since: int) -> int:
    """How many hand-overs to the lake's inbox the job started after byte `since` of its log has
    begun (pipeline/stream/lake_merger.py logs each)."""
    with open(log, "rb") as fh:
        fh.seek(since)
        text = fh.read().decode(errors="replace")
    return text.count("lake: handing ")
