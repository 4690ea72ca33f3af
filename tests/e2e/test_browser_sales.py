"""The sales journey of issue 5 in a real headless Chromium (CON-1…CON-4, REQ-1, INV-1,
INV-2, INV-4, PRD-2, PRD-3, CP-13): the Director opens the counterparty card -> «Договоры»
-> registers a contract through the form -> on the contract's page creates a request
under it -> makes an invoice with two lines picked by the item picker (the price comes
from the retail price list) -> «Выставить» -> registers a partial payment -> the invoice is
«Частично оплачен» -> the catalog's list row shows «долг» and its «Счета» link opens the
client's invoices -> the card's history tells of the contract, the request, the invoice
and the payment. The printable «Счёт на оплату» carries the amount in words.

Same browser and rules as tests/e2e/test_browser_tasks.py: Debian's /usr/bin/chromium
through Playwright against the app behind a real WSGI server on 127.0.0.1 (CSRF on);
without that browser the test skips locally and fails in CI (CI=true). Screenshots of the
invoice's page and of the printable invoice go to /tmp/ecrm-ui-invoice.png and
/tmp/ecrm-ui-invoice-print.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD

pytestmark = pytest.mark.browser

INVOICE_SHOT = Path("/tmp/ecrm-ui-invoice.png")
PRINT_SHOT = Path("/tmp/ecrm-ui-invoice-print.png")


def spaced(text: str) -> str:
    """Visible text with every kind of space as a plain one (Russian money is grouped by
    a no-break space)."""
    return re.sub(r"\s+", " ", text)


def pick_item(page, row: int, typed: str, name: str, list_price: str, quantity: str) -> None:
    """Type a part of the item's name in the line ``row``, pick it from the picker, wait
    for the price list's price (PRD-3), then set the quantity."""
    line = page.locator(f"#lines tr.line-row[data-row='{row}']")
    line.locator("input.item-name").press_sequentially(typed, delay=30)
    choice = line.locator(".item-results button", has_text=name)
    choice.click()
    assert line.locator("input.item-id").input_value().isdigit()
    assert line.locator("input.item-name").input_value() == name
    price = line.locator(f"input[name='lines-{row}-price']")
    page.wait_for_function(
        "el => el.value !== ''", arg=price.element_handle(), timeout=15000)
    assert price.input_value() == list_price, price.input_value()
    line.locator(f"input[name='lines-{row}-quantity']").fill(quantity)


