"""Live service-request events: the message contract between producers and the streaming job.

One JSON object per event (a request was created, updated or closed), keyed by the request's
unique key so every version of a request lands in the same Kafka partition, in order. The fields
are the normalised batch record (pipeline/schema.py) plus the envelope below, so the streaming job
runs the same rollups on events that the batch job runs on exports. config/event.schema.json is
the documented JSON Schema; `validate` is its executable twin (a test keeps them in step).

Timestamps are ISO 8601 with their UTC offset (New York wall time for request times), so a reader
never has to guess a zone and DST-ambiguous hours stay unambiguous.

Everything here is pure: no clock, no I/O; producers pass `now` in.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime
from zoneinfo import ZoneInfo

from pipeline.ingest import places
from pipeline.ingest.cleaning import dim, text
from pipeline.schema import BOROUGH_CODES, BOROUGHS, NY, REQUEST_COLUMNS, UNSPECIFIED

SCHEMA_VERSION = 1
EVENT_TYPES = ("created", "updated", "closed")
SOURCES = ("synthetic", "replay", "socrata")
ENVELOPE = ("schema_version", "event_type", "event_time", "produced_at", "source")
TIME_FIELDS = tuple(c for c, t in REQUEST_COLUMNS if t == "timestamp")
NUMBER_FIELDS = tuple(c for c, t in REQUEST_COLUMNS if t == "double")
TEXT_FIELDS = tuple(c for c, t in REQUEST_COLUMNS if t == "string")
FIELDS = (*ENVELOPE, *(c for c, _ in REQUEST_COLUMNS))
REQUIRED = (*ENVELOPE, "unique_key", "created_at", "complaint_type", "borough", "zip", "community_district")


# Sanity limits (the contract's, enforced by validate() and by the streaming job's parse): an event
# outside them is dead-lettered with the reason, never counted. Why these values: 311 started on
# 2003-03-01, so an earlier request is a typo; a request created more than an hour after its event
# was produced is a clock or typing error (a year-ahead date would otherwise sit in the live window
# and the lake as "future"); timestamps outside 1900-2100 overflow pandas and the stores; the longest
# text of the real feed is well under 200 characters, and Cassandra rejects keys above 64 KiB; a real
# event is ~1 KB, so 256 KiB is generous and far under Kafka's 1 MiB message limit. A dead-letter
# record keeps at most DEAD_LETTER_CHARS of the message (it says when it is cut), so it always fits.
OPENED_311 = datetime(2003, 3, 1, tzinfo=NY)
MAX_AHEAD_S = 3600
YEAR_RANGE = (1900, 2100)
MAX_TEXT_CHARS = 256
MAX_MESSAGE_BYTES = 256 * 1024
DEAD_LETTER_CHARS = 4096
_ISO_OFFSET = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}:\d{2}|Z)")
_ZIP = re.compile(r"(\d{5})(-\d{4})?")
_NYC_ZIP3 = {"100", "101", "102", "103", "104", "110", "111", "112", "113", "114", "116"}
_BORO_BY_NAME = {b.upper(): b for b in BOROUGHS}
_CD = re.compile(r"\s*(\d{1,2})\s+(MANHATTAN|BRONX|BROOKLYN|QUEENS|STATEN ISLAND)\s*", re.I)
_BORO_CODE_BY_NAME = {name.upper(): code for code, name in BOROUGH_CODES.items()}


class MalformedEvent(ValueError):
    """An event that breaks the contract; the message is the reason recorded in the dead letters."""


# -- building ------------------------------------------------------------------------------------

def iso(ts: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 with offset, request times in New York wall time."""
    if ts is None:
        return None
    if ts.tzinfo is None:
        raise ValueError(f"naive datetime {ts!r}: give New York times with their zone")
    return ts.astimezone(NY).isoformat(timespec="seconds")


