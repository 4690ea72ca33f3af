"""The calendar of tasks (week and month views), its private iCalendar feed, «Сделать
домашней страницей» with the landing after login (AUTH-2), and the reference books of
tasks in the admin section: typical tasks (TASK-4) and escalation rules (TASK-7)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import PASSWORD, page_text
from tests.e2e.ui_tasks_support import day, snapshot, today, version_of

#: the fixtures cl, as_boss, as_manager (clients) and tk, as_head, as_plain, as_outsider
pytest_plugins = ["tests.e2e.ui_clients_fixtures", "tests.e2e.ui_tasks_fixtures"]


def _location(response) -> str:
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


# -- the calendar ----------------------------------------------------------------------------


def _cells(html: str) -> dict[str, str]:
    """data-date -> the cell's HTML."""
    return dict(re.findall(r'<td class="day[^"]*" data-date="([\d-]+)">(.*?)</td>', html, re.S))


def test_the_week_view(as_manager, tk):
    response = as_manager.get(f"/me/calendar?date={day(1)}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    cells = _cells(html)
    assert len(cells) == 7
    first = date.fromisoformat(min(cells))
    assert first.weekday() == 0  # the week starts on Monday
    assert f'data-task-id="{tk.meeting.id}"' in cells[day(1)]
    assert "11:00" in cells[day(1)] and "Сибирский лес" in cells[day(1)]
    # previous / next weeks
    assert f"date={(first - timedelta(days=7)).isoformat()}" in html
    assert f"date={(first + timedelta(days=7)).isoformat()}" in html
    # the overdue task shows as overdue when its week is shown
    past = as_manager.get(f"/me/calendar?date={day(-1)}").get_data(as_text=True)
    assert re.search(rf'<li class="cal-task task-overdue" data-task-id="{tk.overdue.id}"', past)


def test_the_month_view(as_manager, tk):
    target = date.fromisoformat(day(1))
    html = as_manager.get(f"/me/calendar?view=month&date={target.isoformat()}"
                          ).get_data(as_text=True)
    cells = _cells(html)
    assert len(cells) % 7 == 0 and 28 <= len(cells) <= 42
    assert target.replace(day=1).isoformat() in cells
    assert f'data-task-id="{tk.meeting.id}"' in cells[target.isoformat()]
    previous = (target.replace(day=1) - timedelta(days=1)).replace(day=1)
    assert f"date={previous.isoformat()}" in html and "view=month" in html
    text = page_text(as_manager.get(f"/me/calendar?view=month&date={target.isoformat()}"))
    assert str(target.year) in text


def test_a_bad_calendar_date_says_so(as_manager, tk):
    for bad in ("2026-02-31", "yesterday", "0001-01-01"):
        response = as_manager.get(f"/me/calendar?date={bad}")
        assert response.status_code == 422, bad
        assert "дата вида 2026-03-31" in page_text(response)
    assert as_manager.get("/me/calendar?view=year").status_code == 200  # the week


def test_another_employees_calendar_follows_the_rights(as_head, as_plain, tk):
    m = tk.manager.id
    response = as_head.get(f"/employees/{m}/calendar?date={day(1)}")
    assert response.status_code == 200
    assert f'data-task-id="{tk.meeting.id}"' in response.get_data(as_text=True)
    assert as_plain.get(f"/employees/{m}/calendar").status_code == 403


# -- the private feed ---------------------------------------------------------------------------


def test_the_feed_address_is_shown_once_and_works(ui_app, system, as_manager, tk):
    done = system.app.tasks.register_call(tk.manager.id, {
        "counterparty_id": tk.x.id, "what": "Входящий", "result": "Просят счёт"})
    page = as_manager.get("/me/calendar")
    assert 'id="issue-feed"' in page.get_data(as_text=True)
    assert 'id="revoke-feed"' not in page.get_data(as_text=True)
    issued = as_manager.post("/me/calendar/feed")
    assert issued.status_code == 201
    html = issued.get_data(as_text=True)
    url = re.search(r'<code class="token" id="feed-url">([^<]+)</code>', html).group(1)
    path = urlsplit(url).path
    assert re.fullmatch(r"/calendar/[^/]+\.ics", path)
    # shown once: the next visit says the address works but does not show it
    again = as_manager.get("/me/calendar").get_data(as_text=True)
    assert path not in again and 'id="feed-active"' in again and 'id="revoke-feed"' in again

    anonymous = ui_app.test_client()
    response = anonymous.get(path)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.get_data())
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert len(events) == 3  # the meeting, the overdue task, the call
    meeting = next(e for uid, e in events.items() if uid.startswith(f"ecrm-task-{tk.meeting.id}@"))
    assert str(meeting["summary"]) == "Встреча — ООО «Сибирский лес»"
    assert str(meeting["description"]) == "Обсудить договор поставки"
    start = meeting.decoded("dtstart")
    assert start.utcoffset() == timedelta(0) and start.hour == 8  # 11:00 in Moscow
    overdue = next(e for uid, e in events.items() if uid.startswith(f"ecrm-task-{tk.overdue.id}@"))
    assert overdue.decoded("dtstart") == date.fromisoformat(day(-1))  # all day
    assert overdue.decoded("dtend") == date.fromisoformat(day(0))
    call = next(e for uid, e in events.items() if uid.startswith(f"ecrm-task-{done.id}@"))
    assert str(call["summary"]).startswith("✓ Звонок — ООО «Сибирский лес»")
    assert "Результат: Просят счёт" in str(call["description"])
    assert str(call["x-ecrm-state"]) == "done"
    # the UID stays the same after an edit
    system.app.tasks.update(tk.manager.id, tk.meeting.id, {"due_time": "12:00"})
    later = Calendar.from_ical(anonymous.get(path).get_data())
    # (named by the installation's public host, ECRM_BASE_URL)
    assert f"ecrm-task-{tk.meeting.id}@127.0.0.1" in {str(e["uid"]) for e in later.walk("VEVENT")}

    # a new address: the old one stops working
    renewed = as_manager.post("/me/calendar/feed").get_data(as_text=True)
    new_path = urlsplit(re.search(r'id="feed-url">([^<]+)<', renewed).group(1)).path
    assert new_path != path
    assert anonymous.get(path).status_code == 404
    assert anonymous.get(new_path).status_code == 200
    # revoked: nothing
    response = as_manager.post("/me/calendar/feed/revoke")
    assert response.status_code == 303
    assert anonymous.get(new_path).status_code == 404
    assert 'id="revoke-feed"' not in as_manager.get("/me/calendar").get_data(as_text=True)


