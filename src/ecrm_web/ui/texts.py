"""Words the UI shows for the core's codes and messages (UI-5).

The core speaks English (field messages of ValidationFailed, Forbidden, NotFound, …);
every message it raises is listed here once so that ``pybabel extract`` puts it in the
catalog, and ``core_text`` turns a core message into the user's language — exact
messages through gettext, messages with values in them through the patterns below."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext, lazy_gettext


def N_(text: str) -> str:
    """Marks a msgid for extraction; translated later by ``core_text``."""
    return text


#: Messages the core raises word for word (grep ecrm_core for them).
CORE_MESSAGES = (
    N_("required"),
    N_("must be text"),
    N_("must not contain NUL characters"),
    N_("must be an id (a whole number)"),
    N_("must be true or false"),
    N_("must be a whole number"),
    N_("not a valid e-mail address"),
    N_("unknown time zone (e.g. Europe/Moscow)"),
    N_("no such department"),
    N_("no such employee"),
    N_("no such active employee"),
    N_("no such project"),
    N_("no such service type"),
    N_("this login is taken"),
    N_("this code is taken"),
    N_("2–64 Latin letters, digits, dots, dashes, underscores or @; "
       "starts with a letter or digit"),
    N_("at most 256 characters"),
    N_("the current password is wrong"),
    N_("an employee cannot be their own head"),
    N_("you cannot disable yourself"),
    N_("a department cannot be placed inside itself"),
    N_("the service is already closed"),
    N_("the service is already active"),
    N_("a closed service cannot be available"),
    N_("this service type is closed"),
    N_("this service is already active"),
    N_("services belong to departments, projects or employees"),
    N_("the company must keep at least one active Director"),
    N_("the company must keep an active Director"),
    N_("only a Director may change a Director's account"),
    N_("this message is not a confirmation request"),
    N_("this request has already been answered"),
    N_("give a reason for the refusal"),
    N_("the company is already registered"),
    N_("only the Director may appoint a Director"),
    N_("only the Director may remove a Director"),
    N_("only the recipient may answer this request"),
    N_("this message is addressed to someone else"),
    N_("you may create tokens only for yourself"),
    N_("you may revoke only your own tokens"),
    N_("your account is disabled"),
    N_("not allowed"),
    N_("the object was changed by someone else"),
    N_("the object was changed by someone else; reload it and repeat your change"),
    N_("the database is busy; repeat your change"),
    N_("wrong login or password"),
)

#: Descriptions of HTTP errors (werkzeug) and CSRF refusals (Flask-WTF) shown on error pages.
HTTP_MESSAGES = (
    N_("The browser (or proxy) sent a request that this server could not understand."),
    N_("You don't have the permission to access the requested resource. It is either "
       "read-protected or not readable by the server."),
    N_("The requested URL was not found on the server. If you entered the URL manually "
       "please check your spelling and try again."),
    N_("The method is not allowed for the requested URL."),
    N_("The data value transmitted exceeds the capacity limit."),
    N_("The CSRF token is missing."),
    N_("The CSRF session token is missing."),
    N_("The CSRF token has expired."),
    N_("The CSRF token is invalid."),
    N_("The CSRF tokens do not match."),
)

ROLE_LABELS = {
    "director": lazy_gettext("Director"),
    "administrator": lazy_gettext("Administrator"),
    "catalog_curator": lazy_gettext("Catalog curator"),
    "client_manager": lazy_gettext("Client manager"),
    "invoice_manager": lazy_gettext("Invoice manager"),
    "management": lazy_gettext("Management"),
    "sales_management": lazy_gettext("Sales management"),
    "project_leader": lazy_gettext("Project leader"),
}

KIND_LABELS = {
    "company": lazy_gettext("Company"),
    "department": lazy_gettext("Department"),
    "project": lazy_gettext("Project"),
    "employee": lazy_gettext("Employee"),
    "service_type": lazy_gettext("Service type"),
    "service": lazy_gettext("Service"),
    "role_assignment": lazy_gettext("Role"),
    "message": lazy_gettext("Message"),
    "api_token": lazy_gettext("API token"),
    "catalog": lazy_gettext("Catalog"),
    "counterparty": lazy_gettext("Counterparty"),
    "invoice": lazy_gettext("Invoice"),
}

ACTION_LABELS = {
    "view": lazy_gettext("view"),
    "create": lazy_gettext("create"),
    "edit": lazy_gettext("edit"),
    "delete": lazy_gettext("disable or delete"),
    "grant": lazy_gettext("grant roles"),
    "manage_services": lazy_gettext("manage services"),
    "set_availability": lazy_gettext("switch service availability"),
}

MESSAGE_KINDS = {
    "notification": lazy_gettext("Notification"),
    "confirmation": lazy_gettext("Confirmation request"),
    "reminder": lazy_gettext("Reminder"),
}

CONFIRMATION_STATES = {
    "pending": lazy_gettext("Awaiting answer"),
    "confirmed": lazy_gettext("Confirmed"),
    "refused": lazy_gettext("Refused"),
}

SERVICE_STATES = {
    "active": lazy_gettext("Active"),
    "closed": lazy_gettext("Closed"),
}

HISTORY_ACTIONS = {
    "ObjectCreated": lazy_gettext("Created"),
    "ObjectChanged": lazy_gettext("Changed"),
    "ObjectDeleted": lazy_gettext("Deleted"),
    "LoginLocked": lazy_gettext("Login locked after failed attempts"),
    "RoleGranted": lazy_gettext("Role granted"),
    "RoleRevoked": lazy_gettext("Role revoked"),
    "MessageCreated": lazy_gettext("Message sent"),
    "ConfirmationAnswered": lazy_gettext("Request answered"),
}

#: Field names (forms, history, error summaries).
FIELD_LABELS = {
    "name": lazy_gettext("Name"),
    "description": lazy_gettext("Description"),
    "parent_id": lazy_gettext("Parent department"),
    "head_id": lazy_gettext("Head"),
    "login": lazy_gettext("Login"),
    "password": lazy_gettext("Password"),
    "password_hash": lazy_gettext("Password"),
    "current_password": lazy_gettext("Current password"),
    "full_name": lazy_gettext("Full name"),
    "email": lazy_gettext("E-mail"),
    "phone": lazy_gettext("Phone"),
    "position": lazy_gettext("Position"),
    "department_id": lazy_gettext("Department"),
    "locale": lazy_gettext("Language"),
    "timezone": lazy_gettext("Time zone"),
    "active": lazy_gettext("Active"),
    "version": lazy_gettext("Version"),
    "code": lazy_gettext("Code"),
    "state": lazy_gettext("State"),
    "available": lazy_gettext("Available"),
    "opened_at": lazy_gettext("Opened"),
    "closed_at": lazy_gettext("Closed"),
    "service_type_id": lazy_gettext("Service type"),
    "owner": lazy_gettext("Owner"),
    "owner_kind": lazy_gettext("Owner type"),
    "owner_id": lazy_gettext("Owner"),
    "role": lazy_gettext("Role"),
    "employee_id": lazy_gettext("Employee"),
    "scope": lazy_gettext("Scope"),
    "scope_kind": lazy_gettext("Scope type"),
    "scope_id": lazy_gettext("Scope"),
    "project_id": lazy_gettext("Project"),
    "revoked_at": lazy_gettext("Revoked"),
    "message_kind": lazy_gettext("Message kind"),
    "recipient_id": lazy_gettext("Recipient"),
    "text": lazy_gettext("Text"),
    "reason": lazy_gettext("Reason"),
    "message": lazy_gettext("Message"),
    "answered_at": lazy_gettext("Answered"),
    "read_at": lazy_gettext("Read"),
    "company_name": lazy_gettext("Company name"),
}


def label(mapping: dict, code: object) -> str:
    """The label of a code, or the code itself when there is none."""
    key = getattr(code, "value", code)
    found = mapping.get(key)
    return str(found) if found is not None else ("" if key is None else str(key))


def _kind(value: str) -> str:
    return label(KIND_LABELS, value)


def _role(value: str) -> str:
    return label(ROLE_LABELS, value.strip("'\""))


def _kinds(value: str) -> str:
    return ", ".join(_kind(v.strip()) for v in value.split(","))


def _same(value: str) -> str:
    return value


#: (pattern, msgid, converters of the groups) for messages with values in them.
PATTERNS: tuple[tuple[re.Pattern, str, tuple[tuple[str, Callable[[str], str]], ...]], ...] = (
    (re.compile(r"^at most (\d+) characters$"), N_("at most %(n)s characters"),
     (("n", _same),)),
    (re.compile(r"^at least (\d+) characters$"), N_("at least %(n)s characters"),
     (("n", _same),)),
    (re.compile(r"^one of: (.*)$"), N_("one of: %(values)s"), (("values", _same),)),
    (re.compile(r"^unknown role (.*); one of: .*$"), N_("unknown role %(role)s"),
     (("role", _same),)),
    (re.compile(r"^role (\w+) is granted on: (.*), not on (\w+)$"),
     N_("the role %(role)s is granted only on: %(allowed)s (not on: %(kind)s)"),
     (("role", _role), ("allowed", _kinds), ("kind", _kind))),
    (re.compile(r"^no such (\w+)$"), N_("no such object: %(kind)s"), (("kind", _kind),)),
    (re.compile(r"^you may not (\w+) (\w+) here$"),
     N_("you may not do this here (%(action)s: %(kind)s)"),
     (("action", lambda v: label(ACTION_LABELS, v)), ("kind", _kind))),
    (re.compile(r"^(\w+) (\S+) not found$"), N_("not found: %(kind)s %(key)s"),
     (("kind", _kind), ("key", _same))),
    (re.compile(r"^the change clashes with existing data"),
     N_("the change clashes with existing data"), ()),
)


def core_text(message: object) -> str:
    """A core message (English) in the user's language."""
    text = " ".join(("" if message is None else str(message)).split())
    if text in _EXACT:
        return gettext(text)
    for pattern, msgid, converters in PATTERNS:
        found = pattern.match(text)
        if found:
            values = {name: convert(group) for (name, convert), group
                      in zip(converters, found.groups(), strict=False)}
            return gettext(msgid, **values) if values else gettext(msgid)
    return gettext(text) if text else ""


_EXACT = frozenset(CORE_MESSAGES) | frozenset(HTTP_MESSAGES)


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    """ValidationFailed.errors in the user's language."""
    return {str(k): core_text(v) for k, v in errors.items()}
