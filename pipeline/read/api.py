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

Caching (pipeline/read/cache.py): answers are kept in a process-wide LRU bounded in bytes, tagged
with the store's `data_version`, so a dashboard sees a reload within seconds. Live (minute) queries
and freshness are never cached. ReadAPI(store, cache=False) measures the cold cost.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from pipeline.read import plan
from pipeline.read.cache import cached, prefetch
from pipeline.read.filters import FILTER_COLUMNS, Filters, check_values
from pipeline.read.freshness import latest_loaded
from pipeline.read.plan import table_for
from pipeline.read.population import population
from pipeline.rollups import backfill, date_bounds, running_counts, year_counts
from pipeline.rollups.backfill import WEEK_ROWS
from pipeline.rollups.tables import PERIOD_STRFTIME, ROLLUPS, RUNNING_TABLES, TABLE_PREFERENCE
from pipeline.schema import UNSPECIFIED
from pipeline.stores import rows as rowlib
from pipeline.stores.base import Store

# Dimensions `counts` can group by, and the rollup table that holds each.
GROUPABLE = ("borough", "community_district", "zip", "complaint_type", "agency", "channel", "status",
             "descriptor", "day", "week", "month")
TIME_GROUPS = ("day", "week", "month")
LIVE_PREFERENCE = tuple(name for name in TABLE_PREFERENCE if ROLLUPS[name].live_table)
AREA_LEVELS = ("borough", "community_district", "zip")
OTHER = plan.OTHER

# A series never holds more periods than this (about five and a half years of days): every answer
# of the API stays bounded whatever the filters say (issue 10: 1678-2261 by day was 213,000 labels).
MAX_PERIODS = 2000
# The meta values a query's plan depends on, read together (ReadAPI._meta).
PLAN_META = (WEEK_ROWS, year_counts.META, running_counts.YTD_META, running_counts.UPTO_META, date_bounds.META,
             date_bounds.VERSION, *map(backfill.filled_key, backfill.ADDED_LATER))


class QueryTooLarge(ValueError):
    """The question would give an unbounded answer; the message says how to narrow it."""


