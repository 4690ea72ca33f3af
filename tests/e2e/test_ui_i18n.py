"""Russian by default, English selectable (UI-5); the catalog is complete and compiled;
core messages and dates appear in the user's language, locale and time zone."""

from __future__ import annotations

import ast
import io
import re
from datetime import UTC
from pathlib import Path

from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from sqlalchemy import text

import ecrm_core
import ecrm_web
from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import page_text, sign_in

CATALOG = Path(ecrm_web.__file__).parent / "translations" / "ru" / "LC_MESSAGES"


def _po():
    with open(CATALOG / "messages.po", "rb") as f:
        return read_po(f, locale="ru")


def _messages(catalog) -> dict:
    return {m.id: m.string for m in catalog if m.id}


def test_committed_mo_is_the_compiled_po():
    po = _po()
    compiled = io.BytesIO()
    write_mo(compiled, po)
    compiled.seek(0)
    with open(CATALOG / "messages.mo", "rb") as f:
        committed = read_mo(f)
    assert _messages(read_mo(compiled)) == _messages(committed), (
        "messages.mo is stale: run `pybabel compile -d src/ecrm_web/translations`"
    )


def test_every_message_is_translated():
    po = _po()
    untranslated = [m.id for m in po if m.id and (not m.string or m.fuzzy)]
    assert untranslated == []
    assert len(_messages(po)) > 200


def _core_literals() -> set[str]:
    """Messages the core raises as plain string literals: ValidationFailed field messages,
    Forbidden, Conflict and the like."""
    found: set[str] = set()
    root = Path(ecrm_core.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            # Value checks that return their message (requisites.inn_error, …).
            if isinstance(node, ast.FunctionDef) and node.name.endswith("_error"):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Return) and isinstance(inner.value, ast.Constant) \
                            and isinstance(inner.value.value, str):
                        found.add(inner.value.value)
                    elif isinstance(inner, ast.IfExp):
                        for branch in (inner.body, inner.orelse):
                            if isinstance(branch, ast.Constant) and isinstance(branch.value, str):
                                found.add(branch.value)
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
                args = node.args
                if name == "single" and len(args) == 2:
                    args = args[1:]
                elif name not in ("Forbidden", "Conflict", "ValidationFailed"):
                    continue
                for arg in args[:1]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        found.add(arg.value)
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
                target = node.targets[0].value
                if getattr(target, "attr", None) == "errors":
                    value = node.value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.add(value.value)
    return found


def test_every_core_message_is_in_the_catalog():
    literals = _core_literals()
    assert "required" in literals and "you cannot disable yourself" in literals
    assert "INN checksum does not match" in literals  # returned by requisites.inn_error
    missing = sorted(literals - set(_messages(_po())))
    assert missing == [], "add these to ecrm_web/ui/texts.py and the catalog"


def test_russian_by_default_and_english_after_switching(ui_app):
    client = ui_app.test_client()
    assert "Вход в систему" in page_text(client.get("/login"))
    switched = client.post("/lang", data={"lang": "en", "next": "/login"})
    assert switched.status_code == 303
    assert switched.headers["Location"].endswith("/login")
    english = page_text(client.get("/login"))
    assert "Sign in" in english and "Вход в систему" not in english
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    client.post("/lang", data={"lang": "ru"})
    assert "Вход в систему" in page_text(client.get("/login"))
    # Nonsense is ignored.
    assert client.post("/lang", data={"lang": "xx"}).status_code == 303
    assert "Вход в систему" in page_text(client.get("/login"))


def test_a_signed_in_user_keeps_the_language_on_their_card(ui_app, system, director):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    assert "Личная страница" in page_text(client.get("/me"))
    client.post("/lang", data={"lang": "en", "next": "/me"})
    assert system.app.org.employee(director.id, director.id).locale == "en"
    page = page_text(client.get("/me"))
    assert "Personal page" in page and "Messages" in page and "Личная страница" not in page
    # Another browser: the card's language wins over the cookie-less default.
    other = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    assert "Personal page" in page_text(other.get("/me"))


def test_core_field_messages_are_translated(as_director):
    response = as_director.post("/admin/employees", data={
        "login": "x", "password": "short", "full_name": "", "email": "not-an-email"})
    assert response.status_code == 422
    text = page_text(response)
    assert "обязательное поле" in text
    assert "не менее 8 символов" in text
    assert "неверный адрес e-mail" in text
    assert "от 2 до 64 латинских букв" in text
    as_director.post("/lang", data={"lang": "en"})
    response = as_director.post("/admin/employees", data={"login": "x", "full_name": ""})
    text = page_text(response)
    assert "required" in text and "2–64 Latin letters" in text


def test_dates_follow_the_users_locale_and_time_zone(ui_app, system, director):
    # The Company's founding is in the Director's history; show it in two zones.
    entries = system.app.history.of(director.id, director.ref)
    at = entries[-1].at.astimezone(UTC)
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    moscow = page_text(client.get("/me/history"))
    assert f"{(at.hour + 3) % 24:02d}:{at.minute:02d}" in moscow  # Europe/Moscow, UTC+3
    system.app.org.update_employee(director.id, director.id,
                                   {"timezone": "Asia/Omsk", "locale": "en"})
    omsk = page_text(client.get("/me/history"))
    hour = (at.hour + 6) % 24
    twelve = f"{hour % 12 or 12}:{at.minute:02d}"
    assert twelve in omsk and ("AM" in omsk or "PM" in omsk)  # en: 12-hour clock, UTC+6


def test_an_unknown_time_zone_is_refused_and_old_data_does_not_break_pages(
        ui_app, as_director, system, director):
    html = as_director.get("/me").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    refused = as_director.post("/me", data={"version": version, "timezone": "Not/AZone"})
    assert refused.status_code == 422
    assert "неизвестный часовой пояс" in page_text(refused)
    # A zone the core once accepted but the formatter does not know: pages fall back to
    # Europe/Moscow instead of failing.
    with system.engine.begin() as conn:
        conn.execute(text("UPDATE employees SET timezone = 'Not/AZone' WHERE id = :id"),
                     {"id": director.id})
    at = system.app.history.of(director.id, director.ref)[-1].at.astimezone(UTC)
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    response = client.get("/me/history")
    assert response.status_code == 200
    assert f"{(at.hour + 3) % 24:02d}:{at.minute:02d}" in page_text(response)
