"""What a read asks for: a date range and exact dimension values (pipeline/read/api.py's queries).

Why a module of its own: every page, the report and the benchmarks build Filters, and the checks on
what a URL or a payload may put in them belong with the type, not with the queries.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

FILTER_COLUMNS = ("borough", "complaint_type", "agency", "community_district", "zip", "descriptor")


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    borough: str | None = None
    complaint_type: str | None = None
    agency: str | None = None
    community_district: str | None = None
    zip: str | None = None
    descriptor: str | None = None  # last: callers build Filters(start, end, ...) positionally

    def __post_init__(self) -> None:
        """Reject what no caller should pass (a URL or a payload that slipped past the app's checks):
        dates must be dates, dimension values short UTF-8 text."""
        for name in ("start", "end"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, date) or isinstance(v, datetime)):
                raise ValueError(f"{name} must be a date, not {type(v).__name__}")
        for name in FILTER_COLUMNS:
            v = getattr(self, name)
            if v is None:
                continue
            if not isinstance(v, str) or not v or len(v) > 200:
                raise ValueError(f"{name} must be a non-empty text of at most 200 characters")
            v.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError, a ValueError

    def but(self, **changes) -> Filters:
        return replace(self, **changes)

    def dims(self) -> dict[str, str]:
        """The non-empty dimension filters, column -> value."""
        return {c: getattr(self, c) for c in FILTER_COLUMNS if getattr(self, c) is not None}


def check_values(column: str, values: Iterable[str]) -> None:
    """Refuse a list of values for one filter column that Filters would refuse one by one."""
    if column not in FILTER_COLUMNS:
        raise ValueError(f"{column!r} is not a filter column ({', '.join(FILTER_COLUMNS)})")
    for v in values:
        Filters(**{column: v})
