"""The client base at scale (issue 3, CP-3, CP-9, CP-13): search, the duplicate check,
the first list page and the import over a generated base of N counterparties and 2N
contacts, on SQLite and on PostgreSQL.

    .venv/bin/python benchmarks/client_base.py                     # N = 1,000,000
    .venv/bin/python benchmarks/client_base.py --rows 100000 --no-pg
    .venv/bin/python benchmarks/client_base.py --pg postgresql://postgres@127.0.0.1/test

What it does, on each database:
1. SQLite: a new file in a temporary folder. PostgreSQL (``--pg URL`` or
   ECRM_TEST_DATABASE_URL; ``--no-pg`` skips it): a new database ``ecrm_bench_<pid>`` on
   the same server, so the database named in the URL is never touched; it is dropped
   at the end. The schema comes from the Alembic migrations; the Company, its Director
   and a tree of nested catalogs are made through the services.
2. Generation (setup, not measured): N counterparties with Russian (and some Latin)
   names built from roots × industries × legal forms × numbers, so that 3-letter
   fragments match thousands of cards (performance-notes.md); valid 10-digit INNs, KPP,
   OGRN, phones, e-mails, addresses; 2 contacts each with Russian full names. Rows go in
   with SQLAlchemy Core ``insert()`` executemany (SQLite) or ``COPY`` (PostgreSQL) with
   the secondary indexes and the search triggers dropped, which are then created again;
   the FTS5 indexes are rebuilt (``INSERT INTO counterparty_fts(counterparty_fts)
   VALUES('rebuild')``) and merged (``'optimize'``: the state an index grown by the
   triggers tends to; right after a rebuild new rows merge several times slower).
   ``search_text``/``name_key``/``surname_key`` are derived by the core's own
   functions, exactly as the services derive them.
3. Measures, with varied queries, p50/p95 over ``--repeat`` calls each (after a
   warm-up): ``CounterpartyService.search`` for 3-letter and 6-letter name fragments,
   INN prefixes (4-9 digits) and IDs, each beside the same lookup as a plain
   ``LIKE '%…%'`` scan (the baseline: the candidates the service asks its index for —
   up to 1,001 — found without the index); ``CounterpartyService.duplicates`` for
   filled-in cards; the first page of the biggest catalog (``catalog_page``) and the
   first page of a search for the commonest fragments; ``import_rows`` rows/s
   (validation, dedup by INN/KPP, history) fed by a generator, beside SQLAlchemy Core
   ``insert()`` rows/s for the same rows (prepared outside the clock; both also per
   CPU-second of this process, which the other users of a shared machine disturb
   less); a second import of the same rows (all unchanged); the import of M more new
   rows with the heap not settled (below); the peak Python memory
   (tracemalloc) of an import of M/10 (at least 1,000) and of M rows — about the same
   when it streams.
   All of it after ``settle_heap``, as ``ecrm serve`` and ``ecrm import`` run (the
   start-up objects out of the garbage collector's full passes), but that one import.
4. Prints a table per database with the targets (search p95 <= 30 ms, duplicates p95
   <= 20 ms, first page p95 <= 50 ms, import >= 5,000 rows/s on SQLite).

Only the local databases named are contacted; everything made is removed at the end.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, delete, insert, text
from sqlalchemy.engine import Engine, make_url

from ecrm_adapters.bootstrap import System, bootstrap, settle_heap
from ecrm_adapters.security import Argon2Hasher
from ecrm_adapters.settings import Settings
from ecrm_adapters.sqlalchemy import tables as t
from ecrm_adapters.sqlalchemy.engine import normalise_url
from ecrm_adapters.sqlalchemy.migrate import upgrade
from ecrm_core.counterparties.requisites import fold, name_key
from ecrm_core.counterparties.services import IMPORT_BATCH

TARGETS = {"search": 30.0, "duplicates": 20.0, "page": 50.0, "import": 5000.0}

# -- the generated base ---------------------------------------------------------------------

#: Region + tax inspection codes the INNs (and KPPs, OGRNs) start with.
CODES = (
    "7701", "7702", "7703", "7704", "7705", "7707", "7710", "7714", "7718", "7720", "7728",
    "7736", "7743", "7801", "7802", "7804", "7810", "5401", "5402", "5406", "6658", "6670",
    "1655", "1660", "2310", "2308", "6311", "6316", "5902", "7447",
)
ROOTS = (
    "Сибирь", "Урал", "Волга", "Байкал", "Алтай", "Енисей", "Кубань", "Дон", "Нева", "Амур",
    "Север", "Восток", "Прогресс", "Гранит", "Кристалл", "Альянс", "Вектор", "Меридиан",
    "Горизонт", "Феникс", "Титан", "Атлант", "Олимп", "Рассвет", "Заря", "Янтарь", "Ёлка",
    "Берёза", "Полёт", "Звезда", "Лидер", "Партнёр", "Стандарт", "Капитал", "Профи",
    "Эксперт", "Монолит", "Ресурс", "Омега", "Регион",
)
INDUSTRIES = (
    "строй", "торг", "ком", "сервис", "трейд", "пром", "снаб", "транс", "энерго", "агро",
    "мед", "тех", "лес", "нефть", "газ", "маш", "инвест", "логистик", "комплект", "монтаж",
)
LATIN_ROOTS = ("Nord", "Techno", "Global", "Smart", "Delta", "Prime", "Alfa", "Vega")
LATIN_INDUSTRIES = ("tech", "trade", "soft", "line", "group", "service", "logic", "systems")
#: (short form, full form); repeated by weight.
FORMS = (
    *[("ООО", "Общество с ограниченной ответственностью")] * 12,
    *[("АО", "Акционерное общество")] * 3,
    ("ПАО", "Публичное акционерное общество"),
    *[("ЗАО", "Закрытое акционерное общество")] * 2,
    ("НАО", "Непубличное акционерное общество"),
    ("ФГУП", "Федеральное государственное унитарное предприятие"),
)
CITIES = ("Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург", "Казань", "Краснодар",
          "Самара", "Пермь", "Челябинск", "Нижний Новгород", "Омск", "Томск")
STREETS = ("Ленина", "Мира", "Советская", "Гагарина", "Садовая", "Лесная", "Заводская",
           "Октябрьская", "Молодёжная", "Школьная", "Пушкина", "Королёва")
SURNAMES = (
    ("Иванов", "Иванова"), ("Смирнов", "Смирнова"), ("Кузнецов", "Кузнецова"),
    ("Попов", "Попова"), ("Васильев", "Васильева"), ("Петров", "Петрова"),
    ("Соколов", "Соколова"), ("Михайлов", "Михайлова"), ("Новиков", "Новикова"),
    ("Фёдоров", "Фёдорова"), ("Морозов", "Морозова"), ("Волков", "Волкова"),
    ("Алексеев", "Алексеева"), ("Лебедев", "Лебедева"), ("Семёнов", "Семёнова"),
    ("Егоров", "Егорова"), ("Павлов", "Павлова"), ("Козлов", "Козлова"),
    ("Степанов", "Степанова"), ("Николаев", "Николаева"), ("Орлов", "Орлова"),
    ("Андреев", "Андреева"), ("Макаров", "Макарова"), ("Никитин", "Никитина"),
    ("Захаров", "Захарова"), ("Зайцев", "Зайцева"), ("Соловьёв", "Соловьёва"),
    ("Борисов", "Борисова"), ("Яковлев", "Яковлева"), ("Григорьев", "Григорьева"),
    ("Романов", "Романова"), ("Воробьёв", "Воробьёва"), ("Сергеев", "Сергеева"),
    ("Кузьмин", "Кузьмина"), ("Фролов", "Фролова"), ("Александров", "Александрова"),
    ("Дмитриев", "Дмитриева"), ("Королёв", "Королёва"), ("Гусев", "Гусева"),
    ("Киселёв", "Киселёва"), ("Ильин", "Ильина"), ("Максимов", "Максимова"),
    ("Поляков", "Полякова"), ("Сорокин", "Сорокина"), ("Виноградов", "Виноградова"),
    ("Ковалёв", "Ковалёва"), ("Белов", "Белова"), ("Медведев", "Медведева"),
    ("Антонов", "Антонова"), ("Тарасов", "Тарасова"), ("Жуков", "Жукова"),
    ("Баранов", "Баранова"), ("Филиппов", "Филиппова"), ("Комаров", "Комарова"),
    ("Давыдов", "Давыдова"), ("Беляев", "Беляева"), ("Герасимов", "Герасимова"),
    ("Богданов", "Богданова"), ("Осипов", "Осипова"), ("Сидоров", "Сидорова"),
)
FIRST = (("Александр", "Сергеевич"), ("Дмитрий", "Андреевич"), ("Максим", "Игоревич"),
         ("Сергей", "Владимирович"), ("Андрей", "Петрович"), ("Алексей", "Николаевич"),
         ("Артём", "Олегович"), ("Илья", "Юрьевич"), ("Кирилл", "Викторович"),
         ("Михаил", "Александрович"), ("Иван", "Иванович"), ("Павел", "Дмитриевич"))
FIRST_F = (("Анна", "Сергеевна"), ("Мария", "Андреевна"), ("Елена", "Игоревна"),
           ("Ольга", "Владимировна"), ("Татьяна", "Петровна"), ("Наталья", "Николаевна"),
           ("Ирина", "Олеговна"), ("Светлана", "Юрьевна"), ("Алёна", "Викторовна"),
           ("Юлия", "Александровна"), ("Екатерина", "Ивановна"), ("Дарья", "Дмитриевна"))
POSITIONS = ("Генеральный директор", "Главный бухгалтер", "Менеджер по закупкам",
             "Коммерческий директор", "Юрист", "Инженер", "Начальник отдела снабжения")
OKVED = ("41.20", "46.90", "47.11", "49.41", "62.01", "68.20", "70.22", "25.11", "01.11")
STATUSES = ("active",) * 46 + ("liquidating", "liquidated", "bankrupt", "reorganising")
TRANSLIT = {"а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
            "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
            "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "c",
            "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
            "я": "ya"}
INN_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
#: The commonest fragments of the base (legal forms, industries): the longest first pages.
COMMON = ("ооо", "общ", "ств", "тве", "акц", "стр", "тор", "ком", "сер", "про")
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)


def mix(i: int, salt: int = 0) -> int:
    """A well-spread 32-bit hash of ``i``: the base is the same on every run."""
    x = (i * 0x9E3779B1 + salt * 0x85EBCA77 + 0x165667B1) & 0xFFFFFFFF
    x ^= x >> 15
    x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
    x ^= x >> 12
    x = (x * 0x297A2D39) & 0xFFFFFFFF
    return x ^ (x >> 15)


def latin(word: str) -> str:
    return "".join(TRANSLIT.get(ch, ch) for ch in word.lower())


def inn(i: int) -> str:
    """A valid 10-digit INN, unique for i < 3,000,000."""
    base = f"{CODES[i % len(CODES)]}{i // len(CODES):05d}"
    return base + str(sum(int(d) * w for d, w in zip(base, INN_WEIGHTS, strict=True)) % 11 % 10)


def ogrn(i: int) -> str:
    base = f"1{2 + i % 20:02d}{CODES[i % len(CODES)]}{i // len(CODES):05d}"
    return base + str(int(base) % 11 % 10)


def phone(i: int, salt: int = 0) -> str:
    return f"+79{(i * 7919 + salt * 104729 + 12345) % 10**9:09d}"


def company_word(i: int) -> str:
    """The distinctive part of card i's name: root + industry (Сибирьстрой)."""
    h = mix(i)
    if h % 10 == 0:
        return (LATIN_ROOTS[(h >> 4) % len(LATIN_ROOTS)]
                + LATIN_INDUSTRIES[(h >> 8) % len(LATIN_INDUSTRIES)])
    return ROOTS[(h >> 4) % len(ROOTS)] + INDUSTRIES[(h >> 12) % len(INDUSTRIES)]


