"""Dashboard benchmark: `python -m bench.app --store URL [--rounds 20] [--no-browser]`.

Measures what the issue targets, the way a user meets it:
- server time of each page's main callbacks through the real endpoint (POST /_dash-update-component,
  the payload the browser sends), p50 / p95 over several URL states (target <= 100 ms);
- first full render of the Map page in headless Chromium, from navigation to the choropleth drawn
  (target <= 2 s);
- RSS of one app worker after every page has been exercised (target <= 300 MB).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable

import psutil

from bench.results import record

# URL states each page is drawn for: typical views an analyst opens.
STATES = ("?range=30d", "?range=365d", "?range=all", "?range=365d&borough=Brooklyn",
          "?range=30d&type=Noise+-+Residential", "?range=365d&level=zip&metric=per_10k",
          "?range=365d&gran=month&split=borough")
PAGES = ("overview", "map", "trends", "rankings", "resolution", "hotspots")
# Issue 14: the pages drawing the top-descriptors view, for a type, and every page under a descriptor.
DESCRIPTOR_STATES = ("?range=30d&type=Noise+-+Residential", "?range=all&type=HEAT%2FHOT+WATER&borough=Brooklyn",
                     "?range=365d&type=Noise+-+Residential&descriptor=Loud+Music%2FParty")


def _outputs(output: str) -> list[dict]:
    """The `outputs` list of a request from a dependency's output string ('..a.p...b.q..' or 'a.p')."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    out = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        ident = ident.split("@")[0]
        out.append({"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop.split("@")[0]})
    return out


def callback_request(dependency: dict, values: dict[str, object]) -> dict:
    """The JSON body the renderer posts for one callback, inputs taken from `values` ('id.prop' -> value)."""
    def fill(items):
        return [{"id": i["id"], "property": i["property"],
                 "value": values.get(f"{i['id']}.{i['property']}")} for i in items]
    inputs = fill(dependency["inputs"])
    outputs = _outputs(dependency["output"])
    return {"output": dependency["output"], "outputs": outputs if dependency["output"].startswith("..") else outputs[0],
            "inputs": inputs, "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
            "state": fill(dependency["state"])}


def page_dependencies(client, pages: tuple[str, ...] = PAGES) -> dict[str, list[dict]]:
    """Each page's main callbacks: those fed by its URL-state store."""
    deps = client.get("/_dash-dependencies").get_json()
    found: dict[str, list[dict]] = {}
    for page in pages:
        found[page] = [d for d in deps if any(i["id"] == f"{page}-state" for i in d["inputs"])]
    return found


def call(client, dependency: dict, values: dict[str, object]) -> dict:
    r = client.post("/_dash-update-component", json=callback_request(dependency, values))
    if r.status_code not in (200, 204):
        raise RuntimeError(f"callback {dependency['output'][:80]} answered {r.status_code}: {r.data[:300]!r}")
    return r.get_json() if r.status_code == 200 else {}


def hotspot_interactions(client, rounds: int, raw: bool = False) -> dict[str, dict[str, float]]:
    """The Hotspots page's pointer callbacks over the busiest hexagons of the year: hovering one (its
    top types, read per cell) and the page drawn with one clicked (`cell=` in the URL: its places)."""
    from urllib.parse import quote_plus

    from pipeline.read.api import Filters
    deps = client.get("/_dash-dependencies").get_json()
    hover = next(d for d in deps if d["inputs"][0]["property"] == "hoverData" and "hotspots" in json.dumps(d))
    draw = page_dependencies(client, ("hotspots",))["hotspots"]
    from app.data import model
    bounds = model().ask("date_bounds").value
    cells = model().ask("hotspot_cells", Filters(start=bounds[1].replace(year=bounds[1].year - 1), end=bounds[1])).value
    busiest = list(cells["cell"].head(rounds))
    top_type = model().ask("vocabulary", "complaint_type").value["value"].iloc[0]
    hovers, clicks = [], []  # every (cell, range) once: all first visits, the read cache cold for each
    for cell in busiest:
        for search in ("?range=365d", "?range=all", f"?range=all&type={quote_plus(top_type)}"):
            t0 = time.perf_counter()
            call(client, hover, {f"{hover['inputs'][0]['id']}.hoverData": {"points": [{"location": cell}]},
                                 "hotspots-state.data": search})
            hovers.append((time.perf_counter() - t0) * 1000)
            for dep in draw:
                t0 = time.perf_counter()
                call(client, dep, {"hotspots-state.data": f"{search}&cell={cell}"})
                clicks.append((time.perf_counter() - t0) * 1000)
    timings = {"hover (a hexagon's top types)": hovers, "click (a hexagon's places)": clicks}
    return timings if raw else {what: _summary(ms) for what, ms in timings.items()}


def year_rows_against_month_rows(client, rounds: int, states: tuple[str, ...]) -> tuple[dict, dict]:
    """The hotspots pointer (hotspot_interactions) and the page's callbacks over `states`, with the closed
    years read from their year rows and from month rows only (pipeline/rollups/year_rows.py), in turns
    (year, month, year, month), the read cache emptied before each pass so every pointer call and each
    state's first visit reach the store: (year rows' summaries, month rows' summaries)."""
    from pipeline.read import cache as read_cache
    from pipeline.read.hotspots import HotspotAPI
    passes: dict[bool, list[dict]] = {True: [], False: []}
    pages: dict[bool, list[dict]] = {True: [], False: []}
    try:
        for years in (True, False, True, False):
            HotspotAPI.use_year_rows = years
            read_cache._cache.clear()
            passes[years].append(hotspot_interactions(client, rounds, raw=True))
            read_cache._cache.clear()
            pages[years].append(time_callbacks(client, 1, ("hotspots",), states)["hotspots"]["first_visit"])
    finally:
        HotspotAPI.use_year_rows = True
    return tuple({**{what: _summary([ms for p in passes[years] for ms in p[what]]) for what in passes[years][0]},
                  "page first visits (p95 of each pass)": {"p95_ms": max(p["p95_ms"] for p in pages[years]),
                                                           "passes": [p["p95_ms"] for p in pages[years]]}}
                 for years in (True, False))


def maps_year_rows_against_month_rows(store_url: str, repeat: int = 5) -> dict[str, dict[str, object]]:
    """The hexagon map's read over the store's whole range, for every type (hex_totals) and for the
    busiest type (hex_cells), uncached, from year rows and from month rows only, in turns: ms per call
    (median of `repeat`), their ratio, and whether the answers agree."""
    from pipeline.read.api import Filters
    from pipeline.read.hotspots import HotspotAPI
    from pipeline.settings import load
    from pipeline.stores import open_store
    api = HotspotAPI(open_store(store_url, load()), cache=False)
    first, last = api.date_bounds()
    views = {"whole range, every type": Filters(start=first, end=last),
             "whole range, the busiest type": Filters(start=first, end=last,
                                                    complaint_type=api.vocabulary("complaint_type")["value"].iloc[0])}
    out = {}
    try:
        for name, f in views.items():
            ms: dict[bool, list[float]] = {True: [], False: []}
            answers = {}
            for _ in range(repeat):
                for years in (True, False):
                    api.use_year_rows = years
                    t0 = time.perf_counter()
                    answers[years] = api.hotspot_cells(f)
                    ms[years].append((time.perf_counter() - t0) * 1000)
            year, month = statistics.median(ms[True]), statistics.median(ms[False])
            out[name] = {"year_rows_ms": round(year, 1), "month_rows_ms": round(month, 1),
                         "month_over_year": round(month / year, 2), "same_answer": answers[True].equals(answers[False])}
    finally:
        api.store.close()
    return out


def heads_against_full_sum(store_url: str) -> dict[str, dict[str, float]]:
    """The hotspot list read both ways over the same store, uncached, one call each way per view in
    turns: ranked from the months' heads (the page's read) and summed from every place row (the read
    before the heads, still the fallback). Seconds per call and their ratio."""
    from datetime import timedelta

    from pipeline.read.api import Filters
    from pipeline.read.hotspots import HotspotAPI
    from pipeline.settings import load
    from pipeline.stores import open_store
    api = HotspotAPI(open_store(store_url, load()), cache=False)
    last = api.date_bounds()[1]
    views = {"30 days, every type": Filters(start=last - timedelta(days=29), end=last),
             "30 days, the busiest type": Filters(start=last - timedelta(days=29), end=last,
                                                  complaint_type=api.vocabulary("complaint_type")["value"].iloc[0]),
             "365 days, Brooklyn": Filters(start=last - timedelta(days=364), end=last, borough="Brooklyn"),
             "365 days, every type": Filters(start=last - timedelta(days=364), end=last)}
    out = {}
    for name, f in views.items():
        times = {}
        for heads in (True, False):
            api.rank_from_heads = heads
            t0 = time.perf_counter()
            top = api.hotspot_places(f, None, 25)
            times["heads_s" if heads else "full_sum_s"] = round(time.perf_counter() - t0, 3)
            times["places_" + ("heads" if heads else "full_sum")] = list(zip(top["address"], top["count"], strict=True))
        same = times.pop("places_heads") == times.pop("places_full_sum")
        out[name] = {**times, "full_sum_over_heads": round(times["full_sum_s"] / times["heads_s"], 1), "same_list": same}
    api.store.close()
    return out


def with_store_types(states: tuple[str, ...], types: list[str],
                     descriptors_of: Callable[[str], list[str]] = lambda t: []) -> tuple[str, ...]:
    """The states with their complaint types swapped for the store's busiest ones when the store does
    not hold them (the synthetic ten-year store names its types 'Complaint Type 00', ...), and a
    descriptor the state's type does not have for that type's busiest (`descriptors_of(type)`, most
    requests first), so a type's or a descriptor's view reads a real slice instead of an empty one."""
    from urllib.parse import parse_qsl, quote_plus, urlencode
    names = {"Noise+-+Residential": types[0] if types else "", "HEAT%2FHOT+WATER": types[1] if len(types) > 1 else ""}
    out = []
    for s in states:
        for spelled, busiest in names.items():
            real = spelled.replace("+", " ").replace("%2F", "/")
            if spelled in s and real not in types and busiest:
                s = s.replace(spelled, quote_plus(busiest))
        query = dict(parse_qsl(s.lstrip("?")))
        if "descriptor" in query and "type" in query:
            known = descriptors_of(query["type"])
            if known and query["descriptor"] not in known:
                s = "?" + urlencode({**query, "descriptor": known[0]})
        out.append(s)
    return tuple(out)


def report_renders(districts: tuple[str, ...] = ("101", "112", "209", "301", "405", "503")) -> dict[str, dict]:
    """The board report (/report/<district>) is drawn when the page opens (the router's callback runs
    app/pages/report.py `layout`): each district's first render (its reads cold; the city's shared
    ones cold for the first district only) and its second."""
    from app.pages import report
    from pipeline.read import cache as read_cache
    read_cache._cache.clear()
    first, again = [], []
    for district in districts:
        for times in (first, again):
            t0 = time.perf_counter()
            report.layout(district=district)
            times.append((time.perf_counter() - t0) * 1000)
    return {"first_render": _summary(first), "again": _summary(again)}


def _summary(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {"calls": len(times), "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 1), "max_ms": round(times[-1], 1)}


def time_callbacks(client, rounds: int, pages: tuple[str, ...] = PAGES,
                   states: tuple[str, ...] = STATES) -> dict[str, dict[str, object]]:
    """Per page: the first round (each state's first visit: the read API's cache is cold for it) and
    all rounds (what a busy server sees, later visits answered from the read API's cache)."""
    results = {}
    for page, deps in page_dependencies(client, pages).items():
        cold, every = [], []
        for r in range(rounds):
            for search in states:
                for dep in deps:
                    t0 = time.perf_counter()
                    call(client, dep, {f"{page}-state.data": search})
                    ms = (time.perf_counter() - t0) * 1000
                    every.append(ms)
                    if r == 0:
                        cold.append(ms)
        results[page] = {"first_visit": _summary(cold), "all": _summary(every)}
    return results


def _serve(app) -> tuple[object, str]:
    import logging
    import socket

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{port}/"


def _chrome(download_dir: str):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", f"--user-data-dir={download_dir}",
                 "--window-size=1400,1000"):
        opts.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)


def first_map_render(url: str, runs: int = 3) -> list[float]:
    """Seconds from navigation start to the map's shapes drawn, each run in a fresh browser profile."""
    from selenium.webdriver.support.ui import WebDriverWait

    seconds = []
    for _ in range(runs):
        driver = _chrome(tempfile.mkdtemp(prefix="bench-chrome-"))
        try:
            driver.get(url + "map")
            WebDriverWait(driver, 30, poll_frequency=0.02).until(lambda d: d.execute_script(
                "const g = document.querySelector('.page-map .js-plotly-plot');"
                "return !!(g && g.data && g.data.length > 1"
                " && g.querySelectorAll('.trace.choropleth path.choroplethlocation').length > 5);"))
            seconds.append(driver.execute_script("return performance.now()") / 1000.0)
        finally:
            driver.quit()
    return seconds


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--store", required=True, help="store URL, e.g. cassandra://127.0.0.1:9042/nyc311_bench")
    ap.add_argument("--rounds", type=int, default=5, help="repetitions of every URL state per page")
    ap.add_argument("--no-browser", action="store_true", help="skip the Chromium map render")
    ap.add_argument("--pages", default=",".join(PAGES), help="pages to time, comma-separated (default: all)")
    ap.add_argument("--month-rows", action="store_true",
                    help="also time the hotspot pointer reading month rows only, in turns with the year rows' read")
    ap.add_argument("--full-sum", action="store_true",
                    help="also time the hotspot list summed from every row against the heads' read (slow: minutes)")
    args = ap.parse_args(argv)
    pages = tuple(p for p in args.pages.split(",") if p in PAGES)

    os.environ["NYC311_STORE_URL"] = args.store
    from app.main import create_app
    from pipeline.settings import load

    app = create_app(load())
    client = app.server.test_client()
    client.get("/")  # first request registers the page router
    # one warm-up pass: connections opened, boundary layers loaded, plans cached
    for page, deps in page_dependencies(client, pages).items():
        for dep in deps:
            call(client, dep, {f"{page}-state.data": STATES[0]})
    from app.data import model
    types = list(model().ask("vocabulary", "complaint_type").value["value"])

    def descriptors_of(ctype: str) -> list[str]:
        from pipeline.read.api import Filters
        return list(model().ask("counts", "descriptor", Filters(complaint_type=ctype)).value["descriptor"])
    report: dict[str, object] = {
        "store": args.store, "callbacks": time_callbacks(client, args.rounds, pages, with_store_types(STATES, types)),
        "descriptor_views": time_callbacks(client, args.rounds, tuple(p for p in pages if p != "hotspots"),
                                           with_store_types(DESCRIPTOR_STATES, types, descriptors_of))}
    if "hotspots" in pages and args.month_rows:
        report["hotspot_pointer"], report["hotspot_pointer_month_rows"] = year_rows_against_month_rows(
            client, args.rounds, with_store_types(STATES, types))
        report["hex_map_year_vs_month_rows"] = maps_year_rows_against_month_rows(args.store)
    elif "hotspots" in pages:
        report["hotspot_pointer"] = hotspot_interactions(client, args.rounds)
    if args.full_sum:
        report["hotspot_list_heads_vs_full_sum"] = heads_against_full_sum(args.store)
    report["board_report"] = report_renders()
    report["rss_mb_after_all_pages"] = psutil.Process().memory_info().rss / 2**20
    if not args.no_browser:
        server, url = _serve(app)
        try:
            runs = first_map_render(url)
        finally:
            server.shutdown()
        report["map_first_render_s"] = {"runs": runs, "median": statistics.median(runs)}
    print(json.dumps(report, indent=2))
    worst_page, worst = max(((k, v["all"]["p95_ms"]) for k, v in report["callbacks"].items()), key=lambda kv: kv[1])
    cold = max(v["first_visit"]["p95_ms"] for v in report["callbacks"].values())
    desc = max((v["all"]["p95_ms"] for v in report["descriptor_views"].values()), default=float("nan"))
    for what, summary in report.get("hotspot_pointer", {}).items():
        print(f"hotspots {what}: p50 {summary.get('p50_ms', float('nan')):.1f} ms, p95 {summary['p95_ms']:.1f} ms"
              f" over {summary.get('calls', len(summary.get('passes', [])))} calls / passes")
        months = report.get("hotspot_pointer_month_rows", {}).get(what)
        if months:
            print(f"  month rows only: p50 {months.get('p50_ms', float('nan')):.1f} ms, p95 {months['p95_ms']:.1f} ms "
                  f"({months['p95_ms'] / summary['p95_ms']:.2f}x the year rows' p95)")
    for view, m in report.get("hex_map_year_vs_month_rows", {}).items():
        print(f"hexagon map, {view}: {m['year_rows_ms']:.1f} ms from year rows, {m['month_rows_ms']:.1f} ms from "
              f"month rows ({m['month_over_year']:.2f}x; same answer: {m['same_answer']})")
    print(f"descriptor views (top descriptors, descriptor filter) p95 worst page: {desc:.1f} ms")
    board = report["board_report"]
    print(f"board report render p95: first {board['first_render']['p95_ms']:.1f} ms, again {board['again']['p95_ms']:.1f} ms"
          f" ({board['first_render']['calls']} districts)")
    pointer = {what: v["p95_ms"] for what, v in report.get("hotspot_pointer", {}).items()}
    # issue 12's rows are every page's worst, one per kind of store (the embedded SQLite, Cassandra): a run
    # of some pages only (--pages) keeps its own record
    name = "app" + ("_cassandra" if args.store.startswith("cassandra") else "")
    name = name if set(pages) == set(PAGES) else f"{name}_{'_'.join(pages)}"
    record(name, {"store": args.store, "pages": list(pages), "worst_page": worst_page, "worst_page_p95_ms": worst,
                   "first_visit_p95_ms": cold, "descriptor_views_p95_ms": desc, "hotspot_pointer_p95_ms": pointer,
                   "board_report_p95_ms": {k: v["p95_ms"] for k, v in board.items()},
                   "hotspot_pointer_month_rows_p95_ms": {what: v["p95_ms"] for what, v in
                                                         report.get("hotspot_pointer_month_rows", {}).items()},
                   "rss_mb": report["rss_mb_after_all_pages"]})
    print(f"\ncallback p95 worst page: {worst:.1f} ms, first visits {cold:.1f} ms (target 100); RSS {report['rss_mb_after_all_pages']:.0f} MB "
          f"(target 300)" + (f"; map first render median {report['map_first_render_s']['median']:.2f} s (target 2)"
                             if "map_first_render_s" in report else ""))


if __name__ == "__main__":
    main()
