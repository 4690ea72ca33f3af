"""Issue 5's aggregates on the real databases (SQLite and PostgreSQL): every one goes
through the unit of work and comes back equal — state definitions (REQ-4, INV-2),
attribute sets (PRD-1, CON-1), template and invoice lines as JSON (INV-1), Money exact to
the kopeck — and the databases themselves refuse overlapping price ranges (PRD-3), which
the adapter reports as a refusal of ``valid_from``, never as a crash."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import attrs
import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.access.model import Role
from ecrm_core.attributes import AttributeDef, AttributeType
from ecrm_core.documents.model import Document
from ecrm_core.kernel.errors import Conflict, ValidationFailed
from ecrm_core.money import Money
from ecrm_core.products.model import (
    ClientType,
    Item,
    ItemGroup,
    ItemKind,
    Price,
    PriceType,
    ServiceKind,
    TemplateLine,
)
from ecrm_core.sales.model import (
    Act,
    Contract,
    ContractType,
    Invoice,
    Line,
    Payment,
    Request,
    RequestKind,
    Settlement,
)
from ecrm_core.workflow.model import (
    AmountLimit,
    ConditionHolds,
    EmailClient,
    LinkedInState,
    NotifyEmployees,
    PlanPayment,
    PlanTask,
    Recipient,
    RequiredFields,
    StateDef,
    StateSet,
    TransitionDef,
)
from tests.conftest import found, make_system
from tests.integration.plans import captured, plan_of

AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
BIG = Money(Decimal("999999999999.99"))


@pytest.fixture
def world(database_url, tmp_path):
    system = make_system(database_url, tmp_path)
    director = found(system)
    catalog = system.app.catalogs.create(director.id, {"name": "Клиенты"})
    card = system.app.counterparties.register(director.id, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа",
        "inn": "7707083893"})
    yield system, director, card
    system.close()


def fields_of(obj) -> dict:
    return {k: v for k, v in attrs.asdict(obj, recurse=False).items() if k != "events"}


def stored(system, repo: str, obj):
    """``obj`` added in one unit of work, read back in another."""
    with system.app.uow_factory() as uow:
        getattr(uow, repo).add(obj)
        uow.commit()
    with system.app.uow_factory(readonly=True) as uow:
        return getattr(uow, repo).get(obj.id)


def round_trip(system, repo: str, obj):
    expected = fields_of(obj)
    back = stored(system, repo, obj)
    assert back is not None and back is not obj
    assert fields_of(back) == {**expected, "id": obj.id, "version": 1}
    return back


def test_a_state_set_keeps_its_whole_definition(world):
    system, _director, _card = world
    states = (
        StateDef("new", "Новая", 10, initial=True, colour="#1e88e5", norm_hours=24,
                 on_enter=(PlanTask("call", 4, "Связаться с клиентом"),
                           NotifyEmployees(Recipient.ROLE, "Новая заявка",
                                           Role.CLIENT_MANAGER),
                           EmailClient("request_received"))),
        StateDef("work", "В работе", 20,
                 on_enter=(PlanPayment("total", Decimal("50.5"), 10),)),
        StateDef("done", "Выполнена", 30, final=True),
    )
    transitions = (
        TransitionDef("new", "work", "Взять", roles=frozenset({Role.CLIENT_MANAGER}),
                      guards=(RequiredFields(("service_kind_id", "conditions.ip")),
                              LinkedInState("contract", frozenset({"signed", "active"})),
                              AmountLimit("total", Decimal("100000.50"),
                                          frozenset({Role.DIRECTOR})))),
        TransitionDef("work", "done", "Готово", automatic=True,
                      guards=(ConditionHolds("paid_in_full"),)),
        TransitionDef("work", "new", "Вернуть", reason_required=True),
    )
    back = round_trip(system, "state_sets", StateSet(
        code="deal:long_sale", name="Длинная сделка", states=states, transitions=transitions))
    assert back.states == states and back.transitions == transitions
    assert back.initial.on_enter[1].role is Role.CLIENT_MANAGER
    # the default sets a founded company has read back the same
    with system.app.uow_factory(readonly=True) as uow:
        assert {"request", "invoice", "order", "deal:long_sale"} <= {
            s.code for s in uow.state_sets.list()}
        assert uow.state_sets.first(code="invoice").initial.code == "draft"


def test_goods_service_kinds_and_prices_round_trip(world):
    system, _director, _card = world
    group = round_trip(system, "item_groups", ItemGroup(name="Оборудование"))
    child = round_trip(system, "item_groups", ItemGroup(name="Роутеры", parent_id=group.id))
    item = round_trip(system, "items", Item(
        name="Маршрутизатор", item_kind=ItemKind.SERVICE, group_id=child.id, unit="Мбит/с",
        vat_rate="10", article="RT-1", description="Описание", active=False))
    assert item.item_kind is ItemKind.SERVICE
    kind = round_trip(system, "service_kinds", ServiceKind(
        code="internet", name="Интернет", item_id=item.id,
        template=(TemplateLine(item.id, Decimal("2.5")), TemplateLine(item.id)),
        conditions=(AttributeDef("ip", "IP-адрес", AttributeType.IP_ADDRESS, True),
                    AttributeDef("speed", "Скорость", AttributeType.CHOICE,
                                 choices=("50", "100"))),
        card=(AttributeDef("contract_no", "№ договора"),),
        attributes={"contract_no": "A-1", "вложено": {"x": [1, 2]}}))
    assert kind.template[0].quantity == Decimal("2.5")
    assert kind.conditions[1].choices == ("50", "100")
    wholesale = round_trip(system, "price_types", PriceType(code="vip", name="VIP",
                                                            vat_included=False))
    round_trip(system, "client_types", ClientType(code="vip", name="VIP",
                                                  price_type_id=wholesale.id))
    price = round_trip(system, "prices", Price(
        item_id=item.id, price_type_id=wholesale.id, valid_from=date(2026, 1, 1),
        valid_to=date(2026, 3, 1), amount=BIG))
    assert price.amount == BIG and price.amount.amount == Decimal("999999999999.99")
    cheap = round_trip(system, "prices", Price(
        item_id=item.id, price_type_id=wholesale.id, valid_from=date(2026, 3, 1),
        amount=Money(Decimal("0.01"))))
    assert cheap.valid_to is None and cheap.amount == Money(Decimal("0.01"))


def test_sales_documents_round_trip(world):
    system, director, card = world
    with system.app.uow_factory(readonly=True) as uow:
        retail = uow.price_types.first(code="retail")
    kind = round_trip(system, "contract_types", ContractType(
        code="lease", name="Аренда", number_pattern="А-{year}/{seq:03d}",
        attributes=(AttributeDef("passport", "Паспорт", AttributeType.PASSPORT, True),)))
    document = round_trip(system, "documents", Document(
        owner_kind="counterparty", owner_id=card.id, counterparty_id=card.id,
        filename="договор.pdf", content_type="application/pdf", size=123,
        key="ab" * 32, note="скан", uploaded_at=AT, uploaded_by=director.id))
    contract = round_trip(system, "contracts", Contract(
        counterparty_id=card.id, contract_type_id=kind.id, number="А-2026/001",
        subject="Аренда", signed_on=date(2026, 3, 1), draft=False,
        attributes={"passport": "4510 123456"}, document_id=document.id, created_at=AT,
        created_by=director.id))
    assert contract.created_at == AT
    lines = (
        Line("Маршрутизатор", Decimal("2"), Money(Decimal("5490.00")), "шт", "22"),
        Line("Настройка", Decimal("1.5"), Money(Decimal("1500")), "ч", "none",
             discount=Money(Decimal("250.55")), item_id=None),
        Line("Кабель", Decimal("0.001"), BIG, "м", "0", item_id=None),
    )
    invoice = Invoice(number="42", issued_on=date(2026, 3, 2), counterparty_id=card.id,
                      author_id=director.id, contract_id=contract.id,
                      price_type_id=retail.id, vat_included=False, lines=lines,
                      paid=Money(Decimal("100.10")), state="issued", state_entered_at=AT,
                      requisites={"inn": "7707083893", "name": "Альфа"},
                      contact_name="Иванов", due_on=date(2026, 3, 12), note="Срочно",
                      created_at=AT)
    invoice.lines = lines[:2]
    invoice.recount()
    back = round_trip(system, "invoices", invoice)
    assert back.lines == lines[:2] and back.lines[1].discount == Money(Decimal("250.55"))
    assert back.total == invoice.total and back.vat == invoice.vat
    assert back.totals() == invoice.totals()
    request = round_trip(system, "requests", Request(
        request_kind=RequestKind.INVOICE, subject="Подключить", author_id=director.id,
        assignee_id=director.id, state="new", state_entered_at=AT,
        conditions={"ip": "10.0.0.1"}, counterparty_id=card.id, contract_id=contract.id,
        invoice_id=invoice.id, description="…", due_on=date(2026, 3, 5), created_at=AT))
    assert request.request_kind is RequestKind.INVOICE
    round_trip(system, "payments", Payment(
        invoice_id=invoice.id, counterparty_id=card.id, amount=Money(Decimal("-0.01")),
        paid_on=date(2026, 3, 3), contract_id=contract.id, planned=True, reference="п/п 7",
        note="", created_at=AT, created_by=director.id))
    round_trip(system, "acts", Act(
        number="1", counterparty_id=card.id, act_on=date(2026, 3, 4), amount=BIG,
        contract_id=contract.id, invoice_id=invoice.id, note="", created_at=AT,
        created_by=director.id))
    settlement = round_trip(system, "settlements", Settlement(
        counterparty_id=card.id, invoiced=invoice.total, paid=Money(Decimal("100.10"))))
    assert settlement.status.value == "debt"


def test_a_big_invoice_keeps_every_kopeck(world):
    """The largest sum and a line of it survive both databases exactly (SQLite keeps a
    NUMERIC as a double: 14 significant digits come back at two places)."""
    system, director, card = world
    line = Line("Всё", Decimal("1"), BIG, vat_rate="none")
    invoice = Invoice(number="big", issued_on=date(2026, 3, 2), counterparty_id=card.id,
                      author_id=director.id, lines=(line,), state="draft")
    invoice.recount()
    back = stored(system, "invoices", invoice)
    assert back.total == BIG and back.lines == (line,)
    with system.engine.connect() as conn:
        total = conn.execute(select(t.invoices.c.total)).scalar_one()
    assert total == BIG


def test_the_company_requisites_and_a_client_type_on_the_card(world):
    system, director, card = world
    requisites = {"inn": "7707083893", "director": "Петров И. С."}
    with system.app.uow_factory() as uow:
        company = uow.company.first()
        assert company.requisites == {}
        company.apply_changes({"requisites": requisites})
        client = uow.counterparties.get(card.id)
        client.client_type_id = uow.client_types.first(code="partner").id
        uow.commit()
    with system.app.uow_factory(readonly=True) as uow:
        assert uow.company.first().requisites == requisites
        partner = uow.client_types.get(uow.counterparties.get(card.id).client_type_id)
        assert partner.code == "partner"
        assert uow.counterparties.count(client_type_id=partner.id) == 1


def _price_row(item_id: int, type_id: int, start: date, end: date | None) -> dict:
    return {"item_id": item_id, "price_type_id": type_id, "valid_from": start,
            "valid_to": end, "amount": Money(Decimal("10"))}


def test_the_database_itself_refuses_overlapping_prices(world):
    """PRD-3 in the database: rows written straight through SQLAlchemy Core, past the
    core's check, are refused on overlap (PostgreSQL: exclusion constraint; SQLite:
    triggers); touching ranges and other items or types are fine."""
    system, director, _card = world
    app = system.app
    d = director.id
    item = app.products.save_item(d, {"name": "Товар"})
    other = app.products.save_item(d, {"name": "Другой"})
    types = {p.code: p.id for p in app.products.price_types(d)}
    retail, wholesale = types["retail"], types["wholesale"]
    ok = [_price_row(item.id, retail, date(2026, 1, 1), date(2026, 2, 1)),
          _price_row(item.id, retail, date(2026, 2, 1), date(2026, 3, 1)),  # touches
          _price_row(item.id, retail, date(2026, 5, 1), None),
          _price_row(item.id, wholesale, date(2026, 1, 15), None),
          _price_row(other.id, retail, date(2026, 1, 15), None)]
    with system.engine.begin() as conn:
        for row in ok:
            conn.execute(insert(t.prices).values(**row))
    overlapping = [
        (date(2026, 1, 15), date(2026, 1, 20)),  # inside
        (date(2025, 12, 1), date(2026, 1, 2)),   # over the start
        (date(2026, 2, 28), None),               # open end over two ranges
        (date(2026, 6, 1), date(2026, 7, 1)),    # inside the open-ended one
        (date(2026, 4, 1), None),                # open end over the open-ended one
        (date(2026, 1, 1), date(2026, 2, 1)),    # the same range
    ]
    for start, end in overlapping:
        with pytest.raises(IntegrityError), system.engine.begin() as conn:
            conn.execute(insert(t.prices).values(**_price_row(item.id, retail, start, end)))
    # an UPDATE that stretches a range over its neighbour is refused too
    with pytest.raises(IntegrityError), system.engine.begin() as conn:
        conn.execute(update(t.prices).where(t.prices.c.valid_from == date(2026, 1, 1))
                     .values(valid_to=date(2026, 2, 2)))
    # an empty or reversed range is refused by the check constraint
    with pytest.raises(IntegrityError), system.engine.begin() as conn:
        conn.execute(insert(t.prices).values(**_price_row(
            item.id, retail, date(2026, 3, 10), date(2026, 3, 10))))
    with system.engine.connect() as conn:
        assert len(conn.execute(select(t.prices.c.id)).all()) == len(ok)


def test_an_overlap_reaching_the_adapter_is_a_refusal_of_valid_from(world):
    """Past the core's check (a price added straight to the repository), the database's
    refusal surfaces as ValidationFailed on ``valid_from`` — what the form shows — and
    the unit of work is left clean."""
    system, director, _card = world
    app = system.app
    d = director.id
    item = app.products.save_item(d, {"name": "Товар"})
    retail = next(p.id for p in app.products.price_types(d) if p.code == "retail")
    app.products.set_price(d, {"item_id": item.id, "price_type_id": retail,
                               "valid_from": "2026-01-01", "amount": "100"})
    for start, end in ((date(2026, 2, 1), date(2026, 3, 1)), (date(2026, 1, 1), None)):
        with pytest.raises(ValidationFailed) as err, app.uow_factory() as uow:
            uow.prices.add(Price(item_id=item.id, price_type_id=retail, valid_from=start,
                                 valid_to=end, amount=Money(Decimal("1"))))
            uow.commit()
        assert set(err.value.errors) == {"valid_from"}
    with pytest.raises(ValidationFailed) as err, app.uow_factory() as uow:
        uow.prices.add(Price(item_id=item.id, price_type_id=retail,
                             valid_from=date(2025, 1, 2), valid_to=date(2025, 1, 1)))
        uow.commit()
    assert set(err.value.errors) == {"valid_to"}
    # the service's own path still works afterwards: a new price closes the open one
    app.products.set_price(d, {"item_id": item.id, "price_type_id": retail,
                               "valid_from": "2026-04-01", "amount": "120"})
    assert [(p.valid_from, p.valid_to) for p in app.products.prices(d, item.id)] == [
        (date(2026, 1, 1), date(2026, 4, 1)), (date(2026, 4, 1), None)]


def test_unique_numbers_and_one_settlement_a_client(world):
    """A second contract with a taken number, or a second settlement row of a client,
    is a Conflict (the unique constraints), not a crash."""
    system, director, card = world
    with system.app.uow_factory(readonly=True) as uow:
        kind = uow.contract_types.first(code="services")
    stored(system, "contracts", Contract(counterparty_id=card.id, contract_type_id=kind.id,
                                         number="7"))
    with pytest.raises(Conflict), system.app.uow_factory() as uow:
        uow.contracts.add(Contract(counterparty_id=card.id, contract_type_id=kind.id,
                                   number="7"))
        uow.commit()
    stored(system, "settlements", Settlement(counterparty_id=card.id))
    with pytest.raises(Conflict), system.app.uow_factory() as uow:
        uow.settlements.add(Settlement(counterparty_id=card.id))
        uow.commit()


def test_the_price_on_a_day_is_one_index_range_read(world):
    """PRD-3 at scale: ``price_for`` asks for the latest start on or before the day; the
    plan is a (backward) range of ``uq_prices_item_type_from``, with no sort."""
    from ecrm_core.products.services import price_for

    system, director, _card = world
    app = system.app
    item = app.products.save_item(director.id, {"name": "Товар"})
    retail = next(p.id for p in app.products.price_types(director.id) if p.code == "retail")
    for month in range(1, 13):
        app.products.set_price(director.id, {"item_id": item.id, "price_type_id": retail,
                                             "valid_from": f"2026-{month:02d}-01",
                                             "amount": str(month)})
    with captured(system.engine, lambda s: "FROM prices" in s) as seen, \
            app.uow_factory(readonly=True) as uow:
        found_ = price_for(uow, item.id, retail, date(2026, 6, 15))
    assert found_.amount == Money(Decimal(6))
    [(statement, parameters)] = seen
    plan = plan_of(system, statement, parameters)
    if system.settings.is_sqlite:
        assert "USING INDEX uq_prices_item_type_from" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert "Index Scan Backward using uq_prices_item_type_from" in plan, plan
        assert "Sort" not in plan, plan


def test_the_prices_of_an_invoices_items_are_one_index_probe_an_item(world):
    """``prices_for`` (an invoice's lines) takes, in one statement, each item's latest
    range starting on or before the day (``first_per``): a probe of
    ``uq_prices_item_type_from`` an item, no sort — not every range of every item.
    Items whose price ended before the day, or starts after it, have none."""
    from ecrm_core.products.services import prices_for

    system, director, _card = world
    app = system.app
    retail = next(p.id for p in app.products.price_types(director.id) if p.code == "retail")
    items = [app.products.save_item(director.id, {"name": f"Товар {k}"}).id for k in range(5)]
    for k, item in enumerate(items[:3]):
        for month in range(1, 7):
            # item 2's June price is a promotion: May's price resumes from July
            app.products.set_price(director.id, {
                "item_id": item, "price_type_id": retail, "valid_from": f"2026-{month:02d}-01",
                "valid_to": "2026-07-01" if (k == 2 and month == 6) else "",
                "amount": str(100 * k + month)})
    app.products.set_price(director.id, {"item_id": items[3], "price_type_id": retail,
                                         "valid_from": "2026-09-01", "amount": "9"})
    app.products.set_price(director.id, {"item_id": items[4], "price_type_id": retail,
                                         "valid_from": "2026-01-01", "valid_to": "2026-02-01",
                                         "amount": "1"})
    with captured(system.engine, lambda s: "FROM prices" in s) as seen, \
            app.uow_factory(readonly=True) as uow:
        found_ = prices_for(uow, items, retail, date(2026, 8, 15))
        earlier = prices_for(uow, items, retail, date(2026, 3, 31))
    assert {i: p.amount for i, p in found_.items()} == {
        items[0]: Money(Decimal(6)), items[1]: Money(Decimal(106)),
        items[2]: Money(Decimal(205))}
    assert {i: p.amount for i, p in earlier.items()} == {
        items[0]: Money(Decimal(3)), items[1]: Money(Decimal(103)),
        items[2]: Money(Decimal(203))}
    with app.uow_factory(readonly=True) as uow:
        assert prices_for(uow, items[4:], retail, date(2026, 1, 31))[items[4]].amount == \
            Money(Decimal(1))
    assert len(seen) == 2, "one statement a call"
    plan = plan_of(system, *seen[0])
    if system.settings.is_sqlite:
        # the index alone (the row id is in it), then each price by its id
        assert "COVERING INDEX uq_prices_item_type_from" in plan, plan
        assert "TEMP B-TREE" not in plan, plan
    else:
        assert "Index Scan Backward using uq_prices_item_type_from" in plan, plan
        assert " Sort " not in f" {plan} ", plan


def test_first_per_with_no_values_repeated_values_and_no_match(world):
    system, director, _card = world
    app = system.app
    retail = next(p.id for p in app.products.price_types(director.id) if p.code == "retail")
    item = app.products.save_item(director.id, {"name": "Товар"}).id
    app.products.set_price(director.id, {"item_id": item, "price_type_id": retail,
                                         "valid_from": "2026-01-01", "amount": "5"})
    with app.uow_factory(readonly=True) as uow:
        assert uow.prices.first_per("item_id", [], order_by=("-valid_from",)) == {}
        found = uow.prices.first_per("item_id", [item, item, item + 1000],
                                     order_by=("-valid_from",), price_type_id=retail)
        assert list(found) == [item] and found[item].amount == Money(Decimal(5))
        assert uow.prices.first_per("item_id", [item], order_by=("-valid_from",),
                                    price_type_id=retail + 1000) == {}