def card_names(i: int) -> tuple[str, str]:
    h = mix(i, 1)
    short, full = FORMS[h % len(FORMS)]
    quoted = f"{company_word(i)}-{10000 + (h >> 5) % 90000}"
    if h & 0x10:
        return f"{short} «{quoted}»", f"{full} «{quoted}»"
    return f'{short} "{quoted}"', f'{full} "{quoted}"'


def email(i: int) -> str:
    return f"info{i}@{latin(company_word(i))}.ru"


def address(i: int) -> str:
    h = mix(i, 2)
    return (f"{100000 + h % 900000}, г. {CITIES[h % len(CITIES)]}, "
            f"ул. {STREETS[(h >> 8) % len(STREETS)]}, д. {1 + (h >> 16) % 150}")


def person(i: int, salt: int) -> tuple[str, str]:
    """(full name, surname) of a contact."""
    h = mix(i, salt)
    surname = SURNAMES[h % len(SURNAMES)]
    female = bool(h & 0x100)
    first, middle = (FIRST_F if female else FIRST)[(h >> 9) % len(FIRST)]
    last = surname[1] if female else surname[0]
    return f"{last} {first} {middle}", last


def card_row(i: int, catalog_id: int, director_id: int) -> dict:
    """Card i as the database keeps it (id = i + 1)."""
    h = mix(i, 3)
    name, full_name = card_names(i)
    number = inn(i)
    created = EPOCH - timedelta(days=h % 1800, seconds=h % 86400)
    deleted = h % 50 == 0
    return {
        "id": i + 1, "version": 1, "catalog_id": catalog_id, "type": "legal_entity",
        "name": name, "full_name": full_name, "inn": number, "kpp": number[:4] + "01001",
        "ogrn": ogrn(i), "legal_address": address(i), "postal_address": "",
        "phone": phone(i), "sms_phone": "", "email": email(i), "mailing_email": "",
        "status": STATUSES[h % len(STATUSES)], "parent_id": None,
        "okved": OKVED[(h >> 6) % len(OKVED)], "head": person(i, 7)[0], "extra": {},
        "export_1c": bool(h & 0x40 and h & 0x80), "deleted": deleted,
        "deleted_at": created + timedelta(days=10) if deleted else None,
        "created_at": created, "created_by": director_id, "updated_at": created,
        "updated_by": director_id, "search_text": fold(f"{name} {full_name}".strip()),
        "name_key": name_key(name),
    }


