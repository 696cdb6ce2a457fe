"""A web worker (app.wsgi, what gunicorn loads) never imports pyspark: it reads rollups only, and
pyspark costs each worker tens of MB and seconds of start-up (issue 13). A fresh interpreter, so
nothing another test imported counts. The read model and every page module are imported too (one
interpreter), so a page that app.wsgi stops importing at start-up cannot bring pyspark in unnoticed."""
from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import app.pages

pytestmark = pytest.mark.unit
ROOT = str(Path(__file__).resolve().parents[2])
PAGE_MODULES = [f"app.pages.{m.name}" for m in pkgutil.iter_modules(app.pages.__path__)]


def _spark_modules_after_import(modules: str, tmp_path) -> str:
    code = (f"import sys, {modules}; "
            "print(sorted(m for m in sys.modules if m == 'pyspark' or m.startswith(('pyspark.', 'py4j'))))")
    env = {"PATH": "/usr/bin:/bin", "NYC311_STORE_URL": f"sqlite:///{tmp_path}/rollups.db"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()[-1]


def test_web_worker_does_not_import_pyspark(tmp_path):
    assert _spark_modules_after_import("app.wsgi", tmp_path) == "[]"


def test_the_read_model_and_every_page_import_no_pyspark(tmp_path):
    assert len(PAGE_MODULES) >= 9
    assert _spark_modules_after_import(", ".join(["app.data", "app.pages", *PAGE_MODULES]), tmp_path) == "[]"
