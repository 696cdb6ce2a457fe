"""The Socrata poller against a local SODA stand-in serving recorded real rows (no internet)."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from pipeline.producers import socrata
from pipeline.streams import events as ev

pytestmark = pytest.mark.unit

_spec = importlib.util.spec_from_file_location(
    "socrata_fixture_server", Path(__file__).parents[1] / "fixtures" / "socrata" / "server.py")
fixture_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture_server)
ROWS = fixture_server.ROWS
IN_ORDER = sorted(ROWS, key=lambda r: (r[":updated_at"], r["unique_key"]))  # the API's $order


class ListSink:
    def __init__(self, fail_on_call: int | None = None):
        self.events, self.calls, self.fail_on_call, self.dead = [], 0, fail_on_call, []

    def dead_letters(self, records):
        self.dead.extend(records)

    def send(self, events):
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise ConnectionError("broker went away before acknowledging")
        self.events.extend(events)


def poller(url, tmp_path, sleeps, **kw):
    return socrata.Poller(url, "erm2-nwe9", "tok123", tmp_path / "hwm.json", since="2022-04-30T00:00:00.000",
                          sleep=sleeps.append, **kw)


def test_event_of_maps_soda_fields_and_normalises():
    e = socrata.event_of(ROWS[0], ev.datetime.now(ev.NY))
    assert (e["unique_key"], e["borough"], e["community_district"], e["zip"]) == ("54049402", "Bronx", "204", "10452")
    assert e["created_at"] == "2022-05-01T00:00:03-04:00" and e["event_type"] == "created"
    assert e["source"] == "socrata" and e["latitude"] == pytest.approx(40.83065331987539)
    closed = next(r for r in ROWS if r.get("closed_date"))
    assert socrata.event_of(closed, ev.datetime.now(ev.NY))["event_type"] == "closed"


def test_query_is_keyset_paged_and_capped():
    q = socrata.query_params(("2022-05-01T01:00:00.000Z", "54046813"), 80_000)
    assert q["$order"] == ":updated_at, unique_key" and q["$limit"] == "50000"
    assert q["$where"] == (":updated_at > '2022-05-01T01:00:00.000Z' OR "
                           "(:updated_at = '2022-05-01T01:00:00.000Z' AND unique_key > '54046813')")


def test_polls_every_row_once_with_backoff_token_and_ties(tmp_path):
    sleeps, sink = [], ListSink()
    with fixture_server.SodaServer() as server:
        sent = poller(server.url, tmp_path, sleeps, page_size=25).run(sink, once=True)
        again = poller(server.url, tmp_path, sleeps, page_size=25).run(sink, once=True)
    keys = [e["unique_key"] for e in sink.events]
    usable = [r["unique_key"] for r in ROWS if r.get("created_date")]
    assert sent == len(usable) == 119 and again == 0
    assert sorted(keys) == sorted(usable) and len(set(keys)) == len(keys)  # page ties neither lost nor repeated
    assert len(sleeps) == 1 and server.requests[0]["token"] == "tok123"  # one 429, backed off, retried
    assert json.loads((tmp_path / "hwm.json").read_text()) == {
        "updated_at": IN_ORDER[-1][":updated_at"], "unique_key": IN_ORDER[-1]["unique_key"]}


def test_mark_advances_only_after_the_sink_acknowledges(tmp_path):
    sleeps = []
    with fixture_server.SodaServer(throttle_first=0) as server:
        failing = ListSink(fail_on_call=2)
        with pytest.raises(ConnectionError):
            poller(server.url, tmp_path, sleeps, page_size=40).run(failing, once=True)
        mark = json.loads((tmp_path / "hwm.json").read_text())
        assert (mark["updated_at"], mark["unique_key"]) == (IN_ORDER[39][":updated_at"], IN_ORDER[39]["unique_key"])
        resumed = ListSink()
        poller(server.url, tmp_path, sleeps, page_size=40).run(resumed, once=True)
    keys = {e["unique_key"] for e in failing.events} | {e["unique_key"] for e in resumed.events}
    assert keys == {r["unique_key"] for r in ROWS if r.get("created_date")}


def test_gives_up_with_a_clear_error(tmp_path):
    with fixture_server.SodaServer(throttle_first=100) as server:
        p = poller(server.url, tmp_path, [], max_tries=3)
        with pytest.raises(socrata.SocrataError, match="no answer after 3 tries"):
            p.poll_once(ListSink())
    with fixture_server.SodaServer(dataset="other") as server, pytest.raises(socrata.SocrataError, match="HTTP 404"):
        poller(server.url, tmp_path, []).poll_once(ListSink())


def test_unusable_rows_go_to_the_dead_letters_with_their_reason(tmp_path):
    old = {**IN_ORDER[0], "unique_key": "1", "created_date": "1899-12-31T12:00:00.000"}
    long_type = {**IN_ORDER[1], "unique_key": "2", "complaint_type": "Z" * 5000}
    sink = ListSink()
    with fixture_server.SodaServer(rows=[*ROWS, old, long_type], throttle_first=0) as server:
        poller(server.url, tmp_path, [], page_size=50).run(sink, once=True)
    reasons = sorted(d["reason"] for d in sink.dead)
    assert len(sink.dead) == 3 and len(sink.events) == 119
    assert "row without unique key or created date" in reasons[2]
    assert "complaint_type is longer than 256 characters" in reasons[0]
    assert "created_at 1899-12-31T12:00:00-05:00 is outside 1900-2100" in reasons[1]
    cut = next(d for d in sink.dead if "complaint_type" in d["reason"])
    assert cut["truncated"] and len(cut["message"]) == ev.DEAD_LETTER_CHARS and cut["source"] == "socrata"


def test_a_page_size_above_the_cap_never_ends_paging_early(tmp_path, monkeypatch):
    monkeypatch.setattr(socrata, "MAX_PAGE", 25)
    sink = ListSink()
    with fixture_server.SodaServer(throttle_first=0) as server:
        sent = poller(server.url, tmp_path, [], page_size=80).run(sink, once=True)
    assert sent == 119 and [r["query"]["$limit"] for r in server.requests] == ["25"] * 5


def test_the_mark_is_fsynced_before_it_replaces_the_old_one(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = socrata.os.fsync, socrata.os.replace
    monkeypatch.setattr(socrata.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd)))
    monkeypatch.setattr(socrata.os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b)))
    poller("http://unused", tmp_path, []).save_mark(("2022-05-01T00:00:00.000", "1"))
    assert calls == ["fsync", "replace", "fsync"]
    assert json.loads((tmp_path / "hwm.json").read_text())["unique_key"] == "1"
