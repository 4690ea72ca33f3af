"""The endpoints of /api/v1. Each view parses the request, calls one core service and
presents the result; rules (who may, what is valid) live in the services, and their
errors become JSON through ``ecrm_web.errors`` (422 / 403 / 404 / 409)."""

from __future__ import annotations

import io

from flask import current_app, jsonify, make_response, request, send_file, url_for
from flask_wtf.csrf import generate_csrf

from ecrm_core.application import Application
from ecrm_core.counterparties.model import COUNTERPARTY
from ecrm_core.deals.services import BOARD_CARDS
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import NotFound, ValidationFailed
from ecrm_core.kernel.fields import Fields
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.products.services import PAGE as ITEM_PAGE
from ecrm_web.api import bp, present
from ecrm_web.api.inputs import (
    BadBody,
    Query,
    json_body,
    parse_ref,
    path_id,
    path_kind,
    require,
)
from ecrm_web.api.openapi import document
from ecrm_web.api.security import actor, actor_id, authenticate

bp.before_request(authenticate)


@bp.errorhandler(BadBody)
def _bad_body(error: BadBody):
    return jsonify({"error": "bad_request", "message": f"body: {error.message}",
                    "fields": {"body": error.message}}), 400


def core() -> Application:
    return current_app.extensions["ecrm"].app


def created(body: dict, endpoint: str | None = None, **values):
    """201, with the new object's address when it has one of its own."""
    response = jsonify(body)
    response.status_code = 201
    if endpoint is not None:
        response.headers["Location"] = url_for(endpoint, **values)
    return response


def no_content():
    return "", 204


# -- the document and the session helpers ------------------------------------------


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/csrf-token")
def csrf_token():
    return {"csrf_token": generate_csrf()}


# -- me ----------------------------------------------------------------------------


@bp.get("/me")
def me():
    return present.employee(actor())


@bp.patch("/me")
def update_me():
    data = json_body()
    require(data, "version")
    return present.employee(core().org.update_employee(actor_id(), actor_id(), data))


@bp.post("/me/password")
def change_my_password():
    data = json_body()
    core().org.set_password(actor_id(), actor_id(), data.get("password"),
                            current_password=data.get("current_password"))
    return no_content()


# -- the company ---------------------------------------------------------------------


@bp.get("/company")
def company():
    found = core().org.company()
    if found is None:
        raise NotFound(refs.COMPANY, "-")
    return present.company(found)


@bp.patch("/company")
def update_company():
    data = json_body()
    require(data, "version")
    return present.company(core().org.rename_company(actor_id(), data))


# -- employees (ORG-4) -------------------------------------------------------------------


@bp.get("/employees")
def employees():
    query = Query()
    filters = {
        "department_id": query.ident("department_id"),
        "active": query.flag("active"),
        "full_name__icontains": query.text("q"),
    }
    query.check()
    found = core().org.employees(
        actor_id(), **{k: v for k, v in filters.items() if v is not None}
    )
    return present.items(found, present.employee)


@bp.get("/employees/<employee_id>")
def employee(employee_id: str):
    return present.employee(core().org.employee(actor_id(), path_id(employee_id, "employee_id")))


@bp.post("/employees")
def add_employee():
    added = core().org.add_employee(actor_id(), json_body())
    return created(present.employee(added), "api.employee", employee_id=added.id)


@bp.patch("/employees/<employee_id>")
def update_employee(employee_id: str):
    ident = path_id(employee_id, "employee_id")
    data = json_body()
    require(data, "version")
    return present.employee(core().org.update_employee(actor_id(), ident, data))


@bp.post("/employees/<employee_id>/password")
def set_employee_password(employee_id: str):
    ident = path_id(employee_id, "employee_id")
    data = json_body()
    core().org.set_password(actor_id(), ident, data.get("password"),
                            current_password=data.get("current_password"))
    return no_content()


@bp.post("/employees/<employee_id>/disable")
def disable_employee(employee_id: str):
    ident = path_id(employee_id, "employee_id")
    return present.employee(core().org.set_active(actor_id(), ident, False))


@bp.post("/employees/<employee_id>/enable")
def enable_employee(employee_id: str):
    ident = path_id(employee_id, "employee_id")
    return present.employee(core().org.set_active(actor_id(), ident, True))


# -- departments (ORG-2) -----------------------------------------------------------------


@bp.get("/departments")
def departments():
    return present.items(core().org.departments(actor_id()), present.department)


@bp.get("/departments/<department_id>")
def department(department_id: str):
    ident = path_id(department_id, "department_id")
    return present.department(core().org.department(actor_id(), ident))


@bp.post("/departments")
def create_department():
    dep = core().org.create_department(actor_id(), json_body())
    return created(present.department(dep), "api.department", department_id=dep.id)


@bp.patch("/departments/<department_id>")
def update_department(department_id: str):
    ident = path_id(department_id, "department_id")
    data = json_body()
    require(data, "version")
    return present.department(core().org.update_department(actor_id(), ident, data))


# -- projects (ORG-3) -------------------------------------------------------------------


@bp.get("/projects")
def projects():
    return present.items(core().org.projects(actor_id()), present.project)


@bp.get("/projects/<project_id>")
def project(project_id: str):
    return present.project(core().org.project(actor_id(), path_id(project_id, "project_id")))


@bp.post("/projects")
def create_project():
    made = core().org.create_project(actor_id(), json_body())
    return created(present.project(made), "api.project", project_id=made.id)


@bp.patch("/projects/<project_id>")
def update_project(project_id: str):
    ident = path_id(project_id, "project_id")
    data = json_body()
    require(data, "version")
    return present.project(core().org.update_project(actor_id(), ident, data))


# -- service types and services (ORG-5) ---------------------------------------------------


@bp.get("/service-types")
def service_types():
    return present.items(core().org.service_types(actor_id()), present.service_type)


@bp.post("/service-types")
def create_service_type():
    return created(present.service_type(core().org.create_service_type(actor_id(), json_body())))


@bp.patch("/service-types/<type_id>")
def update_service_type(type_id: str):
    ident = path_id(type_id, "type_id")
    data = json_body()
    require(data, "version")
    return present.service_type(core().org.update_service_type(actor_id(), ident, data))


