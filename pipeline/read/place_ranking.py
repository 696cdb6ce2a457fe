"""The busiest places of a range from heads in pieces: the threshold algorithm, pure.

Why: a ten-year citywide hotspot list is a top-25 over ~28 M stored place rows, too many to sum per
click. Each month, and each closed year, keeps the heads of every scope (pipeline/rollups/hotspot_rows.py
`heads`): its busiest places with exact counts, and the largest count it left out. A range is read as
pieces, one per closed year it covers whole and one per other month (pipeline/rollups/year_rows.py
`split_span`); a clicked hexagon's months are one piece that lists every place of the cell:

- a place's listed pieces give its exact count there, a lower bound L of its count over the range;
  a piece that did not list it hid at most that piece's left-out maximum of it, so it has at most L
  plus the left-out maxima of the pieces that did not list it; a place never listed has at most R,
  the sum of every piece's left-out maximum;
- the n-th largest L is a lower bound T of the n-th largest exact count, so only places whose upper
  bound reaches T can be in the top n: they are looked up (`places_by_address`), and only in the
  pieces that did not list them, so a place listed every year costs no lookup at all;
- the answer is certain when the n-th exact count is above R (no unseen place can reach it, ties
  included); otherwise the caller sums every row (the old read, always right, slower).

Every count returned is an exact count, so the list equals a recount of the raw rows;
tests/unit/test_place_ranking.py checks it against brute force.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from pipeline.rollups.hotspot_rows import PLACE as KEY  # a place: its address in its borough and district

MAX_LOOKUPS = 400  # places whose exact counts one list may look up before it sums every row instead


def rank(exact: pd.DataFrame, n: int) -> pd.DataFrame:
    """Top n of exact counts (KEY + `count`): count descending, then the place. Only the places at or
    above the n-th largest count are sorted (a cell's few thousand places by three text columns cost
    more than its read)."""
    if len(exact) > n:
        exact = exact[exact["count"] >= exact["count"].nlargest(n).iloc[-1]]
    ordered = exact.sort_values(["count", *KEY], ascending=[False, True, True, True], kind="stable")
    return ordered.head(n).reset_index(drop=True)


def top_places_by_piece(listed: pd.DataFrame, rests: Mapping[str, int], n: int,
                        lookup: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame | None:
    """Top n places (KEY + count) from heads in pieces: `listed` holds each piece's listed places with
    their exact counts in it (KEY + piece + n), `rests` every piece's largest count left out (0: the
    piece listed every place). `lookup(missing)` gives the exact counts (KEY + piece + count) of the
    (place, piece) pairs asked (KEY + piece). None: the heads do not settle it, sum every row."""
    unseen = sum(rests.values())  # a place no piece listed has at most this much
    # one integer per place and per piece: a click's heads are a few thousand rows, and grouping or
    # merging them on three text columns in pandas cost more than the store's reads (measured)
    if listed.empty:
        return rank(pd.DataFrame(columns=[*KEY, "count"]), n) if unseen == 0 else None
    code, places = pd.factorize(pd.MultiIndex.from_frame(listed[KEY]))
    places = places.set_names(KEY)
    pieces = list(rests)
    piece = pd.Index(pieces).get_indexer(listed["piece"])
    if (piece < 0).any():
        raise ValueError("every listed piece needs its left-out maximum in `rests`")
    rest = np.array([rests[p] for p in pieces], dtype="int64")
    lower = np.bincount(code, weights=listed["n"].to_numpy(dtype="int64"), minlength=len(places)).astype("int64")
    seen = np.zeros((len(places), len(pieces)), dtype=bool)
    seen[code, piece] = True
    if unseen == 0:
        return rank(places.to_frame(index=False).assign(count=lower), n)
    if len(places) < n:
        return None
    # a piece that did not list a place hides at most its left-out maximum of it
    upper = lower + (~seen * rest).sum(axis=1)
    floor = np.sort(lower)[-n]
    maybe = np.flatnonzero(upper >= floor)
    if len(maybe) > MAX_LOOKUPS:
        return None
    place_of, piece_of = np.nonzero(~seen[maybe] & (rest > 0))
    asked = places[maybe[place_of]].to_frame(index=False).assign(piece=np.array(pieces, dtype=object)[piece_of])
    more = np.zeros(len(places), dtype="int64")
    if len(asked):
        found = asked.merge(lookup(asked), on=[*KEY, "piece"], how="inner")
        np.add.at(more, places.get_indexer(pd.MultiIndex.from_frame(found[KEY])), found["count"].to_numpy(dtype="int64"))
    exact = places[maybe].to_frame(index=False).assign(count=lower[maybe] + more[maybe])
    top = rank(exact[[*KEY, "count"]], n)
    if len(top) < n or top["count"].iloc[-1] <= unseen:
        return None
    return top
