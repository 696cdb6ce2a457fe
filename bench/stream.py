"""Benchmark: synthetic events through real Kafka -> Spark (local) -> Cassandra (or SQLite).

    python -m bench.stream [--part catchup|freshness|both] [--backlog 7200000] [--rate 2000]
                                    [--seconds 300] [--kafka 127.0.0.1:9092]
                                    [--store cassandra://127.0.0.1:9042/nyc311_bench]

Needs Kafka and Cassandra up (`make services-up`). Two parts, each with a streaming job of its own
as a subprocess on a fresh topic:
1. catch-up (bench/catchup.py): a backlog of `backlog` events (an hour of downtime at
   `rate`) is produced with the job stopped, then the job starts and works it off in bounded
   micro-batches: catch-up rate, time, peak memory, the live page's backlog note, exact counts.
2. freshness: the job runs, `rate` new requests a second (plus their closures) for `seconds`:
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

from bench.results import record
from pipeline.producers.produce import Synthetic, sample_places
from pipeline.settings import DATA_DIR, DEFAULTS, ROOT, load
from pipeline.stores import StoreUnavailable, open_store
from pipeline.streams import events as ev
from pipeline.streams.kafka import KafkaStream


def memory(pid: int) -> dict[str, int]:
    """Bytes resident in the process tree of `pid` (the job): its driver JVM, the job's own Python
    process (the driver's Python side) and Spark's Python workers (pyspark.daemon and its forks).

    Nothing else counts. The JVM spawns short-lived helpers (Hadoop runs chmod and stat through a
    shell when its native library is missing); until its exec such a child shares the JVM's memory
    and reports the JVM's RSS. The first sampler read the RSS before the exec and the name after
    it, and so counted the JVM twice as "Python workers" (1,375 MB against a JVM of 1,376 MB in the
    7.2 M catch-up of 2026-12-02, with no Python worker alive)."""
    out = {"jvm": 0, "python_driver": 0, "python_workers": 0}
    try:
        procs = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return out
    for p in procs:
        try:
            name, cmd = p.name(), " ".join(p.cmdline())
            rss = p.memory_info().rss
            if p.name() != name:
                continue  # it exec'd between the two reads: a helper caught while it shared its parent's memory
            if p.pid == pid:
                kind = "python_driver"
            elif "java" in name and p.ppid() == pid:
                kind = "jvm"
            elif name.startswith("python") and "pyspark" in cmd:
                kind = "python_workers"
            else:
                continue
            out[kind] += rss
        except psutil.NoSuchProcess:
            pass
    return out


class PeakMemory:
    """The peak of each part of memory() and of their sum, sampled every second in a thread."""

    def __init__(self, pid: int, every: float = 1.0):
        self.pid, self.every = pid, every
        self.peak = {"jvm": 0, "python_driver": 0, "python_workers": 0, "total": 0}
        self.stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self.stop.is_set():
            now = memory(self.pid)
            now["total"] = sum(now.values())
            self.peak = {k: max(v, now[k]) for k, v in self.peak.items()}
            time.sleep(self.every)

    def mb(self) -> dict[str, int]:
        return {k: round(v / 2**20) for k, v in self.peak.items()}


def percentile(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else float("nan")


class Job:
    """One streaming job as a subprocess on a fresh topic of its own, with its memory sampled."""

    def __init__(self, kafka: str, store_url: str, lake_every: str, *extra: str, partitions: int = 2,
                 env: dict[str, str] | None = None, topic: str | None = None):
        """`topic`: an existing topic to read (e.g. a backlog written by an earlier run), kept at stop."""
        from kafka.admin import KafkaAdminClient, NewTopic
        self.topic, self.name = topic or f"bench-{uuid.uuid4().hex[:8]}", f"bench-{uuid.uuid4().hex[:6]}"
        self.own_topic = topic is None
        self.kafka, self.store_url, self.lake_every, self.extra = kafka, store_url, lake_every, extra
        self.work = tempfile.mkdtemp(prefix="nyc311-bench-")
        self.env = {**os.environ, "NYC311_STREAM_URL": f"kafka://{kafka}/{self.topic}", "NYC311_STORE_URL": store_url,
                    "NYC311_CHECKPOINT_PATH": f"{self.work}/checkpoints", "NYC311_LAKE_PATH": f"{self.work}/lake",
                    "NYC311_SPARK_MASTER": "local[2]", "PYSPARK_PYTHON": sys.executable, **(env or {})}
        if self.own_topic:
            admin = KafkaAdminClient(bootstrap_servers=kafka)
            admin.create_topics([NewTopic(self.topic, partitions, 1)])
            admin.close()
        self.proc: subprocess.Popen | None = None
        self.peak: PeakMemory | None = None

    def start(self) -> None:
        log = open(f"{self.work}/stream.log", "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "pipeline", "stream", "--job", self.name,
                                      "--trigger-seconds", "1", "--lake-every", self.lake_every, *self.extra],
                                     cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.peak = PeakMemory(self.proc.pid)

    def stop(self) -> None:
        if self.peak is not None:
            self.peak.stop.set()
        if self.proc is None:
            return
        # SIGTERM to the job's Python process only, as a supervisor does: it stops the query and
        # waits for a lake hand-over in flight; its JVM ends with it (a SIGTERM to the JVM would stop
        # Spark under that append).
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.drop_topic()

    def drop_topic(self) -> None:
        """Delete the bench's topics (a 7.2 M-event backlog is gigabytes on the shared broker)."""
        from kafka.admin import KafkaAdminClient
        if not self.own_topic:
            return
        admin = KafkaAdminClient(bootstrap_servers=self.kafka)
        try:
            existing = set(admin.list_topics())
            admin.delete_topics([t for t in (self.topic, self.topic + "-dlq") if t in existing])
        finally:
            admin.close()


def live_total(store, first: str, last: str, expected: int, tries: int = 60, already: int = 0) -> int:
    """Requests counted in live_requests over minutes first..last, less `already` (what an earlier run
    wrote there), polled until it equals `expected` (the job may still be writing its last batches) or
    `tries` 2-second polls have passed."""
    total = 0
    for _ in range(tries):
        df = store.aggregate("live_requests", "minute", first, last, [])
        total = (int(df["n"].sum()) if not df.empty else 0) - already
        if total == expected:
            break
        time.sleep(2)
    return total


def ny_minute(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).astimezone(ev.NY).strftime("%Y-%m-%dT%H:%M")


def freshness(args: argparse.Namespace, store_url: str) -> dict:
    """Part 2: `rate` events/s for `seconds` through a running job; freshness and exact counts."""
    store = open_store(store_url, load())
    store.ensure_schema()
    job = Job(args.kafka, store_url, args.lake_every)
    job.start()
    topic, job_name = job.topic, job.name
    stop = threading.Event()
    probes: list[float] = []  # produce times (epoch s), one per producer batch
    seen: dict[float, float] = {}
    sink = KafkaStream(args.kafka, topic)
    gen = Synthetic(sample_places(DATA_DIR / "nyc_311_sample_2022.csv"), seed=1)
    # The live tables have no job column, and a job writes a minute's counts whole: a run that starts
    # within the minute an earlier run (same store) ended in would replace that run's count of it, not
    # add to it (2026-12-08: 57,750 requests "missing", the earlier run's). So such a run waits for the
    # next minute; whatever is still there then (a clock step) is counted out.
    def earlier_in(now: datetime) -> int:
        rows = store.aggregate("live_requests", "minute", ny_minute(now.timestamp()), ny_minute(now.timestamp() + 3600), [])
        return int(rows["n"].sum()) if not rows.empty else 0
    now = datetime.now(UTC)
    if earlier_in(now):
        time.sleep(61 - now.timestamp() % 60)
        now = datetime.now(UTC)
    already = earlier_in(now)
    # Warm-up, not measured: the job's first micro-batches compile their plans (tens of seconds on a
    # busy 2-core box); the clock starts once a first batch has reached Cassandra.
    warm = [gen.new_request(now) for _ in range(args.rate)]
    sink.send([ev.make_event(r, "created", r["created_at"], now, "synthetic") for r in warm])
    created = len(warm)
    for _ in range(300):
        if not store.select("pipeline_status", {"job": job_name}).empty:
            break
        time.sleep(1)
    time.sleep(5)

    def watch():
        pending = 0
        while not stop.is_set() or pending < len(probes):
            try:
                rows = store.select("pipeline_status", {"job": job_name})
            except StoreUnavailable:  # a store restart by another job: the probes wait for it
                time.sleep(0.5)
                continue
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
    minutes = sorted(ny_minute(p) for p in [warm[0]["created_at"].timestamp(), *probes])
    total = live_total(store, minutes[0], minutes[-1], created, already=already)
    job.stop()
    store.close()
    report = {
        "rate_target": args.rate, "seconds": round(elapsed, 1), "events_sent": sent, "requests_created": created,
        "achieved_events_per_s": round(sent / elapsed, 1), "achieved_over_target_rate": round(sent / elapsed / args.rate, 2),
        "p95_over_3s_target": round(percentile(fresh, 0.95) / 3.0, 2) if fresh else None,
        "freshness_s": {"p50": round(percentile(fresh, 0.5), 2), "p95": round(percentile(fresh, 0.95), 2),
                        "max": round(max(fresh), 2) if fresh else None, "probes": len(probes), "seen": len(fresh)},
        "peak_memory_mb": job.peak.mb(),
        "live_count_equals_created": total == created, "live_count": total,
        "live_count_of_earlier_runs_in_its_minutes": already, "work_dir": job.work,
    }
    return report


def main(argv: list[str] | None = None) -> int:
    from bench import catchup
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("catchup", "freshness", "both"), default="both")
    ap.add_argument("--rate", type=int, default=2000, help="production rate (events/s) of both parts")
    ap.add_argument("--seconds", type=float, default=300, help="length of the freshness run")
    ap.add_argument("--backlog", type=int, default=7_200_000,
                    help="events waiting in Kafka before the catch-up starts (default: an hour at 2,000/s)")
    ap.add_argument("--producers", type=int, default=2, help="producer processes that write the backlog")
    ap.add_argument("--catchup-timeout", type=float, default=4 * 3600,
                    help="give up the catch-up after this many seconds and report the part measured")
    ap.add_argument("--kafka", default="127.0.0.1:9092")
    ap.add_argument("--store", default="cassandra://127.0.0.1:9042/nyc311_bench",
                    help="store URL: cassandra://HOST:PORT/KEYSPACE or sqlite:///PATH")
    ap.add_argument("--lake-every", default=str(DEFAULTS.stream_lake_every_s),
                    help="seconds between the job's hand-overs to the lake's inbox (default: the product's; -1: none, a ceiling bench.table never counts)")
    ap.add_argument("--progress", help="JSON-lines file the catch-up appends its progress to every second")
    ap.add_argument("--reuse-backlog", metavar="JSON",
                    help="catch up a backlog an earlier run wrote (its backlog.json: topic, events, requests, "
                         "minutes) instead of producing one; the topic is kept")
    args = ap.parse_args(argv)
    report = {}
    if args.part in ("catchup", "both"):
        report["catchup"] = catchup.run(args, args.store)
        print(json.dumps(report["catchup"], indent=2), flush=True)
    if args.part in ("freshness", "both"):
        report["freshness"] = fr = freshness(args, args.store)
        print(json.dumps(fr, indent=2), flush=True)
        record("stream_freshness", {"rate": args.rate, "seconds": fr["seconds"], "p50_s": fr["freshness_s"]["p50"],
                                    "p95_s": fr["freshness_s"]["p95"], "max_s": fr["freshness_s"]["max"],
                                    "achieved_over_target_rate": fr["achieved_over_target_rate"],
                                    "peak_mb": fr["peak_memory_mb"]["total"], "peak_memory_mb": fr["peak_memory_mb"],
                                    "count_exact": fr["live_count_equals_created"], "lake_every_s": float(args.lake_every)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
