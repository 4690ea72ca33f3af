"""The navigation panel's search line over employees (UI-2)."""

from __future__ import annotations

import pytest

from ecrm_core.kernel.errors import Forbidden
from tests.fakes import fake_app


def test_search_matches_name_login_and_email_once_each():
    app, _ = fake_app()
    director = app.org.found_company(
        "ООО «Ромашка»", {"login": "director", "password": "password-1", "full_name": "Петров И."}
    )
    app.org.add_employee(director.id, {"login": "ivanov", "password": "password-1",
                                       "full_name": "Иванов Пётр", "email": "pi@example.ru"})
    app.org.add_employee(director.id, {"login": "sidorov", "password": "password-1",
                                       "full_name": "Сидоров Иван", "email": "ivan@example.ru"})
    names = [e.full_name for e in app.org.search_employees(director.id, "СИДОРОВ")]
    assert names == ["Сидоров Иван"]
    names = [e.full_name for e in app.org.search_employees(director.id, "ivan")]
    assert names == ["Иванов Пётр", "Сидоров Иван"]  # login and e-mail, sorted, no repeats
    assert app.org.search_employees(director.id, "  ") == []
    assert app.org.search_employees(director.id, None) == []


def test_search_needs_an_active_actor():
    app, _ = fake_app()
    with pytest.raises(Forbidden):
        app.org.search_employees(12345, "x")
