-- Rendered from pipeline/rollups/tables.py by `python -m pipeline schema --write-ddl`; applied in
-- version order by ensure_schema(). Do not edit by hand: change tables.py and re-render.

CREATE TABLE IF NOT EXISTS places_by_cell (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    cell TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    borough TEXT NOT NULL,
    community_district TEXT NOT NULL,
    address TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, cell, complaint_type, borough, community_district, address)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS places_by_address (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    address TEXT NOT NULL,
    borough TEXT NOT NULL,
    community_district TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    cell TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, address, borough, community_district, complaint_type, cell)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS place_heads (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    scope_type TEXT NOT NULL,
    scope_area TEXT NOT NULL,
    address TEXT NOT NULL,
    borough TEXT NOT NULL,
    community_district TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, scope_type, scope_area, address, borough, community_district)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS hex_totals (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    community_district TEXT NOT NULL,
    cell TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, community_district, cell)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS cell_types (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    cell TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    borough TEXT NOT NULL,
    community_district TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, cell, complaint_type, borough, community_district)
) WITHOUT ROWID;

DROP TABLE IF EXISTS hotspots;
