-- Rendered from pipeline/rollups/tables.py by `python -m pipeline schema --write-ddl`; applied in
-- version order by ensure_schema(). Do not edit by hand: change tables.py and re-render.

CREATE TABLE IF NOT EXISTS totals (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS boroughs (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS types (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, complaint_type, agency)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS zip_totals (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    zip TEXT NOT NULL,
    borough TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, zip, borough)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS district_totals (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    community_district TEXT NOT NULL,
    borough TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, community_district, borough)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS status_boroughs (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, status)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS resolution_boroughs (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    res_bin INTEGER NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, res_bin)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS resolution_types (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    res_bin INTEGER NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, complaint_type, agency, res_bin)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS timeliness_types (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    with_due INTEGER,
    on_time INTEGER,
    late INTEGER,
    open_past_due INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, complaint_type, agency)
) WITHOUT ROWID;
