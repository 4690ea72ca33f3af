"""References between aggregates: aggregates point at each other by kind and id only."""

from __future__ import annotations

import attrs


@attrs.frozen(order=True)
class ObjectRef:
    kind: str
    id: int

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def parse(cls, text: str) -> ObjectRef:
        kind, _, ident = text.partition(":")
        return cls(kind, int(ident))


COMPANY = "company"
DEPARTMENT = "department"
PROJECT = "project"
EMPLOYEE = "employee"
SERVICE_TYPE = "service_type"
SERVICE = "service"
ROLE_ASSIGNMENT = "role_assignment"
MESSAGE = "message"
API_TOKEN = "api_token"
