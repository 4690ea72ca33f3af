"""Generated input at the tasks API (issue 4: bad input is a 422 naming the field, never a
500):

- any valid day (2026-03-31 or 31.03.2026, across the accepted years), time and time
  zone of the responsible gives a task whose deadline agrees with the one computed here
  independently (the local time, or the next local midnight) and whose ``overdue``
  agrees with it;
- reminder leads are accepted exactly from 0 to a week (computed here);
- random text in the day and time fields: 201 or 422 naming only those fields;
- the version of DELETE in the query: only the current one deletes;
- hypothesis-generated bodies, ids and query strings at every tasks endpoint (the generic
  fuzzing of test_api_fuzz): below 500, documented, and valid against the document.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.api_support import Api, copy_of
from tests.e2e.tasks_support import FUTURE, make_tasks_template
from tests.e2e.test_api_fuzz import NOW, check, fuzz_read, fuzz_write

EXAMPLES = 60
PROPERTY = settings(max_examples=EXAMPLES, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
ZONES = ("Europe/Moscow", "Europe/Kaliningrad", "Asia/Omsk", "Asia/Kamchatka",
         "Asia/Vladivostok", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago")
#: The years a task may be due in (the core's FIRST_DAY … LAST_DAY).
FIRST, LAST = date(1900, 1, 1), date(2999, 12, 31)


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_tasks_template(tmp_path_factory.mktemp("api-tasks-fuzz"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    base, clients, tasks = template
    with copy_of(base, tmp_path) as (org, app):
        yield org, app, clients, tasks


def deadline_here(day: date, at: time | None, tz: str) -> datetime:
    zone = ZoneInfo(tz)
    if at is None:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _fields(response) -> set[str]:
    return set(response.get_json().get("fields", {})) if response.status_code == 422 else set()


def test_the_deadline_is_the_local_time_or_the_next_local_midnight(world):
    org, app, _cl, tw = world
    core = org.system.app
    worker = Api(app, org.tokens["worker_a"])

    @PROPERTY
    @given(day=st.dates(min_value=FIRST, max_value=LAST),
           at=st.none() | st.times().map(lambda t: t.replace(second=0, microsecond=0)),
           tz=st.sampled_from(ZONES), russian=st.booleans(),
           kind=st.sampled_from(["meeting", "call", "email"]))
    def run(day, at, tz, russian, kind):
        me = core.org.employee(org.director.id, org.worker_a.id)
        core.org.update_employee(org.director.id, me.id, {"version": me.version,
                                                          "timezone": tz})
        text = day.strftime("%d.%m.") + f"{day.year:04d}" if russian else day.isoformat()
        before = datetime.now(UTC)
        response = worker.post("/tasks", {
            "task_type_id": tw.types[kind].id, "due_date": text,
            "due_time": at.strftime("%H:%M") if at else None})
        after = datetime.now(UTC)
        assert response.status_code == 201, response.get_json()
        body = response.get_json()
        due_at = datetime.fromisoformat(body["due_at"])
        assert due_at == deadline_here(day, at, tz)
        assert body["due_date"] == day.isoformat()
        if due_at <= before:
            assert body["overdue"] is True
        elif due_at > after:
            assert body["overdue"] is False

    run()


def test_reminder_leads_are_accepted_exactly_from_zero_to_a_week(world):
    org, app, _cl, tw = world
    worker = Api(app, org.tokens["worker_a"])

    @PROPERTY
    @given(lead=st.one_of(st.integers(min_value=-100, max_value=20_000), st.integers(),
                          st.integers(min_value=0, max_value=20_000).map(str),
                          st.floats(allow_nan=False, allow_infinity=False),
                          st.booleans(), st.text(max_size=6)))
    def run(lead):
        response = worker.post("/tasks", {"task_type_id": tw.types["meeting"].id,
                                          "due_date": FUTURE, "due_time": "12:00",
                                          "remind_minutes": lead})
        assert response.status_code in (201, 422), response.get_json()
        if isinstance(lead, str) and lead.strip().isascii() and lead.strip().isdigit():
            number = int(lead.strip())
        elif isinstance(lead, int) and not isinstance(lead, bool):
            number = lead
        else:
            number = None if lead != "" else 60  # empty: the type's lead (a meeting: 60)
        ok = number is not None and 0 <= number <= 7 * 24 * 60
        assert (response.status_code == 201) == ok, (lead, response.get_json())
        if ok:
            body = response.get_json()
            due_at = datetime.fromisoformat(body["due_at"])
            expected = None if number == 0 else due_at - timedelta(minutes=number)
            assert body["remind_at"] == (expected.isoformat() if expected else None)
        else:
            assert _fields(response) == {"remind_minutes"}

    run()


day_text = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="0123456789.-/ ", max_size=12),
    st.sampled_from(["2026-02-29", "29.02.2028", "0001-01-01", "9999-12-31", "31.12.9999",
                     "1.1.2026", "2026-1-1", "20260331", "2026-W13-2", "..", "1.2.3.4",
                     "１２.03.2026", "\x00", "2026-03-31T10:00"]),
)
time_text = st.one_of(
    st.none(), st.text(max_size=10), st.text(alphabet="0123456789:. ", max_size=10),
    st.sampled_from(["24:00", "23:59", "7:5", "07:05:59", "12:00+03:00", "1230", "\x00"]),
)


def test_random_day_and_time_text_is_accepted_or_named(world):
    org, app, _cl, tw = world
    worker = Api(app, org.tokens["worker_a"])

    @PROPERTY
    @given(day=day_text, at=time_text)
    def run(day, at):
        response = worker.post("/tasks", {"task_type_id": tw.types["call"].id,
                                          "due_date": day, "due_time": at})
        check(app, "POST", "/tasks", response)
        assert response.status_code in (201, 422)
        assert _fields(response) <= {"due_date", "due_time"}
        if response.status_code == 201:
            body = response.get_json()
            assert FIRST.isoformat() <= body["due_date"] <= LAST.isoformat()

    run()


def test_only_the_current_version_deletes(world):
    org, app, _cl, tw = world
    worker = Api(app, org.tokens["worker_a"])
    core = org.system.app.tasks

    @PROPERTY
    @given(version=st.one_of(st.integers(min_value=-3, max_value=6).map(str),
                             st.text(max_size=8), st.sampled_from(["1.0", " 1", "1e0", ""])))
    def run(version):
        task = core.create(org.worker_a.id, {"task_type_id": tw.types["call"].id,
                                             "due_date": FUTURE})
        response = worker.delete(f"/tasks/{task.id}", query={"version": version})
        check(app, "DELETE", f"/tasks/{task.id}", response)
        try:
            number = int(version)
        except ValueError:
            number = None
        if number == task.version:
            assert response.status_code == 204
        elif number is not None:
            assert response.status_code == 409
        else:
            assert response.status_code == 422 and _fields(response) == {"version"}

    run()


# -- generic fuzzing of every tasks endpoint ----------------------------------------------------

TASK_FIELDS = ("responsible_id", "task_type_id", "state", "due_date", "due_time", "what",
               "result", "counterparty_id", "contact_id", "project_id", "remind_minutes")
RULE_FIELDS = ("name", "delay", "unit", "target", "task_type_id", "active")
FILTERS = ("section", "state", "date_from", "date_to", "task_type_id", "counterparty_id",
           "project_id", "page")
WRITES = [
    ("POST", "/tasks", TASK_FIELDS, {"task_type_id": 1, "due_date": "2026-03-31"}),
    ("POST", "/tasks/calls", ("counterparty_id", "contact_id", "project_id", "what", "result"),
     {"counterparty_id": 1, "contact_id": 1}),
    ("PATCH", "/tasks/{id}", ("version", *TASK_FIELDS), {"version": NOW, "what": "x"}),
    ("POST", "/tasks/{id}/complete", ("version", "result"), {"version": 1, "result": "ok"}),
    ("DELETE", "/tasks/{id}", (), None),
    ("POST", "/task-types", ("name", "remind_minutes"), {"name": "Тип задачи"}),
    ("PATCH", "/task-types/{id}", ("version", "name", "remind_minutes", "active"),
     {"version": 1, "remind_minutes": 5}),
    ("POST", "/escalation-rules", RULE_FIELDS, {"name": "Правило", "delay": 1}),
    ("PATCH", "/escalation-rules/{id}", ("version", *RULE_FIELDS), {"version": 1, "delay": 2}),
    ("DELETE", "/escalation-rules/{id}", (), None),
]
READS = [
    ("/me/tasks", FILTERS),
    ("/employees/{id}/tasks", FILTERS),
    ("/employees/{id}/calendar", ("start", "end")),
    ("/counterparties/{id}/tasks", FILTERS),
    ("/counterparties/{id}/contact-history", ("page",)),
    ("/tasks/{id}", ("unused",)),
    ("/task-types", ("include_inactive",)),
    ("/escalation-rules", ("unused",)),
]


def seed_rules(org) -> None:
    """A few escalation rules for the PATCH and DELETE fuzzing to hit."""
    for n in range(3):
        org.system.app.tasks.create_escalation_rule(org.director.id,
                                                    {"name": f"Правило {n}", "delay": n})


@pytest.mark.parametrize("method, template_path, names, base", WRITES,
                         ids=[f"{m} {p}" for m, p, _, _ in WRITES])
def test_generated_bodies_never_break_a_tasks_write_endpoint(world, method, template_path,
                                                             names, base):
    org, app, _cl, _tw = world
    seed_rules(org)
    fuzz_write(org, app, method, template_path, names, base)


@pytest.mark.parametrize("template_path, names", READS, ids=[p for p, _ in READS])
def test_generated_query_strings_never_break_a_tasks_read_endpoint(world, template_path,
                                                                   names):
    org, app, _cl, _tw = world
    fuzz_read(org, app, template_path, names)