def contact_rows(i: int) -> list[dict]:
    out = []
    for j in (0, 1):
        full_name, surname = person(i, 11 + j)
        h = mix(i, 13 + j)
        out.append({
            "id": 2 * i + j + 1, "version": 1, "counterparty_id": i + 1,
            "full_name": full_name, "position": POSITIONS[h % len(POSITIONS)],
            "birthday": date(1960 + h % 40, 1 + (h >> 6) % 12, 1 + (h >> 10) % 28)
            if h & 1 else None,
            "phones": [phone(i, 1 + j)],
            "emails": [f"{latin(surname)}.{i}.{j}@{latin(company_word(i))}.ru"],
            "note": "", "photo": "", "surname_key": fold(surname),
        })
    return out


def import_row(i: int) -> dict:
    """Card i as a file's row gives it: strings, a phone as people type it."""
    name, full_name = card_names(i)
    digits = phone(i)[2:]
    return {
        "type": "legal_entity", "name": name, "full_name": full_name, "inn": inn(i),
        "kpp": inn(i)[:4] + "01001", "ogrn": ogrn(i), "legal_address": address(i),
        "phone": f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}",
        "email": email(i), "status": "active", "okved": OKVED[i % len(OKVED)],
    }


def catalog_weights(count: int) -> list[float]:
    """Zipf-like: the biggest catalog holds about a fifth of the base."""
    weights = [1 / (k + 1) for k in range(count)]
    total = sum(weights)
    return [w / total for w in weights]


