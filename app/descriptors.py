"""The descriptor in the app (issue 14): the filter's options, the "top descriptors" chart of the
overview and rankings pages, and what a chart says when its rollups do not keep descriptors.

Why a module of its own: the descriptor reaches every page, but most of what it needs is the same
few lines (which views can honour it, where its vocabulary comes from), and the pages stay thin.
Descriptors are counted in their own rollups (pipeline/rollups/tables.py: descriptors, type_descriptors,
district_descriptors), so status, channels, resolution and due dates, kept without the descriptor,
say so on the chart instead of silently showing every descriptor's numbers.
"""
from __future__ import annotations

import pandas as pd

from app import state as st
from app.charts import NotAvailable, Reads
from app.data import DataUnavailable
from pipeline.read.api import Filters

TOP = 15
VOCAB_TTL = 300  # seconds the filter's options are reused (they change only with a load)


def not_kept(s: st.State, what: str) -> None:
    """Refuse a view whose rollups hold no descriptor while the descriptor filter is set."""
    if s.descriptor:
        raise NotAvailable(f"{what} {'is' if what[-1] != 's' else 'are'} not kept by descriptor: clear the "
                           "descriptor filter to see this chart.")


def top_descriptors(s: st.State, reads: Reads) -> pd.DataFrame:
    """The chosen type's descriptors with the most requests, under every other filter (the
    descriptor filter itself is left out, so the chosen one stands among its siblings)."""
    if not s.type:
        raise NotAvailable("Choose a complaint type in the filter bar to see its top descriptors.")
    f = reads.filters(s).but(descriptor=None)
    if f.zip:
        raise NotAvailable("ZIP codes are not kept by descriptor: clear the ZIP filter to see this chart.")
    return reads("counts", "descriptor", f).head(TOP).reset_index(drop=True)


def vocabulary(reads: Reads, ctype: str | None) -> pd.DataFrame:
    """All-time descriptors of a type (of every type when None), most requests first: columns
    ['descriptor', 'count'] (the type_descriptors rollup, month rows)."""
    return reads("counts", "descriptor", Filters(complaint_type=ctype), cache=VOCAB_TTL)


def options(ctype: str | None, current: str | None) -> list[dict]:
    """The filter's options: the chosen type's descriptors with their all-time totals; none until a
    type is chosen (hundreds per type). The current value is always among them, as for the other
    dropdowns (a link may name one the store does not hold)."""
    opts = []
    if ctype:
        try:
            vocab = vocabulary(Reads(), ctype)
            opts = [{"label": f"{d} ({c:,})", "value": d} for d, c in zip(vocab["descriptor"], vocab["count"],
                                                                            strict=True)]
        except DataUnavailable:
            pass
    if current and all(o["value"] != current for o in opts):
        opts.insert(0, {"label": current, "value": current})
    return opts


def unknown(s: st.State) -> str | None:
    """A notice when the link's descriptor is not one the data holds (for its type), else None."""
    if not s.descriptor:
        return None
    try:
        known = set(vocabulary(Reads(), s.type)["descriptor"])
    except DataUnavailable:
        return None
    if s.descriptor in known:
        return None
    where = f" under {s.type}" if s.type else ""
    return (f"No request in the data has the descriptor “{st._shown(s.descriptor)}”{where}: the charts are empty. "
            "Pick one from the Descriptor list or clear it.")
