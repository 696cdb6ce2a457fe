"""Embedding in real headless Chromium: a page on another origin (another 127.0.0.1 port) frames
the app. With frame_ancestors allowing that origin the chromeless app shows and fits; with the
default ('self') the browser refuses to render it."""
from __future__ import annotations

import http.server
import threading
import time
from contextlib import contextmanager
from functools import partial

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bench.proxy import free_port
from tests.support.serving_support import app_server, chromium, sqlite_store

pytestmark = pytest.mark.browser


SNIPPET = ('<iframe src="{app}embed/live" title="NYC 311 live" width="760" height="900" '
           'style="border:0" id="app"></iframe>')


@contextmanager
def host_site(folder, app_url: str, port: int):
    """Another website (http.server on its own port) carrying the iframe snippet of docs/OPERATIONS.md."""
    (folder / "index.html").write_text("<!doctype html><html><body><h1>Host site</h1>"
                                       + SNIPPET.format(app=app_url) + "</body></html>")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), partial(http.server.SimpleHTTPRequestHandler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.shutdown()
        server.server_close()


def test_embed_allowed_for_the_configured_origin(tmp_path):
    store_url, _ = sqlite_store(tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    parent_port = free_port()
    env = {"NYC311_STORE_URL": store_url, "NYC311_FRAME_ANCESTORS": f"'self' http://127.0.0.1:{parent_port}"}
    with app_server(env) as app_url:
        r = requests.get(app_url + "embed/live", allow_redirects=False, timeout=10)
        assert r.status_code == 302 and r.headers["Location"] == "/live?embed=1"
        assert requests.get(app_url + "live?embed=1", timeout=10).headers["Content-Security-Policy"] == \
            f"frame-ancestors 'self' http://127.0.0.1:{parent_port}"
        with host_site(site, app_url, parent_port) as parent, chromium() as driver:
            driver.get(parent)
            frame = WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "app"))
            driver.switch_to.frame(frame)
            wait = WebDriverWait(driver, 30)
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#live-minutes .js-plotly-plot"))
            # chromeless: no navbar or filter bar, nothing wider than the frame
            assert not [e for e in driver.find_elements(By.CSS_SELECTOR, "#navbar, #filter-bar") if e.is_displayed()]
            assert driver.execute_script("return document.documentElement.classList.contains('embedded')")
            wait.until(lambda d: d.execute_script(
                "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
            # links open the full app in a new tab
            links = driver.find_elements(By.CSS_SELECTOR, "a[href]")
            assert links and all(a.get_attribute("target") == "_blank" for a in links)
            main = driver.current_window_handle
            driver.switch_to.default_content()
            driver.switch_to.frame(driver.find_element(By.ID, "app"))
            driver.execute_script("arguments[0].click()", links[0])
            WebDriverWait(driver, 15).until(lambda d: len(d.window_handles) == 2)
            new = next(h for h in driver.window_handles if h != main)
            driver.switch_to.window(new)
            WebDriverWait(driver, 15).until(lambda d: d.current_url.startswith(app_url))
            assert "embed" not in driver.current_url


def test_embed_refused_by_default(tmp_path):
    store_url, _ = sqlite_store(tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    with app_server({"NYC311_STORE_URL": store_url}) as app_url:
        headers = requests.get(app_url + "live?embed=1", timeout=10).headers
        assert headers["Content-Security-Policy"] == "frame-ancestors 'self'"
        assert headers["X-Frame-Options"] == "SAMEORIGIN"
        with host_site(site, app_url, free_port()) as parent, chromium() as driver:
            driver.get(parent)
            frame = WebDriverWait(driver, 30).until(lambda d: d.find_element(By.ID, "app"))
            time.sleep(4)  # time enough for the app to render had it been allowed
            driver.switch_to.frame(frame)
            assert not driver.find_elements(By.CSS_SELECTOR, ".live-page, #react-entry-point")

