"""`python -m pipeline fetch --since DATE [--until DATE]`: the city's 311 history from its API, loaded
through the batch job.

    download (resumable) -> var/raw/<dataset>/<since>_<until>/page-NNNNNN.json.gz
    -> export-format CSV (export headers, pipeline/ingest/exports.py) + a provenance sidecar -> batch load

Why two datasets: NYC Open Data serves 2020 onward as erm2-nwe9 and 2010-2019 as 76ig-c548, so a
range is split at 2020-01-01. Their API field names are the export headers in snake case ("Incident
Zip" -> incident_zip), so one mapping turns any page into export columns and the batch job loads it
unchanged, quarantining what it cannot use.

Why keyset paging on unique_key (`unique_key > last ORDER BY unique_key`), at most 50,000 rows a
page: $offset paging re-reads skipped rows on every page and misses or repeats rows when the city
edits the dataset meanwhile; a key bound cannot. A page is written (atomically) before the state
file names it, so an interrupted run re-fetches at most the page it was on: a re-run continues
where it stopped. Retries (429, 5xx, dropped connections, honouring Retry-After) are urllib3's
Retry on the requests session; the progress bar (rows, rate, ETA) is tqdm's.
"""
from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import re
import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from tqdm import tqdm
from urllib3.util import Retry

from pipeline import provenance
from pipeline.ingest.exports import EXPORT_COLUMNS
from pipeline.producers.socrata import MAX_PAGE, SocrataError
from pipeline.streams.events import NY

ERA_SPLIT = date(2020, 1, 1)  # first day of erm2-nwe9; 76ig-c548 holds the days before
RETRY_STATUS = (429, 500, 502, 503, 504)


def api_field(header: str) -> str:
    """The API's field name for an export header: snake case ('Open Data Channel Type' -> open_data_channel_type)."""
    return re.sub(r"[^a-z0-9]+", "_", header.lower()).strip("_")


HEADERS = list(EXPORT_COLUMNS)
FIELDS = {h: api_field(h) for h in HEADERS}


@dataclass(frozen=True)
class Part:
    """One dataset's share of a range: created days since..until (both inclusive)."""
    dataset: str
    since: date
    until: date

    @property
    def name(self) -> str:
        return f"{self.since}_{self.until}"


def plan(since: date, until: date, current: str, legacy: str) -> list[Part]:
    """Split since..until (inclusive) at 2020-01-01 between the legacy and the current dataset."""
    if since > until:
        raise ValueError(f"--since {since} is after --until {until}")
    parts = []
    if since < ERA_SPLIT:
        parts.append(Part(legacy, since, min(until, ERA_SPLIT - timedelta(days=1))))
    if until >= ERA_SPLIT:
        parts.append(Part(current, max(since, ERA_SPLIT), until))
    return parts


def where(part: Part, after_key: str | None = None) -> str:
    """SoQL filter: created in the part's days (New York floating time), keys after `after_key`."""
    w = (f"created_date >= '{part.since}T00:00:00.000' AND "
         f"created_date < '{part.until + timedelta(days=1)}T00:00:00.000'")
    return w + (f" AND unique_key > '{after_key}'" if after_key else "")


def page_params(part: Part, after_key: str | None, limit: int) -> dict[str, str]:
    return {"$where": where(part, after_key), "$order": "unique_key", "$limit": str(min(limit, MAX_PAGE))}


def retrying_session(token: str, tries: int = 8, backoff_s: float = 1.0) -> requests.Session:
    """A session that retries 429/5xx and dropped connections with exponential back-off, waiting as
    long as Retry-After says when the server sends it (urllib3 Retry)."""
    retry = Retry(total=tries, backoff_factor=backoff_s, status_forcelist=RETRY_STATUS,
                  allowed_methods=frozenset({"GET"}), respect_retry_after_header=True, raise_on_status=False)
    session = requests.Session()
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.headers.update({"Accept": "application/json", **({"X-App-Token": token} if token else {})})
    return session


