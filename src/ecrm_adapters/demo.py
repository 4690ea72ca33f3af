"""Demo data: a small Russian telecom company, built through the core's use cases (so
every object has its history rows, and messages their outbox rows, exactly as if people
had typed it in) — except the several thousand sales documents, which are the core's
aggregates stored through its unit of work in bulk (still with their history rows; see
``build_sales``).

    from ecrm_adapters.demo import build_demo
    credentials = build_demo(system)      # a fresh, migrated database
    print(credentials.login, credentials.password)

The result is deterministic: the same names, logins, phone numbers and ids every time
(the phone numbers come from a seeded random generator). ``build_demo`` leaves a marker
``demo.json`` in the data folder (``ECRM_DATA_DIR``) so ``ecrm serve`` can print the
demo login beside the address; the marker names the database it belongs to.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import attrs
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from ecrm_adapters.sqlalchemy.engine import normalise_url
from ecrm_core.access.model import Role, RoleAssignment
from ecrm_core.attributes import parse_defs
from ecrm_core.counterparties.requisites import account_error, name_key
from ecrm_core.deals.model import DEAL, Deal, DealPayment, DealStage, set_code
from ecrm_core.deals.services import NUMBER_PATTERN as DEAL_NUMBER_PATTERN
from ecrm_core.deals.services import calendar_of
from ecrm_core.documents.model import Document
from ecrm_core.kernel import refs
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.money import Money, vat_rate
from ecrm_core.products.model import Item, ItemGroup, ItemKind, Price, ServiceKind
from ecrm_core.sales.invoices import ACT_PATTERN, INVOICE_PATTERN
from ecrm_core.sales.model import (
    ACT,
    CONTRACT,
    INVOICE,
    Act,
    Contract,
    Invoice,
    Line,
    Payment,
    Request,
    RequestKind,
    Settlement,
    format_number,
    number_scope,
)
from ecrm_core.workflow.model import PlanPayment, StateSet

if TYPE_CHECKING:
    from ecrm_adapters.bootstrap import System
    from ecrm_adapters.settings import Settings

#: Every demo employee signs in with this password (the README names it).
DEMO_PASSWORD = "ecrm-demo"
DEMO_LOGIN = "director"
MARKER = "demo.json"
SEED = 20241128
#: How many counterparties ``ecrm demo`` loads unless told otherwise (--clients).
CLIENTS = 5000

COMPANY = "ООО «СибТелеком Сервис»"

#: key, name, parent key, description
DEPARTMENTS = [
    ("sales", "Отдел продаж", None,
     "Продажа услуг связи малому и среднему бизнесу Новосибирска и области"),
    ("key", "Отдел по работе с ключевыми клиентами", "sales",
     "Сопровождение крупных корпоративных клиентов и сетей филиалов"),
    ("support", "Техническая поддержка", None,
     "Подключение, диагностика и круглосуточная поддержка абонентов"),
    ("install", "Группа монтажа", "support",
     "Выездной монтаж оборудования, прокладка кабеля, пусконаладка"),
    ("accounting", "Бухгалтерия", None, "Счета, акты, сверка взаиморасчётов с клиентами"),
]

#: key, name, description
PROJECTS = [
    ("internet", "Интернет для бизнеса",
     "Выделенные каналы доступа в интернет для юридических лиц"),
    ("voip", "IP-телефония", "Виртуальная АТС, SIP-транки, многоканальные номера"),
    ("cctv", "Видеонаблюдение", "Облачное видеонаблюдение и монтаж камер на объектах клиентов"),
    ("cloud", "Облачные сервисы", "Виртуальные серверы и резервное копирование"),
]

#: login, full name, position, department key (None: reports to the Director), head login.
#: Heads come before the people who report to them.
EMPLOYEES = [
    ("t.belova", "Белова Татьяна Викторовна", "Коммерческий директор", None, "director"),
    ("e.kuznetsova", "Кузнецова Елена Александровна", "Руководитель отдела продаж", "sales",
     "t.belova"),
    ("d.morozov", "Морозов Дмитрий Игоревич",
     "Руководитель отдела по работе с ключевыми клиентами", "key", "e.kuznetsova"),
    ("s.volkov", "Волков Сергей Николаевич", "Начальник технической поддержки", "support",
     "director"),
    ("a.lebedev", "Лебедев Алексей Павлович", "Руководитель группы монтажа", "install",
     "s.volkov"),
    ("o.novikova", "Новикова Ольга Владимировна", "Главный бухгалтер", "accounting", "director"),
    ("a.smirnova", "Смирнова Анна Сергеевна", "Менеджер по продажам", "sales", "e.kuznetsova"),
    ("m.popov", "Попов Максим Андреевич", "Менеджер по продажам", "sales", "e.kuznetsova"),
    ("e.vasilieva", "Васильева Екатерина Олеговна", "Менеджер по продажам", "sales",
     "e.kuznetsova"),
    ("i.fedorov", "Фёдоров Илья Константинович", "Менеджер по продажам", "sales",
     "e.kuznetsova"),
    ("o.grigoriev", "Григорьев Олег Станиславович", "Менеджер по продажам", "sales",
     "e.kuznetsova"),
    ("n.mikhailova", "Михайлова Наталья Юрьевна", "Ведущий менеджер по работе с ключевыми "
     "клиентами", "key", "d.morozov"),
    ("a.kozlov", "Козлов Артём Валерьевич", "Менеджер по работе с ключевыми клиентами", "key",
     "d.morozov"),
    ("i.kovalev", "Ковалёв Игорь Николаевич", "Руководитель проектов", "support", "s.volkov"),
    ("p.egorov", "Егоров Павел Михайлович", "Инженер технической поддержки", "support",
     "s.volkov"),
    ("m.pavlova", "Павлова Мария Дмитриевна", "Инженер технической поддержки", "support",
     "s.volkov"),
    ("r.stepanov", "Степанов Роман Евгеньевич", "Инженер технической поддержки", "support",
     "s.volkov"),
    ("v.nikolaev", "Николаев Виктор Сергеевич", "Монтажник", "install", "a.lebedev"),
    ("e.orlov", "Орлов Евгений Александрович", "Монтажник", "install", "a.lebedev"),
    ("i.zakharova", "Захарова Ирина Петровна", "Бухгалтер", "accounting", "o.novikova"),
]

DIRECTOR = ("director", "Соколов Андрей Викторович", "Генеральный директор")

#: Department key -> login of its head.
HEADS = {
    "sales": "e.kuznetsova", "key": "d.morozov", "support": "s.volkov",
    "install": "a.lebedev", "accounting": "o.novikova",
}

#: An employee who has left: kept, but disabled (cannot sign in).
DISABLED = ("o.grigoriev",)

#: login, role, scope ("company" or "department:KEY" or "project:KEY"), project key or None
ROLES = [
    ("t.belova", Role.SALES_MANAGEMENT, "company", None),
    ("e.kuznetsova", Role.ADMINISTRATOR, "department:sales", None),
    ("e.kuznetsova", Role.SALES_MANAGEMENT, "department:sales", None),
    ("e.kuznetsova", Role.MANAGEMENT, "project:voip", None),
    ("d.morozov", Role.SALES_MANAGEMENT, "department:key", "internet"),
    ("d.morozov", Role.MANAGEMENT, "project:internet", None),
    ("s.volkov", Role.ADMINISTRATOR, "department:support", None),
    ("o.novikova", Role.ADMINISTRATOR, "department:accounting", None),
    ("i.kovalev", Role.MANAGEMENT, "project:cctv", None),
    ("i.kovalev", Role.MANAGEMENT, "project:cloud", None),
]

#: code, name, description — the one classifier of service types (ORG-5)
SERVICE_TYPES = [
    ("connection", "Подключение", "Подключение абонента к услуге связи"),
    ("subscription", "Абонентское обслуживание", "Ежемесячное обслуживание подключённых услуг"),
    ("installation", "Монтаж оборудования", "Установка и настройка оборудования у клиента"),
    ("consultation", "Консультация", "Подбор услуг и тарифов, ответы на вопросы клиента"),
    ("site_survey", "Выезд инженера", "Обследование объекта перед подключением"),
    ("billing", "Выставление счетов", "Счета, акты и закрывающие документы"),
]

#: owner ("department:KEY" / "project:KEY" / "employee:LOGIN"), service type code
SERVICES = [
    ("department:sales", "consultation"),
    ("department:key", "consultation"),
    ("department:support", "connection"),
    ("department:support", "subscription"),
    ("department:support", "site_survey"),
    ("department:install", "installation"),
    ("department:accounting", "billing"),
    ("project:internet", "connection"),
    ("project:internet", "subscription"),
    ("project:voip", "connection"),
    ("project:voip", "consultation"),
    ("project:cctv", "installation"),
    ("project:cloud", "subscription"),
    ("employee:a.smirnova", "consultation"),
    ("employee:m.popov", "consultation"),
    ("employee:n.mikhailova", "consultation"),
    ("employee:p.egorov", "connection"),
    ("employee:m.pavlova", "connection"),
    ("employee:r.stepanov", "site_survey"),
    ("employee:v.nikolaev", "installation"),
    ("employee:e.orlov", "installation"),
]

#: Services closed after opening (kept with their history), and ones made unavailable.
CLOSED_SERVICES = [("employee:r.stepanov", "site_survey")]
UNAVAILABLE_SERVICES = [("employee:e.orlov", "installation")]

#: sender login, recipient login, kind, text
MESSAGES = [
    ("e.kuznetsova", "director", "confirmation",
     "Прошу подтвердить скидку 15 % на подключение трёх офисов ООО «Альфа-Строй» "
     "(направление «Интернет для бизнеса»), договор на 24 месяца."),
    ("o.novikova", "director", "notification",
     "Акты сверки за III квартал отправлены всем ключевым клиентам."),
    ("s.volkov", "director", "reminder",
     "Утвердите, пожалуйста, график дежурств технической поддержки на праздничные дни "
     "до пятницы."),
    ("director", "e.kuznetsova", "notification", "План продаж на следующий месяц утверждён."),
    ("e.kuznetsova", "a.smirnova", "reminder",
     "Подготовить коммерческое предложение по IP-телефонии для ООО «Вектор» до среды."),
]


@attrs.frozen
class DemoCredentials:
    login: str
    password: str


def steps(clients: int = CLIENTS) -> int:
    """How many times ``build_demo`` calls its ``progress`` callback."""
    return (
        1 + len(DEPARTMENTS) + len(PROJECTS) + len(EMPLOYEES) + len(HEADS) + len(DISABLED)
        + len(ROLES) + len(SERVICE_TYPES) + len(SERVICES) + len(CLOSED_SERVICES)
        + len(UNAVAILABLE_SERVICES) + len(MESSAGES) + client_steps(clients) + task_steps()
        + sales_steps(clients) + deal_steps(clients) + order_steps()
    )


def build_demo(
    system: System, progress: Callable[[str], None] | None = None, clients: int = CLIENTS
) -> DemoCredentials:
    """Fill an empty, migrated database with the demo company and its client base of
    ``clients`` counterparties; return the login and password to print. Raises
    ``Conflict`` when the company already exists."""
    app = system.app
    tick = progress or (lambda _label: None)
    rng = random.Random(SEED)

    def phone() -> str:
        return f"+7 383 {rng.randint(200, 399)}-{rng.randint(10, 99):02d}-{rng.randint(10, 99):02d}"

    login, full_name, position = DIRECTOR
    director = app.org.found_company(COMPANY, {
        "login": login, "password": DEMO_PASSWORD, "full_name": full_name,
        "email": f"{login}@example.ru", "position": position, "phone": phone(),
        "timezone": "Asia/Novosibirsk",
    })
    me = director.id
    tick("company")
    company = app.org.company()

    departments: dict[str, int] = {}
    for key, name, parent, description in DEPARTMENTS:
        data = {"name": name, "description": description}
        if parent:
            data["parent_id"] = departments[parent]
        departments[key] = app.org.create_department(me, data).id
        tick("departments")

    projects: dict[str, int] = {}
    for key, name, description in PROJECTS:
        projects[key] = app.org.create_project(me, {"name": name, "description": description}).id
        tick("projects")

    people: dict[str, int] = {DIRECTOR[0]: me}
    for login, full_name, position, dep, head in EMPLOYEES:
        data = {
            "login": login, "password": DEMO_PASSWORD, "full_name": full_name,
            "email": f"{login}@example.ru", "position": position, "phone": phone(),
            "head_id": people[head], "timezone": "Asia/Novosibirsk",
        }
        if dep:
            data["department_id"] = departments[dep]
        people[login] = app.org.add_employee(me, data).id
        tick("employees")

    for key, head in HEADS.items():
        dep = app.org.department(me, departments[key])
        app.org.update_department(me, dep.id, {"head_id": people[head], "version": dep.version})
        tick("heads")

    for login in DISABLED:
        app.org.set_active(me, people[login], False)
        tick("employees")

    def ref(text: str) -> ObjectRef:
        kind, _, key = text.partition(":")
        if kind == refs.COMPANY:
            return company.ref
        table = {refs.DEPARTMENT: departments, refs.PROJECT: projects, refs.EMPLOYEE: people}
        return ObjectRef(kind, table[kind][key])

    for login, role, scope, project in ROLES:
        app.access.grant(me, people[login], role.value, ref(scope),
                         projects[project] if project else None)
        tick("roles")

    types: dict[str, int] = {}
    for code, name, description in SERVICE_TYPES:
        types[code] = app.org.create_service_type(
            me, {"code": code, "name": name, "description": description}
        ).id
        tick("service types")

    services: dict[tuple[str, str], int] = {}
    for owner, code in SERVICES:
        services[owner, code] = app.org.open_service(me, ref(owner), types[code]).id
        tick("services")
    for key in CLOSED_SERVICES:
        app.org.close_service(me, services[key])
        tick("services")
    for key in UNAVAILABLE_SERVICES:
        app.org.set_service_availability(me, services[key], False)
        tick("services")

    for sender, recipient, kind, body in MESSAGES:
        if kind == "confirmation":
            app.messages.request_confirmation(people[sender], people[recipient], body,
                                              subject=company.ref)
        else:
            app.messages.send(people[sender], {"recipient_id": people[recipient], "kind": kind,
                                               "text": body})
        tick("messages")

    build_clients(system, people, projects, clients, progress)
    build_tasks(system, people, projects, progress)
    build_sales(system, people, clients, progress)
    build_deals(system, people, projects, clients, progress)
    build_orders(system, people, clients, progress)  # ORD-1…ORD-3

    credentials = DemoCredentials(DEMO_LOGIN, DEMO_PASSWORD)
    write_marker(system.settings, credentials)
    return credentials


# -- the marker that tells `ecrm serve` it serves a demo database ---------------------


def _masked(url: str) -> str:
    return make_url(normalise_url(url)).render_as_string(hide_password=True)


def marker_path(settings: Settings) -> Path:
    return Path(settings.data_dir) / MARKER


def write_marker(settings: Settings, credentials: DemoCredentials) -> None:
    path = marker_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "database_url": _masked(settings.database_url),
        "login": credentials.login, "password": credentials.password,
    }, ensure_ascii=False, indent=2))


def demo_credentials(system: System) -> DemoCredentials | None:
    """The demo login of the database ``system`` uses, if ``ecrm demo`` built it."""
    path = marker_path(system.settings)
    try:
        data = json.loads(path.read_text())
        if data["database_url"] != _masked(system.settings.database_url):
            return None
        credentials = DemoCredentials(str(data["login"]), str(data["password"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if system.app.org.employee_by_login(credentials.login) is None:
        return None
    return credentials


def forget_marker(settings: Settings) -> None:
    marker_path(settings).unlink(missing_ok=True)


# -- starting afresh (`ecrm demo --force`) --------------------------------------------


def wipe_database(settings: Settings) -> None:
    """Drop everything: delete the SQLite file, or drop and re-create the current
    PostgreSQL schema. The caller migrates afterwards."""
    url = make_url(normalise_url(settings.database_url))
    forget_marker(settings)
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(url.database + suffix).unlink(missing_ok=True)
        return
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
            quoted = conn.dialect.identifier_preparer.quote(schema)
            conn.execute(text(f"DROP SCHEMA {quoted} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {quoted}"))
    finally:
        engine.dispose()


# -- the client base (chapter 5): catalogs and several thousand counterparties ------------
#
# Requisites are generated with their check digits computed (INN, OGRN, OGRNIP), in the
# regions of real Russian cities, with those cities' postcodes and phone codes; names,
# addresses, e-mails and people are drawn from the lists below by a seeded generator, so
# the client base is the same every time. Cards are loaded through
# ``CounterpartyService.import_rows`` (validation, history), branches through
# ``register``, contacts through ``add_contact``, client managers through "assign
# responsible" with both confirmations (a few left pending, one refused) or granted by
# the Director, deletion marks through ``mark_deleted``.

#: name, region code, tax offices, phone code, postcode prefix, in which city (prepositional),
#: adjective (m, f, n), a few streets of its own
CITIES: list[tuple[str, str, tuple[str, ...], str, str, str, tuple[str, str, str],
                   tuple[str, ...]]] = [
    ("Новосибирск", "54", ("02", "05", "06", "07", "10"), "383", "630", "Новосибирске",
     ("Новосибирский", "Новосибирская", "Новосибирское"),
     ("Красный проспект", "ул. Писарева", "ул. Серебренниковская", "ул. Фрунзе")),
    ("Москва", "77", ("01", "03", "05", "07", "09", "10", "13", "17", "19", "24", "31"),
     "495", "1", "Москве", ("Московский", "Московская", "Московское"),
     ("ул. Тверская", "Ленинградский пр-т", "ул. Большая Якиманка", "ул. Новый Арбат")),
    ("Санкт-Петербург", "78", ("02", "04", "06", "10", "13", "16"), "812", "19",
     "Санкт-Петербурге", ("Петербургский", "Петербургская", "Петербургское"),
     ("Невский пр-т", "Лиговский пр-т", "ул. Садовая", "Московский пр-т")),
    ("Екатеринбург", "66", ("58", "59", "70", "71", "79"), "343", "620", "Екатеринбурге",
     ("Екатеринбургский", "Екатеринбургская", "Екатеринбургское"),
     ("ул. Малышева", "ул. 8 Марта", "ул. Вайнера")),
    ("Казань", "16", ("55", "56", "57", "59"), "843", "420", "Казани",
     ("Казанский", "Казанская", "Казанское"), ("ул. Баумана", "ул. Островского")),
    ("Нижний Новгород", "52", ("57", "58", "59", "60", "62"), "831", "603", "Нижнем Новгороде",
     ("Нижегородский", "Нижегородская", "Нижегородское"),
     ("ул. Большая Покровская", "ул. Рождественская")),
    ("Челябинск", "74", ("47", "48", "51", "53"), "351", "454", "Челябинске",
     ("Челябинский", "Челябинская", "Челябинское"), ("пр-т Ленина", "ул. Кирова")),
    ("Самара", "63", ("15", "16", "17", "18"), "846", "443", "Самаре",
     ("Самарский", "Самарская", "Самарское"), ("ул. Куйбышева", "Московское ш.")),
    ("Омск", "55", ("01", "03", "04", "07"), "3812", "644", "Омске",
     ("Омский", "Омская", "Омское"), ("ул. Ленина", "ул. Маршала Жукова")),
    ("Ростов-на-Дону", "61", ("61", "63", "64", "65"), "863", "344", "Ростове-на-Дону",
     ("Ростовский", "Ростовская", "Ростовское"), ("ул. Большая Садовая", "пр-т Будённовский")),
    ("Уфа", "02", ("74", "76", "77", "78"), "347", "450", "Уфе",
     ("Уфимский", "Уфимская", "Уфимское"), ("ул. Ленина", "пр-т Октября")),
    ("Красноярск", "24", ("60", "61", "63", "64", "65"), "391", "660", "Красноярске",
     ("Красноярский", "Красноярская", "Красноярское"), ("пр-т Мира", "ул. Карла Маркса")),
    ("Пермь", "59", ("02", "03", "04", "05", "06"), "342", "614", "Перми",
     ("Пермский", "Пермская", "Пермское"), ("Комсомольский пр-т", "ул. Ленина")),
    ("Воронеж", "36", ("61", "62", "63", "64", "65"), "473", "394", "Воронеже",
     ("Воронежский", "Воронежская", "Воронежское"), ("пр-т Революции", "ул. Плехановская")),
    ("Волгоград", "34", ("43", "44", "45", "46"), "8442", "400", "Волгограде",
     ("Волгоградский", "Волгоградская", "Волгоградское"), ("пр-т Ленина", "ул. Мира")),
    ("Томск", "70", ("17", "18", "19", "20"), "3822", "634", "Томске",
     ("Томский", "Томская", "Томское"), ("пр-т Ленина", "ул. Учебная")),
    ("Барнаул", "22", ("21", "22", "23", "24", "25"), "3852", "656", "Барнауле",
     ("Барнаульский", "Барнаульская", "Барнаульское"), ("пр-т Ленина", "пр-т Строителей")),
    ("Краснодар", "23", ("08", "09", "10", "11", "12"), "861", "350", "Краснодаре",
     ("Краснодарский", "Краснодарская", "Краснодарское"), ("ул. Красная", "ул. Северная")),
    ("Тюмень", "72", ("02", "03", "04"), "3452", "625", "Тюмени",
     ("Тюменский", "Тюменская", "Тюменское"), ("ул. Республики", "ул. Мельникайте")),
    ("Иркутск", "38", ("08", "09", "10", "11", "12"), "3952", "664", "Иркутске",
     ("Иркутский", "Иркутская", "Иркутское"), ("ул. Карла Маркса", "ул. Ленина")),
]
CITY = {c[0]: c for c in CITIES}
STREETS = (
    "ул. Ленина", "ул. Советская", "ул. Мира", "ул. Гагарина", "ул. Кирова", "ул. Пушкина",
    "ул. Октябрьская", "ул. Садовая", "ул. Московская", "ул. Карла Маркса",
    "ул. Первомайская", "ул. Заводская", "ул. Промышленная", "ул. Победы", "ул. Чапаева",
    "ул. Фрунзе", "ул. Свердлова", "пр-т Строителей", "ул. Лермонтова", "ул. Толстого",
    "ул. Горького", "ул. Калинина", "ул. Маяковского", "пер. Почтовый", "ул. Береговая",
    "ул. Луговая", "ул. Лесная", "ул. Северная", "ул. Школьная", "ул. Энергетиков",
)
MOBILE_CODES = ("903", "905", "913", "916", "923", "926", "952", "961", "983", "999")

NAME_STARTS = (
    "Сиб", "Урал", "Волга", "Техно", "Строй", "Агро", "Энерго", "Транс", "Мед", "Фарм",
    "Инфо", "Теле", "Пром", "Металл", "Лес", "Авто", "Хим", "Электро", "Нефте", "Газ",
    "Гео", "Эко", "Интер", "Евро", "Нова", "Альфа", "Вектор", "Орион", "Сигма", "Дельта",
    "Омега", "Север", "Восток", "Кедр", "Алмаз", "Гранит", "Меридиан", "Аква", "Тепло",
    "Стальс",
)
NAME_ENDS = (
    "Сервис", "Строй", "Торг", "Снаб", "Ком", "Лайн", "Групп", "Инвест", "Систем",
    "Логистик", "Технологии", "Пром", "Трейд", "Маркет", "Профи", "Центр", "Холдинг",
    "Монтаж", "Проект", "Плюс", "Альянс", "Ресурс", "Тех", "Комплект", "Сеть",
)
#: gender of the adjective (0 m, 1 f, 2 n), what the company is
NAME_NOUNS = (
    (0, "завод металлоконструкций"), (0, "торговый дом"), (0, "автоцентр"),
    (0, "хлебозавод"), (0, "молочный комбинат"), (0, "комбинат строительных материалов"),
    (0, "деловой центр"), (0, "завод железобетонных изделий"), (1, "транспортная компания"),
    (1, "строительная компания"), (1, "мебельная фабрика"), (1, "типография"),
    (1, "стоматологическая клиника"), (1, "управляющая компания"),
    (1, "логистическая компания"), (1, "энергосбытовая компания"), (1, "швейная фабрика"),
    (1, "сеть аптек"), (2, "агентство недвижимости"), (2, "рекламное агентство"),
    (2, "производственное объединение"), (2, "кадровое агентство"),
)
#: short form, full form, share
LEGAL_FORMS = (
    ("ООО", "Общество с ограниченной ответственностью", 75),
    ("АО", "Акционерное общество", 12),
    ("ПАО", "Публичное акционерное общество", 3),
    ("ЗАО", "Закрытое акционерное общество", 4),
    ("НАО", "Непубличное акционерное общество", 2),
    ("АНО", "Автономная некоммерческая организация", 4),
)
STATE_FORMS = (
    ("МУП", "Муниципальное унитарное предприятие"),
    ("ГУП", "Государственное унитарное предприятие"),
    ("ФГУП", "Федеральное государственное унитарное предприятие"),
)
STATE_NOUNS = (
    "Водоканал", "Горэлектросеть", "Теплосеть", "Пассажиравтотранс", "Городские аптеки",
    "Дорожное ремонтно-строительное управление", "Ритуальные услуги", "Жилищник",
    "Центр информационных технологий", "Почтовая связь",
)
SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов",
    "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров",
    "Павлов", "Козлов", "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин",
    "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев", "Романов",
    "Воробьёв", "Сергеев", "Кузьмин", "Фролов", "Александров", "Дмитриев", "Королёв",
    "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин", "Виноградов", "Ковалёв",
    "Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов", "Комаров",
    "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров",
)
#: first name, patronymic (m), patronymic (f)
MEN = (
    ("Александр", "Александрович", "Александровна"), ("Алексей", "Алексеевич", "Алексеевна"),
    ("Андрей", "Андреевич", "Андреевна"), ("Артём", "Артёмович", "Артёмовна"),
    ("Владимир", "Владимирович", "Владимировна"), ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"), ("Иван", "Иванович", "Ивановна"),
    ("Игорь", "Игоревич", "Игоревна"), ("Максим", "Максимович", "Максимовна"),
    ("Михаил", "Михайлович", "Михайловна"), ("Николай", "Николаевич", "Николаевна"),
    ("Олег", "Олегович", "Олеговна"), ("Павел", "Павлович", "Павловна"),
    ("Роман", "Романович", "Романовна"), ("Сергей", "Сергеевич", "Сергеевна"),
    ("Юрий", "Юрьевич", "Юрьевна"), ("Виктор", "Викторович", "Викторовна"),
    ("Константин", "Константинович", "Константиновна"), ("Никита", "Никитич", "Никитична"),
)
WOMEN = ("Анна", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Мария",
         "Екатерина", "Юлия", "Марина", "Людмила", "Галина", "Дарья", "Алина", "Ксения")
POSITIONS = (
    "Генеральный директор", "Главный бухгалтер", "Коммерческий директор",
    "Менеджер по закупкам", "Офис-менеджер", "Системный администратор",
    "Начальник отдела снабжения", "Юрист", "Руководитель ИТ-отдела",
    "Заместитель директора", "Главный инженер", "Администратор",
)
NOTES = (
    "Предпочитает связь по e-mail.", "Решения согласует с собственником.",
    "Звонить после 14:00 по местному времени.", "Отвечает за продление договора.",
    "Лицо, принимающее решение.", "В отпуске каждый август.", "",
)
OKVEDS = (
    "62.01 Разработка компьютерного программного обеспечения",
    "46.90 Торговля оптовая неспециализированная",
    "41.20 Строительство жилых и нежилых зданий",
    "49.41 Деятельность автомобильного грузового транспорта",
    "47.11 Торговля розничная преимущественно пищевыми продуктами",
    "68.20 Аренда и управление собственным или арендованным недвижимым имуществом",
    "10.71 Производство хлеба и мучных кондитерских изделий",
    "25.11 Производство строительных металлических конструкций",
    "86.23 Стоматологическая практика", "73.11 Деятельность рекламных агентств",
    "43.21 Производство электромонтажных работ", "35.14 Торговля электроэнергией",
    "18.12 Прочие виды полиграфической деятельности",
    "45.11 Торговля легковыми автомобилями", "36.00 Забор, очистка и распределение воды",
)
SOURCES = ("Сайт", "Выставка", "Рекомендация", "Холодный звонок", "Тендер")
MAIL_DOMAINS = ("mail.ru", "yandex.ru", "gmail.com", "bk.ru", "list.ru", "inbox.ru")
TRANSLIT = dict(zip(
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n", "o", "p",
     "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya"],
    strict=True))

# -- requisites with their check digits ---------------------------------------------------

_W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_W11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_W12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


def _serial(rng: random.Random, length: int) -> str:
    return "".join(str(rng.randint(0, 9)) for _ in range(length))


def legal_inn(rng: random.Random, region: str, office: str | None = None) -> str:
    """A legal entity's INN: region, tax office, a serial number and the check digit."""
    nine = region + (office or f"{rng.randint(1, 99):02d}") + _serial(rng, 5)
    return nine + _inn_digit(nine, _W10)


