"""Tasks at scale (issue 4, TASK-2, TASK-3, TASK-7, ORG-4): the personal and the
counterparty Tasks tabs, the personal page's summary and the calendar over a generated
base of T tasks of E employees, and the escalation job over O overdue tasks, on SQLite
and on PostgreSQL.

    .venv/bin/python benchmarks/tasks.py                 # T = 1,000,000, E = 1,000, O = 100,000
    .venv/bin/python benchmarks/tasks.py --tasks 100000 --overdue 10000 --no-pg
    .venv/bin/python benchmarks/tasks.py --pg postgresql://postgres@127.0.0.1/test --no-sqlite

What it does, on each database:
1. SQLite: a new file in a temporary folder. PostgreSQL (``--pg URL`` or
   ECRM_TEST_DATABASE_URL; ``--no-pg`` skips it): a new database ``ecrm_bench_<pid>`` on
   the same server (the database named in the URL is never touched), dropped at the end.
   The schema comes from the Alembic migrations; the Company, its Director, the catalogs
   and the departments are made through the services.
2. Generation (setup, not measured): C counterparties with 2C contacts (``--counterparties``,
   100,000 by default: the client base benchmark's generator, benchmarks/client_base.py);
   E employees in a tree of departments — «Отдел продаж», 10 regions in 8 time zones
   (Kaliningrad to Vladivostok), 4 teams each — every department with a head; T tasks:
   responsible employees Zipf-like (exponent 0.8, the busiest employee has ~6 % of all
   tasks, the median one ~0.05 %), 75 % about a counterparty (Zipf-like too, 60 % of them
   with a contact person) and 25 % the employee's own; due over the last two years and the
   next three months in the employee's zone, 70 % at a time of day; past ones done (with a
   result), future ones and 0.5 % "today" planned — and exactly O planned tasks overdue by
   5 to 120 days, spread evenly over the ids. Deadlines and reminder moments come from the
   core's own ``deadline``/``reminder_moment``. Rows go in with SQLAlchemy Core
   ``insert()`` executemany (SQLite) or ``COPY`` (PostgreSQL, with the foreign keys
   dropped and added back) with the secondary indexes dropped and created again.
3. Measures ``app.tasks`` (the services, with their policy checks), p50/p95 over
   ``--repeat`` calls each (after a warm-up), for random employees / counterparties:
   ``of_employee`` — the personal Tasks tab, client and employee sections, and with the
   filters state=overdue, a month's period, a typical task, and its last page; the same
   tab opened by the employee's head; ``of_counterparty`` (the card's tab, and state =
   planned); ``summary``; ``calendar`` (a month). The busiest employees and cards again
   on their own. **Baselines**, in the same run: a trivial service call
   (``task_types``: the policy and one tiny query — the floor of any call), and for each
   measure the same SQL the service sends (the count and the page) as a plain scan:
   ``FROM tasks NOT INDEXED`` on SQLite, index and bitmap scans switched off on
   PostgreSQL.
4. The escalation job (TASK-7): an escalation rule "overdue by 1 working day → the head";
   ``pending_escalations`` (the dry run), then ``escalate()`` end to end (wall time,
   escalations/s, messages written, CPU seconds of this process), checked against the
   rows it wrote; then ``escalate()`` once more (nothing left to send: the periodic job's
   pass over the same overdue tasks).
5. Prints markdown tables with the targets (the tabs p95 <= 50 ms, the escalation of
   100,000 tasks <= 10 s).

Only the local databases named are contacted; everything made is removed at the end.
"""

from __future__ import annotations

import argparse
import bisect
import math
import os
import random
import resource
import shutil
import sys
import tempfile
import time as clock
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from client_base import (
    Target,
    Timing,
    generate,
    machine,
    make_system,
    measure,
    mix,
    person,
    pg_target,
    sqlite_target,
)
from sqlalchemy import Date, Integer, bindparam, func, insert, select, text, update
from sqlalchemy.engine import Engine

from ecrm_adapters.security import Argon2Hasher
from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.migrate import upgrade
from ecrm_adapters.sqlalchemy.types import UTCDateTime
from ecrm_core.tasks.model import deadline, reminder_moment

