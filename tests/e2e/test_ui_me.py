"""The personal page (ORG-4): personal data, password, the Messages tab with confirm /
refuse (MSG-1, MSG-2), the unread counter, the live-popup poll, API tokens, history."""

from __future__ import annotations

import re

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import PASSWORD, page_text, sign_in, snapshot


def _version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def _counter(html: str) -> str:
    return re.search(r'id="unread-count"[^>]*>([^<]*)<', html).group(1).strip()


def test_edit_own_personal_data(as_clerk, system, world):
    page = as_clerk.get("/me")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    response = as_clerk.post("/me", data={
        "version": _version(html), "full_name": "Иванов Пётр Петрович",
        "email": "petr@example.ru", "phone": "+7 900 000-00-00", "locale": "ru",
        "timezone": "Asia/Omsk"})
    assert response.status_code == 303
    me = system.app.org.employee(world["clerk"].id, world["clerk"].id)
    assert (me.full_name, me.email, me.timezone) == (
        "Иванов Пётр Петрович", "petr@example.ru", "Asia/Omsk")
    page = as_clerk.get("/me")
    assert "Личные данные сохранены." in page_text(page)
    history = page_text(as_clerk.get("/me/history"))
    assert "Иванов Пётр → Иванов Пётр Петрович" in history


def test_own_card_cannot_reach_admin_fields(as_clerk, system, world):
    """Only the self-editable fields are taken from the personal form."""
    html = as_clerk.get("/me").get_data(as_text=True)
    response = as_clerk.post("/me", data={
        "version": _version(html), "full_name": "Иванов Пётр", "position": "Директор",
        "department_id": str(world["support"].id)})
    assert response.status_code == 303
    me = system.app.org.employee(world["clerk"].id, world["clerk"].id)
    assert me.position == "" and me.department_id == world["sales"].id


def test_personal_data_errors_and_stale_version(as_clerk, system, world):
    html = as_clerk.get("/me").get_data(as_text=True)
    before = snapshot(system)
    bad = as_clerk.post("/me", data={"version": _version(html), "full_name": " ",
                                     "email": "nope", "locale": "de"})
    assert bad.status_code == 422
    text = page_text(bad)
    assert "обязательное поле" in text and "неверный адрес e-mail" in text
    assert "допустимые значения: ru, en" in text
    assert snapshot(system) == before
    stale = as_clerk.post("/me", data={"version": "0", "full_name": "Старое"})
    assert stale.status_code == 409
    assert "Объект изменён другим пользователем" in page_text(stale)
    assert snapshot(system) == before


def test_change_password(ui_app, as_clerk, system, world):
    wrong = as_clerk.post("/me/password", data={
        "current_password": "nope", "password": "new-password-1", "password2": "new-password-1"})
    assert wrong.status_code == 422
    assert "текущий пароль указан неверно" in page_text(wrong)
    mismatch = as_clerk.post("/me/password", data={
        "current_password": PASSWORD, "password": "new-password-1", "password2": "other-one"})
    assert mismatch.status_code == 422
    assert "пароли не совпадают" in page_text(mismatch)
    ok = as_clerk.post("/me/password", data={
        "current_password": PASSWORD, "password": "new-password-1",
        "password2": "new-password-1"})
    assert ok.status_code == 303
    assert sign_in(ui_app, "clerk", "new-password-1").get("/me").status_code == 200


def test_messages_tab_lists_newest_first_twenty_a_page(as_director, system, world):
    messages, director = system.app.messages, world["director"]
    for n in range(25):
        messages.send(world["clerk"].id, {"recipient_id": director.id,
                                          "text": f"Сообщение номер {n:02d}"})
    first = as_director.get("/me/messages")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    numbers = re.findall(r"Сообщение номер (\d\d)", html)
    assert numbers == [f"{n:02d}" for n in range(24, 4, -1)]  # 20, newest first
    assert html.count('class="unread"') == 20
    assert 'href="/me/messages?page=2"' in html
    assert _counter(html) == "25"
    second = as_director.get("/me/messages?page=2").get_data(as_text=True)
    assert re.findall(r"Сообщение номер (\d\d)", second) == ["04", "03", "02", "01", "00"]
    assert as_director.get("/me/messages?page=99").status_code == 200
    assert as_director.get("/me/messages?page=abc").status_code == 200


def test_opening_a_message_marks_it_read(as_director, system, world):
    sent = system.app.messages.send(world["clerk"].id, {
        "recipient_id": world["director"].id, "kind": "reminder", "text": "Позвоните клиенту"})
    assert _counter(as_director.get("/me").get_data(as_text=True)) == "1"
    listing = as_director.get("/me/messages").get_data(as_text=True)
    assert f'href="/me/messages/{sent.id}"' in listing and "→" in listing
    opened = as_director.get(f"/me/messages/{sent.id}")
    assert opened.status_code == 200
    text = page_text(opened)
    assert "Напоминание" in text and "Позвоните клиенту" in text and "Иванов Пётр" in text
    assert _counter(opened.get_data(as_text=True)) == "0"
    assert system.app.messages.unread_count(world["director"].id) == 0


def test_someone_elses_message_is_not_shown(as_clerk, system, world):
    other = system.app.messages.send(world["director"].id, {
        "recipient_id": world["other"].id, "text": "Лично Сидорову"})
    assert as_clerk.get(f"/me/messages/{other.id}").status_code == 403
    assert as_clerk.get("/me/messages/999999").status_code == 404
    assert system.app.messages.get(world["other"].id, other.id).unread


