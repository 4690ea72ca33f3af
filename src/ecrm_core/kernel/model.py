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


#: per aggregate type: (field, default) of the fields ``Aggregate.new_values`` fills
_DEFAULTS: dict[type, tuple[tuple[tuple[str, Any], ...], frozenset[str]]] = {}


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
        self.record(self.created_event(self.id, self.snapshot(fields)))

    @classmethod
    def created_event(cls, ident: int, values: dict[str, Any]) -> ObjectCreated:
        """The creation event of the aggregate ``ident`` whose recorded fields are
        ``values`` (``record_created``, and bulk paths that store rows without building
        the aggregate: ``Repository.add_values``)."""
        return ObjectCreated(subject=ObjectRef(cls.kind, ident),
                             changes=creation(values, cls.secret_fields))

    @classmethod
    def new_values(cls, values: dict[str, Any]) -> dict[str, Any]:
        """Every stored field of a new aggregate of this type: ``values`` over the
        fields' defaults, as its constructor would set them — the row a bulk path hands
        to ``Repository.add_values`` instead of building the object (``id``, ``version``
        and the events are the repository's). An unknown or missing field raises
        ``TypeError``, as the constructor does."""
        known = _DEFAULTS.get(cls)
        if known is None:
            defaults = tuple((f.name, f.default) for f in attrs.fields(cls)
                             if f.name not in ("id", "version", "events"))
            known = _DEFAULTS[cls] = (defaults, frozenset(name for name, _ in defaults))
        defaults, names = known
        unknown = values.keys() - names
        if unknown:
            raise TypeError(f"{cls.__name__} has no field(s) {sorted(unknown)}")
        row: dict[str, Any] = {}
        for name, default in defaults:
            if name in values:
                row[name] = values[name]
            elif default is attrs.NOTHING:
                raise TypeError(f"{cls.__name__} needs {name}")
            elif isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                row[name] = default.factory()
            else:
                row[name] = default
        return row

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
