"""Tasks in the HTML UI (§6.1): the personal Tasks tab «Задачник → Задачи» with client/deal
and employee tasks, ten a page with [11-20] links and the filter (TASK-2, TASK-3); the
task form (TASK-4) with the counterparty picker; editing, rescheduling, completing with a
result and deleting after a confirmation (TASK-5); the counterparty's Tasks tab with the
one-step incoming call (TASK-1) and its contact history (TASK-8); the personal page's
summary (ORG-4).

Rights (TASK-6) through the UI: an employee works their own tasks; their head, Sales
management over them and the Director see and add tasks from the employee's page; a
plain colleague gets 403 and nothing in the database changes."""

from __future__ import annotations

import re

import pytest

from ecrm_core.tasks.model import TaskState
from tests.e2e.conftest import page_text
from tests.e2e.ui_tasks_support import day, snapshot, today, version_of

#: the fixtures cl, as_boss, as_manager (clients) and tk, as_head, as_plain, as_outsider
pytest_plugins = ["tests.e2e.ui_clients_fixtures", "tests.e2e.ui_tasks_fixtures"]


def _pages(tk) -> list[str]:
    m = tk.manager.id
    return [
        "/me", "/me/tasks", "/me/tasks?section=client", "/me/tasks?state=overdue",
        "/me/calendar", "/me/calendar?view=month", "/tasks/new",
        f"/tasks/new?counterparty_id={tk.x.id}", f"/counterparties/{tk.x.id}/tasks",
        f"/counterparties/{tk.x.id}/contact-history", f"/tasks/{tk.meeting.id}",
        f"/employees/{m}",
    ]


def test_every_page_renders_for_everybody(as_boss, as_head, as_manager, as_plain, tk):
    for client in (as_boss, as_head, as_manager, as_plain):
        for url in _pages(tk):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            assert "Traceback" not in response.get_data(as_text=True)


def test_the_navigation_panel_has_the_planner(as_plain):
    html = as_plain.get("/me").get_data(as_text=True)
    text = page_text(as_plain.get("/me"))
    assert "Задачник" in text
    assert 'href="/me/tasks"' in html and 'href="/me/calendar"' in html


# -- the personal Tasks tab (TASK-2, TASK-3) ---------------------------------------------------


def test_the_personal_tab_splits_client_and_employee_tasks(as_manager, tk):
    response = as_manager.get("/me/tasks")
    html = response.get_data(as_text=True)
    client = html[html.index('id="section-client"'):html.index('id="section-employee"')]
    employee = html[html.index('id="section-employee"'):]
    assert "Задачи по клиентам/сделкам" in page_text(response)
    assert "Задачи по сотрудникам" in page_text(response)
    assert f'data-task-id="{tk.meeting.id}"' in client
    assert "Сибирский лес" in client and "Соколова Марина Игоревна" in client
    assert f'data-task-id="{tk.overdue.id}"' in employee
    assert f'data-task-id="{tk.meeting.id}"' not in employee
    # the overdue task is highlighted; the planned one is not
    row = re.search(rf'<tr class="task-(\w+)" data-task-id="{tk.overdue.id}"', html)
    assert row.group(1) == "overdue"
    assert re.search(rf'<tr class="task-planned" data-task-id="{tk.meeting.id}"', html)
    # the clerk's task is not the manager's
    assert f'data-task-id="{tk.clerk_call.id}"' not in html
    # own tasks: add, complete, edit, delete
    assert 'id="add-task"' in html
    assert f"/tasks/{tk.meeting.id}/complete" in html and f"/tasks/{tk.meeting.id}/edit" in html
    assert f"/tasks/{tk.meeting.id}/delete" in html


