"""The client-base journey in a real headless Chromium (CAT-4, CP-1, CP-3, CP-9, CP-12):
create a catalog -> add a counterparty -> a second card with the same phone shows the
duplicate warning -> save anyway -> the search line finds it by 3 letters -> mark it
deleted -> restore it.

Same browser and rules as tests/e2e/test_browser_login.py: Debian's /usr/bin/chromium
through Playwright against the app behind a real WSGI server on 127.0.0.1; without that
browser the test skips locally and fails in CI (CI=true). Screenshots of the catalog page
and of the card go to /tmp/ecrm-ui-catalog.png and /tmp/ecrm-ui-card.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD

pytestmark = pytest.mark.browser

CATALOG_SHOT = Path("/tmp/ecrm-ui-catalog.png")
CARD_SHOT = Path("/tmp/ecrm-ui-card.png")


def test_catalog_card_duplicate_search_delete_restore(browser, live_url, system, director):
    page = browser.new_page(locale="ru-RU", viewport={"width": 1400, "height": 900})
    page.set_default_timeout(15000)
    page.on("dialog", lambda dialog: dialog.accept())

    # Sign in: the start page is the counterparties page (AUTH-2).
    page.goto(live_url + "/")
    page.fill("input[name=login]", DIRECTOR_LOGIN)
    page.fill("input[name=password]", DIRECTOR_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/counterparties$"))
    assert page.locator("h1").inner_text() == "Контрагенты"

    # Create a top catalog and open it right away (CAT-4).
    form = page.locator("#new-catalog form")
    form.locator("input[name=name]").fill("Клиенты Сибири")
    form.locator("textarea[name=description]").fill("Юридические лица Новосибирска")
    form.locator("input[type=checkbox][name=open_after]").check()
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert re.search(r"/counterparties/catalogs/\d+$", page.url)
    assert page.locator("h1").inner_text() == "Клиенты Сибири"
    catalog_url = page.url

    # Add a counterparty (§5.5): after saving, the card opens.
    page.click("#add-organisation")
    page.wait_for_url(re.compile(r"/counterparties/new"))
    assert page.locator("select[name=catalog_id]").input_value() == catalog_url.rsplit("/", 1)[1]
    page.fill("input[name=name]", "ООО «Кедровый бор»")
    page.fill("input[name=phone]", "8 (383) 212-34-56")
    page.fill("input[name=email]", "info@kedr.example")
    with page.expect_navigation():
        page.click("#save-card")
    assert re.search(r"/counterparties/\d+$", page.url)
    first_url = page.url
    assert "Контрагент зарегистрирован" in page.locator(".alert-success").inner_text()
    assert "+73832123456" in page.locator("#requisites").inner_text()

    # A second card with the same phone: the duplicate warning lists the first one.
    page.goto(catalog_url)
    page.click("#add-organisation")
    page.fill("input[name=name]", "Кедровый бор, филиал")
    page.fill("input[name=phone]", "+7 383 212 34 56")
    with page.expect_navigation():
        page.click("#save-card")
    warning = page.locator("#duplicates")
    assert "Возможные дубликаты" in warning.inner_text()
    assert "тот же телефон" in warning.inner_text()
    assert warning.locator(f"a[href='{first_url[len(live_url):]}']").count() == 1
    with page.expect_navigation():
        page.click("#save-anyway")
    assert re.search(r"/counterparties/\d+$", page.url) and page.url != first_url
    second_url = page.url
    assert page.locator("h1").inner_text() == "Кедровый бор, филиал"
    page.click("nav.tabs >> text=История")
    assert "несмотря на возможные дубликаты" in page.locator("table.history").inner_text()

    # The catalog page lists both (CP-13 row); take its picture.
    page.goto(catalog_url)
    rows = page.locator("#cards tbody tr")
    assert rows.count() == 2
    page.screenshot(path=str(CATALOG_SHOT), full_page=True)

    # The navigation panel's search line finds the card by 3 letters (CP-9).
    page.fill(".nav-search input[name=q]", "кед")
    with page.expect_navigation():
        page.press(".nav-search input[name=q]", "Enter")
    assert "/counterparties/search" in page.url
    assert page.locator("#cards tbody tr").count() == 2
    with page.expect_navigation():
        page.click("#cards >> text=Кедровый бор, филиал")
    assert page.url == second_url

    # Mark deleted, then restore (CP-12).
    with page.expect_navigation():
        page.click("#delete-card")
    assert "помечена на удаление" in page.locator(".deleted-banner").inner_text()
    assert page.locator("#restore-card").count() == 1
    with page.expect_navigation():
        page.click("#restore-card")
    assert page.locator(".deleted-banner").count() == 0
    assert "Карточка восстановлена" in page.locator(".alert-success").inner_text()
    card = system.app.counterparties.get(director.id, int(second_url.rsplit("/", 1)[1]))
    assert not card.deleted

    page.goto(first_url)
    page.screenshot(path=str(CARD_SHOT), full_page=True)
    page.close()
