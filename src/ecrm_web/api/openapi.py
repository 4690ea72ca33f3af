"""The OpenAPI 3.1 description of /api/v1, as data.

Served at ``GET /api/v1/openapi.json``. Tests keep it honest: the document validates,
every rule of the blueprint is described (and nothing else), and the responses of the
endpoints validate against the schemas below (response objects list every field and
allow no others)."""

from __future__ import annotations

from functools import cache
from typing import Any

from ecrm_core.access.model import Role
from ecrm_core.counterparties.model import AssignmentState, CounterpartyType, OrganisationStatus
from ecrm_core.documents.model import SIGNATURES, ZIP_TYPES
from ecrm_core.messages.model import ConfirmationState, MessageKind
from ecrm_core.org.model import LOCALES, ServiceState
from ecrm_core.products.services import PAGE as ITEM_PAGE
from ecrm_core.sales.flow import PAGE as INVOICE_PAGE
from ecrm_core.sales.requests import PAGE as REQUEST_PAGE
from ecrm_core.tasks.model import (
    MAX_DELAY,
    MAX_REMIND_MINUTES,
    DelayUnit,
    EscalationTarget,
    TaskState,
)
from ecrm_core.tasks.services import MAX_TEXT, PAGE, Filter

JSON = "application/json"

# -- small schema builders ------------------------------------------------------------------


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: tuple[str, ...] | None = None,
        *, closed: bool = True, description: str = "") -> dict[str, Any]:
    """An object schema; response shapes list every property as required and closed."""
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    schema["required"] = list(properties) if required is None else list(required)
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


def request_obj(properties: dict[str, Any], required: tuple[str, ...] = (),
                description: str = "") -> dict[str, Any]:
    """A request body: unknown fields are ignored by the server."""
    return obj(properties, required, closed=False, description=description)


def list_of(name: str) -> dict[str, Any]:
    return obj({"items": {"type": "array", "items": ref(name)}})


ID = {"type": "integer", "minimum": 1}
ID_OR_NULL = {"type": ["integer", "null"], "minimum": 1}
VERSION = {"type": "integer", "minimum": 1,
           "description": "Optimistic lock: send back the version you read with a change."}
TEXT = {"type": "string"}
TEXT_OR_NULL = {"type": ["string", "null"]}
BOOL = {"type": "boolean"}
WHEN = {"type": "string", "format": "date-time"}
WHEN_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
REF_TEXT = {"type": "string", "pattern": "^[a-z_]{1,32}:[0-9]+$",
            "examples": ["department:3"]}


def _values(enum_cls) -> list[str]:
    return [member.value for member in enum_cls]


SCHEMAS: dict[str, Any] = {
    "Error": obj(
        {
            "error": {"type": "string", "examples": ["forbidden", "not_found", "conflict"]},
            "message": TEXT,
            "fields": {"type": "object", "additionalProperties": TEXT},
            "details": {"type": "object", "additionalProperties": TEXT},
        },
        ("error", "message"),
        description="Every error answer. 400 for a body that is not a JSON object "
                    "(``fields.body`` says why), 401, 403, 404, 409.",
    ),
    "ValidationError": obj(
        {
            "error": {"const": "validation_failed"},
            "message": TEXT,
            "fields": {"type": "object", "additionalProperties": TEXT, "minProperties": 1,
                       "description": "One message per offending field (body, path or "
                                      "query parameter)."},
        },
        description="422: the request is well-formed JSON but some values are not acceptable.",
    ),
    "Company": obj(
        {"id": ID, "version": VERSION, "name": TEXT,
         "requisites": {"type": "object", "additionalProperties": TEXT,
                        "description": "What the company's documents print (INV-1): "
                                       "full_name, inn, kpp, ogrn, address, phone, bank, "
                                       "bik, account, corr_account, director, accountant"}},
    ),
    "Employee": obj(
        {
            "id": ID, "version": VERSION,
            "login": TEXT, "full_name": TEXT, "email": TEXT_OR_NULL, "phone": TEXT,
            "position": TEXT, "department_id": ID_OR_NULL, "head_id": ID_OR_NULL,
            "active": BOOL, "locale": {"type": "string", "enum": list(LOCALES)},
            "timezone": TEXT, "created_at": WHEN_OR_NULL,
        },
        description="An employee (ORG-4). The password hash is never shown.",
    ),
    "Department": obj(
        {"id": ID, "version": VERSION, "name": TEXT, "description": TEXT,
         "parent_id": ID_OR_NULL, "head_id": ID_OR_NULL},
        description="A department (ORG-2); departments nest through parent_id.",
    ),
    "Project": obj(
        {"id": ID, "version": VERSION, "name": TEXT, "description": TEXT, "active": BOOL},
        description="A project, i.e. a direction of work (ORG-3).",
    ),
    "ServiceType": obj(
        {"id": ID, "version": VERSION, "code": TEXT, "name": TEXT, "description": TEXT,
         "active": BOOL},
        description="An entry of the classifier of service types (ORG-5).",
    ),
    "Service": obj(
        {
            "id": ID, "version": VERSION, "service_type_id": ID, "owner": REF_TEXT,
            "owner_kind": {"type": "string", "enum": ["department", "project", "employee"]},
            "owner_id": ID, "state": {"type": "string", "enum": _values(ServiceState)},
            "available": BOOL, "opened_at": WHEN_OR_NULL, "closed_at": WHEN_OR_NULL,
        },
        description="A capability of a department, project or employee (ORG-5).",
    ),
    "RoleAssignment": obj(
        {
            "id": ID, "version": VERSION, "role": {"type": "string", "enum": _values(Role)},
            "employee_id": ID, "scope": REF_TEXT, "scope_kind": TEXT, "scope_id": ID,
            "project_id": ID_OR_NULL, "granted_at": WHEN_OR_NULL, "granted_by": ID_OR_NULL,
        },
        description="A role held by an employee on a scope object (ORG-6).",
    ),
    "Message": obj(
        {
            "id": ID, "version": VERSION,
            "kind": {"type": "string", "enum": _values(MessageKind)},
            "recipient_id": ID, "sender_id": ID_OR_NULL, "text": TEXT,
            "subject": {"type": ["string", "null"], "pattern": "^[a-z_]{1,32}:[0-9]+$"},
            "action": TEXT,
            "state": {"type": ["string", "null"], "enum": [*_values(ConfirmationState), None]},
            "reason": TEXT, "reply_to_id": ID_OR_NULL, "unread": BOOL, "awaits_answer": BOOL,
            "created_at": WHEN_OR_NULL, "read_at": WHEN_OR_NULL,
            "answered_at": WHEN_OR_NULL, "emailed_at": WHEN_OR_NULL,
        },
        description="A system message: notification, confirmation request or reminder "
                    "(MSG-1). state is set for confirmation requests only.",
    ),
    "HistoryEntry": obj(
        {
            "id": ID, "at": WHEN, "actor_id": ID_OR_NULL, "subject": REF_TEXT,
            "action": {"type": "string", "examples": ["ObjectCreated", "ObjectChanged"]},
            "changes": {
                "type": "array",
                "items": obj({"field": TEXT, "old": {}, "new": {}}),
            },
        },
        description="One recorded change of an object (HIST-1): who, when, old -> new.",
    ),
    "ApiToken": obj(
        {"id": ID, "version": VERSION, "employee_id": ID, "name": TEXT, "active": BOOL,
         "created_at": WHEN, "revoked_at": WHEN_OR_NULL},
        description="A personal API token; the token itself is shown only once, on creation.",
    ),
    "NewApiToken": obj(
        {"id": ID, "version": VERSION, "employee_id": ID, "name": TEXT, "active": BOOL,
         "created_at": WHEN, "revoked_at": WHEN_OR_NULL,
         "token": {"type": "string", "pattern": "^ecrm_"}},
        description="A token just created; keep ``token``, it is not shown again.",
    ),
    "MessagePage": obj(
        {"items": {"type": "array", "items": ref("Message")},
         "page": {"type": "integer", "minimum": 1},
         "per_page": {"type": "integer", "minimum": 1, "maximum": 200}},
    ),
    "UnreadCount": obj({"unread": {"type": "integer", "minimum": 0}}),
    "CsrfToken": obj({"csrf_token": TEXT}),
    "EmployeeList": list_of("Employee"),
    "DepartmentList": list_of("Department"),
    "ProjectList": list_of("Project"),
    "ServiceTypeList": list_of("ServiceType"),
    "ServiceList": list_of("Service"),
    "RoleAssignmentList": list_of("RoleAssignment"),
    "HistoryList": list_of("HistoryEntry"),
    "ApiTokenList": list_of("ApiToken"),
    # request bodies
    "EmployeeCreate": request_obj(
        {"login": TEXT, "password": {"type": "string", "minLength": 8, "maxLength": 256},
         "full_name": TEXT, "email": TEXT_OR_NULL, "phone": TEXT, "position": TEXT,
         "department_id": ID_OR_NULL, "head_id": ID_OR_NULL,
         "locale": {"type": "string", "enum": list(LOCALES)}, "timezone": TEXT},
        ("login", "password", "full_name"),
    ),
    "EmployeeUpdate": request_obj(
        {"version": VERSION, "full_name": TEXT, "email": TEXT_OR_NULL, "phone": TEXT,
         "position": TEXT, "department_id": ID_OR_NULL, "head_id": ID_OR_NULL, "active": BOOL,
         "locale": {"type": "string", "enum": list(LOCALES)}, "timezone": TEXT},
        ("version",),
        "Only the fields sent change. Employees may change full_name, email, phone, "
        "locale and timezone on their own card; the rest needs Administrator rights.",
    ),
    "PasswordChange": request_obj(
        {"password": {"type": "string", "minLength": 8, "maxLength": 256},
         "current_password": {"type": "string",
                              "description": "Required when changing your own password."}},
        ("password",),
    ),
    "CompanyUpdate": request_obj(
        {"version": VERSION, "name": TEXT,
         "requisites": {"type": "object", "additionalProperties": TEXT,
                        "description": "The whole set of requisites (replaces the old "
                                       "one): INN, KPP and BIK are checked, the accounts "
                                       "against the BIK; messages name requisites.<name>"}},
        ("version",), "Rename the company (name) and/or set its requisites (Director)."),
    "DepartmentCreate": request_obj(
        {"name": TEXT, "description": TEXT, "parent_id": ID_OR_NULL, "head_id": ID_OR_NULL},
        ("name",),
    ),
    "DepartmentUpdate": request_obj(
        {"version": VERSION, "name": TEXT, "description": TEXT, "parent_id": ID_OR_NULL,
         "head_id": ID_OR_NULL},
        ("version",),
    ),
    "ProjectCreate": request_obj({"name": TEXT, "description": TEXT, "active": BOOL}, ("name",)),
    "ProjectUpdate": request_obj(
        {"version": VERSION, "name": TEXT, "description": TEXT, "active": BOOL}, ("version",)
    ),
    "ServiceTypeCreate": request_obj(
        {"code": {"type": "string", "maxLength": 64}, "name": TEXT, "description": TEXT},
        ("code", "name"),
    ),
    "ServiceTypeUpdate": request_obj(
        {"version": VERSION, "name": TEXT, "description": TEXT, "active": BOOL}, ("version",)
    ),
    "ServiceOpen": request_obj({"owner": REF_TEXT, "service_type_id": ID},
                               ("owner", "service_type_id")),
    "ServiceUpdate": request_obj({"available": BOOL}, ("available",)),
    "RoleGrant": request_obj(
        {"employee_id": ID, "role": {"type": "string", "enum": _values(Role)},
         "scope": REF_TEXT, "project_id": ID_OR_NULL},
        ("employee_id", "role", "scope"),
        "scope is the object the role is held on: company:1 for Director, department:N "
        "for Administrator, project:N for Management (ORG-6).",
    ),
    "MessageSend": request_obj(
        {"recipient_id": ID, "kind": {"type": "string", "enum": _values(MessageKind)},
         "text": {"type": "string", "maxLength": 4000}},
        ("recipient_id", "text"),
    ),
    "Answer": request_obj({"reason": {"type": "string", "maxLength": 4000}}),
    "TokenCreate": request_obj(
        {"name": {"type": "string", "maxLength": 100},
         "employee_id": {**ID, "description": "Whose token (default: yours; the Director "
                                              "may make tokens for others)."}},
        ("name",),
    ),
}

RESPONSES: dict[str, Any] = {
    "BadRequest": {"description": "The body is not a JSON object.",
                   "content": {JSON: {"schema": ref("Error")}}},
    "Unauthorized": {
        "description": "No or bad credentials.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"},
                                         "description": 'Bearer realm="ecrm"'}},
        "content": {JSON: {"schema": ref("Error")}},
    },
    "Forbidden": {"description": "Not allowed by your roles (or a missing CSRF token on a "
                                 "cookie-authenticated change); nothing changed.",
                  "content": {JSON: {"schema": ref("Error")}}},
    "NotFound": {"description": "No such object.", "content": {JSON: {"schema": ref("Error")}}},
    "Conflict": {"description": "Someone changed the object since you read it (stale "
                                "version), or the change clashes with existing data.",
                 "content": {JSON: {"schema": ref("Error")}}},
    "Invalid": {"description": "Bad values; one message per field.",
                "content": {JSON: {"schema": ref("ValidationError")}}},
}

ERRORS = {"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound",
          "409": "Conflict", "422": "Invalid"}


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": ID}


def _query(name: str, schema: dict[str, Any], description: str,
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "description": description,
            "schema": schema}


def op(
    op_id: str, tag: str, summary: str, *, ok: str = "200", schema: str | None = None,
    body: str | None = None, params: tuple = (), errors: tuple[str, ...] = (),
    description: str = "",
) -> dict[str, Any]:
    """One operation. Every operation may answer 401 and 403; a path parameter adds
    404 and 422, query parameters 422, a body 400 and 422, a change 409."""
    codes = {"401", "403", *errors}
    if any(p["in"] == "path" for p in params):
        codes |= {"404", "422"}
    if any(p["in"] == "query" for p in params):
        codes.add("422")
    if body is not None:
        codes |= {"400", "422"}
    success: dict[str, Any] = {"description": summary}
    if schema is not None:
        success["content"] = {JSON: {"schema": ref(schema)}}
    operation: dict[str, Any] = {
        "operationId": op_id, "tags": [tag], "summary": summary,
        "responses": {ok: success, **{c: {"$ref": f"#/components/responses/{ERRORS[c]}"}
                                      for c in sorted(codes)}},
    }
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        operation["requestBody"] = {"required": True,
                                    "content": {JSON: {"schema": ref(body)}}}
    return operation


EMPLOYEE_ID = _path_param("employee_id", "Employee id")
DEPARTMENT_ID = _path_param("department_id", "Department id")
PROJECT_ID = _path_param("project_id", "Project id")
TYPE_ID = _path_param("type_id", "Service type id")
SERVICE_ID = _path_param("service_id", "Service id")
ASSIGNMENT_ID = _path_param("assignment_id", "Role assignment id")
MESSAGE_ID = _path_param("message_id", "Message id")
TOKEN_ID = _path_param("token_id", "API token id")
CHANGE = ("409",)


