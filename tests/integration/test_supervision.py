"""`make run`'s supervisor (config/supervisord.conf, real supervisord): kill -9 of the streaming job
leaves the web server answering, and the job is back within 30 s and processing again."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pipeline.stores import open_store
from tests.support import stream_helpers as h

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SUPERVISORD = Path(sys.executable).parent / "supervisord"
SUPERVISORCTL = Path(sys.executable).parent / "supervisorctl"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def render(tmp: Path) -> Path:
    """config/supervisord.conf with its var/ folder moved into tmp (the checkout stays the code)."""
    (tmp / "var" / "log").mkdir(parents=True)
    text = (h.ROOT / "config" / "supervisord.conf").read_text()
    conf = tmp / "supervisord.conf"
    conf.write_text(text.replace("%(here)s/../var", str(tmp / "var")).replace("%(here)s/..", str(h.ROOT)))
    return conf


def ctl(conf: Path, *args: str) -> str:
    return subprocess.run([str(SUPERVISORCTL), "-c", str(conf), *args], capture_output=True, text=True,
                          timeout=30).stdout.strip()


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def test_a_killed_stream_is_restarted_and_the_web_keeps_answering(tmp_path):
    port = free_port()
    store_url = f"sqlite:///{tmp_path}/rollups.db"
    env = {**os.environ, "NYC311_STORE_URL": store_url, "NYC311_STREAM_URL": f"spool://{tmp_path}/spool",
           "NYC311_CHECKPOINT_PATH": str(tmp_path / "checkpoints"), "NYC311_LAKE_PATH": str(tmp_path / "lake"),
           "NYC311_APP_PORT": str(port), "NYC311_SPARK_MASTER": "local[1]", "NYC311_SPARK_DRIVER_MEMORY": "1g",
           "WEB_CONCURRENCY": "1", "PYSPARK_PYTHON": sys.executable}
    conf = render(tmp_path)
    with open_store(store_url) as store:
        store.ensure_schema()  # what `make embedded` does before `make run`
    log = tmp_path / "supervisord.out"
    sup = subprocess.Popen([str(SUPERVISORD), "-c", str(conf)], cwd=h.ROOT, env=env, stdout=open(log, "wb"),
                           stderr=subprocess.STDOUT, start_new_session=True)
    health = f"http://127.0.0.1:{port}/healthz"

    def batch_id() -> int:
        with open_store(store_url) as store:
            return h.status_batch(store, "live")

    try:
        h.wait_for(lambda: answers(health), 120, "the web server", every=1, proc=sup, log=log)
        h.wait_for(lambda: batch_id() >= 1, 240, "the stream's first batches", every=2, proc=sup, log=log)
        old = int(ctl(conf, "pid", "stream"))
        os.kill(old, signal.SIGKILL)
        killed, down = time.monotonic(), []
        while True:
            if not answers(health):
                down.append(time.monotonic() - killed)
            status = ctl(conf, "status", "stream")
            pid = ctl(conf, "pid", "stream")
            if "RUNNING" in status and pid.isdigit() and int(pid) not in (0, old):
                break
            assert time.monotonic() - killed < 30, f"stream not back within 30 s: {status}\n{log.read_text()[-3000:]}"
            time.sleep(0.5)
        assert down == [], f"the web server stopped answering at {down} s after the kill"
        before = batch_id()
        h.wait_for(lambda: batch_id() > before, 240, "a batch by the restarted stream", every=2, proc=sup, log=log)
        assert "RUNNING" in ctl(conf, "status", "web") and answers(health)
    finally:
        os.killpg(sup.pid, signal.SIGTERM)
        try:
            sup.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(sup.pid, signal.SIGKILL)
            sup.wait(timeout=30)