def test_confirm_a_request(as_director, system, world):
    request = system.app.messages.request_confirmation(
        world["clerk"].id, world["director"].id, "Подтвердите скидку 10%")
    page = as_director.get(f"/me/messages/{request.id}")
    assert "Подтвердить" in page_text(page) and "Отказать" in page_text(page)
    response = as_director.post(f"/me/messages/{request.id}/answer", data={"answer": "confirm"})
    assert response.status_code == 303
    after = page_text(as_director.get(f"/me/messages/{request.id}"))
    assert "Подтверждено" in after and "Отказать" not in after
    told = system.app.messages.inbox(world["clerk"].id)
    assert "подтвердил(а)" in told[0].text
    again = as_director.post(f"/me/messages/{request.id}/answer", data={"answer": "confirm"})
    assert again.status_code == 422
    assert "на этот запрос уже дан ответ" in page_text(again)


def test_refuse_needs_a_reason(as_director, system, world):
    request = system.app.messages.request_confirmation(
        world["clerk"].id, world["director"].id, "Подтвердите отгрузку")
    before = snapshot(system)
    bare = as_director.post(f"/me/messages/{request.id}/answer",
                            data={"answer": "refuse", "reason": "  "})
    assert bare.status_code == 422
    html = bare.get_data(as_text=True)
    assert 'id="err-reason"' in html and "укажите обоснование отказа" in html
    assert snapshot(system) == before
    refused = as_director.post(f"/me/messages/{request.id}/answer",
                               data={"answer": "refuse", "reason": "Нет оплаты"})
    assert refused.status_code == 303
    text = page_text(as_director.get(f"/me/messages/{request.id}"))
    assert "Отказано" in text and "Нет оплаты" in text
    told = system.app.messages.inbox(world["clerk"].id)
    assert "отказал(а)" in told[0].text and "Нет оплаты" in told[0].text


def test_poll_returns_new_messages_and_the_unread_count(as_director, system, world):
    director, clerk = world["director"], world["clerk"]
    empty = as_director.get("/me/messages/poll").get_json()
    assert empty == {"unread": 0, "last_id": 0, "messages": []}
    first = system.app.messages.send(clerk.id, {"recipient_id": director.id, "text": "Первое"})
    data = as_director.get("/me/messages/poll?after=0").get_json()
    assert data["unread"] == 1 and data["last_id"] == first.id
    assert [m["text"] for m in data["messages"]] == ["Первое"]
    assert data["messages"][0]["url"] == f"/me/messages/{first.id}"
    assert data["messages"][0]["title"] == "Уведомление"
    assert data["messages"][0]["sender"] == "Иванов Пётр"
    quiet = as_director.get(f"/me/messages/poll?after={first.id}").get_json()
    assert quiet == {"unread": 1, "last_id": first.id, "messages": []}
    second = system.app.messages.request_confirmation(clerk.id, director.id, "Второе")
    data = as_director.get(f"/me/messages/poll?after={first.id}").get_json()
    assert [m["id"] for m in data["messages"]] == [second.id]
    assert data["messages"][0]["kind"] == "confirmation" and data["unread"] == 2
    assert as_director.get("/me/messages/poll?after=junk").status_code == 200
    # The poll is for the signed-in user only.
    assert system.app.messages.inbox(clerk.id) == []


def test_poll_wants_a_login(ui_app):
    response = ui_app.test_client().get("/me/messages/poll?after=0")
    assert response.status_code == 401
    assert response.get_json() == {"error": "unauthorized"}


def test_the_layout_carries_the_poll_script(as_director, system, world):
    sent = system.app.messages.send(world["clerk"].id, {
        "recipient_id": world["director"].id, "text": "Привет"})
    html = as_director.get("/me").get_data(as_text=True)
    assert 'src="/static/ecrm.js"' in html and f'data-last-id="{sent.id}"' in html
    assert as_director.get("/static/ecrm.js").status_code == 200
    assert as_director.get("/static/ecrm.css").status_code == 200
    assert "http://" not in html.replace("http://localhost", "")  # nothing from outside


def test_api_tokens_create_once_list_and_revoke(as_clerk, system, world):
    created = as_clerk.post("/me/tokens", data={"name": "Отчёты"})
    assert created.status_code == 201
    token = re.search(r'id="new-token">([^<]+)<', created.get_data(as_text=True)).group(1)
    assert token.startswith("ecrm_")
    assert system.app.auth.employee_for_api_token(token).id == world["clerk"].id
    listing = as_clerk.get("/me/tokens").get_data(as_text=True)
    assert "Отчёты" in listing and token not in listing  # shown once only
    empty = as_clerk.post("/me/tokens", data={"name": ""})
    assert empty.status_code == 422 and "обязательное поле" in page_text(empty)
    record = system.app.auth.api_tokens(world["clerk"].id)[0]
    revoked = as_clerk.post(f"/me/tokens/{record.id}/revoke")
    assert revoked.status_code == 303
    assert system.app.auth.employee_for_api_token(token) is None
    assert "Отозван" in page_text(as_clerk.get("/me/tokens"))


def test_someone_elses_token_cannot_be_revoked(ui_app, as_clerk, system, world):
    record, token = system.app.auth.create_api_token(
        world["other"].id, world["other"].id, "чужой")
    assert as_clerk.post(f"/me/tokens/{record.id}/revoke").status_code == 403
    assert system.app.auth.employee_for_api_token(token) is not None


def test_personal_history_shows_roles_but_not_logins(as_director):
    """Sign-ins stay in the login sessions: the card's history is every colleague's to
    read. Roles granted show there (HIST-1)."""
    text = page_text(as_director.get("/me/history"))
    assert "Назначена роль" in text and "Создание" in text
    assert "Вход в систему" not in text


def test_director_home(ui_app):
    client = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    assert client.get("/").headers["Location"].endswith("/counterparties")  # AUTH-2