def test_ten_a_page_with_range_links(system, as_manager, tk):
    for n in range(23):
        system.app.tasks.create(tk.manager.id, {
            "task_type_id": tk.types["call"].id, "due_date": day(3 + n % 5),
            "counterparty_id": tk.y.id, "what": f"Звонок {n + 1:02d}"})
    response = as_manager.get("/me/tasks")
    html = response.get_data(as_text=True)
    client = html[html.index('id="section-client"'):html.index('id="section-employee"')]
    assert client.count("<tr class=\"task-") == 10
    assert "[1-10]" in client and "[11-20]" in client and "[21-24]" in client
    assert "Задач: 24" in page_text(response)
    second = as_manager.get("/me/tasks?client_page=2").get_data(as_text=True)
    part = second[second.index('id="section-client"'):second.index('id="section-employee"')]
    assert part.count("<tr class=\"task-") == 10
    assert '<span class="current" aria-current="page">[11-20]</span>' in part
    last = as_manager.get("/me/tasks?client_page=3").get_data(as_text=True)
    part = last[last.index('id="section-client"'):last.index('id="section-employee"')]
    assert part.count("<tr class=\"task-") == 4
    # the employee section keeps its own pages
    assert f'data-task-id="{tk.overdue.id}"' in last
    # a page past the end shows the last one
    beyond = as_manager.get("/me/tasks?client_page=99").get_data(as_text=True)
    assert '<span class="current" aria-current="page">[21-24]</span>' in beyond


def test_the_filter(system, as_manager, tk):
    done = system.app.tasks.register_call(tk.manager.id, {
        "counterparty_id": tk.y.id, "result": "Клиент просит КП"})
    project_task = system.app.tasks.create(tk.manager.id, {
        "task_type_id": tk.types["presentation"].id, "due_date": day(10),
        "counterparty_id": tk.x.id, "project_id": tk.project.id})

    def ids(url: str) -> set[int]:
        html = as_manager.get(url).get_data(as_text=True)
        return {int(i) for i in re.findall(r'data-task-id="(\d+)"', html)}

    everything = {tk.meeting.id, tk.overdue.id, done.id, project_task.id}
    assert ids("/me/tasks") == everything
    assert ids("/me/tasks?state=overdue") == {tk.overdue.id}
    assert ids("/me/tasks?state=done") == {done.id}
    assert ids("/me/tasks?state=planned") == {tk.meeting.id, tk.overdue.id, project_task.id}
    assert ids(f"/me/tasks?task_type_id={tk.types['call'].id}") == {done.id}
    assert ids(f"/me/tasks?counterparty_id={tk.x.id}") == {tk.meeting.id, project_task.id}
    assert ids(f"/me/tasks?project_id={tk.project.id}") == {project_task.id}
    assert ids(f"/me/tasks?date_from={day(1)}&date_to={day(1)}") == {tk.meeting.id}
    assert ids("/me/tasks?section=employee") == {tk.overdue.id}
    # the filter keeps its values on the page
    html = as_manager.get(f"/me/tasks?state=overdue&date_from={day(-5)}").get_data(as_text=True)
    assert f'value="{day(-5)}"' in html and '<option value="overdue" selected>' in html


def test_a_bad_filter_names_its_fields(as_manager, tk):
    response = as_manager.get("/me/tasks?date_from=31.02.2026&state=sometimes&project_id=x")
    assert response.status_code == 422
    text = page_text(response)
    assert "дата вида 2026-03-31" in text
    assert "допустимые значения: planned, done, overdue" in text
    assert "выберите значение из списка" in text
    html = response.get_data(as_text=True)
    for name in ("date_from", "state", "project_id"):
        assert f'id="err-{name}"' in html, name
    assert "Traceback" not in response.get_data(as_text=True)


# -- rights (TASK-6) -----------------------------------------------------------------------------


