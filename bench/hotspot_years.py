"""The synthetic store's year rows (pipeline/rollups/year_rows.py): each closed year's `hex_totals`,
`hex_cells` and cell heads (`place_heads`), summed or ranked from the month rows bench.read wrote,
and the meta that lets reads use them.

Why from the stored month rows: a year's rows are sums (or heads) of its months' rows, which is what
a load writes too (pipeline/rollups/hexes.py write_year_rows). A store synthesised before year rows existed
thus gains them in minutes, without synthesising ten years of places again (~1 h).
"""
from __future__ import annotations

import sys
import time

from pipeline.rollups import year_rows
from pipeline.rollups.hotspot_rows import FINEST
from pipeline.rollups.tables import ROLLUPS


def ensure(store, out=sys.stdout) -> list[str]:
    """Write the year rows of every closed year the store lacks; the years written."""
    months = [f"{b}-12" for b in store.buckets(FINEST, "month")]  # a year stands for its months
    done = year_rows.written(store)
    todo = year_rows.years_to_write(months, [], done)
    for year in todo:
        t0 = time.perf_counter()
        finest = store.aggregate(FINEST, "month", f"{year}-01", f"{year}-12", by=["period", *ROLLUPS[FINEST].dims])
        written = {name: store.replace_periods(name, "year", [year], rows)
                   for name, rows in year_rows.tables(finest).items()}
        done.add(year)
        store.set_meta(year_rows.META, year_rows.meta_value(done))
        print(f"year rows {year}: {len(finest):,} month rows -> "
              + ", ".join(f"{name} {n:,}" for name, n in written.items()) + f" in {time.perf_counter() - t0:.1f} s",
              file=out)
    if todo:
        store.set_meta("data_version", str(time.time_ns()))
    return todo