def _paths() -> dict[str, Any]:
    return {
        "/openapi.json": {"get": {
            "operationId": "openapi", "tags": ["meta"], "summary": "This document",
            "security": [],
            "responses": {"200": {"description": "The OpenAPI document",
                                  "content": {JSON: {"schema": {"type": "object"}}}}},
        }},
        "/csrf-token": {"get": op(
            "csrf_token", "meta", "A CSRF token for cookie-authenticated changes",
            schema="CsrfToken",
            description="Browser clients signed in through the web UI send this token in "
                        "the X-CSRFToken header of every POST, PATCH and DELETE.",
        )},
        "/me": {
            "get": op("me", "me", "The employee you are signed in as", schema="Employee"),
            "patch": op("update_me", "me", "Change your own card", schema="Employee",
                        body="EmployeeUpdate", errors=CHANGE),
        },
        "/me/password": {"post": op(
            "change_my_password", "me", "Change your password (give current_password)",
            ok="204", body="PasswordChange", errors=CHANGE,
        )},
        "/company": {
            "get": op("company", "organisation", "The Company (ORG-1)", schema="Company",
                      errors=("404",)),
            "patch": op("update_company", "organisation", "Rename the Company (Director)",
                        schema="Company", body="CompanyUpdate", errors=("404", "409")),
        },
        "/employees": {
            "get": op("employees", "employees", "Employees, by full name",
                      schema="EmployeeList", params=(
                          _query("department_id", ID, "Only this department"),
                          _query("active", BOOL, "Only active (true) or disabled (false)"),
                          _query("q", {"type": "string", "maxLength": 100},
                                 "Part of the full name, any case"),
                      )),
            "post": op("add_employee", "employees", "Register an employee", ok="201",
                       schema="Employee", body="EmployeeCreate", errors=CHANGE),
        },
        "/employees/{employee_id}": {
            "get": op("employee", "employees", "One employee", schema="Employee",
                      params=(EMPLOYEE_ID,)),
            "patch": op("update_employee", "employees", "Change an employee's card",
                        schema="Employee", params=(EMPLOYEE_ID,), body="EmployeeUpdate",
                        errors=CHANGE),
        },
        "/employees/{employee_id}/password": {"post": op(
            "set_employee_password", "employees", "Set an employee's password", ok="204",
            params=(EMPLOYEE_ID,), body="PasswordChange", errors=CHANGE,
        )},
        "/employees/{employee_id}/disable": {"post": op(
            "disable_employee", "employees", "Disable an employee (ends their sessions)",
            schema="Employee", params=(EMPLOYEE_ID,), errors=CHANGE,
        )},
        "/employees/{employee_id}/enable": {"post": op(
            "enable_employee", "employees", "Enable a disabled employee", schema="Employee",
            params=(EMPLOYEE_ID,), errors=CHANGE,
        )},
        "/departments": {
            "get": op("departments", "organisation", "Departments, by name",
                      schema="DepartmentList"),
            "post": op("create_department", "organisation", "Create a department", ok="201",
                       schema="Department", body="DepartmentCreate", errors=CHANGE),
        },
        "/departments/{department_id}": {
            "get": op("department", "organisation", "One department", schema="Department",
                      params=(DEPARTMENT_ID,)),
            "patch": op("update_department", "organisation", "Change a department",
                        schema="Department", params=(DEPARTMENT_ID,), body="DepartmentUpdate",
                        errors=CHANGE),
        },
        "/projects": {
            "get": op("projects", "organisation", "Projects, by name", schema="ProjectList"),
            "post": op("create_project", "organisation", "Create a project", ok="201",
                       schema="Project", body="ProjectCreate", errors=CHANGE),
        },
        "/projects/{project_id}": {
            "get": op("project", "organisation", "One project", schema="Project",
                      params=(PROJECT_ID,)),
            "patch": op("update_project", "organisation", "Change a project", schema="Project",
                        params=(PROJECT_ID,), body="ProjectUpdate", errors=CHANGE),
        },
        "/service-types": {
            "get": op("service_types", "services", "The classifier of service types",
                      schema="ServiceTypeList"),
            "post": op("create_service_type", "services", "Add a service type", ok="201",
                       schema="ServiceType", body="ServiceTypeCreate", errors=CHANGE),
        },
        "/service-types/{type_id}": {"patch": op(
            "update_service_type", "services", "Change or close a service type",
            schema="ServiceType", params=(TYPE_ID,), body="ServiceTypeUpdate", errors=CHANGE,
        )},
        "/services": {
            "get": op("services", "services", "Services of one resource", schema="ServiceList",
                      params=(
                          _query("owner", REF_TEXT, "department:N, project:N or employee:N",
                                 required=True),
                          _query("include_closed", BOOL, "Closed services too (default true)"),
                      )),
            "post": op("open_service", "services", "Open a service of a resource", ok="201",
                       schema="Service", body="ServiceOpen", errors=("404", "409")),
        },
        "/services/{service_id}": {"patch": op(
            "update_service", "services", "Switch a service's availability",
            schema="Service", params=(SERVICE_ID,), body="ServiceUpdate", errors=CHANGE,
        )},
        "/services/{service_id}/close": {"post": op(
            "close_service", "services", "Close a service (kept for its history)",
            schema="Service", params=(SERVICE_ID,), errors=CHANGE,
        )},
        "/role-assignments": {
            "get": op("role_assignments", "roles", "Role assignments",
                      schema="RoleAssignmentList", params=(
                          _query("employee_id", ID, "Held by this employee"),
                          _query("scope", REF_TEXT, "Held on this object, e.g. department:3"),
                      )),
            "post": op("grant_role", "roles", "Grant a role on a scope", ok="201",
                       schema="RoleAssignment", body="RoleGrant", errors=CHANGE),
        },
        "/role-assignments/{assignment_id}": {"delete": op(
            "revoke_role", "roles", "Revoke a role", ok="204", params=(ASSIGNMENT_ID,),
            errors=CHANGE,
        )},
        "/messages": {
            "get": op("messages", "messages", "Your messages, newest first",
                      schema="MessagePage", params=(
                          _query("unread", BOOL, "Only unread ones"),
                          _query("after_id", ID, "Only newer than this id (polling)"),
                          _query("page", {"type": "integer", "minimum": 1}, "From 1"),
                          _query("per_page", {"type": "integer", "minimum": 1, "maximum": 200},
                                 "Default 20"),
                      )),
            "post": op("send_message", "messages", "Send a colleague a message", ok="201",
                       schema="Message", body="MessageSend", errors=CHANGE),
        },
        "/messages/unread-count": {"get": op(
            "unread_count", "messages", "How many of your messages are unread",
            schema="UnreadCount",
        )},
        "/messages/{message_id}": {"get": op(
            "message", "messages", "One of your messages", schema="Message",
            params=(MESSAGE_ID,),
        )},
        "/messages/{message_id}/read": {"post": op(
            "read_message", "messages", "Mark a message read", schema="Message",
            params=(MESSAGE_ID,), errors=CHANGE,
        )},
        "/messages/{message_id}/confirm": {"post": op(
            "confirm_message", "messages", "Confirm a confirmation request (MSG-1)",
            schema="Message", params=(MESSAGE_ID,), body="Answer", errors=CHANGE,
            description="The requester gets a notification of the outcome. The body may "
                        "be empty.",
        )},
        "/messages/{message_id}/refuse": {"post": op(
            "refuse_message", "messages", "Refuse a confirmation request, with a reason",
            schema="Message", params=(MESSAGE_ID,), body="Answer", errors=CHANGE,
        )},
        "/history/{kind}/{subject_id}": {"get": op(
            "history", "history", "The history of one object, newest first (HIST-1)",
            schema="HistoryList", params=(
                {"name": "kind", "in": "path", "required": True,
                 "schema": {"type": "string", "pattern": "^[a-z_]{1,32}$"},
                 "description": "department, project, employee, service_type, service, "
                                "role_assignment, company or message"},
                _path_param("subject_id", "The object's id"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000},
                       "At most this many entries (default 200)"),
                _query("offset", {"type": "integer", "minimum": 0}, "Skip this many"),
            ),
        )},
        "/tokens": {
            "get": op("tokens", "tokens", "Your personal API tokens", schema="ApiTokenList"),
            "post": op("create_token", "tokens", "Create a personal API token", ok="201",
                       schema="NewApiToken", body="TokenCreate", errors=("404", "409")),
        },
        "/tokens/{token_id}": {"delete": op(
            "revoke_token", "tokens", "Revoke a token", ok="204", params=(TOKEN_ID,),
            errors=CHANGE,
        )},
    }


# -- the client base (chapter 5): catalogs, counterparties, contacts ------------------------

CARD_TYPE = {"type": "string", "enum": _values(CounterpartyType),
             "description": "legal_entity (ЮЛ), individual (ФЛ), sole_proprietor (ИП)"}
CARD_STATUS = {"type": "string", "enum": _values(OrganisationStatus),
               "description": "The organisation's status in the state register"}
EXTRA = {"type": "object", "maxProperties": 50,
         "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
         "description": "Extra attributes: up to 50 simple values"}
IDS = {"type": "array", "items": ID}
DATE_OR_NULL = {"type": ["string", "null"], "format": "date"}

#: The card's own fields, as read (CP-1).
CARD_FIELDS: dict[str, Any] = {
    "id": ID, "version": VERSION, "catalog_id": ID, "type": CARD_TYPE, "name": TEXT,
    "full_name": TEXT, "inn": TEXT, "kpp": TEXT, "ogrn": TEXT, "legal_address": TEXT,
    "postal_address": TEXT,
    "phone": {"type": "string", "description": "E.164, e.g. +79131234567 (or empty)"},
    "sms_phone": TEXT, "email": TEXT, "mailing_email": TEXT, "status": CARD_STATUS,
    "parent_id": {**ID_OR_NULL, "description": "The parent organisation (CP-11)"},
    "okved": TEXT, "head": TEXT, "extra": EXTRA,
    "export_1c": {"type": "boolean", "description": "Queued for the export to 1C"},
    "client_type_id": {**ID_OR_NULL, "description": "Its client type (PRD-2): the price "
                                                    "type its invoices are priced by"},
    "deleted": {"type": "boolean", "description": "Marked deleted (CP-12)"},
    "deleted_at": WHEN_OR_NULL, "created_at": WHEN_OR_NULL, "created_by": ID_OR_NULL,
    "updated_at": WHEN_OR_NULL, "updated_by": ID_OR_NULL,
}
#: What the client sends to create or change a card (all optional but the named ones).
CARD_INPUT: dict[str, Any] = {
    "type": CARD_TYPE, "name": {"type": "string", "maxLength": 255},
    "full_name": {"type": "string", "maxLength": 500},
    "inn": {"type": "string", "description": "10 digits (legal entity) or 12 (others), "
                                             "checksum checked"},
    "kpp": {"type": "string", "description": "9 characters; legal entities only"},
    "ogrn": {"type": "string", "description": "OGRN (13 digits) or OGRNIP (15), checksum "
                                              "checked"},
    "legal_address": {"type": "string", "maxLength": 500},
    "postal_address": {"type": "string", "maxLength": 500},
    "phone": {"type": "string", "description": "Any Russian form (8 913 …, +7 (913) …); "
                                               "stored as +7…"},
    "sms_phone": TEXT, "email": TEXT, "mailing_email": TEXT, "status": CARD_STATUS,
    "parent_id": ID_OR_NULL, "okved": TEXT, "head": TEXT, "extra": EXTRA,
    "export_1c": BOOL, "client_type_id": ID_OR_NULL,
    "proceed": {"type": "boolean", "description": "Save even though likely duplicates "
                                                  "exist (recorded in the history); the "
                                                  "same as ?proceed=1"},
}
CONTACT_INPUT: dict[str, Any] = {
    "full_name": {"type": "string", "maxLength": 255},
    "position": {"type": "string", "maxLength": 255},
    "birthday": {**DATE_OR_NULL, "examples": ["1980-05-31"]},
    "phones": {"type": ["array", "string"], "items": TEXT, "maxItems": 10,
               "description": "Up to 10; a string may hold several, separated by , or ;"},
    "emails": {"type": ["array", "string"], "items": TEXT, "maxItems": 10},
    "note": {"type": "string", "maxLength": 4000},
}

CLIENT_SCHEMAS: dict[str, Any] = {
    "Catalog": obj(
        {"id": ID, "version": VERSION, "name": TEXT, "description": TEXT,
         "parent_id": ID_OR_NULL, "curator_id": ID_OR_NULL,
         "depth": {"type": ["integer", "null"], "minimum": 0,
                   "description": "Depth in the tree (0: a top catalog); null in the "
                                  "results of a search by name"}},
        description="A catalog of counterparties (CAT-1); catalogs nest through "
                    "parent_id, each has a curator (CAT-2).",
    ),
    "CatalogList": list_of("Catalog"),
    "Counterparty": obj(CARD_FIELDS, description="A counterparty's card (CP-1)."),
    "CounterpartyRow": obj(
        {**CARD_FIELDS,
         "catalog_name": TEXT,
         "managers": {**IDS, "description": "Employees who are its client managers"},
         "main_manager_id": {**ID_OR_NULL,
                             "description": "The client manager of the main direction"},
         "last_modifier_id": {**ID_OR_NULL, "description": "Who changed the card last"}},
        description="A card with what its row of the list shows (CP-13, §5.12).",
    ),
    "CounterpartyPage": obj(
        {"items": {"type": "array", "items": ref("CounterpartyRow")},
         "page": {"type": "integer", "minimum": 1},
         "per_page": {"type": "integer", "const": 20},
         "total": {"type": "integer", "minimum": 0},
         "pages": {"type": "integer", "minimum": 1},
         "capped": {"type": "boolean",
                    "description": "total is a cap: more than 1,000 cards match"}},
        description="One page of 20 cards (CAT-3).",
    ),
    "DuplicateCandidate": obj(
        {"id": ID, "name": TEXT, "inn": TEXT,
         "reasons": {"type": "array", "minItems": 1, "items": {
             "type": "string", "enum": ["inn", "phone", "email", "name", "branch"]}},
         "deleted": BOOL},
        description="A card the new or changed one resembles (CP-3). ``branch``: the "
                    "same INN with another KPP, offered as a branch (a related client), "
                    "not a duplicate.",
    ),
    "DuplicateCandidateList": list_of("DuplicateCandidate"),
    "DuplicatesError": obj(
        {"error": {"type": "string", "examples": ["duplicates", "conflict"]},
         "message": TEXT,
         "details": {"type": "object", "additionalProperties": TEXT},
         "candidates": {"type": "array", "items": ref("DuplicateCandidate")}},
        ("error", "message"),
        description="409: error ``duplicates`` with the candidates (send again with "
                    "proceed to save anyway), or ``conflict`` (a stale version).",
    ),
    "RegistryRecord": obj(
        {"inn": TEXT, "name": TEXT, "type": CARD_TYPE,
         "status": {"type": "string", "enum": _values(OrganisationStatus)},
         "kpp": TEXT, "ogrn": TEXT, "full_name": TEXT, "legal_address": TEXT,
         "okved": TEXT, "head": TEXT},
        description="Card fields the state register (EGRUL/EGRIP) holds for an INN "
                    "(CP-2); nothing is saved.",
    ),
    "CuratorAssignment": obj(
        {"id": ID, "version": VERSION, "counterparty_id": ID, "employee_id": ID,
         "project_id": ID_OR_NULL, "requested_by": ID, "head_id": ID_OR_NULL,
         "state": {"type": "string", "enum": _values(AssignmentState)},
         "employee_confirmed": BOOL, "head_confirmed": BOOL, "reason": TEXT,
         "requested_at": WHEN_OR_NULL},
        description="An \"assign responsible\" request (CP-6): takes effect when the "
                    "employee and their head both confirm.",
    ),
    "Contact": obj(
        {"id": ID, "version": VERSION, "counterparty_id": ID, "full_name": TEXT,
         "position": TEXT, "birthday": DATE_OR_NULL,
         "phones": {"type": "array", "items": TEXT},
         "emails": {"type": "array", "items": TEXT}, "note": TEXT,
         "has_photo": {"type": "boolean",
                       "description": "GET /contacts/{contact_id}/photo serves it"}},
        description="A contact person of a counterparty (CP-8).",
    ),
    "ContactList": list_of("Contact"),
    # request bodies
    "CatalogCreate": request_obj(
        {"name": {"type": "string", "maxLength": 255},
         "description": {"type": "string", "maxLength": 4000},
         "parent_id": {**ID_OR_NULL, "description": "Nest it in this catalog (its curator "
                                                    "may); none: a top catalog (Director)"},
         "curator_id": {**ID_OR_NULL, "description": "Default: you"}},
        ("name",),
    ),
    "CatalogUpdate": request_obj(
        {"version": VERSION, "name": {"type": "string", "maxLength": 255},
         "description": {"type": "string", "maxLength": 4000}, "curator_id": ID_OR_NULL},
        ("version",),
    ),
    "CounterpartyCreate": request_obj(
        {"catalog_id": ID, **CARD_INPUT}, ("catalog_id", "type", "name"),
        "A new card in a catalog (§5.5). Likely duplicates (CP-3) answer 409 with the "
        "candidates unless proceed is set.",
    ),
    "CounterpartyUpdate": request_obj(
        {"version": VERSION, **CARD_INPUT}, ("version",),
        "Only the fields sent change; move a card with POST /counterparties/{id}/move. A "
        "new INN, KPP, phone or e-mail that another card has answers 409 with the "
        "candidates unless proceed is set.",
    ),
    "CounterpartyMove": request_obj(
        {"catalog_id": ID, "version": VERSION}, ("catalog_id",),
        "The target catalog (CAT-6); version is optional here.",
    ),
    "ResponsibleAssign": request_obj(
        {"employee_id": ID, "project_id": {**ID_OR_NULL, "description": "The direction; "
                                                                      "none: the main one"}},
        ("employee_id",),
    ),
    "ContactCreate": request_obj(CONTACT_INPUT, ("full_name",)),
    "ContactUpdate": request_obj({"version": VERSION, **CONTACT_INPUT}, ("version",)),
}
SCHEMAS.update(CLIENT_SCHEMAS)

