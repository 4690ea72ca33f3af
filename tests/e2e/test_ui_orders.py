"""The users' pages of customer orders (ORD-1…ORD-3) through the Flask test client.

The acceptance journey: the Director adds an approval route of three steps (a named
lawyer, Sales management, the Director) in the reference book; the client's manager makes
an order on the client's card with lines priced from the price list (the package, the
equipment, the works), opens its printable connection estimate and submits it along the
route; the lawyer — opening the system message, which links to the order — approves; Sales
management refuses in the middle without a reason (refused: the reason is required) and
then with one, which the author sees on the order and in their messages; the author
changes the order and submits it again; the three approve (one answering in their
messages), the order is approved and moved to connection; its billing hand-off shows,
refused by the billing system with its error, is handed off again and accepted.

Rights: a colleague without a role sees the order but every change (the form, submit,
decide, move, hand off again, edit, delete, the routes book) is 403 and leaves the
database as it was; the pages render in Russian and English."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.orders.ports import BillingRejected
from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD, make_system
from tests.e2e.conftest import PASSWORD, page_text, sign_in
from tests.fakes import FakeBilling

#: Tables a refused request must leave as they were.
TABLES = ("orders", "approval_routes", "approval_rounds", "billing_handoffs", "history",
          "messages", "outbox", "number_sequences")
DAY = "2026-03-02"


@pytest.fixture
def billing():
    return FakeBilling()


@pytest.fixture
def system(sqlite_url, tmp_path, billing):
    """The system with a billing system in memory (the tests deliver the hand-offs as the
    queue's actor would)."""
    made = make_system(sqlite_url, tmp_path, billing=billing)
    yield made
    made.close()


@pytest.fixture
def shop(system, world):
    """A client «Альфа» (the clerk its client manager) with a signed contract; a service
    package, a router and mounting works with retail prices; a lawyer and a head of sales
    (Sales management on the Company) to approve estimates."""
    app = system.app
    d = world["director"].id

    def person(login: str, name: str):
        return app.org.add_employee(d, {"login": login, "password": PASSWORD,
                                        "full_name": name})

    lawyer = person("lawyer", "Юристов Юрий")
    boss = person("boss", "Продажин Пётр")
    app.access.grant(d, boss.id, "sales_management", app.org.company().ref)
    catalog = app.catalogs.create(d, {"name": "Клиенты"})
    card = app.counterparties.register(d, {
        "catalog_id": catalog.id, "type": "legal_entity", "name": "Альфа",
        "full_name": "ООО «Альфа»", "inn": "7707083893", "kpp": "773601001"})
    app.access.grant(d, world["clerk"].id, "client_manager", card.ref)
    kind = next(t for t in app.contracts.types(d) if t.code == "services")
    contract = app.contracts.register(d, card.id, {"contract_type_id": kind.id,
                                                   "signed_on": "2026-02-20"})
    retail = next(t for t in app.products.price_types(d) if t.code == "retail")
    package = app.products.save_item(d, {"name": "Интернет 100 Мбит/с", "item_kind": "service",
                                         "unit": "мес"})
    router = app.products.save_item(d, {"name": "Маршрутизатор", "unit": "шт"})
    mount = app.products.save_item(d, {"name": "Монтаж", "item_kind": "work", "unit": "ч"})
    for item, amount in ((package, "1 200"), (router, "5 490"), (mount, "1 500")):
        app.products.set_price(d, {"item_id": item.id, "price_type_id": retail.id,
                                   "valid_from": "2026-01-01", "amount": amount})
    return SimpleNamespace(app=app, d=d, world=world, lawyer=lawyer, boss=boss, card=card,
                           contract=contract, package=package, router=router, mount=mount,
                           clerk=world["clerk"], other=world["other"])


@pytest.fixture
def as_manager(ui_app, shop):
    return sign_in(ui_app, "clerk", PASSWORD)


@pytest.fixture
def as_boss(ui_app, shop):
    return sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)


def state(system) -> dict[str, list]:
    out = {}
    with system.engine.connect() as conn:
        for name in TABLES:
            out[name] = [tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))]
    return out


def plain(response) -> str:
    """The page's text with every kind of space a plain one (money is grouped by a
    no-break space in Russian)."""
    return re.sub(r"\s+", " ", page_text(response).replace("\u00a0", " ").replace(
        "\u202f", " "))


