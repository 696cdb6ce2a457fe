"""Read-API benchmark: every query the dashboard makes, over ten years of rollups.

    python -m bench.read --store cassandra://127.0.0.1:9042/nyc311_bench
    python -m bench.read --store sqlite:///var/bench_rollups.db

So as not to depend on the batch job, it synthesises rollup rows directly (realistic sparsity:
requests are drawn per period from a Zipf-like mix of complaint types and areas, ~3 M a year), loads them
with replace_periods (reporting write throughput), then times each query `--repeat` times cold (every call
reaches the store) and cached (the read-through cache): p50/p95 per query and overall (target p95 <= 50 ms).

What is loaded: month rows of every rollup for all years, day rows of `requests` for every day (day
and week series), and day rows of the other rollups for the first month and the last
`--day-months` months, the only day partitions the benchmark's ranges read (partial months at range
edges; day partitions that no query reads would not change read cost). The month-only hotspot tables (`places_by_cell` and what pipeline/rollups/hotspot_rows.derived_tables
sums from it) are written for every month from bench/hotspot_world.py's synthetic places (meta
bench_hotspots: added to an older load without rewriting the rest, written again when derived_tables
returns other tables or HOTSPOT_VERSION changes), then the closed years' year rows, and the descriptor
rollups (bench/descriptor_world.py). The narrow rollups (pipeline/rollups/tables.py) are sums of the
synthesised wide rows, as compute_rollup gives them; week rows, the closed years' count rows and the running
totals (pipeline/rollups/year_counts.py, running_counts.py) are summed from the stored rows, as a load does.
The load is skipped when the store holds the same synthetic data (meta bench_loaded; bench_narrow for the
narrow tables, added to an older load without rewriting it: the wide rows are synthesised again).

With --layouts wide,narrow the wide rollups alone are timed too, query by query in turns with the full.
"""
from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd

from bench import descriptor_world, hotspot_years
from bench.results import record
from pipeline import settings as settings_mod
from pipeline.read.api import TABLE_PREFERENCE, Filters, ReadAPI, table_for
from pipeline.read.plan import plan_range
from pipeline.rollups import backfill, date_bounds, running_counts, year_counts
from pipeline.rollups.hotspot_rows import FINEST, derived_tables
from pipeline.rollups.tables import RESOLUTION_BINS_H, ROLLUPS, bucket_of
from pipeline.schema import BOROUGH_CODES, BOROUGHS
from pipeline.stores import open_store

AGENCIES = ("NYPD", "HPD", "DOT", "DSNY", "DEP", "DOB", "DPR", "DOHMH", "TLC", "DHS")
CHANNELS = ("PHONE", "ONLINE", "MOBILE", "OTHER")
STATUSES = ("Closed", "Open", "In Progress", "Pending", "Assigned")
# The rollups World synthesises; every other rollup is a sum of one of them (narrow_source), but the
# descriptors' (bench/descriptor_world.py) and the hotspots' (MONTH_ONLY below).
WIDE = ("requests", "districts", "zips", "channels", "status", "resolution", "timeliness", "hours_of_week",
        "district_timeliness", "district_resolution")
NARROW = tuple(name for name, r in ROLLUPS.items()
               if name not in WIDE and "descriptor" not in r.dims and "day" in r.grains)
LAYOUTS = {"narrow": TABLE_PREFERENCE, "wide": tuple(n for n in TABLE_PREFERENCE if n in WIDE)}
# The month-only tables (the finest place rows and what derived_tables sums from it), synthesised by
# bench/hotspot_world.py for every month; bump HOTSPOT_VERSION when that synthesis changes.
MONTH_ONLY = tuple(sorted(derived_tables(pd.DataFrame(columns=list(ROLLUPS[FINEST].columns)))))
HOTSPOT_VERSION = "h1"


def narrow_source(name: str) -> str:
    """The synthesised rollup a narrow one is summed from."""
    return table_for(set(ROLLUPS[name].dims), ROLLUPS[name].measures, preference=WIDE)


