"""`python -m pipeline produce`: send live service-request events to the stream.

    python -m pipeline produce --synthetic --rate 20 [--count N | --duration S]
    python -m pipeline produce --replay EXPORT.csv --speed 60
    python -m pipeline produce --socrata [--once]

Where the events go is stream_url, through the stream gateway (pipeline/streams/): a Kafka topic
or the embedded spool folder.
"""
from __future__ import annotations

import argparse
import csv
import heapq
import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipeline import provenance
from pipeline.schema import BOROUGH_POPULATION, UNSPECIFIED
from pipeline.settings import Settings
from pipeline.settings import load as load_settings
from pipeline.stores import open_store
from pipeline.streams import events as ev
from pipeline.streams import open_stream

log = logging.getLogger("pipeline.producers.produce")


# -- synthetic --------------------------------------------------------------------------------------

def sample_places(sample_csv: Path) -> dict[str, list[dict]]:
    """Real places (ZIP, district, coordinates) per borough, from the shared sample export."""
    places: dict[str, list[dict]] = {}
    for rec in read_export(sample_csv):
        if rec["borough"] != UNSPECIFIED and rec["latitude"] is not None:
            places.setdefault(rec["borough"], []).append(
                {k: rec[k] for k in ("borough", "zip", "community_district", "latitude", "longitude")})
    return places


class Synthetic:
    """Live requests with the history generator's calibrated mix (pipeline/synthetic/): complaint
    type by yearly weight, borough by population times the type's borough multiplier, a real place in
    that borough; some requests close later after a lognormal resolution time (sped up so closures
    show within a session)."""

    def __init__(self, places: dict[str, list[dict]], seed: int | None = None, close_speedup: float = 60.0):
        from pipeline.synthetic.complaints import AGENCY_NAMES, TYPES
        self.rng = random.Random(seed)
        self.types, self.agency_names = TYPES, AGENCY_NAMES
        self.type_weights = [t.weight for t in TYPES]
        self.places = places
        self.close_speedup = close_speedup
        self.pending: list[tuple[float, int, dict]] = []  # (close time, seq, record)
        self.seq = 0
        self.key_base = int(time.time() * 1000) % 10**12 * 100

    def new_request(self, now: datetime) -> dict:
        t = self.rng.choices(self.types, self.type_weights)[0]
        boros = [b for b in BOROUGH_POPULATION if b in self.places]
        boro = self.rng.choices(boros, [BOROUGH_POPULATION[b] * t.boroughs.get(b, 1.0) for b in boros])[0]
        place = self.rng.choice(self.places[boro])
        self.seq += 1
        created = now.astimezone(ev.NY).replace(microsecond=0)
        rec = {
            "unique_key": str(self.key_base + self.seq), "created_at": created, "closed_at": None, "due_at": None,
            "updated_at": None, "agency": t.agency, "agency_name": self.agency_names.get(t.agency),
            "complaint_type": t.name, "descriptor": self.rng.choices(list(t.descriptors), list(t.descriptors.values()))[0],
            "status": "Open", "channel": self.rng.choice(("PHONE", "ONLINE", "MOBILE")), **place,
            "created_month": created.strftime("%Y-%m"),
        }
        hours = t.median_h * self.rng.lognormvariate(0, t.sigma)
        close_in = hours * 3600 / self.close_speedup
        if close_in < 3600:  # only closures that come within the hour: the live window
            heapq.heappush(self.pending, (time.time() + close_in, self.seq, rec))
        return rec

    def due_closures(self, now: datetime) -> list[dict]:
        out = []
        while self.pending and self.pending[0][0] <= now.timestamp():
            _, _, rec = heapq.heappop(self.pending)
            closed = now.astimezone(ev.NY).replace(microsecond=0)
            out.append({**rec, "closed_at": max(closed, rec["created_at"]), "updated_at": closed, "status": "Closed"})
        return out


def run_synthetic(sink, gen: Synthetic, rate: float, count: int | None, duration: float | None,
                  clock: Callable[[], float] = time.time) -> int:
    """Send `rate` new requests a second (plus their closures) in batches of ~50 ms; returns events sent."""
    start = clock()
    created = sent = 0
    while (count is None or created < count) and (duration is None or clock() - start < duration):
        due = int((clock() - start) * rate) + 1 - created
        if count is not None:
            due = min(due, count - created)
        now = datetime.now(UTC)
        produced = datetime.now(UTC)
        batch = [ev.make_event(r, "created", r["created_at"], produced, "synthetic")
                 for r in (gen.new_request(now) for _ in range(max(due, 0)))]
        batch += [ev.make_event(r, "closed", r["closed_at"], produced, "synthetic") for r in gen.due_closures(now)]
        created += max(due, 0)
        if batch:
            sink.send(batch)
            sent += len(batch)
        time.sleep(max(0.0, sink.interval - (clock() - now.timestamp())))
    return sent


# -- replay -----------------------------------------------------------------------------------------

def read_export(path: Path) -> Iterator[dict]:
    """Normalised records of an export CSV, columns picked by header name (rows without a key or
    created date are skipped with a warning)."""
    from pipeline.ingest.exports import EXPORT_COLUMNS
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            raw = {name: row.get(header) for header, name in EXPORT_COLUMNS.items()}
            try:
                yield ev.record_from_raw(raw, ev.export_time)
            except (ev.MalformedEvent, ValueError) as exc:
                log.warning("%s:%d skipped: %s", path, line, exc)


