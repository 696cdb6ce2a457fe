"""`python -m bench.read --compare` (Cassandra): single-partition UNLOGGED batches against single-row
inserts, and server-side GROUP BY/filtering against plain rows summed in pandas, over the benchmark's
ten-year store. Apart from bench/read.py so that module stays about loading and timing the dashboard's reads."""
from __future__ import annotations

import time
from datetime import date, timedelta

from bench.read import World, report, time_queries
from pipeline.read.api import Filters, ReadAPI


def compare(store, world: World, api: ReadAPI, last: date, top_type: str, repeat: int) -> None:
    """Cassandra only: single-partition UNLOGGED batches vs single-row inserts, and server-side
    GROUP BY/filtering vs plain rows summed in pandas."""
    from pipeline.stores import cassandra
    month = f"{last.year - 30}-01"  # a scratch period far from the data
    frame = world.frame("zips", "month", month, 250_000)
    for rows in (cassandra.BATCH_ROWS, 1):
        saved, cassandra.BATCH_ROWS = cassandra.BATCH_ROWS, rows
        try:
            t0 = time.perf_counter()
            n = store.replace_periods("zips", "month", [month], frame)
            s = time.perf_counter() - t0
        finally:
            cassandra.BATCH_ROWS = saved
        print(f"write {n:,} zips rows, {'batches of ' + str(rows) if rows > 1 else 'single-row inserts'}: "
              f"{n / s:,.0f} rows/s")
    store.replace_periods("zips", "month", [month], frame.iloc[:0])
    f_all, f_30 = Filters(), Filters(start=last - timedelta(days=29), end=last)
    heavy = [("all: top zip per capita", lambda a: a.top_areas("zip", f_all, 10, True)),
             ("all: top zip [type]", lambda a: a.top_areas("zip", f_all.but(complaint_type=top_type), 200)),
             ("all: counts borough", lambda a: a.counts("borough", f_all)),
             ("all: resolution [Brooklyn]", lambda a: a.resolution(None, f_all.but(borough="Brooklyn"))),
             ("last 30 d: timeseries day by borough", lambda a: a.timeseries(f_30, "day", "borough", 5))]
    for flag in (True, False):
        api.store.server_group_by = flag
        try:
            report(f"server-side GROUP BY/filters {'on' if flag else 'off'}", time_queries(api, heavy, repeat))
        finally:
            api.store.server_group_by = True
