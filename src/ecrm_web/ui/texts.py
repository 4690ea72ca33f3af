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
    # the workflow engine and money (issue 5)
    N_("a colour like #1e88e5"),
    N_("a final state cannot be left"),
    N_("a number like 1 234,56"),
    N_("a percentage above 0 and at most 100"),
    N_("a price and a discount are not negative"),
    N_("a state cannot lead to itself"),
    N_("a state that is not final needs a way out"),
    N_("above the limit for your role"),
    N_("add at least one field"),
    N_("add at least one state"),
    N_("approval not obtained"),
    N_("at most 2 decimal places"),
    N_("at most 3 decimal places"),
    N_("automatic changes of state do not settle; check the state set"),
    N_("automatic transitions are made by the system: leave the roles empty"),
    N_("automatic transitions must not form a cycle"),
    N_("exactly one state must be initial"),
    N_("must be a list"),
    N_("must be an object"),
    N_("must be more than zero"),
    N_("must not be negative"),
    N_("no such state"),
    N_("not a number"),
    N_("not in a state that allows this"),
    N_("only when the message goes to a role"),
    N_("the code of a state set cannot be changed"),
    N_("the condition is not met"),
    N_("the discount exceeds the line's sum"),
    N_("the initial state cannot be final"),
    N_("the line's sum is too large"),
    N_("the object is in a state its state set does not have"),
    N_("this VAT rate does not apply on the document's date"),
    N_("this change of state is made automatically"),
    N_("this change of state is not allowed from the current state"),
    N_("this transition is already defined"),
    N_("too large"),
    N_("unreachable from the initial state"),
    N_("your role does not allow this change of state"),
    N_("Latin small letters, digits and underscores; starts with a letter"),
    N_("Latin letters, digits, dots and underscores; starts with a letter"),
    N_("required"),
    N_("must be text"),
    N_("must not contain NUL characters"),
    N_("must be valid text (a lone UTF-16 surrogate was sent)"),
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
    N_("only the Director may appoint Sales management"),
    N_("only the Director may remove Sales management"),
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
    # the client base (chapter 5)
    N_("no such catalog"),
    N_("no such counterparty"),
    N_("INN consists of digits only"),
    N_("INN checksum does not match"),
    N_("KPP is 9 characters: 4 digits, 2 digits or letters, 3 digits"),
    N_("OGRN consists of digits only"),
    N_("OGRN has 13 digits"),
    N_("OGRN checksum does not match"),
    N_("OGRNIP has 15 digits"),
    N_("OGRNIP starts with 3"),
    N_("OGRNIP checksum does not match"),
    N_("only legal entities have a KPP"),
    N_("not a phone number"),
    N_("an object of up to 50 simple values"),
    N_("a counterparty cannot be its own parent organisation"),
    N_("a date like 1980-05-31"),
    N_("a date like 2026-01-31"),
    N_("a list of up to 10 values"),
    N_("a PNG, JPEG, GIF or WebP picture"),
    N_("at most 2 MiB"),
    N_("only administrators may delete a card for good"),
    N_("the card is already marked deleted"),
    N_("the card is not marked deleted"),
    N_("the card is linked to other objects; mark it deleted instead"),
    N_("possible duplicates found; open them or save anyway"),
    N_("the EGRUL lookup is not configured (set ECRM_REGISTRY_TOKEN; docs/configuration.md)"),
    # tasks and contacts with clients (§6.1, TASK-1…TASK-8), the home page (AUTH-2)
    N_("a date like 2026-03-31"),
    N_("a time like 14:30"),
    N_("a typical task with this name exists"),
    N_("at most two months after the start"),
    N_("choose the counterparty first"),
    N_("client or employee"),
    N_("employee tasks have no counterparty"),
    N_("no such typical task"),
    N_("not a contact person of this counterparty"),
    N_("only the Director or an Administrator edits reference books"),
    N_("planned or done"),
    N_("the task is already done"),
    N_("the typical task «call» is missing or closed in the reference book"),
    N_("you may not view this task"),
    N_("a page of ECRM (a path starting with /)"),
)

