"""Poll the NYC Open Data SODA API for new and changed 311 requests and send them as events.

Why keyset paging on (:updated_at, unique_key): the city updates rows while we page, so $offset
paging can skip or repeat rows; asking for rows strictly after the last (updated_at, key) we sent,
in that order, cannot. The high-water mark is saved (atomically: written, fsynced, then renamed over
the old one, and the folder fsynced) only after the sink has the page acknowledged (Kafka: flush +
every future), so a crash re-sends at most one page, never loses one; re-sent events are harmless
(the streaming job upserts by unique key). A row that is not a usable event goes to the sink's dead
letters with its reason. "Caught up" means a page shorter than the $limit actually asked for (the
page size capped at MAX_PAGE), so a page size above the cap never ends paging early.

Back-off: HTTP 429 and 5xx and connection errors are retried with exponential back-off (honouring
Retry-After), up to `max_tries`; other 4xx are errors (bad dataset id or query).
"""
from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import requests

from pipeline.streams import events as ev

log = logging.getLogger("pipeline.producers.socrata")

# SODA field -> normalised field (pipeline/schema.py)
SODA_FIELDS = {
    "unique_key": "unique_key", "created_date": "created_at", "closed_date": "closed_at", "due_date": "due_at",
    "resolution_action_updated_date": "updated_at", "agency": "agency", "agency_name": "agency_name",
    "complaint_type": "complaint_type", "descriptor": "descriptor", "status": "status", "borough": "borough",
    "community_board": "community_district", "incident_zip": "zip", "open_data_channel_type": "channel",
    "latitude": "latitude", "longitude": "longitude", "incident_address": "incident_address",
    "address_type": "address_type", "intersection_street_1": "intersection_street_1",
    "intersection_street_2": "intersection_street_2",
}
MAX_PAGE = 50_000


class SocrataError(RuntimeError):
    """The API refused the query or stayed unavailable; the message says which and why."""


def query_params(hwm: tuple[str, str], limit: int) -> dict[str, str]:
    """SODA parameters for the page after high-water mark (updated_at, unique_key)."""
    ts, key = hwm
    where = f":updated_at > '{ts}'" + (f" OR (:updated_at = '{ts}' AND unique_key > '{key}')" if key else "")
    return {"$select": ":*, *", "$where": where, "$order": ":updated_at, unique_key", "$limit": str(page_limit(limit))}


def page_limit(page_size: int) -> int:
    """The $limit a page asks for: the page size, capped at what the API serves in one page."""
    return min(page_size, MAX_PAGE)


def event_of(row: dict, produced_at: datetime) -> dict:
    """An event from one SODA row (field names as the API returns them)."""
    rec = ev.record_from_raw({norm: row.get(soda) for soda, norm in SODA_FIELDS.items()}, ev.soda_time)
    kind = ev.lifecycle_type(rec)
    when = {"closed": rec["closed_at"], "updated": rec["updated_at"]}.get(kind) or rec["created_at"]
    return ev.make_event(rec, kind, when, produced_at, "socrata")


class Poller:
    def __init__(self, base_url: str, dataset: str, app_token: str, state_path: Path, since: str,
                 page_size: int = MAX_PAGE, max_tries: int = 8, backoff_s: float = 1.0,
                 sleep: Callable[[float], None] = time.sleep, session: requests.Session | None = None):
        self.url = f"{base_url.rstrip('/')}/resource/{dataset}.json"
        self.headers = {"Accept": "application/json", **({"X-App-Token": app_token} if app_token else {})}
        self.state_path, self.since, self.page_size = state_path, since, page_size
        self.max_tries, self.backoff_s, self.sleep = max_tries, backoff_s, sleep
        self.session = session or requests.Session()

    # -- high-water mark ----------------------------------------------------------------------------
    def load_mark(self) -> tuple[str, str]:
        if self.state_path.exists():
            saved = json.loads(self.state_path.read_text())
            return saved["updated_at"], saved["unique_key"]
        return self.since, ""

    def save_mark(self, mark: tuple[str, str]) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_name(f".{self.state_path.name}.tmp")
        with open(tmp, "w") as fh:
            fh.write(json.dumps({"updated_at": mark[0], "unique_key": mark[1]}))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.state_path)
        folder = os.open(self.state_path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)  # the rename itself survives a power cut
        finally:
            os.close(folder)

    # -- fetching -----------------------------------------------------------------------------------
    def fetch(self, mark: tuple[str, str]) -> list[dict]:
        params = query_params(mark, self.page_size)
        for attempt in range(self.max_tries):
            wait = self.backoff_s * 2 ** attempt
            try:
                resp = self.session.get(self.url, params=params, headers=self.headers, timeout=60)
            except requests.RequestException as exc:
                log.warning("socrata: %s; retrying in %.1f s", exc, wait)
                self.sleep(wait)
                continue
            if resp.status_code == 200:
                return resp.json()
            if resp.status_code == 429 or resp.status_code >= 500:
                retry_after = resp.headers.get("Retry-After", "")
                wait = float(retry_after) if retry_after.isdigit() else wait
                log.warning("socrata: HTTP %s; retrying in %.1f s", resp.status_code, wait)
                self.sleep(wait)
                continue
            raise SocrataError(f"{self.url}: HTTP {resp.status_code}: {resp.text[:300]}")
        raise SocrataError(f"{self.url}: no answer after {self.max_tries} tries")

    def poll_once(self, sink) -> tuple[int, bool]:
        """Send one page; returns (events sent, caught up). Unusable rows go to the dead letters."""
        mark = self.load_mark()
        rows = self.fetch(mark)
        produced = datetime.now(UTC)
        batch, dead = [], []
        for row in rows:
            try:
                batch.append(event_of(row, produced))
            except (ev.MalformedEvent, ValueError, TypeError) as exc:
                log.warning("socrata: row %s to the dead letters: %s", row.get("unique_key"), exc)
                dead.append(ev.dead_letter(f"socrata row: {exc}", json.dumps(row), source="socrata",
                                           dead_at=produced.isoformat(timespec="milliseconds")))
        if batch:
            sink.send(batch)  # returns once acknowledged
        if dead:
            sink.dead_letters(dead)
        if rows:
            self.save_mark((rows[-1][":updated_at"], rows[-1]["unique_key"]))
        return len(batch), len(rows) < page_limit(self.page_size)

    def run(self, sink, once: bool = False, poll_seconds: float = 60.0) -> int:
        sent = 0
        while True:
            n, caught_up = self.poll_once(sink)
            sent += n
            if caught_up:
                if once:
                    return sent
                self.sleep(poll_seconds)
