"""`fetch`'s pure parts and its HTTP behaviour against the local stand-in of the city's API: the
range split between the two datasets, export-header mapping, the page cap, Retry-After honoured."""
from __future__ import annotations

import importlib.util
import time
from datetime import date
from pathlib import Path

import pytest

from pipeline.ingest import fetch
from pipeline.ingest.exports import EXPORT_COLUMNS

_spec = importlib.util.spec_from_file_location(
    "socrata_fixture_server", Path(__file__).parents[1] / "fixtures" / "socrata" / "server.py")
fixture_server = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixture_server)


def test_plan_splits_at_2020():
    assert fetch.plan(date(2019, 12, 31), date(2020, 1, 1), "new", "old") == [
        fetch.Part("old", date(2019, 12, 31), date(2019, 12, 31)), fetch.Part("new", date(2020, 1, 1), date(2020, 1, 1))]
    assert fetch.plan(date(2021, 1, 1), date(2021, 2, 1), "new", "old") == [fetch.Part("new", date(2021, 1, 1), date(2021, 2, 1))]
    assert fetch.plan(date(2012, 1, 1), date(2013, 1, 1), "new", "old") == [fetch.Part("old", date(2012, 1, 1), date(2013, 1, 1))]
    with pytest.raises(ValueError, match="after"):
        fetch.plan(date(2021, 1, 2), date(2021, 1, 1), "new", "old")


def test_api_fields_map_to_export_headers():
    assert fetch.FIELDS["Incident Zip"] == "incident_zip" and fetch.FIELDS["Community Board"] == "community_board"
    assert fetch.FIELDS["Open Data Channel Type"] == "open_data_channel_type"
    row = fixture_server.ROWS[1]
    out = dict(zip(fetch.HEADERS, fetch.export_row(row), strict=True))
    assert list(EXPORT_COLUMNS) == fetch.HEADERS
    assert out["Unique Key"] == row["unique_key"] and out["Created Date"] == row["created_date"]
    assert out["Incident Zip"] == row["incident_zip"] and out["Due Date"] == ""  # left out by the API


def test_pages_never_exceed_50000_rows_and_continue_after_the_last_key():
    part = fetch.Part("erm2-nwe9", date(2024, 1, 1), date(2024, 1, 31))
    params = fetch.page_params(part, "123", 1_000_000)
    assert params["$limit"] == "50000" and params["$order"] == "unique_key"
    assert params["$where"] == ("created_date >= '2024-01-01T00:00:00.000' AND created_date < "
                                "'2024-02-01T00:00:00.000' AND unique_key > '123'")


def test_retry_after_is_honoured(tmp_path):
    part = fetch.Part("erm2-nwe9", date(2022, 5, 1), date(2022, 5, 1))
    with fixture_server.SodaServer(faults=["429"], retry_after="2") as soda:
        dl = fetch.Downloader(soda.url, fetch.retrying_session("", tries=2, backoff_s=0), tmp_path, progress=False)
        t0 = time.monotonic()
        rows = dl.get(part, fetch.page_params(part, None, 10))
        waited = time.monotonic() - t0
    assert len(rows) == 10 and waited >= 1.9 and len(soda.requests) == 2
