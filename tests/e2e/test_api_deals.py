"""The deals API (issue 6): deal templates and the working-days calendar (DEAL-1, DEAL-2,
DEAL-4), deals registered by a template and moved through the one workflow engine
(DEAL-3: every unmet condition named in a 422, won / lost with a reason), the time in
each state and the over-norm flag (DEAL-4), the pipeline board's columns, totals and cards
and the forecast by month (RPT-4).

Every answer is checked against the OpenAPI document by ``Api``. A stale version is 409
and changes nothing. The world runs on a fake clock from Monday 2 March 2026, 09:00 UTC
(12:00 in Moscow, the employees' zone), so norms and months are exact."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests.e2e.api_support import Api, build_org, ok
from tests.e2e.clients_support import build_clients
from tests.e2e.deals_support import CONNECTION, SUPPLY, deals_snapshot, happy_run_deals
from tests.e2e.sales_support import PDF, upload
from tests.e2e.test_api_fuzz import NOW, fuzz_read, fuzz_write
from tests.fakes import FakeClock

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
MISSING = 999_999


@attrs.frozen
class Flow:
    org: Any
    app: Any
    clock: FakeClock
    clients: Any
    sales_mgr: Any
    connection: int  # template ids
    supply: int

    def api(self, who: str) -> Api:
        return Api(self.app, self.org.tokens[who])


def _build(base_dir: Path, migrated_db: Path):
    from tests.conftest import found, make_system

    path = base_dir / "flow.db"
    shutil.copy(migrated_db, path)
    system = make_system(f"sqlite:///{path}", base_dir, clock=FakeClock(START))
    try:
        org = build_org(system, found(system))
        clients = build_clients(org)
        app, d = system.app, org.director.id
        sales_mgr = app.org.add_employee(d, {"login": "sales_mgr", "password": "password-1",
                                             "full_name": "Продажин Глеб Олегович",
                                             "department_id": org.dep_b.id})
        app.access.grant(d, sales_mgr.id, "sales_management", app.org.company().ref)
        org.tokens["sales_mgr"] = app.auth.create_api_token(d, sales_mgr.id, "tests")[1]
        books = {t.code: t.id for t in app.deal_templates.templates(d)}
    finally:
        system.close()
    return path, org, clients, sales_mgr, books


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return _build(tmp_path_factory.mktemp("api-deals"), _sqlite_template)


@pytest.fixture
def flow(template, tmp_path):
    from ecrm_web.app import create_app
    from tests.conftest import make_system

    path, org, clients, sales_mgr, books = template
    target = tmp_path / "ecrm.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{path}{suffix}").exists():
            shutil.copy(f"{path}{suffix}", f"{target}{suffix}")
    clock = FakeClock(START)
    system = make_system(f"sqlite:///{target}", tmp_path, clock=clock)
    try:
        yield Flow(attrs.evolve(org, system=system), create_app(system, {"TESTING": True}),
                   clock, clients, sales_mgr, books[CONNECTION], books[SUPPLY])
    finally:
        system.close()


def _fields(response, status: int = 422) -> dict:
    assert response.status_code == status, (response.status_code, response.get_json())
    return response.get_json().get("fields", {})


def _register(api: Api, flow: Flow, **extra) -> dict:
    return ok(api.post("/deals", {
        "counterparty_id": flow.clients.x.id, "template_id": flow.connection,
        "name": "Интернет в офис на Ленина", "amount": "120 000",
        "expected_close_on": "2026-04-15", **extra}), 201)


def _move(api: Api, deal: dict, to_state: str, **extra):
    return api.post(f"/deals/{deal['id']}/transitions", {
        "to_state": to_state, "version": deal["version"], **extra})


def _patch(api: Api, deal: dict, **values) -> dict:
    return ok(api.patch(f"/deals/{deal['id']}", {"version": deal["version"], **values}))


def test_every_operation_answers_as_documented(flow):
    happy_run_deals(flow.app, flow.org)


# -- a deal from its first contact to the money (DEAL-2, DEAL-3) -------------------------------


def test_a_deal_goes_from_lead_to_won_and_every_refusal_names_the_unmet_conditions(flow):
    mgr = flow.api("worker_b")  # X's client manager: registers and works its deals
    deal = _register(mgr, flow)
    assert (deal["state"], deal["probability"], deal["manager_id"], deal["number"]) == (
        "lead", 10, flow.org.worker_b.id, "1")
    assert (deal["amount"], deal["weighted"]) == ("120000.00", "12000.00")
    # the norm of «lead» is 3 working days: Monday noon (Moscow) → Thursday noon
    assert deal["due_in_state"] == "2026-03-05T09:00:00+00:00" and not deal["overdue"]
    [task] = ok(mgr.get(f"/deals/{deal['id']}/tasks"))["items"]
    assert (task["counterparty_id"], task["responsible_id"]) == (flow.clients.x.id,
                                                                 flow.org.worker_b.id)
    client_tasks = ok(mgr.get(f"/counterparties/{flow.clients.x.id}/tasks"))["items"]
    assert task["id"] in {t["id"] for t in client_tasks}, "a deal's task shows on its client"

    # lead → survey: the address is required in «survey»
    assert _fields(_move(mgr, deal, "survey")) == {"address": "required"}
    deal = _patch(mgr, deal, attributes={"address": "ул. Ленина, д. 1"})
    flow.clock.advance(hours=26)
    deal = ok(_move(mgr, deal, "survey"))
    assert (deal["state"], deal["probability"]) == ("survey", 25)
    # survey → proposal needs the bandwidth; proposal → negotiation a document and the
    # decision maker — all named at once
    assert _fields(_move(mgr, deal, "proposal")) == {"bandwidth": "required"}
    deal = _patch(mgr, deal, attributes={"bandwidth": "100"})
    deal = ok(_move(mgr, deal, "proposal"))
    assert _fields(_move(mgr, deal, "negotiation")) == {
        "document_attached": "the condition is not met", "decision_maker": "required"}
    offered = ok(mgr.get(f"/deals/{deal['id']}/options"))["options"]
    negotiation = next(o for o in offered if o["to_state"] == "negotiation")
    assert {b["field"] for b in negotiation["blockers"]} == {"document_attached",
                                                             "decision_maker"}
    ok(upload(mgr, f"/deals/{deal['id']}/documents", "кп.pdf", PDF), 201)
    deal = _patch(mgr, deal, attributes={"decision_maker": "Сидоров П. П."})
    deal = ok(_move(mgr, deal, "negotiation"))

    # negotiation → payment: an invoice issued for the deal
    assert _fields(_move(mgr, deal, "payment")) == {
        "invoice_issued": "the condition is not met"}
    invoice = ok(mgr.post("/invoices", {
        "counterparty_id": flow.clients.x.id, "deal_id": deal["id"],
        "lines": [{"name": "Подключение", "quantity": 1, "price": "120000"}]}), 201)
    assert invoice["deal_id"] == deal["id"]
    invoice = ok(mgr.post(f"/invoices/{invoice['id']}/transitions", {
        "to_state": "issued", "version": invoice["version"]}))
    deal = ok(_move(mgr, deal, "payment"))
    [planned] = ok(mgr.get(f"/deals/{deal['id']}/payments"))["items"]
    assert (planned["amount"], planned["state"]) == ("120000.00", "payment")

    # payment → won: the invoice paid
    assert _fields(_move(mgr, deal, "won")) == {"invoice_paid": "the condition is not met"}
    ok(mgr.post(f"/invoices/{invoice['id']}/payments", {"amount": "120000"}), 201)
    deal = ok(mgr.get(f"/deals/{deal['id']}"))
    deal = ok(_move(mgr, deal, "won"))
    assert (deal["outcome"], deal["probability"], deal["due_in_state"]) == ("won", 100, None)
    assert deal["closed_at"] is not None and not deal["overdue"]

    stays = ok(mgr.get(f"/deals/{deal['id']}/stays"))["items"]
    assert [s["state"] for s in stays] == ["lead", "survey", "proposal", "negotiation",
                                           "payment", "won"]
    assert stays[0]["hours"] == 26.0 and stays[0]["working_hours"] is not None
    assert all(s["left_at"] for s in stays[:-1]) and stays[-1]["left_at"] is None
    history = ok(mgr.get(f"/history/deal/{deal['id']}"))["items"]
    assert sum(e["action"] == "StateChanged" for e in history) == 5
    # a closed deal is not changed any more
    assert mgr.patch(f"/deals/{deal['id']}", {"version": deal["version"],
                                              "name": "x"}).status_code == 409


def test_a_lost_deal_needs_a_reason(flow):
    mgr = flow.api("worker_b")
    deal = _register(mgr, flow)
    assert _fields(_move(mgr, deal, "lost")) == {"reason": "required"}
    deal = ok(_move(mgr, deal, "lost", reason="Выбрали другого провайдера"))
    assert (deal["state"], deal["outcome"], deal["close_reason"], deal["probability"]) == (
        "lost", "lost", "Выбрали другого провайдера", 0)
    assert ok(mgr.get(f"/counterparties/{flow.clients.x.id}/deals"))["total"] == 1


def test_a_stale_version_is_409_and_changes_nothing(flow):
    mgr = flow.api("worker_b")
    deal = _register(mgr, flow, attributes={"address": "ул. Ленина, д. 1"})
    fresh = _patch(mgr, deal, note="Перезвонить в среду")
    before = deals_snapshot(flow.org.system)
    stale = {**fresh, "version": deal["version"]}
    assert mgr.patch(f"/deals/{deal['id']}", {"version": deal["version"],
                                              "name": "Другое"}).status_code == 409
    assert _move(mgr, stale, "survey").status_code == 409
    assert mgr.post(f"/deals/{deal['id']}/transitions", {"to_state": "survey"}
                    ).status_code == 422, "a move names the version it was prepared against"
    assert mgr.delete(f"/deals/{deal['id']}", query={"version": deal["version"]}
                      ).status_code == 409
    assert deals_snapshot(flow.org.system) == before
    assert ok(_move(mgr, fresh, "survey"))["state"] == "survey"


def test_bad_input_is_named_and_unknown_objects_are_404(flow):
    mgr = flow.api("worker_b")
    before = deals_snapshot(flow.org.system)
    assert set(_fields(mgr.post("/deals", {}))) == {"counterparty_id", "template_id"}
    assert set(_fields(mgr.post("/deals", {
        "counterparty_id": flow.clients.x.id, "template_id": flow.connection,
        "amount": "много", "expected_close_on": "31.02.2026",
        "attributes": {"nonsense": "1"}}))) == {"name", "amount", "expected_close_on",
                                                "attributes.nonsense"}
    assert _fields(mgr.post("/deals", {"counterparty_id": flow.clients.x.id,
                                       "template_id": MISSING, "name": "x"})) == {
        "template_id": "no such active deal template"}
    assert mgr.get(f"/deals/{MISSING}").status_code == 404
    assert mgr.get("/deals/abc").status_code == 422
    assert deals_snapshot(flow.org.system) == before
    deal = _register(mgr, flow)
    assert "to_state" in _fields(_move(mgr, deal, "nowhere"))
    assert _move(mgr, deal, "won").status_code == 409, "no such transition from lead"
    assert "per_column" in _fields(mgr.get(f"/deal-templates/{flow.connection}/board",
                                           query={"per_column": 0}))
    assert "months" in _fields(mgr.get("/deal-forecast", query={"months": 37}))
    assert "close_to" in _fields(mgr.get("/deals", query={"close_from": "2026-05-01",
                                                          "close_to": "2026-04-01"}))
    assert "year" in _fields(mgr.get("/calendar-days", query={"year": "двадцать"}))


def test_a_deal_registered_by_mistake_goes_while_it_is_in_its_first_state(flow):
    mgr = flow.api("worker_b")
    deal = _register(mgr, flow, attributes={"address": "ул. Ленина, д. 1"})
    moved = ok(_move(mgr, deal, "survey"))
    assert mgr.delete(f"/deals/{deal['id']}", query={"version": moved["version"]}
                      ).status_code == 409
    spare = _register(mgr, flow, name="Дубль")
    [task] = ok(mgr.get(f"/deals/{spare['id']}/tasks"))["items"]
    assert mgr.delete(f"/deals/{spare['id']}").status_code == 422, "the version is required"
    assert mgr.delete(f"/deals/{spare['id']}", query={"version": spare["version"]}
                      ).status_code == 204
    assert mgr.get(f"/deals/{spare['id']}").status_code == 404
    assert ok(mgr.get(f"/tasks/{task['id']}"))["id"] == task["id"], "its tasks stay"


def test_an_approval_opens_the_way_out_of_the_quote(flow):
    mgr, sales = flow.api("worker_b"), flow.api("sales_mgr")
    deal = ok(mgr.post("/deals", {
        "counterparty_id": flow.clients.x.id, "template_id": flow.supply,
        "name": "Коммутаторы", "amount": "50000",
        "attributes": {"equipment": "Коммутатор × 2"}}), 201)
    deal = ok(_move(mgr, deal, "quote"))
    [planned] = ok(mgr.get(f"/deals/{deal['id']}/payments"))["items"]
    assert planned["amount"] == "25000.00", "half the amount is planned on the quote"
    assert _fields(_move(mgr, deal, "prepaid")) == {
        "discount": "approval not obtained", "invoice_issued": "the condition is not met",
        "delivery_address": "required"}
    assert mgr.post(f"/deals/{deal['id']}/approvals", {
        "approval": "discount", "version": deal["version"]}).status_code == 403
    assert "approval" in _fields(sales.post(f"/deals/{deal['id']}/approvals", {
        "approval": "nonsense", "version": deal["version"]}))
    deal = ok(sales.post(f"/deals/{deal['id']}/approvals", {
        "approval": "discount", "version": deal["version"]}))
    assert deal["approvals"] == ["discount"]
    assert _fields(_move(mgr, deal, "prepaid")) == {
        "invoice_issued": "the condition is not met", "delivery_address": "required"}


# -- the norms, the board and the forecast (DEAL-4, RPT-4) -------------------------------------


def test_an_over_norm_deal_is_flagged_and_listed(flow):
    mgr = flow.api("worker_b")
    deal = _register(mgr, flow)
    assert ok(mgr.get("/deals", query={"overdue": "true"}))["total"] == 0
    flow.clock.advance(days=3)  # Thursday 09:00 UTC: the norm is over
    assert ok(mgr.get(f"/deals/{deal['id']}"))["overdue"] is True
    listed = ok(mgr.get("/deals", query={"overdue": "true"}))
    assert [d["id"] for d in listed["items"]] == [deal["id"]]
    board = ok(mgr.get(f"/deal-templates/{flow.connection}/board"))
    lead = next(c for c in board["columns"] if c["state"]["code"] == "lead")
    assert lead["overdue"] == 1 and lead["cards"][0]["overdue"] is True
    assert lead["cards"][0]["days_in_state"] == 3


def test_the_calendar_counts_in_the_norms(flow):
    boss, mgr = flow.api("director"), flow.api("worker_b")
    marked = ok(boss.post("/calendar-days", {"day": "03.03.2026", "working": False,
                                              "note": "Выходной по приказу"}))
    assert (marked["day"], marked["working"]) == ("2026-03-03", False)
    days = {d["day"] for d in ok(mgr.get("/calendar-days", query={"year": 2026}))["items"]}
    assert {"2026-03-03", "2026-01-01", "2026-11-04"} <= days
    # Monday noon + 3 working days, Tuesday off → Friday noon
    deal = _register(mgr, flow)
    assert deal["due_in_state"] == "2026-03-06T09:00:00+00:00"
    before = deals_snapshot(flow.org.system)
    assert mgr.post("/calendar-days", {"day": "2026-03-04"}).status_code == 403
    assert deals_snapshot(flow.org.system) == before
    assert boss.post("/calendar-days", {"day": "2026-03-03", "working": True}
                     ).status_code == 204, "back to a plain Tuesday"
    assert "2026-03-03" not in {d["day"] for d in ok(
        mgr.get("/calendar-days", query={"year": 2026}))["items"]}


def _column(board: dict, code: str) -> dict:
    return next(c for c in board["columns"] if c["state"]["code"] == code)


def test_the_board_has_a_column_per_state_with_totals_cards_and_filters(flow):
    boss, mgr, sales = flow.api("director"), flow.api("worker_b"), flow.api("sales_mgr")
    a = _register(mgr, flow, name="A", amount="100 000", project_id=flow.org.proj_p.id)
    flow.clock.advance(hours=1)
    b = _register(mgr, flow, name="B", amount="60 000", expected_close_on="2026-06-10",
                  attributes={"address": "ул. Мира, д. 2"})
    flow.clock.advance(hours=1)
    ok(_move(mgr, b, "survey"))
    c = _register(boss, flow, name="C", amount="40 000", manager_id=flow.org.director.id)

    board = ok(sales.get(f"/deal-templates/{flow.connection}/board"))
    assert [col["state"]["code"] for col in board["columns"]] == [
        "lead", "survey", "proposal", "negotiation", "payment", "won", "lost"]
    lead, survey = _column(board, "lead"), _column(board, "survey")
    assert (lead["count"], lead["amount"], lead["weighted"]) == (2, "140000.00", "14000.00")
    assert (survey["count"], survey["amount"], survey["weighted"]) == (1, "60000.00",
                                                                      "15000.00")
    assert (board["count"], board["amount"], board["weighted"]) == (3, "200000.00",
                                                                    "29000.00")
    assert [card["id"] for card in lead["cards"]] == [a["id"], c["id"]], \
        "longest in the state first"
    assert lead["cards"][0]["client_name"] == "ООО «Сибирский лес»"
    assert (lead["state"]["probability"], lead["state"]["norm_days"]) == (10, 3)

    def count(who: Api, **query) -> int:
        return ok(who.get(f"/deal-templates/{flow.connection}/board", query=query))["count"]

    assert count(sales, manager_id=flow.org.worker_b.id) == 2
    assert count(sales, project_id=flow.org.proj_p.id) == 1
    assert count(sales, close_from="2026-05-01", close_to="2026-06-30") == 1
    assert count(mgr) == 2, "a manager sees the figures of their own deals"
    assert mgr.get(f"/deal-templates/{flow.connection}/board",
                   query={"manager_id": flow.org.director.id}).status_code == 403
    assert count(boss, per_column=1) == 3
    assert len(_column(ok(boss.get(f"/deal-templates/{flow.connection}/board",
                                    query={"per_column": 1})), "lead")["cards"]) == 1
    # the rest of a column: the deals list of the template and state
    listed = ok(sales.get("/deals", query={"template_id": flow.connection,
                                            "state": "lead"}))
    assert {d["id"] for d in listed["items"]} == {a["id"], c["id"]}
    assert ok(mgr.get("/deals"))["total"] == 2
    assert mgr.get("/deals", query={"manager_id": flow.org.director.id}).status_code == 403


def test_the_forecast_weighs_open_deals_and_planned_payments_by_month(flow):
    mgr, sales = flow.api("worker_b"), flow.api("sales_mgr")
    _register(mgr, flow, name="A", amount="100 000", expected_close_on="2026-04-20")
    supply = ok(mgr.post("/deals", {
        "counterparty_id": flow.clients.x.id, "template_id": flow.supply,
        "name": "Поставка", "amount": "50 000", "expected_close_on": "2026-05-15",
        "attributes": {"equipment": "Маршрутизатор"}}), 201)
    ok(_move(mgr, supply, "quote"))  # plans 25 000 in 5 days (March), probability 50
    found = ok(sales.get("/deal-forecast", query={"months": 4, "start": "2026-03-10"}))
    months = {m["month"]: m for m in found["months"]}
    assert list(months) == ["2026-03-01", "2026-04-01", "2026-05-01", "2026-06-01"]
    assert (months["2026-03-01"]["planned"], months["2026-03-01"]["planned_weighted"]) == (
        "25000.00", "12500.00")
    assert months["2026-04-01"]["weighted"] == "10000.00"  # 100 000 × 10 %
    # the supply's amount less its planned payment, × 50 %
    assert (months["2026-05-01"]["pipeline"], months["2026-05-01"]["weighted"]) == (
        "50000.00", "12500.00")
    assert found["totals"]["pipeline"] == "150000.00"
    assert found["totals"]["expected"] == "35000.00"
    assert found["filters"]["manager_id"] is None
    own = ok(mgr.get("/deal-forecast", query={"months": 2}))
    assert own["filters"]["manager_id"] == flow.org.worker_b.id
    assert len(own["months"]) == 2 and own["months"][0]["month"] == "2026-03-01"
    other = ok(sales.get("/deal-forecast", query={"months": 4, "start": "2026-03-01",
                                                   "manager_id": flow.org.director.id}))
    assert other["totals"]["pipeline"] == "0.00"
    assert mgr.get("/deal-forecast", query={"manager_id": flow.sales_mgr.id}
                   ).status_code == 403


# -- the reference book of templates (DEAL-1, DEAL-2) --------------------------------------------


def test_templates_keep_the_states_in_use_and_take_new_ones(flow):
    boss, admin, mgr = flow.api("director"), flow.api("admin_a"), flow.api("worker_b")
    _register(mgr, flow)
    detail = ok(mgr.get(f"/deal-templates/{flow.connection}"))
    assert detail["in_use"] == ["lead"] and detail["state_set_code"] == "deal:b2b_connection"
    states, transitions = detail["state_set"]["states"], detail["state_set"]["transitions"]
    survey = next(s for s in states if s["code"] == "survey")
    assert (survey["norm_days"], survey["probability"], survey["required"]) == (
        5, 25, ["address"])
    proposal = next(s for s in states if s["code"] == "proposal")
    assert proposal["leave_guards"] == [{"type": "condition_holds",
                                         "condition": "document_attached"}]

    before = deals_snapshot(flow.org.system)
    without_lead = {"version": detail["version"],
                    "states": [s for s in states if s["code"] != "lead"],
                    "transitions": [t for t in transitions
                                    if "lead" not in (t["from_state"], t["to_state"])]}
    assert "states" in _fields(admin.patch(f"/deal-templates/{flow.connection}",
                                           without_lead))
    bad = {"version": detail["version"], "states": [
        {**states[0], "required": ["nonexistent"]}, *states[1:]], "transitions": transitions}
    assert _fields(admin.patch(f"/deal-templates/{flow.connection}", bad)) == {
        "states[0].required[0]": "no such field or attribute of the deal"}
    assert mgr.patch(f"/deal-templates/{flow.connection}", {
        "version": detail["version"], "name": "Моё"}).status_code == 403
    assert mgr.post("/deal-templates", {"code": "mine", "name": "Моё"}).status_code == 403
    assert "version" in _fields(admin.patch(f"/deal-templates/{flow.connection}",
                                            {"name": "x"}))
    assert deals_snapshot(flow.org.system) == before

    pilot = {"code": "pilot", "name": "Пилот", "order": 35, "probability": 60,
             "norm_days": 10}
    changed = ok(admin.patch(f"/deal-templates/{flow.connection}", {
        "version": detail["version"], "states": [*states, pilot],
        "transitions": [*transitions,
                        {"from_state": "proposal", "to_state": "pilot", "name": "Пилот"},
                        {"from_state": "pilot", "to_state": "negotiation",
                         "name": "После пилота"}]}))
    after = ok(mgr.get(f"/deal-templates/{flow.connection}"))
    assert after["state_set"]["version"] > detail["state_set"]["version"]
    board = ok(boss.get(f"/deal-templates/{flow.connection}/board"))
    assert "pilot" in [c["state"]["code"] for c in board["columns"]]
    renamed = ok(boss.patch(f"/deal-templates/{flow.connection}", {
        "version": changed["version"], "name": "Подключение юрлица"}))
    assert renamed["version"] > changed["version"]
    assert boss.patch(f"/deal-templates/{flow.connection}", {
        "version": changed["version"], "name": "Старое"}).status_code == 409
    simple = {"code": "simple", "name": "Простая",
              "states": [{"code": "open", "name": "Открыта", "initial": True},
                         {"code": "won", "name": "Выиграна", "final": True,
                          "outcome": "won"}],
              "transitions": [{"from_state": "open", "to_state": "won", "name": "Выиграть",
                               "guards": [{"type": "condition_holds",
                                           "condition": "nonsense"}]}]}
    assert _fields(boss.post("/deal-templates", simple)) == {
        "transitions[0].guards[0].condition":
            "one of: document_attached, invoice_issued, invoice_paid"}
    simple["transitions"][0]["guards"] = []
    made = ok(boss.post("/deal-templates", simple), 201)
    assert made["state_set_code"] == "deal:simple"
    listed = ok(mgr.get("/deal-templates"))["items"]
    assert {t["code"] for t in listed} == {CONNECTION, SUPPLY, "simple"}


# -- generated input never breaks an endpoint (no 500, every answer documented) -----------


FUZZ_WRITES = [
    ("POST", "/deals", ("counterparty_id", "template_id", "name", "amount",
                        "expected_close_on", "project_id", "contact_id", "manager_id",
                        "attributes", "note"),
     {"counterparty_id": 1, "template_id": 1, "name": "Сделка", "amount": "1000"}),
    ("PATCH", "/deals/{id}", ("version", "name", "amount", "expected_close_on", "project_id",
                              "contact_id", "manager_id", "attributes", "note"),
     {"version": NOW, "name": "Сделка"}),
    ("POST", "/deals/{id}/transitions", ("to_state", "reason", "version"),
     {"to_state": "survey", "version": NOW}),
    ("POST", "/deals/{id}/approvals", ("approval", "version"),
     {"approval": "discount", "version": NOW}),
    ("DELETE", "/deals/{id}", (), None),
    ("POST", "/deal-templates", ("code", "name", "description", "attributes",
                                 "head_after_days", "active", "states", "transitions"),
     {"code": "t1", "name": "Шаблон",
      "states": [{"code": "a", "name": "А", "initial": True, "probability": 50},
                 {"code": "b", "name": "Б", "final": True, "outcome": "won"}],
      "transitions": [{"from_state": "a", "to_state": "b", "name": "Вперёд"}]}),
    ("PATCH", "/deal-templates/{id}", ("version", "name", "description", "attributes",
                                       "head_after_days", "active", "states", "transitions"),
     {"version": NOW, "name": "Шаблон"}),
    ("POST", "/calendar-days", ("day", "working", "note"),
     {"day": "2026-05-04", "working": False}),
]
FUZZ_READS = [
    ("/deals", ("template_id", "manager_id", "project_id", "close_from", "close_to", "state",
                "overdue", "page")),
    ("/deal-templates/{id}/board", ("manager_id", "project_id", "close_from", "close_to",
                                    "per_column")),
    ("/deal-forecast", ("months", "start", "template_id", "manager_id", "project_id",
                        "close_from", "close_to")),
    ("/calendar-days", ("year",)),
    ("/counterparties/{id}/deals", ("page",)),
    ("/deal-templates", ("active_only",)),
]


@pytest.fixture
def seeded(flow):
    """A few deals of client X to aim the generated requests at (ids 1-3)."""
    app, d, x = flow.org.system.app, flow.org.director.id, flow.clients.x.id
    app.deals.register(d, {"counterparty_id": x, "template_id": flow.connection,
                           "name": "А", "attributes": {"address": "ул. Ленина, д. 1"}})
    supply = app.deals.register(d, {"counterparty_id": x, "template_id": flow.supply,
                                    "name": "Б", "amount": "100",
                                    "attributes": {"equipment": "Коммутатор"}})
    app.deals.move(d, supply.id, "quote")
    app.deals.register(d, {"counterparty_id": x, "template_id": flow.connection,
                           "name": "В"})
    return flow


@pytest.mark.parametrize("method, template_path, names, base", FUZZ_WRITES,
                         ids=[f"{m} {p}" for m, p, _, _ in FUZZ_WRITES])
def test_generated_bodies_never_break_a_deals_write_endpoint(seeded, method, template_path,
                                                             names, base):
    fuzz_write(seeded.org, seeded.app, method, template_path, names, base)


@pytest.mark.parametrize("template_path, names", FUZZ_READS, ids=[p for p, _ in FUZZ_READS])
def test_generated_query_strings_never_break_a_deals_read_endpoint(seeded, template_path,
                                                                   names):
    fuzz_read(seeded.org, seeded.app, template_path, names)
