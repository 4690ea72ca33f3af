"""Login sessions (server-side, so a cookie replayed after logout is refused), failed
login throttling and personal API tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

import attrs

from ecrm_core.kernel import refs
from ecrm_core.kernel.events import DomainEvent
from ecrm_core.kernel.model import Aggregate, entity

#: Failed logins allowed inside WINDOW before the login is locked for LOCK.
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCK = timedelta(minutes=15)
#: A session unused for this long ends by itself.
SESSION_IDLE = timedelta(hours=12)


@attrs.frozen(kw_only=True)
class LoginLocked(DomainEvent):
    """Recorded on the employee when failed logins lock their login. Sign-ins and
    sign-outs themselves are kept in the login sessions, not in the card's history
    (which every colleague may read)."""


@entity
class LoginSession(Aggregate):
    kind: ClassVar[str] = "login_session"

    employee_id: int
    token_digest: str
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None = None

    def alive(self, now: datetime) -> bool:
        return self.ended_at is None and now - self.last_seen_at < SESSION_IDLE

    def end(self, at: datetime) -> None:
        if self.ended_at is None:
            self.ended_at = at


@entity
class ApiToken(Aggregate):
    kind: ClassVar[str] = refs.API_TOKEN
    secret_fields: ClassVar[frozenset[str]] = frozenset({"token_digest"})

    employee_id: int
    name: str
    token_digest: str
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@entity
class LoginThrottle(Aggregate):
    """Failed attempts for one login name (known or not, so nothing is revealed)."""

    kind: ClassVar[str] = "login_throttle"

    login: str
    failures: int = 0
    window_start: datetime | None = None
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def failed(self, now: datetime) -> bool:
        """Count a failure; True when this failure locks the login."""
        if self.window_start is None or now - self.window_start > WINDOW:
            self.window_start = now
            self.failures = 0
        self.failures += 1
        if self.failures >= MAX_FAILURES:
            self.locked_until = now + LOCK
            self.failures = 0
            self.window_start = None
            return True
        return False

    def succeeded(self) -> None:
        self.failures = 0
        self.window_start = None
        self.locked_until = None
