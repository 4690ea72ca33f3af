"""People and rights from the command line: ``ecrm users``, ``ecrm roles``, ``ecrm tokens``.

The operator of the box acts as the Director unless ``--as LOGIN`` names someone else;
the core's policy decides what that employee may do, exactly as in the web UI.
"""

from __future__ import annotations

import click

from ecrm_cli.context import (
    BAD_INPUT,
    CommandError,
    EcrmGroup,
    Runtime,
    as_option,
    ask_password,
    nonblank,
    table,
)
from ecrm_core.access.model import Role
from ecrm_core.kernel import refs
from ecrm_core.kernel.refs import ObjectRef

ROLE_NAMES = [r.value for r in Role]
SCOPE_KINDS = (refs.COMPANY, refs.DEPARTMENT, refs.PROJECT, refs.EMPLOYEE)


def _department_id(rt: Runtime, actor_id: int, value: str | None) -> int | None:
    """``--department`` takes an id or an exact (case-insensitive) name."""
    if not value:
        return None
    if value.isdigit():
        return int(value)
    wanted = value.strip().casefold()
    for dep in rt.system().app.org.departments(actor_id):
        if dep.name.casefold() == wanted:
            return dep.id
    raise CommandError(f"--department: no department named {value!r}", BAD_INPUT)


def _project_id(rt: Runtime, actor_id: int, value: str | None) -> int | None:
    """``--project`` takes an id or an exact (case-insensitive) name."""
    if not value:
        return None
    if value.isdigit():
        return int(value)
    wanted = value.strip().casefold()
    for project in rt.system().app.org.projects(actor_id):
        if project.name.casefold() == wanted:
            return project.id
    raise CommandError(f"--project: no project named {value!r}", BAD_INPUT)


def _scope(rt: Runtime, text: str) -> ObjectRef:
    """``company`` or ``KIND:ID`` (department:3, project:2, employee:7)."""
    text = text.strip()
    if text == refs.COMPANY:
        company = rt.system().app.org.company()
        if company is None:
            raise CommandError("ECRM is not initialised: run `ecrm init` (or `ecrm demo`)")
        return company.ref
    kind, sep, ident = text.partition(":")
    if not sep or kind not in SCOPE_KINDS or not ident.isdigit() or int(ident) <= 0:
        raise CommandError(
            f"SCOPE: {text!r} is not a scope; write 'company' or KIND:ID with KIND one of "
            f"{', '.join(SCOPE_KINDS[1:])}, e.g. department:3",
            BAD_INPUT,
        )
    return ObjectRef(kind, int(ident))


# -- users --------------------------------------------------------------------------------


@click.group(cls=EcrmGroup)
def users() -> None:
    """Employees: the people who sign in (ORG-4)."""


@users.command("add")
@click.option("--login", required=True, callback=nonblank, help="Login to sign in with (Latin letters, digits, ._-@).")
@click.option("--password", help="Password, at least 8 characters (asked twice when omitted).")
@click.option("--full-name", required=True, callback=nonblank, help="Full name, e.g. 'Иванов Иван Иванович'.")
@click.option("--email", help="E-mail address (messages are mailed there).")
@click.option("--department", metavar="ID|NAME", help="Department (id or exact name).")
@click.option("--head", metavar="LOGIN", help="Login of the employee's head.")
@click.option("--position", help="Position, e.g. 'Менеджер по продажам'.")
@click.option("--phone", help="Phone number.")
@as_option
@click.pass_obj
def users_add(rt: Runtime, login, password, full_name, email, department, head, position,
              phone, as_login) -> None:
    """Register an employee."""
    actor = rt.actor(as_login)
    data = {"login": login, "full_name": full_name}
    for key, value in (("email", email), ("position", position), ("phone", phone)):
        if value is not None:
            data[key] = value
    department_id = _department_id(rt, actor.id, department)
    if department_id is not None:
        data["department_id"] = department_id
    if head:
        data["head_id"] = rt.employee(head, "--head").id
    data["password"] = password if password is not None else ask_password()
    employee = rt.system().app.org.add_employee(actor.id, data)
    click.echo(f"Added {employee.login} ({employee.full_name}), id {employee.id}.")


