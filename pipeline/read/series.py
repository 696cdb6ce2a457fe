"""Which periods of a time series hold a whole period's data, so a chart never draws a part as a fall.

Why: the newest day, week or month of any series is usually cut short by the moment the data ends
(an export pulled at 8 a.m., a stream that is minutes old) or by the end of the chosen date range.
Drawn like the others, it "falls off a cliff" that is not there. The read model marks each period
`complete` and the figures draw the incomplete ones apart; the CSV carries the same flag.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

# A period counts as complete when the data reaches this close to its end: an export whose last
# request was created at 23:40 holds the day; one pulled at 20:00 does not.
SLACK = timedelta(hours=1)


def period_bounds(period: str, granularity: str) -> tuple[datetime, datetime]:
    """[start, end) of a period label ('YYYY-MM-DD', the first day of its week or month), New York local."""
    start = datetime.fromisoformat(period[:10])
    if granularity == "day":
        return start, start + timedelta(days=1)
    if granularity == "week":
        return start, start + timedelta(days=7)
    if granularity == "month":
        year, month = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        return start, start.replace(year=year, month=month, day=1)
    raise ValueError(f"granularity must be day, week or month, not {granularity!r}")


def mark_complete(frame: pd.DataFrame, granularity: str, first: date | None, last: date | None,
                  through: datetime | None) -> pd.DataFrame:
    """`frame` (column `period`) with a boolean `complete`: the period lies inside the asked days
    first..last and the data (`through`: newest created time loaded, New York local) reaches its end."""
    out = frame.copy()
    if out.empty:
        out["complete"] = pd.Series(dtype=bool)
        return out
    cut = datetime.combine(last + timedelta(days=1), datetime.min.time()) if last else None
    if through is not None:
        cut = min(cut, through + SLACK) if cut else through + SLACK
    begin = datetime.combine(first, datetime.min.time()) if first else None

    def whole(period: str) -> bool:
        start, end = period_bounds(period, granularity)
        return (cut is None or end <= cut) and (begin is None or start >= begin)

    flags = {p: whole(p) for p in out["period"].unique()}
    out["complete"] = out["period"].map(flags).astype(bool)
    return out
