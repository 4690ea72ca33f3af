"""The sales API (issue 5): the reference books of goods, prices, client, contract and
price types and state sets (PRD-1…PRD-3, REQ-4, INV-2), contracts (CON-1…CON-4),
requests (REQ-1…REQ-4), invoices with payments, acts and the settlement (INV-1…INV-4,
CP-13) and documents (DOC-1).

Every answer is checked against the OpenAPI document by ``Api``. Bad input answers 422
naming each bad field; a stale version 409 and nothing changes; unknown objects 404.
Money goes both ways as strings ("1234.56"), days as ISO dates."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.e2e.api_support import Api, ok
from tests.e2e.sales_support import (
    DAY,
    PDF,
    copy_sales,
    happy_run_sales,
    make_sales_template,
    sales_snapshot,
    upload,
)
from tests.e2e.test_api_fuzz import NOW, fuzz_read, fuzz_write

MISSING = 999_999


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_sales_template(tmp_path_factory.mktemp("api-sales"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    with copy_sales(template, tmp_path) as found:
        yield found


def _fields(response, status: int = 422) -> dict:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json().get("fields", {})


def test_every_operation_answers_as_documented(world):
    org, app, _clients, _sales = world
    happy_run_sales(app, org)


# -- the reference books (PRD-1…PRD-3) -----------------------------------------------------------


def test_an_item_names_every_bad_field(world):
    org, app, _c, _s = world
    boss = Api(app, org.tokens["director"])
    before = sales_snapshot(org.system)
    errors = _fields(boss.post("/items", {"name": "", "item_kind": "gadget", "vat_rate": "18",
                                          "group_id": MISSING, "article": "x" * 51}))
    assert set(errors) == {"name", "item_kind", "vat_rate", "group_id", "article"}
    assert sales_snapshot(org.system) == before
    assert _fields(boss.get("/items/abc")) == {"item_id": "must be a whole number"} or \
        "item_id" in _fields(boss.get("/items/abc"))
    assert boss.get(f"/items/{MISSING}").status_code == 404
    assert "page" in _fields(boss.get("/items", query={"page": "0"}))


def test_items_page_and_filter(world):
    org, app, _c, s = world
    boss = Api(app, org.tokens["director"])
    found = ok(boss.get("/items", query={"q": "маршрут"}))
    assert [i["id"] for i in found["items"]] == [s.router.id]
    assert found["total"] == 1 and found["per_page"] == 20
    changed = ok(boss.patch(f"/items/{s.router.id}", {"version": s.router.version,
                                                       "active": False}))
    assert changed["active"] is False
    assert ok(boss.get("/items", query={"q": "маршрут"}))["total"] == 0
    assert ok(boss.get("/items", query={"q": "маршрут", "include_inactive": "true"})
               )["total"] == 1
    stale = boss.patch(f"/items/{s.router.id}", {"version": s.router.version, "unit": "компл"})
    assert stale.status_code == 409


def test_the_price_on_a_day_and_the_price_list(world):
    """PRD-3: a price change closes the earlier price; the price on a day is the one whose
    range holds it; no price that day is 404."""
    org, app, _c, s = world
    boss = Api(app, org.tokens["director"])
    listed = ok(boss.get(f"/items/{s.router.id}/prices"))["items"]
    assert [(p["valid_from"], p["valid_to"], p["amount"]) for p in listed] == [
        ("2026-01-01", "2026-03-01", "4990.00"), ("2026-03-01", None, "5490.00")]

    def on(day):
        return boss.get(f"/items/{s.router.id}/price",
                        query={"price_type_id": s.retail.id, "day": day})

    assert ok(on("2026-02-28"))["amount"] == "4990.00"
    assert ok(on("01.03.2026"))["amount"] == "5490.00"
    assert on("2025-12-31").status_code == 404
    assert "day" in _fields(boss.get(f"/items/{s.router.id}/price",
                                     query={"price_type_id": s.retail.id}))
    assert "price_type_id" in _fields(boss.get(f"/items/{s.router.id}/price",
                                               query={"price_type_id": "x", "day": DAY}))


def test_a_price_names_every_bad_field_and_refuses_overlaps(world):
    org, app, _c, s = world
    boss = Api(app, org.tokens["director"])
    before = sales_snapshot(org.system)
    errors = _fields(boss.post("/prices", {"item_id": MISSING, "price_type_id": "x",
                                           "valid_from": "31.02.2026", "amount": "abc"}))
    assert set(errors) == {"item_id", "price_type_id", "valid_from", "amount"}
    errors = _fields(boss.post("/prices", {}))
    assert set(errors) == {"item_id", "price_type_id", "valid_from", "amount"}
    errors = _fields(boss.post("/prices", {
        "item_id": s.router.id, "price_type_id": s.retail.id, "valid_from": "2026-02-01",
        "valid_to": "2026-02-10", "amount": "1"}))
    assert errors["valid_from"].startswith("overlaps the price from 2026-01-01")
    errors = _fields(boss.post("/prices", {
        "item_id": s.router.id, "price_type_id": s.wholesale.id, "valid_from": "2026-02-10",
        "valid_to": "2026-02-01", "amount": "1"}))
    assert set(errors) == {"valid_to"}
    assert sales_snapshot(org.system) == before
    made = ok(boss.post("/prices", {"item_id": s.router.id, "price_type_id": s.wholesale.id,
                                     "valid_from": "2026-01-01", "amount": "4 200,50"}), 201)
    assert made["amount"] == "4200.50"
    stale = boss.patch(f"/prices/{made['id']}", {"version": made["version"] + 1,
                                                 "amount": "1"})
    assert stale.status_code == 409
    assert "version" in _fields(boss.delete(f"/prices/{made['id']}"))
    assert boss.delete(f"/prices/{made['id']}", query={"version": made["version"]}
                       ).status_code == 204


def test_the_other_books_name_bad_fields_and_versions(world):
    org, app, _c, s = world
    boss = Api(app, org.tokens["director"])
    assert _fields(boss.post("/price-types", {"code": "retail", "name": "Ещё одна"})) == {
        "code": "this code is taken"}
    assert set(_fields(boss.post("/client-types", {"code": "Bad Code", "name": "",
                                                   "price_type_id": MISSING}))) == {
        "code", "name", "price_type_id"}
    errors = _fields(boss.post("/contract-types", {"code": "lease", "name": "Аренда",
                                                   "number_pattern": "{year}-{n}"}))
    assert set(errors) == {"number_pattern"}
    assert "attributes[0].type" in _fields(boss.post("/contract-types", {
        "code": "lease", "name": "Аренда",
        "attributes": [{"code": "x", "label": "X", "type": "colour"}]})) or _fields(
        boss.post("/contract-types", {"code": "lease", "name": "Аренда",
                                      "attributes": [{"code": "x", "label": "X",
                                                      "type": "colour"}]}))
    kinds = {k["code"]: k for k in ok(boss.get("/contract-types"))["items"]}
    stale = boss.patch(f"/contract-types/{kinds['services']['id']}",
                       {"version": kinds["services"]["version"] + 5, "name": "Х"})
    assert stale.status_code == 409
    assert "version" in _fields(boss.patch(f"/price-types/{s.retail.id}", {"name": "Р"}))
    errors = _fields(boss.post("/service-kinds", {
        "code": "voip", "name": "Телефония", "item_id": MISSING,
        "template": [{"item_id": MISSING, "quantity": "0"}]}))
    assert {"item_id", "template[0].item_id", "template[0].quantity"} <= set(errors)


def test_item_groups_nest_and_only_an_empty_one_goes(world):
    org, app, _c, s = world
    boss = Api(app, org.tokens["director"])
    top = ok(boss.post("/item-groups", {"name": "Интернет"}), 201)
    child = ok(boss.post("/item-groups", {"name": "Тарифы", "parent_id": top["id"]}), 201)
    tree = ok(boss.get("/item-groups"))["items"]
    assert [(g["name"], g["depth"]) for g in tree] == [("Интернет", 0), ("Тарифы", 1)]
    assert "parent_id" in _fields(boss.patch(f"/item-groups/{top['id']}", {
        "version": top["version"], "parent_id": child["id"]}))
    refused = boss.delete(f"/item-groups/{top['id']}")
    assert refused.status_code == 409
    assert boss.delete(f"/item-groups/{child['id']}").status_code == 204
    assert boss.delete(f"/item-groups/{MISSING}").status_code == 404


def test_state_sets_are_checked_whole_and_keep_states_in_use(world):
    org, app, _c, _s = world
    boss = Api(app, org.tokens["director"])
    sets = {x["code"]: x for x in ok(boss.get("/state-sets"))["items"]}
    invoice_set = sets["invoice"]
    assert {s["code"] for s in invoice_set["states"]} == {
        "draft", "issued", "partly_paid", "paid", "cancelled"}
    states = [dict(s) for s in invoice_set["states"]]
    states[0]["colour"] = "red"
    assert "states[0].colour" in _fields(boss.patch(
        f"/state-sets/{invoice_set['id']}", {"version": invoice_set["version"],
                                             "states": states}))
    # invoice J is partly paid: that state stays
    without = [s for s in invoice_set["states"] if s["code"] != "partly_paid"]
    transitions = [t for t in invoice_set["transitions"]
                   if "partly_paid" not in (t["from_state"], t["to_state"])]
    errors = _fields(boss.patch(f"/state-sets/{invoice_set['id']}", {
        "version": invoice_set["version"], "states": without,
        "transitions": transitions}))
    assert errors.get("states", "").startswith("states in use cannot be removed"), errors
    assert boss.patch(f"/state-sets/{invoice_set['id']}", {
        "version": invoice_set["version"] + 1, "name": "Х"}).status_code == 409
    assert "code" in _fields(boss.post("/state-sets", {
        "code": "invoice", "name": "Ещё счета", "states": invoice_set["states"],
        "transitions": invoice_set["transitions"]}))
    assert boss.get(f"/state-sets/{MISSING}").status_code == 404


def test_the_company_requisites_and_a_clients_type(world):
    org, app, clients, s = world
    boss = Api(app, org.tokens["director"])
    company = ok(boss.get("/company"))
    errors = _fields(boss.patch("/company", {"version": company["version"], "requisites": {
        "inn": "1234567890", "bik": "044525225", "account": "40702810000000000000"}}))
    assert {"requisites.inn", "requisites.account"} <= set(errors)
    changed = ok(boss.patch("/company", {"version": company["version"], "requisites": {
        "full_name": "ООО «Тестовая компания»", "inn": "7707083893", "kpp": "773601001",
        "bik": "044525225", "account": "40702810938000000001"}}))
    assert changed["requisites"]["inn"] == "7707083893" and changed["name"] == company["name"]
    partner = next(t for t in ok(boss.get("/client-types"))["items"]
                   if t["code"] == "partner")
    card = ok(boss.get(f"/counterparties/{clients.y.id}"))
    moved = ok(boss.patch(f"/counterparties/{clients.y.id}", {
        "version": card["version"], "client_type_id": partner["id"]}))
    assert moved["client_type_id"] == partner["id"]
    # a partner is priced wholesale: the router has no wholesale price
    errors = _fields(boss.post("/invoices", {"counterparty_id": clients.y.id,
                                             "issued_on": DAY,
                                             "lines": [{"item_id": s.router.id,
                                                        "quantity": 1}]}))
    assert errors == {"lines[0].price": "no price for this item on the invoice's day: "
                                        "enter one"} or set(errors) == {"lines[0].price"}


# -- contracts (CON-1…CON-4) ----------------------------------------------------------------------


def test_a_contract_names_every_bad_field(world):
    org, app, clients, s = world
    boss = Api(app, org.tokens["director"])
    kinds = {k["code"]: k for k in ok(boss.get("/contract-types"))["items"]}
    before = sales_snapshot(org.system)
    path = f"/counterparties/{clients.x.id}/contracts"
    assert _fields(boss.post(path, {})) == {"contract_type_id": "required"}
    assert "contract_type_id" in _fields(boss.post(path, {"contract_type_id": MISSING}))
    errors = _fields(boss.post(path, {"contract_type_id": kinds["individual"]["id"],
                                      "attributes": {"passport": "12", "shoe_size": 42},
                                      "signed_on": "вчера", "draft": False}))
    assert {"attributes.passport", "attributes.shoe_size", "signed_on"} <= set(errors)
    assert "signed_on" in _fields(boss.post(path, {"contract_type_id": s.services.id,
                                                   "draft": False}))
    assert sales_snapshot(org.system) == before
    assert boss.post(f"/counterparties/{MISSING}/contracts",
                     {"contract_type_id": s.services.id}).status_code == 404
    made = ok(boss.post(path, {"contract_type_id": kinds["individual"]["id"],
                                "signed_on": "2026-03-01",
                                "attributes": {"passport": "4510123456"}}), 201)
    assert made["number"].startswith("Ф-2026-") and made["draft"] is False
    assert made["attributes"] == {"passport": "4510 123456"}
    listed = ok(boss.get(path))["items"]
    assert listed[0]["id"] == made["id"] and {s.contract.id, s.draft.id} <= {
        c["id"] for c in listed}


def test_a_contract_changes_with_its_version_and_only_an_empty_draft_goes(world):
    org, app, _clients, s = world
    boss = Api(app, org.tokens["director"])
    path = f"/contracts/{s.contract.id}"
    current = ok(boss.get(path))
    assert "version" in _fields(boss.patch(path, {"subject": "Без версии"}))
    before = sales_snapshot(org.system)
    stale = boss.patch(path, {"version": current["version"] - 1, "subject": "Старое"})
    assert stale.status_code == 409 and stale.get_json()["error"] == "conflict"
    assert sales_snapshot(org.system) == before
    changed = ok(boss.patch(path, {"version": current["version"], "subject": "Новое"}))
    assert changed["version"] == current["version"] + 1
    refused = boss.delete(path, query={"version": changed["version"]})
    assert refused.status_code == 409
    assert {"requests", "invoices"} <= set(refused.get_json()["details"])
    assert boss.delete(f"/contracts/{s.draft.id}", query={"version": s.draft.version + 3}
                       ).status_code == 409
    assert boss.delete(f"/contracts/{s.draft.id}", query={"version": s.draft.version}
                       ).status_code == 204
    assert boss.get(f"/contracts/{s.draft.id}").status_code == 404


def test_a_contracts_summary_counts_what_it_carries(world):
    org, app, _clients, s = world
    summary = ok(Api(app, org.tokens["plain"]).get(f"/contracts/{s.contract.id}/summary"))
    assert [i["id"] for i in summary["invoices"]] == [s.issued.id]
    assert [r["id"] for r in summary["requests"]] == [s.request.id]
    assert summary["invoiced"] == "10980.00" and summary["paid"] == "1000.00"
    assert summary["acted"] == "0.00"
    assert summary["contract_type"]["code"] == "services"


# -- requests (REQ-1…REQ-4) ------------------------------------------------------------------------


def test_a_request_names_every_bad_field(world):
    org, app, clients, s = world
    boss = Api(app, org.tokens["director"])
    before = sales_snapshot(org.system)
    errors = _fields(boss.post("/requests", {"subject": "", "contract_id": MISSING,
                                             "assignee_id": MISSING, "due_on": "31.02.2026",
                                             "service_kind_id": MISSING}))
    assert {"subject", "contract_id", "assignee_id", "due_on", "service_kind_id"} <= set(errors)
    errors = _fields(boss.post("/requests", {"subject": "Чужой договор",
                                             "counterparty_id": clients.y.id,
                                             "contract_id": s.contract.id}))
    assert errors == {"contract_id": "a contract of another client"}
    assert sales_snapshot(org.system) == before
    made = ok(boss.post("/requests", {"subject": "Выезд инженера",
                                       "counterparty_id": clients.x.id}), 201)
    assert made["request_kind"] == "counterparty" and made["state"] == "new"
    assert made["assignee_id"] == org.director.id


def test_a_request_moves_by_its_transitions(world):
    org, app, _clients, s = world
    manager = Api(app, org.tokens["worker_b"])
    path = f"/requests/{s.request.id}"
    offered = ok(manager.get(f"{path}/options"))
    targets = {o["to_state"]: o for o in offered["options"]}
    assert set(targets) == {"in_work", "cancelled"}
    assert targets["cancelled"]["reason_required"] and targets["in_work"]["open"]
    assert ok(Api(app, org.tokens["plain"]).get(f"{path}/options"))["options"] == []
    version = s.request.version
    assert set(_fields(manager.post(f"{path}/transitions", {}))) == {"to_state", "version"}
    assert "to_state" in _fields(manager.post(f"{path}/transitions",
                                              {"to_state": "lost", "version": version}))
    assert manager.post(f"{path}/transitions", {"to_state": "done", "version": version}
                        ).status_code == 409  # not from "new"
    assert _fields(manager.post(f"{path}/transitions",
                                {"to_state": "cancelled", "version": version})) == {
        "reason": "required"}
    before = sales_snapshot(org.system)
    assert manager.post(f"{path}/transitions", {"to_state": "in_work",
                                                "version": version - 1}).status_code == 409
    assert sales_snapshot(org.system) == before
    moved = ok(manager.post(f"{path}/transitions", {"to_state": "in_work",
                                                     "version": version}))
    assert moved["state"] == "in_work" and moved["state_entered_at"]
    done = ok(manager.post(f"{path}/transitions", {"to_state": "done",
                                                    "version": moved["version"]}))
    assert done["state"] == "done"
    history = ok(manager.get(f"/history/request/{s.request.id}"))["items"]
    assert any(h["action"] == "StateChanged" for h in history)


def test_request_lists(world):
    org, app, clients, s = world
    manager = Api(app, org.tokens["worker_b"])
    mine = ok(manager.get("/me/requests"))
    assert {r["id"] for r in mine["items"]} == {s.request.id, s.internal.id}
    assert mine["per_page"] == 20 and mine["total"] == 2
    assert ok(manager.get(f"/counterparties/{clients.x.id}/requests"))["total"] == 1
    assert ok(manager.get(f"/contracts/{s.contract.id}/requests"))["items"][0]["id"] == \
        s.request.id
    assert ok(manager.get(f"/invoices/{s.issued.id}/requests"))["total"] == 0
    assert "page" in _fields(manager.get("/me/requests", query={"page": "x"}))
    assert Api(app, org.tokens["plain"]).get(f"/requests/{s.internal.id}").status_code == 403
    assert manager.get(f"/requests/{MISSING}").status_code == 404


def test_a_request_is_edited_and_reassigned_with_its_version(world):
    org, app, _clients, s = world
    boss = Api(app, org.tokens["director"])
    path = f"/requests/{s.request.id}"
    assert "assignee_id" in _fields(boss.patch(path, {"version": s.request.version,
                                                      "assignee_id": MISSING}))
    changed = ok(boss.patch(path, {"version": s.request.version,
                                    "assignee_id": org.worker_a.id, "due_on": "20.03.2026"}))
    assert changed["assignee_id"] == org.worker_a.id and changed["due_on"] == "2026-03-20"
    assert boss.patch(path, {"version": s.request.version, "subject": "x"}).status_code == 409


# -- invoices, payments, acts, settlement (INV-1…INV-4, CON-4) --------------------------------------


def test_an_invoice_is_priced_from_the_price_list_on_its_day(world):
    """PRD-3, INV-1: lines naming an item take its name, unit, VAT rate and price of the
    client type's price type on the invoice's day; a given price wins."""
    org, app, clients, s = world
    boss = Api(app, org.tokens["worker_b"])
    made = ok(boss.post("/invoices", {
        "counterparty_id": clients.x.id, "issued_on": "2026-02-15",
        "contact_id": clients.contact.id,
        "lines": [{"item_id": s.router.id, "quantity": "2"},
                  {"item_id": s.setup.id, "quantity": "1,5", "discount": "250"},
                  {"item_id": s.setup.id, "quantity": 1, "price": "1 000,00"},
                  {"name": "Доставка", "quantity": 1, "price": "300", "vat_rate": "none",
                   "unit": "усл"}]}), 201)
    lines = made["lines"]
    assert [(x["name"], x["unit"], x["price"]) for x in lines] == [
        ("Маршрутизатор MikroTik hAP", "шт", "4990.00"), ("Настройка оборудования", "ч",
                                                          "1500.00"),
        ("Настройка оборудования", "ч", "1000.00"), ("Доставка", "усл", "300.00")]
    assert lines[1]["quantity"] == "1.5" and lines[1]["discount"] == "250.00"
    # 9,980 + 2,250 − 250 + 1,000 + 300 = 13,280; VAT 22% inside the first three lines
    assert made["total"] == "13280.00" and made["paid"] == "0.00"
    expected_vat = sum(Decimal(x) * 22 / 122 for x in ("9980", "2000", "1000"))
    assert abs(Decimal(made["vat"]) - expected_vat) < Decimal("0.02")
    assert made["state"] == "draft" and made["contact_name"] == "Соколова Марина Игоревна"
    assert made["requisites"]["inn"] == clients.x.inn
    march = ok(boss.post("/invoices", {"counterparty_id": clients.x.id, "issued_on": DAY,
                                        "lines": [{"item_id": s.router.id, "quantity": 1}]}),
                201)
    assert march["lines"][0]["price"] == "5490.00" and march["total"] == "5490.00"
    assert march["number"] != made["number"]


def test_an_invoice_names_every_bad_field_and_saves_nothing(world):
    org, app, clients, s = world
    boss = Api(app, org.tokens["director"])
    before = sales_snapshot(org.system)
    errors = _fields(boss.post("/invoices", {
        "counterparty_id": clients.x.id, "contact_id": MISSING, "issued_on": "2026-13-01",
        "contract_id": MISSING, "manager_id": MISSING,
        "lines": [{"item_id": MISSING, "quantity": 1},
                  {"name": "", "quantity": "-1", "price": "abc"},
                  {"item_id": s.router.id, "quantity": 1, "vat_rate": "18"},
                  {"item_id": s.setup.id, "quantity": 1, "issued_on": "x",
                   "price": "100", "discount": "500"}]}))
    assert {"contact_id", "issued_on", "contract_id", "manager_id", "lines[0].item_id",
            "lines[1].name", "lines[1].quantity", "lines[1].price", "lines[2].vat_rate",
            "lines[3].discount"} <= set(errors)
    assert _fields(boss.post("/invoices", {})) == {"counterparty_id": "required"}
    assert _fields(boss.post("/invoices", {"counterparty_id": clients.x.id,
                                           "lines": "много"})) == {"lines": "must be a list"}
    assert "lines[0].price" in _fields(boss.post("/invoices", {
        "counterparty_id": clients.x.id, "issued_on": "2025-06-01",
        "lines": [{"item_id": s.router.id, "quantity": 1}]}))
    assert sales_snapshot(org.system) == before
    assert boss.post("/invoices", {"counterparty_id": MISSING}).status_code == 404


def test_payments_move_the_invoice_and_the_settlement(world):
    """INV-2, CON-4, CP-13: a payment registers against an issued invoice only; a part
    makes it partly paid, the rest paid; the client's settlement follows."""
    org, app, clients, s = world
    manager = Api(app, org.tokens["worker_b"])
    invoice = s.invoice  # a draft: 2 h of setup, 3,000.00
    path = f"/invoices/{invoice.id}"
    settlement = f"/counterparties/{clients.x.id}/settlement"
    assert ok(manager.get(settlement)) == {
        "counterparty_id": clients.x.id, "invoiced": "10980.00", "paid": "1000.00",
        "balance": "9980.00", "status": "debt"}
    assert manager.post(f"{path}/payments", {"amount": "100"}).status_code == 409
    issued = ok(manager.post(f"{path}/transitions", {"to_state": "issued",
                                                      "version": invoice.version}))
    assert ok(manager.get(settlement))["invoiced"] == "13980.00"
    assert set(_fields(manager.post(f"{path}/payments", {"amount": "0",
                                                         "paid_on": "вчера"}))) == {
        "amount", "paid_on"}
    assert _fields(manager.post(f"{path}/payments", {})) == {"amount": "required"}
    part = ok(manager.post(f"{path}/payments", {"amount": "1 000,50", "paid_on": DAY}), 201)
    assert part["amount"] == "1000.50"
    now = ok(manager.get(path))
    assert (now["state"], now["paid"], now["debt"]) == ("partly_paid", "1000.50", "1999.50")
    assert now["version"] > issued["version"]
    ok(manager.post(f"{path}/payments", {"amount": "1999.50"}), 201)
    paid = ok(manager.get(path))
    assert paid["state"] == "paid" and paid["paid"] == paid["total"] == "3000.00"
    listed = ok(manager.get(f"{path}/payments"))["items"]
    assert [p["amount"] for p in listed] == ["1000.50", "1999.50"]
    # «Оплачен» is not final (review H1): an overpayment goes (the client pays ahead) and
    # a payment registered by mistake can be removed; the invoice then goes back by hand
    extra = ok(manager.post(f"{path}/payments", {"amount": "1"}), 201)
    assert manager.delete(f"/payments/{extra['id']}", query={"version": extra["version"]}
                          ).status_code == 204
    assert ok(manager.get(path))["state"] == "paid"
    assert ok(manager.get(settlement))["paid"] == "4000.00"
    # J is partly paid by P: deleting P puts its amount back
    assert manager.delete(f"/payments/{s.payment.id}",
                          query={"version": s.payment.version + 1}).status_code == 409
    assert manager.delete(f"/payments/{s.payment.id}",
                          query={"version": s.payment.version}).status_code == 204
    assert ok(manager.get(f"/invoices/{s.issued.id}"))["paid"] == "0.00"
    assert ok(manager.get(settlement))["status"] == "debt"
    # paying J beyond its total: paid, and the client has paid in advance
    ok(manager.post(f"/invoices/{s.issued.id}/payments", {"amount": "12000"}), 201)
    assert ok(manager.get(f"/invoices/{s.issued.id}"))["state"] == "paid"
    assert ok(manager.get(settlement)) == {
        "counterparty_id": clients.x.id, "invoiced": "13980.00", "paid": "15000.00",
        "balance": "-1020.00", "status": "prepaid"}
    assert manager.delete(f"/payments/{MISSING}", query={"version": 1}).status_code == 404


