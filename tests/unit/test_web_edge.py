"""The web edge in-process (issue 10): hand-made callback payloads with wrong types get no_update or a
400, never a 500; the worst links answer with clamped dates and a notice; both caches stay inside
their byte budgets; stored periods outside 1900-2100 never reach date_bounds; secrets stay masked."""
from __future__ import annotations

import json
import os
from datetime import date

import pandas as pd
import pytest

from app.data import ReadModel
from bench.app import callback_request
from pipeline.read import api as read_api
from pipeline.read import cache as read_cache
from pipeline.settings import load
from pipeline.stores import open_store
from tests.support.app_support import fill_store, make_requests

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def store_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('edge')}/rollups.db"
    fill_store(open_store(url), make_requests(n=600))
    return url


@pytest.fixture(scope="module")
def client(store_url):
    from app.main import create_app
    app = create_app(load(env={**os.environ, "NYC311_STORE_URL": store_url}))
    c = app.server.test_client()
    assert c.get("/").status_code == 200
    return c


@pytest.fixture(scope="module")
def deps(client) -> list[dict]:
    return client.get("/_dash-dependencies").get_json()


def dep_with(deps, output_part: str) -> dict:
    return next((d for d in deps if d["output"] == output_part), None) or next(
        d for d in deps if output_part in d["output"])


WRONG = (None, 0, -1, 1.5, True, [], {}, ["a"], {"points": "x"}, "\ud800", "x" * 20_000)


@pytest.mark.parametrize("output", ["url-notice.children", "download.data", "nav-collapse.is_open",
                                    "freshness.children", "live-minutes.figure", '"page":"map","type":"graph"',
                                    "overview-kpis.children", "resolution-kpis.children"])
def test_wrong_types_in_any_input_answer_no_update_or_a_message(client, deps, output):
    dep = dep_with(deps, output)
    names = [f"{i['id']}.{i['property']}" for i in dep["inputs"] + dep["state"] if isinstance(i["id"], str)]
    for value in WRONG:
        body = callback_request(dep, {n: value for n in names})
        r = client.post("/_dash-update-component", data=json.dumps(body), content_type="application/json")
        assert r.status_code in (200, 204), (output, value, r.status_code, r.data[:300])


@pytest.mark.parametrize("body", [b'{"output": ', b"[]", b'{"inputs": []}', b'"x"',
                                  json.dumps({"output": "nope.children", "outputs": {"id": "nope", "property": "children"},
                                              "inputs": [], "changedPropIds": []}).encode()])
def test_a_body_dash_cannot_route_is_a_400(client, body):
    r = client.post("/_dash-update-component", data=body, content_type="application/json")
    assert r.status_code == 400, (body, r.status_code, r.data[:300])


@pytest.mark.parametrize("search,notice", [
    ("?range=custom&start=0600-01-01", "data starts on January 1, 2023"),
    ("?range=custom&start=2020-01-01&end=9999-12-31", "data ends on June 30, 2024"),
    ("?range=custom&start=1678-01-01&end=2261-12-31&gran=day&split=complaint_type", "data ends on June 30, 2024"),
    ("?type=%ED%A0%80&agency=x%00y&types=%ED%A0%80|\ud800", "Ignored agency"),
])
def test_the_worst_links_answer_with_a_notice(client, deps, search, notice):
    dep = dep_with(deps, "url-notice.children")
    r = client.post("/_dash-update-component", json=callback_request(dep, {"_pages_location.search": search}))
    assert r.status_code == 200
    response = r.get_json()["response"]
    assert notice in json.dumps(response["url-notice"]["children"])
    trends = dep_with(deps, '"page":"trends","type":"graph"')
    drawn = client.post("/_dash-update-component", json=callback_request(trends, {"trends-state.data": search}))
    assert drawn.status_code == 200 and "could not be drawn" not in drawn.get_data(as_text=True)


def test_read_api_cache_is_bounded_in_bytes(store_url):
    api = read_api.ReadAPI(open_store(store_url))
    try:
        read_cache.configure_cache(200_000)
        for day in range(1, 60):
            api.timeseries(read_api.Filters(start=date(2023, 1, day % 28 + 1), end=date(2024, 6, 1)), "day",
                           "complaint_type")
            assert read_cache.cache_bytes() <= 200_000
        assert read_cache.cache_bytes() > 0
    finally:
        read_cache.configure_cache(64 * 1024 * 1024)


