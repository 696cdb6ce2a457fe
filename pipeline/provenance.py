"""Provenance: what every load put into the store, and whether a range of days holds synthetic data.

Why: an analyst must never mistake demo numbers for the city's. Every load (a synthetic history, an
export file, the city's API, a replay, a live producer) records what it loaded and when it ran;
the app shows a banner, and every CSV a comment line, whenever the selected days overlap a
synthetic load, and the About page lists the loads.

Why the meta table (one JSON list under `loads`) rather than a new rollup table: loads are few (one
per command run), both stores already have meta, and no schema migration is needed. Loads are
recorded after their rows are in the store, so a recorded load never promises rows that are not
there; re-recording a load with the same id replaces it (a live producer updates its row count).

A load's days are New York local dates of the created times it loaded; `last_day` None means
still running (a live producer), so every later day counts as covered.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

META_KEY = "loads"
KINDS = {"synthetic": "Synthetic", "export": "Export file", "api": "NYC Open Data API", "replay": "Replay",
         "live": "Live feed"}
SIDECAR = ".source.json"  # <file>.source.json next to a CSV says where its rows came from


@dataclass(frozen=True)
class Load:
    id: str
    kind: str                    # one of KINDS
    rows: int | None             # rows loaded (None: still counting)
    first_day: str | None        # YYYY-MM-DD, New York local
    last_day: str | None         # None with first_day set: still running
    ran_at: str                  # ISO UTC time the load ran
    detail: dict = field(default_factory=dict)  # kind-specific: generator/seed, file/bytes/sha256, dataset/since/until
    synthetic: bool = False

    def covers(self, start: date | None, end: date | None) -> bool:
        """Whether the load's days overlap start..end (None: unbounded on that side)."""
        if self.first_day is None:
            return False
        first = date.fromisoformat(self.first_day)
        last = date.fromisoformat(self.last_day) if self.last_day else date.max
        return (end is None or first <= end) and (start is None or last >= start)

    def describe(self) -> str:
        """One line for people: what, how many rows, which days, when it ran."""
        d = self.detail
        what = {
            "synthetic": f"synthetic requests from {d.get('generator', 'the generator')}"
                         + (f", seed {d['seed']}" if d.get("seed") is not None else ""),
            "export": f"export file {d.get('file', '?')} ({_size(d.get('bytes'))}, sha256 {str(d.get('sha256', ''))[:12]}…)",
            "api": f"NYC Open Data API, dataset {d.get('dataset', '?')}, created {d.get('since', '?')} to {d.get('until', '?')}",
            "replay": f"replay of {d.get('file', '?')}",
            "live": f"live feed from {d.get('source', '?')}",
        }.get(self.kind, self.kind)
        rows = "still running" if self.rows is None else f"{self.rows:,} rows"
        days = (f"days {self.first_day} to {self.last_day or 'now'}" if self.first_day else "no days")
        return f"{KINDS.get(self.kind, self.kind)}: {what}; {rows}, {days}; ran {self.ran_at[:16].replace('T', ' ')} UTC"


def _size(n: object) -> str:
    return f"{int(n):,} bytes" if isinstance(n, (int, float)) else "size unknown"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make(kind: str, rows: int | None, first_day: str | None, last_day: str | None, load_id: str | None = None,
         **detail) -> Load:
    if kind not in KINDS:
        raise ValueError(f"unknown load kind {kind!r} (one of {', '.join(KINDS)})")
    synthetic = kind == "synthetic" or bool(detail.pop("synthetic", False))
    return Load(load_id or f"{kind}-{datetime.now(UTC):%Y%m%dT%H%M%S%f}", kind, rows, first_day, last_day,
                now_iso(), detail, synthetic)


def loads(store) -> list[Load]:
    """Every recorded load, oldest first."""
    raw = store.get_meta(META_KEY)
    return [Load(**item) for item in json.loads(raw)] if raw else []


def record(store, load: Load) -> None:
    """Add the load (or replace the one with its id)."""
    kept = [x for x in loads(store) if x.id != load.id]
    store.set_meta(META_KEY, json.dumps([asdict(x) for x in [*kept, load]]))


def synthetic_in(all_loads: list[Load], start: date | None, end: date | None) -> list[Load]:
    """The synthetic loads whose days overlap start..end."""
    return [x for x in all_loads if x.synthetic and x.covers(start, end)]


def csv_comment(synthetic: list[Load]) -> str:
    """The comment line(s) a CSV export starts with when its days hold synthetic data ('' otherwise)."""
    if not synthetic:
        return ""
    lines = ["# SYNTHETIC DATA: these numbers include made-up demo requests, not NYC 311 records."]
    lines += [f"# {x.describe()}" for x in synthetic]
    return "\n".join(lines) + "\n"


# -- files ------------------------------------------------------------------------------------------

def sidecar(path: str | Path) -> Path:
    return Path(f"{path}{SIDECAR}")


def write_sidecar(path: str | Path, kind: str, **detail) -> None:
    """Say where a CSV's rows came from, for the batch job that loads it."""
    sidecar(path).write_text(json.dumps({"kind": kind, **detail}, indent=1))


def read_sidecar(path: str | Path) -> dict | None:
    p = sidecar(path)
    return json.loads(p.read_text()) if p.is_file() else None


def file_facts(path: str | Path) -> dict:
    """Name, size and SHA-256 of a local file (read in 1 MB blocks)."""
    p = Path(path)
    digest = hashlib.sha256()
    with open(p, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return {"file": p.name, "bytes": p.stat().st_size, "sha256": digest.hexdigest()}


def file_load(path: str, rows: int, first_day: str | None, last_day: str | None, load_id: str) -> Load:
    """The load of one input file: its sidecar's kind and details (synthetic, api) or an export file."""
    facts = file_facts(path) if Path(path).is_file() else {"file": path}
    side = read_sidecar(path) or {"kind": "export"}
    kind = side.pop("kind")
    return make(kind, rows, first_day, last_day, load_id=load_id, **{**facts, **side})
