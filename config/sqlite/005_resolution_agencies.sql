-- Rendered from pipeline/rollups/tables.py by `python -m pipeline schema --write-ddl`; applied in
-- version order by ensure_schema(). Do not edit by hand: change tables.py and re-render.

CREATE TABLE IF NOT EXISTS resolution_agencies (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    agency TEXT NOT NULL,
    res_bin INTEGER NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, agency, res_bin)
) WITHOUT ROWID;
