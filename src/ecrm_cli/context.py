"""What every command shares: the settings, the bootstrapped system (built on first
use, closed when the command ends), the employee the command acts for, and the one
place that turns the core's errors into a one-line message and an exit code.

Exit codes: 0 done; 1 refused (not found, forbidden, conflict, database trouble);
2 bad input (click's usage errors and the core's ValidationFailed).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import attrs
import click
from alembic.util import CommandError as AlembicError
from sqlalchemy.exc import SQLAlchemyError

from ecrm_adapters.bootstrap import System, bootstrap, settle_heap
from ecrm_adapters.settings import Settings
from ecrm_adapters.sqlalchemy.migrate import current_revision, head_revision
from ecrm_core.kernel.errors import DomainError, ValidationFailed
from ecrm_core.org.model import Employee

REFUSED = 1
BAD_INPUT = 2

#: Field names of the core -> the option or argument that carries them on the command line.
FIELD_ALIASES = {
    "company_name": "company",
    "department_id": "department",
    "head_id": "head",
    "employee_id": "login",
    "project_id": "project",
    "scope_kind": "scope",
    "scope_id": "scope",
}


class CommandError(click.ClickException):
    """A one-line error with an exit code (1 refused, 2 bad input)."""

    def __init__(self, message: str, exit_code: int = REFUSED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _label(command: click.Command | None, field: str) -> str:
    names = {field, FIELD_ALIASES.get(field, field)}
    for param in command.params if command else ():
        if param.name in names:
            if isinstance(param, click.Option):
                return param.opts[0]
            return param.human_readable_name
    return field


def first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return lines[0] if lines else type(orig).__name__


def translate(exc: BaseException, command: click.Command | None) -> CommandError | None:
    """The command-line form of an error the core or the database raised."""
    if isinstance(exc, ValidationFailed):
        text = "; ".join(f"{_label(command, f)}: {m}" for f, m in exc.errors.items())
        return CommandError(text, BAD_INPUT)
    if isinstance(exc, DomainError):
        return CommandError(exc.message or type(exc).__name__, REFUSED)
    if isinstance(exc, SQLAlchemyError):
        return CommandError(f"database error: {first_line(exc)}", REFUSED)
    return None


class EcrmCommand(click.Command):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (DomainError, SQLAlchemyError) as exc:
            raise translate(exc, self) from None


class EcrmGroup(click.Group):
    command_class = EcrmCommand
    group_class = type  # sub-groups are EcrmGroups too


#: Set by ``main``: this process is the ``ecrm`` command itself — not a test driving the
#: group in its own process — and settles its heap once the system is built.
own_process = False


@attrs.define
class Runtime:
    """``ctx.obj`` of every command."""

    database_url: str | None = None
    _settings: Settings | None = None
    _system: System | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            overrides = {"database_url": self.database_url} if self.database_url else {}
            try:
                self._settings = Settings.from_env(**overrides)
            except ValueError as exc:
                raise CommandError(f"bad ECRM_* setting in the environment: {exc}") from None
        return self._settings

    def system(self, *, migrate: bool = False) -> System:
        """The bootstrapped system (closed when the command ends). Without ``migrate``,
        a database whose schema is missing or behind is refused with a hint."""
        if self._system is None:
            settings = self.settings
            try:
                system = bootstrap(settings, migrate=migrate)
            except (SQLAlchemyError, AlembicError) as exc:
                raise CommandError(
                    f"cannot open the database {self.shown_url}: {first_line(exc)}"
                ) from None
            except OSError as exc:
                raise CommandError(f"cannot prepare {settings.data_dir}: {exc}") from None
            except ValueError as exc:  # e.g. ECRM_BROKER_URL of an unknown kind
                raise CommandError(str(exc)) from None
            self._system = system
            click.get_current_context().call_on_close(self.close)
            self.settle()
            if not migrate:
                self._check_schema(system)
        return self._system

    def settle(self) -> None:
        """Settle the process's heap (``settle_heap``) when it is the ``ecrm`` command."""
        if own_process:
            settle_heap()

    def _check_schema(self, system: System) -> None:
        try:
            current = current_revision(system.engine)
        except SQLAlchemyError as exc:
            raise CommandError(
                f"cannot open the database {self.shown_url}: {first_line(exc)}"
            ) from None
        if current is None:
            raise CommandError(
                f"the database {self.shown_url} has no ECRM schema: "
                "run `ecrm init` (or `ecrm demo`) first"
            )
        head = head_revision(system.settings.database_url)
        if current != head:
            raise CommandError(
                f"the database schema is at revision {current}, this ECRM needs {head}: "
                "run `ecrm db upgrade`"
            )

    def close(self) -> None:
        if self._system is not None:
            self._system.close()
            self._system = None

    @property
    def shown_url(self) -> str:
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.settings.database_url).render_as_string(hide_password=True)
        except SQLAlchemyError:
            return self.settings.database_url

    # -- on whose behalf -----------------------------------------------------------------

    def actor(self, as_login: str | None = None) -> Employee:
        """The employee a command acts for: ``--as LOGIN``, else the Director (the
        operator of the box acts as the Director)."""
        system = self.system()
        if as_login:
            employee = system.app.org.employee_by_login(as_login)
            if employee is None:
                raise CommandError(f"--as: no employee with login {as_login!r}", BAD_INPUT)
            if not employee.active:
                raise CommandError(f"--as: {as_login} is disabled")
            return employee
        directors = system.app.access.directors()
        if not directors:
            if system.app.org.company() is None:
                raise CommandError("ECRM is not initialised: run `ecrm init` (or `ecrm demo`)")
            raise CommandError("no active Director found: give --as LOGIN")
        return directors[0]

    def employee(self, login: str, what: str = "LOGIN") -> Employee:
        employee = self.system().app.org.employee_by_login(login)
        if employee is None:
            raise CommandError(f"{what}: no employee with login {login!r}", REFUSED)
        return employee


