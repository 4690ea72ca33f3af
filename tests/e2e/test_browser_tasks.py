"""The tasks journey in a real headless Chromium (TASK-1…TASK-5, TASK-8, ORG-4): register
an incoming call from the counterparty card -> plan a follow-up meeting (the counterparty
picked by the search-as-you-type box, its contact person loaded into the select) -> see it
on the personal Tasks tab («Задачник → Задачи») and in the calendar -> complete it with a
result -> the contact history shows the call and the meeting's outcome.

Same browser and rules as tests/e2e/test_browser_clients.py: Debian's /usr/bin/chromium
through Playwright against the app behind a real WSGI server on 127.0.0.1 (CSRF on);
without that browser the test skips locally and fails in CI (CI=true). Screenshots of the
Tasks tab and of the calendar go to /tmp/ecrm-ui-tasks.png and /tmp/ecrm-ui-calendar.png."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ecrm_core.tasks.model import TaskState
from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD

pytestmark = pytest.mark.browser

TASKS_SHOT = Path("/tmp/ecrm-ui-tasks.png")
CALENDAR_SHOT = Path("/tmp/ecrm-ui-calendar.png")


def test_call_follow_up_tasks_tab_calendar_complete(browser, live_url, system, director):
    app = system.app
    catalog = app.catalogs.create(director.id, {"name": "Клиенты"})
    card = app.counterparties.register(director.id, {
        "catalog_id": str(catalog.id), "type": "legal_entity", "name": "ООО «Кедровый бор»",
        "phone": "+7 383 212-34-56"})
    contact = app.counterparties.add_contact(director.id, card.id, {
        "full_name": "Берёзова Ольга Петровна", "position": "Директор по закупкам"})
    tomorrow = (datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(days=1)).date()

    page = browser.new_page(locale="ru-RU", viewport={"width": 1400, "height": 900})
    page.set_default_timeout(15000)
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(live_url + "/login")
    page.fill("input[name=login]", DIRECTOR_LOGIN)
    page.fill("input[name=password]", DIRECTOR_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")

    # The card's Tasks tab: register the incoming call in one step (TASK-1).
    page.goto(f"{live_url}/counterparties/{card.id}")
    with page.expect_navigation():
        page.click("nav.tabs >> text=Задачи")
    assert page.url.endswith(f"/counterparties/{card.id}/tasks")
    call_form = page.locator("#incoming-call form")
    call_form.locator("select[name=contact_id]").select_option(str(contact.id))
    call_form.locator("input[name=what]").fill("Запрос цены на пиломатериалы")
    call_form.locator("textarea[name=result]").fill("Просят коммерческое предложение")
    with page.expect_navigation():
        page.click("#register-call")
    assert "Входящий звонок зарегистрирован" in page.locator(".alert-success").inner_text()
    rows = page.locator("#card-tasks tbody tr")
    assert rows.count() == 1
    assert "Звонок" in rows.first.inner_text() and "факт" in rows.first.inner_text()

    # Plan the follow-up meeting from the personal Tasks tab (TASK-4): the counterparty
    # is found as you type, its contact persons fill the select.
    with page.expect_navigation():
        page.click("#nav-tasks")
    assert page.url.endswith("/me/tasks")
    with page.expect_navigation():
        page.click("#add-task")
    page.fill("#counterparty-search", "кедр")
    page.click("#counterparty-results button:has-text('Кедровый бор')")
    assert page.locator("input[name=counterparty_id]").input_value() == str(card.id)
    assert page.locator("#counterparty-name").inner_text() == "ООО «Кедровый бор»"
    page.wait_for_selector(f"#contact-select option[value='{contact.id}']", state="attached")
    page.select_option("#contact-select", str(contact.id))
    page.select_option("select[name=task_type_id]", label="Встреча")
    page.fill("input[name=due_date]", tomorrow.isoformat())
    page.fill("input[name=due_time]", "11:30")
    page.fill("textarea[name=what]", "Обсудить коммерческое предложение")
    with page.expect_navigation():
        page.click("#save-task")
    assert page.url.endswith("/me/tasks")
    assert "Задача добавлена" in page.locator(".alert-success").inner_text()

    # It is on the personal Tasks tab, among the client tasks (TASK-2, TASK-3).
    client_rows = page.locator("#tasks-client tbody tr")
    assert client_rows.count() == 2
    meeting_row = page.locator("#tasks-client tbody tr", has_text="Встреча")
    text = meeting_row.inner_text()
    assert "Кедровый бор" in text and "Берёзова Ольга Петровна" in text and "11:30" in text
    assert "план" in text
    task_id = int(meeting_row.get_attribute("data-task-id"))
    page.screenshot(path=str(TASKS_SHOT), full_page=True)

    # And in the calendar (the week of tomorrow).
    with page.expect_navigation():
        page.click("nav.nav-links >> text=Календарь")
    page.goto(f"{live_url}/me/calendar?date={tomorrow.isoformat()}")
    cell = page.locator(f"td[data-date='{tomorrow.isoformat()}']")
    assert "11:30" in cell.inner_text() and "Встреча" in cell.inner_text()
    page.click("#calendar-month")
    page.wait_for_url(re.compile(r"view=month"))
    assert page.locator(f"td[data-date='{tomorrow.isoformat()}'] li[data-task-id='{task_id}']"
                        ).count() == 1
    page.screenshot(path=str(CALENDAR_SHOT), full_page=True)

    # Complete it with a result (TASK-5): from the calendar to the task, then «Выполнить».
    with page.expect_navigation():
        page.click(f"li[data-task-id='{task_id}'] a")
    assert page.url.endswith(f"/tasks/{task_id}")
    with page.expect_navigation():
        page.click("#complete-task")
    page.fill("textarea[name=result]", "Договорились о поставке в марте")
    with page.expect_navigation():
        page.click("#confirm-complete")
    assert "Задача выполнена" in page.locator(".alert-success").inner_text()
    task = app.tasks.get(director.id, task_id)
    assert task.state is TaskState.DONE and task.result == "Договорились о поставке в марте"

    # The contact history: the call and the meeting with its outcome (TASK-8).
    page.goto(f"{live_url}/counterparties/{card.id}/contact-history")
    history = page.locator("#contact-history").inner_text()
    assert "Просят коммерческое предложение" in history
    assert "Договорились о поставке в марте" in history
    assert history.count("состоялся") == 2
    page.close()
