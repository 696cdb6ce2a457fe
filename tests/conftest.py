"""Shared fixtures. Integration fixtures never skip: `make test` starts Kafka and Cassandra, and a
missing server is a failure (CI=true or not), so a green run always means the real parts were used."""
from __future__ import annotations

import os
import socket
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support.jvm import jvm_defaults

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA_DIR = os.path.join(ROOT, "data")  # the product's own copy (data/README.md)
SAMPLE_CSV = os.path.join(DATA_DIR, "nyc_311_sample_2022.csv")
LEGACY_CSV = os.path.join(ROOT, "tests", "fixtures", "nyc_311_legacy_sample.csv")
LOAD_NOW = datetime(2022, 6, 1, tzinfo=UTC)  # the `now` of the shared loads below (after both samples)


def worker_keyspace(url: str, worker: str | None) -> str:
    """The suite's Cassandra URL with a keyspace of this pytest-xdist worker's own (`nyc311_test_gw1`).
    Why: `make test` runs its parallel part in two workers, each with its own session fixtures (the
    shared sample loads) and tests whose keyspaces are named after the suite's; one keyspace each
    keeps one worker's drops and loads out of the other's reads. Alone (no worker), the URL as given."""
    if not worker:
        return url
    u = urlparse(url)
    return u._replace(path=f"{u.path.rstrip('/')}_{worker}").geturl()


CASSANDRA_URL = worker_keyspace(os.environ.get("NYC311_TEST_CASSANDRA", "cassandra://127.0.0.1:9042/nyc311_test"),
                                os.environ.get("PYTEST_XDIST_WORKER"))
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
    with jvm_defaults():
        session = build_session("nyc311-tests", settings, with_kafka=True, shuffle_partitions=2)
    yield session
    session.stop()


@dataclass(frozen=True)
class LoadedStore:
    """A batch load of one export into one store, shared by every test module that only reads it.
    Why shared: a load is most of a recount test's time (Spark's jobs, then the writes, a minute or
    more into Cassandra), and the recount modules (batch, hotspots, counts) each loaded the same file
    again. A test that writes to it must leave the rollups as it found them and assert so."""
    url: str
    store: object
    report: object
    tmp: Path  # holds the load's lake/ and quarantine/


@contextmanager
def _loaded(spark, csv_path: str, tmp: Path, url: str | None = None):
    """One batch load into `url` (an embedded store in `tmp` by default), its store closed after."""
    from pipeline.rollups import batch
    from pipeline.stores import open_store
    url = url or f"sqlite:///{tmp}/rollups.db"
    with open_store(url) as store:
        report = batch.load_input(spark, store, csv_path, str(tmp / "lake"), str(tmp / "quarantine"), now=LOAD_NOW)
        yield LoadedStore(url, store, report, tmp)


@pytest.fixture(scope="session")
def sample_sqlite(spark, tmp_path_factory):
    """The real sample (924 rows) loaded into an embedded store."""
    with _loaded(spark, SAMPLE_CSV, tmp_path_factory.mktemp("sample_sqlite")) as loaded:
        yield loaded


@pytest.fixture(scope="session")
def sample_cassandra(spark, cassandra_url, tmp_path_factory):
    """The real sample loaded into the real Cassandra node (a keyspace of its own)."""
    u = urlparse(cassandra_url)
    with _loaded(spark, SAMPLE_CSV, tmp_path_factory.mktemp("sample_cassandra"),
                 f"cassandra://{u.netloc}{u.path}_sample") as loaded:
        yield loaded


@pytest.fixture(scope="session")
def legacy_sqlite(spark, tmp_path_factory):
    """The pre-2018 export layout's real rows (tests/fixtures) loaded into an embedded store."""
    with _loaded(spark, LEGACY_CSV, tmp_path_factory.mktemp("legacy_sqlite")) as loaded:
        yield loaded


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
