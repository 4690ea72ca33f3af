"""The organisation: one Company, departments, projects (directions), employees and the
classifier of service types with services assigned to resources (ORG-1…ORG-5)."""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import ClassVar

import attrs

from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import ValidationFailed
from ecrm_core.kernel.events import ObjectChanged
from ecrm_core.kernel.model import Aggregate, entity
from ecrm_core.kernel.refs import ObjectRef

LOGIN_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$")
LOCALES = ("ru", "en")
MIN_PASSWORD = 8


@entity
class Company(Aggregate):
    kind: ClassVar[str] = refs.COMPANY

    name: str
    #: INN, KPP, address, bank, BIK, accounts, director, accountant: what the company's
    #: documents print (the invoice, INV-1)
    requisites: dict = attrs.field(factory=dict)


@entity
class Department(Aggregate):
    """Employees grouped by speciality (ORG-2). Departments nest: ``parent_id``."""

    kind: ClassVar[str] = refs.DEPARTMENT

    name: str
    description: str = ""
    parent_id: int | None = None
    head_id: int | None = None

    EDITABLE: ClassVar[tuple[str, ...]] = ("name", "description", "parent_id", "head_id")


@entity
class Project(Aggregate):
    """A direction of work (ORG-3)."""

    kind: ClassVar[str] = refs.PROJECT

    name: str
    description: str = ""
    active: bool = True

    EDITABLE: ClassVar[tuple[str, ...]] = ("name", "description", "active")


@entity
class Employee(Aggregate):
    """A person who works in ECRM; created with a login and password (ORG-4)."""

    kind: ClassVar[str] = refs.EMPLOYEE
    secret_fields: ClassVar[frozenset[str]] = frozenset({"password_hash", "calendar_token_hash"})

    login: str
    full_name: str
    password_hash: str = ""
    email: str | None = None
    department_id: int | None = None
    head_id: int | None = None
    position: str = ""
    phone: str = ""
    active: bool = True
    locale: str = "ru"
    timezone: str = "Europe/Moscow"
    created_at: datetime | None = None
    #: the page opened after signing in (AUTH-2): a path inside ECRM; "" for the default
    home_page: str = ""
    #: digest of the private calendar feed's token ("" when there is none)
    calendar_token_hash: str = ""

    #: What the employee may change on their own card.
    SELF_EDITABLE: ClassVar[tuple[str, ...]] = ("full_name", "email", "phone", "locale", "timezone")
    EDITABLE: ClassVar[tuple[str, ...]] = (
        *SELF_EDITABLE, "department_id", "head_id", "position", "active",
    )
    #: What history records when the employee is created.
    CREATED_FIELDS: ClassVar[tuple[str, ...]] = (
        "login", "full_name", "email", "department_id", "head_id", "position", "phone",
        "locale", "timezone",
    )

    def change_password(self, new_hash: str) -> None:
        self.apply_changes({"password_hash": new_hash})

    def disable(self) -> bool:
        return self.apply_changes({"active": False})

    def enable(self) -> bool:
        return self.apply_changes({"active": True})


@entity
class ServiceType(Aggregate):
    """An entry of the one classifier of service types (ORG-5)."""

    kind: ClassVar[str] = refs.SERVICE_TYPE

    code: str
    name: str
    description: str = ""
    active: bool = True

    EDITABLE: ClassVar[tuple[str, ...]] = ("name", "description", "active")


class ServiceState(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


#: Resources that can own services.
SERVICE_OWNERS = (refs.DEPARTMENT, refs.PROJECT, refs.EMPLOYEE)


@entity
class Service(Aggregate):
    """A resource's capability to do one type of work (ORG-5). Closed services are kept
    (never deleted) so their history of active and closed periods stays."""

    kind: ClassVar[str] = refs.SERVICE

    service_type_id: int
    owner_kind: str
    owner_id: int
    state: ServiceState = ServiceState.ACTIVE
    available: bool = True
    opened_at: datetime | None = None
    closed_at: datetime | None = None

    @property
    def owner(self) -> ObjectRef:
        return ObjectRef(self.owner_kind, self.owner_id)

    def close(self, at: datetime) -> None:
        if self.state is ServiceState.CLOSED:
            raise ValidationFailed.single("state", "the service is already closed")
        self.apply_changes({"state": ServiceState.CLOSED, "closed_at": at, "available": False})

    def reopen(self, at: datetime) -> None:
        if self.state is ServiceState.ACTIVE:
            raise ValidationFailed.single("state", "the service is already active")
        self.apply_changes(
            {"state": ServiceState.ACTIVE, "opened_at": at, "closed_at": None, "available": True}
        )

    def set_available(self, available: bool) -> None:
        if available and self.state is ServiceState.CLOSED:
            raise ValidationFailed.single("available", "a closed service cannot be available")
        self.apply_changes({"available": available}, ObjectChanged)