def test_an_invoice_changes_by_its_state_and_version(world):
    org, app, clients, s = world
    boss = Api(app, org.tokens["director"])
    path = f"/invoices/{s.issued.id}"
    current = ok(boss.get(path))
    assert boss.patch(path, {"version": current["version"], "lines": []}).status_code == 409
    before = sales_snapshot(org.system)
    assert boss.patch(path, {"version": current["version"] - 1, "note": "x"}
                      ).status_code == 409
    assert boss.post(f"{path}/transitions", {"to_state": "cancelled", "reason": "Ошибка",
                                             "version": current["version"] - 1}
                     ).status_code == 409
    assert boss.delete(path, query={"version": current["version"]}).status_code == 409
    assert sales_snapshot(org.system) == before
    noted = ok(boss.patch(path, {"version": current["version"], "note": "Срочно",
                                  "due_on": "2026-03-20"}))
    assert noted["note"] == "Срочно" and noted["due_on"] == "2026-03-20"
    offered = ok(boss.get(f"{path}/options"))
    # partly paid: it may be cancelled; back to issued only once its payments are gone
    options = {o["to_state"]: o for o in offered["options"]}
    assert options["cancelled"]["open"] and "draft" not in options
    if "issued" in options:
        assert not options["issued"]["open"] and options["issued"]["blockers"]
    assert {s_["code"] for s_ in offered["states"]} >= {"draft", "paid"}
    draft = ok(boss.get(f"/invoices/{s.invoice.id}"))
    assert boss.delete(f"/invoices/{s.invoice.id}", query={"version": draft["version"]}
                       ).status_code == 204
    assert boss.get(f"/invoices/{s.invoice.id}").status_code == 404
    assert "version" in _fields(boss.delete(f"/invoices/{s.issued.id}"))
    listed = ok(boss.get(f"/counterparties/{clients.x.id}/invoices",
                          query={"state": "partly_paid"}))
    assert [i["id"] for i in listed["items"]] == [s.issued.id] and listed["total"] == 1
    assert ok(boss.get(f"/counterparties/{clients.x.id}/invoices",
                        query={"state": "paid"}))["total"] == 0


