"""Late closings (the common case on the city's feed): requests loaded by the batch job, closed 3, 10
and 40 days after they were created, the closings arriving through real Kafka into the streaming
job; after the stream and `batch --recompute --since`, the status, resolution and timeliness
rollups in Cassandra equal a recount of the final versions made here in Python."""
from __future__ import annotations

import bisect
import csv
import random
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import pytest

from pipeline.producers.produce import read_export
from pipeline.rollups import batch
from pipeline.rollups.tables import RESOLUTION_BINS_H
from pipeline.stores import open_store
from pipeline.streams import events as ev
from pipeline.streams.kafka import KafkaStream
from tests.support import stream_helpers as h

pytestmark = pytest.mark.integration

FMT = "%m/%d/%Y %I:%M:%S %p"
AGES = (3, 10, 40)  # days between creation and the closing
DUE_AFTER = timedelta(days=5)


def write_export(sample_csv, path, now: datetime) -> None:
    """Ten open requests per age, on real rows of the sample (real places and types), due in 5 days."""
    rng = random.Random(9)
    with open(sample_csv, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows, header = [r for _, r in zip(range(30), reader, strict=False)], reader.fieldnames
    for i, row in enumerate(rows):
        created = (now - timedelta(days=AGES[i % 3], minutes=rng.randrange(600))).astimezone(ev.NY)
        row.update({"Unique Key": f"9{i:07d}", "Created Date": created.strftime(FMT), "Closed Date": "",
                    "Status": "Open", "Due Date": (created + DUE_AFTER).strftime(FMT),
                    "Resolution Action Updated Date": ""})
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header)
        w.writeheader()
        w.writerows(rows)


def recount(records, now: datetime) -> dict[str, Counter]:
    out = {k: Counter() for k in ("status", "resolution", "timeliness")}
    for r in records:
        day = r["created_at"].astimezone(ev.NY).date().isoformat()
        out["status"][(day, r["status"])] += 1
        closed, due = r["closed_at"], r["due_at"]
        if closed is not None and closed > r["created_at"]:
            hours = (closed - r["created_at"]).total_seconds() / 3600
            out["resolution"][(day, bisect.bisect_left(RESOLUTION_BINS_H, hours))] += 1
        out["timeliness"][(day, "with_due")] += 1
        out["timeliness"][(day, "on_time")] += closed is not None and closed <= due
        out["timeliness"][(day, "late")] += closed is not None and closed > due
        out["timeliness"][(day, "open_past_due")] += closed is None and due < now
    return {k: +c for k, c in out.items()}


def stored(store, start: str, end: str) -> dict[str, Counter]:
    status = store.aggregate("status", "day", start, end, ["period", "status"])
    res = store.aggregate("resolution", "day", start, end, ["period", "res_bin"])
    tl = store.aggregate("timeliness", "day", start, end, ["period"])
    return {"status": +Counter({(r.period, r.status): int(r.n) for r in status.itertuples()}),
            "resolution": +Counter({(r.period, int(r.res_bin)): int(r.n) for r in res.itertuples()}),
            "timeliness": +Counter({(r.period, m): int(getattr(r, m)) for r in tl.itertuples()
                                    for m in ("with_due", "on_time", "late", "open_past_due")})}


def test_closings_days_later_reach_the_history_rollups(spark, kafka_url, cassandra_url, kafka_topic, sample_csv,
                                                       tmp_path):
    now = datetime.now(UTC).replace(microsecond=0)
    export = tmp_path / "open.csv"
    write_export(sample_csv, export, now)
    store = open_store(h.store_url(cassandra_url, "late"))
    lake_path = str(tmp_path / "lake")
    batch.load_input(spark, store, str(export), lake_path, str(tmp_path / "quarantine"))

    # two of every three requests are closed now, 3, 10 or 40 days after creation (some late)
    opened = list(read_export(export))
    closing = now.astimezone(ev.NY) - timedelta(minutes=5)
    final = [({**r, "closed_at": closing, "updated_at": closing, "status": "Closed"} if i % 3 != 2 else r)
             for i, r in enumerate(sorted(opened, key=lambda r: r["unique_key"]))]
    h.create_topic(kafka_url, kafka_topic)
    sink = KafkaStream(urlparse(kafka_url).netloc, kafka_topic)
    sink.send([ev.make_event(r, "closed", closing, now, "socrata") for r in final if r["closed_at"] is not None])
    sink.close()

    env = h.job_env(kafka_url, kafka_topic, h.store_url(cassandra_url, "late"), tmp_path)
    log = tmp_path / "stream.log"
    proc = h.start_job(env, log, "--job", f"late-{uuid.uuid4().hex[:6]}", "--once")
    assert proc.wait(timeout=400) == 0, log.read_text()[-4000:]

    first = min(r["created_at"] for r in final).astimezone(ev.NY).date()
    recomputed = datetime.now(UTC)
    batch.recompute(spark, store, lake_path, since=first, now=recomputed)
    try:
        want = recount(final, recomputed)
        assert sum(want["resolution"].values()) == 20 and want["timeliness"][next(iter(want["timeliness"]))] > 0
        assert stored(store, first.isoformat(), now.astimezone(ev.NY).date().isoformat()) == want
    finally:
        store.close()
