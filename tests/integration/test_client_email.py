"""E-mails to clients (AUTO-1, MAIL-6, issue 5): a state whose on-enter actions hold
``email_client`` records ``ClientEmailRequested`` with the change of state; the outbox
relays it to the ``email_client`` actor, which sends the template's letter to the
client's address through a real SMTP server (aiosmtpd) — exactly once, even when the
queue delivers the message twice; a failed send is retried and then sent once."""

from __future__ import annotations

import pytest

from ecrm_adapters.queue.relay import delivery_key
from ecrm_core.messages.client_mail import TEMPLATES, client_email
from ecrm_core.workflow.definition import dump_definition
from tests.conftest import make_system
from tests.integration.test_mail_smtp import running_mailbox
from tests.integration.test_queue_relay import (
    Processed,
    handled_keys,
    outbox_rows,
    staff,
    unpublish,
)


@pytest.fixture
def mailbox():
    with running_mailbox() as box:
        yield box


@pytest.fixture
def mailing_system(sqlite_url, tmp_path, mailbox):
    s = make_system(sqlite_url, tmp_path, settings={**mailbox.smtp_settings(),
                                                    "relay_interval": 60.0})
    yield s
    s.close()


def _with_emails(app, actor_id: int, code: str, templates: dict[str, str]) -> None:
    """Add ``email_client`` actions to states of the set ``code`` (state -> template)."""
    found = next(s for s in app.state_sets.state_sets(actor_id) if s.code == code)
    data = dump_definition(found.states, found.transitions)
    for state in data["states"]:
        if state["code"] in templates:
            state["on_enter"].append({"type": "email_client",
                                      "template": templates[state["code"]]})
    app.state_sets.update(actor_id, found.id, {**data, "version": found.version})


def _client(app, actor_id: int, email: str = "buh@alfa.example"):
    catalog = app.catalogs.create(actor_id, {"name": "Клиенты"})
    return app.counterparties.register(actor_id, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "ООО «Альфа»",
        "email": email})


def _client_rows(system) -> list:
    return [r for r in outbox_rows(system) if r.name == "ClientEmailRequested"]


def test_an_issued_invoice_is_emailed_to_the_client_once_even_if_delivered_twice(
        mailing_system, mailbox):
    system = mailing_system
    director, _anna, _boris = staff(system)
    app, d = system.app, director.id
    _with_emails(app, d, "invoice", {"issued": "invoice_issued", "paid": "invoice_paid"})
    card = _client(app, d)
    processed = Processed()
    system.queue.broker.add_middleware(processed)
    system.start_embedded_queue()

    invoice = app.invoices.create(d, {"counterparty_id": card.id, "issued_on": "2026-03-02",
                                      "lines": [{"name": "Подключение", "quantity": 1,
                                                 "price": "5 000"}]})
    app.invoices.move(d, invoice.id, "issued")
    [got] = mailbox.wait_for(1)
    assert got.rcpt_tos == ("buh@alfa.example",)
    assert got.message["Subject"] == \
        "Выставлен счёт № 1 от 02.03.2026 — ООО «Тестовая компания»"
    body = got.message.get_content()
    assert "Вам выставлен счёт № 1 от 02.03.2026" in body
    assert "С уважением,\nООО «Тестовая компания»" in body
    assert system.queue.drain(timeout=10)
    [row] = _client_rows(system)
    assert row.payload["template"] == "invoice_issued"
    assert row.payload["subject"] == f"invoice:{invoice.id}"
    assert delivery_key(row.id) in handled_keys(system)

    unpublish(system, row.id)
    assert system.queue.relay_now() == 1  # the same row, delivered again
    assert system.queue.drain(timeout=10)
    assert [m for m, _exc in processed.done].count(f"outbox-{row.id}") == 2
    assert len(mailbox.received) == 1, "a second delivery sends nothing"
    assert handled_keys(system).count(delivery_key(row.id)) == 1

    # paid in full: the payment moves it to «paid», whose template thanks the client
    app.invoices.register_payment(d, invoice.id, {"amount": "5000"})
    second = mailbox.wait_for(2)[1]
    assert second.message["Subject"].startswith("Счёт № 1 от 02.03.2026: оплата получена")
    assert system.queue.drain(timeout=10)
    assert len(_client_rows(system)) == 2 and len(mailbox.received) == 2


