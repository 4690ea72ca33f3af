"""Login (AUTH-1), system messages (MSG-1, MSG-2) and role grants (ORG-6) on fakes."""

from __future__ import annotations

import pytest

from ecrm_core.access.model import Role
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import AuthenticationFailed, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.messages.model import ConfirmationState, MessageCreated, MessageKind
from tests.fakes import FakeClock, FakeMailer, fake_app

PASSWORD = "correct-horse"


@pytest.fixture
def world():
    clock = FakeClock()
    mailer = FakeMailer()
    app, storage = fake_app(clock=clock, mailer=mailer)
    director = app.org.found_company(
        "ООО «Ромашка»", {"login": "director", "password": PASSWORD, "full_name": "Петров"})
    anna = app.org.add_employee(director.id, {"login": "anna", "password": PASSWORD,
                                              "full_name": "Анна", "email": "anna@example.ru"})
    return app, storage, clock, mailer, director, anna


# -- login -------------------------------------------------------------------------

def test_login_logout_and_replayed_session(world):
    app, *_ = world
    employee, token = app.auth.login("ANNA", PASSWORD)
    assert employee.login == "anna"
    assert app.auth.employee_for_session(token).id == employee.id
    app.auth.logout(token)
    assert app.auth.employee_for_session(token) is None
    assert app.auth.employee_for_session("forged") is None


@pytest.mark.parametrize(("login", "password"), [
    ("anna", "wrong-password"), ("nobody", PASSWORD), ("", ""), (None, None), (5, [])])
def test_any_wrong_pair_gets_one_answer(world, login, password):
    app, *_ = world
    with pytest.raises(AuthenticationFailed) as err:
        app.auth.login(login, password)
    assert err.value.message == "wrong login or password"


def test_repeated_failures_lock_the_login_for_a_while(world):
    app, _, clock, *_ = world
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            app.auth.login("anna", "wrong-password")
    with pytest.raises(AuthenticationFailed) as err:
        app.auth.login("anna", PASSWORD)  # even the right password waits
    assert err.value.locked_until is not None
    clock.advance(minutes=16)
    app.auth.login("anna", PASSWORD)


def test_failures_spread_over_time_do_not_lock(world):
    app, _, clock, *_ = world
    for _ in range(8):
        with pytest.raises(AuthenticationFailed):
            app.auth.login("anna", "wrong-password")
        clock.advance(minutes=4)
        if _ % 2:
            app.auth.login("anna", PASSWORD)


def test_idle_sessions_end(world):
    app, _, clock, *_ = world
    _, token = app.auth.login("anna", PASSWORD)
    clock.advance(hours=13)
    assert app.auth.employee_for_session(token) is None


def test_disabled_employee_cannot_log_in(world):
    app, _, _, _, director, anna = world
    app.org.set_active(director.id, anna.id, False)
    with pytest.raises(AuthenticationFailed):
        app.auth.login("anna", PASSWORD)


def test_api_tokens(world):
    app, _, _, _, director, anna = world
    record, token = app.auth.create_api_token(anna.id, anna.id, "скрипт")
    assert app.auth.employee_for_api_token(token).id == anna.id
    with pytest.raises(Forbidden):
        app.auth.create_api_token(anna.id, director.id, "чужой")
    with pytest.raises(ValidationFailed):
        app.auth.create_api_token(anna.id, anna.id, "")
    app.auth.revoke_api_token(anna.id, record.id)
    assert app.auth.employee_for_api_token(token) is None
    assert app.auth.employee_for_api_token("ecrm_unknown") is None
    assert app.auth.employee_for_api_token(None) is None


# -- messages ----------------------------------------------------------------------

def test_confirmation_request_confirmed_notifies_requester(world):
    app, storage, _, _, director, anna = world
    request = app.messages.request_confirmation(
        director.id, anna.id, "Подтвердите назначение", subject=anna.ref)
    assert app.messages.unread_count(anna.id) == 1
    assert request.awaits_answer
    answered = app.messages.answer(anna.id, request.id, True)
    assert answered.state is ConfirmationState.CONFIRMED
    outcome = app.messages.inbox(director.id)[0]
    assert outcome.message_kind is MessageKind.NOTIFICATION
    assert outcome.reply_to_id == request.id
    assert "подтвердил" in outcome.text
    relayed = [e for e, _ in storage.outbox if isinstance(e, MessageCreated)]
    assert [e.recipient_id for e in relayed] == [anna.id, director.id]


