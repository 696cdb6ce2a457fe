"""How the Spark session is set up without Spark: which Python its workers run (pipeline/spark.py)."""
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
