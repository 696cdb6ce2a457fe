"""Extract: read NYC Open Data "311 Service Requests" export CSVs into raw string columns.

Why read by header name, file group by file group: the export's column set changed over the years
(older files carry 53 columns with School*, Garage Lot Name, Ferry*, and lack BBL and `Open Data
Channel Type`), and Spark's CSV reader maps one schema by position. So files are grouped by their
header line, each group is read with its own all-string schema (no inference: fast, and nothing is
lost to a wrong guess), and the columns we use are selected by name; a column a file lacks is null.

Every row keeps where it came from (`_source_file`, plus a file block and a row id that
`locate_rows` turns into a line number) and `_corrupt_record`, set by Spark's PERMISSIVE mode when
a row has the wrong number of fields, so that bad rows can be quarantined with their reason.
"""
from __future__ import annotations

import csv
import gzip
import io
import zlib
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql.types import StringType, StructField, StructType

# Export header -> normalised field name (pipeline/schema.py). Raw values keep these names so the
# normaliser runs unchanged on export rows and on live events that carry the normalised names.
EXPORT_COLUMNS: dict[str, str] = {
    "Unique Key": "unique_key",
    "Created Date": "created_at",
    "Closed Date": "closed_at",
    "Due Date": "due_at",
    "Resolution Action Updated Date": "updated_at",
    "Agency": "agency",
    "Agency Name": "agency_name",
    "Complaint Type": "complaint_type",
    "Descriptor": "descriptor",
    "Status": "status",
    "Borough": "borough",
    "Community Board": "community_district",
    "Incident Zip": "zip",
    "Open Data Channel Type": "channel",
    "Latitude": "latitude",
    "Longitude": "longitude",
    # the parts of the normalised place (pipeline/ingest/places.py); both export eras carry them
    "Incident Address": "incident_address",
    "Address Type": "address_type",
    "Intersection Street 1": "intersection_street_1",
    "Intersection Street 2": "intersection_street_2",
}
# Without these a file is not a 311 export at all (a clear error beats quarantining every row).
REQUIRED_HEADERS = ("Unique Key", "Created Date")

CORRUPT = "_corrupt_record"
SCAN_CHUNK = 16 * 1024 * 1024  # bytes of a file spans_lines holds at a time (and numpy ~3x that)
SOURCE_COLUMNS = ("_source_file", "_block", "_row_id", CORRUPT)

CSV_OPTIONS = {
    "header": "true",
    "quote": '"',
    "escape": '"',                # the export doubles quotes inside quoted fields
    "mode": "PERMISSIVE",
    "columnNameOfCorruptRecord": CORRUPT,
    "enforceSchema": "true",      # our schema carries the header's own names, in order
    "ignoreLeadingWhiteSpace": "false",
    "ignoreTrailingWhiteSpace": "false",
}


class InputError(ValueError):
    """The input cannot be read as 311 exports; the message says which file and why."""


def export_files(path: str) -> list[str]:
    """The CSV files (plain or .gz) a path names: one file, or every *.csv[.gz] in a folder tree.

    Remote URIs (hdfs://, s3a://) are passed to Spark as they are and must name single files or
    folders of one header era; name remote files one by one when quoted fields may span lines (a
    remote folder is read line by line, see multiline_files)."""
    if urlparse(path).scheme not in ("", "file"):
        return [path]
    p = Path(urlparse(path).path if path.startswith("file:") else path)
    if p.is_file():
        return [str(p.resolve())]
    if p.is_dir():
        files = sorted(str(f.resolve()) for f in p.rglob("*")
                       if f.is_file() and f.name.lower().endswith((".csv", ".csv.gz")))
        if files:
            return files
        raise InputError(f"{path}: no .csv or .csv.gz files in this folder")
    raise InputError(f"{path}: no such file or folder")


def read_header(file: str) -> tuple[str, ...]:
    """The header row of a local export file (gzip-aware)."""
    if urlparse(file).scheme not in ("", "file"):
        return ()
    file = _local(file)
    opener = gzip.open if file.lower().endswith(".gz") else open
    try:
        with opener(file, "rb") as fh:
            first = fh.readline().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read the header line ({exc})") from None
    header = tuple(h.strip() for h in next(csv.reader(io.StringIO(first)), []))
    missing = [h for h in REQUIRED_HEADERS if h not in header]
    if missing:
        raise InputError(f"{file}: not a 311 export, header lacks {', '.join(missing)}")
    return header


def _read_group(spark: SparkSession, files: list[str], header: tuple[str, ...], multiline: bool) -> DataFrame:
    options = {**CSV_OPTIONS, "multiLine": str(multiline).lower()}
    if not header:  # remote file: Spark reads the header line (every column is a string anyway)
        header = tuple(spark.read.options(**options).csv(files).columns)
    schema = StructType([StructField(h, StringType()) for h in header] + [StructField(CORRUPT, StringType())])
    df = spark.read.options(**options).schema(schema).csv(files)
    return df.select(
        *[(F.col(f"`{h}`") if h in header else F.lit(None).cast("string")).alias(name)
          for h, name in EXPORT_COLUMNS.items()],
        F.input_file_name().alias("_source_file"),
        F.input_file_block_start().alias("_block"),
        F.monotonically_increasing_id().alias("_row_id"),
        F.col(CORRUPT),
    )


