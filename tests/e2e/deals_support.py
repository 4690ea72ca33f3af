"""Helpers of the deals API tests (tests/e2e/test_api_deals*.py, issue 6: DEAL-1…DEAL-4,
RPT-4 first part).

- ``build_deals``: on top of the sales world (``sales_support.build_sales``) the deal
  manager ``deal_mgr`` (in department B, no role: the deal manager of deals D and S) and
  the deals of card X: D (template «Подключение B2B-клиента», in its first state «lead»
  with the address filled, so it may move on), S («Поставка оборудования», in «quote»,
  whose leaving asks for the approval "discount") and N (a second B2B deal in «lead»,
  nothing under it: it may be deleted), all registered by the Director.
- ``make_deals_template`` / ``copy_deals``: all of it built once into a database file and
  copied per test.
- ``happy_run_deals``: every deals operation of the API once with good input (the OpenAPI
  test calls it so that every documented operation has answered 2xx).
- ``deals_snapshot``: every data table (the organisation's, the client base's, the tasks',
  the sales' and the deals') and the history, for "a refused request changes nothing".
"""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from ecrm_adapters.sqlalchemy import tables as t
from tests.e2e.api_support import Api, build_org, ok
from tests.e2e.clients_support import build_clients, legal_inn
from tests.e2e.sales_support import PDF, build_sales, copy_sales, sales_snapshot, upload

DEAL_TABLES = (t.deal_templates, t.deals, t.deal_stages, t.deal_payments, t.deal_escalations,
               t.calendar_days)
CONNECTION, SUPPLY = "b2b_connection", "equipment_supply"


@attrs.frozen
class DealWorld:
    deal_mgr: Any
    connection: Any  # the template «Подключение B2B-клиента»
    supply: Any  # the template «Поставка оборудования»
    deal: Any  # D: b2b, lead, deal_mgr its manager
    quote: Any  # S: supply, quote (asks for the approval "discount"), deal_mgr its manager
    spare: Any  # N: b2b, lead, nothing under it


def templates_by_code(app, actor_id: int) -> dict[str, Any]:
    return {tpl.code: tpl for tpl in app.deal_templates.templates(actor_id)}


def build_deals(org, clients) -> DealWorld:
    app = org.system.app
    d = org.director.id
    deal_mgr = app.org.add_employee(d, {"login": "deal_mgr", "password": "password-1",
                                        "full_name": "Сделкин Денис Олегович",
                                        "department_id": org.dep_b.id})
    org.tokens["deal_mgr"] = app.auth.create_api_token(d, deal_mgr.id, "tests deal_mgr")[1]
    books = templates_by_code(app, d)
    deal = app.deals.register(d, {
        "counterparty_id": clients.x.id, "template_id": books[CONNECTION].id,
        "name": "Интернет в офис на Ленина", "amount": "120 000",
        "expected_close_on": "2026-04-15", "manager_id": deal_mgr.id,
        "attributes": {"address": "г. Новосибирск, ул. Ленина, д. 1"}})
    quote = app.deals.register(d, {
        "counterparty_id": clients.x.id, "template_id": books[SUPPLY].id,
        "name": "Коммутаторы на склад", "amount": "50 000", "manager_id": deal_mgr.id,
        "attributes": {"equipment": "Коммутатор 24 порта × 2"}})
    quote = app.deals.move(d, quote.id, "quote", version=quote.version)
    spare = app.deals.register(d, {
        "counterparty_id": clients.x.id, "template_id": books[CONNECTION].id,
        "name": "Ошибочная сделка", "amount": "1 000", "manager_id": org.worker_b.id})
    return DealWorld(deal_mgr, books[CONNECTION], books[SUPPLY], app.deals.get(d, deal.id),
                     quote, spare)


def make_deals_template(base_dir: Path, migrated_db: Path):
    """((path, org), clients, sales, deals, documents), built once; copy it with
    ``copy_deals``."""
    from tests.conftest import found, make_system

    path = base_dir / "deals.db"
    shutil.copy(migrated_db, path)
    system = make_system(f"sqlite:///{path}", base_dir)
    try:
        org = build_org(system, found(system))
        clients = build_clients(org)
        sales = build_sales(org, clients)
        deals = build_deals(org, clients)
        documents = system.settings.documents_dir
    finally:
        system.close()
    return (path, org), clients, sales, deals, documents


@contextmanager
def copy_deals(template, tmp_path: Path):
    """(org, app, clients, sales, deals) on a fresh copy of the template's database."""
    base, clients, sales, deals, documents = template
    with copy_sales((base, clients, sales, documents), tmp_path) as (org, app, _c, _s):
        yield org, app, clients, sales, deals


def deals_snapshot(system) -> dict[str, Any]:
    return sales_snapshot(system, DEAL_TABLES)


# -- every operation once ---------------------------------------------------------------------


