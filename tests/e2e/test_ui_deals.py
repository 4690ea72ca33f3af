"""The users' pages of deals (DEAL-1…DEAL-4, RPT-4 first part) through the Flask test client:
the reference book of deal templates (create, edit, per-field messages by the core's paths,
a state in use refused), the working-days calendar, a deal registered from the client's
card by a template, a refused change of state naming the unmet conditions by their labels
and a successful one, the board's JSON move (refusal 422 with the fields, success), the
board's figures, the forecast page with its SVG chart and exports, who may do what (a
colleague without rights gets 403 and nothing changes) and the English interface."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import PASSWORD, page_text, sign_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: Tables a refused request must leave as they were.
TABLES = ("deals", "deal_stages", "deal_payments", "deal_templates", "state_sets",
          "calendar_days", "tasks", "documents", "invoices", "history", "messages")


@pytest.fixture
def deals(system, world):
    """A client «Альфа» with the clerk as its client manager and a contact; the two
    default templates («Подключение B2B-клиента», «Поставка оборудования»); ``other`` has
    no rights over the client."""
    app = system.app
    d = world["director"].id
    catalog = app.catalogs.create(d, {"name": "Клиенты"})
    card = app.counterparties.register(d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа",
        "full_name": "ООО «Альфа»", "inn": "7707083893", "kpp": "773601001"})
    app.access.grant(d, world["clerk"].id, "client_manager", card.ref)
    contact = app.counterparties.add_contact(d, card.id, {"full_name": "Иванов Иван"})
    templates = {t.code: t for t in app.deal_templates.templates(d)}
    return SimpleNamespace(card=card, catalog=catalog, contact=contact, app=app, d=d,
                           world=world, connection=templates["b2b_connection"],
                           supply=templates["equipment_supply"])


@pytest.fixture
def as_manager(ui_app, deals):
    return sign_in(ui_app, "clerk", PASSWORD)


@pytest.fixture
def as_boss(ui_app, deals):
    return sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)


@pytest.fixture
def as_other(ui_app, deals):
    return sign_in(ui_app, "other", PASSWORD)


def state(system) -> dict[str, list]:
    out = {}
    with system.engine.connect() as conn:
        for name in TABLES:
            out[name] = [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))]
    return out


def plain(response) -> str:
    """The page's text with every kind of space as a plain one (money is grouped by a
    no-break space in Russian)."""
    return re.sub(r"\s+", " ", page_text(response))


def made_id(response, kind: str) -> int:
    assert response.status_code == 303, plain(response)[:2000]
    found = re.search(rf"/{kind}/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found[1])


def register(client, deals, **extra) -> int:
    """A deal «Интернет в офис» on 150 000 by the connection template, from the card."""
    data = {"template_id": str(deals.connection.id), "name": "Интернет в офис",
            "amount": "150 000", "expected_close_on": "", "contact_id": str(deals.contact.id),
            **extra}
    return made_id(client.post(f"/counterparties/{deals.card.id}/deals/new", data=data),
                   "deals")


def version_of(deals, deal_id: int) -> str:
    return str(deals.app.deals.get(deals.d, deal_id).version)


# -- the reference book of deal templates (DEAL-1, DEAL-2) ----------------------------------


def template_form(**extra) -> dict[str, str]:
    """A small template: new → work → won / lost, an attribute «site» required in
    «work», a task planned on entering «work» and a payment of half the amount."""
    return {
        "code": "small_sale", "name": "Малая продажа", "description": "Для тестов",
        "head_after_days": "3", "active": "1",
        "attributes-0-code": "site", "attributes-0-label": "Площадка",
        "attributes-0-type": "text", "attributes-0-required": "0",
        "initial": "0",
        "states-0-code": "new", "states-0-name": "Новая", "states-0-order": "10",
        "states-0-probability": "10", "states-0-norm_days": "2",
        "states-1-code": "work", "states-1-name": "В работе", "states-1-order": "20",
        "states-1-probability": "60", "states-1-required": "site",
        "states-1-visible": "site", "states-1-cond_document": "1",
        "states-1-tasks-0-task_type": "call", "states-1-tasks-0-who": "responsible",
        "states-1-tasks-0-due_in_hours": "24", "states-1-tasks-0-what": "Позвонить",
        "states-1-payments-0-percent": "50", "states-1-payments-0-due_in_days": "10",
        "states-2-code": "won", "states-2-name": "Выиграна", "states-2-order": "30",
        "states-2-final": "1", "states-2-outcome": "won",
        "states-3-code": "lost", "states-3-name": "Проиграна", "states-3-order": "40",
        "states-3-final": "1", "states-3-outcome": "lost",
        "transitions-0-from_state": "new", "transitions-0-to_state": "work",
        "transitions-0-name": "Взять в работу",
        "transitions-1-from_state": "work", "transitions-1-to_state": "won",
        "transitions-1-name": "Выиграть", "transitions-1-guard_fields": "amount",
        "transitions-2-from_state": "new", "transitions-2-to_state": "lost",
        "transitions-2-name": "Проиграть", "transitions-2-reason_required": "1",
        "transitions-3-from_state": "work", "transitions-3-to_state": "lost",
        "transitions-3-name": "Проиграть",
        **extra,
    }


def test_every_deal_page_renders_in_russian_and_english(as_boss, deals):
    deal_id = register(as_boss, deals)
    t = deals.connection
    pages = {
        "/admin/deal-templates": "Шаблоны сделок",
        "/admin/deal-templates/new": "Новый шаблон сделки",
        f"/admin/deal-templates/{t.id}/edit": "Условия выхода из состояния",
        "/admin/work-calendar": "Рабочие дни",
        f"/counterparties/{deals.card.id}/deals": "Интернет в офис",
        f"/counterparties/{deals.card.id}/deals/new": "Новая сделка",
        f"/deals/{deal_id}": "Время в состояниях",
        f"/deals/{deal_id}/edit": "Сумма сделки",
        "/deals": "Интернет в офис",
        f"/deals/board/{t.id}": "Воронка продаж",
        "/deals/forecast": "Прогноз выручки",
    }
    for url, words in pages.items():
        response = as_boss.get(url)
        assert response.status_code == 200, (url, plain(response)[:800])
        assert words in plain(response), url
    assert as_boss.get("/deals/board").status_code == 303
    as_boss.post("/lang", data={"lang": "en"})
    english = {
        "/admin/deal-templates": "Deal templates",
        f"/admin/deal-templates/{t.id}/edit": "Conditions to leave the state",
        "/admin/work-calendar": "Working days",
        f"/deals/{deal_id}": "Time in the states",
        f"/deals/board/{t.id}": "Pipeline board",
        "/deals/forecast": "Forecast of revenue",
    }
    for url, words in english.items():
        page = plain(as_boss.get(url))
        assert words in page, url
        assert "Воронка продаж" not in page and "Время в состояниях" not in page


def test_a_template_is_created_and_edited_and_a_state_in_use_stays(as_admin, deals, system):
    app, d = deals.app, deals.d
    response = as_admin.post("/admin/deal-templates/new", data=template_form())
    assert response.status_code == 303, plain(response)[:3000]
    created = next(t for t in app.deal_templates.templates(d) if t.code == "small_sale")
    view = app.deal_templates.template(d, created.id)
    assert created.name == "Малая продажа" and created.head_after_days == 3
    assert [a.code for a in created.attributes] == ["site"]
    work = view.state_set.state("work")
    assert (work.probability, work.required, work.visible) == (60, ("site",), ("site",))
    assert [g.condition for g in work.leave_guards] == ["document_attached"]
    task, payment = work.on_enter
    assert (task.task_type, task.due_in_hours, task.what) == ("call", 24, "Позвонить")
    assert (payment.amount_field, payment.percent, payment.due_in_days) == ("amount", 50, 10)
    assert view.state_set.state("new").norm_days == 2
    assert view.state_set.state("won").outcome.value == "won"
    assert view.state_set.between("new", "lost").reason_required
    assert view.state_set.between("work", "won").guards[0].fields == ("amount",)

    # The form shows what was saved; saving it unchanged changes nothing.
    url = f"/admin/deal-templates/{created.id}/edit"
    html = as_admin.get(url).get_data(as_text=True)
    assert 'name="states-1-probability" value="60"' in html
    assert 'name="states-1-tasks-0-due_in_hours" value="24"' in html
    assert 'name="states-1-payments-0-percent" value="50"' in html
    form = template_form(version=str(created.version))
    form.pop("code")
    assert as_admin.post(url, data=form).status_code == 303
    assert app.deal_templates.template(d, created.id).state_set.states == view.state_set.states

    # Deals in «new» and «lost» mark them in use: the form offers no «remove» box for
    # them, and a crafted removal is refused (422), nothing saved; a state may be added.
    deal = app.deals.register(d, {"counterparty_id": deals.card.id,
                                  "template_id": created.id, "name": "Тест"})
    gone = app.deals.register(d, {"counterparty_id": deals.card.id,
                                  "template_id": created.id, "name": "Ушла"})
    app.deals.move(d, gone.id, "lost", "Дорого", version=str(gone.version))
    html = as_admin.get(url).get_data(as_text=True)
    block = html[html.index('id="state-0"'):html.index('id="state-1"')]
    assert 'data-in-use="1"' in block and "используется" in block
    assert 'name="states-0-remove"' not in block
    assert 'name="states-1-remove"' in html  # «work» has no deals
    before = state(system)
    current = app.deal_templates.template(d, created.id)
    assert current.in_use == {"new", "lost"}
    form = template_form(version=str(current.template.version), **{
        "states-3-remove": "1", "transitions-2-remove": "1", "transitions-3-remove": "1"})
    form.pop("code")
    refused = as_admin.post(url, data=form)
    assert refused.status_code == 422
    assert re.search(r'data-error-for="states">нельзя удалить используемые состояния: '
                     r'Проиграна<', refused.get_data(as_text=True))
    assert state(system) == before
    form = template_form(version=str(current.template.version), **{
        "states-4-code": "pause", "states-4-name": "Пауза", "states-4-order": "25",
        "transitions-4-from_state": "work", "transitions-4-to_state": "pause",
        "transitions-4-name": "Пауза", "transitions-4-guard_approval": "boss",
        "transitions-5-from_state": "pause", "transitions-5-to_state": "work",
        "transitions-5-name": "Продолжить"})
    form.pop("code")
    assert as_admin.post(url, data=form).status_code == 303, "a new state may be added"
    changed = app.deal_templates.template(d, created.id).state_set
    assert changed.state("pause").name == "Пауза"
    assert changed.between("work", "pause").guards[0].approval == "boss"
    assert app.deals.get(d, deal.id).state == "new"


class FormValues(HTMLParser):
    """What a browser would post for the form with ``action``: text, hidden and colour
    inputs, checked boxes and radios, selected options (textareas too)."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.pairs = action, False, []
        self.select: str | None = None
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside:
            return
        if tag == "input" and a.get("name") and not a.get("disabled"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.pairs.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self.select = a.get("name")
        elif tag == "option" and self.select and "selected" in a:
            self.pairs.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea = a.get("name")
            self.pairs.append((self.textarea, ""))

    def handle_data(self, data):
        if self.textarea:
            name, value = self.pairs[-1]
            self.pairs[-1] = (name, value + data)

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None


def posted(html: str, action: str) -> MultiDict:
    parser = FormValues(action)
    parser.feed(html)
    return MultiDict(parser.pairs)


def test_saving_a_default_template_unchanged_changes_nothing(as_admin, deals):
    """The form of rows carries every setting of the default templates (head's tasks,
    payments, conditions to leave, transitions' guards) back to the core unchanged."""
    app, d = deals.app, deals.d
    for template in (deals.connection, deals.supply):
        url = f"/admin/deal-templates/{template.id}/edit"
        before = app.deal_templates.template(d, template.id)
        data = posted(as_admin.get(url).get_data(as_text=True), url)
        assert data.get("states-0-code") and data.get("version")
        response = as_admin.post(url, data=data)
        assert response.status_code == 303, plain(response)[:2000]
        after = app.deal_templates.template(d, template.id)
        assert after.state_set.states == before.state_set.states, template.code
        assert after.state_set.transitions == before.state_set.transitions
        assert after.template.attributes == before.template.attributes
        assert after.state_set.version == before.state_set.version


def test_template_messages_land_on_their_inputs(as_admin, deals, system):
    before = state(system)
    bad = template_form(**{
        "states-0-probability": "150", "states-1-tasks-0-due_in_hours": "abc",
        "transitions-0-name": "x" * 101})
    response = as_admin.post("/admin/deal-templates/new", data=bad)
    assert response.status_code == 422

    def message(response, path: str) -> tuple[str, str]:
        html = response.get_data(as_text=True)
        found = re.search(rf'data-error-for="{re.escape(path)}" data-input="([^"]+)">([^<]+)<',
                          html)
        assert found, (path, re.findall(r'data-error-for="([^"]+)"', html))
        return found[1], found[2]

    assert message(response, "states[0].probability") == ("states-0-probability",
                                                           "целое число от 0 до 100")
    assert message(response, "states[1].on_enter[0].due_in_hours")[0] == \
        "states-1-tasks-0-due_in_hours"
    assert message(response, "transitions[0].name")[0] == "transitions-0-name"
    # the values typed are kept
    html = response.get_data(as_text=True)
    assert 'name="states-0-probability" value="150"' in html
    assert 'name="states-1-tasks-0-due_in_hours" value="abc"' in html
    assert state(system) == before
    # the soundness of the set: a payment's share, a transition to nowhere
    response = as_admin.post("/admin/deal-templates/new", data=template_form(**{
        "states-1-payments-0-percent": "0", "transitions-0-to_state": "nowhere"}))
    assert response.status_code == 422
    assert message(response, "states[1].on_enter[1].percent") == (
        "states-1-payments-0-percent", "процент больше 0 и не больше 100")
    assert message(response, "transitions[0].to_state")[0] == "transitions-0-to_state"
    # the attribute a state names must be the template's (checked once the set is sound)
    response = as_admin.post("/admin/deal-templates/new", data=template_form(
        **{"states-1-required": "site, nonsense", "states-0-guard_approval": "boss"}))
    assert response.status_code == 422
    assert message(response, "states[1].required[1]") == (
        "states-1-required", "у сделки нет такого поля или атрибута")
    assert state(system) == before


def test_only_administrators_edit_templates_and_the_calendar(as_manager, deals, system):
    before = state(system)
    t = deals.connection
    assert as_manager.get("/admin/deal-templates").status_code == 200  # everyone reads
    assert as_manager.get("/admin/deal-templates/new").status_code == 403
    assert as_manager.get(f"/admin/deal-templates/{t.id}/edit").status_code == 403
    assert as_manager.post("/admin/deal-templates/new", data=template_form()).status_code == 403
    assert as_manager.post(f"/admin/deal-templates/{t.id}/edit",
                           data={"name": "Х", "version": "1"}).status_code == 403
    page = as_manager.get("/admin/work-calendar")
    assert page.status_code == 200 and 'id="mark-day"' not in page.get_data(as_text=True)
    assert as_manager.post("/admin/work-calendar",
                           data={"day": "2026-06-15", "working": "0"}).status_code == 403
    assert state(system) == before


def test_the_working_days_calendar(as_admin, deals):
    app, d = deals.app, deals.d
    response = as_admin.post("/admin/work-calendar", data={
        "year": "2026", "day": "2026-06-15", "working": "0", "note": "Перенос"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/work-calendar?year=2026")
    marked = {c.day: c for c in app.calendar.days(d, 2026)}
    assert not marked[date(2026, 6, 15)].working
    page = as_admin.get("/admin/work-calendar?year=2026")
    html = page.get_data(as_text=True)
    assert 'data-day="2026-06-15"' in html and "Перенос" in plain(page)
    assert re.search(r'class="day-off marked" data-day="2026-06-15"', html)
    assert re.search(r'class="working" data-day="2026-06-16"', html)
    # unmark: back to what its weekday is
    assert as_admin.post("/admin/work-calendar", data={
        "year": "2026", "day": "2026-06-15", "working": "1"}).status_code == 303
    assert date(2026, 6, 15) not in {c.day for c in app.calendar.days(d, 2026)}
    # bad input: the field's message, nothing saved
    bad = as_admin.post("/admin/work-calendar", data={"year": "2026", "day": "31.02.2026",
                                                      "working": "0"})
    assert bad.status_code == 422 and "31.02.2026" in bad.get_data(as_text=True)
    assert as_admin.get("/admin/work-calendar?year=12").status_code == 200
    assert "от 1900 до 2999" in plain(as_admin.get("/admin/work-calendar?year=12"))


# -- deals: registration, the page, moves (DEAL-2, DEAL-3) -----------------------------------


def test_a_deal_is_registered_from_the_card(as_manager, deals, system):
    card = deals.card
    tab = as_manager.get(f"/counterparties/{card.id}/deals")
    assert tab.status_code == 200 and 'id="add-deal"' in tab.get_data(as_text=True)
    form = as_manager.get(f"/counterparties/{card.id}/deals/new")
    html = form.get_data(as_text=True)
    assert f'data-refill="/counterparties/{card.id}/deals/new/refill"' in html
    # the connection template's initial state shows all four attributes
    assert 'name="attributes.address"' in html
    # a template switch shows its fields (nothing saved)
    before = state(system)
    refill = as_manager.post(f"/counterparties/{card.id}/deals/new/refill", data={
        "template_id": str(deals.supply.id), "name": "Черновик"})
    assert refill.status_code == 200 and state(system) == before
    assert 'name="attributes.equipment"' in refill.get_data(as_text=True)
    assert 'value="Черновик"' in refill.get_data(as_text=True)
    # bad input: every field named, nothing saved
    bad = as_manager.post(f"/counterparties/{card.id}/deals/new", data={
        "template_id": str(deals.connection.id), "name": "", "amount": "много",
        "expected_close_on": "31.02.2026", "attributes.bandwidth": "быстро"})
    assert bad.status_code == 422
    assert {"name", "amount", "expected_close_on", "attributes.bandwidth"} <= set(
        re.findall(r'id="err-([a-z_.]+)"', bad.get_data(as_text=True)))
    assert state(system) == before

    deal_id = register(as_manager, deals, **{"attributes.competitor": "Ростелеком",
                                            "expected_close_on": "2026-12-15"})
    deal = deals.app.deals.get(deals.d, deal_id)
    assert (deal.name, str(deal.amount.amount), deal.state, deal.manager_id) == (
        "Интернет в офис", "150000.00", "lead", deals.world["clerk"].id)
    assert deal.attributes == {"competitor": "Ростелеком"}
    page = plain(as_manager.get(f"/deals/{deal_id}"))
    assert "Первичный контакт" in page and "150 000,00" in page and "Ростелеком" in page
    # the task planned on entering «lead» (DEAL-2) is on the deal and on its client
    assert "Квалифицировать потребность" in page
    tasks = plain(as_manager.get(f"/counterparties/{card.id}/tasks"))
    assert "Квалифицировать потребность" in tasks
    assert "Интернет в офис" in plain(as_manager.get(f"/counterparties/{card.id}/deals"))


def test_a_refused_move_names_the_unmet_conditions_then_succeeds(as_manager, deals, system):
    deal_id = register(as_manager, deals)
    page = as_manager.get(f"/deals/{deal_id}").get_data(as_text=True)
    # the button to «Обследование» is offered and its unmet condition named beforehand
    assert 'id="move-survey"' in page
    assert re.search(r'data-field="address">Адрес подключения: обязательное поле', page)
    before = state(system)
    refused = as_manager.post(f"/deals/{deal_id}/move", data={
        "to_state": "survey", "version": version_of(deals, deal_id)})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert re.search(r'<li data-field="address"><b>Адрес подключения</b>: обязательное поле</li>',
                     html), html[html.find('id="unmet"') - 200:][:800]
    assert state(system) == before
    # fill the attribute on the card, then the move goes through
    edit = as_manager.post(f"/deals/{deal_id}/edit", data={
        "name": "Интернет в офис", "amount": "150 000", "version": version_of(deals, deal_id),
        "attributes.address": "Екатеринбург, Ленина, 1"})
    assert edit.status_code == 303, plain(edit)[:2000]
    moved = as_manager.post(f"/deals/{deal_id}/move", data={
        "to_state": "survey", "version": version_of(deals, deal_id)})
    assert moved.status_code == 303, plain(moved)[:2000]
    deal = deals.app.deals.get(deals.d, deal_id)
    assert deal.state == "survey" and deal.probability == 25
    page = plain(as_manager.get(f"/deals/{deal_id}"))
    assert "Обследование" in page and "Выезд на обследование" in page
    # two stays: «lead» over, «survey» now; the history tells of the change of state
    stays = as_manager.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert stays.count('<tr data-state="') == 2
    assert "Состояние изменено" in page
    # a stale version is a conflict (409), nothing changes
    before = state(system)
    stale = as_manager.post(f"/deals/{deal_id}/move", data={"to_state": "proposal",
                                                           "version": "1"})
    assert stale.status_code == 409 and state(system) == before


def test_a_deal_is_lost_with_a_reason_and_approved(as_boss, deals):
    app, d = deals.app, deals.d
    deal_id = register(as_boss, deals)
    refused = as_boss.post(f"/deals/{deal_id}/move", data={
        "to_state": "lost", "version": version_of(deals, deal_id)})
    assert refused.status_code == 422 and 'data-field="reason"' in \
        refused.get_data(as_text=True)
    lost = as_boss.post(f"/deals/{deal_id}/move", data={
        "to_state": "lost", "reason": "Дорого", "version": version_of(deals, deal_id)})
    assert lost.status_code == 303
    deal = app.deals.get(d, deal_id)
    assert (deal.outcome, deal.close_reason) == ("lost", "Дорого")
    assert "Дорого" in plain(as_boss.get(f"/deals/{deal_id}"))
    # the supply template asks for the approval «discount» to leave «quote»
    supply = made_id(as_boss.post(f"/counterparties/{deals.card.id}/deals/new", data={
        "template_id": str(deals.supply.id), "name": "Роутеры", "amount": "90 000",
        "attributes.equipment": "Роутеры"}), "deals")
    assert as_boss.post(f"/deals/{supply}/move", data={
        "to_state": "quote", "version": version_of(deals, supply)}).status_code == 303
    page = as_boss.get(f"/deals/{supply}").get_data(as_text=True)
    assert 'id="approve-discount"' in page
    assert "Согласование «discount»" in page
    assert as_boss.post(f"/deals/{supply}/approve", data={
        "approval": "discount", "version": version_of(deals, supply)}).status_code == 303
    assert app.deals.get(d, supply).approvals == ("discount",)
    # 50 % of the amount planned on entering «quote»
    assert "45 000,00" in plain(as_boss.get(f"/deals/{supply}"))


def test_documents_and_an_invoice_for_the_deal(as_manager, deals):
    deal_id = register(as_manager, deals)
    page = as_manager.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert f"/counterparties/{deals.card.id}/invoices/new?deal_id={deal_id}" in page
    form = as_manager.get(f"/counterparties/{deals.card.id}/invoices/new?deal_id={deal_id}")
    assert f'name="deal_id" value="{deal_id}"' in form.get_data(as_text=True)
    response = as_manager.post(f"/deals/{deal_id}/documents", data={
        "file": (io.BytesIO(PDF), "кп.pdf"), "note": "КП"},
        content_type="multipart/form-data")
    assert response.status_code == 303
    documents = deals.app.documents.of_owner(deals.d, "deal", deal_id)
    assert [x.filename for x in documents] == ["кп.pdf"]
    assert "кп.pdf" in plain(as_manager.get(f"/deals/{deal_id}"))
    empty = as_manager.post(f"/deals/{deal_id}/documents", data={"note": "x"},
                            content_type="multipart/form-data")
    assert empty.status_code == 422 and "выберите файл" in plain(empty)
    assert "Счета по сделке ещё не выставлялись" in plain(as_manager.get(f"/deals/{deal_id}"))
    invoice = deals.app.invoices.create(deals.d, {
        "counterparty_id": deals.card.id, "deal_id": deal_id,
        "lines": [{"name": "Подключение", "quantity": "1", "price": "15000"}]})
    listed = as_manager.get(f"/deals/{deal_id}").get_data(as_text=True)
    assert f'data-invoice-id="{invoice.id}"' in listed and "Черновик" in listed


# -- the board (DEAL-3, DEAL-4) --------------------------------------------------------------


def test_the_board_moves_by_json_with_refusals_named(as_manager, deals, system):
    app, d = deals.app, deals.d
    deal_id = register(as_manager, deals, **{"attributes.address": "Ленина, 1"})
    board = as_manager.get(f"/deals/board/{deals.connection.id}")
    html = board.get_data(as_text=True)
    assert f'id="deal-card-{deal_id}"' in html and 'draggable="true"' in html
    assert f'data-move-url="/deals/{deal_id}/move.json"' in html
    url = f"/deals/{deal_id}/move.json"
    ok = as_manager.post(url, json={"to_state": "survey",
                                    "version": version_of(deals, deal_id)})
    assert ok.status_code == 200, ok.get_json()
    assert ok.get_json()["ok"] and ok.get_json()["state"] == "survey"
    assert ok.get_json()["state_name"] == "Обследование"
    # «Коммерческое предложение» needs the bandwidth: refused with the field named
    before = state(system)
    refused = as_manager.post(url, json={"to_state": "proposal",
                                         "version": version_of(deals, deal_id)})
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["fields"] == {"bandwidth": "required"}
    assert body["unmet"] == [{"field": "bandwidth", "label": "Скорость, Мбит/с",
                              "message": "обязательное поле"}]
    assert state(system) == before
    app.deals.update(d, deal_id, {"attributes": {"bandwidth": "100"},
                                  "version": version_of(deals, deal_id)})
    assert as_manager.post(url, json={"to_state": "proposal", "version": version_of(
        deals, deal_id)}).status_code == 200
    # leaving the proposal needs a document: a condition by its label
    refused = as_manager.post(url, json={"to_state": "negotiation",
                                         "version": version_of(deals, deal_id)})
    assert refused.status_code == 422
    assert refused.get_json()["unmet"][0]["label"] == "К сделке приложен документ"
    # a form post works as well; a stale version is 409; a state not reachable 409
    assert as_manager.post(url, data={"to_state": "won", "version": version_of(
        deals, deal_id)}).status_code in (409, 422)
    stale = as_manager.post(url, json={"to_state": "lost", "reason": "x", "version": "1"})
    assert stale.status_code == 409 and stale.get_json()["ok"] is False
    assert app.deals.get(d, deal_id).state == "proposal"


def test_the_board_json_move_keeps_csrf(ui_app, deals):
    ui_app.config["WTF_CSRF_ENABLED"] = True
    client = ui_app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)[1]
    assert client.post("/login", data={"login": "clerk", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 303
    deal = deals.app.deals.register(deals.world["clerk"].id, {
        "counterparty_id": deals.card.id, "template_id": deals.connection.id,
        "name": "CSRF", "attributes": {"address": "Ленина, 1"}})
    url = f"/deals/{deal.id}/move.json"
    refused = client.post(url, json={"to_state": "survey", "version": str(deal.version)})
    assert refused.status_code == 400
    board = client.get(f"/deals/board/{deals.connection.id}").get_data(as_text=True)
    csrf = re.search(r'data-csrf="([^"]+)"', board)[1]
    moved = client.post(url, json={"to_state": "survey", "version": str(deal.version)},
                        headers={"X-CSRFToken": csrf})
    assert moved.status_code == 200, moved.get_data(as_text=True)[:500]


def test_the_board_figures_and_filters(as_boss, deals):
    app, d = deals.app, deals.d
    project = deals.world["project"]
    close = (date.today() + timedelta(days=40)).isoformat()
    register(as_boss, deals, amount="100 000", expected_close_on=close)
    register(as_boss, deals, name="Второй офис", amount="50 000",
             project_id=str(project.id), manager_id=str(deals.world["clerk"].id))
    third = register(as_boss, deals, name="Третий", amount="20 000",
                     **{"attributes.address": "Мира, 2"})
    app.deals.move(d, third, "survey", version=version_of(deals, third))
    board = as_boss.get(f"/deals/board/{deals.connection.id}")
    html = board.get_data(as_text=True)

    def column(code: str) -> str:
        start = html.index(f'id="column-{code}"')
        return re.sub(r"\s+", " ", html[start:html.index("</section>", start)])

    lead = column("lead")
    assert '<span class="column-count" title="Открытые сделки">2</span>' in lead
    assert "150 000,00" in lead and "15 000,00" in lead  # amount and 10 % weighted
    survey = column("survey")
    assert ">1</span>" in survey and "20 000,00" in survey and "5 000,00" in survey
    assert "170 000,00" in plain(board) and "20 000,00" in plain(board)
    # filters: manager, direction, period
    by_manager = as_boss.get(f"/deals/board/{deals.connection.id}"
                             f"?manager_id={deals.world['clerk'].id}").get_data(as_text=True)
    assert "Второй офис" in by_manager and "Интернет в офис" not in by_manager
    by_project = as_boss.get(f"/deals/board/{deals.connection.id}"
                             f"?project_id={project.id}").get_data(as_text=True)
    assert "Второй офис" in by_project and "Третий" not in by_project
    by_period = as_boss.get(f"/deals/board/{deals.connection.id}?close_from={close}"
                            f"&close_to={close}").get_data(as_text=True)
    assert "Интернет в офис" in by_period and "Второй офис" not in by_period
    bad = as_boss.get(f"/deals/board/{deals.connection.id}?close_from=2026-05-01"
                      "&close_to=2026-04-01")
    assert bad.status_code == 200 and "раньше начала периода" in plain(bad)
    # the board's template select leads to another template's board
    other = as_boss.get(f"/deals/board?template_id={deals.supply.id}")
    assert other.headers["Location"].endswith(f"/deals/board/{deals.supply.id}")


def test_over_norm_deals_are_marked_and_listed(as_boss, deals, system):
    deal_id = register(as_boss, deals)
    with system.engine.begin() as conn:  # the norm ended yesterday
        conn.execute(text("UPDATE deals SET due_in_state = :at WHERE id = :id"),
                     {"at": "2020-01-01 00:00:00.000000", "id": deal_id})
    register(as_boss, deals, name="Свежая")
    board = as_boss.get(f"/deals/board/{deals.connection.id}").get_data(as_text=True)
    assert re.search(rf'class="deal-card overdue" draggable="true" id="deal-card-{deal_id}"',
                     board)
    assert "сверх норматива: 1" in board
    listed = as_boss.get("/deals?overdue=1")
    assert "Интернет в офис" in plain(listed) and "Свежая" not in plain(listed)
    assert 'class="deal-overdue' in listed.get_data(as_text=True)
    everything = plain(as_boss.get("/deals"))
    assert "Интернет в офис" in everything and "Свежая" in everything


# -- the forecast (RPT-4) --------------------------------------------------------------------


def test_the_forecast_page_draws_its_chart(as_boss, deals):
    month = date.today().replace(day=1)
    close = (month + timedelta(days=40)).replace(day=10)
    register(as_boss, deals, amount="100 000", expected_close_on=close.isoformat())
    page = as_boss.get("/deals/forecast")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<svg class="forecast-chart" id="forecast-svg" role="img" ' \
           'aria-labelledby="chart-title chart-desc"' in html
    assert '<title id="chart-title">' in html and '<desc id="chart-desc">' in html
    assert html.count('data-kind="expected"') == 12 and html.count('data-kind="actual"') == 12
    row = re.sub(r"\s+", " ", html[html.index(f'<tr data-month="{close.isoformat()[:7]}"'):])
    row = row[:row.index("</tr>")]
    assert "100 000,00" in row and "10 000,00" in row  # pipeline, weighted 10 %
    heights = [float(h) for h in re.findall(r'height="([\d.]+)" data-kind="expected"', html)]
    assert f'data-kind="expected" data-month="{close.isoformat()[:7]}"' in html
    assert len(heights) == 12 and max(heights) > 0
    # filters: the template and the months
    narrowed = as_boss.get(f"/deals/forecast?template_id={deals.supply.id}&months=3")
    assert narrowed.get_data(as_text=True).count('data-kind="expected"') == 3
    assert "100 000,00" not in plain(narrowed)
    bad = as_boss.get("/deals/forecast?months=100")
    assert bad.status_code == 200 and "целое число от 1 до 36" in plain(bad)
    csv = as_boss.get("/deals/forecast/export.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    body = csv.get_data().decode("utf-8-sig")
    assert body.splitlines()[0] == "Месяц;В воронке;Взвешенно;Плановые платежи;Оплачено;Ожидается"
    assert "100 000,00" in body.replace("\xa0", " ") and close.strftime("%Y-%m") in body
    xlsx = as_boss.get("/deals/forecast/export.xlsx")
    assert xlsx.status_code == 200 and xlsx.get_data()[:2] == b"PK"
    assert as_boss.get("/deals/forecast/export.pdf").status_code == 404


def test_a_manager_sees_their_own_figures_only(as_manager, deals):
    boss_deal = deals.app.deals.register(deals.d, {
        "counterparty_id": deals.card.id, "template_id": deals.connection.id,
        "name": "Сделка директора", "amount": "70 000"})
    register(as_manager, deals, name="Моя сделка")
    board = as_manager.get(f"/deals/board/{deals.connection.id}")
    assert "Моя сделка" in plain(board) and boss_deal.name not in plain(board)
    assert 'name="manager_id"' not in board.get_data(as_text=True)
    forbidden = as_manager.get(f"/deals/board/{deals.connection.id}"
                               f"?manager_id={deals.d}")
    assert forbidden.status_code == 403


# -- rights (DEAL-3) ---------------------------------------------------------------------------


def test_a_colleague_without_rights_gets_403_and_nothing_changes(as_other, as_manager, deals,
                                                                 system):
    deal_id = register(as_manager, deals, **{"attributes.address": "Ленина, 1"})
    version = version_of(deals, deal_id)
    card = deals.card
    # the colleague sees the client's deals (everyone who sees the client does)…
    tab = as_other.get(f"/counterparties/{card.id}/deals")
    assert tab.status_code == 200 and "Интернет в офис" in plain(tab)
    assert 'id="add-deal"' not in tab.get_data(as_text=True)
    page = as_other.get(f"/deals/{deal_id}").get_data(as_text=True)
    for control in ('id="transitions"', 'id="upload-document"', 'id="edit-deal"',
                    'id="delete-deal"', 'id="deal-invoice"'):
        assert control not in page, control
    # …but works none of them
    before = state(system)
    for method, url, data in (
        ("get", f"/counterparties/{card.id}/deals/new", None),
        ("post", f"/counterparties/{card.id}/deals/new",
         {"template_id": str(deals.connection.id), "name": "Чужая"}),
        ("post", f"/counterparties/{card.id}/deals/new/refill",
         {"template_id": str(deals.connection.id)}),
        ("get", f"/deals/{deal_id}/edit", None),
        ("post", f"/deals/{deal_id}/edit", {"name": "Взлом", "version": version}),
        ("post", f"/deals/{deal_id}/move", {"to_state": "survey", "version": version}),
        ("post", f"/deals/{deal_id}/approve", {"approval": "discount", "version": version}),
        ("post", f"/deals/{deal_id}/delete", {"version": version}),
        ("post", f"/deals/{deal_id}/documents", {"file": (io.BytesIO(PDF), "x.pdf")}),
    ):
        response = getattr(as_other, method)(url, data=data)
        assert response.status_code == 403, (url, response.status_code)
    moved = as_other.post(f"/deals/{deal_id}/move.json",
                          json={"to_state": "survey", "version": version})
    assert moved.status_code == 403 and moved.get_json()["ok"] is False
    assert state(system) == before
    # what the colleague sees of the figures: their own (none)
    assert "Интернет в офис" not in plain(as_other.get(f"/deals/board/{deals.connection.id}"))
    assert "Интернет в офис" not in plain(as_other.get("/deals"))


def test_the_english_interface(as_manager, deals):
    deal_id = register(as_manager, deals)
    as_manager.post("/lang", data={"lang": "en"})
    refused = as_manager.post(f"/deals/{deal_id}/move", data={
        "to_state": "survey", "version": version_of(deals, deal_id)})
    page = plain(refused)
    assert "The deal cannot move: these conditions are not met." in page
    assert "Адрес подключения: required" in page  # the attribute's label is reference data
    body = as_manager.post(f"/deals/{deal_id}/move.json", json={
        "to_state": "survey", "version": version_of(deals, deal_id)}).get_json()
    assert body["unmet"][0]["message"] == "required"
    deal = plain(as_manager.get(f"/deals/{deal_id}"))
    assert "Deal manager" in deal and "Time in the states" in deal and "Win probability" in deal
    assert "Pipeline board" in plain(as_manager.get(f"/deals/board/{deals.connection.id}"))
    assert "Expected and paid by month" in plain(as_manager.get("/deals/forecast"))


# -- random input never gives a 5xx --------------------------------------------------------

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
NUMBERISH = st.one_of(TEXT, st.integers(-10**12, 10**12).map(str),
                      st.sampled_from(["", "0", "1,5", "100", "101", "-1", "1e9", "₽"]))
JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), TEXT),
                       lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(TEXT, inner, max_size=3), max_leaves=6)
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _no_5xx(response) -> None:
    assert response.status_code in (200, 303, 400, 403, 404, 409, 422), \
        response.get_data(as_text=True)[:2000]


@FUZZ
@given(deal=st.fixed_dictionaries({}, optional={
           "template_id": NUMBERISH, "name": TEXT, "amount": NUMBERISH,
           "expected_close_on": TEXT, "project_id": NUMBERISH, "manager_id": NUMBERISH,
           "contact_id": NUMBERISH, "note": TEXT, "attributes.bandwidth": NUMBERISH,
           "attributes.address": TEXT, "attributes.nonsense": TEXT, "version": TEXT}),
       state_row=st.fixed_dictionaries({}, optional={
           k: NUMBERISH for k in ("code", "name", "order", "probability", "norm_days",
                                  "norm_hours", "outcome", "required", "visible",
                                  "guard_fields", "guard_approval", "guards_other",
                                  "on_enter_other", "final", "tasks-0-task_type",
                                  "tasks-0-due_in_hours", "tasks-0-who",
                                  "payments-0-percent", "payments-0-amount",
                                  "payments-0-due_in_days")}),
       body=JSONISH, query=st.dictionaries(st.sampled_from(
           ["template_id", "manager_id", "project_id", "close_from", "close_to", "months",
            "start", "state", "overdue", "page", "year"]), NUMBERISH, max_size=4))
def test_random_deal_input_never_fails(as_boss, deals, deal, state_row, body, query):
    card = deals.card.id
    if not deals.app.deals.of_counterparty(deals.d, card).total:  # deal 1 exists
        deals.app.deals.register(deals.d, {"counterparty_id": card, "name": "Фазз",
                                           "template_id": deals.connection.id})
    _no_5xx(as_boss.post(f"/counterparties/{card}/deals/new", data=deal))
    _no_5xx(as_boss.post(f"/counterparties/{card}/deals/new/refill", data=deal))
    form = template_form(code="fuzz")
    form.update({f"states-1-{k}": v for k, v in state_row.items()})
    _no_5xx(as_boss.post("/admin/deal-templates/new", data=form))
    _no_5xx(as_boss.post("/deals/1/move.json", json=body))
    _no_5xx(as_boss.post("/deals/1/move", data={k: str(v) for k, v in (
        body if isinstance(body, dict) else {}).items()}))
    for url in ("/deals", f"/deals/board/{deals.connection.id}", "/deals/board",
                "/deals/forecast", "/deals/forecast/export.csv", "/admin/work-calendar"):
        _no_5xx(as_boss.get(url, query_string=query))