def person_inn(rng: random.Random, region: str, office: str | None = None) -> str:
    """An individual's or sole proprietor's INN (12 digits, two check digits)."""
    ten = region + (office or f"{rng.randint(1, 99):02d}") + _serial(rng, 6)
    eleven = ten + _inn_digit(ten, _W11)
    return eleven + _inn_digit(eleven, _W12)


def ogrn(rng: random.Random, region: str, year: int, office: str | None = None) -> str:
    """OGRN: 1 (or 5), the year, region, tax office, record number, check digit."""
    twelve = (rng.choice("15") + f"{year % 100:02d}" + region
              + (office or f"{rng.randint(1, 99):02d}") + _serial(rng, 5))
    return twelve + str(int(twelve) % 11 % 10)


def ogrnip(rng: random.Random, region: str, year: int) -> str:
    """OGRNIP: 3, the year, region, a record number, the check digit (mod 13)."""
    fourteen = "3" + f"{year % 100:02d}" + region + _serial(rng, 9)
    return fourteen + str(int(fourteen) % 13 % 10)


def kpp(inn_start: str, reason: str = "01") -> str:
    """KPP of an organisation registered where its INN was issued (reason 01; 43: a
    branch)."""
    return inn_start[:4] + reason + "001"


def translit(text: str) -> str:
    out = "".join(TRANSLIT.get(ch, ch) for ch in text.lower())
    return re.sub(r"[^a-z0-9]+", "-", out).strip("-")