def test_last_good_answers_are_bounded_in_bytes():
    frame = pd.DataFrame({"a": range(1000)})  # about 8 KB

    class Api:
        store = None

        def big(self, i):
            return frame.assign(i=i)

    model = ReadModel("sqlite:///unused", opener=lambda url: None, keep_bytes=100_000)
    model._api, model._pid = Api(), os.getpid()
    for i in range(100):
        model.ask("big", i)
        assert model.kept_bytes <= 100_000
    assert model.kept_bytes > 50_000


def test_stored_periods_outside_1900_2100_never_reach_date_bounds(tmp_path):
    """A 9999 row that slipped past the batch job (issue 10: it broke every page) is ignored."""
    from tests.support.rollup_fixtures import rollup_rows
    store = open_store(f"sqlite:///{tmp_path}/rollups.db")
    reqs = make_requests(n=200)
    fill_store(store, reqs)
    table = read_api.table_for(set())
    rows = rollup_rows(reqs.head(1), table, "day")
    rows["period"] = "9999-12-31"
    if "bucket" in rows.columns:
        rows["bucket"] = "9999-12"
    store.replace_periods(table, "day", ["9999-12-31"], rows)
    assert "9999-12" in store.buckets(table, "day")
    bounds = read_api.ReadAPI(store, cache=False).date_bounds()
    assert bounds == (reqs["created"].min().date(), reqs["created"].max().date())


def test_printed_settings_never_show_the_token():
    s = load(env={**os.environ, "NYC311_SOCRATA_APP_TOKEN": "sekrit-token-123"})
    assert s.socrata_app_token == "sekrit-token-123"
    assert "sekrit" not in repr(s) and "sekrit" not in str(s) and "sekrit" not in f"{s}"


@pytest.mark.parametrize("parallel", [True, False], ids=["at once (Cassandra)", "in turn (SQLite)"])
def test_a_chart_over_the_time_budget_says_so_and_the_page_still_answers(client, monkeypatch, parallel):
    """request_budget_s: a chart still drawing when the budget is spent is answered with a message, and
    a chart after it is still drawn when the charts are drawn in turn (it starts once the first stalls)."""
    import time as _time
    from types import SimpleNamespace

    from app import charts, figures
    from app.data import model
    monkeypatch.setattr(model(), "parallel_reads", lambda: parallel)
    slow = charts.Chart("test", "slow", "Slow", lambda s, reads: _time.sleep(1.5) or pd.DataFrame(),
                        lambda df, s: figures.empty("drawn", 300))
    fast = charts.Chart("test", "fast", "Fast", lambda s, reads: pd.DataFrame(), lambda df, s: figures.empty("drawn", 300))
    monkeypatch.setattr(charts, "settings", lambda: SimpleNamespace(request_budget_s=0.3))
    t0 = _time.monotonic()
    figs, notice = charts.render([slow, fast], "?range=all")
    assert _time.monotonic() - t0 < 1.2
    assert "took too long" in json.dumps(figs[0]) and "drawn" in json.dumps(figs[1])


def test_over_sqlite_a_page_s_charts_are_drawn_one_after_another(client, monkeypatch):
    """Store.parallel_reads False (SQLite, in process): no two charts of a page draw at the same time, in
    page order, and the figures come back in page order."""
    import threading
    import time as _time

    from app import charts, figures
    from app.data import model
    model().api()  # open the fixture's store (SQLite) as a page's first read would: alone, no test before opened it
    assert model().parallel_reads() is False
    spans: list[tuple[str, float, float]] = []
    lock = threading.Lock()

    def timed(name):
        def data(s, reads):
            t0 = _time.monotonic()
            _time.sleep(0.02)
            with lock:
                spans.append((name, t0, _time.monotonic()))
            return pd.DataFrame()
        return charts.Chart("test", name, name, data, lambda df, s, name=name: figures.empty(name, 300))
    figs, _ = charts.render([timed(n) for n in "abcd"], "?range=all")
    assert [f["layout"]["annotations"][0]["text"] for f in figs] == list("abcd")
    assert [n for n, _, _ in spans] == list("abcd")
    assert all(end <= nxt for (_, _, end), (_, nxt, _) in zip(spans, spans[1:], strict=False))
