"""Schema of both stores, rendered from pipeline/rollups/tables.py and kept as versioned files.

Why files and a renderer: config/cql/NNN_*.cql and config/sqlite/NNN_*.sql are what ensure_schema()
applies and what an operator reads, while pipeline/rollups/tables.py is what the jobs code against; a unit
test checks that the files hold exactly the rendered statements. After changing tables.py run
`python -m pipeline schema --write-ddl`, which adds the new statements as the next version file.
"""
from __future__ import annotations

import re
from pathlib import Path

from pipeline.rollups.tables import TableSpec, table_specs
from pipeline.settings import CONFIG_DIR

CQL_DIR = CONFIG_DIR / "cql"
SQLITE_DIR = CONFIG_DIR / "sqlite"

# Tables of the stores themselves (not data): the key/value meta table and the applied versions.
INTERNAL_TABLES: dict[str, TableSpec] = {
    "meta": TableSpec("meta", (("key", "text"), ("value", "text")), ("key",)),
    "schema_version": TableSpec("schema_version", (("version", "int"), ("applied_at", "text")), ("version",)),
}

SQLITE_TYPES = {"text": "TEXT", "int": "INTEGER", "bigint": "INTEGER", "double": "REAL",
                "boolean": "INTEGER", "timestamp": "TEXT"}


def all_specs() -> dict[str, TableSpec]:
    return {**INTERNAL_TABLES, **table_specs()}


def cql_create(spec: TableSpec) -> str:
    cols = ",\n".join(f"    {c} {t}" for c, t in spec.columns)
    pk = ", ".join(spec.partition_key)
    key = ", ".join([f"({pk})" if len(spec.partition_key) > 1 else pk, *spec.clustering])
    order = ""
    if spec.clustering and spec.descending:
        order = " WITH CLUSTERING ORDER BY (" + ", ".join(f"{c} DESC" for c in spec.clustering) + ")"
    return f"CREATE TABLE IF NOT EXISTS {spec.name} (\n{cols},\n    PRIMARY KEY ({key})\n){order}"


def sqlite_create(spec: TableSpec) -> str:
    """Same key as Cassandra, flattened; data tables get expires_at (epoch seconds) for TTL rows."""
    cols = [f"    {c} {SQLITE_TYPES[t]} NOT NULL" if c in (*spec.partition_key, *spec.clustering)
            else f"    {c} {SQLITE_TYPES[t]}" for c, t in spec.columns]
    if spec.name not in INTERNAL_TABLES:
        cols.append("    expires_at REAL")
    key = ", ".join((*spec.partition_key, *spec.clustering))
    body = ",\n".join([*cols, f"    PRIMARY KEY ({key})"])
    return f"CREATE TABLE IF NOT EXISTS {spec.name} (\n{body}\n) WITHOUT ROWID"


def rendered(dialect: str) -> list[str]:
    make = cql_create if dialect == "cql" else sqlite_create
    return [make(s) for s in all_specs().values()]


def _dir(dialect: str) -> tuple[Path, str]:
    return (CQL_DIR, "cql") if dialect == "cql" else (SQLITE_DIR, "sql")


def split_statements(text: str) -> list[str]:
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def normalise(stmt: str) -> str:
    return re.sub(r"\s+", " ", stmt).strip()


def versions(dialect: str) -> list[tuple[int, list[str]]]:
    """(version, statements) of every schema file of a dialect, in version order."""
    folder, ext = _dir(dialect)
    out = []
    for path in sorted(folder.glob(f"[0-9][0-9][0-9]_*.{ext}")):
        out.append((int(path.name[:3]), split_statements(path.read_text())))
    return out


def latest_version(dialect: str = "cql") -> int:
    vs = versions(dialect)
    return vs[-1][0] if vs else 0


_CREATE = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+)", re.IGNORECASE)
_DROP = re.compile(r"DROP TABLE IF EXISTS (\w+)", re.IGNORECASE)


def live_statements(dialect: str) -> dict[str, str]:
    """{table: its CREATE statement} of the tables the files leave in force (a later file's DROP
    removes a table an earlier one created)."""
    live: dict[str, str] = {}
    for _, stmts in versions(dialect):
        for s in stmts:
            if m := _DROP.match(s):
                live.pop(m.group(1), None)
            elif m := _CREATE.match(s):
                live[m.group(1)] = normalise(s)
    return live


def missing_statements(dialect: str) -> list[str]:
    """Rendered statements that no schema file holds yet (in render order), then a DROP for each
    table the files still create that tables.py no longer has (a rollup replaced by others)."""
    live = live_statements(dialect)
    have = set(live.values())
    specs = all_specs()
    todo = [s for s in rendered(dialect) if normalise(s) not in have]
    return todo + [f"DROP TABLE IF EXISTS {name}" for name in live if name not in specs]


def write_new_version(name: str = "tables") -> list[Path]:
    """Write the missing statements of each dialect as its next version file; returns files written."""
    written = []
    for dialect in ("cql", "sqlite"):
        todo = missing_statements(dialect)
        if not todo:
            continue
        folder, ext = _dir(dialect)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{latest_version(dialect) + 1:03d}_{name}.{ext}"
        header = ("-- Rendered from pipeline/rollups/tables.py by `python -m pipeline schema --write-ddl`; applied in\n"
                  "-- version order by ensure_schema(). Do not edit by hand: change tables.py and re-render.\n")
        path.write_text(header + "".join(f"\n{s};\n" for s in todo))
        written.append(path)
    return written
