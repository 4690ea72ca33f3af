"""The OpenAPI 3.1 description of /api/v1, as data.

Served at ``GET /api/v1/openapi.json``. Tests keep it honest: the document validates,
every rule of the blueprint is described (and nothing else), and the responses of the
endpoints validate against the schemas below (response objects list every field and
allow no others)."""

from __future__ import annotations

from functools import cache
from typing import Any

from ecrm_core.access.model import Role
from ecrm_core.messages.model import ConfirmationState, MessageKind
from ecrm_core.org.model import LOCALES, ServiceState

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
    "Company": obj({"id": ID, "version": VERSION, "name": TEXT}),
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
    "CompanyUpdate": request_obj({"version": VERSION, "name": TEXT}, ("version", "name")),
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
            "history", "tokens",
        )],
        "paths": _paths(),
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