def _local(uri: str) -> str:
    return unquote(urlparse(uri).path) if uri.startswith("file:") else uri


def multiline_files(spark: SparkSession, files: list[str]) -> set[str]:
    """The files with a line holding an odd number of double quotes: a quoted field spans lines.

    Why: a line-by-line read splits a big file across cores, while a multi-line read takes one core
    per file; but line by line, a record with a quoted line break comes apart into pieces the CSV
    parser does not always flag. Escaped quotes come in pairs, so an odd count per line is exact.
    Local files are scanned here (spans_lines); remote ones by a Spark pass over their text (quotes
    deleted by a character translation, the cheaper of Spark's two ways)."""
    remote = [f for f in files if urlparse(f).scheme not in ("", "file")]
    found = {_local(f) for f in files if f not in remote and spans_lines(_local(f))}
    if remote:
        quotes = F.length("value") - F.length(F.translate("value", '"', ""))
        odd = (spark.read.text(remote).where(quotes % 2 == 1)
               .select(F.input_file_name().alias("file")).distinct().collect())
        found |= {_local(r.file) for r in odd}
    return found


def spans_lines(file: str, chunk: int = SCAN_CHUNK) -> bool:
    """Whether a line of a local export (gzip-aware) holds an odd number of double quotes, a line
    ending at each \\n or \\r as Hadoop's line reader (Spark's line-by-line CSV read) cuts them.

    Why numpy over the bytes rather than a Spark pass: the Spark pass decoded every line into a
    string and took 17-23 s of the 1.6 M-row first start's 76 s extract stage; this takes ~2 s.
    Each chunk's quotes before each line break are counted with one search, carrying the parity of
    a line cut by the chunk's end into the next chunk."""
    opener = gzip.open if file.lower().endswith(".gz") else open
    odd = 0  # parity of the quotes since the last line break
    try:
        with opener(file, "rb") as fh:
            while block := fh.read(chunk):
                a = np.frombuffer(block, dtype=np.uint8)
                quotes = np.flatnonzero(a == ord('"'))
                breaks = np.flatnonzero((a == ord("\n")) | (a == ord("\r")))
                if not len(breaks):
                    odd ^= len(quotes) & 1
                    continue
                before = np.searchsorted(quotes, breaks)  # this chunk's quotes before each break
                per_line = np.diff(before, prepend=0)
                per_line[0] += odd
                if (per_line & 1).any():
                    return True
                odd = (len(quotes) - int(before[-1])) & 1
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{file}: cannot be read ({exc})") from None
    return bool(odd)  # a last line without a line break


def read_exports(spark: SparkSession, path: str) -> DataFrame:
    """Raw export rows: the EXPORT_COLUMNS fields as strings plus SOURCE_COLUMNS.

    Files whose quoted fields span lines are read with multi-line quoting, the others line by line
    (see multiline_files)."""
    files = export_files(path)
    spanning = multiline_files(spark, files)
    groups: dict[tuple[str, bool], list[str]] = {}
    for f in files:
        groups.setdefault((read_header(f), _local(f) in spanning), []).append(f)
    frames = [_read_group(spark, files, header, multiline) for (header, multiline), files in groups.items()]
    out = frames[0]
    for df in frames[1:]:
        out = out.unionByName(df)
    return out


def locate_rows(rows: DataFrame, all_rows: DataFrame) -> DataFrame:
    """Add `_line` (1-based line of the record in its file, header = line 1) to `rows`.

    Why this way: Spark's CSV reader does not report line numbers. Within one file block the row ids
    of `monotonically_increasing_id` are consecutive, so a row's ordinal is the number of rows in
    the file's earlier blocks plus its offset in its block. `all_rows` (every row read, cached) is
    aggregated once per block, which is cheap; `rows` are the few rows that need a location. For a
    record spanning several lines (a quoted line break) this is the record number + 1."""
    blocks = (all_rows.groupBy("_source_file", "_block")
              .agg(F.min("_row_id").alias("_first_id"), F.count(F.lit(1)).alias("_n")))
    w = Window.partitionBy("_source_file").orderBy("_block").rowsBetween(Window.unboundedPreceding, -1)
    blocks = blocks.withColumn("_before", F.coalesce(F.sum("_n").over(w), F.lit(0)))
    return (rows.join(F.broadcast(blocks), ["_source_file", "_block"], "left")
            .withColumn("_line", F.col("_before") + (F.col("_row_id") - F.col("_first_id")) + 2)
            .drop("_first_id", "_n", "_before"))