# -- databases ------------------------------------------------------------------------------


@dataclass
class Target:
    label: str
    url: str
    dialect: str


@contextmanager
def sqlite_target(folder: Path) -> Iterator[Target]:
    path = folder / "bench.db"
    yield Target("SQLite", f"sqlite:///{path}", "sqlite")


@contextmanager
def pg_target(url: str) -> Iterator[Target]:
    """A new database beside the one in ``url``; the one in ``url`` is never written."""
    server = make_url(normalise_url(url))
    name = f"ecrm_bench_{os.getpid()}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    bench_url = server.set(database=name).render_as_string(hide_password=False)

    try:
        yield Target("PostgreSQL", bench_url, "postgresql")
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_system(url: str, folder: Path) -> System:
    settings = Settings.from_env({"ECRM_DATABASE_URL": url, "ECRM_DATA_DIR": str(folder),
                                  "ECRM_SECRET_KEY": "benchmark"})
    return bootstrap(settings, hasher=Argon2Hasher(time_cost=1, memory_cost=1024,
                                                   parallelism=1))


# -- generation -------------------------------------------------------------------------------

BULK_TABLES = ("counterparties", "contacts")


def _sqlite_drop_secondary(engine: Engine) -> list[str]:
    with engine.begin() as conn:
        found = conn.exec_driver_sql(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN "
            "('counterparties', 'contacts') AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL").all()
        for kind, name, _sql in found:
            conn.exec_driver_sql(f"DROP {kind.upper()} {name}")
    return [sql for _kind, _name, sql in found]


def _pg_drop_secondary(engine: Engine) -> list[str]:
    with engine.begin() as conn:
        found = conn.exec_driver_sql(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename IN ('counterparties', 'contacts', 'counterparty_search') "
            "AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint)").all()
        for name, _sql in found:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def _chunks(count: int, size: int) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(count, start + size))


def _catalog_of(i: int, cumulative: list[float], catalog_ids: list[int]) -> int:
    x = (mix(i, 5) % 1_000_000) / 1_000_000
    for k, edge in enumerate(cumulative):
        if x < edge:
            return catalog_ids[k]
    return catalog_ids[-1]