RESPONSES.update({
    "Duplicates": {"description": "Likely duplicates (the candidates are listed; nothing "
                                  "saved), or a stale version.",
                   "content": {JSON: {"schema": ref("DuplicatesError")}}},
    "Unavailable": {"description": "An outside service (the state register) did not "
                                   "answer; the message says why. Nothing changed.",
                    "content": {JSON: {"schema": ref("Error")}}},
    "TooLarge": {"description": "The body is larger than the server accepts (21 MiB: a 20 MB document and its form).",
                 "content": {JSON: {"schema": ref("Error")}}},
})
ERRORS.update({"413": "TooLarge", "503": "Unavailable"})

CATALOG_ID = _path_param("catalog_id", "Catalog id")
COUNTERPARTY_ID = _path_param("counterparty_id", "Counterparty id")
CONTACT_ID = _path_param("contact_id", "Contact id")
PAGE_PARAM = _query("page", {"type": "integer", "minimum": 1, "maximum": 100000},
                    "Page number, 20 cards a page (default 1)")
INCLUDE_DELETED = _query("include_deleted", BOOL, "Cards marked deleted too (default true)")
PROCEED = _query("proceed", BOOL, "Save despite likely duplicates (or \"proceed\": true "
                                  "in the body)")
PHOTO_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
BINARY = {"type": "string", "contentEncoding": "binary"}


def _duplicates_conflict(operation: dict[str, Any]) -> dict[str, Any]:
    operation["responses"]["409"] = {"$ref": "#/components/responses/Duplicates"}
    return operation


def _client_paths() -> dict[str, Any]:
    text_query = {"type": "string", "maxLength": 100}
    set_photo = op("set_contact_photo", "contacts", "Upload a contact's photo",
                   schema="Contact", params=(CONTACT_ID,), errors=("409", "413"),
                   description="The raw picture as the body (PNG, JPEG, GIF or WebP, at "
                               "most 2 MiB); it replaces the previous one.")
    set_photo["requestBody"] = {"required": True,
                                "content": {kind: {"schema": BINARY} for kind in PHOTO_TYPES}}
    get_photo = op("contact_photo", "contacts", "A contact's photo", params=(CONTACT_ID,))
    get_photo["responses"]["200"]["content"] = {kind: {"schema": BINARY}
                                                for kind in PHOTO_TYPES}
    return {
        "/catalogs": {
            "get": op("catalogs", "catalogs", "The catalog tree, or catalogs by name",
                      schema="CatalogList", params=(
                          _query("q", text_query, "Part of the name (picking a catalog to "
                                                  "move a card to, CAT-6): then at most 20 "
                                                  "matches by name instead of the tree"),),
                      description="Without q: every catalog, parents before children, "
                                  "with its depth (UI-4)."),
            "post": op("create_catalog", "catalogs", "Create a catalog (CAT-4)", ok="201",
                       schema="Catalog", body="CatalogCreate", errors=("404", "409"),
                       description="A top catalog needs the Director; a nested one the "
                                   "curator of the parent. The curator is the creator "
                                   "unless curator_id names another (CAT-2)."),
        },
        "/catalogs/{catalog_id}": {
            "get": op("catalog", "catalogs", "One catalog", schema="Catalog",
                      params=(CATALOG_ID,)),
            "patch": op("update_catalog", "catalogs", "Change a catalog (its curator)",
                        schema="Catalog", params=(CATALOG_ID,), body="CatalogUpdate",
                        errors=CHANGE),
        },
        "/catalogs/{catalog_id}/counterparties": {"get": op(
            "catalog_counterparties", "catalogs", "The cards of a catalog, 20 a page (CAT-3)",
            schema="CounterpartyPage", params=(CATALOG_ID, PAGE_PARAM, INCLUDE_DELETED),
        )},
        "/counterparties": {
            "get": op("search_counterparties", "counterparties",
                      "The search line (CP-9)", schema="CounterpartyPage", params=(
                          _query("q", {"type": "string"},
                                 "At least 3 letters of a name or a contact's surname "
                                 "(Russian or Latin, any case, ё = е), or digits: an ID, "
                                 "an INN or its beginning, a parent organisation's INN",
                                 required=True),
                          PAGE_PARAM, INCLUDE_DELETED),
                      description="A shorter query answers 422 naming q. Counts stop at "
                                  "1,000 (capped)."),
            "post": _duplicates_conflict(op(
                "register_counterparty", "counterparties", "Register a counterparty",
                ok="201", schema="Counterparty", body="CounterpartyCreate",
                params=(PROCEED,), errors=("404", "409"),
                description="Needs the right to register clients in the catalog (its "
                            "curator or a registrar). Likely duplicates (same INN, phone, "
                            "e-mail or near-identical name) answer 409 with candidates.")),
        },
        "/counterparties/advanced-search": {"get": op(
            "advanced_search", "counterparties", "Advanced search over the card's fields "
                                                 "(CP-10)",
            schema="CounterpartyPage", errors=("404",), params=(
                _query("name", text_query, "Part of the short name"),
                _query("full_name", text_query, "Part of the full name"),
                _query("legal_address", text_query, "Part of the legal address"),
                _query("postal_address", text_query, "Part of the postal address"),
                _query("inn", {"type": "string", "pattern": "^[0-9]{1,12}$"},
                       "INN or its beginning"),
                _query("type", CARD_TYPE, "Type of counterparty"),
                _query("status", CARD_STATUS, "Organisation status"),
                _query("catalog_id", ID, "In this catalog and the ones nested in it"),
                _query("manager_id", ID, "Whose client manager is this employee"),
                _query("created_from", {"type": "string", "format": "date"},
                       "Registered on or after this day"),
                _query("created_to", {"type": "string", "format": "date"},
                       "Registered on or before this day"),
                _query("deleted", BOOL, "Only marked (true) or only unmarked (false)"),
                PAGE_PARAM,
            ),
        )},
        "/counterparties/duplicates": {"get": op(
            "counterparty_duplicates", "counterparties",
            "Duplicate candidates for card fields being typed (CP-3)",
            schema="DuplicateCandidateList", params=(
                _query("type", CARD_TYPE, "Default legal_entity (decides the INN length)"),
                _query("name", text_query, "Short name"),
                _query("inn", {"type": "string"}, "INN"),
                _query("kpp", {"type": "string"}, "KPP (another KPP: a branch)"),
                _query("phone", {"type": "string"}, "Phone"),
                _query("sms_phone", {"type": "string"}, "SMS phone"),
                _query("email", {"type": "string"}, "E-mail"),
                _query("mailing_email", {"type": "string"}, "Mailing e-mail"),
                _query("exclude", ID, "Leave this card out (the one being edited)"),
            ),
        )},
        "/counterparties/{counterparty_id}": {
            "get": op("counterparty", "counterparties", "One card, with its list-row "
                                                        "fields (CP-13)",
                      schema="CounterpartyRow", params=(COUNTERPARTY_ID,)),
            "patch": _duplicates_conflict(op(
                "update_counterparty", "counterparties", "Change a card",
                schema="Counterparty", params=(COUNTERPARTY_ID, PROCEED),
                body="CounterpartyUpdate", errors=("409",))),
            "delete": op("purge_counterparty", "counterparties",
                         "Delete a card for good (administrators, CP-12)", ok="204",
                         params=(COUNTERPARTY_ID,), errors=("409",),
                         description="Refused with 409 while anything links to the card; "
                                     "details lists what (contacts, related_clients, "
                                     "roles, curator_assignments, messages). Mark it "
                                     "deleted instead."),
        },
        "/counterparties/{counterparty_id}/move": {"post": op(
            "move_counterparty", "counterparties", "Move a card to another catalog (CAT-6)",
            schema="Counterparty", params=(COUNTERPARTY_ID,), body="CounterpartyMove",
            errors=CHANGE,
        )},
        "/counterparties/{counterparty_id}/delete-mark": {"post": op(
            "mark_counterparty_deleted", "counterparties", "Mark a card deleted (CP-12)",
            schema="Counterparty", params=(COUNTERPARTY_ID,), errors=CHANGE,
            description="409 when it is marked already.",
        )},
        "/counterparties/{counterparty_id}/restore": {"post": op(
            "restore_counterparty", "counterparties", "Take the deletion mark off (CP-12)",
            schema="Counterparty", params=(COUNTERPARTY_ID,), errors=CHANGE,
            description="409 when it is not marked.",
        )},
        "/counterparties/{counterparty_id}/responsible": {"post": op(
            "assign_responsible", "counterparties", "Assign responsible (CP-6)", ok="201",
            schema="CuratorAssignment", params=(COUNTERPARTY_ID,), body="ResponsibleAssign",
            errors=CHANGE,
            description="Sends confirmation requests to the employee and their head; "
                        "when both confirm, the employee becomes the client manager for "
                        "that direction and you are notified.",
        )},
        "/counterparties/{counterparty_id}/managers": {"get": op(
            "counterparty_managers", "counterparties", "The card's client managers",
            schema="RoleAssignmentList", params=(COUNTERPARTY_ID,),
        )},
        "/counterparties/{counterparty_id}/history": {"get": op(
            "counterparty_history", "counterparties", "The card's history, newest first "
                                                      "(HIST-1)",
            schema="HistoryList", params=(
                COUNTERPARTY_ID,
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000},
                       "At most this many entries (default 200)"),
                _query("offset", {"type": "integer", "minimum": 0}, "Skip this many"),
            ),
        )},
        "/counterparties/{counterparty_id}/contacts": {
            "get": op("contacts", "contacts", "The card's contact persons",
                      schema="ContactList", params=(COUNTERPARTY_ID,)),
            "post": op("add_contact", "contacts", "Add a contact person", ok="201",
                       schema="Contact", params=(COUNTERPARTY_ID,), body="ContactCreate",
                       errors=CHANGE),
        },
        "/contacts/{contact_id}": {
            "patch": op("update_contact", "contacts", "Change a contact person",
                        schema="Contact", params=(CONTACT_ID,), body="ContactUpdate",
                        errors=CHANGE),
            "delete": op("remove_contact", "contacts", "Remove a contact person", ok="204",
                         params=(CONTACT_ID,), errors=CHANGE),
        },
        "/contacts/{contact_id}/photo": {"put": set_photo, "get": get_photo},
        "/registry/{inn}": {"get": op(
            "registry", "counterparties", "Card fields from the state register by INN "
                                          "(CP-2)",
            schema="RegistryRecord", errors=("503",), params=(
                {"name": "inn", "in": "path", "required": True,
                 "schema": {"type": "string", "pattern": "^[0-9]{10}([0-9]{2})?$"},
                 "description": "INN: 10 digits (an organisation) or 12 (a sole "
                                "proprietor)"},),
            description="404 when the register has no such INN, 503 when it does not "
                        "answer (or is not configured), 422 for a malformed INN.",
        )},
    }


# -- tasks and contacts with clients (chapter 6): TASK-1…TASK-8 ----------------------------

DAY = {"type": "string", "format": "date", "examples": ["2026-03-31"]}
DAY_INPUT = {"type": "string", "examples": ["2026-03-31", "31.03.2026"],
             "description": "A day: 2026-03-31 or 31.03.2026"}
CLOCK = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "examples": ["14:30"]}
REMIND = {"type": ["integer", "null"], "minimum": 0, "maximum": MAX_REMIND_MINUTES,
          "description": "Reminder lead in minutes before the due time (09:00 local for a "
                         "task without a time); 0: no reminder; null: the typical task's"}
LONG_TEXT = {"type": "string", "maxLength": MAX_TEXT}
TASK_STATE = {"type": "string", "enum": _values(TaskState),
              "description": "planned, or done (a \"fact\")"}

TASK_INPUT: dict[str, Any] = {
    "responsible_id": {**ID, "description": "Whose task (default: yours). Another "
                                            "employee's needs rights over them (TASK-6)."},
    "task_type_id": {**ID, "description": "An active typical task (GET /task-types)"},
    "state": TASK_STATE,
    "due_date": DAY_INPUT,
    "due_time": {"type": ["string", "null"], "examples": ["14:30"],
                 "description": "Local time in the responsible's time zone; none: by "
                                "the end of the day"},
    "what": LONG_TEXT, "result": LONG_TEXT,
    "counterparty_id": {**ID_OR_NULL, "description": "About this client (a client "
                                                     "task); none: an employee's own task"},
    "contact_id": {**ID_OR_NULL, "description": "A contact person of that counterparty"},
    "project_id": {**ID_OR_NULL, "description": "Within this project (direction)"},
    "remind_minutes": REMIND,
}