#: Why the state register (EGRUL) could not answer (ecrm_adapters.registries), shown when
#: "Fill from EGRUL by INN" fails (CP-2).
REGISTRY_MESSAGES = (
    N_("the EGRUL service sent an answer ECRM cannot read; try later"),
    N_("the EGRUL service sent an answer ECRM cannot read (too large)"),
    N_("the connection to the EGRUL service broke off; try later"),
    N_("the EGRUL service: request limit reached, try later"),
)

#: Why a file cannot be imported (ecrm_adapters.importing), shown on the upload page.
IMPORT_MESSAGES = (
    N_("a CSV or XLSX file"),
    N_("old Excel .xls files are not read: save it as .xlsx or CSV"),
    N_("not an XLSX workbook (the file is damaged or of another kind)"),
    N_("the file is empty"),
    N_("the file has no header row (no rows at all)"),
    N_("the workbook has no worksheets"),
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
    "contact": lazy_gettext("Contact"),
    "curator_assignment": lazy_gettext("Assignment of a responsible manager"),
    "role_assignment": lazy_gettext("Role"),
    "message": lazy_gettext("Message"),
    "api_token": lazy_gettext("API token"),
    "catalog": lazy_gettext("Catalog"),
    "counterparty": lazy_gettext("Counterparty"),
    "invoice": lazy_gettext("Invoice"),
    "task": lazy_gettext("Task"),
    "task_type": lazy_gettext("Typical task"),
    "escalation_rule": lazy_gettext("Escalation rule"),
    "task_escalation": lazy_gettext("Escalation"),
    "calendar": lazy_gettext("Calendar"),
}

ACTION_LABELS = {
    "view": lazy_gettext("view"),
    "create": lazy_gettext("create"),
    "edit": lazy_gettext("edit"),
    "delete": lazy_gettext("disable or delete"),
    "grant": lazy_gettext("grant roles"),
    "manage_services": lazy_gettext("manage services"),
    "set_availability": lazy_gettext("switch service availability"),
    "assign": lazy_gettext("assign responsible managers"),
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
    "TaskEscalated": lazy_gettext("Escalated"),
    "TaskReminded": lazy_gettext("Reminder sent"),
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
    # the client base (chapter 5)
    "catalog_id": lazy_gettext("Catalog"),
    "curator_id": lazy_gettext("Curator"),
    "type": lazy_gettext("Type"),
    "inn": lazy_gettext("INN"),
    "kpp": lazy_gettext("KPP"),
    "ogrn": lazy_gettext("OGRN / OGRNIP"),
    "legal_address": lazy_gettext("Legal address"),
    "postal_address": lazy_gettext("Postal address"),
    "sms_phone": lazy_gettext("SMS phone"),
    "mailing_email": lazy_gettext("Mailing e-mail"),
    "status": lazy_gettext("Organisation status"),
    "okved": lazy_gettext("OKVED"),
    "head": lazy_gettext("Head of the organisation"),
    "extra": lazy_gettext("Extra attributes"),
    "export_1c": lazy_gettext("Queued for export to 1C"),
    "deleted": lazy_gettext("Marked deleted"),
    "deleted_at": lazy_gettext("Marked deleted at"),
    "saved_despite_duplicates": lazy_gettext("Saved despite possible duplicates"),
    "counterparty_id": lazy_gettext("Counterparty"),
    "birthday": lazy_gettext("Birthday"),
    "phones": lazy_gettext("Phones"),
    "emails": lazy_gettext("E-mails"),
    "note": lazy_gettext("Note"),
    "photo": lazy_gettext("Photo"),
    "q": lazy_gettext("Search"),
    "page": lazy_gettext("Page"),
    "manager_id": lazy_gettext("Manager"),
    "created_from": lazy_gettext("Created from"),
    "created_to": lazy_gettext("Created till"),
    "file": lazy_gettext("File"),
    "employee_confirmed": lazy_gettext("Confirmed by the employee"),
    "head_confirmed": lazy_gettext("Confirmed by the head"),
    # tasks (TASK-1…TASK-8)
    "responsible_id": lazy_gettext("Responsible"),
    "task_type_id": lazy_gettext("Typical task"),
    "due_date": lazy_gettext("Due date"),
    "due_time": lazy_gettext("Time"),
    "due_at": lazy_gettext("Deadline"),
    "what": lazy_gettext("What to do"),
    "result": lazy_gettext("Result"),
    "contact_id": lazy_gettext("Contact person"),
    "remind_minutes": lazy_gettext("Reminder, minutes before"),
    "remind_at": lazy_gettext("Reminder at"),
    "reminded_at": lazy_gettext("Reminded"),
    "done_at": lazy_gettext("Done"),
    "date_from": lazy_gettext("Period from"),
    "date_to": lazy_gettext("Period till"),
    "section": lazy_gettext("Section"),
    "start": lazy_gettext("Start"),
    "end": lazy_gettext("End"),
    "date": lazy_gettext("Date"),
    "delay": lazy_gettext("Delay"),
    "unit": lazy_gettext("Unit"),
    "target": lazy_gettext("Whom to notify"),
    "escalation_rule": lazy_gettext("Escalation rule"),
    "notified": lazy_gettext("Notified"),
    "home_page": lazy_gettext("Home page"),
    "created_by": lazy_gettext("Created by"),
    "created_at": lazy_gettext("Created"),
}

