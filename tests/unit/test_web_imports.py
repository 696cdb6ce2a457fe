"""A web worker (app.wsgi, what gunicorn loads) never imports pyspark: it reads rollups only, and
pyspark costs each worker tens of MB and seconds of start-up (issue 13). A fresh interpreter, so
nothing another test imported counts."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = str(Path(__file__).resolve().parents[2])


def test_web_worker_does_not_import_pyspark(tmp_path):
    code = ("import sys, app.wsgi; "
            "print(sorted(m for m in sys.modules if m == 'pyspark' or m.startswith(('pyspark.', 'py4j'))))")
    env = {"PATH": "/usr/bin:/bin", "NYC311_STORE_URL": f"sqlite:///{tmp_path}/rollups.db"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"
