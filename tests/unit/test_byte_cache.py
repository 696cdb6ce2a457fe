"""The read cache's size estimate (pipeline/read/byte_cache.py size_of): close to pandas' deep memory
usage for the frames the read API answers with, and it bounds the cache as before."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.read.byte_cache import ByteLRU, size_of

pytestmark = pytest.mark.unit


def deep(frame: pd.DataFrame) -> int:
    return int(frame.memory_usage(index=True, deep=True).sum()) + 512


@settings(max_examples=60, deadline=None)
@given(rows=st.integers(0, 5000), words=st.integers(1, 40), seed=st.integers(0, 9))
def test_the_estimate_is_close_to_pandas_deep_usage(rows, words, seed):
    rng = np.random.default_rng(seed)
    vocab = [" ".join(["word"] * int(k)) for k in rng.integers(1, words + 1, 50)]
    frame = pd.DataFrame({"period": [f"2024-01-{1 + i % 28:02d}" for i in range(rows)],
                          "address": rng.choice(vocab, rows) if rows else [],
                          "count": rng.integers(0, 1000, rows), "share": rng.random(rows)})
    assert size_of(frame) == pytest.approx(deep(frame), rel=0.25)


def test_a_big_answer_is_not_kept_and_small_ones_are():
    cache = ByteLRU(max_bytes=400_000)
    small = pd.DataFrame({"borough": ["Bronx", "Queens"], "count": [1, 2]})
    big = pd.DataFrame({"address": [f"{i} MAIN STREET" for i in range(5000)], "count": np.arange(5000)})
    assert size_of(big) > 100_000 and cache.put("big", big) is False and cache.get("big") is None
    assert cache.put("small", small) and cache.get("small") is small and 0 < cache.bytes < 5_000
    assert size_of((1, small)) == size_of(small) + 256 + 64
