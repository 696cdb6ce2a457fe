"""App factory: `create_app()` builds the Dash app (shell, pages, callbacks) over the configured store.

Why a factory: tests build the app over their own store, and gunicorn imports app.wsgi once per
worker. Callbacks are registered on the app object (not dash's global list), so building a second
app in the same process (tests) gets every callback too.
"""
from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc  # noqa: F401 - registers the component suite

from app import api, data, inputs, pages, serving, shell
from pipeline.settings import Settings, load

ROOT = Path(__file__).resolve().parent.parent


def create_app(settings: Settings | None = None) -> dash.Dash:
    """The app over `settings` (default: config/settings.toml and NYC311_*, read once here); the
    same object reaches the read model (and through it the pages and the store), serving and the API."""
    s = settings or load()
    data.configure(s)
    app = dash.Dash(
        __name__, use_pages=True, pages_folder="", assets_folder=str(ROOT / "assets"),
        title="The 411 on the 311", update_title=None, suppress_callback_exceptions=True,
        requests_pathname_prefix=s.url_prefix, routes_pathname_prefix="/",
        on_error=inputs.on_callback_error,  # a malformed callback input answers no_update, never a 500
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"},
                   {"name": "description", "content": "NYC 311 service requests: volumes, places, trends and "
                                                      "how fast the city resolves them."}],
    )
    pages.install(app)  # every page of app/pages/__init__.PAGES, in its order, with its callbacks
    app.index_string = shell.INDEX_STRING  # <html lang="en">
    app.layout = shell.layout
    shell.register(app)
    serving.install(app, s)  # security headers, /healthz, /embed/<page>
    api.install(app, s)  # /api/v1: every chart's numbers as JSON or CSV, and its OpenAPI document
    return app
