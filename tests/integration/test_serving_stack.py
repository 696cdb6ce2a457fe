"""Production serving on loopback: nginx (config/nginx/nyc311.conf) -> gunicorn (config/gunicorn.conf.py)
with the app mounted under /311/. A missing nginx is a failure, never a skip."""
from __future__ import annotations

import json
import os
import re

import pytest
import requests

from bench.proxy import NGINX, Stack
from pipeline.stores import open_store
from tests.support.serving_helpers import live_callback

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not os.access(NGINX, os.X_OK):
        pytest.fail(f"{NGINX} is missing: run `make sysdeps`", pytrace=False)
    url = f"sqlite:///{tmp_path_factory.mktemp('store')}/rollups.db"
    open_store(url).ensure_schema()
    with Stack(prefix="/311/", env={"NYC311_STORE_URL": url}, workers=2) as s:
        yield s


def test_page_html_under_the_prefix(stack):
    r = requests.get(stack.url + "live", timeout=30)
    assert r.status_code == 200 and "text/html" in r.headers["Content-Type"]
    config = json.loads(re.search(r'id="_dash-config" type="application/json">(.*?)</script>', r.text).group(1))
    assert config["requests_pathname_prefix"] == "/311/"
    assert r.headers["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    # the bare prefix redirects to the app
    bare = requests.get(f"http://127.0.0.1:{stack.port}/311", allow_redirects=False, timeout=10)
    assert bare.status_code == 301 and bare.headers["Location"].endswith("/311/")
    embed = requests.get(stack.url + "embed/live", allow_redirects=False, timeout=10)
    assert embed.headers["Location"] == "/311/live?embed=1"


def test_static_files_are_cached_long_and_gzipped(stack):
    html = requests.get(stack.url, timeout=30).text
    suite = re.search(r'src="(/311/_dash-component-suites/[^"]+\.js)"', html).group(1)
    r = requests.get(f"http://127.0.0.1:{stack.port}{suite}", timeout=30)
    assert r.status_code == 200
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert r.headers.get("Content-Encoding") == "gzip"
    asset = re.search(r'src="(/311/assets/live\.js[^"]*)"', html).group(1)
    r = requests.get(f"http://127.0.0.1:{stack.port}{asset}", timeout=30)
    assert r.status_code == 200 and "max-age=31536000" in r.headers["Cache-Control"]
    assert "visibilitychange" in r.text
    geo = requests.get(stack.url + "assets/geo/zips.geojson", timeout=30)
    assert geo.status_code == 200 and geo.headers.get("Content-Encoding") == "gzip"
    assert geo.json()["type"] == "FeatureCollection"


def test_callback_post_through_the_prefix_is_gzipped_json(stack):
    deps = requests.get(stack.url + "_dash-dependencies", timeout=30)
    assert deps.headers.get("Content-Encoding") == "gzip" and "application/json" in deps.headers["Content-Type"]
    r = live_callback(stack.url)
    assert r.status_code == 200, r.text[:500]
    assert r.headers.get("Content-Encoding") == "gzip"
    response = json.loads(r.text)["response"]
    assert response["live-state"]["data"]["f"] == []  # an empty store: an empty feed, and no error
    assert response["live-fresh"]["data"]["status"] == "stream not started"


def test_healthz_through_the_prefix(stack):
    r = requests.get(stack.url + "healthz", timeout=10)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    assert r.headers["Cache-Control"] == "no-store"


def test_healthz_says_why_when_the_store_is_down(tmp_path):
    # a store URL that cannot answer: a Cassandra node on a closed port
    with Stack(prefix="/311/", env={"NYC311_STORE_URL": "cassandra://127.0.0.1:1/nyc311_nowhere",
                                    "NYC311_HEALTHZ_DETAILS": "1"}, workers=1) as s:
        r = requests.get(s.url + "healthz", timeout=60)
        assert r.status_code == 503
        assert r.json()["status"] == "unavailable" and "127.0.0.1" in r.json()["reason"]


SECURITY = {"Content-Security-Policy": "frame-ancestors 'self'", "X-Content-Type-Options": "nosniff",
            "X-Frame-Options": "SAMEORIGIN", "Referrer-Policy": "strict-origin-when-cross-origin"}


def _has_security_headers(r: requests.Response) -> None:
    for name, value in SECURITY.items():
        assert r.headers.get(name) == value, (r.url, r.status_code, name, r.headers.get(name))
    assert "," not in r.headers["Content-Security-Policy"]  # sent once, not by both nginx and the app


def test_security_headers_on_what_nginx_serves_itself(stack):
    asset = requests.get(stack.url + "assets/live.js", timeout=10)  # straight from disk
    assert asset.status_code == 200 and "visibilitychange" in asset.text
    _has_security_headers(asset)
    missing = requests.get(stack.url + "assets/no-such-file.css", timeout=10)  # nginx's own error page
    assert missing.status_code == 404 and "Not found" in missing.text and 'lang="en"' in missing.text
    _has_security_headers(missing)
    _has_security_headers(requests.get(stack.url + "about", timeout=30))  # proxied: the same set, once


def test_callback_flood_gets_429_with_headers(stack):
    """More callback POSTs than the burst allows, at once: nginx answers 429 (its page, our headers)."""
    body = json.dumps({"output": "freshness.children", "outputs": {"id": "freshness", "property": "children"},
                       "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"}],
                       "changedPropIds": []})
    from concurrent.futures import ThreadPoolExecutor
    with requests.Session() as session, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: session.post(stack.url + "_dash-update-component", data=body, timeout=30,
                                                       headers={"Content-Type": "application/json"}), range(120)))
    codes = [r.status_code for r in answers]
    assert 429 in codes and 200 in codes and all(c in (200, 429) for c in codes), sorted(set(codes))
    limited = next(r for r in answers if r.status_code == 429)
    assert "Too many requests" in limited.text
    _has_security_headers(limited)


def test_oversized_requests_are_refused_not_crashed(stack):
    big = requests.post(stack.url + "_dash-update-component", data=b"x" * (400 * 1024), timeout=30,
                        headers={"Content-Type": "application/json"})
    assert big.status_code == 413
    long_line = requests.get(stack.app_url + "?q=" + "a" * 9000, timeout=10)  # gunicorn's limit_request_line
    assert long_line.status_code == 414


def test_healthz_hides_the_store_location(tmp_path):
    with Stack(prefix="/311/", env={"NYC311_STORE_URL": "cassandra://127.0.0.1:1/nyc311_nowhere"}, workers=1) as s:
        body = requests.get(s.url + "healthz", timeout=60).json()
        assert body["status"] == "unavailable" and "127.0.0.1" not in json.dumps(body)
