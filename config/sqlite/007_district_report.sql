-- Rendered from pipeline/rollups/tables.py by `python -m pipeline schema --write-ddl`; applied in
-- version order by ensure_schema(). Do not edit by hand: change tables.py and re-render.

CREATE TABLE IF NOT EXISTS district_timeliness (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    community_district TEXT NOT NULL,
    borough TEXT NOT NULL,
    agency TEXT NOT NULL,
    with_due INTEGER,
    on_time INTEGER,
    late INTEGER,
    open_past_due INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, community_district, borough, agency)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS district_resolution (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    community_district TEXT NOT NULL,
    borough TEXT NOT NULL,
    res_bin INTEGER NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, community_district, borough, res_bin)
) WITHOUT ROWID;
