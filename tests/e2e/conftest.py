"""Fixtures of the UI tests: a Flask app on a fresh SQLite ECRM with a small organisation,
test clients signed in as its people, and helpers to compare the database before and
after an action that must change nothing."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from werkzeug.serving import make_server

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD

PASSWORD = "secret-pass-1"


@pytest.fixture
def world(system, director):
    """Two departments, an Administrator of the first, a plain clerk in it, a colleague
    in the second department, and a project."""
    org, access = system.app.org, system.app.access
    sales = org.create_department(director.id, {"name": "Отдел продаж"})
    support = org.create_department(director.id, {"name": "Поддержка"})
    admin = org.add_employee(director.id, {
        "login": "admin", "password": PASSWORD, "full_name": "Смирнова Анна",
        "department_id": str(sales.id)})
    access.grant(director.id, admin.id, "administrator", sales.ref)
    clerk = org.add_employee(director.id, {
        "login": "clerk", "password": PASSWORD, "full_name": "Иванов Пётр",
        "department_id": str(sales.id), "email": "clerk@example.ru"})
    other = org.add_employee(director.id, {
        "login": "other", "password": PASSWORD, "full_name": "Сидоров Кирилл",
        "department_id": str(support.id)})
    project = org.create_project(director.id, {"name": "Годовое обслуживание"})
    return {
        "director": director, "sales": sales, "support": support, "admin": admin,
        "clerk": clerk, "other": other, "project": project,
    }


@pytest.fixture
def ui_app(app):
    """The app with CSRF off (one test keeps it on: test_ui_auth.test_csrf_...)."""
    app.config["WTF_CSRF_ENABLED"] = False
    return app


def sign_in(app, login: str, password: str):
    client = app.test_client()
    response = client.post("/login", data={"login": login, "password": password})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def as_director(ui_app, world):
    return sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)


@pytest.fixture
def as_clerk(ui_app, world):
    return sign_in(ui_app, "clerk", PASSWORD)


@pytest.fixture
def as_admin(ui_app, world):
    return sign_in(ui_app, "admin", PASSWORD)


#: Tables that record changes (login sessions and throttles change on every sign-in).
STATE_TABLES = (
    "company", "departments", "projects", "employees", "service_types", "services",
    "role_assignments", "messages", "history", "api_tokens",
)


def snapshot(system) -> dict[str, list]:
    """Every row of the tables that hold the organisation and its history."""
    out = {}
    with system.engine.connect() as conn:
        names = set(system.engine.dialect.get_table_names(conn))
        for name in STATE_TABLES:
            if name in names:
                out[name] = [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))]
    return out


def page_text(response) -> str:
    """The visible text of a page, without tags and with spaces collapsed."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


# -- a real browser against a real server (the browser journeys) -----------------------------

#: Debian's chromium; the browser tests skip without it locally and fail in CI.
CHROMIUM = Path("/usr/bin/chromium")
IN_CI = os.environ.get("CI", "").lower() == "true"
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        message = f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS,
                                             headless=True)
        yield browser
        browser.close()


@pytest.fixture
def live_url(app):
    """The app behind a real WSGI server on a free port of 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