def made_id(response, path: str) -> int:
    assert response.status_code == 303, plain(response)[:3000]
    found = re.search(rf"/{path}/(\d+)$", response.headers["Location"])
    assert found, response.headers["Location"]
    return int(found[1])


def order_form(shop, **extra) -> dict[str, str]:
    """One line per part: the package, two routers, one and a half hours of mounting —
    prices left empty (taken from the price list)."""
    return {"ordered_on": DAY, "contract_id": str(shop.contract.id),
            "package-0-item_id": str(shop.package.id), "package-0-quantity": "1",
            "equipment-0-item_id": str(shop.router.id), "equipment-0-quantity": "2",
            "work-0-item_id": str(shop.mount.id), "work-0-quantity": "1,5",
            "equipment-1-name": "", "work-1-name": "", "note": "", **extra}


def make_route(client, shop) -> int:
    response = client.post("/admin/approval-routes", data={
        "name": "Подключение офиса", "active": "1",
        "steps-0-who": f"employee:{shop.lawyer.id}", "steps-1-who": "role:sales_management",
        "steps-2-who": "role:director", "steps-3-who": ""})
    assert response.status_code == 303, plain(response)[:3000]
    return next(r.id for r in shop.app.orders.routes(shop.d) if r.name == "Подключение офиса")


def version_of(shop, order_id: int) -> str:
    return str(shop.app.orders.get(shop.d, order_id).version)


def decide(ui_app, login: str, password: str, order_id: int, answer: str, reason: str = ""):
    client = sign_in(ui_app, login, password)
    return client.post(f"/orders/{order_id}/decide", data={"answer": answer, "reason": reason})


def pending_message(shop, employee_id: int):
    from ecrm_core.messages.model import ConfirmationState

    found = [m for m in shop.app.messages.inbox(employee_id)
             if m.state is ConfirmationState.PENDING]
    assert found, "no confirmation request"
    return found[0]


# -- the acceptance journey (ORD-1…ORD-3) ------------------------------------------------------


