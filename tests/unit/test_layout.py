"""The repository's shape: tools stay out of the product, tests reach their helpers as a package,
and no module grows past the size a reader can hold (issue 13, items 5 and 6).

Why a test: each of these drifted once already (benchmarks beside the pages, sys.path edits in
test modules); a failure here names the file to move instead of leaving it to review."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("app", "pipeline")
MAX_LINES = 400


def _modules(*folders: str) -> list[Path]:
    return sorted(p for f in folders for p in (ROOT / f).rglob("*.py"))


def _imported(path: Path) -> set[str]:
    """Top-level names of every module the file imports (absolute imports only: the repo uses no others)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_benchmarks_and_the_proxy_live_in_bench_not_in_the_product():
    stray = [str(p.relative_to(ROOT)) for p in _modules(*PRODUCT)
             if p.name.startswith("bench") or p.name == "proxy.py"]
    assert not stray, f"tools belong in bench/: {stray}"
    assert {"read", "batch", "stream", "catchup", "app", "web", "proxy"} <= {p.stem for p in _modules("bench")}


def test_the_product_never_imports_the_tools_or_the_tests():
    leaks = {str(p.relative_to(ROOT)): sorted(_imported(p) & {"bench", "tests"}) for p in _modules(*PRODUCT)}
    assert not {k: v for k, v in leaks.items() if v}


def test_the_synthetic_generator_is_its_own_subpackage():
    assert not list((ROOT / "pipeline").glob("synthetic_*.py")) and not (ROOT / "pipeline" / "generate.py").exists()
    assert (ROOT / "pipeline" / "synthetic" / "generate.py").exists()


def test_no_test_module_edits_sys_path():
    edits = []
    for path in _modules("tests"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr == "path" and isinstance(node.value, ast.Name)
                    and node.value.id == "sys"):
                edits.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not edits, f"import helpers as tests.support.X instead: {edits}"


def test_no_module_over_the_line_limit():
    long = {str(p.relative_to(ROOT)): n for p in _modules("app", "bench", "pipeline", "scripts", "tests")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"split these (at most {MAX_LINES} lines): {long}"
