"""The embedded default end to end: replay the real sample into the spool folder, run the streaming
job over it (Spark file source) into SQLite, twice (a rerun changes nothing), dead letters to
the spool-dlq folder."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import timedelta

import pytest

from pipeline.producers.produce import read_export
from pipeline.read import live as live_read
from pipeline.stores import open_store
from tests.support import stream_helpers as h

pytestmark = pytest.mark.integration


def test_spool_replay_into_sqlite(sample_csv, tmp_path):
    env = {**h.job_env("kafka://unused:1/x", "x", f"sqlite:///{tmp_path}/rollups.db", tmp_path),
           "NYC311_STREAM_URL": f"spool://{tmp_path}/spool"}
    subprocess.run([sys.executable, "-m", "pipeline", "produce", "--replay", sample_csv, "--speed", "0"],
                   cwd=h.ROOT, env=env, check=True, timeout=120)
    (tmp_path / "spool" / "broken.jsonl").write_text('{"schema_version": 1, "unique_key": "9"\nnot json\n')
    log = tmp_path / "stream.log"
    records = list(read_export(sample_csv))
    as_of = max(r["created_at"] for r in records).isoformat()  # a replay: the live window ends at its newest
    for _ in range(2):
        proc = h.start_job(env, log, "--job", "spool", "--once", "--as-of", as_of)
        assert proc.wait(timeout=400) == 0, log.read_text()[-4000:]

    want = h.expected_counts(records)
    with open_store(f"sqlite:///{tmp_path}/rollups.db") as store:
        assert h.live_counts(store, {k[0] for k in want}) == want
        # descriptors are counted live too (issue 14), a missing one as 'Unspecified' like the batch
        periods = sorted({k[0] for k in want})
        got = store.aggregate("live_descriptors", "minute", periods[0], periods[-1],
                              ["period", "complaint_type", "descriptor"])
        assert Counter({tuple(r[:3]): int(r[3]) for r in got.itertuples(index=False) if r[3]}) == Counter(
            (h.minute(r["created_at"]), r["complaint_type"], r["descriptor"] or "Unspecified") for r in records)
        assert live_read.status(store, "spool")["malformed_total"] == 2
        now = max(r["created_at"] for r in records)
        zips = live_read.last_hour_by_zip(store, now=now)
        in_hour = [r for r in records if h.minute(r["created_at"]) >= h.minute(now - timedelta(minutes=59))]
        assert zips["count"].sum() == len(in_hour) and zips["count"].is_monotonic_decreasing
    dead = [json.loads(line) for f in (tmp_path / "spool-dlq").glob("*.jsonl") for line in f.read_text().splitlines()]
    assert sorted(d["reason"] for d in dead) == ["missing field unique_key", "not a JSON object"]
