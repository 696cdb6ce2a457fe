"""The app's input checks for what a browser sends: callback values and the safety net behind them.

Why one module: Dash hands a callback whatever JSON a client posted to /_dash-update-component,
and a hand-made POST can put a number where a query string belongs, a dict where a list belongs, or
a lone surrogate in a text. Each callback first checks its inputs with these helpers and answers
no_update (or a clear message) for anything malformed; `on_callback_error` is the net for what a
check missed, so a client can never turn a bad value into a 5xx (issue 10). URL parameters are
checked by app/state.py, CLI dates by pipeline/cli.day (same 1900-2100 bounds), settings by
pipeline/settings.py.
"""
from __future__ import annotations

import logging

from dash import ctx
from dash.exceptions import PreventUpdate

log = logging.getLogger(__name__)


class BadInput(ValueError):
    """A callback input that is not of the shape the component sends; the callback answers no_update."""


def text(value: object, limit: int = 4096) -> str | None:
    """A string input (a query string, a dropdown value): None when absent or unusable."""
    if value is None or not isinstance(value, str) or len(value) > limit:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def search(value: object) -> str:
    """A location's search string; anything that is not a string of at most 8 KB counts as no query.
    Lone surrogates (a browser never sends them) become '?', so the rest of the link still counts."""
    if not isinstance(value, str) or len(value) > 8192:
        return ""
    return value.encode("utf-8", "replace").decode("utf-8")


def clicks(value: object) -> list[int]:
    """The n_clicks of pattern-matched buttons (ALL): a list of ints, None counted as 0."""
    if not isinstance(value, list):
        raise BadInput("n_clicks must be a list")
    return [v if isinstance(v, int) and not isinstance(v, bool) else 0 for v in value]


def trigger_id(keys: tuple[str, ...]) -> dict | None:
    """The triggering pattern id if it is a dict with exactly these string keys, else None."""
    t = ctx.triggered_id
    if isinstance(t, dict) and set(t) == set(keys) and all(isinstance(t[k], str) for k in keys):
        return t
    return None


def on_callback_error(exc: Exception):
    """Dash's global on_error: an input no check caught gets no_update (HTTP 204), not a 500.

    Returning None makes Dash send no_update for every output; the log keeps the traceback, as
    a real bug must stay visible to the operator."""
    if isinstance(exc, PreventUpdate):
        raise exc
    log.warning("callback %s answered no_update after %s: %s", _callback_name(), type(exc).__name__, exc,
                exc_info=not isinstance(exc, BadInput))
    return None


def _callback_name() -> str:
    try:
        return str(ctx.outputs_list)[:120]
    except Exception:  # noqa: BLE001 - outside a callback context there is nothing to name
        return "?"
