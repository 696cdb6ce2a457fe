"""Pages register one way, from one table (app/pages/__init__.PAGES): every page module is in it, the
navbar follows its order, and an app built after Dash's registries were emptied has every page
again (a page that registered itself at import would be missing from the second app)."""
from __future__ import annotations

import os
import pkgutil

import dash
import pytest

from app import pages
from pipeline.settings import load

pytestmark = pytest.mark.unit


def _build(tmp_path):
    from app.main import create_app
    return create_app(load(env={**os.environ, "NYC311_STORE_URL": f"sqlite:///{tmp_path}/rollups.db"}))


def test_every_page_module_is_in_the_table():
    modules = {m.name for m in pkgutil.iter_modules(pages.__path__) if not m.name.startswith("_")}
    assert modules == {p.module for p in pages.PAGES}


def test_the_registry_follows_the_table_and_survives_a_reset(tmp_path, dash_registries):
    for _ in range(2):
        dash_registries()
        assert not dash.page_registry
        _build(tmp_path)
        names = [p["name"] for p in dash.page_registry.values()]
        assert names == [p.name for p in pages.PAGES]
        assert [p["name"] for p in dash.page_registry.values() if p.get("nav", True)] == [
            "Overview", "Map", "Hotspots", "Trends", "Rankings", "Resolution", "Live", "About"]
        assert dash.page_registry["app.pages.live"]["path"] == "/live"
        assert dash.page_registry["app.pages.report"]["path_template"] == "/report/<district>"
