"""The warm loader's pure parts (pipeline/loader): what a load request accepts, how `batch`'s
arguments become one, and how the socket is claimed. The loads themselves run on a real Spark
session in tests/integration/test_loader.py."""
from __future__ import annotations

import argparse
import io
import json
import os
import socket
import threading
from datetime import date
from pathlib import Path

import pytest

from pipeline import settings as S
from pipeline.ingest.exports import InputError
from pipeline.loader import client, server
from pipeline.loader.request import BadRequest, LoadRequest, from_args

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "nyc_311_sample_2022.csv"
GOOD = {"store": "sqlite:////tmp/r.db", "lake": "/tmp/lake", "quarantine": "/tmp/q", "input": str(SAMPLE)}


def test_a_request_survives_its_json_form():
    req = LoadRequest(**GOOD, now="2022-06-01T00:00:00+00:00")
    assert LoadRequest.from_json(req.to_json()) == req
    assert req.now_at.isoformat() == "2022-06-01T00:00:00+00:00"
    recount = LoadRequest(store="s", lake="l", quarantine="q", since="2022-05-03")
    assert recount.since_day == date(2022, 5, 3) and recount.input is None


@pytest.mark.parametrize("text, says", [
    ("garbage", "not JSON"),
    ("[1, 2]", "JSON object"),
    (json.dumps({**GOOD, "shell": "rm -rf /"}), "unknown field(s) shell"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "lake"}), "lake"),
    (json.dumps({**GOOD, "store": 3}), "store must be a string"),
    (json.dumps({**GOOD, "store": ""}), "store is missing"),
    (json.dumps({**GOOD, "since": "2022-05-01"}), "either input or since"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "input"}), "either input or since"),
    (json.dumps({**GOOD, "now": "yesterday"}), "Invalid isoformat"),
    (json.dumps({"store": "s", "lake": "l", "quarantine": "q", "since": "2022-13-01"}), "month must be in 1..12"),
])
def test_bad_requests_say_what_is_wrong(text, says):
    with pytest.raises(BadRequest) as err:
        LoadRequest.from_json(text)
    assert says in str(err.value)


def _args(**kw):
    base = {"input": None, "store": None, "lake": None, "quarantine": None, "recompute": False, "since": None}
    return argparse.Namespace(**{**base, **kw})


def test_batch_arguments_become_absolute_paths(tmp_path, monkeypatch):
    """The loader shares neither the caller's working directory nor, maybe, its checkout."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "day.csv").write_bytes(SAMPLE.read_bytes())
    s = S.load(env={}, file=Path("/nonexistent.toml"))
    req = from_args(_args(input="day.csv", lake="lake", store="sqlite:///var/x.db"), s)
    assert req.input == str(tmp_path / "day.csv") and req.lake == str(tmp_path / "lake")
    assert req.store == f"sqlite:///{S.ROOT}/var/x.db"  # sqlite:/// paths are the project root's
    assert req.quarantine == str(S.ROOT / "var" / "quarantine")
    assert from_args(_args(input="day.csv", lake="s3a://bucket/lake", store="cassandra://h:9042/k"), s).lake \
        == "s3a://bucket/lake"
    again = from_args(_args(recompute=True, since=date(2022, 5, 3)), s)
    assert again.input is None and again.since == "2022-05-03"
    with pytest.raises(InputError, match="no such file"):
        from_args(_args(input="missing.csv"), s)


def test_no_socket_means_batch_runs_itself(tmp_path):
    assert client.connect(None) is None
    assert client.connect(tmp_path / "loader.sock") is None
    s = S.load(env={"NYC311_LOADER_SOCKET": ""}, file=Path("/nonexistent.toml"))
    assert client.socket_path(s) is None
    assert client.send(LoadRequest(**GOOD), s) is None


def test_a_stale_socket_is_replaced_and_a_live_one_refused(tmp_path, capsys):
    path = tmp_path / "loader.sock"
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(path))
    dead.close()  # the file stays, nobody accepts: a loader that was killed
    assert client.connect(path) is None
    assert "no loader answers" in capsys.readouterr().err
    live = server.bind(path)
    try:
        assert oct(os.stat(path).st_mode & 0o777) == "0o600"
        with pytest.raises(server.LoaderError, match="already listens"):
            server.bind(path)
        conn = client.connect(path)
        assert conn is not None
        conn.close()
    finally:
        live.close()
    plain = tmp_path / "plain"
    plain.write_text("x")
    with pytest.raises(server.LoaderError, match="not a socket"):
        server.bind(plain)
    with pytest.raises(server.LoaderError, match="longer than"):
        server.bind(tmp_path / ("x" * 120))


def _one_answer(path: Path, reply: bytes) -> threading.Thread:
    """A stand-in at `path` that reads one request line and writes `reply`."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        with conn, listener:
            conn.makefile("rb").readline()
            conn.sendall(reply)
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("reply, rc, says", [
    (b'{"log": "[batch] rollups ..."}\n{"rc": 0, "summary": "rows loaded 924"}\n', 0, "rows loaded 924"),
    (b'{"rc": 2, "error": "batch: no such file"}\n', 2, "batch: no such file"),
    (b"HTTP/1.0 400 Bad Request\r\n\r\n", 2, "does not answer as a loader"),
    (b'{"rc": 0, "summary": "rows lo', 2, "does not answer as a loader"),
    (b"", 1, "stopped during the load"),
])
def test_the_client_relays_the_answer_and_names_a_wrong_socket(tmp_path, reply, rc, says):
    path = tmp_path / "loader.sock"
    thread = _one_answer(path, reply)
    s = S.load(env={"NYC311_LOADER_SOCKET": str(path)}, file=Path("/nonexistent.toml"))
    out, err = io.StringIO(), io.StringIO()
    assert client.send(LoadRequest(**GOOD), s, out, err) == rc
    assert says in out.getvalue() + err.getvalue()
    thread.join(timeout=10)
