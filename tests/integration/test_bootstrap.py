"""`make run`'s first start (pipeline/bootstrap.py, called by scripts/bootstrap-embedded.sh): with the
API setting pointed at the local stand-in of the city's API it loads the last 90 days from it and the
producer follows the city's feed; pointed at a closed port it falls back to synthetic history, the
store records it as synthetic and the banner shows. Real Spark; embedded SQLite stores."""
from __future__ import annotations

import importlib.util
import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app import provenance_view
from pipeline import bootstrap, provenance
from pipeline.read.api import Filters, ReadAPI
from pipeline.settings import load
from pipeline.stores import open_store
from pipeline.streams.events import NY

pytestmark = pytest.mark.integration

_spec = importlib.util.spec_from_file_location(
    "socrata_fixture_server", Path(__file__).parents[1] / "fixtures" / "socrata" / "server.py")
fixture_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture_server)


def settings_for(tmp: Path, api_url: str, source: str = "auto"):
    return load(env={**os.environ, "NYC311_STORE_URL": f"sqlite:///{tmp}/rollups.db", "NYC311_LAKE_PATH": str(tmp / "lake"),
                     "NYC311_QUARANTINE_PATH": str(tmp / "quarantine"), "NYC311_RAW_PATH": str(tmp / "raw"),
                     "NYC311_SOCRATA_URL": api_url, "NYC311_DATA_SOURCE": source})


def closed_port() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens once the socket is closed


def test_first_start_loads_the_last_90_days_when_the_api_answers(spark, tmp_path):
    yesterday = datetime.now(NY).date() - timedelta(days=1)
    old = fixture_server.recent_rows(yesterday - timedelta(days=120))  # outside the 90 days: not fetched
    rows = fixture_server.recent_rows(yesterday) + [{**r, "unique_key": "9" + r["unique_key"]} for r in old]
    with fixture_server.SodaServer(rows, throttle_first=0) as soda:
        s = settings_for(tmp_path, soda.url)
        assert bootstrap.api_answers(s, timeout=5)
        with open_store(s.store_url) as store:
            assert bootstrap.bootstrap(spark, store, s, years=0.01, rows_per_year=1_000, progress=False) == "real"
            loads = provenance.loads(store)
            counts = ReadAPI(store, cache=False).counts("day", Filters())
    assert [(x.kind, x.detail["dataset"], x.rows, x.synthetic) for x in loads] == [("api", "erm2-nwe9", 119, False)]
    assert loads[0].detail["since"] == (datetime.now(NY).date() - timedelta(days=89)).isoformat()
    assert dict(zip(counts["day"].astype(str), counts["count"], strict=True)) == {yesterday.isoformat(): 119}
    assert bootstrap.mode(s) == "real"  # the Procfile's `produce --auto` follows the city's feed
    assert provenance_view.banner(provenance.synthetic_in(loads, None, None)) is None


def test_first_start_falls_back_to_synthetic_with_the_banner(spark, tmp_path):
    s = settings_for(tmp_path, closed_port())
    assert not bootstrap.api_answers(s, timeout=2)
    with open_store(s.store_url) as store:
        assert bootstrap.bootstrap(spark, store, s, years=0.02, rows_per_year=50_000, progress=False) == "synthetic"
        loads = provenance.loads(store)
        days = ReadAPI(store, cache=False).counts("day", Filters())
        per_day = dict(zip(days["day"].astype(str), days["count"], strict=True))
    by_kind = {x.kind: x for x in loads}
    assert set(by_kind) == {"synthetic", "export"}
    synth, sample = by_kind["synthetic"], by_kind["export"]
    assert synth.synthetic and synth.detail["seed"] == 311 and synth.detail["generator"] == "python -m pipeline generate"
    assert not sample.synthetic and sample.detail["file"] == "nyc_311_sample_2022.csv" and len(sample.detail["sha256"]) == 64
    assert per_day.pop("2022-05-01") == sample.rows == 924  # the real sample, every row
    # the synthetic file's usable rows; a few are later versions of one request (the lake keeps one)
    assert all(synth.first_day <= d <= synth.last_day for d in per_day)
    assert 0.99 * synth.rows <= sum(per_day.values()) <= synth.rows
    assert bootstrap.mode(s) == "synthetic"
    alert = provenance_view.banner(provenance.synthetic_in(loads, None, None))
    assert alert is not None and "Synthetic data" in str(alert.children[0].children)


def test_forced_settings(tmp_path):
    assert bootstrap.choose(settings_for(tmp_path, closed_port(), "synthetic"), probe=lambda _s: True) == "synthetic"
    with pytest.raises(bootstrap.SocrataError, match="data_source=real"):
        bootstrap.choose(settings_for(tmp_path, closed_port(), "real"))
