"""`python -m pipeline bootstrap`: what the first `make run` loads into an empty embedded store.

Real data first: with `data_source` = auto, when the city's API answers a one-row query, the last
90 days are fetched (pipeline/ingest/fetch.py) and the live producer follows the city's feed; when it does
not (no internet), half a year of synthetic history at the city's volume plus the real sample is
loaded, the store records it as synthetic (pipeline/provenance.py) and every page shows the banner.
`data_source` = real or synthetic forces either (real fails with a clear error when the API does
not answer). The choice is written to var/raw/data-source, which `produce --auto` (the Procfile's
producer) reads, so the live feed matches the history.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from datetime import datetime, timedelta

import requests

from pipeline.ingest import fetch
from pipeline.producers.socrata import SocrataError
from pipeline.settings import DATA_DIR, ROOT, Settings
from pipeline.streams.events import NY

REAL_DAYS = 90
SAMPLE_CSV = DATA_DIR / "nyc_311_sample_2022.csv"
MODE_FILE = "data-source"  # under raw_path: what the bootstrap loaded


def api_answers(settings: Settings, timeout: float = 5.0) -> bool:
    """Whether the city's API answers a one-row query of the current dataset (no retries: a quick probe)."""
    url = f"{settings.socrata_url.rstrip('/')}/resource/{settings.socrata_dataset}.json"
    headers = {"X-App-Token": settings.socrata_app_token} if settings.socrata_app_token else {}
    try:
        return requests.get(url, params={"$limit": "1"}, headers=headers, timeout=timeout).status_code == 200
    except requests.RequestException:
        return False


def choose(settings: Settings, probe=api_answers) -> str:
    """'real' or 'synthetic' for this start; raises SocrataError when real is forced and the API is silent."""
    if settings.data_source == "synthetic":
        return "synthetic"
    if probe(settings):
        return "real"
    if settings.data_source == "real":
        raise SocrataError(f"data_source=real but {settings.socrata_url} does not answer: check the network, "
                           "or set NYC311_DATA_SOURCE=synthetic")
    return "synthetic"


def mode(settings: Settings) -> str:
    """What the last bootstrap loaded ('real' | 'synthetic'); synthetic when it never ran."""
    f = settings.path(settings.raw_path) / MODE_FILE
    return f.read_text().strip() if f.exists() else "synthetic"


def load_real(spark, store, settings: Settings, days: int = REAL_DAYS, progress: bool = True):
    """Fetch the last `days` days (New York) from the API and load them."""
    today = datetime.now(NY).date()
    parts = fetch.plan(today - timedelta(days=days - 1), today, settings.socrata_dataset, settings.socrata_legacy_dataset)
    raw = settings.path(settings.raw_path)
    session = fetch.retrying_session(settings.socrata_app_token)
    fetched = fetch.fetch(settings.socrata_url, parts, raw, session, progress=progress)
    return fetch.load(spark, store, fetched, raw, str(settings.path(settings.lake_path)),
                      str(settings.path(settings.quarantine_path)))


def load_synthetic(spark, store, settings: Settings, years: float, rows_per_year: int, seed: int = 311):
    """Generate synthetic history (recorded as synthetic by its sidecar) and load it with the real sample."""
    out = settings.path(settings.raw_path) / "synthetic" / "synthetic.csv"
    subprocess.run([sys.executable, "-m", "pipeline", "generate", "--years", str(years), "--rows-per-year",
                    str(rows_per_year), "--seed", str(seed), "--out", str(out)], cwd=ROOT, check=True)
    return fetch.load_files(spark, store, {"synthetic.csv": out, "nyc_311_sample_2022.csv": SAMPLE_CSV},
                            settings.path(settings.raw_path), str(settings.path(settings.lake_path)),
                            str(settings.path(settings.quarantine_path)))


def bootstrap(spark, store, settings: Settings, years: float = 0.5, rows_per_year: int = 3_200_000,
              probe=api_answers, progress: bool = True) -> str:
    """Load the first data into the store; returns and records the mode ('real' | 'synthetic')."""
    chosen = choose(settings, probe)
    if chosen == "real":
        try:
            load_real(spark, store, settings, progress=progress)
        except SocrataError as exc:
            if settings.data_source == "real":
                raise
            print(f"bootstrap: the city's API stopped answering ({exc}); using synthetic history instead",
                  file=sys.stderr)
            chosen = "synthetic"
    if chosen == "synthetic":
        load_synthetic(spark, store, settings, years, rows_per_year)
    f = settings.path(settings.raw_path) / MODE_FILE
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text(chosen + "\n")
    return chosen


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--years", type=float, default=0.5, help="synthetic: years of history")
    parser.add_argument("--rows-per-year", type=int, default=3_200_000, help="synthetic: requests a year")


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    from pipeline.settings import load
    from pipeline.spark import build_session
    from pipeline.stores import open_store
    s = settings or load()
    t0 = time.monotonic()
    try:
        chosen = choose(s)
    except SocrataError as exc:
        print(f"bootstrap: {exc}", file=sys.stderr)
        return 1
    print(f"bootstrap: {'the city API answers: fetching the last 90 days' if chosen == 'real' else 'synthetic history (the banner will say so)'}",
          file=sys.stderr)
    spark = build_session("nyc311-bootstrap", s)
    try:
        with open_store(s.store_url, s) as store:
            chosen = bootstrap(spark, store, s, args.years, args.rows_per_year, probe=lambda _s: chosen == "real")
    except SocrataError as exc:
        print(f"bootstrap: {exc}", file=sys.stderr)
        return 1
    finally:
        spark.stop()
    print(f"bootstrap: loaded {chosen} data in {time.monotonic() - t0:,.0f} s", file=sys.stderr)
    return 0