def happy_run_deals(app, org) -> None:
    """Every deals operation with good input, as the Director (each answer is checked
    against the document by ``Api``)."""
    boss = Api(app, org.tokens["director"])
    core, d = org.system.app, org.director.id
    catalog = core.catalogs.create(d, {"name": "Клиенты сделок"})
    card = core.counterparties.register(d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "ООО «Заказчик»",
        "inn": legal_inn("540677002"), "kpp": "540601001"})

    # the reference books: templates and the calendar (DEAL-1, DEAL-4)
    listed = ok(boss.get("/deal-templates", query={"active_only": "true"}))["items"]
    books = {tpl["code"]: tpl for tpl in listed}
    detail = ok(boss.get(f"/deal-templates/{books[CONNECTION]['id']}"))
    assert detail["state_set"]["code"] == "deal:b2b_connection"
    made = ok(boss.post("/deal-templates", {
        "code": "pilot", "name": "Пилотный проект",
        "attributes": [{"code": "goal", "label": "Цель пилота", "type": "text"}],
        "states": [{"code": "open", "name": "Открыт", "order": 10, "initial": True,
                    "probability": 30, "norm_days": 5, "required": ["goal"]},
                   {"code": "won", "name": "Успешно", "order": 20, "final": True,
                    "outcome": "won"},
                   {"code": "lost", "name": "Неуспешно", "order": 30, "final": True,
                    "outcome": "lost"}],
        "transitions": [{"from_state": "open", "to_state": "won", "name": "Успех"},
                        {"from_state": "open", "to_state": "lost", "name": "Неуспех",
                         "reason_required": True}]}), 201)
    ok(boss.patch(f"/deal-templates/{made['id']}", {
        "version": made["version"], "description": "Бесплатный пилот на месяц",
        "head_after_days": 3}))
    ok(boss.get("/calendar-days", query={"year": 2026}))
    ok(boss.post("/calendar-days", {"day": "2026-06-15", "working": False,
                                     "note": "Перенос"}))
    assert boss.post("/calendar-days", {"day": "2026-06-15", "working": True}
                     ).status_code == 204

    # a deal from registration to a move (DEAL-3)
    deal = ok(boss.post("/deals", {
        "counterparty_id": card.id, "template_id": books[CONNECTION]["id"],
        "name": "Канал 100 Мбит/с", "amount": "90 000", "expected_close_on": "2026-05-20",
        "project_id": org.proj_p.id}), 201)
    ok(boss.get(f"/deals/{deal['id']}"))
    deal = ok(boss.patch(f"/deals/{deal['id']}", {
        "version": deal["version"], "attributes": {"address": "ул. Мира, д. 5"}}))
    ok(boss.get(f"/deals/{deal['id']}/options"))
    deal = ok(boss.post(f"/deals/{deal['id']}/transitions", {
        "to_state": "survey", "version": deal["version"]}))
    ok(boss.get(f"/deals/{deal['id']}/stays"))
    ok(boss.get(f"/deals/{deal['id']}/payments"))
    ok(boss.get(f"/deals/{deal['id']}/tasks"))
    ok(upload(boss, f"/deals/{deal['id']}/documents", "кп.pdf", PDF), 201)
    ok(boss.get(f"/deals/{deal['id']}/documents"))
    ok(boss.get(f"/counterparties/{card.id}/deals", query={"page": 1}))
    ok(boss.get("/deals", query={"template_id": books[CONNECTION]["id"],
                                  "manager_id": d, "project_id": org.proj_p.id,
                                  "close_from": "2026-01-01", "close_to": "2026-12-31",
                                  "state": "survey", "overdue": "false", "page": 1}))
    ok(boss.get(f"/deal-templates/{books[CONNECTION]['id']}/board", query={
        "manager_id": d, "project_id": org.proj_p.id, "close_from": "2026-01-01",
        "close_to": "2026-12-31", "per_column": 5}))
    ok(boss.get("/deal-forecast", query={"months": 6, "start": "2026-03-01",
                                          "template_id": books[CONNECTION]["id"],
                                          "manager_id": d, "project_id": org.proj_p.id,
                                          "close_from": "2026-01-01",
                                          "close_to": "2026-12-31"}))

    # an approval (DEAL-2) and a deal registered by mistake
    supply = ok(boss.post("/deals", {
        "counterparty_id": card.id, "template_id": books[SUPPLY]["id"],
        "name": "Маршрутизаторы", "amount": "30 000",
        "attributes": {"equipment": "Маршрутизатор × 3"}}), 201)
    supply = ok(boss.post(f"/deals/{supply['id']}/transitions", {
        "to_state": "quote", "version": supply["version"]}))
    ok(boss.post(f"/deals/{supply['id']}/approvals", {"approval": "discount",
                                                        "version": supply["version"]}))
    spare = ok(boss.post("/deals", {"counterparty_id": card.id,
                                     "template_id": made["id"], "name": "Лишняя",
                                     "attributes": {"goal": "Проверить канал"}}), 201)
    assert boss.delete(f"/deals/{spare['id']}", query={"version": spare["version"]}
                       ).status_code == 204