def test_a_request_state_and_an_unknown_template(mailing_system, mailbox):
    system = mailing_system
    director, _anna, _boris = staff(system)
    app, d = system.app, director.id
    _with_emails(app, d, "request", {"in_work": "request_state", "done": "no_such_one"})
    card = _client(app, d, email="office@beta.example")
    system.start_embedded_queue()
    request = app.requests.create(d, {"counterparty_id": card.id,
                                      "subject": "Подключить офис"})
    app.requests.move(d, request.id, "in_work")
    [got] = mailbox.wait_for(1)
    assert got.rcpt_tos == ("office@beta.example",)
    assert got.message["Subject"].startswith(
        f"Заявка № {request.id}: Подключить офис: состояние изменилось")
    app.requests.move(d, request.id, "done")
    plain = mailbox.wait_for(2)[1]
    assert plain.message["Subject"].startswith(f"Заявка № {request.id}: Подключить офис")
    assert f"Заявка № {request.id}: Подключить офис." in plain.message.get_content()


def test_a_client_without_an_address_gets_nothing_and_no_event(mailing_system, mailbox):
    system = mailing_system
    director, _anna, _boris = staff(system)
    app, d = system.app, director.id
    _with_emails(app, d, "request", {"in_work": "request_state"})
    catalog = app.catalogs.create(d, {"name": "Клиенты"})
    card = app.counterparties.register(d, {"catalog_id": catalog.id, "type": "individual",
                                           "name": "Безадресный Иван"})
    system.start_embedded_queue()
    request = app.requests.create(d, {"counterparty_id": card.id, "subject": "Звонок"})
    app.requests.move(d, request.id, "in_work")
    assert system.queue.drain(timeout=10)
    assert _client_rows(system) == [] and mailbox.received == []


def test_a_failed_send_gives_the_claim_back_for_the_retry(sqlite_url, tmp_path):
    """The core's use case alone (no queue): the claim is released when the mailer fails,
    so the queue's retry sends; a key handled before sends nothing."""
    sent, failing = [], [True]

    class Mailer:
        configured = True

        def send(self, email):
            if failing[0]:
                raise ConnectionRefusedError(111, "SMTP down")
            sent.append(email)

    system = make_system(sqlite_url, tmp_path, mailer=Mailer())
    try:
        staff(system)
        messages = system.app.messages
        with pytest.raises(ConnectionRefusedError):
            messages.email_client("a@b.example", "invoice_paid", "Счёт № 7", "outbox:7")
        assert "outbox:7" not in handled_keys(system)
        failing[0] = False
        assert messages.email_client("a@b.example", "invoice_paid", "Счёт № 7", "outbox:7")
        assert not messages.email_client("a@b.example", "invoice_paid", "Счёт № 7",
                                         "outbox:7")
        assert [e.to for e in sent] == ["a@b.example"]
        assert sent[0].message_id == "<ecrm-client-outbox-7@ecrm>"
    finally:
        system.close()


def test_the_templates():
    assert set(TEMPLATES) == {"request_state", "invoice_issued", "invoice_paid"}
    letter = client_email("x@y.example", "invoice_issued", "Счёт № 12 от 01.12.2026",
                          "ООО «Ромашка»")
    assert letter.subject == "Выставлен счёт № 12 от 01.12.2026 — ООО «Ромашка»"
    assert "выставлен счёт № 12 от 01.12.2026" in letter.body
    plain = client_email("x@y.example", "birthday", "Договор № 5")
    assert (plain.subject, plain.body) == ("Договор № 5", "Здравствуйте!\n\nДоговор № 5.")
