-- Rendered from pipeline/rollups/tables.py by `python -m pipeline schema --write-ddl`; applied in
-- version order by ensure_schema(). Do not edit by hand: change tables.py and re-render.

CREATE TABLE IF NOT EXISTS pipeline_health (
    job TEXT NOT NULL,
    state TEXT,
    state_since TEXT,
    offsets_lost INTEGER,
    store_waits INTEGER,
    expires_at REAL,
    PRIMARY KEY (job)
) WITHOUT ROWID;
