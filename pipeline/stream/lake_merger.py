"""The streaming job's hand-over of changed requests to the cleaned-request lake, in a thread.

The job stages them as a Parquet file and hands it to the lake's inbox (pipeline/lake/inbox.py),
which the batch job folds into the lake: merging them here rewrote the touched months' files every
minute (22-24 s of the two cores at 2,000 events/s) and held up the micro-batches. Why a thread:
staging a minute's changes is a second or more of the driver's Python, and the micro-batches must
not wait for it. Why a kill mid-hand-over loses nothing: the file appears in the inbox whole or not
at all, and the mark advances only after it, so the restarted job hands the same requests over
again (the newest version of a request wins the fold, so a repeat changes nothing).
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from pipeline.lake import changes as lake_changes
from pipeline.lake import inbox
from pipeline.stream.lean_memory import give_back
from pipeline.stream.state import RequestState

log = logging.getLogger("pipeline.stream.job")


class LakeMerger:
    """Hands changes over every `every` seconds (negative: never); the micro-batches and the job's idle loop both ask."""

    def __init__(self, spark, lake_path: str, state_path: Path, every: float):
        self.spark, self.lake_path, self.state_path, self.every = spark, lake_path, state_path, every
        self.merging: threading.Thread | None = None
        self.lock = threading.Lock()
        self.last = time.time()

    def merge(self, force: bool = False) -> None:
        """Start a merge if one is due and none runs. `force` merges now and waits (the end of an
        --once run). The job's main loop calls this between micro-batches too: Spark runs no batch
        while no event comes, and the changes of the last batches before a quiet spell must still
        reach the lake."""
        with self.lock:
            if self.every < 0 or (self.merging is not None and self.merging.is_alive()):
                if force and self.merging is not None:
                    self.merging.join()
                else:
                    return
            if force:
                self._merge()
            elif time.time() - self.last >= self.every:
                self.last = time.time()
                self.merging = threading.Thread(target=self._merge, name="lake-merge", daemon=True)
                self.merging.start()

    def _merge(self) -> None:
        """The changed requests are staged as a Parquet file a bounded chunk at a time
        (pipeline/lake/changes.py): a catch-up changes millions between two merges."""
        state = RequestState(self.state_path)  # its own connection: the micro-batches keep writing
        staged = self.state_path.parent / "lake-changes.parquet"
        try:
            done = state.mark("lake_batch")
            rows, batch_id = lake_changes.stage(state, -1 if done is None else done, staged)
            if not rows:
                return
            log.info("lake: handing %d request(s) changed up to batch %d to the inbox", rows, batch_id)  # tests kill at it
            name = inbox.hand_over(self.spark, self.lake_path, staged)
            state.set_mark("lake_batch", batch_id)
            log.info("lake: handed %d request(s) to the inbox as %s", rows, name)
        except Exception:  # noqa: BLE001 - the next hand-over retries; the live tables must keep flowing
            log.exception("lake hand-over failed; retrying at the next interval")
        finally:
            state.close()
            staged.unlink(missing_ok=True)
            give_back()

    def join(self) -> None:
        """Let a merge in flight finish before the process ends."""
        if self.merging is not None:
            self.merging.join()