def narrow_rows(name: str, wide: pd.DataFrame) -> pd.DataFrame:
    rollup = ROLLUPS[name]
    return wide.groupby(list(rollup.key), as_index=False)[list(rollup.measures)].sum()[list(rollup.columns)]


class World:
    """The dimensions of the synthetic city and how requests spread over them."""

    def __init__(self, seed: int = 311, n_types: int = 40, n_zips: int = 180, n_districts: int = 70):
        rng = np.random.default_rng(seed)
        self.rng = rng
        self.types = [f"Complaint Type {i:02d}" for i in range(n_types)]
        self.type_agency = [AGENCIES[i % len(AGENCIES)] for i in range(n_types)]
        self.type_p = _zipf(n_types, 1.1)
        boroughs = [*BOROUGHS, "Unspecified"]
        self.borough_p = np.array([0.2, 0.3, 0.2, 0.25, 0.04, 0.01])
        self.boroughs = boroughs
        self.zips = [f"{10001 + i:05d}" for i in range(n_zips)]
        self.zip_borough = [boroughs[i % 5] for i in range(n_zips)]
        self.zip_p = rng.dirichlet(np.full(n_zips, 2.0))
        self.cds = [f"{(i % 5 + 1) * 100 + i // 5 + 1}" for i in range(n_districts)]
        self.cd_borough = [BOROUGH_CODES[i % 5 + 1] for i in range(n_districts)]
        self.cd_p = rng.dirichlet(np.full(n_districts, 2.0))
        self.res_p = _lognormal_bins()

    def frame(self, table: str, grain: str, period: str, n: int) -> pd.DataFrame:
        """Rows of one rollup for one period holding n requests."""
        rng, t = self.rng, len(self.types)
        rollup = ROLLUPS[table]
        if table.startswith("district_"):
            return self.district_frame(table, grain, period, n)
        if table in ("districts", "zips"):
            names, area_b, area_p = ((self.cds, self.cd_borough, self.cd_p) if table == "districts"
                                     else (self.zips, self.zip_borough, self.zip_p))
            counts = rng.multinomial(n, np.outer(area_p, self.type_p).ravel()).reshape(len(names), t)
            a, k = np.nonzero(counts)
            rows = {rollup.dims[0]: np.array(names)[a], "borough": np.array(area_b)[a]}
        else:
            extra = {"channels": (CHANNELS, _zipf(4, 0.8)), "status": (STATUSES, np.array([.8, .08, .06, .03, .03])),
                     "resolution": (tuple(range(len(RESOLUTION_BINS_H))), self.res_p),
                     "hours_of_week": (tuple(range(168)), _weekly())}.get(table, ((None,), np.ones(1)))
            values, p3 = extra
            probs = np.einsum("i,j,k->ijk", self.borough_p, self.type_p, p3).ravel()
            counts = rng.multinomial(n, probs).reshape(len(self.boroughs), t, len(values))
            b, k, v = np.nonzero(counts)
            rows = {"borough": np.array(self.boroughs)[b]}
            if values != (None,):
                rows[next(d for d in rollup.dims if d not in ("borough", "complaint_type", "agency"))] = np.array(values, dtype=object)[v]
            cells = counts[b, k, v]
        if table in ("districts", "zips"):
            cells = counts[a, k]
        frame = pd.DataFrame(rows)
        frame["complaint_type"] = np.array(self.types)[k]
        frame["agency"] = np.array(self.type_agency)[k]
        return _finish(frame, rollup, cells, grain, period)


    def district_frame(self, table: str, grain: str, period: str, n: int) -> pd.DataFrame:
        """A district's own due dates by agency, or its resolution bins (the board report's rollups)."""
        rollup = ROLLUPS[table]
        if table == "district_timeliness":
            agencies = sorted(set(self.type_agency))
            p2 = np.array([self.type_p[[a == g for g in self.type_agency]].sum() for a in agencies])
        else:
            agencies, p2 = list(range(len(RESOLUTION_BINS_H))), self.res_p
        counts = self.rng.multinomial(n, np.outer(self.cd_p, p2).ravel()).reshape(len(self.cds), len(p2))
        a, k = np.nonzero(counts)
        cells = counts[a, k]
        frame = pd.DataFrame({"community_district": np.array(self.cds)[a], "borough": np.array(self.cd_borough)[a],
                              rollup.dims[-1]: np.array(agencies, dtype=object)[k]})
        return _finish(frame, rollup, cells, grain, period)


