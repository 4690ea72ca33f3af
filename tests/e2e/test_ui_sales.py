"""The users' pages of a client's sales documents (CON-1…CON-4, REQ-1…REQ-4, INV-1…INV-4,
DOC-1, CP-13, PRD-2) through the Flask test client: every page in Russian and English,
the whole flow from a contract to a paid invoice with the settlement status on the card
and the list row, who may do what (a colleague without rights gets 403 and nothing
changes), the printable invoice with the amount in words, document uploads and
downloads, form errors (422, values kept, nothing saved) and stale versions (409)."""

from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import PASSWORD, page_text, sign_in

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
#: An issue date inside the prices' validity and the 22% VAT rate's.
DAY = "2026-03-02"
#: Tables a refused request must leave as they were.
TABLES = ("contracts", "requests", "invoices", "payments", "acts", "documents",
          "settlements", "history", "role_assignments", "messages", "counterparties")


@pytest.fixture
def sales(system, world):
    """A client «Альфа» with the clerk as its client manager and a contact; two items of
    the nomenclature with retail prices; ``other`` has no rights over the client."""
    app = system.app
    d = world["director"].id
    catalog = app.catalogs.create(d, {"name": "Клиенты"})
    card = app.counterparties.register(d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа",
        "full_name": "ООО «Альфа»", "inn": "7707083893", "kpp": "773601001",
        "legal_address": "г. Москва, ул. Вавилова, 19"})
    app.access.grant(d, world["clerk"].id, "client_manager", card.ref)
    contact = app.counterparties.add_contact(d, card.id, {"full_name": "Иванов Иван"})
    retail = next(t for t in app.products.price_types(d) if t.code == "retail")
    router = app.products.save_item(d, {"name": "Маршрутизатор", "unit": "шт",
                                        "vat_rate": "22"})
    setup = app.products.save_item(d, {"name": "Настройка оборудования",
                                       "item_kind": "work", "unit": "ч", "vat_rate": "22"})
    for item, amount in ((router, "5 490"), (setup, "1 500")):
        app.products.set_price(d, {"item_id": item.id, "price_type_id": retail.id,
                                   "valid_from": "2026-01-01", "amount": amount})
    app.org.rename_company(d, {"requisites": {
        "full_name": "ООО «Тестовая компания»", "inn": "7707083893", "kpp": "773601001",
        "address": "г. Екатеринбург, ул. Ленина, 1", "bank": "ПАО Сбербанк",
        "bik": "044525225", "account": "40702810938000000001",
        "corr_account": "30101810400000000225", "director": "Петров И. С.",
        "accountant": "Сидорова А. А."}})
    services = next(t for t in app.contracts.types(d) if t.code == "services")
    personal = next(t for t in app.contracts.types(d) if t.code == "individual")
    return SimpleNamespace(card=card, catalog=catalog, contact=contact, retail=retail,
                           router=router, setup=setup, services=services,
                           personal=personal, world=world, app=app, d=d)


@pytest.fixture
def as_manager(ui_app, sales):
    return sign_in(ui_app, "clerk", PASSWORD)


@pytest.fixture
def as_boss(ui_app, sales):
    return sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)


@pytest.fixture
def as_other(ui_app, sales):
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


def invoice_form(sales, **extra) -> dict[str, str]:
    """Two lines priced from the price list: 2 routers and 1,5 hours of set-up with a
    discount (12 980,00 with VAT 22% included)."""
    return {
        "issued_on": DAY, "contact_id": str(sales.contact.id),
        "lines-0-item_id": str(sales.router.id), "lines-0-quantity": "2",
        "lines-1-name": "Настройка оборудования", "lines-1-item_id": str(sales.setup.id),
        "lines-1-quantity": "1,5", "lines-1-discount": "250",
        "lines-2-name": "", "lines-2-quantity": "", "lines-3-price": "",
        **extra,
    }


def make_invoice(client, sales, **extra) -> int:
    response = client.post(f"/counterparties/{sales.card.id}/invoices/new",
                           data=invoice_form(sales, **extra))
    return made_id(response, "invoices")


def version_on(html: str, action: str) -> str:
    """The version a form posting to ``action`` carries."""
    found = re.search(re.escape(action) + r'".*?name="version" value="(\d+)"', html, re.S)
    assert found, action
    return found[1]


# -- pages in both languages ----------------------------------------------------------------


