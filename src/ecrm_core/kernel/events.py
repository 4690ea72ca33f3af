"""Domain events. Aggregates record them; the unit of work turns each into a history
row and (when ``relayed``) an outbox row in the same transaction as the change."""

from __future__ import annotations

from typing import Any, ClassVar, NamedTuple

import attrs

from ecrm_core.kernel.refs import ObjectRef

#: Values written to history instead of secrets (password hashes, token hashes).
MASKED = "***"


class FieldChange(NamedTuple):
    """One field's old -> new value. A named tuple (immutable, unpacks as ``field, old,
    new``): an import makes ~15 a card, and a frozen attrs instance cost three times as
    much to make."""

    field: str
    old: Any
    new: Any


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Something that happened to ``subject``. ``changes`` lists old -> new values."""

    subject: ObjectRef
    changes: tuple[FieldChange, ...] = ()
    #: Relayed through the outbox to the queue (side work: mail, escalations).
    relayed: ClassVar[bool] = False

    @property
    def name(self) -> str:
        return type(self).__name__


@attrs.frozen(kw_only=True)
class ObjectCreated(DomainEvent):
    pass


@attrs.frozen(kw_only=True)
class ObjectChanged(DomainEvent):
    pass


@attrs.frozen(kw_only=True)
class ObjectDeleted(DomainEvent):
    pass


def diff(old: dict[str, Any], new: dict[str, Any], secret: frozenset[str] = frozenset()):
    """Field changes between two snapshots (only the fields in ``new``)."""
    out = []
    for key, value in new.items():
        before = old.get(key)
        if before != value:
            if key in secret:
                out.append(FieldChange(key, MASKED, MASKED))
            else:
                out.append(FieldChange(key, before, value))
    return tuple(out)


def creation(values: dict[str, Any], secret: frozenset[str] = frozenset()):
    """Field changes that describe a new object (old is None)."""
    return tuple(
        FieldChange(k, None, MASKED if k in secret else v)
        for k, v in values.items()
        if v is not None and v != ""
    )