def make_event(record: dict, event_type: str, event_time: datetime, produced_at: datetime, source: str) -> dict:
    """An event from a normalised record (request times as aware datetimes or None)."""
    event = {
        "schema_version": SCHEMA_VERSION, "event_type": event_type, "event_time": iso(event_time),
        "produced_at": produced_at.astimezone(ZoneInfo("UTC")).isoformat(timespec="milliseconds"),
        "source": source,
    }
    for name, kind in REQUEST_COLUMNS:
        value = record.get(name)
        if kind == "timestamp":
            value = iso(value) if isinstance(value, datetime) else value
        event[name] = value
    if event.get("created_month") is None and isinstance(record.get("created_at"), datetime):
        event["created_month"] = record["created_at"].astimezone(NY).strftime("%Y-%m")
    validate(event)
    return event


def encode(event: dict) -> tuple[bytes, bytes]:
    """(key, value) bytes of the Kafka message / spool line."""
    return event["unique_key"].encode(), json.dumps(event, separators=(",", ":")).encode()


def decode(value: bytes | str) -> dict:
    """Parse and validate one message; MalformedEvent says why it is unusable."""
    size = len(value.encode() if isinstance(value, str) else value)
    if size > MAX_MESSAGE_BYTES:
        raise MalformedEvent(f"message of {size} bytes is larger than {MAX_MESSAGE_BYTES}")
    try:
        event = json.loads(value)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedEvent(f"not JSON: {exc}") from None
    validate(event)
    return event


def dead_letter(reason: str, message: str | None, size: int | None = None, **where: object) -> dict:
    """The dead-letter record of an unusable message: the reason, and the message cut to
    DEAD_LETTER_CHARS, with its full size in bytes and whether it was cut, so a record always fits
    a Kafka message whatever the input was (`size`: the full size when `message` is already cut)."""
    text_ = message or ""
    size = len(text_.encode()) if size is None else int(size)
    kept = text_[:DEAD_LETTER_CHARS]
    return {"reason": reason, "message": kept if message is not None else None, "message_bytes": size,
            "truncated": len(kept.encode()) < size, **where}


# -- validating ----------------------------------------------------------------------------------

def parse_time(value: str) -> datetime:
    """An ISO 8601 timestamp with offset as an aware datetime (MalformedEvent otherwise)."""
    if not isinstance(value, str) or not _ISO_OFFSET.fullmatch(value):
        raise MalformedEvent(f"timestamp {value!r} is not ISO 8601 with a UTC offset")
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def validate(event: object) -> None:
    """Raise MalformedEvent with the first reason the event breaks the contract."""
    if not isinstance(event, dict):
        raise MalformedEvent("not a JSON object")
    missing = [f for f in REQUIRED if event.get(f) in (None, "")]
    if missing:
        raise MalformedEvent(f"missing field(s) {', '.join(missing)}")
    unknown = sorted(set(event) - set(FIELDS))
    if unknown:
        raise MalformedEvent(f"unknown field(s) {', '.join(unknown)}")
    if event["schema_version"] != SCHEMA_VERSION:
        raise MalformedEvent(f"schema_version {event['schema_version']!r} is not {SCHEMA_VERSION}")
    if event["event_type"] not in EVENT_TYPES:
        raise MalformedEvent(f"event_type {event['event_type']!r} is not one of {', '.join(EVENT_TYPES)}")
    if event["source"] not in SOURCES:
        raise MalformedEvent(f"source {event['source']!r} is not one of {', '.join(SOURCES)}")
    times = {f: parse_time(event[f]) for f in ("event_time", "produced_at", *TIME_FIELDS) if event.get(f) is not None}
    for f, t in times.items():
        if not YEAR_RANGE[0] <= t.year <= YEAR_RANGE[1]:
            raise MalformedEvent(f"{f} {event[f]} is outside {YEAR_RANGE[0]}-{YEAR_RANGE[1]}")
    if times["created_at"] < OPENED_311:
        raise MalformedEvent(f"created_at {event['created_at']} is before 2003-03-01 (311's launch)")
    if (times["created_at"] - times["produced_at"]).total_seconds() > MAX_AHEAD_S:
        raise MalformedEvent(f"created_at {event['created_at']} is more than 1 h after produced_at {event['produced_at']}")
    for f in TEXT_FIELDS:
        if event.get(f) is not None and not isinstance(event[f], str):
            raise MalformedEvent(f"{f} must be text, got {event[f]!r}")
        if event.get(f) is not None and len(event[f]) > MAX_TEXT_CHARS:
            raise MalformedEvent(f"{f} is longer than {MAX_TEXT_CHARS} characters ({len(event[f])})")
    for f in NUMBER_FIELDS:
        v = event.get(f)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v)):
            raise MalformedEvent(f"{f} must be a finite number or null, got {v!r}")
    if event["borough"] not in (*BOROUGHS, UNSPECIFIED):
        raise MalformedEvent(f"borough {event['borough']!r} is not a normalised borough")
    if event["zip"] != UNSPECIFIED and not re.fullmatch(r"\d{5}", event["zip"]):
        raise MalformedEvent(f"zip {event['zip']!r} is not five digits or Unspecified")
    if event["community_district"] != UNSPECIFIED and not re.fullmatch(r"[1-5]\d\d", event["community_district"]):
        raise MalformedEvent(f"community_district {event['community_district']!r} is not a BoroCD or Unspecified")
    if not re.fullmatch(r"\d{4}-\d{2}", str(event.get("created_month") or "")):
        raise MalformedEvent(f"created_month {event.get('created_month')!r} is not YYYY-MM")


