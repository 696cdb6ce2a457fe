"""The live page in real headless Chromium: it shows what the stream writes, updates in place as
new events arrive, and stops polling while the tab is hidden."""
from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from serving_support import CALLS_JS, FEED_JS, TOTAL_JS, ZIPS_JS, app_server, chromium, sqlite_store

from pipeline.tables import LIVE_TTL_SECONDS, RECENT_TTL_SECONDS, bucket_of

pytestmark = pytest.mark.browser
NY = ZoneInfo("America/New_York")

def write_events(store, events: list[tuple[str, str, str, str]], now_utc: datetime) -> None:
    """What the streaming job writes for these events (key, borough, type, zip), all created now."""
    ny = now_utc.astimezone(NY)
    period = ny.strftime("%Y-%m-%dT%H:%M")
    frame = pd.DataFrame(events, columns=["unique_key", "borough", "complaint_type", "zip"])
    frame["agency"] = "NYPD"
    base = {"grain": "minute", "bucket": bucket_of("minute", period), "period": period}
    for table, dims in (("live_requests", ["borough", "complaint_type", "agency"]),
                        ("live_zips", ["zip", "borough", "complaint_type", "agency"])):
        rows = frame.groupby(dims, as_index=False).size().rename(columns={"size": "n"}).assign(**base)
        store.upsert(table, rows, ttl_seconds=LIVE_TTL_SECONDS)
    created = pd.Timestamp(now_utc)
    recent = frame.assign(period=period, created_at=[created + pd.Timedelta(milliseconds=i) for i in range(len(frame))],
                          event_type="created", descriptor="Loud Music/Party", status="Open",
                          community_district="Unspecified", latitude=None, longitude=None, produced_at=created)
    store.upsert("recent_events", recent, ttl_seconds=RECENT_TTL_SECONDS)
    store.upsert("pipeline_status", pd.DataFrame([{
        "job": "live", "batch_id": int(time.time()), "last_batch_time": created, "last_event_time": created,
        "last_produced_at": created, "batch_rows": len(frame), "input_rate": 1.0, "lag_messages": 0,
        "seconds_behind": 0.5, "malformed_batch": 0, "malformed_total": 0, "requests_tracked": len(frame)}]))


def test_live_page_updates_as_events_arrive(tmp_path):
    url, store = sqlite_store(tmp_path)
    now = datetime.now(ZoneInfo("UTC")).replace(second=5)
    # the same minute for both batches keeps the test independent of the clock's minute rollover
    bronx = [(f"k{i:02d}", "Bronx", "Noise - Residential", "10451") for i in range(20)]
    write_events(store, bronx, now)
    env = {"NYC311_STORE_URL": url, "NYC311_LIVE_INTERVAL_MS": "1000"}
    with app_server(env) as base, chromium() as driver:
        driver.get(base + "live")
        wait = WebDriverWait(driver, 30)
        wait.until(lambda d: d.execute_script(FEED_JS) == [f"k{i:02d}" for i in range(19, -1, -1)])
        totals = wait.until(lambda d: d.execute_script(TOTAL_JS))
        assert totals[0] == 20 and sum(totals) == 20  # Bronx is the first trace
        assert wait.until(lambda d: d.execute_script(ZIPS_JS)) == [["10451"], [20]]
        assert "behind" in driver.find_element(By.ID, "live-freshness").text

        # more events arrive: the page shows them without a reload
        write_events(store, [*bronx, ("q1", "Queens", "Illegal Parking", "11372"),
                             ("q2", "Queens", "Illegal Parking", "11372")], now + timedelta(seconds=1))
        wait.until(lambda d: (d.execute_script(FEED_JS) or [None])[0] == "q2")
        # two new on top, the two oldest dropped (a patch, not a redraw)
        assert driver.execute_script(FEED_JS) == ["q2", "q1", *[f"k{i:02d}" for i in range(19, 1, -1)]]
        wait.until(lambda d: sum(d.execute_script(TOTAL_JS)) == 22)
        assert driver.execute_script(TOTAL_JS)[3] == 2  # Queens
        wait.until(lambda d: sorted(d.execute_script(ZIPS_JS)[0]) == ["10451", "11372"])

        # hidden tab: polling stops; visible again: it resumes
        driver.execute_script("Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
                              "document.dispatchEvent(new Event('visibilitychange'));")
        time.sleep(1.5)
        before = driver.execute_script(CALLS_JS)
        time.sleep(3.5)
        assert driver.execute_script(CALLS_JS) == before
        driver.execute_script("Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
                              "document.dispatchEvent(new Event('visibilitychange'));")
        wait.until(lambda d: d.execute_script(CALLS_JS) > before)
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
        assert not severe, severe