@users.command("list")
@click.option("--inactive/--active-only", "inactive", default=True,
              help="Show disabled employees too (default) or only active ones.")
@as_option
@click.pass_obj
def users_list(rt: Runtime, inactive: bool, as_login) -> None:
    """List employees."""
    actor = rt.actor(as_login)
    app = rt.system().app
    filters = {} if inactive else {"active": True}
    employees = app.org.employees(actor.id, **filters)
    departments = {d.id: d.name for d in app.org.departments(actor.id)}
    table(
        [(e.id, e.login, e.full_name, departments.get(e.department_id, ""), e.email or "",
          "yes" if e.active else "no") for e in employees],
        ("ID", "LOGIN", "FULL NAME", "DEPARTMENT", "E-MAIL", "ACTIVE"),
    )


def _set_active(rt: Runtime, login: str, as_login: str | None, active: bool) -> None:
    actor = rt.actor(as_login)
    employee = rt.employee(login)
    rt.system().app.org.set_active(actor.id, employee.id, active)
    click.echo(f"{'Enabled' if active else 'Disabled'} {employee.login} ({employee.full_name}).")


@users.command("disable")
@click.argument("login")
@as_option
@click.pass_obj
def users_disable(rt: Runtime, login: str, as_login) -> None:
    """Disable an employee: they can no longer sign in; their sessions end."""
    _set_active(rt, login, as_login, False)


@users.command("enable")
@click.argument("login")
@as_option
@click.pass_obj
def users_enable(rt: Runtime, login: str, as_login) -> None:
    """Enable a disabled employee again."""
    _set_active(rt, login, as_login, True)


@users.command("passwd")
@click.argument("login")
@click.option("--password", help="The new password (asked twice when omitted).")
@click.option("--current-password",
              help="Your current password, when you change your own (asked when omitted).")
@as_option
@click.pass_obj
def users_passwd(rt: Runtime, login: str, password, current_password, as_login) -> None:
    """Set an employee's password."""
    actor = rt.actor(as_login)
    employee = rt.employee(login)
    if employee.id == actor.id and current_password is None:
        current_password = ask_password("Current password", "--current-password", confirm=False)
    if password is None:
        password = ask_password("New password")
    rt.system().app.org.set_password(actor.id, employee.id, password, current_password)
    click.echo(f"Password of {employee.login} changed.")


# -- roles ----------------------------------------------------------------------------------


@click.group(cls=EcrmGroup)
def roles() -> None:
    """Roles granted on a scope (ORG-6): the Company, a department or a project."""


@roles.command("grant")
@click.argument("login")
@click.argument("role", type=click.Choice(ROLE_NAMES), metavar="ROLE")
@click.argument("scope")
@click.option("--project", metavar="ID|NAME", help="Limit the role to one project (direction).")
@as_option
@click.pass_obj
def roles_grant(rt: Runtime, login: str, role: str, scope: str, project, as_login) -> None:
    """Grant ROLE on SCOPE to the employee LOGIN.

    \b
    ROLE is one of: director, administrator, catalog_curator, client_manager,
    invoice_manager, management, sales_management, project_leader, client_registrar.
    SCOPE is 'company' or KIND:ID, e.g. department:3, project:2 or catalog:4
    (administrator: a department; management: a project; catalog_curator and
    client_registrar: a catalog; client_manager: a counterparty; sales_management: any).
    """
    actor = rt.actor(as_login)
    employee = rt.employee(login)
    where = _scope(rt, scope)
    project_id = _project_id(rt, actor.id, project)
    assignment = rt.system().app.access.grant(actor.id, employee.id, role, where, project_id)
    click.echo(f"Granted {assignment.role.value} on {assignment.scope} to {employee.login}"
               f"{f' for project {project_id}' if project_id else ''} "
               f"(assignment {assignment.id}).")


