"""Who may call the API (AUTH-1): a personal token (Bearer) or the web UI's login
session. Session-authenticated changes need the CSRF token in X-CSRFToken; token
requests need none. No, bad, revoked or disabled credentials -> 401 with
``WWW-Authenticate: Bearer``."""

from __future__ import annotations

import re

import pytest

from ecrm_web.api.openapi import document
from tests.e2e.api_support import Api, copy_of, make_org_template, snapshot

UNSAFE = {"post", "patch", "put", "delete"}


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_org_template(tmp_path_factory.mktemp("api-auth"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    with copy_of(template, tmp_path) as (org, app):
        yield org, app


def signed_in(app, system, login="plain", password="password-1"):
    """A test client carrying the web UI's login session (what Flask-Login stores
    after the login form), and the session token behind it."""
    _employee, token = system.app.auth.login(login, password)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client, token


def operations():
    for path, item in document()["paths"].items():
        for method in item:
            if path != "/openapi.json":
                yield method, re.sub(r"\{[a-z_]+\}", "1", path).replace("/1/1", "/employee/1")


# -- the login session --------------------------------------------------------------------


def test_the_web_login_session_works_for_the_api(world):
    """Sign in through the login form (with its CSRF token), then use the API with the
    session cookie: reads freely, changes with X-CSRFToken, nothing after logout."""
    org, app = world
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    form_token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    signed = client.post("/login", data={"login": "plain", "password": "password-1",
                                         "csrf_token": form_token})
    assert signed.status_code in (302, 303)
    api = Api(app, client=client)
    assert api.get("/me").get_json()["login"] == "plain"
    assert api.post("/messages", {"recipient_id": org.worker_a.id, "text": "Без токена"}
                    ).status_code == 403
    api.csrf = api.get("/csrf-token").get_json()["csrf_token"]
    assert api.post("/messages", {"recipient_id": org.worker_a.id, "text": "С токеном"}
                    ).status_code == 201
    cookie = client.get_cookie("ecrm_session")
    assert cookie is not None and cookie.http_only
    org.system.app.auth.logout(_session_token(client))
    assert api.get("/me").status_code == 401


def _session_token(client) -> str:
    with client.session_transaction() as session:
        return session["_user_id"]


def test_the_session_reads_without_a_csrf_token(world):
    org, app = world
    client, _ = signed_in(app, org.system)
    response = Api(app, client=client).get("/me")
    assert response.status_code == 200
    assert response.get_json()["login"] == "plain"


def test_a_session_change_without_the_csrf_header_is_refused(world):
    org, app = world
    client, _ = signed_in(app, org.system)
    before = snapshot(org.system)
    response = Api(app, client=client).patch("/me", {"version": 1, "phone": "123"})
    assert response.status_code == 403
    assert response.get_json()["error"] == "csrf_failed"
    assert "X-CSRFToken" in response.get_json()["message"]
    assert snapshot(org.system) == before


def test_a_session_change_with_a_wrong_csrf_token_is_refused(world):
    org, app = world
    client, _ = signed_in(app, org.system)
    before = snapshot(org.system)
    api = Api(app, client=client, csrf="forged-token")
    assert api.patch("/me", {"version": 1, "phone": "123"}).status_code == 403
    assert snapshot(org.system) == before


def test_a_csrf_token_of_another_session_is_refused(world):
    org, app = world
    other, _ = signed_in(app, org.system, "worker.a")
    foreign = Api(app, client=other).get("/csrf-token").get_json()["csrf_token"]
    client, _ = signed_in(app, org.system)
    assert Api(app, client=client, csrf=foreign).patch(
        "/me", {"version": 1, "phone": "123"}).status_code == 403


def test_a_session_change_with_the_csrf_token_goes_through(world):
    org, app = world
    client, _ = signed_in(app, org.system)
    api = Api(app, client=client)
    api.csrf = api.get("/csrf-token").get_json()["csrf_token"]
    version = api.get("/me").get_json()["version"]
    response = api.patch("/me", {"version": version, "phone": "+7 900 1"})
    assert response.status_code == 200
    assert response.get_json()["phone"] == "+7 900 1"
    sent = api.post("/messages", {"recipient_id": org.worker_a.id, "text": "Из браузера"})
    assert sent.status_code == 201


def test_a_cross_site_form_post_with_the_session_cookie_is_refused(world):
    org, app = world
    client, _ = signed_in(app, org.system)
    before = snapshot(org.system)
    response = client.post("/api/v1/messages", data={"recipient_id": org.worker_a.id,
                                                     "text": "подделка"})
    assert response.status_code == 403
    assert snapshot(org.system) == before


@pytest.mark.parametrize("method, path", [
    (m, p) for m, p in operations() if m in UNSAFE
])
def test_every_change_checks_csrf_for_sessions(world, method, path):
    org, app = world
    client, _ = signed_in(app, org.system, "director", "director-pass")
    before = snapshot(org.system)
    response = Api(app, client=client).call(method, path, {})
    assert response.status_code == 403
    assert response.get_json()["error"] == "csrf_failed"
    assert snapshot(org.system) == before


def test_the_session_ends_with_logout(world):
    org, app = world
    client, token = signed_in(app, org.system)
    api = Api(app, client=client)
    assert api.get("/me").status_code == 200
    org.system.app.auth.logout(token)
    response = api.get("/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_disabled_employees_session_is_401(world):
    org, app = world
    client, _ = signed_in(app, org.system, "worker.a", "password-1")
    org.system.app.org.set_active(org.director.id, org.worker_a.id, False)
    assert Api(app, client=client).get("/me").status_code == 401


# -- tokens ------------------------------------------------------------------------------


def test_a_token_change_needs_no_csrf_token(world):
    org, app = world
    api = Api(app, org.tokens["plain"])
    version = api.get("/me").get_json()["version"]
    assert api.patch("/me", {"version": version, "phone": "1"}).status_code == 200


def test_a_token_wins_over_a_session_cookie(world):
    org, app = world
    client, _ = signed_in(app, org.system)
    api = Api(app, org.tokens["worker_b"], client=client)
    assert api.get("/me").get_json()["login"] == "worker.b"
    # ... and a bad token is not rescued by the cookie
    assert Api(app, "ecrm_bad", client=client).get("/me").status_code == 401


def test_a_revoked_token_is_401(world):
    org, app = world
    api = Api(app, org.tokens["plain"])
    mine = api.get("/tokens").get_json()["items"][0]
    assert api.delete(f"/tokens/{mine['id']}").status_code == 204
    response = api.get("/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="ecrm", error="invalid_token"'


def test_a_token_revoked_through_the_service_is_401(world):
    org, app = world
    record = org.system.app.auth.api_tokens(org.worker_b.id)[0]
    org.system.app.auth.revoke_api_token(org.director.id, record.id)
    assert Api(app, org.tokens["worker_b"]).get("/me").status_code == 401


def test_a_disabled_employees_token_is_401(world):
    org, app = world
    org.system.app.org.set_active(org.director.id, org.worker_b.id, False)
    assert Api(app, org.tokens["worker_b"]).get("/messages").status_code == 401


@pytest.mark.parametrize("header", [
    "Basic cGxhaW46cGFzc3dvcmQtMQ==", "Bearer", "Bearer ", "Bearer not-ours",
    "Bearer ecrm_unknown", "Token ecrm_x", "bearer\x7f", "Bearer " + "x" * 10_000,
])
def test_bad_authorization_headers_are_401(world, header):
    org, app = world
    response = Api(app).get("/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"


@pytest.mark.parametrize("method, path", list(operations()))
def test_every_operation_needs_credentials(world, method, path):
    org, app = world
    before = snapshot(org.system)
    response = Api(app).call(method, path, {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(org.system) == before