class Downloader:
    """Fetches one part page by page into its raw folder, resumable from state.json."""

    def __init__(self, base_url: str, session: requests.Session, raw_dir: Path, page_size: int = MAX_PAGE,
                 progress: bool = True):
        self.base_url, self.session, self.raw_dir = base_url.rstrip("/"), session, raw_dir
        self.page_size, self.progress = min(page_size, MAX_PAGE), progress

    def folder(self, part: Part) -> Path:
        return self.raw_dir / part.dataset / part.name

    def state(self, part: Part) -> dict:
        f = self.folder(part) / "state.json"
        return json.loads(f.read_text()) if f.exists() else {"pages": 0, "rows": 0, "last_key": None,
                                                              "downloaded": False, "loaded": False}

    def save_state(self, part: Part, state: dict) -> None:
        _atomic_write(self.folder(part) / "state.json", json.dumps(state).encode())

    def get(self, part: Part, params: dict[str, str]) -> list[dict]:
        url = f"{self.base_url}/resource/{part.dataset}.json"
        try:
            resp = self.session.get(url, params=params, timeout=120)
        except requests.RequestException as exc:
            raise SocrataError(f"{url}: no answer after retries ({exc}); re-run to continue") from None
        if resp.status_code != 200:
            raise SocrataError(f"{url}: HTTP {resp.status_code}: {resp.text[:300]}")
        return resp.json()

    def total(self, part: Part) -> int | None:
        """Rows the part holds (for the progress bar's ETA); None when the API will not count."""
        try:
            got = self.get(part, {"$select": "count(*)", "$where": where(part)})
            return int(got[0].get("count", got[0].get("count_1")))
        except (SocrataError, LookupError, TypeError, ValueError):
            return None

    def download(self, part: Part) -> dict:
        """Fetch every page not yet on disk; returns the final state."""
        state = self.state(part)
        if state["downloaded"]:
            return state
        folder = self.folder(part)
        folder.mkdir(parents=True, exist_ok=True)
        bar = tqdm(total=self.total(part), initial=state["rows"], unit="rows", unit_scale=True, dynamic_ncols=True,
                   desc=f"{part.dataset} {part.since}..{part.until}", disable=not self.progress, file=sys.stderr)
        try:
            while True:
                rows = self.get(part, page_params(part, state["last_key"], self.page_size))
                if rows:
                    page = state["pages"] + 1
                    _atomic_write(folder / f"page-{page:06d}.json.gz", gzip.compress(json.dumps(rows).encode(), 6))
                    state = {**state, "pages": page, "rows": state["rows"] + len(rows),
                             "last_key": rows[-1]["unique_key"]}
                    bar.update(len(rows))
                if len(rows) < self.page_size:
                    state["downloaded"] = True
                self.save_state(part, state)
                if state["downloaded"]:
                    return state
        finally:
            bar.close()


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def export_row(row: dict) -> list[str]:
    """One API row in export column order ('' where the API left a field out)."""
    return [str(row.get(FIELDS[h], row.get(h, ""))) for h in HEADERS]


def write_export(folder: Path, part: Part, base_url: str) -> Path:
    """All raw pages of a part as one export-format CSV (gzipped) with its provenance sidecar."""
    out = folder / "export.csv.gz"
    tmp = folder / ".export.csv.gz.tmp"
    n, seen = 0, set()
    with gzip.open(tmp, "wt", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADERS)
        for page in sorted(folder.glob("page-*.json.gz")):
            for row in json.loads(gzip.decompress(page.read_bytes())):
                key = row.get("unique_key")
                if key in seen:  # a page re-fetched after an interruption: the lake would keep one anyway
                    continue
                seen.add(key)
                w.writerow(export_row(row))
                n += 1
    os.replace(tmp, out)
    provenance.write_sidecar(out, "api", dataset=part.dataset, since=part.since.isoformat(),
                             until=part.until.isoformat(), url=base_url, served_rows=n)
    return out