@roles.command("revoke")
@click.argument("target", metavar="ID|LOGIN")
@click.argument("role", required=False, type=click.Choice(ROLE_NAMES), metavar="[ROLE]")
@click.argument("scope", required=False)
@click.option("--project", metavar="ID|NAME", help="The project the role was limited to.")
@as_option
@click.pass_obj
def roles_revoke(rt: Runtime, target: str, role, scope, project, as_login) -> None:
    """Revoke a role assignment: by its ID (see `ecrm roles list`), or by LOGIN ROLE SCOPE.
    """
    actor = rt.actor(as_login)
    app = rt.system().app
    if role is None:
        if not target.isdigit():
            raise CommandError("give an assignment ID, or LOGIN ROLE SCOPE", BAD_INPUT)
        assignment_id = int(target)
    else:
        if scope is None:
            raise CommandError("SCOPE: required after ROLE", BAD_INPUT)
        employee = rt.employee(target)
        where = _scope(rt, scope)
        found = app.access.assignments(
            actor.id, employee_id=employee.id, role=Role(role), scope_kind=where.kind,
            scope_id=where.id, project_id=_project_id(rt, actor.id, project),
        )
        if not found:
            raise CommandError(f"{employee.login} holds no {role} on {where}")
        assignment_id = found[0].id
    app.access.revoke(actor.id, assignment_id)
    click.echo(f"Revoked assignment {assignment_id}.")


@roles.command("list")
@click.option("--login", help="Only this employee's roles.")
@click.option("--role", type=click.Choice(ROLE_NAMES), help="Only this role.")
@as_option
@click.pass_obj
def roles_list(rt: Runtime, login, role, as_login) -> None:
    """List role assignments."""
    actor = rt.actor(as_login)
    app = rt.system().app
    filters = {}
    if login:
        filters["employee_id"] = rt.employee(login, "--login").id
    if role:
        filters["role"] = Role(role)
    assignments = app.access.assignments(actor.id, **filters)
    people = {e.id: e for e in app.org.employees(actor.id)}
    names = {ObjectRef(refs.DEPARTMENT, d.id): d.name for d in app.org.departments(actor.id)}
    projects = {p.id: p.name for p in app.org.projects(actor.id)}
    names.update({ObjectRef(refs.PROJECT, i): n for i, n in projects.items()})
    names.update({ObjectRef(refs.EMPLOYEE, i): e.full_name for i, e in people.items()})

    def scope_text(a) -> str:
        if a.scope_kind == refs.COMPANY:
            return refs.COMPANY
        name = names.get(a.scope)
        return f"{a.scope} ({name})" if name else str(a.scope)

    table(
        [(a.id, people[a.employee_id].login if a.employee_id in people else a.employee_id,
          people[a.employee_id].full_name if a.employee_id in people else "",
          a.role.value, scope_text(a),
          projects.get(a.project_id, a.project_id) if a.project_id else "")
         for a in assignments],
        ("ID", "LOGIN", "FULL NAME", "ROLE", "SCOPE", "PROJECT"),
    )


# -- personal API tokens --------------------------------------------------------------------


@click.group(cls=EcrmGroup)
def tokens() -> None:
    """Personal API tokens for the JSON API (Authorization: Bearer TOKEN)."""


@tokens.command("create")
@click.option("--login", required=True, callback=nonblank, help="Whose token it is.")
@click.option("--name", required=True, callback=nonblank, help="What the token is for, e.g. 'laptop script'.")
@as_option
@click.pass_obj
def tokens_create(rt: Runtime, login: str, name: str, as_login) -> None:
    """Create a personal API token and print it (it is shown only this once)."""
    actor = rt.actor(as_login)
    employee = rt.employee(login, "--login")
    record, token = rt.system().app.auth.create_api_token(actor.id, employee.id, name)
    click.echo(f"Token {record.name!r} (id {record.id}) for {employee.login}; it is shown "
               "only now, keep it safe:", err=True)
    click.echo(token)
