"""Helpers of the sales API tests (tests/e2e/test_api_sales*.py, issue 5).

- ``build_sales``: on top of ``api_support.build_org`` and ``clients_support.build_clients``
  the people of the rights matrix — inv_mgr (the invoice manager of one invoice, J),
  sales_mgr (Sales management on the Company), gone (client manager of X, then
  disabled; their token no longer authenticates) — and the documents of card X: two
  items with retail prices, contract C (signed) and a draft C2 with nothing under it,
  request R, an internal request of worker_b, a draft invoice I, an issued invoice J
  with a partial payment P, a document D on X and a document E on J.
- ``make_sales_template`` / ``copy_sales``: all of it built once into a database file
  (with its documents folder) and copied per test.
- ``happy_run_sales``: every sales operation of the API once with good input (the
  OpenAPI test calls it so that every documented operation has answered 2xx).
- ``sales_snapshot``: every data table (the organisation's, the client base's, the
  tasks' and the sales') and the history, for "a refused request changes nothing".
- ``upload``: a multipart upload through the test client, checked against the document.
"""

from __future__ import annotations

import io
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import select

from ecrm_adapters.sqlalchemy import tables as t
from tests.e2e.api_support import PREFIX, Api, build_org, check_against_document, copy_of, ok
from tests.e2e.clients_support import build_clients, legal_inn
from tests.e2e.tasks_support import task_snapshot

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082")
SALES_TABLES = (t.state_sets, t.item_groups, t.items, t.service_kinds, t.price_types,
                t.client_types, t.prices, t.contract_types, t.documents, t.contracts,
                t.invoices, t.requests, t.payments, t.acts, t.settlements,
                t.number_sequences, t.outbox, t.handled_messages)
#: An issue date inside the prices' validity (the tests run on the real clock).
DAY = "2026-03-02"


@attrs.frozen
class SalesWorld:
    inv_mgr: Any
    sales_mgr: Any
    gone: Any
    retail: Any
    wholesale: Any
    router: Any
    setup: Any
    services: Any  # contract type «services»
    contract: Any  # C: signed, with R under it
    draft: Any  # C2: a draft with nothing under it
    request: Any  # R, in C
    internal: Any  # worker_b's internal request
    invoice: Any  # I: a draft, the Director its manager
    issued: Any  # J: issued, inv_mgr its manager, partly paid by P
    payment: Any  # P
    document: Any  # D, on card X
    invoice_document: Any  # E, on J


def build_sales(org, clients) -> SalesWorld:
    app = org.system.app
    d = org.director.id

    def person(login: str, name: str, dep) -> Any:
        made = app.org.add_employee(d, {"login": login, "password": "password-1",
                                        "full_name": name, "department_id": dep.id})
        org.tokens[login] = app.auth.create_api_token(d, made.id, f"tests {login}")[1]
        return made

    inv_mgr = person("inv_mgr", "Счетова Инна Павловна", org.dep_b)
    sales_mgr = person("sales_mgr", "Продажин Глеб Олегович", org.dep_b)
    app.access.grant(d, sales_mgr.id, "sales_management", app.org.company().ref)
    gone = person("gone", "Ушедший Борис Петрович", org.dep_a)
    app.access.grant(d, gone.id, "client_manager", clients.x.ref)

    types = {k.code: k for k in app.products.price_types(d)}
    router = app.products.save_item(d, {"name": "Маршрутизатор MikroTik hAP", "unit": "шт",
                                        "vat_rate": "22", "article": "MT-HAP"})
    setup = app.products.save_item(d, {"name": "Настройка оборудования",
                                       "item_kind": "work", "unit": "ч", "vat_rate": "22"})
    for item, amount in ((router, "4 990"), (setup, "1 500")):
        app.products.set_price(d, {"item_id": item.id, "price_type_id": types["retail"].id,
                                   "valid_from": "2026-01-01", "amount": amount})
    app.products.set_price(d, {"item_id": router.id, "price_type_id": types["retail"].id,
                               "valid_from": "2026-03-01", "amount": "5 490"})
    kinds = {k.code: k for k in app.contracts.types(d)}
    contract = app.contracts.register(d, clients.x.id, {
        "contract_type_id": kinds["services"].id, "subject": "Интернет для офиса",
        "signed_on": "2026-02-01"})
    draft = app.contracts.register(d, clients.x.id, {"contract_type_id": kinds["services"].id})
    request = app.requests.create(d, {"contract_id": contract.id,
                                      "subject": "Подключить офис на Ленина",
                                      "assignee_id": org.worker_b.id})
    internal = app.requests.create(org.worker_b.id, {"subject": "Заправить картридж"})
    invoice = app.invoices.create(d, {"counterparty_id": clients.x.id, "issued_on": DAY,
                                      "lines": [{"item_id": setup.id, "quantity": 2}]})
    issued = app.invoices.create(d, {"counterparty_id": clients.x.id, "issued_on": DAY,
                                     "contract_id": contract.id, "manager_id": inv_mgr.id,
                                     "lines": [{"item_id": router.id, "quantity": 2}]})
    issued = app.invoices.move(d, issued.id, "issued")
    payment = app.invoices.register_payment(d, issued.id, {"amount": "1 000",
                                                           "paid_on": DAY})
    issued = app.invoices.get(d, issued.id)
    document = app.documents.upload(d, "counterparty", clients.x.id, "реквизиты.pdf", PDF)
    invoice_document = app.documents.upload(d, "invoice", issued.id, "скан счёта.png", PNG)
    app.org.set_active(d, gone.id, False)
    return SalesWorld(inv_mgr, sales_mgr, gone, types["retail"], types["wholesale"], router,
                      setup, kinds["services"], contract, draft, request, internal, invoice,
                      issued, payment, document, invoice_document)


