"""Entering the system (AUTH-1): password login with throttling, server-side sessions
(ended by logout, so a replayed cookie is refused) and personal API tokens."""

from __future__ import annotations

from typing import Any

from ecrm_core.access.services import policy_for
from ecrm_core.auth.model import (
    ApiToken,
    LoginLocked,
    LoginSession,
    LoginThrottle,
)
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import AuthenticationFailed, Forbidden, NotFound
from ecrm_core.kernel.fields import Fields
from ecrm_core.kernel.ports import Clock, PasswordHasher, Secrets
from ecrm_core.kernel.uow import UnitOfWorkFactory
from ecrm_core.org.model import Employee


class AuthService:
    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher,
        secrets: Secrets,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.hasher = hasher
        self.secrets = secrets
        # Verified against when the login is unknown, so both cases cost the same time.
        self._dummy_hash = hasher.hash("not-a-real-password")

    def login(self, login: Any, password: Any) -> tuple[Employee, str]:
        """Check the pair; return the employee and a new session token. Any failure —
        unknown login, wrong password, disabled account, locked login — is one answer.

        The password is checked between two short units of work: Argon2 is slow on
        purpose and must not hold a transaction (on SQLite, the write lock) meanwhile."""
        login = login.strip() if isinstance(login, str) and "\x00" not in login else ""
        password = password if isinstance(password, str) and "\x00" not in password else ""
        key = login.lower()[:64]
        now = self.clock.now()
        with self.uow_factory(readonly=True) as uow:
            throttle = uow.login_throttles.first(login=key)
            locked_until = throttle.locked_until if throttle and throttle.locked(now) else None
            employee = uow.employees.first(login__ieq=login) if login else None
        known = employee is not None and employee.active and locked_until is None
        ok = self.hasher.verify(employee.password_hash if known else self._dummy_hash, password)
        ok = ok and known
        new_hash = (
            self.hasher.hash(password)
            if ok and self.hasher.needs_rehash(employee.password_hash) else None
        )
        with self.uow_factory() as uow:
            throttle = uow.login_throttles.first(login=key)
            if throttle is None:
                throttle = uow.login_throttles.add(LoginThrottle(login=key))
            if throttle.locked(now):
                raise AuthenticationFailed(locked_until=throttle.locked_until)
            if not ok:
                if throttle.failed(now) and employee is not None:
                    locked = uow.employees.get(employee.id)
                    locked.record(LoginLocked(subject=locked.ref))
                uow.commit()
                raise AuthenticationFailed(locked_until=throttle.locked_until)
            throttle.succeeded()
            employee = uow.employees.get(employee.id)
            if new_hash:
                employee.password_hash = new_hash
            token = self.secrets.new_token()
            uow.login_sessions.add(
                LoginSession(employee_id=employee.id, token_digest=self.secrets.digest(token),
                             created_at=now, last_seen_at=now)
            )
            uow.acting_as(employee.id)
            uow.commit()
            return employee, token

    def employee_for_session(self, token: Any) -> Employee | None:
        """The employee a session token belongs to, while the session is alive."""
        if not isinstance(token, str) or not token:
            return None
        now = self.clock.now()
        digest = self.secrets.digest(token)
        with self.uow_factory(readonly=True) as uow:
            session = uow.login_sessions.first(token_digest=digest)
            if session is None or not session.alive(now):
                return None
            employee = uow.employees.get(session.employee_id)
            if employee is None or not employee.active:
                return None
            stale = (now - session.last_seen_at).total_seconds() > 60
        if stale:  # keep an active session alive; a write at most once a minute
            with self.uow_factory() as uow:
                session = uow.login_sessions.first(token_digest=digest)
                if session is not None and session.ended_at is None:
                    session.last_seen_at = now
                    uow.commit()
        return employee

    def logout(self, token: Any) -> None:
        if not isinstance(token, str) or not token:
            return
        with self.uow_factory() as uow:
            session = uow.login_sessions.first(token_digest=self.secrets.digest(token))
            if session is None or session.ended_at is not None:
                return
            session.end(self.clock.now())
            uow.commit()

    # -- personal API tokens ----------------------------------------------------------

    def create_api_token(self, actor_id: int, employee_id: int, name: Any) -> tuple[ApiToken, str]:
        """A personal token for the JSON API; the token text is shown once, only its
        digest is kept. An employee makes their own; the Director anyone's."""
        fields = Fields()
        name = fields.text({"name": name}, "name", required=True, max_len=100)
        fields.check()
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            if employee_id != actor_id and not policy.is_director:
                raise Forbidden("you may create tokens only for yourself")
            employee = uow.employees.get(employee_id)
            if employee is None:
                raise NotFound(refs.EMPLOYEE, employee_id)
            token = "ecrm_" + self.secrets.new_token()
            record = uow.api_tokens.add(
                ApiToken(employee_id=employee_id, name=name,
                         token_digest=self.secrets.digest(token), created_at=self.clock.now())
            )
            record.record_created(("employee_id", "name"))
            uow.commit()
            return record, token

    def employee_for_api_token(self, token: Any) -> Employee | None:
        if not isinstance(token, str) or not token.startswith("ecrm_"):
            return None
        with self.uow_factory(readonly=True) as uow:
            record = uow.api_tokens.first(token_digest=self.secrets.digest(token))
            if record is None or not record.active:
                return None
            employee = uow.employees.get(record.employee_id)
            return employee if employee is not None and employee.active else None

    def revoke_api_token(self, actor_id: int, token_id: int) -> None:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            record = uow.api_tokens.get(token_id)
            if record is None:
                raise NotFound(refs.API_TOKEN, token_id)
            if record.employee_id != actor_id and not policy.is_director:
                raise Forbidden("you may revoke only your own tokens")
            record.apply_changes({"revoked_at": self.clock.now()})
            uow.commit()

    def api_tokens(self, actor_id: int) -> list[ApiToken]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.api_tokens.list(employee_id=actor_id, order_by=("-id",))
