"""Every page renders in-process over a real SQLite store of hand-made rollups, through Dash's own
endpoints (/_dash-layout, /_dash-update-component), and the numbers drawn equal a recount."""
from __future__ import annotations

import base64
import io
import json
import os

import numpy as np
import pandas as pd
import pytest

from app import data
from bench.app import call, callback_request, page_dependencies
from pipeline.settings import load
from pipeline.stores import open_store
from tests.support.app_support import fill_store, make_requests

pytestmark = pytest.mark.unit

PAGES = {"overview": "/", "map": "/map", "trends": "/trends", "rankings": "/rankings", "resolution": "/resolution",
         "about": "/about"}


@pytest.fixture(scope="module")
def reqs() -> pd.DataFrame:
    return make_requests(n=1500)


@pytest.fixture(scope="module")
def store_url(reqs, tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('app')}/rollups.db"
    fill_store(open_store(url), reqs)
    return url


@pytest.fixture(scope="module")
def client(store_url):
    from app.main import create_app
    app = create_app(load(env={**os.environ, "NYC311_STORE_URL": store_url}))
    c = app.server.test_client()
    assert c.get("/").status_code == 200  # first request registers the page router
    return c


@pytest.fixture(scope="module")
def deps(client) -> dict[str, list[dict]]:
    return page_dependencies(client)


def values(array) -> list:
    """A figure array as plain values (plotly sends numeric arrays base64-encoded)."""
    if isinstance(array, dict) and "bdata" in array:
        return np.frombuffer(base64.b64decode(array["bdata"]), dtype=array["dtype"]).tolist()
    return list(array)


def pairs(keys, vals) -> dict:
    return dict(zip(values(keys), values(vals), strict=True))


def figure(response: dict, name: str) -> dict:
    for key, props in response["response"].items():
        if key.startswith("{") and json.loads(key)["name"] == name:
            return props["figure"]
    raise AssertionError(f"no figure {name} in {list(response['response'])}")


def test_every_page_answers_and_its_layout_renders(client):
    for path in PAGES.values():
        r = client.get(path + "?range=all&borough=Bronx")
        assert r.status_code == 200 and b"_dash-config" in r.data
    layout = client.get("/_dash-layout").get_json()
    text = json.dumps(layout)
    for ident in ("f-range", "f-borough", "f-type", "f-agency", "freshness", "theme-switch", "_pages_location"):
        assert ident in text
    from app.pages import about, overview, rankings, resolution, trends
    from app.pages import map as map_page
    for module in (overview, map_page, trends, rankings, resolution, about):
        assert module.layout() is not None
        assert module.layout(range="all", level="zip", metric="median_h", types="A|B") is not None


@pytest.mark.parametrize("page", ["overview", "map", "trends", "rankings", "resolution"])
@pytest.mark.parametrize("search", ["", "?range=all", "?range=30d&borough=Brooklyn&type=HEAT%2FHOT+WATER",
                                    "?range=all&zip=10027&district=109&level=zip&metric=per_10k&split=borough"
                                    "&gran=month&types=Illegal+Parking|Water+System"])
def test_main_callbacks_draw_every_chart_without_error(client, deps, page, search):
    assert deps[page], f"no callbacks fed by {page}-state"
    for dep in deps[page]:
        response = call(client, dep, {f"{page}-state.data": search})
        text = json.dumps(response)
        assert "could not be drawn" not in text and "Data unavailable" not in text


def test_overview_numbers_equal_a_recount(client, deps, reqs):
    main, kpis = deps["overview"][0], deps["overview"][1]
    if "overview-kpis" not in kpis["output"]:
        main, kpis = kpis, main
    response = call(client, main, {"overview-state.data": "?range=all"})
    top = figure(response, "top-types")["data"][0]
    recount = reqs["complaint_type"].value_counts()
    assert pairs(top["y"], top["x"]) == recount.to_dict()
    channels = figure(response, "channels")["data"][0]
    assert pairs(channels["labels"], channels["values"]) == reqs["channel"].value_counts().to_dict()
    cards = json.dumps(call(client, kpis, {"overview-state.data": "?range=all"}))
    assert f"{len(reqs):,}" in cards
    assert f"{int((reqs['status'] != 'Closed').sum()):,}" in cards


def test_borough_filter_and_map_counts_equal_a_recount(client, deps, reqs):
    response = call(client, deps["map"][0], {"map-state.data": "?range=all&level=community_district"})
    regions = figure(response, "regions")["data"][1]
    named = reqs[reqs["community_district"] != "Unspecified"]["community_district"].value_counts()
    assert pairs(regions["locations"], regions["z"]) == named.astype(float).to_dict()
    response = call(client, deps["overview"][0], {"overview-state.data": "?range=all&borough=Queens"})
    top = figure(response, "top-types")["data"][0]
    assert sum(values(top["x"])) == int((reqs["borough"] == "Queens").sum())


