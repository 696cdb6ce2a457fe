"""bench/proxy.py: the nginx site config an operator deploys, rendered from config/nginx/nyc311.conf."""
from __future__ import annotations

import re

import pytest

from bench.proxy import site_config

pytestmark = pytest.mark.unit


def _directives(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def test_site_under_a_prefix():
    conf = _directives(site_config("127.0.0.1:8080", "127.0.0.1:8050", "/311/"))
    assert "@" not in conf
    assert "listen 127.0.0.1:8080;" in conf and "server 127.0.0.1:8050;" in conf
    assert "location = /311 { return 301 /311/; }" in conf
    assert "location /311/_dash-component-suites/ {" in conf and "location /311/assets/ {" in conf
    # the prefix is stripped: the app is proxied at gunicorn's root
    assert re.search(r"location /311/ \{\s*proxy_pass http://nyc311_app/;", conf)
    assert "gzip_types application/json" in conf


def test_site_at_the_root():
    conf = _directives(site_config("80", "127.0.0.1:8050", "/"))
    assert "@" not in conf and "return 301" not in conf
    assert "location /_dash-component-suites/ {" in conf and re.search(r"location / \{\s*proxy_pass", conf)


def test_prefix_must_be_a_folder():
    with pytest.raises(ValueError, match="start and end with '/'"):
        site_config("80", "127.0.0.1:8050", "/311")


def test_site_sends_the_app_security_headers_limits_callbacks_and_has_error_pages():
    from pipeline.settings import load
    conf = _directives(site_config("80", "127.0.0.1:8050", "/311/",
                                   settings=load(env={"NYC311_FRAME_ANCESTORS": "'self' https://news.example.org"})))
    assert conf.count("add_header Content-Security-Policy \"frame-ancestors 'self' https://news.example.org\" always;") >= 4
    assert "limit_req_zone $binary_remote_addr zone=nyc311_callbacks:10m rate=10r/s;" in conf
    assert re.search(r"location = /311/_dash-update-component \{\s*limit_req zone=nyc311_callbacks burst=40 nodelay;", conf)
    assert "keepalive_timeout 20s;" in conf and "error_page 429 /__nyc311_errors/429.html;" in conf
    with pytest.raises(ValueError, match="callback rate"):
        site_config("80", "127.0.0.1:8050", "/", callback_rate="lots")
