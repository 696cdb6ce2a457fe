-- Rendered from pipeline/rollups/tables.py by `python -m pipeline schema --write-ddl`; applied in
-- version order by ensure_schema(). Do not edit by hand: change tables.py and re-render.

CREATE TABLE IF NOT EXISTS meta (
    key TEXT NOT NULL,
    value TEXT,
    PRIMARY KEY (key)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL,
    applied_at TEXT,
    PRIMARY KEY (version)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS requests (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, complaint_type, agency)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS districts (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    community_district TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, community_district, borough, complaint_type, agency)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS zips (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    zip TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, zip, borough, complaint_type, agency)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS channels (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    channel TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, complaint_type, agency, channel)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS status (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    status TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, complaint_type, agency, status)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS resolution (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    res_bin INTEGER NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, complaint_type, agency, res_bin)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS timeliness (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    with_due INTEGER,
    on_time INTEGER,
    late INTEGER,
    open_past_due INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, complaint_type, agency)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS hour_of_week (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    how INTEGER NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, complaint_type, agency, how)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS live_requests (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, borough, complaint_type, agency)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS live_districts (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    community_district TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, community_district, borough, complaint_type, agency)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS live_zips (
    grain TEXT NOT NULL,
    bucket TEXT NOT NULL,
    period TEXT NOT NULL,
    zip TEXT NOT NULL,
    borough TEXT NOT NULL,
    complaint_type TEXT NOT NULL,
    agency TEXT NOT NULL,
    n INTEGER,
    expires_at REAL,
    PRIMARY KEY (grain, bucket, period, zip, borough, complaint_type, agency)
) WITHOUT ROWID;
