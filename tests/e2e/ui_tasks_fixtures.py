"""Fixtures of the tasks UI tests, loaded by their modules through ``pytest_plugins``
together with ui_clients_fixtures (``cl``, ``as_boss`` — the Director, ``as_manager`` —
the client manager): ``tk`` (ui_tasks_support.build_tasks on top of ``cl``) and test
clients signed in as the head of «Отдел продаж» (the Administrator), the clerk (a plain
colleague of the manager) and ``other`` of «Поддержка»."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PASSWORD, sign_in
from tests.e2e.ui_tasks_support import build_tasks


@pytest.fixture
def tk(system, cl):
    return build_tasks(system, cl)


@pytest.fixture
def as_head(ui_app, tk):
    """The Administrator, head of «Отдел продаж» (the manager's and the clerk's head)."""
    return sign_in(ui_app, "admin", PASSWORD)


@pytest.fixture
def as_plain(ui_app, tk):
    """The clerk: an employee without roles, the manager's colleague."""
    return sign_in(ui_app, "clerk", PASSWORD)


@pytest.fixture
def as_outsider(ui_app, tk):
    """``other`` of «Поддержка»: no roles, nobody's head."""
    return sign_in(ui_app, "other", PASSWORD)
