"""The personal page (ORG-4): personal data with the summary of today's and overdue
tasks, the Messages tab (MSG-1, MSG-2) with the live-popup poll, personal API tokens, the
employee's own history and "make this my home page" (AUTH-2). The Tasks and Calendar
tabs are in ui/tasks.py."""

from __future__ import annotations

import math

from flask import Blueprint, flash, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ecrm_core.kernel.errors import ValidationFailed
from ecrm_web.ui import texts
from ecrm_web.ui.common import (
    actor,
    as_int,
    core,
    form_data,
    handle_form,
    redirect_to,
    safe_next,
)
from ecrm_web.ui.present import TIMEZONES, Names

bp = Blueprint("ui_me", __name__, url_prefix="/me")

PER_PAGE = 20
SELF_FIELDS = ("full_name", "email", "phone", "locale", "timezone", "version")


def _me():
    return core().org.employee(actor(), actor())


def page_context(**extra) -> dict:
    """What every tab of the personal page shows (its header and tabs)."""
    me = _me()
    names = Names()
    return {
        "me": me,
        "names": names,
        "head": names.of("employee", me.head_id) if me.head_id else None,
        "timezones": TIMEZONES,
        **extra,
    }


def _data_context(**extra) -> dict:
    """The personal data tab with the block of today's and overdue tasks (ORG-4)."""
    from ecrm_web.ui.tasks import TaskNames, today  # the tasks pages build on this module

    return page_context(tab="data", summary=core().tasks.summary(actor(), actor()),
                        summary_names=TaskNames(), today_iso=today().isoformat(), **extra)


@bp.get("")
@login_required
def personal():
    return render_template("me/data.html", errors={}, values=None, **_data_context())


@bp.post("")
@login_required
def update_personal():
    data = {k: v for k, v in form_data().items() if k in SELF_FIELDS}
    return handle_form(
        lambda: core().org.update_employee(actor(), actor(), data),
        success=lambda _r: redirect_to(url_for("ui_me.personal")),
        template="me/data.html",
        context=_data_context,
        message=_("Your personal data are saved."),
    )


@bp.post("/password")
@login_required
def change_password():
    form = form_data()

    def call():
        if form.get("password", "") != form.get("password2", ""):
            raise ValidationFailed.single("password2", _("the passwords do not match"))
        core().org.set_password(actor(), actor(), form.get("password", ""),
                                form.get("current_password", ""))

    return handle_form(
        call,
        success=lambda _r: redirect_to(url_for("ui_me.personal")),
        template="me/data.html",
        context=lambda: _data_context(password_form=True),
        message=_("Your password is changed."),
    )


# -- Messages tab (MSG-1, MSG-2) -----------------------------------------------------------


@bp.get("/messages")
@login_required
def messages():
    page = max(1, as_int(request.args.get("page")) or 1)
    app = core()
    total = app.messages.total(actor())
    pages = max(1, math.ceil(total / PER_PAGE))
    page = min(page, pages)
    rows = app.messages.inbox(actor(), page=page, per_page=PER_PAGE)
    return render_template(
        "me/messages.html", tab="messages", rows=rows, page=page, pages=pages, total=total,
        **page_context(),
    )


def _message_context(message_id: int) -> dict:
    return page_context(tab="messages", message=core().messages.get(actor(), message_id))


@bp.get("/messages/<int:message_id>")
@login_required
def message(message_id: int):
    """Open a message ("→"): it is marked read."""
    opened = core().messages.mark_read(actor(), message_id)
    return render_template("me/message.html", errors={}, values=None,
                           **page_context(tab="messages", message=opened))


@bp.post("/messages/<int:message_id>/answer")
@login_required
def answer(message_id: int):
    """Confirm, or refuse with a reason (the requester is told the outcome)."""
    form = form_data()
    confirmed = form.get("answer") == "confirm"
    return handle_form(
        lambda: core().messages.answer(actor(), message_id, confirmed,
                                       "" if confirmed else form.get("reason", "")),
        success=lambda _r: redirect_to(url_for("ui_me.message", message_id=message_id)),
        template="me/message.html",
        context=lambda: _message_context(message_id),
        message=_("Confirmed.") if confirmed else _("Refused."),
    )


@bp.get("/messages/poll")
def poll():
    """For the live popup: messages newer than ``after`` and the unread count (JSON)."""
    if not current_user.is_authenticated:
        return jsonify({"error": "unauthorized"}), 401
    app = core()
    after = as_int(request.args.get("after"))
    fresh = app.messages.inbox(actor(), after_id=after, per_page=20) if after is not None else []
    unread = app.messages.unread_count(actor())
    names = Names()
    last_id = max([m.id for m in fresh] + [after or 0])
    if after is None:
        newest = app.messages.inbox(actor(), per_page=1)
        last_id = newest[0].id if newest else 0
    return jsonify({
        "unread": unread,
        "last_id": last_id,
        "messages": [
            {
                "id": m.id,
                "kind": m.message_kind.value,
                "title": texts.label(texts.MESSAGE_KINDS, m.message_kind),
                "text": m.text if len(m.text) <= 300 else m.text[:300] + "…",
                "sender": names.of("employee", m.sender_id) if m.sender_id else "",
                "url": url_for("ui_me.message", message_id=m.id),
            }
            for m in fresh
        ],
    })


# -- personal API tokens ---------------------------------------------------------------------


def _tokens_context(**extra) -> dict:
    return page_context(tab="tokens", tokens=core().auth.api_tokens(actor()), **extra)


@bp.get("/tokens")
@login_required
def tokens():
    return render_template("me/tokens.html", errors={}, values=None, **_tokens_context())


@bp.post("/tokens")
@login_required
def create_token():
    name = form_data().get("name", "")
    try:
        _record, token = core().auth.create_api_token(actor(), actor(), name)
    except ValidationFailed as exc:
        return render_template("me/tokens.html", errors=texts.field_errors(exc.errors),
                               values=form_data(), **_tokens_context()), 422
    # Shown once, in this answer only: never stored in the session or a flash message.
    return render_template("me/tokens.html", errors={}, values=None, new_token=token,
                           **_tokens_context()), 201


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    core().auth.revoke_api_token(actor(), token_id)
    flash(_("The token is revoked."), "success")
    return redirect_to(url_for("ui_me.tokens"))


@bp.get("/history")
@login_required
def history():
    me = _me()
    entries = core().history.of(actor(), me.ref)
    return render_template("me/history.html", tab="history", entries=entries, **page_context())


# -- the home page (AUTH-2) --------------------------------------------------------------------


@bp.post("/home-page")
@login_required
def set_home_page():
    """"Make this my home page": the page (a path of ECRM) opened after signing in; an
    empty path returns to the default (the counterparties page)."""
    path = form_data().get("path", "")
    try:
        saved = core().org.set_home_page(actor(), path)
    except ValidationFailed as exc:
        flash(texts.core_text(exc.errors.get("home_page", exc.message)), "error")
        return redirect_to(url_for("ui_me.personal"))
    if saved:
        flash(_("This page is now your home page: it opens after you sign in."), "success")
    else:
        flash(_("The home page is the counterparties page again."), "success")
    return redirect_to(safe_next(saved) or safe_next(form_data().get("next"))
                       or url_for("ui_me.personal"))