def fetch(base_url: str, parts: list[Part], raw_dir: Path, session: requests.Session, page_size: int = MAX_PAGE,
          progress: bool = True) -> list[tuple[Part, Path, dict]]:
    """Download every part (resuming) and write its export CSV; returns (part, csv, state) to load."""
    dl = Downloader(base_url, session, raw_dir, page_size, progress)
    out = []
    for part in parts:
        state = dl.download(part)
        if state["rows"] == 0 and not state["loaded"]:  # nothing in these days: nothing to load
            dl.save_state(part, {**state, "loaded": True})
        elif not state["loaded"]:
            out.append((part, write_export(dl.folder(part), part, base_url), state))
    return out


def load_files(spark, store, files: dict[str, Path], raw_dir: Path, lake_path: str, quarantine_path: str):
    """Load several CSVs in one batch job (one recount of the touched months). The batch job reads a
    folder, so the files are linked into a fresh one; each keeps its own provenance record (the batch
    job resolves the links, so it finds each file's sidecar)."""
    from pipeline.rollups import batch
    folder = raw_dir / "_load" / datetime.now().strftime("%Y%m%dT%H%M%S%f")
    folder.mkdir(parents=True)
    for name, path in files.items():
        (folder / name).symlink_to(Path(path).resolve())
    return batch.load_input(spark, store, str(folder), lake_path, quarantine_path)


def load(spark, store, fetched: list[tuple[Part, Path, dict]], raw_dir: Path, lake_path: str,
         quarantine_path: str):
    """Load every fetched part, then mark the parts loaded so a re-run does not load them again."""
    if not fetched:
        return None
    report = load_files(spark, store, {f"{p.dataset}_{p.name}.csv.gz": csv_path for p, csv_path, _ in fetched},
                        raw_dir, lake_path, quarantine_path)
    for part, _, state in fetched:
        _atomic_write(raw_dir / part.dataset / part.name / "state.json", json.dumps({**state, "loaded": True}).encode())
    return report


# -- command ----------------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", required=True, type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="first day (created, New York time)")
    parser.add_argument("--until", type=date.fromisoformat, metavar="YYYY-MM-DD",
                        help="last day, inclusive (default: today in New York)")
    parser.add_argument("--page-size", type=int, default=MAX_PAGE, help=f"rows per request (at most {MAX_PAGE:,})")
    parser.add_argument("--tries", type=int, default=8, help="retries of a request (429, 5xx, dropped connection)")
    parser.add_argument("--backoff", type=float, default=1.0, help="back-off factor in seconds (doubles each retry)")
    parser.add_argument("--download-only", action="store_true", help="keep the raw pages, do not load them")
    parser.add_argument("--store", metavar="URL", help="rollup store (default: setting store_url)")


def run(args: argparse.Namespace, settings=None) -> int:
    from pipeline.settings import load
    s = settings or load()
    until = args.until or datetime.now(NY).date()
    try:
        parts = plan(args.since, until, s.socrata_dataset, s.socrata_legacy_dataset)
    except ValueError as exc:
        print(f"fetch: {exc}", file=sys.stderr)
        return 2
    raw_dir = s.path(s.raw_path)
    session = retrying_session(s.socrata_app_token, args.tries, args.backoff)
    try:
        fetched = fetch(s.socrata_url, parts, raw_dir, session, args.page_size)
    except SocrataError as exc:
        print(f"fetch: {exc}", file=sys.stderr)
        return 1
    if args.download_only or not fetched:
        print(f"fetch: {len(fetched)} part(s) ready to load under {raw_dir}" if fetched
              else "fetch: every part of this range is already loaded", file=sys.stderr)
        return 0
    from pipeline.spark import build_session
    from pipeline.stores import open_store
    spark = build_session("nyc311-fetch", s)
    try:
        with open_store(args.store or s.store_url, s) as store:
            report = load(spark, store, fetched, raw_dir, str(s.path(s.lake_path)), str(s.path(s.quarantine_path)))
    finally:
        spark.stop()
    print(", ".join(f"{p.dataset} {p.since}..{p.until}: {st['rows']:,} rows served" for p, _, st in fetched))
    print(report.summary())
    return 0
