"""Use cases of the organisation (ORG-1…ORG-5). Each one asks the policy, loads through
the unit of work, calls domain methods and commits; history follows from the events."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from ecrm_core.access.model import Action, Role, RoleAssignment, RoleGranted
from ecrm_core.access.services import active_directors, chain_of, policy_for
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.fields import Fields, check_email, expected_version
from ecrm_core.kernel.ports import Clock, PasswordHasher
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory, existing
from ecrm_core.org.model import (
    LOCALES,
    LOGIN_RE,
    MIN_PASSWORD,
    SERVICE_OWNERS,
    Company,
    Department,
    Employee,
    Project,
    Service,
    ServiceState,
    ServiceType,
)

Data = dict[str, Any]


def _check_password(fields: Fields, name: str, password: Any) -> str | None:
    if password is None or password == "":
        fields.errors[name] = "required"
        return None
    if not isinstance(password, str):
        fields.errors[name] = "must be text"
        return None
    if len(password) < MIN_PASSWORD:
        fields.errors[name] = f"at least {MIN_PASSWORD} characters"
    elif len(password) > 256:
        fields.errors[name] = "at most 256 characters"
    return password






#: Where an employee without a time zone is taken to work.
DEFAULT_ZONE = "Europe/Moscow"


def today_of(uow: UnitOfWork, clock: Clock, employee_id: int | None) -> date:
    """The day it is now where the employee works (their time zone; Moscow's when they
    have none): the date a document they make carries."""
    employee = uow.employees.get(employee_id) if employee_id else None
    zone = employee.timezone if employee is not None and employee.timezone else DEFAULT_ZONE
    return clock.now().astimezone(ZoneInfo(zone)).date()


def head_of(uow: UnitOfWork, employee: Employee) -> int | None:
    """The employee's head: their own, else the nearest department head up the tree who
    is not the employee — an active one (None when nobody is above them). Confirmation
    requests (CP-6) and task escalations (TASK-7) go to them."""
    def usable(head_id: int | None) -> bool:
        if not head_id or head_id == employee.id:
            return False
        head = uow.employees.get(head_id)
        return head is not None and head.active

    if usable(employee.head_id):
        return employee.head_id
    department_id = employee.department_id
    seen: set[int] = set()
    while department_id and department_id not in seen:
        seen.add(department_id)
        department = uow.departments.get(department_id)
        if department is None:
            return None
        if usable(department.head_id):
            return department.head_id
        department_id = department.parent_id
    return None


#: Roles that carry authority over other employees' accounts.
POWER_ROLES = (Role.DIRECTOR, Role.ADMINISTRATOR, Role.MANAGEMENT)


def _container(uow: UnitOfWork, department_id: int | None) -> ObjectRef:
    """Where an employee or department sits: its department, or the Company itself."""
    if department_id and uow.departments.get(department_id) is not None:
        return ObjectRef(refs.DEPARTMENT, department_id)
    return uow.company.first().ref


def _require_authority_over(uow: UnitOfWork, policy, employee: Employee) -> None:
    """Changing another employee's account (card, password, being active) needs authority
    over every organisational role they hold: a Director's account belongs to Directors,
    an Administrator's or a Management holder's to whoever may grant that role."""
    if employee.id == policy.actor_id:
        return
    for held in uow.roles.list(employee_id=employee.id, role__in=POWER_ROLES):
        if held.role is Role.DIRECTOR:
            if not policy.is_director:
                raise Forbidden("only a Director may change a Director's account")
        else:
            policy.require(Action.GRANT, held.scope_kind, chain_of(uow, held.scope),
                           held.project_id)


#: The company's requisites the printable invoice shows (name → longest length).
COMPANY_REQUISITES = {
    "full_name": 300, "inn": 12, "kpp": 9, "ogrn": 15, "address": 500, "phone": 50,
    "bank": 200, "bik": 9, "account": 20, "corr_account": 20, "director": 200,
    "accountant": 200,
}


def company_requisites(fields: Fields, raw: Any) -> dict[str, str]:
    """The company's requisites from a form (INN, KPP, BIK and accounts checked; the
    account and the correspondent account against the BIK). Messages go under
    ``requisites.<name>``."""
    from ecrm_core.counterparties.requisites import (
        account_error,
        bik_error,
        inn_error,
        kpp_error,
    )

    if not isinstance(raw, dict):
        fields.errors["requisites"] = "must be an object"
        return {}
    found: dict[str, str] = {}
    for name, size in COMPANY_REQUISITES.items():
        value = fields.text({f"requisites.{name}": raw.get(name)}, f"requisites.{name}",
                            max_len=size)
        if value:
            found[name] = value
    checks = {
        "inn": lambda v: inn_error(v, "legal_entity" if len(v) == 10 else "individual"),
        "kpp": kpp_error,
        "bik": bik_error,
        "account": lambda v: account_error(v, found.get("bik", ""), False),
        "corr_account": lambda v: account_error(v, found.get("bik", ""), True),
    }
    for name, check in checks.items():
        message = check(found[name]) if found.get(name) \
            and f"requisites.{name}" not in fields.errors else None
        if message:
            fields.errors[f"requisites.{name}"] = message
    for name in raw:
        if name not in COMPANY_REQUISITES:
            fields.errors[f"requisites.{name}"] = "no such requisite"
    return found


class OrgService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher,
                 on_founding: Iterable[Callable[[UnitOfWork], None]] = (),
                 on_zone_change: Iterable[Callable[[UnitOfWork, Employee], None]] = ()):
        self.uow_factory = uow_factory
        self.clock = clock
        self.hasher = hasher
        #: Other areas' set-up of a new company (the typical tasks, …), in its unit of work.
        self.on_founding = tuple(on_founding)
        #: Other areas' follow-up when an employee's time zone changes (the deadlines of
        #: their planned tasks, kept in their local time), in the same unit of work.
        self.on_zone_change = tuple(on_zone_change)

    # -- the Company and its first employee (ORG-1) ---------------------------------

    def found_company(self, company_name: str, director: Data) -> Employee:
        """Create the one Company and its first employee, who becomes Director."""
        fields = Fields()
        name = fields.text({"company_name": company_name}, "company_name", required=True)
        fields.check()
        password_hash = self._hash(director.get("password"))
        with self.uow_factory() as uow:
            if uow.company.first() is not None:
                raise Conflict("the company is already registered")
            company = uow.company.add(Company(name=name))
            company.record_created(("name",))
            employee = self._new_employee(uow, director, password_hash)
            uow.acting_as(employee.id)
            grant = uow.roles.add(
                RoleAssignment(
                    role=Role.DIRECTOR, employee_id=employee.id, scope_kind=refs.COMPANY,
                    scope_id=company.id, granted_at=self.clock.now(),
                )
            )
            grant.record_created(("role", "employee_id", "scope_kind", "scope_id"))
            grant.record(grant.on_employee(RoleGranted))
            for set_up in self.on_founding:
                set_up(uow)
            uow.commit()
            return employee

    def set_home_page(self, actor_id: int, path: Any) -> str:
        """"Make this my home page" (AUTH-2): the page opened after signing in — a path
        inside ECRM (``/counterparties/7/tasks``); "" returns to the default."""
        fields = Fields()
        value = fields.text({"home_page": path}, "home_page", max_len=500) or ""
        if value and (not value.startswith("/") or value.startswith("//") or "\\" in value
                      or any(ch in value for ch in "\r\n\t ")):
            fields.errors["home_page"] = "a page of ECRM (a path starting with /)"
        fields.check()
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            uow.employees.get(actor_id).apply_changes({"home_page": value})
            uow.commit()
            return value

    def home_page(self, actor_id: int) -> str:
        with self.uow_factory(readonly=True) as uow:
            employee = uow.employees.get(actor_id)
            return employee.home_page if employee is not None and employee.active else ""

    def company(self) -> Company | None:
        with self.uow_factory(readonly=True) as uow:
            return uow.company.first()

    def rename_company(self, actor_id: int, data: Data) -> Company:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            company = uow.company.first()
            if company is None:
                raise NotFound(refs.COMPANY, "-")
            policy.require(Action.EDIT, refs.COMPANY, chain_of(uow, company.ref))
            company.check_version(expected_version(data))
            fields = Fields()
            values = {"name": fields.text(data, "name", required=True)
                      if "name" in data or "requisites" not in data else company.name}
            if "requisites" in data:
                values["requisites"] = company_requisites(fields, data["requisites"])
            fields.check()
            company.apply_changes(values)
            uow.commit()
            return company

    # -- departments (ORG-2) --------------------------------------------------------

    def _department_values(self, uow: UnitOfWork, data: Data, creating: bool) -> Data:
        fields = Fields()
        values = {
            "name": fields.text(data, "name", required=creating),
            "description": fields.text(data, "description", max_len=4000),
            "parent_id": fields.ident(data, "parent_id"),
            "head_id": fields.ident(data, "head_id"),
        }
        if values["parent_id"] and uow.departments.get(values["parent_id"]) is None:
            fields.errors["parent_id"] = "no such department"
        if values["head_id"] and uow.employees.get(values["head_id"]) is None:
            fields.errors["head_id"] = "no such employee"
        fields.check()
        return {k: v for k, v in values.items() if k in data}

    def create_department(self, actor_id: int, data: Data) -> Department:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            values = self._department_values(uow, data, creating=True)
            parent = values.get("parent_id")
            container = ObjectRef(refs.DEPARTMENT, parent) if parent else uow.company.first().ref
            policy.require(Action.CREATE, refs.DEPARTMENT, chain_of(uow, container))
            values.setdefault("description", "")
            dep = uow.departments.add(Department(**values))
            dep.record_created(Department.EDITABLE)
            uow.commit()
            return dep

    def update_department(self, actor_id: int, department_id: int, data: Data) -> Department:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            dep = existing(uow.departments, refs.DEPARTMENT, department_id)
            policy.require(Action.EDIT, refs.DEPARTMENT, chain_of(uow, dep.ref))
            dep.check_version(expected_version(data))
            values = self._department_values(uow, data, creating=False)
            if values.get("name") == "":
                raise ValidationFailed.single("name", "required")
            new_parent = values.get("parent_id")
            if "parent_id" in values and new_parent != dep.parent_id:
                target = _container(uow, new_parent)
                if dep.ref in {n.ref for n in chain_of(uow, target)}:
                    raise ValidationFailed.single(
                        "parent_id", "a department cannot be placed inside itself"
                    )
                policy.require(Action.CREATE, refs.DEPARTMENT, chain_of(uow, target))
            dep.apply_changes(values)
            uow.commit()
            return dep

    def departments(self, actor_id: int) -> list[Department]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.departments.list(order_by=("name", "id"))

    def department(self, actor_id: int, department_id: int) -> Department:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return existing(uow.departments, refs.DEPARTMENT, department_id)

    # -- projects (ORG-3) -----------------------------------------------------------

    def _project_values(self, data: Data, creating: bool) -> Data:
        fields = Fields()
        values = {
            "name": fields.text(data, "name", required=creating),
            "description": fields.text(data, "description", max_len=4000),
            "active": fields.flag(data, "active"),
        }
        fields.check()
        if values.get("name") == "" and "name" in data:
            raise ValidationFailed.single("name", "required")
        return {k: v for k, v in values.items() if k in data and v is not None}

    def create_project(self, actor_id: int, data: Data) -> Project:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            values = self._project_values(data, creating=True)
            policy.require(Action.CREATE, refs.PROJECT, chain_of(uow, uow.company.first().ref))
            project = uow.projects.add(Project(**values))
            project.record_created(Project.EDITABLE)
            uow.commit()
            return project

    def update_project(self, actor_id: int, project_id: int, data: Data) -> Project:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            project = existing(uow.projects, refs.PROJECT, project_id)
            policy.require(Action.EDIT, refs.PROJECT, chain_of(uow, project.ref))
            project.check_version(expected_version(data))
            project.apply_changes(self._project_values(data, creating=False))
            uow.commit()
            return project

    def projects(self, actor_id: int) -> list[Project]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.projects.list(order_by=("name", "id"))

    def project(self, actor_id: int, project_id: int) -> Project:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return existing(uow.projects, refs.PROJECT, project_id)

    # -- employees (ORG-4) ----------------------------------------------------------

    def _employee_values(self, uow: UnitOfWork, data: Data, fields: Fields, creating: bool):
        values = {
            "full_name": fields.text(data, "full_name", required=creating),
            "email": check_email(fields, "email", fields.text(data, "email", max_len=254)),
            "phone": fields.text(data, "phone", max_len=40),
            "position": fields.text(data, "position"),
            "department_id": fields.ident(data, "department_id"),
            "head_id": fields.ident(data, "head_id"),
            "locale": fields.text(data, "locale", max_len=5),
            "timezone": fields.timezone(data, "timezone"),
            "active": fields.flag(data, "active"),
        }
        if values["locale"] and values["locale"] not in LOCALES:
            fields.errors["locale"] = f"one of: {', '.join(LOCALES)}"
        if values["department_id"] and uow.departments.get(values["department_id"]) is None:
            fields.errors["department_id"] = "no such department"
        if values["head_id"] and uow.employees.get(values["head_id"]) is None:
            fields.errors["head_id"] = "no such employee"
        if "full_name" in data and not values["full_name"] and "full_name" not in fields.errors:
            fields.errors["full_name"] = "required"
        keep = {}
        for key, value in values.items():
            if key not in data:
                continue
            if key in ("locale", "timezone", "active") and value in (None, ""):
                continue
            if key in ("phone", "position") and value is None:
                value = ""
            keep[key] = value
        return keep

    def _hash(self, password: Any) -> str | None:
        """Hash a well-formed password before a unit of work opens: Argon2 is slow on
        purpose and must not hold a transaction (SQLite's write lock) meanwhile."""
        fields = Fields()
        _check_password(fields, "password", password)
        return None if fields.errors else self.hasher.hash(password)

    def _new_employee(self, uow: UnitOfWork, data: Data, password_hash: str | None) -> Employee:
        fields = Fields()
        login = fields.text(data, "login", required=True, max_len=64)
        login = login.lower() if login else login
        if login and not LOGIN_RE.match(login):
            fields.errors["login"] = (
                "2–64 Latin letters, digits, dots, dashes, underscores or @; "
                "starts with a letter or digit"
            )
        password = _check_password(fields, "password", data.get("password"))
        values = self._employee_values(uow, data, fields, creating=True)
        if login and "login" not in fields.errors and uow.employees.first(login__ieq=login):
            fields.errors["login"] = "this login is taken"
        fields.check()
        employee = uow.employees.add(
            Employee(
                login=login, password_hash=password_hash or self.hasher.hash(password),
                created_at=self.clock.now(), **values,
            )
        )
        employee.record_created(Employee.CREATED_FIELDS)
        return employee

    def add_employee(self, actor_id: int, data: Data) -> Employee:
        """Register an employee (a user with login and password) in a department."""
        password_hash = self._hash(data.get("password"))
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            container = _container(uow, Fields().ident(data, "department_id"))
            policy.require(Action.CREATE, refs.EMPLOYEE, chain_of(uow, container))
            employee = self._new_employee(uow, data, password_hash)
            uow.commit()
            return employee

    def update_employee(self, actor_id: int, employee_id: int, data: Data) -> Employee:
        """Change an employee's card. ``data['version']`` is the version the change was
        prepared against: a concurrent edit makes it stale and the change is refused."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            employee = existing(uow.employees, refs.EMPLOYEE, employee_id)
            touched = {k for k in data if k in Employee.EDITABLE}
            own_card = employee.id == actor_id and touched <= set(Employee.SELF_EDITABLE)
            if not own_card:
                policy.require(Action.EDIT, refs.EMPLOYEE, chain_of(uow, employee.ref))
                _require_authority_over(uow, policy, employee)
            employee.check_version(expected_version(data))
            fields = Fields()
            values = self._employee_values(uow, data, fields, creating=False)
            if values.get("head_id") == employee.id:
                fields.errors["head_id"] = "an employee cannot be their own head"
            fields.check()
            if "department_id" in values and values["department_id"] != employee.department_id:
                target = _container(uow, values["department_id"])
                policy.require(Action.CREATE, refs.EMPLOYEE, chain_of(uow, target))
            active = values.pop("active", None)
            if active is not None:
                self._set_active(uow, policy, employee, active)
            zone_before = employee.timezone
            employee.apply_changes(values)
            if employee.timezone != zone_before:
                for follow_up in self.on_zone_change:
                    follow_up(uow, employee)
            uow.commit()
            return employee

    def set_password(
        self, actor_id: int, employee_id: int, password: Any, current_password: Any = None
    ) -> None:
        """Change a password. One's own needs the current one; someone else's needs the
        right to edit them and authority over their roles, and ends their sessions."""
        fields = Fields()
        password = _check_password(fields, "password", password)
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            employee = existing(uow.employees, refs.EMPLOYEE, employee_id)
            own = employee.id == actor_id
            if own:
                if not isinstance(current_password, str) or not self.hasher.verify(
                    employee.password_hash, current_password
                ):
                    fields.errors["current_password"] = "the current password is wrong"
            else:
                policy.require(Action.EDIT, refs.EMPLOYEE, chain_of(uow, employee.ref))
                _require_authority_over(uow, policy, employee)
        fields.check()
        new_hash = self.hasher.hash(password)  # slow on purpose: outside the transaction
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            employee = existing(uow.employees, refs.EMPLOYEE, employee_id)
            employee.change_password(new_hash)
            if not own:
                for session in uow.login_sessions.list(employee_id=employee.id, ended_at=None):
                    session.end(self.clock.now())
            uow.commit()

    def set_active(self, actor_id: int, employee_id: int, active: bool) -> Employee:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            employee = existing(uow.employees, refs.EMPLOYEE, employee_id)
            self._set_active(uow, policy, employee, bool(active))
            uow.commit()
            return employee

    def _set_active(self, uow: UnitOfWork, policy, employee: Employee, active: bool) -> None:
        """The one way an employee is disabled or enabled: a disabled one's sessions end,
        and the company keeps at least one active Director."""
        policy.require(Action.DELETE, refs.EMPLOYEE, chain_of(uow, employee.ref))
        _require_authority_over(uow, policy, employee)
        if active:
            employee.enable()
            return
        if employee.id == policy.actor_id:
            raise ValidationFailed.single("active", "you cannot disable yourself")
        is_director = uow.roles.first(employee_id=employee.id, role=Role.DIRECTOR) is not None
        if is_director and not active_directors(uow, excluding=employee.id):
            raise ValidationFailed.single("active", "the company must keep an active Director")
        employee.disable()
        for session in uow.login_sessions.list(employee_id=employee.id, ended_at=None):
            session.end(self.clock.now())

    def employees(self, actor_id: int, **filters) -> list[Employee]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.employees.list(order_by=("full_name", "id"), **filters)

    def employee(self, actor_id: int, employee_id: int) -> Employee:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return existing(uow.employees, refs.EMPLOYEE, employee_id)

    def search_employees(self, actor_id: int, text: Any, limit: int = 50) -> list[Employee]:
        """Employees whose full name, login or e-mail contains ``text`` (the navigation
        panel's search line, UI-2), by name."""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            needle = text.replace("\x00", "").strip()[:100] if isinstance(text, str) else ""
            if not needle:
                return []
            found: dict[int, Employee] = {}
            for name in ("full_name", "login", "email"):
                for employee in uow.employees.list(
                    order_by=("full_name", "id"), limit=limit, **{f"{name}__icontains": needle}
                ):
                    found.setdefault(employee.id, employee)
            ordered = sorted(found.values(), key=lambda e: (e.full_name.lower(), e.id))
            return ordered[:limit]

    def find_employees(self, actor_id: int, data: Data) -> list[Employee] | None:
        """Advanced search (UI-2): employees matching every given criterion — parts of
        full name, login, e-mail, position, phone; department; active. None when no
        criterion is given."""
        fields = Fields()
        filters: dict[str, Any] = {}
        for name in ("full_name", "login", "email", "position", "phone"):
            value = fields.text(data, name, max_len=100)
            if value:
                filters[f"{name}__icontains"] = value
        department_id = fields.ident(data, "department_id")
        if department_id:
            filters["department_id"] = department_id
        if data.get("active") not in (None, ""):
            active = fields.flag(data, "active")
            if active is not None:
                filters["active"] = active
        fields.check()
        if not filters:
            return None
        return self.employees(actor_id, **filters)

    def employee_by_login(self, login: str) -> Employee | None:
        """For administration from the command line (no actor: the operator owns the box)."""
        with self.uow_factory(readonly=True) as uow:
            return uow.employees.first(login__ieq=login)

    # -- service types and services (ORG-5) -----------------------------------------

    def create_service_type(self, actor_id: int, data: Data) -> ServiceType:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            policy.require(Action.CREATE, refs.SERVICE_TYPE, chain_of(uow, uow.company.first().ref))
            fields = Fields()
            code = fields.text(data, "code", required=True, max_len=64)
            name = fields.text(data, "name", required=True)
            description = fields.text(data, "description", max_len=4000) or ""
            if code and uow.service_types.first(code=code):
                fields.errors["code"] = "this code is taken"
            fields.check()
            stype = uow.service_types.add(ServiceType(code=code, name=name, description=description))
            stype.record_created(("code", "name", "description"))
            uow.commit()
            return stype

    def update_service_type(self, actor_id: int, type_id: int, data: Data) -> ServiceType:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            stype = existing(uow.service_types, refs.SERVICE_TYPE, type_id)
            policy.require(Action.EDIT, refs.SERVICE_TYPE, chain_of(uow, stype.ref))
            stype.check_version(expected_version(data))
            fields = Fields()
            values = {
                "name": fields.text(data, "name"),
                "description": fields.text(data, "description", max_len=4000),
                "active": fields.flag(data, "active"),
            }
            if "name" in data and not values["name"]:
                fields.errors["name"] = "required"
            fields.check()
            stype.apply_changes({k: v for k, v in values.items() if k in data and v is not None})
            uow.commit()
            return stype

    def service_types(self, actor_id: int) -> list[ServiceType]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.service_types.list(order_by=("name", "id"))

    def open_service(self, actor_id: int, owner: ObjectRef, service_type_id: Any) -> Service:
        """Give a department, project or employee a capability (a service)."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            fields = Fields()
            type_id = fields.ident({"service_type_id": service_type_id}, "service_type_id",
                                   required=True)
            if owner.kind not in SERVICE_OWNERS:
                fields.errors["owner"] = "services belong to departments, projects or employees"
            fields.check()
            stype = uow.service_types.get(type_id)
            if stype is None:
                raise ValidationFailed.single("service_type_id", "no such service type")
            if not stype.active:
                raise ValidationFailed.single("service_type_id", "this service type is closed")
            chain = chain_of(uow, owner)
            policy.require(Action.MANAGE_SERVICES, owner.kind, chain)
            existing = uow.services.first(
                owner_kind=owner.kind, owner_id=owner.id, service_type_id=type_id,
                state=ServiceState.ACTIVE,
            )
            if existing is not None:
                raise ValidationFailed.single("service_type_id", "this service is already active")
            now = self.clock.now()
            service = uow.services.add(
                Service(service_type_id=type_id, owner_kind=owner.kind, owner_id=owner.id,
                        opened_at=now)
            )
            service.record_created(("service_type_id", "owner_kind", "owner_id", "state"))
            uow.commit()
            return service

    def close_service(self, actor_id: int, service_id: int) -> Service:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            service = existing(uow.services, refs.SERVICE, service_id)
            policy.require(Action.MANAGE_SERVICES, service.owner_kind, chain_of(uow, service.owner))
            service.close(self.clock.now())
            uow.commit()
            return service

    def set_service_availability(self, actor_id: int, service_id: int, available: Any) -> Service:
        """An administrator switches whether an employee's service may be used now."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            service = existing(uow.services, refs.SERVICE, service_id)
            fields = Fields()
            flag = fields.flag({"available": available}, "available")
            if flag is None and "available" not in fields.errors:
                fields.errors["available"] = "required"
            fields.check()
            policy.require(Action.SET_AVAILABILITY, service.owner_kind, chain_of(uow, service.owner))
            service.set_available(flag)
            uow.commit()
            return service

    def services_of(self, actor_id: int, owner: ObjectRef, include_closed=True) -> list[Service]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            filters = {"owner_kind": owner.kind, "owner_id": owner.id}
            if not include_closed:
                filters["state"] = ServiceState.ACTIVE
            return uow.services.list(order_by=("state", "id"), **filters)
