"""Use cases of the access area (grant, revoke, list roles) and the helpers every other
use case uses to ask the policy: who the actor is, and an object's ancestry."""

from __future__ import annotations

from collections.abc import Callable

from ecrm_core.access.model import (
    ROLE_SCOPES,
    Action,
    Role,
    RoleAssignment,
    RoleGranted,
    RoleRevoked,
)
from ecrm_core.access.policy import Policy, ScopeNode
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.ports import Clock
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory

#: kind -> name of the unit of work's repository that stores it.
REPOSITORIES: dict[str, str] = {
    refs.COMPANY: "company",
    refs.DEPARTMENT: "departments",
    refs.PROJECT: "projects",
    refs.EMPLOYEE: "employees",
    refs.SERVICE_TYPE: "service_types",
    refs.SERVICE: "services",
    refs.ROLE_ASSIGNMENT: "roles",
    refs.MESSAGE: "messages",
    "catalog": "catalogs",
    "counterparty": "counterparties",
    "contact": "contacts",
    "curator_assignment": "curator_assignments",
    "task": "tasks",
    "task_type": "task_types",
    "escalation_rule": "escalation_rules",
    "state_set": "state_sets",
    "item_group": "item_groups",
    "item": "items",
    "service_kind": "service_kinds",
    "price_type": "price_types",
    "client_type": "client_types",
    "price": "prices",
    "contract_type": "contract_types",
    "contract": "contracts",
    "request": "requests",
    "invoice": "invoices",
    "payment": "payments",
    "act": "acts",
    "document": "documents",
    "deal_template": "deal_templates",
    "deal": "deals",
    "calendar_day": "calendar_days",
}


def load(uow: UnitOfWork, ref: ObjectRef):
    """The aggregate ``ref`` points at, or NotFound."""
    repo_name = REPOSITORIES.get(ref.kind)
    if repo_name is None:
        raise NotFound(ref.kind, ref.id)
    obj = getattr(uow, repo_name).get(ref.id)
    if obj is None:
        raise NotFound(ref.kind, ref.id)
    return obj


def _company_ref(uow: UnitOfWork) -> ObjectRef:
    company = uow.company.first()
    return ObjectRef(refs.COMPANY, company.id if company else 0)


def _parent_of_department(uow, dep) -> ObjectRef:
    return ObjectRef(refs.DEPARTMENT, dep.parent_id) if dep.parent_id else _company_ref(uow)


def _parent_of_employee(uow, emp) -> ObjectRef:
    return ObjectRef(refs.DEPARTMENT, emp.department_id) if emp.department_id else _company_ref(uow)


#: kind -> function giving the parent of an object of that kind. Areas add their kinds.
PARENTS: dict[str, Callable] = {
    refs.DEPARTMENT: _parent_of_department,
    refs.EMPLOYEE: _parent_of_employee,
    refs.PROJECT: lambda uow, _obj: _company_ref(uow),
    refs.SERVICE_TYPE: lambda uow, _obj: _company_ref(uow),
    refs.SERVICE: lambda uow, svc: svc.owner,
    refs.ROLE_ASSIGNMENT: lambda uow, ra: ra.scope,
    refs.MESSAGE: lambda uow, msg: ObjectRef(refs.EMPLOYEE, msg.recipient_id),
    "catalog": lambda uow, c: ObjectRef("catalog", c.parent_id) if c.parent_id
    else _company_ref(uow),
    "counterparty": lambda uow, c: ObjectRef("catalog", c.catalog_id),
    "contact": lambda uow, c: ObjectRef("counterparty", c.counterparty_id),
    "curator_assignment": lambda uow, a: ObjectRef("counterparty", a.counterparty_id),
    "task": lambda uow, task: ObjectRef(refs.EMPLOYEE, task.responsible_id),
    "task_type": lambda uow, _obj: _company_ref(uow),
    "escalation_rule": lambda uow, _obj: _company_ref(uow),
    "state_set": lambda uow, _obj: _company_ref(uow),
    "item_group": lambda uow, _obj: _company_ref(uow),
    "item": lambda uow, _obj: _company_ref(uow),
    "service_kind": lambda uow, _obj: _company_ref(uow),
    "price_type": lambda uow, _obj: _company_ref(uow),
    "client_type": lambda uow, _obj: _company_ref(uow),
    "price": lambda uow, _obj: _company_ref(uow),
    "contract_type": lambda uow, _obj: _company_ref(uow),
    "contract": lambda uow, c: ObjectRef("counterparty", c.counterparty_id),
    # A client's request hangs under its contract or its client; an internal one under
    # its author (REQ-1, REQ-3).
    "request": lambda uow, r: ObjectRef("contract", r.contract_id) if r.contract_id
    else ObjectRef("counterparty", r.counterparty_id) if r.counterparty_id
    else ObjectRef(refs.EMPLOYEE, r.author_id),
    "invoice": lambda uow, i: ObjectRef("counterparty", i.counterparty_id),
    "payment": lambda uow, p: ObjectRef("invoice", p.invoice_id),
    "act": lambda uow, a: ObjectRef("contract", a.contract_id) if a.contract_id
    else ObjectRef("counterparty", a.counterparty_id),
    "document": lambda uow, d: ObjectRef(d.owner_kind, d.owner_id),
    "deal_template": lambda uow, _obj: _company_ref(uow),
    "calendar_day": lambda uow, _obj: _company_ref(uow),
    "deal": lambda uow, d: ObjectRef("counterparty", d.counterparty_id),
}


