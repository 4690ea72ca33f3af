"""Object pages (UI-1) of employees, departments and projects — name with the responsible
person, a back button, tabs, History (HIST-1) — and the navigation panel's search line
and advanced search over employees (UI-2)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from flask_login import login_required

from ecrm_core.access.model import Action
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_web.ui.common import actor, back_url, core, navigation
from ecrm_web.ui.present import Names
from ecrm_web.ui.texts import field_errors

bp = Blueprint("ui_org", __name__)

EMPLOYEE_TABS = ("card", "services", "roles", "history")
DEPARTMENT_TABS = ("card", "employees", "services", "history")
PROJECT_TABS = ("card", "services", "history")


def _list_url(endpoint: str) -> str:
    """Where the back button leads when there is no previous page: the admin list for
    those who see the admin section, the personal page for everybody else."""
    return url_for(endpoint) if navigation().get("manages") else url_for("ui_me.personal")


def _may_manage_services(ref: ObjectRef) -> bool:
    return core().access.may_manage_services(actor(), ref)


def _may_edit(ref: ObjectRef) -> bool:
    return core().access.allowed(actor(), Action.EDIT, ref)


# -- search line and advanced search (UI-2) ---------------------------------------------


@bp.get("/search")
@login_required
def search():
    text = request.args.get("q", "")
    found = core().org.search_employees(actor(), text) if text.strip() else []
    return render_template("search.html", q=text, found=found, names=Names(), advanced=False,
                           values={}, departments=[])


@bp.get("/search/advanced")
@login_required
def advanced_search():
    values = request.args.to_dict()
    app = core()
    try:
        found = app.org.find_employees(actor(), values)
    except ValidationFailed as exc:
        return render_template(
            "search.html", q="", found=[], names=Names(), advanced=True, searched=False,
            values=values, departments=app.org.departments(actor()),
            errors=field_errors(exc.errors),
        ), 422
    searched = found is not None
    found = found or []
    return render_template(
        "search.html", q="", found=found, names=Names(), advanced=True, searched=searched,
        values=values, departments=app.org.departments(actor()),
    )


# -- employees ---------------------------------------------------------------------------


def employee_context(employee_id: int, tab: str, names: Names | None = None) -> dict:
    """What every tab of an employee's page shows: the header, the tabs (Tasks and
    Calendar for those who may see the employee's tasks, TASK-6) and the back button."""
    obj = core().org.employee(actor(), employee_id)
    return {
        "obj": obj, "tab": tab, "names": names or Names(), "may_edit": _may_edit(obj.ref),
        "may_see_tasks": core().access.allowed(actor(), Action.VIEW, obj.ref, kind="task"),
        "back": back_url(_list_url("ui_admin.employees")),
    }


@bp.get("/employees/<int:employee_id>", defaults={"tab": "card"})
@bp.get("/employees/<int:employee_id>/<tab>")
@login_required
def employee(employee_id: int, tab: str):
    if tab not in EMPLOYEE_TABS:
        abort(404)
    app = core()
    context = employee_context(employee_id, tab)
    obj = context["obj"]
    if tab == "services":
        context["services"] = app.org.services_of(actor(), obj.ref)
        context["may_manage_services"] = _may_manage_services(obj.ref)
    elif tab == "roles":
        context["assignments"] = app.access.assignments(actor(), employee_id=obj.id)
    elif tab == "history":
        context["entries"] = app.history.of(actor(), obj.ref)
    return render_template("objects/employee.html", **context)


# -- departments -------------------------------------------------------------------------


@bp.get("/departments/<int:department_id>", defaults={"tab": "card"})
@bp.get("/departments/<int:department_id>/<tab>")
@login_required
def department(department_id: int, tab: str):
    if tab not in DEPARTMENT_TABS:
        abort(404)
    app = core()
    obj = app.org.department(actor(), department_id)
    company = app.org.company()
    context = {
        "obj": obj, "tab": tab, "names": Names(), "may_edit": _may_edit(obj.ref),
        "back": back_url(_list_url("ui_admin.departments")),
        "company_name": company.name if company else "—",
    }
    if tab == "employees":
        context["members"] = app.org.employees(actor(), department_id=obj.id)
    elif tab == "services":
        context["services"] = app.org.services_of(actor(), obj.ref)
        context["may_manage_services"] = _may_manage_services(obj.ref)
    elif tab == "history":
        context["entries"] = app.history.of(actor(), obj.ref)
    return render_template("objects/department.html", **context)


# -- projects ----------------------------------------------------------------------------


@bp.get("/projects/<int:project_id>", defaults={"tab": "card"})
@bp.get("/projects/<int:project_id>/<tab>")
@login_required
def project(project_id: int, tab: str):
    if tab not in PROJECT_TABS:
        abort(404)
    app = core()
    obj = app.org.project(actor(), project_id)
    managers = app.access.responsible(actor(), obj.ref)
    names = Names()
    context = {
        "obj": obj, "tab": tab, "names": names, "may_edit": _may_edit(obj.ref),
        "managers": managers, "back": back_url(_list_url("ui_admin.projects")),
        "responsible": ", ".join(names.of(refs.EMPLOYEE, a.employee_id) for a in managers),
    }
    if tab == "services":
        context["services"] = app.org.services_of(actor(), obj.ref)
        context["may_manage_services"] = _may_manage_services(obj.ref)
    elif tab == "history":
        context["entries"] = app.history.of(actor(), obj.ref)
    return render_template("objects/project.html", **context)
