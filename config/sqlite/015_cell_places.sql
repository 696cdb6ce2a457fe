-- Rendered from pipeline/rollups/tables.py by `python -m pipeline schema --write-ddl`; applied in
-- version order by ensure_schema(). Do not edit by hand: change tables.py and re-render.

CREATE TABLE IF NOT EXISTS cell_places (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    cell TEXT NOT NULL,
    borough TEXT NOT NULL,
    community_district TEXT NOT NULL,
    address TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, cell, borough, community_district, address)
) WITHOUT ROWID;
