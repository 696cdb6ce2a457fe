"""The community board report's numbers (app/report_data.py) over a real SQLite store equal a recount
of the requests: the month's types against the same month a year earlier, due dates by agency,
closed requests and where the median falls; the default month is the newest whole one."""
from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from app import report_data as rd
from app.charts import Reads
from pipeline.rollups.tables import RESOLUTION_BINS_H
from tests.support.app_support import app_over_sqlite, make_requests

pytestmark = pytest.mark.unit


@pytest.fixture(scope="module")
def reqs() -> pd.DataFrame:
    return make_requests(n=3000, seed=21)


@pytest.fixture(scope="module")
def app(reqs, tmp_path_factory):
    return app_over_sqlite(reqs, tmp_path_factory.mktemp("report"))


def month_of(reqs: pd.DataFrame, district: str, month: str) -> pd.DataFrame:
    return reqs[(reqs["community_district"] == district) & (reqs["created"].dt.strftime("%Y-%m") == month)]


def test_the_report_equals_a_recount(app, reqs):
    with app.server.test_request_context("/"):
        reads = Reads()
        through = reads("freshness")
        month, notice = rd.pick_month(None, reads.bounds(), through)
        assert notice == "" and month == "2024-05"  # the data ends inside June 2024
        report = rd.build(reads, "301", month, through)
    now, before = month_of(reqs, "301", month), month_of(reqs, "301", "2023-05")
    assert (report.total, report.total_prior) == (len(now), len(before)) and report.complete
    counts, prior = now["complaint_type"].value_counts(), before["complaint_type"].value_counts()
    assert dict(zip(report.types["complaint_type"], report.types["count"], strict=True)) == \
        counts.head(rd.TOP_TYPES).to_dict()
    for t, p in zip(report.types["complaint_type"], report.types["prior"], strict=True):
        assert p == prior.get(t, 0)
    due = now[now["due_h"].notna()]
    open_past = due[due["status"] != "Closed"].groupby("agency").size()
    assert dict(zip(report.past_due["agency"], report.past_due["with_due"], strict=True)) == \
        due.groupby("agency").size().to_dict()
    assert dict(zip(report.past_due["agency"], report.past_due["open_past_due"], strict=True)) == \
        {a: int(open_past.get(a, 0)) for a in report.past_due["agency"]}
    closed = now[now["res_h"].notna() & (now["res_h"] > 0)]
    assert report.closed == len(closed)
    true_median = float(np.median(closed["res_h"]))
    i = int(np.searchsorted(RESOLUTION_BINS_H, true_median))
    low = 0.0 if i == 0 else RESOLUTION_BINS_H[i - 1]
    assert low <= report.median_h <= RESOLUTION_BINS_H[i]  # inside the true median's bin
    assert report.city_median_h is not None
    assert set(report.areas["id"]) >= {"301"} and set(report.areas["borough"]) == {"Brooklyn"}
    assert int(report.areas.loc[report.areas["id"] == "301", "count"].iloc[0]) == len(now)


def test_months_and_districts_from_links():
    bounds = (date(2023, 1, 1), date(2024, 6, 30))
    assert rd.pick_month(None, bounds, datetime(2024, 6, 30, 23, 50)) == ("2024-06", "")
    assert rd.pick_month(None, bounds, datetime(2024, 6, 30, 12, 0)) == ("2024-05", "")
    assert rd.pick_month("2023-07", bounds, None) == ("2023-07", "")
    month, notice = rd.pick_month("2031-01", bounds, datetime(2024, 6, 30, 12))
    assert month == "2024-05" and "No data for 2031-01" in notice
    assert "YYYY-MM" in rd.pick_month("July", bounds, None)[1]
    assert rd.pick_month(None, None, None) == (None, "")
    assert rd.district_of("301")[1:] == ("Brooklyn CD 1", "Brooklyn")
    for bad in ("999", "", None, "30<script>", ["301"]):
        with pytest.raises(rd.NoSuchDistrict):
            rd.district_of(bad)


def test_the_report_page_renders_and_a_bad_district_gets_a_notice(app):
    client = app.server.test_client()
    for path in ("/report/301", "/report/301?month=2023-07", "/report/301?month=garbage", "/report/999",
                 "/report/%ED%A0%80", "/report"):
        assert client.get(path).status_code == 200
    from app.pages import report
    with app.server.test_request_context("/"):
        page = str(report.layout(district="301", month="2023-07"))
        assert "July 2023" in page and "July 2022" in page and "Open past due by agency" in page
        assert "No such community district" in str(report.layout(district="999"))
        assert "Ignored the month" in str(report.layout(district="301", month="13-2024"))


def test_the_top_descriptors_equal_a_recount(app, reqs):
    """Issue 14: the district's most frequent (type, descriptor) pairs of the month, against the same
    month a year earlier, equal a recount of the requests."""
    with app.server.test_request_context("/"):
        reads = Reads()
        report = rd.build(reads, "301", "2024-05", reads("freshness"))
    now, before = month_of(reqs, "301", "2024-05"), month_of(reqs, "301", "2023-05")
    counts = now.groupby(["complaint_type", "descriptor"]).size()
    prior = before.groupby(["complaint_type", "descriptor"]).size()
    got = report.descriptors
    assert len(got) == min(rd.TOP_DESCRIPTORS, len(counts)) and got["count"].is_monotonic_decreasing
    for t, d, n, p in zip(got["complaint_type"], got["descriptor"], got["count"], got["prior"], strict=True):
        assert (n, p) == (counts[(t, d)], prior.get((t, d), 0))
    assert got["count"].iloc[-1] >= counts.drop(list(zip(got["complaint_type"], got["descriptor"],
                                                         strict=True))).max()