def test_every_page_renders_in_russian_and_in_english(as_manager, sales):
    app, d = sales.app, sales.d
    contract = app.contracts.register(d, sales.card.id, {
        "contract_type_id": sales.services.id, "subject": "Интернет"})
    request = app.requests.create(d, {"contract_id": contract.id, "subject": "Подключить"})
    invoice = app.invoices.create(d, {"counterparty_id": sales.card.id, "issued_on": DAY,
                                      "lines": [{"item_id": sales.router.id,
                                                 "quantity": 1}]})
    card = sales.card.id
    pages = {
        f"/counterparties/{card}": ("Договоры", "Contracts"),
        f"/counterparties/{card}/contracts": ("Зарегистрировать договор", "Register a contract"),
        f"/counterparties/{card}/requests": ("Новая заявка", "New request"),
        f"/counterparties/{card}/invoices": ("Выставить счёт", "Make an invoice"),
        f"/counterparties/{card}/documents": ("Загрузить", "Upload"),
        f"/counterparties/{card}/contracts/new": ("Тип договора", "Contract type"),
        f"/contracts/{contract.id}": ("Договор №", "Contract №"),
        f"/contracts/{contract.id}/edit": ("Предмет договора", "Subject of the contract"),
        "/requests/new": ("Новая заявка", "New request"),
        f"/requests/new?contract_id={contract.id}": ("Исполнитель", "Assignee"),
        f"/requests/{request.id}": ("Взять в работу", "Взять в работу"),
        f"/requests/{request.id}/edit": ("Вид услуги", "Service kind"),
        "/requests/mine": ("Мои заявки", "My requests"),
        f"/counterparties/{card}/invoices/new": ("Строки", "Lines"),
        f"/invoices/{invoice.id}": ("Всего к оплате", "Total to pay"),
        f"/invoices/{invoice.id}/edit": ("Менеджер счёта", "Invoice manager"),
        f"/invoices/{invoice.id}/print": ("Счёт на оплату", "Print / PDF"),
    }
    for url, (russian, _english) in pages.items():
        response = as_manager.get(url)
        assert response.status_code == 200, (url, plain(response)[:1500])
        assert russian in plain(response), url
    as_manager.post("/lang", data={"lang": "en"})
    for url, (_russian, english) in pages.items():
        response = as_manager.get(url)
        assert response.status_code == 200, url
        assert english in plain(response), url
    # the printable invoice is a Russian document whatever the interface's language
    assert "Счёт на оплату" in plain(as_manager.get(f"/invoices/{invoice.id}/print"))


# -- the whole flow -------------------------------------------------------------------------


def test_contract_request_invoice_payments_and_the_settlement_status(as_manager, sales,
                                                                      system):
    card = sales.card.id
    # a contract of the client (CON-2)
    response = as_manager.post(f"/counterparties/{card}/contracts/new", data={
        "contract_type_id": str(sales.services.id), "subject": "Доступ в интернет",
        "signed_on": DAY, "draft": "0"})
    contract_id = made_id(response, "contracts")
    page = plain(as_manager.get(f"/contracts/{contract_id}"))
    assert "Договор № 2026-00001" in page and "Доступ в интернет" in page
    # a request under it, assigned to the Director (REQ-1)
    director = sales.world["director"]
    response = as_manager.post("/requests/new", data={
        "counterparty_id": str(card), "contract_id": str(contract_id),
        "subject": "Подключить офис", "assignee_id": str(director.id), "due_on": DAY})
    request_id = made_id(response, "requests")
    page = plain(as_manager.get(f"/requests/{request_id}"))
    assert "Подключить офис" in page and "Новая" in page
    assert "Петров Иван Сергеевич" in page
    # an invoice under the contract with two priced lines (INV-1)
    invoice_id = make_invoice(as_manager, sales, contract_id=str(contract_id))
    page = plain(as_manager.get(f"/invoices/{invoice_id}"))
    assert "Маршрутизатор" in page and "5 490,00" in page and "1,5" in page
    assert "12 980,00" in page and "2 340,66" in page
    assert "В том числе НДС 22%" in page or "НДС 22% в том числе" in page
    # issue it; pay part of it: «долг» on the card and on the list row
    html = as_manager.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    response = as_manager.post(f"/invoices/{invoice_id}/move", data={
        "to_state": "issued", "version": version_on(html, f"/invoices/{invoice_id}/move")})
    assert response.status_code == 303, plain(response)[:2000]
    response = as_manager.post(f"/invoices/{invoice_id}/payments", data={
        "amount": "5 000", "paid_on": DAY, "reference": "п/п 17"})
    assert response.status_code == 303, plain(response)[:2000]
    page = plain(as_manager.get(f"/invoices/{invoice_id}"))
    assert "Частично оплачен" in page and "п/п 17" in page and "7 980,00" in page
    card_page = plain(as_manager.get(f"/counterparties/{card}"))
    assert "долг" in card_page and "7 980,00" in card_page
    row = as_manager.get(f"/counterparties/catalogs/{sales.catalog.id}").get_data(as_text=True)
    assert "settlement-debt" in row and f"/counterparties/{card}/invoices" in row
    assert "долг" in plain(as_manager.get(f"/counterparties/catalogs/{sales.catalog.id}"))
    # the rest: «оплачено»
    response = as_manager.post(f"/invoices/{invoice_id}/payments", data={
        "amount": "7980,00", "paid_on": DAY})
    assert response.status_code == 303
    assert "Оплачен" in plain(as_manager.get(f"/invoices/{invoice_id}"))
    assert "оплачено" in plain(as_manager.get(f"/counterparties/{card}"))
    listing = as_manager.get(f"/counterparties/catalogs/{sales.catalog.id}")
    assert "settlement-paid" in listing.get_data(as_text=True)
    # the client's invoices (INV-4), by state
    found = plain(as_manager.get(f"/counterparties/{card}/invoices?state=paid"))
    assert "Найдено: 1" in found
    assert "Найдено: 0" in plain(as_manager.get(f"/counterparties/{card}/invoices?state=draft"))
    # the contract carries its request, invoice and payments (CON-3, CON-4)
    page = plain(as_manager.get(f"/contracts/{contract_id}"))
    assert "Подключить офис" in page and "12 980,00" in page and "5 000,00" in page
    # the client's history tells it all
    history = plain(as_manager.get(f"/counterparties/{card}/history"))
    for word in ("Договор", "Заявка", "Счёт", "Оплата"):
        assert word in history, word
    assert "Договор № 2026-00001" in history and "Подключить офис" in history