def _finish(frame: pd.DataFrame, rollup, cells: np.ndarray, grain: str, period: str) -> pd.DataFrame:
    """The measures of a synthesised frame (counts, or 70 % on time, 20 % late, 5 % open on time for
    due dates) and its key columns."""
    if rollup.measures == ROLLUPS["timeliness"].measures:
        frame["with_due"] = cells
        frame["on_time"] = (cells * 0.7).astype(int)
        frame["late"] = (cells * 0.2).astype(int)
        frame["open_past_due"] = cells - frame["on_time"] - frame["late"] - (cells * 0.05).astype(int)
    else:
        frame["n"] = cells
    frame["grain"], frame["period"], frame["bucket"] = grain, period, bucket_of(grain, period)
    return frame[list(rollup.columns)]


def _zipf(n: int, s: float) -> np.ndarray:
    p = 1.0 / np.arange(1, n + 1) ** s
    return p / p.sum()


def _weekly() -> np.ndarray:
    hours = np.arange(168) % 24
    p = 0.3 + np.exp(-((hours - 13) ** 2) / 30)
    return p / p.sum()


def _lognormal_bins() -> np.ndarray:
    """Bin probabilities of a log-normal resolution time (median 30 h)."""
    edges = [0.0, *RESOLUTION_BINS_H[:-1]]
    cdf = [0.0 if e <= 0 else 0.5 * (1 + math.erf((math.log(e) - math.log(30)) / (2.0 * math.sqrt(2))))
           for e in edges] + [1.0]
    p = np.maximum(np.diff(cdf), 1e-6)
    return p / p.sum()


# -- loading -----------------------------------------------------------------------------------------
def load(store, world: World, first: date, last: date, per_day: int, day_months: int, out=sys.stdout,
         tables: tuple[str, ...] = tuple(ROLLUPS)) -> None:
    """Write `tables` (the wide rows are synthesised in the same order whatever is written; the
    month-only tables, for every month, from bench/hotspot_world.py's places through derived_tables)."""
    days = pd.date_range(first, last, freq="D")
    months = sorted({d.strftime("%Y-%m") for d in days})
    dense_months = {months[0], *months[-day_months:]}
    baseline_months = set(months[-3:])  # hours_of_week: only the baseline's weeks are read
    written, seconds = {}, {}

    def put(table, grain, periods, frame):
        for name in (table, *(n for n in NARROW if narrow_source(n) == table)):
            if name in tables:
                write(name, grain, periods, frame if name == table else narrow_rows(name, frame))

    def write(table, grain, periods, frame):
        t0 = time.perf_counter()
        n = store.replace_periods(table, grain, periods, frame)
        seconds[(table, grain)] = seconds.get((table, grain), 0) + time.perf_counter() - t0
        written[(table, grain)] = written.get((table, grain), 0) + n

    wide_too = bool(set(tables) & {*WIDE, *NARROW})  # else only the month-only tables (their own World)
    for month in months if wide_too else ():
        in_month = [d for d in days if d.strftime("%Y-%m") == month]
        for table in WIDE:
            if table == "hours_of_week" and month not in baseline_months:
                continue
            put(table, "month", [month], world.frame(table, "month", month, per_day * len(in_month)))
            if table == "requests" or month in dense_months:
                periods = [d.strftime("%Y-%m-%d") for d in in_month]
                frame = pd.concat([world.frame(table, "day", p, per_day) for p in periods], ignore_index=True)
                put(table, "day", periods, frame)
        print(f"  loaded {month}", file=sys.stderr, end="\r")
    if set(MONTH_ONLY) & set(tables):
        from bench.hotspot_world import HotspotWorld
        t0, places, requests = time.perf_counter(), HotspotWorld(world, per_day=per_day), 0
        for month, days_in in pd.Series(days.strftime("%Y-%m")).value_counts().sort_index().items():
            requests += per_day * days_in
            for table, rows in derived_tables(places.month(month, per_day * days_in)).items():
                write(table, "month", [month], rows)
            print(f"  loaded hotspots {month}", file=sys.stderr, end="\r")
        print(f"hotspots: {written[(FINEST, 'month')] / requests:.3f} rows per request over {requests:,} "
              f"requests; synthesised and written in {time.perf_counter() - t0:.1f} s", file=out)
    total_rows, total_s = sum(written.values()), sum(seconds.values())
    print(f"write: {total_rows:,} rows in {total_s:.1f} s = {total_rows / total_s:,.0f} rows/s "
          f"(replace_periods, store {store.url})", file=out)
    for (table, grain), n in sorted(written.items()):
        print(f"  {table:13s} {grain:5s} {n:>10,} rows {n / seconds[(table, grain)]:>9,.0f} rows/s", file=out)


