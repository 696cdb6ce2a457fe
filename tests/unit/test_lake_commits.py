"""The lake's commit retry (pipeline/lake/table.py): a commit that lost a race with a concurrent Delta writer
is tried again with growing waits, a bounded number of times; any other failure is raised at once."""
from __future__ import annotations

import pytest

from pipeline.lake import table as lake

CONFLICT = ("An error occurred while calling o56.sql.\n: io.delta.exceptions.ConcurrentAppendException: "
            "[DELTA_CONCURRENT_APPEND.WITH_PARTITION_HINT] Transaction conflict detected.")


class Flaky:
    """An action that fails with `error` a number of times, then returns 'done'."""

    def __init__(self, failures: int, error: str):
        self.failures, self.error, self.calls = failures, error, 0

    def __call__(self):
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError(self.error)
        return "done"


@pytest.mark.parametrize("message", [
    CONFLICT,
    "io.delta.exceptions.ConcurrentDeleteReadException: [DELTA_CONCURRENT_DELETE_READ] ...",
    "io.delta.exceptions.ProtocolChangedException: [DELTA_PROTOCOL_CHANGED] concurrent table creation",
    "io.delta.exceptions.MetadataChangedException: [DELTA_METADATA_CHANGED] ...",
])
def test_a_conflicting_commit_is_retried_with_growing_waits(message):
    waits: list[float] = []
    action = Flaky(3, message)
    assert lake.committed(action, "merge", sleep=waits.append) == "done"
    assert action.calls == 4 and len(waits) == 3
    assert waits[0] <= lake.BACKOFF_S[0] < waits[2] <= 4 * lake.BACKOFF_S[0]


def test_retries_are_bounded():
    action, waits = Flaky(100, CONFLICT), []
    with pytest.raises(RuntimeError, match="ConcurrentAppendException"):
        lake.committed(action, "merge", tries=5, sleep=waits.append)
    assert action.calls == 5 and len(waits) == 4 and max(waits) <= lake.BACKOFF_S[1]


def test_other_failures_are_not_retried():
    action = Flaky(1, "[DELTA_MERGE_MULTIPLE_SOURCE_ROWS_MATCHING_TARGET_ROW] ...")
    with pytest.raises(RuntimeError):
        lake.committed(action, "merge", sleep=lambda s: pytest.fail("no wait expected"))
    assert action.calls == 1
