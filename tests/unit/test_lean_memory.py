"""The streaming job's Python keeps its memory small (pipeline/stream/lean_memory.py, issue 9's 1.5 GB budget)."""
import pyarrow as pa
import pytest

from pipeline.stream.lean_memory import give_back, lean_python

pytestmark = pytest.mark.unit


def test_arrow_allocates_from_the_system_heap_after_lean_python():
    before = pa.default_memory_pool()
    try:
        lean_python()
        assert pa.default_memory_pool().backend_name == "system"
        table = pa.table({"x": list(range(100_000))})  # allocated, freed, trimmed: no pool keeps it
        del table
        give_back()
    finally:
        pa.set_memory_pool(before)
