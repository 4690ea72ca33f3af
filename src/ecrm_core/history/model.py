"""History entries: who changed which object when, and what changed (old -> new)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs

from ecrm_core.kernel.events import DomainEvent
from ecrm_core.kernel.refs import ObjectRef

#: types kept as they are (the common case, asked first: the import writes ~15 a row)
_PLAIN = frozenset({type(None), bool, int, float, str})


def jsonable(value: Any) -> Any:
    """History stores plain JSON values: dates as ISO text, enums by value."""
    if type(value) in _PLAIN:
        return value
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, ObjectRef):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return str(value)


@attrs.define(slots=False, eq=False, kw_only=True)
class HistoryEntry:
    id: int | None = None
    at: datetime
    actor_id: int | None
    subject_kind: str
    subject_id: int
    action: str
    changes: list[dict[str, Any]] = attrs.field(factory=list)

    @property
    def subject(self) -> ObjectRef:
        return ObjectRef(self.subject_kind, self.subject_id)


def history_row(event: DomainEvent, *, actor_id: int | None, at: datetime) -> dict[str, Any]:
    """The plain values of an event's history entry (adapters write them as a row)."""
    return {
        "at": at,
        "actor_id": actor_id,
        "subject_kind": event.subject.kind,
        "subject_id": event.subject.id,
        "action": event.name,
        "changes": [
            {"field": field,
             "old": old if type(old) in _PLAIN else jsonable(old),
             "new": new if type(new) in _PLAIN else jsonable(new)}
            for field, old, new in event.changes
        ],
    }


def entry_for(event: DomainEvent, *, actor_id: int | None, at: datetime) -> HistoryEntry:
    return HistoryEntry(**history_row(event, actor_id=actor_id, at=at))
