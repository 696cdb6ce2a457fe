"""What the app adds to its Flask server for production: security headers, /healthz, /embed/<page>.

Why here and not in the shell: these are properties of every response (an iframe policy that is
missing on one page is a hole), so they hang off Flask's after_request, independent of which page
or callback answered. /healthz pings the store through the same read model the pages read (which
opens it lazily, once per worker process, so gunicorn may fork before any connection exists: see
config/gunicorn.conf.py).
"""
from __future__ import annotations

from urllib.parse import urlencode

import dash
from flask import Response, jsonify, redirect, request

from pipeline.settings import Settings


def read_model():
    """The worker's read model (app/data.py): what /healthz pings."""
    from app import data
    return data.model()


def security_headers(settings: Settings) -> dict[str, str]:
    """Headers sent on every response. frame-ancestors decides which sites may iframe the app."""
    ancestors = " ".join(settings.frame_ancestors.split()) or "'self'"
    headers = {
        "Content-Security-Policy": f"frame-ancestors {ancestors}",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    if ancestors == "'self'":
        # Older browsers ignore CSP frame-ancestors; SAMEORIGIN says the same thing to them.
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return headers


def health(get_store=read_model, details: bool = False) -> tuple[dict, int]:
    """(body, status) of /healthz: 200 when the store answers a trivial query, 503 with the reason.
    `get_store` gives anything with ping(): the read model, which pings its store without fallback.

    The reason names only the kind of failure unless `details` (setting healthz_details=1): a
    driver's message carries the store's hosts or file path, which the public must not see."""
    try:
        get_store().ping()
    except Exception as exc:  # any failure, including a store that cannot even be opened
        reason = f"{type(exc).__name__}: {exc}" if details else f"the data store is not answering ({type(exc).__name__})"
        return {"status": "unavailable", "reason": reason}, 503
    return {"status": "ok"}, 200


def embed_target(prefix: str, page: str, args: dict[str, str]) -> str:
    """The URL /embed/<page> redirects to: the same page, same query, with embed=1."""
    query = {**{k: v for k, v in args.items() if k != "embed"}, "embed": "1"}
    page = page.strip("/")
    return f"{prefix.rstrip('/')}/{page}?{urlencode(query)}"


def install(app: dash.Dash, settings: Settings) -> None:
    """Attach headers, /healthz and /embed/<page> to the Dash app's Flask server."""
    headers = security_headers(settings)
    server = app.server

    @server.after_request
    def _headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers[name] = value
        return response

    @server.errorhandler(500)
    def _server_error(error):
        """The net under the callback dispatcher: a body Dash cannot even route (no 'output', a
        list where an object belongs) is the client's error, answered 400 with a clear message."""
        if request.path.endswith("/_dash-update-component"):
            server.logger.warning("malformed callback request answered 400: %s",
                                  getattr(error, "original_exception", error))
            response = jsonify({"error": "This update request was malformed and was not applied."})
            response.status_code = 400
            return response
        return error

    @server.route("/healthz")
    def _healthz():
        body, status = health(details=bool(settings.healthz_details))
        response = jsonify(body)
        response.status_code = status
        response.headers["Cache-Control"] = "no-store"
        return response

    @server.route("/embed/", defaults={"page": ""})
    @server.route("/embed/<path:page>")
    def _embed(page: str):
        return redirect(embed_target(app.config.requests_pathname_prefix, page, request.args.to_dict()), 302)