TASK_SCHEMAS: dict[str, Any] = {
    "Task": obj(
        {"id": ID, "version": VERSION, "responsible_id": ID, "task_type_id": ID,
         "state": TASK_STATE,
         "overdue": {"type": "boolean", "description": "Planned and past its deadline now"},
         "due_date": DAY, "due_time": {"anyOf": [CLOCK, {"type": "null"}]},
         "due_at": {**WHEN_OR_NULL, "description": "The deadline as an instant: the due "
                                                   "time, or the end of the due day, in "
                                                   "the responsible's time zone"},
         "what": TEXT, "result": TEXT, "counterparty_id": ID_OR_NULL,
         "contact_id": ID_OR_NULL, "project_id": ID_OR_NULL, "remind_minutes": REMIND,
         "remind_at": WHEN_OR_NULL, "reminded_at": WHEN_OR_NULL, "done_at": WHEN_OR_NULL,
         "created_at": WHEN_OR_NULL, "created_by": ID_OR_NULL, "updated_at": WHEN_OR_NULL,
         "updated_by": ID_OR_NULL},
        description="A planned or done action of an employee, optionally about a "
                    "counterparty and its contact, within a project (TASK-1, TASK-4).",
    ),
    "TaskList": list_of("Task"),
    "TaskPage": obj(
        {"items": {"type": "array", "items": ref("Task"), "maxItems": PAGE},
         "page": {"type": "integer", "minimum": 1},
         "per_page": {"type": "integer", "const": PAGE},
         "total": {"type": "integer", "minimum": 0},
         "pages": {"type": "integer", "minimum": 1},
         "first_number": {"type": "integer", "minimum": 1,
                          "description": "The number of the page's first row (the 11 "
                                         "of [11-20])"}},
        description=f"One page of {PAGE} tasks (TASK-3). Planned tasks soonest first, "
                    "otherwise the latest first.",
    ),
    "TaskType": obj(
        {"id": ID, "version": VERSION, "name": TEXT,
         "code": {"type": "string", "description": "Names a built-in one (call, meeting, "
                                                   "…); empty for the company's own"},
         "remind_minutes": REMIND, "active": BOOL},
        description="An entry of the reference book of typical tasks (TASK-4).",
    ),
    "TaskTypeList": list_of("TaskType"),
    "EscalationRule": obj(
        {"id": ID, "version": VERSION, "name": TEXT,
         "delay": {"type": "integer", "minimum": 0, "maximum": MAX_DELAY},
         "unit": {"type": "string", "enum": _values(DelayUnit)},
         "target": {"type": "string", "enum": _values(EscalationTarget)},
         "task_type_id": {**ID_OR_NULL, "description": "none: tasks of every type"},
         "active": BOOL},
        description="\"A planned <type> overdue by <delay> <unit> → notify <target>\" "
                    "(TASK-7); working days are Monday to Friday in the responsible's "
                    "time zone.",
    ),
    "EscalationRuleList": list_of("EscalationRule"),
    "TimelineItem": obj(
        {"at": WHEN, "kind": {"type": "string", "enum": ["task", "history"]},
         "task": {"anyOf": [ref("Task"), {"type": "null"}]},
         "entry": {"anyOf": [ref("HistoryEntry"), {"type": "null"}]}},
        description="One line of a counterparty's contact history (TASK-8): a task (at "
                    "its deadline, or when it was done early) or a recorded change of "
                    "the card.",
    ),
    "ContactHistory": obj(
        {"items": {"type": "array", "items": ref("TimelineItem")},
         "page": {"type": "integer", "minimum": 1},
         "per_page": {"type": "integer", "minimum": 1}},
        description="The counterparty's relations in one time line, newest first.",
    ),
    # request bodies
    "TaskCreate": request_obj(
        TASK_INPUT, ("task_type_id", "due_date"),
        "A planned task, or a done one registered after the event (state done). Every "
        "bad field is named at once.",
    ),
    "TaskUpdate": request_obj(
        {"version": VERSION, **TASK_INPUT}, ("version",),
        "Edit or reschedule (TASK-5): only the fields sent change; state done completes "
        "the task, planned reopens it.",
    ),
    "TaskComplete": request_obj(
        {"version": VERSION, "result": LONG_TEXT}, ("version",),
        "Mark done with the outcome (TASK-5); 422 naming state when it is done already.",
    ),
    "CallRegister": request_obj(
        {"counterparty_id": ID, "contact_id": ID_OR_NULL, "project_id": ID_OR_NULL,
         "what": LONG_TEXT, "result": LONG_TEXT},
        ("counterparty_id",),
        "An incoming call (TASK-1): a done call of yours, now (your local day and time).",
    ),
    "TaskTypeCreate": request_obj(
        {"name": {"type": "string", "maxLength": 100}, "remind_minutes": REMIND},
        ("name",),
    ),
    "TaskTypeUpdate": request_obj(
        {"version": VERSION, "name": {"type": "string", "maxLength": 100},
         "remind_minutes": REMIND, "active": BOOL},
        ("version",), "\"active\": false closes it for new tasks (the old keep it).",
    ),
    "EscalationRuleCreate": request_obj(
        {"name": {"type": "string", "maxLength": 200},
         "delay": {"type": "integer", "minimum": 0, "maximum": MAX_DELAY},
         "unit": {"type": "string", "enum": _values(DelayUnit),
                  "description": "Default working_days"},
         "target": {"type": "string", "enum": _values(EscalationTarget),
                    "description": "Default head"},
         "task_type_id": ID_OR_NULL, "active": BOOL},
        ("name", "delay"),
    ),
    "EscalationRuleUpdate": request_obj(
        {"version": VERSION, "name": {"type": "string", "maxLength": 200},
         "delay": {"type": "integer", "minimum": 0, "maximum": MAX_DELAY},
         "unit": {"type": "string", "enum": _values(DelayUnit)},
         "target": {"type": "string", "enum": _values(EscalationTarget)},
         "task_type_id": ID_OR_NULL, "active": BOOL},
        ("version",),
    ),
}
SCHEMAS.update(TASK_SCHEMAS)

TASK_ID = _path_param("task_id", "Task id")
TASK_TYPE_ID = _path_param("type_id", "Typical task id")
RULE_ID = _path_param("rule_id", "Escalation rule id")
TASK_PAGE = _query("page", {"type": "integer", "minimum": 1, "maximum": 100000},
                   f"Page number, {PAGE} tasks a page (default 1)")
#: The Tasks tabs' filter (TASK-3).
TASK_FILTER_PARAMS = (
    _query("state", {"type": "string", "enum": list(Filter.STATES)},
           "planned, done, or overdue (planned and past the deadline)"),
    _query("date_from", DAY_INPUT, "Due on or after this day"),
    _query("date_to", DAY_INPUT, "Due on or before this day"),
    _query("task_type_id", ID, "Of this typical task"),
    _query("project_id", ID, "Within this project"),
    TASK_PAGE,
)
PERSONAL_FILTER_PARAMS = (
    _query("section", {"type": "string", "enum": ["client", "employee"]},
           "client: client and deal tasks; employee: own tasks (no counterparty)"),
    _query("counterparty_id", ID, "About this counterparty"),
    *TASK_FILTER_PARAMS,
)
TASK_RIGHTS = ("Rights (TASK-6): the responsible employee, their head (their own or a "
               "department's up the tree), Sales management over them and the Director.")


def _task_paths() -> dict[str, Any]:
    return {
        "/tasks": {"post": op(
            "create_task", "tasks", "Plan a task, or register a done one", ok="201",
            schema="Task", body="TaskCreate",
            description="The responsible is you unless responsible_id names another "
                        "employee; " + TASK_RIGHTS,
        )},
        "/tasks/calls": {"post": op(
            "register_call", "tasks", "Register an incoming call (TASK-1)", ok="201",
            schema="Task", body="CallRegister",
            description="422 naming task_type_id when the typical task «call» is closed.",
        )},
        "/tasks/{task_id}": {
            "get": op("task", "tasks", "One task", schema="Task", params=(TASK_ID,),
                      description=TASK_RIGHTS + " A client task is also shown to everyone "
                                                "who sees the counterparty's card."),
            "patch": op("update_task", "tasks", "Edit or reschedule a task (TASK-5)",
                        schema="Task", params=(TASK_ID,), body="TaskUpdate", errors=CHANGE,
                        description=TASK_RIGHTS + " A new responsible needs the same rights "
                                                  "over them."),
            "delete": op("delete_task", "tasks", "Delete a task (its history stays)",
                         ok="204", errors=CHANGE, params=(
                             TASK_ID,
                             _query("version", VERSION, "The version you read", required=True),
                         )),
        },
        "/tasks/{task_id}/complete": {"post": op(
            "complete_task", "tasks", "Mark a task done with its outcome (TASK-5)",
            schema="Task", params=(TASK_ID,), body="TaskComplete", errors=CHANGE,
        )},
        "/me/tasks": {"get": op(
            "my_tasks", "tasks", "Your Tasks tab (TASK-2, TASK-3)", schema="TaskPage",
            params=PERSONAL_FILTER_PARAMS,
        )},
        "/employees/{employee_id}/tasks": {"get": op(
            "employee_tasks", "tasks", "An employee's Tasks tab (TASK-2, TASK-3)",
            schema="TaskPage", params=(EMPLOYEE_ID, *PERSONAL_FILTER_PARAMS),
            description=TASK_RIGHTS,
        )},
        "/employees/{employee_id}/calendar": {"get": op(
            "employee_calendar", "tasks", "An employee's tasks due from start to end",
            schema="TaskList", params=(
                EMPLOYEE_ID,
                _query("start", DAY_INPUT, "The first day", required=True),
                _query("end", DAY_INPUT, "The last day (at most two months after start)",
                       required=True),
            ),
            description="The week and month views of the calendar. " + TASK_RIGHTS,
        )},
        "/counterparties/{counterparty_id}/tasks": {"get": op(
            "counterparty_tasks", "tasks", "A counterparty's Tasks tab: every "
                                           "employee's tasks about it (TASK-2)",
            schema="TaskPage", params=(COUNTERPARTY_ID, *TASK_FILTER_PARAMS),
            description="For everyone who sees the card.",
        )},
        "/counterparties/{counterparty_id}/contact-history": {"get": op(
            "contact_history", "tasks", "A counterparty's contact history (TASK-8)",
            schema="ContactHistory", params=(
                COUNTERPARTY_ID,
                _query("page", {"type": "integer", "minimum": 1, "maximum": 100000},
                       "Page number, 20 lines a page (default 1)"),
            ),
            description="Its tasks and the recorded changes of the card in one time "
                        "line, newest first.",
        )},
        "/task-types": {
            "get": op("task_types", "tasks", "The reference book of typical tasks (TASK-4)",
                      schema="TaskTypeList", params=(
                          _query("include_inactive", BOOL, "Closed ones too"),)),
            "post": op("create_task_type", "tasks", "Add a typical task (administrators)",
                       ok="201", schema="TaskType", body="TaskTypeCreate"),
        },
        "/task-types/{type_id}": {"patch": op(
            "update_task_type", "tasks", "Change or close a typical task (administrators)",
            schema="TaskType", params=(TASK_TYPE_ID,), body="TaskTypeUpdate", errors=CHANGE,
        )},
        "/escalation-rules": {
            "get": op("escalation_rules", "tasks", "Escalation rules (TASK-7)",
                      schema="EscalationRuleList"),
            "post": op("create_escalation_rule", "tasks",
                       "Add an escalation rule (administrators)", ok="201",
                       schema="EscalationRule", body="EscalationRuleCreate"),
        },
        "/escalation-rules/{rule_id}": {
            "patch": op("update_escalation_rule", "tasks",
                        "Change an escalation rule (administrators)", schema="EscalationRule",
                        params=(RULE_ID,), body="EscalationRuleUpdate", errors=CHANGE),
            "delete": op("delete_escalation_rule", "tasks",
                         "Delete an escalation rule (administrators)", ok="204",
                         params=(RULE_ID, _query("version", VERSION,
                                                 "The version you read (409 when stale)")),
                         errors=CHANGE,
                         description="Its records of escalations sent go with it; what it "
                                     "sent stays in the tasks' history. \"active\": false "
                                     "only stops it."),
        },
    }


# -- sales documents (issue 5): PRD-1…PRD-3, CON-1…CON-4, REQ-1…REQ-4, INV-1…INV-4, DOC-1 -----

MONEY = {"type": "string", "pattern": "^-?[0-9]+\\.[0-9]{2}$", "examples": ["1234.56"],
         "description": "Rubles, exact to the kopeck, as a string"}
MONEY_INPUT = {"type": ["string", "integer"], "examples": ["1234.56", "1 234,56"],
               "description": "Rubles: 1234.56 or 1 234,56 (a string keeps it exact)"}
QUANTITY = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]{1,3})?$", "examples": ["1.5"]}
QUANTITY_INPUT = {"type": ["string", "integer"], "examples": ["2", "1,5"],
                  "description": "Above 0, at most 3 decimal places"}
DAY_OR_NULL = {"type": ["string", "null"], "format": "date"}
DAY_INPUT_OR_NULL = {"type": ["string", "null"], "examples": ["2026-03-31", "31.03.2026"]}
ITEM_KIND = {"type": "string", "enum": ["goods", "service", "work"]}
VAT_CODE = {"type": "string", "examples": ["22", "10", "0", "none"],
            "description": "A VAT rate code: 22 (from 2026), 20 (until 2025), 10, 7, 5, 0, "
                           "none (без НДС)"}
ATTRIBUTE_DEF = obj(
    {"code": TEXT, "label": TEXT,
     "type": {"type": "string", "enum": ["text", "number", "date", "flag", "choice", "email",
                                         "phone", "ip_address", "passport"]},
     "required": BOOL, "choices": {"type": "array", "items": TEXT}},
    description="One attribute of a set (a contract type's, a service kind's conditions "
                "or card).")
ATTRIBUTE_DEF_INPUT = request_obj(
    {"code": TEXT, "label": TEXT, "type": TEXT, "required": BOOL,
     "choices": {"type": "array", "items": TEXT}}, ("code", "label"))
ATTRIBUTE_VALUES = {"type": "object",
                    "additionalProperties": {"type": ["string", "boolean", "null"]},
                    "description": "Values by attribute code (dates ISO, numbers as "
                                   "strings); a bad one is named attributes.<code>"}
PLAIN_ITEM = {"type": "object", "required": ["type"],
              "properties": {"type": {"type": "string"}},
              "description": "A guard or an on-enter action: its type and parameters "
                             "(docs/api.md, \"State sets\")"}
STATE_DEF = obj(
    {"code": TEXT, "name": TEXT, "order": {"type": "integer"}, "initial": BOOL,
     "final": BOOL, "colour": {"type": "string", "pattern": "^#[0-9a-f]{6}$"},
     "norm_hours": {"type": ["integer", "null"], "minimum": 1},
     "on_enter": {"type": "array", "items": PLAIN_ITEM}})
TRANSITION_DEF = obj(
    {"from_state": TEXT, "to_state": TEXT, "name": TEXT,
     "roles": {"type": "array", "items": {"type": "string", "enum": _values(Role)}},
     "guards": {"type": "array", "items": PLAIN_ITEM}, "automatic": BOOL,
     "reason_required": BOOL})
STATE_SET_INPUT = {
    "name": {"type": "string", "maxLength": 100},
    "states": {"type": "array", "items": {"type": "object"}, "maxItems": 50,
               "description": "As GET shows them; a state objects are in cannot go"},
    "transitions": {"type": "array", "items": {"type": "object"}, "maxItems": 200},
}
LINE = obj(
    {"name": TEXT, "quantity": QUANTITY, "price": MONEY, "unit": TEXT, "vat_rate": VAT_CODE,
     "discount": MONEY, "item_id": ID_OR_NULL},
    description="A line of an invoice (INV-1).")
LINE_INPUT = request_obj(
    {"item_id": {**ID_OR_NULL, "description": "An item of the nomenclature: its name, "
                                              "unit and VAT rate, and — unless price is "
                                              "given — its price on the invoice's day"},
     "name": {"type": "string", "maxLength": 300}, "quantity": QUANTITY_INPUT,
     "price": MONEY_INPUT, "unit": {"type": "string", "maxLength": 20},
     "vat_rate": VAT_CODE, "discount": MONEY_INPUT},
    ("quantity",), "Bad values are named lines[<n>].<field>.")
REQUEST_KIND = {"type": "string", "enum": ["internal", "counterparty", "invoice"]}
SETTLEMENT_STATUS = {"type": "string", "enum": ["none", "paid", "debt", "prepaid"]}
OWNER_KIND = {"type": "string", "enum": ["counterparty", "contract", "invoice", "request"]}


def _page_of(name: str, size: int, description: str) -> dict[str, Any]:
    return obj({"items": {"type": "array", "items": ref(name), "maxItems": size},
                "page": {"type": "integer", "minimum": 1},
                "per_page": {"type": "integer", "const": size},
                "total": {"type": "integer", "minimum": 0}}, description=description)