@bp.get("/services")
def services():
    query = Query()
    owner = query.ref("owner", required=True)
    include_closed = query.flag("include_closed")
    query.check()
    found = core().org.services_of(
        actor_id(), owner, include_closed=include_closed is not False
    )
    return present.items(found, present.service)


@bp.post("/services")
def open_service():
    data = json_body()
    fields = Fields()
    owner = parse_ref(fields, data, "owner", required=True)
    fields.check()
    return created(present.service(
        core().org.open_service(actor_id(), owner, data.get("service_type_id"))
    ))


@bp.patch("/services/<service_id>")
def update_service(service_id: str):
    ident = path_id(service_id, "service_id")
    data = json_body()
    require(data, "available")
    return present.service(
        core().org.set_service_availability(actor_id(), ident, data.get("available"))
    )


@bp.post("/services/<service_id>/close")
def close_service(service_id: str):
    ident = path_id(service_id, "service_id")
    return present.service(core().org.close_service(actor_id(), ident))


# -- role assignments (ORG-6) -------------------------------------------------------------


@bp.get("/role-assignments")
def role_assignments():
    query = Query()
    employee_id = query.ident("employee_id")
    scope = query.ref("scope")
    query.check()
    filters: dict = {}
    if employee_id is not None:
        filters["employee_id"] = employee_id
    if scope is not None:
        filters.update(scope_kind=scope.kind, scope_id=scope.id)
    return present.items(core().access.assignments(actor_id(), **filters),
                         present.role_assignment)


@bp.post("/role-assignments")
def grant_role():
    data = json_body()
    fields = Fields()
    employee_id = fields.ident(data, "employee_id", required=True)
    role = fields.text(data, "role", required=True, max_len=64)
    scope = parse_ref(fields, data, "scope", required=True)
    project_id = fields.ident(data, "project_id")
    fields.check()
    return created(present.role_assignment(
        core().access.grant(actor_id(), employee_id, role, scope, project_id)
    ))


@bp.delete("/role-assignments/<assignment_id>")
def revoke_role(assignment_id: str):
    core().access.revoke(actor_id(), path_id(assignment_id, "assignment_id"))
    return no_content()


# -- messages (MSG-1, MSG-2) -------------------------------------------------------------


@bp.get("/messages")
def messages():
    query = Query()
    unread = query.flag("unread")
    after_id = query.ident("after_id")
    page = query.number("page", 1, 1, 1_000_000)
    per_page = query.number("per_page", 20, 1, 200)
    query.check()
    found = core().messages.inbox(actor_id(), unread_only=bool(unread), after_id=after_id,
                                  page=page, per_page=per_page)
    return {**present.items(found, present.message), "page": page, "per_page": per_page}


@bp.get("/messages/unread-count")
def unread_count():
    return {"unread": core().messages.unread_count(actor_id())}


@bp.get("/messages/<message_id>")
def message(message_id: str):
    ident = path_id(message_id, "message_id")
    return present.message(core().messages.get(actor_id(), ident))


@bp.post("/messages")
def send_message():
    sent = core().messages.send(actor_id(), json_body())
    return created(present.message(sent), "api.message", message_id=sent.id)


@bp.post("/messages/<message_id>/read")
def read_message(message_id: str):
    ident = path_id(message_id, "message_id")
    return present.message(core().messages.mark_read(actor_id(), ident))


def _reason(data: dict) -> str:
    fields = Fields()
    reason = fields.text(data, "reason", max_len=4000)
    fields.check()
    return reason or ""


@bp.post("/messages/<message_id>/confirm")
def confirm_message(message_id: str):
    ident = path_id(message_id, "message_id")
    reason = _reason(json_body())
    return present.message(core().messages.answer(actor_id(), ident, True, reason))


@bp.post("/messages/<message_id>/refuse")
def refuse_message(message_id: str):
    ident = path_id(message_id, "message_id")
    reason = _reason(json_body())
    return present.message(core().messages.answer(actor_id(), ident, False, reason))


# -- history (HIST-1) ----------------------------------------------------------------------


@bp.get("/history/<kind>/<subject_id>")
def history(kind: str, subject_id: str):
    subject = ObjectRef(path_kind(kind), path_id(subject_id, "subject_id"))
    query = Query()
    limit = query.number("limit", 200, 1, 1000)
    offset = query.number("offset", 0, 0, 2**31)
    query.check()
    entries = core().history.of(actor_id(), subject, limit=limit, offset=offset)
    return present.items(entries, present.history_entry)


# -- personal API tokens (AUTH-1) ----------------------------------------------------------


@bp.get("/tokens")
def tokens():
    return present.items(core().auth.api_tokens(actor_id()), present.api_token)


@bp.post("/tokens")
def create_token():
    data = json_body()
    fields = Fields()
    owner = fields.ident(data, "employee_id") or actor_id()
    fields.check()
    record, token = core().auth.create_api_token(actor_id(), owner, data.get("name"))
    return created({**present.api_token(record), "token": token})


@bp.delete("/tokens/<token_id>")
def revoke_token(token_id: str):
    core().auth.revoke_api_token(actor_id(), path_id(token_id, "token_id"))
    return no_content()


# -- catalogs (CAT-1…CAT-6) ------------------------------------------------------------------


@bp.get("/catalogs")
def catalogs():
    query = Query()
    text = query.text("q")
    query.check()
    if text is None:
        return present.catalog_tree(core().catalogs.tree(actor_id()))
    return present.items(core().catalogs.find(actor_id(), text), present.catalog)


@bp.get("/catalogs/<catalog_id>")
def catalog(catalog_id: str):
    return present.catalog(core().catalogs.get(actor_id(), path_id(catalog_id, "catalog_id")))


@bp.post("/catalogs")
def create_catalog():
    made = core().catalogs.create(actor_id(), json_body())
    return created(present.catalog(made), "api.catalog", catalog_id=made.id)


@bp.patch("/catalogs/<catalog_id>")
def update_catalog(catalog_id: str):
    ident = path_id(catalog_id, "catalog_id")
    data = json_body()
    require(data, "version")
    return present.catalog(core().catalogs.update(actor_id(), ident, data))


@bp.get("/catalogs/<catalog_id>/counterparties")
def catalog_counterparties(catalog_id: str):
    ident = path_id(catalog_id, "catalog_id")
    query = Query()
    page = query.number("page", 1, 1, 100_000)
    include_deleted = query.flag("include_deleted")
    query.check()
    return present.page(core().counterparties.catalog_page(
        actor_id(), ident, page, include_deleted=include_deleted is not False))


