"""Readiness probe of one unit of the loopback cluster (scripts/cluster.sh), asked the way a client would.

    python scripts/cluster_probe.py UNIT DEADLINE_S [PID]

Exit 0 when the unit answers, 2 when its JVM (PID) died, 1 at the deadline (the last error on
stderr). A deadline of 0 asks once. What "answers" means per unit:
  spark-master    its JSON status page says ALIVE
  spark-worker-N  the master lists the worker on port 17077+N as ALIVE (it registered)
  cassandra-N     CQL on 127.0.0.N:9142 answers `SELECT release_version FROM system.local`
                  (the driver held to that one node)
  kafka-N         an admin client bootstrapped from that broker alone sees broker N in the cluster
"""
from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
import urllib.request
import warnings

MASTER_JSON = "http://127.0.0.1:18080/json/"
CQL_PORT = 9142


def _master() -> dict:
    with urllib.request.urlopen(MASTER_JSON, timeout=3) as r:
        return json.load(r)


def _port_open(host: str, port: int) -> None:
    socket.create_connection((host, port), timeout=2).close()


def spark_master() -> None:
    status = _master().get("status")
    if status != "ALIVE":
        raise RuntimeError(f"master status {status}")


def spark_worker(n: int) -> None:
    port = 17077 + n
    workers = [w for w in _master().get("workers", []) if w.get("port") == port and w.get("state") == "ALIVE"]
    if not workers:
        raise RuntimeError(f"no ALIVE worker on port {port} registered with the master")


def cassandra(n: int) -> None:
    from cassandra.cluster import Cluster
    from cassandra.policies import WhiteListRoundRobinPolicy
    host = f"127.0.0.{n}"
    _port_open(host, CQL_PORT)
    cluster = Cluster([host], port=CQL_PORT, connect_timeout=5, control_connection_timeout=5,
                      load_balancing_policy=WhiteListRoundRobinPolicy([host]), protocol_version=5)
    try:
        cluster.connect().execute("SELECT release_version FROM system.local", timeout=5).one()
    finally:
        cluster.shutdown()


def kafka(n: int) -> None:
    from kafka import KafkaAdminClient
    _port_open("127.0.0.1", 19091 + n)  # a closed port: the admin client would retry for 30 s
    admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{19091 + n}", request_timeout_ms=5000,
                             client_id="nyc311-cluster")
    try:
        brokers = {b["broker_id"] for b in admin.describe_cluster()["brokers"] if not b.get("is_fenced")}
    finally:
        admin.close()
    if n not in brokers:
        raise RuntimeError(f"broker {n} not in the cluster yet (brokers {sorted(brokers)})")


def check(unit: str) -> None:
    kind, _, num = unit.rpartition("-")
    if unit == "spark-master":
        spark_master()
    elif kind == "spark-worker":
        spark_worker(int(num))
    elif kind == "cassandra":
        cassandra(int(num))
    elif kind == "kafka":
        kafka(int(num))
    else:
        raise SystemExit(f"unknown unit {unit}")


def alive(pid: str | None) -> bool:
    if pid is None:
        return True
    try:
        os.kill(int(pid), 0)
        return True
    except OSError:
        return False


def main(argv: list[str]) -> int:
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    unit, wait, pid = argv[0], float(argv[1]), (argv[2:] or [None])[0]
    start = time.monotonic()
    last = "not asked"
    while True:
        try:
            check(unit)
            if wait > 0:
                print(f"cluster: {unit} answering after {time.monotonic() - start:.1f} s", flush=True)
            return 0
        except Exception as exc:  # noqa: BLE001 - any failure means "not answering yet"
            last = f"{type(exc).__name__}: {exc}"
        if not alive(pid):
            return 2
        if time.monotonic() - start >= wait:
            if wait > 0:
                print(f"{unit}: last probe error: {last}", file=sys.stderr)
            return 1
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
