"""Base class of aggregates: identity, optimistic-lock version and recorded events."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

import attrs

from ecrm_core.kernel.errors import Conflict
from ecrm_core.kernel.events import (
    DomainEvent,
    FieldChange,
    ObjectChanged,
    ObjectCreated,
    ObjectDeleted,
    creation,
    diff,
)
from ecrm_core.kernel.refs import ObjectRef


def entity(cls):
    """Decorator for aggregates: attrs classes that SQLAlchemy can map imperatively
    (``slots=False``, identity equality) and whose fields are keyword-only."""
    return attrs.define(slots=False, eq=False, kw_only=True)(cls)


@entity
class Aggregate:
    kind: ClassVar[str] = "object"
    #: Fields whose values never go into history (hashes, secrets).
    secret_fields: ClassVar[frozenset[str]] = frozenset()

    id: int | None = None
    #: Optimistic-lock counter; the persistence adapter bumps it on every update.
    version: int = 1
    events: list[DomainEvent] = attrs.field(factory=list, repr=False)

    @property
    def ref(self) -> ObjectRef:
        assert self.id is not None, "aggregate has no id until it is added to a repository"
        return ObjectRef(self.kind, self.id)

    def record(self, event: DomainEvent) -> None:
        self.events.append(event)

    def check_version(self, expected: int | None) -> None:
        """Refuse a change prepared against an older state (a concurrent edit won)."""
        if expected is not None and int(expected) != self.version:
            raise Conflict(
                "the object was changed by someone else; reload it and repeat your change",
                expected=expected,
                actual=self.version,
            )

    def snapshot(self, fields) -> dict[str, Any]:
        return {f: getattr(self, f) for f in fields}

    def record_created(self, fields) -> None:
        self.record(
            ObjectCreated(
                subject=self.ref, changes=creation(self.snapshot(fields), self.secret_fields)
            )
        )

    def record_deleted(self, fields) -> None:
        self.record(
            ObjectDeleted(
                subject=self.ref,
                changes=tuple(
                    FieldChange(f, getattr(self, f), None)
                    for f in fields
                    if getattr(self, f) is not None
                ),
            )
        )

    def apply_changes(self, values: dict[str, Any], event_type=ObjectChanged) -> bool:
        """Set ``values`` and record one event with old -> new; False when nothing changed."""
        changes = diff(self.snapshot(values), values, self.secret_fields)
        if not changes:
            return False
        for key, value in values.items():
            setattr(self, key, value)
        self.record(event_type(subject=self.ref, changes=changes))
        return True


@entity
class HandledMessage(Aggregate):
    """A queue message already handled: a repeated delivery is ignored (idempotent actors)."""

    kind: ClassVar[str] = "handled_message"

    key: str
    handled_at: datetime
