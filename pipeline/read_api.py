"""The read API the dashboard calls: every number the app shows comes through here.

Why a layer of its own: the app must never know how rollups are laid out. This module picks
month-grain rows for the whole months inside a range and day-grain rows for the partial months at
its edges (so a ten-year query reads ~120 month rows per group, not 3,650 days), and it is the same
code over SQLite and Cassandra.

Conventions:
- dates are New York local calendar dates, inclusive at both ends; None = unbounded
  (start None = first day with data, end None = last day with data);
- filters are exact values in the normalised spelling (boroughs 'Bronx', ..., 'Staten Island',
  'Unspecified'; community districts '109'; ZIPs '10027'); None = all;
- every method returns a pandas DataFrame with the documented columns, sorted as documented, and an
  empty frame with those columns when nothing matches.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import pandas as pd

from pipeline.stores.base import Store

# Dimensions `counts` can group by, and the rollup table that holds each.
GROUPABLE = ("borough", "community_district", "zip", "complaint_type", "agency", "channel", "status",
             "day", "week", "month")


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    borough: str | None = None
    complaint_type: str | None = None
    agency: str | None = None
    community_district: str | None = None
    zip: str | None = None

    def but(self, **changes) -> "Filters":
        return replace(self, **changes)


class ReadAPI:
    """Queries over one store. Cheap to build; holds no connection of its own."""

    def __init__(self, store: Store):
        self.store = store

    # -- counts ------------------------------------------------------------------------------
    def counts(self, by: str, f: Filters = Filters()) -> pd.DataFrame:
        """Requests created in the range, grouped by one dimension of GROUPABLE.

        Columns [by, 'count']; sorted by count descending (by period ascending for day/week/month;
        week = ISO week starting Monday, labelled by its Monday 'YYYY-MM-DD')."""
        raise NotImplementedError

    def timeseries(self, f: Filters = Filters(), granularity: str = "day", split_by: str | None = None,
                   top: int | None = None) -> pd.DataFrame:
        """Counts per period ('day' | 'week' | 'month'), optionally split by a dimension (keeping the
        `top` largest groups, the rest summed as 'Other'). Columns ['period', split_by?, 'count'],
        period as a 'YYYY-MM-DD' string (first day of the week/month); missing periods filled with 0."""
        raise NotImplementedError

    def top_areas(self, level: str, f: Filters = Filters(), n: int = 10, per_capita: bool = False) -> pd.DataFrame:
        """Top areas ('zip' | 'community_district' | 'borough') by requests (or per 10,000 residents).
        Columns [level, 'borough', 'count', 'population', 'per_10k'] (population/per_10k NaN when unknown)."""
        raise NotImplementedError

    # -- resolution ----------------------------------------------------------------------------
    def resolution(self, by: str | None, f: Filters = Filters()) -> pd.DataFrame:
        """Resolution time of requests created in the range and closed (closed > created), from the
        histogram bins: columns [by?, 'closed', 'median_h', 'p90_h'], sorted by median_h descending.
        by in (None, 'borough', 'complaint_type', 'agency')."""
        raise NotImplementedError

    def status_mix(self, f: Filters = Filters(), by: str | None = None) -> pd.DataFrame:
        """Current status of the requests created in the range: columns [by?, 'status', 'count']."""
        raise NotImplementedError

    def timeliness(self, f: Filters = Filters(), by: str | None = None) -> pd.DataFrame:
        """Against the city's due dates: columns [by?, 'with_due', 'on_time', 'late', 'open_past_due']."""
        raise NotImplementedError

    def open_now(self, f: Filters = Filters()) -> int:
        """Requests created in the range whose current status is not Closed."""
        raise NotImplementedError

    # -- baseline, vocabularies, freshness --------------------------------------------------------
    def hour_of_week_baseline(self, weeks: int = 8, end: date | None = None) -> pd.DataFrame:
        """Mean requests per hour-of-week over the `weeks` full weeks before `end` (default: the
        latest data day): columns ['borough', 'complaint_type', 'how', 'mean']
        (how 0 = Monday 00:00 ... 167 = Sunday 23:00)."""
        raise NotImplementedError

    def vocabulary(self, kind: str) -> pd.DataFrame:
        """All values of 'complaint_type' | 'agency' | 'borough' with their all-time totals:
        columns ['value', 'count'], sorted by count descending."""
        raise NotImplementedError

    def date_bounds(self) -> tuple[date, date] | None:
        """First and last New York day with any request loaded, or None for an empty store."""
        raise NotImplementedError

    def freshness(self) -> datetime | None:
        """Latest created time loaded (New York local, naive), from batch or stream; None if empty."""
        raise NotImplementedError
