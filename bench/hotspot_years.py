"""The synthetic store's year rows (pipeline/rollups/year_rows.py): each closed year's `hex_totals`,
`hex_cells` and heads (`place_heads`, every scope and each cell), summed or ranked from the month rows
bench.read wrote, and the meta that lets reads use them.

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


def ensure(store, out=sys.stdout) -> dict[str, int]:
    """Write the year rows of every closed year the store lacks (year_rows.write, the batch job's
    loop, with the stored month rows as each year's finest rows); rows written per table."""
    def finest_of(year: str):
        t0 = time.perf_counter()
        rows = store.aggregate(FINEST, "month", f"{year}-01", f"{year}-12", by=["period", *ROLLUPS[FINEST].dims])
        print(f"year rows {year}: {len(rows):,} month rows read in {time.perf_counter() - t0:.1f} s", file=out)
        return rows
    counts = year_rows.write(store, [], finest_of)
    if counts:
        print("year rows written: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()), file=out)
        store.set_meta("data_version", str(time.time_ns()))
    return counts
