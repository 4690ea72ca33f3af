"""The Tasks tabs' pages on the real databases (TASK-3): a page in the second half is read
from the other end in the opposite order (docs/performance.md); every page must hold
exactly the rows the forward order puts there, ties on the deadline included."""

from __future__ import annotations

import pytest

from ecrm_core.tasks.model import TaskState
from tests.conftest import found, make_system


@pytest.fixture
def world(database_url, tmp_path):
    system = make_system(database_url, tmp_path)
    director = found(system)
    yield system, director
    system.close()


def test_every_page_holds_the_rows_of_the_forward_order(world):
    system, director = world
    tasks = system.app.tasks
    call = next(t for t in tasks.task_types(director.id) if t.code == "call")
    made = []
    for k in range(27):
        # three tasks on each deadline (ties broken by id); every third one done
        made.append(tasks.create(director.id, {
            "task_type_id": call.id, "due_date": f"2026-03-{1 + k // 3:02d}",
            "due_time": "10:00" if k % 2 else "", "state": "done" if k % 3 == 0 else "planned"}))
    latest_first = sorted(made, key=lambda t: (t.due_at, t.id), reverse=True)
    soonest_first = sorted((t for t in made if t.state is TaskState.PLANNED),
                           key=lambda t: (t.due_at, t.id))
    for filters, expected in (({}, latest_first), ({"state": "planned"}, soonest_first)):
        pages = [tasks.of_employee(director.id, director.id, filters, page)
                 for page in range(1, 5)]
        assert [t.id for p in pages for t in p.rows] == [t.id for t in expected]
        assert [len(p.rows) for p in pages] == [
            max(0, min(10, len(expected) - 10 * k)) for k in range(4)]
        assert {p.total for p in pages} == {len(expected)}