# -- normalising raw rows (export CSV and SODA JSON share these) ----------------------------------

def borough(value: object) -> str:
    return _BORO_BY_NAME.get((text(value) or "").upper(), UNSPECIFIED)


def zip_code(value: object) -> str:
    """Five-digit NYC ZIP or Unspecified (ZIP+4 cut, outside-NYC and malformed values dropped)."""
    m = _ZIP.fullmatch(text(value) or "")
    return m.group(1) if m and m.group(1)[:3] in _NYC_ZIP3 else UNSPECIFIED


def community_district(value: object) -> str:
    """'09 MANHATTAN' -> '109' (BoroCD); anything else Unspecified."""
    m = _CD.fullmatch(text(value) or "")
    if not m or int(m.group(1)) == 0:
        return UNSPECIFIED
    return f"{_BORO_CODE_BY_NAME[m.group(2).upper()]}{int(m.group(1)):02d}"


def number(value: object) -> float | None:
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) and v != 0.0 else None


def export_time(value: object) -> datetime | None:
    """'05/01/2022 12:00:03 AM' (export CSV, New York wall time) as an aware datetime."""
    s = text(value)
    return datetime.strptime(s, "%m/%d/%Y %I:%M:%S %p").replace(tzinfo=NY) if s else None


def soda_time(value: object) -> datetime | None:
    """'2022-05-01T00:00:03.000' (SODA floating timestamp, New York wall time) as an aware datetime."""
    s = text(value)
    return datetime.fromisoformat(s).replace(tzinfo=NY) if s else None


def record_from_raw(raw: dict, parse_time_value) -> dict:
    """A normalised record from raw values under the normalised names (see pipeline/ingest/exports.py)."""
    rec = {c: text(raw.get(c)) for c in ("unique_key", "agency", "agency_name", "descriptor", "status")}
    for c in TIME_FIELDS:
        rec[c] = parse_time_value(raw.get(c))
    if rec["created_at"] is None or rec["unique_key"] is None:
        raise MalformedEvent("row without unique key or created date")
    rec.update(
        complaint_type=dim(raw.get("complaint_type")), agency=dim(raw.get("agency")),
        borough=borough(raw.get("borough")), zip=zip_code(raw.get("zip")),
        community_district=community_district(raw.get("community_district")),
        channel=(text(raw.get("channel")) or "").upper() or UNSPECIFIED,
        latitude=number(raw.get("latitude")), longitude=number(raw.get("longitude")),
        created_month=rec["created_at"].strftime("%Y-%m"),
        address=places.place(raw.get("incident_address") or raw.get("address"), raw.get("address_type"),
                             raw.get("intersection_street_1"), raw.get("intersection_street_2")),
    )
    if rec["borough"] == UNSPECIFIED and rec["community_district"] != UNSPECIFIED:
        rec["borough"] = BOROUGH_CODES[int(rec["community_district"][0])]
    return rec


def lifecycle_type(record: dict) -> str:
    """The event type a snapshot of a request stands for."""
    if record.get("closed_at") is not None or (record.get("status") or "").lower() == "closed":
        return "closed"
    return "updated" if record.get("updated_at") is not None else "created"
