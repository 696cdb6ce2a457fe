"""Benchmark part 1 (`python -m bench.stream --part catchup`): catching up after downtime.

An hour of downtime at 2,000 events/s leaves 7.2 M messages in Kafka. This part writes such a
backlog into a fresh topic while the job is stopped, then starts the job and measures how it works
the backlog off in bounded micro-batches (stream_max_offsets_per_trigger):
- the catch-up rate (events/s, from the job's start and from its first batch) and its ratio to
  the production rate it has to outrun;
- the peak resident memory of the job's driver JVM, its Python driver and any Python workers,
  together (bench/stream.py PeakMemory, sampled every second);
- whether the live page says it is catching up while the backlog lasts (the note that
  pipeline/read/live.py health_notes derives from the status row);
- whether the live counts equal the distinct requests produced.

Why the backlog is written from templates: building and validating every event with
pipeline/streams/events.py costs ~100 us, 12 minutes for 7.2 M on a busy box; the templates are real
validated events whose key and times are substituted, so the job parses the same messages.
Every tenth event closes a request produced ~1,000 events earlier (the real feed's closings),
so the distinct requests are 90 % of the events.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from bench.stream import Job, live_total, ny_minute
from pipeline.producers.produce import Synthetic, sample_places
from pipeline.read import live as live_read
from pipeline.settings import DATA_DIR, load
from pipeline.stores import StoreUnavailable, open_store
from pipeline.streams import events as ev

CLOSE_EVERY = 10  # every tenth event is a closing
TEMPLATES = 500
_SLOTS = ("K", "C", "E", "P", "M", "X", "U")  # key, created, event time, produced, month, closed, updated


def templates(seed: int = 1) -> list[tuple[str, str]]:
    """(created, closed) message templates: validated synthetic events with str.format slots for
    the key and the times ({K} {C} {E} {P} {M} {X} {U}; {X} and {U} are JSON values, quoted or null)."""
    gen = Synthetic(sample_places(DATA_DIR / "nyc_311_sample_2022.csv"), seed=seed)
    now = datetime.now(UTC)
    out = []
    for _ in range(TEMPLATES):
        rec = gen.new_request(now)
        closed = {**rec, "closed_at": rec["created_at"], "updated_at": rec["created_at"], "status": "Closed"}
        pair = []
        for kind, r in (("created", rec), ("closed", closed)):
            e = ev.make_event(r, kind, r["created_at"], now, "synthetic")
            e.update(unique_key="@K@", created_at="@C@", event_time="@E@", produced_at="@P@", created_month="@M@",
                     closed_at="@X@", updated_at="@U@")
            t = json.dumps(e, separators=(",", ":")).replace("{", "{{").replace("}", "}}")
            for slot in _SLOTS:
                json_value = slot in ("X", "U")  # filled with a quoted time or null
                t = t.replace(f'"@{slot}@"', f"{{{slot}}}" if json_value else f'"{{{slot}}}"')
            pair.append(t)
        out.append(tuple(pair))
    return out


@lru_cache(maxsize=4096)
def _times(second: int) -> tuple[str, str, str]:
    """(New York ISO time, UTC produced_at, YYYY-MM) of one epoch second: 2,000 events share each."""
    t = datetime.fromtimestamp(second, UTC)
    ny = t.astimezone(ev.NY)
    return ny.isoformat(timespec="seconds"), t.isoformat(timespec="milliseconds"), ny.strftime("%Y-%m")


def backlog_messages(n: int, rate: float, end_s: float, key_base: int, worker: int = 0, workers: int = 1):
    """The (key, value) messages of events worker, worker + workers, ... of a backlog of n events
    produced at `rate` up to `end_s`. Event j is produced (and its request created) at
    end_s - (n - j) / rate; an event j with j % CLOSE_EVERY == CLOSE_EVERY - 1 closes the request of
    event j - 1001 * workers (the same worker's, never itself a closing)."""
    tpl = templates()
    back = 1001 * workers
    for j in range(worker, n, workers):
        t = end_s - (n - j) / rate
        closing = j % CLOSE_EVERY == CLOSE_EVERY - 1 and j >= back
        origin = j - back if closing else j
        created, _, month = _times(int(end_s - (n - origin) / rate))
        now, produced, _ = _times(int(t))
        created_t, closed_t = tpl[origin % TEMPLATES]
        key = str(key_base + origin)
        if closing:
            value = closed_t.format(K=key, C=created, E=now, P=produced, M=month, X=f'"{now}"', U=f'"{now}"')
        else:
            value = created_t.format(K=key, C=created, E=created, P=produced, M=month, X="null", U="null")
        yield key.encode(), value.encode()


def distinct_requests(n: int, workers: int) -> int:
    back = 1001 * workers
    return n - sum(1 for j in range(CLOSE_EVERY - 1, n, CLOSE_EVERY) if j >= back)


def _produce(servers: str, topic: str, n: int, rate: float, end_s: float, key_base: int, worker: int,
             workers: int) -> None:
    from kafka import KafkaProducer
    producer = KafkaProducer(bootstrap_servers=servers, acks=1, linger_ms=100, batch_size=1024 * 1024, compression_type="gzip",
                             max_request_size=4 * 1024 * 1024)
    for key, value in backlog_messages(n, rate, end_s, key_base, worker, workers):
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def produce_backlog(servers: str, topic: str, n: int, rate: float, workers: int) -> dict:
    """Write the backlog with `workers` producer processes; returns what was written and how fast."""
    end_s, key_base = time.time(), int(time.time() * 1000) % 10**12 * 100
    started = time.time()
    procs = [mp.get_context("fork").Process(target=_produce, args=(servers, topic, n, rate, end_s, key_base, w,
                                                                   workers)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"backlog producer exited with {p.exitcode}")
    took = time.time() - started
    return {"events": n, "requests": distinct_requests(n, workers), "seconds": round(took, 1),
            "events_per_s": round(n / took), "first_minute": ny_minute(end_s - n / rate), "last_minute": ny_minute(end_s)}


def run(args: argparse.Namespace, store_url: str) -> dict:
    """Produce the backlog, start the job, follow its status row every second until the lag is 0."""
    store = open_store(store_url, load())
    store.ensure_schema()
    if args.reuse_backlog:
        made = json.loads(Path(args.reuse_backlog).read_text())
        job = Job(args.kafka, store_url, args.lake_every, topic=made["topic"])
        args.backlog = made["events"]
    else:
        job = Job(args.kafka, store_url, args.lake_every)
        made = {"topic": job.topic, **produce_backlog(args.kafka, job.topic, args.backlog, args.rate, args.producers)}
        (Path(job.work) / "backlog.json").write_text(json.dumps(made))
        print(f"backlog written: {json.dumps(made)} (described in {job.work}/backlog.json)", flush=True)
    progress = open(args.progress, "a") if args.progress else None
    started = time.time()
    job.start()
    first = done = None
    shown, polls, behind, lag = None, 0, 0, None
    while time.time() - started < args.catchup_timeout:
        time.sleep(1)
        try:  # a store restart (another job's test) must not end the measure: the job rides it out
            row = live_read.status(store, job.name)
            notes = live_read.health_notes(row, live_read.health(store, job.name))
        except StoreUnavailable:
            continue
        if row is None or row.get("lag_messages") is None:
            continue
        first = first or time.time()
        lag = int(row["lag_messages"])
        polls += 1
        backlog_note = next((n for n in notes if n.startswith("catching up")), None)
        behind += backlog_note is not None
        shown = shown or backlog_note
        if progress:
            progress.write(json.dumps({"t": round(time.time() - started, 1), "lag": lag, "batch": int(row["batch_id"]),
                                       "note": backlog_note, "memory_mb": job.peak.mb()}) + "\n")
            progress.flush()
        if lag == 0:
            done = time.time()
            break
    end = done or time.time()
    read = args.backlog - (lag if lag is not None else args.backlog)
    total = live_total(store, made["first_minute"], made["last_minute"], made["requests"],
                       tries=60 if done else 1)
    job.stop()
    store.close()
    rate = read / max(end - started, 1e-9)
    return {
        "backlog": made, "caught_up": done is not None, "events_read": read,
        "seconds_to_catch_up": round(end - started, 1),
        "seconds_first_batch": round(first - started, 1) if first else None,
        "catchup_events_per_s": round(rate), "catchup_events_per_s_after_first_batch":
            round(read / max(end - first, 1e-9)) if first else None,
        "catchup_rate_over_production_rate": round(rate / args.rate, 2),
        "extrapolated_seconds_for_7_2M": round(7_200_000 / rate) if rate else None,
        "peak_memory_mb": job.peak.mb(), "max_offsets_per_trigger": job.env.get(
            "NYC311_STREAM_MAX_OFFSETS_PER_TRIGGER", "setting default"),
        "live_page_backlog_note": shown, "polls_showing_backlog": f"{behind}/{polls}",
        "live_count": total, "live_count_equals_requests": total == made["requests"], "work_dir": job.work,
    }