def test_unknown_feed_tokens_are_404(ui_app, tk):
    client = ui_app.test_client()
    for token in ("x", "unknown-token-1234567890", "a" * 300):
        assert client.get(f"/calendar/{token}.ics").status_code == 404, token


def test_a_disabled_employees_feed_stops(ui_app, system, as_plain, tk):
    html = as_plain.post("/me/calendar/feed").get_data(as_text=True)
    path = urlsplit(re.search(r'id="feed-url">([^<]+)<', html).group(1)).path
    client = ui_app.test_client()
    assert client.get(path).status_code == 200
    system.app.org.set_active(tk.director.id, tk.clerk.id, False)
    assert client.get(path).status_code == 404


# -- the home page (AUTH-2) ---------------------------------------------------------------------


def test_make_this_my_home_page(ui_app, system, as_manager, tk):
    page = as_manager.get(f"/counterparties/{tk.x.id}/tasks")
    html = page.get_data(as_text=True)
    assert 'id="make-home-page"' in html
    assert f'name="path" value="/counterparties/{tk.x.id}/tasks"' in html
    response = as_manager.post("/me/home-page", data={"path": f"/counterparties/{tk.x.id}/tasks"})
    assert response.status_code == 303
    assert _location(response) == f"/counterparties/{tk.x.id}/tasks"
    after = as_manager.get(f"/counterparties/{tk.x.id}/tasks")
    assert "Эта страница теперь ваша домашняя" in page_text(after)
    assert 'id="is-home-page"' in after.get_data(as_text=True)
    assert system.app.org.home_page(tk.manager.id) == f"/counterparties/{tk.x.id}/tasks"

    # after login: the home page; ``next`` still wins
    client = ui_app.test_client()
    login = client.post("/login", data={"login": "manager", "password": PASSWORD})
    assert _location(login) == f"/counterparties/{tk.x.id}/tasks"
    assert _location(client.get("/")) == f"/counterparties/{tk.x.id}/tasks"
    other = ui_app.test_client()
    login = other.post("/login", data={"login": "manager", "password": PASSWORD,
                                       "next": "/me/messages"})
    assert _location(login) == "/me/messages"
    # somebody else still lands on the counterparties page
    boss = ui_app.test_client()
    login = boss.post("/login", data={"login": DIRECTOR_LOGIN, "password": DIRECTOR_PASSWORD})
    assert _location(login) == "/counterparties"

    # a tab with a query keeps it; the personal page offers the reset
    as_manager.post("/me/home-page", data={"path": "/me/tasks?state=overdue"})
    client = ui_app.test_client()
    login = client.post("/login", data={"login": "manager", "password": PASSWORD})
    assert _location(login) == "/me/tasks?state=overdue"
    me = as_manager.get("/me").get_data(as_text=True)
    assert 'id="reset-home-page"' in me
    as_manager.post("/me/home-page", data={"path": ""})
    assert system.app.org.home_page(tk.manager.id) == ""
    client = ui_app.test_client()
    assert _location(client.post("/login", data={"login": "manager", "password": PASSWORD})
                     ) == "/counterparties"


