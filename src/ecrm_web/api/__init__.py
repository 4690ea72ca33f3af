"""JSON API under /api/v1 (Bearer token or login session).

``views`` holds the endpoints, ``openapi`` their description (served at
``/api/v1/openapi.json``), ``security`` who is calling, ``inputs`` request parsing and
``present`` the JSON shapes of core objects. See docs/api.md."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from ecrm_web.api import views  # noqa: E402  (registers the endpoints on bp)

__all__ = ["bp", "views"]