def test_refusal_needs_a_reason_and_is_final(world):
    app, _, _, _, director, anna = world
    request = app.messages.request_confirmation(director.id, anna.id, "Можно?")
    with pytest.raises(ValidationFailed) as err:
        app.messages.answer(anna.id, request.id, False, "   ")
    assert "reason" in err.value.errors
    app.messages.answer(anna.id, request.id, False, "Занята проектом")
    with pytest.raises(ValidationFailed):
        app.messages.answer(anna.id, request.id, True)
    assert "Занята проектом" in app.messages.inbox(director.id)[0].text


def test_only_the_recipient_reads_and_answers(world):
    app, _, _, _, director, anna = world
    request = app.messages.request_confirmation(anna.id, director.id, "Отпуск?")
    with pytest.raises(Forbidden):
        app.messages.answer(anna.id, request.id, True)
    with pytest.raises(Forbidden):
        app.messages.get(anna.id, request.id)


def test_confirmation_handlers_run_in_the_same_unit_of_work(world):
    app, _, _, _, director, anna = world
    calls = []
    app.messages.on_confirmation("assign", lambda uow, msg, ok: calls.append((msg.action, ok)))
    request = app.messages.request_confirmation(director.id, anna.id, "?", action="assign:7")
    app.messages.answer(anna.id, request.id, True)
    assert calls == [("assign:7", True)]


def test_send_validates_every_field(world):
    app, _, _, _, director, _ = world
    with pytest.raises(ValidationFailed) as err:
        app.messages.send(director.id, {"recipient_id": "x", "kind": "spam", "text": ""})
    assert set(err.value.errors) == {"recipient_id", "kind", "text"}
    with pytest.raises(ValidationFailed):
        app.messages.send(director.id, {"recipient_id": 999, "text": "hi"})


def test_paging_and_read_marks(world):
    app, _, _, _, director, anna = world
    for i in range(25):
        app.messages.send(director.id, {"recipient_id": anna.id, "text": f"#{i}",
                                        "kind": "reminder"})
    first = app.messages.inbox(anna.id, page=1)
    second = app.messages.inbox(anna.id, page=2)
    assert [len(first), len(second)] == [20, 5]
    assert first[0].text == "#24"
    app.messages.mark_read(anna.id, first[0].id)
    assert app.messages.unread_count(anna.id) == 24
    assert [m.text for m in app.messages.inbox(anna.id, after_id=first[1].id)] == ["#24"]


def test_email_delivery_is_idempotent(world):
    app, _, _, mailer, director, anna = world
    msg = app.messages.send(director.id, {"recipient_id": anna.id, "text": "Привет"})
    assert app.messages.deliver_by_email(msg.id, "outbox:1") is True
    assert app.messages.deliver_by_email(msg.id, "outbox:1") is False  # same delivery
    assert app.messages.deliver_by_email(msg.id, "outbox:9") is False  # already e-mailed
    assert len(mailer.sent) == 1
    assert mailer.sent[0].to == "anna@example.ru"
    assert "Привет" in mailer.sent[0].body


def test_no_email_without_address_or_smtp(world):
    app, _, _, mailer, director, anna = world
    msg = app.messages.send(anna.id, {"recipient_id": director.id, "text": "Без почты"})
    assert app.messages.deliver_by_email(msg.id, "outbox:2") is False
    mailer.configured = False
    msg = app.messages.send(director.id, {"recipient_id": anna.id, "text": "SMTP выключен"})
    assert app.messages.deliver_by_email(msg.id, "outbox:3") is False
    assert mailer.sent == []


# -- roles -------------------------------------------------------------------------

