"""The deals commands (issue 6): `ecrm deals templates export|import FILE.json` (DEAL-1,
DEAL-2: the reference book as JSON, a state in use kept, every bad part named), `ecrm
deals list [--template --manager --state --overdue]` (DEAL-3, DEAL-4), `ecrm deals board
TEMPLATE_CODE` (the pipeline's columns with totals and weighted totals), `ecrm deals
forecast` (RPT-4, a table by month) and `ecrm deals escalate` (DEAL-4: the manager, then
the head, once each). Errors are one line naming the argument or option, never a
traceback. The commands run on a fake clock from Tuesday 1 December 2026, 09:00 UTC."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from ecrm_adapters.bootstrap import bootstrap
from ecrm_adapters.settings import Settings
from ecrm_cli import context
from tests.cli.conftest import DIRECTOR, DIRECTOR_PASSWORD
from tests.conftest import FAST_HASHER
from tests.fakes import FakeClock

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
PASSWORD = "password-1"


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    found = FakeClock(START)
    monkeypatch.setattr(context, "bootstrap", lambda settings, **kw: bootstrap(
        settings, hasher=FAST_HASHER, clock=found, **kw))
    return found


def _system(ecrm, clock):
    return bootstrap(Settings.from_env(ecrm.env), hasher=FAST_HASHER, clock=clock)


@pytest.fixture
def sales(ecrm, clock):
    """A company on the fake clock: a sales department headed by the Director with a
    manager (mgr) in it, a client, two B2B deals of mgr (one moved to the survey, one in
    the first state) and an equipment supply of the Director's."""
    ecrm("init", "--company", "ООО «Ромашка»", "--login", DIRECTOR, "--password",
         DIRECTOR_PASSWORD, "--full-name", "Соколов Андрей Викторович")
    system = _system(ecrm, clock)
    try:
        app = system.app
        d = app.access.directors()[0].id
        dep = app.org.create_department(d, {"name": "Продажи"})
        app.org.update_department(d, dep.id, {"head_id": d})
        mgr = app.org.add_employee(d, {"login": "mgr", "password": PASSWORD,
                                       "full_name": "Менеджеров Максим",
                                       "department_id": dep.id})
        catalog = app.catalogs.create(d, {"name": "Клиенты"})
        card = app.counterparties.register(d, {
            "catalog_id": catalog.id, "type": "legal_entity", "name": "ООО «Альфа»"})
        books = {t.code: t for t in app.deal_templates.templates(d)}
        a = app.deals.register(d, {
            "counterparty_id": card.id, "template_id": books["b2b_connection"].id,
            "name": "Офис на Ленина", "amount": "120 000",
            "expected_close_on": "2027-01-20", "manager_id": mgr.id,
            "attributes": {"address": "ул. Ленина, д. 1"}})
        a = app.deals.move(d, a.id, "survey", version=a.version)
        b = app.deals.register(d, {
            "counterparty_id": card.id, "template_id": books["b2b_connection"].id,
            "name": "Склад на Мира", "amount": "80 000", "expected_close_on": "2027-02-10",
            "manager_id": mgr.id})
        c = app.deals.register(d, {
            "counterparty_id": card.id, "template_id": books["equipment_supply"].id,
            "name": "Коммутаторы", "amount": "50 000", "expected_close_on": "2026-12-25"})
        return SimpleNamespace(director=d, mgr=mgr, card=card, a=a, b=b, c=c, books=books)
    finally:
        system.close()


