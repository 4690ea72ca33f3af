"""The login journey in a real headless Chromium (AUTH-1, ORG-4, MSG-1, MSG-2).

Playwright drives Debian's /usr/bin/chromium against the app served by a real WSGI server
on 127.0.0.1. Without that browser the test skips locally and fails in CI (CI=true)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD

pytestmark = pytest.mark.browser

SCREENSHOT = Path("/tmp/ecrm-ui.png")


def test_login_messages_confirm_logout(browser, live_url, system, director):
    org, messages = system.app.org, system.app.messages
    clerk = org.add_employee(director.id, {
        "login": "clerk", "password": "clerk-pass-1", "full_name": "Иванов Пётр Петрович"})
    request = messages.request_confirmation(
        clerk.id, director.id, "Подтвердите скидку 10% для ООО «Ромашка»")

    page = browser.new_page(locale="ru-RU", viewport={"width": 1280, "height": 800})
    page.set_default_timeout(15000)

    # Not signed in: the start page sends us to the login form.
    page.goto(live_url + "/")
    assert "/login" in page.url
    assert page.locator("h1").inner_text() == "Вход в систему"

    # A wrong password: one message that does not say which part was wrong.
    page.fill("input[name=login]", DIRECTOR_LOGIN)
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator("#login-error").inner_text() == "Неверный логин или пароль"

    # The right password lands on the counterparties page (AUTH-2); the navigation
    # panel leads to the personal page.
    page.fill("input[name=password]", DIRECTOR_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/counterparties$"))
    assert page.locator("h1").inner_text() == "Контрагенты"
    page.click(".nav-links >> text=Личная страница")
    page.wait_for_url(re.compile(r"/me$"))
    assert "Петров Иван Сергеевич" in page.locator("h1").inner_text()
    assert page.locator("#unread-count").inner_text() == "1"

    # The Messages tab lists the request; "→" opens it.
    page.click("nav.tabs >> text=Сообщения")
    page.wait_for_url(re.compile(r"/me/messages$"))
    row = page.locator(f"tr[data-message-id='{request.id}']")
    assert "Подтвердите скидку" in row.inner_text()
    row.locator("a.open-link").click()
    page.wait_for_url(re.compile(rf"/me/messages/{request.id}$"))
    assert page.locator("#unread-count").inner_text() == "0"

    # A message arriving while the window is open pops up and bumps the counter.
    messages.send(clerk.id, {"recipient_id": director.id, "kind": "reminder",
                             "text": "Не забудьте про встречу в 15:00"})
    page.evaluate("window.ecrmPoll()")
    toast = page.locator(".toast")
    toast.wait_for()
    assert "Не забудьте про встречу" in toast.inner_text()
    page.wait_for_function("document.getElementById('unread-count').textContent === '1'")

    page.wait_for_timeout(400)  # let the toast finish sliding in
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Confirm: the request is answered and the requester is told.
    with page.expect_navigation():
        page.click("#confirm")
    assert page.locator("#message-state").inner_text() == "Подтверждено"
    assert page.locator("#confirm").count() == 0
    answered = messages.get(director.id, request.id)
    assert answered.state.value == "confirmed"
    told = messages.inbox(clerk.id)
    assert told and "подтвердил" in told[0].text

    # Log out: back on the login form, and the personal page wants a login again.
    page.click("#logout")
    page.wait_for_url(re.compile(r"/login"))
    page.goto(live_url + "/me")
    assert "/login" in page.url
    page.close()