def test_the_printable_invoice_and_acts(world):
    org, app, clients, s = world
    boss = Api(app, org.tokens["plain"])
    printable = ok(boss.get(f"/invoices/{s.issued.id}/printable"))
    assert printable["invoice"]["id"] == s.issued.id
    assert printable["total"] == "10980.00" and printable["state_name"] == "Частично оплачен"
    assert [v["rate"] for v in printable["by_rate"]] == ["22"]
    assert printable["by_rate"][0]["vat"] == "1980.00"
    manager = Api(app, org.tokens["worker_b"])
    assert set(_fields(manager.post(f"/counterparties/{clients.x.id}/acts", {
        "invoice_id": MISSING, "amount": "-1"}))) == {"invoice_id", "amount"}
    assert _fields(manager.post(f"/counterparties/{clients.x.id}/acts", {})) == {
        "amount": "required"}
    act = ok(manager.post(f"/counterparties/{clients.x.id}/acts", {
        "invoice_id": s.issued.id, "act_on": DAY}), 201)
    assert act["amount"] == "10980.00" and act["contract_id"] == s.contract.id
    assert [a["id"] for a in ok(boss.get(f"/counterparties/{clients.x.id}/acts"))["items"]
            ] == [act["id"]]
    assert ok(boss.get(f"/contracts/{s.contract.id}/summary"))["acted"] == "10980.00"


