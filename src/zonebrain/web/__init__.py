"""web/: the cockpit officials log into — FastAPI, server-rendered pages (Jinja2 + htmx + ECharts),
and the JSON API under ``/api/v1`` with one error envelope. See docs/web.md.

``create_app(warehouse_url, ...)`` is the factory ``zonebrain serve`` runs.
"""

from zonebrain.web._app import create_app

__all__ = ["create_app"]