def test_contract_request_invoice_payment_debt_history(browser, live_url, system, director):
    app, d = system.app, director.id
    catalog = app.catalogs.create(d, {"name": "Клиенты"})
    card = app.counterparties.register(d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа-Телеком",
        "full_name": "ООО «Альфа-Телеком»", "inn": "7707083893", "kpp": "773601001",
        "legal_address": "г. Москва, ул. Вавилова, 19"})
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

    page = browser.new_page(locale="ru-RU", viewport={"width": 1400, "height": 900})
    page.set_default_timeout(15000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_url + "/login")
    page.fill("input[name=login]", DIRECTOR_LOGIN)
    page.fill("input[name=password]", DIRECTOR_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")

    # The card's «Договоры» tab: register a contract through the form (CON-1, CON-2).
    page.goto(f"{live_url}/counterparties/{card.id}")
    with page.expect_navigation():
        page.click("nav.tabs >> text=Договоры")
    assert page.url.endswith(f"/counterparties/{card.id}/contracts")
    with page.expect_navigation():
        page.click("#add-contract")
    form = page.locator("#contract-form")
    assert form.locator("select[name=contract_type_id] option:checked").inner_text() == \
        "Договор оказания услуг"
    form.locator("textarea[name=subject]").fill("Доступ в интернет и обслуживание сети")
    form.locator("input[name=signed_on]").fill("2026-11-02")
    form.locator("input[type=checkbox][name=draft]").uncheck()
    with page.expect_navigation():
        page.click("#save-contract")
    assert re.search(r"/contracts/\d+$", page.url), page.url
    contract_url = page.url
    assert "Договор зарегистрирован" in page.locator(".alert-success").inner_text()
    # The type's pattern «{year}-{seq:05d}»: the first contract of this year.
    heading = re.fullmatch(r"Договор № (\d{4}-00001)", page.locator("h1").inner_text())
    assert heading, page.locator("h1").inner_text()
    number = heading[1]
    facts = page.locator("#contract-facts").inner_text()
    assert "Доступ в интернет" in facts and "подписан" in facts

    # On the contract's page: a request under it (REQ-1).
    with page.expect_navigation():
        page.click("#add-request")
    request_form = page.locator("#request-form")
    assert request_form.locator("select[name=contract_id]").input_value() == \
        contract_url.rsplit("/", 1)[1]
    request_form.locator("input[name=subject]").fill("Подключить офис на Вавилова")
    request_form.locator("textarea[name=description]").fill("Два рабочих места, Wi-Fi")
    with page.expect_navigation():
        page.click("#save-request")
    assert re.search(r"/requests/\d+$", page.url), page.url
    assert "Заявка зарегистрирована" in page.locator(".alert-success").inner_text()
    assert page.locator(".state-card .state-pill").inner_text() == "Новая"
    assert f"№ {number}" in page.locator("#request-facts").inner_text()

    # Back on the contract: the request is there; make an invoice under it with two
    # lines picked through the item picker, priced from the retail price list (INV-1).
    page.goto(contract_url)
    assert "Подключить офис на Вавилова" in page.locator("#contract-requests").inner_text()
    with page.expect_navigation():
        page.click("#add-invoice")
    invoice_form = page.locator("#invoice-form")
    assert invoice_form.locator("select[name=contract_id]").input_value() == \
        contract_url.rsplit("/", 1)[1]
    price_type = invoice_form.locator("select[name=price_type_id]")
    if price_type.input_value() != str(retail.id):
        price_type.select_option(str(retail.id))
    pick_item(page, 0, "Маршр", "Маршрутизатор", "5490.00", "2")
    pick_item(page, 1, "настр", "Настройка оборудования", "1500.00", "3")
    assert page.locator("input[name='lines-0-unit']").input_value() == "шт"
    assert page.locator("input[name='lines-1-unit']").input_value() == "ч"
    assert page.locator("select[name='lines-1-vat_rate']").input_value() == "22"
    invoice_form.locator("textarea[name=note]").fill("Оплата в течение 5 банковских дней")
    with page.expect_navigation():
        page.click("#save-invoice")
    assert re.search(r"/invoices/\d+$", page.url), page.url
    invoice_url = page.url
    invoice_id = int(invoice_url.rsplit("/", 1)[1])
    assert "Счёт создан" in page.locator(".alert-success").inner_text()
    lines = spaced(page.locator("#invoice-lines").inner_text())
    assert "Маршрутизатор" in lines and "Настройка оборудования" in lines
    assert "5 490,00" in lines and "1 500,00" in lines
    assert spaced(page.locator("#grand-total").inner_text()) == "15 480,00"
    assert page.locator(".state-card .state-pill").inner_text() == "Черновик"

    # Through its states with the transition buttons (INV-2): «Выставить».
    with page.expect_navigation():
        page.click("#transitions button[data-to=issued]")
    assert "Состояние изменено" in page.locator(".alert-success").inner_text()
    assert page.locator(".state-card .state-pill").inner_text() == "Выставлен"

    # A partial payment through the form (CON-4): the invoice is «Частично оплачен».
    payment = page.locator("#payment-form")
    payment.locator("input[name=amount]").fill("5 000")
    payment.locator("input[name=reference]").fill("п/п 17")
    with page.expect_navigation():
        page.click("#register-payment")
    assert "Оплата зарегистрирована" in page.locator(".alert-success").inner_text()
    assert page.locator(".state-card .state-pill").inner_text() == "Частично оплачен"
    assert spaced(page.locator("#paid").inner_text()) == "5 000,00"
    assert spaced(page.locator("#debt").inner_text()) == "10 480,00"
    assert "п/п 17" in page.locator("#payment-list").inner_text()
    page.screenshot(path=str(INVOICE_SHOT), full_page=True)

    # The printable «Счёт на оплату» with the amount in words (INV-1).
    with page.expect_navigation():
        page.click("#print-invoice")
    assert page.url.endswith(f"/invoices/{invoice_id}/print")
    printed = spaced(page.locator("#invoice-print").inner_text())
    assert "Счёт на оплату" in printed and "ООО «Альфа-Телеком»" in printed
    assert spaced(page.locator("#print-total").inner_text()) == "15 480,00"
    assert page.locator("#amount-in-words").inner_text() == \
        "Пятнадцать тысяч четыреста восемьдесят рублей 00 копеек"
    page.screenshot(path=str(PRINT_SHOT), full_page=True)

    # The catalog's list: the client's row shows «долг», its «Счета» link works (CP-13).
    page.goto(f"{live_url}/counterparties/catalogs/{catalog.id}")
    row = page.locator(f"#cards tr[data-id='{card.id}']")
    assert row.locator(".settlement-pill").inner_text() == "долг"
    with page.expect_navigation():
        row.locator("a.invoices-link").click()
    assert page.url.endswith(f"/counterparties/{card.id}/invoices")
    invoices = page.locator(f"#card-invoices tr[data-id='{invoice_id}']")
    assert "Частично оплачен" in invoices.inner_text()
    assert "15 480,00" in spaced(invoices.inner_text())
    assert "долг" in page.locator("#settlement").inner_text()

    # The card's History tab tells of the contract, the request, the invoice and the
    # payment.
    with page.expect_navigation():
        page.click("nav.tabs a.tab:text-is('История')")
    assert page.url.endswith(f"/counterparties/{card.id}/history")
    told: dict[str, list[str]] = {}
    for entry in page.locator("table.history tbody tr").all_inner_texts():
        for field in ("Договор", "Заявка", "Счёт", "Оплата"):
            if f"{field}:" in entry:
                told.setdefault(field, []).append(spaced(entry))
    assert set(told) == {"Договор", "Заявка", "Счёт", "Оплата"}, told
    assert any(f"Договор № {number}" in t for t in told["Договор"]), told
    assert any("Подключить офис на Вавилова" in t for t in told["Заявка"]), told
    assert any("15 480,00" in t for t in told["Счёт"]), told
    assert any("Частично оплачен" in t for t in told["Счёт"]), told
    assert any("5 000,00" in t for t in told["Оплата"]), told
    page.close()