def test_a_plain_colleague_gets_403_and_changes_nothing(system, as_plain, tk):
    m = tk.manager.id
    before = snapshot(system)
    for url in (f"/employees/{m}/tasks", f"/employees/{m}/calendar",
                f"/tasks/new?employee_id={m}", f"/tasks/{tk.overdue.id}",
                f"/tasks/{tk.overdue.id}/edit", f"/tasks/{tk.meeting.id}/edit",
                f"/tasks/{tk.meeting.id}/complete", f"/tasks/{tk.meeting.id}/delete"):
        assert as_plain.get(url).status_code == 403, url
    version = str(tk.meeting.version)
    posts = [
        ("/tasks/new", {"responsible_id": str(m), "task_type_id": str(tk.types["call"].id),
                        "due_date": day(1), "what": "Чужая задача"}),
        (f"/tasks/{tk.meeting.id}/edit", {"version": version, "due_date": day(5)}),
        (f"/tasks/{tk.meeting.id}/complete", {"version": version, "result": "Готово"}),
        (f"/tasks/{tk.meeting.id}/delete", {"version": version}),
        ("/tasks/new/refill", {"responsible_id": str(m)}),
        (f"/tasks/{tk.meeting.id}/edit/refill", {"version": version}),
    ]
    for url, data in posts:
        assert as_plain.post(url, data=data).status_code == 403, url
    assert snapshot(system) == before
    # the manager's page has no Tasks tab for a colleague
    html = as_plain.get(f"/employees/{m}").get_data(as_text=True)
    assert f"/employees/{m}/tasks" not in html


def test_the_client_task_shows_on_the_card_without_buttons_for_a_colleague(as_plain, tk):
    html = as_plain.get(f"/counterparties/{tk.x.id}/tasks").get_data(as_text=True)
    assert f'data-task-id="{tk.meeting.id}"' in html
    assert f"/tasks/{tk.meeting.id}/edit" not in html
    assert f"/tasks/{tk.meeting.id}/delete" not in html
    # its page opens (the card is visible to everybody), without buttons and history
    page = as_plain.get(f"/tasks/{tk.meeting.id}")
    assert page.status_code == 200
    assert 'id="edit-task"' not in page.get_data(as_text=True)


