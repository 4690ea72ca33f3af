"""Fixtures of the client-base UI tests, loaded by their modules through
``pytest_plugins``: ``cl`` (the client base of ui_clients_support.build_clients) and test
clients signed in as the Director, the curator, the client manager, an employee without
roles and the Administrator."""

from __future__ import annotations

import pytest

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import PASSWORD, sign_in
from tests.e2e.ui_clients_support import build_clients


@pytest.fixture
def cl(system, world):
    return build_clients(system, world)


@pytest.fixture
def as_curator(ui_app, cl):
    return sign_in(ui_app, "curator", PASSWORD)


@pytest.fixture
def as_manager(ui_app, cl):
    return sign_in(ui_app, "manager", PASSWORD)


@pytest.fixture
def as_other(ui_app, cl):
    """An employee without any role."""
    return sign_in(ui_app, "clerk", PASSWORD)


@pytest.fixture
def as_boss(ui_app, cl):
    return sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)


@pytest.fixture
def as_administrator(ui_app, cl):
    return sign_in(ui_app, "admin", PASSWORD)