TARGETS = {"tab": 50.0, "escalation": 10.0}
#: The regions of the sales department and their time zones.
REGIONS = (
    ("Калининград", "Europe/Kaliningrad"), ("Москва", "Europe/Moscow"),
    ("Санкт-Петербург", "Europe/Moscow"), ("Юг", "Europe/Moscow"),
    ("Поволжье", "Europe/Samara"), ("Урал", "Asia/Yekaterinburg"),
    ("Сибирь", "Asia/Novosibirsk"), ("Красноярск", "Asia/Krasnoyarsk"),
    ("Иркутск", "Asia/Irkutsk"), ("Дальний Восток", "Asia/Vladivostok"),
)
TEAMS = ("Розница", "Опт", "Госсектор", "Ключевые клиенты")
#: (code, share in %) of the typical tasks.
TYPE_SHARES = (("call", 45), ("meeting", 20), ("email", 15), ("presentation", 5),
               ("other", 15))
WHAT = {
    "call": ("Позвонить по поводу счёта", "Уточнить сроки поставки", "Согласовать скидку",
             "Напомнить об оплате", "Обсудить продление договора"),
    "meeting": ("Встреча в офисе клиента", "Переговоры по новому договору",
                "Встреча с закупщиком", "Обед с директором"),
    "email": ("Отправить коммерческое предложение", "Выслать акт сверки",
              "Отправить прайс-лист"),
    "presentation": ("Презентация новой линейки", "Демонстрация продукта"),
    "other": ("Подготовить отчёт", "Обновить карточку", "Проверить документы"),
}
RESULTS = ("Договорились о встрече", "Счёт оплачен", "Клиент думает, перезвонить через месяц",
           "Отправлено КП", "Не дозвонились, перенесено", "Подписан договор",
           "Согласована скидка 5 %")
ZIPF = 0.8


def split_chunks(count: int, size: int) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(count, start + size))


# -- the generated base ---------------------------------------------------------------------


@dataclass
class Staff:
    """The generated employees: ids, zones, heads (for the "opened by the head" measure)."""

    ids: list[int]
    zones: dict[int, str]
    heads: dict[int, int]
    #: cumulative Zipf weights over ``by_rank``
    cumulative: list[float]
    by_rank: list[int]


def make_staff(engine: Engine, app, director_id: int, count: int, seed: int,
               say: Callable[[str], None]) -> Staff:
    """The departments through the service, then the employees with Core ``insert()``
    (one password hash for all) and the departments' heads."""
    top = app.org.create_department(director_id, {"name": "Отдел продаж"})
    departments = [(top.id, "Europe/Moscow", None)]  # (id, zone, parent index)
    for region, zone in REGIONS:
        node = app.org.create_department(director_id, {"name": region, "parent_id": top.id})
        region_index = len(departments)
        departments.append((node.id, zone, 0))
        for team in TEAMS:
            leaf = app.org.create_department(director_id, {"name": f"{region}: {team}",
                                                           "parent_id": node.id})
            departments.append((leaf.id, zone, region_index))
    if count < len(departments) + 1:
        raise SystemExit(f"--employees must be at least {len(departments) + 1}")
    teams = [k for k, (_id, _zone, parent) in enumerate(departments)
             if parent is not None and parent != 0]
    password = Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1).hash("employee-pass")
    with engine.connect() as conn:
        first = (conn.execute(select(func.max(t.employees.c.id))).scalar() or 0) + 1
    rows, zones, department_of = [], {}, {}
    now = datetime.now(UTC)
    for j in range(count):
        ident = first + j
        k = j if j < len(departments) else teams[j % len(teams)]
        dep_id, zone, _parent = departments[k]
        department_of[ident] = k
        zones[ident] = zone
        full_name, surname = person(j, 31)
        rows.append({
            "id": ident, "version": 1, "login": f"emp{j:04d}", "full_name": full_name,
            "password_hash": password, "email": f"emp{j:04d}@example.ru",
            "department_id": dep_id, "head_id": None,
            "position": "Руководитель" if j < len(departments) else "Менеджер по продажам",
            "phone": f"+7900{j:07d}", "active": True, "locale": "ru", "timezone": zone,
            "created_at": now, "home_page": "", "calendar_token_hash": "",
        })
    with engine.begin() as conn:
        conn.execute(insert(t.employees), rows)
        for k, (dep_id, _zone, _parent) in enumerate(departments):
            conn.execute(update(t.departments).where(t.departments.c.id == dep_id)
                         .values(head_id=first + k))
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('employees', 'id'), "
                                 "(SELECT max(id) FROM employees))")
    heads = {}
    for ident, k in department_of.items():
        own_head = first + k
        parent = departments[k][2]
        if ident != own_head:
            heads[ident] = own_head
        elif parent is not None:
            heads[ident] = first + parent
        # the head of the whole department: only the Director is above them
    ids = [first + j for j in range(count)]
    by_rank = ids[:]
    random.Random(seed).shuffle(by_rank)
    acc, cumulative = 0.0, []
    for rank in range(count):
        acc += 1 / (rank + 1) ** ZIPF
        cumulative.append(acc)
    cumulative = [c / acc for c in cumulative]
    say(f"  {len(departments)} departments, {count:,} employees")
    return Staff(ids, zones, heads, cumulative, by_rank)