def test_csv_holds_exactly_the_numbers_drawn(client, deps):
    search = "?range=all&borough=Brooklyn"
    drawn = figure(call(client, deps["overview"][0], {"overview-state.data": search}), "top-types")["data"][0]
    dep = next(d for d in client.get("/_dash-dependencies").get_json() if d["output"] == "download.data")
    ident = {"type": "csv", "page": "overview", "name": "top-types"}
    body = {"output": dep["output"], "outputs": {"id": "download", "property": "data"},
            "inputs": [[{"id": ident, "property": "n_clicks", "value": 1}]],
            "changedPropIds": [json.dumps(ident, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
            "state": [{"id": "_pages_location", "property": "search", "value": search}]}
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.data[:500]
    download = r.get_json()["response"]["download"]["data"]
    assert download["filename"] == "nyc311-overview-top-types.csv"
    csv = pd.read_csv(io.StringIO(download["content"]))
    assert list(csv.columns) == ["complaint_type", "count"]
    assert dict(zip(csv["complaint_type"], csv["count"], strict=True)) == pairs(drawn["y"], drawn["x"])


def _sync(client, search: str) -> dict:
    dep = next(d for d in client.get("/_dash-dependencies").get_json() if "url-notice.children" in d["output"])
    return client.post("/_dash-update-component", json=callback_request(dep, {"_pages_location.search": search})
                       ).get_json()["response"]


def test_bad_query_values_give_a_notice_not_an_error(client, deps):
    response = _sync(client, "?borough=Atlantis&metric=joy&level=zip")
    notice = json.dumps(response["url-notice"]["children"])
    assert "Atlantis" in notice and "joy" in notice
    assert response["f-borough"]["value"] is None
    # the page itself draws with the defaults
    text = json.dumps(call(client, deps["map"][0], {"map-state.data": "?borough=Atlantis&metric=joy&level=zip"}))
    assert "could not be drawn" not in text


def test_embed_flag_hides_the_chrome(client):
    assert _sync(client, "?embed=1")["chrome"]["className"] == "d-none"
    assert _sync(client, "?range=7d")["chrome"]["className"] == ""


def test_map_click_filters_the_app_to_the_region():
    from app.pages.map import click_filter
    assert click_filter("?range=30d&level=borough", "borough", "Bronx") == "?range=30d&borough=Bronx"
    assert click_filter("?level=zip", "zip", "11211") == "?borough=Brooklyn&zip=11211&level=zip"
    assert click_filter("?level=community_district&zip=10027", "community_district", "109") == \
        "?borough=Manhattan&district=109&level=community_district"


def test_the_app_works_under_a_path_prefix(store_url):
    from app.main import create_app
    app = create_app(load(env={**os.environ, "NYC311_STORE_URL": store_url, "NYC311_URL_PREFIX": "/311/"}))
    c = app.server.test_client()
    page = c.get("/map").data.decode()
    assert '"requests_pathname_prefix":"\\u002f311\\u002f"' in page and "/311/assets/css/20-app.css" in page


def test_store_outage_serves_the_last_good_answer_then_recovers(store_url):
    model = data.ReadModel(store_url)
    good = model.ask("counts", "borough")
    assert good.stale_since is None and not good.value.empty
    model.store_url = "sqlite:////proc/no-such-dir/rollups.db"  # a store that cannot be opened
    model._forget_store()
    stale = model.ask("counts", "borough")
    assert stale.stale_since is not None and stale.value.equals(good.value)
    with pytest.raises(data.DataUnavailable):
        model.ask("counts", "agency")  # never answered before: a clear message instead
    model.store_url = store_url
    assert model.ask("counts", "borough").stale_since is None  # next call simply works again


def test_rankings_and_map_show_per_resident_rates_for_districts(client, deps, reqs):
    """2020 Census by community district (data/README.md): the map's per-10k layer and the rankings'
    per-resident award hold requests / residents x 10,000 for every district with requests."""
    from app import state as st
    from app.charts import Reads
    from app.pages import rankings
    from pipeline.read.population import population
    pop = population("community_district")
    counts = reqs[reqs["community_district"] != "Unspecified"]["community_district"].value_counts()
    expected = {cd: n / pop[cd] * 10_000 for cd, n in counts.items()}
    response = call(client, deps["map"][0], {"map-state.data": "?range=all&level=community_district&metric=per_10k"})
    regions = figure(response, "regions")["data"][1]
    assert pairs(regions["locations"], regions["z"]) == pytest.approx(expected)
    award = rankings.award_frame(st.parse("?range=all")[0], Reads(), "community_district", True)
    assert dict(zip(award["area"], award["per_10k"], strict=True)) == pytest.approx(expected)
    assert award["per_10k"].is_monotonic_decreasing


def test_a_callback_s_charts_share_one_computation_per_memo_key():
    """Reads.memo: threads asking for the same key wait for the first one's answer (rankings' two
    charts of a level sum the areas once); an error reaches every asker; another Reads starts afresh."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from app.charts import Reads
    from app.data import DataUnavailable
    calls = []
    started = threading.Event()

    def slow():
        calls.append(1)
        started.wait(2)
        return len(calls)
    reads = Reads()
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(reads.memo, "areas", slow) for _ in range(4)]
        started.set()
        assert [f.result() for f in futures] == [1, 1, 1, 1] and len(calls) == 1

    def broken():
        raise DataUnavailable("store down")
    for _ in range(2):
        with pytest.raises(DataUnavailable):
            reads.memo("broken", broken)
    assert Reads().memo("areas", lambda: "fresh") == "fresh"
