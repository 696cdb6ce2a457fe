"""app/serving.py: headers on every response, /healthz, /embed/<page>."""
from __future__ import annotations

import dash
import pytest
from dash import html

from app import serving
from pipeline.settings import load
from pipeline.stores import StoreUnavailable

pytestmark = pytest.mark.unit


def _settings(**env):
    return load(env={f"NYC311_{k.upper()}": v for k, v in env.items()})


def _app(prefix="/", **env):
    app = dash.Dash(__name__, requests_pathname_prefix=prefix, routes_pathname_prefix="/")
    app.layout = html.Div("x")
    serving.install(app, _settings(**env))
    return app


def test_default_policy_allows_only_self():
    h = serving.security_headers(_settings())
    assert h["Content-Security-Policy"] == "frame-ancestors 'self'"
    assert h["X-Frame-Options"] == "SAMEORIGIN"
    assert h["X-Content-Type-Options"] == "nosniff"


def test_other_origins_drop_x_frame_options():
    h = serving.security_headers(_settings(frame_ancestors="'self'  https://example.org"))
    assert h["Content-Security-Policy"] == "frame-ancestors 'self' https://example.org"
    assert "X-Frame-Options" not in h


@pytest.mark.parametrize("path", ["/", "/_dash-layout", "/_dash-dependencies", "/no-such-page", "/healthz"])
def test_every_response_carries_the_headers(path):
    client = _app(frame_ancestors="http://127.0.0.1:9").server.test_client()
    r = client.get(path)
    assert r.headers["Content-Security-Policy"] == "frame-ancestors http://127.0.0.1:9"
    assert r.headers["X-Content-Type-Options"] == "nosniff"


def test_embed_redirects_to_the_page_with_embed_on():
    client = _app(prefix="/311/").server.test_client()
    r = client.get("/embed/trends?borough=Bronx&embed=0")
    assert r.status_code == 302
    assert r.headers["Location"] == "/311/trends?borough=Bronx&embed=1"
    assert client.get("/embed/").headers["Location"] == "/311/?embed=1"


class _Store:
    def __init__(self, fail=None):
        self.fail = fail

    def ping(self):
        if self.fail:
            raise self.fail


def test_health_ok_and_unavailable():
    assert serving.health(lambda: _Store()) == ({"status": "ok"}, 200)
    down = StoreUnavailable("cassandra 127.0.0.1:9042: refused")
    body, status = serving.health(lambda: _Store(down))
    # the public answer names the kind of failure, never the store's hosts or paths (issue 10)
    assert status == 503 and "StoreUnavailable" in body["reason"] and "127.0.0.1" not in body["reason"]
    body, status = serving.health(lambda: _Store(down), details=True)  # healthz_details=1
    assert status == 503 and "127.0.0.1:9042: refused" in body["reason"]

    def cannot_open():
        raise ValueError("unknown store URL")
    assert serving.health(cannot_open)[1] == 503
