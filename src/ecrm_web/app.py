"""The Flask application factory.

    create_app()                      # settings from ECRM_* variables, schema migrated
    create_app(system=system)         # a system built elsewhere (tests, embedding)
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, request
from flask_babel import Babel
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from pytz import timezone as pytz_timezone

from ecrm_adapters.bootstrap import System, bootstrap
from ecrm_adapters.settings import Settings
from ecrm_core.documents.model import MAX_SIZE as DOCUMENT_MAX_SIZE
from ecrm_web import auth, errors

LANGUAGES = ("ru", "en")
csrf = CSRFProtect()
babel = Babel()


def _select_locale() -> str:
    if current_user.is_authenticated and current_user.employee.locale in LANGUAGES:
        return current_user.employee.locale
    chosen = request.cookies.get("lang")
    if chosen in LANGUAGES:
        return chosen
    return "ru"


def _known_timezone(name: object) -> bool:
    try:
        pytz_timezone(name)
    except Exception:  # unknown or malformed names: fall back rather than fail the page
        return False
    return True


def _select_timezone() -> str | None:
    if current_user.is_authenticated and _known_timezone(current_user.employee.timezone):
        return current_user.employee.timezone
    return "Europe/Moscow"


def create_app(system: System | None = None, config: dict[str, Any] | None = None) -> Flask:
    if system is None:
        system = bootstrap(Settings.from_env(), migrate=True)
        start_queue = getattr(system, "start_embedded_queue", None)
        if start_queue is not None:
            start_queue()
    settings = system.settings
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.ensure_secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="ecrm_session",
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="ru",
        BABEL_DEFAULT_TIMEZONE="Europe/Moscow",
        BABEL_TRANSLATION_DIRECTORIES="translations",
        # The largest document (DOC-1: 20 MB, checked by the core with its own message)
        # with room for the form around it; imports and photos are smaller.
        MAX_CONTENT_LENGTH=DOCUMENT_MAX_SIZE + 1024 * 1024,
        JSON_SORT_KEYS=False,
    )
    app.config.update(config or {})
    app.json.ensure_ascii = False  # Cyrillic as it is, not \uXXXX
    app.extensions["ecrm"] = system

    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone)
    auth.init_app(app)
    errors.init_app(app)

    @app.before_request
    def _bind_system() -> None:
        g.system = system
        g.app = system.app

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    from ecrm_web.api import bp as api_bp
    from ecrm_web.ui import register as register_ui

    csrf.exempt(api_bp)  # the API checks CSRF itself for cookie sessions (see api.auth)
    app.register_blueprint(api_bp)
    register_ui(app)
    return app
