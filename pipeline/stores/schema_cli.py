"""`python -m pipeline schema [--store URL] [--write-ddl]`: create the store's keyspace/tables (the
versioned files under config/cql or config/sqlite) and print the applied schema version.
`--write-ddl` first renders pipeline/rollups/tables.py into a new version file when the files lag behind it."""
from __future__ import annotations

import argparse
import sys

from pipeline.settings import Settings, load
from pipeline.stores import StoreUnavailable, ddl, open_store


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", help="store URL (default: the store_url setting)")
    parser.add_argument("--write-ddl", action="store_true",
                        help="write statements missing from config/cql and config/sqlite as a new version")


def run(args: argparse.Namespace, settings: Settings | None = None) -> int:
    if args.write_ddl:
        for path in ddl.write_new_version():
            print(f"wrote {path}", file=sys.stderr)
    s = settings or load()
    url = args.store or s.store_url
    try:
        with open_store(url, s) as store:
            store.ensure_schema()
            version = store.schema_version()
    except StoreUnavailable as exc:
        print(f"schema: {exc}", file=sys.stderr)
        return 1
    print(f"schema version {version} applied to {url}")
    return 0