# -- documents (DOC-1) ----------------------------------------------------------------------------


def test_documents_upload_list_download_and_remove(world):
    org, app, clients, s = world
    manager = Api(app, org.tokens["worker_b"])
    path = f"/contracts/{s.contract.id}/documents"
    before = sales_snapshot(org.system)
    assert _fields(upload(manager, path, "вирус.exe", b"MZ\x90\x00")) == {
        "file": "PDF, images, Word/Excel/OpenDocument, RTF, text or CSV files only"}
    assert "file" in _fields(upload(manager, path, "пусто.pdf", b""))
    no_file = manager.post(path, {"note": "без файла"})
    assert "file" in _fields(no_file)
    assert "note" in _fields(upload(manager, path, "скан.pdf", PDF, note="x" * 501))
    assert upload(manager, f"/contracts/{MISSING}/documents", "скан.pdf", PDF
                  ).status_code == 404
    assert sales_snapshot(org.system) == before
    # the core's 20 MB: 18 MB goes through the API, 20 MB and a byte gets its message
    big = ok(upload(manager, path, "скан.pdf", PDF + b"0" * (18 * 1024 * 1024)), 201)
    too_big = upload(manager, path, "скан.pdf", PDF + b"0" * (20 * 1024 * 1024))
    assert too_big.status_code == 422 and "file" in _fields(too_big)
    assert manager.delete(f"/documents/{big['id']}", query={"version": big["version"]}
                          ).status_code == 204
    before = sales_snapshot(org.system)
    made = ok(upload(manager, path, "Договор № 1.pdf", PDF, note="Подписанный"), 201)
    assert (made["owner_kind"], made["owner_id"], made["counterparty_id"]) == (
        "contract", s.contract.id, clients.x.id)
    assert made["content_type"] == "application/pdf" and made["size"] == len(PDF)
    assert [d["id"] for d in ok(manager.get(path))["items"]] == [made["id"]]
    download = Api(app, org.tokens["plain"]).get(f"/documents/{made['id']}/content")
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert "attachment" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    linked = ok(manager.patch(f"/contracts/{s.contract.id}", {
        "version": s.contract.version, "document_id": made["id"]}))
    assert linked["document_id"] == made["id"]
    assert "document_id" in _fields(manager.patch(f"/contracts/{s.contract.id}", {
        "version": linked["version"], "document_id": s.document.id}))
    assert manager.delete(f"/documents/{made['id']}", query={"version": made["version"] + 1}
                          ).status_code == 409
    assert manager.delete(f"/documents/{made['id']}", query={"version": made["version"]}
                          ).status_code == 204
    assert ok(manager.get(f"/contracts/{s.contract.id}"))["document_id"] is None
    assert manager.get(f"/documents/{made['id']}/content").status_code == 404
    history = ok(manager.get(f"/counterparties/{clients.x.id}/history"))["items"]
    assert sum(c["field"] == "document" for h in history for c in h["changes"]) >= 2


