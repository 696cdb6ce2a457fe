"""Where each benchmark leaves its figures: one JSON file per measure under var/bench/results/.

Why files: the parts of `make bench` run for minutes to an hour each, often one at a time and on
different days, and `python -m bench.table` joins the latest figures of all of them into issue 12's
table. Each file says when and at which commit it was measured, so a figure is never quoted
without its provenance.

`python -m bench.results NAME key=value ...` records from a shell script (scripts/test.sh).
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from pipeline.settings import ROOT

RESULTS = ROOT / "var" / "bench" / "results"


def commit() -> str | None:
    """The checkout's short commit, '+' if it has uncommitted changes; None outside git."""
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return rev + ("+" if dirty else "")


def record(name: str, figures: dict, results: Path = RESULTS) -> Path:
    """Write (replace) the figures of one measure; returns the file."""
    results.mkdir(parents=True, exist_ok=True)
    path = results / f"{name}.json"
    doc = {"name": name, "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
           "commit": commit(), "figures": figures}
    path.write_text(json.dumps(doc, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def latest(results: Path = RESULTS) -> dict[str, dict]:
    """Every recorded measure by name; an unreadable file is reported and left out, not fatal."""
    out: dict[str, dict] = {}
    for path in sorted(results.glob("*.json")) if results.is_dir() else ():
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            out[doc["name"]] = doc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"skipping {path}: {exc}", file=sys.stderr)
    return out


def _value(text: str) -> object:
    try:
        return float(text)
    except ValueError:
        return text


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args or any("=" not in a for a in args[1:]):
        print("usage: python -m bench.results NAME key=value ...", file=sys.stderr)
        return 2
    print(record(args[0], {k: _value(v) for k, v in (a.split("=", 1) for a in args[1:])}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
