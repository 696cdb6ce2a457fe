-- Rendered from pipeline/rollups/tables.py by `python -m pipeline schema --write-ddl`; applied in
-- version order by ensure_schema(). Do not edit by hand: change tables.py and re-render.

CREATE TABLE IF NOT EXISTS recent_events (
    period TEXT NOT NULL,
    created_at TEXT NOT NULL,
    unique_key TEXT NOT NULL,
    event_type TEXT,
    complaint_type TEXT,
    descriptor TEXT,
    agency TEXT,
    status TEXT,
    borough TEXT,
    zip TEXT,
    community_district TEXT,
    latitude REAL,
    longitude REAL,
    produced_at TEXT,
    expires_at REAL,
    PRIMARY KEY (period, created_at, unique_key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS pipeline_status (
    job TEXT NOT NULL,
    batch_id INTEGER,
    last_batch_time TEXT,
    last_event_time TEXT,
    last_produced_at TEXT,
    batch_rows INTEGER,
    input_rate REAL,
    lag_messages INTEGER,
    seconds_behind REAL,
    malformed_batch INTEGER,
    malformed_total INTEGER,
    requests_tracked INTEGER,
    expires_at REAL,
    PRIMARY KEY (job)
) WITHOUT ROWID;