# -- counterparties (CP-1…CP-13) ---------------------------------------------------------------


def _proceed(data: dict) -> bool:
    """Save despite likely duplicates (CP-3): ``"proceed": true`` or ``?proceed=1``."""
    query = Query()
    in_query = query.flag("proceed")
    fields = Fields()
    in_body = fields.flag(data, "proceed")
    query.check()
    fields.check()
    return bool(in_query or in_body)


@bp.get("/counterparties")
def search_counterparties():
    query = Query()
    page = query.number("page", 1, 1, 100_000)
    include_deleted = query.flag("include_deleted")
    query.check()
    return present.page(core().counterparties.search(
        actor_id(), request.args.get("q", ""), page,
        include_deleted=include_deleted is not False))


#: Query parameters of the advanced search (CP-10), passed to the service as they are.
ADVANCED = ("name", "full_name", "legal_address", "postal_address", "inn", "type", "status",
            "catalog_id", "manager_id", "created_from", "created_to", "deleted")


@bp.get("/counterparties/advanced-search")
def advanced_search():
    query = Query()
    page = query.number("page", 1, 1, 100_000)
    query.check()
    data = {k: v for k, v in request.args.items() if k in ADVANCED}
    return present.page(core().counterparties.advanced_search(actor_id(), data, page))


#: Query parameters of the duplicate check (CP-3).
DUPLICATE_FIELDS = ("type", "name", "inn", "kpp", "phone", "sms_phone", "email",
                    "mailing_email")


@bp.get("/counterparties/duplicates")
def counterparty_duplicates():
    query = Query()
    exclude = query.ident("exclude")
    query.check()
    data = {k: v for k, v in request.args.items() if k in DUPLICATE_FIELDS}
    found = core().counterparties.duplicates(actor_id(), data, exclude=exclude)
    return present.items(found, present.candidate)


