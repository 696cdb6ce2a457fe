"""`python -m pipeline counts --by DIM [--start D] [--end D] [--borough B] [--complaint-type T]`:
request counts from the rollup store as CSV (`<by>,count`), through the same read API as the app,
so a recount of the raw export can be compared line by line. When the days asked for hold synthetic
data the CSV starts with '# SYNTHETIC DATA' comment lines (pipeline/provenance.py).

Order: boroughs in alphabetical order (Unspecified last), days ascending, everything else by count
descending (ties by value).
"""
from __future__ import annotations

import argparse
import sys

from pipeline import provenance
from pipeline import settings as settings_mod
from pipeline.cli import day
from pipeline.read.api import Filters, ReadAPI
from pipeline.schema import BOROUGHS, UNSPECIFIED
from pipeline.stores import StoreUnavailable, open_store

BY_CHOICES = ("borough", "community_district", "zip", "complaint_type", "agency", "descriptor", "day")
BOROUGH_ORDER = (*BOROUGHS, UNSPECIFIED)


def _borough(text: str) -> str:
    wanted = " ".join(text.split()).casefold()
    for b in BOROUGH_ORDER:
        if b.casefold() == wanted:
            return b
    raise argparse.ArgumentTypeError(f"{text!r} is not a borough ({', '.join(BOROUGH_ORDER)})")


def _text(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", required=True, choices=BY_CHOICES, help="dimension to group by")
    parser.add_argument("--start", type=day, help="first New York day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--end", type=day, help="last New York day, YYYY-MM-DD (inclusive)")
    parser.add_argument("--borough", type=_borough, help="only this borough")
    parser.add_argument("--complaint-type", type=_text, help="only this complaint type (exact spelling)")
    parser.add_argument("--store", help="store URL (default: the store_url setting)")
    parser.set_defaults(_parser=parser)


def run(args: argparse.Namespace, settings: settings_mod.Settings | None = None) -> int:
    if args.start and args.end and args.start > args.end:
        args._parser.error(f"--start {args.start} is after --end {args.end}")
    s = settings or settings_mod.load()
    url = args.store or s.store_url
    f = Filters(start=args.start, end=args.end, borough=args.borough, complaint_type=args.complaint_type)
    try:
        api = ReadAPI(open_store(url, s), cache=False)
        frame = api.counts(args.by, f)
        synthetic = provenance.synthetic_in(api.loads(), args.start, args.end)
    except (StoreUnavailable, ValueError) as exc:
        print(f"counts: {exc}", file=sys.stderr)
        return 1
    frame[args.by] = frame[args.by].astype(str).str.strip()
    if args.by == "borough":
        rank = {b: i for i, b in enumerate(BOROUGH_ORDER)}
        frame = frame.sort_values(args.by, key=lambda s: s.map(lambda b: rank.get(b, len(rank))), kind="stable")
    sys.stdout.write(provenance.csv_comment(synthetic))  # '# SYNTHETIC DATA' first when the days hold any
    frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0
