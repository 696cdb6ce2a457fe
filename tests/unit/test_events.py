"""The event contract: building, validating, the JSON Schema twin, and normalising raw rows."""
from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from pipeline.producers.produce import Synthetic, read_export
from pipeline.schema import REQUEST_COLUMN_NAMES
from pipeline.settings import CONFIG_DIR
from pipeline.streams import events as ev

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT, the morning clocks sprang forward
SCHEMA = json.loads((CONFIG_DIR / "event.schema.json").read_text())


def raw(**over):
    base = {"unique_key": "54049402", "created_at": "05/01/2022 12:00:03 AM", "closed_at": "",
            "agency": "NYPD", "complaint_type": "Noise - Residential", "status": "In Progress", "borough": "BRONX",
            "community_district": "04 BRONX", "zip": "10452-1234", "channel": "online",
            "latitude": "40.83065331987539", "longitude": "-73.92308231033165"}
    return {**base, **over}


def event(**over):
    rec = ev.record_from_raw(raw(), ev.export_time)
    e = ev.make_event(rec, "created", rec["created_at"], NOW, "replay")
    return {**e, **over}


def test_event_carries_the_normalised_record_and_the_envelope():
    e = event()
    assert set(e) == set(ev.FIELDS) and set(REQUEST_COLUMN_NAMES) <= set(e)
    assert e["schema_version"] == 1 and e["event_type"] == "created" and e["source"] == "replay"
    assert e["created_at"] == "2022-05-01T00:00:03-04:00" and e["created_month"] == "2022-05"
    assert (e["borough"], e["community_district"], e["zip"], e["channel"]) == ("Bronx", "204", "10452", "ONLINE")
    assert e["produced_at"] == "2026-03-08T07:30:00.000+00:00"
    key, value = ev.encode(e)
    assert key == b"54049402" and ev.decode(value) == e


def test_schema_file_matches_the_contract():
    assert SCHEMA["properties"]["schema_version"]["const"] == ev.SCHEMA_VERSION
    assert set(SCHEMA["properties"]) == set(ev.FIELDS)
    assert set(SCHEMA["required"]) == {*ev.REQUIRED, "created_month"}
    assert SCHEMA["properties"]["event_type"]["enum"] == list(ev.EVENT_TYPES)
    assert SCHEMA["properties"]["source"]["enum"] == list(ev.SOURCES)
    assert SCHEMA["additionalProperties"] is False


@pytest.mark.parametrize("message, reason", [
    (b"not json", "not JSON"),
    (b"[1, 2]", "not a JSON object"),
    (json.dumps({**event(), "unique_key": ""}).encode(), "missing field(s) unique_key"),
    (json.dumps({**event(), "schema_version": 2}).encode(), "schema_version 2 is not 1"),
    (json.dumps({**event(), "event_type": "deleted"}).encode(), "event_type 'deleted'"),
    (json.dumps({**event(), "created_at": "05/01/2022 12:00:03 AM"}).encode(), "not ISO 8601"),
    (json.dumps({**event(), "created_at": "2022-05-01T00:00:03"}).encode(), "with a UTC offset"),
    (json.dumps({**event(), "latitude": "40.8"}).encode(), "latitude must be a finite number"),
    (json.dumps({**event(), "borough": "BRONX"}).encode(), "not a normalised borough"),
    (json.dumps({**event(), "zip": "1045"}).encode(), "zip '1045'"),
    (json.dumps({**event(), "extra": 1}).encode(), "unknown field(s) extra"),
    (json.dumps({**event(), "created_at": "2002-12-31T23:00:00-05:00"}).encode(), "is before 2003-03-01"),
    (json.dumps({**event(), "created_at": "2027-03-08T03:30:01-04:00"}).encode(), "more than 1 h after produced_at"),
    (json.dumps({**event(), "due_at": "9999-12-31T00:00:00-05:00"}).encode(), "due_at 9999-12-31T00:00:00-05:00 is "
                                                                              "outside 1900-2100"),
    (json.dumps({**event(), "complaint_type": "x" * 300}).encode(), "complaint_type is longer than 256 characters"),
    (json.dumps({**event(), "descriptor": "x" * 300_000}).encode(), "is larger than 262144"),
])
def test_malformed_messages_get_a_reason(message, reason):
    with pytest.raises(ev.MalformedEvent, match=reason.replace("(", r"\(").replace(")", r"\)")):
        ev.decode(message)