def test_the_order_journey_through_the_ui(ui_app, system, shop, as_manager, as_boss,
                                          billing):
    route_id = make_route(as_boss, shop)
    routes_page = plain(as_boss.get("/admin/approval-routes"))
    assert "Подключение офиса" in routes_page
    assert "Юристов Юрий" in routes_page and "Роль: Управление продажами" in routes_page

    # ORD-1: the order from the client's card, priced from the price list
    tab = as_manager.get(f"/counterparties/{shop.card.id}/orders")
    assert tab.status_code == 200 and 'id="add-order"' in tab.get_data(as_text=True)
    form = as_manager.get(f"/counterparties/{shop.card.id}/orders/new")
    html = form.get_data(as_text=True)
    for part in ("package", "equipment", "work"):
        assert f'id="lines-{part}"' in html and f'name="{part}-0-item_id"' in html
    assert "/sales/items" in html and "orders.js" in html  # the item picker
    order_id = made_id(as_manager.post(f"/counterparties/{shop.card.id}/orders/new",
                                       data=order_form(shop)), "orders")
    page = plain(as_manager.get(f"/orders/{order_id}"))
    assert "Заказ № З-1" in page and "Черновик" in page
    # one-time: 2 × 5 490 + 1,5 × 1 500 = 13 230; monthly: 1 200 (VAT 22 % included)
    assert "13 230,00" in page and "1 200,00" in page
    assert "Маршрутизатор" in page and "Монтаж" in page and "Интернет 100 Мбит/с" in page
    estimate = as_manager.get(f"/orders/{order_id}/estimate")
    assert estimate.status_code == 200
    assert "Смета на подключение" in plain(estimate) and "13 230,00" in plain(estimate)
    assert "Тринадцать тысяч двести тридцать рублей" in plain(estimate)
    listed = plain(as_manager.get(f"/counterparties/{shop.card.id}/orders"))
    assert "З-1" in listed and "13 230,00" in listed

    # ORD-2: submitted along the route; the lawyer is asked by a system message that
    # links to the order
    response = as_manager.post(f"/orders/{order_id}/submit", data={
        "route_id": str(route_id), "version": version_of(shop, order_id)})
    assert response.status_code == 303, plain(response)[:2000]
    page = plain(as_manager.get(f"/orders/{order_id}"))
    assert "На согласовании" in page and "ожидает ответа" in page and "Юристов Юрий" in page
    assert 'id="approve-estimate"' not in as_manager.get(f"/orders/{order_id}").get_data(
        as_text=True)
    request = pending_message(shop, shop.lawyer.id)
    lawyer = sign_in(ui_app, "lawyer", PASSWORD)
    message = lawyer.get(f"/me/messages/{request.id}").get_data(as_text=True)
    assert f'href="/orders/{order_id}"' in message and "Заказ № З-1" in message
    assert 'id="approve-estimate"' in lawyer.get(f"/orders/{order_id}").get_data(as_text=True)
    assert lawyer.post(f"/orders/{order_id}/decide", data={"answer": "approve"}
                       ).status_code == 303

    # a refusal in the middle: a reason is required, then given
    before = state(system)
    refused = decide(ui_app, "boss", PASSWORD, order_id, "refuse", "  ")
    assert refused.status_code == 422 and "обязательное поле" in plain(refused)
    assert state(system) == before
    assert decide(ui_app, "boss", PASSWORD, order_id, "refuse",
                  "Монтаж дороже нормы").status_code == 303
    page = plain(as_manager.get(f"/orders/{order_id}"))
    assert "Черновик" in page and "Смета не согласована" in page
    assert "Монтаж дороже нормы" in page and "Продажин Пётр" in page
    told = [m.text for m in shop.app.messages.inbox(shop.clerk.id)]
    assert any("Монтаж дороже нормы" in t for t in told)

    # the author changes the order (an hour of mounting) and submits it again
    data = order_form(shop, **{"work-0-quantity": "1", "version": version_of(shop, order_id)})
    assert as_manager.post(f"/orders/{order_id}/edit", data=data).status_code == 303
    assert "12 480,00" in plain(as_manager.get(f"/orders/{order_id}"))
    assert as_manager.post(f"/orders/{order_id}/submit", data={
        "route_id": str(route_id), "version": version_of(shop, order_id)}).status_code == 303

    # the lawyer answers in their messages this time; Sales management and the Director on
    # the order's page
    request = pending_message(shop, shop.lawyer.id)
    assert lawyer.post(f"/me/messages/{request.id}/answer",
                       data={"answer": "confirm"}).status_code == 303
    assert decide(ui_app, "boss", PASSWORD, order_id, "approve").status_code == 303
    assert as_boss.post(f"/orders/{order_id}/decide", data={"answer": "approve"}
                        ).status_code == 303
    page = plain(as_manager.get(f"/orders/{order_id}"))
    assert "Согласован" in page and "Раунд 2" in page and "Раунд 1" in page
    assert any("смета согласована" in m.text for m in shop.app.messages.inbox(shop.clerk.id))

    # ORD-3: to connection; the hand-off shows, is refused, handed off again and accepted
    response = as_manager.post(f"/orders/{order_id}/move", data={
        "to_state": "connection", "version": version_of(shop, order_id)})
    assert response.status_code == 303, plain(response)[:2000]
    page = plain(as_manager.get(f"/orders/{order_id}"))
    assert "Подключение" in page and f"ecrm-order-{order_id}-v1" in page
    assert "ожидает приёма" in page
    [handoff] = shop.app.orders.handoffs(shop.d, order_id)
    billing.outcomes.append(BillingRejected("400: неверный ИНН"))
    shop.app.orders.deliver_handoff(handoff.id)
    html = as_manager.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "неверный ИНН" in html and 'id="hand-off-again"' in html
    assert as_manager.post(f"/orders/{order_id}/handoffs").status_code == 303
    newest = shop.app.orders.handoffs(shop.d, order_id)[0]
    assert newest.revision == 2
    shop.app.orders.deliver_handoff(newest.id)
    page = plain(as_manager.get(f"/orders/{order_id}"))
    assert f"ecrm-order-{order_id}-v2" in page and "принят" in page
    assert list(billing.accepted) == [f"ecrm-order-{order_id}-v2"]
    # the order's history tells the whole story
    history = plain(as_manager.get(f"/orders/{order_id}"))
    assert "Отказано" in history and "Согласовано" in history


