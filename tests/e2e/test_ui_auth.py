"""Login, logout and CSRF in the web UI (AUTH-1)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import PASSWORD, page_text, sign_in, snapshot

WRONG = "Неверный логин или пароль"


def _location(response) -> str:
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_anonymous_visitor_is_sent_to_the_login_form(ui_app):
    client = ui_app.test_client()
    response = client.get("/")
    assert response.status_code == 302
    assert _location(response).startswith("/login")
    page = client.get("/login")
    assert page.status_code == 200
    text = page_text(page)
    assert "Вход в систему" in text and "Логин" in text and "Пароль" in text
    assert client.get("/me").status_code == 302
    assert client.get("/admin/departments").status_code == 302


@pytest.mark.parametrize("login,password", [
    (DIRECTOR_LOGIN, "wrong-password"),
    ("nobody-here", "wrong-password"),
    (DIRECTOR_LOGIN, ""),
    ("", ""),
])
def test_a_wrong_pair_gets_one_message(ui_app, login, password):
    response = ui_app.test_client().post("/login", data={"login": login, "password": password})
    assert response.status_code == 401
    text = page_text(response)
    assert WRONG in text
    assert "Слишком много" not in text


def test_login_lands_on_the_counterparties_page(ui_app):
    client = ui_app.test_client()
    response = client.post("/login", data={"login": "Director", "password": DIRECTOR_PASSWORD})
    assert response.status_code == 303
    assert _location(response) == "/counterparties"  # AUTH-2
    page = client.get("/me")
    assert page.status_code == 200
    assert "Петров Иван Сергеевич" in page_text(page)
    # Signed in, the login form sends one on.
    assert client.get("/login").status_code == 302


@pytest.mark.parametrize("target,expected", [
    ("/admin/departments", "/admin/departments"),
    ("/me/messages?page=2", "/me/messages?page=2"),
    ("//evil.example/x", "/counterparties"),
    ("https://evil.example/", "/counterparties"),
    ("/\\evil.example", "/counterparties"),
    ("javascript:alert(1)", "/counterparties"),
])
def test_login_follows_only_a_safe_local_next(ui_app, target, expected):
    client = ui_app.test_client()
    response = client.post("/login", data={
        "login": DIRECTOR_LOGIN, "password": DIRECTOR_PASSWORD, "next": target})
    assert response.status_code == 303
    assert _location(response) == expected


def test_login_form_keeps_next_from_the_redirect(ui_app):
    client = ui_app.test_client()
    response = client.get("/admin/roles")
    page = client.get(_location(response))
    assert 'name="next" value="/admin/roles"' in page.get_data(as_text=True)


def test_five_failures_lock_the_login(ui_app, world):
    client = ui_app.test_client()
    for _ in range(4):
        response = client.post("/login", data={"login": "clerk", "password": "bad-password"})
        assert response.status_code == 401
    fifth = client.post("/login", data={"login": "clerk", "password": "bad-password"})
    assert fifth.status_code == 429
    assert "Слишком много неудачных попыток" in page_text(fifth)
    # Even the right password is refused while the lock lasts.
    right = client.post("/login", data={"login": "clerk", "password": PASSWORD})
    assert right.status_code == 429
    assert client.get("/me").status_code == 302
    # Others are not affected.
    assert sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD).get("/me").status_code == 200


def _session_cookie(client) -> str:
    cookie = client.get_cookie("ecrm_session")
    assert cookie is not None
    return cookie.value


def test_logout_ends_the_session_and_a_replayed_cookie_is_refused(ui_app, system):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    assert client.get("/me").status_code == 200
    stolen = _session_cookie(client)

    response = client.post("/logout")
    assert response.status_code == 303
    assert _location(response) == "/login"
    assert client.get("/me").status_code == 302

    replay = ui_app.test_client()
    replay.set_cookie("ecrm_session", stolen)
    response = replay.get("/me")
    assert response.status_code == 302
    assert _location(response).startswith("/login")
    assert replay.get("/me/messages/poll?after=0").status_code == 401


def test_logout_is_a_post(ui_app):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    assert client.get("/logout").status_code == 405
    assert client.get("/me").status_code == 200


def test_session_cookie_is_httponly_and_samesite(ui_app):
    client = ui_app.test_client()
    response = client.post("/login", data={"login": DIRECTOR_LOGIN,
                                           "password": DIRECTOR_PASSWORD})
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("ecrm_session="))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header


def _csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "every form carries a CSRF token"
    return found.group(1)


def test_csrf_is_required_on_every_form(app, world, system):
    """CSRF stays on here (the other UI tests switch it off for brevity)."""
    assert app.config.get("WTF_CSRF_ENABLED", True)
    client = app.test_client()
    # The login form itself: without the token -> 400, nobody is signed in.
    refused = client.post("/login", data={"login": DIRECTOR_LOGIN,
                                          "password": DIRECTOR_PASSWORD})
    assert refused.status_code == 400
    assert "CSRF" in page_text(refused)
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    signed = client.post("/login", data={"login": DIRECTOR_LOGIN,
                                         "password": DIRECTOR_PASSWORD, "csrf_token": token})
    assert signed.status_code == 303

    before = snapshot(system)
    for url, data in [
        ("/admin/departments", {"name": "Без токена"}),
        ("/me", {"full_name": "Без токена"}),
        ("/logout", {}),
    ]:
        assert client.post(url, data=data).status_code == 400, url
    assert snapshot(system) == before
    assert client.get("/me").status_code == 200  # the logout without a token did nothing

    token = _csrf_token(client.get("/admin/departments").get_data(as_text=True))
    created = client.post("/admin/departments", data={"name": "С токеном", "csrf_token": token})
    assert created.status_code == 303
    assert [d.name for d in system.app.org.departments(world["director"].id)
            if d.name == "С токеном"]
