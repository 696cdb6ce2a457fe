"""`python -m pipeline loader`: one warm Spark session that runs the loads `batch` sends it.

Why: a small load spends most of its time starting a JVM and warming Spark and Delta, not loading
(bench.small_load: the 924-row sample took ~33 s in its own process and ~10 s on a session that had
loaded once). A daily cron load or a catch-up of many small files pays that once per loader.

Protocol, on a Unix socket (setting loader_socket, mode 0600: only the loader's user can send): the
client writes one LoadRequest as a JSON line; the loader answers with {"log": line} progress lines,
then {"rc": 0, "summary": text} or {"rc": N, "error": text}. Loads run one at a time, in arrival
order (later clients wait in the listen queue), with the same code as `batch` in its own process
(batch.execute). A load that fails answers its error and the loader goes on; a Spark session that
has died stops the loader (exit 1), for its supervisor to start a fresh one. SIGTERM lets the load
in progress finish first.
"""
from __future__ import annotations

import contextlib
import csv
import io
import itertools
import json
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from pipeline.ingest import exports as ingest
from pipeline.loader.client import socket_path
from pipeline.loader.request import BadRequest, LoadRequest
from pipeline.settings import DATA_DIR, Settings

log = logging.getLogger(__name__)
MAX_REQUEST = 64 * 1024     # bytes of one request line
MAX_SOCKET_PATH = 100       # AF_UNIX paths are at most 107 bytes on Linux
WARM_UP_CSV = DATA_DIR / "nyc_311_sample_2022.csv"
# its records loaded again (a re-export of some of them): few enough to be a keyed load (changed.KEYED_MAX_SHARE)
WARM_UP_AGAIN = 40


class LoaderError(RuntimeError):
    """The loader cannot listen (another loader answers there, or the path is unusable)."""


def bind(path: Path) -> socket.socket:
    """A listening socket at `path`, replacing the file of a loader that was killed."""
    if len(str(path)) > MAX_SOCKET_PATH:
        raise LoaderError(f"loader_socket {path} is longer than {MAX_SOCKET_PATH} bytes: pick a shorter path")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() or path.is_symlink():
        if not path.is_socket():
            raise LoaderError(f"{path} exists and is not a socket: remove it or set loader_socket")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
        except OSError:
            path.unlink()  # nobody accepts: a stale file
        else:
            raise LoaderError(f"a loader already listens at {path}")
        finally:
            probe.close()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(path))
    os.chmod(path, 0o600)
    sock.listen(16)
    sock.settimeout(0.5)  # the serve loop looks at its stop flag this often
    return sock


class _Relay(io.TextIOBase):
    """stderr during a load: echoed to the loader's own, and each line sent to the client (a client
    that has gone away no longer gets them; the load goes on)."""

    def __init__(self, conn: socket.socket, echo):
        self.conn, self.echo, self.buf = conn, echo, ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.echo.write(text)
        self.buf += text
        *lines, self.buf = self.buf.split("\n")
        for line in lines:
            _answer(self.conn, {"log": line})
        return len(text)

    def flush(self) -> None:
        self.echo.flush()


def _answer(conn: socket.socket, msg: dict) -> None:
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps(msg).encode() + b"\n")


