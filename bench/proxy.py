"""Run the production stack (nginx -> gunicorn) on this machine, or print the nginx site config.

    python -m bench.proxy site --listen 80 --upstream 127.0.0.1:8050 --prefix /311/ > /etc/nginx/sites-available/nyc311
    python -m bench.proxy site > ...   # the same from the settings nginx_listen, app_host:app_port, url_prefix
    python -m bench.proxy run --port 8080 --prefix /311/      # both servers on 127.0.0.1, Ctrl-C stops them

Why a launcher of our own: the integration test and the web benchmark must exercise exactly the
configuration an operator deploys (config/nginx/nyc311.conf, config/gunicorn.conf.py); nginx runs
as an ordinary user from a throw-away prefix (config/nginx/nginx.conf.template).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from pipeline.settings import DEFAULTS, Settings, load

ROOT = Path(__file__).resolve().parent.parent
NGINX_DIR = ROOT / "config" / "nginx"
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fill(text: str, values: dict[str, str]) -> str:
    """Replace @KEY@ placeholders outside comments; fail on any left over."""
    lines = []
    for line in text.splitlines():
        if not line.lstrip().startswith("#"):
            for key, value in values.items():
                line = line.replace(f"@{key}@", value)
            if "@" in line:
                raise ValueError(f"unfilled placeholder in nginx template: {line.strip()}")
        lines.append(line)
    return "\n".join(lines) + "\n"


def header_directives(settings: Settings | None = None) -> str:
    """The app's security headers (app/serving.security_headers) as nginx add_header directives."""
    from app.serving import security_headers

    def quoted(v: str) -> str:
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return " ".join(f"add_header {name} {quoted(value)} always;"
                    for name, value in security_headers(settings or load()).items())


CALLBACK_RATE = DEFAULTS.nginx_callback_rate   # callback POSTs per client address (settings nginx_callback_*)
CALLBACK_BURST = DEFAULTS.nginx_callback_burst


def site_config(listen: str, upstream: str, prefix: str = "/", assets: Path = ROOT / "assets",
                settings: Settings | None = None, callback_rate: str = CALLBACK_RATE,
                callback_burst: int = CALLBACK_BURST) -> str:
    """config/nginx/nyc311.conf with its placeholders filled (prefix like '/311/' or '/'); the
    security headers come from `settings` (default: the environment's, like the app's). The web
    benchmark raises the callback rate: its simulated users all share one loopback address."""
    if not re.fullmatch(r"\d+r/[sm]", callback_rate):
        raise ValueError(f"callback rate {callback_rate!r}: use e.g. 10r/s")
    if not (prefix.startswith("/") and prefix.endswith("/")):
        raise ValueError(f"prefix {prefix!r} must start and end with '/', e.g. /311/")
    bare = prefix.rstrip("/")
    redirect = f"location = {bare} {{ return 301 {bare}/; }}" if bare else ""
    return _fill((NGINX_DIR / "nyc311.conf").read_text(), {
        "LISTEN": listen, "UPSTREAM": upstream, "PREFIX": bare, "PREFIX_REDIRECT": redirect,
        "ASSETS": str(Path(assets).resolve()), "ERRORS": str((NGINX_DIR / "errors").resolve()),
        "HEADERS": header_directives(settings), "CALLBACK_RATE": callback_rate,
        "CALLBACK_BURST": str(int(callback_burst))})


