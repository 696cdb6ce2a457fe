"""Hotspot reads: the places and H3 cells with the most requests for some filters.

Why a module of its own: pipeline/read/api.py is past its size limit; `HotspotAPI` is the ReadAPI
with these two queries added (app/data.py builds it), same caching, same store calls.

Month grain (pipeline/rollups/tables.py `places_by_*`, `place_heads`, `hex_cells`): a range is read as
the whole months it touches (`month_span`), and each answer says which months in its `months` column,
so a page can label it. For the closed years a range covers whole, the two hexagon maps read year
rows (`_span_sum`), and the lists year heads (pipeline/rollups/year_rows.py). Filters: borough,
community district, complaint type; agency, ZIP and descriptor are not kept in these rollups
(NotKept). A list is ranked from its scope's heads, a piece per closed year and per other month, and
a few exact lookups (`_top_from_pieces`, pipeline/read/place_ranking.py), or, when those do not settle
it, summed from every row; a cell's list from the cell's year heads and its other months' place rows
(`_cell_top_from_heads`), or one slice of places_by_cell. Every count is a sum of
stored rows that keep every place, so it equals a recount of the raw rows of those months
(tests/integration/test_hotspots_recount.py, test_hotspot_years.py).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pipeline.read import place_ranking, plan
from pipeline.read.api import Filters, ReadAPI, cached
from pipeline.rollups import hotspot_rows, year_rows
from pipeline.rollups.tables import ALL, HEX_RESOLUTION, HOTSPOT_TOP, PLACE_HEAD_DEPTH, RUNNING_TABLES
from pipeline.schema import UNSPECIFIED
from pipeline.stores import rows as rowlib

PLACE_COLUMNS = ["address", "borough", "community_district", "cell", "count", "months"]
CELL_COLUMNS = ["cell", "count", "months"]
TYPE_COLUMNS = ["complaint_type", "count", "months"]
TOP_TYPES = 3
_CELL = re.compile(r"8[0-9a-f]{14}")


class NotKept(ValueError):
    """The hotspot rollups do not hold this filter; the message says which."""


def is_cell(value: object, resolution: int = HEX_RESOLUTION) -> bool:
    """Whether a value is a valid H3 cell id of the map's resolution (URL and API input)."""
    import h3
    return (isinstance(value, str) and bool(_CELL.fullmatch(value)) and h3.is_valid_cell(value)
            and h3.get_resolution(value) == resolution)


def month_span(rng: tuple | None) -> tuple[str, str] | None:
    """The first and last month ('YYYY-MM') a (start, end) date range touches."""
    if rng is None:
        return None
    return rng[0].strftime("%Y-%m"), rng[1].strftime("%Y-%m")


def months_label(span: tuple[str, str] | None) -> str:
    return "" if span is None else span[0] if span[0] == span[1] else f"{span[0]} to {span[1]}"


def rollup_filters(f: Filters) -> dict[str, str]:
    """The filters the hotspot rollups can apply (NotKept for agency, ZIP and descriptor)."""
    if f.agency or f.zip or f.descriptor:
        raise NotKept("Hotspots are kept by borough, community district and complaint type: clear the "
                      "agency / ZIP / descriptor filter to see them.")
    return f.dims()


def rank_places(rows: pd.DataFrame, n: int) -> pd.DataFrame:
    """Top `n` known places of summed rows (count descending, then address): pure, unit-tested."""
    known = rows[rows["address"] != UNSPECIFIED]
    summed = known.groupby(place_ranking.KEY, as_index=False).agg(count=("n", "sum"), cell=("cell", "first"))
    return place_ranking.rank(summed, n)  # the order the heads' lists use too


def rank_cells(rows: pd.DataFrame) -> pd.DataFrame:
    """Cells with their count, busiest first, then by cell (no cell: skipped). The stores' answers are one
    row per cell already, so they are sorted as they are, by one numpy lexsort (a pandas group-by and a
    two-key sort of a city's ~1,500 cells cost ~5 ms of the map's callback)."""
    rows = rows[rows["cell"] != UNSPECIFIED]
    if not rows["cell"].is_unique:
        rows = rows.groupby("cell", as_index=False)["n"].sum()
    cell, n = rows["cell"].to_numpy(dtype=object), rows["n"].to_numpy(dtype="int64")
    order = np.lexsort((cell, -n))
    return pd.DataFrame({"cell": cell[order], "count": n[order]})


