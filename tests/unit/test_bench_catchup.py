"""The catch-up benchmark's backlog (bench/catchup.py): the messages it writes from
templates are valid events of the contract, and the distinct requests it promises are right, so
the benchmark's "live count equals requests produced" compares against a true number."""
from __future__ import annotations

from datetime import datetime

import pytest

from bench import catchup as bc
from pipeline.streams import events as ev

pytestmark = pytest.mark.unit

END = datetime(2026, 12, 2, 1, 0, tzinfo=ev.NY).timestamp()


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_backlog_is_valid_events_spread_over_its_hour(workers):
    n, rate = 5000, 2000.0
    parts = [list(bc.backlog_messages(n, rate, END, 10**9, w, workers)) for w in range(workers)]
    assert sum(len(p) for p in parts) == n
    messages = [m for p in parts for m in p]
    events = [ev.decode(v) for _, v in messages]  # raises on any contract break
    assert all(k.decode() == e["unique_key"] for (k, _), e in zip(messages, events, strict=True))
    created = [e for e in events if e["event_type"] == "created"]
    closed = [e for e in events if e["event_type"] == "closed"]
    assert len({e["unique_key"] for e in events}) == len(created) == bc.distinct_requests(n, workers)
    assert {e["unique_key"] for e in closed} <= {e["unique_key"] for e in created}
    first = min(ev.parse_time(e["created_at"]) for e in events).timestamp()
    assert END - n / rate - 1 <= first and max(ev.parse_time(e["produced_at"]).timestamp() for e in events) <= END
    for e in closed:  # a closing carries its request's creation time, and comes after it
        assert ev.parse_time(e["closed_at"]) >= ev.parse_time(e["created_at"])
