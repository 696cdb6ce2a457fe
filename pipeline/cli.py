"""Command line: each command lives in its own module exposing `add_arguments(parser)` and `run(args)`.

Modules are imported lazily so `--help` and light commands (counts) do not pay for Spark start-up.
The settings are loaded once here and handed to the command (`run(args, settings)`), which passes
them on to the Spark session and the store; a command that needs none (generate) takes only args.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from datetime import date

from pipeline.schema import CREATED_YEARS
from pipeline.settings import load

COMMANDS: dict[str, tuple[str, str]] = {
    "generate": ("pipeline.synthetic.generate", "write N years of realistic synthetic 311 history in the export format"),
    "batch": ("pipeline.rollups.batch", "load 311 export CSVs into the lake and recompute the rollups they touch"),
    "loader": ("pipeline.loader.server", "keep a warm Spark session that runs the loads `batch` sends it (small loads in seconds)"),
    "counts": ("pipeline.read.counts", "print request counts grouped by one dimension, as CSV"),
    "bootstrap": ("pipeline.bootstrap", "first start: the city's last 90 days when its API answers, else synthetic history"),
    "fetch": ("pipeline.ingest.fetch", "load the city's 311 history from the NYC Open Data API (resumable), through the batch job"),
    "produce": ("pipeline.producers.produce", "send live service-request events to the stream (synthetic, replay, Socrata)"),
    "stream": ("pipeline.stream.job", "run the Structured Streaming job that keeps the live rollups"),
    "schema": ("pipeline.stores.schema_cli", "create the store's tables and print the applied schema version"),
}


def day(text: str) -> date:
    """argparse type of every date argument: YYYY-MM-DD inside the years the product holds."""
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None
    if not CREATED_YEARS[0] <= d.year <= CREATED_YEARS[1]:
        raise argparse.ArgumentTypeError(f"{text} is outside {CREATED_YEARS[0]}-{CREATED_YEARS[1]}")
    return d


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description="The 411 on the 311: data pipeline.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if only is None or only == name:
            importlib.import_module(module).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    name = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(only=name if name in COMMANDS else None)
    args = parser.parse_args(argv)
    run = importlib.import_module(COMMANDS[args.command][0]).run
    if "settings" in inspect.signature(run).parameters:
        raise SystemExit(run(args, load()) or 0)
    raise SystemExit(run(args) or 0)