def test_templates_export_and_import(ecrm, sales, tmp_path):
    out = tmp_path / "templates.json"
    assert "Exported 2 deal template(s)" in ecrm("deals", "templates", "export",
                                                str(out)).stdout
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [t["code"] for t in data] == ["b2b_connection", "equipment_supply"]
    b2b = data[0]
    assert {a["code"] for a in b2b["attributes"]} == {"address", "bandwidth",
                                                      "decision_maker", "competitor"}
    survey = next(s for s in b2b["states"] if s["code"] == "survey")
    assert (survey["norm_days"], survey["probability"], survey["required"]) == (5, 25,
                                                                              ["address"])
    b2b["states"].append({"code": "pilot", "name": "Пилот", "order": 35, "probability": 60,
                          "norm_days": 10})
    b2b["transitions"] += [
        {"from_state": "proposal", "to_state": "pilot", "name": "Пилот"},
        {"from_state": "pilot", "to_state": "negotiation", "name": "После пилота"}]
    new = {"code": "short", "name": "Короткая сделка",
           "attributes": [{"code": "source", "label": "Источник", "type": "text"}],
           "states": [{"code": "open", "name": "Открыта", "initial": True,
                       "probability": 30},
                      {"code": "won", "name": "Выиграна", "final": True, "outcome": "won"}],
           "transitions": [{"from_state": "open", "to_state": "won", "name": "Выиграть"}]}
    out.write_text(json.dumps([b2b, new], ensure_ascii=False), encoding="utf-8")
    result = ecrm("deals", "templates", "import", str(out))
    assert "b2b_connection: changed" in result.stdout and "short: added" in result.stdout
    assert "Importing" in result.stderr, "a progress bar on stderr"
    one = json.loads(ecrm("deals", "templates", "export", "-", "--code",
                          "b2b_connection").stdout)
    assert "pilot" in {s["code"] for s in one[0]["states"]}
    assert "short: changed" in ecrm("deals", "templates", "import", str(out)).stdout

    # a state deals are in cannot go; every bad part is named; nothing half-saved
    without_lead = {**b2b, "states": [s for s in b2b["states"] if s["code"] != "lead"],
                    "transitions": [t for t in b2b["transitions"]
                                    if "lead" not in (t["from_state"], t["to_state"])]}
    out.write_text(json.dumps(without_lead, ensure_ascii=False), encoding="utf-8")
    assert "b2b_connection: states:" in ecrm("deals", "templates", "import", str(out),
                                             code=2).output
    b2b["states"][0]["colour"] = "red"
    out.write_text(json.dumps(b2b, ensure_ascii=False), encoding="utf-8")
    assert "b2b_connection: states[0].colour:" in ecrm("deals", "templates", "import",
                                                       str(out), code=2).output
    out.write_text("{not json", encoding="utf-8")
    assert "FILE: not JSON" in ecrm("deals", "templates", "import", str(out), code=2).output
    assert "--code: no deal template" in ecrm("deals", "templates", "export", "-", "--code",
                                              "nope", code=2).output
    out.write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8")
    refused = ecrm("deals", "templates", "import", str(out), "--as", "mgr", code=1)
    assert "short:" not in refused.stdout and "administrator" in refused.output.lower()


