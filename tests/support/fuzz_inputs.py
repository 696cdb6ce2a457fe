"""Hostile inputs for the web edge: generated URLs and /_dash-update-component payloads.

Why a seeded generator rather than hypothesis here: the fuzz test sends thousands of requests to a real
server under a time budget, so it needs a fast, reproducible stream; hypothesis drives the pure
parsers (tests/unit/test_input_properties.py). The pools hold what real links and probes contain:
dates far outside the data (the worst URLs of issue 10), lone surrogates, huge and empty values,
wrong JSON types, unknown ids and broken bodies.
"""
from __future__ import annotations

import json
import random
from urllib.parse import quote

PATHS = ("", "map", "trends", "rankings", "resolution", "live", "about", "embed/trends", "nowhere", "_dash-layout")
# The worst links issue 10 names: each must open its page with a notice, quickly.
WORST_URLS = ("?range=custom&start=0600-01-01",
              "?range=custom&start=2020-01-01&end=9999-12-31",
              "trends?range=custom&start=1678-01-01&end=2261-12-31&gran=day&split=complaint_type")
KEYS = ("range", "start", "end", "borough", "district", "zip", "type", "agency", "level", "metric", "gran", "split",
        "area_a", "area_b", "types", "embed", "utm_source", "", "start[]", "x" * 300)
DATES = ("0001-01-01", "0600-01-01", "1678-01-01", "1899-12-31", "1900-01-01", "2020-01-01", "2023-06-15",
         "2024-02-29", "2024-06-30", "2261-12-31", "9999-12-31", "2023-02-30", "20230101", "-2020-01-01",
         "2023-13-01", "now", "")
WORDS = ("custom", "7d", "30d", "365d", "all", "day", "week", "month", "borough", "zip", "community_district",
         "count", "per_10k", "median_h", "open_share", "complaint_type", "agency", "none", "Brooklyn", "Queens",
         "Atlantis", "109", "999", "10027", "1002", "Noise - Residential", "HEAT/HOT WATER", "NYPD", "1", "0",
         "true", "Noise - Residential|HEAT/HOT WATER|Street Condition|Water System|Illegal Parking|Extra",
         "%ED%A0%80", "%F0%9F%92%A9", "%00", "%FF%FE", "<script>alert(1)</script>", "' OR 1=1 --", "x" * 5000,
         "%E2%80%AE", "|||", "NaN", "-1", "1e309")
JSON_VALUES = (None, 0, -1, 1.5, 10**30, float("inf"), True, "", "x", "\ud800", "?range=custom&start=0600-01-01",
               [], [1, "a"], {}, {"points": "x"}, {"points": [{"location": None}]}, {"points": [{}]},
               {"points": [{"location": "Brooklyn", "customdata": ["\udfff"]}]}, "?" + "a=1&" * 2000,
               {"range": "all"}, ["a"] * 50, "2023-01-01", "9999-12-31T00:00:00", {"f": "x", "t": "y"})


def query(rng: random.Random) -> str:
    """A query string of 0-6 parameters, mostly meaningful keys with bad or extreme values."""
    pairs = []
    for _ in range(rng.randint(0, 6)):
        key = rng.choice(KEYS)
        value = rng.choice(DATES) if key in ("start", "end") or rng.random() < 0.15 else rng.choice(WORDS)
        pairs.append(f"{quote(key)}={value if '%' in value else quote(value)}")
    return "?" + "&".join(pairs) if pairs else ""


def url(rng: random.Random) -> str:
    """A path under the app plus a query (a worst URL one time in ten)."""
    if rng.random() < 0.1:
        return rng.choice(WORST_URLS)
    return rng.choice(PATHS) + query(rng)


def _value(rng: random.Random, prop: str, search: str):
    if prop in ("search", "data") and rng.random() < 0.6:
        return search
    return rng.choice(JSON_VALUES)


def payload(rng: random.Random, callback: dict, search: str) -> bytes:
    """A /_dash-update-component body for one callback of /_dash-dependencies, with hostile values;
    one time in eight a structurally broken body."""
    def concrete(ident):
        return {k: (rng.choice(("overview", "top types", "map", 0, None, "\ud800")) if isinstance(v, list) else v)
                for k, v in ident.items()}

    def parts(items):
        out = []
        for i in items:
            if isinstance(i["id"], str):
                out.append({"id": i["id"], "property": i["property"], "value": _value(rng, i["property"], search)})
            else:  # a pattern-matching input: a list of concrete ids, possibly naming nothing real
                out.append([{"id": concrete(i["id"]), "property": i["property"], "value": rng.choice(JSON_VALUES)}
                            for _ in range(rng.randint(0, 2))])
        return out
    outputs = []
    for o in callback["output"].strip(".").split("..."):
        ident, _, prop = o.rpartition(".")
        if ident.startswith("{"):
            ident = json.loads(ident)
            if any(isinstance(v, list) for v in ident.values()):
                outputs.append([])  # ALL: the matching components (none named here)
                continue
        outputs.append({"id": ident, "property": prop})
    body = {"output": callback["output"], "outputs": outputs if len(outputs) != 1 else outputs[0],
            "inputs": parts(callback["inputs"]), "state": parts(callback["state"]),
            "changedPropIds": [f"{json.dumps(i['id']) if isinstance(i['id'], dict) else i['id']}.{i['property']}"
                               for i in callback["inputs"]][:1]}
    roll = rng.random()
    if roll < 0.04:
        return b'{"output": '
    if roll < 0.08:
        body = rng.choice(JSON_VALUES[:12])
    elif roll < 0.12:
        body.pop(rng.choice(list(body)))
    return json.dumps(body).encode("utf-8", "surrogatepass") if roll >= 0.04 else b""