def nonblank(_ctx, _param, value):
    """Callback of required text options: whitespace alone is no value."""
    if value is not None and not value.strip():
        raise click.BadParameter("required (it is blank)")
    return value


def as_option(func):
    return click.option(
        "--as", "as_login", metavar="LOGIN",
        help="Act as this employee (default: the Director).",
    )(func)


def ask_password(label: str = "Password", option: str = "--password",
                 confirm: bool = True) -> str:
    """Ask on the terminal (twice, hidden); without a terminal, say which option to give."""
    if not sys.stdin or sys.stdin.closed:
        raise CommandError(f"{option}: required", BAD_INPUT)
    # Hidden on a terminal; read as a plain line when piped in (nothing is echoed then).
    try:
        return click.prompt(label, hide_input=sys.stdin.isatty(), confirmation_prompt=confirm)
    except click.Abort:
        raise CommandError(
            f"{option}: required (give it, or run in a terminal to be asked)", BAD_INPUT
        ) from None


def table(rows: list[tuple], headers: tuple[str, ...]) -> None:
    """Print rows as aligned columns."""
    cells = [tuple("" if v is None else str(v) for v in row) for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    click.echo("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def coded_items(file: str, what: str) -> list[dict[str, Any]]:
    """The JSON of FILE (``-``: standard input) as a list of objects with a ``code`` — what
    the export commands write (a list, or one object); ``what`` names one in messages."""
    try:
        with click.open_file(file, "r", encoding="utf-8-sig") as source:
            data = json.load(source)
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"FILE: cannot read {file}: {exc}", BAD_INPUT) from None
    except ValueError as exc:
        raise CommandError(f"FILE: not JSON: {exc}", BAD_INPUT) from None
    items = data if isinstance(data, list) else [data]
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise CommandError(f"FILE: item {i + 1} is not {what} with a code", BAD_INPUT)
    return items