def test_list_board_and_forecast(ecrm, sales, clock):
    listed = ecrm("deals", "list").stdout
    assert "Офис на Ленина" in listed and "Коммутаторы" in listed and "survey" in listed
    assert "120 000,00" in listed and "3 deal(s); page 1 of 1." in listed
    supply = ecrm("deals", "list", "--template", "equipment_supply").stdout
    assert "Коммутаторы" in supply and "Офис" not in supply
    assert "2 deal(s)" in ecrm("deals", "list", "--manager", "mgr").stdout
    assert "1 deal(s)" in ecrm("deals", "list", "--state", "survey").stdout
    assert "No deals." in ecrm("deals", "list", "--overdue").stdout
    own = ecrm("deals", "list", "--as", "mgr").stdout
    assert "2 deal(s)" in own and "Коммутаторы" not in own, "a manager sees their own"
    assert "--template: no deal template 'nope'" in ecrm("deals", "list", "--template",
                                                         "nope", code=2).output
    assert "--manager: no employee" in ecrm("deals", "list", "--manager", "nobody",
                                            code=1).output
    refused = ecrm("deals", "list", "--manager", "boss", "--as", "mgr", code=1).output
    assert "own deals" in refused

    board = ecrm("deals", "board", "b2b_connection").stdout
    assert "Подключение B2B-клиента (b2b_connection)" in board
    lines = {line.split()[0]: line for line in board.splitlines() if line.strip()}
    assert "80 000,00" in lines["lead"] and "8 000,00" in lines["lead"]
    assert "120 000,00" in lines["survey"] and "30 000,00" in lines["survey"]
    assert "Total: 2 open deal(s), 200 000,00, weighted 38 000,00." in board
    assert "№ 2 «Склад на Мира» — ООО «Альфа», 80 000,00, 0 d in state" in board
    assert "1 open deal(s)" in ecrm("deals", "board", "b2b_connection", "--from",
                                    "2027-02-01").stdout
    assert "TEMPLATE_CODE: no deal template" in ecrm("deals", "board", "nope",
                                                     code=2).output
    assert "--from:" in ecrm("deals", "board", "b2b_connection", "--from", "вчера",
                             code=2).output

    forecast = ecrm("deals", "forecast", "--months", "3").stdout
    rows = {line.split()[0]: line for line in forecast.splitlines() if line.strip()}
    assert list(rows)[:4] == ["MONTH", "2026-12", "2027-01", "2027-02"]
    assert "50 000,00" in rows["2026-12"] and "10 000,00" in rows["2026-12"]  # × 20 %
    assert "120 000,00" in rows["2027-01"] and "30 000,00" in rows["2027-01"]  # × 25 %
    assert "250 000,00" in rows["TOTAL"]
    mine = ecrm("deals", "forecast", "--months", "3", "--as", "mgr").stdout
    assert "200 000,00" in mine and "Deals of mgr." in mine
    assert "--months" in ecrm("deals", "forecast", "--months", "40", code=2).output

    clock.advance(days=7)  # every stay is over its norm now
    overdue = ecrm("deals", "list", "--overdue").stdout
    assert "3 deal(s)" in overdue and overdue.count("OVERDUE") == 3
    assert "OVERDUE" in ecrm("deals", "board", "b2b_connection").stdout


def test_escalate_tells_the_manager_then_the_head_once_each(ecrm, sales, clock):
    assert "Sent 0 notice(s)." in ecrm("deals", "escalate").stdout
    # the supply's «request» has a norm of 2 working days, the leads' 3, the survey's 5:
    # Tuesday + 3 working days — the lead (mgr's) and the request (the Director's) are over
    clock.advance(days=3, hours=1)
    result = ecrm("deals", "escalate")
    assert "Sent 2 notice(s)." in result.stdout and "Escalating" in result.stderr
    assert "Sent 0 notice(s)." in ecrm("deals", "escalate").stdout
    system = _system(ecrm, clock)
    try:
        inbox = system.app.messages.inbox(sales.mgr.id)
        assert [m.text for m in inbox if "превышен норматив" in m.text] == [
            "Сделка № 2 «Склад на Мира»: превышен норматив пребывания в состоянии"]
    finally:
        system.close()
    # the head after head_after_days (2) more working days: Friday's norm + 2 working
    # days is Tuesday (the weekend does not count) — then the lead's head (the Director)
    # is told, and the survey (5 working days from Tuesday) is over its own norm; the
    # Director's own deal has nobody above
    clock.advance(days=3)  # Monday 10:00 UTC
    assert "Sent 0 notice(s)." in ecrm("deals", "escalate").stdout
    clock.advance(days=1)  # Tuesday 10:00 UTC
    assert "Sent 2 notice(s)." in ecrm("deals", "escalate").stdout
    assert "Sent 0 notice(s)." in ecrm("deals", "escalate").stdout
    system = _system(ecrm, clock)
    try:
        inbox = system.app.messages.inbox(sales.director)
        assert "Сделка № 2 «Склад на Мира»: превышен норматив, сотрудник уведомлён" \
            in " | ".join(m.text for m in inbox)
    finally:
        system.close()