def test_a_request_moves_through_its_states_with_a_reason_when_asked(as_manager, sales,
                                                                      system):
    response = as_manager.post("/requests/new", data={
        "counterparty_id": str(sales.card.id), "subject": "Заменить роутер"})
    request_id = made_id(response, "requests")
    url = f"/requests/{request_id}"
    html = as_manager.get(url).get_data(as_text=True)
    assert "Взять в работу" in html and "Отменить" in html
    version = version_on(html, f"{url}/move")
    # cancelling needs a reason: 422 with the message beside the right button
    before = state(system)
    response = as_manager.post(f"{url}/move", data={"to_state": "cancelled",
                                                    "version": version})
    assert response.status_code == 422
    assert "обязательное поле" in plain(response)
    assert state(system) == before
    response = as_manager.post(f"{url}/move", data={"to_state": "in_work", "version": version})
    assert response.status_code == 303
    # a stale version: 409, nothing changes
    before = state(system)
    response = as_manager.post(f"{url}/move", data={"to_state": "done", "version": version})
    assert response.status_code == 409
    assert "изменён" in plain(response)
    assert state(system) == before
    html = as_manager.get(url).get_data(as_text=True)
    response = as_manager.post(f"{url}/move", data={
        "to_state": "done", "version": version_on(html, f"{url}/move")})
    assert response.status_code == 303
    page = plain(as_manager.get(url))
    assert "Выполнена" in page
    assert "Взять в работу" in page and "В работе" in page  # the history names the states


def test_an_invoice_without_lines_shows_issuing_disabled_with_the_reason(as_manager, sales):
    invoice = sales.app.invoices.create(sales.d, {"counterparty_id": sales.card.id,
                                                  "issued_on": DAY})
    html = as_manager.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    button = re.search(r'<button[^>]*data-to="issued"[^>]*>', html)
    assert button and "disabled" in button[0]
    assert "Строки: обязательное поле" in plain(as_manager.get(f"/invoices/{invoice.id}"))


def test_the_service_kind_gives_the_request_its_condition_fields(as_manager, sales):
    sales.app.products.save_service_kind(sales.d, {
        "code": "internet", "name": "Интернет",
        "conditions": [{"code": "ip_address", "label": "IP-адрес", "type": "ip_address",
                        "required": True},
                       {"code": "speed", "label": "Скорость", "type": "choice",
                        "choices": ["100", "500"]}]})
    kind = next(k for k in sales.app.products.service_kinds(sales.d) if k.code == "internet")
    # without JavaScript: «Показать условия» shows the form again with its fields
    response = as_manager.post("/requests/new/refill", data={
        "counterparty_id": str(sales.card.id), "subject": "Подключить",
        "service_kind_id": str(kind.id)})
    assert response.status_code == 200
    page = plain(response)
    assert "IP-адрес" in page and "Скорость" in page
    response = as_manager.post("/requests/new", data={
        "counterparty_id": str(sales.card.id), "subject": "Подключить",
        "service_kind_id": str(kind.id), "conditions.ip_address": "999.1.1.1",
        "conditions.speed": "100"})
    assert response.status_code == 422
    assert "IP-адрес вида 192.0.2.10" in plain(response)
    assert 'value="Подключить"' in response.get_data(as_text=True)
    response = as_manager.post("/requests/new", data={
        "counterparty_id": str(sales.card.id), "subject": "Подключить",
        "service_kind_id": str(kind.id), "conditions.ip_address": "192.0.2.10",
        "conditions.speed": "500"})
    request_id = made_id(response, "requests")
    page = plain(as_manager.get(f"/requests/{request_id}"))
    assert "192.0.2.10" in page and "500" in page and "Интернет" in page