def make_sales_template(base_dir: Path, migrated_db: Path):
    """((path, org), clients, sales), built once; copy it with ``copy_sales``."""
    from tests.conftest import found, make_system

    path = base_dir / "sales.db"
    shutil.copy(migrated_db, path)
    system = make_system(f"sqlite:///{path}", base_dir)
    try:
        org = build_org(system, found(system))
        clients = build_clients(org)
        world = build_sales(org, clients)
        documents = system.settings.documents_dir
    finally:
        system.close()
    return (path, org), clients, world, documents


@contextmanager
def copy_sales(template, tmp_path: Path):
    """(org, app, clients, sales) on a fresh copy of the template's database and
    documents."""
    base, clients, world, documents = template
    if Path(documents).exists():
        shutil.copytree(documents, tmp_path / "data" / "documents")
    with copy_of(base, tmp_path) as (org, app):
        yield org, app, clients, world


def sales_snapshot(system, also: tuple = ()) -> dict[str, Any]:
    """Every row of the sales tables (and of ``also``'s) and the stored document files,
    on top of the tasks' snapshot: what a refused call must leave as it was."""
    shot = task_snapshot(system)
    with system.engine.connect() as conn:
        for table in (*SALES_TABLES, *also):
            shot[table.name] = [tuple(r) for r in conn.execute(
                select(table).order_by(*table.primary_key.columns))]
    store = Path(system.settings.documents_dir)
    shot["document files"] = sorted(p.name for p in store.rglob("*") if p.is_file()) \
        if store.exists() else []
    return shot


def upload(api: Api, path: str, filename: str, data: bytes, note: str = "", check=True):
    """POST a multipart upload (the field file, and note) as ``api``'s token."""
    headers = {"Authorization": f"Bearer {api.token}"}
    form: dict[str, Any] = {"file": (io.BytesIO(data), filename)}
    if note:
        form["note"] = note
    response = api.client.open(PREFIX + path, method="POST", data=form, headers=headers,
                               content_type="multipart/form-data")
    if check:
        check_against_document(api.app, "POST", PREFIX + path, response)
    return response


# -- every operation once ---------------------------------------------------------------------