def coprime_step(n: int) -> int:
    step = 48271
    while math.gcd(step, n) != 1:
        step += 2
    return step


class TaskMaker:
    """Task i as the database keeps it (id = i + 1): the same base on every run."""

    def __init__(self, staff: Staff, cards: int, tasks: int, overdue: int,
                 type_ids: dict[str, int], reminders: dict[str, int | None],
                 now: datetime) -> None:
        self.staff, self.cards, self.tasks, self.overdue = staff, cards, tasks, overdue
        self.now = now
        self.today = {z: now.astimezone(ZoneInfo(z)).date() for z in set(staff.zones.values())}
        self.types: list[tuple[str, int]] = []
        for code, share in TYPE_SHARES:
            self.types += [(code, type_ids[code])] * share
        self.reminders = reminders
        self.step = coprime_step(cards)

    def is_overdue(self, i: int) -> bool:
        return (i * self.overdue) // self.tasks != ((i + 1) * self.overdue) // self.tasks

    def row(self, i: int) -> dict:
        h1, h2, h3, h4 = (mix(i, s) for s in (21, 22, 23, 24))
        staff = self.staff
        rank = min(bisect.bisect_right(staff.cumulative, h1 / 2**32), len(staff.by_rank) - 1)
        employee = staff.by_rank[rank]
        zone = staff.zones[employee]
        today = self.today[zone]
        code, type_id = self.types[h2 % 100]
        due_time = time(8 + (h2 >> 12) % 12, 30 * ((h2 >> 16) & 1)) if (h2 >> 8) % 10 < 7 \
            else None
        if self.is_overdue(i):
            due_date, planned = today - timedelta(days=5 + h3 % 116), True
        else:
            r = h3 % 1000
            if r < 5:  # today's, by the end of the day
                due_date, due_time, planned = today, None, True
            elif r < 125:
                due_date, planned = today + timedelta(days=1 + (h3 >> 10) % 90), True
            else:
                due_date, planned = today - timedelta(days=1 + (h3 >> 10) % 730), False
        counterparty = contact = None
        if h4 % 100 < 75:
            u = ((h4 >> 8) & 0xFFFFFF) / 2**24
            counterparty = (int(self.cards * u ** 2.5) * self.step) % self.cards + 1
            if (h4 >> 4) % 10 < 6:
                contact = 2 * (counterparty - 1) + 1 + ((h4 >> 7) & 1)
        due_at = deadline(due_date, due_time, zone)
        remind_at = reminder_moment(due_date, due_time, zone, self.reminders[code])
        done_at = None if planned else due_at - timedelta(minutes=(h3 >> 20) % 600)
        created = due_at - timedelta(days=1 + (h2 >> 20) % 30)
        what = WHAT[code]
        return {
            "id": i + 1, "version": 1, "responsible_id": employee, "task_type_id": type_id,
            "state": "planned" if planned else "done", "due_date": due_date,
            "due_time": due_time, "due_at": due_at, "what": what[(h4 >> 12) % len(what)],
            "result": "" if planned else RESULTS[(h4 >> 16) % len(RESULTS)],
            "counterparty_id": counterparty, "contact_id": contact, "project_id": None,
            "remind_minutes": None, "remind_at": remind_at,
            "reminded_at": remind_at if remind_at and remind_at <= self.now else None,
            "done_at": done_at, "created_at": created, "created_by": employee,
            "updated_at": done_at or created, "updated_by": employee,
        }