class LoadServer:
    """Serves loads on `sock` with `spark` until `stop` is set (or its Spark session dies)."""

    def __init__(self, spark, settings: Settings, sock: socket.socket):
        self.spark, self.settings, self.sock = spark, settings, sock
        self.stop = threading.Event()
        self.loads = 0

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self.stop.is_set():
                    return
                raise
            with conn:
                self.handle(conn)

    def handle(self, conn: socket.socket) -> None:
        conn.settimeout(10)  # the request line comes at once; only the load itself takes long
        try:
            with conn.makefile("rb") as fh:
                line = fh.readline(MAX_REQUEST + 1)
            if len(line) > MAX_REQUEST:
                raise BadRequest(f"request over {MAX_REQUEST} bytes")
            req = LoadRequest.from_json(line.decode("utf-8", "replace"))
        except (BadRequest, OSError) as exc:
            _answer(conn, {"rc": 2, "error": f"loader: bad request: {exc}"})
            return
        conn.settimeout(30)  # from here only sends: a client that stops reading misses lines, the load goes on
        _answer(conn, self.run(req, conn))

    def run(self, req: LoadRequest, conn: socket.socket | None = None) -> dict:
        """One load; the answer for its client."""
        from pipeline.rollups.batch import execute

        t0 = time.perf_counter()
        relay = _Relay(conn, sys.stderr) if conn is not None else sys.stderr
        try:
            with contextlib.redirect_stderr(relay):
                report = execute(self.spark, req, self.settings)
        except ingest.InputError as exc:
            return {"rc": 2, "error": f"batch: {exc}"}
        except Exception as exc:  # the loader outlives a failed load; its client gets the reason
            log.exception("loader: load failed: %s", req)
            if not self.alive():
                self.stop.set()
            return {"rc": 1, "error": f"batch: the load failed on the loader: {type(exc).__name__}: {exc}"}
        finally:
            self.loads += 1
        print(f"[loader] load {self.loads} done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        return {"rc": 0, "summary": report.summary()}

    def alive(self) -> bool:
        """Whether the Spark session can still run jobs (a dead JVM or a stopped context cannot)."""
        try:
            return not self.spark.sparkContext._jsc.sc().isStopped()
        except Exception:
            return False

    def warm_up(self) -> float:
        """Load the bundled sample into a throwaway store and lake, then some of its rows again: the
        JVM compiles the load's code paths now, not during the first real load (~28 s cold against
        ~10 s warm). Why the second load: a day's load into a store that has counted the lake takes
        other paths (the merge into existing files, the change feed, the changed keys,
        pipeline/rollups/changed.py), and the first of those in a session was ~5 s slower than the
        next (one more day: 31.9 s, then 28.2 and 26.8 s). Seconds taken."""
        t0, work = time.perf_counter(), Path(tempfile.mkdtemp(prefix="nyc311-loader-warm-"))
        try:
            again = work / "again.csv"
            _head_rows(WARM_UP_CSV, again, WARM_UP_AGAIN)
            for csv_path in (WARM_UP_CSV, again):
                answer = self.run(LoadRequest(store=f"sqlite:///{work}/rollups.db", lake=str(work / "lake"),
                                              quarantine=str(work / "quarantine"), input=str(csv_path)))
                if answer["rc"]:
                    raise LoaderError(f"warm-up load failed: {answer['error']}")
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self.loads = 0
        return time.perf_counter() - t0


def _head_rows(src: Path, dest: Path, rows: int) -> None:
    """The header and the first `rows` records of a CSV (records, not lines: a quoted field may
    span lines)."""
    with open(src, newline="", encoding="utf-8") as fin, open(dest, "w", newline="", encoding="utf-8") as fout:
        out = csv.writer(fout)
        for record in itertools.islice(csv.reader(fin), rows + 1):
            out.writerow(record)


def add_arguments(parser) -> None:
    parser.add_argument("--socket", metavar="PATH", help="Unix socket to listen on (default: setting loader_socket)")
    parser.add_argument("--no-warm-up", action="store_true", help="skip the warm-up load of the bundled sample")


def run(args, settings: Settings) -> int:
    from pipeline.spark import build_session

    path = Path(os.path.abspath(args.socket)) if args.socket else socket_path(settings)
    if path is None:
        print("loader: setting loader_socket is empty: set it (NYC311_LOADER_SOCKET) or pass --socket", file=sys.stderr)
        return 2
    try:
        sock = bind(path)
    except (LoaderError, OSError) as exc:
        print(f"loader: {exc}", file=sys.stderr)
        return 2
    server = None
    try:
        t0 = time.perf_counter()
        spark = build_session("nyc311-loader", settings)
        server = LoadServer(spark, settings, sock)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: server.stop.set())
        print(f"[loader] Spark ready in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
        if not args.no_warm_up:
            try:
                print(f"[loader] warmed up in {server.warm_up():.1f} s", file=sys.stderr, flush=True)
            except LoaderError as exc:
                print(f"loader: {exc}", file=sys.stderr)
                return 1
        print(f"[loader] listening at {path}", file=sys.stderr, flush=True)
        server.serve()
        return 0 if server.alive() else 1
    finally:
        sock.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        if server is not None:
            server.spark.stop()
