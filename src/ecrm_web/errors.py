"""Core errors -> HTTP. JSON for the API (and for clients that ask for JSON), pages for
the UI. Never a traceback: an unexpected error is logged and answered with a plain 500."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ecrm_core.kernel.errors import (
    AuthenticationFailed,
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    Unavailable,
    ValidationFailed,
)

STATUS = {
    ValidationFailed: 422,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    AuthenticationFailed: 401,
    Unavailable: 503,
}


def status_of(error: DomainError) -> int:
    for cls, status in STATUS.items():
        if isinstance(error, cls):
            return status
    return 400


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_body(error: DomainError) -> dict:
    body = {"error": error.code, "message": error.message}
    if isinstance(error, ValidationFailed):
        body["fields"] = error.errors
    if isinstance(error, Conflict) and error.details:
        body["details"] = {k: str(v) for k, v in error.details.items()}
    candidates = getattr(error, "candidates", None)
    if candidates is not None:
        body["candidates"] = [
            {"id": c.id, "name": c.name, "inn": c.inn, "reasons": list(c.reasons),
             "deleted": c.deleted}
            for c in candidates
        ]
    return body


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(error: DomainError):
        status = status_of(error)
        if wants_json():
            return jsonify(error_body(error)), status
        return render_template("error.html", status=status, message=_(error.message)), status

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if wants_json():
            return jsonify({"error": error.name.lower().replace(" ", "_"),
                            "message": error.description}), error.code
        return render_template("error.html", status=error.code,
                               message=error.description), error.code

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        app.logger.exception("unexpected error on %s %s", request.method, request.path)
        if wants_json():
            return jsonify({"error": "internal", "message": "internal error"}), 500
        return render_template("error.html", status=500,
                               message=_("Something went wrong. Try again later.")), 500