@bp.get("/counterparties/<counterparty_id>")
def counterparty(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return present.counterparty_row(core().counterparties.row(actor_id(), ident))


@bp.post("/counterparties")
def register_counterparty():
    data = json_body()
    card = core().counterparties.register(actor_id(), data, proceed=_proceed(data))
    return created(present.counterparty(card), "api.counterparty", counterparty_id=card.id)


@bp.patch("/counterparties/<counterparty_id>")
def update_counterparty(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    data = json_body()
    require(data, "version")
    card = core().counterparties.update(actor_id(), ident, data, proceed=_proceed(data))
    return present.counterparty(card)


@bp.post("/counterparties/<counterparty_id>/move")
def move_counterparty(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    data = json_body()
    card = core().counterparties.move(actor_id(), ident, data.get("catalog_id"),
                                      data.get("version"))
    return present.counterparty(card)


@bp.post("/counterparties/<counterparty_id>/delete-mark")
def mark_counterparty_deleted(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return present.counterparty(core().counterparties.mark_deleted(actor_id(), ident))


@bp.post("/counterparties/<counterparty_id>/restore")
def restore_counterparty(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return present.counterparty(core().counterparties.restore(actor_id(), ident))


@bp.delete("/counterparties/<counterparty_id>")
def purge_counterparty(counterparty_id: str):
    core().counterparties.purge(actor_id(), path_id(counterparty_id, "counterparty_id"))
    return no_content()


@bp.post("/counterparties/<counterparty_id>/responsible")
def assign_responsible(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    assignment = core().counterparties.assign_responsible(actor_id(), ident, json_body())
    return created(present.curator_assignment(assignment))


@bp.get("/counterparties/<counterparty_id>/managers")
def counterparty_managers(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return present.items(core().counterparties.managers(actor_id(), ident),
                         present.role_assignment)


@bp.get("/counterparties/<counterparty_id>/history")
def counterparty_history(counterparty_id: str):
    subject = ObjectRef(COUNTERPARTY, path_id(counterparty_id, "counterparty_id"))
    query = Query()
    limit = query.number("limit", 200, 1, 1000)
    offset = query.number("offset", 0, 0, 2**31)
    query.check()
    entries = core().history.of(actor_id(), subject, limit=limit, offset=offset)
    return present.items(entries, present.history_entry)


@bp.get("/registry/<inn>")
def registry(inn: str):
    return present.registry_record(core().counterparties.from_registry(actor_id(), inn))


# -- contacts (CP-8) ----------------------------------------------------------------------------


@bp.get("/counterparties/<counterparty_id>/contacts")
def contacts(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return present.items(core().counterparties.contacts(actor_id(), ident), present.contact)


@bp.post("/counterparties/<counterparty_id>/contacts")
def add_contact(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return created(present.contact(core().counterparties.add_contact(actor_id(), ident,
                                                                     json_body())))


@bp.patch("/contacts/<contact_id>")
def update_contact(contact_id: str):
    ident = path_id(contact_id, "contact_id")
    data = json_body()
    require(data, "version")
    return present.contact(core().counterparties.update_contact(actor_id(), ident, data))


@bp.delete("/contacts/<contact_id>")
def remove_contact(contact_id: str):
    core().counterparties.remove_contact(actor_id(), path_id(contact_id, "contact_id"))
    return no_content()


@bp.put("/contacts/<contact_id>/photo")
def set_contact_photo(contact_id: str):
    ident = path_id(contact_id, "contact_id")
    data = request.get_data(cache=False)
    return present.contact(core().counterparties.set_photo(actor_id(), ident, data))


@bp.get("/contacts/<contact_id>/photo")
def contact_photo(contact_id: str):
    ident = path_id(contact_id, "contact_id")
    data = core().counterparties.photo(actor_id(), ident)
    if data is None:
        raise NotFound("photo of contact", ident)
    response = make_response(data)
    response.headers["Content-Type"] = present.photo_type(data)
    response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    return response


# -- tasks (TASK-1…TASK-8) ----------------------------------------------------------------------
#
# Every change to a task names the version it was prepared against (a stale one is 409);
# the core decides who may (TASK-6: the responsible employee's chain) and what is valid.

#: Query parameters of the Tasks tabs' filter (TASK-3), passed to the service as they are.
TASK_FILTERS = ("section", "state", "date_from", "date_to", "task_type_id", "counterparty_id",
                "project_id")


def _now():
    return core().clock.now()


def _task(found) -> dict:
    return present.task(found, _now())


def _task_created(found):
    return created(_task(found), "api.task", task_id=found.id)


def _tasks_page(listing, owner_id: int, *exclude: str):
    """A Tasks tab: ``listing(actor, owner, filters, page)`` with the filter and the page
    of the query string (``exclude``: filters the tab has no use for)."""
    query = Query()
    page = query.number("page", 1, 1, 100_000)
    query.check()
    filters = {k: v for k, v in request.args.items() if k in TASK_FILTERS and k not in exclude}
    return present.task_page(listing(actor_id(), owner_id, filters, page), _now())


@bp.post("/tasks")
def create_task():
    return _task_created(core().tasks.create(actor_id(), json_body()))


@bp.post("/tasks/calls")
def register_call():
    return _task_created(core().tasks.register_call(actor_id(), json_body()))


@bp.get("/tasks/<task_id>")
def task(task_id: str):
    return _task(core().tasks.get(actor_id(), path_id(task_id, "task_id")))


@bp.patch("/tasks/<task_id>")
def update_task(task_id: str):
    ident = path_id(task_id, "task_id")
    data = json_body()
    require(data, "version")
    return _task(core().tasks.update(actor_id(), ident, data))


@bp.post("/tasks/<task_id>/complete")
def complete_task(task_id: str):
    ident = path_id(task_id, "task_id")
    data = json_body()
    require(data, "version")
    return _task(core().tasks.complete(actor_id(), ident, data))


@bp.delete("/tasks/<task_id>")
def delete_task(task_id: str):
    ident = path_id(task_id, "task_id")
    require(request.args, "version")
    core().tasks.delete(actor_id(), ident, request.args.get("version"))
    return no_content()


@bp.get("/me/tasks")
def my_tasks():
    return _tasks_page(core().tasks.of_employee, actor_id())


@bp.get("/employees/<employee_id>/tasks")
def employee_tasks(employee_id: str):
    return _tasks_page(core().tasks.of_employee, path_id(employee_id, "employee_id"))


@bp.get("/counterparties/<counterparty_id>/tasks")
def counterparty_tasks(counterparty_id: str):
    return _tasks_page(core().tasks.of_counterparty,
                       path_id(counterparty_id, "counterparty_id"), "section", "counterparty_id")


@bp.get("/employees/<employee_id>/calendar")
def employee_calendar(employee_id: str):
    ident = path_id(employee_id, "employee_id")
    found = core().tasks.calendar(actor_id(), ident, request.args.get("start"),
                                  request.args.get("end"))
    return present.tasks(found, _now())


#: Lines of the contact history per page.
HISTORY_PAGE = 20


@bp.get("/counterparties/<counterparty_id>/contact-history")
def contact_history(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    query = Query()
    page = query.number("page", 1, 1, 100_000)
    query.check()
    now = _now()
    found = core().tasks.contact_history(actor_id(), ident, page, HISTORY_PAGE)
    return {"items": [present.timeline_item(i, now) for i in found], "page": page,
            "per_page": HISTORY_PAGE}


# -- the reference books of typical tasks and escalation rules (TASK-4, TASK-7) -------------


@bp.get("/task-types")
def task_types():
    query = Query()
    include_inactive = query.flag("include_inactive")
    query.check()
    return present.items(core().tasks.task_types(actor_id(), bool(include_inactive)),
                         present.task_type)


@bp.post("/task-types")
def create_task_type():
    return created(present.task_type(core().tasks.create_task_type(actor_id(), json_body())))


@bp.patch("/task-types/<type_id>")
def update_task_type(type_id: str):
    ident = path_id(type_id, "type_id")
    data = json_body()
    require(data, "version")
    return present.task_type(core().tasks.update_task_type(actor_id(), ident, data))


@bp.get("/escalation-rules")
def escalation_rules():
    return present.items(core().tasks.escalation_rules(actor_id()), present.escalation_rule)


@bp.post("/escalation-rules")
def create_escalation_rule():
    rule = core().tasks.create_escalation_rule(actor_id(), json_body())
    return created(present.escalation_rule(rule))


@bp.patch("/escalation-rules/<rule_id>")
def update_escalation_rule(rule_id: str):
    ident = path_id(rule_id, "rule_id")
    data = json_body()
    require(data, "version")
    return present.escalation_rule(core().tasks.update_escalation_rule(actor_id(), ident, data))


@bp.delete("/escalation-rules/<rule_id>")
def delete_escalation_rule(rule_id: str):
    core().tasks.delete_escalation_rule(actor_id(), path_id(rule_id, "rule_id"),
                                        request.args.get("version"))
    return no_content()


# -- goods, services and prices: the reference books (PRD-1…PRD-3) ----------------------------
#
# Everyone signed in reads them; the Director and Administrators edit them; prices are set
# by them and by Sales management. Money is sent and shown as a string ("1 234,56" and
# "1234.56" are both read; "1234.56" is what comes back).


def _include_inactive() -> bool:
    query = Query()
    flag = query.flag("include_inactive")
    query.check()
    return bool(flag)


def _version_arg() -> str:
    """The ``version`` query parameter a DELETE must name (a stale one is 409)."""
    require(request.args, "version")
    return request.args["version"]


@bp.get("/item-groups")
def item_groups():
    return present.item_groups(core().products.groups(actor_id()))


@bp.post("/item-groups")
def create_item_group():
    return created(present.item_group(core().products.save_group(actor_id(), json_body())))


@bp.patch("/item-groups/<group_id>")
def update_item_group(group_id: str):
    ident = path_id(group_id, "group_id")
    data = json_body()
    require(data, "version")
    return present.item_group(core().products.save_group(actor_id(), data, ident))


@bp.delete("/item-groups/<group_id>")
def delete_item_group(group_id: str):
    core().products.delete_group(actor_id(), path_id(group_id, "group_id"))
    return no_content()


@bp.get("/items")
def items():
    query = Query()
    group_id = query.ident("group_id")
    text = query.text("q")
    page = query.number("page", 1, 1, 100_000)
    include_inactive = query.flag("include_inactive")
    query.check()
    found = core().products.items(actor_id(), group_id, text, page,
                                  include_inactive=bool(include_inactive))
    return present.item_page(found, page, ITEM_PAGE)


@bp.post("/items")
def create_item():
    made = core().products.save_item(actor_id(), json_body())
    return created(present.item(made), "api.item", item_id=made.id)


@bp.get("/items/<item_id>")
def item(item_id: str):
    return present.item(core().products.item(actor_id(), path_id(item_id, "item_id")))


@bp.patch("/items/<item_id>")
def update_item(item_id: str):
    ident = path_id(item_id, "item_id")
    data = json_body()
    require(data, "version")
    return present.item(core().products.save_item(actor_id(), data, ident))


@bp.get("/items/<item_id>/prices")
def item_prices(item_id: str):
    ident = path_id(item_id, "item_id")
    return present.items(core().products.prices(actor_id(), ident), present.price)


@bp.get("/items/<item_id>/price")
def item_price(item_id: str):
    """The price in force on a day (PRD-3): ``price_type_id`` and ``day`` required."""
    ident = path_id(item_id, "item_id")
    found = core().products.price_on(actor_id(), ident, request.args.get("price_type_id"),
                                     request.args.get("day"))
    return present.price(found)


@bp.post("/prices")
def set_price():
    return created(present.price(core().products.set_price(actor_id(), json_body())))


@bp.patch("/prices/<price_id>")
def update_price(price_id: str):
    ident = path_id(price_id, "price_id")
    data = json_body()
    require(data, "version")
    return present.price(core().products.set_price(actor_id(), data, ident))


@bp.delete("/prices/<price_id>")
def delete_price(price_id: str):
    ident = path_id(price_id, "price_id")
    core().products.delete_price(actor_id(), ident, _version_arg())
    return no_content()


@bp.get("/service-kinds")
def service_kinds():
    found = core().products.service_kinds(actor_id(), _include_inactive())
    return present.items(found, present.service_kind)


@bp.post("/service-kinds")
def create_service_kind():
    made = core().products.save_service_kind(actor_id(), json_body())
    return created(present.service_kind(made), "api.service_kind", kind_id=made.id)


@bp.get("/service-kinds/<kind_id>")
def service_kind(kind_id: str):
    ident = path_id(kind_id, "kind_id")
    return present.service_kind(core().products.service_kind(actor_id(), ident))


@bp.patch("/service-kinds/<kind_id>")
def update_service_kind(kind_id: str):
    ident = path_id(kind_id, "kind_id")
    data = json_body()
    require(data, "version")
    return present.service_kind(core().products.save_service_kind(actor_id(), data, ident))


@bp.get("/price-types")
def price_types():
    return present.items(core().products.price_types(actor_id()), present.price_type)


@bp.post("/price-types")
def create_price_type():
    made = core().products.save_price_type(actor_id(), json_body())
    return created(present.price_type(made))


@bp.patch("/price-types/<type_id>")
def update_price_type(type_id: str):
    ident = path_id(type_id, "type_id")
    data = json_body()
    require(data, "version")
    return present.price_type(core().products.save_price_type(actor_id(), data, ident))


@bp.get("/client-types")
def client_types():
    return present.items(core().products.client_types(actor_id()), present.client_type)


@bp.post("/client-types")
def create_client_type():
    made = core().products.save_client_type(actor_id(), json_body())
    return created(present.client_type(made))


@bp.patch("/client-types/<type_id>")
def update_client_type(type_id: str):
    ident = path_id(type_id, "type_id")
    data = json_body()
    require(data, "version")
    return present.client_type(core().products.save_client_type(actor_id(), data, ident))


@bp.get("/contract-types")
def contract_types():
    found = core().contracts.types(actor_id(), _include_inactive())
    return present.items(found, present.contract_type)


@bp.post("/contract-types")
def create_contract_type():
    return created(present.contract_type(core().contracts.save_type(actor_id(), json_body())))


@bp.patch("/contract-types/<type_id>")
def update_contract_type(type_id: str):
    ident = path_id(type_id, "type_id")
    data = json_body()
    require(data, "version")
    return present.contract_type(core().contracts.save_type(actor_id(), data, ident))


# -- state sets (REQ-4, INV-2): the JSON of workflow.definition ---------------------------------


@bp.get("/state-sets")
def state_sets():
    return present.items(core().state_sets.state_sets(actor_id()), present.state_set)


@bp.get("/state-sets/<set_id>")
def state_set(set_id: str):
    ident = path_id(set_id, "set_id")
    return present.state_set(core().state_sets.state_set(actor_id(), ident))


@bp.post("/state-sets")
def create_state_set():
    made = core().state_sets.create(actor_id(), json_body())
    return created(present.state_set(made), "api.state_set", set_id=made.id)


@bp.patch("/state-sets/<set_id>")
def update_state_set(set_id: str):
    ident = path_id(set_id, "set_id")
    data = json_body()
    require(data, "version")
    return present.state_set(core().state_sets.update(actor_id(), ident, data))


# -- contracts (CON-1…CON-4) ----------------------------------------------------------------------


@bp.post("/counterparties/<counterparty_id>/contracts")
def register_contract(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    made = core().contracts.register(actor_id(), ident, json_body())
    return created(present.contract(made), "api.contract", contract_id=made.id)


@bp.get("/counterparties/<counterparty_id>/contracts")
def counterparty_contracts(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return present.items(core().contracts.of_counterparty(actor_id(), ident), present.contract)


@bp.get("/contracts/<contract_id>")
def contract(contract_id: str):
    ident = path_id(contract_id, "contract_id")
    return present.contract(core().contracts.get(actor_id(), ident))


@bp.patch("/contracts/<contract_id>")
def update_contract(contract_id: str):
    ident = path_id(contract_id, "contract_id")
    data = json_body()
    require(data, "version")
    return present.contract(core().contracts.update(actor_id(), ident, data))


@bp.delete("/contracts/<contract_id>")
def delete_contract(contract_id: str):
    ident = path_id(contract_id, "contract_id")
    core().contracts.delete(actor_id(), ident, _version_arg())
    return no_content()


@bp.get("/contracts/<contract_id>/summary")
def contract_summary(contract_id: str):
    ident = path_id(contract_id, "contract_id")
    return present.contract_summary(core().contracts.summary(actor_id(), ident))


# -- requests (REQ-1…REQ-4) ---------------------------------------------------------------------


def _page() -> int:
    query = Query()
    page = query.number("page", 1, 1, 100_000)
    query.check()
    return page


def _transition() -> tuple[object, str, object]:
    """(to_state, reason, version) of a POST …/transitions."""
    data = json_body()
    require(data, "to_state", "version")
    return data.get("to_state"), data.get("reason") or "", data.get("version")


@bp.post("/requests")
def create_request():
    made = core().requests.create(actor_id(), json_body())
    return created(present.sales_request(made), "api.sales_request", request_id=made.id)


@bp.get("/requests/<request_id>")
def sales_request(request_id: str):
    ident = path_id(request_id, "request_id")
    return present.sales_request(core().requests.get(actor_id(), ident))


@bp.patch("/requests/<request_id>")
def update_request(request_id: str):
    ident = path_id(request_id, "request_id")
    data = json_body()
    require(data, "version")
    return present.sales_request(core().requests.update(actor_id(), ident, data))


@bp.post("/requests/<request_id>/transitions")
def move_request(request_id: str):
    ident = path_id(request_id, "request_id")
    to_state, reason, version = _transition()
    return present.sales_request(core().requests.move(actor_id(), ident, to_state, reason,
                                                      version))


@bp.get("/requests/<request_id>/options")
def request_options(request_id: str):
    ident = path_id(request_id, "request_id")
    return present.options(core().requests.options(actor_id(), ident))


@bp.get("/counterparties/<counterparty_id>/requests")
def counterparty_requests(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return present.request_page(core().requests.of_counterparty(actor_id(), ident, _page()))


@bp.get("/contracts/<contract_id>/requests")
def contract_requests(contract_id: str):
    ident = path_id(contract_id, "contract_id")
    return present.request_page(core().requests.of_contract(actor_id(), ident, _page()))


@bp.get("/invoices/<invoice_id>/requests")
def invoice_requests(invoice_id: str):
    ident = path_id(invoice_id, "invoice_id")
    return present.request_page(core().requests.of_invoice(actor_id(), ident, _page()))


def _assigned(employee_id: int | None):
    query = Query()
    page = query.number("page", 1, 1, 100_000)
    open_only = query.flag("open_only")
    query.check()
    return present.request_page(core().requests.assigned_to(
        actor_id(), employee_id, page, open_only=bool(open_only)))


@bp.get("/me/requests")
def my_requests():
    return _assigned(None)


@bp.get("/employees/<employee_id>/requests")
def employee_requests(employee_id: str):
    return _assigned(path_id(employee_id, "employee_id"))


# -- invoices, payments, acts and the settlement (INV-1…INV-4, CON-4, CP-13) ----------------


@bp.post("/invoices")
def create_invoice():
    made = core().invoices.create(actor_id(), json_body())
    return created(present.invoice(made), "api.invoice", invoice_id=made.id)


@bp.get("/invoices/<invoice_id>")
def invoice(invoice_id: str):
    ident = path_id(invoice_id, "invoice_id")
    return present.invoice(core().invoices.get(actor_id(), ident))


@bp.patch("/invoices/<invoice_id>")
def update_invoice(invoice_id: str):
    ident = path_id(invoice_id, "invoice_id")
    data = json_body()
    require(data, "version")
    return present.invoice(core().invoices.update(actor_id(), ident, data))


@bp.delete("/invoices/<invoice_id>")
def delete_invoice(invoice_id: str):
    ident = path_id(invoice_id, "invoice_id")
    core().invoices.delete(actor_id(), ident, _version_arg())
    return no_content()


@bp.post("/invoices/<invoice_id>/transitions")
def move_invoice(invoice_id: str):
    ident = path_id(invoice_id, "invoice_id")
    to_state, reason, version = _transition()
    return present.invoice(core().invoices.move(actor_id(), ident, to_state, reason, version))


@bp.get("/invoices/<invoice_id>/options")
def invoice_options(invoice_id: str):
    ident = path_id(invoice_id, "invoice_id")
    return present.options(core().invoices.options(actor_id(), ident))


@bp.get("/invoices/<invoice_id>/printable")
def printable_invoice(invoice_id: str):
    ident = path_id(invoice_id, "invoice_id")
    return present.printable(core().invoices.printable(actor_id(), ident))


@bp.get("/counterparties/<counterparty_id>/invoices")
def counterparty_invoices(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    query = Query()
    page = query.number("page", 1, 1, 100_000)
    state = query.text("state", max_len=40)
    query.check()
    return present.invoice_page(core().invoices.of_counterparty(actor_id(), ident, page,
                                                                state))


@bp.post("/invoices/<invoice_id>/payments")
def register_payment(invoice_id: str):
    ident = path_id(invoice_id, "invoice_id")
    return created(present.payment(core().invoices.register_payment(actor_id(), ident,
                                                                    json_body())))


@bp.get("/invoices/<invoice_id>/payments")
def invoice_payments(invoice_id: str):
    ident = path_id(invoice_id, "invoice_id")
    return present.items(core().invoices.payments(actor_id(), ident), present.payment)


@bp.delete("/payments/<payment_id>")
def delete_payment(payment_id: str):
    ident = path_id(payment_id, "payment_id")
    core().invoices.delete_payment(actor_id(), ident, _version_arg())
    return no_content()


@bp.post("/counterparties/<counterparty_id>/acts")
def register_act(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return created(present.act(core().invoices.register_act(actor_id(), ident, json_body())))


@bp.get("/counterparties/<counterparty_id>/acts")
def counterparty_acts(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return present.items(core().invoices.acts(actor_id(), ident), present.act)


@bp.get("/counterparties/<counterparty_id>/settlement")
def counterparty_settlement(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return present.settlement(core().invoices.settlement(actor_id(), ident))


# -- documents (DOC-1) -------------------------------------------------------------------------
#
# Uploaded as multipart/form-data (the field ``file``, optionally ``note``) to the owner's
# …/documents; the type is told from the content, not the name.

#: The path segment of each kind of owner -> the kind the core names.
DOCUMENT_OWNERS = {"counterparties": "counterparty", "contracts": "contract",
                   "invoices": "invoice", "requests": "request"}


def _upload(owner_kind: str, owner_id: str):
    ident = path_id(owner_id, f"{owner_kind}_id")
    upload = request.files.get("file")
    if upload is None:
        raise ValidationFailed.single(
            "file", "send the file as the field \"file\" of a multipart/form-data body")
    made = core().documents.upload(actor_id(), owner_kind, ident, upload.filename,
                                   upload.read(), request.form.get("note", ""))
    return created(present.document(made))


def _documents(owner_kind: str, owner_id: str):
    ident = path_id(owner_id, f"{owner_kind}_id")
    return present.items(core().documents.of_owner(actor_id(), owner_kind, ident),
                         present.document)


def _owner_routes(segment: str, kind: str) -> None:
    """POST and GET /<segment>/<kind>_id/documents for one kind of owner."""
    rule = f"/{segment}/<{kind}_id>/documents"
    bp.add_url_rule(rule, f"upload_{kind}_document",
                    lambda **ids: _upload(kind, ids[f"{kind}_id"]), methods=["POST"])
    bp.add_url_rule(rule, f"{kind}_documents",
                    lambda **ids: _documents(kind, ids[f"{kind}_id"]), methods=["GET"])


for _segment, _kind in DOCUMENT_OWNERS.items():
    _owner_routes(_segment, _kind)


@bp.get("/documents/<document_id>/content")
def document_content(document_id: str):
    ident = path_id(document_id, "document_id")
    found = core().documents.download(actor_id(), ident)
    response = send_file(io.BytesIO(found.data), mimetype=found.document.content_type,
                         as_attachment=True, download_name=found.document.download_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.delete("/documents/<document_id>")
def delete_document(document_id: str):
    ident = path_id(document_id, "document_id")
    core().documents.remove(actor_id(), ident, _version_arg())
    return no_content()


# -- deals (DEAL-1…DEAL-4, RPT-4 first part; issue 6) ------------------------------------------
#
# Deal templates are a reference book (the Director and Administrators change them); a deal
# runs by its template's state set through the one workflow engine: POST …/transitions is
# the same call as the form and the board's drag, and answers 422 naming every unmet
# condition. Figures (board, forecast) are the deal manager's own unless the actor sees
# everyone's (Sales management, the Director).

#: Query parameters of the deals list, the board and the forecast, passed to the service
#: as they are (it parses them and names a bad one).
DEAL_FILTERS = ("template_id", "manager_id", "project_id", "close_from", "close_to")
#: What the forecast reads besides the filters.
FORECAST_ARGS = (*DEAL_FILTERS, "months", "start")


def _deal(found):
    return present.deal(found, _now())


def _deal_card(deal_id: str):
    return core().deals.card(actor_id(), path_id(deal_id, "deal_id"))


@bp.get("/deal-templates")
def deal_templates():
    query = Query()
    active_only = query.flag("active_only")
    query.check()
    found = core().deal_templates.templates(actor_id(), active_only=bool(active_only))
    return present.items(found, present.deal_template)


@bp.get("/deal-templates/<template_id>")
def deal_template(template_id: str):
    ident = path_id(template_id, "template_id")
    return present.deal_template_view(core().deal_templates.template(actor_id(), ident))


@bp.post("/deal-templates")
def create_deal_template():
    made = core().deal_templates.create(actor_id(), json_body())
    return created(present.deal_template(made), "api.deal_template", template_id=made.id)


@bp.patch("/deal-templates/<template_id>")
def update_deal_template(template_id: str):
    ident = path_id(template_id, "template_id")
    data = json_body()
    require(data, "version")
    return present.deal_template(core().deal_templates.update(actor_id(), ident, data))


@bp.get("/deal-templates/<template_id>/board")
def deal_board(template_id: str):
    ident = path_id(template_id, "template_id")
    query = Query()
    per_column = query.number("per_column", BOARD_CARDS, 1, 100)
    query.check()
    data = {k: v for k, v in request.args.items() if k in DEAL_FILTERS and k != "template_id"}
    return present.board(core().deals.board(actor_id(), ident, data, per_column))


@bp.get("/calendar-days")
def calendar_days():
    found = core().calendar.days(actor_id(), request.args.get("year"))
    return present.items(found, present.calendar_day)


@bp.post("/calendar-days")
def mark_calendar_day():
    marked = core().calendar.mark(actor_id(), json_body())
    return no_content() if marked is None else present.calendar_day(marked)


@bp.post("/deals")
def register_deal():
    made = core().deals.register(actor_id(), json_body())
    return created(_deal(made), "api.deal", deal_id=made.id)


@bp.get("/deals")
def deals():
    query = Query()
    page = query.number("page", 1, 1, 100_000)
    state = query.text("state", max_len=40)
    overdue = query.flag("overdue")
    query.check()
    data = {k: v for k, v in request.args.items() if k in DEAL_FILTERS}
    found = core().deals.deals(actor_id(), data, page, state, overdue_only=bool(overdue))
    return present.deal_page(found, _now())


@bp.get("/deals/<deal_id>")
def deal(deal_id: str):
    return _deal(core().deals.get(actor_id(), path_id(deal_id, "deal_id")))


@bp.patch("/deals/<deal_id>")
def update_deal(deal_id: str):
    ident = path_id(deal_id, "deal_id")
    data = json_body()
    require(data, "version")
    return _deal(core().deals.update(actor_id(), ident, data))


@bp.delete("/deals/<deal_id>")
def delete_deal(deal_id: str):
    ident = path_id(deal_id, "deal_id")
    core().deals.delete(actor_id(), ident, _version_arg())
    return no_content()


@bp.post("/deals/<deal_id>/transitions")
def move_deal(deal_id: str):
    ident = path_id(deal_id, "deal_id")
    to_state, reason, version = _transition()
    return _deal(core().deals.move(actor_id(), ident, to_state, reason, version))


@bp.get("/deals/<deal_id>/options")
def deal_options(deal_id: str):
    ident = path_id(deal_id, "deal_id")
    return present.options(core().deals.options(actor_id(), ident))


@bp.post("/deals/<deal_id>/approvals")
def approve_deal(deal_id: str):
    ident = path_id(deal_id, "deal_id")
    data = json_body()
    require(data, "approval", "version")
    return _deal(core().deals.approve(actor_id(), ident, data.get("approval"),
                                      data.get("version")))


@bp.get("/deals/<deal_id>/stays")
def deal_stays(deal_id: str):
    return present.deal_stays(_deal_card(deal_id))


@bp.get("/deals/<deal_id>/payments")
def deal_payments(deal_id: str):
    return present.items(_deal_card(deal_id).payments, present.deal_payment)


@bp.get("/deals/<deal_id>/tasks")
def deal_tasks(deal_id: str):
    card = _deal_card(deal_id)
    return present.tasks(card.tasks, card.now)


@bp.get("/counterparties/<counterparty_id>/deals")
def counterparty_deals(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    return present.deal_page(core().deals.of_counterparty(actor_id(), ident, _page()), _now())


@bp.get("/deal-forecast")
def deal_forecast():
    data = {k: v for k, v in request.args.items() if k in FORECAST_ARGS}
    return present.forecast(core().deals.forecast(actor_id(), data))


# a deal's files (DOC-1; the proposal's "document attached" condition, DEAL-2)
_owner_routes("deals", "deal")


# -- customer orders (ORD-1…ORD-3; issue 6) ----------------------------------------------------
#
# An order runs by the "order" state set through the one workflow engine: it goes to
# approval by POST …/submit along a route (a round), each approver of the waiting step
# answers with POST …/decision, and the answers move it on by themselves; POST
# …/transitions moves it by hand (to connection once approved — which hands it to billing
# —, connected, cancelled). Approval routes are a reference book (the Director and
# Administrators change them).


def _order_id(order_id: str) -> int:
    return path_id(order_id, "order_id")


@bp.post("/orders")
def create_order():
    made = core().orders.create(actor_id(), json_body())
    return created(present.order(made), "api.order", order_id=made.id)


@bp.get("/orders")
def orders():
    query = Query()
    page = query.number("page", 1, 1, 100_000)
    state = query.text("state", max_len=40)
    client = query.ident("counterparty_id")
    query.check()
    return present.order_page(core().orders.orders(actor_id(), state, page, client))


@bp.get("/orders/<order_id>")
def order(order_id: str):
    return present.order(core().orders.get(actor_id(), _order_id(order_id)))


@bp.patch("/orders/<order_id>")
def update_order(order_id: str):
    ident = _order_id(order_id)
    data = json_body()
    require(data, "version")
    return present.order(core().orders.update(actor_id(), ident, data))


@bp.delete("/orders/<order_id>")
def delete_order(order_id: str):
    ident = _order_id(order_id)
    core().orders.delete(actor_id(), ident, _version_arg())
    return no_content()


@bp.post("/orders/<order_id>/transitions")
def move_order(order_id: str):
    ident = _order_id(order_id)
    to_state, reason, version = _transition()
    return present.order(core().orders.move(actor_id(), ident, to_state, reason, version))


@bp.get("/orders/<order_id>/options")
def order_options(order_id: str):
    return present.options(core().orders.options(actor_id(), _order_id(order_id)))


@bp.get("/orders/<order_id>/estimate")
def order_estimate(order_id: str):
    return present.estimate(core().orders.estimate(actor_id(), _order_id(order_id)))


@bp.post("/orders/<order_id>/submit")
def submit_order(order_id: str):
    ident = _order_id(order_id)
    data = json_body()
    require(data, "route_id", "version")
    made = core().orders.submit(actor_id(), ident, data.get("route_id"), data.get("version"))
    approvers = core().orders.current_approvers(actor_id(), ident)
    return created(present.approval_round(made, approvers))


@bp.post("/orders/<order_id>/decision")
def decide_order(order_id: str):
    ident = _order_id(order_id)
    data = json_body()
    require(data, "approve")
    found = core().orders.decide(actor_id(), ident, data.get("approve"), data.get("reason"))
    return present.approval_round(found, core().orders.current_approvers(actor_id(), ident))


@bp.get("/orders/<order_id>/rounds")
def order_rounds(order_id: str):
    ident = _order_id(order_id)
    found = core().orders.rounds(actor_id(), ident)
    approvers = core().orders.current_approvers(actor_id(), ident)
    return {"items": [present.approval_round(r, approvers if i == 0 else ())
                      for i, r in enumerate(found)]}


@bp.get("/orders/<order_id>/handoffs")
def order_handoffs(order_id: str):
    found = core().orders.handoffs(actor_id(), _order_id(order_id))
    return present.items(found, present.billing_handoff)


@bp.post("/orders/<order_id>/handoffs")
def hand_off_order_again(order_id: str):
    made = core().orders.hand_off_again(actor_id(), _order_id(order_id))
    return created(present.billing_handoff(made))


@bp.get("/counterparties/<counterparty_id>/orders")
def counterparty_orders(counterparty_id: str):
    ident = path_id(counterparty_id, "counterparty_id")
    query = Query()
    page = query.number("page", 1, 1, 100_000)
    state = query.text("state", max_len=40)
    query.check()
    return present.order_page(core().orders.of_counterparty(actor_id(), ident, page, state))


@bp.get("/billing-handoffs")
def billing_handoffs():
    query = Query()
    pending = query.flag("pending")
    limit = query.number("limit", 100, 1, 1000)
    query.check()
    found = core().orders.all_handoffs(actor_id(), pending_only=bool(pending), limit=limit)
    return present.items(found, present.billing_handoff)


@bp.get("/approval-routes")
def approval_routes():
    found = core().orders.routes(actor_id(), include_inactive=_include_inactive())
    return present.items(found, present.approval_route)


@bp.post("/approval-routes")
def create_approval_route():
    made = core().orders.save_route(actor_id(), json_body())
    return created(present.approval_route(made), "api.approval_route", route_id=made.id)


@bp.get("/approval-routes/<route_id>")
def approval_route(route_id: str):
    ident = path_id(route_id, "route_id")
    return present.approval_route(core().orders.route(actor_id(), ident))


@bp.patch("/approval-routes/<route_id>")
def update_approval_route(route_id: str):
    ident = path_id(route_id, "route_id")
    data = json_body()
    require(data, "version")
    return present.approval_route(core().orders.save_route(actor_id(), data, ident))


@bp.delete("/approval-routes/<route_id>")
def delete_approval_route(route_id: str):
    ident = path_id(route_id, "route_id")
    core().orders.delete_route(actor_id(), ident, _version_arg())
    return no_content()