@pytest.mark.parametrize("who", ["as_head", "as_boss"])
def test_the_head_and_the_director_plan_for_the_employee(request, system, tk, who):
    client = request.getfixturevalue(who)
    m = tk.manager.id
    html = client.get(f"/employees/{m}").get_data(as_text=True)
    assert f"/employees/{m}/tasks" in html
    tab = client.get(f"/employees/{m}/tasks")
    assert tab.status_code == 200
    html = tab.get_data(as_text=True)
    assert 'id="add-task"' in html and f"employee_id={m}" in html
    assert f'data-task-id="{tk.overdue.id}"' in html
    form = client.get(f"/tasks/new?employee_id={m}")
    assert form.status_code == 200
    assert "Менеджеров Максим" in page_text(form)
    response = client.post("/tasks/new", data={
        "responsible_id": str(m), "task_type_id": str(tk.types["meeting"].id),
        "state": "planned", "due_date": day(4), "due_time": "10:30",
        "counterparty_id": str(tk.y.id), "what": "Встреча на заводе",
        "next": f"/employees/{m}/tasks"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/employees/{m}/tasks")
    page = system.app.tasks.of_employee(m, m, {"counterparty_id": tk.y.id})
    assert [t.what for t in page.rows] == ["Встреча на заводе"]
    assert page.rows[0].created_by != m
    # and works the employee's tasks
    task = page.rows[0]
    done = client.post(f"/tasks/{task.id}/complete", data={
        "version": str(task.version), "result": "Подписали протокол"})
    assert done.status_code == 303
    assert system.app.tasks.get(m, task.id).state is TaskState.DONE


def test_sales_management_plans_for_the_department(ui_app, system, tk):
    from tests.e2e.conftest import PASSWORD, sign_in

    system.app.access.grant(tk.director.id, tk.other.id, "sales_management", tk.sales.ref)
    client = sign_in(ui_app, "other", PASSWORD)
    assert client.get(f"/employees/{tk.clerk.id}/tasks").status_code == 200
    response = client.post("/tasks/new", data={
        "responsible_id": str(tk.clerk.id), "task_type_id": str(tk.types["call"].id),
        "due_date": day(1), "what": "Обзвонить базу"})
    assert response.status_code == 303
    # outside the department: no
    director_tab = client.get(f"/employees/{tk.director.id}/tasks")
    assert director_tab.status_code == 403


def test_an_outsider_does_not_see_the_add_button_on_their_own_page_of_others(as_outsider, tk):
    assert as_outsider.get(f"/employees/{tk.clerk.id}/tasks").status_code == 403
    html = as_outsider.get("/me/tasks").get_data(as_text=True)
    assert 'id="add-task"' in html  # their own tasks: yes


# -- the task form (TASK-4) ------------------------------------------------------------------------


def test_add_a_personal_and_a_client_task(system, as_plain, tk):
    form = as_plain.get("/tasks/new")
    html = form.get_data(as_text=True)
    assert f'value="{today().isoformat()}"' in html  # today is the default due date
    assert "Встреча" in page_text(form) and "Годовое обслуживание" in page_text(form)
    response = as_plain.post("/tasks/new", data={
        "responsible_id": str(tk.clerk.id), "task_type_id": str(tk.types["other"].id),
        "state": "planned", "due_date": day(3), "what": "Подготовить отчёт", "find": ""})
    assert response.status_code == 303 and response.headers["Location"].endswith("/me/tasks")
    response = as_plain.post("/tasks/new", data={
        "responsible_id": str(tk.clerk.id), "task_type_id": str(tk.types["meeting"].id),
        "project_id": str(tk.project.id), "counterparty_id": str(tk.x.id),
        "contact_id": str(tk.contact.id), "state": "planned", "due_date": day(2),
        "due_time": "15:00", "remind_minutes": "30", "what": "Презентовать продукт"})
    assert response.status_code == 303
    mine = system.app.tasks.of_employee(tk.clerk.id, tk.clerk.id, {"section": "client"})
    task = mine.rows[0]
    assert (task.counterparty_id, task.contact_id, task.project_id) == (
        tk.x.id, tk.contact.id, tk.project.id)
    assert task.due_time.strftime("%H:%M") == "15:00" and task.remind_minutes == 30
    # a fact registered after the event
    response = as_plain.post("/tasks/new", data={
        "responsible_id": str(tk.clerk.id), "task_type_id": str(tk.types["email"].id),
        "state": "done", "due_date": day(0), "result": "Отправили КП"})
    assert response.status_code == 303
    done = system.app.tasks.of_employee(tk.clerk.id, tk.clerk.id, {"state": "done"})
    assert done.rows[0].result == "Отправили КП" and done.rows[0].done_at is not None


def test_bad_form_input_names_the_fields_and_saves_nothing(system, as_plain, tk):
    before = snapshot(system)
    response = as_plain.post("/tasks/new", data={
        "responsible_id": str(tk.clerk.id), "task_type_id": "", "state": "maybe",
        "due_date": "31.02.2026", "due_time": "25:61", "remind_minutes": "-5",
        "counterparty_id": "абв", "contact_id": str(tk.contact.id), "project_id": "999999"})
    assert response.status_code == 422
    text = page_text(response)
    assert "обязательное поле" in text  # the typical task
    assert "дата вида 2026-03-31" in text
    assert "время вида 14:30" in text
    assert "целое число от 0 до 10080" in text
    assert "план или факт" in text
    html = response.get_data(as_text=True)
    for name in ("task_type_id", "due_date", "due_time", "remind_minutes", "counterparty_id",
                 "project_id", "state"):
        assert f'id="err-{name}"' in html, name
    # what was typed stays in the form
    assert 'value="31.02.2026"' in html
    # a contact of another card
    response = as_plain.post("/tasks/new", data={
        "responsible_id": str(tk.clerk.id), "task_type_id": str(tk.types["call"].id),
        "due_date": day(1), "counterparty_id": str(tk.y.id), "contact_id": str(tk.contact.id)})
    assert response.status_code == 422
    assert "это не контактное лицо этого контрагента" in page_text(response)
    # a contact without a counterparty
    response = as_plain.post("/tasks/new", data={
        "responsible_id": str(tk.clerk.id), "task_type_id": str(tk.types["call"].id),
        "due_date": day(1), "contact_id": str(tk.contact.id)})
    assert "сначала выберите контрагента" in page_text(response)
    assert snapshot(system) == before


def test_the_counterparty_picker_without_javascript(as_plain, tk):
    """«Найти» shows the client base's search results as buttons; picking one shows the
    form again with the card's contact persons; nothing is saved."""
    found = as_plain.post("/tasks/new/refill", data={
        "responsible_id": str(tk.clerk.id), "find": "сибирск", "what": "Черновик"})
    assert found.status_code == 200
    html = found.get_data(as_text=True)
    assert f'name="pick_counterparty" value="{tk.x.id}"' in html
    assert "Черновик" in html
    picked = as_plain.post("/tasks/new/refill", data={
        "responsible_id": str(tk.clerk.id), "pick_counterparty": str(tk.x.id),
        "find": "сибирск", "what": "Черновик"})
    html = picked.get_data(as_text=True)
    assert f'name="counterparty_id" value="{tk.x.id}"' in html
    assert f'<option value="{tk.contact.id}">Соколова Марина Игоревна</option>' in html
    assert "ООО «Сибирский лес»" in page_text(picked)
    too_short = as_plain.post("/tasks/new/refill", data={
        "responsible_id": str(tk.clerk.id), "find": "с"})
    assert too_short.status_code == 200
    nothing = as_plain.post("/tasks/new/refill", data={
        "responsible_id": str(tk.clerk.id), "find": "несуществующее"})
    assert "Ничего не найдено" in page_text(nothing)
    # the picker's JSON: the client base's search and the card's contacts
    lookup = as_plain.get("/counterparties/lookup?q=сибирск").get_json()
    assert lookup["results"][0]["id"] == tk.x.id
    contacts = as_plain.get(f"/tasks/contacts?counterparty_id={tk.x.id}").get_json()
    assert contacts == {"contacts": [{"id": tk.contact.id, "name": "Соколова Марина Игоревна"}]}
    assert as_plain.get("/tasks/contacts").get_json() == {"contacts": []}
    assert as_plain.get("/tasks/contacts?counterparty_id=999999",
                        headers={"Accept": "application/json"}).status_code == 404


# -- editing, rescheduling, completing, deleting (TASK-5) ------------------------------------------


def test_edit_and_reschedule(system, as_manager, tk):
    form = as_manager.get(f"/tasks/{tk.meeting.id}/edit")
    html = form.get_data(as_text=True)
    assert f'value="{day(1)}"' in html and 'value="11:00"' in html
    assert f'<option value="{tk.contact.id}" selected>' in html
    response = as_manager.post(f"/tasks/{tk.meeting.id}/edit", data={
        **_form_of(tk.meeting), "version": version_of(html), "due_date": day(6),
        "due_time": "16:00", "what": "Перенесли на следующую неделю"})
    assert response.status_code == 303
    task = system.app.tasks.get(tk.manager.id, tk.meeting.id)
    assert task.due_date.isoformat() == day(6) and task.what == "Перенесли на следующую неделю"
    history = page_text(as_manager.get(f"/tasks/{tk.meeting.id}"))
    assert "Изменение Срок выполнения" in history
    assert "Контактное лицо: Соколова Марина Игоревна" in history


def _form_of(task) -> dict[str, str]:
    return {"task_type_id": str(task.task_type_id), "state": task.state.value,
            "due_date": task.due_date.isoformat(),
            "due_time": task.due_time.strftime("%H:%M") if task.due_time else "",
            "counterparty_id": str(task.counterparty_id or ""),
            "contact_id": str(task.contact_id or ""), "project_id": "", "what": task.what,
            "result": task.result, "remind_minutes": ""}


def test_a_stale_version_is_409_and_changes_nothing(system, as_manager, tk):
    html = as_manager.get(f"/tasks/{tk.meeting.id}/edit").get_data(as_text=True)
    stale = version_of(html)
    system.app.tasks.update(tk.manager.id, tk.meeting.id, {"what": "Изменено в другом окне"})
    before = snapshot(system)
    response = as_manager.post(f"/tasks/{tk.meeting.id}/edit", data={
        **_form_of(tk.meeting), "version": stale, "what": "Моя правка"})
    assert response.status_code == 409
    assert "Объект изменён другим пользователем" in page_text(response)
    for url, data in ((f"/tasks/{tk.meeting.id}/complete", {"version": stale}),
                      (f"/tasks/{tk.meeting.id}/delete", {"version": stale})):
        assert as_manager.post(url, data=data).status_code == 409, url
    assert snapshot(system) == before


def test_complete_with_a_result(system, as_manager, tk):
    page = as_manager.get(f"/tasks/{tk.overdue.id}/complete?next=/me/tasks")
    assert page.status_code == 200
    assert "Квартальный отчёт" in page_text(page)
    response = as_manager.post(f"/tasks/{tk.overdue.id}/complete", data={
        "version": version_of(page.get_data(as_text=True)), "result": "Сдан в бухгалтерию",
        "next": "/me/tasks"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/me/tasks")
    task = system.app.tasks.get(tk.manager.id, tk.overdue.id)
    assert task.state is TaskState.DONE and task.result == "Сдан в бухгалтерию"
    html = as_manager.get("/me/tasks").get_data(as_text=True)
    assert re.search(rf'<tr class="task-done" data-task-id="{tk.overdue.id}"', html)
    assert f"/tasks/{tk.overdue.id}/complete" not in html
    # completing again: the page says it is done; a post is refused with the reason
    again = as_manager.get(f"/tasks/{tk.overdue.id}/complete")
    assert again.status_code == 303
    refused = as_manager.post(f"/tasks/{tk.overdue.id}/complete", data={
        "version": str(task.version)})
    assert refused.status_code == 422 and "задача уже выполнена" in page_text(refused)


def test_complete_by_switching_to_fact_in_the_form(system, as_manager, tk):
    html = as_manager.get(f"/tasks/{tk.meeting.id}/edit").get_data(as_text=True)
    response = as_manager.post(f"/tasks/{tk.meeting.id}/edit", data={
        **_form_of(tk.meeting), "version": version_of(html), "state": "done",
        "result": "Договорились о поставке"})
    assert response.status_code == 303
    task = system.app.tasks.get(tk.manager.id, tk.meeting.id)
    assert task.state is TaskState.DONE and task.done_at is not None


def test_delete_after_confirmation(system, as_manager, tk):
    page = as_manager.get(f"/tasks/{tk.overdue.id}/delete?next=/me/tasks")
    assert page.status_code == 200
    text = page_text(page)
    assert "Удалить задачу?" in text and "Квартальный отчёт" in text
    assert system.app.tasks.get(tk.manager.id, tk.overdue.id)  # nothing deleted yet
    response = as_manager.post(f"/tasks/{tk.overdue.id}/delete", data={
        "version": version_of(page.get_data(as_text=True)), "next": "/me/tasks"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/me/tasks")
    assert "Задача удалена" in page_text(as_manager.get("/me/tasks"))
    assert as_manager.get(f"/tasks/{tk.overdue.id}").status_code == 404


def test_unknown_tasks_are_404(as_boss):
    for url in ("/tasks/999999", "/tasks/999999/edit", "/tasks/999999/complete",
                "/tasks/999999/delete", "/employees/999999/tasks", "/tasks/new?employee_id=999999"):
        assert as_boss.get(url).status_code == 404, url


# -- the counterparty card: Tasks, the incoming call, contact history (TASK-1, TASK-2, TASK-8) -----


def test_register_an_incoming_call_from_the_card(system, as_plain, tk):
    page = as_plain.get(f"/counterparties/{tk.x.id}/tasks")
    text = page_text(page)
    assert "Зарегистрировать входящий звонок" in text and "Добавить задачу" in text
    html = page.get_data(as_text=True)
    assert f"/tasks/new?counterparty_id={tk.x.id}" in html
    response = as_plain.post(f"/counterparties/{tk.x.id}/calls", data={
        "contact_id": str(tk.contact.id), "what": "Вопрос по счёту",
        "result": "Просят перенести оплату"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/counterparties/{tk.x.id}/tasks")
    after = as_plain.get(f"/counterparties/{tk.x.id}/tasks")
    assert "Входящий звонок зарегистрирован" in page_text(after)
    listing = system.app.tasks.of_counterparty(tk.clerk.id, tk.x.id, {"state": "done"})
    call = listing.rows[0]
    assert call.responsible_id == tk.clerk.id and call.task_type_id == tk.types["call"].id
    assert call.contact_id == tk.contact.id and call.result == "Просят перенести оплату"
    assert f'data-task-id="{call.id}"' in after.get_data(as_text=True)
    # the contact history shows it with the planned meeting and the card's events
    history = as_plain.get(f"/counterparties/{tk.x.id}/contact-history")
    text = page_text(history)
    assert "Просят перенести оплату" in text and "Обсудить договор поставки" in text
    assert "состоялся" in text and "план" in text
    assert "Создание" in text  # the card's creation, from its history


def test_a_bad_call_form_names_the_field(system, as_plain, tk):
    before = snapshot(system)
    response = as_plain.post(f"/counterparties/{tk.y.id}/calls", data={
        "contact_id": str(tk.contact.id), "project_id": "abc"})
    assert response.status_code == 422
    text = page_text(response)
    assert "это не контактное лицо этого контрагента" in text
    assert snapshot(system) == before
    assert as_plain.post("/counterparties/999999/calls", data={}).status_code == 404


def test_the_card_tab_filters_and_pages(system, as_boss, tk):
    for _ in range(12):
        system.app.tasks.create(tk.manager.id, {
            "task_type_id": tk.types["call"].id, "due_date": day(2),
            "counterparty_id": tk.x.id})
    html = as_boss.get(f"/counterparties/{tk.x.id}/tasks").get_data(as_text=True)
    assert "[1-10]" in html and "[11-13]" in html
    assert html.count('<tr class="task-') == 10
    html = as_boss.get(f"/counterparties/{tk.x.id}/tasks?page=2").get_data(as_text=True)
    assert html.count('<tr class="task-') == 3
    html = as_boss.get(f"/counterparties/{tk.x.id}/tasks?task_type_id="
                       f"{tk.types['meeting'].id}").get_data(as_text=True)
    assert re.findall(r'data-task-id="(\d+)"', html) == [str(tk.meeting.id)]
    bad = as_boss.get(f"/counterparties/{tk.x.id}/tasks?state=never")
    assert bad.status_code == 422


# -- the personal page (ORG-4) -------------------------------------------------------------------


def test_the_personal_page_summary(system, as_manager, tk):
    system.app.tasks.create(tk.manager.id, {
        "task_type_id": tk.types["call"].id, "due_date": day(0), "due_time": "23:59",
        "what": "Перезвонить вечером"})
    html = as_manager.get("/me").get_data(as_text=True)
    today_block = html[html.index('id="summary-today"'):html.index('id="summary-overdue"')]
    overdue_block = html[html.index('id="summary-overdue"'):]
    assert '<span class="count">1</span>' in overdue_block
    assert "Другое" in overdue_block
    assert "/me/tasks?state=overdue" in overdue_block
    # the evening call is today's unless the test runs in the last minute of the day
    assert "date_from=" in today_block


def test_core_messages_of_tasks_in_english(as_plain, tk):
    as_plain.post("/lang", data={"lang": "en"})
    response = as_plain.post("/tasks/new", data={
        "responsible_id": str(tk.clerk.id), "task_type_id": str(tk.types["call"].id),
        "due_date": "2026-13-01", "contact_id": str(tk.contact.id)})
    text = page_text(response)
    assert "a date like 2026-03-31" in text and "choose the counterparty first" in text
    assert "Tasks" in page_text(as_plain.get("/me/tasks"))
