"""App factory (placeholder shell until the dashboard issue lands its pages)."""
from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html

from pipeline.settings import get


def create_app() -> dash.Dash:
    s = get()
    app = dash.Dash(__name__, external_stylesheets=[dbc.themes.BOOTSTRAP], title="The 411 on the 311",
                    requests_pathname_prefix=s.url_prefix, routes_pathname_prefix="/")
    app.layout = dbc.Container([html.H1("The 411 on the 311"), html.P("NYC 311 service requests dashboard.")])
    return app