# -- queries -----------------------------------------------------------------------------------------
def dashboard_queries(last: date, top_type: str) -> list[tuple[str, object]]:
    """(label, call) for every read the dashboard pages make, over its usual ranges (the live page's
    baseline: the two hours of the week its last 60 minutes straddle, here Wednesday 13-15 h)."""
    ranges = {"all": Filters(), "last 365 d": Filters(start=last - timedelta(days=364), end=last),
              "ytd": Filters(start=date(last.year, 1, 1), end=last),
              "last 30 d": Filters(start=last - timedelta(days=29), end=last)}
    q = []
    for name, f in ranges.items():
        fb = f.but(borough="Brooklyn")
        ft = f.but(complaint_type=top_type)
        gran, spark = ("day", "day") if name == "last 30 d" else ("week" if name != "all" else "month", "month")
        q += [
            (f"{name}: counts borough", lambda a, f=f: a.counts("borough", f)),
            (f"{name}: counts complaint_type", lambda a, f=f: a.counts("complaint_type", f)),
            (f"{name}: counts agency [Brooklyn]", lambda a, f=fb: a.counts("agency", f)),
            (f"{name}: timeseries {gran}", lambda a, f=f, g=gran: a.timeseries(f, g)),
            (f"{name}: timeseries {gran} by borough", lambda a, f=f, g=gran: a.timeseries(f, g, "borough", 5)),
            (f"{name}: timeseries {gran} by type top 8 [Brooklyn]",
             lambda a, f=fb, g=gran: a.timeseries(f, g, "complaint_type", 8)),
            (f"{name}: top zip per capita", lambda a, f=f: a.top_areas("zip", f, 10, True)),
            (f"{name}: top zip [type]", lambda a, f=ft: a.top_areas("zip", f, 200)),
            (f"{name}: top districts", lambda a, f=f: a.top_areas("community_district", f, 100)),
            (f"{name}: top boroughs per capita", lambda a, f=f: a.top_areas("borough", f, 6, True)),
            (f"{name}: resolution by type", lambda a, f=f: a.resolution("complaint_type", f)),
            (f"{name}: resolution [Brooklyn]", lambda a, f=fb: a.resolution(None, f)),
            (f"{name}: status mix", lambda a, f=f: a.status_mix(f)),
            (f"{name}: timeliness by agency", lambda a, f=f: a.timeliness(f, "agency")),
            (f"{name}: open now", lambda a, f=f: a.open_now(f)),
            # the rankings' sparklines: the 20 areas its charts show, by month beyond 183 days
            (f"{name}: timeseries {spark} by zip [type, 20 shown]",
             lambda a, f=ft, g=spark: a.timeseries(f, g, "zip", among=tuple(f"{10001 + i:05d}" for i in range(0, 180, 9)))),
            (f"{name}: resolution by agency", lambda a, f=f: a.resolution("agency", f)),
            (f"{name}: status mix by borough", lambda a, f=f: a.status_mix(f, "borough"))]
    q += [("vocabulary complaint_type", lambda a: a.vocabulary("complaint_type")),
          ("vocabulary agency", lambda a: a.vocabulary("agency")),
          ("date bounds", lambda a: a.date_bounds()), ("freshness", lambda a: a.freshness()),
          ("hour-of-week baseline 8 weeks, two hours", lambda a: a.hour_of_week_baseline(8, hows=(61, 62)))]
    return q


