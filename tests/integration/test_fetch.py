"""`fetch` against a local stand-in of the city's API (tests/fixtures/socrata/server.py) serving
recorded real rows of both datasets (erm2-nwe9, and 76ig-c548 rows derived from the same real
requests five years earlier), with a 429, a 500 and an interruption mid-way: the first run stops
with a clear error, a re-run continues where it stopped, and the loaded counts equal a recount of
the served rows, each row once. Real Spark; the embedded SQLite store."""
from __future__ import annotations

import gzip
import importlib.util
import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from pipeline import provenance
from pipeline.ingest import fetch
from pipeline.lake import table as lake
from pipeline.producers.socrata import SocrataError
from pipeline.read.api import Filters, ReadAPI
from pipeline.stores import open_store

pytestmark = pytest.mark.integration

_spec = importlib.util.spec_from_file_location(
    "socrata_fixture_server", Path(__file__).parents[1] / "fixtures" / "socrata" / "server.py")
fixture_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture_server)

CURRENT, LEGACY = "erm2-nwe9", "76ig-c548"
TRIES = 3
# one item per request: legacy count, page 1 (429 then ok), page 2 (500 then ok), page 3 (dropped
# more often than the client retries: the run is interrupted)
FAULTS = ["ok", "429", "ok", "500", "ok", *["drop"] * (TRIES + 1)]


def data_pages(requests: list[dict]) -> list[tuple[str, str | None]]:
    """(path, after-key) of every page request."""
    return [(r["path"], r["query"]["$where"].partition("unique_key > ")[2].strip("'") or None)
            for r in requests if "$order" in r["query"]]


def test_fetch_resumes_and_loads_every_served_row_once(spark, tmp_path):
    datasets = {CURRENT: fixture_server.ROWS, LEGACY: fixture_server.legacy_rows()}
    parts = fetch.plan(date(2017, 4, 30), date(2022, 5, 1), CURRENT, LEGACY)
    assert parts == [fetch.Part(LEGACY, date(2017, 4, 30), date(2019, 12, 31)),
                     fetch.Part(CURRENT, date(2020, 1, 1), date(2022, 5, 1))]
    raw = tmp_path / "raw"
    with fixture_server.SodaServer(datasets, faults=FAULTS) as soda:
        session = fetch.retrying_session("tok", tries=TRIES, backoff_s=0.01)
        with pytest.raises(SocrataError, match="re-run to continue"):
            fetch.fetch(soda.url, parts, raw, session, page_size=25)
        state = json.loads((raw / LEGACY / parts[0].name / "state.json").read_text())
        assert state["pages"] == 2 and state["rows"] == 50 and not state["downloaded"]
        assert len(soda.served) == 50
        first_run = len(soda.requests)

        fetched = fetch.fetch(soda.url, parts, raw, session, page_size=25)
        resumed = data_pages(soda.requests[first_run:])
        assert resumed[0] == (f"/resource/{LEGACY}.json", state["last_key"])  # continued, did not start over
    assert {r["token"] for r in soda.requests} == {"tok"}
    assert all(int(r["query"]["$limit"]) <= 50_000 for r in soda.requests if "$limit" in r["query"])

    served_keys = [(ds, r["unique_key"]) for ds, r in soda.served]
    assert len(served_keys) == len(set(served_keys)) == 2 * 119  # 120 recorded rows, one without created_date
    pages = sorted((raw / LEGACY / parts[0].name).glob("page-*.json.gz"))
    assert len(pages) == 5 and sum(len(json.loads(gzip.decompress(p.read_bytes()))) for p in pages) == 119

    store = open_store(f"sqlite:///{tmp_path}/rollups.db")
    fetch.load(spark, store, fetched, raw, str(tmp_path / "lake"), str(tmp_path / "quarantine"))
    served_days = Counter(r["created_date"][:10] for _, r in soda.served)
    api = ReadAPI(store, cache=False)
    got = api.counts("day", Filters())
    assert dict(zip(got["day"].astype(str), got["count"], strict=True)) == served_days
    assert lake.read(spark, str(tmp_path / "lake")).count() == len(served_keys)

    loads = [x for x in provenance.loads(store) if x.kind == "api"]
    assert {(x.detail["dataset"], x.rows, x.first_day) for x in loads} == {
        (LEGACY, 119, "2017-05-01"), (CURRENT, 119, "2022-05-01")}
    assert not any(x.synthetic for x in provenance.loads(store))

    # a third run finds everything loaded and asks the API nothing
    with fixture_server.SodaServer(datasets) as soda:
        assert fetch.fetch(soda.url, parts, raw, fetch.retrying_session("", 1, 0.01), page_size=25) == []
        assert soda.requests == []
    store.close()