def test_a_home_page_outside_ecrm_is_refused(system, as_manager, tk):
    before = snapshot(system)
    for path in ("https://evil.example/", "//evil.example", "javascript:alert(1)", "/a b"):
        response = as_manager.post("/me/home-page", data={"path": path})
        assert response.status_code == 303
        assert _location(response) == "/me"
    assert snapshot(system) == before
    assert "страница ECRM (путь, начинающийся с /)" in page_text(as_manager.get("/me"))


def test_every_object_tab_offers_it(as_boss, tk):
    for url in ("/me", "/me/messages", "/me/tasks", "/me/calendar",
                f"/employees/{tk.manager.id}", f"/employees/{tk.manager.id}/tasks",
                f"/counterparties/{tk.x.id}", f"/counterparties/{tk.x.id}/contacts",
                f"/counterparties/{tk.x.id}/contact-history",
                f"/departments/{tk.sales.id}", f"/projects/{tk.project.id}"):
        assert 'id="make-home-page"' in as_boss.get(url).get_data(as_text=True), url


# -- the reference books (TASK-4, TASK-7) ---------------------------------------------------------


def test_typical_tasks_for_administrators(system, as_boss, as_head, tk):
    html = as_boss.get("/admin/task-types").get_data(as_text=True)
    assert 'href="/admin/task-types"' in html and 'href="/admin/escalation-rules"' in html
    assert "Встреча" in page_text(as_boss.get("/admin/task-types"))
    response = as_head.post("/admin/task-types", data={"name": "Выставка",
                                                        "remind_minutes": "120"})
    assert response.status_code == 303
    kind = next(t for t in system.app.tasks.task_types(tk.director.id) if t.name == "Выставка")
    assert kind.remind_minutes == 120
    page = as_boss.get(f"/admin/task-types/{kind.id}/edit")
    response = as_boss.post(f"/admin/task-types/{kind.id}/edit", data={
        "version": version_of(page.get_data(as_text=True)), "name": "Отраслевая выставка",
        "remind_minutes": "60"})
    assert response.status_code == 303
    # close it: not offered for new tasks any more
    kind = next(t for t in system.app.tasks.task_types(tk.director.id, True)
                if t.id == kind.id)
    response = as_boss.post(f"/admin/task-types/{kind.id}/active", data={
        "version": str(kind.version), "active": "0"})
    assert response.status_code == 303
    form = as_boss.get("/tasks/new").get_data(as_text=True)
    assert "Отраслевая выставка" not in form
    # errors: a duplicate name, a negative reminder; a stale version
    response = as_boss.post("/admin/task-types", data={"name": "встреча",
                                                       "remind_minutes": "-1"})
    assert response.status_code == 422
    text = page_text(response)
    assert "типовая задача с таким наименованием уже есть" in text
    assert "целое число от 0 до 10080" in text
    response = as_boss.post(f"/admin/task-types/{kind.id}/edit", data={
        "version": "1", "name": "Старое"})
    assert response.status_code == 409


