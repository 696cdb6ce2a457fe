"""The stream gateway: stream_url picks Kafka or the spool in one place, and the spool keeps the
contract the streaming job relies on (atomic files, dead letters beside it, a replayed batch
rewriting its own dead letters)."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.settings import load
from pipeline.streams import Stream, open_stream
from pipeline.streams import events as ev
from pipeline.streams.kafka import KafkaStream
from pipeline.streams.spool import SpoolStream

pytestmark = pytest.mark.unit


def _settings(url: str):
    return load(env={"NYC311_STREAM_URL": url})


def test_the_url_picks_the_stream():
    kafka = open_stream(_settings("kafka://127.0.0.1:9092,127.0.0.2:9092/events"))
    assert isinstance(kafka, KafkaStream) and (kafka.servers, kafka.topic) == ("127.0.0.1:9092,127.0.0.2:9092", "events")
    assert kafka.has_offsets and kafka.needs_kafka_connector
    spool = open_stream(_settings("spool://var/spool"))
    assert isinstance(spool, SpoolStream) and not spool.has_offsets and not spool.needs_kafka_connector
    assert spool.folder == _settings("spool://var/spool").path("var/spool")
    assert spool.dlq == spool.folder.with_name("spool-dlq")
    assert all(isinstance(s, Stream) for s in (kafka, spool))
    with pytest.raises(ValueError, match="unknown stream URL"):
        open_stream(_settings("spool://x"), "mqtt://broker/topic")


def test_spool_sends_whole_files_and_dead_letters_beside_them(tmp_path):
    stream = SpoolStream(tmp_path / "spool")
    rec = {"unique_key": "1", "created_at": datetime(2022, 5, 1, tzinfo=ev.NY), "closed_at": None, "due_at": None,
           "updated_at": None, "agency": "NYPD", "agency_name": None, "complaint_type": "Noise", "descriptor": None,
           "status": "Open", "borough": "Bronx", "zip": "10451", "community_district": "201", "channel": "PHONE",
           "latitude": None, "longitude": None, "created_month": "2022-05", "address": None}
    event = ev.make_event(rec, "created", rec["created_at"], datetime.now(UTC), "synthetic")
    stream.send([event, event])
    files = list((tmp_path / "spool").iterdir())
    assert len(files) == 1 and not files[0].name.startswith(".")
    assert [json.loads(line)["unique_key"] for line in files[0].read_text().splitlines()] == ["1", "1"]
    stream.dead_letters([{"reason": "a"}], batch_id=7)
    stream.dead_letters([{"reason": "b"}], batch_id=7)  # a replay of batch 7 rewrites its file
    stream.dead_letters([{"reason": "c"}])             # a producer's: a file of its own
    stream.dead_letters([])                            # nothing: no file
    dead = {f.name: f.read_text() for f in (tmp_path / "spool-dlq").iterdir()}
    assert len(dead) == 2 and json.loads(dead["batch-000000000007.jsonl"]) == {"reason": "b"}