SALES_SCHEMAS: dict[str, Any] = {
    "ItemGroup": obj(
        {"id": ID, "version": VERSION, "name": TEXT, "parent_id": ID_OR_NULL,
         "depth": {"type": ["integer", "null"], "minimum": 0}},
        description="A folder of the nomenclature tree (PRD-3); depth in GET /item-groups."),
    "ItemGroupList": list_of("ItemGroup"),
    "Item": obj(
        {"id": ID, "version": VERSION, "name": TEXT, "item_kind": ITEM_KIND,
         "group_id": ID_OR_NULL, "unit": TEXT, "vat_rate": VAT_CODE, "article": TEXT,
         "description": TEXT, "active": BOOL},
        description="A position of the nomenclature: goods, a service or a work (PRD-3)."),
    "ItemPage": _page_of("Item", ITEM_PAGE, "One page of items, by name."),
    "ServiceKind": obj(
        {"id": ID, "version": VERSION, "code": TEXT, "name": TEXT, "item_id": ID_OR_NULL,
         "template": {"type": "array", "items": obj({"item_id": ID, "quantity": QUANTITY})},
         "conditions": {"type": "array", "items": ref("AttributeDef")},
         "card": {"type": "array", "items": ref("AttributeDef")},
         "attributes": ATTRIBUTE_VALUES, "active": BOOL},
        description="A type of service (PRD-1, REQ-2): template works and goods, the "
                    "conditions its requests hold, its card's attributes."),
    "ServiceKindList": list_of("ServiceKind"),
    "AttributeDef": ATTRIBUTE_DEF,
    "PriceType": obj(
        {"id": ID, "version": VERSION, "code": TEXT, "name": TEXT, "vat_included": BOOL},
        description="A kind of price (PRD-2): retail, wholesale, …"),
    "PriceTypeList": list_of("PriceType"),
    "ClientType": obj(
        {"id": ID, "version": VERSION, "code": TEXT, "name": TEXT, "price_type_id": ID},
        description="A type of client and the price type its invoices use (PRD-2)."),
    "ClientTypeList": list_of("ClientType"),
    "Price": obj(
        {"id": ID, "version": VERSION, "item_id": ID, "price_type_id": ID,
         "valid_from": DAY, "valid_to": {**DAY_OR_NULL,
                                         "description": "Exclusive; null: until further "
                                                        "notice"},
         "amount": MONEY},
        description="An item's price of one type over [valid_from, valid_to) (PRD-3)."),
    "PriceList": list_of("Price"),
    "ContractType": obj(
        {"id": ID, "version": VERSION, "code": TEXT, "name": TEXT,
         "number_pattern": {"type": "string", "examples": ["{year}-{seq:05d}"]},
         "attributes": {"type": "array", "items": ref("AttributeDef")}, "active": BOOL},
        description="A type of contract with its attribute set and number pattern (CON-1)."),
    "ContractTypeList": list_of("ContractType"),
    "StateDef": STATE_DEF,
    "TransitionDef": TRANSITION_DEF,
    "StateSet": obj(
        {"id": ID, "version": VERSION, "code": TEXT, "name": TEXT,
         "states": {"type": "array", "items": ref("StateDef")},
         "transitions": {"type": "array", "items": ref("TransitionDef")}},
        description="A set of states (REQ-4, INV-2) as the JSON of workflow.definition."),
    "StateSetList": list_of("StateSet"),
    "Contract": obj(
        {"id": ID, "version": VERSION, "counterparty_id": ID, "contract_type_id": ID,
         "number": TEXT, "title": TEXT, "subject": TEXT, "signed_on": DAY_OR_NULL,
         "draft": BOOL, "attributes": ATTRIBUTE_VALUES,
         "document_id": {**ID_OR_NULL, "description": "Its electronic copy"},
         "created_at": WHEN_OR_NULL, "created_by": ID_OR_NULL},
        description="A contract with a client (CON-1, CON-2); the number comes from its "
                    "type's pattern and is never given again."),
    "ContractList": list_of("Contract"),
    "ContractSummary": obj(
        {"contract": ref("Contract"),
         "contract_type": {"anyOf": [ref("ContractType"), {"type": "null"}]},
         "requests": {"type": "array", "items": ref("Request")},
         "invoices": {"type": "array", "items": ref("Invoice")},
         "payments": {"type": "array", "items": ref("Payment")},
         "acts": {"type": "array", "items": ref("Act")},
         "invoiced": MONEY, "paid": MONEY, "acted": MONEY},
        description="What a contract carries (CON-3, CON-4): invoiced counts invoices "
                    "neither draft nor cancelled; paid counts received payments."),
    "Request": obj(
        {"id": ID, "version": VERSION, "request_kind": REQUEST_KIND, "title": TEXT,
         "subject": TEXT, "author_id": ID, "assignee_id": ID, "state": TEXT,
         "state_entered_at": WHEN_OR_NULL, "service_kind_id": ID_OR_NULL,
         "conditions": ATTRIBUTE_VALUES, "counterparty_id": ID_OR_NULL,
         "contract_id": ID_OR_NULL, "invoice_id": ID_OR_NULL, "description": TEXT,
         "due_on": DAY_OR_NULL, "created_at": WHEN_OR_NULL},
        description="A request (REQ-1…REQ-4): internal, for a client (in a contract) or "
                    "by an invoice."),
    "RequestPage": _page_of("Request", REQUEST_PAGE, "One page of requests, newest first."),
    "Line": LINE,
    "Invoice": obj(
        {"id": ID, "version": VERSION, "number": TEXT, "title": TEXT, "issued_on": DAY,
         "counterparty_id": ID, "author_id": ID, "contract_id": ID_OR_NULL,
         "price_type_id": ID_OR_NULL, "vat_included": BOOL,
         "lines": {"type": "array", "items": ref("Line")},
         "total": MONEY, "vat": MONEY, "paid": MONEY,
         "debt": {**MONEY, "description": "total − paid"}, "state": TEXT,
         "state_entered_at": WHEN_OR_NULL,
         "requisites": {"type": "object", "additionalProperties": TEXT,
                        "description": "The client's requisites as of the invoice"},
         "contact_id": ID_OR_NULL, "contact_name": TEXT, "due_on": DAY_OR_NULL,
         "note": TEXT, "created_at": WHEN_OR_NULL,
         "deal_id": {**ID_OR_NULL, "description": "The deal it was issued for (DEAL-2)"}},
        description="An invoice to a client (INV-1…INV-4)."),
    "InvoicePage": _page_of("Invoice", INVOICE_PAGE,
                            "One page of a client's invoices, newest first."),
    "Printable": obj(
        {"invoice": ref("Invoice"), "company_name": TEXT,
         "company": {"type": "object", "additionalProperties": TEXT},
         "state_name": TEXT,
         "lines": {"type": "array", "items": obj({"amount": MONEY, "vat": MONEY,
                                                  "total": MONEY, "net": MONEY})},
         "amount": MONEY, "vat": MONEY, "total": MONEY, "net": MONEY,
         "without_vat": BOOL,
         "by_rate": {"type": "array", "items": obj({"rate": VAT_CODE, "name": TEXT,
                                                    "amount": MONEY, "vat": MONEY})}},
        description="What the printable invoice («Счёт на оплату») shows: the counted "
                    "lines (in the order of the invoice's lines) and the totals."),
    "Options": obj(
        {"state_set_id": ID, "states": {"type": "array", "items": obj(
            {"code": TEXT, "name": TEXT, "order": {"type": "integer"}, "initial": BOOL,
             "final": BOOL, "colour": TEXT, "norm_hours": {"type": ["integer", "null"]}})},
         "options": {"type": "array", "items": obj(
             {"to_state": TEXT, "name": TEXT, "target_name": TEXT, "reason_required": BOOL,
              "permitted": {"type": "boolean",
                            "description": "Your roles allow this transition"},
              "open": {"type": "boolean", "description": "Permitted and every guard met"},
              "blockers": {"type": "array", "items": obj({"field": TEXT,
                                                          "message": TEXT})}})}},
        description="The object's states and the manual transitions offered to you (none "
                    "when you may only look)."),
    "Payment": obj(
        {"id": ID, "version": VERSION, "invoice_id": ID, "counterparty_id": ID,
         "contract_id": ID_OR_NULL, "amount": MONEY, "paid_on": DAY,
         "planned": {"type": "boolean", "description": "A planned payment (a state's "
                                                      "on-enter action), not counted"},
         "reference": TEXT, "note": TEXT, "created_at": WHEN_OR_NULL,
         "created_by": ID_OR_NULL},
        description="A payment against an invoice (CON-4), possibly partial."),
    "PaymentList": list_of("Payment"),
    "Act": obj(
        {"id": ID, "version": VERSION, "number": TEXT, "counterparty_id": ID,
         "act_on": DAY, "amount": MONEY, "contract_id": ID_OR_NULL,
         "invoice_id": ID_OR_NULL, "note": TEXT, "created_at": WHEN_OR_NULL,
         "created_by": ID_OR_NULL},
        description="An act of completed work (CON-4)."),
    "ActList": list_of("Act"),
    "Settlement": obj(
        {"counterparty_id": ID, "invoiced": MONEY, "paid": MONEY,
         "balance": {**MONEY, "description": "Positive: the client owes; negative: paid "
                                             "in advance"},
         "status": SETTLEMENT_STATUS},
        description="The client's settlement (CP-13, CON-4)."),
    "Document": obj(
        {"id": ID, "version": VERSION, "owner_kind": OWNER_KIND, "owner_id": ID,
         "counterparty_id": ID_OR_NULL, "filename": TEXT, "content_type": TEXT,
         "size": {"type": "integer", "minimum": 1}, "note": TEXT,
         "uploaded_at": WHEN_OR_NULL, "uploaded_by": ID_OR_NULL},
        description="A file attached to a client, contract, invoice or request (DOC-1)."),
    "DocumentList": list_of("Document"),
    # request bodies
    "ItemGroupCreate": request_obj({"name": {"type": "string", "maxLength": 255},
                                    "parent_id": ID_OR_NULL}, ("name",)),
    "ItemGroupUpdate": request_obj({"version": VERSION,
                                    "name": {"type": "string", "maxLength": 255},
                                    "parent_id": ID_OR_NULL}, ("version",)),
    "ItemCreate": request_obj(
        {"name": {"type": "string", "maxLength": 300}, "item_kind": ITEM_KIND,
         "group_id": ID_OR_NULL, "unit": {"type": "string", "maxLength": 20},
         "vat_rate": VAT_CODE, "article": {"type": "string", "maxLength": 50},
         "description": {"type": "string", "maxLength": 2000}, "active": BOOL},
        ("name",)),
    "ItemUpdate": request_obj(
        {"version": VERSION, "name": {"type": "string", "maxLength": 300},
         "item_kind": ITEM_KIND, "group_id": ID_OR_NULL,
         "unit": {"type": "string", "maxLength": 20}, "vat_rate": VAT_CODE,
         "article": {"type": "string", "maxLength": 50},
         "description": {"type": "string", "maxLength": 2000}, "active": BOOL},
        ("version",)),
    "PriceSet": request_obj(
        {"item_id": ID, "price_type_id": ID, "valid_from": DAY_INPUT,
         "valid_to": DAY_INPUT_OR_NULL, "amount": MONEY_INPUT},
        ("item_id", "price_type_id", "valid_from", "amount"),
        "A price change: from valid_from (to valid_to, exclusive). It closes an "
        "open-ended earlier price of the item and type; any other overlap is 422 on "
        "valid_from."),
    "PriceUpdate": request_obj(
        {"version": VERSION, "valid_from": DAY_INPUT, "valid_to": DAY_INPUT_OR_NULL,
         "amount": MONEY_INPUT}, ("version",)),
    "ServiceKindCreate": request_obj(
        {"code": {"type": "string", "maxLength": 81}, "name": TEXT, "item_id": ID_OR_NULL,
         "template": {"type": "array", "items": request_obj(
             {"item_id": ID, "quantity": QUANTITY_INPUT}, ("item_id",))},
         "conditions": {"type": "array", "items": ATTRIBUTE_DEF_INPUT},
         "card": {"type": "array", "items": ATTRIBUTE_DEF_INPUT},
         "attributes": {"type": "object"}, "active": BOOL},
        ("code", "name")),
    "ServiceKindUpdate": request_obj(
        {"version": VERSION, "name": TEXT, "item_id": ID_OR_NULL,
         "template": {"type": "array", "items": {"type": "object"}},
         "conditions": {"type": "array", "items": ATTRIBUTE_DEF_INPUT},
         "card": {"type": "array", "items": ATTRIBUTE_DEF_INPUT},
         "attributes": {"type": "object"}, "active": BOOL},
        ("version",)),
    "PriceTypeCreate": request_obj({"code": TEXT, "name": {"type": "string", "maxLength": 100},
                                    "vat_included": BOOL}, ("code", "name")),
    "PriceTypeUpdate": request_obj({"version": VERSION,
                                    "name": {"type": "string", "maxLength": 100},
                                    "vat_included": BOOL}, ("version",)),
    "ClientTypeCreate": request_obj({"code": TEXT, "name": {"type": "string", "maxLength": 100},
                                     "price_type_id": ID}, ("code", "name", "price_type_id")),
    "ClientTypeUpdate": request_obj({"version": VERSION,
                                     "name": {"type": "string", "maxLength": 100},
                                     "price_type_id": ID}, ("version",)),
    "ContractTypeCreate": request_obj(
        {"code": TEXT, "name": {"type": "string", "maxLength": 100},
         "number_pattern": {"type": "string", "maxLength": 60,
                            "description": "Must hold {seq} (e.g. {seq:05d}); may hold "
                                           "{year}, {month}, {type}. Default "
                                           "{year}-{seq:05d}"},
         "attributes": {"type": "array", "items": ATTRIBUTE_DEF_INPUT}, "active": BOOL},
        ("code", "name")),
    "ContractTypeUpdate": request_obj(
        {"version": VERSION, "name": {"type": "string", "maxLength": 100},
         "number_pattern": {"type": "string", "maxLength": 60},
         "attributes": {"type": "array", "items": ATTRIBUTE_DEF_INPUT}, "active": BOOL},
        ("version",)),
    "StateSetCreate": request_obj(
        {"code": {"type": "string", "examples": ["request", "deal:long_sale"]},
         **STATE_SET_INPUT}, ("code", "name", "states", "transitions"),
        "Every malformed or unsound part is named at once (states[2].colour, …)."),
    "StateSetUpdate": request_obj({"version": VERSION, **STATE_SET_INPUT}, ("version",),
                                  "The code never changes; only what is sent changes."),
    "ContractCreate": request_obj(
        {"contract_type_id": ID, "subject": {"type": "string", "maxLength": 500},
         "signed_on": DAY_INPUT_OR_NULL,
         "draft": {"type": "boolean", "description": "Default: true unless signed_on"},
         "attributes": {"type": "object", "description": "Values of the type's attributes"}},
        ("contract_type_id",)),
    "ContractUpdate": request_obj(
        {"version": VERSION, "subject": {"type": "string", "maxLength": 500},
         "signed_on": DAY_INPUT_OR_NULL, "draft": BOOL, "attributes": {"type": "object"},
         "document_id": {**ID_OR_NULL, "description": "A document of this contract: its "
                                                      "electronic copy"}},
        ("version",)),
    "RequestCreate": request_obj(
        {"subject": {"type": "string", "maxLength": 300},
         "counterparty_id": ID_OR_NULL, "contract_id": ID_OR_NULL, "invoice_id": ID_OR_NULL,
         "assignee_id": {**ID_OR_NULL, "description": "Default: you"},
         "service_kind_id": ID_OR_NULL,
         "conditions": {"type": "object", "description": "Values of the service kind's "
                                                         "conditions"},
         "description": {"type": "string", "maxLength": 5000}, "due_on": DAY_INPUT_OR_NULL},
        ("subject",),
        "In a contract, for a client, by an invoice, or internal when none is given."),
    "RequestUpdate": request_obj(
        {"version": VERSION, "subject": {"type": "string", "maxLength": 300},
         "contract_id": ID_OR_NULL, "assignee_id": ID, "service_kind_id": ID_OR_NULL,
         "conditions": {"type": "object"},
         "description": {"type": "string", "maxLength": 5000}, "due_on": DAY_INPUT_OR_NULL},
        ("version",)),
    "Transition": request_obj(
        {"to_state": TEXT, "reason": {"type": "string", "maxLength": 4000},
         "version": VERSION},
        ("to_state", "version"),
        "A manual change of state; the engine checks who may and the guards (422 names "
        "to_state or the unmet field; reason when the transition needs one)."),
    "InvoiceCreate": request_obj(
        {"counterparty_id": ID, "issued_on": DAY_INPUT_OR_NULL, "contract_id": ID_OR_NULL,
         "price_type_id": {**ID_OR_NULL, "description": "Default: the client type's"},
         "vat_included": BOOL, "lines": {"type": "array", "items": ref("LineInput"),
                                         "maxItems": 500},
         "contact_id": ID_OR_NULL, "contact_name": TEXT, "due_on": DAY_INPUT_OR_NULL,
         "note": {"type": "string", "maxLength": 2000},
         "manager_id": {**ID_OR_NULL, "description": "The invoice manager (INV-3); "
                                                     "default: you"},
         "deal_id": {**ID_OR_NULL, "description": "An open deal of the client it is "
                                                  "issued for (DEAL-2's invoice "
                                                  "conditions)"}},
        ("counterparty_id",)),
    "InvoiceUpdate": request_obj(
        {"version": VERSION, "issued_on": DAY_INPUT, "contract_id": ID_OR_NULL,
         "vat_included": BOOL, "lines": {"type": "array", "items": ref("LineInput")},
         "contact_id": ID_OR_NULL, "contact_name": TEXT, "due_on": DAY_INPUT_OR_NULL,
         "note": {"type": "string", "maxLength": 2000}, "manager_id": ID},
        ("version",), "Lines, date, contract and contact change only in a draft (409)."),
    "LineInput": LINE_INPUT,
    "PaymentCreate": request_obj(
        {"amount": MONEY_INPUT, "paid_on": DAY_INPUT_OR_NULL,
         "reference": {"type": "string", "maxLength": 100},
         "note": {"type": "string", "maxLength": 2000}},
        ("amount",), "Against an issued invoice (409 for a draft or a closed one)."),
    "ActCreate": request_obj(
        {"invoice_id": ID_OR_NULL, "contract_id": ID_OR_NULL,
         "amount": {**MONEY_INPUT, "description": "Default: the invoice's total"},
         "act_on": DAY_INPUT_OR_NULL, "note": {"type": "string", "maxLength": 2000}}),
    "DocumentUpload": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "contentMediaType":
                                "application/octet-stream",
                                "description": "PDF, images, Word/Excel/OpenDocument, RTF, "
                                               "text or CSV; told by its content"},
                       "note": {"type": "string", "maxLength": 500}}},
}
SCHEMAS.update(SALES_SCHEMAS)

