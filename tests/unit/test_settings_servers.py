"""gunicorn and nginx take their knobs from the settings registry, not from copies of their own.

Why: an operator who sets NYC311_APP_PORT must move gunicorn's bind and nginx's upstream together,
and a default changed in pipeline/settings.py must reach both servers without a second edit.
"""
from __future__ import annotations

import runpy

import pytest

from pipeline import settings as S

pytestmark = pytest.mark.unit

GUNICORN_CONF = str(S.CONFIG_DIR / "gunicorn.conf.py")
KNOBS = ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_TIMEOUT", "GUNICORN_MAX_REQUESTS", "GUNICORN_ACCESS_LOG",
         "GUNICORN_ERROR_LOG", "GUNICORN_LOG_LEVEL", "FORWARDED_ALLOW_IPS")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No inherited server knob and no settings file: only what a test sets applies."""
    for name in KNOBS:
        monkeypatch.delenv(name, raising=False)
    for s in S.REGISTRY:
        monkeypatch.delenv(S.ENV_PREFIX + s.name.upper(), raising=False)
    monkeypatch.setenv("NYC311_CONFIG", str(tmp_path / "none.toml"))
    return monkeypatch


def test_gunicorn_config_is_the_settings_defaults(clean_env):
    conf = runpy.run_path(GUNICORN_CONF)
    d = S.DEFAULTS
    assert conf["bind"] == f"{d.app_host}:{d.app_port}"
    assert (conf["threads"], conf["timeout"], conf["max_requests"]) == (d.web_threads, d.web_timeout_s,
                                                                        d.web_max_requests)
    assert (conf["accesslog"], conf["errorlog"], conf["loglevel"]) == (d.web_access_log, d.web_error_log,
                                                                       d.web_log_level)
    assert conf["forwarded_allow_ips"] == d.web_forwarded_allow_ips
    assert 2 <= conf["workers"] <= 8  # web_workers 0: one per CPU, within 2..8


def test_gunicorn_config_follows_settings_and_conventional_names(clean_env):
    clean_env.setenv("NYC311_APP_PORT", "8123")
    clean_env.setenv("NYC311_WEB_THREADS", "2")
    clean_env.setenv("WEB_CONCURRENCY", "3")
    clean_env.setenv("GUNICORN_MAX_REQUESTS", "0")
    conf = runpy.run_path(GUNICORN_CONF)
    assert conf["bind"].endswith(":8123")
    assert (conf["workers"], conf["threads"], conf["max_requests"]) == (3, 2, 0)


def test_nginx_site_defaults_are_the_settings(clean_env, capsys):
    from bench.proxy import main
    clean_env.setenv("NYC311_APP_PORT", "8123")
    clean_env.setenv("NYC311_NGINX_LISTEN", "127.0.0.1:8088")
    clean_env.setenv("NYC311_NGINX_CALLBACK_BURST", "12")
    clean_env.setenv("NYC311_URL_PREFIX", "/311/")
    main(["site"])
    conf = capsys.readouterr().out
    assert "listen 127.0.0.1:8088;" in conf and "server 127.0.0.1:8123;" in conf
    assert "burst=12 nodelay;" in conf and "location /311/assets/ {" in conf
    assert f"rate={S.DEFAULTS.nginx_callback_rate};" in conf