def generate(engine: Engine, dialect: str, rows: int, catalog_ids: list[int],
             director_id: int, say: Callable[[str], None]) -> dict[int, int]:
    """N cards and 2N contacts; returns the number of cards per catalog."""
    cumulative, acc = [], 0.0
    for w in catalog_weights(len(catalog_ids)):
        acc += w
        cumulative.append(acc)
    sizes: dict[int, int] = dict.fromkeys(catalog_ids, 0)
    started = time.perf_counter()
    saved = (_sqlite_drop_secondary if dialect == "sqlite" else _pg_drop_secondary)(engine)
    if dialect == "postgresql":
        # the search table's triggers (migration 0006) are replaced by one INSERT … SELECT
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE counterparties DISABLE TRIGGER USER")
    for chunk in _chunks(rows, 20_000):
        cards, contacts = [], []
        for i in chunk:
            catalog_id = _catalog_of(i, cumulative, catalog_ids)
            sizes[catalog_id] += 1
            cards.append(card_row(i, catalog_id, director_id))
            contacts.extend(contact_rows(i))
        if dialect == "sqlite":
            with engine.begin() as conn:
                conn.execute(insert(t.counterparties), cards)
                conn.execute(insert(t.contacts), contacts)
        else:
            _pg_copy(engine, cards, contacts)
        if (chunk.stop // 20_000) % 10 == 0 or chunk.stop == rows:
            say(f"  generated {chunk.stop:,} cards ({time.perf_counter() - started:.0f} s)")
    loaded = time.perf_counter()
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("SET maintenance_work_mem = '512MB'")
            conn.exec_driver_sql("INSERT INTO counterparty_search (id, search_text, deleted) "
                                 "SELECT id, search_text, deleted FROM counterparties")
            conn.exec_driver_sql("ALTER TABLE counterparties ENABLE TRIGGER USER")
        for sql in saved:
            conn.exec_driver_sql(sql)
        if dialect == "sqlite":
            # rebuild from the tables, then merge into one segment, the state the
            # triggers' incremental merging tends to (new rows then merge cheaply)
            for fts in ("counterparty_fts", "contact_fts"):
                conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES('rebuild')")
                conn.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES('optimize')")
        else:
            for table in BULK_TABLES:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))")
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE counterparties")
            conn.exec_driver_sql("VACUUM ANALYZE contacts")
            conn.exec_driver_sql("VACUUM ANALYZE counterparty_search")
            # the load's pages written out now, not by the checkpointer in the middle
            # of the first measures (a base in service is not mid-way through writing
            # out a bulk load of a gigabyte); it needs a superuser or pg_checkpoint
            try:
                conn.exec_driver_sql("CHECKPOINT")
            except Exception as exc:  # setup only: say so and go on
                say(f"  no CHECKPOINT after the load ({str(exc).splitlines()[0]})")
    say(f"  loaded in {loaded - started:.0f} s; indexes, triggers and search indexes "
        f"rebuilt in {time.perf_counter() - loaded:.0f} s")
    return sizes


def _pg_copy(engine: Engine, cards: list[dict], contacts: list[dict]) -> None:
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        with connection.cursor() as cur:
            for table, rows in (("counterparties", cards), ("contacts", contacts)):
                columns = list(rows[0])
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([json.dumps(v, ensure_ascii=False)
                                        if isinstance(v, dict | list) else v
                                        for v in row.values()])
        connection.commit()
    finally:
        raw.close()


# -- measuring ------------------------------------------------------------------------------


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.samples, n=100, method="inclusive")[94]


def measure(call: Callable, args: list, warmup: int = 5) -> Timing:
    for a in args[:warmup]:
        call(a)
    timing = Timing()
    for a in args:
        started = time.perf_counter()
        call(a)
        timing.samples.append((time.perf_counter() - started) * 1000)
    return timing


def fragment(i: int, size: int, rnd: random.Random) -> str:
    """``size`` letters from the distinctive part of card i's name, in a random case."""
    word = company_word(i)
    start = rnd.randrange(0, len(word) - size + 1)
    piece = word[start:start + size]
    return rnd.choice((piece.lower(), piece.upper(), piece.capitalize(), piece))


def queries(rows: int, repeat: int, seed: int) -> dict[str, list[str]]:
    rnd = random.Random(seed)
    pick = [rnd.randrange(rows) for _ in range(repeat)]
    return {
        "3 letters": [fragment(i, 3, rnd) for i in pick],
        "6 letters": [fragment(i, 6, rnd) for i in pick],
        "INN prefix": [inn(i)[:rnd.randint(4, 9)] for i in pick],
        "ID": [str(rnd.randint(1, rows)) for _ in pick],
    }


def baseline_sql(kind: str) -> str:
    """The same lookup as a plain scan: what the service's index finds, without it
    (the fragments are letters or digits only: nothing to escape)."""
    if kind in ("3 letters", "6 letters"):
        where = "search_text LIKE :p"
    else:
        where = "inn LIKE :p OR CAST(id AS VARCHAR(20)) = :q"
    return f"SELECT id FROM counterparties WHERE {where} LIMIT 1001"


