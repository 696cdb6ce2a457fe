"""The Hotspots page in real headless Chromium over the real Cassandra store: for a complaint type
and a borough the hexagon map and the list of places draw the recounted numbers, a click on a
hexagon narrows the list to that cell (and says so), the data API serves the numbers drawn, and a
bad cell id in a link is a notice, not an error."""
from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import h3
import pandas as pd
import pytest
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from app.pages.hotspots import area_name
from tests.support.app_support import headless_chrome, make_requests, served_over
from tests.support.rollup_fixtures import with_places

pytestmark = pytest.mark.browser

TYPE, BOROUGH = "Noise - Residential", "Brooklyn"
FILTERS = "range=all&type=Noise+-+Residential&borough=Brooklyn"
# drawn: both figures in, past the placeholder, and Dash done plotting them (dcc.Graph (re)binds its
# hover and click events only when a plot resolves; a map's resolves once MapLibre has rendered)
DRAWN = """
const graphs = [...document.querySelectorAll('.page-hotspots .js-plotly-plot')];
return graphs.length === 2 && graphs.every(g => g._fullData && g.layout &&
    !((g.layout.annotations || []).some(a => /Loading/.test(a.text))) &&
    !g.closest('.dash-graph--pending'));
"""
# a spot of the map's canvas (offset from its centre) that no hexagon covers, near its border: the pointer
# crosses it between hover tries
EMPTY_SPOT = """
const g = [...document.querySelectorAll('.page-hotspots .js-plotly-plot')][0];
const map = g._fullLayout.map._subplot.map; const hex = 'plotly-trace-layer-' + g._fullData[1].uid;
const c = map.getCanvas(); const r = c.getBoundingClientRect(); const w = r.width, h = r.height;
for (const [x, y] of [[8, 8], [w - 8, 8], [8, h - 8], [w - 8, h - 8], [w / 2, 8], [w / 2, h - 8], [8, h / 2], [w - 8, h / 2]])
    if (!map.queryRenderedFeatures([x, y]).some(f => f.layer.id.startsWith(hex))) return [x - w / 2, y - h / 2];
return null;
"""
PLACES = """
const card = [...document.querySelectorAll('.chart-card')].find(c => (c.querySelector('h2') || {})
    .innerText.startsWith('Top 25 addresses')); const g = card.querySelector('.js-plotly-plot');
return g._fullData.length ? [Array.from(g._fullData[0].y), Array.from(g._fullData[0].x)] : [[], []];
"""
CELLS = """
const card = [...document.querySelectorAll('.chart-card')].find(c => (c.querySelector('h2') || {})
    .innerText === 'Requests by hexagon'); const g = card.querySelector('.js-plotly-plot');
return [Array.from(g._fullData[1].locations), Array.from(g._fullData[1].z)];
"""


@pytest.fixture(scope="module")
def reqs() -> pd.DataFrame:
    return with_places(make_requests(n=1200, seed=5))


@pytest.fixture(scope="module")
def served(cassandra_url, reqs):
    u = urlparse(cassandra_url)
    with served_over(u._replace(path=f"{u.path}_hotspots_app").geturl(), reqs) as app:
        yield app


@pytest.fixture(scope="module")
def driver(served):
    with headless_chrome("hot") as d:
        yield d


def wait(driver, condition, timeout: float = 30):
    return WebDriverWait(driver, timeout, poll_frequency=0.1).until(condition)


def at_cell(driver, cell: str) -> tuple[object, int, int]:
    """The map's canvas and the cell centre's offset from the canvas centre, projected by MapLibre now."""
    canvas, x, y = driver.execute_script(
        "const [lat, lon] = arguments[0]; const g = [...document.querySelectorAll('.page-hotspots .js-plotly-plot')][0];"
        "const map = g._fullLayout.map._subplot.map; const p = map.project([lon, lat]);"
        "const c = map.getCanvas(); const r = c.getBoundingClientRect();"
        "return [c, p.x - r.width / 2, p.y - r.height / 2];", list(h3.cell_to_latlng(cell)))
    return canvas, int(x), int(y)


