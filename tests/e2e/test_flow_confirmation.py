"""A confirmation request end to end (MSG-1, MSG-2): created by a service, shown on the
Messages tab, e-mailed through a real SMTP server (aiosmtpd) by the in-process queue,
confirmed in the web UI, and the requester notified — on the Messages tab and by mail."""

from __future__ import annotations

import re

import pytest

from ecrm_web.app import create_app
from tests.conftest import found, make_system
from tests.integration.test_mail_smtp import running_mailbox

PASSWORD = "correct-horse"


@pytest.fixture
def mailbox():
    with running_mailbox() as box:
        yield box


@pytest.fixture
def wired(sqlite_url, tmp_path, mailbox):
    system = make_system(sqlite_url, tmp_path, settings={
        **mailbox.smtp_settings(), "base_url": "http://crm.example.ru"})
    system.start_embedded_queue()
    yield system
    system.close()


def _login(client, login: str) -> None:
    page = client.get("/login")
    token = re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()
    answer = client.post("/login", data={"login": login, "password": PASSWORD,
                                         "csrf_token": token})
    assert answer.status_code == 303, answer.data[:500]


def _csrf(page) -> str:
    return re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()


def test_confirmation_request_flows_end_to_end(wired, mailbox):
    app = wired.app
    director = found(wired)
    director = app.org.update_employee(director.id, director.id, {"email": "boss@example.ru"})
    anna = app.org.add_employee(director.id, {
        "login": "anna", "password": PASSWORD, "full_name": "Смирнова Анна Викторовна",
        "email": "anna@example.ru"})

    # 1. a service asks Анна to confirm something
    request = app.messages.request_confirmation(
        director.id, anna.id, "Подтвердите назначение куратором ООО «Ромашка»")

    # 2. the queue e-mails it to her through the real SMTP server
    assert wired.queue.drain(timeout=15)
    mail = mailbox.wait_for(1)[0]
    assert mail.rcpt_tos == ("anna@example.ru",)
    assert mail.message["Subject"] == "ECRM: Запрос на подтверждение"
    body = mail.message.get_content()
    assert "Подтвердите назначение куратором ООО «Ромашка»" in body
    assert f"http://crm.example.ru/me/messages/{request.id}" in body

    # 3. she sees it on her Messages tab, with the unread counter, and confirms it
    web = create_app(wired, {"TESTING": True})
    client = web.test_client()
    _login(client, "anna")
    tab = client.get("/me/messages")
    assert tab.status_code == 200
    assert "Подтвердите назначение куратором".encode() in tab.data
    opened = client.get(f"/me/messages/{request.id}")
    assert opened.status_code == 200
    answer = client.post(f"/me/messages/{request.id}/answer",
                         data={"answer": "confirm", "csrf_token": _csrf(opened)})
    assert answer.status_code in (302, 303), answer.data[:500]

    # 4. the requester is told the outcome: on his Messages tab and by e-mail
    outcome = app.messages.inbox(director.id)[0]
    assert outcome.reply_to_id == request.id
    assert "Смирнова Анна Викторовна подтвердил(а)" in outcome.text
    assert wired.queue.drain(timeout=15)
    mails = mailbox.wait_for(2)
    assert mails[1].rcpt_tos == ("boss@example.ru",)
    assert "подтвердил(а)" in mails[1].message.get_content()
    # and the request's history shows who answered, when and what changed
    history = app.history.of(anna.id, request.ref)
    assert history[0].action == "ConfirmationAnswered"
    assert history[0].actor_id == anna.id


def test_refusal_in_the_ui_needs_a_reason(wired, mailbox):
    app = wired.app
    director = found(wired)
    anna = app.org.add_employee(director.id, {
        "login": "anna", "password": PASSWORD, "full_name": "Анна"})
    request = app.messages.request_confirmation(director.id, anna.id, "Выйдете в субботу?")
    client = create_app(wired, {"TESTING": True}).test_client()
    _login(client, "anna")
    opened = client.get(f"/me/messages/{request.id}")
    refused = client.post(f"/me/messages/{request.id}/answer",
                          data={"answer": "refuse", "reason": "", "csrf_token": _csrf(opened)})
    assert refused.status_code == 422
    assert app.messages.get(anna.id, request.id).awaits_answer
    client.post(f"/me/messages/{request.id}/answer",
                data={"answer": "refuse", "reason": "Уезжаю", "csrf_token": _csrf(opened)})
    assert "Причина: Уезжаю" in app.messages.inbox(director.id)[0].text