GROUP_ID = _path_param("group_id", "Item group id")
ITEM_ID = _path_param("item_id", "Item id")
PRICE_ID = _path_param("price_id", "Price id")
KIND_ID = _path_param("kind_id", "Service kind id")
PRICE_TYPE_ID = _path_param("type_id", "Price type id")
CLIENT_TYPE_ID = _path_param("type_id", "Client type id")
CONTRACT_TYPE_ID = _path_param("type_id", "Contract type id")
SET_ID = _path_param("set_id", "State set id")
CONTRACT_ID = _path_param("contract_id", "Contract id")
REQUEST_ID = _path_param("request_id", "Request id")
INVOICE_ID = _path_param("invoice_id", "Invoice id")
PAYMENT_ID = _path_param("payment_id", "Payment id")
DOCUMENT_ID = _path_param("document_id", "Document id")
PAGE_OF_20 = _query("page", {"type": "integer", "minimum": 1, "maximum": 100000},
                    "Page number, 20 a page (default 1)")
INCLUDE_INACTIVE = _query("include_inactive", BOOL, "Closed ones too")
VERSION_ARG = _query("version", VERSION, "The version you read (409 when stale)",
                     required=True)
BOOKS = "Everyone signed in reads it; the Director and Administrators change it."
CLIENT_WORK_RIGHTS = ("Rights: the client's catalog curators and client managers, the "
                      "Director; everyone who sees the client sees its documents.")
#: The media types a document is served with (told from its content on upload).
DOCUMENT_TYPES = tuple(sorted(
    {kind for _magic, kind, _suffix in SIGNATURES} | set(ZIP_TYPES.values())
    | {"text/plain", "text/csv"}))


def _book(op_id: str, summary: str, schema: str, body: str | None = None,
          params: tuple = (), ok: str = "200", errors: tuple[str, ...] = ()
          ) -> dict[str, Any]:
    return op(op_id, "products", summary, ok=ok, schema=schema, body=body, params=params,
              errors=errors, description=BOOKS)


def _upload_op(kind: str, owner: dict[str, Any]) -> dict[str, Any]:
    upload = op(f"upload_{kind}_document", "documents", f"Attach a file to a {kind} "
                                                        "(DOC-1)",
                ok="201", schema="Document", params=(owner,), errors=("413",),
                description="multipart/form-data: the field file (at most 20 MB; the API "
                            "takes bodies up to 21 MiB) and optionally note. "
                            + CLIENT_WORK_RIGHTS)
    upload["responses"]["422"] = {"$ref": "#/components/responses/Invalid"}
    upload["responses"]["400"] = {"$ref": "#/components/responses/BadRequest"}
    upload["requestBody"] = {"required": True, "content": {
        "multipart/form-data": {"schema": ref("DocumentUpload")}}}
    return upload


def _sales_paths() -> dict[str, Any]:
    content = op("document_content", "documents", "Download a document's file",
                 params=(DOCUMENT_ID,),
                 description="Only for those who may see its owner. The file is sent as "
                             "an attachment with its own type.")
    content["responses"]["200"]["content"] = {kind: {"schema": BINARY}
                                              for kind in DOCUMENT_TYPES}
    paths: dict[str, Any] = {
        "/item-groups": {
            "get": _book("item_groups", "The nomenclature tree (PRD-3)", "ItemGroupList"),
            "post": _book("create_item_group", "Add a group", "ItemGroup", "ItemGroupCreate",
                          ok="201", errors=("404",)),
        },
        "/item-groups/{group_id}": {
            "patch": _book("update_item_group", "Rename or move a group", "ItemGroup",
                           "ItemGroupUpdate", params=(GROUP_ID,), errors=CHANGE),
            "delete": op("delete_item_group", "products", "Delete an empty group",
                         ok="204", params=(GROUP_ID,), errors=CHANGE,
                         description="409 while it holds groups or items."),
        },
        "/items": {
            "get": op("items", "products", "Items, by name (PRD-3)", schema="ItemPage",
                      params=(_query("group_id", ID, "Of this group"),
                              _query("q", {"type": "string", "maxLength": 100},
                                     "Part of the name"),
                              PAGE_OF_20, INCLUDE_INACTIVE)),
            "post": _book("create_item", "Add an item", "Item", "ItemCreate", ok="201"),
        },
        "/items/{item_id}": {
            "get": op("item", "products", "One item", schema="Item", params=(ITEM_ID,)),
            "patch": _book("update_item", "Change an item", "Item", "ItemUpdate",
                           params=(ITEM_ID,), errors=CHANGE),
        },
        "/items/{item_id}/prices": {"get": op(
            "item_prices", "products", "An item's prices by type and date (PRD-3)",
            schema="PriceList", params=(ITEM_ID,))},
        "/items/{item_id}/price": {"get": op(
            "item_price", "products", "The item's price of a type on a day (PRD-3)",
            schema="Price", params=(
                ITEM_ID, _query("price_type_id", ID, "The price type", required=True),
                _query("day", DAY_INPUT, "The day", required=True)),
            description="404 when no price of the type is in force that day.")},
        "/prices": {"post": op(
            "set_price", "products", "Set a price from a day (PRD-3)", ok="201",
            schema="Price", body="PriceSet",
            description="The Director, Administrators and Sales management.")},
        "/prices/{price_id}": {
            "patch": op("update_price", "products", "Correct a price", schema="Price",
                        params=(PRICE_ID,), body="PriceUpdate", errors=CHANGE),
            "delete": op("delete_price", "products", "Delete a price", ok="204",
                         params=(PRICE_ID, VERSION_ARG), errors=CHANGE),
        },
        "/service-kinds": {
            "get": _book("service_kinds", "Service kinds (PRD-1)", "ServiceKindList",
                         params=(INCLUDE_INACTIVE,)),
            "post": _book("create_service_kind", "Add a service kind", "ServiceKind",
                          "ServiceKindCreate", ok="201"),
        },
        "/service-kinds/{kind_id}": {
            "get": op("service_kind", "products", "One service kind", schema="ServiceKind",
                      params=(KIND_ID,)),
            "patch": _book("update_service_kind", "Change a service kind", "ServiceKind",
                           "ServiceKindUpdate", params=(KIND_ID,), errors=CHANGE),
        },
        "/price-types": {
            "get": _book("price_types", "Price types (PRD-2)", "PriceTypeList"),
            "post": _book("create_price_type", "Add a price type", "PriceType",
                          "PriceTypeCreate", ok="201"),
        },
        "/price-types/{type_id}": {"patch": _book(
            "update_price_type", "Change a price type", "PriceType", "PriceTypeUpdate",
            params=(PRICE_TYPE_ID,), errors=CHANGE)},
        "/client-types": {
            "get": _book("client_types", "Client types (PRD-2)", "ClientTypeList"),
            "post": _book("create_client_type", "Add a client type", "ClientType",
                          "ClientTypeCreate", ok="201"),
        },
        "/client-types/{type_id}": {"patch": _book(
            "update_client_type", "Change a client type", "ClientType", "ClientTypeUpdate",
            params=(CLIENT_TYPE_ID,), errors=CHANGE)},
        "/contract-types": {
            "get": _book("contract_types", "Contract types (CON-1)", "ContractTypeList",
                         params=(INCLUDE_INACTIVE,)),
            "post": _book("create_contract_type", "Add a contract type", "ContractType",
                          "ContractTypeCreate", ok="201"),
        },
        "/contract-types/{type_id}": {"patch": _book(
            "update_contract_type", "Change a contract type", "ContractType",
            "ContractTypeUpdate", params=(CONTRACT_TYPE_ID,), errors=CHANGE)},
        "/state-sets": {
            "get": op("state_sets", "state sets", "State sets (REQ-4, INV-2)",
                      schema="StateSetList", description=BOOKS),
            "post": op("create_state_set", "state sets", "Add a state set", ok="201",
                       schema="StateSet", body="StateSetCreate", description=BOOKS),
        },
        "/state-sets/{set_id}": {
            "get": op("state_set", "state sets", "One state set", schema="StateSet",
                      params=(SET_ID,)),
            "patch": op("update_state_set", "state sets", "Change a state set",
                        schema="StateSet", params=(SET_ID,), body="StateSetUpdate",
                        errors=CHANGE, description=BOOKS + " A state objects are in "
                                                           "cannot be removed (422)."),
        },
        "/counterparties/{counterparty_id}/contracts": {
            "get": op("counterparty_contracts", "contracts", "A client's contracts, newest "
                                                             "first (CON-2)",
                      schema="ContractList", params=(COUNTERPARTY_ID,)),
            "post": op("register_contract", "contracts", "Register a contract (CON-2)",
                       ok="201", schema="Contract", params=(COUNTERPARTY_ID,),
                       body="ContractCreate", errors=CHANGE,
                       description=CLIENT_WORK_RIGHTS),
        },
        "/contracts/{contract_id}": {
            "get": op("contract", "contracts", "One contract", schema="Contract",
                      params=(CONTRACT_ID,)),
            "patch": op("update_contract", "contracts", "Change a contract",
                        schema="Contract", params=(CONTRACT_ID,), body="ContractUpdate",
                        errors=CHANGE, description=CLIENT_WORK_RIGHTS),
            "delete": op("delete_contract", "contracts", "Delete a draft contract",
                         ok="204", params=(CONTRACT_ID, VERSION_ARG), errors=CHANGE,
                         description="409 unless it is a draft with nothing under it "
                                     "(details: requests, invoices, acts, documents)."),
        },
        "/contracts/{contract_id}/summary": {"get": op(
            "contract_summary", "contracts", "What a contract carries (CON-3, CON-4)",
            schema="ContractSummary", params=(CONTRACT_ID,))},
        "/contracts/{contract_id}/requests": {"get": op(
            "contract_requests", "requests", "A contract's requests (REQ-3)",
            schema="RequestPage", params=(CONTRACT_ID, PAGE_OF_20))},
        "/requests": {"post": op(
            "create_request", "requests", "Register a request (REQ-1)", ok="201",
            schema="Request", body="RequestCreate", errors=CHANGE,
            description="The assignee gets a system message. " + CLIENT_WORK_RIGHTS)},
        "/requests/{request_id}": {
            "get": op("sales_request", "requests", "One request", schema="Request",
                      params=(REQUEST_ID,),
                      description="An internal request: its author, assignee, their "
                                  "department heads and the Director only."),
            "patch": op("update_request", "requests", "Change or reassign a request",
                        schema="Request", params=(REQUEST_ID,), body="RequestUpdate",
                        errors=CHANGE),
        },
        "/requests/{request_id}/transitions": {"post": op(
            "move_request", "requests", "Change a request's state (REQ-4)",
            schema="Request", params=(REQUEST_ID,), body="Transition", errors=CHANGE)},
        "/requests/{request_id}/options": {"get": op(
            "request_options", "requests", "The changes of state offered to you",
            schema="Options", params=(REQUEST_ID,))},
        "/counterparties/{counterparty_id}/requests": {"get": op(
            "counterparty_requests", "requests", "A client's requests",
            schema="RequestPage", params=(COUNTERPARTY_ID, PAGE_OF_20))},
        "/me/requests": {"get": op(
            "my_requests", "requests", "The requests assigned to you",
            schema="RequestPage", params=(PAGE_OF_20, _query("open_only", BOOL,
                                                             "Not in a final state")))},
        "/employees/{employee_id}/requests": {"get": op(
            "employee_requests", "requests", "The requests assigned to an employee",
            schema="RequestPage", params=(EMPLOYEE_ID, PAGE_OF_20,
                                          _query("open_only", BOOL, "Not in a final state")),
            description="For those who may see the employee's tasks (their heads).")},
        "/invoices": {"post": op(
            "create_invoice", "invoices", "Make an invoice (INV-1)", ok="201",
            schema="Invoice", body="InvoiceCreate", errors=("404", "409"),
            description="Lines naming an item are priced from the price list of the "
                        "client type on the invoice's day unless a price is given. "
                        + CLIENT_WORK_RIGHTS)},
        "/invoices/{invoice_id}": {
            "get": op("invoice", "invoices", "One invoice", schema="Invoice",
                      params=(INVOICE_ID,)),
            "patch": op("update_invoice", "invoices", "Change an invoice", schema="Invoice",
                        params=(INVOICE_ID,), body="InvoiceUpdate", errors=CHANGE,
                        description="Also its invoice manager (INV-3)."),
            "delete": op("delete_invoice", "invoices", "Delete a draft invoice", ok="204",
                         params=(INVOICE_ID, VERSION_ARG), errors=CHANGE,
                         description="409 unless a draft with no payments, acts, requests "
                                     "or documents; cancel it instead."),
        },
        "/invoices/{invoice_id}/transitions": {"post": op(
            "move_invoice", "invoices", "Change an invoice's state (INV-2)",
            schema="Invoice", params=(INVOICE_ID,), body="Transition", errors=CHANGE,
            description="Payments move an issued invoice to partly paid / paid by "
                        "themselves.")},
        "/invoices/{invoice_id}/options": {"get": op(
            "invoice_options", "invoices", "The changes of state offered to you",
            schema="Options", params=(INVOICE_ID,))},
        "/invoices/{invoice_id}/printable": {"get": op(
            "printable_invoice", "invoices", "What the printable invoice shows",
            schema="Printable", params=(INVOICE_ID,))},
        "/invoices/{invoice_id}/requests": {"get": op(
            "invoice_requests", "requests", "The requests made by an invoice",
            schema="RequestPage", params=(INVOICE_ID, PAGE_OF_20))},
        "/invoices/{invoice_id}/payments": {
            "get": op("invoice_payments", "invoices", "An invoice's payments, planned "
                                                      "ones too",
                      schema="PaymentList", params=(INVOICE_ID,)),
            "post": op("register_payment", "invoices", "Register a payment (CON-4)",
                       ok="201", schema="Payment", params=(INVOICE_ID,),
                       body="PaymentCreate", errors=CHANGE),
        },
        "/payments/{payment_id}": {"delete": op(
            "delete_payment", "invoices", "Delete a payment registered by mistake",
            ok="204", params=(PAYMENT_ID, VERSION_ARG), errors=CHANGE,
            description="409 when its invoice is closed.")},
        "/counterparties/{counterparty_id}/invoices": {"get": op(
            "counterparty_invoices", "invoices", "A client's invoices (INV-4)",
            schema="InvoicePage", params=(
                COUNTERPARTY_ID, PAGE_OF_20,
                _query("state", {"type": "string", "maxLength": 40},
                       "Only in this state (draft, issued, …)")))},
        "/counterparties/{counterparty_id}/acts": {
            "get": op("counterparty_acts", "invoices", "A client's acts",
                      schema="ActList", params=(COUNTERPARTY_ID,)),
            "post": op("register_act", "invoices", "Register an act of completed work "
                                                   "(CON-4)",
                       ok="201", schema="Act", params=(COUNTERPARTY_ID,), body="ActCreate",
                       errors=CHANGE),
        },
        "/counterparties/{counterparty_id}/settlement": {"get": op(
            "counterparty_settlement", "invoices", "The client's settlement (CP-13)",
            schema="Settlement", params=(COUNTERPARTY_ID,))},
        "/documents/{document_id}/content": {"get": content},
        "/documents/{document_id}": {"delete": op(
            "delete_document", "documents", "Remove a document", ok="204",
            params=(DOCUMENT_ID, VERSION_ARG), errors=CHANGE)},
    }
    for segment, kind in (("counterparties", "counterparty"), ("contracts", "contract"),
                          ("invoices", "invoice"), ("requests", "request")):
        owner = _path_param(f"{kind}_id", f"The {kind}'s id")
        paths[f"/{segment}/{{{kind}_id}}/documents"] = {
            "post": _upload_op(kind, owner),
            "get": op(f"{kind}_documents", "documents", f"A {kind}'s documents",
                      schema="DocumentList", params=(owner,)),
        }
    return paths


