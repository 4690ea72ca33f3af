"""Helpers of the tasks UI tests (tests/e2e/test_ui_tasks*.py); their fixtures are in
ui_tasks_fixtures.py.

On top of the client base of ui_clients_support (``cl``: the Director; «Отдел продаж»
whose head is the Administrator ``admin``, with the clerk, the curator and the client
manager ``manager`` in it; ``other`` in «Поддержка»; card X with a contact, card Y; the
project «Годовое обслуживание»):

- ``build_tasks``: the typical tasks by code and a few tasks — the manager's planned
  meeting about X tomorrow, the manager's own (personal) task due yesterday (overdue),
  the clerk's own planned call.

The tests run on the real clock; days are taken relative to today in Moscow (everybody's
time zone here)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import text

from tests.e2e.ui_clients_support import CLIENT_TABLES

TASK_TABLES = (*CLIENT_TABLES, "tasks", "task_types", "escalation_rules", "task_escalations")


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Moscow")).date()


def day(offset: int) -> str:
    return (today() + timedelta(days=offset)).isoformat()


def snapshot(system) -> dict[str, list]:
    """Every row of the organisation, the client base, the tasks and history (login
    sessions left out: they change on every sign-in)."""
    out = {}
    with system.engine.connect() as conn:
        names = set(system.engine.dialect.get_table_names(conn))
        for name in TASK_TABLES:
            if name in names:
                out[name] = [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))]
    return out


def version_of(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def build_tasks(system, cl) -> SimpleNamespace:
    """The tasks on top of the client base ``cl`` (ui_clients_support.build_clients)."""
    tasks = system.app.tasks
    types = {t.code: t for t in tasks.task_types(cl.director.id)}
    meeting = tasks.create(cl.manager.id, {
        "task_type_id": types["meeting"].id, "due_date": day(1), "due_time": "11:00",
        "counterparty_id": cl.x.id, "contact_id": cl.contact.id,
        "what": "Обсудить договор поставки"})
    overdue = tasks.create(cl.manager.id, {
        "task_type_id": types["other"].id, "due_date": day(-1), "what": "Квартальный отчёт"})
    clerk_call = tasks.create(cl.clerk.id, {
        "task_type_id": types["call"].id, "due_date": day(2), "what": "Позвонить в банк"})
    return SimpleNamespace(cl=cl, types=types, meeting=meeting, overdue=overdue,
                           clerk_call=clerk_call, **vars(cl))
