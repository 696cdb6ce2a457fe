"""The streaming job's patience with a busy or down store, and the health row that says so.

Why it never crash-loops: a store (or broker) that is busy or down is waited for with back-off,
and the pipeline_health row says "waiting for the store" meanwhile; Kafka keeps the messages, so
waiting loses nothing, while failing the micro-batch would restart the job into the same wait.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

import pandas as pd

from pipeline.stores import StoreUnavailable

log = logging.getLogger("pipeline.stream.job")

BACKOFF_S = (0.5, 30.0)        # first and longest wait between tries of a busy or down store / broker
WAITING = "waiting for the store"


def patiently(fn: Callable, what: str, on_wait: Callable[[str], None] | None = None,
              retry_on: tuple[type[BaseException], ...] = (StoreUnavailable,), sleep=time.sleep):
    """fn() until it succeeds, waiting with exponential back-off while it raises `retry_on`."""
    wait = BACKOFF_S[0]
    while True:
        try:
            return fn()
        except retry_on as exc:
            log.warning("%s: %s; retrying in %.1f s", what, exc, wait)
            if on_wait is not None:
                on_wait(str(exc))
            sleep(wait)
            wait = min(wait * 2, BACKOFF_S[1])


class PatientStore:
    """A store whose every call waits out StoreUnavailable (writes are idempotent upserts, so a retry
    repeats nothing), telling `on_wait` while it waits."""

    def __init__(self, store, on_wait: Callable[[str], None]):
        self._store, self._on_wait = store, on_wait

    def __getattr__(self, name):
        attr = getattr(self._store, name)
        if not callable(attr) or name == "close":
            return attr
        return lambda *a, **k: patiently(lambda: attr(*a, **k), f"store {name}", self._on_wait)


class Health:
    """The job's pipeline_health row: its state and since when, messages lost to retention, store waits.

    Why it writes through the raw store: it is written while the store is being waited for, and
    a wait inside a wait would never say anything."""

    def __init__(self, job: str, offsets_lost: int, raw_store):
        self.raw_store = raw_store
        self.row = {"job": job, "state": "starting", "state_since": pd.Timestamp.now(tz="UTC"),
                    "offsets_lost": offsets_lost, "store_waits": 0}

    def set_state(self, state: str) -> None:
        if state != self.row["state"]:
            self.row.update(state=state, state_since=pd.Timestamp.now(tz="UTC"))

    def waiting(self, why: str) -> None:
        """Called between tries of a busy or down store: say so in the health row, if the store takes it."""
        if not self.row["state"].startswith(WAITING):
            self.row["store_waits"] += 1
        self.set_state(f"{WAITING} ({why[:200]})")
        try:
            self.raw_store.upsert("pipeline_health", self.frame())
        except StoreUnavailable:
            pass  # the store is down: the log says it, the row will once the store is back

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame([self.row])