@cache
def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ECRM API",
            "version": "1",
            "description": (
                "The JSON API of ECRM. Authenticate with a personal token "
                "(`Authorization: Bearer ecrm_…`, made with `ecrm tokens create` or "
                "POST /tokens) or with the web UI's login session; cookie-authenticated "
                "POST/PATCH/DELETE requests also need the X-CSRFToken header. Errors are "
                "JSON objects with `error` and `message`; 422 adds `fields` with one "
                "message per offending field."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}, {"cookie": []}],
        "tags": [{"name": n} for n in (
            "meta", "me", "organisation", "employees", "services", "roles", "messages",
            "history", "tokens", "catalogs", "counterparties", "contacts", "tasks",
            "products", "state sets", "contracts", "requests", "invoices", "documents",
            "deals", "orders",
        )],
        "paths": {**_paths(), **_client_paths(), **_task_paths(), **_sales_paths(),
                  **_deal_paths(), **_order_paths()},
        "components": {
            "schemas": SCHEMAS,
            "responses": RESPONSES,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "A personal API token (ecrm_…)."},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "ecrm_session",
                           "description": "The web UI's login session. Changes also need "
                                          "the X-CSRFToken header (GET /csrf-token)."},
            },
        },
    }


# -- deals (issue 6): DEAL-1…DEAL-4, RPT-4 first part ---------------------------------------

#: A deal template's per-state settings (DEAL-2, DEAL-4) in the JSON of workflow.definition:
#: written only when set, so the sets of requests and invoices keep their shape.
STATE_DEF["properties"].update({
    "norm_days": {"type": "integer", "minimum": 1,
                  "description": "Normative stay in working days (DEAL-4)"},
    "probability": {"type": "integer", "minimum": 0, "maximum": 100,
                    "description": "Win probability in percent"},
    "outcome": {"type": "string", "enum": ["won", "lost"]},
    "required": {"type": "array", "items": TEXT,
                 "description": "Attributes that must be filled to enter the state"},
    "visible": {"type": "array", "items": TEXT,
                "description": "Attributes the card shows in the state (absent: all)"},
    "leave_guards": {"type": "array", "items": PLAIN_ITEM,
                     "description": "Conditions to leave the state"},
})
if "deal" not in OWNER_KIND["enum"]:
    OWNER_KIND["enum"].append("deal")

DEAL_PAGE_SIZE = 20
RUBLES = {**MONEY, "description": "Rubles, as a string with two decimals"}
OUTCOME = {"type": ["string", "null"], "enum": ["won", "lost", None]}
DEAL_RIGHTS = ("Rights (DEAL-3): who works the client (its catalog curators and client "
               "managers, the Director) registers deals; the deal manager and their "
               "department heads work the deal, Sales management moves it and records "
               "approvals; everyone who sees the client sees its deals.")
FIGURES_RIGHTS = ("A deal manager sees the figures of their own deals (manager_id is "
                  "theirs; another's is 403); Sales management and the Director see "
                  "everyone's.")
DEAL_PROPS: dict[str, Any] = {
    "id": ID, "version": VERSION, "number": TEXT, "title": TEXT, "template_id": ID,
    "counterparty_id": ID, "name": TEXT, "manager_id": ID, "author_id": ID,
    "amount": MONEY, "weighted": {**MONEY, "description": "amount × probability"},
    "planned": {**MONEY, "description": "The sum of its planned payments (DEAL-2)"},
    "expected_close_on": DAY_OR_NULL, "project_id": ID_OR_NULL, "contact_id": ID_OR_NULL,
    "attributes": {"type": "object",
                   "description": "Values of the template's attributes by code"},
    "approvals": {"type": "array", "items": TEXT},
    "state": TEXT, "state_entered_at": WHEN_OR_NULL,
    "due_in_state": {**WHEN_OR_NULL, "description": "When the stay outgrows the state's "
                                                    "norm (null: no norm, or closed)"},
    "overdue": {"type": "boolean", "description": "Open and over its state's norm now"},
    "probability": {"type": "integer", "minimum": 0, "maximum": 100},
    "outcome": OUTCOME, "close_reason": TEXT, "closed_at": WHEN_OR_NULL,
    "created_at": WHEN_OR_NULL, "note": TEXT,
}
FIGURES = {"pipeline": {**RUBLES, "description": "Open deals' amounts expected to close"},
           "weighted": {**RUBLES, "description": "Their part not covered by planned "
                                                 "payments × probability"},
           "planned": {**RUBLES, "description": "Payments planned for open deals"},
           "planned_weighted": {**RUBLES, "description": "Planned payments × probability"},
           "expected": {**RUBLES, "description": "weighted + planned_weighted"},
           "actual": {**RUBLES, "description": "Payments received"}}
TEMPLATE_INPUT: dict[str, Any] = {
    "name": {"type": "string", "maxLength": 100},
    "description": {"type": "string", "maxLength": 2000},
    "attributes": {"type": "array", "items": ATTRIBUTE_DEF_INPUT,
                   "description": "The deal card's attributes"},
    "head_after_days": {"type": "integer", "minimum": 0, "maximum": 366,
                        "description": "Working days after the norm before the manager's "
                                       "head is told too (DEAL-4)"},
    "active": BOOL, **{k: v for k, v in STATE_SET_INPUT.items() if k != "name"},
}

DEAL_SCHEMAS: dict[str, Any] = {
    "DealTemplate": obj(
        {"id": ID, "version": VERSION, "code": TEXT, "name": TEXT, "description": TEXT,
         "attributes": {"type": "array", "items": ref("AttributeDef")}, "active": BOOL,
         "head_after_days": {"type": "integer", "minimum": 0},
         "state_set_code": {"type": "string", "pattern": "^deal:"}},
        description="A deal template (DEAL-1); its states are the state set "
                    "state_set_code (GET /deal-templates/{id} shows it)."),
    "DealTemplateList": list_of("DealTemplate"),
    "DealTemplateDetail": obj(
        {"id": ID, "version": VERSION, "code": TEXT, "name": TEXT, "description": TEXT,
         "attributes": {"type": "array", "items": ref("AttributeDef")}, "active": BOOL,
         "head_after_days": {"type": "integer", "minimum": 0},
         "state_set_code": {"type": "string", "pattern": "^deal:"},
         "state_set": ref("StateSet"),
         "in_use": {"type": "array", "items": TEXT,
                    "description": "States some deal is in: they cannot be removed"}},
        description="A template with its states: per state the conditions to leave it, "
                    "the attributes required and visible in it, what is planned on entering "
                    "it, the win probability and the norm (DEAL-2)."),
    "DealTemplateCreate": request_obj(
        {"code": {"type": "string", "maxLength": 40}, **TEMPLATE_INPUT},
        ("code", "name", "states", "transitions"),
        "States and transitions as the state set editor takes them; conditions may name "
        "the deal's fields (name, amount, expected_close_on, project_id, manager_id, "
        "contact_id), the template's attributes and the conditions document_attached, "
        "invoice_issued, invoice_paid. Every bad part is named at once."),
    "DealTemplateUpdate": request_obj(
        {"version": VERSION, **TEMPLATE_INPUT}, ("version",),
        "Only what is sent changes; a state deals are in cannot go (422 names states), "
        "new states may be added to a template in use."),
    "CalendarDay": obj(
        {"id": ID, "version": VERSION, "day": DAY, "working": BOOL, "note": TEXT},
        description="A marked day of the working-days calendar (DEAL-4): a day off on a "
                    "weekday or a working weekend day."),
    "CalendarDayList": list_of("CalendarDay"),
    "CalendarMark": request_obj(
        {"day": DAY_INPUT, "working": BOOL, "note": {"type": "string", "maxLength": 200}},
        ("day",), "Mark a day off (working false) or a working day; a day marked as what "
                  "its weekday already is goes back to plain (204)."),
    "Deal": obj(DEAL_PROPS, description="A deal with a client run by its template "
                                        "(DEAL-3)."),
    "DealPage": _page_of("Deal", DEAL_PAGE_SIZE, "One page of deals, newest first."),
    "DealCreate": request_obj(
        {"counterparty_id": ID, "template_id": ID, "name": {"type": "string", "maxLength": 300},
         "amount": MONEY_INPUT, "expected_close_on": DAY_INPUT_OR_NULL,
         "project_id": {**ID_OR_NULL, "description": "The direction"},
         "contact_id": ID_OR_NULL, "manager_id": {**ID_OR_NULL, "description": "Default: you"},
         "attributes": {"type": "object"}, "note": {"type": "string", "maxLength": 4000}},
        ("counterparty_id", "template_id", "name"),
        "It starts in the template's initial state, whose tasks and payments are planned."),
    "DealUpdate": request_obj(
        {"version": VERSION, "name": {"type": "string", "maxLength": 300},
         "amount": MONEY_INPUT, "expected_close_on": DAY_INPUT_OR_NULL,
         "project_id": ID_OR_NULL, "contact_id": ID_OR_NULL, "manager_id": ID,
         "attributes": {"type": "object", "description": "Only the codes sent change"},
         "note": {"type": "string", "maxLength": 4000}},
        ("version",), "The attributes its state requires stay filled (422); a closed deal "
                      "is not changed (409)."),
    "DealApproval": request_obj(
        {"approval": {"type": "string", "maxLength": 64, "examples": ["discount"]},
         "version": VERSION}, ("approval", "version"),
        "An approval the template's conditions ask for (approval_obtained)."),
    "DealStay": obj(
        {"id": ID, "version": VERSION, "deal_id": ID, "state": TEXT, "entered_at": WHEN,
         "left_at": WHEN_OR_NULL,
         "hours": {"type": "number", "minimum": 0, "description": "Calendar hours so far"},
         "working_hours": {"type": ["number", "null"], "minimum": 0,
                           "description": "Working hours by the calendar, once over"}},
        description="One stay of a deal in a state (DEAL-4)."),
    "DealStayList": list_of("DealStay"),
    "DealPayment": obj(
        {"id": ID, "version": VERSION, "deal_id": ID, "counterparty_id": ID,
         "amount": MONEY, "due_on": DAY, "state": TEXT, "created_at": WHEN_OR_NULL},
        description="A payment planned on entering a state (DEAL-2), for the forecast."),
    "DealPaymentList": list_of("DealPayment"),
    "DealState": obj(
        {"code": TEXT, "name": TEXT, "order": {"type": "integer"}, "initial": BOOL,
         "final": BOOL, "colour": TEXT, "norm_days": {"type": ["integer", "null"]},
         "norm_hours": {"type": ["integer", "null"]},
         "probability": {"type": ["integer", "null"], "minimum": 0, "maximum": 100},
         "outcome": OUTCOME}),
    "BoardCard": obj(
        {"id": ID, "version": VERSION, "number": TEXT, "name": TEXT, "counterparty_id": ID,
         "client_name": TEXT, "amount": MONEY, "weighted": MONEY,
         "probability": {"type": "integer", "minimum": 0, "maximum": 100},
         "manager_id": ID, "project_id": ID_OR_NULL, "expected_close_on": DAY_OR_NULL,
         "state_entered_at": WHEN_OR_NULL,
         "days_in_state": {"type": "integer", "minimum": 0,
                           "description": "Whole calendar days in the state"},
         "due_in_state": WHEN_OR_NULL, "overdue": BOOL},
        description="A card of the board: the client, the amount, days in the state, "
                    "overdue (DEAL-4)."),
    "Board": obj(
        {"template": ref("DealTemplate"), "state_set_id": ID, "at": WHEN,
         "count": {"type": "integer", "minimum": 0}, "amount": RUBLES, "weighted": RUBLES,
         "columns": {"type": "array", "items": obj(
             {"state": ref("DealState"), "count": {"type": "integer", "minimum": 0},
              "amount": RUBLES, "weighted": RUBLES,
              "overdue": {"type": "integer", "minimum": 0,
                          "description": "Open deals over the norm"},
              "cards": {"type": "array", "items": ref("BoardCard"),
                        "description": "The first cards, longest in the state first; "
                                       "the rest: GET /deals?template_id&state"}})}},
        description="The pipeline board of a template: columns are its states (in order) "
                    "with the open deals' totals and weighted totals."),
    "ForecastMonth": obj({"month": DAY, **FIGURES}),
    "Forecast": obj(
        {"months": {"type": "array", "items": ref("ForecastMonth")},
         "totals": obj(FIGURES),
         "filters": obj({"template_id": ID_OR_NULL, "manager_id": ID_OR_NULL,
                         "project_id": ID_OR_NULL, "close_from": DAY_OR_NULL,
                         "close_to": DAY_OR_NULL})},
        description="Expected revenue by month (RPT-4): open deals weighted by their "
                    "state's probability plus planned payments, beside payments received."),
}
SCHEMAS.update(DEAL_SCHEMAS)

TEMPLATE_ID = _path_param("template_id", "Deal template id")
DEAL_ID = _path_param("deal_id", "Deal id")
DAY_PARAM = {"type": "string", "examples": ["2026-03-31"]}
FILTER_PARAMS = (
    _query("manager_id", ID, "Deals of this manager"),
    _query("project_id", ID, "Deals of this direction"),
    _query("close_from", DAY_PARAM, "Expected to close on or after this day"),
    _query("close_to", DAY_PARAM, "Expected to close on or before this day"),
)