#: Customer orders (ORD-1…ORD-3): an order hangs under its contract or its client, its
#: approval rounds and billing hand-offs under the order; approval routes are a reference
#: book of the Company.
REPOSITORIES.update({"order": "orders", "approval_route": "approval_routes",
                     "approval_round": "approval_rounds",
                     "billing_handoff": "billing_handoffs"})
PARENTS.update({
    "order": lambda uow, o: ObjectRef("contract", o.contract_id) if o.contract_id
    else ObjectRef("counterparty", o.counterparty_id),
    "approval_round": lambda uow, r: ObjectRef("order", r.order_id),
    "billing_handoff": lambda uow, h: ObjectRef("order", h.order_id),
    "approval_route": lambda uow, _obj: _company_ref(uow),
})

#: kind -> function giving the employees who work an object of that kind besides those
#: of its ancestry: a request's assignee (REQ-1) works it as its author does.
#: Kinds whose workers are followed up their departments (with the heads): the deal
#: manager's department heads supervise the deal (DEAL_WORK, approvals) and the holders
#: of Sales management over that department see and move it.
WORKED_UNDER_HEADS = frozenset({"deal"})

WORKERS: dict[str, Callable] = {
    "request": lambda uow, r: (r.assignee_id,),
    # DEAL-3: the deal manager (and, through the chain, their department heads)
    "deal": lambda uow, d: (d.manager_id,),
}


def chain_of(uow: UnitOfWork, ref: ObjectRef) -> list[ScopeNode]:
    """``ref`` and its ancestors up to the Company (the object first); after an object,
    the employees who work it (``WORKERS``), as links without heads."""
    chain: list[ScopeNode] = []
    seen: set[ObjectRef] = set()
    current: ObjectRef | None = ref
    while current is not None and current not in seen and current.id:
        seen.add(current)
        obj = load(uow, current)
        chain.append(ScopeNode(current, getattr(obj, "head_id", None)
                               if current.kind in (refs.DEPARTMENT, refs.EMPLOYEE) else None))
        workers = WORKERS.get(current.kind)
        for employee_id in workers(uow, obj) if workers else ():
            worker = ObjectRef(refs.EMPLOYEE, employee_id)
            if employee_id and worker not in seen:
                if current.kind in WORKED_UNDER_HEADS:
                    chain.extend(_worker_links(uow, worker, seen))
                else:
                    chain.append(ScopeNode(worker))
        parent = PARENTS.get(current.kind)
        current = parent(uow, obj) if parent else None
    return chain


def _worker_links(uow: UnitOfWork, worker: ObjectRef, seen: set[ObjectRef]
                  ) -> list[ScopeNode]:
    """A worker's link with their own head, then their departments up the tree with
    theirs (not the Company: the object's own ancestry ends there)."""
    employee = uow.employees.get(worker.id)
    if employee is None:
        return [ScopeNode(worker)]
    seen.add(worker)
    links = [ScopeNode(worker, employee.head_id)]
    department_id = employee.department_id
    while department_id:
        ref = ObjectRef(refs.DEPARTMENT, department_id)
        department = uow.departments.get(department_id)
        if ref in seen or department is None:
            break
        seen.add(ref)
        links.append(ScopeNode(ref, department.head_id))
        department_id = department.parent_id
    return links


def policy_for(uow: UnitOfWork, actor_id: int) -> Policy:
    """The policy of an active employee; a disabled or unknown one may do nothing."""
    actor = uow.employees.get(actor_id)
    if actor is None or not actor.active:
        raise Forbidden("your account is disabled")
    uow.acting_as(actor_id)
    return Policy(actor_id, tuple(uow.roles.list(employee_id=actor_id)))


def active_directors(uow: UnitOfWork, excluding: int | None = None) -> set[int]:
    """Employees who hold Director and may still sign in."""
    found = set()
    for grant in uow.roles.list(role=Role.DIRECTOR, scope_kind=refs.COMPANY):
        if grant.employee_id == excluding:
            continue
        holder = uow.employees.get(grant.employee_id)
        if holder is not None and holder.active:
            found.add(holder.id)
    return found


#: Roles only the Director grants and revokes: the Director, and Sales management, which
#: gives rights over other employees' work (TASK-6) that an Administrator of their
#: department does not have — they must not be able to grant it to themselves.
DIRECTOR_GRANTS: dict[Role, tuple[str, str]] = {
    Role.DIRECTOR: ("only the Director may appoint a Director",
                    "only the Director may remove a Director"),
    Role.SALES_MANAGEMENT: ("only the Director may appoint Sales management",
                            "only the Director may remove Sales management"),
}

