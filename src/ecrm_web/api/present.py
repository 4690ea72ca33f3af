"""Core objects -> JSON objects. Every aggregate carries ``id`` and ``version`` (send the
version back with a change); datetimes are ISO 8601 in UTC; secrets (password hashes,
token digests) never leave the server. ``openapi.py`` describes each shape."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from ecrm_core.access.model import RoleAssignment
from ecrm_core.auth.model import ApiToken
from ecrm_core.history.model import HistoryEntry
from ecrm_core.messages.model import Message
from ecrm_core.org.model import Company, Department, Employee, Project, Service, ServiceType


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def _base(obj) -> dict[str, Any]:
    return {"id": obj.id, "version": obj.version}


def company(obj: Company) -> dict[str, Any]:
    return {**_base(obj), "name": obj.name}


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
