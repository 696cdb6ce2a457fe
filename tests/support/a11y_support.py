"""axe-core in real headless Chromium: the accessibility audit the browser tests share.

Why axe-core from npm: it is the engine WCAG audits use (and what axe-selenium-python wraps, with an
axe.min.js from 2018); `make setup` installs the pinned version (tests/browser/axe/package-lock.json),
so nothing here is fetched at test time. A missing file is a failure, never a skip.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

AXE_JS = Path(__file__).resolve().parents[1] / "browser" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = ("", "map", "trends", "rankings", "resolution", "hotspots", "live", "about", "report/301")
IMPACTS = ("critical", "serious", "moderate", "minor")

# Ready when no Dash callback is pending and no chart still shows its "Loading…" placeholder.
PAGE_SETTLED = """
const busy = document.querySelector('[data-dash-is-loading="true"]');
const graphs = [...document.querySelectorAll('.page .js-plotly-plot, .live-page .js-plotly-plot')];
const loading = graphs.some(g => !g.layout || (g.layout.annotations || []).some(a => /Loading/.test(a.text)));
return document.readyState === 'complete' && !busy && !loading && !!document.querySelector('.page, .live-page');
"""


def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make axe` (npm ci of tests/browser/axe)", pytrace=False)
    return AXE_JS.read_text()


def run_axe(driver, source: str) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe finds in the current page (list of axe result dicts)."""
    driver.set_script_timeout(60)
    if not driver.execute_script("return !!window.axe"):
        driver.execute_script(source)
    raw = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',"
        " 'best-practice']}, resultTypes: ['violations']})"
        ".then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify({error: String(e)})));")
    result = json.loads(raw)
    if isinstance(result, dict):
        raise AssertionError(f"axe failed: {result['error']}")
    return result


def counts(violations: list[dict]) -> dict[str, int]:
    """Violating nodes per impact (what the issue's figures count)."""
    c = Counter()
    for v in violations:
        c[v.get("impact") or "minor"] += len(v["nodes"])
    return {k: c.get(k, 0) for k in IMPACTS}


def describe(violations: list[dict], impacts=("critical", "serious")) -> str:
    lines = []
    for v in violations:
        if v.get("impact") in impacts:
            targets = ", ".join(str(n["target"]) for n in v["nodes"][:4])
            lines.append(f"{v['impact']} {v['id']}: {v['help']} ({len(v['nodes'])} nodes: {targets})")
    return "\n".join(lines)