def test_my_requests_and_an_internal_request(ui_app, sales, system):
    other = sign_in(ui_app, "other", PASSWORD)
    response = other.post("/requests/new", data={
        "subject": "Заправить картридж", "assignee_id": str(sales.world["clerk"].id)})
    request_id = made_id(response, "requests")
    clerk = sign_in(ui_app, "clerk", PASSWORD)
    mine = plain(clerk.get("/requests/mine"))
    assert "Заправить картридж" in mine and "внутренняя" in mine
    # the colleague's internal request is not the admin's to see
    admin = sign_in(ui_app, "admin", PASSWORD)
    assert admin.get(f"/requests/{request_id}").status_code == 403
    # done requests drop out of the open-only list
    html = clerk.get(f"/requests/{request_id}").get_data(as_text=True)
    clerk.post(f"/requests/{request_id}/move", data={
        "to_state": "cancelled", "reason": "не нужно",
        "version": version_on(html, f"/requests/{request_id}/move")})
    assert "Заправить картридж" not in plain(clerk.get("/requests/mine"))
    assert "Заправить картридж" in plain(clerk.get("/requests/mine?open=0"))


def test_a_payment_by_mistake_is_deleted_and_acts_are_registered(as_manager, sales, system):
    invoice_id = make_invoice(as_manager, sales)
    url = f"/invoices/{invoice_id}"
    # no payments against a draft: the form is not offered, and the core says why
    assert 'id="payment-form"' not in as_manager.get(url).get_data(as_text=True)
    response = as_manager.post(f"{url}/payments", data={"amount": "100"})
    assert response.status_code == 409
    assert "по выставленному счёту" in plain(response)
    html = as_manager.get(url).get_data(as_text=True)
    as_manager.post(f"{url}/move", data={"to_state": "issued",
                                         "version": version_on(html, f"{url}/move")})
    # a bad amount: 422 beside the field, the form keeps it
    response = as_manager.post(f"{url}/payments", data={"amount": "сто", "reference": "п/п 1"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="err-amount"' in html and 'value="п/п 1"' in html
    as_manager.post(f"{url}/payments", data={"amount": "12980", "paid_on": DAY})
    assert "Оплачен" in plain(as_manager.get(url))
    payment = sales.app.invoices.payments(sales.d, invoice_id)[0]
    # a payment registered by mistake goes even from a paid invoice, which then goes back
    # by hand (review H1: «Оплачен» is not final)
    assert f"/payments/{payment.id}/delete" in as_manager.get(url).get_data(as_text=True)
    response = as_manager.post(f"{url}/payments/{payment.id}/delete",
                               data={"version": str(payment.version)})
    assert response.status_code == 303
    html = as_manager.get(url).get_data(as_text=True)
    assert "Вернуть в выставленные" in html
    as_manager.post(f"{url}/move", data={"to_state": "issued",
                                         "version": version_on(html, f"{url}/move")})
    assert "Выставлен" in plain(as_manager.get(url))
    as_manager.post(f"{url}/payments", data={"amount": "12980", "paid_on": DAY})
    # an act for the invoice: its total unless an amount is given
    response = as_manager.post(f"{url}/acts", data={
        "counterparty_id": str(sales.card.id), "act_on": DAY, "note": "за март"})
    assert response.status_code == 303
    page = plain(as_manager.get(url))
    assert "Акт" in page and "за март" in page
    # on an open invoice a payment registered by mistake goes
    second = make_invoice(as_manager, sales)
    html = as_manager.get(f"/invoices/{second}").get_data(as_text=True)
    as_manager.post(f"/invoices/{second}/move", data={
        "to_state": "issued", "version": version_on(html, f"/invoices/{second}/move")})
    as_manager.post(f"/invoices/{second}/payments", data={"amount": "100", "paid_on": DAY})
    assert "Частично оплачен" in plain(as_manager.get(f"/invoices/{second}"))
    payment = sales.app.invoices.payments(sales.d, second)[0]
    response = as_manager.post(f"/invoices/{second}/payments/{payment.id}/delete",
                               data={"version": str(payment.version)})
    assert response.status_code == 303
    page = plain(as_manager.get(f"/invoices/{second}"))
    assert "Оплачено 0,00" in page and "Оплат пока нет" in page
    assert "долг" in plain(as_manager.get(f"/counterparties/{sales.card.id}"))


# -- rights ---------------------------------------------------------------------------------


def test_a_colleague_without_rights_gets_403_and_nothing_changes(as_other, as_manager,
                                                                 sales, system):
    card = sales.card.id
    app, d = sales.app, sales.d
    contract = app.contracts.register(d, card, {"contract_type_id": sales.services.id})
    request = app.requests.create(d, {"counterparty_id": card, "subject": "Тест"})
    invoice_id = make_invoice(as_manager, sales)
    invoice = app.invoices.get(d, invoice_id)
    app.invoices.move(d, invoice_id, "issued", version=invoice.version)
    document = app.documents.upload(d, "invoice", invoice_id, "счёт.pdf", PDF)
    # the colleague sees the client's documents (everyone who sees the client does)…
    assert as_other.get(f"/invoices/{invoice_id}").status_code == 200
    assert as_other.get(f"/documents/{document.id}").status_code == 200
    page = as_other.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert "register-payment" not in page and "upload-document" not in page
    assert 'data-to="cancelled"' not in page
    # …but works none of them
    before = state(system)
    version = str(app.invoices.get(d, invoice_id).version)
    refused = {
        f"/counterparties/{card}/contracts/new": None,
        f"/contracts/{contract.id}/edit": None,
        f"/counterparties/{card}/invoices/new": None,
        f"/invoices/{invoice_id}/edit": None,
        f"/requests/{request.id}/edit": None,
        f"/requests/new?counterparty_id={card}": None,
    }
    for url in refused:
        assert as_other.get(url).status_code == 403, url
    posts = {
        f"/counterparties/{card}/contracts/new": {"contract_type_id": str(sales.services.id)},
        f"/contracts/{contract.id}/edit": {"subject": "x", "version": str(contract.version)},
        f"/contracts/{contract.id}/delete": {"version": str(contract.version)},
        f"/counterparties/{card}/invoices/new": invoice_form(sales),
        f"/invoices/{invoice_id}/edit": {"note": "x", "version": version},
        f"/invoices/{invoice_id}/move": {"to_state": "cancelled", "reason": "x",
                                         "version": version},
        f"/invoices/{invoice_id}/payments": {"amount": "100", "paid_on": DAY},
        f"/invoices/{invoice_id}/acts": {"counterparty_id": str(card)},
        f"/requests/{request.id}/move": {"to_state": "in_work",
                                         "version": str(request.version)},
        "/requests/new": {"counterparty_id": str(card), "subject": "x"},
        f"/documents/{document.id}/delete": {"version": str(document.version)},
    }
    for url, data in posts.items():
        assert as_other.post(url, data=data).status_code == 403, url
    response = as_other.post("/documents", data={
        "owner_kind": "invoice", "owner_id": str(invoice_id),
        "file": (io.BytesIO(PDF), "чужой.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 403
    assert state(system) == before


def test_a_document_of_an_internal_request_is_its_peoples_only(ui_app, sales, system):
    clerk = sign_in(ui_app, "clerk", PASSWORD)
    response = clerk.post("/requests/new", data={"subject": "Отпуск"})
    request_id = made_id(response, "requests")
    response = clerk.post("/documents", data={
        "owner_kind": "request", "owner_id": str(request_id), "note": "заявление",
        "next": f"/requests/{request_id}",
        "file": (io.BytesIO(PDF), "заявление.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 303
    document = sales.app.documents.of_owner(sales.d, "request", request_id)[0]
    assert clerk.get(f"/documents/{document.id}").data == PDF
    other = sign_in(ui_app, "other", PASSWORD)
    assert other.get(f"/documents/{document.id}").status_code == 403
    assert other.get(f"/requests/{request_id}").status_code == 403


# -- the printable invoice --------------------------------------------------------------------


def test_the_printable_invoice(as_manager, sales):
    invoice_id = make_invoice(as_manager, sales)
    response = as_manager.get(f"/invoices/{invoice_id}/print")
    assert response.status_code == 200
    page = plain(response)
    assert "Счёт на оплату № 1 от 2 марта 2026 г." in page
    assert "Двенадцать тысяч девятьсот восемьдесят рублей 00 копеек" in page
    assert "В том числе НДС 22%: 2 340,66" in page
    assert "Всего к оплате: 12 980,00" in page
    for heading in ("Товары (работы, услуги)", "Кол-во", "Ед.", "Цена", "Сумма"):
        assert heading in page, heading
    assert "ПАО Сбербанк" in page and "044525225" in page and "40702810938000000001" in page
    assert "ООО «Альфа»" in page and "7707083893" in page  # the client's frozen requisites
    assert "Руководитель" in page and "Петров И. С." in page and "Бухгалтер" in page
    assert "window.print" not in page and "data-print" in response.get_data(as_text=True)
    assert "@media print" in as_manager.get("/static/sales.css").get_data(as_text=True)


def test_vat_on_top_and_without_vat_on_the_printable_invoice(as_manager, sales):
    sales.app.products.save_item(sales.d, {"name": "Консультация", "vat_rate": "none"})
    invoice_id = make_invoice(as_manager, sales, vat_included="0")
    page = plain(as_manager.get(f"/invoices/{invoice_id}/print"))
    # 12 980 + 22% on top per line: 2 415,60 + 440,00 = 2 855,60
    assert "НДС 22%: 2 855,60" in page and "Всего к оплате: 15 835,60" in page
    response = as_manager.post(f"/counterparties/{sales.card.id}/invoices/new", data={
        "issued_on": DAY, "lines-0-name": "Консультация", "lines-0-quantity": "1",
        "lines-0-price": "1000", "lines-0-vat_rate": "none"})
    plain_id = made_id(response, "invoices")
    page = plain(as_manager.get(f"/invoices/{plain_id}/print"))
    assert "Без НДС" in page and "Одна тысяча рублей 00 копеек" in page


# -- forms: errors, kept values, versions ------------------------------------------------------


def test_a_bad_invoice_names_each_bad_cell_and_saves_nothing(as_manager, sales, system):
    before = state(system)
    response = as_manager.post(f"/counterparties/{sales.card.id}/invoices/new", data={
        "issued_on": DAY, "lines-0-name": "Роутер", "lines-0-quantity": "два",
        "lines-0-price": "100", "lines-1-name": "", "lines-3-name": "Кабель",
        "lines-3-quantity": "1", "lines-3-price": "-5", "due_on": "31.02.2026"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    # the messages stand at the rows they are about (the blank row 1 is skipped)
    assert re.search(r'id="err-lines-0-quantity">число вида 1 234,56', html)
    assert re.search(r'id="err-lines-3-price">[^<]*отрицательн', html)
    assert 'id="err-due_on"' in html
    assert 'value="два"' in html and 'value="Кабель"' in html  # what was typed stays
    assert state(system) == before


def test_an_item_without_a_price_on_the_day_asks_for_one(as_manager, sales, system):
    before = state(system)
    response = as_manager.post(f"/counterparties/{sales.card.id}/invoices/new", data={
        "issued_on": "2025-12-01", "lines-0-item_id": str(sales.router.id),
        "lines-0-quantity": "1", "lines-0-vat_rate": "20"})
    assert response.status_code == 422
    assert "нет цены" in plain(response).lower()
    assert state(system) == before


def test_editing_an_invoice_with_a_stale_version_is_refused(as_manager, sales, system):
    invoice_id = make_invoice(as_manager, sales)
    html = as_manager.get(f"/invoices/{invoice_id}/edit").get_data(as_text=True)
    version = version_on(html, f"/invoices/{invoice_id}/edit")
    assert 'value="Маршрутизатор"' in html and 'value="1.5"' in html
    data = {k: v for k, v in invoice_form(sales).items()}
    data.update({"version": version, "note": "первый"})
    assert as_manager.post(f"/invoices/{invoice_id}/edit", data=data).status_code == 303
    before = state(system)
    data["note"] = "второй"
    response = as_manager.post(f"/invoices/{invoice_id}/edit", data=data)
    assert response.status_code == 409
    assert "второй" in response.get_data(as_text=True)
    assert state(system) == before
    # an issued invoice's lines no longer change; its note still does
    invoice = sales.app.invoices.get(sales.d, invoice_id)
    sales.app.invoices.move(sales.d, invoice_id, "issued", version=invoice.version)
    html = as_manager.get(f"/invoices/{invoice_id}/edit").get_data(as_text=True)
    assert "lines-0-name" not in html
    response = as_manager.post(f"/invoices/{invoice_id}/edit", data={
        "note": "оплатить до конца месяца", "due_on": "2026-03-31",
        "version": version_on(html, f"/invoices/{invoice_id}/edit")})
    assert response.status_code == 303
    assert "оплатить до конца месяца" in plain(as_manager.get(f"/invoices/{invoice_id}"))


def test_a_contract_types_attributes_and_deleting_only_a_draft(as_manager, sales, system):
    card = sales.card.id
    # the individual's contract type asks for passport data (CON-1)
    response = as_manager.get(f"/counterparties/{card}/contracts/new"
                              f"?contract_type_id={sales.personal.id}")
    assert "Паспорт (серия и номер)" in plain(response)
    before = state(system)
    response = as_manager.post(f"/counterparties/{card}/contracts/new", data={
        "contract_type_id": str(sales.personal.id), "subject": "Услуги",
        "attributes.passport": "12", "draft": "0"})
    assert response.status_code == 422
    page = plain(response)
    assert "серия и номер вида 4510 123456" in page
    assert "подписанному договору нужна дата подписания" in page.lower() or \
        "дата подписания" in page.lower()
    assert state(system) == before
    response = as_manager.post(f"/counterparties/{card}/contracts/new", data={
        "contract_type_id": str(sales.personal.id), "subject": "Услуги",
        "attributes.passport": "4510123456", "attributes.birth_date": "1980-05-31",
        "signed_on": DAY, "draft": "0"})
    signed = made_id(response, "contracts")
    page = plain(as_manager.get(f"/contracts/{signed}"))
    assert "Ф-2026-0001" in page and "4510 123456" in page
    # a signed contract is not deleted: the core's message, 409
    html = as_manager.get(f"/contracts/{signed}").get_data(as_text=True)
    assert 'id="delete-contract"' not in html
    contract = sales.app.contracts.get(sales.d, signed)
    response = as_manager.post(f"/contracts/{signed}/delete",
                               data={"version": str(contract.version)})
    assert response.status_code == 409
    assert "удалить можно только черновик" in plain(response).lower()
    # a draft goes
    response = as_manager.post(f"/counterparties/{card}/contracts/new", data={
        "contract_type_id": str(sales.services.id), "draft": "1"})
    draft = made_id(response, "contracts")
    html = as_manager.get(f"/contracts/{draft}").get_data(as_text=True)
    response = as_manager.post(f"/contracts/{draft}/delete", data={
        "version": version_on(html, f"/contracts/{draft}/delete"),
        "next": f"/counterparties/{card}/contracts"})
    assert response.status_code == 303
    assert as_manager.get(f"/contracts/{draft}").status_code == 404


def test_the_contracts_electronic_copy(as_manager, sales):
    contract = sales.app.contracts.register(sales.d, sales.card.id, {
        "contract_type_id": sales.services.id})
    response = as_manager.post("/documents", data={
        "owner_kind": "contract", "owner_id": str(contract.id), "note": "скан",
        "next": f"/contracts/{contract.id}",
        "file": (io.BytesIO(PDF), "договор.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 303
    document = sales.app.documents.of_owner(sales.d, "contract", contract.id)[0]
    html = as_manager.get(f"/contracts/{contract.id}").get_data(as_text=True)
    response = as_manager.post(f"/contracts/{contract.id}/copy", data={
        "document_id": str(document.id),
        "version": version_on(html, f"/contracts/{contract.id}/copy")})
    assert response.status_code == 303
    assert sales.app.contracts.get(sales.d, contract.id).document_id == document.id
    assert 'id="electronic-copy"' in as_manager.get(f"/contracts/{contract.id}").get_data(
        as_text=True)


def test_the_client_type_on_the_card_form(as_manager, sales):
    partner = next(t for t in sales.app.products.client_types(sales.d) if t.code == "partner")
    card = sales.app.counterparties.get(sales.d, sales.card.id)
    html = as_manager.get(f"/counterparties/{card.id}/edit").get_data(as_text=True)
    assert 'name="client_type_id"' in html and "Партнёр" in html
    response = as_manager.post(f"/counterparties/{card.id}/edit", data={
        "type": "legal_entity", "name": card.name, "inn": card.inn, "kpp": card.kpp,
        "status": "active", "client_type_id": str(partner.id), "version": str(card.version)})
    assert response.status_code == 303, plain(response)[:2000]
    page = plain(as_manager.get(f"/counterparties/{card.id}"))
    assert "Тип клиента: Партнёр" in page
    # the partner's invoices are priced by the wholesale price type by default
    html = as_manager.get(f"/counterparties/{card.id}/invoices/new").get_data(as_text=True)
    wholesale = next(t for t in sales.app.products.price_types(sales.d)
                     if t.code == "wholesale")
    assert f'data-default-price-type="{wholesale.id}"' in html


# -- documents ------------------------------------------------------------------------------


def test_documents_upload_download_and_delete(as_manager, sales, system):
    card = sales.card.id
    response = as_manager.post("/documents", data={
        "owner_kind": "counterparty", "owner_id": str(card), "note": "устав",
        "next": f"/counterparties/{card}/documents",
        "file": (io.BytesIO(PDF), "Устав «Альфа».pdf")}, content_type="multipart/form-data")
    assert response.status_code == 303
    page = plain(as_manager.get(f"/counterparties/{card}/documents"))
    assert "Устав «Альфа».pdf" in page and "устав" in page and "Иванов Пётр" in page
    document = sales.app.documents.of_owner(sales.d, "counterparty", card)[0]
    response = as_manager.get(f"/documents/{document.id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%D0%A3%D1%81%D1%82%D0%B0%D0%B2" in disposition
    assert 'filename="' in disposition and "\u0423" not in disposition.split("filename*")[0]
    # the client's history tells of it
    assert "Устав «Альфа».pdf" in plain(as_manager.get(f"/counterparties/{card}/history"))
    response = as_manager.post(f"/documents/{document.id}/delete", data={
        "version": str(document.version), "next": f"/counterparties/{card}/documents"})
    assert response.status_code == 303
    assert as_manager.get(f"/documents/{document.id}").status_code == 404


def test_uploads_of_a_wrong_type_or_size_are_refused(as_manager, sales, system):
    card = sales.card.id
    before = state(system)
    response = as_manager.post("/documents", data={
        "owner_kind": "counterparty", "owner_id": str(card),
        "file": (io.BytesIO(b"MZ\x90\x00 an executable"), "setup.exe")},
        content_type="multipart/form-data")
    assert response.status_code == 422
    assert "только PDF" in plain(response)
    big = PDF + b"0" * (20 * 1024 * 1024)
    response = as_manager.post("/documents", data={
        "owner_kind": "counterparty", "owner_id": str(card),
        "file": (io.BytesIO(big), "big.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "не более 20 МБ" in plain(response)
    response = as_manager.post("/documents", data={
        "owner_kind": "counterparty", "owner_id": str(card)},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "выберите файл" in plain(response).lower()
    assert state(system) == before


# -- the invoice form's JSON ------------------------------------------------------------------


def test_the_item_picker_and_the_price_on_a_day(as_manager, sales):
    found = as_manager.get("/sales/items?q=маршр").get_json()
    assert [i["name"] for i in found["results"]] == ["Маршрутизатор"]
    assert found["results"][0]["unit"] == "шт" and found["results"][0]["vat_rate"] == "22"
    response = as_manager.get(f"/sales/price?item_id={sales.router.id}"
                              f"&price_type_id={sales.retail.id}&day={DAY}")
    assert response.status_code == 200 and response.get_json()["price"] == "5490.00"
    response = as_manager.get(f"/sales/price?item_id={sales.router.id}"
                              f"&price_type_id={sales.retail.id}&day=2025-01-01")
    assert response.status_code == 404 and response.get_json()["price"] is None
    response = as_manager.get("/sales/price?item_id=x&price_type_id=1&day=never")
    assert response.status_code == 422


# -- CSRF and random input ---------------------------------------------------------------------


def test_the_forms_carry_the_csrf_token_and_big_uploads_reach_the_core(ui_app, sales, system):
    ui_app.config["WTF_CSRF_ENABLED"] = True
    client = ui_app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    assert client.post("/login", data={"login": "clerk", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 303
    card = sales.card.id
    html = client.get(f"/counterparties/{card}/documents").get_data(as_text=True)
    form = html[html.index('id="upload-document"'):]
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    before = state(system)
    refused = client.post("/documents", data={
        "owner_kind": "counterparty", "owner_id": str(card),
        "file": (io.BytesIO(PDF), "a.pdf")}, content_type="multipart/form-data")
    assert refused.status_code == 400
    # a file of 18 MB goes through (the app takes bodies up to 21 MiB; the core 20 MB)
    big = PDF + b"0" * (18 * 1024 * 1024)
    response = client.post("/documents", data={
        "owner_kind": "counterparty", "owner_id": str(card), "csrf_token": token,
        "next": f"/counterparties/{card}/documents",
        "file": (io.BytesIO(big), "скан.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 303, plain(response)[:1000]
    assert state(system) != before
    html = client.get(f"/counterparties/{card}/contracts/new").get_data(as_text=True)
    assert 'name="csrf_token"' in html


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
NUMBERISH = st.one_of(TEXT, st.decimals(allow_nan=False, allow_infinity=False).map(str),
                      st.sampled_from(["1", "1,5", "1 234,56", "-1", "0", "1e9", "", "₽"]))
LINE = {"item_id": st.one_of(TEXT, st.integers(-5, 10**20).map(str)), "name": TEXT,
        "quantity": NUMBERISH, "unit": TEXT, "price": NUMBERISH, "discount": NUMBERISH,
        "vat_rate": st.one_of(TEXT, st.sampled_from(["22", "10", "0", "none", "20"]))}
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _no_5xx(response) -> None:
    assert response.status_code in (200, 303, 403, 404, 409, 422), \
        response.get_data(as_text=True)[:2000]


@FUZZ
@given(rows=st.lists(st.fixed_dictionaries({}, optional=LINE), max_size=3),
       head=st.fixed_dictionaries({}, optional={
           "issued_on": TEXT, "due_on": TEXT, "contract_id": TEXT, "contact_id": TEXT,
           "price_type_id": TEXT, "vat_included": TEXT, "manager_id": TEXT, "note": TEXT,
           "version": TEXT}))
def test_random_invoice_and_payment_forms_never_fail(as_manager, sales, rows, head):
    data = dict(head)
    for number, row in enumerate(rows):
        data.update({f"lines-{number}-{k}": v for k, v in row.items()})
    _no_5xx(as_manager.post(f"/counterparties/{sales.card.id}/invoices/new", data=data))
    _no_5xx(as_manager.post(f"/counterparties/{sales.card.id}/invoices/new/refill",
                            data=data))
    payment = {"amount": head.get("note", ""), "paid_on": head.get("issued_on", "")}
    _no_5xx(as_manager.post("/invoices/1/payments", data=payment))
    contract = {"contract_type_id": head.get("contract_id", ""), "signed_on":
                head.get("due_on", ""), "draft": head.get("vat_included", ""),
                "attributes.passport": head.get("note", "")}
    _no_5xx(as_manager.post(f"/counterparties/{sales.card.id}/contracts/new", data=contract))
    _no_5xx(as_manager.post("/requests/new", data={
        "subject": head.get("note", ""), "service_kind_id": head.get("price_type_id", ""),
        "assignee_id": head.get("manager_id", ""), "due_on": head.get("due_on", ""),
        "counterparty_id": head.get("contact_id", "")}))
