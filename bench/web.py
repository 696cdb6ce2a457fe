"""Web benchmark: simulated dashboard users through nginx -> gunicorn on loopback.

    python -m bench.web [--users 100] [--duration 300] [--poll 5] [--page-every 30]

Each user opens the live page (HTML, layout, dependencies, the page-router and shell callbacks)
every --page-every seconds and polls the live refresh callback every --poll seconds with the view
state it holds, like a browser tab. Meanwhile a writer adds a few requests to the live tables every
--write-every seconds, so some refreshes carry patches and most carry nothing. The run is bounded
(--duration) and stops by itself. Reported: errors (target 0), p50/p95/max response times
(target p95 <= 200 ms), the CPU the app uses (gunicorn processes' CPU seconds / wall seconds, in
cores), nginx's share, and the bytes of a live refresh when nothing moved (target <= 10 KB).

By default it builds a throw-away SQLite store seeded with an hour of live data; --store-url runs
against an existing store instead (no writes then).
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import psutil
import requests

from bench.proxy import Stack
from pipeline.rollups.tables import LIVE_TTL_SECONDS, RECENT_TTL_SECONDS, bucket_of
from pipeline.schema import BOROUGHS

NY = ZoneInfo("America/New_York")
TYPES = ("Noise - Residential", "Illegal Parking", "HEAT/HOT WATER", "Blocked Driveway", "Street Condition",
         "Noise - Street/Sidewalk", "Water System", "Abandoned Vehicle", "UNSANITARY CONDITION", "Rodent")
ZIPS = {"Bronx": ("10451", "10452", "10453", "10456", "10458"), "Brooklyn": ("11201", "11206", "11211", "11226"),
        "Manhattan": ("10001", "10002", "10025", "10027", "10031"), "Queens": ("11354", "11368", "11372", "11385"),
        "Staten Island": ("10301", "10304", "10314")}


# -- the store's live data ----------------------------------------------------------------------------

def live_frames(events: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Rows of the live tables for events [unique_key, created_at (aware), borough, complaint_type, zip]."""
    e = events.assign(agency="NYPD", period=[t.astimezone(NY).strftime("%Y-%m-%dT%H:%M") for t in events["created_at"]])
    e["grain"], e["bucket"] = "minute", [bucket_of("minute", p) for p in e["period"]]
    key = ["grain", "bucket", "period"]
    out = {}
    for table, dims in (("live_requests", ["borough", "complaint_type", "agency"]),
                        ("live_zips", ["zip", "borough", "complaint_type", "agency"])):
        out[table] = e.groupby(key + dims, as_index=False).size().rename(columns={"size": "n"})
    out["recent_events"] = e.assign(event_type="created", descriptor="", status="Open", community_district="Unspecified",
                                    latitude=None, longitude=None, produced_at=e["created_at"])[
        ["period", "created_at", "unique_key", "event_type", "complaint_type", "descriptor", "agency", "status",
         "borough", "zip", "community_district", "latitude", "longitude", "produced_at"]]
    return out


def random_events(n: int, start: datetime, end: datetime, rng: random.Random, prefix: str) -> pd.DataFrame:
    rows = []
    span = (end - start).total_seconds()
    for i in range(n):
        b = rng.choice(BOROUGHS)
        rows.append((f"{prefix}{i}", start + timedelta(seconds=int(rng.random() * span)), b, rng.choice(TYPES),
                     rng.choice(ZIPS[b])))
    return pd.DataFrame(rows, columns=["unique_key", "created_at", "borough", "complaint_type", "zip"])


def write(store, events: pd.DataFrame, now: datetime) -> None:
    """Upsert events' minute counts (absolute: recount the minutes they touch from all events so far)."""
    for table, frame in live_frames(events).items():
        store.upsert(table, frame, ttl_seconds=RECENT_TTL_SECONDS if table == "recent_events" else LIVE_TTL_SECONDS)
    store.upsert("pipeline_status", pd.DataFrame([{
        "job": "live", "batch_id": int(now.timestamp()), "last_batch_time": pd.Timestamp(now),
        "last_event_time": pd.Timestamp(events["created_at"].max()), "last_produced_at": pd.Timestamp(now),
        "batch_rows": len(events), "input_rate": 1.0, "lag_messages": 0, "seconds_behind": 0.2,
        "malformed_batch": 0, "malformed_total": 0, "requests_tracked": len(events)}]))


# -- simulated users ------------------------------------------------------------------------------------

@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    idle_bytes: list[tuple[int, int]] = field(default_factory=list)  # (request, response) of empty refreshes
    patch_bytes: list[int] = field(default_factory=list)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.times.setdefault(kind, []).append(seconds)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors.append(what)


def _header_bytes(headers) -> int:
    return sum(len(k) + len(v) + 4 for k, v in headers.items())


