"""Entering and leaving the system (AUTH-1) and the language switch (UI-5)."""

from __future__ import annotations

from contextlib import suppress

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ecrm_core.kernel.errors import AuthenticationFailed, DomainError
from ecrm_web import auth
from ecrm_web.ui.common import actor, core, safe_next

bp = Blueprint("ui_auth", __name__)

LANGUAGES = ("ru", "en")
YEAR = 365 * 24 * 3600


def _home() -> str:
    """AUTH-2: the employee's chosen home page ("make this my home page"), else the
    counterparties page."""
    return safe_next(core().org.home_page(actor())) or url_for("ui_clients.home")


@bp.get("/")
@login_required
def index():
    return redirect(_home())


@bp.route("/login", methods=["GET", "POST"])
def login():
    given = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(given or _home())
        return render_template("login.html", next=safe_next(request.args.get("next")))
    try:
        auth.sign_in(request.form.get("login", ""), request.form.get("password", ""))
    except AuthenticationFailed as exc:
        if exc.locked_until is not None:
            error, status = _("Too many failed attempts. The login is locked for a while; "
                              "try again later."), 429
        else:
            error, status = _("Wrong login or password"), 401
        return render_template(
            "login.html", error=error, login=request.form.get("login", ""),
            next=safe_next(request.form.get("next")),
        ), status
    # ``next`` first (the page that asked for a login), else the home page (AUTH-2).
    return redirect(given or _home(), code=303)


@bp.post("/logout")
def logout():
    auth.sign_out(current_user if current_user.is_authenticated else None)
    return redirect(url_for("ui_auth.login"), code=303)


@bp.post("/lang")
def switch_language():
    """Choose the interface language: a cookie for everyone, and the employee's own card
    (Employee.locale) for a signed-in user so it follows them to other browsers."""
    lang = request.form.get("lang", "")
    target = safe_next(request.form.get("next")) or url_for("ui_auth.index")
    if lang not in LANGUAGES:
        return redirect(target, code=303)
    if current_user.is_authenticated:
        # If the card cannot be saved (e.g. a concurrent edit), the cookie still switches
        # this browser.
        with suppress(DomainError):
            core().org.update_employee(actor(), actor(), {"locale": lang})
    response = make_response(redirect(target, code=303))
    response.set_cookie("lang", lang, max_age=YEAR, httponly=True, samesite="Lax")
    return response
