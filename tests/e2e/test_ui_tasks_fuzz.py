"""Random text posted to the task forms and put in the Tasks tabs' and the calendar's
query strings never gives a 5xx: the answer is a redirect (saved), a page, or a 4xx page
with its messages (TASK-3, TASK-4)."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import sign_in

#: the fixtures cl, as_boss, as_manager (clients) and tk, as_head, as_plain, as_outsider
pytest_plugins = ["tests.e2e.ui_clients_fixtures", "tests.e2e.ui_tasks_fixtures"]

TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=120)
IDISH = st.one_of(TEXT, st.integers(-5, 10**20).map(str), st.just(""))
DAYISH = st.one_of(TEXT, st.dates().map(str), st.dates().map(lambda d: d.strftime("%d.%m.%Y")))
SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

TASK = {
    "responsible_id": IDISH, "project_id": IDISH, "counterparty_id": IDISH,
    "contact_id": IDISH, "task_type_id": IDISH,
    "state": st.one_of(TEXT, st.sampled_from(["planned", "done"])), "due_date": DAYISH,
    "due_time": st.one_of(TEXT, st.times().map(lambda t: t.strftime("%H:%M"))),
    "remind_minutes": IDISH, "what": TEXT, "result": TEXT, "version": IDISH, "next": TEXT,
    "find": TEXT, "pick_counterparty": IDISH,
}
QUERY = {
    "date_from": DAYISH, "date_to": DAYISH, "state": TEXT, "task_type_id": IDISH,
    "counterparty_id": IDISH, "project_id": IDISH, "section": TEXT, "client_page": IDISH,
    "employee_page": IDISH, "page": IDISH, "view": TEXT, "date": DAYISH,
}


def _check(response) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    assert response.status_code in (200, 201, 303, 403, 404, 409, 422)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    if response.status_code == 422:
        assert re.search(r'class="(field-error|alert alert-error)', body)


def _form(fields: dict) -> st.SearchStrategy:
    return st.fixed_dictionaries({}, optional=fields)


@SETTINGS
@given(data=_form(TASK))
def test_random_task_forms(ui_app, tk, data):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    _check(client.post("/tasks/new", data=data))
    _check(client.post("/tasks/new/refill", data=data))
    _check(client.post(f"/tasks/{tk.meeting.id}/edit", data=data))
    _check(client.post(f"/tasks/{tk.meeting.id}/edit/refill", data=data))
    _check(client.post(f"/tasks/{tk.overdue.id}/complete", data=data))
    _check(client.post(f"/counterparties/{tk.x.id}/calls", data=data))


@SETTINGS
@given(query=_form(QUERY))
def test_random_filters_and_calendar_dates(ui_app, tk, query):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    for url in ("/me/tasks", f"/employees/{tk.manager.id}/tasks",
                f"/counterparties/{tk.x.id}/tasks", f"/counterparties/{tk.x.id}/contact-history",
                "/me/calendar", f"/employees/{tk.manager.id}/calendar",
                "/tasks/new", "/tasks/contacts"):
        _check(client.get(url, query_string=query))


@SETTINGS
@given(data=_form({"name": TEXT, "remind_minutes": IDISH, "delay": IDISH, "unit": TEXT,
                   "target": TEXT, "task_type_id": IDISH, "active": TEXT, "version": IDISH,
                   "path": TEXT}))
def test_random_reference_books_and_home_pages(ui_app, tk, data):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    _check(client.post("/admin/task-types", data=data))
    _check(client.post(f"/admin/task-types/{tk.types['email'].id}/edit", data=data))
    _check(client.post("/admin/escalation-rules", data=data))
    _check(client.post("/me/home-page", data=data))
