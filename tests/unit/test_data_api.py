"""The data API (/api/v1) in-process over a real SQLite store: every chart's numbers as JSON and CSV
equal the frame the chart draws (and a recount), bad parameters get the pages' notices, the OpenAPI
document validates, the rate limit answers 429, and generated requests never get a 5xx."""
from __future__ import annotations

import io
import os
from urllib.parse import quote, urlencode

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as stg

from app import api
from app.charts import REGISTRY, csv_frame
from pipeline.settings import load
from pipeline.stores import open_store
from tests.support.app_support import app_over_sqlite, make_requests
from tests.support.fuzz_inputs import DATES, WORDS

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def reqs() -> pd.DataFrame:
    return make_requests(n=1500, seed=11)


@pytest.fixture(scope="module")
def client(reqs, tmp_path_factory):
    return app_over_sqlite(reqs, tmp_path_factory.mktemp("api"), NYC311_API_RATE_PER_MIN="0").server.test_client()


def test_every_chart_answers_json_and_csv_with_the_charts_own_numbers(client):
    charts = client.get("/api/v1/charts").get_json()
    assert {(c["page"], c["name"]) for c in charts} == set(REGISTRY) and len(charts) >= 15
    query = {"range": "all", "gran": "month"}
    for c in charts:
        got = client.get(c["url"] + "?" + urlencode(query))
        assert got.status_code in (200, 400), (c["url"], got.get_json())
        if got.status_code == 400:  # e.g. a measure kept by borough only: the reason is given
            assert got.get_json()["error"]
            continue
        body = got.get_json()
        drawn = csv_frame(REGISTRY[(c["page"], c["name"])], "?" + urlencode(query))
        assert body["columns"] == [str(x) for x in drawn.columns]
        assert len(body["rows"]) == len(drawn)
        if not drawn.empty:
            api_frame = pd.DataFrame(body["rows"], columns=body["columns"])
            pd.testing.assert_frame_equal(api_frame.reset_index(drop=True), drawn.reset_index(drop=True),
                                          check_dtype=False, check_exact=False)
        csv = client.get(c["url"] + "?" + urlencode({**query, "format": "csv"}))
        assert csv.status_code == 200 and csv.mimetype == "text/csv"
        from_csv = pd.read_csv(io.StringIO(csv.get_data(as_text=True)), comment="#", keep_default_na=False)
        assert len(from_csv) == len(drawn) and list(from_csv.columns) == body["columns"]


def test_the_numbers_equal_a_recount(client, reqs):
    body = client.get("/api/v1/charts/overview/top-types?range=all&borough=Bronx").get_json()
    got = {r["complaint_type"]: r["count"] for r in body["rows"]}
    assert got == reqs[reqs["borough"] == "Bronx"]["complaint_type"].value_counts().to_dict()
    assert "borough=Bronx" in body["query"] and body["notices"] == []
    csv = client.get("/api/v1/charts/overview/top-types?range=all&borough=Bronx&format=csv").get_data(as_text=True)
    frame = pd.read_csv(io.StringIO(csv), comment="#")
    assert dict(zip(frame["complaint_type"], frame["count"], strict=True)) == got


def test_the_top_descriptors_chart_is_served_with_the_numbers_drawn_and_recounted(client, reqs):
    """Issue 14 (before the tests that build another app, which takes the process's read model): the
    top-descriptors view is in the registry, so the API serves it; its numbers are
    the chart's frame and a recount; an unknown descriptor gets a notice, not an error."""
    for page in ("overview", "rankings"):
        query = {"range": "all", "type": "Noise - Residential", "borough": "Brooklyn"}
        body = client.get(f"/api/v1/charts/{page}/top-descriptors?" + urlencode(query)).get_json()
        drawn = csv_frame(REGISTRY[(page, "top-descriptors")], "?" + urlencode(query))
        got = {r["descriptor"]: r["count"] for r in body["rows"]}
        assert got == dict(zip(drawn["descriptor"], drawn["count"], strict=True))
        mine = reqs[(reqs["complaint_type"] == "Noise - Residential") & (reqs["borough"] == "Brooklyn")]
        assert got == mine["descriptor"].value_counts().to_dict() and len(got) == 3
    no_type = client.get("/api/v1/charts/overview/top-descriptors?range=all")
    assert no_type.status_code == 400 and "complaint type" in no_type.get_json()["error"]
    narrowed = client.get("/api/v1/charts/overview/top-types?range=all&descriptor=Loud+Music%2FParty").get_json()
    want = reqs[reqs["descriptor"] == "Loud Music/Party"]["complaint_type"].value_counts().to_dict()
    assert {r["complaint_type"]: r["count"] for r in narrowed["rows"]} == want and len(want) == 2
    odd = client.get("/api/v1/charts/overview/top-types?range=all&descriptor=Nothing+like+it").get_json()
    assert odd["rows"] == [] and "Nothing like it" in " ".join(odd["notices"])


