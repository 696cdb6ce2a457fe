"""The app's one read model: a ReadAPI (the rollups) and a LiveAPI (the stream's last hour) over the
configured store, with last-good-data fallback for both. Pages and app modules read only through it:
none holds a store.

Why lazy and per process: gunicorn forks workers after importing the app, and a database
connection (SQLite handle, Cassandra session) must not cross a fork, so each process opens its own
store on first use. Why a fallback: when the store stops answering, pages keep showing the last
numbers they got (flagged as stale) or a clear message, and the next call simply tries again, so
the app recovers on its own once the store is back (issue: robustness).
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pipeline.read import cache as read_cache
from pipeline.read.byte_cache import ByteLRU
from pipeline.read.hotspots import HotspotAPI as ReadAPI  # the ReadAPI plus the hotspot queries
from pipeline.read.live import LiveAPI
from pipeline.settings import DEFAULTS, Settings
from pipeline.stores import StoreUnavailable, open_store

log = logging.getLogger(__name__)

# Errors that mean "the store is not answering" rather than "this query is wrong". Driver
# exceptions (e.g. cassandra NoHostAvailable, OperationTimedOut) are not imported here: the app
# never touches a driver, so they are recognised by module below.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (StoreUnavailable, ConnectionError, OSError, TimeoutError)


def is_connection_error(exc: BaseException) -> bool:
    if isinstance(exc, CONNECTION_ERRORS):
        return True
    module = type(exc).__module__ or ""
    return module.startswith(("cassandra", "sqlite3")) or type(exc).__name__ in ("OperationalError",)


class DataUnavailable(RuntimeError):
    """No answer from the store and nothing earlier to fall back on; the message is for the user."""


@dataclass(frozen=True)
class Answer:
    value: Any
    stale_since: float | None = None  # epoch seconds of the fallback's original fetch, if stale


class ReadModel:
    """Calls ReadAPI methods by name; remembers the last good answer of each call.

    It also carries the app's Settings, so a page reads its knobs (live_interval_ms, ...) from the
    read model it is built on rather than from a global."""

    KEEP = 512        # last-good answers kept at most (LRU) ...
    KEEP_BYTES = DEFAULTS.app_cache_mb * 1024 * 1024  # ... and at most this many bytes of them (app_cache_mb)
    META_TTL = 30.0   # seconds vocabularies, bounds and freshness are reused between calls

    def __init__(self, store_url: str, opener: Callable[[str], Any] | None = None, keep_bytes: int | None = None,
                 settings: Settings | None = None):
        self.store_url = store_url
        self.settings = settings or DEFAULTS
        self._opener = opener or (lambda url: open_store(url, self.settings))
        self._api: ReadAPI | None = None
        self._pid: int | None = None
        self._lock = threading.Lock()
        # key -> (fetched at, value), bounded in bytes (pipeline/read/byte_cache.py)
        self._good = ByteLRU(self.KEEP_BYTES if keep_bytes is None else keep_bytes, self.KEEP)

    @property
    def kept_bytes(self) -> int:
        return self._good.bytes

    def api(self) -> ReadAPI:
        with self._lock:
            if self._api is None or self._pid != os.getpid():
                self._api = ReadAPI(self._opener(self.store_url))
                self._pid = os.getpid()
            return self._api

    def _forget_store(self) -> None:
        with self._lock:
            api, self._api = self._api, None
        if api is not None:
            try:
                api.store.close()
            except Exception:  # noqa: BLE001 - a broken store may fail to close; we drop it anyway
                log.debug("closing a failed store", exc_info=True)

    def parallel_reads(self) -> bool:
        """Whether the open store's reads gain from running at once (Store.parallel_reads); True until
        one is open."""
        api = self._api
        return True if api is None else api.store.parallel_reads

    def ping(self) -> None:
        """A trivial query on the store, raising whatever it raises (for /healthz: no fallback)."""
        self.api().store.ping()

    def ask(self, method: str, *args, cache: float = 0.0, **kwargs) -> Answer:
        """api.<method>(*args, **kwargs); on a connection error the last good answer, flagged stale.

        `cache` > 0 reuses an answer younger than that many seconds (for slow-changing facts)."""
        return self._answer((method, args, tuple(sorted(kwargs.items()))), method, cache,
                            lambda: getattr(self.api(), method)(*args, **kwargs))

    def ask_live(self, method: str, *args, **kwargs) -> Answer:
        """LiveAPI.<method>(*args, **kwargs), with the same fallback as ask().

        A live read is asked for a moving `now`, so its last good answer is the newest one of that
        method, whatever moment it was for: it is remembered under the method's name alone."""
        return self._answer(("live", method), method, 0.0,
                            lambda: getattr(LiveAPI(self.api().store), method)(*args, **kwargs))

    def _call(self, method: str, call: Callable[[], Any]) -> Any:
        """call(); when a store that was already open fails with a connection error, once more on a
        freshly opened one.

        Why once: a Cassandra node that has just died can fail the first query sent over the session's
        old connections before the driver marks it down; the same query on a new session reaches a live
        replica. A store that fails while being opened is down, so it is not retried: the last good
        answer is shown at once."""
        was_open = self._api is not None and self._pid == os.getpid()
        try:
            return call()
        except Exception as exc:
            if not (was_open and is_connection_error(exc)):
                raise
            log.warning("store error during %s, retrying once on a new connection: %s", method, exc)
            self._forget_store()
            return call()

    def _answer(self, key: tuple, method: str, cache: float, call: Callable[[], Any]) -> Answer:
        now = time.time()
        hit = self._good.get(key)
        if cache and hit and now - hit[0] < cache:
            return Answer(hit[1])
        try:
            value = self._call(method, call)
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            log.warning("store unavailable during %s: %s", method, exc)
            self._forget_store()
            if hit is None:
                raise DataUnavailable(
                    "The data store is not answering right now, and there is no earlier answer to show. "
                    "This page retries on its own; reload in a minute.") from exc
            return Answer(hit[1], stale_since=hit[0])
        self._good.put(key, (now, value))  # one too big to keep is simply not kept
        return Answer(value)


_model: ReadModel | None = None


def configure(settings: Settings) -> ReadModel:
    """Set the process's read model (create_app calls this with its Settings: the store URL and the
    byte budgets of both caches, this one's last-good answers and the read API's)."""
    global _model
    _model = ReadModel(settings.store_url, keep_bytes=settings.app_cache_mb * 1024 * 1024, settings=settings)
    read_cache.configure_cache(settings.read_cache_mb * 1024 * 1024)
    return _model


def model() -> ReadModel:
    if _model is None:
        raise RuntimeError("app.data.configure() was not called: build the app with app.main.create_app()")
    return _model
