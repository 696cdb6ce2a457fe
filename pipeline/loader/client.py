"""`batch`'s side of the warm loader: send the load, relay its progress, print its report.

A loader is an optimisation, never a dependency: with no socket file, or a stale one a killed
loader left (nobody accepts), `send` returns None and `batch` starts Spark itself. Once a loader has
taken the load, its answer is the load's: a loader that dies mid-load is reported, not retried here
(a load is safe to run again: the lake merge keeps the newest version of each request and the
rollups of every touched month are recounted whole).
"""
from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

from pipeline.loader.request import LoadRequest
from pipeline.settings import Settings


def socket_path(settings: Settings) -> Path | None:
    """Where the loader listens (setting loader_socket, relative to the project root); None when unset."""
    return settings.path(settings.loader_socket) if settings.loader_socket else None


def connect(path: Path | None) -> socket.socket | None:
    """A connection to the loader at `path`, or None when none listens there."""
    if path is None or not path.exists():
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(str(path))
    except OSError as exc:  # ECONNREFUSED: the socket file of a loader that was killed
        print(f"[batch] no loader answers at {path} ({exc.strerror or exc}); starting Spark here", file=sys.stderr)
        sock.close()
        return None
    return sock


def send(req: LoadRequest, settings: Settings, out=None, err=None) -> int | None:
    """Run `req` on the loader; its exit code, or None when no loader listens."""
    out, err = out or sys.stdout, err or sys.stderr
    path = socket_path(settings)
    sock = connect(path)
    if sock is None:
        return None
    print(f"[batch] sent to the warm loader at {path} (it runs one load at a time)", file=err, flush=True)
    with sock, sock.makefile("rb") as answers:
        sock.sendall(req.to_json().encode() + b"\n")
        for line in answers:
            try:
                msg = json.loads(line)
                if "log" in msg:
                    print(msg["log"], file=err, flush=True)
                    continue
                rc = int(msg["rc"])
            except (ValueError, KeyError, TypeError):
                print(f"batch: {path} does not answer as a loader does (is loader_socket another program's "
                      f"socket?)", file=err)
                return 2
            if rc == 0:
                print(msg.get("summary", ""), file=out)
            else:
                print(msg.get("error", ""), file=err)
            return rc
    print(f"batch: the loader at {path} stopped during the load (see its log); the load is safe to run again",
          file=err)
    return 1
