"""Core objects -> JSON objects. Every aggregate carries ``id`` and ``version`` (send the
version back with a change); datetimes are ISO 8601 in UTC; secrets (password hashes,
token digests) never leave the server. ``openapi.py`` describes each shape."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ecrm_core.access.model import RoleAssignment
from ecrm_core.attributes import dump_defs
from ecrm_core.auth.model import ApiToken
from ecrm_core.counterparties.model import Catalog, Contact, Counterparty, CuratorAssignment
from ecrm_core.counterparties.services import DuplicateCandidate, ListRow, Page
from ecrm_core.deals.services import PAGE as DEAL_PAGE
from ecrm_core.history.model import HistoryEntry
from ecrm_core.messages.model import Message
from ecrm_core.org.model import Company, Department, Employee, Project, Service, ServiceType
from ecrm_core.products.services import ProductService
from ecrm_core.sales.contracts import ContractService
from ecrm_core.sales.flow import PAGE as INVOICE_PAGE
from ecrm_core.sales.requests import PAGE as REQUEST_PAGE
from ecrm_core.tasks.model import EscalationRule, Task, TaskType
from ecrm_core.tasks.services import TaskPage, TimelineItem
from ecrm_core.workflow.definition import dump_definition


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _base(obj) -> dict[str, Any]:
    return {"id": obj.id, "version": obj.version}


def company(obj: Company) -> dict[str, Any]:
    return {**_base(obj), "name": obj.name,
            "requisites": {k: str(v) for k, v in (obj.requisites or {}).items()}}


def employee(obj: Employee) -> dict[str, Any]:
    return {
        **_base(obj),
        "login": obj.login,
        "full_name": obj.full_name,
        "email": obj.email,
        "phone": obj.phone,
        "position": obj.position,
        "department_id": obj.department_id,
        "head_id": obj.head_id,
        "active": obj.active,
        "locale": obj.locale,
        "timezone": obj.timezone,
        "created_at": iso(obj.created_at),
    }


def department(obj: Department) -> dict[str, Any]:
    return {
        **_base(obj),
        "name": obj.name,
        "description": obj.description,
        "parent_id": obj.parent_id,
        "head_id": obj.head_id,
    }


def project(obj: Project) -> dict[str, Any]:
    return {**_base(obj), "name": obj.name, "description": obj.description, "active": obj.active}


def service_type(obj: ServiceType) -> dict[str, Any]:
    return {
        **_base(obj),
        "code": obj.code,
        "name": obj.name,
        "description": obj.description,
        "active": obj.active,
    }


def service(obj: Service) -> dict[str, Any]:
    return {
        **_base(obj),
        "service_type_id": obj.service_type_id,
        "owner": str(obj.owner),
        "owner_kind": obj.owner_kind,
        "owner_id": obj.owner_id,
        "state": plain(obj.state),
        "available": obj.available,
        "opened_at": iso(obj.opened_at),
        "closed_at": iso(obj.closed_at),
    }


def role_assignment(obj: RoleAssignment) -> dict[str, Any]:
    return {
        **_base(obj),
        "role": plain(obj.role),
        "employee_id": obj.employee_id,
        "scope": str(obj.scope),
        "scope_kind": obj.scope_kind,
        "scope_id": obj.scope_id,
        "project_id": obj.project_id,
        "granted_at": iso(obj.granted_at),
        "granted_by": obj.granted_by,
    }


def message(obj: Message) -> dict[str, Any]:
    subject = obj.subject
    return {
        **_base(obj),
        "kind": plain(obj.message_kind),
        "recipient_id": obj.recipient_id,
        "sender_id": obj.sender_id,
        "text": obj.text,
        "subject": str(subject) if subject else None,
        "action": obj.action,
        "state": plain(obj.state),
        "reason": obj.reason,
        "reply_to_id": obj.reply_to_id,
        "unread": obj.unread,
        "awaits_answer": obj.awaits_answer,
        "created_at": iso(obj.created_at),
        "read_at": iso(obj.read_at),
        "answered_at": iso(obj.answered_at),
        "emailed_at": iso(obj.emailed_at),
    }


def history_entry(obj: HistoryEntry) -> dict[str, Any]:
    return {
        "id": obj.id,
        "at": iso(obj.at),
        "actor_id": obj.actor_id,
        "subject": str(obj.subject),
        "action": obj.action,
        "changes": [
            {"field": c.get("field"), "old": c.get("old"), "new": c.get("new")}
            for c in obj.changes
        ],
    }


def api_token(obj: ApiToken) -> dict[str, Any]:
    return {
        **_base(obj),
        "employee_id": obj.employee_id,
        "name": obj.name,
        "active": obj.active,
        "created_at": iso(obj.created_at),
        "revoked_at": iso(obj.revoked_at),
    }


def items(objects, presenter) -> dict[str, Any]:
    return {"items": [presenter(o) for o in objects]}


# -- the client base (chapter 5) ----------------------------------------------------------


def catalog(obj: Catalog, depth: int | None = None) -> dict[str, Any]:
    return {
        **_base(obj),
        "name": obj.name,
        "description": obj.description,
        "parent_id": obj.parent_id,
        "curator_id": obj.curator_id,
        "depth": depth,
    }


def catalog_tree(entries: list[tuple[int, Catalog]]) -> dict[str, Any]:
    return {"items": [catalog(c, depth) for depth, c in entries]}


def counterparty(obj: Counterparty) -> dict[str, Any]:
    return {
        **_base(obj),
        "catalog_id": obj.catalog_id,
        "type": plain(obj.type),
        "name": obj.name,
        "full_name": obj.full_name,
        "inn": obj.inn,
        "kpp": obj.kpp,
        "ogrn": obj.ogrn,
        "legal_address": obj.legal_address,
        "postal_address": obj.postal_address,
        "phone": obj.phone,
        "sms_phone": obj.sms_phone,
        "email": obj.email,
        "mailing_email": obj.mailing_email,
        "status": plain(obj.status),
        "parent_id": obj.parent_id,
        "okved": obj.okved,
        "head": obj.head,
        "extra": dict(obj.extra or {}),
        "export_1c": obj.export_1c,
        "client_type_id": obj.client_type_id,
        "deleted": obj.deleted,
        "deleted_at": iso(obj.deleted_at),
        "created_at": iso(obj.created_at),
        "created_by": obj.created_by,
        "updated_at": iso(obj.updated_at),
        "updated_by": obj.updated_by,
    }


def counterparty_row(row: ListRow) -> dict[str, Any]:
    """A card with what its list row shows (CP-13, §5.12)."""
    return {
        **counterparty(row.counterparty),
        "catalog_name": row.catalog_name,
        "managers": list(row.managers),
        "main_manager_id": row.main_manager,
        "last_modifier_id": row.last_modifier,
    }


def page(found: Page) -> dict[str, Any]:
    return {
        "items": [counterparty_row(r) for r in found.rows],
        "page": found.page,
        "per_page": found.per_page,
        "total": found.total,
        "pages": found.pages,
        "capped": found.capped,
    }


def candidate(obj: DuplicateCandidate) -> dict[str, Any]:
    return {"id": obj.id, "name": obj.name, "inn": obj.inn, "reasons": list(obj.reasons),
            "deleted": obj.deleted}


def contact(obj: Contact) -> dict[str, Any]:
    return {
        **_base(obj),
        "counterparty_id": obj.counterparty_id,
        "full_name": obj.full_name,
        "position": obj.position,
        "birthday": obj.birthday.isoformat() if obj.birthday else None,
        "phones": list(obj.phones or []),
        "emails": list(obj.emails or []),
        "note": obj.note,
        "has_photo": bool(obj.photo),
    }


def curator_assignment(obj: CuratorAssignment) -> dict[str, Any]:
    return {
        **_base(obj),
        "counterparty_id": obj.counterparty_id,
        "employee_id": obj.employee_id,
        "project_id": obj.project_id,
        "requested_by": obj.requested_by,
        "head_id": obj.head_id,
        "state": plain(obj.state),
        "employee_confirmed": obj.employee_confirmed,
        "head_confirmed": obj.head_confirmed,
        "reason": obj.reason,
        "requested_at": iso(obj.requested_at),
    }


def registry_record(data: dict[str, Any]) -> dict[str, Any]:
    """Card fields the state register gave for an INN (nothing is saved)."""
    return {name: data.get(name) or "" for name in REGISTRY_FIELDS}


REGISTRY_FIELDS = ("inn", "name", "type", "status", "kpp", "ogrn", "full_name",
                   "legal_address", "okved", "head")

#: The pictures a contact's photo may be, by their first bytes (served with this type).
PHOTO_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
               (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"), (b"RIFF", "image/webp"))


def photo_type(data: bytes) -> str:
    return next((kind for magic, kind in PHOTO_TYPES if data.startswith(magic)),
                "application/octet-stream")


# -- tasks (chapter 6: TASK-1…TASK-8) ----------------------------------------------------------


def task(obj: Task, now: datetime) -> dict[str, Any]:
    """A task as of ``now`` (``overdue`` is the core's ``Task.is_overdue``)."""
    return {
        **_base(obj),
        "responsible_id": obj.responsible_id,
        "task_type_id": obj.task_type_id,
        "state": plain(obj.state),
        "overdue": obj.is_overdue(now),
        "due_date": iso(obj.due_date),
        "due_time": obj.due_time.strftime("%H:%M") if obj.due_time else None,
        "due_at": iso(obj.due_at),
        "what": obj.what,
        "result": obj.result,
        "counterparty_id": obj.counterparty_id,
        "contact_id": obj.contact_id,
        "project_id": obj.project_id,
        "remind_minutes": obj.remind_minutes,
        "remind_at": iso(obj.remind_at),
        "reminded_at": iso(obj.reminded_at),
        "done_at": iso(obj.done_at),
        "created_at": iso(obj.created_at),
        "created_by": obj.created_by,
        "updated_at": iso(obj.updated_at),
        "updated_by": obj.updated_by,
    }


def tasks(objects, now: datetime) -> dict[str, Any]:
    return {"items": [task(o, now) for o in objects]}


def task_page(found: TaskPage, now: datetime) -> dict[str, Any]:
    return {
        **tasks(found.rows, now),
        "page": found.page,
        "per_page": found.per_page,
        "total": found.total,
        "pages": found.pages,
        "first_number": found.first_number,
    }


def task_type(obj: TaskType) -> dict[str, Any]:
    return {**_base(obj), "name": obj.name, "code": obj.code,
            "remind_minutes": obj.remind_minutes, "active": obj.active}


def escalation_rule(obj: EscalationRule) -> dict[str, Any]:
    return {**_base(obj), "name": obj.name, "delay": obj.delay, "unit": plain(obj.unit),
            "target": plain(obj.target), "task_type_id": obj.task_type_id,
            "active": obj.active}


def timeline_item(item: TimelineItem, now: datetime) -> dict[str, Any]:
    """One line of the contact history (TASK-8): a task or a recorded change."""
    return {
        "at": iso(item.at),
        "kind": "task" if item.task is not None else "history",
        "task": task(item.task, now) if item.task is not None else None,
        "entry": history_entry(item.entry) if item.entry is not None else None,
    }


# -- goods, services and prices (PRD-1…PRD-3) -------------------------------------------------
#
# Money is a string with two decimals ("1234.56"), quantities a string with up to three
# ("1.5"): exact, never a float.


def money(value) -> str | None:
    """``Money`` -> "1234.56" (None stays None)."""
    return None if value is None else f"{value.amount:.2f}"


def decimal(value) -> str | None:
    return None if value is None else str(value)


def item_group(obj, depth: int | None = None) -> dict[str, Any]:
    return {**_base(obj), "name": obj.name, "parent_id": obj.parent_id, "depth": depth}


def item_groups(entries) -> dict[str, Any]:
    return {"items": [item_group(g, depth) for depth, g in entries]}


def item(obj) -> dict[str, Any]:
    return {**_base(obj), "name": obj.name, "item_kind": plain(obj.item_kind),
            "group_id": obj.group_id, "unit": obj.unit, "vat_rate": obj.vat_rate,
            "article": obj.article, "description": obj.description, "active": obj.active}


def item_page(found: tuple[list, int], page_number: int, per_page: int) -> dict[str, Any]:
    rows, total = found
    return {"items": [item(o) for o in rows], "page": page_number, "per_page": per_page,
            "total": total}


def service_kind(obj) -> dict[str, Any]:
    return {**_base(obj), **ProductService.dump_service_kind(obj)}


def price_type(obj) -> dict[str, Any]:
    return {**_base(obj), "code": obj.code, "name": obj.name, "vat_included": obj.vat_included}


def client_type(obj) -> dict[str, Any]:
    return {**_base(obj), "code": obj.code, "name": obj.name,
            "price_type_id": obj.price_type_id}


def price(obj) -> dict[str, Any]:
    return {**_base(obj), "item_id": obj.item_id, "price_type_id": obj.price_type_id,
            "valid_from": iso(obj.valid_from), "valid_to": iso(obj.valid_to),
            "amount": money(obj.amount)}


def contract_type(obj) -> dict[str, Any]:
    return {**_base(obj), **ContractService.dump_type(obj)}


def state_set(obj) -> dict[str, Any]:
    return {**_base(obj), "code": obj.code, "name": obj.name,
            **dump_definition(obj.states, obj.transitions)}


# -- contracts, requests, invoices, payments, acts, documents (CON, REQ, INV, DOC-1) ----------


def contract(obj) -> dict[str, Any]:
    return {**_base(obj), "counterparty_id": obj.counterparty_id,
            "contract_type_id": obj.contract_type_id, "number": obj.number,
            "title": obj.title, "subject": obj.subject, "signed_on": iso(obj.signed_on),
            "draft": obj.draft, "attributes": dict(obj.attributes or {}),
            "document_id": obj.document_id, "created_at": iso(obj.created_at),
            "created_by": obj.created_by}


def sales_request(obj) -> dict[str, Any]:
    return {**_base(obj), "request_kind": plain(obj.request_kind), "title": obj.title,
            "subject": obj.subject, "author_id": obj.author_id,
            "assignee_id": obj.assignee_id, "state": obj.state,
            "state_entered_at": iso(obj.state_entered_at),
            "service_kind_id": obj.service_kind_id,
            "conditions": dict(obj.conditions or {}), "counterparty_id": obj.counterparty_id,
            "contract_id": obj.contract_id, "invoice_id": obj.invoice_id,
            "description": obj.description, "due_on": iso(obj.due_on),
            "created_at": iso(obj.created_at)}


def request_page(found) -> dict[str, Any]:
    return {"items": [sales_request(r) for r in found.rows], "page": found.page,
            "per_page": REQUEST_PAGE, "total": found.total}


def line(obj) -> dict[str, Any]:
    return {"name": obj.name, "quantity": decimal(obj.quantity), "price": money(obj.price),
            "unit": obj.unit, "vat_rate": obj.vat_rate, "discount": money(obj.discount),
            "item_id": obj.item_id}


def invoice(obj) -> dict[str, Any]:
    return {**_base(obj), "number": obj.number, "title": obj.title,
            "issued_on": iso(obj.issued_on), "counterparty_id": obj.counterparty_id,
            "author_id": obj.author_id, "contract_id": obj.contract_id,
            "price_type_id": obj.price_type_id, "vat_included": obj.vat_included,
            "lines": [line(x) for x in obj.lines], "total": money(obj.total),
            "vat": money(obj.vat), "paid": money(obj.paid), "debt": money(obj.debt),
            "state": obj.state, "state_entered_at": iso(obj.state_entered_at),
            "requisites": {k: str(v) for k, v in (obj.requisites or {}).items()},
            "contact_id": obj.contact_id, "contact_name": obj.contact_name,
            "due_on": iso(obj.due_on), "note": obj.note, "created_at": iso(obj.created_at),
            "deal_id": obj.deal_id}


def invoice_page(found) -> dict[str, Any]:
    return {"items": [invoice(i) for i in found.rows], "page": found.page,
            "per_page": INVOICE_PAGE, "total": found.total}


def payment(obj) -> dict[str, Any]:
    return {**_base(obj), "invoice_id": obj.invoice_id,
            "counterparty_id": obj.counterparty_id, "contract_id": obj.contract_id,
            "amount": money(obj.amount), "paid_on": iso(obj.paid_on), "planned": obj.planned,
            "reference": obj.reference, "note": obj.note, "created_at": iso(obj.created_at),
            "created_by": obj.created_by}


def act(obj) -> dict[str, Any]:
    return {**_base(obj), "number": obj.number, "counterparty_id": obj.counterparty_id,
            "act_on": iso(obj.act_on), "amount": money(obj.amount),
            "contract_id": obj.contract_id, "invoice_id": obj.invoice_id, "note": obj.note,
            "created_at": iso(obj.created_at), "created_by": obj.created_by}


def settlement(obj) -> dict[str, Any]:
    return {"counterparty_id": obj.counterparty_id, "invoiced": money(obj.invoiced),
            "paid": money(obj.paid), "balance": money(obj.balance),
            "status": plain(obj.status)}


def contract_summary(found) -> dict[str, Any]:
    return {"contract": contract(found.contract),
            "contract_type": contract_type(found.contract_type)
            if found.contract_type is not None else None,
            "requests": [sales_request(r) for r in found.requests],
            "invoices": [invoice(i) for i in found.invoices],
            "payments": [payment(p) for p in found.payments],
            "acts": [act(a) for a in found.acts],
            "invoiced": money(found.invoiced), "paid": money(found.paid),
            "acted": money(found.acted)}


def _state(s) -> dict[str, Any]:
    return {"code": s.code, "name": s.name, "order": s.order, "initial": s.initial,
            "final": s.final, "colour": s.colour, "norm_hours": s.norm_hours}


def options(found) -> dict[str, Any]:
    """The object's state set and the manual changes of state offered to the actor
    (REQ-4, INV-2): each with whether the actor's roles permit it and the guards not
    met now (none at all for who may only look)."""
    state_set, offered = found
    return {
        "state_set_id": state_set.id,
        "states": [_state(s) for s in state_set.ordered()],
        "options": [{"to_state": o.target.code, "name": o.transition.name,
                     "target_name": o.target.name,
                     "reason_required": o.transition.reason_required,
                     "permitted": o.permitted, "open": o.open,
                     "blockers": [{"field": b.field, "message": b.message}
                                  for b in o.blockers]}
                    for o in offered],
    }


def printable(found) -> dict[str, Any]:
    """What the printable invoice shows: the invoice, its counted lines and totals, the
    company's requisites."""
    totals = found.totals
    return {
        "invoice": invoice(found.invoice),
        "company_name": found.company_name,
        "company": {k: str(v) for k, v in found.company.items()},
        "state_name": found.state_name,
        "lines": [{"amount": money(c.amount), "vat": money(c.vat), "total": money(c.total),
                   "net": money(c.net)} for c in totals.lines],
        "amount": money(totals.amount), "vat": money(totals.vat),
        "total": money(totals.total), "net": money(totals.net),
        "without_vat": totals.without_vat,
        "by_rate": [{"rate": v.rate.code, "name": v.rate.name, "amount": money(v.amount),
                     "vat": money(v.vat)} for v in totals.by_rate],
    }


def document(obj) -> dict[str, Any]:
    return {**_base(obj), "owner_kind": obj.owner_kind, "owner_id": obj.owner_id,
            "counterparty_id": obj.counterparty_id, "filename": obj.filename,
            "content_type": obj.content_type, "size": obj.size, "note": obj.note,
            "uploaded_at": iso(obj.uploaded_at), "uploaded_by": obj.uploaded_by}


# -- deals (DEAL-1…DEAL-4, RPT-4 first part; issue 6) -----------------------------------------
#
# Figures of the board and the forecast are Decimals of rubles: strings with two decimals,
# like money.


def rubles(value: Any) -> str:
    """A sum in rubles (Decimal, int or Money) -> "1234.56"."""
    amount = getattr(value, "amount", value)
    return f"{Decimal(str(amount or 0)).quantize(Decimal('0.01'), ROUND_HALF_UP):.2f}"


def deal_template(obj) -> dict[str, Any]:
    return {**_base(obj), "code": obj.code, "name": obj.name,
            "description": obj.description, "attributes": dump_defs(obj.attributes),
            "active": obj.active, "head_after_days": obj.head_after_days,
            "state_set_code": obj.set_code}


def deal_template_view(found) -> dict[str, Any]:
    """A template with its state set and the states deals are in (those cannot go)."""
    return {**deal_template(found.template), "state_set": state_set(found.state_set),
            "in_use": sorted(found.in_use)}


def calendar_day(obj) -> dict[str, Any]:
    return {**_base(obj), "day": iso(obj.day), "working": obj.working, "note": obj.note}


def deal(obj, now: datetime) -> dict[str, Any]:
    """A deal as of ``now`` (``overdue``: open and past its state's norm, DEAL-4)."""
    return {**_base(obj), "number": obj.number, "title": obj.title,
            "template_id": obj.template_id, "counterparty_id": obj.counterparty_id,
            "name": obj.name, "manager_id": obj.manager_id, "author_id": obj.author_id,
            "amount": money(obj.amount), "weighted": money(obj.weighted()),
            "planned": money(obj.planned),
            "expected_close_on": iso(obj.expected_close_on), "project_id": obj.project_id,
            "contact_id": obj.contact_id, "attributes": dict(obj.attributes or {}),
            "approvals": list(obj.approvals), "state": obj.state,
            "state_entered_at": iso(obj.state_entered_at),
            "due_in_state": iso(obj.due_in_state), "overdue": obj.overdue(now),
            "probability": obj.probability, "outcome": obj.outcome,
            "close_reason": obj.close_reason, "closed_at": iso(obj.closed_at),
            "created_at": iso(obj.created_at), "note": obj.note}


def deal_page(found, now: datetime) -> dict[str, Any]:
    return {"items": [deal(d, now) for d in found.rows], "page": found.page,
            "per_page": DEAL_PAGE, "total": found.total}


def deal_state(s) -> dict[str, Any]:
    """A state of a template as the board shows it (DEAL-2, DEAL-4)."""
    return {"code": s.code, "name": s.name, "order": s.order, "initial": s.initial,
            "final": s.final, "colour": s.colour, "norm_days": s.norm_days,
            "norm_hours": s.norm_hours, "probability": s.probability,
            "outcome": plain(s.outcome)}


def board_card(obj, client_names: dict[int, str], now: datetime) -> dict[str, Any]:
    entered = obj.state_entered_at
    return {"id": obj.id, "version": obj.version, "number": obj.number, "name": obj.name,
            "counterparty_id": obj.counterparty_id,
            "client_name": client_names.get(obj.counterparty_id, ""),
            "amount": money(obj.amount), "weighted": money(obj.weighted()),
            "probability": obj.probability, "manager_id": obj.manager_id,
            "project_id": obj.project_id, "expected_close_on": iso(obj.expected_close_on),
            "state_entered_at": iso(entered),
            "days_in_state": max((now - entered).days, 0) if entered else 0,
            "due_in_state": iso(obj.due_in_state), "overdue": obj.overdue(now)}


def board(found) -> dict[str, Any]:
    """The pipeline board of a template: a column per state with its open deals' count,
    amount, weighted amount and how many are over the norm, and its first cards."""
    now = found.now
    return {
        "template": deal_template(found.template), "state_set_id": found.state_set.id,
        "at": iso(now), "count": sum(c.figures.count for c in found.columns),
        "amount": rubles(found.amount), "weighted": rubles(found.weighted),
        "columns": [{"state": deal_state(c.state), "count": c.figures.count,
                     "amount": rubles(c.figures.amount),
                     "weighted": rubles(c.figures.weighted), "overdue": c.figures.overdue,
                     "cards": [board_card(d, found.client_names, now) for d in c.cards]}
                    for c in found.columns],
    }


def _figures(m) -> dict[str, Any]:
    return {"pipeline": rubles(m.pipeline), "weighted": rubles(m.weighted),
            "planned": rubles(m.planned), "planned_weighted": rubles(m.planned_weighted),
            "expected": rubles(m.expected), "actual": rubles(m.actual)}


def forecast(found) -> dict[str, Any]:
    """Expected revenue by month (RPT-4) with the filters it was counted by (a manager's
    own figures carry their manager_id)."""
    f = found.filters
    return {"months": [{"month": iso(m.month), **_figures(m)} for m in found.months],
            "totals": _figures(found.totals),
            "filters": {"template_id": f.template_id, "manager_id": f.manager_id,
                        "project_id": f.project_id, "close_from": iso(f.close_from),
                        "close_to": iso(f.close_to)}}


def deal_stay(obj, now: datetime) -> dict[str, Any]:
    """One stay of a deal in a state (DEAL-4): calendar hours so far, and its working
    hours by the calendar once it is over."""
    return {**_base(obj), "deal_id": obj.deal_id, "state": obj.state,
            "entered_at": iso(obj.entered_at), "left_at": iso(obj.left_at),
            "hours": round(obj.length(now).total_seconds() / 3600, 2),
            "working_hours": obj.working_hours}


def deal_stays(card) -> dict[str, Any]:
    return {"items": [deal_stay(s, card.now) for s in card.stages]}


def deal_payment(obj) -> dict[str, Any]:
    return {**_base(obj), "deal_id": obj.deal_id, "counterparty_id": obj.counterparty_id,
            "amount": money(obj.amount), "due_on": iso(obj.due_on), "state": obj.state,
            "created_at": iso(obj.created_at)}


# -- customer orders (ORD-1…ORD-3; issue 6) ---------------------------------------------------
#
# Sums are strings with two decimals (money); an estimate's and a round's frozen estimate
# are the core's plain JSON (``Estimate.snapshot``): the same shape.


def order_line(obj) -> dict[str, Any]:
    return {"part": plain(obj.part), **line(obj)}


def order(obj) -> dict[str, Any]:
    return {**_base(obj), "number": obj.number, "title": obj.title,
            "counterparty_id": obj.counterparty_id, "contract_id": obj.contract_id,
            "author_id": obj.author_id, "ordered_on": iso(obj.ordered_on),
            "price_type_id": obj.price_type_id, "vat_included": obj.vat_included,
            "lines": [order_line(x) for x in obj.lines],
            "one_time_total": money(obj.one_time_total),
            "monthly_total": money(obj.monthly_total), "state": obj.state,
            "state_entered_at": iso(obj.state_entered_at), "note": obj.note,
            "created_at": iso(obj.created_at)}


def order_page(found) -> dict[str, Any]:
    from ecrm_core.orders.services import PAGE as ORDER_PAGE

    return {"items": [order(o) for o in found.rows], "page": found.page,
            "per_page": ORDER_PAGE, "total": found.total}


def estimate(found) -> dict[str, Any]:
    """The connection estimate (ORD-2): each line counted, the one-time (equipment and
    works) and monthly (package) totals."""
    return found.snapshot()


def route_step(obj) -> dict[str, Any]:
    return {"role": plain(obj.role), "employee_id": obj.employee_id}


def approval_route(obj) -> dict[str, Any]:
    return {**_base(obj), "name": obj.name, "steps": [route_step(s) for s in obj.steps],
            "active": obj.active}


def decision(obj) -> dict[str, Any]:
    return {"step": obj.step, "employee_id": obj.employee_id, "approved": obj.approved,
            "reason": obj.reason, "at": iso(obj.at)}


def approval_round(obj, approvers=None) -> dict[str, Any]:
    """One submission along a route (ORD-2); ``approvers``: who may answer its waiting
    step now (empty once it is over)."""
    return {**_base(obj), "order_id": obj.order_id, "route_id": obj.route_id,
            "route_name": obj.route_name, "steps": [route_step(s) for s in obj.steps],
            "estimate": obj.estimate, "order_version": obj.order_version,
            "step": obj.step, "status": plain(obj.status),
            "decisions": [decision(d) for d in obj.decisions],
            "approvers": sorted(approvers or ()) if obj.status.value == "pending" else [],
            "submitted_by": obj.submitted_by, "submitted_at": iso(obj.submitted_at),
            "finished_at": iso(obj.finished_at)}


def billing_handoff(obj) -> dict[str, Any]:
    return {**_base(obj), "order_id": obj.order_id, "revision": obj.revision,
            "key": obj.key, "payload": obj.payload, "state": plain(obj.state),
            "attempts": obj.attempts, "last_error": obj.last_error,
            "next_try_at": iso(obj.next_try_at), "accepted_at": iso(obj.accepted_at),
            "created_at": iso(obj.created_at)}