def test_grant_validates_role_scope_and_rights(world):
    app, _, _, _, director, anna = world
    dep = app.org.create_department(director.id, {"name": "Продажи"})
    with pytest.raises(ValidationFailed) as err:
        app.access.grant(director.id, anna.id, "administrator", ObjectRef(refs.PROJECT, 1))
    assert "scope" in err.value.errors
    with pytest.raises(ValidationFailed):
        app.access.grant(director.id, anna.id, "emperor", dep.ref)
    with pytest.raises(ValidationFailed):
        app.access.grant(director.id, anna.id, "administrator", ObjectRef(refs.DEPARTMENT, 99))
    first = app.access.grant(director.id, anna.id, "administrator", dep.ref)
    again = app.access.grant(director.id, anna.id, "administrator", dep.ref)
    assert first.id == again.id
    with pytest.raises(Forbidden):
        app.access.grant(anna.id, anna.id, "director", ObjectRef(refs.COMPANY, 1))
    app.access.revoke(director.id, first.id)
    assert app.access.assignments(director.id, employee_id=anna.id) == []


def test_the_last_director_stays(world):
    app, _, _, _, director, anna = world
    mine = app.access.assignments(director.id, role=Role.DIRECTOR)[0]
    with pytest.raises(ValidationFailed):
        app.access.revoke(director.id, mine.id)
    app.access.grant(director.id, anna.id, "director", ObjectRef(refs.COMPANY, 1))
    app.access.revoke(director.id, mine.id)
    assert [a.employee_id for a in app.access.assignments(anna.id, role=Role.DIRECTOR)] == [
        anna.id]


def test_summary_for_the_navigation_panel(world):
    app, _, _, _, director, anna = world
    assert app.messages.summary(anna.id) == (0, 0)
    first = app.messages.send(director.id, {"recipient_id": anna.id, "text": "1"})
    second = app.messages.send(director.id, {"recipient_id": anna.id, "text": "2"})
    app.messages.mark_read(anna.id, first.id)
    assert app.messages.summary(anna.id) == (1, second.id)


def test_roles_show_in_the_holders_history_and_survive_revocation(world):
    app, _, _, _, director, anna = world
    dep = app.org.create_department(director.id, {"name": "Продажи"})
    grant = app.access.grant(director.id, anna.id, "administrator", dep.ref)
    app.access.revoke(director.id, grant.id)
    actions = [(h.action, h.changes) for h in app.history.of(director.id, anna.ref)][:2]
    assert actions == [
        ("RoleRevoked", [{"field": "role", "old": f"administrator @ department:{dep.id}",
                          "new": None}]),
        ("RoleGranted", [{"field": "role", "old": None,
                          "new": f"administrator @ department:{dep.id}"}]),
    ]
    gone = app.history.of(director.id, grant.ref)  # the Director still reads it
    assert [h.action for h in gone] == ["ObjectDeleted", "ObjectCreated"]
    with pytest.raises(NotFound):
        app.history.of(anna.id, grant.ref)


def test_long_requests_can_still_be_answered(world):
    app, _, _, _, director, anna = world
    request = app.messages.request_confirmation(director.id, anna.id, "Подробно: " + "я" * 3990)
    app.messages.answer(anna.id, request.id, False, "п" * 2000)
    assert len(app.messages.inbox(director.id)[0].text) <= 4000
    with pytest.raises(ValidationFailed):
        app.messages.answer(anna.id, app.messages.request_confirmation(
            director.id, anna.id, "?").id, False, "a\x00b")


def test_a_failed_send_gives_the_delivery_back_for_a_retry(world):
    app, _, _, mailer, director, anna = world
    msg = app.messages.send(director.id, {"recipient_id": anna.id, "text": "Повтор"})
    sent = mailer.send

    def broken(email):
        raise OSError("SMTP server is down")

    mailer.send = broken
    with pytest.raises(OSError):
        app.messages.deliver_by_email(msg.id, "outbox:5")
    mailer.send = sent
    assert app.messages.deliver_by_email(msg.id, "outbox:5") is True  # the retry sends
    assert app.messages.deliver_by_email(msg.id, "outbox:5") is False
    assert len(mailer.sent) == 1