def _sqlite_drop_indexes(engine: Engine) -> list[str]:
    with engine.begin() as conn:
        found = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name = 'tasks' AND type = 'index' "
            "AND sql IS NOT NULL").all()
        for name, _sql in found:
            conn.exec_driver_sql(f"DROP INDEX {name}")
    return [sql for _name, sql in found]


def _pg_drop_indexes(engine: Engine) -> list[str]:
    """The secondary indexes and the foreign keys of ``tasks`` (COPY checks every foreign
    key row by row; adding them back checks the table at once)."""
    with engine.begin() as conn:
        keys = conn.exec_driver_sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'tasks'::regclass AND contype = 'f'").all()
        for name, _definition in keys:
            conn.exec_driver_sql(f'ALTER TABLE tasks DROP CONSTRAINT "{name}"')
        found = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'tasks' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint)").all()
        for name, _sql in found:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found] + [
        f'ALTER TABLE tasks ADD CONSTRAINT "{name}" {definition}' for name, definition in keys]


def _pg_copy(engine: Engine, rows: list[dict]) -> None:
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        columns = list(rows[0])
        with connection.cursor() as cur, cur.copy(
                f"COPY tasks ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(list(row.values()))
        connection.commit()
    finally:
        raw.close()


def generate_tasks(engine: Engine, dialect: str, maker: TaskMaker,
                   say: Callable[[str], None]) -> None:
    started = clock.perf_counter()
    saved = (_sqlite_drop_indexes if dialect == "sqlite" else _pg_drop_indexes)(engine)
    for chunk in split_chunks(maker.tasks, 20_000):
        rows = [maker.row(i) for i in chunk]
        if dialect == "sqlite":
            with engine.begin() as conn:
                conn.execute(insert(t.tasks), rows)
        else:
            _pg_copy(engine, rows)
        if (chunk.stop // 20_000) % 10 == 0 or chunk.stop == maker.tasks:
            say(f"  generated {chunk.stop:,} tasks ({clock.perf_counter() - started:.0f} s)")
    loaded = clock.perf_counter()
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        for sql in saved:
            conn.exec_driver_sql(sql)
        if dialect == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('tasks', 'id'), "
                                 "(SELECT max(id) FROM tasks))")
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("tasks", "employees", "departments"):
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    say(f"  loaded in {loaded - started:.0f} s; indexes rebuilt in "
        f"{clock.perf_counter() - loaded:.0f} s")


# -- measuring ------------------------------------------------------------------------------

TS = UTCDateTime()
TYPED = {"now": TS, "d1": Date(), "d2": Date(), "today": Date(), "e": Integer(),
         "c": Integer(), "k": Integer(), "off": Integer()}


@dataclass
class Query:
    """One statement the service sends, written out for the scan baseline."""

    where: str
    order: str = ""
    limit: int | None = None
    count: bool = False

    def sql(self, dialect: str) -> str:
        table = "tasks NOT INDEXED" if dialect == "sqlite" else "tasks"
        what = "count(*)" if self.count else "*"
        sql = f"SELECT {what} FROM {table} WHERE {self.where}"
        if self.order:
            sql += f" ORDER BY {self.order}"
        if self.limit is not None:
            sql += f" LIMIT {self.limit} OFFSET :off"
        return sql


def tab(where: str, order: str = "due_at DESC, id DESC") -> list[Query]:
    """The Tasks tab's two statements: the count and the page of 10."""
    return [Query(where, count=True), Query(where, order, limit=10)]


CLIENT = "responsible_id = :e AND counterparty_id IS NOT NULL"


def scan(engine: Engine, dialect: str, queries: list[Query],
         args: list[dict]) -> Timing:
    """The same statements as a plain scan of the table, timed like the service."""
    statements = []
    for q in queries:
        sql = text(q.sql(dialect))
        sql = sql.bindparams(*[bindparam(name, type_=kind) for name, kind in TYPED.items()
                               if f":{name}" in q.sql(dialect)])
        statements.append(sql)

    def run(params: dict) -> None:
        with engine.connect() as conn:
            if dialect == "postgresql":
                for knob in ("enable_indexscan", "enable_bitmapscan", "enable_indexonlyscan"):
                    conn.exec_driver_sql(f"SET {knob} = off")
            for sql in statements:
                conn.execute(sql, {"off": 0, **params}).all()
            if dialect == "postgresql":
                conn.exec_driver_sql("RESET ALL")

    return measure(run, args, warmup=1)


@dataclass
class Case:
    name: str
    call: Callable[[dict], object]
    args: list[dict]
    queries: list[Query] | None = None


def month_of(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def cases(app, director_id: int, staff: Staff, type_ids: dict[str, int],
          busy_employees: list[int], cards_with_tasks: list[int], busy_cards: list[int],
          repeat: int, seed: int, now: datetime) -> list[Case]:
    rnd = random.Random(seed)
    tasks = app.tasks
    employees = [rnd.choice(staff.ids) for _ in range(repeat)]
    today = now.date()
    months = [month_of(today - timedelta(days=rnd.randrange(0, 730))) for _ in range(repeat)]
    calendar_months = [month_of(today + timedelta(days=rnd.randrange(-365, 70)))
                       for _ in range(repeat)]
    kinds = [rnd.choice(list(type_ids.values())) for _ in range(repeat)]
    cards = [rnd.choice(cards_with_tasks) for _ in range(repeat)]
    heads = [(staff.heads[e], e) for e in
             (rnd.choice([x for x in staff.ids if x in staff.heads]) for _ in range(repeat))]

    def personal(a: dict) -> object:
        return tasks.of_employee(a["actor"], a["e"], a["filters"], a["page"])

    def emp_args(filters: Callable[[int], dict], who: list[int] | None = None) -> list[dict]:
        who = who or employees
        return [{"actor": e, "e": e, "filters": filters(k), "page": 1, "now": now,
                 **filters_params(filters(k))} for k, e in enumerate(who[:repeat])]

    def filters_params(f: dict) -> dict:
        out = {}
        if "date_from" in f:
            out.update(d1=f["date_from"], d2=f["date_to"])
        if "task_type_id" in f:
            out["k"] = f["task_type_id"]
        return out

    client = {"section": "client"}
    last = {e: tasks.of_employee(e, e, client).pages for e in set(employees)}
    overdue = {"section": "client", "state": "overdue"}
    out = [
        Case("floor: task_types (the policy and one tiny query)",
             lambda a: tasks.task_types(a["e"]), emp_args(lambda k: {})),
        Case("personal tab, client section", personal, emp_args(lambda k: client),
             tab(CLIENT)),
        Case("personal tab, employee section", personal,
             emp_args(lambda k: {"section": "employee"}),
             tab("responsible_id = :e AND counterparty_id IS NULL")),
        Case("personal tab, state = overdue", personal, emp_args(lambda k: overdue),
             tab(f"{CLIENT} AND state = 'planned' AND due_at <= :now", "due_at, id")),
        Case("personal tab, a month's period", personal, emp_args(lambda k: {
            "section": "client", "date_from": months[k][0], "date_to": months[k][1]}),
            tab(f"{CLIENT} AND due_date >= :d1 AND due_date <= :d2")),
        Case("personal tab, a typical task", personal, emp_args(lambda k: {
            "section": "client", "task_type_id": kinds[k]}),
            tab(f"{CLIENT} AND task_type_id = :k")),
        Case("personal tab, its last page", personal, [
            {**a, "page": last[a["e"]], "off": (last[a["e"]] - 1) * 10}
            for a in emp_args(lambda k: client)], tab(CLIENT)),
        Case("personal tab, opened by the head", personal, [
            {"actor": h, "e": e, "filters": client, "page": 1} for h, e in heads]),
        Case("counterparty tab", lambda a: tasks.of_counterparty(director_id, a["c"]),
             [{"c": c} for c in cards], tab("counterparty_id = :c")),
        Case("counterparty tab, state = planned",
             lambda a: tasks.of_counterparty(director_id, a["c"], {"state": "planned"}),
             [{"c": c} for c in cards],
             tab("counterparty_id = :c AND state = 'planned'", "due_at, id")),
        Case("summary (personal page)", lambda a: tasks.summary(a["e"], a["e"]),
             [{"e": e, "now": now, "today": today} for e in employees], [
                 Query("responsible_id = :e AND state = 'planned' AND due_date = :today "
                       "AND due_at > :now", "due_at, id", limit=5),
                 Query("responsible_id = :e AND state = 'planned' AND due_at <= :now",
                       "due_at, id", limit=5),
                 Query("responsible_id = :e AND state = 'planned' AND due_date = :today "
                       "AND due_at > :now", count=True),
                 Query("responsible_id = :e AND state = 'planned' AND due_at <= :now",
                       count=True)]),
        Case("calendar, a month", lambda a: tasks.calendar(a["e"], a["e"], a["d1"], a["d2"]),
             [{"e": e, "d1": m[0], "d2": m[1]} for e, m in zip(employees, calendar_months,
                                                               strict=True)],
             [Query("responsible_id = :e AND due_date >= :d1 AND due_date <= :d2",
                    "due_at, id", limit=5000)]),
    ]
    busy = (busy_employees * (repeat // len(busy_employees) + 1))[:repeat]
    busy_last = {e: tasks.of_employee(e, e, client).pages for e in busy_employees}
    out += [
        Case(f"busiest {len(busy_employees)} employees: client section", personal,
             emp_args(lambda k: client, busy)),
        Case(f"busiest {len(busy_employees)} employees: state = overdue", personal,
             emp_args(lambda k: overdue, busy)),
        Case(f"busiest {len(busy_employees)} employees: a month's period", personal,
             emp_args(lambda k: {"section": "client", "date_from": months[k][0],
                                 "date_to": months[k][1]}, busy)),
        Case(f"busiest {len(busy_employees)} employees: the last page", personal,
             [{**a, "page": busy_last[a["e"]]} for a in emp_args(lambda k: client, busy)]),
        Case(f"busiest {len(busy_employees)} employees: summary",
             lambda a: tasks.summary(a["e"], a["e"]), [{"e": e} for e in busy]),
        Case(f"busiest {len(busy_employees)} employees: calendar, this month",
             lambda a: tasks.calendar(a["e"], a["e"], *month_of(today)),
             [{"e": e} for e in busy]),
        Case(f"busiest {len(busy_cards)} cards: counterparty tab",
             lambda a: tasks.of_counterparty(director_id, a["c"]),
             [{"c": c} for c in (busy_cards * (repeat // len(busy_cards) + 1))[:repeat]]),
    ]
    return out


@dataclass
class JobFigures:
    name: str
    seconds: float
    cpu: float
    rows: int
    messages: int | None = None
    target: float | None = None
    note: str = ""


def escalation(system, director_id: int, overdue: int, say) -> list[JobFigures]:
    app, engine = system.app, system.engine
    app.tasks.create_escalation_rule(director_id, {
        "name": "Просрочена на рабочий день", "delay": 1, "unit": "working_days",
        "target": "head"})
    out = []
    say("  the dry run (pending_escalations)")
    started, cpu = clock.perf_counter(), clock.process_time()
    pending = app.tasks.pending_escalations()
    out.append(JobFigures("dry run: pending_escalations()", clock.perf_counter() - started,
                          clock.process_time() - cpu, len(pending)))
    assert len(pending) == overdue, (len(pending), overdue)
    del pending
    with engine.connect() as conn:
        before = conn.execute(select(func.count()).select_from(t.messages)).scalar()
    say("  escalate()")
    batches: list[float] = []
    started, cpu = clock.perf_counter(), clock.process_time()
    report = app.tasks.escalate(on_batch=lambda n: batches.append(clock.perf_counter()))
    wall = clock.perf_counter() - started
    spent = clock.process_time() - cpu
    steps = [b - a for a, b in zip([started, *batches], batches, strict=False)]
    note = (f"{len(batches)} batches; first {steps[0]:.2f} s, last {steps[-1]:.2f} s"
            if steps else "")
    out.append(JobFigures("escalate()", wall, spent, report.escalations, report.messages,
                          TARGETS["escalation"], note))
    with engine.connect() as conn:
        sent = conn.execute(select(func.count()).select_from(t.task_escalations)).scalar()
        messages = conn.execute(select(func.count()).select_from(t.messages)).scalar()
        history = conn.execute(text(
            "SELECT count(*) FROM history WHERE subject_kind = 'task'")).scalar()
    assert report.escalations == overdue == sent == history, (report, sent, history)
    assert report.messages == messages - before, (report, messages, before)
    say("  escalate() again (nothing left to send)")
    started, cpu = clock.perf_counter(), clock.process_time()
    again = app.tasks.escalate()
    out.append(JobFigures("escalate() again: nothing to send", clock.perf_counter() - started,
                          clock.process_time() - cpu, again.escalations, again.messages))
    assert again.escalations == 0, again
    return out


# -- the run --------------------------------------------------------------------------------


def run(target: Target, args: argparse.Namespace, folder: Path, say) -> tuple[list, list, str]:
    upgrade(target.url)
    system = make_system(target.url, folder / target.dialect)
    app, engine = system.app, system.engine
    try:
        director = app.org.found_company("ООО «Бенчмарк»", {
            "login": "director", "password": "director-pass", "full_name": "Директор Д. Д."})
        top = app.catalogs.create(director.id, {"name": "Клиенты"})
        catalog_ids = [app.catalogs.create(director.id, {
            "name": f"Клиенты: {region}", "parent_id": top.id}).id for region, _z in REGIONS]
        say(f"{target.label}: generating {args.counterparties:,} counterparties")
        generate(engine, target.dialect, args.counterparties, catalog_ids, director.id, say)
        staff = make_staff(engine, app, director.id, args.employees, args.seed, say)
        kinds = app.tasks.task_types(director.id)
        type_ids = {k.code: k.id for k in kinds}
        reminders = {k.code: k.remind_minutes for k in kinds}
        now = datetime.now(UTC)
        maker = TaskMaker(staff, args.counterparties, args.tasks, args.overdue, type_ids,
                          reminders, now)
        say(f"{target.label}: generating {args.tasks:,} tasks")
        generate_tasks(engine, target.dialect, maker, say)

        with engine.connect() as conn:
            per_employee = [r[0] for r in conn.exec_driver_sql(
                "SELECT count(*) AS n FROM tasks GROUP BY responsible_id ORDER BY n DESC")]
            busy_employees = [r[0] for r in conn.exec_driver_sql(
                "SELECT responsible_id FROM tasks GROUP BY responsible_id "
                "ORDER BY count(*) DESC LIMIT 10")]
            per_card = conn.exec_driver_sql(
                "SELECT counterparty_id, count(*) AS n FROM tasks WHERE counterparty_id "
                "IS NOT NULL GROUP BY counterparty_id ORDER BY n DESC").all()
        cards_with_tasks = [r[0] for r in per_card]
        busy_cards = cards_with_tasks[:10]
        shape = (f"tasks per employee: max {per_employee[0]:,}, 10th {per_employee[9]:,}, "
                 f"median {per_employee[len(per_employee) // 2]:,}, min {per_employee[-1]:,}; "
                 f"{len(per_card):,} cards with tasks, per card: max {per_card[0][1]:,}, "
                 f"10th {per_card[9][1]:,}, median {per_card[len(per_card) // 2][1]:,}")
        say(f"  {shape}")

        results = []
        for case in cases(app, director.id, staff, type_ids, busy_employees, cards_with_tasks,
                          busy_cards, args.repeat, args.seed, now):
            say(f"{target.label}: measuring {case.name}")
            timing = measure(case.call, case.args)
            base = None
            if case.queries and args.baseline_repeat:
                base = scan(engine, target.dialect, case.queries,
                            case.args[:args.baseline_repeat])
            limit = None if case.name.startswith("floor") else TARGETS["tab"]
            results.append((case.name, timing, base, limit))

        say(f"{target.label}: the escalation job over {args.overdue:,} overdue tasks")
        jobs = escalation(system, director.id, args.overdue, say)
    finally:
        system.close()
    return results, jobs, shape


def table(label: str, results: list[tuple], jobs: list[JobFigures]) -> str:
    lines = [f"\n{label}", "",
             "| measure | p50 ms | p95 ms | scan p50 ms | scan p95 ms | scan p95 ÷ p95 "
             "| target | met |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for name, value, base, target in results:
        b50 = f"{base.p50:.1f}" if base else ""
        b95 = f"{base.p95:.1f}" if base else ""
        ratio = f"{base.p95 / value.p95:.1f}×" if base else ""
        goal = f"p95 ≤ {target:.0f} ms" if target else ""
        met = ("yes" if value.p95 <= target else "NO") if target else ""
        lines.append(f"| {name} | {value.p50:.1f} | {value.p95:.1f} | {b50} | {b95} "
                     f"| {ratio} | {goal} | {met} |")
    lines += ["", "| job | wall s | rows | rows/s | CPU s (this process) | messages "
              "| target | met | notes |",
              "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- | --- |"]
    for job in jobs:
        rate = f"{job.rows / job.seconds:,.0f}" if job.rows else ""
        goal = f"≤ {job.target:.0f} s" if job.target else ""
        met = ("yes" if job.seconds <= job.target else "NO") if job.target else ""
        messages = "" if job.messages is None else f"{job.messages:,}"
        lines.append(f"| {job.name} | {job.seconds:.2f} | {job.rows:,} | {rate} "
                     f"| {job.cpu:.2f} | {messages} | {goal} | {met} | {job.note} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=1_000_000, help="tasks (T)")
    parser.add_argument("--employees", type=int, default=1000, help="employees (E)")
    parser.add_argument("--counterparties", type=int, default=100_000,
                        help="counterparties (C), each with 2 contacts")
    parser.add_argument("--overdue", type=int, default=100_000,
                        help="planned tasks overdue past the escalation rule (O)")
    parser.add_argument("--repeat", type=int, default=300, help="calls per measure")
    parser.add_argument("--baseline-repeat", type=int, default=20,
                        help="scans per measure (each reads the whole table); 0: none")
    parser.add_argument("--pg", default=os.environ.get("ECRM_TEST_DATABASE_URL", ""),
                        help="PostgreSQL server URL (default: ECRM_TEST_DATABASE_URL)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args(argv)
    if not (1000 <= args.tasks <= 5_000_000 and 60 <= args.employees <= 100_000
            and 1000 <= args.counterparties <= 2_500_000 and 0 < args.overdue <= args.tasks
            and args.repeat >= 20):
        parser.error("--tasks 1,000 to 5,000,000; --employees 60 to 100,000; "
                     "--counterparties 1,000 to 2,500,000; --overdue 1 to --tasks; "
                     "--repeat at least 20")

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    print(f"# tasks benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# {machine()}")
    print(f"# T = {args.tasks:,} tasks, E = {args.employees:,} employees, "
          f"C = {args.counterparties:,} counterparties, O = {args.overdue:,} overdue; "
          f"{args.repeat} calls per measure, {args.baseline_repeat} scans per measure")
    targets = []
    folder = Path(tempfile.mkdtemp(prefix="ecrm-bench-"))
    try:
        if not args.no_sqlite:
            targets.append(sqlite_target(folder))
        if args.pg and not args.no_pg:
            targets.append(pg_target(args.pg))
        for manager in targets:
            with manager as target:
                started = clock.perf_counter()
                results, jobs, shape = run(target, args, folder, say)
                print(table(f"## {target.label} ({clock.perf_counter() - started:.0f} s in "
                            f"all; load average now {os.getloadavg()[0]:.2f})\n\n{shape}",
                            results, jobs), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n# peak RSS of the whole run: {rss:.0f} MiB; load average at the end "
          f"{os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
