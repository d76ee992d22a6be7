"""web/: the FastAPI app (a first overview page until the web issue builds the cockpit)."""

from zonebrain.web._app import create_app

__all__ = ["create_app"]