class Callbacks:
    """The callback bodies a browser sends, built from the app's /_dash-dependencies."""

    def __init__(self, deps: list[dict]):
        self.live = next(d for d in deps
                         if "live-state.data" in d["output"] and d["inputs"][0]["id"] == "live-interval")
        self.router = next(d for d in deps if "_pages_content.children" in d["output"])
        # the shell's callbacks a page load fires: inputs only on the URL, plain ids, server side
        self.shell = [d for d in deps if d is not self.router and not d["prevent_initial_call"]
                      and not d.get("clientside_function") and "ALL" not in d["output"]
                      and {i["id"] for i in d["inputs"]} == {"_pages_location"}]

    @staticmethod
    def _outputs(output: str) -> list[dict] | dict:
        """A list for a multi-output callback ('..a.b...c.d..'), one dict for a single output."""
        def one(spec: str) -> dict:
            cid, prop = spec.rsplit(".", 1)
            return {"id": cid, "property": prop.split("@")[0]}
        if output.startswith(".."):
            return [one(p) for p in output.strip(".").split("...")]
        return one(output)

    def body(self, dep: dict, values: dict[str, object]) -> dict:
        """A callback request with each input/state set from `values` by property name (else None)."""
        def fill(items):
            return [{**i, "value": values.get(i["property"])} for i in items]
        first = dep["inputs"][0]
        return {"output": dep["output"], "outputs": self._outputs(dep["output"]), "inputs": fill(dep["inputs"]),
                "state": fill(dep.get("state", [])), "changedPropIds": [f"{first['id']}.{first['property']}"]}


def user(*args) -> None:
    """One simulated user; a failure of the simulation itself counts as an error, not a lost thread."""
    stats = args[3]
    try:
        _user(*args)
    except Exception as exc:  # noqa: BLE001 - reported in the summary
        stats.error(f"simulated user crashed: {type(exc).__name__}: {exc}")


def _user(base: str, prefix: str, cb: Callbacks, stats: Stats, stop_at: float, poll: float, page_every: float,
          rng: random.Random) -> None:
    s = requests.Session()
    state = None
    n = 0
    next_poll = time.monotonic() + rng.random() * poll
    next_page = time.monotonic() + rng.random() * page_every

    def call(kind: str, method: str, path: str, **kw):
        t0 = time.perf_counter()
        try:
            r = s.request(method, base + path, timeout=30, **kw)
        except requests.RequestException as exc:
            stats.error(f"{kind}: {exc}")
            return None
        stats.add(kind, time.perf_counter() - t0)
        if r.status_code not in (200, 204):
            stats.error(f"{kind}: HTTP {r.status_code} {r.text[:200]}")
            return None
        return r

    while True:
        now = time.monotonic()
        if now >= stop_at:
            return
        if now >= next_page:
            next_page += page_every
            call("page html", "GET", "live")
            call("page layout", "GET", "_dash-layout")
            call("page dependencies", "GET", "_dash-dependencies")
            url = {"pathname": f"{prefix}live", "search": ""}
            call("page router", "POST", "_dash-update-component", json=cb.body(cb.router, url))
            for dep in cb.shell:
                call("page shell", "POST", "_dash-update-component", json=cb.body(dep, url))
        elif now >= next_poll:
            next_poll += poll
            n += 1
            body = json.dumps(cb.body(cb.live, {"n_intervals": n, "data": state}))
            r = call("live refresh", "POST", "_dash-update-component", data=body,
                     headers={"Content-Type": "application/json"})
            if r is not None:
                req_bytes = len(body) + _header_bytes(r.request.headers)
                resp_bytes = len(r.content) + _header_bytes(r.headers)
                response = r.json()["response"] if r.status_code == 200 else {}
                with stats.lock:
                    if response:
                        stats.patch_bytes.append(resp_bytes)
                    else:  # nothing moved: 204, or an empty response when only no_update was returned
                        stats.idle_bytes.append((req_bytes, resp_bytes))
                state = response.get("live-state", {}).get("data", state)
        time.sleep(max(0.0, min(next_poll, next_page) - time.monotonic()))


def _cpu(pids: list[int]) -> float:
    """CPU seconds of these processes and all their children, alive or already reaped (gunicorn
    recycles workers after max_requests, and a finished worker's time moves to the master's
    children_* counters)."""
    total = 0.0
    for pid in pids:
        try:
            p = psutil.Process(pid)
            t = p.cpu_times()
            total += t.user + t.system + t.children_user + t.children_system
            for child in p.children(recursive=True):
                c = child.cpu_times()
                total += c.user + c.system
        except psutil.NoSuchProcess:
            pass
    return total


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else (values[0] if values else float("nan"))