def baseline(engine: Engine, dialect: str, kind: str, args: list[str]) -> Timing:
    sql = text(baseline_sql(kind))

    def run(q: str) -> None:
        folded = fold(q) if not q.isdigit() else q
        with engine.connect() as conn:
            if dialect == "postgresql":
                # the planner would use the trigram index: the baseline is the scan
                conn.exec_driver_sql("SET enable_bitmapscan = off")
                conn.exec_driver_sql("SET enable_indexscan = off")
            conn.execute(sql, {"p": f"%{folded}%", "q": q}).all()
            if dialect == "postgresql":
                conn.exec_driver_sql("RESET ALL")

    return measure(run, args, warmup=2)


def duplicate_probes(rows: int, repeat: int, seed: int) -> list[dict]:
    """Filled-in cards as a form sends them, each repeating one thing of an existing
    card — its name, INN, phone or e-mail in turn — the rest new: every check finds a
    candidate, by each of the lookups."""
    rnd = random.Random(seed + 1)
    probes = []
    for k in range(repeat):
        i = rnd.randrange(rows)
        fresh = rows + k  # not in the base yet
        name, _full = card_names(i if k % 4 == 0 else fresh)
        probes.append({
            "type": "legal_entity", "name": name,
            "inn": inn(i if k % 4 == 1 else fresh),
            "phone": phone(i if k % 4 == 2 else fresh),
            "email": email(i if k % 4 == 3 else fresh),
        })
    return probes


def peak_import(system: System, actor: int, catalog_id: int, first: int, count: int
                ) -> tuple[float, int]:
    """(peak MiB of Python allocations, rows created) of one import fed by a generator."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    report = system.app.counterparties.import_rows(
        actor, catalog_id, (import_row(i) for i in range(first, first + count)))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20, report.created


def core_rows(i: int, catalog_id: int, director_id: int) -> dict:
    """The same row as import_row(i) gives, ready for the table (derived outside the
    clock): the raw insert does only the database's part of the work."""
    row = card_row(i, catalog_id, director_id)
    del row["id"]
    source = import_row(i)
    row.update(okved=source["okved"], status="active", deleted=False, deleted_at=None,
               export_1c=False, head="")
    return row


