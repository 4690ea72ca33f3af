"""JSON API under /api/v1 (Bearer token or login session)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
