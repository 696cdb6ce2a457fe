"""The figure builders (app/figures.py) as the tests read them: each answer, a plotly JSON dict the app
sends as it is, built into a go.Figure here. Why: go.Figure validates every property, so any test that
draws a figure also checks that the dict the browser gets is a valid plotly figure (the app skips that
cost on every callback), and the tests read traces as attributes (fig.data[0].x)."""
from __future__ import annotations

import plotly.graph_objects as go

from app import figures


def drawn(fig: dict) -> go.Figure:
    """A builder's dict as a validated go.Figure (raises ValueError on an invalid property)."""
    assert isinstance(fig, dict) and set(fig) == {"data", "layout"}, "builders answer plotly JSON"
    return go.Figure(fig)


class _Builders:
    """figures.<builder>(...) answered as drawn(figures.<builder>(...))."""

    def __getattr__(self, name: str):
        build = getattr(figures, name)
        return lambda *args, **kwargs: drawn(build(*args, **kwargs))


builders = _Builders()
