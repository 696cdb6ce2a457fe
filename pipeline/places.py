"""Where a request is: one normalised place per request (an address, or an intersection).

Why one rule set as data: the batch loader runs as Spark column expressions (no Python UDF, see
pipeline/normalize.py) and the producers build events in plain Python (pipeline/events.py), so the
rules are a table of regular expressions that both apply in the same order: `normalise_street` here,
`pipeline.normalize.place_column` in Spark. A test runs both over the real sample and compares.

The place of a request:
- an intersection ("Address Type" INTERSECTION, or no incident address but two intersection streets)
  is "STREET 1 & STREET 2", the two normalised names sorted, so both orders are one place;
- otherwise the normalised incident address ("123 MAIN STREET" and "123 Main St." are "123 MAIN ST");
- nothing usable: Unspecified (rollup keys are never null).

Normalising a street: upper case, no periods or commas, ordinal suffixes dropped ("127TH" -> "127",
as the city's own exports print them), USPS standard suffix and directional abbreviations (Publication
28, appendix C1/B), whitespace collapsed. It is idempotent: a normalised place normalises to itself,
so the streaming job can run it again over events that already carry it.
"""
from __future__ import annotations

import re

from pipeline.schema import UNSPECIFIED

MAX_PLACE_CHARS = 200  # under the event contract's text limit (pipeline/events.py MAX_TEXT_CHARS)

# USPS street suffixes (and the usual spelled-out variants) and directionals -> standard abbreviation.
WORDS: dict[str, str] = {
    "STREET": "ST", "STR": "ST", "AVENUE": "AVE", "AVEN": "AVE", "AV": "AVE", "BOULEVARD": "BLVD",
    "BOUL": "BLVD", "ROAD": "RD", "PLACE": "PL", "DRIVE": "DR", "LANE": "LN", "COURT": "CT",
    "TERRACE": "TER", "PARKWAY": "PKWY", "EXPRESSWAY": "EXPY", "HIGHWAY": "HWY", "SQUARE": "SQ",
    "PLAZA": "PLZ", "CIRCLE": "CIR", "TURNPIKE": "TPKE", "BRIDGE": "BRG", "ALLEY": "ALY",
    "CRESCENT": "CRES", "HEIGHTS": "HTS", "GARDENS": "GDNS", "WALK": "WALK", "PATH": "PATH",
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
    "NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW",
}
# (pattern, replacement) in order; replacements use `$1` (Java's syntax; `normalise_street` maps it).
RULES: tuple[tuple[str, str], ...] = (
    (r"[.,]", " "),
    (r"[ \t\r\n\f]+", " "),
    (r"\b([0-9]+)(ST|ND|RD|TH)\b", "$1"),
    *((rf"\b{long}\b", short) for long, short in WORDS.items() if long != short),
    (r"^ ?(UNSPECIFIED|N/A|NA) ?$", ""),  # the export's placeholders are no place (and keep place() idempotent)
)
INTERSECTION = "INTERSECTION"
_COMPILED = tuple((re.compile(p), r.replace("$1", r"\1")) for p, r in RULES)


def normalise_street(value: object) -> str | None:
    """An address or street name in its normal form, None when empty."""
    if value is None:
        return None
    s = str(value).upper()
    for pattern, repl in _COMPILED:
        s = pattern.sub(repl, s)
    s = s.strip(" ")
    return s or None


def place(address: object, address_type: object = None, street_1: object = None, street_2: object = None) -> str:
    """The normalised place of a request (see the module docstring)."""
    a, s1, s2 = normalise_street(address), normalise_street(street_1), normalise_street(street_2)
    is_crossing = str(address_type or "").strip().upper() == INTERSECTION or a is None
    if is_crossing and s1 and s2 and s1 != s2:
        return f"{min(s1, s2)} & {max(s1, s2)}"[:MAX_PLACE_CHARS]
    return (a or UNSPECIFIED)[:MAX_PLACE_CHARS]
