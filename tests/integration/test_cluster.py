"""Scale-out on a real multi-node cluster (scripts/cluster.sh): a Spark standalone master with two
workers, two Cassandra nodes (127.0.0.1 and 127.0.0.2, replication factor 2) and three KRaft Kafka
brokers (replication factor 3, min.insync.replicas 2), all on loopback next to the single-node servers.

The jobs run unchanged: only settings differ (spark://, two contact points, three brokers). The
batch job on the cluster must write exactly the rollups the local run writes; the streaming job on
the cluster must keep the dashboard answering while a Cassandra node and a broker are down, and
count every request once after they return. The cluster is started once for this module and
stopped at its end (no process may be left); a failure to start is a failure, never a skip.
Figures (start-up time, RSS of the whole cluster) go to var/log/cluster/figures.json.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import requests

from pipeline.producers.produce import Synthetic, sample_places
from pipeline.rollups.tables import ROLLUPS
from pipeline.stores import open_store
from pipeline.streams.kafka import KafkaStream
from tests.support import stream_helpers as h
from tests.support.serving_helpers import live_callback

# pytest-timeout counts the cluster's start (fixture set-up) against the first test: measured 2 min
# to start and 11-13 min for the two batch runs at load average 20-30 on the 2-core box
pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.serial, pytest.mark.timeout(2400)]

ROOT = Path(__file__).resolve().parents[2]
CLUSTER = ["bash", str(ROOT / "scripts" / "cluster.sh")]
MASTER = "spark://127.0.0.1:7077"
BROKERS = "127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094"
FIGURES = ROOT / "var" / "log" / "cluster" / "figures.json"
FIGS: dict[str, object] = {}


def cassandra_url(keyspace: str) -> str:
    return f"cassandra://127.0.0.1,127.0.0.2:9142/{keyspace}?rf=2"


def cluster(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([*CLUSTER, *args], cwd=ROOT, check=check, capture_output=True, text=True, timeout=600)


def total_rss_mib() -> int:
    out = cluster("status", check=False).stdout
    return int(re.search(r"total RSS (\d+) MiB", out).group(1))


def leftovers() -> list[str]:
    """Processes of this checkout's cluster still alive (JVMs carry -Dnyc311.cluster=UNIT@ROOT; a
    worker's executors run under the worker's work folder)."""
    ps = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True).stdout.splitlines()
    return [line for line in ps if f"@{ROOT} " in line and "nyc311.cluster=" in line
            or str(ROOT / "var" / "cluster") in line and "CoarseGrainedExecutorBackend" in line]


def spark_apps() -> dict:
    with urllib.request.urlopen("http://127.0.0.1:18080/json/", timeout=10) as r:
        return json.load(r)


@pytest.fixture(scope="module")
def loopback_cluster():
    t0 = time.monotonic()
    up = cluster("up", check=False)
    if up.returncode != 0:
        cluster("down", check=False)
        pytest.fail(f"the loopback cluster did not start:\n{up.stdout[-3000:]}\n{up.stderr[-5000:]}", pytrace=False)
    FIGS["startup_s"] = round(time.monotonic() - t0, 1)
    FIGS["idle_rss_mib"] = total_rss_mib()
    yield
    down = cluster("down", check=False)
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    FIGURES.write_text(json.dumps(FIGS, indent=1))
    left = leftovers()
    assert down.returncode == 0 and not left, f"cluster down left processes behind: {left}\n{down.stderr}"


def run_batch(master: str, store: str, tmp: Path) -> subprocess.Popen:
    env = {**os.environ, "NYC311_SPARK_MASTER": master, "NYC311_SPARK_DRIVER_MEMORY": "1g",
           "NYC311_SPARK_SHUFFLE_PARTITIONS": "4", "NYC311_STORE_URL": store, "PYSPARK_PYTHON": sys.executable}
    tmp.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([sys.executable, "-m", "pipeline", "batch", "--input", h.ROOT / "data" / "nyc_311_sample_2022.csv",
                             "--lake", tmp / "lake", "--quarantine", tmp / "quarantine"], cwd=ROOT, env=env,
                            stdout=(tmp / "batch.log").open("wb"), stderr=subprocess.STDOUT)


def rows_of(store) -> dict:
    return {name: store.select(name).sort_values(list(r.columns)).reset_index(drop=True) for name, r in ROLLUPS.items()}


def test_batch_on_the_cluster_writes_the_local_run_s_rollups(loopback_cluster, tmp_path):
    run = uuid.uuid4().hex[:6]
    local_url, cluster_url = cassandra_url(f"c15_local_{run}"), cassandra_url(f"c15_cluster_{run}")
    started = time.time() * 1000
    t0 = time.monotonic()
    # both at once: the local run in this machine's driver, the other on the standalone workers
    jobs = {"local": run_batch("local[1]", local_url, tmp_path / "local"),
            "cluster": run_batch(MASTER, cluster_url, tmp_path / "cluster")}
    cores = 0  # what the master granted the cluster run while it ran: both workers' cores
    while jobs["cluster"].poll() is None and time.monotonic() - t0 < 1200:
        cores = max([cores, *(a["cores"] for a in spark_apps()["activeapps"] if a["name"] == "nyc311-batch")])
        time.sleep(2)
    for name, proc in jobs.items():
        assert proc.wait(timeout=1200) == 0, (tmp_path / name / "batch.log").read_text()[-4000:]
    FIGS["batch_both_s"] = round(time.monotonic() - t0, 1)
    assert [a for a in spark_apps()["completedapps"] if a["name"] == "nyc311-batch" and a["starttime"] >= started]
    assert cores == 2
    local, on_cluster = open_store(local_url), open_store(cluster_url)
    try:
        want, got = rows_of(local), rows_of(on_cluster)
        assert sum(len(df) for df in want.values()) > 1000
        for name in ROLLUPS:
            assert len(got[name]) == len(want[name]), name
            assert got[name].equals(want[name]), f"{name} differs:\n{got[name].compare(want[name]).head()}"
        rf = local._sess(keyspace=False).execute(
            "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = %s", (on_cluster.keyspace,)).one()
        assert rf[0]["replication_factor"] == "2"
    finally:
        for store in (local, on_cluster):
            store._sess(keyspace=False).execute(f"DROP KEYSPACE IF EXISTS {store.keyspace}", timeout=60)
            store.close()


def create_replicated_topic(topic: str) -> None:
    from kafka.admin import KafkaAdminClient, NewTopic
    admin = KafkaAdminClient(bootstrap_servers=BROKERS)
    try:
        admin.create_topics([NewTopic(topic, 2, 3, topic_configs={"min.insync.replicas": "2"})])
        meta = admin.describe_topics([topic])[0]
        assert all(len(p["replica_nodes"]) == 3 == len(p["isr_nodes"]) for p in meta["partitions"]), meta
    finally:
        admin.close()


def test_stream_on_the_cluster_survives_a_cassandra_node_and_a_broker_down(loopback_cluster, sample_csv, tmp_path):
    from bench.proxy import Stack
    topic, keyspace, job = f"c15-{uuid.uuid4().hex[:8]}", f"c15_stream_{uuid.uuid4().hex[:6]}", "live"
    create_replicated_topic(topic)
    store_url = cassandra_url(keyspace)
    store = open_store(store_url)
    store.ensure_schema()
    env = {**h.job_env(f"kafka://{BROKERS}", topic, store_url, tmp_path), "NYC311_SPARK_MASTER": MASTER}
    log = tmp_path / "stream.log"
    gen = Synthetic(sample_places(sample_csv), seed=15, close_speedup=7200)
    producer = h.Producer(KafkaStream(BROKERS, topic), gen, rate=50, seconds=90)
    proc = h.start_job(env, log, "--job", job, "--trigger-seconds", "1", "--lake-every", "-1")
    stack = Stack(prefix="/311/", env={"NYC311_STORE_URL": store_url}, workers=1)
    try:
        stack.start()
        h.wait_for(lambda: h.status_batch(store, job) >= 0, 300, "the stream job's first micro-batch", proc=proc, log=log)
        app = next(a for a in spark_apps()["activeapps"] if a["name"] == f"nyc311-stream-{job}")
        assert app["cores"] == 2, app  # its executors are the two workers'
        FIGS["running_rss_mib"] = total_rss_mib()
        producer.start()
        time.sleep(15)
        cluster("down", "cassandra-1", "kafka-1")  # the first contact point and the first bootstrap broker
        down_at = len(producer.created)
        try:
            for page in ("live", ""):
                r = requests.get(stack.url + page, timeout=30)
                assert r.status_code == 200 and "_dash-config" in r.text
            # the callback answers from the store, with requests produced after the nodes went away
            def fresh_feed():
                r = live_callback(stack.url)
                assert r.status_code == 200, r.text[:500]
                resp = r.json()["response"]  # outputs left unchanged (no_update) are absent
                status = resp.get("live-fresh", {}).get("data", {}).get("status")
                assert status not in ("store unavailable", "stream not started"), resp.get("live-fresh")
                shown = resp.get("live-state", {}).get("data", {}).get("f") or []
                return set(list(producer.created)[down_at:]) & set(shown) or None
            h.wait_for(fresh_feed, 120, "the live feed to show requests made while the nodes are down",
                       every=3, proc=proc, log=log)
            FIGS["answered_while_down"] = True
        finally:
            cluster("up", "cassandra-1", "kafka-1")
        producer.join(timeout=300)
        assert not producer.is_alive()
        want = h.expected_counts(producer.created.values())
        periods = {k[0] for k in want}
        reader = open_store(store_url)
        got = h.wait_for(lambda: (c := h.live_counts(reader, periods)) == want and c, 300,
                         "live counts to equal the distinct requests produced", every=3, proc=proc, log=log)
        assert sum(got.values()) == len(producer.created)
        # both replicas hold every count now (ALL needs both nodes, and both answer)
        from pipeline.stores.cassandra import CassandraStore
        both = CassandraStore(store_url, read_consistency="ALL")
        assert h.live_counts(both, periods) == want
        both.close()
        reader.close()
    finally:
        stack.stop()
        if proc.poll() is None:
            h.kill9(proc)
        store.close()
