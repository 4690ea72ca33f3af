"""Shared kernel: references, events, errors, the clock port and the unit of work."""

from ecrm_core.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from ecrm_core.kernel.events import DomainEvent, FieldChange
from ecrm_core.kernel.refs import ObjectRef

__all__ = [
    "Conflict",
    "DomainError",
    "DomainEvent",
    "FieldChange",
    "Forbidden",
    "NotFound",
    "ObjectRef",
    "ValidationFailed",
]
