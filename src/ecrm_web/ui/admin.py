"""Administration pages (ORG-1…ORG-6): departments, projects, employees, roles, the
classifier of service types and the services of departments, projects and employees;
the reference books of tasks: typical tasks (TASK-4) and escalation rules (TASK-7).

Every action calls one core service and the policy inside it decides: a Forbidden from
the service is a 403 page and nothing changes. Forms come back with per-field messages
(422) or a "changed by someone else" notice (409)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ecrm_core.access.model import Action, Role
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import Forbidden, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.org.model import SERVICE_OWNERS
from ecrm_web.ui import texts
from ecrm_web.ui.common import (
    actor,
    as_int,
    core,
    form_data,
    handle_form,
    navigation,
    redirect_to,
)
from ecrm_web.ui.present import TIMEZONES, Names, department_tree

bp = Blueprint("ui_admin", __name__, url_prefix="/admin")

DEPARTMENT_FIELDS = ("name", "description", "parent_id", "head_id", "version")
PROJECT_FIELDS = ("name", "description", "active", "version")
EMPLOYEE_NEW_FIELDS = ("login", "password", "full_name", "email", "phone", "department_id",
                       "head_id", "position")
EMPLOYEE_EDIT_FIELDS = ("full_name", "email", "phone", "department_id", "head_id", "position",
                        "locale", "timezone", "version")
SERVICE_TYPE_NEW_FIELDS = ("code", "name", "description")
SERVICE_TYPE_EDIT_FIELDS = ("name", "description", "version")


def _pick(fields: tuple[str, ...]) -> dict[str, str]:
    data = form_data()
    return {k: data[k] for k in fields if k in data}


def _require_section() -> None:
    """The admin pages are for those whose roles give any right beyond viewing (the
    navigation panel shows the links to the same people); actions are checked again by
    the services themselves."""
    if not navigation().get("manages"):
        raise Forbidden("not allowed")


def _require(action: Action, ref: ObjectRef) -> None:
    if not core().access.allowed(actor(), action, ref):
        raise Forbidden("not allowed")


def _choices() -> dict:
    app = core()
    tree = department_tree(app.org.departments(actor()))
    employees = app.org.employees(actor())
    projects = app.org.projects(actor())
    return {
        "department_tree": tree,
        "employees_all": employees,
        "projects_all": projects,
        "department_options": [
            (d.id, "\u2003" * depth + ("└ " if depth else "") + d.name) for depth, d in tree
        ],
        "employee_options": [(e.id, f"{e.full_name} ({e.login})") for e in employees],
        "project_options": [(p.id, p.name) for p in projects],
    }


@bp.get("/")
@login_required
def index():
    _require_section()
    return redirect_to(url_for("ui_admin.departments"))


# -- departments (ORG-2) ------------------------------------------------------------------


def _departments_context() -> dict:
    return {"section": "departments", "names": Names(), **_choices()}


@bp.get("/departments")
@login_required
def departments():
    _require_section()
    return render_template("admin/departments.html", errors={}, values=None,
                           **_departments_context())


@bp.post("/departments")
@login_required
def create_department():
    data = _pick(DEPARTMENT_FIELDS[:-1])
    return handle_form(
        lambda: core().org.create_department(actor(), data),
        success=lambda dep: redirect_to(url_for("ui_org.department", department_id=dep.id)),
        template="admin/departments.html",
        context=_departments_context,
        message=_("The department is created."),
    )


def _department_edit_context(department_id: int) -> dict:
    return {"obj": core().org.department(actor(), department_id), **_departments_context()}


@bp.get("/departments/<int:department_id>/edit")
@login_required
def edit_department(department_id: int):
    _require(Action.EDIT, ObjectRef(refs.DEPARTMENT, department_id))
    return render_template("admin/department_edit.html", errors={}, values=None,
                           **_department_edit_context(department_id))


@bp.post("/departments/<int:department_id>/edit")
@login_required
def update_department(department_id: int):
    data = _pick(DEPARTMENT_FIELDS)
    return handle_form(
        lambda: core().org.update_department(actor(), department_id, data),
        success=lambda dep: redirect_to(url_for("ui_org.department", department_id=dep.id)),
        template="admin/department_edit.html",
        context=lambda: _department_edit_context(department_id),
        message=_("The department is saved."),
    )


# -- projects (ORG-3) ----------------------------------------------------------------------


def _projects_context() -> dict:
    return {"section": "projects", "projects": core().org.projects(actor())}


@bp.get("/projects")
@login_required
def projects():
    _require_section()
    return render_template("admin/projects.html", errors={}, values=None, **_projects_context())


@bp.post("/projects")
@login_required
def create_project():
    data = _pick(("name", "description"))
    return handle_form(
        lambda: core().org.create_project(actor(), data),
        success=lambda p: redirect_to(url_for("ui_org.project", project_id=p.id)),
        template="admin/projects.html",
        context=_projects_context,
        message=_("The project is created."),
    )


def _project_edit_context(project_id: int) -> dict:
    return {"section": "projects", "obj": core().org.project(actor(), project_id)}


@bp.get("/projects/<int:project_id>/edit")
@login_required
def edit_project(project_id: int):
    _require(Action.EDIT, ObjectRef(refs.PROJECT, project_id))
    return render_template("admin/project_edit.html", errors={}, values=None,
                           **_project_edit_context(project_id))


@bp.post("/projects/<int:project_id>/edit")
@login_required
def update_project(project_id: int):
    data = _pick(PROJECT_FIELDS)
    return handle_form(
        lambda: core().org.update_project(actor(), project_id, data),
        success=lambda p: redirect_to(url_for("ui_org.project", project_id=p.id)),
        template="admin/project_edit.html",
        context=lambda: _project_edit_context(project_id),
        message=_("The project is saved."),
    )


# -- employees (ORG-4) ---------------------------------------------------------------------


def _employees_context() -> dict:
    return {"section": "employees", "names": Names(), "timezones": TIMEZONES, **_choices()}


@bp.get("/employees")
@login_required
def employees():
    _require_section()
    return render_template("admin/employees.html", errors={}, values=None,
                           **_employees_context())


@bp.post("/employees")
@login_required
def create_employee():
    data = _pick(EMPLOYEE_NEW_FIELDS)
    return handle_form(
        lambda: core().org.add_employee(actor(), data),
        success=lambda e: redirect_to(url_for("ui_org.employee", employee_id=e.id)),
        template="admin/employees.html",
        context=_employees_context,
        message=_("The employee is registered."),
    )


def _employee_edit_context(employee_id: int) -> dict:
    return {"obj": core().org.employee(actor(), employee_id), **_employees_context()}


@bp.get("/employees/<int:employee_id>/edit")
@login_required
def edit_employee(employee_id: int):
    _require(Action.EDIT, ObjectRef(refs.EMPLOYEE, employee_id))
    return render_template("admin/employee_edit.html", errors={}, values=None,
                           **_employee_edit_context(employee_id))


@bp.post("/employees/<int:employee_id>/edit")
@login_required
def update_employee(employee_id: int):
    data = _pick(EMPLOYEE_EDIT_FIELDS)
    return handle_form(
        lambda: core().org.update_employee(actor(), employee_id, data),
        success=lambda e: redirect_to(url_for("ui_org.employee", employee_id=e.id)),
        template="admin/employee_edit.html",
        context=lambda: _employee_edit_context(employee_id),
        message=_("The employee's card is saved."),
    )


@bp.post("/employees/<int:employee_id>/password")
@login_required
def set_password(employee_id: int):
    password = form_data().get("password", "")
    return handle_form(
        lambda: core().org.set_password(actor(), employee_id, password),
        success=lambda _r: redirect_to(url_for("ui_admin.edit_employee",
                                               employee_id=employee_id)),
        template="admin/employee_edit.html",
        context=lambda: _employee_edit_context(employee_id),
        message=_("The password is set."),
    )


@bp.post("/employees/<int:employee_id>/active")
@login_required
def set_active(employee_id: int):
    active = form_data().get("active") == "1"
    return handle_form(
        lambda: core().org.set_active(actor(), employee_id, active),
        success=lambda _r: redirect_to(url_for("ui_org.employee", employee_id=employee_id)),
        template="admin/employee_edit.html",
        context=lambda: _employee_edit_context(employee_id),
        message=_("The employee is enabled.") if active else _("The employee is disabled."),
    )


# -- roles (ORG-6) ---------------------------------------------------------------------------


def _roles_context() -> dict:
    app = core()
    company = app.org.company()
    return {
        "section": "roles",
        "names": Names(),
        "assignments": app.access.assignments(actor()),
        "roles": [(r.value, texts.label(texts.ROLE_LABELS, r)) for r in Role],
        "company": company,
        **_choices(),
    }


@bp.get("/roles")
@login_required
def roles():
    _require_section()
    return render_template("admin/roles.html", errors={}, values=None, **_roles_context())


def _parse_scope(text: str) -> ObjectRef:
    kind, _sep, ident = (text or "").partition(":")
    number = as_int(ident)
    if not kind or number is None:
        raise ValidationFailed.single("scope", "required")
    return ObjectRef(kind, number)


@bp.post("/roles")
@login_required
def grant_role():
    data = form_data()

    def call():
        scope = _parse_scope(data.get("scope", ""))
        employee = as_int(data.get("employee_id"))
        if employee is None:
            raise ValidationFailed.single("employee_id", "required")
        project = as_int(data.get("project_id")) if data.get("project_id") else None
        if data.get("project_id") and project is None:
            raise ValidationFailed.single("project_id", "no such project")
        return core().access.grant(actor(), employee, data.get("role", ""), scope, project)

    return handle_form(
        call,
        success=lambda _r: redirect_to(url_for("ui_admin.roles")),
        template="admin/roles.html",
        context=_roles_context,
        message=_("The role is granted."),
    )


@bp.post("/roles/<int:assignment_id>/revoke")
@login_required
def revoke_role(assignment_id: int):
    return handle_form(
        lambda: core().access.revoke(actor(), assignment_id),
        success=lambda _r: redirect_to(url_for("ui_admin.roles")),
        template="admin/roles.html",
        context=_roles_context,
        message=_("The role is revoked."),
    )


# -- the classifier of service types (ORG-5) ------------------------------------------------


def _types_context() -> dict:
    return {"section": "service_types", "types": core().org.service_types(actor())}


@bp.get("/service-types")
@login_required
def service_types():
    _require_section()
    return render_template("admin/service_types.html", errors={}, values=None,
                           **_types_context())


@bp.post("/service-types")
@login_required
def create_service_type():
    data = _pick(SERVICE_TYPE_NEW_FIELDS)
    return handle_form(
        lambda: core().org.create_service_type(actor(), data),
        success=lambda _r: redirect_to(url_for("ui_admin.service_types")),
        template="admin/service_types.html",
        context=_types_context,
        message=_("The service type is created."),
    )


def _type_edit_context(type_id: int) -> dict:
    found = [t for t in core().org.service_types(actor()) if t.id == type_id]
    if not found:
        abort(404)
    return {"section": "service_types", "obj": found[0]}


@bp.get("/service-types/<int:type_id>/edit")
@login_required
def edit_service_type(type_id: int):
    _require(Action.EDIT, ObjectRef(refs.SERVICE_TYPE, type_id))
    return render_template("admin/service_type_edit.html", errors={}, values=None,
                           **_type_edit_context(type_id))


@bp.post("/service-types/<int:type_id>/edit")
@login_required
def update_service_type(type_id: int):
    data = _pick(SERVICE_TYPE_EDIT_FIELDS)
    return handle_form(
        lambda: core().org.update_service_type(actor(), type_id, data),
        success=lambda _r: redirect_to(url_for("ui_admin.service_types")),
        template="admin/service_type_edit.html",
        context=lambda: _type_edit_context(type_id),
        message=_("The service type is saved."),
    )


@bp.post("/service-types/<int:type_id>/active")
@login_required
def service_type_active(type_id: int):
    """Close a service type (no new services of it) or open it again."""
    data = _pick(("active", "version"))
    return handle_form(
        lambda: core().org.update_service_type(actor(), type_id, data),
        success=lambda _r: redirect_to(url_for("ui_admin.service_types")),
        template="admin/service_types.html",
        context=_types_context,
        message=_("The service type is saved."),
    )


# -- services of departments, projects and employees (ORG-5) --------------------------------


@bp.get("/services")
@login_required
def services_index():
    _require_section()
    app = core()
    return render_template(
        "admin/services_index.html", section="services",
        department_tree=department_tree(app.org.departments(actor())),
        projects_all=app.org.projects(actor()), employees_all=app.org.employees(actor()),
    )


def _owner(kind: str, owner_id: int) -> ObjectRef:
    if kind not in SERVICE_OWNERS:
        abort(404)
    return ObjectRef(kind, owner_id)


def _require_services(owner: ObjectRef) -> None:
    """The services page is for those who may open/close the owner's services or switch
    their availability (an Administrator, a department head for its employees, …)."""
    if not core().access.may_manage_services(actor(), owner):
        raise Forbidden("not allowed")


def _services_context(owner: ObjectRef) -> dict:
    app = core()
    names = Names()
    if owner.kind == refs.DEPARTMENT:
        app.org.department(actor(), owner.id)
    elif owner.kind == refs.PROJECT:
        app.org.project(actor(), owner.id)
    else:
        app.org.employee(actor(), owner.id)
    return {
        "section": "services",
        "owner": owner,
        "owner_name": names.of(owner.kind, owner.id),
        "names": names,
        "services": app.org.services_of(actor(), owner),
        "types": [t for t in app.org.service_types(actor()) if t.active],
    }


@bp.get("/services/<kind>/<int:owner_id>")
@login_required
def services(kind: str, owner_id: int):
    owner = _owner(kind, owner_id)
    _require_services(owner)
    return render_template("admin/services.html", errors={}, values=None,
                           **_services_context(owner))


@bp.post("/services/<kind>/<int:owner_id>")
@login_required
def open_service(kind: str, owner_id: int):
    owner = _owner(kind, owner_id)
    type_id = form_data().get("service_type_id", "")
    return handle_form(
        lambda: core().org.open_service(actor(), owner, type_id),
        success=lambda _r: redirect_to(url_for("ui_admin.services", kind=kind,
                                               owner_id=owner_id)),
        template="admin/services.html",
        context=lambda: _services_context(owner),
        message=_("The service is opened."),
    )


def _after_service(service):
    return redirect_to(url_for("ui_admin.services", kind=service.owner_kind,
                               owner_id=service.owner_id))


def _service_owner_from_form() -> ObjectRef:
    data = form_data()
    return _owner(data.get("owner_kind", ""), as_int(data.get("owner_id")) or 0)


@bp.post("/services/item/<int:service_id>/close")
@login_required
def close_service(service_id: int):
    return handle_form(
        lambda: core().org.close_service(actor(), service_id),
        success=_after_service,
        template="admin/services.html",
        context=lambda: _services_context(_service_owner_from_form()),
        message=_("The service is closed."),
    )


@bp.post("/services/item/<int:service_id>/availability")
@login_required
def service_availability(service_id: int):
    available = form_data().get("available", "")
    return handle_form(
        lambda: core().org.set_service_availability(actor(), service_id, available),
        success=_after_service,
        template="admin/services.html",
        context=lambda: _services_context(_service_owner_from_form()),
        message=_("The availability is switched."),
    )



# -- reference books of tasks: typical tasks (TASK-4) and escalation rules (TASK-7) -----------
#
# For administrators (the Director or an Administrator): the core refuses everybody else,
# and these pages and their links are not shown to them.

TASK_TYPE_FIELDS = ("name", "remind_minutes", "version")
RULE_FIELDS = ("name", "delay", "unit", "target", "task_type_id", "active", "version")


def _require_books() -> None:
    if not navigation().get("administrator"):
        raise Forbidden("only the Director or an Administrator edits reference books")


def _task_types_context() -> dict:
    return {"section": "task_types",
            "types": core().tasks.task_types(actor(), include_inactive=True)}


@bp.get("/task-types")
@login_required
def task_types():
    _require_books()
    return render_template("admin/task_types.html", errors={}, values=None,
                           **_task_types_context())


@bp.post("/task-types")
@login_required
def create_task_type():
    data = _pick(TASK_TYPE_FIELDS[:-1])
    return handle_form(
        lambda: core().tasks.create_task_type(actor(), data),
        success=lambda _r: redirect_to(url_for("ui_admin.task_types")),
        template="admin/task_types.html",
        context=_task_types_context,
        message=_("The typical task is created."),
    )


def _task_type_context(type_id: int) -> dict:
    found = [t for t in core().tasks.task_types(actor(), include_inactive=True)
             if t.id == type_id]
    if not found:
        abort(404)
    return {"section": "task_types", "obj": found[0]}


@bp.get("/task-types/<int:type_id>/edit")
@login_required
def edit_task_type(type_id: int):
    _require_books()
    return render_template("admin/task_type_edit.html", errors={}, values=None,
                           **_task_type_context(type_id))


@bp.post("/task-types/<int:type_id>/edit")
@login_required
def update_task_type(type_id: int):
    data = _pick(TASK_TYPE_FIELDS)
    return handle_form(
        lambda: core().tasks.update_task_type(actor(), type_id, data),
        success=lambda _r: redirect_to(url_for("ui_admin.task_types")),
        template="admin/task_type_edit.html",
        context=lambda: _task_type_context(type_id),
        message=_("The typical task is saved."),
    )


@bp.post("/task-types/<int:type_id>/active")
@login_required
def task_type_active(type_id: int):
    """Close a typical task (new tasks cannot take it; old ones keep it) or open it."""
    data = _pick(("active", "version"))
    return handle_form(
        lambda: core().tasks.update_task_type(actor(), type_id, data),
        success=lambda _r: redirect_to(url_for("ui_admin.task_types")),
        template="admin/task_types.html",
        context=_task_types_context,
        message=_("The typical task is saved."),
    )


def _rule_options() -> dict:
    types = core().tasks.task_types(actor(), include_inactive=True)
    return {
        "unit_options": [(k, str(v)) for k, v in texts.DELAY_UNITS.items()],
        "target_options": [(k, str(v)) for k, v in texts.ESCALATION_TARGETS.items()],
        "type_options": [(t.id, t.name) for t in types],
        "type_names": {t.id: t.name for t in types},
    }


def _rules_context() -> dict:
    return {"section": "escalation_rules",
            "rules": core().tasks.escalation_rules(actor()), **_rule_options()}


@bp.get("/escalation-rules")
@login_required
def escalation_rules():
    _require_books()
    return render_template("admin/escalation_rules.html", errors={},
                           values={"unit": "working_days", "target": "head", "active": "1"},
                           **_rules_context())


@bp.post("/escalation-rules")
@login_required
def create_escalation_rule():
    data = _pick(RULE_FIELDS[:-1])
    return handle_form(
        lambda: core().tasks.create_escalation_rule(actor(), data),
        success=lambda _r: redirect_to(url_for("ui_admin.escalation_rules")),
        template="admin/escalation_rules.html",
        context=_rules_context,
        message=_("The escalation rule is created."),
    )


def _rule_context(rule_id: int) -> dict:
    found = [r for r in core().tasks.escalation_rules(actor()) if r.id == rule_id]
    if not found:
        abort(404)
    return {"section": "escalation_rules", "obj": found[0], **_rule_options()}


def _rule_values(rule) -> dict[str, str]:
    return {"name": rule.name, "delay": str(rule.delay), "unit": rule.unit.value,
            "target": rule.target.value,
            "task_type_id": "" if rule.task_type_id is None else str(rule.task_type_id),
            "active": "1" if rule.active else "0", "version": str(rule.version)}


@bp.get("/escalation-rules/<int:rule_id>/edit")
@login_required
def edit_escalation_rule(rule_id: int):
    _require_books()
    context = _rule_context(rule_id)
    return render_template("admin/escalation_rule_edit.html", errors={},
                           values=_rule_values(context["obj"]), **context)


@bp.post("/escalation-rules/<int:rule_id>/edit")
@login_required
def update_escalation_rule(rule_id: int):
    data = _pick(RULE_FIELDS)
    return handle_form(
        lambda: core().tasks.update_escalation_rule(actor(), rule_id, data),
        success=lambda _r: redirect_to(url_for("ui_admin.escalation_rules")),
        template="admin/escalation_rule_edit.html",
        context=lambda: _rule_context(rule_id),
        message=_("The escalation rule is saved."),
    )


@bp.get("/escalation-rules/<int:rule_id>/delete")
@login_required
def confirm_rule_removal(rule_id: int):
    _require_books()
    return render_template("admin/escalation_rule_delete.html", **_rule_context(rule_id))


@bp.post("/escalation-rules/<int:rule_id>/delete")
@login_required
def delete_escalation_rule(rule_id: int):
    core().tasks.delete_escalation_rule(actor(), rule_id, request.form.get("version"))
    flash(_("The escalation rule is deleted."), "success")
    return redirect_to(url_for("ui_admin.escalation_rules"))