def run_replay(sink, path: Path, speed: float, batch_size: int = 500,
               sleep: Callable[[float], None] = time.sleep) -> int:
    """Send every request of an export in created-time order, `speed` times faster than it happened
    (0: as fast as possible); each row is one event of its current state."""
    records = sorted(read_export(path), key=lambda r: (r["created_at"], r["unique_key"]))
    if not records:
        return 0
    first, start, batch, sent = records[0]["created_at"], time.time(), [], 0
    for rec in records:
        if speed > 0:
            wait = (rec["created_at"] - first).total_seconds() / speed - (time.time() - start)
            if wait > 0.05 or len(batch) >= batch_size:
                if batch:
                    sink.send(batch)
                    sent, batch = sent + len(batch), []
                sleep(max(0.0, wait))
        batch.append(ev.make_event(rec, ev.lifecycle_type(rec), rec["created_at"], datetime.now(UTC), "replay"))
        if len(batch) >= batch_size:
            sink.send(batch)
            sent, batch = sent + len(batch), []
    if batch:
        sink.send(batch)
        sent += len(batch)
    return sent


# -- command ----------------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--synthetic", action="store_true", help="generate realistic live requests")
    mode.add_argument("--replay", type=Path, metavar="PATH", help="replay a 311 export CSV in created-time order")
    mode.add_argument("--socrata", action="store_true", help="poll NYC Open Data (settings socrata_*)")
    mode.add_argument("--auto", action="store_true",
                      help="follow what `bootstrap` loaded: the city's feed after real history, else synthetic")
    parser.add_argument("--rate", type=float, default=20.0, help="synthetic: new requests per second")
    parser.add_argument("--count", type=int, help="synthetic: stop after this many new requests")
    parser.add_argument("--duration", type=float, help="synthetic: stop after this many seconds")
    parser.add_argument("--seed", type=int, help="synthetic: random seed")
    parser.add_argument("--speed", type=float, default=60.0, help="replay: times faster than real time (0: no waits)")
    parser.add_argument("--once", action="store_true", help="socrata: fetch until caught up, then stop")
    parser.add_argument("--since", help="socrata: first poll starts at this :updated_at (default: 24 h ago)")
    parser.add_argument("--poll-seconds", type=float, default=None,
                        help="socrata: wait between polls when caught up (default: the socrata_poll_s setting)")
    parser.add_argument("--page-size", type=int, default=50_000, help="socrata: rows per request ($limit)")
    parser.add_argument("--state", type=Path, default=None,
                        help="socrata: high-water mark file (default var/socrata-<dataset>.json)")


def live_load(args: argparse.Namespace, settings: Settings) -> provenance.Load:
    """What this producer feeds the store, for the provenance record: a synthetic feed (seed), a replay
    (the file's facts; synthetic when its sidecar says so) or the city's feed. Days run from today
    (New York) until the producer stops; a replay's are its rows' created days."""
    today = datetime.now(ev.NY).date().isoformat()
    load_id = f"produce-{os.getpid()}-{datetime.now(UTC):%Y%m%dT%H%M%S}"
    if args.synthetic:
        return provenance.make("synthetic", None, today, None, load_id, generator="python -m pipeline produce --synthetic",
                               seed=args.seed, rate=args.rate)
    if args.replay:
        days = sorted(r["created_at"].astimezone(ev.NY).date().isoformat() for r in read_export(args.replay))
        load = provenance.file_load(str(args.replay), len(days), days[0] if days else None,
                                    days[-1] if days else None, load_id)
        return replace(load, kind="replay")
    return provenance.make("live", None, today, None, load_id, source=f"{settings.socrata_url} {settings.socrata_dataset}")


def record_live(settings: Settings, load: provenance.Load) -> None:
    """Record the producer's load; a store that does not answer (or has no tables yet) is logged, not
    fatal: the feed goes on. No ensure_schema here: creating Cassandra tables from two processes at
    once (this and the streaming job) can disagree; `make run` creates them before the producer starts."""
    try:
        with open_store(settings.store_url, settings) as store:
            provenance.record(store, load)
    except Exception as exc:  # noqa: BLE001 - any store failure: say so and keep producing
        log.error("could not record this producer's provenance in %s: %s", settings.store_url, exc)


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = settings or load_settings()
    if args.auto:  # the Procfile's producer: the same kind of data as the history make run loaded
        from pipeline.bootstrap import mode
        args.socrata = mode(settings) == "real"
        args.synthetic = not args.socrata
        log.info("--auto: %s", "following the city's feed" if args.socrata else "synthetic requests")
    sink = open_stream(settings)
    load = live_load(args, settings)
    record_live(settings, load)
    n = -1
    try:
        if args.synthetic:
            from pipeline.settings import DATA_DIR
            gen = Synthetic(sample_places(DATA_DIR / "nyc_311_sample_2022.csv"), seed=args.seed)
            n = run_synthetic(sink, gen, args.rate, args.count, args.duration)
        elif args.replay:
            n = run_replay(sink, args.replay, args.speed)
        else:
            from pipeline.producers import socrata
            since = args.since or (datetime.now(ev.NY) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000")
            state = args.state or settings.path(f"var/socrata-{settings.socrata_dataset}.json")
            poller = socrata.Poller(settings.socrata_url, settings.socrata_dataset, settings.socrata_app_token,
                                    state, since=since, page_size=args.page_size)
            poll = float(settings.socrata_poll_s) if args.poll_seconds is None else args.poll_seconds
            n = poller.run(sink, once=args.once, poll_seconds=poll)
    except KeyboardInterrupt:
        n = -1
    finally:
        sink.close()
        if load.last_day is None:  # a feed: it ends now
            load = replace(load, last_day=datetime.now(ev.NY).date().isoformat())
        record_live(settings, replace(load, rows=n if n >= 0 else load.rows))
    log.info("sent %s event(s)", n if n >= 0 else "some")
    return 0
