"""Benchmark: sustained synthetic events through real Kafka -> Spark (local) -> Cassandra.

    python -m pipeline.bench_stream [--rate 2000] [--seconds 300] [--kafka 127.0.0.1:9092]
                                    [--cassandra 127.0.0.1:9042] [--keyspace nyc311_bench]

Needs Kafka and Cassandra up (`make services-up`). Starts the streaming job as a subprocess on a
fresh topic, produces `rate` new requests a second (plus their closures) for `seconds`, and reports:
- freshness: produce time -> readable in Cassandra. The job writes its pipeline_status row after
  the live rows of a micro-batch, so a request produced at t is readable once the status row's
  last_produced_at >= t; the status row is polled every 100 ms (p50/p95/max over one probe per
  producer batch, ~20 a second);
- the job's peak memory: resident set of the driver JVM and of the Python processes (driver and
  workers), sampled every second;
- whether the live counts equal the distinct requests produced.
Target: p95 <= 3 s at 2,000 events/s.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime

import psutil

from pipeline import events as ev
from pipeline.produce import KafkaSink, Synthetic, _places
from pipeline.settings import DATA_DIR, ROOT
from pipeline.stores import open_store


def memory(pid: int) -> tuple[int, int]:
    """(JVM bytes, Python bytes) resident in the process tree of `pid`."""
    jvm = py = 0
    try:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0
    for p in procs:
        try:
            rss = p.memory_info().rss
            if "java" in p.name():
                jvm += rss
            else:
                py += rss
        except psutil.NoSuchProcess:
            pass
    return jvm, py


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float("nan")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=300)
    ap.add_argument("--kafka", default="127.0.0.1:9092")
    ap.add_argument("--cassandra", default="127.0.0.1:9042")
    ap.add_argument("--keyspace", default="nyc311_bench")
    ap.add_argument("--lake-every", default="60")
    args = ap.parse_args(argv)

    topic, job = f"bench-{uuid.uuid4().hex[:8]}", f"bench-{uuid.uuid4().hex[:6]}"
    store_url = f"cassandra://{args.cassandra}/{args.keyspace}"
    work = tempfile.mkdtemp(prefix="nyc311-bench-")
    store = open_store(store_url)
    store.ensure_schema()
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=args.kafka)
    admin.create_topics([NewTopic(topic, 2, 1)])
    admin.close()
    env = {**os.environ, "NYC311_STREAM_URL": f"kafka://{args.kafka}/{topic}", "NYC311_STORE_URL": store_url,
           "NYC311_CHECKPOINT_PATH": f"{work}/checkpoints", "NYC311_LAKE_PATH": f"{work}/lake",
           "NYC311_SPARK_MASTER": "local[2]", "PYSPARK_PYTHON": sys.executable}
    log = open(f"{work}/stream.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "stream", "--job", job, "--trigger-seconds", "1",
                             "--lake-every", args.lake_every], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    peak = {"jvm": 0, "python": 0, "total": 0}
    stop = threading.Event()

    def sample_memory():
        while not stop.is_set():
            jvm, py = memory(proc.pid)
            peak.update(jvm=max(peak["jvm"], jvm), python=max(peak["python"], py), total=max(peak["total"], jvm + py))
            time.sleep(1)

    threading.Thread(target=sample_memory, daemon=True).start()
    probes: list[float] = []  # produce times (epoch s), one per producer batch
    seen: dict[float, float] = {}
    sink = KafkaSink(args.kafka, topic)
    gen = Synthetic(_places(DATA_DIR / "nyc_311_sample_2022.csv"), seed=1)
    # Warm-up, not measured: the job's first micro-batches compile their plans (tens of seconds on a
    # busy 2-core box); the clock starts once a first batch has reached Cassandra.
    now = datetime.now(UTC)
    warm = [gen.new_request(now) for _ in range(args.rate)]
    sink.send([ev.make_event(r, "created", r["created_at"], now, "synthetic") for r in warm])
    created = len(warm)
    for _ in range(300):
        if not store.select("pipeline_status", {"job": job}).empty:
            break
        time.sleep(1)
    time.sleep(5)

    def watch():
        pending = 0
        while not stop.is_set() or pending < len(probes):
            rows = store.select("pipeline_status", {"job": job})
            now = time.time()
            if not rows.empty and rows.iloc[0]["last_produced_at"] is not None:
                ts = rows.iloc[0]["last_produced_at"]
                last = (ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts).timestamp()
                while pending < len(probes) and probes[pending] <= last + 1e-3:
                    seen[probes[pending]] = now
                    pending += 1
            if stop.is_set() and now - stop_time[0] > 60:
                break
            time.sleep(0.1)

    stop_time = [0.0]
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.time()
    sent = 0
    while time.time() - start < args.seconds:
        tick = time.time()
        due = int((tick - start) * args.rate) + len(warm) - created
        now = datetime.now(UTC)
        batch = [ev.make_event(r, "created", r["created_at"], now, "synthetic")
                 for r in (gen.new_request(now) for _ in range(max(due, 0)))]
        batch += [ev.make_event(r, "closed", r["closed_at"], now, "synthetic") for r in gen.due_closures(now)]
        if batch:
            sink.send(batch)
            probes.append(now.timestamp())
            created += max(due, 0)
            sent += len(batch)
        time.sleep(max(0.0, 0.05 - (time.time() - tick)))
    elapsed = time.time() - start
    stop_time[0] = time.time()
    stop.set()
    watcher.join(timeout=120)
    sink.close()
    fresh = [seen[p] - p for p in probes if p in seen]
    # correctness: live counts = distinct requests (give the job time to drain)
    total = 0
    minutes = sorted({datetime.fromtimestamp(p, UTC).astimezone(ev.NY).strftime("%Y-%m-%dT%H:%M")
                      for p in [warm[0]["created_at"].timestamp(), *probes]})
    for _ in range(60):
        df = store.aggregate("live_requests", "minute", minutes[0], minutes[-1], [])
        total = int(df["n"].sum()) if not df.empty else 0
        if total == created:
            break
        time.sleep(2)
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    store.close()
    report = {
        "rate_target": args.rate, "seconds": round(elapsed, 1), "events_sent": sent, "requests_created": created,
        "achieved_events_per_s": round(sent / elapsed, 1),
        "freshness_s": {"p50": round(percentile(fresh, 0.5), 2), "p95": round(percentile(fresh, 0.95), 2),
                        "max": round(max(fresh), 2) if fresh else None, "probes": len(probes), "seen": len(fresh)},
        "peak_memory_mb": {k: round(v / 2**20) for k, v in peak.items()},
        "live_count_equals_created": total == created, "live_count": total, "work_dir": work,
    }
    print(json.dumps(report, indent=2))
    return 0 if fresh else 1


if __name__ == "__main__":
    raise SystemExit(main())