def test_bad_order_input_is_named_on_its_row_and_nothing_is_saved(ui_app, system, shop,
                                                                  as_manager):
    before = state(system)
    response = as_manager.post(f"/counterparties/{shop.card.id}/orders/new", data=order_form(
        shop, **{"equipment-0-quantity": "0", "work-1-name": "Прокладка кабеля",
                 "ordered_on": "31.02.2026"}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="err-equipment-0-quantity"' in html
    assert 'id="err-work-1-price"' in html  # a free-text line needs its price
    assert 'id="err-ordered_on"' in html
    assert 'value="Прокладка кабеля"' in html  # what was typed stays
    assert state(system) == before
    # an order without a price on its day names the line
    early = as_manager.post(f"/counterparties/{shop.card.id}/orders/new",
                            data=order_form(shop, ordered_on="2025-12-01"))
    assert early.status_code == 422 and 'id="err-package-0-price"' in early.get_data(
        as_text=True)
    assert state(system) == before


def test_more_lines_without_javascript_and_a_free_text_line(shop, as_manager):
    refill = as_manager.post(f"/counterparties/{shop.card.id}/orders/new/refill",
                             data=order_form(shop))
    html = refill.get_data(as_text=True)
    assert refill.status_code == 200 and 'name="package-2-item_id"' in html
    order_id = made_id(as_manager.post(f"/counterparties/{shop.card.id}/orders/new", data={
        "ordered_on": DAY, "work-0-name": "Прокладка кабеля", "work-0-quantity": "10",
        "work-0-unit": "м", "work-0-price": "150", "work-0-vat_rate": "22"}), "orders")
    order = shop.app.orders.get(shop.d, order_id)
    assert [(x.part.value, x.name) for x in order.lines] == [("work", "Прокладка кабеля")]
    edit = as_manager.get(f"/orders/{order_id}/edit").get_data(as_text=True)
    assert 'value="Прокладка кабеля"' in edit and 'name="work-0-price"' in edit


def test_a_colleague_sees_the_order_but_changes_nothing(ui_app, system, shop, as_manager,
                                                        as_boss):
    route_id = make_route(as_boss, shop)
    order_id = made_id(as_manager.post(f"/counterparties/{shop.card.id}/orders/new",
                                       data=order_form(shop)), "orders")
    draft = made_id(as_manager.post(f"/counterparties/{shop.card.id}/orders/new",
                                    data=order_form(shop)), "orders")
    assert as_manager.post(f"/orders/{order_id}/submit", data={
        "route_id": str(route_id)}).status_code == 303
    other = sign_in(ui_app, "other", PASSWORD)
    page = other.get(f"/orders/{order_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for control in ('id="approve-estimate"', 'id="submit-order"', 'id="edit-order"',
                    'id="transitions"'):
        assert control not in html, control
    assert 'id="add-order"' not in other.get(
        f"/counterparties/{shop.card.id}/orders").get_data(as_text=True)
    before = state(system)
    refused = {
        "new form": other.get(f"/counterparties/{shop.card.id}/orders/new"),
        "refill": other.post(f"/counterparties/{shop.card.id}/orders/new/refill", data={}),
        "create": other.post(f"/counterparties/{shop.card.id}/orders/new",
                             data=order_form(shop)),
        "edit form": other.get(f"/orders/{draft}/edit"),
        "edit": other.post(f"/orders/{draft}/edit", data={"note": "x"}),
        "submit": other.post(f"/orders/{draft}/submit", data={"route_id": str(route_id)}),
        "decide": other.post(f"/orders/{order_id}/decide", data={"answer": "approve"}),
        "refuse": other.post(f"/orders/{order_id}/decide", data={"answer": "refuse",
                                                                  "reason": "Нет"}),
        "move": other.post(f"/orders/{order_id}/move", data={"to_state": "cancelled",
                                                              "reason": "Нет"}),
        "hand off again": other.post(f"/orders/{order_id}/handoffs"),
        "delete": other.post(f"/orders/{draft}/delete", data={}),
        "route create": other.post("/admin/approval-routes", data={
            "name": "Свой", "steps-0-who": "role:director"}),
        "route edit form": other.get(f"/admin/approval-routes/{route_id}/edit"),
        "route edit": other.post(f"/admin/approval-routes/{route_id}/edit", data={
            "name": "Чужой", "steps-0-who": "role:director"}),
        "route delete": other.post(f"/admin/approval-routes/{route_id}/delete", data={}),
    }
    for what, response in refused.items():
        assert response.status_code == 403, (what, response.status_code)
    assert state(system) == before
    # the estimate is everyone's to read
    assert other.get(f"/orders/{order_id}/estimate").status_code == 200
    assert other.get("/orders").status_code == 200


def test_the_routes_book_names_bad_steps_and_keeps_a_used_route(ui_app, system, shop,
                                                                 as_boss, as_manager):
    before = state(system)
    response = as_boss.post("/admin/approval-routes", data={"name": "", "active": "1"})
    assert response.status_code == 422
    text_ = plain(response)
    assert "обязательное поле" in text_ and "добавьте хотя бы один шаг" in text_
    assert state(system) == before
    route_id = make_route(as_boss, shop)
    edit = as_boss.get(f"/admin/approval-routes/{route_id}/edit").get_data(as_text=True)
    assert f'value="employee:{shop.lawyer.id}" selected' in edit
    route = shop.app.orders.route(shop.d, route_id)
    # the second step removed, a fourth added
    response = as_boss.post(f"/admin/approval-routes/{route_id}/edit", data={
        "name": "Подключение офиса", "active": "1", "version": str(route.version),
        "steps-0-who": f"employee:{shop.lawyer.id}", "steps-1-who": "role:sales_management",
        "steps-1-remove": "1", "steps-2-who": "role:director",
        "steps-3-who": f"employee:{shop.boss.id}"})
    assert response.status_code == 303, plain(response)[:2000]
    steps = shop.app.orders.route(shop.d, route_id).steps
    assert [(s.role and s.role.value, s.employee_id) for s in steps] == [
        (None, shop.lawyer.id), ("director", None), (None, shop.boss.id)]
    stale = as_boss.post(f"/admin/approval-routes/{route_id}/edit", data={
        "name": "Иначе", "version": str(route.version), "steps-0-who": "role:director"})
    assert stale.status_code == 409
    order_id = made_id(as_manager.post(f"/counterparties/{shop.card.id}/orders/new",
                                       data=order_form(shop)), "orders")
    as_manager.post(f"/orders/{order_id}/submit", data={"route_id": str(route_id)})
    route = shop.app.orders.route(shop.d, route_id)
    kept = as_boss.post(f"/admin/approval-routes/{route_id}/delete",
                        data={"version": str(route.version)})
    assert kept.status_code == 303 and kept.headers["Location"].endswith("/edit")
    assert shop.app.orders.route(shop.d, route_id).name == "Подключение офиса"
    spare = shop.app.orders.save_route(shop.d, {"name": "Запасной",
                                                "steps": [{"role": "director"}]})
    gone = as_boss.post(f"/admin/approval-routes/{spare.id}/delete",
                        data={"version": str(spare.version)})
    assert gone.status_code == 303 and gone.headers["Location"].endswith("/approval-routes")
    assert [r.name for r in shop.app.orders.routes(shop.d, include_inactive=True)] == [
        "Подключение офиса"]


def test_submitting_needs_a_route_and_a_cancel_needs_a_reason(ui_app, system, shop,
                                                              as_manager, as_boss):
    route_id = make_route(as_boss, shop)
    order_id = made_id(as_manager.post(f"/counterparties/{shop.card.id}/orders/new",
                                       data=order_form(shop)), "orders")
    before = state(system)
    response = as_manager.post(f"/orders/{order_id}/submit", data={"route_id": ""})
    assert response.status_code == 422 and 'id="err-route_id"' in response.get_data(
        as_text=True)
    stale = as_manager.post(f"/orders/{order_id}/submit", data={"route_id": str(route_id),
                                                                "version": "99"})
    assert stale.status_code == 409
    cancel = as_manager.post(f"/orders/{order_id}/move", data={
        "to_state": "cancelled", "version": version_of(shop, order_id)})
    assert cancel.status_code == 422
    assert state(system) == before
    assert as_manager.post(f"/orders/{order_id}/move", data={
        "to_state": "cancelled", "reason": "Клиент передумал",
        "version": version_of(shop, order_id)}).status_code == 303
    assert "Отменён" in plain(as_manager.get(f"/orders/{order_id}"))


def test_a_draft_never_submitted_is_deleted(ui_app, system, shop, as_manager):
    order_id = made_id(as_manager.post(f"/counterparties/{shop.card.id}/orders/new",
                                       data=order_form(shop)), "orders")
    page = as_manager.get(f"/orders/{order_id}").get_data(as_text=True)
    assert 'id="delete-order"' in page
    response = as_manager.post(f"/orders/{order_id}/delete", data={
        "version": version_of(shop, order_id),
        "next": f"/counterparties/{shop.card.id}/orders"})
    assert response.status_code == 303
    assert as_manager.get(f"/orders/{order_id}").status_code == 404


def test_the_order_pages_render_in_russian_and_english(ui_app, system, shop, as_manager,
                                                       as_boss):
    route_id = make_route(as_boss, shop)
    order_id = made_id(as_manager.post(f"/counterparties/{shop.card.id}/orders/new",
                                       data=order_form(shop)), "orders")
    as_manager.post(f"/orders/{order_id}/submit", data={"route_id": str(route_id)})
    draft_id = made_id(as_manager.post(f"/counterparties/{shop.card.id}/orders/new",
                                       data=order_form(shop)), "orders")
    pages = {
        f"/orders/{order_id}": ("Согласование сметы", "Approval of the estimate"),
        f"/orders/{order_id}/edit": ("только примечание", "only its note can change"),
        f"/orders/{draft_id}/edit": ("Пакет услуг", "Service package"),
        f"/counterparties/{shop.card.id}/orders": ("Заказы", "Orders"),
        "/orders": ("Заказы", "Orders"),
        "/admin/approval-routes": ("Маршруты согласования", "Approval routes"),
        f"/admin/approval-routes/{route_id}/edit": ("Маршрут согласования", "Approval route"),
    }
    for path, (russian, _english) in pages.items():
        response = as_boss.get(path)
        assert response.status_code == 200, path
        assert russian in plain(response), path
    as_boss.post("/lang", data={"lang": "en"})
    for path, (_russian, english) in pages.items():
        response = as_boss.get(path)
        assert response.status_code == 200, path
        assert english in plain(response), path
    # the printable estimate stays Russian
    assert "Смета на подключение" in plain(as_boss.get(f"/orders/{order_id}/estimate"))


def test_the_message_of_an_order_links_to_it_and_other_subjects_stay_text(shop, as_boss):
    """Only subjects with a page are links; a message about the Company stays text."""
    shop.app.messages.request_confirmation(shop.d, shop.d, "Подтвердите",
                                           subject=shop.app.org.company().ref)
    message = shop.app.messages.inbox(shop.d)[0]
    html = as_boss.get(f"/me/messages/{message.id}").get_data(as_text=True)
    assert 'id="message-subject"' not in html
    shop.app.messages.request_confirmation(shop.d, shop.d, "Посмотрите клиента",
                                           subject=ObjectRef("counterparty", shop.card.id))
    message = shop.app.messages.inbox(shop.d)[0]
    html = as_boss.get(f"/me/messages/{message.id}").get_data(as_text=True)
    assert f'href="/counterparties/{shop.card.id}"' in html


_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ordered_on=_TEXT, item=_TEXT, quantity=_TEXT, price=_TEXT, vat=_TEXT, who=_TEXT,
       reason=_TEXT)
def test_random_text_in_the_order_forms_never_breaks_them(ui_app, system, shop, as_manager,
                                                          as_boss, ordered_on, item,
                                                          quantity, price, vat, who, reason):
    """Whatever is typed, the order form, the route form and the decision answer with the
    form again (422 / 409) or a redirect — never a server error."""
    form = as_manager.post(f"/counterparties/{shop.card.id}/orders/new", data={
        "ordered_on": ordered_on, "equipment-0-item_id": item,
        "equipment-0-quantity": quantity, "equipment-0-price": price,
        "equipment-0-vat_rate": vat, "work-0-name": item})
    assert form.status_code in (303, 422), form.status_code
    route = as_boss.post("/admin/approval-routes", data={"name": reason, "active": "1",
                                                         "steps-0-who": who})
    assert route.status_code in (303, 422), route.status_code
    order = shop.app.orders.orders(shop.d).rows
    if order:
        answer = as_boss.post(f"/orders/{order[0].id}/decide", data={
            "answer": who, "reason": reason})
        assert answer.status_code in (303, 403, 409, 422), answer.status_code