def api_of(store, url: str, layout: str, cache: bool) -> ReadAPI:
    """The read API of a layout; 'scan' reads the narrow layout through a second SQLite store object
    that never seeks (each query a range scan of its periods, filters applied to every row)."""
    if layout == "scan":
        scanning = open_store(url, settings_mod.load())
        scanning.seek_periods = 0
        return ReadAPI(scanning, cache=cache, tables=LAYOUTS["narrow"])
    return ReadAPI(store, cache=cache, tables=LAYOUTS[layout])


def time_queries(api: ReadAPI, queries, repeat: int) -> dict[str, list[float]]:
    return time_layouts({"": api}, queries, repeat)[""]


def time_layouts(apis: dict[str, ReadAPI], queries, repeat: int) -> dict[str, dict[str, list[float]]]:
    """Timings per API and query; each run of a query goes to every API in turn (same load)."""
    out: dict[str, dict[str, list[float]]] = {name: {} for name in apis}
    for label, call in queries:
        for _ in range(repeat):
            for name, api in apis.items():
                t0 = time.perf_counter()
                call(api)
                out[name].setdefault(label, []).append((time.perf_counter() - t0) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def query_class(label: str) -> str:
    """'last 30 d: timeseries day by borough' -> 'timeseries by borough' (ranges and grains merged)."""
    what = label.split(": ", 1)[-1]
    return " ".join(w for w in what.split() if w not in ("day", "week", "month")) if what.startswith("timeseries") else what


def by_class(timings: dict[str, list[float]]) -> dict[str, list[float]]:
    return {c: [v for label, ms in timings.items() if query_class(label) == c for v in ms]
            for c in dict.fromkeys(map(query_class, timings))}


def summary(timings: dict[str, list[float]]) -> dict[str, object]:
    """The figures issue 12's table quotes: p50/p95 of every call, and the slowest class's p95."""
    every, (worst, ms) = [v for ms in timings.values() for v in ms], max(by_class(timings).items(), key=lambda kv: pct(kv[1], 95))
    return {"p50_ms": pct(every, 50), "p95_ms": pct(every, 95), "worst_class": worst, "worst_class_p95_ms": pct(ms, 95)}


def report(title: str, timings: dict[str, list[float]], out=sys.stdout, detail: bool = True) -> None:
    every = [v for ms in timings.values() for v in ms]
    print(f"\n{title}: {len(timings)} queries x {len(next(iter(timings.values())))} runs, "
          f"p50 {pct(every, 50):.1f} ms, p95 {pct(every, 95):.1f} ms, max {max(every):.1f} ms", file=out)
    print(f"  {'query class (all ranges)':58s} {'p50 ms':>8s} {'p95 ms':>8s}", file=out)
    for name, ms in by_class(timings).items():
        print(f"  {name:58s} {pct(ms, 50):8.1f} {pct(ms, 95):8.1f}", file=out)
    if detail:
        print(f"  {'query':58s} {'p50 ms':>8s} {'p95 ms':>8s}", file=out)
        for label, ms in timings.items():
            print(f"  {label:58s} {pct(ms, 50):8.1f} {pct(ms, 95):8.1f}", file=out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.read", description=__doc__.split("\n\n")[0])
    p.add_argument("--store", default="cassandra://127.0.0.1:9042/nyc311_bench")
    p.add_argument("--years", type=int, default=10)
    p.add_argument("--last-day", type=date.fromisoformat, default=date(2025, 11, 27))
    p.add_argument("--requests-per-day", type=int, default=8200)
    p.add_argument("--day-months", type=int, default=13, help="last months with day rows of every rollup (365 days need 13)")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--reload", action="store_true", help="load the synthetic rollups even if already there")
    p.add_argument("--layouts", default="narrow", type=lambda v: v.split(","),
                   help="comma-separated, of: narrow (every rollup, the read API's default), wide (only the "
                        "rollups before the narrow ones), scan (SQLite: narrow, but every query a range scan, "
                        "as before the stores sought filtered key prefixes); 'wide,narrow' times both, interleaved")
    p.add_argument("--without-hotspots", action="store_true",
                   help="skip the hotspot tables (~80%% of ten years' rows): only bench.app's hotspots page reads them")
    p.add_argument("--compare", action="store_true", help="Cassandra: also batched vs single-row writes, server vs client sums")
    args = p.parse_args(argv)
    last = args.last_day
    first = date(last.year - args.years + 1, 1, 1)
    store = open_store(args.store, settings_mod.load())
    store.ensure_schema()
    signature = f"v1 {first} {last} {args.requests_per_day} {args.day_months}"
    narrow_signature = f"{signature} {','.join(NARROW)}"
    hotspot_signature = f"{signature} {HOTSPOT_VERSION} {','.join(MONTH_ONLY)}"
    if args.reload or store.get_meta("bench_loaded") != signature:
        todo = tuple(ROLLUPS)
    else:
        stored = (store.get_meta("bench_narrow") or "").removeprefix(f"{signature} ").split(",")
        todo = tuple(n for n in NARROW if n not in stored)
        if store.get_meta("bench_hotspots") != hotspot_signature:
            todo += MONTH_ONLY
    todo = tuple(name for name in todo if not (args.without_hotspots and name in MONTH_ONLY))
    if todo:
        print(f"synthesising {first}..{last}, {args.requests_per_day} requests/day; writing {', '.join(todo)}",
              file=sys.stderr)
        load(store, World(), first, last, args.requests_per_day, args.day_months, tables=todo)
        store.set_meta("bench_loaded", signature)
        store.set_meta("bench_narrow", narrow_signature)
        if set(MONTH_ONLY) <= set(todo):
            store.set_meta("bench_hotspots", hotspot_signature)
        store.set_meta("freshness", f"{last}T23:59:00")
        store.set_meta("data_version", str(time.time_ns()))
    else:
        print(f"store already holds the synthetic data ({narrow_signature}; {hotspot_signature}); --reload to write it again")
    if not args.without_hotspots:  # the closed years' year rows, summed from the month rows (bench/hotspot_years.py)
        hotspot_years.ensure(store)
    descriptor_world.ensure(store, World(), first, last, args.requests_per_day, args.day_months, signature)
    backfill.fill_weeks(store)  # week rows summed from the day rows, as a load's backfill writes them
    backfill.fill(store, {c: p for c, p in backfill.ADDED_LATER.items() if not (args.without_hotspots and c in MONTH_ONLY)})
    for summed in (year_counts.write, running_counts.write):  # as a load writes them
        summed(store, [])
    date_bounds.record(store, store.get_meta(date_bounds.VERSION) or "0")  # as a load ends
    print(f"ten-year range plan: {plan_range(first, last)}")
    cold = ReadAPI(store, cache=False)
    queries = dashboard_queries(last, top_type := cold.vocabulary("complaint_type")["value"].iloc[0])
    colds = {name: api_of(store, args.store, name, cache=False) for name in args.layouts}
    time_layouts(colds, queries, 1)  # warm prepared statements and server caches
    for name, timings in time_layouts(colds, queries, args.repeat).items():
        report(f"{name} rollups, cold (no read-through cache; every call reaches the store)", timings)
        if name == "narrow":  # the read API's default layout is the one issue 12's table quotes
            record(f"read_{args.store.split(':', 1)[0]}_{args.years}y", {**summary(timings), "store": args.store})
    time_layouts(warms := {name: api_of(store, args.store, name, cache=True) for name in args.layouts}, queries, 1)
    for name, timings in time_layouts(warms, queries, args.repeat).items():
        report(f"{name} rollups, cached (read-through cache, data_version checked every 2 s)", timings, detail=False)
    if args.compare and args.store.startswith("cassandra:"):
        from bench.read_compare import compare
        compare(store, World(seed=5), cold, last, top_type, args.repeat)
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
