"""The warm loader (pipeline/loader) on a real Spark session: a load it runs is the same load as
`batch` in its own process, row for row; `batch` hands its load to a listening loader and never
starts Spark itself; bad requests and failed loads get their reason and the loader goes on; and the
real command lines (`python -m pipeline loader`, then `python -m pipeline batch`) load the sample
and stop cleanly on SIGTERM."""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from conftest import LOAD_NOW, SAMPLE_CSV

from pipeline.loader import client, server
from pipeline.loader.request import LoadRequest
from pipeline.rollups import batch
from pipeline.settings import load
from pipeline.stores import open_store
from tests.integration.test_batch_sample import DIM_TABLES, recount, snapshot, store_counts
from tests.support import stream_helpers as h

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def loader(spark, tmp_path_factory):
    """A loader on the shared session, serving from a thread (the real process is tested below)."""
    path = tmp_path_factory.mktemp("loader") / "loader.sock"
    srv = server.LoadServer(spark, load(env={**os.environ, "NYC311_LOADER_SOCKET": str(path)}), server.bind(path))
    thread = threading.Thread(target=srv.serve, daemon=True)
    thread.start()
    yield srv
    srv.stop.set()
    thread.join(timeout=30)
    srv.sock.close()


def request(tmp: Path, **kw) -> LoadRequest:
    return LoadRequest(store=f"sqlite:///{tmp}/rollups.db", lake=str(tmp / "lake"), quarantine=str(tmp / "q"), **kw)


def raw(path: Path, line: bytes) -> list[dict]:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.connect(str(path))
        sock.sendall(line)
        return [json.loads(x) for x in sock.makefile("rb")]


def test_a_load_on_the_loader_equals_the_load_in_process(loader, sample_sqlite, tmp_path, capsys):
    """conftest's shared load ran load_input in this process at LOAD_NOW; the same request through
    the socket writes the same rows into every rollup."""
    rc = client.send(request(tmp_path, input=SAMPLE_CSV, now=LOAD_NOW.isoformat()), loader.settings)
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert "rows loaded      924" in out.out and "[batch] lake merge done" in out.err  # report and progress relayed
    with open_store(f"sqlite:///{tmp_path}/rollups.db") as store:
        ours, theirs = snapshot(store), snapshot(sample_sqlite.store)
    for name, rows in theirs.items():
        assert ours[name].astype(str).equals(rows.astype(str)), name


def test_batch_hands_its_load_to_the_loader_and_starts_no_spark(loader, tmp_path, monkeypatch, capsys):
    def no_spark(*a, **kw):
        raise AssertionError("batch started Spark although a loader listens")
    monkeypatch.setattr("pipeline.spark.build_session", no_spark)
    args = argparse.Namespace(input=SAMPLE_CSV, store=f"sqlite:///{tmp_path}/rollups.db", lake=str(tmp_path / "lake"),
                              quarantine=str(tmp_path / "q"), recompute=False, since=None, in_process=False)
    assert batch.run(args, loader.settings) == 0, capsys.readouterr().err
    want = recount(SAMPLE_CSV)
    with open_store(args.store) as store:
        for dim in ("borough", "community_district", "day"):
            assert store_counts(store, *DIM_TABLES[dim], "day") == want[dim], dim
    assert "sent to the warm loader" in capsys.readouterr().err


def test_bad_requests_and_failed_loads_get_their_reason_and_the_loader_goes_on(loader, tmp_path):
    path = client.socket_path(loader.settings)
    for line in (b"garbage\n", b'{"store": 3}\n', b"x" * (server.MAX_REQUEST + 10) + b"\n", b"\xff\xfe\n"):
        answers = raw(path, line)
        assert answers[-1]["rc"] == 2 and answers[-1]["error"].startswith("loader: bad request"), line[:20]
    not_export = tmp_path / "not_an_export.csv"
    not_export.write_text("a,b\n1,2\n")
    answers = raw(path, request(tmp_path, input=str(not_export)).to_json().encode() + b"\n")
    assert answers[-1] == {"rc": 2, "error": f"batch: {not_export}: not a 311 export, header lacks Unique Key, Created Date"}
    # a load that fails (its store file is a folder): the reason, and the session lives on
    (tmp_path / "bad" / "rollups.db").mkdir(parents=True)
    answers = raw(path, request(tmp_path / "bad", input=SAMPLE_CSV).to_json().encode() + b"\n")
    assert answers[-1]["rc"] == 1 and "the load failed on the loader" in answers[-1]["error"]
    assert loader.alive() and not loader.stop.is_set()
    # two clients at once: both answered, one after the other
    results: list[int | None] = []
    reqs = [request(tmp_path / "a", input=str(not_export)), request(tmp_path / "b", input=str(not_export))]
    threads = [threading.Thread(target=lambda r=r: results.append(client.send(r, loader.settings))) for r in reqs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert Counter(results) == Counter({2: 2})


def test_the_real_command_lines_load_and_stop_cleanly(tmp_path):
    """`python -m pipeline loader` (no warm-up: this test pays one cold load) and `python -m pipeline
    batch` as an operator runs them: the load counts equal the recount; SIGTERM ends the loader with
    exit 0 and its socket gone."""
    sock = tmp_path / "l.sock"
    env = {**os.environ, "NYC311_LOADER_SOCKET": str(sock), "NYC311_SPARK_MASTER": "local[1]",
           "NYC311_SPARK_DRIVER_MEMORY": "1g", "PYSPARK_PYTHON": sys.executable}
    log = tmp_path / "loader.log"
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "loader", "--no-warm-up"], cwd=h.ROOT, env=env,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        h.wait_for(lambda: "listening at" in log.read_text(), 120, "the loader", every=0.5, proc=proc, log=log)
        store = f"sqlite:///{tmp_path}/rollups.db"
        done = subprocess.run([sys.executable, "-m", "pipeline", "batch", "--input", SAMPLE_CSV, "--store", store,
                               "--lake", str(tmp_path / "lake"), "--quarantine", str(tmp_path / "q")],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "sent to the warm loader" in done.stderr and "Using Spark" not in done.stderr
        assert "rows loaded      924" in done.stdout
        with open_store(store) as s:
            assert store_counts(s, *DIM_TABLES["borough"], "day") == recount(SAMPLE_CSV)["borough"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0, log.read_text()[-3000:]
        assert not sock.exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
