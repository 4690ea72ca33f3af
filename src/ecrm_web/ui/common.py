"""Helpers the UI views share: the application, the signed-in actor, form input, safe
redirects and one way of answering a form (redirect on success; the form again with
per-field messages on 422, with a "changed by someone else" notice on 409)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from ecrm_core.access.model import Action
from ecrm_core.application import Application
from ecrm_core.kernel.errors import Conflict, DomainError, Forbidden, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_web.ui.texts import core_text, field_errors


def core() -> Application:
    return current_app.extensions["ecrm"].app


def actor() -> int:
    return current_user.id


def allowed(action: Action, ref: ObjectRef, kind: str | None = None) -> bool:
    """Whether the policy lets the signed-in actor do ``action`` (to offer a link or a
    button; the service decides again)."""
    return core().access.allowed(actor(), action, ref, kind=kind)


def editable(found: Any) -> Any:
    """``found`` (an object a service gave) when the signed-in actor may edit it, else
    Forbidden — the edit form is not offered; the service decides again on saving."""
    if not allowed(Action.EDIT, found.ref):
        raise Forbidden(f"you may not edit {found.ref.kind} here")
    return found


#: Rows a page of a list holds (the services' page size).
PAGE = 20


def page_arg() -> int:
    """The ``page`` query argument (1 when missing or bad, at most 100,000)."""
    return min(max(as_int(request.args.get("page")) or 1, 1), 100_000)


def page_count(total: int, per_page: int = PAGE) -> int:
    """How many pages ``total`` rows make (at least one)."""
    return max(1, math.ceil(total / per_page))


def text_of(value: object) -> str:
    """A stored value as a form value: None as ""."""
    return "" if value is None else str(value)


def today_iso() -> str:
    """The actor's today (their time zone) as a date input's value."""
    from ecrm_web.ui.tasks import today

    return today().isoformat()


def form_data(*drop: str) -> dict[str, str]:
    """The posted form as a dict of strings. A field sent twice keeps its last value,
    so a hidden "0" before a checkbox "1" reads as the checkbox's state."""
    skip = {"csrf_token", *drop}
    return {key: values[-1] for key, values in request.form.lists() if key not in skip}


def safe_next(target: object) -> str | None:
    """``target`` when it is a path on this site (no scheme, no host), else None."""
    if not isinstance(target, str) or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def back_url(default: str) -> str:
    """Where the back button leads: the previous page of this site, else ``default``."""
    referrer = request.referrer or ""
    parts = urlsplit(referrer)
    if parts.netloc and parts.netloc == request.host and parts.path != request.path:
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        return safe_next(local) or default
    return default


def as_int(value: object) -> int | None:
    """An id from a URL or form value, or None (the service then says what is wrong)."""
    if isinstance(value, int):
        return value
    text = value.strip() if isinstance(value, str) else ""
    if text.isascii() and text.isdigit() and len(text) < 19:  # not "²": int() refuses it
        return int(text)
    return None


def handle_form(
    call: Callable[[], Any],
    *,
    success: Callable[[Any], Any],
    template: str,
    context: Callable[[], dict[str, Any]],
    message: str | None = None,
):
    """Run one service call for a posted form and answer it.

    ValidationFailed -> the form again with per-field messages (422); Conflict -> the form
    again with the notice (409); Forbidden and NotFound go to the error pages (403/404)."""
    try:
        result = call()
    except ValidationFailed as exc:
        return render_template(
            template, errors=field_errors(exc.errors), values=form_data(), **context()
        ), 422
    except Conflict as exc:
        return render_template(
            template, conflict=core_text(exc.message), errors={}, values=form_data(),
            **context(),
        ), 409
    if message:
        flash(message, "success")
    return success(result)


def redirect_to(url: str):
    return redirect(url, code=303)


def navigation() -> dict:
    """What the navigation panel needs: unread counter, newest message id, admin links
    (the reference books of tasks for administrators), the saved home page (AUTH-2)."""
    if "ecrm_nav" in g:
        return g.ecrm_nav
    nav = {"unread": 0, "last_message_id": 0, "manages": False, "director": False,
           "administrator": False, "home_page": ""}
    if current_user.is_authenticated:
        app = core()
        try:
            nav["unread"], nav["last_message_id"] = app.messages.summary(actor())
            policy = app.access.policy(actor())
        except DomainError:  # the account was disabled meanwhile: show a bare panel
            g.ecrm_nav = nav
            return nav
        nav["director"] = policy.is_director
        nav["manages"] = policy.may_administer
        nav["administrator"] = policy.is_administrator
        nav["home_page"] = app.org.home_page(actor())
    g.ecrm_nav = nav
    return nav


def url_with(**changes: Any) -> str:
    """The current address with some query arguments changed (pager and calendar links;
    None or "" drops one). A query argument named like a part of the path (``?catalog_id=``
    on a catalog's page) must not clash with it."""
    view_args = request.view_args or {}
    args = {k: v for k, v in request.args.items() if k not in view_args}
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = str(value)
    return url_for(request.endpoint, **view_args, **args)
