"""The community board report's numbers: one district, one month, against the same month a year
earlier and against the city. Free of Dash, so the page only lays the frames out and a test can
compare every number with a recount.

Why a month against the same month a year earlier: boards meet monthly, and 311 volumes swing with
the seasons (heat complaints in January, noise in July), so last month is the wrong comparison.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

from app import geo
from app.charts import Reads
from pipeline.read.api import Filters
from pipeline.read.series import SLACK, period_bounds

TOP_TYPES = 10
TOP_DESCRIPTORS = 8
TOP_AGENCIES = 8
TOP_PLACES = 5
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")


class NoSuchDistrict(ValueError):
    """The link names no community district of the city's map."""


@dataclass(frozen=True)
class BoardReport:
    district: str
    name: str
    borough: str
    month: str  # YYYY-MM
    prior: str  # the same month a year earlier
    complete: bool  # the data covers the whole month
    total: int
    total_prior: int
    types: pd.DataFrame  # complaint_type, count, prior, change_pct
    descriptors: pd.DataFrame  # complaint_type, descriptor, count, prior, change_pct
    past_due: pd.DataFrame  # agency, with_due, open_past_due, on_time_pct
    closed: int
    median_h: float | None
    city_median_h: float | None
    areas: pd.DataFrame  # the borough's districts: id, name, borough, count, population, value, value_text
    hotspots: pd.DataFrame | None = None  # the district's top places this month: address, count


def month_range(month: str) -> tuple[date, date]:
    start, end = period_bounds(f"{month}-01", "month")
    return start.date(), (end - timedelta(days=1)).date()


def year_before(month: str) -> str:
    return f"{int(month[:4]) - 1:04d}{month[4:]}"


def default_month(bounds: tuple[date, date] | None, through: datetime | None) -> str | None:
    """The newest month the data holds whole (the one before the data's last day when that day's
    month is still running), or the newest month at all when none is whole."""
    if bounds is None:
        return None
    last = bounds[1].strftime("%Y-%m")
    end = period_bounds(f"{last}-01", "month")[1]
    whole = through is not None and through + SLACK >= end
    if whole or last == bounds[0].strftime("%Y-%m"):
        return last
    first_of_last = date.fromisoformat(f"{last}-01")
    return (first_of_last - timedelta(days=1)).strftime("%Y-%m")


def pick_month(value: object, bounds: tuple[date, date] | None, through: datetime | None) -> tuple[str | None, str]:
    """The month a link asks for, or the default with a notice saying why ('' when none)."""
    default = default_month(bounds, through)
    if value in (None, ""):
        return default, ""
    if not isinstance(value, str) or not MONTH.fullmatch(value):
        return default, "Ignored the month in the link: use YYYY-MM, e.g. 2024-03."
    if bounds and not (bounds[0].strftime("%Y-%m") <= value <= bounds[1].strftime("%Y-%m")):
        return default, f"No data for {value}: showing {default}."
    return value, ""


def district_of(district: object) -> tuple[str, str, str]:
    """(id, display name, borough) of a district id such as '301'."""
    known = geo.names("community_district")
    if not isinstance(district, str) or district not in known:
        raise NoSuchDistrict("No such community district: use its three-digit number, e.g. 301 for Brooklyn CD 1.")
    name, borough = known[district]
    return district, name, borough


def _types(now: pd.DataFrame, before: pd.DataFrame) -> pd.DataFrame:
    prior = dict(zip(before["complaint_type"], before["count"], strict=True))
    out = now.head(TOP_TYPES)[["complaint_type", "count"]].copy()
    out["prior"] = out["complaint_type"].map(prior).fillna(0).astype("int64")
    out["change_pct"] = ((out["count"] - out["prior"]) / out["prior"].where(out["prior"] > 0) * 100).round(1)
    return out.reset_index(drop=True)


def _descriptors(reads: Reads, f: Filters, fp: Filters) -> pd.DataFrame:
    """The district's TOP_DESCRIPTORS (type, descriptor) pairs of the month with the same month a year
    earlier: one read of the district's pairs for each month (a slice of district_descriptors, a few
    hundred rows), where a read per type cost ~5 ms of overhead each for ~17 types."""
    now = reads("pair_counts", "complaint_type", "descriptor", f)
    before = reads("pair_counts", "complaint_type", "descriptor", fp)
    out = now.head(TOP_DESCRIPTORS)[["complaint_type", "descriptor", "count"]].copy()
    prior = dict(zip(zip(before["complaint_type"], before["descriptor"], strict=True), before["count"], strict=True))
    out["prior"] = [prior.get(k, 0) for k in zip(out["complaint_type"], out["descriptor"], strict=True)]
    out["prior"] = out["prior"].astype("int64")
    out["change_pct"] = ((out["count"] - out["prior"]) / out["prior"].where(out["prior"] > 0) * 100).round(1)
    return out[["complaint_type", "descriptor", "count", "prior", "change_pct"]].reset_index(drop=True)


def _past_due(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[frame["with_due"] > 0].sort_values(["open_past_due", "with_due", "agency"],
                                                   ascending=[False, False, True]).head(TOP_AGENCIES)
    out = out[["agency", "with_due", "open_past_due", "on_time"]].copy()
    out["on_time_pct"] = (out["on_time"] / out["with_due"] * 100).round(1)
    return out.drop(columns="on_time").reset_index(drop=True)


def _median(frame: pd.DataFrame) -> tuple[int, float | None]:
    if frame.empty:
        return 0, None
    return int(frame["closed"].iloc[0]), float(frame["median_h"].iloc[0])


def _areas(reads: Reads, f: Filters, borough: str) -> pd.DataFrame:
    known = geo.names("community_district")
    areas = reads("top_areas", "community_district", f.but(community_district=None, borough=borough), 100, False)
    ids = [i for i, (_, b) in known.items() if b == borough]
    counts = dict(zip(areas["community_district"].astype(str), areas["count"], strict=True))
    pops = dict(zip(areas["community_district"].astype(str), areas["population"], strict=True))
    frame = pd.DataFrame({"id": ids, "name": [known[i][0] for i in ids], "borough": borough})
    frame["count"] = frame["id"].map(counts).fillna(0).astype("int64")
    frame["population"] = frame["id"].map(pops)
    frame["value"] = frame["count"].astype(float)
    frame["value_text"] = frame["count"].map(lambda n: f"{n:,}")
    return frame


def build(reads: Reads, district: str, month: str, through: datetime | None) -> BoardReport:
    """Every number of the report for `district` in `month` (YYYY-MM), read through the read model."""
    ident, name, borough = district_of(district)
    start, end = month_range(month)
    prior = year_before(month)
    f = Filters(start=start, end=end, community_district=ident)
    fp = Filters(*month_range(prior), community_district=ident)
    types_now = reads("counts", "complaint_type", f)
    types_prior = reads("counts", "complaint_type", fp)
    closed, median = _median(reads("resolution", None, f))
    _, city = _median(reads("resolution", None, f.but(community_district=None)))
    whole = through is not None and through + SLACK >= period_bounds(f"{month}-01", "month")[1]
    return BoardReport(
        district=ident, name=name, borough=borough, month=month, prior=prior, complete=whole,
        total=int(types_now["count"].sum()), total_prior=int(types_prior["count"].sum()),
        types=_types(types_now, types_prior), descriptors=_descriptors(reads, f, fp),
        past_due=_past_due(reads("timeliness", f, "agency")),
        closed=closed, median_h=median, city_median_h=city, areas=_areas(reads, f, borough),
        hotspots=reads("hotspot_places", f, None, TOP_PLACES)[["address", "count"]])
