"""Shared fixtures. Integration fixtures never skip: `make test` starts Kafka and Cassandra, and a
missing server is a failure (CI=true or not), so a green run always means the real parts were used."""
from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import urlparse

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "data")  # the product's own copy (data/README.md)
SAMPLE_CSV = os.path.join(DATA_DIR, "nyc_311_sample_2022.csv")

CASSANDRA_URL = os.environ.get("NYC311_TEST_CASSANDRA", "cassandra://127.0.0.1:9042/nyc311_test")
KAFKA_URL = os.environ.get("NYC311_TEST_KAFKA", "kafka://127.0.0.1:9092/nyc311-test")


def _reachable(host: str, port: int, timeout: float = 2.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_server(url: str, what: str) -> None:
    u = urlparse(url)
    host, port = u.hostname or "127.0.0.1", u.port
    if not _reachable(host, port):
        pytest.fail(f"{what} is not answering on {host}:{port}: start it with `make services-up` "
                    f"(`make test` does this itself)", pytrace=False)


@pytest.fixture(scope="session")
def cassandra_url() -> str:
    require_server(CASSANDRA_URL, "Cassandra")
    return CASSANDRA_URL


@pytest.fixture(scope="session")
def kafka_url() -> str:
    require_server(KAFKA_URL, "Kafka")
    return KAFKA_URL


@pytest.fixture
def kafka_topic(kafka_url) -> str:
    """A fresh topic name per test (auto-created by the broker or by the test)."""
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for the whole run (with the Kafka connector on the classpath)."""
    from pipeline.settings import load
    from pipeline.spark import build_session

    settings = load(env={**os.environ, "NYC311_SPARK_MASTER": "local[2]", "NYC311_SPARK_DRIVER_MEMORY": "2g"})
    session = build_session("nyc311-tests", settings, with_kafka=True, shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture
def sqlite_store(tmp_path):
    """A fresh embedded store with every table, closed after the test."""
    from pipeline.stores import open_store
    s = open_store(f"sqlite:///{tmp_path}/rollups.db")
    s.ensure_schema()
    yield s
    s.close()


@pytest.fixture
def sample_csv() -> str:
    assert os.path.exists(SAMPLE_CSV), f"missing sample {SAMPLE_CSV}"
    return SAMPLE_CSV


def reset_dash_registries() -> None:
    """Empty Dash's process-wide page and callback registries (in place: dash holds references)."""
    from dash import _callback, _pages
    _pages.PAGE_REGISTRY.clear()
    for registry in (_callback.GLOBAL_CALLBACK_LIST, _callback.GLOBAL_CALLBACK_MAP, _callback.GLOBAL_INLINE_SCRIPTS):
        registry.clear()


@pytest.fixture(scope="module", autouse=True)
def dash_registries():
    """Each test module starts and ends with empty Dash registries, so the pages and callbacks an app
    of one module registered never leak into the next: every app a module builds registers its own
    (app/pages/__init__.install), and a page that only registered at import would be missed here."""
    reset_dash_registries()
    yield reset_dash_registries  # for a test that builds apps one after another
    reset_dash_registries()