def happy_run_sales(app, org) -> None:
    """Every sales operation with good input, as the Director (each answer is checked
    against the document by ``Api``)."""
    boss = Api(app, org.tokens["director"])
    core, d = org.system.app, org.director.id
    catalog = core.catalogs.create(d, {"name": "Клиенты продаж"})
    card = core.counterparties.register(d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "ООО «Покупатель»",
        "inn": legal_inn("540677001"), "kpp": "540601001", "email": "buh@pokupatel.ru"})

    # reference books
    ok(boss.get("/item-groups"))
    group = ok(boss.post("/item-groups", {"name": "Оборудование"}), 201)
    ok(boss.patch(f"/item-groups/{group['id']}", {"version": group["version"],
                                                   "name": "Сетевое оборудование"}))
    spare = ok(boss.post("/item-groups", {"name": "Лишняя", "parent_id": group["id"]}), 201)
    assert boss.delete(f"/item-groups/{spare['id']}").status_code == 204
    item = ok(boss.post("/items", {"name": "Коммутатор 8 портов", "group_id": group["id"],
                                    "unit": "шт", "vat_rate": "22", "article": "SW-8"}), 201)
    ok(boss.get("/items", query={"group_id": group["id"], "q": "коммут", "page": 1,
                                  "include_inactive": "true"}))
    ok(boss.get(f"/items/{item['id']}"))
    item = ok(boss.patch(f"/items/{item['id']}", {"version": item["version"],
                                                   "description": "Неуправляемый"}))
    ok(boss.get("/price-types"))
    kind = ok(boss.post("/price-types", {"code": "budget", "name": "Для бюджетных",
                                          "vat_included": True}), 201)
    ok(boss.patch(f"/price-types/{kind['id']}", {"version": kind["version"],
                                                  "name": "Бюджетная"}))
    ok(boss.get("/client-types"))
    ctype = ok(boss.post("/client-types", {"code": "state", "name": "Бюджетный",
                                            "price_type_id": kind["id"]}), 201)
    ok(boss.patch(f"/client-types/{ctype['id']}", {"version": ctype["version"],
                                                    "name": "Госучреждение"}))
    first = ok(boss.post("/prices", {"item_id": item["id"], "price_type_id": kind["id"],
                                      "valid_from": "2026-01-01", "amount": "2 500,00"}),
                201)
    assert first["amount"] == "2500.00" and first["valid_to"] is None
    later = ok(boss.post("/prices", {"item_id": item["id"], "price_type_id": kind["id"],
                                      "valid_from": "2026-06-01", "amount": "2700"}), 201)
    ok(boss.patch(f"/prices/{later['id']}", {"version": later["version"],
                                              "amount": "2750.50"}))
    ok(boss.get(f"/items/{item['id']}/prices"))
    ok(boss.get(f"/items/{item['id']}/price", query={"price_type_id": kind["id"],
                                                      "day": "2026-03-02"}))
    current = next(p for p in ok(boss.get(f"/items/{item['id']}/prices"))["items"]
                   if p["id"] == later["id"])
    assert boss.delete(f"/prices/{later['id']}", query={"version": current["version"]}
                       ).status_code == 204
    ok(boss.get("/service-kinds", query={"include_inactive": "true"}))
    skind = ok(boss.post("/service-kinds", {
        "code": "internet", "name": "Доступ в интернет", "item_id": item["id"],
        "template": [{"item_id": item["id"], "quantity": "1"}],
        "conditions": [{"code": "ip", "label": "IP-адрес", "type": "ip_address"}]}), 201)
    ok(boss.get(f"/service-kinds/{skind['id']}"))
    ok(boss.patch(f"/service-kinds/{skind['id']}", {"version": skind["version"],
                                                     "name": "Интернет"}))
    ok(boss.get("/contract-types", query={"include_inactive": "true"}))
    ctt = ok(boss.post("/contract-types", {"code": "supply", "name": "Договор поставки",
                                            "number_pattern": "П-{year}-{seq:03d}"}), 201)
    ctt = ok(boss.patch(f"/contract-types/{ctt['id']}", {"version": ctt["version"],
                                                          "name": "Поставка"}))
    sets = ok(boss.get("/state-sets"))["items"]
    invoice_set = next(s for s in sets if s["code"] == "invoice")
    ok(boss.get(f"/state-sets/{invoice_set['id']}"))
    ok(boss.patch(f"/state-sets/{invoice_set['id']}", {"version": invoice_set["version"],
                                                        "name": "Счета клиентов"}))
    ok(boss.post("/state-sets", {
        "code": "short_sale", "name": "Короткая сделка",
        "states": [{"code": "open", "name": "Открыта", "order": 10, "initial": True},
                   {"code": "won", "name": "Выиграна", "order": 20, "final": True}],
        "transitions": [{"from_state": "open", "to_state": "won", "name": "Выиграть"}]}),
        201)
    core.counterparties.update(d, card.id, {"client_type_id": ctype["id"],
                                            "version": card.version})

    # contracts
    contract = ok(boss.post(f"/counterparties/{card.id}/contracts", {
        "contract_type_id": ctt["id"], "subject": "Поставка коммутаторов"}), 201)
    ok(boss.get(f"/counterparties/{card.id}/contracts"))
    ok(boss.get(f"/contracts/{contract['id']}"))
    contract = ok(boss.patch(f"/contracts/{contract['id']}", {
        "version": contract["version"], "signed_on": "2026-03-01", "draft": False}))
    spare_contract = ok(boss.post(f"/counterparties/{card.id}/contracts",
                                   {"contract_type_id": ctt["id"]}), 201)
    assert boss.delete(f"/contracts/{spare_contract['id']}",
                       query={"version": spare_contract["version"]}).status_code == 204

    # invoices
    invoice = ok(boss.post("/invoices", {
        "counterparty_id": card.id, "contract_id": contract["id"], "issued_on": "2026-03-02",
        "lines": [{"item_id": item["id"], "quantity": "3"},
                  {"name": "Доставка", "quantity": 1, "price": "500", "unit": "усл"}]}), 201)
    ok(boss.get(f"/invoices/{invoice['id']}"))
    invoice = ok(boss.patch(f"/invoices/{invoice['id']}", {
        "version": invoice["version"], "note": "Оплата в течение 5 дней"}))
    ok(boss.get(f"/invoices/{invoice['id']}/options"))
    invoice = ok(boss.post(f"/invoices/{invoice['id']}/transitions", {
        "to_state": "issued", "version": invoice["version"]}))
    ok(boss.get(f"/invoices/{invoice['id']}/printable"))
    ok(boss.get(f"/counterparties/{card.id}/invoices", query={"state": "issued",
                                                              "page": 1}))
    paid = ok(boss.post(f"/invoices/{invoice['id']}/payments", {
        "amount": "1000", "paid_on": "2026-03-03", "reference": "п/п 17"}), 201)
    ok(boss.get(f"/invoices/{invoice['id']}/payments"))
    assert boss.delete(f"/payments/{paid['id']}", query={"version": paid["version"]}
                       ).status_code == 204
    ok(boss.post(f"/counterparties/{card.id}/acts", {"invoice_id": invoice["id"],
                                                      "act_on": "2026-03-05"}), 201)
    ok(boss.get(f"/counterparties/{card.id}/acts"))
    ok(boss.get(f"/counterparties/{card.id}/settlement"))
    ok(boss.get(f"/contracts/{contract['id']}/summary"))
    spare_invoice = ok(boss.post("/invoices", {"counterparty_id": card.id}), 201)
    assert boss.delete(f"/invoices/{spare_invoice['id']}",
                       query={"version": spare_invoice["version"]}).status_code == 204

    # requests
    request = ok(boss.post("/requests", {
        "contract_id": contract["id"], "subject": "Смонтировать коммутатор",
        "service_kind_id": skind["id"], "conditions": {"ip": "192.0.2.10"},
        "assignee_id": org.worker_a.id, "due_on": "2026-03-10"}), 201)
    ok(boss.get(f"/requests/{request['id']}"))
    request = ok(boss.patch(f"/requests/{request['id']}", {
        "version": request["version"], "description": "Этаж 3, серверная"}))
    ok(boss.get(f"/requests/{request['id']}/options"))
    ok(boss.post(f"/requests/{request['id']}/transitions", {
        "to_state": "in_work", "version": request["version"]}))
    by_invoice = ok(boss.post("/requests", {"invoice_id": invoice["id"],
                                             "subject": "Доставить оборудование"}), 201)
    assert by_invoice["request_kind"] == "invoice"
    ok(boss.get(f"/counterparties/{card.id}/requests", query={"page": 1}))
    ok(boss.get(f"/contracts/{contract['id']}/requests"))
    ok(boss.get(f"/invoices/{invoice['id']}/requests"))
    ok(boss.get("/me/requests", query={"open_only": "true"}))
    ok(boss.get(f"/employees/{org.worker_a.id}/requests"))

    # documents
    owners = {"counterparties": card.id, "contracts": contract["id"],
              "invoices": invoice["id"], "requests": request["id"]}
    made = {}
    for segment, ident in owners.items():
        made[segment] = ok(upload(boss, f"/{segment}/{ident}/documents", "скан.pdf", PDF,
                                   note="Оригинал у бухгалтера"), 201)
        ok(boss.get(f"/{segment}/{ident}/documents"))
    download = boss.get(f"/documents/{made['contracts']['id']}/content")
    assert download.status_code == 200 and download.data == PDF
    assert boss.delete(f"/documents/{made['requests']['id']}",
                       query={"version": made["requests"]["version"]}).status_code == 204
