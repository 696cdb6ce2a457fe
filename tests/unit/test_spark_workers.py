"""How the Spark session is set up without Spark: which Python its workers run, and the runtime settings one
block of a job sets (pipeline/spark.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.spark import worker_python

pytestmark = pytest.mark.unit


def test_spark_workers_run_this_virtualenv():
    """PYSPARK_PYTHON unset (the Procfile, supervisord): the workers' interpreter must see this
    environment's packages (pandas, h3), so it is the venv's python, not the base one it links to."""
    prefix = subprocess.run([worker_python(), "-c", "import sys; print(sys.prefix)"], capture_output=True, text=True,
                            check=True).stdout.strip()
    assert prefix == sys.prefix


class _Conf:
    """A session's runtime conf, as pyspark's RuntimeConfig answers it (get with a default, set, unset)."""

    def __init__(self, values):
        self.values = dict(values)

    def get(self, key, default=None):
        return self.values.get(key, default)

    def set(self, key, value):
        self.values[key] = value

    def unset(self, key):
        self.values.pop(key, None)


def test_session_conf_holds_inside_the_block_and_restores_after_it_even_on_failure():
    from types import SimpleNamespace

    from pipeline.spark import session_conf
    spark = SimpleNamespace(conf=_Conf({"a": "1"}))
    with pytest.raises(RuntimeError), session_conf(spark, {"a": "2", "b": "3"}):
        assert spark.conf.values == {"a": "2", "b": "3"}
        raise RuntimeError("a failed load")
    assert spark.conf.values == {"a": "1"}  # `a` as it was, `b` unset again