# -- the plan ------------------------------------------------------------------------------


@attrs.frozen
class CatalogSpec:
    key: str
    name: str
    parent: str | None
    curator: str  # login; a nested catalog is created by its parent's curator
    description: str
    kind: str  # what its cards are: corporate, state, chains, small, sole, private, partners, archive
    cities: tuple[str, ...]
    share: int  # of CLIENTS, in 1/5000


CATALOGS = (
    CatalogSpec("clients", "Клиенты", None, "director", "Все клиенты компании", "", (), 0),
    CatalogSpec("corporate", "Корпоративные клиенты", "clients", "e.kuznetsova",
                "Юридические лица: договоры на связь и обслуживание", "", (), 0),
    CatalogSpec("nsk", "Новосибирск", "corporate", "e.kuznetsova",
                "Корпоративные клиенты Новосибирска и области", "corporate",
                ("Новосибирск",), 900),
    CatalogSpec("siberia", "Сибирь", "corporate", "e.kuznetsova",
                "Томск, Омск, Барнаул, Красноярск, Иркутск", "corporate",
                ("Томск", "Омск", "Барнаул", "Красноярск", "Иркутск"), 600),
    CatalogSpec("capitals", "Москва и Санкт-Петербург", "corporate", "e.kuznetsova",
                "Филиалы и офисы клиентов в столицах", "corporate",
                ("Москва", "Санкт-Петербург"), 500),
    CatalogSpec("ural_volga", "Урал и Поволжье", "corporate", "e.kuznetsova", "",
                "corporate", ("Екатеринбург", "Челябинск", "Пермь", "Тюмень", "Казань",
                              "Самара", "Нижний Новгород", "Уфа", "Волгоград"), 600),
    CatalogSpec("south", "Юг России", "corporate", "e.kuznetsova", "", "corporate",
                ("Ростов-на-Дону", "Краснодар", "Воронеж"), 300),
    CatalogSpec("key", "Ключевые клиенты", "clients", "d.morozov",
                "Крупные клиенты с персональным сопровождением", "", (), 0),
    CatalogSpec("chains", "Федеральные сети", "key", "d.morozov",
                "Сети магазинов, аптек и офисов с филиалами в регионах", "chains",
                ("Москва", "Новосибирск", "Санкт-Петербург", "Екатеринбург"), 40),
    CatalogSpec("state", "Государственный сектор", "key", "d.morozov",
                "Муниципальные и государственные предприятия", "state",
                ("Новосибирск", "Томск", "Барнаул", "Омск"), 60),
    CatalogSpec("small", "Малый бизнес", "clients", "e.kuznetsova",
                "Малые предприятия и предприниматели", "", (), 0),
    CatalogSpec("sole", "Индивидуальные предприниматели", "small", "e.kuznetsova", "",
                "sole", ("Новосибирск", "Томск", "Барнаул", "Омск"), 700),
    CatalogSpec("small_firms", "Малые предприятия", "small", "e.kuznetsova", "",
                "small", ("Новосибирск", "Томск", "Барнаул"), 500),
    CatalogSpec("private", "Частные лица", "clients", "e.kuznetsova",
                "Физические лица: домашний интернет и видеонаблюдение", "private",
                ("Новосибирск",), 450),
    CatalogSpec("partners", "Партнёры и поставщики", None, "director",
                "Поставщики оборудования и субподрядчики", "", (), 0),
    CatalogSpec("suppliers", "Поставщики оборудования", "partners", "director", "",
                "partners", ("Москва", "Санкт-Петербург", "Новосибирск", "Екатеринбург"), 80),
    CatalogSpec("subcontractors", "Субподрядчики по монтажу", "partners", "director", "",
                "partners", ("Новосибирск", "Томск", "Барнаул"), 70),
    CatalogSpec("archive", "Архив", None, "director",
                "Бывшие клиенты: ликвидированные и закрытые", "archive",
                ("Новосибирск", "Томск", "Омск"), 200),
)
#: Curators appointed after creation (the catalog was made by someone else).
CATALOG_CURATORS = {"subcontractors": "a.lebedev", "suppliers": "s.volkov"}
#: Employees who may register clients in a catalog (CLIENT_REGISTRAR, granted by its curator).
REGISTRARS = (("small", "a.smirnova"), ("small", "m.popov"), ("private", "e.vasilieva"))
#: catalog key -> (who assigns, the managers to choose from, directions to use)
MANAGERS = {
    "nsk": ("e.kuznetsova", ("a.smirnova", "m.popov", "e.vasilieva", "i.fedorov"),
            (None, "internet", "voip")),
    "siberia": ("e.kuznetsova", ("m.popov", "i.fedorov"), (None, "internet")),
    "capitals": ("e.kuznetsova", ("e.vasilieva",), (None,)),
    "chains": ("d.morozov", ("n.mikhailova", "a.kozlov"), (None, "internet", "cctv")),
    "state": ("d.morozov", ("n.mikhailova", "a.kozlov"), (None, "cloud")),
    "small_firms": ("e.kuznetsova", ("a.smirnova", "m.popov"), (None,)),
}
#: "assign responsible" requests made through the confirmations; of the last ones, this
#: many stay pending and one is refused
CONFIRMED_ASSIGNMENTS = 30
PENDING_ASSIGNMENTS = 3
REFUSAL = "Перегружен текущими клиентами, прошу назначить другого менеджера."


@attrs.frozen
class ClientPlan:
    rows: dict[str, list[dict]]  # catalog key -> card fields for import_rows
    branches: list[tuple[str, dict, list[dict]]]  # catalog, parent row, branch rows
    contacts: list[tuple[str, dict, list[dict]]]  # catalog, card row, contacts
    #: catalog, card row, employee login, direction (project key), "yes"/"pending"/"no"
    assignments: list[tuple[str, dict, str, str | None, str]]
    grants: list[tuple[str, dict, str]]  # catalog, card row, employee login (by the Director)
    deletions: list[tuple[str, dict]]