def test_raw_values_normalise_like_the_batch_record():
    assert ev.zip_code("11201") == "11201" and ev.zip_code("07030") == "Unspecified" and ev.zip_code("N/A") == "Unspecified"
    assert ev.community_district("09 MANHATTAN") == "109" and ev.community_district("0 Unspecified") == "Unspecified"
    assert ev.community_district("12 STATEN ISLAND") == "512"
    rec = ev.record_from_raw(raw(borough="Unspecified", latitude="", complaint_type=" "), ev.export_time)
    assert rec["borough"] == "Bronx"  # from the community board
    assert rec["latitude"] is None and rec["complaint_type"] == "Unspecified"
    assert ev.soda_time("2022-11-06T01:30:00.000").utcoffset().total_seconds() == -4 * 3600  # first 01:30: EDT
    with pytest.raises(ev.MalformedEvent):
        ev.record_from_raw(raw(created_at=""), ev.export_time)


def test_lifecycle_type():
    assert ev.lifecycle_type({"status": "Closed"}) == "closed"
    assert ev.lifecycle_type({"closed_at": NOW}) == "closed"
    assert ev.lifecycle_type({"updated_at": NOW, "status": "In Progress"}) == "updated"
    assert ev.lifecycle_type({"status": "Open"}) == "created"


def test_replay_reads_the_real_sample(sample_csv):
    records = list(read_export(sample_csv))
    assert len(records) == 924 and len({r["unique_key"] for r in records}) == 924
    for r in records:
        ev.make_event(r, ev.lifecycle_type(r), r["created_at"], NOW, "replay")  # every one is a valid event


def test_synthetic_requests_are_valid_and_close_later(sample_csv):
    from pipeline.producers.produce import sample_places
    gen = Synthetic(sample_places(sample_csv), seed=7, close_speedup=1e9)
    now = datetime.now(UTC)
    recs = [gen.new_request(now) for _ in range(300)]
    assert len({r["unique_key"] for r in recs}) == 300
    for r in recs:
        ev.make_event(r, "created", r["created_at"], now, "synthetic")
    types = {r["complaint_type"] for r in recs}
    assert len(types) > 10 and {r["borough"] for r in recs} == {"Bronx", "Brooklyn", "Manhattan", "Queens", "Staten Island"}
    closed = gen.due_closures(datetime.fromtimestamp(now.timestamp() + 10, UTC))
    assert closed and all(c["status"] == "Closed" and c["closed_at"] >= c["created_at"] for c in closed)


def test_dead_letter_records_are_cut_to_a_fixed_size_and_say_so():
    d = ev.dead_letter("too big", "é" * 10_000)
    assert len(d["message"]) == ev.DEAD_LETTER_CHARS and d["truncated"] and d["message_bytes"] == 20_000
    assert ev.dead_letter("bad", "short") == {"reason": "bad", "message": "short", "message_bytes": 5,
                                              "truncated": False}


def _resolved(prop: dict) -> dict:
    """A property of the schema with its $ref (one level, as the schema uses them) resolved."""
    ref = prop.get("$ref")
    return {**SCHEMA["$defs"][ref.rsplit("/", 1)[1]], **prop} if ref else prop


def test_schema_limits_agree_with_the_contract_limits():
    """The documented limits (config/event.schema.json) are the enforced ones (pipeline/streams/events.py)."""
    for f in ev.TEXT_FIELDS:
        assert _resolved(SCHEMA["properties"][f]).get("maxLength") == ev.MAX_TEXT_CHARS, f
    longest = max(len(v) for p in SCHEMA["properties"].values() for v in _resolved(p).get("enum", []) if isinstance(v, str))
    assert longest <= ev.MAX_TEXT_CHARS
    assert SCHEMA["x-max-message-bytes"] == ev.MAX_MESSAGE_BYTES
    assert f"at most {ev.MAX_MESSAGE_BYTES} bytes" in SCHEMA["description"]
    assert f"first {ev.DEAD_LETTER_CHARS} characters" in SCHEMA["description"]
    assert f"at most {ev.MAX_TEXT_CHARS} characters" in SCHEMA["description"]
