"""Rollup tables: the one definition of every aggregate the dashboard reads.

Each rollup is a set of dimensions and measures. The same definition is computed by the batch job
(day and month grains, from the cleaned-request lake) and by the streaming job (minute grain, into
the live_* tables), and stored under the same key in every store:

    key = (grain, bucket, period, *dims)

`period` is the time bucket of the row: 'YYYY-MM-DD' (day), 'YYYY-MM' (month),
'YYYY-MM-DDTHH:MM' (minute) or 'YYYY' (year: the hexagon maps and the cells' heads, for the years
the lake has closed), always New York local time. `bucket` is the partition: the year for month and year rows,
the month for day rows, the hour for minute rows. A dashboard query over ten years thus
touches ten month-grain partitions, and a short range a few day-grain partitions (query-first keys).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# Upper bounds, in hours, of the resolution-time histogram bins (mergeable: sum counts per bin over
# any range, then read percentiles off the cumulative counts). Roughly logarithmic so medians are
# exact to within a bin width that stays small relative to the value.
RESOLUTION_BINS_H: tuple[float, ...] = (
    0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 18, 24, 36, 48, 72, 96, 120, 168, 240, 336, 504, 720,
    1080, 1440, 2160, 2880, 4320, 6480, 8760, 17520, float("inf"),
)


TIMELINESS_MEASURES = ("with_due", "on_time", "late", "open_past_due")
# Dimensions a rollup derives from the request rather than reads off it: a table holding one of them
# counts something else than requests (closed ones per resolution bin, requests per hour of week),
# so it answers only queries that ask for that dimension.
DERIVED_DIMS = ("res_bin", "how")


@dataclass(frozen=True)
class Rollup:
    name: str
    dims: tuple[str, ...]
    measures: tuple[str, ...] = ("n",)
    grains: tuple[str, ...] = ("day", "month")
    live_table: str | None = None  # minute-grain table written by the streaming job, TTL 48 h
    # the rollup whose rows this one ranks (place_heads: per-scope heads of the place rows, built by
    # pipeline/rollups/hotspot_rows.py), so not a count of requests that compute_rollup could give
    heads_of: str | None = None

    @property
    def key(self) -> tuple[str, ...]:
        return ("grain", "bucket", "period", *self.dims)

    @property
    def columns(self) -> tuple[str, ...]:
        return (*self.key, *self.measures)

    @property
    def derived(self) -> frozenset[str]:
        return frozenset(self.dims) & frozenset(DERIVED_DIMS)


# Week rows ("week" grain): one row per group and *week piece*, the days of one Monday-to-Sunday week
# inside one month (period: the piece's first day, a Monday or the 1st; bucket: the month, as for days).
# Why pieces, not whole weeks: the batch recounts whole months, so a month's pieces are sums of its own
# day rows and a load never needs a neighbouring month's days. Why at all: a weekly series over ten
# years read ~3,650 day rows per group (the types split: 144,760 rows, ~340 ms of SQLite grouping); from
# pieces it reads ~640 per group, with day rows only at the range's ragged edges (pipeline/read/plan.py).
# Kept for the tables week series read most; the others' week series still sum day rows.
WEEK_GRAINS = ("day", "week", "month")

# Year rows ("year" grain), for the years the lake has closed (pipeline/rollups/year_counts.py writes
# them from the stored month rows after each load). Why: a total over ten years (a ranking, the
# resolution page's percentiles by type, the trends' top types) summed ~119 month rows per group
# (resolution_types: ~140,000 rows); from year rows it reads nine years and the open year's months.
# Only totals over a range read them, never a series. Kept by the tables those totals read: the
# narrow ones, and the wide ones a borough or type filter sends them to (requests, status,
# resolution, timeliness, type_zips, type_districts); not by the area x type tables, the channels,
# the hour of week (weeks, not years) or the descriptors.
YEAR_GRAINS = ("day", "month", "year")

# Running totals ("ytd": a year's months so far, period 'YYYY-MM'; "upto": every closed year so far,
# period 'YYYY'), summed from the stored month rows after each load (pipeline/rollups/running_counts.py).
# Why: a total over a range of whole months is then C(last) - C(first - 1), at most four periods, where
# year rows still read a period per year and per month left over. Kept only by the tables whose totals
# have many groups (the resolution page's percentiles: ~1,200 (type, bin) groups, ~24,000 rows over ten
# years, the slowest read on Cassandra), as each costs about a month row per group and month; and by the
# every-type hexagon map (~2,500 (district, cell) groups a month: the open year's eleven months were
# ~30,000 rows, ~80 ms of Cassandra's own reading before a row reached us). Not by hex_cells: its ytd
# rows would be ~70,000 a day's load rewrites, and its reads are one type's slice.
RUNNING_TABLES = ("resolution_types", "resolution_agencies", "hex_totals")

ROLLUPS: dict[str, Rollup] = {r.name: r for r in (
    # requests by borough x complaint type x agency: counts, trends, rankings, filters
    Rollup("requests", ("borough", "complaint_type", "agency"), grains=(*WEEK_GRAINS, "year"),
           live_table="live_requests"),
    # the two finer choropleth levels (borough level comes from `requests`)
    # (agency is nearly a function of complaint type, so carrying it costs few rows and lets every
    # filter apply to every view)
    Rollup("districts", ("community_district", "borough", "complaint_type", "agency"),
           live_table="live_districts"),
    Rollup("zips", ("zip", "borough", "complaint_type", "agency"), live_table="live_zips"),
    # how requests arrive
    Rollup("channels", ("borough", "complaint_type", "agency", "channel")),
    # how requests arrive by borough: the overview's channel donut, unless a type or agency filter sends it
    # to `channels` (summed from it; the donut summed ~1,000 channels rows a day in Python, 255 ms for
    # 30 days over Cassandra). Added after stores held data: read once filled (pipeline/rollups/backfill.py)
    Rollup("channel_boroughs", ("borough", "channel")),
    # current status of the requests created in the period
    Rollup("status", ("borough", "complaint_type", "agency", "status"), grains=YEAR_GRAINS),
    # closed - created, in hours, binned by RESOLUTION_BINS_H (res_bin = index of the bin)
    Rollup("resolution", ("borough", "complaint_type", "agency", "res_bin"), grains=YEAR_GRAINS),
    # against the city's Due Date: closed on time, closed late, open past due (as of the load),
    # and requests that carry a due date at all
    Rollup("timeliness", ("borough", "complaint_type", "agency"), measures=TIMELINESS_MEASURES, grains=YEAR_GRAINS),
    # Narrow rollups: the same counts over fewer dimensions, so the dashboard's common views read
    # a few rows per period instead of one per borough x type x agency (x area). The read API picks
    # the smallest table holding the columns a query needs (TABLE_PREFERENCE below); unfiltered
    # totals, borough and type views, area rankings and resolution by borough or type come from here.
    # These three and `requests` also keep week rows (WEEK_GRAINS above): the week series over years.
    Rollup("totals", (), grains=(*WEEK_GRAINS, "year")),
    Rollup("boroughs", ("borough",), grains=(*WEEK_GRAINS, "year")),
    Rollup("types", ("complaint_type", "agency"), grains=(*WEEK_GRAINS, "year")),
    Rollup("zip_totals", ("zip", "borough"), grains=YEAR_GRAINS),
    Rollup("district_totals", ("community_district", "borough"), grains=YEAR_GRAINS),
    Rollup("status_boroughs", ("borough", "status"), grains=YEAR_GRAINS),
    Rollup("resolution_boroughs", ("borough", "res_bin"), grains=YEAR_GRAINS),
    Rollup("resolution_types", ("complaint_type", "agency", "res_bin"), grains=YEAR_GRAINS),
    Rollup("resolution_agencies", ("agency", "res_bin"), grains=YEAR_GRAINS),
    Rollup("timeliness_types", ("complaint_type", "agency"), measures=TIMELINESS_MEASURES, grains=YEAR_GRAINS),
    # areas of one complaint type: the type leads the clustering key, so a type filter is a slice
    # Cassandra seeks to (stores/cassandra.py), not a scan of every area x type of the period
    Rollup("type_zips", ("complaint_type", "zip", "borough"), grains=YEAR_GRAINS),
    Rollup("type_districts", ("complaint_type", "community_district", "borough"), grains=YEAR_GRAINS),
    # a community district's own due dates by agency and resolution times: the community board report
    # (/report/<district>) reads them; the pages keep these measures by borough (one row per district
    # and agency or bin, a few hundred a day)
    Rollup("district_timeliness", ("community_district", "borough", "agency"), measures=TIMELINESS_MEASURES),
    Rollup("district_resolution", ("community_district", "borough", "res_bin")),
    # hour of week (0 = Monday 00:00-00:59 ... 167 = Sunday 23:00): the live page's baseline. The hour
    # leads, so its two hours of a day are two clustering slices Cassandra seeks to (stores/cassandra.py);
    # the wide `hour_of_week` it replaced (how last, with agency) was filtered whole, 16 statements of
    # ~5,000 rows for 8 weeks, and once nothing read it, it was 5 % of the store (schema version 13 drops it)
    Rollup("hours_of_week", ("how", "borough", "complaint_type")),
    # descriptors ("Loud Music/Party" under Noise - Residential): hundreds per type, so they live in
    # tables of their own and the read API reads them only when a query names the descriptor (last in
    # TABLE_PREFERENCE below). `descriptors` answers the descriptor filter on borough-level views (live too),
    # `type_descriptors` the top-descriptors chart and the filter's options, `district_descriptors` the
    # board report and the district map. A missing descriptor counts as 'Unspecified', like every dim.
    # The widest first: the batch counts it from the lake and sums the other two from its rows.
    Rollup("district_descriptors", ("community_district", "borough", "complaint_type", "agency", "descriptor")),
    # the districts of one type's descriptor (rankings and the district map under a descriptor filter, the
    # board report's descriptors of a type): the type leads, so the filter is a slice the stores seek to,
    # where district_descriptors (district first) is read whole for the period (~21,000 rows a month at
    # the city's volume); summed from district_descriptors
    Rollup("descriptor_districts", ("complaint_type", "descriptor", "community_district", "borough")),
    Rollup("descriptors", ("borough", "complaint_type", "agency", "descriptor"), live_table="live_descriptors"),
    Rollup("type_descriptors", ("complaint_type", "agency", "descriptor")),
    # Hotspots (pipeline/read/hotspots.py), month grain (no day rows), batch only (the streaming job's lake rows
    # carry the place, so `batch --recompute` counts streamed requests too). `cell` is the H3 cell
    # (resolution HEX_RESOLUTION) of the request's coordinates, Unspecified without them; `address`
    # the normalised place (pipeline/ingest/places.py). Every place is kept: one row per (month, type,
    # district, cell, place) with requests, so any range's counts are sums of stored rows, exact; no
    # threshold ("places with >= 2 a month"), which would drop a place's quiet months from its count.
    # At the city's volume that is ~0.9 rows a request (most places have one request a month), too many
    # to sum for a ten-year citywide list, so the same rows are kept in three orders, each for one read
    # (docs/OPERATIONS.md, "Hotspots", has the row budget and the measured times):
    # - by cell: the places of a clicked hexagon, a clustering slice (and the type's, a narrower one);
    Rollup("places_by_cell", ("cell", "complaint_type", "borough", "community_district", "address"), grains=("month",)),
    # - and summed over types (cell_places): a clicked hexagon's list for every type over months no year
    #   heads stand for (the open year). The busiest cell's twelve months were ~18,800 place x type rows
    #   on Cassandra, 100-200 ms of reading and summing; its places a month are ~2.6x fewer rows.
    Rollup("cell_places", ("cell", "borough", "community_district", "address"), grains=("month",)),
    # - by address: the exact count of a few named places over a range (`address IN ?` slices);
    Rollup("places_by_address", ("address", "borough", "community_district", "complaint_type", "cell"),
           grains=("month",)),
    # - place_heads: per month and scope (a type or every type '*'; the city '*', a borough 'b:Brooklyn' or
    #   a district 'd:301'), the PLACE_HEAD_DEPTH busiest places of the scope with their counts, and one
    #   row with an empty place holding the largest count left out. Year rows (closed years,
    #   pipeline/rollups/year_rows.py) hold every scope's heads of the year, and one more scope, an H3
    #   cell for every type ('c:882a100d07fffff'). A list reads the heads of its pieces (a closed year
    #   or a month each), bounds every place by the left-out maxima of the pieces that did not list it,
    #   and asks places_by_address for the exact counts of the few that can still reach the top, only in
    #   those pieces (the threshold algorithm; pipeline/read/place_ranking.py).
    Rollup("place_heads", ("scope_type", "scope_area", "address", "borough", "community_district"),
           grains=("month", "year"), heads_of="places_by_cell"),
    # requests per H3 cell, sums of the place rows over places: the hexagon map for a type (a clustering
    # slice of hex_cells, ~1/5 of the place rows), for every type (hex_totals, a few thousand rows a
    # month), and one cell's top types, shown as the pointer moves over it (cell_types, a slice). The two
    # maps also have year rows for the years the lake has closed (pipeline/rollups/year_rows.py): a busy
    # cell has requests most months, so a year row stands for up to twelve month rows.
    Rollup("hex_cells", ("complaint_type", "borough", "community_district", "cell"), grains=("month", "year")),
    Rollup("hex_totals", ("borough", "community_district", "cell"), grains=("month", "year")),  # the maps: years
    Rollup("cell_types", ("cell", "complaint_type", "borough", "community_district"), grains=("month",)),
)}

# The rollups that count requests (compute_rollup gives each one): all but the heads.
COUNTED: dict[str, Rollup] = {name: r for name, r in ROLLUPS.items() if r.heads_of is None}

# The live twins, and the dimensions the streaming job must track per request to recount them (in
# the order the rollups name them): adding a live_table above is the whole change.
LIVE_ROLLUPS: tuple[Rollup, ...] = tuple(r for r in ROLLUPS.values() if r.live_table)
LIVE_DIMS: tuple[str, ...] = tuple(dict.fromkeys(d for r in LIVE_ROLLUPS for d in r.dims))

HEX_RESOLUTION = 8   # ~0.74 km2 hexagons: ~1,500 cover the city, a block or two across
HOTSPOT_TOP = 25     # places a hotspot list shows at most
PLACE_HEAD_DEPTH = 100  # places kept per month and scope in place_heads (4x HOTSPOT_TOP: tight bounds)
ALL = "*"            # place_heads' scope value for "every type" / "the whole city"

# The descriptor rollups, smallest first: ranked last (TABLE_PREFERENCE below), so only a query that
# names the descriptor reads them.
DESCRIPTOR_ROLLUPS = ("type_descriptors", "descriptors", "descriptor_districts", "district_descriptors")

# Each rollup's read rank: every rollup, smallest first (rows per period). A query reads the first one that
# holds all the columns it groups/filters by, with the measures it sums (pipeline/read/api.py table_for). The narrow
# rollups lead, so a ten-year ZIP ranking reads ~ZIPs x months rows, not ZIPs x types x agencies x months.
TABLE_PREFERENCE = ("totals", "boroughs", "status_boroughs", "channel_boroughs", "types", "timeliness_types", "district_totals",
                    "zip_totals", "resolution_agencies", "resolution_boroughs", "requests", "timeliness", "channels", "status",
                    "resolution_types", "type_districts", "type_zips", "districts", "zips", "resolution",
                    "hours_of_week", "district_timeliness", "district_resolution",
                    "hex_totals", "hex_cells", "cell_types", "place_heads", "cell_places", "places_by_cell", "places_by_address",  # no day rows: read by pipeline/read/hotspots.py
                    *DESCRIPTOR_ROLLUPS)  # last: read only when a query names the descriptor

# Integer-valued dimension columns (everything else is text).
INT_DIMS = frozenset({"res_bin", "how"})

LIVE_TTL_SECONDS = 48 * 3600

# How a period is spelled at each grain, in New York time: Spark's date_format pattern (the batch and
# streaming rollups), Python's strftime (the live reads), and the length of its partition bucket
# (year for months, month for days, hour for minutes). Here, not in pipeline/rollups/compute.py, so the web
# workers that read live minutes never import pyspark.
PERIOD_FORMATS = {"day": "yyyy-MM-dd", "month": "yyyy-MM", "minute": "yyyy-MM-dd'T'HH:mm", "year": "yyyy"}
PERIOD_STRFTIME = {"day": "%Y-%m-%d", "week": "%Y-%m-%d", "month": "%Y-%m", "minute": "%Y-%m-%dT%H:%M", "year": "%Y",
                   "ytd": "%Y-%m", "upto": "%Y"}
# a year's rows: the year's own partition; a week piece's: its month's, as a day's; running totals as
# the months and years they are spelled like
BUCKET_LENGTHS = {"day": 7, "week": 7, "month": 4, "minute": 13, "year": 4, "ytd": 4, "upto": 4}
# the running grains, each with the grain whose periods and partitions its own are shaped like
SHAPE_OF = {"ytd": "month", "upto": "year"}


def week_piece(day: date) -> date:
    """The first day of the week piece holding `day`: its week's Monday, or the 1st of its month if
    the week began in the month before."""
    return max(day - timedelta(days=day.weekday()), day.replace(day=1))


def bucket_of(grain: str, period: str) -> str:
    """Partition bucket of a period: year for months (and years), month for days, hour for minutes."""
    if grain not in BUCKET_LENGTHS:
        raise ValueError(f"unknown grain {grain!r}")
    return period[:BUCKET_LENGTHS[grain]]


# -- physical tables -------------------------------------------------------------------------------
# Column types are CQL names (text, int, bigint, double, boolean, timestamp); the SQLite store maps
# them. Every store creates every table below in ensure_schema(), so a job that needs a table of its
# own (recent events, pipeline status, ...) declares it in EXTRA_TABLES and nothing else.

@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[tuple[str, str], ...]
    partition_key: tuple[str, ...]
    clustering: tuple[str, ...] = ()
    descending: bool = False  # clustering order of the rows inside a partition

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


EXTRA_TABLES: dict[str, TableSpec] = {}


def rollup_spec(rollup: Rollup, name: str | None = None) -> TableSpec:
    """The table of a rollup (or of its live twin): partition (grain, bucket), clustered by period, dims."""
    cols = [("grain", "text"), ("bucket", "text"), ("period", "text")]
    cols += [(d, "int" if d in INT_DIMS else "text") for d in rollup.dims]
    cols += [(m, "bigint") for m in rollup.measures]
    return TableSpec(name or rollup.name, tuple(cols), ("grain", "bucket"), ("period", *rollup.dims))


def table_specs() -> dict[str, TableSpec]:
    """Every data table: the rollups, their live twins, then EXTRA_TABLES."""
    specs = {r.name: rollup_spec(r) for r in ROLLUPS.values()}
    specs.update({r.live_table: rollup_spec(r, r.live_table) for r in ROLLUPS.values() if r.live_table})
    specs.update(EXTRA_TABLES)
    return specs


def rollup_of(table: str) -> Rollup | None:
    """The rollup a table holds (its own or as live twin), None for other tables."""
    return next((r for r in ROLLUPS.values() if table in (r.name, r.live_table)), None)


# -- live stream tables (pipeline/stream/job.py writes them, pipeline/read/live.py reads them) ----------
# recent_events: the live feed, newest first; one partition per created minute (New York time) so
# a partition stays small at thousands of events a second; the job writes only the newest rows of
# each micro-batch, with a short TTL.
EXTRA_TABLES["recent_events"] = TableSpec("recent_events", (
    ("period", "text"), ("created_at", "timestamp"), ("unique_key", "text"), ("event_type", "text"),
    ("complaint_type", "text"), ("descriptor", "text"), ("agency", "text"), ("status", "text"),
    ("borough", "text"), ("zip", "text"), ("community_district", "text"),
    ("latitude", "double"), ("longitude", "double"), ("produced_at", "timestamp"),
), ("period",), ("created_at", "unique_key"), descending=True)
RECENT_TTL_SECONDS = 2 * 3600

# pipeline_status: one row per streaming job, rewritten every micro-batch.
EXTRA_TABLES["pipeline_status"] = TableSpec("pipeline_status", (
    ("job", "text"), ("batch_id", "bigint"), ("last_batch_time", "timestamp"), ("last_event_time", "timestamp"),
    ("last_produced_at", "timestamp"), ("batch_rows", "bigint"), ("input_rate", "double"),
    ("lag_messages", "bigint"), ("seconds_behind", "double"), ("malformed_batch", "bigint"),
    ("malformed_total", "bigint"), ("requests_tracked", "bigint"),
), ("job",))

# pipeline_health: what the streaming job is doing besides counting (one row per job): "running" or
# "waiting for the store", Kafka messages it could not read because the broker had already deleted
# them (retention), and how often it had to wait for the store. Apart from pipeline_status so that
# adding it needs no ALTER of a table the stores already have.
EXTRA_TABLES["pipeline_health"] = TableSpec("pipeline_health", (
    ("job", "text"), ("state", "text"), ("state_since", "timestamp"), ("offsets_lost", "bigint"),
    ("store_waits", "bigint"),
), ("job",))
