"""Running totals of the rollups that keep them (tables.RUNNING_TABLES), summed from the store's own month rows.

Two grains (tables.SHAPE_OF):
- "ytd", period 'YYYY-MM': the year's months from January to that month, for every year with data
  (through December for a closed year, through the latest month for the open one);
- "upto", period 'YYYY': every year up to that one, for the closed years.

Why: a total over the whole months m1..m2 is C(m2) - C(m1 - 1) with C(m) = upto(year(m) - 1) + ytd(m),
so it reads at most four periods (pipeline/read/plan.py `running_plan`), however long the range. The
resolution page's percentiles by type are ~1,200 (type, bin) groups: over ten years, year rows still sent
nine years and eleven months of them, ~24,000 rows, and Cassandra's own reading of them (~3.5 µs a row;
the NumPy protocol handler on the driver side was no faster) made it the slowest read on Cassandra.
The every-type hexagon map (hex_totals) likewise: the open year is not in year rows, so by December a
year's map read ~30,000 (district, cell, month) rows, ~80 ms of Cassandra's own reading and the
hotspots page's 190-320 ms; its ytd row is ~2,500 (pipeline/read/hotspots.py `_span_sum`).

Exact: every measure is a count; the running rows are sums of the stored month rows a read would otherwise
add up; and a group whose difference is 0 had no request in the range, so a read drops it, as a read of
month rows would never have listed it (the tables keep one measure, n).

Which rows are current, as for year rows (pipeline/rollups/year_counts.py): two store metas. YTD_META names,
per year, the last month whose ytd row is written; UPTO_META lists the closed years whose upto row is. A load
first takes off them what it is about to recount (`forget`: a year's ytd rows from its first touched month on,
and every upto from the first touched year on, as each includes the years before it), and `write` puts them
back once rewritten: a read never subtracts rows older than the months they stand for.
No pyspark here: the web workers import this module.
"""
from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pipeline.rollups.tables import BUCKET_LENGTHS, ROLLUPS, RUNNING_TABLES
from pipeline.rollups.year_rows import meta_value

YTD_META = "running_ytd:" + ",".join(RUNNING_TABLES)
UPTO_META = "running_upto:" + ",".join(RUNNING_TABLES)
SPAN = "totals"  # every request counts in it: its month partitions (one per year) are the years with data


def written(store) -> tuple[dict[str, str], set[str]]:
    """({year: the last month its ytd rows reach}, closed years whose upto rows are current). A year's
    ytd entry names a month ('YYYY-MM'): the open year's grows with each load, and a year just closed
    is current only once its rows reach December (a load of January alone touches none of its months)."""
    return parse(store.get_meta(YTD_META), store.get_meta(UPTO_META))


def parse(ytd: str | None, upto: str | None) -> tuple[dict[str, str], set[str]]:
    """`written` from the YTD_META and UPTO_META values (the read API reads them with others in one read)."""
    return (dict(m.split(":", 1) for m in (ytd or "").split(",") if ":" in m),
            {y for y in (upto or "").split(",") if y})


def _before(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def _ytd_value(ytd: dict[str, str]) -> str:
    return ",".join(f"{y}:{m}" for y, m in sorted(ytd.items()))


def forget(store, touched: Iterable[str]) -> None:
    """Take the months ('YYYY-MM') a load is about to recount, and every later one of their years, off the
    ytd meta before it does; and off the upto meta every year from the first touched on."""
    touched = sorted(set(touched))
    years = {m[:4] for m in touched}
    if not years:
        return
    ytd, upto = written(store)
    # a year stays current through the month before its first touched one (its rows before do not change)
    kept = {y: min(m, _before(next(t for t in touched if t[:4] == y))) if y in years else m for y, m in ytd.items()}
    kept = {y: m for y, m in kept.items() if m[:4] == y}  # a January touched: nothing of that year kept
    if kept != ytd:
        store.set_meta(YTD_META, _ytd_value(kept))
    if any(y >= min(years) for y in upto):
        store.set_meta(UPTO_META, meta_value(y for y in upto if y < min(years)))


def running(months: pd.DataFrame, dims: tuple[str, ...], measures: tuple[str, ...],
            periods: list[str]) -> pd.DataFrame:
    """Rows of each period of `periods` (in order) holding the sums of `months`' rows of that period
    and every one before it in the list: [period, *dims, *measures]. A group keeps its row in every
    later period once it has one (its count does not drop back to nothing)."""
    acc, out = None, []
    for period in periods:
        part = months[months["period"] == period].groupby(list(dims), dropna=False)[list(measures)].sum()
        acc = part if acc is None else acc.add(part, fill_value=0)
        if not acc.empty:
            out.append(acc.reset_index().assign(period=period))
    if not out:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c in measures else object)
                             for c in ("period", *dims, *measures)})
    frame = pd.concat(out, ignore_index=True)
    return frame.astype({m: "int64" for m in measures})[["period", *dims, *measures]]