#: kind -> the role whose holders answer for objects of that kind.
RESPONSIBLE_ROLES: dict[str, Role] = {refs.PROJECT: Role.MANAGEMENT}


class AccessService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def grant(
        self, actor_id: int, employee_id, role, scope: ObjectRef, project_id=None
    ) -> RoleAssignment:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            parsed = RoleAssignment.validate(role, scope)
            if uow.employees.get(employee_id) is None:
                raise ValidationFailed.single("employee_id", "no such employee")
            if project_id is not None and uow.projects.get(project_id) is None:
                raise ValidationFailed.single("project_id", "no such project")
            try:
                chain = chain_of(uow, scope)
            except NotFound:
                raise ValidationFailed.single("scope", f"no such {scope.kind}") from None
            if parsed in DIRECTOR_GRANTS:
                if not policy.is_director:
                    raise Forbidden(DIRECTOR_GRANTS[parsed][0])
            else:
                policy.require(Action.GRANT, scope.kind, chain, project_id)
            existing = uow.roles.first(
                role=parsed, employee_id=employee_id, scope_kind=scope.kind,
                scope_id=scope.id, project_id=project_id,
            )
            if existing is not None:
                return existing
            assignment = uow.roles.add(
                RoleAssignment(
                    role=parsed, employee_id=employee_id, scope_kind=scope.kind,
                    scope_id=scope.id, project_id=project_id,
                    granted_at=self.clock.now(), granted_by=actor_id,
                )
            )
            assignment.record_created(
                ("role", "employee_id", "scope_kind", "scope_id", "project_id")
            )
            assignment.record(assignment.on_employee(RoleGranted))
            uow.commit()
            return assignment

    def revoke(self, actor_id: int, assignment_id: int) -> None:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            assignment = uow.roles.get(assignment_id)
            if assignment is None:
                raise NotFound(refs.ROLE_ASSIGNMENT, assignment_id)
            if assignment.role in DIRECTOR_GRANTS:
                if not policy.is_director:
                    raise Forbidden(DIRECTOR_GRANTS[assignment.role][1])
                if not active_directors(uow, excluding=assignment.employee_id):
                    raise ValidationFailed.single(
                        "role", "the company must keep at least one active Director"
                    )
            else:
                policy.require(
                    Action.GRANT, assignment.scope_kind, chain_of(uow, assignment.scope),
                    assignment.project_id,
                )
            assignment.record_deleted(
                ("role", "employee_id", "scope_kind", "scope_id", "project_id")
            )
            assignment.record(assignment.on_employee(RoleRevoked))
            uow.roles.delete(assignment)
            uow.commit()

    def assignments(self, actor_id: int, **filters) -> list[RoleAssignment]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.roles.list(order_by=("employee_id", "role", "id"), **filters)

    def directors(self) -> list:
        """The active Directors (employees holding Director on the Company). No actor:
        for the operator of the box, on whose behalf the command line acts (ORG-1)."""
        with self.uow_factory(readonly=True) as uow:
            grants = uow.roles.list(role=Role.DIRECTOR, scope_kind=refs.COMPANY,
                                    order_by=("id",))
            found = (uow.employees.get(g.employee_id) for g in grants)
            return [e for e in found if e is not None and e.active]

    def policy(self, actor_id: int) -> Policy:
        with self.uow_factory(readonly=True) as uow:
            return policy_for(uow, actor_id)

    def may_manage_services(self, actor_id: int, owner: ObjectRef) -> bool:
        """Whether the services page of ``owner`` is the actor's: opening and closing its
        services, or switching their availability (ORG-5)."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            chain = chain_of(uow, owner)
            return policy.allows(Action.MANAGE_SERVICES, owner.kind, chain) or policy.allows(
                Action.SET_AVAILABILITY, owner.kind, chain)

    def responsible(self, actor_id: int, ref: ObjectRef) -> list[RoleAssignment]:
        """Who answers for an object (shown beside its name, UI-1): for a project, the
        holders of Management on it (ORG-3)."""
        role = RESPONSIBLE_ROLES.get(ref.kind)
        if role is None:
            return []
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.roles.list(role=role, scope_kind=ref.kind, scope_id=ref.id,
                                  order_by=("id",))

    def allowed(self, actor_id: int, action: Action, ref: ObjectRef, kind: str | None = None
                ) -> bool:
        """For faces that show or hide a button; the use case still checks. ``kind``: the
        kind of object acted on inside ``ref`` (creating a card in a catalog: CREATE on
        the catalog's ref with kind "counterparty"); by default ``ref``'s own kind."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            return policy.allows(action, kind or ref.kind, chain_of(uow, ref))

    def allowed_each(self, actor_id: int, action: Action, subjects, kind: str | None = None
                     ) -> set[ObjectRef]:
        """``allowed`` for many objects in one unit of work (the buttons of a list page):
        the refs among ``subjects`` the actor may do ``action`` on."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            return {ref for ref in subjects
                    if policy.allows(action, kind or ref.kind, chain_of(uow, ref))}


__all__ = ["ROLE_SCOPES", "AccessService", "chain_of", "load", "policy_for"]
