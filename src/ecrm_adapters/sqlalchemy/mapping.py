"""Imperative mapping of the core's attrs aggregates onto the tables.

The core's classes stay plain attrs classes; SQLAlchemy instruments them here. Each
aggregate's ``version`` column is the mapper's ``version_id_col``: an UPDATE carries
``WHERE version = :old`` and a lost race raises instead of overwriting."""

from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.orm import registry

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.access.model import RoleAssignment
from ecrm_core.auth.model import ApiToken, LoginSession, LoginThrottle
from ecrm_core.counterparties.model import Catalog, Contact, Counterparty, CuratorAssignment
from ecrm_core.deals.model import Deal, DealEscalation, DealPayment, DealStage, DealTemplate
from ecrm_core.documents.model import Document
from ecrm_core.history.model import HistoryEntry
from ecrm_core.kernel.model import HandledMessage
from ecrm_core.messages.model import Message
from ecrm_core.orders.model import ApprovalRound, ApprovalRoute, BillingHandoff, Order
from ecrm_core.org.calendar import CalendarDay
from ecrm_core.org.model import Company, Department, Employee, Project, Service, ServiceType
from ecrm_core.products.model import ClientType, Item, ItemGroup, Price, PriceType, ServiceKind
from ecrm_core.sales.model import (
    Act,
    Contract,
    ContractType,
    Invoice,
    Payment,
    Request,
    Settlement,
)
from ecrm_core.tasks.model import EscalationRule, Task, TaskEscalation, TaskType
from ecrm_core.workflow.model import StateSet

mapper_registry = registry(metadata=t.metadata)
_lock = threading.Lock()
_started = False

#: repository name on the unit of work -> (aggregate class, table)
MAPPED = {
    "company": (Company, t.company),
    "departments": (Department, t.departments),
    "projects": (Project, t.projects),
    "employees": (Employee, t.employees),
    "service_types": (ServiceType, t.service_types),
    "services": (Service, t.services),
    "roles": (RoleAssignment, t.role_assignments),
    "messages": (Message, t.messages),
    "history": (HistoryEntry, t.history),
    "login_sessions": (LoginSession, t.login_sessions),
    "api_tokens": (ApiToken, t.api_tokens),
    "login_throttles": (LoginThrottle, t.login_throttles),
    "handled_messages": (HandledMessage, t.handled_messages),
    "catalogs": (Catalog, t.catalogs),
    "counterparties": (Counterparty, t.counterparties),
    "contacts": (Contact, t.contacts),
    "curator_assignments": (CuratorAssignment, t.curator_assignments),
    "task_types": (TaskType, t.task_types),
    "escalation_rules": (EscalationRule, t.escalation_rules),
    "tasks": (Task, t.tasks),
    "state_sets": (StateSet, t.state_sets),
    "item_groups": (ItemGroup, t.item_groups),
    "items": (Item, t.items),
    "service_kinds": (ServiceKind, t.service_kinds),
    "price_types": (PriceType, t.price_types),
    "client_types": (ClientType, t.client_types),
    "prices": (Price, t.prices),
    "contract_types": (ContractType, t.contract_types),
    "contracts": (Contract, t.contracts),
    "requests": (Request, t.requests),
    "invoices": (Invoice, t.invoices),
    "payments": (Payment, t.payments),
    "acts": (Act, t.acts),
    "settlements": (Settlement, t.settlements),
    "documents": (Document, t.documents),
    # deals (DEAL-1…DEAL-4)
    "deal_templates": (DealTemplate, t.deal_templates),
    "deals": (Deal, t.deals),
    "deal_stages": (DealStage, t.deal_stages),
    "deal_payments": (DealPayment, t.deal_payments),
    "calendar_days": (CalendarDay, t.calendar_days),
    # customer orders (ORD-1…ORD-3)
    "orders": (Order, t.orders),
    "approval_routes": (ApprovalRoute, t.approval_routes),
    "approval_rounds": (ApprovalRound, t.approval_rounds),
    "billing_handoffs": (BillingHandoff, t.billing_handoffs),
}

#: repository name -> (class, table) of records kept as plain rows, not mapped
#: (``uow.SqlRowsRepository``: written in bulk by the escalation job)
ROWS = {
    "task_escalations": (TaskEscalation, t.task_escalations),
    # the escalation job's notices (DEAL-4): added and read, never changed
    "deal_escalations": (DealEscalation, t.deal_escalations),
}


def _restore_events(target, _context) -> None:
    # Rows loaded from the database skip __init__: give them their event list back.
    target.events = []


def start_mappers() -> None:
    """Map every aggregate once per process (mapping twice raises)."""
    global _started
    with _lock:
        if _started:
            return
        for cls, table in MAPPED.values():
            options = {}
            if "version" in table.c:
                options["version_id_col"] = table.c.version
            mapper_registry.map_imperatively(cls, table, **options)
            event.listen(cls, "load", _restore_events)
        _started = True
