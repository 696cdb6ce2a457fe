-- Rendered from pipeline/rollups/tables.py by `python -m pipeline schema --write-ddl`; applied in
-- version order by ensure_schema(). Do not edit by hand: change tables.py and re-render.

CREATE TABLE IF NOT EXISTS descriptors (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    descriptor TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, complaint_type, agency, descriptor)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS type_descriptors (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    descriptor TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, complaint_type, agency, descriptor)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS district_descriptors (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    community_district TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    descriptor TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, community_district, borough, complaint_type, agency, descriptor)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS live_descriptors (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    descriptor TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, complaint_type, agency, descriptor)
) WITHOUT ROWID;
