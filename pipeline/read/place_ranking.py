"""The busiest places of a range from per-month heads: the threshold algorithm, pure.

Why: a ten-year citywide hotspot list is a top-25 over ~28 M stored place rows, too many to sum per
click. Each month keeps the heads of every scope (pipeline/rollups/hotspot_rows.py `heads`): its
busiest places with exact counts, and the largest count it left out. Over a range:

- a place's heads give a lower bound L (the months it was listed in), and it can have at most
  R = the sum of the months' left-out maxima more (any month it was not listed in, it had at most
  that month's maximum); a place never listed has at most R;
- the n-th largest L is a lower bound T of the n-th largest exact count, so only places with
  L + R >= T can be in the top n: their exact counts are looked up (a few dozen rows by address);
- the answer is certain when the n-th exact count is above R (no unseen place can reach it, ties
  included); otherwise the caller sums every row (the old read, always right, slower).

Every count returned is an exact count (a lookup, or heads that left nothing out), so the list
equals a recount of the raw rows; tests/unit/test_place_ranking.py checks it against brute force.

`top_places_by_piece` is the same algorithm when the heads come in a few pieces of known extent
(a clicked hexagon's year heads, plus the exact rows of the months outside closed years): a place's
bound then adds only the left-out maxima of the pieces that did not list it, and its exact count
looks it up only in those pieces, so a place listed every year costs no lookup at all.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from pipeline.rollups.hotspot_rows import PLACE as KEY  # a place: its address in its borough and district

MAX_LOOKUPS = 400  # places whose exact counts one list may look up before it sums every row instead


def candidates(heads: pd.DataFrame, rest: int, n: int) -> pd.DataFrame | None:
    """The places that can be in the top n (KEY + lower bound `n`), or None when the heads cannot
    settle it (too few places seen while some were left out, or too many candidates)."""
    if rest == 0:
        return heads
    if len(heads) < n:
        return None
    floor = heads["n"].nlargest(n).iloc[-1]
    maybe = heads[heads["n"] + rest >= floor]
    return maybe if len(maybe) <= MAX_LOOKUPS else None


def rank(exact: pd.DataFrame, n: int) -> pd.DataFrame:
    """Top n of exact counts (KEY + `count`): count descending, then the place. Only the places at or
    above the n-th largest count are sorted (a cell's few thousand places by three text columns cost
    more than its read)."""
    if len(exact) > n:
        exact = exact[exact["count"] >= exact["count"].nlargest(n).iloc[-1]]
    ordered = exact.sort_values(["count", *KEY], ascending=[False, True, True, True], kind="stable")
    return ordered.head(n).reset_index(drop=True)


def top_places(heads: pd.DataFrame, rest: int, n: int,
               lookup: Callable[[pd.DataFrame], pd.DataFrame]) -> pd.DataFrame | None:
    """Top n places (KEY + count) from a range's summed heads (KEY + n) and the sum of its left-out
    maxima; `lookup(places)` gives the exact counts (KEY + count) of the places asked. None: the heads
    do not settle it, sum every row."""
    maybe = candidates(heads, rest, n)
    if maybe is None:
        return None
    if rest == 0:  # nothing was left out of any month: the heads are every place, exact
        return rank(maybe.rename(columns={"n": "count"})[[*KEY, "count"]], n)
    exact = lookup(maybe[KEY])
    exact = maybe[KEY].merge(exact, on=KEY, how="left").fillna({"count": 0})
    exact["count"] = exact["count"].astype("int64")
    top = rank(exact, n)
    if len(top) < n or top["count"].iloc[-1] <= rest:
        return None
    return top


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
