"""Roles as data: a role is granted to an employee on a scope object (ORG-6)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import ClassVar

import attrs

from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import ValidationFailed
from ecrm_core.kernel.events import DomainEvent, FieldChange
from ecrm_core.kernel.model import Aggregate, entity
from ecrm_core.kernel.refs import ObjectRef


class Role(enum.StrEnum):
    DIRECTOR = "director"
    ADMINISTRATOR = "administrator"
    CATALOG_CURATOR = "catalog_curator"
    CLIENT_MANAGER = "client_manager"
    INVOICE_MANAGER = "invoice_manager"
    MANAGEMENT = "management"
    SALES_MANAGEMENT = "sales_management"
    PROJECT_LEADER = "project_leader"
    #: may register clients in a catalog (granted by its curator, CAT-2)
    CLIENT_REGISTRAR = "client_registrar"


class Action(enum.StrEnum):
    VIEW = "view"
    CREATE = "create"
    EDIT = "edit"
    DELETE = "delete"
    #: grant or revoke roles whose scope lies inside the object
    GRANT = "grant"
    #: open/close services (capabilities) of a resource
    MANAGE_SERVICES = "manage_services"
    #: switch per-service availability flags of employees
    SET_AVAILABILITY = "set_availability"
    #: assign a responsible manager to a counterparty (CP-6)
    ASSIGN = "assign"


#: Which kinds of object each role may be granted on (ORG-6).
ROLE_SCOPES: dict[Role, frozenset[str]] = {
    Role.DIRECTOR: frozenset({refs.COMPANY}),
    Role.ADMINISTRATOR: frozenset({refs.DEPARTMENT}),
    Role.CATALOG_CURATOR: frozenset({"catalog"}),
    Role.CLIENT_MANAGER: frozenset({"counterparty"}),
    Role.INVOICE_MANAGER: frozenset({"invoice"}),
    Role.MANAGEMENT: frozenset({refs.PROJECT}),
    Role.SALES_MANAGEMENT: frozenset({refs.COMPANY, refs.DEPARTMENT, refs.PROJECT}),
    Role.PROJECT_LEADER: frozenset({refs.PROJECT, "counterparty"}),
    Role.CLIENT_REGISTRAR: frozenset({"catalog"}),
}


@attrs.frozen(kw_only=True)
class RoleGranted(DomainEvent):
    """Recorded on the employee's own history as well as on the assignment's (HIST-1)."""


@attrs.frozen(kw_only=True)
class RoleRevoked(DomainEvent):
    pass


@entity
class RoleAssignment(Aggregate):
    """Employee ``employee_id`` holds ``role`` on ``scope`` (optionally for one project)."""

    kind: ClassVar[str] = refs.ROLE_ASSIGNMENT

    role: Role
    employee_id: int
    scope_kind: str
    scope_id: int
    project_id: int | None = None
    granted_at: datetime | None = None
    granted_by: int | None = None

    @property
    def scope(self) -> ObjectRef:
        return ObjectRef(self.scope_kind, self.scope_id)

    def describe(self) -> str:
        text = f"{self.role.value} @ {self.scope}"
        return text + f" (project:{self.project_id})" if self.project_id else text

    def on_employee(self, event_type: type[DomainEvent]) -> DomainEvent:
        """The event for the holder's history: which role on what was granted/revoked."""
        old, new = (None, self.describe()) if event_type is RoleGranted else (
            self.describe(), None)
        return event_type(subject=ObjectRef(refs.EMPLOYEE, self.employee_id),
                          changes=(FieldChange("role", old, new),))

    @staticmethod
    def validate(role: str, scope: ObjectRef) -> Role:
        try:
            parsed = Role(role)
        except ValueError:
            raise ValidationFailed.single(
                "role", f"unknown role {role!r}; one of: {', '.join(r.value for r in Role)}"
            ) from None
        if scope.kind not in ROLE_SCOPES[parsed]:
            allowed = ", ".join(sorted(ROLE_SCOPES[parsed]))
            raise ValidationFailed.single(
                "scope", f"role {parsed.value} is granted on: {allowed}, not on {scope.kind}"
            )
        return parsed