#: Execution of a task (TASK-4) and the Tasks tabs' state filter (TASK-3).
TASK_STATES = {
    "planned": lazy_gettext("planned"),
    "done": lazy_gettext("done"),
    "overdue": lazy_gettext("overdue"),
}

#: The two parts of a personal Tasks tab (TASK-2).
TASK_SECTIONS = {
    "client": lazy_gettext("Client and deal tasks"),
    "employee": lazy_gettext("Employee tasks"),
}

#: Escalation rules (TASK-7).
DELAY_UNITS = {
    "hours": lazy_gettext("hours"),
    "working_days": lazy_gettext("working days"),
}

ESCALATION_TARGETS = {
    "responsible": lazy_gettext("the responsible employee"),
    "head": lazy_gettext("their head"),
    "director": lazy_gettext("the Director"),
}

#: Field names of a counterparty's card where they differ from the general ones.
CARD_FIELD_LABELS = {
    **FIELD_LABELS,
    "name": lazy_gettext("Short name"),
    "full_name": lazy_gettext("Full legal name"),
    "parent_id": lazy_gettext("Parent organisation"),
    "head_id": lazy_gettext("Head"),
}

COUNTERPARTY_TYPES = {
    "legal_entity": lazy_gettext("Legal entity"),
    "individual": lazy_gettext("Individual"),
    "sole_proprietor": lazy_gettext("Sole proprietor"),
}

ORGANISATION_STATUSES = {
    "active": lazy_gettext("active"),
    "liquidating": lazy_gettext("liquidating"),
    "liquidated": lazy_gettext("liquidated"),
    "bankrupt": lazy_gettext("bankrupt"),
    "reorganising": lazy_gettext("reorganising"),
    "unknown": lazy_gettext("unknown"),
}

#: Why a card looks like a duplicate (CP-3).
DUPLICATE_REASONS = {
    "inn": lazy_gettext("the same INN"),
    "branch": lazy_gettext("the same INN with another KPP: a branch"),
    "phone": lazy_gettext("the same phone"),
    "email": lazy_gettext("the same e-mail"),
    "name": lazy_gettext("a near-identical name"),
}

