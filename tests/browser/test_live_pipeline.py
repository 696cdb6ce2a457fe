"""The live page fed by the real pipeline: `pipeline produce` sends events to Kafka, the Spark
streaming job (`pipeline stream`) writes the live tables, and the page in headless Chromium shows
them, then updates without a reload when more events arrive. Counts are checked against the
number of requests produced."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from urllib.parse import urlparse

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from bench.proxy import ROOT
from tests.support.serving_support import FEED_JS, TOTAL_JS, app_server, chromium, sqlite_store

pytestmark = pytest.mark.browser


def _pipeline(env: dict, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=ROOT, env={**os.environ, **env},
                            start_new_session=True, **kw)


@contextmanager
def streaming_job(env: dict, log_path):
    with open(log_path, "wb") as log:
        proc = _pipeline(env, "stream", "--trigger-seconds", "1", "--lake-every", "-1",
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def produce(env: dict, count: int, seed: int) -> None:
    done = _pipeline(env, "produce", "--synthetic", "--count", str(count), "--rate", "200", "--seed", str(seed),
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = done.communicate(timeout=120)
    assert done.returncode == 0, out.decode()[-2000:]


def test_live_page_shows_what_the_streaming_job_writes(tmp_path, kafka_url, kafka_topic):
    store_url, _ = sqlite_store(tmp_path)
    env = {"NYC311_STORE_URL": store_url, "NYC311_STREAM_URL": f"kafka://{urlparse(kafka_url).netloc}/{kafka_topic}",
           "NYC311_CHECKPOINT_PATH": str(tmp_path / "checkpoints"), "NYC311_LAKE_PATH": str(tmp_path / "lake"),
           "NYC311_QUARANTINE_PATH": str(tmp_path / "quarantine"), "NYC311_SPARK_MASTER": "local[2]",
           "NYC311_SPARK_DRIVER_MEMORY": "1g", "NYC311_LIVE_INTERVAL_MS": "1000",
           "JAVA_HOME": os.environ.get("JAVA_HOME", "/usr/lib/jvm/java-17-openjdk-amd64")}
    produce(env, 12, seed=1)  # creates the topic before the job subscribes
    log = tmp_path / "stream.log"
    with streaming_job(env, log) as job, app_server(env) as base, chromium() as driver:
        driver.get(base + "live")

        def shown(total):
            def check(d):
                assert job.poll() is None, f"streaming job exited:\n{log.read_text()[-3000:]}"
                totals = d.execute_script(TOTAL_JS)
                return totals is not None and sum(totals) == total
            return check

        WebDriverWait(driver, 300, poll_frequency=1).until(shown(12))
        first = driver.execute_script(FEED_JS)
        assert len(first) == 12
        produce(env, 5, seed=2)
        WebDriverWait(driver, 120, poll_frequency=1).until(shown(17))
        feed = driver.execute_script(FEED_JS)
        assert len(feed) == 17 and feed[5:] == first  # five new on top, without a reload