def test_unknown_objects_are_404_and_bad_ids_422(world):
    org, app, clients, _s = world
    boss = Api(app, org.tokens["director"])
    for path in (f"/contracts/{MISSING}", f"/contracts/{MISSING}/summary",
                 f"/requests/{MISSING}", f"/requests/{MISSING}/options",
                 f"/invoices/{MISSING}", f"/invoices/{MISSING}/options",
                 f"/invoices/{MISSING}/printable", f"/invoices/{MISSING}/payments",
                 f"/counterparties/{MISSING}/invoices", f"/counterparties/{MISSING}/contracts",
                 f"/counterparties/{MISSING}/settlement", f"/counterparties/{MISSING}/acts",
                 f"/service-kinds/{MISSING}", f"/documents/{MISSING}/content",
                 f"/invoices/{MISSING}/documents"):
        assert boss.get(path).status_code == 404, path
    for path, name in (("/contracts/x", "contract_id"), ("/invoices/0", "invoice_id"),
                       ("/requests/-1", "request_id"),
                       ("/counterparties/abc/documents", "counterparty_id")):
        assert name in _fields(boss.get(path)), path
    assert "page" in _fields(boss.get(f"/counterparties/{clients.x.id}/invoices",
                                      query={"page": "0"}))


# -- generated input never gives a 500 ----------------------------------------------------------