def _rows(name: str, grain: str, frame: pd.DataFrame) -> pd.DataFrame:
    rollup = ROLLUPS[name]
    frame = frame.assign(grain=grain, bucket=frame["period"].str.slice(0, BUCKET_LENGTHS[grain]))
    return frame[list(rollup.columns)]


def _month_list(year: str, last: str) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(1, 13) if f"{year}-{m:02d}" <= last]


def write(store, touched: Iterable[str]) -> dict[str, int]:
    """Rewrite the running rows a load made stale, `touched` being the months ('YYYY-MM') it recounted:
    each touched year's ytd rows from its first touched month on, every year's not yet written, and the
    upto rows from the first closed year not current on. Returns {"table/grain": rows written}."""
    years = sorted(store.buckets(SPAN, "month"))
    if not years:
        return {}
    last_month = store.aggregate(SPAN, "month", f"{years[-1]}-01", f"{years[-1]}-12", by=["period"])["period"].max()
    if not isinstance(last_month, str):
        return {}
    ytd, upto = written(store)
    touched = sorted(set(touched))
    counts: dict[str, int] = {}

    def put(name: str, grain: str, periods: list[str], rows: pd.DataFrame) -> None:
        key = f"{name}/{grain}"
        counts[key] = counts.get(key, 0) + store.replace_periods(name, grain, periods, _rows(name, grain, rows))

    for year in years:
        months = _month_list(year, last_month if year == years[-1] else f"{year}-12")
        through = ytd.get(year)
        first = min([m for m in touched if m[:4] == year and m <= months[-1]]
                    + [m for m in months if through is None or m > through], default=None)
        if first is None:
            continue  # current through its last month, and this load did not touch it
        for name in RUNNING_TABLES:
            rollup = ROLLUPS[name]
            stored = store.aggregate(name, "month", months[0], months[-1], by=["period", *rollup.dims])
            rows = running(stored, rollup.dims, rollup.measures, months)
            again = [m for m in months if m >= first]  # the months before `first` did not change
            put(name, "ytd", again, rows[rows["period"].isin(again)])
        ytd[year] = months[-1]
        store.set_meta(YTD_META, _ytd_value(ytd))

    closed = [y for y in years if y < years[-1]]
    stale = [y for y in closed if y not in upto]
    if stale:
        start = stale[0] if stale[0] == closed[0] or str(int(stale[0]) - 1) in upto else closed[0]
        base = str(int(start) - 1)
        todo = [str(y) for y in range(int(start), int(closed[-1]) + 1)]
        for name in RUNNING_TABLES:
            rollup = ROLLUPS[name]
            cols = [*rollup.dims, *rollup.measures]
            # each year's December ytd row is its whole year; the year before `start` its upto row
            parts = [store.aggregate(name, "ytd", f"{y}-12", f"{y}-12", by=list(rollup.dims)).assign(period=y)
                     for y in todo]
            if base in upto:
                parts.insert(0, store.aggregate(name, "upto", base, base, by=list(rollup.dims)).assign(period=base))
            frame = pd.concat([p[["period", *cols]] for p in parts], ignore_index=True)
            rows = running(frame, rollup.dims, rollup.measures, ([base] if base in upto else []) + todo)
            put(name, "upto", todo, rows[rows["period"].isin(todo)])
        store.set_meta(UPTO_META, meta_value(set(upto) | set(todo)))
    return counts
