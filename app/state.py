"""The view state of the app, and its query-string form.

Why pure functions: every filter and page option lives in the URL so that a link reopens the same
view. Parsing never raises: a value we cannot use falls back to its default and yields a notice the
shell shows, so a mangled link still opens a page (issue: shareable state).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from urllib.parse import parse_qs, urlencode

from pipeline.read.api import Filters
from pipeline.schema import BOROUGHS, UNSPECIFIED

RANGES = {"7d": "Last 7 days", "30d": "Last 30 days", "365d": "Last 365 days", "all": "All time",
          "custom": "Custom"}
RANGE_DAYS = {"7d": 7, "30d": 30, "365d": 365}
LEVELS = {"borough": "Borough", "community_district": "Community district", "zip": "ZIP code"}
METRICS = {"count": "Requests", "per_10k": "Requests per 10,000 residents",
           "median_h": "Median resolution time (hours)", "open_share": "Share still open (%)"}
# Per-capita rates of near-empty areas (parks, the financial district) are noise: below this many
# residents no rate is shown.
MIN_POPULATION = 2_000
GRANULARITIES = {"day": "Day", "week": "Week", "month": "Month"}
SPLITS = {"none": "Total", "complaint_type": "Complaint type", "borough": "Borough", "agency": "Agency"}
AREA_CHOICES = (*BOROUGHS, UNSPECIFIED)
MAX_TYPES = 5
# The longest range drawn day by day (two years): a longer one is drawn by week, with a notice. Keeps a
# daily series at most ~730 points per group, whatever a link asks for (README: URL parameters).
MAX_DAY_SPAN_DAYS = 731
# Dates the app works with at all: a link's date outside is clamped into it, with a notice; then
# `parse(search, bounds)` clamps to the data's first and last day (with a notice).
DATE_RANGE = (date(1900, 1, 1), date(2100, 12, 31))
MAX_SEARCH = 4096  # characters of a query string we read; a longer one is cut, with a notice

# Keys that belong to the global filter bar (kept when moving between pages).
GLOBAL_KEYS = ("range", "start", "end", "borough", "district", "zip", "type", "agency", "descriptor", "embed")


@dataclass(frozen=True)
class State:
    range: str = "365d"
    start: date | None = None
    end: date | None = None
    borough: str | None = None
    district: str | None = None
    zip: str | None = None
    type: str | None = None
    agency: str | None = None
    # page options
    level: str = "borough"
    metric: str = "count"
    gran: str = "week"
    split: str = "complaint_type"
    area_a: str | None = None
    area_b: str | None = None
    types: tuple[str, ...] = ()
    embed: bool = False
    descriptor: str | None = None  # within the complaint type (e.g. Loud Music/Party); its own rollups
    cell: str | None = None  # hotspots: the H3 cell clicked (pipeline/read/hotspots.py)

    def but(self, **changes) -> State:
        return replace(self, **changes)


DEFAULT = State()


def _choice(options):
    def check(v: str):
        if v not in options:
            raise ValueError
        return v
    return check


def _iso(v: str) -> date:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        raise ValueError
    return date.fromisoformat(v)  # any calendar date: parse() clamps it into DATE_RANGE, with a notice


def _text(v: str) -> str:
    v = v.strip()
    if not v or len(v) > 120 or not v.isprintable():
        raise ValueError
    v.encode("utf-8")  # a lone surrogate: UnicodeEncodeError is a ValueError
    return v


def _pattern(rx: str):
    def check(v: str) -> str:
        if not re.fullmatch(rx, v):
            raise ValueError
        return v
    return check


def _cell(v: str) -> str:
    from pipeline.read.hotspots import is_cell
    if not is_cell(v):
        raise ValueError
    return v


def _flag(v: str) -> bool:
    if v not in ("0", "1", "true", "false"):
        raise ValueError
    return v in ("1", "true")


def _types(v: str) -> tuple[str, ...]:
    items = tuple(dict.fromkeys(_text(t) for t in v.split("|") if t.strip()))
    if not items or len(items) > MAX_TYPES:
        raise ValueError
    return items


PARSERS = {
    "range": _choice(RANGES), "start": _iso, "end": _iso,
    "borough": _choice(AREA_CHOICES), "district": _pattern(r"[1-5]\d\d"), "zip": _pattern(r"\d{5}"),
    "type": _text, "agency": _text, "descriptor": _text,
    "level": _choice(LEVELS), "metric": _choice(METRICS), "gran": _choice(GRANULARITIES),
    "split": _choice(SPLITS), "area_a": _choice(AREA_CHOICES), "area_b": _choice(AREA_CHOICES),
    "types": _types, "embed": _flag, "cell": _cell,
}
LABELS = {"range": "date range", "start": "start date", "end": "end date", "district": "community district",
          "zip": "ZIP code", "type": "complaint type", "gran": "granularity",
          "area_a": "first area", "area_b": "second area", "types": "complaint types",
          "cell": "hexagon cell"}


def _shown(value: str) -> str:
    """A value quoted back in a notice: printable, short, and encodable (no lone surrogates)."""
    text = "".join(ch if ch.isprintable() else "\ufffd" for ch in value[:60])
    return text.encode("utf-8", "replace").decode("utf-8")


def parse(search: object, bounds: tuple[date, date] | None = None) -> tuple[State, list[str]]:
    """State from a query string ('?a=1&b=2' or 'a=1'), plus a notice per value we ignored.

    Never raises, whatever `search` is (callback payloads are client-made). With the data's
    `bounds`, dates are clamped into them and a day series longer than MAX_DAY_SPAN_DAYS becomes
    weekly, each with a notice."""
    notices: list[str] = []
    if not isinstance(search, str):
        search = ""
    if len(search) > MAX_SEARCH:
        notices.append(f"The link was longer than {MAX_SEARCH:,} characters: the rest was ignored.")
        search = search[:MAX_SEARCH]
    try:
        raw = parse_qs(search.lstrip("?"), keep_blank_values=True, max_num_fields=100)
    except ValueError:
        notices.append("The link had too many parameters: showing the defaults.")
        raw = {}
    values: dict[str, object] = {}
    for key, vals in raw.items():
        if key not in PARSERS:
            continue  # foreign parameters (e.g. tracking tags) are not the user's mistake
        value = vals[-1]
        if value == "":
            continue
        try:
            values[key] = PARSERS[key](value)
        except ValueError:
            notices.append(f"Ignored {LABELS.get(key, key)} “{_shown(value)}”: not a value this page understands.")
    state = replace(DEFAULT, **values)
    if state.range == "custom" and not (state.start or state.end):
        notices.append("A custom date range needs a start or an end date: showing the default range.")
        state = state.but(range=DEFAULT.range)
    if state.range != "custom" and (state.start or state.end):
        state = state.but(range="custom")
    if state.start and state.end and state.start > state.end:
        notices.append("The start date was after the end date: the two were swapped.")
        state = state.but(start=state.end, end=state.start)
    if state.range != "custom":
        state = state.but(start=None, end=None)
    if bounds is None:
        state = _within(state, notices)
    if state.district and state.zip:
        notices.append("A ZIP code and a community district cannot be combined: kept the ZIP code.")
        state = state.but(district=None)
    if state.descriptor and state.zip:  # no rollup keeps ZIP codes by descriptor (pipeline/rollups/tables.py)
        notices.append("A ZIP code and a descriptor cannot be combined: kept the ZIP code.")
        state = state.but(descriptor=None)
    if bounds is not None:
        state = _clamp(state, bounds, notices)
    return state, notices


def _within(state: State, notices: list[str]) -> State:
    """Dates inside DATE_RANGE (without the data's bounds, e.g. while the store is down)."""
    lo, hi = DATE_RANGE
    clamped = {k: min(max(d, lo), hi) for k in ("start", "end") if (d := getattr(state, k)) is not None}
    for k, d in clamped.items():
        if d != getattr(state, k):
            notices.append(f"Dates before {lo.year} or after {hi.year} are not shown: the {LABELS[k]} "
                           f"{getattr(state, k)} became {d}.")
    return state.but(**clamped)


def _clamp(state: State, bounds: tuple[date, date], notices: list[str]) -> State:
    """Dates inside the data's first..last day, and no day series longer than MAX_DAY_SPAN_DAYS."""
    first, last = bounds
    start, end = state.start, state.end
    if start and start < first:
        notices.append(f"The data starts on {first:%B %-d, %Y}: showing from then (the link asked for {start}).")
        start = first
    if end and end > last:
        notices.append(f"The data ends on {last:%B %-d, %Y}: showing up to then (the link asked for {end}).")
        end = last
    if start and start > last:
        notices.append(f"The data ends on {last:%B %-d, %Y}, before the start asked for: showing its last day.")
        start = last
    if end and end < first:
        notices.append(f"The data starts on {first:%B %-d, %Y}, after the end asked for: showing its first day.")
        end = first
    state = state.but(start=start, end=end)
    f = filters(state, bounds)
    span = ((f.end or last) - (f.start or first)).days + 1
    if state.gran == "day" and span > MAX_DAY_SPAN_DAYS:
        notices.append(f"A daily series is drawn for at most {MAX_DAY_SPAN_DAYS} days: this range of {span:,} days "
                       "is shown by week.")
        state = state.but(gran="week")
    return state


def _encode(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return "|".join(value)
    return str(value)


def serialise(state: State, keys: tuple[str, ...] | None = None) -> str:
    """The query string ('' or '?...') of the non-default values of a state, in a stable order."""
    pairs = []
    for f in fields(State):
        if keys is not None and f.name not in keys:
            continue
        value = getattr(state, f.name)
        if value == getattr(DEFAULT, f.name) or value is None:
            continue
        pairs.append((f.name, _encode(value)))
    return "?" + urlencode(pairs) if pairs else ""


def global_part(search: object) -> str:
    """The filter-bar part of a query string, for links to other pages."""
    return serialise(parse(search)[0], GLOBAL_KEYS)


def filters(state: State, bounds: tuple[date, date] | None) -> Filters:
    """The read API filters of a state; relative ranges end on the latest day with data."""
    start, end = state.start, state.end
    if state.range in RANGE_DAYS:
        start = end = None
        if bounds:
            end = bounds[1]
            start = end - timedelta(days=RANGE_DAYS[state.range] - 1)
    return Filters(start=start, end=end, borough=state.borough, complaint_type=state.type,
                   agency=state.agency, community_district=state.district, zip=state.zip,
                   descriptor=state.descriptor)


def previous_period(f: Filters, bounds: tuple[date, date] | None) -> Filters | None:
    """The period of equal length just before f's (None when f has no definite length)."""
    start = f.start or (bounds[0] if bounds else None)
    end = f.end or (bounds[1] if bounds else None)
    if start is None or end is None or f.start is None:
        return None
    days = (end - start).days + 1
    prev_start = start - timedelta(days=days)
    if bounds and prev_start < bounds[0]:
        return None  # the earlier period is not (fully) loaded: a comparison would mislead
    return f.but(start=prev_start, end=start - timedelta(days=1))
