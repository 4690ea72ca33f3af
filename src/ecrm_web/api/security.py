"""Who is calling the API (AUTH-1): a personal token in ``Authorization: Bearer …`` or
the login session of the web UI.

The blueprint is exempt from CSRFProtect because token requests carry no cookie and
need no CSRF token. A request authenticated by the session cookie is what a forged
cross-site request would look like, so its unsafe methods must repeat the CSRF token
in the ``X-CSRFToken`` header (``GET /api/v1/csrf-token`` hands it out)."""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import ValidationError, validate_csrf

from ecrm_core.org.model import Employee

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Endpoints that answer without credentials.
PUBLIC = frozenset({"api.openapi"})
REALM = 'Bearer realm="ecrm"'


def _unauthorized(message: str, error: str | None = None):
    challenge = REALM if error is None else f'{REALM}, error="{error}"'
    response = jsonify({"error": "unauthorized", "message": message})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = challenge
    return response


def _csrf_refused(message: str):
    response = jsonify({"error": "csrf_failed", "message": message})
    response.status_code = 403
    return response


def authenticate():
    """``before_request`` of the blueprint: set ``g.api_actor`` or answer 401/403."""
    if request.endpoint in PUBLIC or request.endpoint is None:
        return None
    auth = current_app.extensions["ecrm"].app.auth
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthorized("use Authorization: Bearer <token>", "invalid_request")
        employee = auth.employee_for_api_token(token.strip())
        if employee is None:
            return _unauthorized(
                "the token is unknown or revoked, or its owner is disabled", "invalid_token"
            )
        g.api_actor, g.api_auth = employee, "bearer"
        return None
    if not current_user.is_authenticated:
        return _unauthorized("sign in or send Authorization: Bearer <token>")
    if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
        try:
            validate_csrf(request.headers.get("X-CSRFToken"))
        except ValidationError as exc:
            return _csrf_refused(f"{exc.args[0] if exc.args else 'bad CSRF token'} "
                                 "Send the token from GET /api/v1/csrf-token in X-CSRFToken.")
    g.api_actor, g.api_auth = current_user.employee, "session"
    return None


def actor() -> Employee:
    return g.api_actor


def actor_id() -> int:
    return g.api_actor.id
