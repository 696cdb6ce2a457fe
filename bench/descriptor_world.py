"""Descriptors for the read benchmark's synthetic city (bench/read.py), so that issue 14's descriptor
views (the filter, the top-descriptors chart, the board report) read real rows over ten years.

Why a module of its own: bench/read.py synthesises the other rollups and is at its size limit.

Each synthetic type gets 3 to 12 descriptors ("Descriptor 07-2"), spread Zipf-like, and each district
its share of the requests (World.cd_p). `district_descriptors` is drawn per period; `descriptors`,
`descriptor_districts` and `type_descriptors` are its sums, as the batch job sums them from the widest
one. Rows are written as the other rollups are: month rows for every month, day rows for the first
month and the last `day_months` (the only day partitions the benchmark's ranges read). The meta key
`META` records the signature, so a store loaded before descriptors existed gets them without being
loaded again, and one loaded before a descriptor rollup existed gets it from pipeline/rollups/backfill.py.
"""
from __future__ import annotations

import sys
from datetime import date

import numpy as np
import pandas as pd

from pipeline.rollups import backfill, frames
from pipeline.rollups.tables import ROLLUPS, bucket_of

WIDEST = "district_descriptors"
TABLES = (WIDEST, "descriptors", "descriptor_districts", "type_descriptors")
META = "bench_descriptors"
VERSION = "d1"


class DescriptorWorld:
    """Descriptors per type of a bench.read World, and its requests drawn over district x type x descriptor."""

    def __init__(self, world) -> None:
        self.world = world
        self.rng = np.random.default_rng(1411)
        names, types, agencies, probs = [], [], [], []
        for i, (ctype, agency, p) in enumerate(zip(world.types, world.type_agency, world.type_p, strict=True)):
            k = 3 + (i * 7) % 10  # 3 to 12 descriptors a type
            weights = 1.0 / np.arange(1, k + 1) ** 1.2
            names += [f"Descriptor {i:02d}-{j}" for j in range(k)]
            types += [ctype] * k
            agencies += [agency] * k
            probs.append(p * weights / weights.sum())
        self.descriptors = np.array(names, dtype=object)
        self.types = np.array(types, dtype=object)
        self.agencies = np.array(agencies, dtype=object)
        self.p = np.concatenate(probs)

    def frame(self, grain: str, period: str, n: int) -> pd.DataFrame:
        """district_descriptors rows of one period holding n requests."""
        w = self.world
        counts = self.rng.multinomial(n, np.outer(w.cd_p, self.p).ravel()).reshape(len(w.cds), len(self.p))
        a, k = np.nonzero(counts)
        frame = pd.DataFrame({"community_district": np.array(w.cds)[a], "borough": np.array(w.cd_borough)[a],
                              "complaint_type": self.types[k], "agency": self.agencies[k],
                              "descriptor": self.descriptors[k], "n": counts[a, k]})
        frame["grain"], frame["period"], frame["bucket"] = grain, period, bucket_of(grain, period)
        return frame[list(ROLLUPS[WIDEST].columns)]


def load(store, world, first: date, last: date, per_day: int, day_months: int) -> int:
    """Write the descriptor rollups (TABLES) for first..last; returns the rows written."""
    days = pd.date_range(first, last, freq="D")
    months = sorted({d.strftime("%Y-%m") for d in days})
    dense = {months[0], *months[-day_months:]}
    synth, written = DescriptorWorld(world), 0
    for month in months:
        in_month = [d.strftime("%Y-%m-%d") for d in days if d.strftime("%Y-%m") == month]
        parts = [("month", [month], synth.frame("month", month, per_day * len(in_month)))]
        if month in dense:
            parts.append(("day", in_month, pd.concat([synth.frame("day", d, per_day) for d in in_month],
                                                    ignore_index=True)))
        for grain, periods, rows in parts:
            for name in TABLES:
                table_rows = rows if name == WIDEST else frames.coarsen(rows, name, grain)
                written += store.replace_periods(name, grain, periods, table_rows)
        print(f"  loaded descriptors {month}", file=sys.stderr, end="\r")
    return written


def ensure(store, world, first: date, last: date, per_day: int, day_months: int, signature: str) -> None:
    """Load the descriptors unless the store already holds this signature's."""
    wanted = f"{signature} {VERSION}"
    if store.get_meta(META) == wanted:  # a descriptor rollup added since: summed from the widest, as the batch does
        filled = backfill.fill(store, {name: WIDEST for name in TABLES if name != WIDEST})
        if filled:
            print(f"descriptors: backfilled {filled}", file=sys.stderr)
        return
    rows = load(store, world, first, last, per_day, day_months)
    store.set_meta(META, wanted)
    store.set_meta("data_version", str(pd.Timestamp.now().value))
    print(f"descriptors: {rows:,} rows written", file=sys.stderr)