class ReadAPI:
    """Queries over one store. Cheap to build; holds no connection of its own."""

    def __init__(self, store: Store, cache: bool = True, tables: tuple[str, ...] | None = None):
        """`tables`: the rollups to read, in order of preference (default TABLE_PREFERENCE); the
        benchmark passes the wide ones only to measure what the narrow ones save."""
        self.store = store
        self.cache = cache
        self.tables = tables

    # -- plumbing ------------------------------------------------------------------------------
    def _range(self, f: Filters) -> tuple[date, date] | None:
        """The filter's range clamped to the data (None when nothing can match)."""
        bounds = self.date_bounds()
        if bounds is None:
            return None
        start = max(f.start or bounds[0], bounds[0])
        end = min(f.end or bounds[1], bounds[1])
        return (start, end) if start <= end else None

    def _sum(self, table: str, f: Filters, by: list[str], granularity: str | None = None,
             among: dict[str, list[str]] | None = None) -> pd.DataFrame:
        """Measures of `table` summed over the filter's range, grouped by `by` (+ 'period' labels first);
        `among`: a grouping column's values to keep (the stores read only their rows). Sorted by the groups."""
        cols = [*(["period"] if granularity else []), *by]
        return rowlib.frame_of(self._sums(table, f, by, granularity, among), cols, ROLLUPS[table].measures)

    def _sums(self, table: str, f: Filters, by: list[str], granularity: str | None = None,
              among: dict[str, list[str]] | None = None) -> dict[tuple, list[int]]:
        """_sum's answer as {(period label?, *values of by): [measures]}, added up in Python: a plan's pieces
        (edge days, weeks, months, years, running totals less their start) were a frame each, then a concat
        and a group-by, ~1 ms a piece and most of a cold series' time on our side of the network."""
        rng = self._range(f)
        if rng is None:
            return {}
        months = granularity not in ("day", "week")
        weeks = granularity == "week" and "week" in ROLLUPS[table].grains and self.week_rows()
        years = self.year_counts() if granularity is None and "year" in ROLLUPS[table].grains else set()
        running = self.running_totals() if granularity is None and table in RUNNING_TABLES else None
        span = plan.whole_edge_months(*rng, self.date_bounds()) if months else rng
        pieces = plan.total_plan(plan.plan_range(*span, months=months, weeks=weeks), years, running)
        keys, filters = [*by, *(["period"] if granularity else [])], {**f.dims(), **(among or {})}
        answers = self.store.sums_many([(table, grain, p1, p2, keys, filters) for _, grain, p1, p2 in pieces])
        acc: dict[tuple, list[int]] = {}
        for (sign, grain, _, _), sums in zip(pieces, answers, strict=True):
            labels = plan.period_labels({k[-1] for k in sums}, grain, granularity) if granularity else None
            for key, values in sums.items():
                key = (labels[key[-1]], *key[:-1]) if labels else key
                got = acc.get(key)
                if got is None:
                    acc[key] = [v * sign for v in values]
                else:
                    for j, v in enumerate(values):
                        got[j] += v * sign
        if any(sign < 0 for sign, *_ in pieces):  # running totals subtract: a group at 0 had no request in the range
            acc = {k: v for k, v in acc.items() if any(v)}
        return acc

    def _table(self, f: Filters, *columns: str, measures: tuple[str, ...] = ("n",)) -> str:
        dims = set(f.dims())
        wanted = {c for c in columns if c} | dims
        table = table_for(wanted, measures, self.tables, fixed=dims)
        if table in backfill.ADDED_LATER and not self.filled(table):  # its parent answers until a load fills it
            table = table_for(wanted, measures, tuple(t for t in self.tables or TABLE_PREFERENCE if t != table), fixed=dims)
        return table

    def _check_span(self, f: Filters, granularity: str) -> None:
        """Refuse a series of more than MAX_PERIODS periods, before reading anything."""
        rng = self._range(f)
        if rng is None:
            return
        days = (rng[1] - rng[0]).days + 1
        per = {"day": 1, "week": 7, "month": 28}[granularity]
        if days // per > MAX_PERIODS:
            raise QueryTooLarge(f"{days:,} days by {granularity} is more than {MAX_PERIODS:,} points: "
                                "choose a shorter range or a coarser granularity")

    @staticmethod
    def _check(value, allowed, what: str) -> None:
        if value not in allowed:
            raise ValueError(f"{what} must be one of {', '.join(map(str, allowed))}, not {value!r}")

    # -- counts ------------------------------------------------------------------------------
    @cached
    def counts(self, by: str, f: Filters = Filters()) -> pd.DataFrame:
        """Requests created in the range, grouped by one dimension of GROUPABLE.

        Columns [by, 'count']; sorted by count descending (by period ascending for day/week/month;
        week = ISO week starting Monday, labelled by its Monday 'YYYY-MM-DD')."""
        self._check(by, GROUPABLE, "by")
        if by in TIME_GROUPS:
            frame = self._sum(self._table(f), f, [], granularity=by).rename(columns={"period": by, "n": "count"})
            return frame[frame["count"] > 0].sort_values(by).reset_index(drop=True)
        frame = self._sum(self._table(f, by), f, [by]).rename(columns={"n": "count"})
        frame = frame[frame["count"] > 0]
        return frame.sort_values(["count", by], ascending=[False, True]).reset_index(drop=True)

    @cached
    def pair_counts(self, first: str, second: str, f: Filters = Filters()) -> pd.DataFrame:
        """Requests created in the range, grouped by two dimensions of GROUPABLE (not time), e.g. a
        district's (complaint_type, descriptor) pairs in one read. Columns [first, second, 'count'];
        sorted by count descending, then first, then second."""
        for by in (first, second):
            self._check(by, tuple(g for g in GROUPABLE if g not in TIME_GROUPS), "by")
        if first == second:
            raise ValueError("pair_counts needs two different dimensions")
        frame = self._sum(self._table(f, first, second), f, [first, second]).rename(columns={"n": "count"})
        frame = frame[frame["count"] > 0]
        return frame.sort_values(["count", first, second], ascending=[False, True, True]).reset_index(drop=True)

    @cached
    def timeseries(self, f: Filters = Filters(), granularity: str = "day", split_by: str | None = None,
                   top: int | None = None, among: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Counts per period ('day' | 'week' | 'month'), optionally split by a dimension (keeping the
        `top` largest groups, the rest summed as 'Other'; or the groups named in `among`, e.g. the
        areas a ranking shows: their rows alone are read). Columns ['period', split_by?, 'count'],
        period as a 'YYYY-MM-DD' string (first day of the week/month); missing periods (and groups
        of `among`) filled with 0."""
        self._check(granularity, TIME_GROUPS, "granularity")
        self._check_span(f, granularity)
        if among is not None:
            check_values(split_by, among)
            if not among or getattr(f, split_by) not in (None, *among):
                return pd.DataFrame({c: pd.Series(dtype="object") for c in ("period", split_by)}).assign(count=0)
        if split_by is not None:
            self._check(split_by, tuple(g for g in GROUPABLE if g not in TIME_GROUPS), "split_by")
            if split_by in FILTER_COLUMNS and getattr(f, split_by) is not None:
                # split by a dimension the filter fixes: one group, the unsplit series (cached, and the
                # same answer a page's other charts ask for), not a second read of the same rows
                whole = self.timeseries(f, granularity)
                if not whole["count"].any():
                    whole = whole.iloc[0:0]
                return whole.assign(**{split_by: getattr(f, split_by)})[["period", split_by, "count"]]
            if top is not None and among is None and split_by in FILTER_COLUMNS:
                return self._top_series(f, granularity, split_by, top)
        by = [split_by] if split_by else []
        keep = {split_by: sorted(among)} if among is not None else None
        sums = self._sums(self._table(f, split_by), f, by, granularity=granularity, among=keep)
        rng = self._range(f)  # None: nothing to fill (no data, or a range outside it)
        periods = plan.period_range(*rng, granularity) if rng else []
        if top is None:
            return plan.series_frame(sums, periods, split_by, among)
        frame = rowlib.frame_of(sums, ["period", *by], ("n",)).rename(columns={"n": "count"})
        return plan.fill_series(frame, periods, split_by, top, among)

    def _top_series(self, f: Filters, granularity: str, split_by: str, top: int) -> pd.DataFrame:
        """timeseries split by `split_by` keeping the `top` groups: those groups' rows alone, and
        'Other' as the whole series less theirs. Reading every group's periods to keep six cost 150-210 ms
        cold for ten years of weeks by complaint type (~100,000 rows); the groups' totals (counts, month
        rows) pick the same top, ties by name. The whole series is the cached one the trends page's
        year-over-year chart reads too; it is read beside the totals (`prefetch`), not after the groups'."""
        whole = prefetch(lambda: self.timeseries(f, granularity))
        totals = self.counts(split_by, f)
        frame = self.timeseries(f, granularity, split_by, among=tuple(totals[split_by].head(top)))
        if len(totals) <= top:
            return frame
        whole = whole.result()
        groups = sorted(frame[split_by].unique())  # the among series: every (period, group), in that order
        counts = frame["count"].to_numpy().reshape(len(whole), len(groups))
        labels = sorted([*groups, OTHER])
        cells = np.column_stack([counts, whole["count"].to_numpy() - counts.sum(axis=1)])[
            :, [len(groups) if g == OTHER else groups.index(g) for g in labels]]
        return pd.DataFrame({"period": np.repeat(whole["period"].to_numpy(), len(labels)),
                             split_by: np.tile(np.array(labels, dtype=object), len(whole)), "count": cells.ravel()})

    @cached
    def top_areas(self, level: str, f: Filters = Filters(), n: int = 10, per_capita: bool = False) -> pd.DataFrame:
        """Top areas ('zip' | 'community_district' | 'borough') by requests (or per 10,000 residents).
        Columns [level, 'borough', 'count', 'population', 'per_10k'] (population/per_10k NaN when unknown).
        'Unspecified' areas are left out; a ZIP or district is shown in the borough most of its
        requests name."""
        self._check(level, AREA_LEVELS, "level")
        by = [level] if level == "borough" else [level, "borough"]
        frame = self._sum(self._table(f, *by), f, by).rename(columns={"n": "count"})
        frame = frame[(frame[level] != UNSPECIFIED) & (frame["count"] > 0)]
        if level != "borough":
            home = (frame.sort_values(["count", "borough"], ascending=[False, True])
                    .drop_duplicates(level).set_index(level)["borough"])
            frame = frame.groupby(level, as_index=False)["count"].sum()
            frame["borough"] = frame[level].map(home)
        pop = population(level)
        frame["population"] = frame[level].map(pop).astype("float64")
        frame["per_10k"] = frame["count"] / frame["population"] * 10_000
        key = "per_10k" if per_capita else "count"
        frame = frame.sort_values([key, level], ascending=[False, True], na_position="last")
        cols = list(dict.fromkeys([level, "borough", "count", "population", "per_10k"]))
        frame = frame[cols].head(n).reset_index(drop=True)
        frame["count"] = frame["count"].astype("int64")
        return frame

    # -- resolution ----------------------------------------------------------------------------
    @cached
    def resolution(self, by: str | None, f: Filters = Filters()) -> pd.DataFrame:
        """Resolution time of requests created in the range and closed (closed > created), from the
        histogram bins: columns [by?, 'closed', 'median_h', 'p90_h'], sorted by median_h descending.
        by in (None, 'borough', 'complaint_type', 'agency').
        Percentiles interpolate linearly inside the bin holding them (see percentile_from_bins)."""
        self._check(by, (None, "borough", "complaint_type", "agency"), "by")
        keys = [by] if by else []
        sums = {k: v for k, v in self._sums(self._table(f, *keys, "res_bin"), f, [*keys, "res_bin"]).items() if v[0] > 0}
        cols = [*keys, "closed", "median_h", "p90_h"]
        if not sums:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in keys}).assign(
                closed=pd.Series(dtype="int64"), median_h=pd.Series(dtype="float64"), p90_h=pd.Series(dtype="float64"))
        result = plan.quantiles_by_group(sums, by)
        return result.sort_values(["median_h", *keys], ascending=[False, *[True] * len(keys)])[cols].reset_index(drop=True)

    @cached
    def status_mix(self, f: Filters = Filters(), by: str | None = None) -> pd.DataFrame:
        """Current status of the requests created in the range: columns [by?, 'status', 'count'],
        sorted by by, then count descending."""
        keys = [by] if by else []
        frame = self._sum(self._table(f, by, "status"), f, [*keys, "status"]).rename(columns={"n": "count"})
        frame = frame[frame["count"] > 0]
        return frame.sort_values([*keys, "count", "status"], ascending=[*[True] * len(keys), False, True]
                                 ).reset_index(drop=True)

    @cached
    def timeliness(self, f: Filters = Filters(), by: str | None = None) -> pd.DataFrame:
        """Against the city's due dates: columns [by?, 'with_due', 'on_time', 'late', 'open_past_due']."""
        keys = [by] if by else []
        if by is not None and by not in ROLLUPS["timeliness"].dims:
            raise ValueError(f"timeliness by must be one of {ROLLUPS['timeliness'].dims}")
        frame = self._sum(self._table(f, *keys, measures=ROLLUPS["timeliness"].measures), f, keys)
        if keys:
            frame = frame.sort_values(["with_due", *keys], ascending=[False, True])
        return frame.reset_index(drop=True)

    @cached
    def open_now(self, f: Filters = Filters()) -> int:
        """Requests created in the range whose current status is not Closed."""
        mix = self.status_mix(f)
        return int(mix.loc[mix["status"] != "Closed", "count"].sum())

    # -- baseline, vocabularies, freshness --------------------------------------------------------
    @cached
    def hour_of_week_baseline(self, weeks: int = 8, end: date | None = None,
                              hows: tuple[int, ...] | None = None) -> pd.DataFrame:
        """Mean requests per hour-of-week over the `weeks` full weeks before `end` (default: the
        latest data day): columns ['borough', 'complaint_type', 'how', 'mean']
        (how 0 = Monday 00:00 ... 167 = Sunday 23:00). A full week ends on a Sunday: the last Sunday
        on or before `end`. `hows`: only those hours, read from the days they fall on (the live page
        needs two: 8 days of rows, not 56), with the same means as the whole baseline's."""
        cols = ["borough", "complaint_type", "how"]
        bounds = self.date_bounds()
        if hows is not None and not all(isinstance(h, int) and 0 <= h < 168 for h in hows):
            raise ValueError(f"hows must be hours of the week, 0 to 167: {hows!r}")
        if bounds is None or weeks < 1 or hows == ():
            return pd.DataFrame({c: pd.Series(dtype="object") for c in cols}).assign(mean=pd.Series(dtype="float64"))
        end = end or bounds[1]
        last_sunday = end - timedelta(days=(end.weekday() + 1) % 7)
        first, table = last_sunday - timedelta(days=7 * weeks - 1), self._table(Filters(), *cols)
        if hows is None:
            frame = self._sum(table, Filters(start=first, end=last_sunday), cols)
        else:  # each run is a few whole days: day rows, clamped to the data, with no range to plan
            runs = [(max(a, bounds[0]), min(b, bounds[1])) for a, b in plan.hour_of_week_days(first, weeks, list(hows))]
            frame = pd.concat(self.store.aggregate_many([(table, "day", a.isoformat(), b.isoformat(), cols, {"how": sorted(set(hows))})
                                                         for a, b in runs if a <= b]) or [pd.DataFrame(columns=[*cols, "n"])])
            frame = frame.groupby(cols, as_index=False)["n"].sum()
        frame["mean"] = frame.pop("n") / weeks
        frame["how"] = frame["how"].astype("int64")
        return frame.sort_values(cols).reset_index(drop=True)

    @cached
    def vocabulary(self, kind: str) -> pd.DataFrame:
        """All values of 'complaint_type' | 'agency' | 'borough' with their all-time totals:
        columns ['value', 'count'], sorted by count descending (month-grain rows, all months)."""
        self._check(kind, ("complaint_type", "agency", "borough"), "kind")
        bounds = self.date_bounds()
        if bounds is None:
            return pd.DataFrame({"value": pd.Series(dtype="object"), "count": pd.Series(dtype="int64")})
        frame = self.store.aggregate(self._table(Filters(), kind), "month", bounds[0].isoformat()[:7],
                                     bounds[1].isoformat()[:7], [kind])
        frame = frame.rename(columns={kind: "value", "n": "count"})
        return frame.sort_values(["count", "value"], ascending=[False, True]).reset_index(drop=True)

    @cached
    def filled(self, table: str) -> bool:
        """Whether a load has filled a rollup added later (pipeline/rollups/backfill.py ADDED_LATER) in this
        store. Asked only when a query would read one, so no other query pays the meta read."""
        return self._meta().get(backfill.filled_key(table)) == "1"

    @cached
    def week_rows(self) -> bool:
        """Whether the store holds the week rows of every month it has days of (meta WEEK_ROWS, set by
        pipeline/rollups/backfill.py fill_weeks): a store loaded before them reads week series from day rows."""
        return self._meta().get(WEEK_ROWS) == "1"

    @cached
    def year_counts(self) -> set[str]:
        """The closed years whose year rows the narrow rollups hold (pipeline/rollups/year_counts.py)."""
        return year_counts.parse(self._meta().get(year_counts.META))

    @cached
    def running_totals(self) -> tuple[dict[str, str], set[str], str] | None:
        """The running totals' current months and years (pipeline/rollups/running_counts.py), and the first year."""
        bounds = self.date_bounds()
        meta = self._meta()
        return (*running_counts.parse(meta.get(running_counts.YTD_META), meta.get(running_counts.UPTO_META)),
                f"{bounds[0].year:04d}") if bounds else None

    @cached
    def date_bounds(self) -> tuple[date, date] | None:
        """First and last New York day with any request loaded, or None for an empty store: as the
        last load recorded them (pipeline/rollups/date_bounds.py), else read from the day rows."""
        found, bounds = date_bounds.recorded(self._meta())
        return bounds if found else date_bounds.scan(self.store, self._table(Filters()))

    @cached
    def _meta(self) -> dict[str, str]:
        """The meta values the plans read (week rows, year rows, running totals, the date bounds), in
        one read: a cold query asked them one after another, a round trip each."""
        return self.store.get_metas(PLAN_META)

    def loads(self) -> list:
        """Every recorded load (pipeline/provenance.py), oldest first; never cached (cheap, one meta row)."""
        from pipeline import provenance
        return provenance.loads(self.store)

    def freshness(self) -> datetime | None:
        """Latest created time loaded (New York local, naive), from batch or stream; None if empty."""
        return latest_loaded(self.store)

    # -- live (minute grain, never cached) -----------------------------------------------------
    def live_counts(self, since: datetime, until: datetime | None = None, by: str | None = None,
                    f: Filters = Filters(), per_minute: bool = False) -> pd.DataFrame:
        """Requests of the live_* minute rollups from `since` to `until` (New York local, naive,
        inclusive minutes; until None = since + 48 h). Columns [minute?, by?, 'count'] where minute is
        'YYYY-MM-DDTHH:MM' when per_minute; sorted by minute, then count descending."""
        until = until or since + timedelta(hours=48)
        table = ROLLUPS[table_for({c for c in (by,) if c} | set(f.dims()), preference=LIVE_PREFERENCE)]
        keys = [*(["period"] if per_minute else []), *([by] if by else [])]
        frame = self.store.aggregate(table.live_table, "minute", since.strftime(PERIOD_STRFTIME["minute"]),
                                     until.strftime(PERIOD_STRFTIME["minute"]), keys, f.dims())
        frame = frame.rename(columns={"period": "minute", "n": "count"})
        order = [*(["minute"] if per_minute else []), "count"]
        cols = [*(["minute"] if per_minute else []), *([by] if by else []), "count"]
        return frame.sort_values(order, ascending=[*([True] if per_minute else []), False])[cols].reset_index(drop=True)
