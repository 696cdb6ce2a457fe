"""Provenance records: which days a load covers, when a range holds synthetic data, the CSV comment,
the per-file record the batch job makes (sidecar or export checksum), and the store round trip."""
from __future__ import annotations

import hashlib
from datetime import date

import pandas as pd

from pipeline import provenance as pv
from pipeline.stores.sqlite import SQLiteStore


def test_covers_and_synthetic_in():
    hist = pv.make("synthetic", 100, "2025-01-01", "2025-06-30", seed=7, generator="g")
    live = pv.make("synthetic", None, "2025-09-01", None, generator="p")  # still running
    real = pv.make("export", 924, "2022-05-01", "2022-05-01", file="x.csv")
    loads = [hist, live, real]
    assert pv.synthetic_in(loads, date(2022, 5, 1), date(2022, 5, 1)) == []
    assert pv.synthetic_in(loads, date(2025, 6, 30), date(2025, 7, 1)) == [hist]
    assert pv.synthetic_in(loads, date(2030, 1, 1), None) == [live]
    assert pv.synthetic_in(loads, None, None) == [hist, live]
    assert not real.synthetic and hist.synthetic


def test_csv_comment_reads_back_with_pandas(tmp_path):
    hist = pv.make("synthetic", 100, "2025-01-01", "2025-06-30", seed=7, generator="python -m pipeline generate")
    text = pv.csv_comment([hist]) + pd.DataFrame({"borough": ["Bronx"], "count": [3]}).to_csv(index=False)
    assert text.startswith("# SYNTHETIC DATA") and "seed 7" in text and "NYC Open Data" not in text
    (tmp_path / "c.csv").write_text(text)
    assert pd.read_csv(tmp_path / "c.csv", comment="#").to_dict("list") == {"borough": ["Bronx"], "count": [3]}
    assert pv.csv_comment([]) == ""


def test_file_load_from_sidecar_or_checksum(tmp_path):
    f = tmp_path / "a.csv"
    f.write_bytes(b"Unique Key,Created Date\n1,01/01/2024 10:00:00 AM\n")
    export = pv.file_load(str(f), 1, "2024-01-01", "2024-01-01", "id1")
    assert export.kind == "export" and not export.synthetic
    assert export.detail == {"file": "a.csv", "bytes": f.stat().st_size, "sha256": hashlib.sha256(f.read_bytes()).hexdigest()}
    pv.write_sidecar(f, "synthetic", generator="python -m pipeline generate", seed=5)
    synth = pv.file_load(str(f), 1, "2024-01-01", "2024-01-01", "id2")
    assert synth.synthetic and synth.detail["seed"] == 5 and "synthetic" in synth.describe().lower()


def test_record_replaces_by_id(tmp_path):
    store = SQLiteStore(f"sqlite:///{tmp_path}/r.db")
    store.ensure_schema()
    first = pv.make("synthetic", None, "2025-01-01", None, load_id="p1", generator="p")
    pv.record(store, first)
    pv.record(store, pv.make("api", 10, "2024-01-01", "2024-01-31", dataset="erm2-nwe9", since="2024-01-01",
                             until="2024-02-01"))
    pv.record(store, pv.Load(**{**first.__dict__, "rows": 42, "last_day": "2025-01-02"}))
    got = pv.loads(store)
    assert [x.kind for x in got] == ["api", "synthetic"] and got[1].rows == 42 and got[1].last_day == "2025-01-02"
    store.close()


def test_banner_texts_never_credit_the_city_for_synthetic_numbers():
    from app import provenance_view as pv_view
    hist = pv.make("synthetic", 100, "2025-01-01", "2025-06-30", seed=7, generator="python -m pipeline generate")
    real = pv.make("api", 10, "2024-01-01", "2024-01-31", dataset="erm2-nwe9", since="2024-01-01", until="2024-01-31")
    assert pv_view.banner([]) is None
    assert "Synthetic data" in str(pv_view.banner([hist]).children[0].children)
    assert pv_view.banner([], unknown=True).id == "provenance-unknown"  # data, but no load recorded
    only_synthetic = pv_view.footer_source([hist], [hist])
    assert "NYC Open Data" not in only_synthetic and "generator" in only_synthetic
    mixed = pv_view.footer_source([hist, real], [hist])
    assert mixed.index("synthetic") < mixed.index("NYC Open Data") and "real rows" in mixed
    assert pv_view.footer_source([hist, real], []) == "Source: NYC Open Data, 311 Service Requests. "


def test_a_synthetic_producer_records_its_feed(tmp_path):
    import os
    import subprocess
    import sys

    from pipeline.settings import ROOT
    url = f"sqlite:///{tmp_path}/r.db"
    SQLiteStore(url).ensure_schema()
    env = {**os.environ, "NYC311_STORE_URL": url, "NYC311_STREAM_URL": f"spool://{tmp_path}/spool"}
    subprocess.run([sys.executable, "-m", "pipeline", "produce", "--synthetic", "--count", "3", "--rate", "100",
                    "--seed", "4"], cwd=ROOT, env=env, check=True, timeout=120)
    store = SQLiteStore(url)
    (feed,) = pv.loads(store)
    store.close()
    assert feed.synthetic and feed.detail["seed"] == 4 and feed.rows >= 3
    assert feed.first_day == feed.last_day  # started and stopped today (New York)
    assert feed.covers(date.fromisoformat(feed.first_day), None)
