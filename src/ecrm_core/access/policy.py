"""The one policy. Every use case asks it before it changes or shows anything.

Rights follow from roles held on the object itself or on one of its ancestors (ORG-6):
an Administrator of a department may manage the employees of that department and of
its sub-departments; the Director (a role on the Company, the root of every chain)
may do everything. The table below is the whole rule book; it grows as areas arrive.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from ecrm_core.access.model import Action, Role, RoleAssignment
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import Forbidden
from ecrm_core.kernel.refs import ObjectRef

A = Action
CATALOG, COUNTERPARTY, CONTACT, CURATOR_ASSIGNMENT, TASK = (
    "catalog", "counterparty", "contact", "curator_assignment", "task")
#: Working tasks (TASK-5, TASK-6): a task hangs under its responsible employee.
TASK_WORK = frozenset((a, TASK) for a in (A.VIEW, A.CREATE, A.EDIT, A.DELETE))
CONTRACT, REQUEST, INVOICE, PAYMENT, ACT, DOCUMENT = (
    "contract", "request", "invoice", "payment", "act", "document")
#: A client's sales documents (CON, REQ, INV, DOC-1): they hang under the counterparty
#: (payments under their invoice, documents under their owner).
CLIENT_DOCUMENTS = (CONTRACT, REQUEST, INVOICE, PAYMENT, ACT, DOCUMENT, "deal")
#: Customer orders (ORD-1…ORD-3) are a client's documents too: an order hangs under its
#: contract or client, its approval rounds and billing hand-offs under the order.
ORDER, APPROVAL_ROUND, BILLING_HANDOFF = "order", "approval_round", "billing_handoff"
CLIENT_DOCUMENTS += (ORDER, APPROVAL_ROUND, BILLING_HANDOFF)
#: Who works a client works its documents: registers contracts, requests, invoices,
#: payments and acts, moves them through their states, attaches files.
CLIENT_WORK = frozenset((a, kind) for kind in CLIENT_DOCUMENTS
                        for a in (A.VIEW, A.CREATE, A.EDIT, A.DELETE))
#: INV-3: the invoice manager, personally responsible for one invoice (the role's scope):
#: edits and moves it, registers its payments and attaches its documents.
INVOICE_WORK = frozenset({(A.VIEW, INVOICE), (A.EDIT, INVOICE)} | {
    (a, kind) for kind in (PAYMENT, DOCUMENT) for a in (A.VIEW, A.CREATE, A.EDIT, A.DELETE)})
#: An internal request's author and its assignee see and work it (REQ-1).
REQUEST_WORK = frozenset({(A.VIEW, REQUEST), (A.EDIT, REQUEST), (A.VIEW, DOCUMENT),
                          (A.CREATE, DOCUMENT), (A.DELETE, DOCUMENT)})
DEAL, DEAL_APPROVAL = "deal", "deal_approval"
#: DEAL-3: the deal manager works their deal (edits it, moves it, attaches its
#: documents); their department head too, and may record the approvals it asks for.
DEAL_WORK = frozenset({(A.VIEW, DEAL), (A.EDIT, DEAL), (A.VIEW, DOCUMENT),
                       (A.CREATE, DOCUMENT), (A.DELETE, DOCUMENT)})
#: Heads of sales move deals and record approvals (DEAL-2); they also see every deal's
#: figures (``Policy.sees_all_deal_figures``).
DEAL_SUPERVISION = frozenset({(A.EDIT, DEAL), (A.EDIT, DEAL_APPROVAL)})

#: role -> {(action, kind of object acted on)} allowed inside the role's scope.
PERMISSIONS: dict[Role, frozenset[tuple[Action, str]]] = {
    Role.ADMINISTRATOR: frozenset(
        {
            (A.EDIT, refs.DEPARTMENT),
            (A.CREATE, refs.DEPARTMENT),
            (A.CREATE, refs.EMPLOYEE),
            (A.EDIT, refs.EMPLOYEE),
            (A.DELETE, refs.EMPLOYEE),
            (A.GRANT, refs.DEPARTMENT),
            (A.GRANT, refs.EMPLOYEE),
            (A.MANAGE_SERVICES, refs.DEPARTMENT),
            (A.MANAGE_SERVICES, refs.EMPLOYEE),
            (A.SET_AVAILABILITY, refs.EMPLOYEE),
        }
    ),
    Role.MANAGEMENT: frozenset(
        {
            (A.EDIT, refs.PROJECT),
            (A.GRANT, refs.PROJECT),
            (A.MANAGE_SERVICES, refs.PROJECT),
        }
    ),
    # Heads of sales plan and check the work of the employees in their scope (TASK-6).
    Role.SALES_MANAGEMENT: TASK_WORK | DEAL_SUPERVISION | frozenset(
        (A.VIEW, kind) for kind in CLIENT_DOCUMENTS),
    # CAT-2: the curator registers clients in the catalog, appoints their managers and
    # grants others the right to register; may nest catalogs inside it.
    Role.CATALOG_CURATOR: frozenset(
        {
            (A.CREATE, CATALOG),
            (A.EDIT, CATALOG),
            (A.GRANT, CATALOG),
            (A.CREATE, COUNTERPARTY),
            (A.EDIT, COUNTERPARTY),
            (A.DELETE, COUNTERPARTY),
            (A.ASSIGN, COUNTERPARTY),
        }
    ) | CLIENT_WORK,
    Role.CLIENT_REGISTRAR: frozenset({(A.CREATE, COUNTERPARTY)}),
    # CP-5: the client manager works the card: edits it, its contacts, marks it deleted.
    Role.CLIENT_MANAGER: frozenset({(A.EDIT, COUNTERPARTY), (A.DELETE, COUNTERPARTY)}
                                   ) | CLIENT_WORK,
    Role.INVOICE_MANAGER: INVOICE_WORK,
    # CP-7: attaches managers per direction to the client's project.
    Role.PROJECT_LEADER: frozenset({(A.ASSIGN, COUNTERPARTY)}),
}

#: What every signed-in employee may do anywhere: see the organisation.
EVERYONE: frozenset[tuple[Action, str]] = frozenset(
    (A.VIEW, kind)
    for kind in (
        refs.COMPANY, refs.DEPARTMENT, refs.PROJECT, refs.EMPLOYEE, refs.SERVICE_TYPE,
        refs.SERVICE, refs.ROLE_ASSIGNMENT, CATALOG, COUNTERPARTY, CONTACT,
        CURATOR_ASSIGNMENT, "task_type", "escalation_rule", "state_set",
        "item_group", "item", "service_kind", "price_type", "client_type", "price",
        "contract_type", "deal_template", "calendar_day",
    )
)
#: The approval routes of orders (ORD-2) are a reference book everyone reads.
EVERYONE = EVERYONE | frozenset({(A.VIEW, "approval_route")})

#: Kinds of the organisation (what the admin section manages).
ORGANISATION = frozenset({refs.COMPANY, refs.DEPARTMENT, refs.EMPLOYEE, refs.PROJECT,
                          refs.SERVICE_TYPE, refs.SERVICE})

#: Roles whose project is the direction they answer for on one card, not a limit on
#: where the role applies (CP-5). A project leader's project does limit them (CP-7).
DIRECTION_ROLES = frozenset({Role.CLIENT_MANAGER})

#: What an employee may do with objects that hang under their own card (their messages,
#: their tasks).
OWN: frozenset[tuple[Action, str]] = frozenset({(A.VIEW, refs.MESSAGE)}) | TASK_WORK \
    | REQUEST_WORK | DEAL_WORK

#: A department head (up the employee's tree) sets the employee's personal services
#: (ORG-5) and plans and checks their tasks (TASK-6).
HEAD: frozenset[tuple[Action, str]] = frozenset({(A.MANAGE_SERVICES, refs.EMPLOYEE)}
                                                ) | TASK_WORK | REQUEST_WORK | DEAL_WORK \
    | frozenset({(A.EDIT, DEAL_APPROVAL)})
#: An employee's own head (``Employee.head_id``), who may sit in another department,
#: plans and checks their tasks only (TASK-6).
PERSONAL_HEAD: frozenset[tuple[Action, str]] = TASK_WORK


@attrs.frozen
class ScopeNode:
    """One link of an object's ancestry: the object and, for departments and employees,
    their head."""

    ref: ObjectRef
    head_id: int | None = None


def is_allowed(
    actor_id: int,
    assignments: Iterable[RoleAssignment],
    action: Action,
    kind: str,
    chain: Sequence[ScopeNode],
    project_id: int | None = None,
) -> bool:
    """May ``actor_id``, holding ``assignments``, do ``action`` on an object of ``kind``
    whose ancestry (the object or its container first, the Company last) is ``chain``?

    A role limited to a project applies only when the action concerns that project.
    """
    if (action, kind) in EVERYONE:
        return True
    if action is A.VIEW and kind in CLIENT_DOCUMENTS and any(
            node.ref.kind == COUNTERPARTY for node in chain):
        # A client's documents are seen by whoever sees the client (everyone signed
        # in, like the card); an employee's internal request only by those the rules
        # below name.
        return True
    in_chain = {node.ref for node in chain}
    for a in assignments:
        if a.employee_id != actor_id:
            continue
        if a.project_id is not None and a.project_id != project_id and not (
            project_id is None and a.role in DIRECTION_ROLES
        ):
            # A role limited to a project gives nothing outside that project — except a
            # card's manager for one direction, who still works the card itself (CP-5).
            continue
        if a.role is Role.DIRECTOR and a.scope_kind == refs.COMPANY:
            return True
        if a.scope in in_chain and (action, kind) in PERMISSIONS.get(a.role, frozenset()):
            return True
    if (action, kind) in OWN and ObjectRef(refs.EMPLOYEE, actor_id) in in_chain:
        return True
    return any(
        node.head_id == actor_id and (action, kind) in (
            HEAD if node.ref.kind == refs.DEPARTMENT
            else PERSONAL_HEAD if node.ref.kind == refs.EMPLOYEE else ())
        for node in chain
    )


@attrs.frozen
class Policy:
    """The policy bound to one actor, as use cases see it."""

    actor_id: int
    assignments: tuple[RoleAssignment, ...]

    @property
    def is_director(self) -> bool:
        return any(
            a.role is Role.DIRECTOR and a.employee_id == self.actor_id for a in self.assignments
        )

    @property
    def is_administrator(self) -> bool:
        """The Director or an Administrator of some department: who may delete a card for
        good (CP-12)."""
        return self.is_director or any(
            a.role is Role.ADMINISTRATOR and a.employee_id == self.actor_id
            for a in self.assignments
        )

    @property
    def may_administer(self) -> bool:
        """Whether any role gives a right over the organisation (departments, employees,
        projects, services): the admin section is theirs. Client-base roles (curators,
        managers) work in the client base, not here."""
        return self.is_director or any(
            kind in ORGANISATION for a in self.assignments if a.employee_id == self.actor_id
            for _action, kind in PERMISSIONS.get(a.role, ())
        )

    def require_administrator(self) -> None:
        """Reference books (typical tasks, escalation rules, state sets) are edited by
        the Director and Administrators."""
        if not self.is_administrator:
            raise Forbidden("only the Director or an Administrator edits reference books")

    def roles_over(self, chain: Sequence[ScopeNode], project_id: int | None = None
                   ) -> frozenset[Role]:
        """The roles the actor holds over an object whose ancestry is ``chain``: those
        granted on the object or an ancestor, a role limited to a project only for that
        project (as ``is_allowed`` counts them). What the workflow engine's transitions
        are checked against."""
        in_chain = {node.ref for node in chain}
        return frozenset(
            a.role for a in self.assignments
            if a.employee_id == self.actor_id and a.scope in in_chain
            and (a.project_id is None or a.project_id == project_id
                 or (project_id is None and a.role in DIRECTION_ROLES))
        )

    def require_price_manager(self) -> None:
        """The price list (PRD-3) is kept by the Director, Administrators and holders of
        Sales management."""
        if not (self.is_administrator or any(
                a.role is Role.SALES_MANAGEMENT and a.employee_id == self.actor_id
                for a in self.assignments)):
            raise Forbidden("only the Director, an Administrator or Sales management "
                            "sets prices")

    @property
    def sees_all_deal_figures(self) -> bool:
        """The pipeline board and the forecast of everyone's deals (RPT-4) are the
        Director's and Sales management's (wherever granted); others see their own."""
        return self.is_director or any(
            a.role is Role.SALES_MANAGEMENT and a.employee_id == self.actor_id
            for a in self.assignments)

    def allows(self, action: Action, kind: str, chain: Sequence[ScopeNode], project_id=None):
        return is_allowed(self.actor_id, self.assignments, action, kind, chain, project_id)

    def require(self, action: Action, kind: str, chain: Sequence[ScopeNode], project_id=None):
        if not self.allows(action, kind, chain, project_id):
            raise Forbidden(f"you may not {action.value} {kind} here")
