"""Sales documents on in-memory fakes (PRD-1…3, CON-1…4, REQ-1…4, INV-1…4, DOC-1): the
nomenclature and dated prices, contracts with numbers from patterns, requests through
the workflow engine, invoices priced from the price list with exact totals, payments
moving invoices by themselves, settlements, acts, documents and who may do what."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from ecrm_core.access.model import Role
from ecrm_core.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.messages.model import MessageKind
from ecrm_core.money import Money
from ecrm_core.sales.model import SettlementStatus
from tests.fakes import FakeClock, fake_app

PASSWORD = "correct-horse"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def w():
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    app, storage = fake_app(clock=clock)
    w = SimpleNamespace(app=app, storage=storage, clock=clock)
    w.d = app.org.found_company(
        "ООО «Ромашка»", {"login": "director", "password": PASSWORD,
                          "full_name": "Петров И."}).id
    w.mgr = app.org.add_employee(w.d, {"login": "mgr", "password": PASSWORD,
                                       "full_name": "Менеджеров"}).id
    w.other = app.org.add_employee(w.d, {"login": "oth", "password": PASSWORD,
                                         "full_name": "Посторонний"}).id
    w.fin = app.org.add_employee(w.d, {"login": "fin", "password": PASSWORD,
                                       "full_name": "Финансов"}).id
    catalog = app.catalogs.create(w.d, {"name": "Клиенты"})
    w.card = app.counterparties.register(w.d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа",
        "inn": "7707083893", "kpp": "773601001", "email": "buh@alfa.example"})
    app.access.grant(w.d, w.mgr, "client_manager", w.card.ref)
    w.contact = app.counterparties.add_contact(w.d, w.card.id, {"full_name": "Иванов Иван"})
    w.retail = next(t for t in app.products.price_types(w.d) if t.code == "retail")
    w.router = app.products.save_item(w.d, {"name": "Маршрутизатор", "unit": "шт",
                                            "vat_rate": "22"})
    w.setup = app.products.save_item(w.d, {"name": "Настройка", "item_kind": "work",
                                           "unit": "ч", "vat_rate": "22"})
    app.products.set_price(w.d, {"item_id": w.router.id, "price_type_id": w.retail.id,
                                 "valid_from": "2026-01-01", "amount": "4 990,00"})
    app.products.set_price(w.d, {"item_id": w.router.id, "price_type_id": w.retail.id,
                                 "valid_from": "2026-03-01", "amount": "5490"})
    app.products.set_price(w.d, {"item_id": w.setup.id, "price_type_id": w.retail.id,
                                 "valid_from": "2026-01-01", "amount": "1 500"})
    return w


def test_a_new_company_has_the_reference_data():
    app, _ = fake_app()
    d = app.org.found_company("ООО", {"login": "dir", "password": PASSWORD,
                                      "full_name": "Д"}).id
    codes = {s.code for s in app.state_sets.state_sets(d)}
    # requests, invoices, and (issue 6) customer orders and the default deal templates
    assert {"request", "invoice", "deal:b2b_connection", "deal:equipment_supply"} <= codes
    assert {t.code for t in app.products.price_types(d)} == {"retail", "wholesale"}
    assert {t.code for t in app.products.client_types(d)} == {"corporate", "partner"}
    assert {t.code for t in app.contracts.types(d)} == {"services", "individual"}


def test_a_price_change_closes_the_previous_price_and_overlaps_are_refused(w):
    prices = w.app.products.prices(w.d, w.router.id)
    assert [(p.valid_from, p.valid_to) for p in prices] == [
        (date(2026, 1, 1), date(2026, 3, 1)), (date(2026, 3, 1), None)]
    assert w.app.products.price_on(w.d, w.router.id, w.retail.id, "2026-02-28").amount \
        == Money(Decimal("4990"))
    assert w.app.products.price_on(w.d, w.router.id, w.retail.id, "2026-03-01").amount \
        == Money(Decimal("5490"))
    with pytest.raises(NotFound):
        w.app.products.price_on(w.d, w.router.id, w.retail.id, "2025-12-31")
    with pytest.raises(ValidationFailed) as err:
        w.app.products.set_price(w.d, {"item_id": w.router.id, "price_type_id": w.retail.id,
                                       "valid_from": "2026-02-01", "valid_to": "2026-02-10",
                                       "amount": "1"})
    assert "overlaps" in err.value.errors["valid_from"]
    with pytest.raises(Forbidden):
        w.app.products.set_price(w.mgr, {"item_id": w.router.id,
                                         "price_type_id": w.retail.id,
                                         "valid_from": "2027-01-01", "amount": "1"})


def test_contract_numbers_follow_the_pattern_and_are_never_reused(w):
    kind = next(t for t in w.app.contracts.types(w.d) if t.code == "services")
    first = w.app.contracts.register(w.mgr, w.card.id, {"contract_type_id": kind.id,
                                                        "subject": "Интернет"})
    second = w.app.contracts.register(w.mgr, w.card.id, {"contract_type_id": kind.id})
    assert (first.number, second.number) == ("2026-00001", "2026-00002")
    assert first.draft
    w.app.contracts.delete(w.mgr, second.id)
    third = w.app.contracts.register(w.mgr, w.card.id, {"contract_type_id": kind.id})
    assert third.number == "2026-00003"
    with pytest.raises(Forbidden):
        w.app.contracts.register(w.other, w.card.id, {"contract_type_id": kind.id})
    personal = next(t for t in w.app.contracts.types(w.d) if t.code == "individual")
    with pytest.raises(ValidationFailed) as err:
        w.app.contracts.register(w.mgr, w.card.id, {
            "contract_type_id": personal.id, "attributes": {"passport": "12"}})
    assert err.value.errors == {"attributes.passport": "series and number like 4510 123456"}
    signed = w.app.contracts.register(w.mgr, w.card.id, {
        "contract_type_id": personal.id, "signed_on": "2026-03-01",
        "attributes": {"passport": "4510123456"}})
    assert signed.number == "Ф-2026-0001" and not signed.draft
    assert signed.attributes == {"passport": "4510 123456"}


def test_a_request_runs_through_its_states_and_tells_the_assignee(w):
    request = w.app.requests.create(w.mgr, {"counterparty_id": w.card.id,
                                            "subject": "Подключить офис",
                                            "assignee_id": w.fin})
    assert request.state == "new" and request.request_kind.value == "counterparty"
    told = [m for m in w.storage.stores["messages"].values() if m.recipient_id == w.fin]
    assert told and told[-1].message_kind is MessageKind.NOTIFICATION
    # the assignee works it though they hold no role over the client
    moved = w.app.requests.move(w.fin, request.id, "in_work")
    assert moved.state == "in_work"
    with pytest.raises(ValidationFailed) as err:
        w.app.requests.move(w.fin, request.id, "cancelled")
    assert err.value.errors == {"reason": "required"}
    with pytest.raises(Forbidden):
        w.app.requests.move(w.other, request.id, "done")
    done = w.app.requests.move(w.mgr, request.id, "done")
    assert done.state == "done"
    history = w.app.history.of(w.d, ObjectRef("counterparty", w.card.id))
    assert any(c["field"] == "request" for h in history for c in h.changes)


def test_an_internal_request_is_seen_only_by_its_people(w):
    request = w.app.requests.create(w.mgr, {"subject": "Заправить картридж",
                                            "assignee_id": w.fin})
    assert request.request_kind.value == "internal"
    assert w.app.requests.get(w.fin, request.id).id == request.id
    assert w.app.requests.get(w.d, request.id).id == request.id
    with pytest.raises(Forbidden):
        w.app.requests.get(w.other, request.id)
    document = w.app.documents.upload(w.mgr, "request", request.id, "скан.pdf", PDF)
    assert w.app.documents.download(w.fin, document.id).data == PDF
    with pytest.raises(Forbidden):
        w.app.documents.download(w.other, document.id)


def test_an_invoice_is_priced_from_the_list_and_paid_in_parts(w):
    invoice = w.app.invoices.create(w.mgr, {
        "counterparty_id": w.card.id, "contact_id": w.contact.id,
        "lines": [{"item_id": w.router.id, "quantity": "2"},
                  {"item_id": w.setup.id, "quantity": "1,5", "discount": "250"}]})
    assert [line.price.amount for line in invoice.lines] == [Decimal("5490"),
                                                             Decimal("1500")]
    # 10,980 + 2,250 − 250 = 12,980 with VAT 22% included: 12,980 × 22 / 122
    assert invoice.total == Money(Decimal("12980.00"))
    # VAT 22% inside each line: 10,980 → 1,980.00; 2,000 → 360.66
    assert invoice.vat == Money(Decimal("2340.66"))
    assert invoice.requisites["inn"] == "7707083893"
    assert invoice.contact_name == "Иванов Иван"
    assert invoice.state == "draft"
    assert w.app.invoices.manager_of(w.d, invoice.id) == w.mgr
    with pytest.raises(Conflict):
        w.app.invoices.register_payment(w.mgr, invoice.id, {"amount": "100"})
    w.app.invoices.move(w.mgr, invoice.id, "issued")
    assert w.app.invoices.settlement(w.d, w.card.id).status is SettlementStatus.DEBT
    w.app.invoices.register_payment(w.mgr, invoice.id, {"amount": "5 000"})
    assert w.app.invoices.get(w.d, invoice.id).state == "partly_paid"
    with pytest.raises(Conflict):
        w.app.invoices.update(w.mgr, invoice.id, {"lines": []})
    w.app.invoices.register_payment(w.mgr, invoice.id, {"amount": "7980"})
    paid = w.app.invoices.get(w.d, invoice.id)
    assert paid.state == "paid" and paid.paid == paid.total
    assert w.app.invoices.settlement(w.d, w.card.id).status is SettlementStatus.PAID
    with pytest.raises(Forbidden):
        w.app.invoices.register_payment(w.other, invoice.id, {"amount": "1"})


def test_the_invoice_manager_works_only_their_invoice(w):
    invoice = w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id,
                                            "manager_id": w.fin,
                                            "lines": [{"name": "Услуга", "quantity": 1,
                                                       "price": "1000"}]})
    assert {a.role for a in w.storage.stores["roles"].values()
            if a.employee_id == w.fin} == {Role.INVOICE_MANAGER}
    w.app.invoices.move(w.fin, invoice.id, "issued")
    w.app.invoices.register_payment(w.fin, invoice.id, {"amount": "1000"})
    other = w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id})
    with pytest.raises(Forbidden):
        w.app.invoices.update(w.fin, other.id, {"note": "x"})


def test_a_bad_invoice_names_every_bad_field_and_saves_nothing(w):
    before = dict(w.storage.stores["invoices"])
    with pytest.raises(ValidationFailed) as err:
        w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id, "contact_id": 999,
                                      "lines": [{"item_id": 999, "quantity": 1},
                                                {"name": "", "quantity": "-1",
                                                 "price": "abc"},
                                                {"item_id": w.router.id, "quantity": 1,
                                                 "vat_rate": "18"}]})
    assert {"contact_id", "lines[0].item_id", "lines[1].name", "lines[1].quantity",
            "lines[1].price", "lines[2].vat_rate"} <= set(err.value.errors)
    assert w.storage.stores["invoices"] == before


def test_acts_documents_and_the_client_history(w):
    invoice = w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id, "lines": [
        {"item_id": w.setup.id, "quantity": 2}]})
    act = w.app.invoices.register_act(w.mgr, w.card.id, {"invoice_id": invoice.id})
    assert act.amount == invoice.total and act.number == "1"
    document = w.app.documents.upload(w.mgr, "invoice", invoice.id, "счёт.pdf", PDF)
    assert document.counterparty_id == w.card.id
    assert w.app.documents.download(w.other, document.id).data == PDF
    with pytest.raises(Forbidden):
        w.app.documents.remove(w.other, document.id)
    with pytest.raises(ValidationFailed) as err:
        w.app.documents.upload(w.mgr, "invoice", invoice.id, "a.exe", b"MZ\x90\x00")
    assert "file" in err.value.errors
    fields = [c["field"] for h in w.app.history.of(w.d, ObjectRef("counterparty", w.card.id))
              for c in h.changes]
    assert {"invoice", "act", "document"} <= set(fields)


def test_a_promotion_interrupts_the_price_which_then_resumes(w):
    w.app.products.set_price(w.d, {"item_id": w.router.id, "price_type_id": w.retail.id,
                                   "valid_from": "2026-04-01", "valid_to": "2026-04-11",
                                   "amount": "3990"})
    on = {day: w.app.products.price_on(w.d, w.router.id, w.retail.id, day).amount.amount
          for day in ("2026-03-31", "2026-04-01", "2026-04-10", "2026-04-11", "2027-01-01")}
    assert on == {"2026-03-31": Decimal("5490"), "2026-04-01": Decimal("3990"),
                  "2026-04-10": Decimal("3990"), "2026-04-11": Decimal("5490"),
                  "2027-01-01": Decimal("5490")}


def test_a_partly_paid_invoice_whose_payment_is_removed_can_go_back_to_issued(w):
    invoice = w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id, "lines": [
        {"item_id": w.setup.id, "quantity": 2}]})
    w.app.invoices.move(w.mgr, invoice.id, "issued")
    payment = w.app.invoices.register_payment(w.mgr, invoice.id, {"amount": "100"})
    with pytest.raises(ValidationFailed):  # paid in part: not unpaid
        w.app.invoices.move(w.mgr, invoice.id, "issued")
    w.app.invoices.delete_payment(w.mgr, payment.id)
    assert w.app.invoices.get(w.d, invoice.id).state == "partly_paid"
    assert w.app.invoices.move(w.mgr, invoice.id, "issued").state == "issued"
    assert w.app.invoices.settlement(w.d, w.card.id).status is SettlementStatus.DEBT


def test_a_request_cannot_hang_on_another_clients_invoice(w):
    """Review H2: an invoice of client X with a contract (or the name) of client Y."""
    catalog = w.app.catalogs.create(w.d, {"name": "Другие"})
    other = w.app.counterparties.register(w.d, {"catalog_id": catalog.id,
                                                "type": "legal_entity", "name": "Бета"})
    w.app.access.grant(w.d, w.other, "client_manager", other.ref)
    kind = next(t for t in w.app.contracts.types(w.d) if t.code == "services")
    theirs = w.app.contracts.register(w.other, other.id, {"contract_type_id": kind.id})
    invoice = w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id})
    before = dict(w.storage.stores["requests"])
    with pytest.raises(ValidationFailed) as err:
        w.app.requests.create(w.other, {"invoice_id": invoice.id, "contract_id": theirs.id,
                                        "counterparty_id": other.id, "subject": "x"})
    assert set(err.value.errors) == {"invoice_id"}
    with pytest.raises(ValidationFailed) as err:
        w.app.requests.create(w.other, {"invoice_id": invoice.id, "contract_id": theirs.id,
                                        "subject": "x"})
    assert set(err.value.errors) == {"contract_id"}
    with pytest.raises(Forbidden):
        w.app.requests.create(w.other, {"invoice_id": invoice.id, "subject": "x"})
    assert w.storage.stores["requests"] == before


def test_a_mistaken_payment_of_a_paid_invoice_can_be_removed(w):
    """Review H1: a typo payment that covers the invoice moves it to «Оплачен»; removing
    it must be possible, and the invoice then goes back by hand."""
    invoice = w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id, "lines": [
        {"name": "Услуга", "quantity": 1, "price": "100"}]})
    w.app.invoices.move(w.mgr, invoice.id, "issued")
    typo = w.app.invoices.register_payment(w.mgr, invoice.id, {"amount": "100000"})
    assert w.app.invoices.get(w.d, invoice.id).state == "paid"
    assert w.app.invoices.settlement(w.d, w.card.id).status is SettlementStatus.PREPAID
    w.app.invoices.delete_payment(w.mgr, typo.id)
    assert w.app.invoices.settlement(w.d, w.card.id).status is SettlementStatus.DEBT
    _set, options = w.app.invoices.options(w.mgr, invoice.id)
    assert {o.target.code for o in options if o.open} == {"issued"}
    assert w.app.invoices.move(w.mgr, invoice.id, "issued").state == "issued"


def test_an_invoice_too_large_for_documents_is_refused_by_the_field(w):
    """Review H3: every line within bounds, the total past them (VAT on top)."""
    huge = {"name": "Поставка", "quantity": 1, "price": "999 999 999 999,99"}
    with pytest.raises(ValidationFailed) as err:
        w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id, "vat_included": False,
                                      "lines": [huge]})
    assert err.value.errors == {"lines": "the invoice's total is too large"}
    invoice = w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id, "lines": [huge]})
    w.app.invoices.move(w.mgr, invoice.id, "issued")
    w.app.invoices.register_payment(w.mgr, invoice.id, {"amount": "999 999 999 999"})
    with pytest.raises(ValidationFailed) as err:
        w.app.invoices.register_payment(w.mgr, invoice.id, {"amount": "5"})
    assert err.value.errors == {"amount": "too large"}


def test_a_removed_documents_file_goes_only_when_nothing_uses_it(w):
    """Review M1: remove() leaves the file; the clean-up removes unused files after a
    grace period, sparing content another document (or a fresh upload) uses."""
    first = w.app.documents.upload(w.mgr, "counterparty", w.card.id, "a.pdf", PDF)
    second = w.app.documents.upload(w.mgr, "counterparty", w.card.id, "b.pdf", PDF)
    w.app.documents.remove(w.mgr, first.id)
    w.clock.advance(days=2)
    assert w.app.documents.collect_garbage() == 0  # b.pdf still uses it
    w.app.documents.remove(w.mgr, second.id)
    assert w.app.documents.collect_garbage() == 1
    assert w.storage.documents.blobs == {}
    w.app.documents.upload(w.mgr, "counterparty", w.card.id, "c.pdf", PDF)
    assert w.app.documents.collect_garbage() == 0


def test_a_download_keeps_the_extension_of_what_the_file_is(w):
    document = w.app.documents.upload(w.mgr, "counterparty", w.card.id, "акт.pdf.exe", PDF)
    assert document.download_name == "акт.pdf.exe.pdf"
    assert w.app.documents.upload(w.mgr, "counterparty", w.card.id, "Акт.PDF",
                                  PDF).download_name == "Акт.PDF"


def test_a_signed_contract_keeps_its_signing_date(w):
    """Review LOW1: clearing the date of a signed contract is refused."""
    kind = next(t for t in w.app.contracts.types(w.d) if t.code == "services")
    signed = w.app.contracts.register(w.mgr, w.card.id, {"contract_type_id": kind.id,
                                                         "signed_on": "2026-03-01"})
    assert not signed.draft
    with pytest.raises(ValidationFailed) as err:
        w.app.contracts.update(w.mgr, signed.id, {"signed_on": ""})
    assert err.value.errors == {"signed_on": "a signed contract needs the date it was signed"}


def test_removing_a_contact_keeps_the_name_frozen_on_invoices(w):
    """Review M2: the invoice loses the link, keeps the name."""
    invoice = w.app.invoices.create(w.mgr, {"counterparty_id": w.card.id,
                                            "contact_id": w.contact.id})
    w.app.counterparties.remove_contact(w.mgr, w.contact.id)
    kept = w.app.invoices.get(w.d, invoice.id)
    assert (kept.contact_id, kept.contact_name) == (None, "Иванов Иван")