def _deal_paths() -> dict[str, Any]:
    owner = _path_param("deal_id", "The deal's id")
    paths: dict[str, Any] = {
        "/deal-templates": {
            "get": op("deal_templates", "deals", "Deal templates, by name (DEAL-1)",
                      schema="DealTemplateList",
                      params=(_query("active_only", BOOL, "Only active ones"),)),
            "post": op("create_deal_template", "deals", "Add a deal template", ok="201",
                       schema="DealTemplate", body="DealTemplateCreate", errors=CHANGE,
                       description=BOOKS),
        },
        "/deal-templates/{template_id}": {
            "get": op("deal_template", "deals", "A template with its states",
                      schema="DealTemplateDetail", params=(TEMPLATE_ID,)),
            "patch": op("update_deal_template", "deals", "Change a template",
                        schema="DealTemplate", params=(TEMPLATE_ID,),
                        body="DealTemplateUpdate", errors=CHANGE, description=BOOKS),
        },
        "/deal-templates/{template_id}/board": {"get": op(
            "deal_board", "deals", "The pipeline board of a template", schema="Board",
            params=(TEMPLATE_ID, *FILTER_PARAMS,
                    _query("per_column", {"type": "integer", "minimum": 1, "maximum": 100},
                           "Cards per column (default 20)")),
            description=FIGURES_RIGHTS)},
        "/calendar-days": {
            "get": op("calendar_days", "deals", "The marked days of a year (DEAL-4)",
                      schema="CalendarDayList", params=(
                          _query("year", {"type": "integer", "minimum": 1900,
                                          "maximum": 2999}, "The year", required=True),)),
            "post": op("mark_calendar_day", "deals", "Mark a day off or a working day",
                       schema="CalendarDay", body="CalendarMark", errors=CHANGE,
                       description=BOOKS),
        },
        "/deals": {
            "get": op("deals", "deals", "Deals, newest first", schema="DealPage", params=(
                _query("template_id", ID, "Of this template"), *FILTER_PARAMS,
                _query("state", {"type": "string", "maxLength": 40}, "In this state"),
                _query("overdue", BOOL, "Only open deals over their state's norm"),
                PAGE_OF_20), description=FIGURES_RIGHTS),
            "post": op("register_deal", "deals", "Register a deal (DEAL-3)", ok="201",
                       schema="Deal", body="DealCreate", errors=CHANGE,
                       description=DEAL_RIGHTS),
        },
        "/deals/{deal_id}": {
            "get": op("deal", "deals", "One deal", schema="Deal", params=(DEAL_ID,)),
            "patch": op("update_deal", "deals", "Change a deal's card", schema="Deal",
                        params=(DEAL_ID,), body="DealUpdate", errors=CHANGE,
                        description=DEAL_RIGHTS),
            "delete": op("delete_deal", "deals", "Delete a deal registered by mistake",
                         ok="204", params=(DEAL_ID, VERSION_ARG), errors=CHANGE,
                         description="409 unless in its first state with no invoices or "
                                     "documents; close it as lost instead."),
        },
        "/deals/{deal_id}/transitions": {"post": op(
            "move_deal", "deals", "Move a deal to another state (DEAL-2, DEAL-3)",
            schema="Deal", params=(DEAL_ID,), body="Transition", errors=CHANGE,
            description="The engine checks the roles and every condition: 422 names each "
                        "unmet one (an attribute, document_attached, invoice_issued, "
                        "invoice_paid, an approval; reason for won/lost ones that need it); "
                        "a stale version is 409.")},
        "/deals/{deal_id}/options": {"get": op(
            "deal_options", "deals", "The moves offered to you, with what blocks them",
            schema="Options", params=(DEAL_ID,))},
        "/deals/{deal_id}/approvals": {"post": op(
            "approve_deal", "deals", "Record an approval the template asks for",
            schema="Deal", params=(DEAL_ID,), body="DealApproval", errors=CHANGE,
            description="The Director, Sales management or the manager's department head.")},
        "/deals/{deal_id}/stays": {"get": op(
            "deal_stays", "deals", "A deal's stays in its states (DEAL-4)",
            schema="DealStayList", params=(DEAL_ID,))},
        "/deals/{deal_id}/payments": {"get": op(
            "deal_payments", "deals", "A deal's planned payments (DEAL-2)",
            schema="DealPaymentList", params=(DEAL_ID,))},
        "/deals/{deal_id}/tasks": {"get": op(
            "deal_tasks", "deals", "A deal's tasks (TASK-2)", schema="TaskList",
            params=(DEAL_ID,))},
        "/deals/{deal_id}/documents": {
            "post": _upload_op("deal", owner),
            "get": op("deal_documents", "documents", "A deal's documents",
                      schema="DocumentList", params=(owner,)),
        },
        "/counterparties/{counterparty_id}/deals": {"get": op(
            "counterparty_deals", "deals", "A client's deals, newest first",
            schema="DealPage", params=(COUNTERPARTY_ID, PAGE_OF_20))},
        "/deal-forecast": {"get": op(
            "deal_forecast", "deals", "Expected revenue by month (RPT-4)", schema="Forecast",
            params=(_query("months", {"type": "integer", "minimum": 1, "maximum": 36},
                           "How many months (default 12)"),
                    _query("start", DAY_PARAM, "A day of the first month (default: today)"),
                    _query("template_id", ID, "Deals of this template"), *FILTER_PARAMS),
            description=FIGURES_RIGHTS)},
    }
    paths["/calendar-days"]["post"]["responses"]["204"] = {
        "description": "The day went back to plain (nothing is marked)"}
    return paths


# -- customer orders (issue 6): ORD-1…ORD-3 --------------------------------------------------

ORDER_PAGE_SIZE = 20
ORDER_PART = {"type": "string", "enum": ["package", "equipment", "work"],
              "description": "package: the service package (paid monthly); equipment "
                           "and work: paid once"}
ORDER_RIGHTS = ("Rights: who works the client (its catalog curators and client managers, "
                "the Director) makes and works its orders; everyone who sees the client "
                "sees them.")
ESTIMATE_TOTALS = obj({"amount": MONEY, "vat": MONEY, "total": MONEY})
ROUTE_STEP = obj({"role": {"type": ["string", "null"], "enum": [*_values(Role), None]},
                  "employee_id": ID_OR_NULL},
                 description="A step: a role (any active holder over the order; the "
                             "Director and Sales management anywhere) or an employee.")
ROUTE_STEP_INPUT = request_obj(
    {"role": {"type": "string", "enum": _values(Role)}, "employee_id": ID},
    description="Exactly one of role and employee_id.")
ROUTE_INPUT: dict[str, Any] = {
    "name": {"type": "string", "maxLength": 200},
    "steps": {"type": "array", "items": ref("ApprovalStepInput"), "minItems": 1,
              "maxItems": 20},
    "active": BOOL,
}
ORDER_LINE_INPUT = request_obj(
    {"part": {**ORDER_PART, "description": "Default: the item's kind (a service is the "
                                           "package, goods are equipment, a work is a "
                                           "work); a free-text line must say"},
     **LINE_INPUT["properties"]},
    ("quantity",), "Priced like an invoice's line on the order's day; bad values are named "
                   "lines[<n>].<field>.")

ORDER_SCHEMAS: dict[str, Any] = {
    "OrderLine": obj({"part": ORDER_PART, **LINE["properties"]},
                     description="A line of an order (ORD-1)."),
    "Order": obj(
        {"id": ID, "version": VERSION, "number": TEXT, "title": TEXT, "counterparty_id": ID,
         "contract_id": ID_OR_NULL, "author_id": ID, "ordered_on": DAY,
         "price_type_id": ID_OR_NULL, "vat_included": BOOL,
         "lines": {"type": "array", "items": ref("OrderLine")},
         "one_time_total": {**MONEY, "description": "Equipment and works, with VAT"},
         "monthly_total": {**MONEY, "description": "The service package, with VAT"},
         "state": TEXT, "state_entered_at": WHEN_OR_NULL, "note": TEXT,
         "created_at": WHEN_OR_NULL},
        description="A customer order (ORD-1…ORD-3): states draft, approval, approved, "
                    "connection, connected, cancelled."),
    "OrderPage": _page_of("Order", ORDER_PAGE_SIZE, "One page of orders, newest first."),
    "OrderLineInput": ORDER_LINE_INPUT,
    "OrderCreate": request_obj(
        {"counterparty_id": ID, "ordered_on": DAY_INPUT_OR_NULL, "contract_id": ID_OR_NULL,
         "price_type_id": {**ID_OR_NULL, "description": "Default: the client type's"},
         "vat_included": BOOL,
         "lines": {"type": "array", "items": ref("OrderLineInput"), "maxItems": 500},
         "note": {"type": "string", "maxLength": 2000}},
        ("counterparty_id",), "A draft numbered З-1, З-2, …; the lines are priced from the "
                              "price list for the price type on ordered_on (default: "
                              "today)."),
    "OrderUpdate": request_obj(
        {"version": VERSION, "ordered_on": DAY_INPUT, "contract_id": ID_OR_NULL,
         "vat_included": BOOL, "lines": {"type": "array", "items": ref("OrderLineInput")},
         "note": {"type": "string", "maxLength": 2000}},
        ("version",), "Lines, date, contract and VAT mode change only in a draft (409)."),
    "EstimateLine": obj(
        {"part": ORDER_PART, "item_id": ID_OR_NULL, "name": TEXT, "unit": TEXT,
         "quantity": QUANTITY, "price": MONEY, "discount": MONEY, "vat_rate": VAT_CODE,
         "amount": MONEY, "vat": MONEY, "total": MONEY}),
    "Estimate": obj(
        {"vat_included": BOOL, "lines": {"type": "array", "items": ref("EstimateLine")},
         "one_time": ESTIMATE_TOTALS, "monthly": ESTIMATE_TOTALS},
        description="The connection estimate (ORD-2): one-time (equipment and works) and "
                    "monthly (the package) sums with VAT."),
    "ApprovalStep": ROUTE_STEP,
    "ApprovalStepInput": ROUTE_STEP_INPUT,
    "ApprovalRoute": obj(
        {"id": ID, "version": VERSION, "name": TEXT,
         "steps": {"type": "array", "items": ref("ApprovalStep")}, "active": BOOL},
        description="A chain of approvers (ORD-2)."),
    "ApprovalRouteList": list_of("ApprovalRoute"),
    "ApprovalRouteCreate": request_obj(ROUTE_INPUT, ("name", "steps"),
                                       "Steps in order; every bad one is named steps[<n>]."),
    "ApprovalRouteUpdate": request_obj({"version": VERSION, **ROUTE_INPUT}, ("version",),
                                       "Only what is sent changes; rounds already "
                                       "submitted keep the steps they froze."),
    "Decision": obj({"step": {"type": "integer", "minimum": 0}, "employee_id": ID,
                     "approved": BOOL, "reason": TEXT, "at": WHEN}),
    "ApprovalRound": obj(
        {"id": ID, "version": VERSION, "order_id": ID, "route_id": ID_OR_NULL,
         "route_name": TEXT, "steps": {"type": "array", "items": ref("ApprovalStep")},
         "estimate": ref("Estimate"), "order_version": {"type": "integer", "minimum": 1},
         "step": {"type": "integer", "minimum": 0,
                  "description": "The step waiting for an answer (from 0)"},
         "status": {"type": "string", "enum": ["pending", "approved", "refused",
                                               "cancelled"]},
         "decisions": {"type": "array", "items": ref("Decision")},
         "approvers": {"type": "array", "items": ID,
                       "description": "Who may answer the waiting step now"},
         "submitted_by": ID_OR_NULL, "submitted_at": WHEN_OR_NULL,
         "finished_at": WHEN_OR_NULL},
        description="One submission of an order's estimate along a route (ORD-2): the "
                    "route's steps and the estimate frozen as submitted."),
    "ApprovalRoundList": list_of("ApprovalRound"),
    "OrderSubmit": request_obj({"route_id": ID, "version": VERSION}, ("route_id", "version"),
                               "Every step of the route must have someone to answer it."),
    "OrderDecision": request_obj(
        {"approve": BOOL, "reason": {"type": "string", "maxLength": 2000,
                                     "description": "Required with a refusal"}},
        ("approve",)),
    "BillingHandoff": obj(
        {"id": ID, "version": VERSION, "order_id": ID,
         "revision": {"type": "integer", "minimum": 1}, "key": TEXT,
         "payload": {"type": "object", "description": "The document for the billing "
                                                      "system, schema ecrm.billing/1"},
         "state": {"type": "string", "enum": ["pending", "accepted", "failed"]},
         "attempts": {"type": "integer", "minimum": 0}, "last_error": TEXT,
         "next_try_at": WHEN_OR_NULL, "accepted_at": WHEN_OR_NULL,
         "created_at": WHEN_OR_NULL},
        description="The data of an order for the billing system (ORD-3), sent under its "
                    "idempotency key until accepted, never twice."),
    "BillingHandoffList": list_of("BillingHandoff"),
}
SCHEMAS.update(ORDER_SCHEMAS)

ORDER_ID = _path_param("order_id", "Order id")
ROUTE_ID = _path_param("route_id", "Approval route id")
ORDER_STATE = _query("state", {"type": "string", "maxLength": 40}, "In this state")


def _order_paths() -> dict[str, Any]:
    return {
        "/orders": {
            "get": op("orders", "orders", "Orders, newest first (ORD-1)", schema="OrderPage",
                      params=(ORDER_STATE, _query("counterparty_id", ID, "Of this client"),
                              PAGE_OF_20)),
            "post": op("create_order", "orders", "Make an order (ORD-1)", ok="201",
                       schema="Order", body="OrderCreate", errors=CHANGE,
                       description=ORDER_RIGHTS),
        },
        "/orders/{order_id}": {
            "get": op("order", "orders", "One order", schema="Order", params=(ORDER_ID,)),
            "patch": op("update_order", "orders", "Change an order", schema="Order",
                        params=(ORDER_ID,), body="OrderUpdate", errors=CHANGE,
                        description=ORDER_RIGHTS),
            "delete": op("delete_order", "orders", "Delete a draft never submitted",
                         ok="204", params=(ORDER_ID, VERSION_ARG), errors=CHANGE,
                         description="409 once it was submitted: cancel it instead."),
        },
        "/orders/{order_id}/transitions": {"post": op(
            "move_order", "orders", "Change an order's state by hand (ORD-3)",
            schema="Order", params=(ORDER_ID,), body="Transition", errors=CHANGE,
            description="To connection once the estimate is approved (its billing "
                        "hand-off is made), connected, cancelled (with a reason). To "
                        "approval an order goes by POST …/submit.")},
        "/orders/{order_id}/options": {"get": op(
            "order_options", "orders", "The changes of state offered to you",
            schema="Options", params=(ORDER_ID,))},
        "/orders/{order_id}/estimate": {"get": op(
            "order_estimate", "orders", "The connection estimate (ORD-2)",
            schema="Estimate", params=(ORDER_ID,))},
        "/orders/{order_id}/submit": {"post": op(
            "submit_order", "orders", "Submit a draft's estimate along a route (ORD-2)",
            ok="201", schema="ApprovalRound", params=(ORDER_ID,), body="OrderSubmit",
            errors=CHANGE, description="A new round; the first step's approvers get a "
                                       "confirmation request. " + ORDER_RIGHTS)},
        "/orders/{order_id}/decision": {"post": op(
            "decide_order", "orders", "Approve or refuse the waiting step (ORD-2)",
            schema="ApprovalRound", params=(ORDER_ID,), body="OrderDecision", errors=CHANGE,
            description="Only an approver of the waiting step (403 for others). A refusal "
                        "needs a reason, ends the round and returns the order to its "
                        "author's draft; the last approval makes it approved.")},
        "/orders/{order_id}/rounds": {"get": op(
            "order_rounds", "orders", "The order's approval rounds, newest first",
            schema="ApprovalRoundList", params=(ORDER_ID,))},
        "/orders/{order_id}/handoffs": {
            "get": op("order_handoffs", "orders", "The order's billing hand-offs (ORD-3)",
                      schema="BillingHandoffList", params=(ORDER_ID,)),
            "post": op("hand_off_order_again", "orders", "Hand the order off again",
                       ok="201", schema="BillingHandoff", params=(ORDER_ID,), errors=CHANGE,
                       description="A new revision after the billing system refused the "
                                   "last one (409 otherwise). " + ORDER_RIGHTS),
        },
        "/counterparties/{counterparty_id}/orders": {"get": op(
            "counterparty_orders", "orders", "A client's orders, newest first",
            schema="OrderPage", params=(COUNTERPARTY_ID, ORDER_STATE, PAGE_OF_20))},
        "/billing-handoffs": {"get": op(
            "billing_handoffs", "orders", "Billing hand-offs of every order, newest first",
            schema="BillingHandoffList", params=(
                _query("pending", BOOL, "Only those not accepted yet"),
                _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000},
                       "At most this many (default 100)")))},
        "/approval-routes": {
            "get": op("approval_routes", "orders", "Approval routes, by name (ORD-2)",
                      schema="ApprovalRouteList", params=(INCLUDE_INACTIVE,)),
            "post": op("create_approval_route", "orders", "Add an approval route", ok="201",
                       schema="ApprovalRoute", body="ApprovalRouteCreate", errors=CHANGE,
                       description=BOOKS),
        },
        "/approval-routes/{route_id}": {
            "get": op("approval_route", "orders", "One approval route",
                      schema="ApprovalRoute", params=(ROUTE_ID,)),
            "patch": op("update_approval_route", "orders", "Change an approval route",
                        schema="ApprovalRoute", params=(ROUTE_ID,),
                        body="ApprovalRouteUpdate", errors=CHANGE, description=BOOKS),
            "delete": op("delete_approval_route", "orders", "Delete a route never used",
                         ok="204", params=(ROUTE_ID, VERSION_ARG), errors=CHANGE,
                         description=BOOKS + " 409 once an order was submitted along it: "
                                             "deactivate it instead."),
        },
    }