LINE = {"item_id": 1, "quantity": "1", "price": "100"}
#: (method, path, field names the endpoint reads, a valid base body)
WRITES = [
    ("POST", "/items", ("name", "item_kind", "group_id", "unit", "vat_rate", "article",
                        "description", "active"), {"name": "Кабель", "unit": "м"}),
    ("PATCH", "/items/{id}", ("version", "name", "item_kind", "group_id", "vat_rate",
                              "active"), {"version": NOW, "name": "Кабель"}),
    ("POST", "/item-groups", ("name", "parent_id"), {"name": "Группа"}),
    ("POST", "/prices", ("item_id", "price_type_id", "valid_from", "valid_to", "amount"),
     {"item_id": 1, "price_type_id": 1, "valid_from": "2027-01-01", "amount": "10"}),
    ("PATCH", "/prices/{id}", ("version", "valid_from", "valid_to", "amount"),
     {"version": 1, "amount": "10"}),
    ("POST", "/service-kinds", ("code", "name", "item_id", "template", "conditions", "card",
                                "attributes", "active"), {"code": "k1", "name": "Вид"}),
    ("PATCH", "/service-kinds/{id}", ("version", "name", "template", "conditions", "card",
                                      "attributes"), {"version": NOW, "name": "Вид"}),
    ("POST", "/price-types", ("code", "name", "vat_included"), {"code": "p1", "name": "Цена"}),
    ("POST", "/client-types", ("code", "name", "price_type_id"),
     {"code": "c1", "name": "Тип", "price_type_id": 1}),
    ("POST", "/contract-types", ("code", "name", "number_pattern", "attributes", "active"),
     {"code": "t1", "name": "Тип", "number_pattern": "{seq}"}),
    ("POST", "/state-sets", ("code", "name", "states", "transitions"),
     {"code": "deal", "name": "Сделки",
      "states": [{"code": "a", "name": "А", "initial": True},
                 {"code": "b", "name": "Б", "final": True}],
      "transitions": [{"from_state": "a", "to_state": "b", "name": "Вперёд"}]}),
    ("PATCH", "/state-sets/{id}", ("version", "name", "states", "transitions"),
     {"version": NOW, "name": "Набор"}),
    ("POST", "/counterparties/{id}/contracts", ("contract_type_id", "subject", "signed_on",
                                                "draft", "attributes"),
     {"contract_type_id": 1, "subject": "Договор"}),
    ("PATCH", "/contracts/{id}", ("version", "subject", "signed_on", "draft", "attributes",
                                  "document_id"), {"version": NOW, "subject": "Договор"}),
    ("POST", "/requests", ("subject", "counterparty_id", "contract_id", "invoice_id",
                           "assignee_id", "service_kind_id", "conditions", "description",
                           "due_on"), {"subject": "Заявка", "counterparty_id": 1}),
    ("PATCH", "/requests/{id}", ("version", "subject", "contract_id", "assignee_id",
                                 "service_kind_id", "conditions", "due_on"),
     {"version": NOW, "subject": "Заявка"}),
    ("POST", "/requests/{id}/transitions", ("to_state", "reason", "version"),
     {"to_state": "in_work", "version": NOW}),
    ("POST", "/invoices", ("counterparty_id", "issued_on", "contract_id", "price_type_id",
                           "vat_included", "lines", "contact_id", "contact_name", "due_on",
                           "note", "manager_id"),
     {"counterparty_id": 1, "lines": [LINE]}),
    ("PATCH", "/invoices/{id}", ("version", "issued_on", "lines", "contact_id", "due_on",
                                 "note", "manager_id", "vat_included"),
     {"version": NOW, "lines": [LINE, LINE]}),
    ("POST", "/invoices/{id}/transitions", ("to_state", "reason", "version"),
     {"to_state": "issued", "version": NOW}),
    ("POST", "/invoices/{id}/payments", ("amount", "paid_on", "reference", "note"),
     {"amount": "10"}),
    ("POST", "/counterparties/{id}/acts", ("invoice_id", "contract_id", "amount", "act_on",
                                           "note"), {"amount": "10"}),
    ("DELETE", "/payments/{id}", (), None),
    ("DELETE", "/documents/{id}", (), None),
]
READS = [
    ("/items", ("group_id", "q", "page", "include_inactive")),
    ("/items/{id}/price", ("price_type_id", "day")),
    ("/counterparties/{id}/invoices", ("page", "state")),
    ("/counterparties/{id}/requests", ("page",)),
    ("/me/requests", ("page", "open_only")),
    ("/contract-types", ("include_inactive",)),
]


@pytest.mark.parametrize("method, template_path, names, base", WRITES,
                         ids=[f"{m} {p}" for m, p, _, _ in WRITES])
def test_generated_bodies_never_break_a_sales_write_endpoint(world, method, template_path,
                                                             names, base):
    org, app, _clients, _sales = world
    fuzz_write(org, app, method, template_path, names, base)


@pytest.mark.parametrize("template_path, names", READS, ids=[p for p, _ in READS])
def test_generated_query_strings_never_break_a_sales_read_endpoint(world, template_path,
                                                                   names):
    org, app, _clients, _sales = world
    fuzz_read(org, app, template_path, names)