#: What links to a card when a hard delete is refused (CP-12).
LINK_LABELS = {
    "related_clients": lazy_gettext("related clients"),
    "contacts": lazy_gettext("contacts"),
    "curator_assignments": lazy_gettext("assignments of responsible managers"),
    "roles": lazy_gettext("roles on the card"),
    "messages": lazy_gettext("messages about the card"),
    "tasks": lazy_gettext("tasks about the card"),
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
    (re.compile(r"^states in use cannot be removed: (.*)$"),
     N_("states in use cannot be removed: %(states)s"), (("states", _same),)),
    (re.compile(r"^at most (\d+) items$"), N_("at most %(n)s items"), (("n", _same),)),
    (re.compile(r"^a whole number from (\d+) to (\d+)$"),
     N_("a whole number from %(low)s to %(high)s"), (("low", _same), ("high", _same))),
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
    (re.compile(r"^INN of this type has (\d+) digits$"),
     N_("INN of this type has %(n)s digits"), (("n", _same),)),
    (re.compile(r"^type at least (\d+) letters$"),
     N_("type at least %(n)s letters or digits"), (("n", _same),)),
    (re.compile(r"^not a phone number: (.*)$"), N_("not a phone number: %(value)s"),
     (("value", _same),)),
    (re.compile(r"^not a valid e-mail address: (.*)$"),
     N_("not a valid e-mail address: %(value)s"), (("value", _same),)),
    (re.compile(r"^no column gives the name"),
     N_("no column gives the name: choose the column of the name"), ()),
    (re.compile(r"^row (\d+): the text is not (\S+); give the file's encoding$"),
     N_("row %(n)s: the text is not in %(encoding)s; save the file as UTF-8"),
     (("n", _same), ("encoding", _same))),
    (re.compile(r"^row (\d+): (.*)$"), N_("row %(n)s: %(error)s"),
     (("n", _same), ("error", _same))),
    (re.compile(r"^cannot read the file: (.*)$"), N_("cannot read the file: %(error)s"),
     (("error", _same),)),
    (re.compile(r"^not a readable XLSX workbook \((.*)\)$"),
     N_("not a readable XLSX workbook (%(error)s)"), (("error", _same),)),
    (re.compile(r"^the workbook is damaged: (.*)$"), N_("the workbook is damaged: %(error)s"),
     (("error", _same),)),
    (re.compile(r"^cannot reach the EGRUL service \((.*)\); try later$"),
     N_("cannot reach the EGRUL service (%(reason)s); try later"), (("reason", _same),)),
    (re.compile(r"^the EGRUL service did not answer within (\S+) seconds; try later$"),
     N_("the EGRUL service did not answer within %(n)s seconds; try later"),
     (("n", _same),)),
    (re.compile(r"^the EGRUL service refused the key \(HTTP (\d+)\); check ECRM_REGISTRY_TOKEN$"),
     N_("the EGRUL service refused the key (HTTP %(code)s); check ECRM_REGISTRY_TOKEN"),
     (("code", _same),)),
    (re.compile(r"^the EGRUL service is failing \(HTTP (\d+)\); try later$"),
     N_("the EGRUL service is failing (HTTP %(code)s); try later"), (("code", _same),)),
    (re.compile(r"^the EGRUL service rejected the request \(HTTP (\d+)\); "
                r"check ECRM_REGISTRY_URL$"),
     N_("the EGRUL service rejected the request (HTTP %(code)s); check ECRM_REGISTRY_URL"),
     (("code", _same),)),
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


_EXACT = (frozenset(CORE_MESSAGES) | frozenset(HTTP_MESSAGES) | frozenset(REGISTRY_MESSAGES)
          | frozenset(IMPORT_MESSAGES))


def field_errors(errors: dict[str, str]) -> dict[str, str]:
    """ValidationFailed.errors in the user's language."""
    return {str(k): core_text(v) for k, v in errors.items()}


# issue 5: sales documents ------------------------------------------------------------------
# Contracts, requests, invoices, payments, acts and documents (CON, REQ, INV, DOC-1), the
# attribute sets they carry, and the reference books they read (goods, prices, client
# types, company requisites): the core's messages, names of codes and field labels.

SALES_MESSAGES = (
    N_("PDF, images, Word/Excel/OpenDocument, RTF, text or CSV files only"),
    N_("an invoice of another client"),
    N_("the invoice's total is too large"),
    N_("a value is out of the range the database keeps"),
    N_("a contract of another client"),
    N_("a pattern like {year}-{seq:05d} (at most 60 characters)"),
    N_("a signed contract needs the date it was signed"),
    N_("an IP address like 192.0.2.10 (or 192.0.2.0/24)"),
    N_("choose a file"),
    N_("no free number: check the number pattern"),
    N_("no price for this item on the invoice's date: enter one"),
    N_("no such attribute"),
    N_("no such contract"),
    N_("no such contract type"),
    N_("no such invoice"),
    N_("no such item"),
    N_("no such price type"),
    N_("no such service kind"),
    N_("no such client type"),
    N_("not a contact of this client"),
    N_("not a contract of the request's client"),
    N_("not a contract of this client"),
    N_("not a document of this contract"),
    N_("not an invoice of this client"),
    N_("only a draft contract with nothing under it can be deleted"),
    N_("only a draft invoice with nothing under it can be deleted; cancel it instead"),
    N_("only a draft invoice's lines and terms can be changed; return it to draft first"),
    N_("only {seq} takes a width, like {seq:05d}"),
    N_("only {year}, {month}, {seq} and {type} may be used"),
    N_("the pattern must contain {seq}"),
    N_("unbalanced braces"),
    N_("payments are registered against an issued invoice, not a draft or a closed one"),
    N_("series and number like 4510 123456"),
    N_("the invoice is closed: its payments stay"),
    N_("the file is empty"),
    # the reference books the documents read (goods, prices, company requisites)
    N_("a code cannot be changed"),
    N_("a group cannot go inside itself"),
    N_("must be after the first day"),
    N_("no such VAT rate"),
    N_("no such group"),
    N_("one of: goods, service, work"),
    N_("only the Director, an Administrator or Sales management sets prices"),
    N_("the group is not empty: move or delete what is in it first"),
    N_("BIK has 9 digits and starts with 04"),
    N_("an account has 20 digits"),
    N_("the account does not match the bank's BIK"),
    N_("no such requisite"),
)

PATTERNS = PATTERNS + (
    (re.compile(r"^at most (\d+) lines$"), N_("at most %(n)s lines"), (("n", _same),)),
    (re.compile(r"^at most (\d+) MB$"), N_("at most %(n)s MB"), (("n", _same),)),
    (re.compile(r"^at most (\d+) attributes$"), N_("at most %(n)s attributes"),
     (("n", _same),)),
    (re.compile(r"^a list of up to (\d+) names$"), N_("a list of up to %(n)s names"),
     (("n", _same),)),
    (re.compile(r"^overlaps the price from (\S+) to (\S+)$"),
     N_("overlaps the price from %(start)s to %(end)s"), (("start", _same), ("end", _same))),
    (re.compile(r"^overlaps the price from (\S+)$"), N_("overlaps the price from %(start)s"),
     (("start", _same),)),
)

_EXACT = _EXACT | frozenset(SALES_MESSAGES)

KIND_LABELS.update({
    "contract": lazy_gettext("Contract"),
    "contract_type": lazy_gettext("Contract type"),
    "request": lazy_gettext("Request"),
    "payment": lazy_gettext("Payment"),
    "act": lazy_gettext("Act"),
    "document": lazy_gettext("Document"),
    "settlement": lazy_gettext("Settlement"),
    "state_set": lazy_gettext("State set"),
    "item": lazy_gettext("Item"),
    "item_group": lazy_gettext("Item group"),
    "service_kind": lazy_gettext("Service kind"),
    "price_type": lazy_gettext("Price type"),
    "client_type": lazy_gettext("Client type"),
    "price": lazy_gettext("Price"),
})

HISTORY_ACTIONS.setdefault("StateChanged", lazy_gettext("State changed"))

#: Field names of the sales documents (forms, history, error summaries).
SALES_FIELD_LABELS = {
    "contract": lazy_gettext("Contract"),
    "request": lazy_gettext("Request"),
    "invoice": lazy_gettext("Invoice"),
    "payment": lazy_gettext("Payment"),
    "act": lazy_gettext("Act"),
    "document": lazy_gettext("Document"),
    "client_type_id": lazy_gettext("Client type"),
    "contract_type_id": lazy_gettext("Contract type"),
    "contract_id": lazy_gettext("Contract"),
    "invoice_id": lazy_gettext("Invoice"),
    "request_kind": lazy_gettext("Kind of request"),
    "number": lazy_gettext("Number"),
    "subject": lazy_gettext("Subject"),
    "signed_on": lazy_gettext("Signed on"),
    "draft": lazy_gettext("Draft"),
    "attributes": lazy_gettext("Attributes"),
    "document_id": lazy_gettext("Electronic copy"),
    "author_id": lazy_gettext("Author"),
    "assignee_id": lazy_gettext("Assignee"),
    "service_kind_id": lazy_gettext("Service kind"),
    "conditions": lazy_gettext("Service conditions"),
    "due_on": lazy_gettext("Due date"),
    "transition": lazy_gettext("Transition"),
    "automatic": lazy_gettext("Made by the system"),
    "to_state": lazy_gettext("New state"),
    "issued_on": lazy_gettext("Invoice date"),
    "price_type_id": lazy_gettext("Price type"),
    "vat_included": lazy_gettext("VAT included in the prices"),
    "lines": lazy_gettext("Lines"),
    # conditions of the invoice's state set (workflow.services), named by a blocked
    # transition
    "unpaid": lazy_gettext("No payments registered"),
    "partly_paid": lazy_gettext("Paid in part"),
    "paid_in_full": lazy_gettext("Paid in full"),
    "total": lazy_gettext("Total"),
    "vat": lazy_gettext("VAT"),
    "paid": lazy_gettext("Paid"),
    "requisites": lazy_gettext("Requisites"),
    "contact_name": lazy_gettext("Contact person"),
    "amount": lazy_gettext("Amount"),
    "paid_on": lazy_gettext("Payment date"),
    "planned": lazy_gettext("Planned"),
    "reference": lazy_gettext("Payment reference"),
    "act_on": lazy_gettext("Act date"),
    "filename": lazy_gettext("File name"),
    "content_type": lazy_gettext("File type"),
    "size": lazy_gettext("Size"),
    "item_id": lazy_gettext("Item"),
    "quantity": lazy_gettext("Quantity"),
    "discount": lazy_gettext("Discount"),
    "vat_rate": lazy_gettext("VAT rate"),
}
for _labels in (FIELD_LABELS, CARD_FIELD_LABELS):
    for _key, _text in SALES_FIELD_LABELS.items():
        _labels.setdefault(_key, _text)

#: The client's settlement status (CP-13, CON-4).
SETTLEMENT_STATUSES = {
    "none": lazy_gettext("no invoices"),
    "paid": lazy_gettext("paid"),
    "debt": lazy_gettext("debt"),
    "prepaid": lazy_gettext("prepaid"),
}

#: Where a request lives (REQ-1).
REQUEST_KINDS = {
    "internal": lazy_gettext("internal"),
    "counterparty": lazy_gettext("for a client"),
    "invoice": lazy_gettext("by an invoice"),
}

#: What a document is attached to (DOC-1).
DOCUMENT_OWNERS = {
    "counterparty": lazy_gettext("Counterparty"),
    "contract": lazy_gettext("Contract"),
    "invoice": lazy_gettext("Invoice"),
    "request": lazy_gettext("Request"),
}


# issue 5: reference books ------------------------------------------------------------------
# The administrator's pages of the nomenclature, service kinds, price and client types,
# contract types, state sets and the company's requisites (ecrm_web.ui.books); the
# messages their use cases raise that the block above does not list yet.

BOOK_MESSAGES = (
    N_("add at least one choice"),
    N_("only a choice attribute has choices"),
    #: the state set's JSON (the advanced mode) is not JSON
    N_("not valid JSON"),
)

_EXACT = _EXACT | frozenset(BOOK_MESSAGES)

#: What a nomenclature item is (PRD-3).
ITEM_KINDS = {
    "goods": lazy_gettext("goods"),
    "service": lazy_gettext("service"),
    "work": lazy_gettext("work"),
}

#: Types of the attributes an attribute set defines (PRD-1, REQ-2, CON-1).
ATTRIBUTE_TYPES = {
    "text": lazy_gettext("Text"),
    "number": lazy_gettext("Numeric"),
    "date": lazy_gettext("Date"),
    "flag": lazy_gettext("Yes or no"),
    "choice": lazy_gettext("Choice from a list"),
    "email": lazy_gettext("E-mail"),
    "phone": lazy_gettext("Phone"),
    "ip_address": lazy_gettext("IP address"),
    "passport": lazy_gettext("Passport (series and number)"),
}

#: The company's requisites printed on invoices.
REQUISITE_LABELS = {
    "full_name": lazy_gettext("Full legal name"),
    "inn": lazy_gettext("INN"),
    "kpp": lazy_gettext("KPP"),
    "ogrn": lazy_gettext("OGRN / OGRNIP"),
    "address": lazy_gettext("Address"),
    "phone": lazy_gettext("Phone"),
    "bank": lazy_gettext("Bank"),
    "bik": lazy_gettext("BIK"),
    "account": lazy_gettext("Settlement account"),
    "corr_account": lazy_gettext("Correspondent account"),
    "director": lazy_gettext("Director"),
    "accountant": lazy_gettext("Chief accountant"),
}

#: Field names of the reference books (forms, error summaries).
BOOK_FIELD_LABELS = {
    "item_kind": lazy_gettext("Kind of item"),
    "group_id": lazy_gettext("Group"),
    "article": lazy_gettext("Article"),
    "template": lazy_gettext("Template lines"),
    "card": lazy_gettext("Card fields"),
    "valid_from": lazy_gettext("Valid from"),
    "valid_to": lazy_gettext("Valid until"),
    "number_pattern": lazy_gettext("Number pattern"),
    "states": lazy_gettext("States"),
    "transitions": lazy_gettext("Transitions"),
    "definition": lazy_gettext("Definition (JSON)"),
    **{f"requisites.{k}": v for k, v in REQUISITE_LABELS.items()},
}
for _key, _text in BOOK_FIELD_LABELS.items():
    FIELD_LABELS.setdefault(_key, _text)


# issue 6: deals ----------------------------------------------------------------------------
# Deal templates, deals, the pipeline board, the forecast and the working-days calendar
# (DEAL-1…DEAL-4, RPT-4; ecrm_web.ui.deals): the core's messages, names of codes, labels.

DEAL_MESSAGES = (
    N_("a year from 1900 to 2999"),
    N_("before the start of the period"),
    N_("no such active deal template"),
    N_("no such direction"),
    N_("not a deal of this client"),
    N_("the deal is closed"),
    N_("the template asks for no such approval"),
    N_("you see the figures of your own deals only"),
    N_("only a deal in its first state with nothing under it can be deleted; close it as "
       "lost instead"),
    N_("required in this state"),
    N_("no such field or attribute of the deal"),
    N_("a deal has no linked objects: use a condition"),
    #: an amount limit of a deal template may only name the deal's amount
    N_("amount"),
    # the workflow engine's settings of deal templates (DEAL-2, DEAL-4)
    N_("give the norm in hours or in working days, not both"),
    N_("only a final state is won or lost"),
    N_("the responsible employee or their head"),
    N_("an amount above 0"),
    # a deal template's state set is edited with its template only (DEAL-1)
    N_("a deal template's states are made with the template"),
    N_("a deal template's states are edited with the template"),
)

#: Core messages of customer orders (ecrm_core.orders, ORD-1…ORD-3), listed here so that
#: the catalog stays complete (test_ui_i18n); the orders UI adds its own words.
ORDER_CORE_MESSAGES = (
    N_("add at least one step"),
    N_("an order goes to approval by submitting it along a route"),
    N_("name a role or an employee (one of the two)"),
    N_("no such active route"),
    N_("one of: package, equipment, work"),
    N_("only a draft order is submitted for approval"),
    N_("only a draft order never submitted can be deleted; cancel it instead"),
    N_("only a draft order's lines and terms can be changed"),
    N_("only a hand-off the billing system refused is made again"),
    N_("required: package, equipment or work"),
    N_("the approval round is over"),
    N_("the hand-off is not waiting to be sent"),
    N_("the order is not waiting for approval"),
    N_("the order's total is too large"),
    N_("this step of the approval has been answered already"),
    N_("you do not answer the current step of this approval"),
)

_EXACT = _EXACT | frozenset(DEAL_MESSAGES) | frozenset(ORDER_CORE_MESSAGES)

KIND_LABELS.update({
    "deal": lazy_gettext("Deal"),
    "deal_template": lazy_gettext("Deal template"),
    "deal_stage": lazy_gettext("Stay in a state"),
    "deal_payment": lazy_gettext("Planned payment"),
    "deal_escalation": lazy_gettext("Notice of a deal over its norm"),
    "calendar_day": lazy_gettext("Day of the working calendar"),
})

#: The conditions a deal template's states and transitions may ask for (DEAL-2), as a
#: refusal names them.
DEAL_CONDITIONS = {
    "document_attached": lazy_gettext("A document is attached to the deal"),
    "invoice_issued": lazy_gettext("An invoice is issued for the deal"),
    "invoice_paid": lazy_gettext("An invoice of the deal is paid"),
}

#: What a closed deal came to (DEAL-3).
DEAL_OUTCOMES = {
    "won": lazy_gettext("won"),
    "lost": lazy_gettext("lost"),
}

#: Whom a task planned on entering a state is for (DEAL-2).
DEAL_TASK_WHO = {
    "responsible": lazy_gettext("the deal manager"),
    "head": lazy_gettext("the manager's head"),
}

#: Field names of deals and deal templates (forms, history, refusals).
DEAL_FIELD_LABELS = {
    "template_id": lazy_gettext("Deal template"),
    "name": lazy_gettext("Name"),
    "amount": lazy_gettext("Amount of the deal"),
    "expected_close_on": lazy_gettext("Expected close date"),
    "project_id": lazy_gettext("Direction (project)"),
    "manager_id": lazy_gettext("Deal manager"),
    "contact_id": lazy_gettext("Contact person"),
    "approvals": lazy_gettext("Approvals obtained"),
    "approval": lazy_gettext("Approval"),
    "probability": lazy_gettext("Win probability"),
    "outcome": lazy_gettext("Outcome"),
    "close_reason": lazy_gettext("Reason of closing"),
    "closed_at": lazy_gettext("Closed"),
    "state_entered_at": lazy_gettext("In the state since"),
    "due_in_state": lazy_gettext("Norm of the state ends"),
    "head_after_days": lazy_gettext("Tell the head after, working days"),
    "norm_days": lazy_gettext("Norm, working days"),
    "attributes": lazy_gettext("Attributes of the deal"),
    "deal": lazy_gettext("Deal"),
    "deal_id": lazy_gettext("Deal"),
    "day": lazy_gettext("Day"),
    "working": lazy_gettext("Working day"),
    "year": lazy_gettext("Year"),
    "months": lazy_gettext("Months"),
    "close_from": lazy_gettext("Close from"),
    "close_to": lazy_gettext("Close till"),
    **DEAL_CONDITIONS,
}
for _labels in (FIELD_LABELS, CARD_FIELD_LABELS):
    for _key, _text in DEAL_FIELD_LABELS.items():
        _labels.setdefault(_key, _text)


# issue 6: customer orders ------------------------------------------------------------------
# The orders' faces (ecrm_web.ui.orders, ORD-1…ORD-3): the core's messages the list above
# lacks, those with values in them, the kinds an order's history and messages name, and
# the fields of a client's history and of the forms' general messages.

ORDER_MESSAGES = (
    N_("orders were submitted along this route: deactivate it instead"),
)

PATTERNS = PATTERNS + (
    (re.compile(r"^at most (\d+) steps$"), N_("at most %(n)s steps"), (("n", _same),)),
    (re.compile(r"^nobody can answer step (.+) of this route$"),
     N_("nobody can answer step %(steps)s of this route"), (("steps", _same),)),
)

_EXACT = _EXACT | frozenset(ORDER_MESSAGES)

KIND_LABELS.update({
    "order": lazy_gettext("Customer order"),
    "approval_route": lazy_gettext("Approval route"),
    "approval_round": lazy_gettext("Approval round"),
    "billing_handoff": lazy_gettext("Billing hand-off"),
})

#: Field names of orders and approval routes (forms' general messages, a client's history).
ORDER_FIELD_LABELS = {
    "order": lazy_gettext("Customer order"),
    "ordered_on": lazy_gettext("Order date"),
    "route_id": lazy_gettext("Approval route"),
    "steps": lazy_gettext("Steps"),
    "approve": lazy_gettext("Decision"),
    "one_time_total": lazy_gettext("One-time total"),
    "monthly_total": lazy_gettext("Monthly total"),
}
for _labels in (FIELD_LABELS, CARD_FIELD_LABELS):
    for _key, _text in ORDER_FIELD_LABELS.items():
        _labels.setdefault(_key, _text)
#: a client's history names its orders under "order" (a state's "order" elsewhere)
CARD_FIELD_LABELS["order"] = ORDER_FIELD_LABELS["order"]
