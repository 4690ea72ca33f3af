"""Domain errors. Faces map them to HTTP codes / exit codes (422, 403, 404, 409)."""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every error a use case may raise on purpose."""

    code = "error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!s} not found")
        self.kind = kind
        self.key = key


class Forbidden(DomainError):
    code = "forbidden"

    def __init__(self, message: str = "not allowed") -> None:
        super().__init__(message)


class Conflict(DomainError):
    """A concurrent change won, or the change clashes with existing data."""

    code = "conflict"

    def __init__(self, message: str = "the object was changed by someone else", **details) -> None:
        super().__init__(message)
        self.details = details


class ValidationFailed(DomainError):
    """Bad input: ``errors`` maps each offending field to a human message."""

    code = "validation_failed"

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls({field: message})


class Unavailable(DomainError):
    """An outside service the use case needs did not answer (the register, …)."""

    code = "unavailable"


class AuthenticationFailed(DomainError):
    """Wrong login or password; deliberately does not say which part was wrong (AUTH-1)."""

    code = "authentication_failed"

    def __init__(self, locked_until=None) -> None:
        super().__init__("wrong login or password")
        self.locked_until = locked_until
