"""Fixtures of the client-base UI tests (tests/e2e/test_ui_clients*.py).

On top of ``world`` (tests/e2e/conftest.py: the Director, an Administrator of «Отдел
продаж», the clerk and a colleague without roles, a project):

- a catalog curator (``curator``) and a client manager (``manager``), both in «Отдел
  продаж» whose head is the Administrator;
- catalogs: «Клиенты» (top, the Director's) with «Новосибирск» (curated by ``curator``)
  and «Москва» (the Director's) inside; «Архив НСК» inside «Новосибирск»;
- card X «ООО «Сибирский лес»» in Новосибирск, whose client manager is ``manager``, with a
  contact; card Y «АО «Московский завод»» in Москва.

Russian requisites with their check digits are computed here (``legal_inn``). The fixtures
are in ui_clients_fixtures.py."""

from __future__ import annotations

import re
from types import SimpleNamespace

from sqlalchemy import text

from ecrm_core.counterparties.model import CounterpartyType, OrganisationStatus
from ecrm_core.counterparties.ports import RegistryRecord
from tests.e2e.conftest import PASSWORD, STATE_TABLES
from tests.fakes import FakeRegistry

W10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)


def legal_inn(nine: str) -> str:
    """A legal entity's INN: nine digits and the check digit."""
    return nine + str(sum(int(d) * w for d, w in zip(nine, W10, strict=True)) % 11 % 10)


def ogrn(twelve: str) -> str:
    """An OGRN: twelve digits and the check digit."""
    return twelve + str(int(twelve) % 11 % 10)


X_INN = legal_inn("540612345")
Y_INN = legal_inn("770412345")
REGISTRY_INN = legal_inn("540600077")

#: a PNG of 1x1 pixel
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)

CLIENT_TABLES = (*STATE_TABLES, "catalogs", "counterparties", "contacts",
                 "curator_assignments", "outbox")


def snapshot(system) -> dict[str, list]:
    """Every row of the tables of the organisation, the client base and history."""
    out = {}
    with system.engine.connect() as conn:
        names = set(system.engine.dialect.get_table_names(conn))
        for name in CLIENT_TABLES:
            if name in names:
                out[name] = [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))]
    return out


def version_of(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def build_clients(system, world) -> SimpleNamespace:
    app = system.app
    d = world["director"].id
    sales = str(world["sales"].id)
    curator = app.org.add_employee(d, {
        "login": "curator", "password": PASSWORD, "full_name": "Кураторова Ксения",
        "department_id": sales})
    manager = app.org.add_employee(d, {
        "login": "manager", "password": PASSWORD, "full_name": "Менеджеров Максим",
        "department_id": sales})
    app.org.update_department(d, world["sales"].id, {"head_id": str(world["admin"].id)})
    top = app.catalogs.create(d, {"name": "Клиенты", "description": "Все клиенты"})
    nsk = app.catalogs.create(d, {"name": "Новосибирск", "parent_id": str(top.id),
                                  "curator_id": str(curator.id)})
    msk = app.catalogs.create(d, {"name": "Москва", "parent_id": str(top.id)})
    archive = app.catalogs.create(d, {"name": "Архив НСК", "parent_id": str(nsk.id)})
    x = app.counterparties.register(d, {
        "catalog_id": str(nsk.id), "type": "legal_entity", "name": "ООО «Сибирский лес»",
        "inn": X_INN, "kpp": "540601001", "phone": "+7 383 212-00-01",
        "email": "info@sib-les.ru", "legal_address": "630099, г. Новосибирск, ул. Ленина, 1"})
    y = app.counterparties.register(d, {
        "catalog_id": str(msk.id), "type": "legal_entity", "name": "АО «Московский завод»",
        "inn": Y_INN, "phone": "+7 495 100-00-02", "email": "office@mzavod.ru"})
    app.access.grant(d, manager.id, "client_manager", x.ref)
    contact = app.counterparties.add_contact(d, x.id, {
        "full_name": "Соколова Марина Игоревна", "position": "Главный бухгалтер",
        "phones": "+7 913 000-11-22", "emails": "buh@sib-les.ru"})
    return SimpleNamespace(curator=curator, manager=manager, top=top, nsk=nsk, msk=msk,
                           archive=archive, x=x, y=y, contact=contact, **world)


def fake_registry(system) -> FakeRegistry:
    """A fake state register in the running system that knows ``REGISTRY_INN``."""
    registry = FakeRegistry()
    registry.records[REGISTRY_INN] = RegistryRecord(
        inn=REGISTRY_INN, name="ООО «Вектор»", type=CounterpartyType.LEGAL_ENTITY,
        status=OrganisationStatus.ACTIVE, kpp="540601001", ogrn=ogrn("102540000077"),
        full_name="Общество с ограниченной ответственностью «Вектор»",
        legal_address="630004, г. Новосибирск, ул. Ленина, д. 7", okved="62.01",
        head="Иванов Иван Иванович")
    system.app.counterparties.registry = registry
    return registry
