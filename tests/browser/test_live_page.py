"""The live page in real headless Chromium: it shows what the stream writes, updates in place as
new events arrive, stops polling while the tab is hidden, and its map follows the dark theme."""
from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from pipeline.rollups.tables import LIVE_TTL_SECONDS, RECENT_TTL_SECONDS, bucket_of
from tests.support.serving_support import CALLS_JS, FEED_JS, TOTAL_JS, ZIPS_JS, app_server, chromium, sqlite_store

pytestmark = pytest.mark.browser
NY = ZoneInfo("America/New_York")

# The live map's MapLibre instance: its background layers' colours, the first opaque colour behind the
# map canvas (what shows through a transparent map), and the ZIPs the counts trace draws. Colours as
# [r, g, b, a] through a 2-D canvas, so any CSS colour syntax compares the same.
MAP_JS = """
const g = document.querySelector('#live-map .js-plotly-plot');
const m = g && g._fullLayout && g._fullLayout.map && g._fullLayout.map._subplot && g._fullLayout.map._subplot.map;
if (!m || !m.isStyleLoaded() || !(g._fullData && g._fullData[1])) return null;
const ctx = document.createElement('canvas').getContext('2d', {willReadFrequently: true});
const rgba = c => { ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = c; ctx.fillRect(0, 0, 1, 1);
                    return Array.from(ctx.getImageData(0, 0, 1, 1).data); };
let backdrop = null;
for (let el = m.getCanvas(); el && !backdrop; el = el.parentElement) {
  const c = rgba(getComputedStyle(el).backgroundColor);
  if (c[3] > 0) backdrop = c;
}
const counts = m.getSource('source-' + g._fullData[1].uid);
return {theme: document.documentElement.getAttribute('data-bs-theme'), backdrop: backdrop,
        backgrounds: m.getStyle().layers.filter(l => l.type === 'background')
                      .map(l => rgba(m.getPaintProperty(l.id, 'background-color'))),
        drawn: counts ? counts.serialize().data.features.map(f => f.id).sort() : null};
"""
# Counts the map's style re-sets from now on: a patch must update the traces, never reload the style.
SPY_SET_STYLE_JS = """
const m = document.querySelector('#live-map .js-plotly-plot')._fullLayout.map._subplot.map;
window.setStyleCalls = 0;
const setStyle = m.setStyle;
m.setStyle = function () { window.setStyleCalls += 1; return setStyle.apply(this, arguments); };
"""


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


@contextmanager
def live_page(tmp_path, events: list[tuple[str, str, str, str]], now_utc: datetime):
    """The live page, polling every second, over a fresh SQLite store holding `events`: yields
    (driver, store), the store for writing the next batches."""
    url, store = sqlite_store(tmp_path)
    write_events(store, events, now_utc)
    with app_server({"NYC311_STORE_URL": url, "NYC311_LIVE_INTERVAL_MS": "1000"}) as base, chromium() as driver:
        driver.get(base + "live")
        yield driver, store


def severe(logs: list[dict]) -> list[dict]:
    """The errors among browser console entries (a missing favicon aside)."""
    return [e for e in logs if e["level"] == "SEVERE" and "favicon" not in e["message"]]


def map_when(wait: WebDriverWait, ok) -> dict:
    """The live map as MAP_JS reads it, once it is drawn and `ok` holds for it."""
    def probe(driver):
        shown = driver.execute_script(MAP_JS)
        return shown if shown and ok(shown) else None
    return wait.until(probe)


def bronx_noise(n: int) -> list[tuple[str, str, str, str]]:
    return [(f"k{i:02d}", "Bronx", "Noise - Residential", "10451") for i in range(n)]


def test_live_page_updates_as_events_arrive(tmp_path):
    now = datetime.now(ZoneInfo("UTC")).replace(second=5)
    # the same minute for both batches keeps the test independent of the clock's minute rollover
    bronx = bronx_noise(20)
    with live_page(tmp_path, bronx, now) as (driver, store):
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
        errors = severe(driver.get_log("browser"))
        assert not errors, errors


def test_live_map_follows_dark_mode_while_patched(tmp_path):
    """The map has no background of its own (white-bg was a white box in dark mode): the card shows
    through in both themes, and the once-a-second patches keep drawing without re-setting its style
    (a transparent style that lost its empty `sources` on every patch made plotly throw "Map error.")."""
    now = datetime.now(ZoneInfo("UTC")).replace(second=5)
    events = bronx_noise(5)
    with live_page(tmp_path, events, now) as (driver, store):
        wait = WebDriverWait(driver, 30)
        shown = map_when(wait, lambda m: m["drawn"] == ["10451"])
        assert shown["theme"] == "light" and min(shown["backdrop"][:3]) > 200, shown
        assert shown["backgrounds"] and all(c[3] == 0 for c in shown["backgrounds"]), shown

        driver.find_element(By.ID, "theme-switch").click()  # the navbar's Dark switch
        dark = map_when(wait, lambda m: m["theme"] == "dark")
        assert max(dark["backdrop"][:3]) < 80, dark  # the dark card, not a white box
        assert dark["backgrounds"] and all(c[3] == 0 for c in dark["backgrounds"]), dark

        driver.execute_script(SPY_SET_STYLE_JS)
        for k, zip_code in enumerate(("11372", "11201"), start=1):  # two batches, two patches of the map
            events = [*events, *[(f"n{k}{j}", "Queens", "Illegal Parking", zip_code) for j in range(3)]]
            write_events(store, events, now + timedelta(seconds=k))
            zips = sorted({e[3] for e in events})
            map_when(wait, lambda m, zips=zips: m["drawn"] == zips)
            assert sorted(driver.execute_script(ZIPS_JS)[0]) == zips
        after = driver.execute_script(MAP_JS)
        assert after["theme"] == "dark" and all(c[3] == 0 for c in after["backgrounds"]), after
        assert driver.execute_script("return window.setStyleCalls") == 0  # patched in place
        logs = driver.get_log("browser")
        assert not severe(logs) and not [e for e in logs if "Map error" in e["message"]], logs
