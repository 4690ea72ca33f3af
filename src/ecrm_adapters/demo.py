"""Demo data: a small Russian telecom company, built only through the core's use cases
(so every object has its history rows, and messages their outbox rows, exactly as if
people had typed it in).

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
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ecrm_adapters.sqlalchemy.engine import normalise_url
from ecrm_core.access.model import Role
from ecrm_core.kernel import refs
from ecrm_core.kernel.refs import ObjectRef

if TYPE_CHECKING:
    from ecrm_adapters.bootstrap import System
    from ecrm_adapters.settings import Settings

#: Every demo employee signs in with this password (the README names it).
DEMO_PASSWORD = "ecrm-demo"
DEMO_LOGIN = "director"
MARKER = "demo.json"
SEED = 20241128

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


def steps() -> int:
    """How many times ``build_demo`` calls its ``progress`` callback."""
    return (
        1 + len(DEPARTMENTS) + len(PROJECTS) + len(EMPLOYEES) + len(HEADS) + len(DISABLED)
        + len(ROLES) + len(SERVICE_TYPES) + len(SERVICES) + len(CLOSED_SERVICES)
        + len(UNAVAILABLE_SERVICES) + len(MESSAGES)
    )


def build_demo(
    system: System, progress: Callable[[str], None] | None = None
) -> DemoCredentials:
    """Fill an empty, migrated database with the demo company; return the login and
    password to print. Raises ``Conflict`` when the company already exists."""
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