def top_types(rows: pd.DataFrame, n: int = TOP_TYPES) -> pd.DataFrame:
    """A cell's `n` busiest complaint types (complaint_type, count), then by name."""
    summed = rows.groupby("complaint_type", as_index=False)["n"].sum().rename(columns={"n": "count"})
    summed = summed.sort_values(["count", "complaint_type"], ascending=[False, True], kind="stable")
    return summed.head(n).reset_index(drop=True)


class HotspotAPI(ReadAPI):
    """ReadAPI plus the hotspot queries."""

    rank_from_heads = True  # False: every list summed from every row (bench.app --full-sum compares both)
    use_year_rows = True  # False: month rows only (bench.app --month-rows compares both)

    @cached
    def hotspot_places(self, f: Filters = Filters(), cell: str | None = None, n: int = HOTSPOT_TOP) -> pd.DataFrame:
        """Top places for the filters (and one H3 cell): PLACE_COLUMNS, busiest first."""
        dims = rollup_filters(f)
        if cell is not None:
            if not is_cell(cell):
                raise ValueError(f"cell {cell!r} is not an H3 cell of resolution {HEX_RESOLUTION}")
            dims["cell"] = cell
        span = month_span(self._range(f))
        if span is None:
            return pd.DataFrame(columns=PLACE_COLUMNS)
        n = max(1, min(int(n), 1000))
        heads = self.rank_from_heads and n <= PLACE_HEAD_DEPTH
        if not heads:
            top = None
        elif cell is None:
            top = self._top_from_heads(dims, span, n)
        else:
            top = self._cell_top_from_heads(dims, cell, span, n) if "complaint_type" not in dims else None
        if top is None:  # a cell's places are one slice of places_by_cell (cell_places); or the heads did not settle it
            rows = self._span_sum(self._cell_table(dims), span, ["address", "borough", "community_district", "cell"], dims)
            top = rank_places(rows, n)
        return top.assign(months=months_label(span))[PLACE_COLUMNS]

    def _top_from_heads(self, dims: dict[str, str], span: tuple[str, str], n: int) -> pd.DataFrame | None:
        """The threshold algorithm over the scope's place_heads (pipeline/read/place_ranking.py), a piece
        per closed year and per other month; None: sum every row."""
        scope_type, scope_area = hotspot_rows.scope_of(dims.get("complaint_type"), dims.get("borough"),
                                                      dims.get("community_district"))
        years = year_rows.written(self.store) if self.use_year_rows else set()
        pieces = year_rows.split_span(span, years)
        return self._top_from_pieces(dims, {"scope_type": scope_type, "scope_area": scope_area}, pieces, n)

    def _top_from_pieces(self, dims: dict[str, str], scope: dict[str, str], pieces: list[tuple[str, str, str]],
                         n: int) -> pd.DataFrame | None:
        """A scope's top places over a range: the heads of each closed year it covers whole one piece,
        each other month's heads one piece (place_ranking.top_places_by_piece), so a place is looked up
        only in the pieces that did not list it, one query per piece. None: sum every row."""
        listed, rests = [], {}
        for grain, first, last in pieces:
            got = self.store.aggregate("place_heads", grain, first, last, by=[*place_ranking.KEY, "period"], filters=scope)
            left_out = got["address"] == hotspot_rows.REST
            rests.update(dict.fromkeys(year_rows.periods(grain, first, last), 0))  # no REST row: none left out
            rests.update(dict(zip(got.loc[left_out, "period"].astype(str), got.loc[left_out, "n"].astype(int),
                                  strict=True)))
            listed.append(got[~left_out].rename(columns={"period": "piece"}))
        heads = pd.concat(listed, ignore_index=True)
        heads["piece"] = heads["piece"].astype(str)
        if "borough" in dims and scope["scope_area"].startswith("d:"):  # a district's heads cut to the borough asked
            heads = heads[heads["borough"] == dims["borough"]]
        found: list[pd.DataFrame] = []

        def lookup(missing: pd.DataFrame) -> pd.DataFrame:
            found.extend(self._place_rows(places, dims, year_rows.months_of(piece)).assign(piece=piece)
                         for piece, places in missing.groupby("piece"))
            return pd.concat(found, ignore_index=True).rename(columns={"n": "count"})
        top = place_ranking.top_places_by_piece(heads[[*place_ranking.KEY, "piece", "n"]], rests, n, lookup)
        if top is None:
            return None
        return top.merge(self._newest_cells(top, heads, found, dims), on=place_ranking.KEY, how="left")

    def _newest_cells(self, top: pd.DataFrame, heads: pd.DataFrame, found: list[pd.DataFrame],
                      dims: dict[str, str]) -> pd.DataFrame:
        """Each top place's cell (KEY + cell): the smallest cell of its rows in the newest piece that has
        any. Why not over the whole range, as a list summed from every row gives it: that would look
        every place up in every month, the cost the pieces avoid; a place's requests nearly always
        share one cell, and where they do not, its newest is where it is now. Plain dicts over the
        n places: pandas merges of these few rows cost more than the lookups (measured)."""
        def places(rows: pd.DataFrame):
            return zip(*(rows[c] for c in place_ranking.KEY), strict=True)
        wanted = set(places(top))
        newest: dict[tuple, str] = {}  # place -> its newest piece with rows
        cells: dict[tuple, str] = {}  # (place, piece) -> the smallest cell of its rows there

        def note(rows: pd.DataFrame) -> None:  # looked-up rows: KEY, cell, n, piece
            for place, piece, cell, n in zip(places(rows), rows["piece"], rows["cell"], rows["n"], strict=True):
                if place in wanted and n > 0:
                    newest[place] = max(newest.get(place, piece), piece)
                    cells[place, piece] = min(cells.get((place, piece), cell), cell)
        for place, piece in zip(places(heads), heads["piece"], strict=True):
            if place in wanted:
                newest[place] = max(newest.get(place, piece), piece)
        for rows in found:
            note(rows)
        lacking: dict[str, list[tuple]] = {}
        for place, piece in newest.items():
            if (place, piece) not in cells:
                lacking.setdefault(piece, []).append(place)
        for piece, missing in lacking.items():
            asked = pd.DataFrame(missing, columns=place_ranking.KEY)
            note(self._place_rows(asked, dims, year_rows.months_of(piece)).assign(piece=piece))
        out = [(*place, cells.get((place, piece), UNSPECIFIED)) for place, piece in newest.items()]
        return pd.DataFrame(out, columns=[*place_ranking.KEY, "cell"])

    def _cell_top_from_heads(self, dims: dict[str, str], cell: str, span: tuple[str, str], n: int) -> pd.DataFrame | None:
        """A clicked hexagon's top places for every type, when the range covers closed years whole: the
        threshold algorithm over the cell's year heads (place_heads, scope 'c:<cell>'), one piece per
        year, and the exact place rows of the other months, one piece that leaves nothing out
        (place_ranking.top_places_by_piece: a place is looked up only in the years that did not list it).
        None: sum every row of the cell. A borough or district filter cuts the heads to it: a bound on
        the cell's left-out places bounds those of any part of it."""
        years = year_rows.written(self.store) if self.use_year_rows else set()
        pieces = year_rows.split_span(span, years)
        if all(grain == "month" for grain, _, _ in pieces):
            return None
        listed, rests = [], {}
        for grain, first, last in pieces:
            if grain == "year":
                got = self.store.aggregate("place_heads", "year", first, last, by=[*place_ranking.KEY, "period"],
                                           filters={"scope_type": ALL, "scope_area": "c:" + cell})
                left_out = got["address"] == hotspot_rows.REST
                rests.update({f"{y:04d}": 0 for y in range(int(first), int(last) + 1)})  # no REST row: none left out
                rests.update(dict(zip(got.loc[left_out, "period"].astype(str), got.loc[left_out, "n"].astype(int),
                                      strict=True)))
                listed.append(got[~left_out].rename(columns={"period": "piece"}))
            else:
                got = self.store.aggregate(self._cell_table(dims), "month", first, last, by=place_ranking.KEY,
                                           filters={**dims, "cell": cell})
                listed.append(got[got["address"] != UNSPECIFIED].assign(piece=f"{first}..{last}"))
                rests[f"{first}..{last}"] = 0  # month rows list every place
        heads = pd.concat(listed, ignore_index=True)
        for column in ("borough", "community_district"):
            if column in dims:
                heads = heads[heads[column] == dims[column]]

        def lookup(missing: pd.DataFrame) -> pd.DataFrame:
            found = [self._place_rows(places, {**dims, "cell": cell}, (f"{year}-01", f"{year}-12")).assign(piece=year)
                     for year, places in missing.groupby("piece")]
            return pd.concat(found, ignore_index=True).rename(columns={"n": "count"})
        top = place_ranking.top_places_by_piece(heads[[*place_ranking.KEY, "piece", "n"]], rests, n, lookup)
        return None if top is None else top.assign(cell=cell)

    def _cell_table(self, dims: dict[str, str]) -> str:
        """Where place rows by cell are read: the rollup the read API picks for them (ReadAPI._table), i.e.
        cell_places for every type (~2.6x fewer rows than a place per type) once a load has filled it in this
        store (pipeline/rollups/backfill.py ADDED_LATER), else places_by_cell."""
        return self._table(Filters(**{k: v for k, v in dims.items() if k != "cell"}), "cell", *place_ranking.KEY)

    def _place_rows(self, places: pd.DataFrame, dims: dict[str, str], span: tuple[str, str]) -> pd.DataFrame:
        """The place rows (KEY, cell, n) of some places under the filters: slices of places_by_address."""
        return self.store.aggregate("places_by_address", "month", *span, by=[*place_ranking.KEY, "cell"],
                                    filters={**dims, "address": sorted(set(places["address"]))})

    @cached
    def hotspot_cells(self, f: Filters = Filters()) -> pd.DataFrame:
        """Every H3 cell with requests for the filters: CELL_COLUMNS, busiest first. A type's cells are
        a slice of hex_cells; every type's come from hex_totals (no type dimension: ~1/30 the rows)."""
        dims = rollup_filters(f)
        span = month_span(self._range(f))
        if span is None:
            return pd.DataFrame(columns=CELL_COLUMNS)
        table = "hex_cells" if "complaint_type" in dims else "hex_totals"
        rows = self._span_sum(table, span, ["cell"], dims)
        return rank_cells(rows).assign(months=months_label(span))[CELL_COLUMNS]

    def _span_sum(self, table: str, span: tuple[str, str], by: list[str], filters: dict[str, str]) -> pd.DataFrame:
        """Rows of `table` summed over the months of `span`: from its running totals when it keeps them and
        they read fewer periods (hex_totals: the open year's months are one ytd row per group, not one row
        per group and month), else the closed years it covers whole from their year rows when the table
        keeps them (pipeline/rollups/year_rows.py), the other months from month rows."""
        years = year_rows.written(self.store) if self.use_year_rows and table in year_rows.YEARLY else set()
        running = self.running_totals() if self.use_year_rows and table in RUNNING_TABLES else None
        pieces = plan.total_plan([("month", *span)], years, running)
        if len(pieces) == 1 and pieces[0][0] == 1:
            return self.store.aggregate(table, *pieces[0][1:], by=by, filters=filters)
        acc: dict[tuple, list[int]] = {}
        for (sign, *_), sums in zip(pieces, self.store.sums_many([(table, *p[1:], by, filters) for p in pieces]),
                                    strict=True):
            for key, (n,) in sums.items():
                acc[key] = [acc.get(key, [0])[0] + sign * n]
        # a running total less its start: a group at 0 had no request in the span (a month row would not exist)
        return rowlib.frame_of({k: v for k, v in acc.items() if v[0]}, by, ["n"])

    @cached
    def cell_types(self, f: Filters, cell: str, n: int = TOP_TYPES) -> pd.DataFrame:
        """One cell's busiest complaint types for the filters (TYPE_COLUMNS): what the map shows for the
        hexagon under the pointer; a clustering slice of cell_types."""
        if not is_cell(cell):
            raise ValueError(f"cell {cell!r} is not an H3 cell of resolution {HEX_RESOLUTION}")
        dims = rollup_filters(f)
        span = month_span(self._range(f))
        if span is None:
            return pd.DataFrame(columns=TYPE_COLUMNS)
        rows = self.store.aggregate("cell_types", "month", *span, by=["complaint_type"], filters={"cell": cell, **dims})
        return top_types(rows, max(1, min(int(n), 50))).assign(months=months_label(span))[TYPE_COLUMNS]