def _wait(url: str, proc: subprocess.Popen, what: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            requests.get(url, timeout=10)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer {url} within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


class Stack:
    """gunicorn (app.wsgi:server, config/gunicorn.conf.py) behind nginx, both on 127.0.0.1.

    Use as a context manager; `url` is the app's public base URL (with the prefix)."""

    def __init__(self, prefix: str = "/311/", port: int | None = None, env: dict[str, str] | None = None,
                 workers: int | None = None, access_log: bool = True, callback_rate: str = CALLBACK_RATE,
                 callback_burst: int = CALLBACK_BURST):
        self.prefix = prefix
        self.callback_rate, self.callback_burst = callback_rate, callback_burst
        self.port = port or free_port()
        self.app_port = free_port()
        self.env = {**os.environ, **(env or {}), "NYC311_URL_PREFIX": prefix, "PYTHONUNBUFFERED": "1"}
        if workers:
            self.env["WEB_CONCURRENCY"] = str(workers)
        if not access_log:
            self.env["GUNICORN_ACCESS_LOG"] = "/dev/null"
        self.rundir = Path(tempfile.mkdtemp(prefix="nyc311-nginx-"))
        self.gunicorn: subprocess.Popen | None = None
        self.nginx: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    @property
    def app_url(self) -> str:
        return f"http://127.0.0.1:{self.app_port}/"

    def start(self) -> Stack:
        for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.rundir / sub).mkdir()
        (self.rundir / "site.conf").write_text(
            site_config(f"127.0.0.1:{self.port}", f"127.0.0.1:{self.app_port}", self.prefix,
                        settings=load(env=self.env), callback_rate=self.callback_rate,
                        callback_burst=self.callback_burst))
        (self.rundir / "nginx.conf").write_text(
            _fill((NGINX_DIR / "nginx.conf.template").read_text(), {"RUNDIR": str(self.rundir)}))
        glog = self.rundir / "gunicorn.log"
        self.gunicorn = subprocess.Popen(
            [GUNICORN, "-c", str(ROOT / "config" / "gunicorn.conf.py"), "-b", f"127.0.0.1:{self.app_port}",
             "app.wsgi:server"], cwd=ROOT, env=self.env, stdout=glog.open("wb"), stderr=subprocess.STDOUT,
            start_new_session=True)
        _wait(self.app_url + "healthz", self.gunicorn, "gunicorn", glog)
        nlog = self.rundir / "nginx.out"
        self.nginx = subprocess.Popen(
            [NGINX, "-p", str(self.rundir), "-c", str(self.rundir / "nginx.conf"), "-e", str(self.rundir / "error.log")],
            stdout=nlog.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
        _wait(self.url + "healthz", self.nginx, "nginx", self.rundir / "error.log")
        return self

    def stop(self) -> None:
        for proc in (self.nginx, self.gunicorn):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM if proc is self.gunicorn else signal.SIGQUIT)
                try:
                    proc.wait(timeout=25)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        shutil.rmtree(self.rundir, ignore_errors=True)

    def __enter__(self) -> Stack:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.proxy", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    site = sub.add_parser("site", help="print the nginx site config with its placeholders filled")
    settings = load()  # the defaults below: nginx listens and proxies where the settings say
    site.add_argument("--listen", default=settings.nginx_listen, help="setting nginx_listen")
    site.add_argument("--upstream", default=settings.upstream, help="gunicorn's address: settings app_host:app_port")
    site.add_argument("--prefix", default=settings.url_prefix, help="setting url_prefix")
    site.add_argument("--assets", default=str(ROOT / "assets"))
    site.add_argument("--callback-rate", default=settings.nginx_callback_rate,
                      help="callback POSTs per client address, e.g. 10r/s (setting nginx_callback_rate)")
    site.add_argument("--callback-burst", type=int, default=settings.nginx_callback_burst)
    run = sub.add_parser("run", help="start gunicorn behind nginx on 127.0.0.1 until Ctrl-C")
    run.add_argument("--port", type=int, default=8080)
    run.add_argument("--prefix", default="/")
    args = parser.parse_args(argv)
    if args.cmd == "site":
        print(site_config(args.listen, args.upstream, args.prefix, Path(args.assets), settings=settings,
                          callback_rate=args.callback_rate, callback_burst=args.callback_burst))
        return
    with Stack(prefix=args.prefix, port=args.port) as stack:
        print(f"serving {stack.url} (nginx) -> {stack.app_url} (gunicorn); Ctrl-C stops both", flush=True)
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
