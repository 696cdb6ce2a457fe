"""Helpers for the live-page and embedding browser tests: a real headless Chromium, the app under
gunicorn in a subprocess (settings through NYC311_* like production), a throw-away SQLite store."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from bench.proxy import GUNICORN, ROOT, free_port

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

# What the live page shows, read from the browser
TOTAL_JS = ("const g = document.querySelector('#live-minutes .js-plotly-plot');"
            "return g && g.data ? g.data.map(t => t.y.reduce((a, b) => a + b, 0)) : null;")
ZIPS_JS = ("const g = document.querySelector('#live-map .js-plotly-plot');"
           "return g && g.data ? [g.data[1].locations, g.data[1].z] : null;")
FEED_JS = "return [...document.querySelectorAll('#live-feed li')].map(li => li.dataset.key);"
CALLS_JS = ("return performance.getEntriesByType('resource')"
            ".filter(e => e.name.includes('_dash-update-component')).length;")


@contextmanager
def chromium():
    """Headless Chromium with a fresh profile; a missing browser is a failure, never a skip."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for exe in (CHROMIUM, CHROMEDRIVER):
        if not os.access(exe, os.X_OK):
            pytest.fail(f"{exe} is missing: run `make sysdeps`", pytrace=False)
    profile = tempfile.mkdtemp(prefix="nyc311-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=1280,1000", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@contextmanager
def gunicorn(env: dict[str, str]):
    """The app under gunicorn (config/gunicorn.conf.py, one worker unless env says otherwise) on a
    free loopback port; yields (url, process)."""
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="nyc311-gunicorn-", suffix=".log")[1])
    full_env = {**os.environ, "WEB_CONCURRENCY": "1", "PYTHONUNBUFFERED": "1", **env}
    proc = subprocess.Popen([GUNICORN, "-c", str(ROOT / "config" / "gunicorn.conf.py"), "-b", f"127.0.0.1:{port}",
                             "app.wsgi:server"], cwd=ROOT, env=full_env, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"gunicorn exited: {log.read_text()[-3000:]}", pytrace=False)
            try:
                requests.get(url + "healthz", timeout=10)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start: {log.read_text()[-3000:]}", pytrace=False)
                time.sleep(0.2)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.unlink(missing_ok=True)


@contextmanager
def app_server(env: dict[str, str]):
    """The app under gunicorn on a free loopback port; yields its URL."""
    with gunicorn(env) as (url, _proc):
        yield url


def sqlite_store(folder: Path):
    """A fresh SQLite store with every table; returns (url, store)."""
    from pipeline.stores import open_store
    url = f"sqlite:///{folder}/rollups.db"
    store = open_store(url)
    store.ensure_schema()
    return url, store