def test_bad_parameters_get_the_pages_notices_not_errors(client):
    body = client.get("/api/v1/charts/trends/trend?range=custom&start=0600-01-01&gran=hour&borough=Atlantis")
    assert body.status_code == 200
    notices = " ".join(body.get_json()["notices"])
    assert "granularity" in notices and "Atlantis" in notices
    assert client.get("/api/v1/charts/nowhere/at-all").status_code == 404
    assert "lists them" in client.get("/api/v1/charts/nowhere/at-all").get_json()["error"]
    assert client.get("/api/v1/charts/overview/top-types?format=xlsx").status_code == 400


def test_api_responses_carry_the_security_headers_and_cors(client):
    r = client.get("/api/v1/charts/overview/top-types")
    assert r.headers["X-Content-Type-Options"] == "nosniff" and "frame-ancestors" in r.headers["Content-Security-Policy"]
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    page = client.get("/api/v1/")
    assert page.status_code == 200 and b"OpenAPI document" in page.data


def test_the_openapi_document_validates_and_names_every_chart(client):
    from openapi_spec_validator import validate
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    for page, name in REGISTRY:
        assert f"/api/v1/charts/{page}/{name}" in doc["paths"]


def test_the_rate_limit_answers_429_with_retry_after():
    now = [0.0]
    limiter = api.RateLimiter(rate_per_min=60, burst=3, clock=lambda: now[0])
    assert [limiter.take("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a") == pytest.approx(1.0)
    assert limiter.take("b") == 0.0  # another client has its own bucket
    now[0] += 1.0
    assert limiter.take("a") == 0.0
    assert api.RateLimiter(0, 1).take("a") == 0.0  # 0 turns it off


def test_the_app_enforces_its_rate_limit(tmp_path):
    url = f"sqlite:///{tmp_path}/rollups.db"
    open_store(url).ensure_schema()
    from app.main import create_app
    app = create_app(load(env={**os.environ, "NYC311_STORE_URL": url, "NYC311_API_RATE_PER_MIN": "8"}))
    c = app.server.test_client()
    codes = [c.get("/api/v1/charts").status_code for _ in range(4)]
    assert codes[:2] == [200, 200] and codes[-1] == 429
    limited = c.get("/api/v1/charts")
    assert int(limited.headers["Retry-After"]) >= 1 and "slow down" in limited.get_json()["error"]
    assert c.get("/healthz").status_code in (200, 503)  # pages and probes are not the API's budget


KEYS = (*api.PARAMETER_HELP, "format", "utm_source")
VALUES = stg.one_of(stg.sampled_from(WORDS + DATES + ("json", "csv", "xml")), stg.text(max_size=40))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=stg.data(), params=stg.lists(stg.tuples(stg.sampled_from(KEYS), VALUES), max_size=6))
def test_generated_requests_never_get_a_server_error(client, data, params):
    page, name = data.draw(stg.sampled_from(sorted(REGISTRY)))  # filled once the app has registered its pages
    query = "&".join(f"{quote(k)}={v if v.startswith('%') else quote(v.encode('utf-8', 'surrogatepass'), safe='')}"
                     for k, v in params)
    r = client.get(f"/api/v1/charts/{page}/{name}?{query}")
    assert r.status_code < 500, (page, name, query, r.get_data(as_text=True)[:300])