def run(target: Target, args: argparse.Namespace, folder: Path, say) -> list[tuple]:
    upgrade(target.url)
    system = make_system(target.url, folder / target.dialect)
    app = system.app
    engine = system.engine
    results: list[tuple] = []
    try:
        director = app.org.found_company("ООО «Бенчмарк»", {
            "login": "director", "password": "director-pass", "full_name": "Директор Д. Д."})
        actor = director.id
        top = app.catalogs.create(actor, {"name": "Клиенты"})
        catalog_ids = []
        for region in ("Центр", "Северо-Запад", "Юг", "Поволжье", "Урал", "Сибирь",
                       "Дальний Восток", "Москва"):
            node = app.catalogs.create(actor, {"name": region, "parent_id": top.id})
            for sub in ("Розница", "Опт", "Госсектор", "Производство", "Партнёры"):
                leaf = app.catalogs.create(actor, {"name": f"{region}: {sub}",
                                                   "parent_id": node.id})
                catalog_ids.append(leaf.id)
        say(f"{target.label}: generating {args.rows:,} counterparties and "
            f"{2 * args.rows:,} contacts")
        sizes = generate(engine, target.dialect, args.rows, catalog_ids, actor, say)
        big = max(sizes, key=sizes.get)
        # The process settled as `ecrm serve` and `ecrm import` settle theirs after
        # start-up (settle_heap): the garbage collector's full passes leave the start-up
        # objects alone. Unsettled, a pass of ~90 ms over them lands on a random call —
        # the tail of every p95 below (docs/performance.md).
        settle_heap()

        service = app.counterparties
        sets = queries(args.rows, args.repeat, args.seed)
        say(f"{target.label}: measuring search")
        for kind, qs in sets.items():
            timing = measure(lambda q: service.search(actor, q), qs)
            base = baseline(engine, target.dialect, kind, qs[:args.baseline_repeat])
            results.append((f"search: {kind}", timing, base, TARGETS["search"]))
        say(f"{target.label}: measuring the duplicate check and the first pages")
        probes = duplicate_probes(args.rows, args.repeat, args.seed)
        results.append(("duplicate check", measure(lambda d: service.duplicates(actor, d),
                                                  probes), None, TARGETS["duplicates"]))
        results.append((f"catalog page 1 ({sizes[big]:,} cards)",
                        measure(lambda _: service.catalog_page(actor, big, 1),
                                list(range(args.repeat))), None, TARGETS["page"]))
        common = [COMMON[k % len(COMMON)] for k in range(args.repeat)]
        results.append(("search page 1, commonest 3 letters", measure(
            lambda q: service.search(actor, q, 1), common), None, TARGETS["page"]))

        say(f"{target.label}: measuring the import ({args.import_rows:,} rows)")
        start = args.rows  # new INNs, after the generated ones
        m = args.import_rows
        raw_catalog = app.catalogs.create(actor, {"name": "Импорт (Core)", "parent_id": top.id})
        prepared = [core_rows(i, raw_catalog.id, actor) for i in range(start, start + m)]
        started, cpu = time.perf_counter(), time.process_time()
        for chunk in _chunks(m, IMPORT_BATCH):  # as many a transaction as the import
            with engine.begin() as conn:
                conn.execute(insert(t.counterparties), prepared[chunk.start:chunk.stop])
        core_rate = m / (time.perf_counter() - started)
        core_cpu = m / (time.process_time() - cpu)
        with engine.begin() as conn:
            conn.execute(delete(t.counterparties).where(
                t.counterparties.c.catalog_id == raw_catalog.id))
        del prepared

        def timed_import(catalog_id: int, first: int):
            """(rows/s, rows per CPU-second, report) of importing rows first…first+M."""
            started, cpu = time.perf_counter(), time.process_time()
            report = service.import_rows(actor, catalog_id,
                                         (import_row(i) for i in range(first, first + m)))
            return (m / (time.perf_counter() - started), m / (time.process_time() - cpu),
                    report)

        into = app.catalogs.create(actor, {"name": "Импорт", "parent_id": top.id})
        import_rate, import_cpu, report = timed_import(into.id, start)
        assert report.created == m and not report.rejected, report
        again_rate, _, again = timed_import(into.id, start)
        assert again.unchanged == m, again
        with engine.connect() as conn:
            history_rows = conn.execute(text(
                "SELECT count(*) FROM history WHERE subject_kind = 'counterparty'")).scalar()
        assert history_rows == m, history_rows
        # The same import of M more new rows with the heap as a program that embeds ECRM
        # and does not settle it leaves it.
        gc.unfreeze()
        plain = app.catalogs.create(actor, {"name": "Импорт (без settle_heap)",
                                            "parent_id": top.id})
        plain_rate, plain_cpu, report = timed_import(plain.id, start + m)
        assert report.created == m and not report.rejected, report
        settle_heap()  # settled again for the rest, as before
        few = min(m, max(m // 10, 2 * IMPORT_BATCH))  # at least two batches
        small, _ = peak_import(system, actor, into.id, start + 2 * m, few)
        large, _ = peak_import(system, actor, into.id, start + 2 * m + few, m)
        results.append(("import rows/s (created), as `ecrm import` runs it", import_rate,
                        core_rate, TARGETS["import"] if target.dialect == "sqlite" else None))
        results.append(("import rows per CPU-second of this process, as `ecrm import`",
                        import_cpu, core_cpu, None))
        results.append(("import rows/s (created), the heap not settled", plain_rate,
                        core_rate, None))
        results.append(("import rows per CPU-second, the heap not settled", plain_cpu,
                        core_cpu, None))
        results.append(("import rows/s (again: unchanged)", again_rate, None, None))
        results.append((f"import peak MiB ({few:,} / {m:,} rows)", (small, large), None,
                        None))
    finally:
        system.close()
    return results


def table(label: str, results: list[tuple]) -> str:
    lines = [f"\n{label}", "",
             "| measure | p50 ms | p95 ms | LIKE scan p50 ms | LIKE scan p95 ms "
             "| scan p95 ÷ p95 | target | met |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for name, value, base, target in results:
        if isinstance(value, Timing):
            b50 = f"{base.p50:.1f}" if base else ""
            b95 = f"{base.p95:.1f}" if base else ""
            ratio = f"{base.p95 / value.p95:.1f}×" if base else ""
            met = "yes" if value.p95 <= target else "NO"
            lines.append(f"| {name} | {value.p50:.1f} | {value.p95:.1f} | {b50} | {b95} "
                         f"| {ratio} | p95 ≤ {target:.0f} ms | {met} |")
        elif isinstance(value, tuple):
            bounded = value[1] <= 1.5 * value[0] + 1  # M rows cost about what fewer cost
            lines.append(f"| {name} | {value[0]:.1f} / {value[1]:.1f} MiB | | | | | bounded "
                         f"| {'yes' if bounded else 'NO'} |")
        else:
            unit = "rows/CPU-s" if "CPU" in name else "rows/s"
            extra = f"Core insert: {base:,.0f} {unit} ({value / base:.2f}×)" if base else ""
            goal = f"≥ {target:,.0f} rows/s" if target else ""
            met = ("yes" if value >= target else "NO") if target else ""
            lines.append(f"| {name} | {value:,.0f} {unit} | | {extra} | | | {goal} | {met} |")
    return "\n".join(lines)


def machine() -> str:
    load = os.getloadavg()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{platform.node()}: {os.cpu_count()} CPUs, {mem:.0f} GiB, "
            f"{platform.platform()}, Python {platform.python_version()}, SQLite "
            f"{sqlite3.sqlite_version}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="counterparties (N)")
    parser.add_argument("--import-rows", type=int, default=50_000,
                        help="rows imported through the service (M)")
    parser.add_argument("--repeat", type=int, default=300, help="calls per measure")
    parser.add_argument("--baseline-repeat", type=int, default=40,
                        help="LIKE scans per kind of query (each reads the whole table)")
    parser.add_argument("--pg", default=os.environ.get("ECRM_TEST_DATABASE_URL", ""),
                        help="PostgreSQL server URL (default: ECRM_TEST_DATABASE_URL)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--seed", type=int, default=20261129)
    args = parser.parse_args(argv)
    if not 1000 <= args.rows <= 2_500_000 or not 10 <= args.import_rows <= 200_000:
        parser.error("--rows between 1,000 and 2,500,000; --import-rows between 10 and "
                     "200,000 (the generated INNs are unique below 3,000,000 cards)")

    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    print(f"# client base benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"# {machine()}")
    print(f"# N = {args.rows:,} counterparties, {2 * args.rows:,} contacts; "
          f"{args.repeat} calls per measure, {args.baseline_repeat} LIKE scans per kind; "
          f"M = {args.import_rows:,} imported rows")
    targets = []
    folder = Path(tempfile.mkdtemp(prefix="ecrm-bench-"))
    try:
        if not args.no_sqlite:
            targets.append(sqlite_target(folder))
        if args.pg and not args.no_pg:
            targets.append(pg_target(args.pg))
        for manager in targets:
            with manager as target:
                started = time.perf_counter()
                results = run(target, args, folder, say)
                print(table(f"## {target.label} ({time.perf_counter() - started:.0f} s "
                            f"in all)", results), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n# peak RSS of the whole run: {rss:.0f} MiB; load average at the end "
          f"{os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())


# -- what the benchmarks of the later issues share -------------------------------------------


def timing_table(label: str, results: list[tuple]) -> str:
    """A markdown table of ``(measure, Timing, baseline Timing or None, target ms or
    None)`` rows: p50/p95, the baseline's and how many times slower it is, the target and
    whether p95 met it."""
    lines = [f"\n{label}", "",
             "| measure | p50 ms | p95 ms | baseline p50 ms | baseline p95 ms "
             "| baseline p95 ÷ p95 | target | met |",
             "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for name, value, base, target in results:
        b50 = f"{base.p50:.1f}" if base else ""
        b95 = f"{base.p95:.1f}" if base else ""
        ratio = f"{base.p95 / value.p95:.1f}×" if base else ""
        goal = f"p95 ≤ {target:.0f} ms" if target else ""
        met = ("yes" if value.p95 <= target else "NO") if target else ""
        lines.append(f"| {name} | {value.p50:.2f} | {value.p95:.2f} | {b50} | {b95} "
                     f"| {ratio} | {goal} | {met} |")
    return "\n".join(lines)


def add_target_options(parser) -> None:
    """``--pg``, ``--no-pg``, ``--no-sqlite`` (the databases a benchmark runs on)."""
    parser.add_argument("--pg", default=os.environ.get("ECRM_TEST_DATABASE_URL", ""),
                        help="PostgreSQL server URL (default: ECRM_TEST_DATABASE_URL)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")


def run_on_targets(args, run: Callable, header: list[str]) -> int:
    """Print ``header`` and the machine, then ``run(target, args, folder, say)`` on SQLite
    and PostgreSQL (as the options say), printing each one's ``timing_table``; the peak
    RSS at the end. Everything made goes at the end."""
    def say(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    for line in header:
        print(f"# {line}")
    print(f"# {machine()}")
    targets = []
    folder = Path(tempfile.mkdtemp(prefix="ecrm-bench-"))
    try:
        if not args.no_sqlite:
            targets.append(sqlite_target(folder))
        if args.pg and not args.no_pg:
            targets.append(pg_target(args.pg))
        for manager in targets:
            with manager as target:
                started = time.perf_counter()
                print(f"# load average at the start: {os.getloadavg()[0]:.2f}", flush=True)
                results = run(target, args, folder, say)
                print(timing_table(f"## {target.label} ({time.perf_counter() - started:.0f} s "
                                   f"in all; load average now {os.getloadavg()[0]:.2f})",
                                   results), flush=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\n# peak RSS of the whole run: {rss:.0f} MiB")
    return 0
