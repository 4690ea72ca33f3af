"""Ports the whole core needs: the clock and secrets. Adapters implement them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware (UTC)."""


class Secrets(Protocol):
    def new_token(self) -> str:
        """A fresh unguessable URL-safe token."""

    def digest(self, token: str) -> str:
        """A one-way digest of a token, for storing and looking it up."""


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, hashed: str, password: str) -> bool: ...

    def needs_rehash(self, hashed: str) -> bool: ...