def test_escalation_rules_for_administrators(system, as_boss, tk):
    page = as_boss.get("/admin/escalation-rules")
    assert page.status_code == 200
    response = as_boss.post("/admin/escalation-rules", data={
        "name": "Просроченная встреча", "delay": "2", "unit": "working_days",
        "target": "head", "task_type_id": str(tk.types["meeting"].id), "active": "1"})
    assert response.status_code == 303
    rule = system.app.tasks.escalation_rules(tk.director.id)[0]
    assert (rule.delay, rule.unit.value, rule.target.value, rule.task_type_id, rule.active) == (
        2, "working_days", "head", tk.types["meeting"].id, True)
    text = page_text(as_boss.get("/admin/escalation-rules"))
    assert "Просроченная встреча" in text and "рабочих дней" in text and "руководителю" in text
    edit = as_boss.get(f"/admin/escalation-rules/{rule.id}/edit")
    html = edit.get_data(as_text=True)
    assert '<option value="head" selected>' in html
    response = as_boss.post(f"/admin/escalation-rules/{rule.id}/edit", data={
        "version": version_of(html), "name": "Просроченная встреча", "delay": "8",
        "unit": "hours", "target": "director", "task_type_id": "", "active": "0"})
    assert response.status_code == 303
    rule = system.app.tasks.escalation_rules(tk.director.id)[0]
    assert (rule.delay, rule.unit.value, rule.target.value, rule.task_type_id, rule.active) == (
        8, "hours", "director", None, False)
    # bad input names the fields
    response = as_boss.post("/admin/escalation-rules", data={
        "name": "", "delay": "1000", "unit": "weeks", "target": "everybody",
        "task_type_id": "999999"})
    assert response.status_code == 422
    text = page_text(response)
    assert "обязательное поле" in text and "целое число от 0 до 366" in text
    assert "нет такой типовой задачи" in text and "допустимые значения" in text
    # delete after a confirmation page
    confirm = as_boss.get(f"/admin/escalation-rules/{rule.id}/delete")
    assert "Удалить правило эскалации?" in page_text(confirm)
    assert as_boss.post(f"/admin/escalation-rules/{rule.id}/delete").status_code == 303
    assert system.app.tasks.escalation_rules(tk.director.id) == []


def test_the_reference_books_are_not_for_others(system, as_manager, as_plain, tk):
    rule = system.app.tasks.create_escalation_rule(tk.director.id, {
        "name": "Все просрочки", "delay": "1"})
    kind = tk.types["meeting"]
    before = snapshot(system)
    for client in (as_manager, as_plain):
        for url in ("/admin/task-types", f"/admin/task-types/{kind.id}/edit",
                    "/admin/escalation-rules", f"/admin/escalation-rules/{rule.id}/edit",
                    f"/admin/escalation-rules/{rule.id}/delete"):
            assert client.get(url).status_code == 403, url
        for url, data in (
                ("/admin/task-types", {"name": "Чужая"}),
                (f"/admin/task-types/{kind.id}/edit", {"name": "Чужая", "version": "1"}),
                (f"/admin/task-types/{kind.id}/active", {"active": "0", "version": "1"}),
                ("/admin/escalation-rules", {"name": "Чужое", "delay": "1"}),
                (f"/admin/escalation-rules/{rule.id}/edit", {"delay": "5", "version": "1"}),
                (f"/admin/escalation-rules/{rule.id}/delete", {})):
            assert client.post(url, data=data).status_code == 403, url
        html = client.get("/me").get_data(as_text=True)
        assert "/admin/task-types" not in html and "/admin/escalation-rules" not in html
    assert snapshot(system) == before


def test_a_missing_call_type_is_explained(system, as_plain, tk):
    call = tk.types["call"]
    system.app.tasks.update_task_type(tk.director.id, call.id, {"active": False})
    response = as_plain.post(f"/counterparties/{tk.x.id}/calls", data={"result": "Звонили"})
    assert response.status_code == 422
    assert "в справочнике нет типовой задачи «звонок» или она закрыта" in page_text(response)
    assert today()  # the helper works on the real clock