def _counts(clients: int) -> dict[str, int]:
    """How many cards each catalog gets: CLIENTS spread by the catalogs' shares."""
    shares = {c.key: c.share for c in CATALOGS if c.share}
    total = sum(shares.values())
    counts = {k: clients * s // total for k, s in shares.items()}
    rest = clients - sum(counts.values())
    for key in sorted(shares, key=lambda k: -shares[k])[:rest]:
        counts[key] += 1
    return counts


class _Maker:
    """Draws realistic, unique card fields from the lists above."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.inns: set[str] = set()
        self.keys: set[str] = set()
        self.domains: set[str] = set()
        self.phones: set[str] = set()

    def person(self, female: bool | None = None) -> tuple[str, str, str]:
        rng = self.rng
        female = rng.random() < 0.45 if female is None else female
        surname = rng.choice(SURNAMES)
        if female:
            return surname + "а", rng.choice(WOMEN), rng.choice(MEN)[2]
        first, patronymic, _ = rng.choice(MEN)
        return surname, first, patronymic

    def unique_inn(self, make) -> str:
        while True:
            value = make()
            if value not in self.inns:
                self.inns.add(value)
                return value

    def phone(self, city: str | None) -> str:
        rng = self.rng
        while True:
            if city is None:
                number = (f"+7 ({rng.choice(MOBILE_CODES)}) {rng.randint(100, 999)}-"
                          f"{rng.randint(10, 99)}-{rng.randint(10, 99)}")
            else:
                code = CITY[city][3] if city in CITY else "383"
                local = 10 - len(code)
                digits = str(rng.randint(2, 3)) + _serial(rng, local - 1)
                grouped = (f"{digits[:-4]}-{digits[-4:-2]}-{digits[-2:]}")
                number = f"+7 ({code}) {grouped}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def address(self, city: str) -> str:
        rng = self.rng
        spec = CITY.get(city)
        if spec is None:
            return f"г. {city}, {rng.choice(STREETS)}, д. {rng.randint(1, 150)}"
        prefix = spec[4]
        if len(prefix) == 1:  # Moscow: 101000-129999
            postcode = f"1{rng.randint(1, 29):02d}{rng.randint(0, 999):03d}"
        elif len(prefix) == 2:
            postcode = f"{prefix}{rng.randint(0, 9999):04d}"
        else:
            postcode = f"{prefix}{rng.randint(0, 120):03d}"
        street = rng.choice(spec[7] + STREETS)
        place = f"д. {rng.randint(1, 180)}"
        if rng.random() < 0.3:
            place += f", корп. {rng.randint(1, 5)}"
        if rng.random() < 0.6:
            place += f", офис {rng.randint(1, 45)}{rng.randint(0, 9)}"
        return f"{postcode}, г. {city}, {street}, {place}"

    def domain(self, words: str, city: str) -> str:
        base = translit(words)[:24].strip("-") or "company"
        tld = self.rng.choices((".ru", ".com", ".su", ".net"), (85, 8, 3, 4))[0]
        candidate = base + tld
        if candidate in self.domains:
            candidate = f"{base}-{translit(city)[:5]}{tld}"
        n = 2
        while candidate in self.domains:
            candidate = f"{base}{n}{tld}"
            n += 1
        self.domains.add(candidate)
        return candidate

    def company_name(self, city: str) -> str:
        """A name without its legal form («ТехноСервис», «Томская транспортная компания»)."""
        rng = self.rng
        while True:
            if rng.random() < 0.7:
                name = rng.choice(NAME_STARTS) + rng.choice(NAME_ENDS)
                if rng.random() < 0.15:
                    name += f"-{city}"
            else:
                gender, noun = rng.choice(NAME_NOUNS)
                adjective = CITY[city][6][gender] if city in CITY else "Сибирский"
                name = f"{adjective} {noun}"
                name = name[0].upper() + name[1:]
            key = name_key(name)
            if key not in self.keys:
                self.keys.add(key)
                return name

    def legal(self, city: str, forms=LEGAL_FORMS, state: bool = False) -> dict:
        rng = self.rng
        spec = CITY.get(city, CITY["Новосибирск"])
        region, office = spec[1], rng.choice(spec[2])
        if state:
            short, full = rng.choice(STATE_FORMS)
            base = f"{rng.choice(STATE_NOUNS)} г. {city}"
            while name_key(base) in self.keys:
                base = f"{rng.choice(STATE_NOUNS)} г. {city} № {rng.randint(2, 9)}"
            self.keys.add(name_key(base))
        else:
            short, full, _share = rng.choices(forms, [f[2] for f in forms])[0]
            base = self.company_name(city)
        inn = self.unique_inn(lambda: legal_inn(rng, region, office))
        year = rng.randint(2002, 2023)
        status = rng.choices(("active", "liquidating", "liquidated", "bankrupt",
                              "reorganising"), (92, 3, 2, 1, 2))[0]
        domain = self.domain(base, city)
        surname, first, patronymic = self.person()
        row = {
            "type": "legal_entity", "name": f"{short} «{base}»",
            "full_name": f"{full} «{base}»", "inn": inn, "kpp": kpp(inn),
            "ogrn": ogrn(rng, region, year, office), "legal_address": self.address(city),
            "phone": self.phone(city),
            "email": f"{rng.choice(('info', 'office', 'mail', 'sales', 'secretary'))}@{domain}",
            "status": status, "okved": rng.choice(OKVEDS),
            "head": f"{surname} {first} {patronymic}",
        }
        if rng.random() < 0.3:
            row["postal_address"] = (self.address(city) if rng.random() < 0.7 else
                                     f"{row['legal_address'].split(',')[0]}, г. {city}, "
                                     f"а/я {rng.randint(10, 999)}")
        if rng.random() < 0.25:
            row["mailing_email"] = f"news@{domain}"
        if rng.random() < 0.1:
            row["export_1c"] = True
        if rng.random() < 0.3:
            row["extra"] = {"Источник": rng.choice(SOURCES),
                            "Сотрудников": rng.choice((10, 25, 50, 120, 300, 1500))}
        return row

    def sole(self, city: str) -> dict:
        rng = self.rng
        spec = CITY.get(city, CITY["Новосибирск"])
        while True:
            surname, first, patronymic = self.person()
            short = f"ИП {surname} {first[0]}. {patronymic[0]}."
            if name_key(short) not in self.keys:
                break
        self.keys.add(name_key(short))
        full = f"{surname} {first} {patronymic}"
        row = {
            "type": "sole_proprietor", "name": short,
            "full_name": f"Индивидуальный предприниматель {full}",
            "inn": self.unique_inn(lambda: person_inn(rng, spec[1])),
            "ogrn": ogrnip(rng, spec[1], rng.randint(2004, 2023)),
            "legal_address": self.address(city), "phone": self.phone(None),
            "email": f"{translit(surname)}.{translit(first)[0]}@{rng.choice(MAIL_DOMAINS)}",
            "okved": rng.choice(OKVEDS), "head": full,
        }
        if rng.random() < 0.4:
            row["sms_phone"] = row["phone"]
        return row

    def private(self, city: str) -> dict:
        rng = self.rng
        spec = CITY.get(city, CITY["Новосибирск"])
        surname, first, patronymic = self.person()
        name = f"{surname} {first} {patronymic}"
        while name_key(name) in self.keys:
            surname, first, patronymic = self.person()
            name = f"{surname} {first} {patronymic}"
        self.keys.add(name_key(name))
        row = {"type": "individual", "name": name, "legal_address": self.address(city),
               "phone": self.phone(None)}
        if rng.random() < 0.6:
            row["inn"] = self.unique_inn(lambda: person_inn(rng, spec[1]))
        if rng.random() < 0.7:
            row["email"] = (f"{translit(first)}.{translit(surname)}{rng.randint(70, 99)}@"
                            f"{rng.choice(MAIL_DOMAINS)}")
        if rng.random() < 0.5:
            row["sms_phone"] = row["phone"]
        return row

    def contact(self, card: dict) -> dict:
        rng = self.rng
        surname, first, patronymic = self.person()
        domain = card.get("email", "@example.ru").split("@")[-1]
        data = {
            "full_name": f"{surname} {first} {patronymic}",
            "position": rng.choice(POSITIONS),
            "phones": [self.phone(None)] + ([self.phone(card.get("legal_address", "")
                                                        .split("г. ")[-1].split(",")[0])]
                                            if rng.random() < 0.3 else []),
            "emails": [f"{translit(surname)}.{translit(first)[0]}@{domain}"],
            "note": rng.choice(NOTES),
        }
        if rng.random() < 0.5:
            data["birthday"] = (f"{rng.randint(1955, 1998)}-{rng.randint(1, 12):02d}-"
                                f"{rng.randint(1, 28):02d}")
        return data


def plan_clients(clients: int = CLIENTS) -> ClientPlan:
    """The client base of the demo, as data (deterministic for a given size)."""
    rng = random.Random(SEED + 5)
    make = _Maker(rng)
    rows: dict[str, list[dict]] = {}
    branches: list[tuple[str, dict, list[dict]]] = []
    for spec in CATALOGS:
        n = _counts(clients).get(spec.key, 0)
        out: list[dict] = []
        for i in range(n):
            city = spec.cities[i % len(spec.cities)] if spec.cities else "Новосибирск"
            if spec.kind == "sole":
                out.append(make.sole(city))
            elif spec.kind == "private":
                out.append(make.private(city))
            elif spec.kind == "state":
                out.append(make.legal(city, state=True))
            elif spec.kind == "small":
                out.append(make.legal(city, forms=LEGAL_FORMS[:1]))
            elif spec.kind == "archive":
                row = rng.choice((make.legal, make.sole))(city)
                row["status"] = rng.choice(("liquidated", "liquidated", "bankrupt", "active"))
                out.append(row)
            else:
                out.append(make.legal(city))
        rows[spec.key] = out
        if spec.kind == "chains":
            for parent in out[: max(1, len(out) // 5)]:
                cities = rng.sample([c[0] for c in CITIES if c[0] not in parent["legal_address"]],
                                    rng.randint(2, 4))
                branch_rows = []
                for city in cities:
                    spec_city = CITY[city]
                    branch_rows.append({
                        "type": "legal_entity",
                        "name": f"{parent['name']} — филиал в {spec_city[5]}",
                        "full_name": f"Филиал {parent['full_name']} в {spec_city[5]}",
                        "inn": parent["inn"],
                        "kpp": spec_city[1] + rng.choice(spec_city[2]) + "43001",
                        "legal_address": make.address(city), "phone": make.phone(city),
                        "email": f"{translit(city)[:12]}@{parent['email'].split('@')[1]}",
                        "head": " ".join(make.person()),
                    })
                branches.append((spec.key, parent, branch_rows))
    contacts = []
    for key, cards in rows.items():
        if key in ("private", "archive"):
            continue
        for card in cards:
            if rng.random() < 0.1:
                contacts.append((key, card, [make.contact(card)
                                             for _ in range(rng.choice((1, 1, 1, 2, 3)))]))
    assignments: list[tuple[str, dict, str, str | None, str]] = []
    grants: list[tuple[str, dict, str]] = []
    for key, (_assigner, managers, _directions) in MANAGERS.items():
        for card in rows.get(key, []):
            if rng.random() < 0.12:
                grants.append((key, card, rng.choice(managers)))
    for key, card, login in list(grants[:CONFIRMED_ASSIGNMENTS + PENDING_ASSIGNMENTS + 1]):
        grants.remove((key, card, login))
        directions = MANAGERS[key][2]
        assignments.append((key, card, login, rng.choice(directions), "yes"))
    for i in range(1, min(len(assignments), PENDING_ASSIGNMENTS + 1) + 1):
        key, card, login, direction, _ = assignments[-i]
        assignments[-i] = (key, card, login, direction, "pending" if i > 1 else "no")
    deletions = [("archive", card) for card in rows.get("archive", [])
                 if card.get("status") != "active" and rng.random() < 0.5]
    return ClientPlan(rows, branches, contacts, assignments, grants, deletions)


IMPORT_CHUNK = 250


def client_steps(clients: int = CLIENTS) -> int:
    """How many times ``build_clients`` calls its ``progress`` callback."""
    plan = plan_clients(clients)
    chunks = sum(-(-len(r) // IMPORT_CHUNK) for r in plan.rows.values())
    return (len(CATALOGS) + len(CATALOG_CURATORS) + len(REGISTRARS) + chunks
            + len(plan.branches) + len(plan.contacts) + len(plan.assignments)
            + -(-len(plan.grants) // 20) + len(plan.deletions))


def build_clients(system: System, people: dict[str, int], projects: dict[str, int],
                  clients: int = CLIENTS, progress: Callable[[str], None] | None = None
                  ) -> dict[str, int]:
    """Load the client base through the use cases; returns catalog key -> id."""
    app = system.app
    tick = progress or (lambda _label: None)
    plan = plan_clients(clients)
    me = people[DIRECTOR[0]]

    catalogs: dict[str, int] = {}
    for spec in CATALOGS:
        parent = next((c for c in CATALOGS if c.key == spec.parent), None)
        actor = people[parent.curator] if parent else me
        data = {"name": spec.name, "description": spec.description,
                "curator_id": people[spec.curator]}
        if parent:
            data["parent_id"] = catalogs[parent.key]
        catalogs[spec.key] = app.catalogs.create(actor, data).id
        tick("catalogs")
    for key, login in CATALOG_CURATORS.items():
        catalog = app.catalogs.get(me, catalogs[key])
        app.catalogs.update(me, catalog.id, {"curator_id": people[login],
                                             "version": catalog.version})
        tick("catalogs")
    for key, login in REGISTRARS:
        spec = next(c for c in CATALOGS if c.key == key)
        app.access.grant(people[spec.curator], people[login], Role.CLIENT_REGISTRAR.value,
                         ObjectRef("catalog", catalogs[key]))
        tick("registrars")

    for spec in CATALOGS:
        rows = plan.rows.get(spec.key, [])
        for start in range(0, len(rows), IMPORT_CHUNK):
            app.counterparties.import_rows(people[spec.curator], catalogs[spec.key],
                                           rows[start:start + IMPORT_CHUNK])
            tick("counterparties")
    ids = _card_ids(system)

    def card_id(row: dict) -> int:
        return ids[(row.get("inn", ""), row.get("kpp", ""), row["name"])]

    for key, parent, branch_rows in plan.branches:
        curator = people[next(c for c in CATALOGS if c.key == key).curator]
        for row in branch_rows:
            app.counterparties.register(curator, {**row, "catalog_id": catalogs[key],
                                                  "parent_id": card_id(parent)})
        tick("branches")
    for key, card, contact_rows in plan.contacts:
        curator = people[next(c for c in CATALOGS if c.key == key).curator]
        for data in contact_rows:
            app.counterparties.add_contact(curator, card_id(card), data)
        tick("contacts")
    for key, card, login, direction, outcome in plan.assignments:
        assigner = people[MANAGERS[key][0]]
        assignment = app.counterparties.assign_responsible(assigner, card_id(card), {
            "employee_id": people[login],
            "project_id": projects[direction] if direction else None})
        if outcome != "pending":
            _answer(app, assignment, outcome == "yes")
        tick("managers")
    for start in range(0, len(plan.grants), 20):
        for _key, card, login in plan.grants[start:start + 20]:
            app.access.grant(me, people[login], Role.CLIENT_MANAGER.value,
                             ObjectRef("counterparty", card_id(card)))
        tick("managers")
    for _key, card in plan.deletions:
        app.counterparties.mark_deleted(me, card_id(card))
        tick("deletion marks")
    return catalogs


def _answer(app, assignment, confirmed: bool) -> None:
    """The employee (then their head) answers the "assign responsible" request."""
    action = f"curator_assignment:{assignment.id}"
    answerers = [assignment.employee_id]
    if assignment.head_id and assignment.head_id != assignment.employee_id:
        answerers.append(assignment.head_id)
    for who in answerers:
        request = next(m for m in app.messages.inbox(who, unread_only=True, per_page=200)
                       if m.action == action and m.awaits_answer)
        app.messages.answer(who, request.id, confirmed, "" if confirmed else REFUSAL)
        if not confirmed:
            return


def _card_ids(system: System) -> dict[tuple[str, str, str], int]:
    """(INN, KPP, name) -> id of the imported cards (import_rows reports counts only)."""
    from ecrm_adapters.sqlalchemy import tables as t

    with system.engine.connect() as conn:
        rows = conn.execute(select(t.counterparties.c.id, t.counterparties.c.inn,
                                   t.counterparties.c.kpp, t.counterparties.c.name))
        return {(r.inn or "", r.kpp or "", r.name): r.id for r in rows}


# -- tasks and escalation rules (issue 4, TASK-1…TASK-7) ------------------------------------
#
# The employees' tasks around today: done ones with their results, planned ones that are
# overdue (so the escalation job has something to say), due today and ahead; client tasks
# on the counterparties each manager looks after (else on cards of the client base),
# with a contact person when the card has one, and a few personal tasks (no
# counterparty). Dates are working days counted from the day ``ecrm demo`` runs, in the
# employees' zone (Novosibirsk); everything else is the same every time.

#: name, delay, unit, target, typical task code (None: every type)
ESCALATION_RULES = [
    ("Звонок просрочен на 1 рабочий день → руководителю", 1, "working_days", "head", "call"),
    ("Задача просрочена на 3 рабочих дня → директору", 3, "working_days", "director", None),
]
DEMO_TIMEZONE = "Asia/Novosibirsk"
#: Cards of the client base lent to employees who manage none (in order, five each).
CARD_POOL = 120
#: Tasks per progress step.
TASKS_PER_STEP = 10


@attrs.frozen
class TaskSpec:
    login: str
    kind: str  # typical task code
    day: int  # working days from today (negative: past; 0: today)
    at: str | None  # "HH:MM", or None: during the day
    what: str
    client: int | None = None  # which of the employee's clients; None: a personal task
    result: str | None = None  # done, with this result; None: planned
    by: str | None = None  # who set it (their head, the Director); None: themselves
    project: str | None = None
    remind: int | None = None  # minutes before, overriding the typical task's


T = TaskSpec  # short, for the table below


TASKS: list[TaskSpec] = [
    # Смирнова: small businesses of Novosibirsk
    T("a.smirnova", "call", -4, "10:00", "Уточнить, получено ли коммерческое предложение "
      "на подключение офиса", client=0, result="Предложение получили, директор рассмотрит "
      "на планёрке в понедельник"),
    T("a.smirnova", "meeting", -2, "15:00", "Встреча с директором: выбор тарифа «Бизнес 100»",
      client=0, result="Выбрали «Бизнес 100» со статическим IP, ждут договор"),
    T("a.smirnova", "email", -1, None, "Отправить проект договора и спецификацию", client=0),
    T("a.smirnova", "call", -2, "16:00", "Напомнить о продлении договора на интернет до "
      "конца месяца", client=2),
    T("a.smirnova", "call", -1, "11:30", "Перезвонить главному бухгалтеру по счёту за "
      "подключение", client=1),
    T("a.smirnova", "call", 0, "11:00", "Согласовать удобное время выезда монтажников",
      client=1),
    T("a.smirnova", "presentation", 0, "15:30", "Презентация IP-телефонии в офисе клиента",
      client=3, remind=30),
    T("a.smirnova", "call", 1, "10:00", "Узнать, подписан ли договор на продление", client=2),
    T("a.smirnova", "other", 2, None, "Подготовить коммерческое предложение по "
      "IP-телефонии для ООО «Вектор»", by="e.kuznetsova"),
    T("a.smirnova", "other", 3, None, "Подготовить отчёт о звонках за неделю"),
    # Попов: Сибирь и малые предприятия
    T("m.popov", "call", -5, "11:00", "Холодный звонок: предложить выделенный канал",
      client=0, result="Интересуются, попросили КП на канал 50 Мбит/с"),
    T("m.popov", "email", -4, None, "Выслать КП на выделенный канал 50 Мбит/с", client=0,
      result="КП отправлено на почту директора"),
    T("m.popov", "call", -3, "12:00", "Узнать решение по КП на выделенный канал", client=0),
    T("m.popov", "meeting", -1, "14:00", "Подписание договора в офисе клиента", client=1),
    T("m.popov", "call", 0, "09:30", "Поздравить с открытием нового офиса, предложить "
      "подключение", client=2),
    T("m.popov", "call", 2, "14:00", "Уточнить количество рабочих мест для телефонии",
      client=1),
    T("m.popov", "meeting", 4, "11:00", "Обсуждение резервного канала связи", client=3),
    # Васильева: Москва и Санкт-Петербург, частные лица
    T("e.vasilieva", "call", -6, "12:30", "Выяснить, кто отвечает за связь в московском "
      "офисе", client=0, result="Ответственный — ИТ-директор, договорились о встрече"),
    T("e.vasilieva", "call", -3, "17:00", "Перезвонить ИТ-директору по условиям подключения",
      client=0),
    T("e.vasilieva", "presentation", 0, "12:00", "Презентация облачной АТС для "
      "руководителей филиалов", client=1, remind=60),
    T("e.vasilieva", "email", 1, None, "Отправить сравнение тарифов для филиалов", client=1),
    T("e.vasilieva", "call", 3, "10:30", "Напомнить о пробном периоде облачной АТС",
      client=2),
    # Фёдоров
    T("i.fedorov", "call", -2, "15:00", "Сообщить о плановых работах на линии", client=0,
      result="Предупредил, клиент просит проводить работы после 20:00"),
    T("i.fedorov", "call", -1, "10:00", "Уточнить реквизиты для нового договора", client=1),
    T("i.fedorov", "call", 0, "17:00", "Перезвонить по заявке на увеличение скорости",
      client=0),
    T("i.fedorov", "meeting", 1, "13:00", "Встреча с управляющим торгового центра", client=2),
    # Михайлова: ключевые клиенты, направление «Интернет для бизнеса»
    T("n.mikhailova", "meeting", -7, "11:00", "Квартальная встреча с ИТ-директором сети",
      client=0, project="internet", result="Сеть открывает 4 магазина, нужны каналы к "
      "концу квартала"),
    T("n.mikhailova", "presentation", -3, "14:00", "Презентация резервирования каналов для "
      "филиалов", client=0, project="internet", result="Понравился вариант с LTE-резервом, "
      "ждут расчёт стоимости"),
    T("n.mikhailova", "call", -2, "10:30", "Согласовать график подключения новых филиалов",
      client=0, project="internet"),
    T("n.mikhailova", "meeting", 0, "14:00", "Согласование договора на подключение четырёх "
      "магазинов", client=0, project="internet", remind=120),
    T("n.mikhailova", "email", 1, None, "Выслать акт сверки за квартал", client=1),
    T("n.mikhailova", "call", 5, "11:00", "Уточнить сроки открытия магазинов", client=0,
      project="internet"),
    # Козлов
    T("a.kozlov", "call", -8, "16:00", "Согласовать доступ на объект для монтажников",
      client=0),
    T("a.kozlov", "email", -2, None, "Отправить регламент технической поддержки", client=1,
      result="Отправлено, получение подтвердили"),
    T("a.kozlov", "meeting", 0, "10:30", "Встреча по видеонаблюдению на складе", client=1,
      project="cctv"),
    T("a.kozlov", "call", 1, "15:00", "Обсудить облачное хранение архива видеонаблюдения",
      client=2, project="cloud"),
    # руководители
    T("e.kuznetsova", "call", -1, "12:00", "Разговор с директором ключевого клиента о "
      "скидке", client=0, result="Согласовали скидку 10 % при договоре на 24 месяца"),
    T("e.kuznetsova", "meeting", 0, "09:00", "Планёрка отдела продаж"),
    T("e.kuznetsova", "other", 1, None, "Подготовить план продаж на следующий месяц"),
    T("e.kuznetsova", "other", 2, None, "Согласовать бюджет участия в отраслевой выставке",
      by="director"),
    T("d.morozov", "meeting", -1, "11:00", "Переговоры о продлении договора", client=0,
      result="Продление на 2 года, клиент просит пересмотреть цену канала"),
    T("d.morozov", "call", 0, "16:00", "Обсудить новую цену канала с коммерческим "
      "директором клиента", client=0),
    T("d.morozov", "meeting", 3, "10:00", "Встреча с руководством федеральной сети", client=1),
    T("t.belova", "other", 0, None, "Проверить выполнение плана продаж по отделам"),
    T("t.belova", "meeting", 2, "15:00", "Встреча с генеральным директором ключевого "
      "клиента", client=0),
    T("director", "meeting", -1, "10:00", "Совещание руководителей отделов",
      result="Утверждены планы отделов на месяц"),
    T("director", "other", 1, None, "Утвердить график дежурств технической поддержки на "
      "праздничные дни"),
    # техническая поддержка, монтаж, бухгалтерия
    T("s.volkov", "other", 0, None, "Проверить отчёт о заявках за неделю"),
    T("p.egorov", "meeting", -1, "13:00", "Выезд на объект: диагностика канала связи",
      client=0),
    T("p.egorov", "other", 0, None, "Обновить инструкцию по настройке роутеров"),
    T("m.pavlova", "call", -2, "10:00", "Проверить качество связи после замены "
      "оборудования", client=0, result="Связь стабильна, жалоб нет"),
    T("m.pavlova", "call", 0, "14:30", "Согласовать время замены оборудования", client=1),
    T("r.stepanov", "meeting", 1, "11:00", "Обследование помещения перед подключением",
      client=0),
    T("a.lebedev", "meeting", 0, "13:00", "Монтаж камер видеонаблюдения на складе",
      client=0, project="cctv"),
    T("v.nikolaev", "meeting", 1, "09:00", "Прокладка кабеля в новом офисе клиента",
      client=0),
    T("e.orlov", "meeting", -1, "10:00", "Монтаж оборудования в серверной", client=0,
      result="Оборудование смонтировано, акт подписан"),
    T("i.kovalev", "meeting", 2, "14:00", "Согласование запуска виртуальных серверов",
      client=0, project="cloud"),
    T("i.kovalev", "other", -1, None, "Подготовить план работ по проекту видеонаблюдения",
      result="План отправлен руководителю"),
    T("o.novikova", "email", -2, None, "Отправить акт сверки за квартал", client=0),
    T("i.zakharova", "call", -3, "11:00", "Напомнить о задолженности по счёту за прошлый "
      "месяц", client=0),
    T("i.zakharova", "email", 0, None, "Подготовить и отправить счета за услуги связи"),
]


def task_steps() -> int:
    """How many times ``build_tasks`` calls its ``progress`` callback."""
    return 1 + -(-len(TASKS) // TASKS_PER_STEP)


def workday(today: date, days: int) -> date:
    """``days`` working days (Mon–Fri) from ``today``; 0 is today itself."""
    step = 1 if days > 0 else -1
    day, left = today, abs(days)
    while left:
        day += timedelta(days=step)
        if day.weekday() < 5:
            left -= 1
    return day


def build_tasks(system: System, people: dict[str, int], projects: dict[str, int],
                progress: Callable[[str], None] | None = None) -> None:
    """The escalation rules and the employees' tasks, through the use cases."""
    app = system.app
    tick = progress or (lambda _label: None)
    me = people[DIRECTOR[0]]
    types = {k.code: k.id for k in app.tasks.task_types(me)}
    for name, delay, unit, target, code in ESCALATION_RULES:
        app.tasks.create_escalation_rule(me, {
            "name": name, "delay": delay, "unit": unit, "target": target,
            "task_type_id": types[code] if code else None})
    tick("escalation rules")

    clients, contacts = _clients(system, people)
    today = app.clock.now().astimezone(ZoneInfo(DEMO_TIMEZONE)).date()
    for n, spec in enumerate(TASKS, 1):
        data: dict = {"task_type_id": types[spec.kind], "responsible_id": people[spec.login],
                      "due_date": workday(today, spec.day).isoformat(), "what": spec.what}
        if spec.at:
            data["due_time"] = spec.at
        if spec.result is not None:
            data.update(state="done", result=spec.result)
        if spec.project:
            data["project_id"] = projects[spec.project]
        if spec.remind is not None:
            data["remind_minutes"] = spec.remind
        if spec.client is not None:
            own = clients.get(spec.login, [])
            if not own:
                continue  # a demo without a client base (--clients 0)
            card = own[spec.client % len(own)]
            data["counterparty_id"] = card
            if card in contacts:
                data["contact_id"] = contacts[card]
        app.tasks.create(people[spec.by or spec.login], data)
        if n % TASKS_PER_STEP == 0 or n == len(TASKS):
            tick("tasks")


def _clients(system: System, people: dict[str, int]
             ) -> tuple[dict[str, list[int]], dict[int, int]]:
    """Login -> the cards the employee is client manager of, then five cards of the
    client base lent to them; card -> its first contact person."""
    from ecrm_adapters.sqlalchemy import tables as t

    c, r = t.counterparties, t.role_assignments
    with system.engine.connect() as conn:
        managed = conn.execute(
            select(r.c.employee_id, r.c.scope_id)
            .where(r.c.role == Role.CLIENT_MANAGER, r.c.scope_kind == "counterparty")
            .order_by(r.c.scope_id)).all()
        pool = list(conn.execute(
            select(c.c.id).where(c.c.deleted.is_(False), c.c.status == "active",
                                 c.c.parent_id.is_(None))
            .order_by(c.c.id).limit(CARD_POOL)).scalars())
        first_contacts = conn.execute(
            select(t.contacts.c.counterparty_id, func.min(t.contacts.c.id))
            .group_by(t.contacts.c.counterparty_id)).all()
    by_id = {v: k for k, v in people.items()}
    clients: dict[str, list[int]] = {}
    for employee_id, card in managed:
        login = by_id.get(employee_id)
        if login and card not in clients.setdefault(login, []):
            clients[login].append(card)
    logins = sorted({spec.login for spec in TASKS})
    for i, login in enumerate(logins):
        lent = pool[i * 5 % len(pool):][:5] if pool else []
        clients.setdefault(login, []).extend(x for x in lent if x not in clients[login])
    return clients, dict(first_contacts)


# -- sales documents (issue 5: PRD-1…PRD-3, CON, REQ, INV-1…INV-4) ---------------------------
#
# The company's requisites; a nomenclature of connection services, telephony, equipment
# and works (VAT 22%) with retail and wholesale prices that changed two or three times
# over 2025–2026; client types on some clients; and — in proportion to the client base —
# contracts, requests in every state and invoices in every state, priced from the list on
# their days, with partial and full payments and acts.
#
# The reference data goes through the use cases. The documents (several thousand rows
# with ``ecrm demo``'s full client base) are made as the core's own aggregates and stored
# through its unit of work in bulk — ``add_all``, a few commits — so that the demo stays
# quick: every object still gets its history (and its client's history) rows, its numbers
# come from the same sequences (``next_number``), its sums from the core's money rules.

#: Per the full client base (``CLIENTS``); a smaller one gets proportionally fewer.
SALES_CONTRACTS, SALES_REQUESTS, SALES_INVOICES = 300, 500, 800
#: Invoices per stored chunk (one progress step each).
INVOICE_CHUNK = 200

#: The company's bank: Сибирский банк ПАО Сбербанк (Новосибирск).
COMPANY_BIK = "045004641"
COMPANY_CORR_ACCOUNT_BASE = "30101810500000000641"

#: key, name
ITEM_GROUPS = [("internet", "Интернет"), ("phone", "Телефония"), ("hardware", "Оборудование"),
               ("works", "Работы")]

#: group, name, kind, unit, article, retail price in rubles (with VAT) as of 2025-01-01
ITEMS = [
    ("internet", "Интернет «Бизнес 50» (50 Мбит/с)", "service", "мес", "", 2500),
    ("internet", "Интернет «Бизнес 100» (100 Мбит/с)", "service", "мес", "", 3900),
    ("internet", "Интернет «Бизнес 300» (300 Мбит/с)", "service", "мес", "", 6900),
    ("internet", "Интернет «Бизнес 1000» (1 Гбит/с)", "service", "мес", "", 14900),
    ("internet", "Статический IP-адрес", "service", "мес", "", 300),
    ("internet", "Резервный канал LTE", "service", "мес", "", 1200),
    ("internet", "Выделенный канал L2 (100 Мбит/с)", "service", "мес", "", 18000),
    ("phone", "Виртуальная АТС «Старт» (5 абонентов)", "service", "мес", "", 990),
    ("phone", "Виртуальная АТС «Офис» (20 абонентов)", "service", "мес", "", 2990),
    ("phone", "Городской номер (383)", "service", "мес", "", 450),
    ("phone", "Многоканальный номер 8-800", "service", "мес", "", 1900),
    ("phone", "SIP-транк (10 линий)", "service", "мес", "", 2400),
    ("phone", "Пакет минут по России (1000 мин)", "service", "мес", "", 1100),
    ("phone", "Запись разговоров", "service", "мес", "", 500),
    ("hardware", "Маршрутизатор MikroTik hAP ac2", "goods", "шт", "MT-HAPAC2", 7490),
    ("hardware", "Маршрутизатор Keenetic Giga", "goods", "шт", "KN-1011", 9990),
    ("hardware", "Коммутатор TP-Link TL-SG108 (8 портов)", "goods", "шт", "TL-SG108", 2490),
    ("hardware", "IP-телефон Yealink SIP-T31P", "goods", "шт", "YL-T31P", 4590),
    ("hardware", "IP-телефон Yealink SIP-T54W", "goods", "шт", "YL-T54W", 15990),
    ("hardware", "Точка доступа Wi-Fi Ubiquiti U6 Lite", "goods", "шт", "UB-U6LITE", 11490),
    ("hardware", "IP-камера Hikvision DS-2CD1043 (4 Мп)", "goods", "шт", "HK-2CD1043", 6290),
    ("hardware", "Видеорегистратор Hikvision на 8 каналов", "goods", "шт", "HK-7608", 13900),
    ("hardware", "Кабель витая пара UTP cat.5e", "goods", "м", "UTP-5E", 28),
    ("hardware", "Источник бесперебойного питания APC 650 ВА", "goods", "шт", "APC-BX650",
     8990),
    ("works", "Подключение офиса к сети", "work", "усл", "", 5000),
    ("works", "Прокладка кабеля", "work", "м", "", 90),
    ("works", "Настройка оборудования", "work", "ч", "", 1500),
    ("works", "Выезд инженера", "work", "усл", "", 1200),
    ("works", "Монтаж IP-камеры", "work", "шт", "", 2500),
    ("works", "Настройка виртуальной АТС", "work", "усл", "", 3500),
    ("works", "Обследование объекта", "work", "усл", "", 2000),
]
#: The days the prices changed, with the retail price's factor against the first one;
#: every item has the first three, every third item the fourth too.
PRICE_CHANGES = ((date(2025, 1, 1), 100), (date(2025, 7, 1), 105), (date(2026, 1, 1), 110),
                 (date(2026, 4, 1), 115))
#: Wholesale prices: this share of the retail ones (per cent).
WHOLESALE = 90

#: code, name, item name, conditions (code, label, type, required)
SERVICE_KINDS = [
    ("internet", "Доступ в интернет", "Интернет «Бизнес 100» (100 Мбит/с)",
     [("ip_address", "IP-адрес", "ip_address", False),
      ("address", "Адрес подключения", "text", True)]),
    ("telephony", "IP-телефония", "Виртуальная АТС «Офис» (20 абонентов)",
     [("phone", "Номер телефона", "phone", False),
      ("lines", "Число линий", "number", False)]),
    ("cctv", "Видеонаблюдение", "Монтаж IP-камеры",
     [("cameras", "Число камер", "number", True)]),
]

REQUEST_SUBJECTS = {
    "internet": ("Подключить интернет в новом офисе", "Увеличить скорость канала",
                 "Нет связи с 9:00, проверить линию", "Выделить статический IP-адрес",
                 "Подключить резервный канал LTE"),
    "telephony": ("Подключить виртуальную АТС", "Добавить пять внутренних номеров",
                  "Настроить переадресацию на мобильные", "Подключить номер 8-800"),
    "cctv": ("Смонтировать камеры на складе", "Восстановить запись с камер",
             "Добавить две камеры у входа"),
    None: ("Выслать акт сверки", "Переоформить договор на новое юрлицо",
           "Консультация по тарифам", "Сменить контактное лицо"),
}
INTERNAL_SUBJECTS = ("Заправить картридж в отделе продаж", "Подготовить отчёт по подключениям",
                     "Заказать визитки", "Настроить ноутбук новому сотруднику",
                     "Проверить задолженность по крупным клиентам")
#: Who works the requests: the engineers, the installers and the accountants.
ASSIGNEES = ("p.egorov", "m.pavlova", "r.stepanov", "v.nikolaev", "e.orlov", "a.lebedev")
INTERNAL_ASSIGNEES = ("i.zakharova", "o.novikova", "s.volkov", "p.egorov")
#: Who issues invoices when a card has no client manager of its own.
SELLERS = ("a.smirnova", "m.popov", "e.vasilieva", "i.fedorov", "n.mikhailova", "a.kozlov")
#: Invoice states and how many of every hundred invoices are in each.
INVOICE_STATES = (("draft", 10), ("issued", 20), ("partly_paid", 15), ("paid", 45),
                  ("cancelled", 10))
REQUEST_STATES = (("new", 20), ("in_work", 25), ("done", 45), ("cancelled", 10))
#: How many days back the documents go from the day the demo is built.
HISTORY_DAYS = 240


def sales_counts(clients: int = CLIENTS) -> dict[str, int]:
    """How many contracts, requests and invoices a client base of ``clients`` gets."""
    share = min(clients, CLIENTS) / CLIENTS if CLIENTS else 0
    return {"contracts": round(SALES_CONTRACTS * share),
            "requests": round(SALES_REQUESTS * share),
            "invoices": round(SALES_INVOICES * share)}


def sales_steps(clients: int = CLIENTS) -> int:
    """How many times ``build_sales`` calls its ``progress`` callback."""
    return 5 + -(-sales_counts(clients)["invoices"] // INVOICE_CHUNK)


def valid_account(bik: str, base: str, correspondent: bool = False) -> str:
    """``base`` (20 digits) with its 9th digit, the control key, set so that the account
    matches the bank's BIK by ``requisites.account_error``'s rule."""
    for key in "0123456789":
        account = base[:8] + key + base[9:]
        if account_error(account, bik, correspondent) is None:
            return account
    raise ValueError("no control key fits")  # cannot happen: the key's weight is 3


def company_requisites(rng: random.Random) -> dict[str, str]:
    """The demo company's requisites (INN, KPP, OGRN with their check digits, a real
    BIK, accounts keyed to it)."""
    inn = legal_inn(rng, "54", "06")
    return {
        "full_name": "Общество с ограниченной ответственностью «СибТелеком Сервис»",
        "inn": inn, "kpp": kpp(inn[:4]), "ogrn": ogrn(rng, "54", 2012, "06"),
        "address": "630099, г. Новосибирск, ул. Советская, д. 18, офис 402",
        "phone": "+7 383 200-10-20", "bank": "Сибирский банк ПАО Сбербанк, г. Новосибирск",
        "bik": COMPANY_BIK,
        "account": valid_account(COMPANY_BIK, "40702810044050012345"),
        "corr_account": valid_account(COMPANY_BIK, COMPANY_CORR_ACCOUNT_BASE, True),
        "director": "Соколов А. В.", "accountant": "Новикова О. В.",
    }


def _rubles(value: Decimal) -> Money:
    """A list price: whole rubles (tens of rubles above a thousand)."""
    step = Decimal(10) if value >= 1000 else Decimal(1)
    return Money((value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step)


def price_list() -> dict[tuple[int, str], list[tuple[date, date | None, Money]]]:
    """(item index, "retail"/"wholesale") -> its ranges [from, to) with amounts."""
    out: dict[tuple[int, str], list[tuple[date, date | None, Money]]] = {}
    for index, (*_rest, base) in enumerate(ITEMS):
        changes = PRICE_CHANGES if index % 3 == 0 else PRICE_CHANGES[:3]
        for kind, share in (("retail", 100), ("wholesale", WHOLESALE)):
            ranges = []
            for n, (day, factor) in enumerate(changes):
                until = changes[n + 1][0] if n + 1 < len(changes) else None
                ranges.append((day, until, _rubles(Decimal(base) * factor * share / 10000)))
            out[index, kind] = ranges
    return out


def _price_on(ranges, day: date) -> Money | None:
    return next((amount for start, until, amount in ranges
                 if start <= day and (until is None or day < until)), None)


@attrs.define
class _Card:
    id: int
    type: str
    requisites: dict
    manager: str | None
    contact: int | None
    contact_name: str


def _sales_cards(system: System, people: dict[str, int], wanted: int) -> list[_Card]:
    """``wanted`` active cards: those with a client manager first, then the rest of the
    base, by id (the same every time)."""
    from ecrm_adapters.sqlalchemy import tables as t

    c, r = t.counterparties, t.role_assignments
    by_id = {v: k for k, v in people.items()}
    with system.engine.connect() as conn:
        managers: dict[int, str] = {}
        for employee_id, card in conn.execute(
                select(r.c.employee_id, r.c.scope_id)
                .where(r.c.role == Role.CLIENT_MANAGER, r.c.scope_kind == "counterparty")
                .order_by(r.c.id)):
            login = by_id.get(employee_id)
            if login and login not in DISABLED:
                managers.setdefault(card, login)
        rows = conn.execute(
            select(c.c.id, c.c.type, c.c.name, c.c.full_name, c.c.inn, c.c.kpp, c.c.ogrn,
                   c.c.legal_address, c.c.postal_address, c.c.phone, c.c.email)
            .where(c.c.deleted.is_(False), c.c.status == "active").order_by(c.c.id)).all()
        contacts = {row[0]: (row[1], row[2]) for row in conn.execute(
            select(t.contacts.c.counterparty_id, t.contacts.c.id, t.contacts.c.full_name)
            .order_by(t.contacts.c.id.desc()))}
    rows.sort(key=lambda row: (row.id not in managers, row.id))
    cards = []
    for row in rows[:wanted]:
        requisites = {name: getattr(row, name) for name in REQUISITE_FIELDS
                      if getattr(row, name)}
        contact_id, contact_name = contacts.get(row.id, (None, ""))
        cards.append(_Card(row.id, str(getattr(row.type, "value", row.type)), requisites,
                           managers.get(row.id), contact_id, contact_name or ""))
    return cards


#: What an invoice freezes of its client (``sales.invoices.REQUISITES``).
REQUISITE_FIELDS = ("name", "full_name", "inn", "kpp", "ogrn", "legal_address",
                    "postal_address", "phone", "email")


def _weighted(rng: random.Random, table) -> str:
    return rng.choices([k for k, _w in table], weights=[w for _k, w in table])[0]


def _moment(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=ZoneInfo(DEMO_TIMEZONE)).astimezone(UTC)


def build_sales(system: System, people: dict[str, int], clients: int = CLIENTS,
                progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """The requisites, the nomenclature and prices, then the documents (see above);
    returns how many contracts, requests and invoices were made."""
    app = system.app
    tick = progress or (lambda _label: None)
    me = people[DIRECTOR[0]]
    rng = random.Random(SEED + 5)
    today = app.clock.now().astimezone(ZoneInfo(DEMO_TIMEZONE)).date()
    first_day = today - timedelta(days=HISTORY_DAYS)

    company = app.org.company()
    app.org.rename_company(me, {"version": company.version,
                                "requisites": company_requisites(rng)})
    tick("requisites")

    # -- the nomenclature, prices, service kinds, client types ----------------------------
    counts = sales_counts(clients)
    cards = _sales_cards(system, people, max(counts["contracts"], counts["invoices"] // 3))
    factory = app.uow_factory
    with factory() as uow:
        uow.acting_as(me)
        groups = {key: ItemGroup(name=name) for key, name in ITEM_GROUPS}
        uow.item_groups.add_all(list(groups.values()))
        items = [Item(name=name, item_kind=ItemKind(kind), group_id=groups[group].id,
                      unit=unit, vat_rate="22", article=article)
                 for group, name, kind, unit, article, _price in ITEMS]
        uow.items.add_all(items)
        for group in groups.values():
            group.record_created(("name", "parent_id"))
        for item in items:
            item.record_created(Item.EDITABLE)
        types = {t_.code: t_ for t_ in uow.price_types.list()}
        listed = price_list()
        prices = [Price(item_id=items[index].id, price_type_id=types[kind].id,
                        valid_from=start, valid_to=until, amount=amount)
                  for (index, kind), ranges in listed.items()
                  for start, until, amount in ranges]
        uow.prices.add_all(prices)
        for price in prices:
            price.record_created(("item_id", "price_type_id", "valid_from", "valid_to",
                                  "amount"))
        by_name = {item.name: item for item in items}
        kinds = []
        for code, name, item_name, conditions in SERVICE_KINDS:
            kinds.append(ServiceKind(code=code, name=name, item_id=by_name[item_name].id,
                                     conditions=parse_defs([
                                         {"code": c, "label": label, "type": kind_,
                                          "required": required}
                                         for c, label, kind_, required in conditions])))
        uow.service_kinds.add_all(kinds)
        for kind in kinds:
            kind.record_created(("code", "name", "item_id", "conditions"))
        client_types = {t_.code: t_ for t_ in uow.client_types.list()}
        partner_ids = {card.id for n, card in enumerate(cards) if n % 7 == 3}
        corporate_ids = {card.id for n, card in enumerate(cards)
                         if n % 7 in (1, 5) and card.type == "legal_entity"}
        if partner_ids or corporate_ids:
            for card in uow.counterparties.list(id__in=sorted(partner_ids | corporate_ids)):
                kind_ = client_types["partner" if card.id in partner_ids else "corporate"]
                card.apply_changes({"client_type_id": kind_.id})
        uow.commit()
        item_ids = [item.id for item in items]
        kind_ids = {kind.code: kind.id for kind in kinds}
        retail, wholesale = types["retail"].id, types["wholesale"].id
    tick("nomenclature and prices")

    if not cards:
        tick("contracts")
        for _ in range(-(-counts["invoices"] // INVOICE_CHUNK)):
            tick("invoices")
        tick("requests")
        tick("settlements")
        return {"contracts": 0, "requests": 0, "invoices": 0}

    def seller(card: _Card) -> int:
        return people[card.manager or SELLERS[card.id % len(SELLERS)]]

    def day_between(start: date, end: date) -> date:
        span = max((end - start).days, 0)
        return start + timedelta(days=rng.randint(0, span))

    def number(uow, kind: str, pattern: str, day: date, code: str = "") -> str:
        return format_number(pattern, day, uow.next_number(number_scope(kind, pattern, day,
                                                                        code)), code)

    # -- contracts --------------------------------------------------------------------------
    with factory() as uow:
        uow.acting_as(me)
        contract_types = {k.code: k for k in uow.contract_types.list()}
        plan = []
        for n in range(counts["contracts"]):
            card = cards[n % len(cards)]
            kind = contract_types["individual" if card.type == "individual" else "services"]
            made_on = day_between(first_day - timedelta(days=180), today)
            signed = rng.random() < 0.8
            attributes = {}
            if kind.code == "individual":
                attributes = {"passport": f"{rng.randint(1000, 9999)} "
                                          f"{rng.randint(100000, 999999)}",
                              "passport_issued": "ГУ МВД России по Новосибирской области"}
            plan.append((made_on, card, kind, signed, attributes))
        plan.sort(key=lambda p: (p[0], p[1].id))
        contracts = []
        for made_on, card, kind, signed, attributes in plan:
            subject = rng.choice(("Оказание услуг связи", "Доступ в интернет",
                                  "IP-телефония", "Монтаж и обслуживание видеонаблюдения"))
            contracts.append(Contract(
                counterparty_id=card.id, contract_type_id=kind.id,
                number=number(uow, CONTRACT, kind.number_pattern, made_on, kind.code),
                subject=subject, signed_on=made_on if signed else None, draft=not signed,
                attributes=attributes, created_at=_moment(made_on),
                created_by=seller(card)))
        uow.contracts.add_all(contracts)
        for contract in contracts:
            contract.record_created(("number", "counterparty_id", "contract_type_id",
                                     *Contract.EDITABLE))
            contract.tell_client("contract", None, contract.title)
        uow.commit()
        by_card: dict[int, list[tuple[int, bool]]] = {}
        for contract in contracts:
            by_card.setdefault(contract.counterparty_id, []).append(
                (contract.id, contract.draft))
    tick("contracts")

    # -- invoices with their payments and acts ------------------------------------------------
    plan = []
    for n in range(counts["invoices"]):
        card = cards[(n * 7) % len(cards)]
        state = _weighted(rng, INVOICE_STATES)
        recent = state in ("draft", "issued", "partly_paid")
        issued_on = day_between(today - timedelta(days=45) if recent else first_day,
                                today - timedelta(days=3) if not recent else today)
        plan.append((issued_on, card, state))
    plan.sort(key=lambda p: (p[0], p[1].id))
    invoiced: dict[int, Money] = {}
    paid_by: dict[int, Money] = {}
    #: (invoice, its client, its contract) of every invoice made, for the requests
    by_invoice: list[tuple[int, int, int | None]] = []
    for start in range(0, len(plan), INVOICE_CHUNK):
        with factory() as uow:
            uow.acting_as(me)
            invoices = []
            for issued_on, card, state in plan[start:start + INVOICE_CHUNK]:
                kind = "wholesale" if card.id in partner_ids else "retail"
                rate = "22" if vat_rate("22").valid_on(issued_on) else "20"
                lines = []
                for index in rng.sample(range(len(ITEMS)), rng.randint(2, 6)):
                    amount = _price_on(listed[index, kind], issued_on)
                    unit = ITEMS[index][3]
                    quantity = Decimal(rng.choice((1, 1, 1, 2, 3, 5, 10))) if unit != "м" \
                        else Decimal(rng.randint(2, 30) * 10)
                    lines.append(Line(name=ITEMS[index][1], quantity=quantity, price=amount,
                                      unit=unit, vat_rate=rate, item_id=item_ids[index]))
                own = by_card.get(card.id, [])
                contract_id = own[0][0] if own and rng.random() < 0.8 else None
                author = seller(card)
                invoice = Invoice(
                    number=number(uow, INVOICE, INVOICE_PATTERN, issued_on),
                    issued_on=issued_on, counterparty_id=card.id, author_id=author,
                    contract_id=contract_id,
                    price_type_id=wholesale if kind == "wholesale" else retail,
                    vat_included=True, lines=tuple(lines), state=state,
                    state_entered_at=_moment(issued_on, 11),
                    requisites=dict(card.requisites), contact_id=card.contact,
                    contact_name=card.contact_name,
                    due_on=issued_on + timedelta(days=rng.choice((5, 10, 14))),
                    created_at=_moment(issued_on))
                invoice.recount()
                invoices.append(invoice)
            uow.invoices.add_all(invoices)
            payments, acts, grants = [], [], []
            for invoice in invoices:
                invoice.record_created(("number", "counterparty_id", "state", "total", "vat",
                                        *Invoice.EDITABLE))
                invoice.tell_client("invoice", None,
                                    f"{invoice.title} на {invoice.total.in_rubles()}")
                grants.append(RoleAssignment(
                    role=Role.INVOICE_MANAGER, employee_id=invoice.author_id,
                    scope_kind=INVOICE, scope_id=invoice.id, granted_at=invoice.created_at,
                    granted_by=invoice.author_id))
                if invoice.state in ("draft", "issued", "cancelled"):
                    continue
                if invoice.state == "paid":
                    parts = invoice.total.allocate([Decimal(1)] * rng.choice((1, 1, 2, 3)))
                else:
                    share = Decimal(rng.randint(20, 80))
                    part = Money.rounded(invoice.total.amount * share / 100)
                    parts = part.allocate([Decimal(1)] * rng.choice((1, 2)))
                day = invoice.issued_on
                for piece in parts:
                    day = min(today, day + timedelta(days=rng.randint(1, 10)))
                    payments.append(Payment(
                        invoice_id=invoice.id, counterparty_id=invoice.counterparty_id,
                        contract_id=invoice.contract_id, amount=piece, paid_on=day,
                        reference=f"п/п {rng.randint(100, 9999)}",
                        created_at=_moment(day, 12), created_by=people["i.zakharova"]))
                invoice.paid = Money.total(parts)
                invoice.state_entered_at = _moment(day, 12)
                if invoice.state == "paid" and rng.random() < 0.7:
                    acts.append((day, invoice))
            uow.payments.add_all(payments)
            uow.roles.add_all(grants)
            made_acts = [Act(number=number(uow, ACT, ACT_PATTERN, day),
                             counterparty_id=invoice.counterparty_id, act_on=day,
                             amount=invoice.total, contract_id=invoice.contract_id,
                             invoice_id=invoice.id, created_at=_moment(day, 15),
                             created_by=invoice.author_id)
                         for day, invoice in acts]
            uow.acts.add_all(made_acts)
            chunk = {invoice.id: invoice for invoice in invoices}
            for payment in payments:
                paid_for = chunk[payment.invoice_id]
                payment.record_created(("invoice_id", "amount", "paid_on", "reference"))
                payment.tell_client("payment", None, (
                    f"{payment.amount.in_rubles()} по счёту № {paid_for.number} от "
                    f"{paid_for.issued_on:%d.%m.%Y}, оплачено {payment.paid_on:%d.%m.%Y}"))
            for grant in grants:
                grant.record_created(("role", "employee_id", "scope_kind", "scope_id"))
            for act in made_acts:
                act.record_created(("number", "counterparty_id", "contract_id", "invoice_id",
                                    "act_on", "amount"))
                act.tell_client("act", None, f"Акт № {act.number} на {act.amount.in_rubles()}")
            uow.commit()
            by_invoice += [(invoice.id, invoice.counterparty_id, invoice.contract_id)
                           for invoice in invoices]
            for invoice in invoices:
                if invoice.state not in ("draft", "cancelled"):
                    invoiced[invoice.counterparty_id] = invoiced.get(
                        invoice.counterparty_id, Money.zero()) + invoice.total
            for payment in payments:
                paid_by[payment.counterparty_id] = paid_by.get(
                    payment.counterparty_id, Money.zero()) + payment.amount
        tick("invoices")

    # -- requests --------------------------------------------------------------------------
    with factory() as uow:
        uow.acting_as(me)
        internal_count = counts["requests"] // 10
        requests = []
        for n in range(counts["requests"]):
            state = _weighted(rng, REQUEST_STATES)
            created = day_between(first_day, today)
            entered = created if state == "new" else day_between(created, today)
            if n < internal_count:
                author = people[SELLERS[n % len(SELLERS)]]
                requests.append(Request(
                    request_kind=RequestKind.INTERNAL, subject=INTERNAL_SUBJECTS[
                        n % len(INTERNAL_SUBJECTS)], author_id=author,
                    assignee_id=people[INTERNAL_ASSIGNEES[n % len(INTERNAL_ASSIGNEES)]],
                    state=state, state_entered_at=_moment(entered, 14),
                    due_on=created + timedelta(days=3), created_at=_moment(created)))
                continue
            card = cards[(n * 5) % len(cards)]
            service = rng.choice(("internet", "internet", "telephony", "cctv", None))
            conditions: dict = {}
            if service == "internet":
                conditions = {"ip_address": f"10.{rng.randint(0, 255)}."
                                            f"{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                              "address": card.requisites.get("legal_address", "")[:200]
                              or "г. Новосибирск"}
            elif service == "telephony":
                conditions = {"lines": str(rng.choice((2, 5, 10, 20)))}
            elif service == "cctv":
                conditions = {"cameras": str(rng.randint(2, 16))}
            own = by_card.get(card.id, [])
            contract_id = own[0][0] if own and rng.random() < 0.7 else None
            invoice_id = None
            kind = RequestKind.COUNTERPARTY
            if n % 9 == 0 and by_invoice:
                invoice_id, card_id, invoice_contract = by_invoice[n % len(by_invoice)]
                card = next((c for c in cards if c.id == card_id), card)
                contract_id, kind = invoice_contract, RequestKind.INVOICE
            requests.append(Request(
                request_kind=kind, subject=rng.choice(REQUEST_SUBJECTS[service]),
                author_id=seller(card), assignee_id=people[rng.choice(ASSIGNEES)],
                state=state, state_entered_at=_moment(entered, 14),
                service_kind_id=kind_ids[service] if service else None,
                conditions=conditions if service else {}, counterparty_id=card.id,
                contract_id=contract_id, invoice_id=invoice_id,
                due_on=created + timedelta(days=rng.choice((1, 2, 5))),
                created_at=_moment(created)))
        uow.requests.add_all(requests)
        for request in requests:
            request.record_created(("request_kind", "subject", "assignee_id", "state",
                                    "counterparty_id", "contract_id", "invoice_id",
                                    "service_kind_id", "conditions", "due_on"))
            request.tell_client("request", None, request.title)
        uow.commit()
    tick("requests")

    # -- the clients' settlements (CP-13): one row for every client with an invoice, as
    # ``invoices.resettle`` keeps them ---------------------------------------------------------
    with factory() as uow:
        uow.acting_as(me)
        uow.settlements.add_all([
            Settlement(counterparty_id=card_id, invoiced=invoiced.get(card_id, Money.zero()),
                       paid=paid_by.get(card_id, Money.zero()))
            for card_id in sorted({card for _invoice, card, _contract in by_invoice})])
        uow.commit()
    tick("settlements")
    return {"contracts": len(contracts), "requests": len(requests),
            "invoices": len(by_invoice)}


# -- deals (issue 6: DEAL-1…DEAL-4, RPT-4 first part) ---------------------------------------
#
# The two default deal templates come with the company (``DealTemplateService``'s
# founding). The demo's deals are the core's aggregates stored through the unit of work
# in bulk, as the sales documents are, and kept as ``DealService`` keeps them: a stay
# (``DealStage``) for every state a deal went through with its working time by the
# calendar, the state's probability and norm (``due_in_state``), the outcome with a reason
# for closed ones, the payments planned on entering a state (``DealPayment``, the deal's
# ``planned``) and what the states' conditions asked for: the attributes each state
# requires, a document attached to the deals past the proposal, an invoice of the client
# issued for the deal (paid for the won ones), the discount approval of the supplies past
# the quote. Some open deals are over their state's norm (DEAL-4: the first deal alerts
# pass tells their managers). Their tasks are not planned (the demo's tasks are the
# hand-written ones above); history tells of each deal's creation and of the invoices
# issued for it.

#: How many deals a full demo gets (fewer with a smaller client base, at least MIN_DEALS).
DEALS = 400
MIN_DEALS = 40
#: Deals of the equipment supply template, in percent (the rest are B2B connections).
SUPPLY_SHARE = 40
#: Open deals over their state's norm, in percent.
OVER_NORM = 30
#: template code -> the states a deal of it is in now, with weights
DEAL_STATES = {
    "b2b_connection": (("lead", 18), ("survey", 14), ("proposal", 14), ("negotiation", 12),
                       ("payment", 10), ("won", 16), ("lost", 16)),
    "equipment_supply": (("request", 22), ("quote", 22), ("prepaid", 16), ("shipped", 20),
                         ("lost", 20)),
}
#: template code -> the way to its won state; a lost deal leaves one of the first states
DEAL_PATHS = {"b2b_connection": ("lead", "survey", "proposal", "negotiation", "payment", "won"),
              "equipment_supply": ("request", "quote", "prepaid", "shipped")}
LOST_FROM = {"b2b_connection": ("lead", "survey", "proposal", "negotiation"),
             "equipment_supply": ("request", "quote")}
#: the invoice states a deal's invoice may be in, by the deal's state (DEAL-2's
#: "invoice issued" / "invoice paid" conditions), best first
DEAL_INVOICES = {("b2b_connection", "payment"): ("issued", "partly_paid"),
                 ("b2b_connection", "won"): ("paid",),
                 ("equipment_supply", "prepaid"): ("partly_paid", "issued", "paid"),
                 ("equipment_supply", "shipped"): ("paid",)}
LOSS_REASONS = ("Выбрали другого провайдера", "Дорого: бюджет клиента меньше",
                "Нет технической возможности подключения", "Проект отложен клиентом",
                "Не прошли согласование у руководства клиента")
CONNECTION_NAMES = ("Интернет {speed} Мбит/с в офис", "Выделенный канал {speed} Мбит/с",
                    "IP-телефония и интернет {speed} Мбит/с", "Резервный канал {speed} Мбит/с",
                    "Подключение филиала, {speed} Мбит/с")
SUPPLY_NAMES = ("Поставка коммутаторов", "Маршрутизаторы для филиалов",
                "Камеры видеонаблюдения", "IP-телефоны для офиса", "Точки доступа Wi-Fi",
                "Сервер видеонаблюдения")
COMPETITORS = ("Ростелеком", "МТС", "Билайн", "ТТК", "Дом.ру", "Мегафон")
EQUIPMENT = ("Коммутатор 24 порта × {n}", "Маршрутизатор MikroTik hAP × {n}",
             "IP-камера 4 Мп × {n}", "IP-телефон Yealink × {n}", "Точка доступа × {n}")
#: the proposal a deal past «proposal» has attached (DEAL-2: "a document attached")
PROPOSAL_PDF = (b"%PDF-1.4\n% ECRM demo: commercial proposal\n1 0 obj<<>>endobj\n"
                b"trailer<<>>\n%%EOF\n")


def deal_counts(clients: int = CLIENTS) -> int:
    """How many deals a client base of ``clients`` gets."""
    if clients <= 0:
        return 0
    return max(MIN_DEALS, round(DEALS * min(clients, CLIENTS) / CLIENTS))


def deal_steps(clients: int = CLIENTS) -> int:
    """How many times ``build_deals`` calls its ``progress`` callback."""
    return 2


def _working_days_back(calendar, day: date, days: int) -> date:
    while days > 0:
        day -= timedelta(days=1)
        if calendar.is_working(day):
            days -= 1
    return day


@attrs.define
class _DealPlan:
    template: str
    path: tuple[str, ...]  # the states it went through, its current one last
    invoice: Invoice | None = None
    card: _Card | None = None


def _deal_plans(rng: random.Random, count: int) -> list[_DealPlan]:
    """Where each deal is now: one in every state of both templates first, then as
    ``DEAL_STATES`` weighs them."""
    wanted: list[tuple[str, str]] = [(code, state) for code, states in DEAL_STATES.items()
                                     for state, _weight in states]
    while len(wanted) < count:
        code = "equipment_supply" if rng.randrange(100) < SUPPLY_SHARE else "b2b_connection"
        wanted.append((code, _weighted(rng, DEAL_STATES[code])))
    plans = []
    for code, state in wanted[:count]:
        path = DEAL_PATHS[code]
        if state == "lost":
            left = rng.choice(LOST_FROM[code])
            plans.append(_DealPlan(code, (*path[:path.index(left) + 1], "lost")))
        else:
            plans.append(_DealPlan(code, path[:path.index(state) + 1]))
    return plans


def build_deals(system: System, people: dict[str, int], projects: dict[str, int],
                clients: int = CLIENTS, progress: Callable[[str], None] | None = None) -> int:
    """A few hundred deals of the two default templates in all their states (see above);
    returns how many were made."""
    app = system.app
    tick = progress or (lambda _label: None)
    me = people[DIRECTOR[0]]
    rng = random.Random(SEED + 6)
    now = app.clock.now()
    zone = ZoneInfo(DEMO_TIMEZONE)
    count = deal_counts(clients)
    every_card = _sales_cards(system, people, 10 ** 6) if count else []
    cards = every_card[:count]
    by_card = {card.id: card for card in every_card}
    tick("deal templates")
    if not cards:
        tick("deals")
        return 0
    with app.uow_factory() as uow:
        uow.acting_as(me)
        templates = {t.code: t for t in uow.deal_templates.list()}
        sets: dict[str, StateSet] = {code: uow.state_sets.first(code=set_code(code))
                                     for code in templates}
        calendar = calendar_of(uow)
        plans = _deal_plans(rng, count)

        # the invoices the deals past an "invoice issued / paid" condition stand on: the
        # demo's invoices of active clients, each for one deal
        free: dict[str, list[Invoice]] = {}
        for invoice in uow.invoices.list(deal_id=None, order_by=("id",)):
            if invoice.counterparty_id in by_card:
                free.setdefault(invoice.state, []).append(invoice)
        for pool in free.values():
            rng.shuffle(pool)
        for n, plan in enumerate(plans):
            states = DEAL_INVOICES.get((plan.template, plan.path[-1]))
            while states is not None:
                pool = next((free[s] for s in states if free.get(s)), None)
                if pool is not None:
                    plan.invoice = pool.pop()
                    break
                plan.path = plan.path[:-1]  # no invoice to stand on: a state earlier
                states = DEAL_INVOICES.get((plan.template, plan.path[-1]))
            plan.card = by_card[plan.invoice.counterparty_id] if plan.invoice \
                else cards[(n * 11) % len(cards)]

        deals: list[Deal] = []
        stays: list[list[tuple[str, datetime]]] = []
        for n, plan in enumerate(plans):
            deal, path = _plan_deal(rng, plan, sets[plan.template], calendar, people,
                                    projects, now)
            deal.template_id = templates[plan.template].id
            deal.note = "" if n % 5 else "Клиент просил перезвонить после обеда"
            deals.append(deal)
            stays.append(path)
        # numbered in the order they were registered, as ``DealService.register`` does
        order = sorted(range(len(deals)), key=lambda i: (deals[i].created_at, i))
        for i in order:
            day = deals[i].created_at.astimezone(zone).date()
            deals[i].number = format_number(DEAL_NUMBER_PATTERN, day, uow.next_number(
                number_scope(DEAL, DEAL_NUMBER_PATTERN, day, "")), "")
        uow.deals.add_all([deals[i] for i in order])

        stages, payments, documents = [], [], []
        store_key = app.documents.store.put(PROPOSAL_PDF)
        for plan, deal, path in zip(plans, deals, stays, strict=True):
            state_set = sets[plan.template]
            for k, (state, entered) in enumerate(path):
                left = path[k + 1][1] if k + 1 < len(path) else None
                stages.append(DealStage(
                    deal_id=deal.id, state=state, entered_at=entered, left_at=left,
                    working_hours=None if left is None else round(calendar.working_time(
                        entered, left, DEMO_TIMEZONE).total_seconds() / 3600, 2)))
                for action in state_set.state(state).on_enter:
                    counted = action.sum_of(deal.amount.amount) \
                        if isinstance(action, PlanPayment) else None
                    if counted is None or not Money.rounded(counted):
                        continue
                    amount = Money.rounded(counted)
                    payments.append(DealPayment(
                        deal_id=deal.id, counterparty_id=deal.counterparty_id, amount=amount,
                        due_on=action.due_at(entered).date(), state=state,
                        created_at=entered))
                    deal.planned = Money(deal.planned.amount + amount.amount)
            if "negotiation" in plan.path:
                proposal, negotiation = path[2][1], path[3][1]
                documents.append(Document(
                    owner_kind=DEAL, owner_id=deal.id, counterparty_id=deal.counterparty_id,
                    filename=f"КП по сделке № {deal.number}.pdf",
                    content_type="application/pdf", size=len(PROPOSAL_PDF), key=store_key,
                    note="Коммерческое предложение",
                    uploaded_at=min(proposal + timedelta(hours=1), negotiation),
                    uploaded_by=deal.manager_id))
        uow.deal_stages.add_all(stages)
        uow.deal_payments.add_all(payments)
        uow.documents.add_all(documents)
        for deal in deals:
            deal.record_created(("number", "template_id", "counterparty_id", "state",
                                 *Deal.EDITABLE))
            deal.tell_client("deal", None, f"{deal.title} на {deal.amount.in_rubles()}")
        for payment in payments:
            payment.record_created(("deal_id", "amount", "due_on", "state"))
        for document in documents:
            document.record_created(("owner_kind", "owner_id", "filename", "content_type",
                                     "size", "note"))
        for plan, deal in zip(plans, deals, strict=True):
            if plan.invoice is not None:
                plan.invoice.apply_changes({"deal_id": deal.id})
        uow.commit()
    tick("deals")
    return len(deals)


def _plan_deal(rng: random.Random, plan: _DealPlan, state_set: StateSet, calendar,
               people: dict[str, int], projects: dict[str, int], now: datetime
               ) -> tuple[Deal, list[tuple[str, datetime]]]:
    """The deal of ``plan`` and when it entered each state of its path: its current
    state first (over its norm or not, or anchored on its invoice), then back in time."""
    zone = ZoneInfo(DEMO_TIMEZONE)
    today = now.astimezone(zone).date()
    card, invoice = plan.card, plan.invoice
    assert card is not None
    current = plan.path[-1]
    state = state_set.state(current)
    assert state is not None
    norm = state.norm_days or 0
    anchors: dict[str, datetime] = {}
    if invoice is not None:
        issued = _moment(invoice.issued_on, 11) + timedelta(hours=1)
        settled = max(invoice.state_entered_at or issued, issued) + timedelta(hours=1)
        first = "prepaid" if plan.template == "equipment_supply" else "payment"
        if current == first:
            # a prepayment received, or the contract signed and the invoice issued
            anchors[first] = settled if plan.template == "equipment_supply" else issued
        else:
            anchors[first], anchors[current] = issued, settled
    if current in anchors:
        entered = min(anchors[current], now - timedelta(minutes=5))
    elif state.final:
        entered = _moment(_working_days_back(calendar, today, rng.randint(1, 80)),
                          rng.randint(9, 17))
    else:
        over = rng.randrange(100) < OVER_NORM
        back = norm + rng.randint(1, 8) if over else rng.randint(0, max(norm - 1, 0))
        entered = min(_moment(_working_days_back(calendar, today, back), rng.randint(9, 17)),
                      now - timedelta(hours=1))
        if over:
            while calendar.add_working_days(entered, norm, DEMO_TIMEZONE) > now:
                entered -= timedelta(days=1)
        elif calendar.add_working_days(entered, norm, DEMO_TIMEZONE) <= now:
            entered = now - timedelta(hours=1)
    moments = [entered]
    for earlier in reversed(plan.path[:-1]):
        later = moments[0]
        anchor = anchors.get(earlier)
        if anchor is not None and anchor < later:
            moments.insert(0, anchor)
            continue
        spent = rng.randint(1, (state_set.state(earlier).norm_days or 3) + 2)
        day = _working_days_back(calendar, later.astimezone(zone).date(), spent)
        moment = _moment(day, rng.randint(9, 17))
        moments.insert(0, moment if moment < later else later - timedelta(hours=2))

    manager = invoice.author_id if invoice is not None else people[
        card.manager or SELLERS[card.id % len(SELLERS)]]
    lost = state.outcome is not None and state.outcome.value == "lost"
    project = rng.choice(("internet", "internet", "voip")) \
        if plan.template == "b2b_connection" else rng.choice(("cctv", "cloud", None))
    deal = Deal(
        number="", template_id=0, counterparty_id=card.id, name=_deal_name(rng, plan),
        manager_id=manager, author_id=manager,
        amount=invoice.total if invoice is not None
        else Money(Decimal(rng.randint(3, 120) * 5000)),
        expected_close_on=entered.astimezone(zone).date() if state.final
        else today + timedelta(days=rng.randint(5, 150)),
        project_id=projects.get(project) if project else None, contact_id=card.contact,
        attributes=_deal_attributes(rng, plan, card),
        approvals=("discount",) if plan.template == "equipment_supply" and (
            len(plan.path) > 2 or (current == "quote" and rng.random() < 0.3)) else (),
        state=current, state_entered_at=entered,
        due_in_state=None if state.final or not norm else calendar.add_working_days(
            entered, norm, DEMO_TIMEZONE),
        probability=state.probability or 0,
        outcome=state.outcome.value if state.outcome else None,
        close_reason=rng.choice(LOSS_REASONS) if lost else "",
        closed_at=entered if state.final else None, created_at=moments[0])
    return deal, list(zip(plan.path, moments, strict=True))


def _deal_name(rng: random.Random, plan: _DealPlan) -> str:
    if plan.template == "b2b_connection":
        return rng.choice(CONNECTION_NAMES).format(speed=rng.choice((50, 100, 200, 500, 1000)))
    return rng.choice(SUPPLY_NAMES)


def _deal_attributes(rng: random.Random, plan: _DealPlan, card: _Card) -> dict:
    """What the states it went through require (DEAL-2), and some of the rest."""
    address = card.requisites.get("legal_address", "")[:200] or "г. Новосибирск"
    passed = set(plan.path)
    if plan.template == "b2b_connection":
        values: dict = {}
        if passed & {"survey", "proposal", "negotiation", "payment", "won"} or rng.random() < 0.3:
            values["address"] = address
        if passed & {"proposal", "negotiation", "payment", "won"}:
            values["bandwidth"] = str(rng.choice((50, 100, 200, 500, 1000)))
        if passed & {"negotiation", "payment", "won"}:
            values["decision_maker"] = card.contact_name or "Генеральный директор"
        if rng.random() < 0.5:
            values["competitor"] = rng.choice(COMPETITORS)
        return values
    values = {}
    if passed & {"quote", "prepaid", "shipped"} or rng.random() < 0.5:
        values["equipment"] = rng.choice(EQUIPMENT).format(n=rng.randint(2, 20))
    if passed & {"prepaid", "shipped"}:
        values["delivery_address"] = address
    if passed & {"prepaid", "shipped"} or ("quote" in passed and rng.random() < 0.4):
        values["discount"] = str(rng.choice((3, 5, 7, 10)))
    return values


# -- customer orders (issue 6: ORD-1…ORD-3) -----------------------------------------------
#
# One approval route of three steps — the head of technical support by name (can the
# client be connected), Sales management by role (the price), the chief accountant by
# name (the payment terms) — and about thirty orders of the managed clients, made through
# ``OrderService``'s use cases (so every round, decision, confirmation request, notice and
# history row is what people would have made), in every state: drafts (some returned by a
# refusal with its reason), waiting at each step of the route, approved, in connection with
# their billing hand-off waiting (one tried once: the billing system was down), refused
# by the billing system, accepted and connected, cancelled. The demo's billing systems are
# stand-ins passed to a second ``OrderService`` for the deliveries: one takes every
# document, one is down, one refuses — so the hand-offs' states are what a delivery makes;
# ECRM's own billing gateway (unconfigured in the demo) is never called here.

#: (what happens to the order, how many): draft; refused at the second step; waiting at
#: step 1, 2, 3; approved; in connection (hand-off waiting / tried once while the billing
#: system was down / refused for good); connected (hand-off accepted); cancelled.
ORDER_PLANS = (("draft", 5), ("refused", 3), ("step:0", 3), ("step:1", 3), ("step:2", 2),
               ("approved", 4), ("connection", 2), ("connection:down", 1),
               ("connection:refused", 1), ("connected", 6), ("cancelled", 2))
ORDER_ROUTE = "Подключение абонента"
#: the route's steps: ("employee", login) or ("role", code), in order
ORDER_ROUTE_STEPS = (("employee", "s.volkov"), ("role", "sales_management"),
                     ("employee", "o.novikova"))
#: who answers each step in the demo
ORDER_APPROVERS = ("s.volkov", "t.belova", "o.novikova")
ORDER_REFUSALS = ("Скидка на монтаж выше допустимой: согласуйте с руководителем",
                  "Нужно два маршрутизатора: у клиента два этажа",
                  "Прокладка кабеля посчитана не по обследованию")
ORDER_CANCELS = ("Клиент выбрал другого провайдера", "Объект не готов к подключению")
ORDER_NOTES = ("Подключение в рабочее время, с 10 до 17", "", "Пропуск заказать заранее",
               "", "Клиент просит смонтировать до конца месяца")


def order_count() -> int:
    """How many orders the demo makes (with a client base)."""
    return sum(count for _plan, count in ORDER_PLANS)


def order_steps() -> int:
    """How many times ``build_orders`` calls its ``progress`` callback."""
    return 2


class _DemoBilling:
    """A stand-in billing system of the demo (ORD-3): takes every document (``error``
    None), or raises ``error``."""

    def __init__(self, error: Exception | None = None) -> None:
        self.error = error

    def send(self, key: str, payload: dict) -> None:
        if self.error is not None:
            raise self.error


def build_orders(system: System, people: dict[str, int], clients: int = CLIENTS,
                 progress: Callable[[str], None] | None = None) -> int:
    """The approval route and the orders (see above); returns how many orders were
    made."""
    import contextlib

    from ecrm_core.orders.ports import BillingRejected, BillingUnavailable
    from ecrm_core.orders.services import OrderService

    app = system.app
    tick = progress or (lambda _label: None)
    me = people[DIRECTOR[0]]
    rng = random.Random(SEED + 7)
    steps = [{"employee_id": people[value]} if kind == "employee" else {"role": value}
             for kind, value in ORDER_ROUTE_STEPS]
    route = app.orders.save_route(me, {"name": ORDER_ROUTE, "steps": steps})
    tick("approval routes")
    cards = [c for c in _sales_cards(system, people, order_count()) if c.manager] \
        if clients > 0 else []
    if not cards:
        tick("orders")
        return 0
    today = app.clock.now().astimezone(ZoneInfo(DEMO_TIMEZONE)).date()
    with app.uow_factory(readonly=True) as uow:
        kinds: dict[str, list[int]] = {}
        for item in uow.items.list(active=True, order_by=("id",)):
            kinds.setdefault(item.item_kind.value, []).append(item.id)

    def delivered_by(error: Exception | None) -> OrderService:
        return OrderService(app.uow_factory, app.clock, _DemoBilling(error))

    def lines() -> list[dict]:
        out = [{"part": "package", "item_id": rng.choice(kinds["service"]), "quantity": 1}]
        for item_id in rng.sample(kinds["goods"], rng.randint(1, 2)):
            out.append({"part": "equipment", "item_id": item_id,
                        "quantity": rng.randint(1, 3)})
        for item_id in rng.sample(kinds["work"], rng.randint(1, 2)):
            out.append({"part": "work", "item_id": item_id, "quantity": rng.randint(1, 4)})
        return out

    def approve(order_id: int, upto: int) -> None:
        for login in ORDER_APPROVERS[:upto]:
            app.orders.decide(people[login], order_id, True, "")

    made = 0
    plans = [plan for plan, count in ORDER_PLANS for _n in range(count)]
    for n, plan in enumerate(plans):
        card = cards[n % len(cards)]
        author = people[card.manager]
        order = app.orders.create(author, {
            "counterparty_id": card.id, "lines": lines(),
            "ordered_on": (today - timedelta(days=rng.randint(0, 40))).isoformat(),
            "note": ORDER_NOTES[n % len(ORDER_NOTES)]})
        made += 1
        if plan == "draft":
            continue
        app.orders.submit(author, order.id, route.id)
        if plan == "refused":
            approve(order.id, 1)
            app.orders.decide(people[ORDER_APPROVERS[1]], order.id, False,
                              ORDER_REFUSALS[n % len(ORDER_REFUSALS)])
            continue
        if plan.startswith("step:"):
            approve(order.id, int(plan.split(":")[1]))
            continue
        if plan == "cancelled":
            app.orders.move(author, order.id, "cancelled",
                            ORDER_CANCELS[n % len(ORDER_CANCELS)])
            continue
        approve(order.id, len(ORDER_APPROVERS))
        if plan == "approved":
            continue
        app.orders.move(author, order.id, "connection")
        handoff = app.orders.handoffs(author, order.id)[0]
        if plan == "connection:down":
            down = delivered_by(BillingUnavailable("503 Service Unavailable"))
            with contextlib.suppress(BillingUnavailable):  # postponed: the sweep retries
                down.deliver_handoff(handoff.id)
        elif plan == "connection:refused":
            delivered_by(BillingRejected(
                "400 Bad Request: лицевой счёт клиента не найден")).deliver_handoff(handoff.id)
        elif plan == "connected":
            delivered_by(None).deliver_handoff(handoff.id)
            app.orders.move(author, order.id, "connected")
    tick("orders")
    return made
