"""Shared helpers of the dashboard tests: a small hand-made request set rolled up into a store, and the
app served on a free loopback port.

Why hand-made requests: every number the tests read off a page can be recounted from this frame, so
the tests check the whole path (rollups -> read API -> callbacks -> page) against a known truth."""
from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import requests

from tests.support.rollup_fixtures import load

TYPES = (("Noise - Residential", "NYPD"), ("HEAT/HOT WATER", "HPD"), ("Illegal Parking", "NYPD"),
         ("Street Condition", "DOT"), ("Water System", "DEP"))
# (borough, community district, ZIP): real ids present in the map layers
AREAS = (("Manhattan", "109", "10027"), ("Brooklyn", "301", "11211"), ("Bronx", "209", "10472"),
         ("Queens", "403", "11372"), ("Staten Island", "501", "10301"), ("Brooklyn", "314", "11226"),
         ("Unspecified", "Unspecified", "Unspecified"))
STATUSES = ("Closed", "Closed", "Closed", "Open", "In Progress")
# three per type, most common first; "Loud Music/Party" under two types, as in the city's data
DESCRIPTORS = {"Noise - Residential": ("Loud Music/Party", "Banging/Pounding", "Loud Talking"),
               "HEAT/HOT WATER": ("ENTIRE BUILDING", "APARTMENT ONLY", "Unspecified"),
               "Illegal Parking": ("Blocked Hydrant", "Double Parked Blocking Traffic", "Loud Music/Party"),
               "Street Condition": ("Pothole", "Cave-in", "Defective Hardware"),
               "Water System": ("Hydrant Running (WC3)", "No Water (WNW)", "Leak (Use Comments) (WA2)")}
FIRST_DAY = pd.Timestamp("2023-01-01")
LAST_DAY = pd.Timestamp("2024-06-30")


def make_requests(n: int = 4000, seed: int = 11) -> pd.DataFrame:
    """Requests created from FIRST_DAY to LAST_DAY (New York local), with a known mix."""
    rng = np.random.default_rng(seed)
    span = int((LAST_DAY - FIRST_DAY).total_seconds() // 60) + 24 * 60 - 1
    created = FIRST_DAY + pd.to_timedelta(np.sort(rng.integers(0, span, n)), unit="min")
    t = rng.choice(len(TYPES), n, p=[0.35, 0.25, 0.2, 0.12, 0.08])
    a = rng.choice(len(AREAS), n, p=[0.2, 0.25, 0.15, 0.15, 0.05, 0.15, 0.05])
    frame = pd.DataFrame({
        "created": created,
        "complaint_type": [TYPES[i][0] for i in t], "agency": [TYPES[i][1] for i in t],
        "borough": [AREAS[i][0] for i in a], "community_district": [AREAS[i][1] for i in a],
        "zip": [AREAS[i][2] for i in a],
        "channel": rng.choice(["PHONE", "ONLINE", "MOBILE", "OTHER"], n, p=[0.4, 0.3, 0.25, 0.05]),
        "status": rng.choice(STATUSES, n),
        "res_h": rng.exponential(60, n),
        "due_h": rng.choice([np.nan, 72.0, 240.0], n),
    })
    frame.loc[frame["status"] != "Closed", "res_h"] = np.nan
    # drawn last, so the columns above are what they were before descriptors were rolled up
    pick = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    frame["descriptor"] = [DESCRIPTORS[t][i] for t, i in zip(frame["complaint_type"], pick, strict=True)]
    return frame


def fill_store(store, reqs: pd.DataFrame) -> None:
    """Write every rollup of `reqs` at day and month grain, plus freshness and a data version."""
    from pipeline import provenance
    store.ensure_schema()
    load(store, reqs)
    provenance.record(store, provenance.make(  # what a real load records, so pages know the rows' origin
        "export", len(reqs), reqs["created"].min().date().isoformat(), reqs["created"].max().date().isoformat(),
        file="hand-made test requests (tests/browser/app_support.py)"))
    store.set_meta("freshness", reqs["created"].max().strftime("%Y-%m-%dT%H:%M:%S"))
    store.set_meta("data_version", str(time.time()))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServedApp:
    """create_app() over a store URL, served by werkzeug in a daemon thread on 127.0.0.1."""

    def __init__(self, store_url: str, prefix: str = "/"):
        import logging

        from werkzeug.serving import make_server

        from app.main import create_app
        from pipeline.settings import load

        settings = load(env={**os.environ, "NYC311_STORE_URL": store_url, "NYC311_URL_PREFIX": prefix})
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.app = create_app(settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{prefix}"
        self._server = make_server("127.0.0.1", self.port, self.app.server, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if requests.get(self.url, timeout=2).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"app did not answer on {self.url}")

    def close(self) -> None:
        self._server.shutdown()


def chrome(download_dir: str, user_data_dir: str, width: int = 1400, height: int = 1000):
    """Real headless Debian Chromium through chromedriver, offline-friendly flags, downloads to a dir."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--enable-unsafe-swiftshader", f"--user-data-dir={user_data_dir}", f"--window-size={width},{height}"):
        opts.add_argument(flag)
    opts.add_experimental_option("prefs", {"download.default_directory": download_dir,
                                           "download.prompt_for_download": False,
                                           "safebrowsing.enabled": False})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": download_dir})
    return driver


@contextmanager
def served_over(url: str, reqs: pd.DataFrame) -> Iterator[ServedApp]:
    """The app served on loopback over the store at `url`, filled with `reqs`' rollups first."""
    from pipeline.stores import open_store
    store = open_store(url)
    fill_store(store, reqs)
    store.close()
    app = ServedApp(url)
    try:
        yield app
    finally:
        app.close()


@contextmanager
def headless_chrome(prefix: str, download_dir: str | None = None) -> Iterator:
    """A chrome() driver with throwaway profile (and download) folders, quit afterwards. Fails, never
    skips, when Chromium is missing."""
    assert os.path.exists("/usr/bin/chromium") and os.path.exists("/usr/bin/chromedriver"), \
        "headless Chromium is required: run `make sysdeps`"
    driver = chrome(download_dir or tempfile.mkdtemp(prefix=f"{prefix}-dl-"), tempfile.mkdtemp(prefix=f"{prefix}-chrome-"))
    try:
        yield driver
    finally:
        driver.quit()


def app_over_sqlite(reqs: pd.DataFrame, folder, **env: str):
    """The Dash app over a fresh SQLite store holding `reqs`' rollups, its pages registered (the
    first request does that); `env` adds NYC311_* settings."""
    from app.main import create_app
    from pipeline.settings import load
    from pipeline.stores import open_store
    url = f"sqlite:///{folder}/rollups.db"
    fill_store(open_store(url), reqs)
    app = create_app(load(env={**os.environ, "NYC311_STORE_URL": url, **env}))
    assert app.server.test_client().get("/").status_code == 200
    return app