def point_at(driver, cell: str, shown, timeout: float = 60):
    """Move the pointer onto the cell until `shown` holds, as a user moves the mouse again when nothing
    appears. Between tries the pointer crosses a spot of the map with no hexagon, as a user's would:
    Plotly emits a hover only when the hovered point changes, so leaving the map (which clears
    nothing) and coming back to the same cell never emitted a second one, and a first hover that Dash
    missed (CI run of stop 35: no callback request was ever sent) was lost for good. Each try waits
    10 s: the hover callback reads the cell's types from the store, on two busy cores."""
    deadline = time.monotonic() + timeout
    while True:
        canvas, x, y = at_cell(driver, cell)
        ActionChains(driver).move_to_element_with_offset(canvas, x, y).pause(0.5).perform()
        try:
            return WebDriverWait(driver, 10, poll_frequency=0.1).until(shown)
        except TimeoutException:
            if time.monotonic() > deadline:
                raise
            spot = driver.execute_script(EMPTY_SPOT)
            assert spot, "every spot near the map's border is covered by a hexagon"
            ActionChains(driver).move_to_element_with_offset(canvas, int(spot[0]), int(spot[1])).pause(0.5).perform()


def drawn_places(driver) -> dict[tuple[str, str], int]:
    """{(place, area name): count} of the drawn bars ('3. 100 MAIN ST (Brooklyn CD 1)')."""
    labels, counts = driver.execute_script(PLACES)
    return {tuple(label.split(". ", 1)[1][:-1].rsplit(" (", 1)): int(n) for label, n in zip(labels, counts, strict=True)}


def recount(reqs: pd.DataFrame, cell: str | None = None) -> tuple[dict, dict]:
    sel = reqs[(reqs["complaint_type"] == TYPE) & (reqs["borough"] == BOROUGH)]
    cells = sel[sel["cell"] != "Unspecified"]["cell"].value_counts().to_dict()
    if cell:
        sel = sel[sel["cell"] == cell]
    sel = sel[sel["address"] != "Unspecified"]
    places = sel.groupby(["address", sel["community_district"].map(lambda d: area_name(d, BOROUGH))]).size().to_dict()
    return places, cells


def test_map_and_list_draw_the_recount_hover_shows_types_and_a_click_narrows_to_a_cell(served, driver, reqs):
    driver.get(served.url + "hotspots?" + FILTERS)
    wait(driver, lambda d: d.execute_script(DRAWN))
    want_places, want_cells = recount(reqs)
    locations, z = driver.execute_script(CELLS)
    assert dict(zip(locations, map(int, z), strict=True)) == want_cells
    assert drawn_places(driver) == want_places
    # point at the busiest hexagon where the map draws it: its top types (read for that cell) show above
    # the map, here the one type filtered; then click it
    cell = max(want_cells, key=lambda c: (want_cells[c], c))
    line = f"{TYPE} ({want_cells[cell]:,})"
    point_at(driver, cell, lambda d: cell in d.find_element(By.ID, "hotspots-cell-types").text
             and line in d.find_element(By.ID, "hotspots-cell-types").text)
    canvas, x, y = at_cell(driver, cell)
    ActionChains(driver).move_to_element_with_offset(canvas, x, y).pause(0.2).click().perform()
    wait(driver, lambda d: parse_qs(urlparse(d.current_url).query).get("cell") == [cell])
    wait(driver, lambda d: d.find_elements(By.ID, "hotspots-cell-note"))
    wait(driver, lambda d: d.execute_script(DRAWN) and drawn_places(d) == recount(reqs, cell)[0])
    assert cell in driver.find_element(By.ID, "hotspots-cell-note").text
    severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE" and "favicon" not in e["message"]]
    assert severe == []


def test_the_data_api_serves_the_places_drawn(served, driver):
    driver.get(served.url + "hotspots?" + FILTERS)
    wait(driver, lambda d: d.execute_script(DRAWN))
    shown = drawn_places(driver)
    body = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch('api/v1/charts/hotspots/places?" + FILTERS + "').then(r => r.json()).then(done, e => done(String(e)));")
    assert {(r["address"], area_name(r["community_district"], r["borough"])): r["count"]
            for r in body["rows"]} == shown and shown


def test_a_bad_cell_in_a_link_is_a_notice(served, driver):
    driver.get(served.url + "hotspots?range=all&cell=not-a-cell")
    alert = wait(driver, lambda d: d.find_element(By.ID, "url-alert"))
    assert "hexagon cell" in alert.text and "not-a-cell" in alert.text
    wait(driver, lambda d: d.execute_script(DRAWN))
    assert not driver.find_elements(By.ID, "unavailable-alert")