def run(args: argparse.Namespace) -> dict:
    folder = tempfile.mkdtemp(prefix="nyc311-bench-")
    try:
        return _run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run(args: argparse.Namespace, folder: str) -> dict:
    rng = random.Random(311)
    store = None
    env = {}
    if args.store_url:
        env["NYC311_STORE_URL"] = args.store_url
    else:
        from pipeline.settings import load
        from pipeline.stores import open_store
        url = f"sqlite:///{folder}/rollups.db"
        store = open_store(url, load())
        store.ensure_schema()
        now = datetime.now(ZoneInfo("UTC"))
        seeded = random_events(args.seed_events, now - timedelta(minutes=59), now, rng, "s")
        write(store, seeded, now)
        env["NYC311_STORE_URL"] = url
    # every simulated user shares 127.0.0.1: lift the per-address callback rate limit for the run
    with Stack(prefix=args.prefix, env=env, workers=args.workers, access_log=False, callback_rate="100000r/s",
               callback_burst=100000) as stack:
        deps = requests.get(stack.url + "_dash-dependencies", timeout=30).json()
        cb = Callbacks(deps)
        stats = Stats()
        cpu_app0, cpu_nginx0 = _cpu([stack.gunicorn.pid]), _cpu([stack.nginx.pid])
        t0 = time.monotonic()
        stop_at = t0 + args.duration
        threads = [threading.Thread(target=user, args=(stack.url, args.prefix, cb, stats, stop_at, args.poll,
                                                       args.page_every, random.Random(i)), daemon=True)
                   for i in range(args.users)]
        for t in threads:
            t.start()
        events, k = seeded if store is not None else None, 0
        while time.monotonic() < stop_at:
            time.sleep(min(args.write_every, max(0.0, stop_at - time.monotonic())))
            if store is not None and args.write_every > 0 and time.monotonic() < stop_at:
                now = datetime.now(ZoneInfo("UTC"))
                new = random_events(3, now - timedelta(seconds=2), now, rng, f"w{k}-")
                k += 1
                events = pd.concat([events[events["created_at"] > now - timedelta(minutes=61)], new])
                write(store, events, now)
        for t in threads:
            t.join(timeout=60)
        wall = time.monotonic() - t0
        cpu_app, cpu_nginx = _cpu([stack.gunicorn.pid]) - cpu_app0, _cpu([stack.nginx.pid]) - cpu_nginx0
    every = [v for vs in stats.times.values() for v in vs]
    idle_req = [a for a, _ in stats.idle_bytes]
    idle_resp = [b for _, b in stats.idle_bytes]
    return {
        "users": args.users, "duration_s": round(wall, 1), "requests": len(every), "errors": len(stats.errors),
        "error_samples": stats.errors[:5],
        "p50_ms": round(1000 * _pct(every, 50), 1), "p95_ms": round(1000 * _pct(every, 95), 1),
        "max_ms": round(1000 * max(every), 1) if every else None,
        "by_kind_p95_ms": {k: round(1000 * _pct(v, 95), 1) for k, v in sorted(stats.times.items())},
        "by_kind_count": {k: len(v) for k, v in sorted(stats.times.items())},
        "app_cpu_cores": round(cpu_app / wall, 3), "nginx_cpu_cores": round(cpu_nginx / wall, 3),
        "idle_refreshes": len(stats.idle_bytes),
        "idle_refresh_response_bytes": round(statistics.mean(idle_resp), 1) if idle_resp else None,
        "idle_refresh_request_bytes": round(statistics.mean(idle_req), 1) if idle_req else None,
        "patch_refreshes": len(stats.patch_bytes),
        "patch_refresh_response_bytes_median": statistics.median(stats.patch_bytes) if stats.patch_bytes else None,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.web", description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=100)
    p.add_argument("--duration", type=float, default=300, help="seconds (the run stops by itself)")
    p.add_argument("--poll", type=float, default=5, help="seconds between live refreshes per user")
    p.add_argument("--page-every", type=float, default=30, help="seconds between page opens per user")
    p.add_argument("--write-every", type=float, default=10, help="seconds between writes to the live tables")
    p.add_argument("--seed-events", type=int, default=400, help="requests in the seeded last hour")
    p.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: config/gunicorn.conf.py)")
    p.add_argument("--prefix", default="/311/")
    p.add_argument("--store-url", default=None, help="an existing store (default: a seeded throw-away SQLite)")
    result = run(p.parse_args(argv))
    print(json.dumps(result, indent=2))
    ok = (result["errors"] == 0 and result["p95_ms"] <= 200
          and (result["idle_refresh_response_bytes"] or 0) + (result["idle_refresh_request_bytes"] or 0) <= 10_240)
    print("targets met" if ok else "TARGETS MISSED")


if __name__ == "__main__":
    main()
