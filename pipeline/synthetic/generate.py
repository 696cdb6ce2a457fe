"""`python -m pipeline generate`: N years of realistic synthetic 311 history, written in the NYC Open
Data export format (current 41-column layout or the older 53-column one), so that the batch loader
reads it exactly as it reads a real export.

Why synthetic: the real history is tens of millions of rows that cannot be fetched here; the batch
benchmark and the dashboards still need years of data with the real data's shape and warts. The
mix is calibrated in pipeline/synthetic/mix.py (and complaints.py), the places in pipeline/synthetic/places.py.

How it stays fast (5 million rows is ~2 GB): rows are drawn in day-ordered chunks with numpy, every
text a row prints is a lookup into a small table of preformatted, already-quoted CSV fields (dates:
one string per day plus one per second of the day), and a line is one `",".join` of those pieces.
Same arguments and seed give a byte-identical file.
"""
from __future__ import annotations

import argparse
import gzip
import io
import os
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from pipeline import provenance
from pipeline.schema import NY_TZ
from pipeline.synthetic.layout import ERAS, header
from pipeline.synthetic.mix_arrays import mix_tables, zip_cdfs
from pipeline.synthetic.places import build_pool
from pipeline.synthetic.rows import generate_chunk
from pipeline.synthetic.timeline import YEAR_DAYS, plan

CHUNK_ROWS = 200_000


# ---------------------------------------------------------------- the whole file

def chunk_bounds(counts: np.ndarray, chunk_rows: int = CHUNK_ROWS) -> list[tuple[int, int]]:
    """Consecutive day ranges of about `chunk_rows` rows each."""
    bounds, lo, acc = [], 0, 0
    for i, c in enumerate(counts.tolist()):
        acc += c
        if acc >= chunk_rows:
            bounds.append((lo, i + 1))
            lo, acc = i + 1, 0
    if lo < len(counts):
        bounds.append((lo, len(counts)))
    return bounds


def generate(out, *, rows: int, end: date, days: int, seed: int = 311, era: str = "current",
             dirty_fraction: float = 0.02, progress=None, chunk_rows: int = CHUNK_ROWS) -> int:
    """Write the header and all rows to the text stream `out`; return the number of rows written."""
    if era not in ERAS:
        raise ValueError(f"unknown era {era!r}: use one of {', '.join(ERAS)}")
    if not 0 <= dirty_fraction <= 1:
        raise ValueError(f"dirty fraction {dirty_fraction} is not between 0 and 1")
    tables = mix_tables()
    pool = build_pool(seed)
    zcdf = zip_cdfs(pool, tables)
    p = plan(rows, end, days, seed, tables)
    out.write(header(era))
    written, key = 0, None
    for lo, hi in chunk_bounds(p.counts, chunk_rows):
        if not p.counts[lo:hi].sum():
            continue
        chunk = generate_chunk(p, lo, hi, pool=pool, zcdf=zcdf, seed=seed, key_start=key, era=era,
                               dirty_fraction=dirty_fraction, tables=tables)
        out.write(chunk.render())
        written += len(chunk)
        key = chunk.next_key
        if progress:
            progress(written, rows)
    return written


# ---------------------------------------------------------------- command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--years", type=float, default=1.0, help="years of history to write (may be fractional)")
    parser.add_argument("--out", required=True,
                        help="output CSV file (.gz compresses), or a folder to write a named file into")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--rows", type=int, help="total rows to write (overrides --rows-per-year)")
    size.add_argument("--rows-per-year", type=int, default=100_000,
                      help="rows per year (default 100000; the real city logs about 3.2 million)")
    parser.add_argument("--seed", type=int, default=311, help="random seed: same seed, same bytes")
    parser.add_argument("--end", type=date.fromisoformat, default=None,
                        help="last day of the history, YYYY-MM-DD (default: yesterday in New York)")
    parser.add_argument("--era", choices=tuple(ERAS), default="current",
                        help="export layout: current (41 columns) or legacy (53 columns, pre-2018)")
    parser.add_argument("--dirty-fraction", type=float, default=0.02,
                        help="share of rows with the faults real exports carry (default 0.02)")
    parser.add_argument("--gzip", action="store_true", help="gzip the output (also implied by a .gz name)")


def _progress_printer(stream=sys.stderr):
    started = time.monotonic()
    tty = stream.isatty()

    def show(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-9)
        line = f"generate: {done:,}/{total:,} rows ({100 * done / max(total, 1):.0f}%), {rate:,.0f} rows/s"
        stream.write(("\r" + line) if tty else line + "\n")
        stream.flush()
    return show


def output_path(out: str, era: str, start: date, end: date, gz: bool) -> Path:
    path = Path(out)
    if out.endswith(("/", os.sep)) or path.is_dir():
        path = path / f"311_synthetic_{era}_{start:%Y%m%d}_{end:%Y%m%d}.csv"
    if gz and path.suffix != ".gz":  # readers pick the codec by the name
        path = path.with_name(path.name + ".gz")
    return path


def run(args: argparse.Namespace) -> int:
    problem = ("--years must be positive" if args.years <= 0 else
               "--dirty-fraction must be between 0 and 1" if not 0 <= args.dirty_fraction <= 1 else
               "the row count must not be negative" if (args.rows if args.rows is not None
                                                        else args.rows_per_year) < 0 else None)
    if problem:
        print(f"generate: {problem}", file=sys.stderr)
        return 2
    end = args.end or (datetime.now(ZoneInfo(NY_TZ)).date() - timedelta(days=1))
    days = max(1, round(args.years * YEAR_DAYS))
    rows = args.rows if args.rows is not None else round(args.rows_per_year * days / YEAR_DAYS)
    gz = args.gzip or args.out.endswith(".gz")
    path = output_path(args.out, args.era, end - timedelta(days=days - 1), end, gz)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")  # the loader never sees a half-written file
    started, cpu = time.monotonic(), time.process_time()
    try:
        with open(part, "wb") as raw:
            binary = gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1, mtime=0, filename="") if gz else raw
            with io.TextIOWrapper(binary, encoding="utf-8", newline="") as text:
                written = generate(text, rows=rows, end=end, days=days, seed=args.seed, era=args.era,
                                   dirty_fraction=args.dirty_fraction, progress=_progress_printer())
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, path)
    # the batch job reads this to record the load as synthetic (pipeline/provenance.py)
    provenance.write_sidecar(path, "synthetic", generator="python -m pipeline generate", seed=args.seed,
                             generated_rows=written, era=args.era)
    elapsed, cpu = time.monotonic() - started, time.process_time() - cpu
    size = path.stat().st_size
    # CPU time too: on a shared machine the wall-clock rate says more about the neighbours
    print(f"{chr(10) if sys.stderr.isatty() else ''}generate: wrote {written:,} rows ({args.era} era, {end - timedelta(days=days - 1)} .. {end}) to "
          f"{path}: {size / 1e6:,.1f} MB ({size / max(written, 1):,.0f} bytes a row), "
          f"{elapsed:,.1f} s wall ({written / max(elapsed, 1e-9):,.0f} rows/s), "
          f"{cpu:,.1f} s CPU ({written / max(cpu, 1e-9):,.0f} rows/s)", file=sys.stderr)
    return 0
