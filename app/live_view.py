"""Pure parts of the live page: the spike rule, figure builders, the feed, and the diff that decides
what a refresh must send.

Why pure: the live page's callback runs for every open tab every few seconds, so what it sends is
decided here from data alone (no store, no clock) and unit-tested; app/pages/live.py asks the read
model (app/data.py) for the last hour and hands it over.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

import pandas as pd
from dash import Patch, html

from app import figures
from pipeline.read.live import LastHour
from pipeline.rollups.tables import PERIOD_STRFTIME
from pipeline.schema import BOROUGHS, NY, UNSPECIFIED

LIVE_BOROUGHS = (*BOROUGHS, UNSPECIFIED)
WINDOW_MINUTES = 60
FEED_LENGTH = 20

# Spike rule: far above the hour-of-week baseline, and not just 2 requests instead of 0.4.
SPIKE_RATIO = 3.0
SPIKE_MIN_COUNT = 5
BASELINE_FLOOR = 0.5  # requests/hour: a type that is almost never reported still needs a real burst
ALERTS_SHOWN = 8

FEED_COLUMNS = ("unique_key", "created_at", "borough", "complaint_type", "descriptor", "zip")
BASELINE_COLUMNS = ["borough", "complaint_type", "how", "mean"]
EMPTY_BASELINE = pd.DataFrame(columns=BASELINE_COLUMNS)


@dataclass(frozen=True)
class LiveSnapshot:
    """What the live page shows at one moment (New York local, naive times)."""
    now: datetime
    minutes: pd.DataFrame          # [minute ('YYYY-MM-DDTHH:MM'), borough, count]
    by_type: pd.DataFrame          # [borough, complaint_type, count] over the last hour
    zips: pd.DataFrame             # [zip, count] over the last hour
    feed: pd.DataFrame             # FEED_COLUMNS, newest first
    latest: datetime | None = None  # newest event time the stream has written
    status: str = "unknown"        # stream status as the streaming job reports it
    baseline: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BASELINE_COLUMNS))
    history: bool = False          # any historical data loaded: without it, no alerts (nothing to compare with)


def snapshot(hour: LastHour, now: datetime, baseline: pd.DataFrame = EMPTY_BASELINE,
             stale_since: float | None = None, history: bool | None = None) -> LiveSnapshot:
    """The snapshot of the read model's last hour. An answer kept from before the store stopped
    answering (`stale_since`, epoch seconds of that read) says so in the status line, in place of
    the stream's status, which is as old as the rest. `history` defaults to whether the baseline has
    rows; a baseline of two hours may have none while history is loaded."""
    status = hour.status
    if stale_since is not None:
        status = f"store unavailable: showing the data read at {datetime.fromtimestamp(stale_since, NY):%H:%M:%S}"
    return LiveSnapshot(now=now, minutes=hour.minutes, by_type=hour.by_type, zips=hour.zips,
                        feed=hour.feed[list(FEED_COLUMNS)], latest=hour.latest, status=status, baseline=baseline,
                        history=not baseline.empty if history is None else history)


def hour_of_week(t: datetime) -> int:
    """0 = Monday 00:00-00:59 ... 167 = Sunday 23:00 (as in the hour_of_week rollup)."""
    return t.weekday() * 24 + t.hour


def window_start(now: datetime) -> datetime:
    """First minute of the last hour (the current, partial minute is the last of 60)."""
    return now.replace(second=0, microsecond=0) - timedelta(minutes=WINDOW_MINUTES - 1)


def minute_labels(now: datetime) -> list[str]:
    start = window_start(now)
    return [(start + timedelta(minutes=i)).strftime(PERIOD_STRFTIME["minute"]) for i in range(WINDOW_MINUTES)]


def window_hows(now: datetime) -> tuple[int, int]:
    """The two hours of the week the last 60 minutes straddle (previous, current): all of the baseline
    the live page uses, so it reads only these (ReadAPI.hour_of_week_baseline `hows`)."""
    cur = hour_of_week(now)
    return (cur - 1) % 168, cur


def expected_last_hour(baseline: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """Baseline requests over the 60 minutes before `now`, per borough x complaint type.

    The window straddles two hours of the week; each contributes in proportion to the minutes of
    it inside the window, so the expectation does not jump on the hour."""
    prev, cur = window_hows(now)
    share_cur = now.minute / 60
    weights = {cur: share_cur, prev: 1 - share_cur}
    b = baseline[baseline["how"].isin(weights)].copy()
    if b.empty:
        return pd.DataFrame(columns=["borough", "complaint_type", "expected"])
    b["expected"] = b["mean"].astype(float) * b["how"].map(weights)
    return b.groupby(["borough", "complaint_type"], as_index=False)["expected"].sum()


def spikes(by_type: pd.DataFrame, baseline: pd.DataFrame, now: datetime, ratio: float = SPIKE_RATIO,
           min_count: int = SPIKE_MIN_COUNT, floor: float = BASELINE_FLOOR, history: bool | None = None) -> pd.DataFrame:
    """Borough x complaint type whose last-hour count is at least `ratio` times its baseline
    (floored at `floor`) and at least `min_count`. Columns [borough, complaint_type, count,
    expected, ratio], highest ratio first. `history`: whether any history is loaded (default: whether
    `baseline` has rows)."""
    cols = ["borough", "complaint_type", "count", "expected", "ratio"]
    if by_type.empty or not (not baseline.empty if history is None else history):  # nothing to compare with
        return pd.DataFrame(columns=cols)
    exp = expected_last_hour(baseline, now)
    df = by_type.merge(exp, on=["borough", "complaint_type"], how="left")
    df["expected"] = df["expected"].astype(float).fillna(0.0).clip(lower=floor)
    df["ratio"] = df["count"] / df["expected"]
    hit = df[(df["count"] >= min_count) & (df["ratio"] >= ratio)]
    return hit.sort_values(["ratio", "count"], ascending=False)[cols].reset_index(drop=True)


# -- figures -----------------------------------------------------------------------------------------

def minute_series(minutes: pd.DataFrame, now: datetime) -> dict[str, list[int]]:
    """Counts per minute of the last hour for every borough (zeros where nothing arrived)."""
    labels = minute_labels(now)
    pivot = (minutes.pivot_table(index="minute", columns="borough", values="count", aggfunc="sum")
             if not minutes.empty else pd.DataFrame())
    pivot = pivot.reindex(index=labels, columns=list(LIVE_BOROUGHS)).fillna(0)
    return {b: [int(v) for v in pivot[b]] for b in LIVE_BOROUGHS}


def minutes_figure(series: dict[str, list[int]], now: datetime) -> dict:
    """Requests per minute by borough, in the dashboard's look (app/figures.py). x is x0 + i*dx, so
    sliding the window one minute patches one value per trace instead of 60 labels."""
    x0 = window_start(now).strftime("%Y-%m-%d %H:%M")
    traces = [{"type": "scatter", "name": b, "x0": x0, "dx": 60_000, "y": list(series[b]), "mode": "lines",
               "line": {"shape": "hv", "width": 2, "color": figures.COLORS[i]},
               "hovertemplate": "%{x|%H:%M}: %{y}<extra>" + b + "</extra>"}
              for i, b in enumerate(LIVE_BOROUGHS)]
    return figures.figure(traces, figures.layout(280, True, {"type": "date"},
                                                 {"title": {"text": "requests / minute"}, "rangemode": "tozero"},
                                                 uirevision="live"))


def zip_map_figure(zips: pd.DataFrame, geojson_url: str, region_ids: list[str]) -> dict:
    """Last hour's requests by ZIP over every ZIP's outline. The shapes are fetched by URL (cached by
    the browser), never shipped in a refresh; a refresh patches the second trace's counts only. On the
    transparent figures.CLEAR_MAP_STYLE, so the map follows the theme (it survives the patches unchanged)."""
    outline = {"type": "choroplethmap", "geojson": geojson_url, "featureidkey": "properties.id",
               "locations": list(region_ids), "z": [0] * len(region_ids), "showscale": False, "hoverinfo": "skip",
               "colorscale": [[0, "rgba(200,205,214,0.35)"], [1, "rgba(200,205,214,0.35)"]],
               "marker": {"line": {"width": 0.5, "color": "#9aa4b2"}}}
    counts = {"type": "choroplethmap", "geojson": geojson_url, "featureidkey": "properties.id",
              "locations": list(zips["zip"]), "z": [int(v) for v in zips["count"]], "colorscale": figures.SCALE,
              "zmin": 0, "marker": {"line": {"width": 0.5, "color": "#ffffff"}},
              "colorbar": {"title": {"text": "last hour", "side": "right"}, "thickness": 10},
              "hovertemplate": "ZIP %{location}: %{z}<extra></extra>"}
    return figures.figure([outline, counts], figures.layout(
        360, False, map={"style": figures.CLEAR_MAP_STYLE, "center": {"lat": 40.705, "lon": -73.978}, "zoom": 8.8},
        uirevision="live"))


def feed_item(row: dict) -> html.Li:
    t = pd.Timestamp(row["created_at"]).strftime("%H:%M:%S")
    what = row["complaint_type"] + (f" — {row['descriptor']}" if row.get("descriptor") else "")
    where = row["borough"] + (f" {row['zip']}" if row.get("zip") and row["zip"] != UNSPECIFIED else "")
    return html.Li([html.Span(t, className="live-feed-time"), html.Span(what, className="live-feed-what"),
                    html.Span(where, className="live-feed-where")],
                   className="live-feed-item", **{"data-key": str(row["unique_key"])})


def alerts_children(hits: pd.DataFrame, has_baseline: bool = True) -> list:
    if not has_baseline:
        return [html.P("Spike alerts compare with the usual level of each hour of the week: they start once "
                       "historical data is loaded.", className="live-alerts-none")]
    if hits.empty:
        return [html.P(f"No spikes: nothing is {SPIKE_RATIO:g}× above its usual level for this hour of the week.",
                       className="live-alerts-none")]
    rows = [html.Tr([html.Td(r.borough), html.Td(r.complaint_type), html.Td(int(r.count)),
                     html.Td(f"{r.expected:.1f}"), html.Td(f"×{r.ratio:.1f}", className="live-ratio")])
            for r in hits.head(ALERTS_SHOWN).itertuples()]
    head = html.Thead(html.Tr([html.Th(h) for h in ("Borough", "Complaint type", "Last hour", "Usual", "Ratio")]))
    return [html.Table([head, html.Tbody(rows)], className="table table-sm live-alerts-table")]


# -- what a refresh sends ------------------------------------------------------------------------------

def digest(value: object) -> str:
    """Short fingerprint of JSON-able data: the client keeps these instead of the data itself."""
    return hashlib.blake2b(json.dumps(value, sort_keys=True, default=str).encode(), digest_size=6).hexdigest()


class Prepared:
    """Everything derived from one snapshot, computed once and shared by every tab's refresh
    (the snapshot changes at most once a second per worker; tabs poll far more often)."""

    def __init__(self, snap: LiveSnapshot, geojson_url: str = "", zip_ids: list[str] | None = None):
        self.snap = snap
        self.geojson_url = geojson_url
        self.zip_ids = zip_ids or []

    @cached_property
    def hits(self) -> pd.DataFrame:
        return spikes(self.snap.by_type, self.snap.baseline, self.snap.now, history=self.snap.history)

    @cached_property
    def series(self) -> dict[str, list[int]]:
        return minute_series(self.snap.minutes, self.snap.now)

    @cached_property
    def state(self) -> dict:
        """The small record the browser keeps and sends back, so the server knows what it shows."""
        snap = self.snap
        return {
            "x0": window_start(snap.now).strftime("%Y-%m-%d %H:%M"),
            "m": [digest(self.series[b]) for b in LIVE_BOROUGHS],
            "z": digest([list(snap.zips["zip"]), [int(v) for v in snap.zips["count"]]]),
            "a": digest([snap.history, self.hits.head(ALERTS_SHOWN).round(1).to_dict("records")]),
            "f": [str(k) for k in snap.feed["unique_key"]],
            "t": [snap.latest.isoformat() if snap.latest else None, snap.status],
        }

    @cached_property
    def numbers(self) -> list:
        """The two charts' numbers as tables (screen readers, keyboard users): last-hour requests per
        borough, and the ten busiest ZIPs."""
        boroughs = [html.Tr([html.Td(b), html.Td(f"{sum(self.series[b]):,}")]) for b in LIVE_BOROUGHS]
        zips = self.snap.zips.sort_values("count", ascending=False).head(10)
        zip_rows = [html.Tr([html.Td(str(z)), html.Td(f"{int(c):,}")])
                    for z, c in zip(zips["zip"], zips["count"], strict=True)]
        return [html.Table([html.Caption("Requests in the last hour by borough"),
                            html.Thead(html.Tr([html.Th("Borough", scope="col"), html.Th("Requests", scope="col")])),
                            html.Tbody(boroughs)], className="table table-sm"),
                html.Table([html.Caption("Busiest ZIP codes in the last hour"),
                            html.Thead(html.Tr([html.Th("ZIP", scope="col"), html.Th("Requests", scope="col")])),
                            html.Tbody(zip_rows or [html.Tr(html.Td("none yet", colSpan=2))])],
                           className="table table-sm")]

    @cached_property
    def feed_items(self) -> list:
        return [feed_item(r) for r in self.snap.feed.to_dict("records")]

    @cached_property
    def alerts(self) -> list:
        return alerts_children(self.hits, self.snap.history)

    @cached_property
    def fresh(self) -> dict:
        return freshness_data(self.snap)

    @cached_property
    def minutes_figure(self) -> dict:
        return minutes_figure(self.series, self.snap.now)

    @cached_property
    def map_figure(self) -> dict:
        return zip_map_figure(self.snap.zips, self.geojson_url, self.zip_ids)


def feed_patch(old_keys: list[str], new_keys: list[str], items: list) -> Patch | list | None:
    """Turn the shown feed into the new one with as little as possible: insert the new items on top
    and drop as many from the bottom; replace the whole list when it is not a simple shift."""
    if old_keys == new_keys:
        return None
    for k in range(1, len(new_keys) + 1):
        rest = new_keys[k:]
        if old_keys[:len(rest)] == rest and len(rest) > 0:
            p = Patch()
            for i in range(k):
                p.insert(i, items[i])
            for _ in range(len(old_keys) - len(rest)):
                del p[-1]
            return p
    return items


def shown_state(old: object) -> dict:
    """The browser's fingerprints as sent back (client data: checked). Anything not of the shape
    `Prepared.state` writes counts as nothing shown, so the next refresh redraws everything."""
    if not isinstance(old, dict):
        return {}
    m, f = old.get("m"), old.get("f")
    if m is not None and not (isinstance(m, list) and len(m) == len(LIVE_BOROUGHS)):
        return {}
    if f is not None and not (isinstance(f, list) and len(f) <= 1000 and all(isinstance(k, str) for k in f)):
        return {}
    return old


def refresh(old: dict | None, prep: Prepared) -> dict:
    """What one refresh sends, output name -> value, None for "unchanged". Figures and the feed
    are patched in place; nothing at all is sent when nothing moved."""
    new, snap = prep.state, prep.snap
    old = shown_state(old)
    out: dict[str, object] = {"minutes": None, "feed": None, "map": None, "alerts": None, "fresh": None}
    slid = new["x0"] != old.get("x0")
    if slid or new["m"] != old.get("m"):
        shown = old.get("m") or [None] * len(LIVE_BOROUGHS)
        p = Patch()
        for i, b in enumerate(LIVE_BOROUGHS):
            if slid:
                p["data"][i]["x0"] = new["x0"]
            if slid or new["m"][i] != shown[i]:
                p["data"][i]["y"] = prep.series[b]
        out["minutes"] = p
    if new["z"] != old.get("z"):
        p = Patch()
        p["data"][1]["locations"] = list(snap.zips["zip"])
        p["data"][1]["z"] = [int(v) for v in snap.zips["count"]]
        out["map"] = p
    if new["a"] != old.get("a"):
        out["alerts"] = prep.alerts
    if new["f"] != old.get("f"):
        out["feed"] = feed_patch(old.get("f") or [], new["f"], prep.feed_items)
    if new["t"] != old.get("t"):
        out["fresh"] = prep.fresh
    out["state"] = new if any(v is not None for v in out.values()) else None
    return out


def freshness_data(snap: LiveSnapshot) -> dict:
    """Seconds behind at the server's clock; the browser adds the time since it received this, so
    the 'seconds behind' ticks without a request (see assets/live.js)."""
    behind = (snap.now - snap.latest).total_seconds() if snap.latest else None
    return {"behind": behind, "status": snap.status,
            "latest": snap.latest.strftime("%H:%M:%S") if snap.latest else None}
