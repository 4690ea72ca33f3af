"""The reference books of sales in the HTML UI (issue 5): the nomenclature with its group
tree, items and dated prices (PRD-3), service kinds with template lines, condition and card
fields (PRD-1, REQ-2), price and client types (PRD-2), contract types with their attribute
sets and number patterns (CON-1), state sets (REQ-4, INV-2) and the company's requisites.

Russian by default, English selectable (UI-5). Every form shows the core's messages per
field, keeps what was typed and saves nothing on error; a stale ``version`` gives the
conflict notice. Everyone signed in reads the books; only the Director and Administrators
edit them (prices also Sales management): anybody else gets 403 and nothing changes."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from werkzeug.datastructures import MultiDict

from ecrm_core.kernel.refs import ObjectRef
from tests.e2e.conftest import PASSWORD, page_text, sign_in

#: The tables the reference books live in, and the history that records their changes.
BOOK_TABLES = ("company", "item_groups", "items", "prices", "service_kinds", "price_types",
               "client_types", "contract_types", "state_sets", "history")


def snapshot(system) -> dict[str, list]:
    out = {}
    with system.engine.connect() as conn:
        for name in BOOK_TABLES:
            out[name] = sorted(map(repr, conn.execute(text(f'SELECT * FROM "{name}"'))))
    return out


def version_in(html: str, action: str) -> str:
    """The version a form (found by its action) sends back."""
    form = html[html.index(f'action="{action}"'):]
    return re.search(r'name="version" value="(\d+)"', form).group(1)


def errors_of(html: str) -> dict[str, str]:
    """Messages of rows, by the core's path (``conditions[0].code``)."""
    return {k: v.strip() for k, v in re.findall(
        r'<p class="field-error" data-error-for="([^"]+)">([^<]*)</p>', html)}


@pytest.fixture
def books(system, world):
    """A small nomenclature: a group with a subgroup, two items, a price; the default
    price types, client types, contract types and state sets of a new company."""
    products, d = system.app.products, world["director"].id
    hardware = products.save_group(d, {"name": "Оборудование"})
    routers = products.save_group(d, {"name": "Маршрутизаторы",
                                      "parent_id": str(hardware.id)})
    router = products.save_item(d, {"name": "Маршрутизатор MikroTik", "group_id": str(routers.id),
                                    "article": "RB4011", "vat_rate": "22"})
    setup = products.save_item(d, {"name": "Настройка маршрутизатора", "item_kind": "work",
                                   "unit": "ч", "group_id": str(hardware.id)})
    retail, wholesale = sorted(products.price_types(d), key=lambda t: t.code)
    products.set_price(d, {"item_id": str(router.id), "price_type_id": str(retail.id),
                           "valid_from": "2025-01-01", "amount": "12 500,00"})
    return {"hardware": hardware, "routers": routers, "router": router, "setup": setup,
            "retail": retail, "wholesale": wholesale, "d": d}


def _pages(system, w, b) -> tuple[list[str], list[str]]:
    """(pages everyone reads, pages of the forms for editors)."""
    d = w["director"].id
    sets = system.app.state_sets.state_sets(d)
    contract_type = system.app.contracts.types(d)[0]
    reading = ["/admin/items", f"/admin/items?group_id={b['hardware'].id}",
               "/admin/items?q=маршр&inactive=1", f"/admin/items/{b['router'].id}",
               "/admin/service-kinds", "/admin/price-types", "/admin/client-types",
               "/admin/contract-types", "/admin/state-sets"]
    editing = ["/admin/items/new", f"/admin/items/{b['router'].id}/edit",
               "/admin/service-kinds/new", f"/admin/price-types/{b['retail'].id}/edit",
               f"/admin/client-types/{system.app.products.client_types(d)[0].id}/edit",
               "/admin/contract-types/new", f"/admin/contract-types/{contract_type.id}/edit",
               "/admin/state-sets/new", f"/admin/state-sets/{sets[0].id}/edit",
               f"/admin/state-sets/{sets[0].id}/json", "/admin/company"]
    return reading, editing


# -- every page, in both languages, for each kind of user --------------------------------------


def test_every_page_renders_in_russian_and_in_english(as_director, system, world, books):
    reading, editing = _pages(system, world, books)
    for url in reading + editing:
        response = as_director.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert "Traceback" not in html and '<html lang="ru">' in html, url
        assert "Справочники" in page_text(response), url
    items = page_text(as_director.get("/admin/items"))
    assert "Номенклатура" in items and "Маршрутизатор MikroTik" in items  # all the items
    assert "Маршрутизатор MikroTik" in page_text(
        as_director.get(f"/admin/items?group_id={books['routers'].id}"))
    for url, words in (("/admin/service-kinds", "Виды услуг"), ("/admin/price-types", "Типы цен"),
                       ("/admin/client-types", "Типы клиентов"),
                       ("/admin/contract-types", "Типы договоров"),
                       ("/admin/state-sets", "Наборы состояний"),
                       ("/admin/company", "Реквизиты компании")):
        assert words in page_text(as_director.get(url)), url

    as_director.post("/lang", data={"lang": "en"})
    for url in reading + editing:
        response = as_director.get(url)
        assert response.status_code == 200, url
        assert '<html lang="en">' in response.get_data(as_text=True), url
        assert "Справочники" not in page_text(response), url
    english = page_text(as_director.get(f"/admin/items/{books['router'].id}"))
    assert "Prices" in english and "12,500.00" in english and "Reference books" in english


def test_the_administration_tabs_lead_to_the_books(as_director, as_admin, as_clerk):
    for client in (as_director, as_admin):
        html = client.get("/admin/departments").get_data(as_text=True)
        assert 'href="/admin/books"' in html
        assert client.get("/admin/books").headers["Location"].endswith("/admin/items")
    # a plain employee reads the nomenclature in a plain frame, without the admin tabs
    html = as_clerk.get("/admin/items").get_data(as_text=True)
    assert 'href="/admin/departments"' not in html and 'href="/admin/items"' in html
    assert 'href="/admin/company"' not in html
    # the company's requisites are the Director's (an Administrator of a department edits
    # the reference books, not the company)
    assert 'href="/admin/company"' in as_director.get("/admin/items").get_data(as_text=True)
    assert 'href="/admin/company"' not in as_admin.get("/admin/items").get_data(as_text=True)
    assert as_admin.get("/admin/company").status_code == 403


def test_a_plain_employee_reads_but_is_offered_no_changes(as_clerk, system, world, books):
    reading, editing = _pages(system, world, books)
    for url in reading:
        response = as_clerk.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert 'method="post"' not in html.split("<main", 1)[1], url  # no forms but logout
    for url in editing:
        assert as_clerk.get(url).status_code == 403, url


def test_a_non_administrator_gets_403_on_every_change_and_nothing_changes(
        as_clerk, system, world, books):
    d = world["director"].id
    state_set = system.app.state_sets.state_sets(d)[0]
    contract_type = system.app.contracts.types(d)[0]
    client_type = system.app.products.client_types(d)[0]
    price = system.app.products.prices(d, books["router"].id)[0]
    kind = system.app.products.save_service_kind(d, {"code": "internet", "name": "Интернет"})
    company = system.app.org.company()
    before = snapshot(system)
    posts = [
        ("/admin/item-groups", {"name": "Чужая"}),
        (f"/admin/item-groups/{books['hardware'].id}/edit", {"name": "X", "version": "1"}),
        (f"/admin/item-groups/{books['routers'].id}/delete", {}),
        ("/admin/items/new", {"name": "Чужой товар"}),
        (f"/admin/items/{books['router'].id}/edit", {"name": "X", "version": "1"}),
        (f"/admin/items/{books['router'].id}/prices", {
            "price_type_id": str(books["retail"].id), "valid_from": "2030-01-01",
            "amount": "1"}),
        (f"/admin/items/{books['router'].id}/prices/{price.id}/delete",
         {"version": str(price.version)}),
        ("/admin/service-kinds/new", {"code": "tv", "name": "ТВ"}),
        (f"/admin/service-kinds/{kind.id}/edit", {"name": "X", "version": "1"}),
        (f"/admin/service-kinds/{kind.id}/active", {"active": "0", "version": "1"}),
        ("/admin/price-types", {"code": "vip", "name": "VIP"}),
        (f"/admin/price-types/{books['retail'].id}/edit", {"name": "X", "version": "1"}),
        ("/admin/client-types", {"code": "vip", "name": "VIP",
                                 "price_type_id": str(books["retail"].id)}),
        (f"/admin/client-types/{client_type.id}/edit", {"name": "X", "version": "1"}),
        ("/admin/contract-types/new", {"code": "x", "name": "X"}),
        (f"/admin/contract-types/{contract_type.id}/edit", {"name": "X", "version": "1"}),
        (f"/admin/contract-types/{contract_type.id}/active", {"active": "0", "version": "1"}),
        ("/admin/state-sets/new", {"code": "deal", "name": "X", "states-0-code": "a",
                                   "states-0-name": "A", "initial": "0"}),
        (f"/admin/state-sets/{state_set.id}/edit", {"name": "X", "version": "1"}),
        (f"/admin/state-sets/{state_set.id}/json", {"name": "X", "version": "1",
                                                    "definition": "{}"}),
        ("/admin/company", {"requisites.inn": "7707083893",
                            "version": str(company.version)}),
    ]
    for url, data in posts:
        response = as_clerk.post(url, data=data)
        assert response.status_code == 403, (url, response.status_code)
        assert "Traceback" not in response.get_data(as_text=True)
    assert snapshot(system) == before


# -- the nomenclature: groups, items, paging, exports (PRD-3) ----------------------------------


def test_the_group_tree(as_admin, system, books):
    products, d = system.app.products, books["d"]
    created = as_admin.post("/admin/item-groups", data={
        "name": "Коммутаторы", "parent_id": str(books["hardware"].id)})
    assert created.status_code == 303
    switches = [g for _depth, g in products.groups(d) if g.name == "Коммутаторы"][0]
    assert switches.parent_id == books["hardware"].id
    assert created.headers["Location"].endswith(f"/admin/items?group_id={switches.id}")
    tree = as_admin.get("/admin/items").get_data(as_text=True)
    assert tree.index("Оборудование") < tree.index("Коммутаторы")
    nowhere = as_admin.post("/admin/item-groups", data={"name": "Ещё", "parent_id": "999999"})
    assert nowhere.status_code == 422 and 'id="err-parent_id"' in nowhere.get_data(as_text=True)
    assert 'value="Ещё"' in nowhere.get_data(as_text=True)

    # rename and move to the top; a group cannot go inside its own subgroup
    page = as_admin.get(f"/admin/items?group_id={switches.id}").get_data(as_text=True)
    action = f"/admin/item-groups/{switches.id}/edit"
    moved = as_admin.post(action, data={"name": "Коммутаторы L2", "parent_id": "",
                                        "version": version_in(page, action)})
    assert moved.status_code == 303
    assert [(g.name, g.parent_id) for _d, g in products.groups(d) if g.id == switches.id] == [
        ("Коммутаторы L2", None)]
    page = as_admin.get(f"/admin/items?group_id={books['hardware'].id}").get_data(as_text=True)
    action = f"/admin/item-groups/{books['hardware'].id}/edit"
    before = snapshot(system)
    inside = as_admin.post(action, data={"name": "", "parent_id": str(books["routers"].id),
                                         "version": version_in(page, action)})
    assert inside.status_code == 422
    text_ = page_text(inside)
    assert "обязательное поле" in text_ and 'id="err-parent_id"' in inside.get_data(as_text=True)
    assert "a group cannot go inside itself" not in text_  # translated
    assert 'value="' + str(books["routers"].id) + '" selected' in inside.get_data(as_text=True)
    assert snapshot(system) == before

    # a stale form
    stale = as_admin.post(action, data={"name": "Железо", "parent_id": "", "version": "0"})
    assert stale.status_code == 409
    assert "Объект изменён другим пользователем" in page_text(stale)
    assert snapshot(system) == before

    # only an empty group goes
    refused = as_admin.post(f"/admin/item-groups/{books['routers'].id}/delete",
                            follow_redirects=True)
    assert "alert-error" in refused.get_data(as_text=True)
    assert "the group is not empty" not in page_text(refused)  # translated
    assert snapshot(system) == before
    gone = as_admin.post(f"/admin/item-groups/{switches.id}/delete")
    assert gone.status_code == 303
    assert switches.id not in {g.id for _d, g in products.groups(d)}


def test_items_are_created_and_edited_with_messages_per_field(as_admin, system, books):
    products, d = system.app.products, books["d"]
    form = as_admin.get(f"/admin/items/new?group_id={books['routers'].id}")
    html = form.get_data(as_text=True)
    assert f'value="{books["routers"].id}" selected' in html
    assert '<datalist id="units">' in html and '<option value="Мбит/с">' in html
    assert 'value="22"' in html and 'value="20"' not in html  # rates valid today only

    before = snapshot(system)
    bad = as_admin.post("/admin/items/new", data={
        "name": "", "item_kind": "gadget", "group_id": "999999", "unit": "шт",
        "vat_rate": "99", "article": "A-1", "description": "Описание", "active": "1"})
    assert bad.status_code == 422
    html, text_ = bad.get_data(as_text=True), page_text(bad)
    assert 'id="err-name"' in html and "обязательное поле" in text_
    assert 'id="err-vat_rate"' in html and 'id="err-group_id"' in html
    assert "no such VAT rate" not in text_ and "no such group" not in text_  # translated
    assert 'id="err-item_kind"' in html
    assert 'value="A-1"' in html and "Описание" in html  # values kept
    assert snapshot(system) == before

    created = as_admin.post("/admin/items/new", data=MultiDict([
        ("name", "Кабель UTP"), ("item_kind", "goods"), ("group_id", str(books["hardware"].id)),
        ("unit", "м"), ("vat_rate", "10"), ("article", "UTP5e"), ("description", ""),
        ("active", "0"), ("active", "1")]))
    assert created.status_code == 303
    cable = products.items(d, text="UTP")[0][0]
    assert (cable.unit, cable.vat_rate, cable.article, cable.group_id) == (
        "м", "10", "UTP5e", books["hardware"].id)
    assert created.headers["Location"].endswith(f"/admin/items/{cable.id}")
    page = page_text(as_admin.get(f"/admin/items/{cable.id}"))
    assert "Кабель UTP" in page and "10%" in page and "Оборудование" in page

    edit = as_admin.get(f"/admin/items/{cable.id}/edit").get_data(as_text=True)
    action = f"/admin/items/{cable.id}/edit"
    version = version_in(edit, action)
    saved = as_admin.post(action, data={
        "name": "Кабель UTP cat.5e", "item_kind": "goods", "group_id": "", "unit": "бухта",
        "vat_rate": "none", "article": "UTP5e", "description": "305 м", "active": "0",
        "version": version})
    assert saved.status_code == 303
    cable = products.item(d, cable.id)
    assert (cable.name, cable.unit, cable.vat_rate, cable.group_id, cable.active) == (
        "Кабель UTP cat.5e", "бухта", "none", None, False)
    assert "без НДС" in page_text(as_admin.get(f"/admin/items/{cable.id}"))
    before = snapshot(system)
    stale = as_admin.post(action, data={"name": "Старое", "version": version})
    assert stale.status_code == 409
    assert "Объект изменён другим пользователем" in page_text(stale)
    assert 'value="Старое"' in stale.get_data(as_text=True)
    assert snapshot(system) == before


def test_the_items_list_pages_filters_and_exports_with_prices(as_clerk, system, books):
    products, d = system.app.products, books["d"]
    for n in range(23):
        products.save_item(d, {"name": f"Патч-корд {n:02d}", "group_id": str(books["hardware"].id)})
    products.save_item(d, {"name": "Патч-корд снятый", "active": "0",
                           "group_id": str(books["hardware"].id)})
    url = f"/admin/items?group_id={books['hardware'].id}"
    first = as_clerk.get(url)
    html = first.get_data(as_text=True)
    assert "Найдено позиций: 24" in page_text(first)  # 23 cords and the setup work
    assert html.count("data-item-id=") == 20
    assert f'href="/admin/items?group_id={books["hardware"].id}&amp;page=2"' in html
    second = as_clerk.get(url + "&page=2")
    assert second.get_data(as_text=True).count("data-item-id=") == 4
    found = page_text(as_clerk.get(url + "&q=корд 1"))
    assert "Найдено позиций: 10" in found
    assert "снятый" not in page_text(as_clerk.get(url + "&q=снятый"))
    assert "снятый" in page_text(as_clerk.get(url + "&q=снятый&inactive=1"))

    # the router's group lists its price in force today in the retail column
    routers = page_text(as_clerk.get(f"/admin/items?group_id={books['routers'].id}"))
    assert "12 500,00" in routers

    exported = as_clerk.get(f"/admin/items/export.csv?group_id={books['routers'].id}")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0][:3] == ["ID", "Наименование", "Группа"]
    assert any(h.startswith("Розничная") for h in rows[0])
    retail = next(i for i, h in enumerate(rows[0]) if h.startswith("Розничная"))
    assert rows[1][1] == "Маршрутизатор MikroTik" and rows[1][retail] == "12\xa0500,00"
    book = load_workbook(io.BytesIO(as_clerk.get("/admin/items/export.xlsx").data))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 23 + 2
    router = next(r for r in rows if r[1] == "Маршрутизатор MikroTik")
    assert router[retail] == 12500  # a number the spreadsheet can sum
    assert as_clerk.get("/admin/items/export.pdf").status_code == 404


def test_the_item_picker_finds_items_by_name(as_clerk, books):
    found = as_clerk.get("/admin/items/lookup?q=маршрут").get_json()
    assert [r["name"] for r in found["results"]] == [
        "Маршрутизатор MikroTik", "Настройка маршрутизатора"]
    assert as_clerk.get("/admin/items/lookup?q=ничего").get_json()["results"] == []


def _moscow_today() -> date:
    return datetime.now(ZoneInfo("Europe/Moscow")).date()


# -- prices (PRD-3) ----------------------------------------------------------------------------


def test_prices_are_added_closed_refused_on_overlap_and_deleted(as_admin, system, books):
    products, d = system.app.products, books["d"]
    item, retail = books["router"], books["retail"]
    url = f"/admin/items/{item.id}"
    page = as_admin.get(url)
    html = page.get_data(as_text=True)
    assert "12 500,00" in page_text(page) and "действует сегодня" in page_text(page)
    # the admin has no zone of their own: the page's "today" is Moscow's, not the machine's
    assert f'name="valid_from" value="{_moscow_today().isoformat()}"' in html

    added = as_admin.post(url + "/prices", data={
        "price_type_id": str(retail.id), "valid_from": "2026-01-01", "valid_to": "",
        "amount": "1 234,56"})
    assert added.status_code == 303
    prices = products.prices(d, item.id)
    assert [(p.valid_from, p.valid_to, str(p.amount.amount)) for p in prices] == [
        (date(2025, 1, 1), date(2026, 1, 1), "12500.00"), (date(2026, 1, 1), None, "1234.56")]
    text_ = page_text(as_admin.get(url))
    assert "1 234,56" in text_ and "до особого распоряжения" in text_

    before = snapshot(system)
    overlap = as_admin.post(url + "/prices", data={
        "price_type_id": str(retail.id), "valid_from": "2025-06-01", "valid_to": "2025-07-01",
        "amount": "1"})
    assert overlap.status_code == 422
    assert 'id="err-valid_from"' in overlap.get_data(as_text=True)
    assert "2025-01-01" in page_text(overlap) and "2026-01-01" in page_text(overlap)
    assert "overlaps the price" not in page_text(overlap)  # translated
    bad = as_admin.post(url + "/prices", data={
        "price_type_id": "", "valid_from": "31.02.2026", "valid_to": "", "amount": "12,345"})
    assert bad.status_code == 422
    html, text_ = bad.get_data(as_text=True), page_text(bad)
    assert 'id="err-price_type_id"' in html and 'id="err-valid_from"' in html
    assert 'id="err-amount"' in html and "не больше 2 знаков после запятой" in text_
    assert 'value="12,345"' in html  # kept
    assert snapshot(system) == before

    # deletion sends the version back; a stale one is refused with the conflict message
    price = products.prices(d, item.id)[0]
    stale = as_admin.post(f"{url}/prices/{price.id}/delete", data={"version": "0"},
                          follow_redirects=True)
    assert "объект изменён другим пользователем" in page_text(stale)
    assert snapshot(system) == before
    gone = as_admin.post(f"{url}/prices/{price.id}/delete", data={"version": str(price.version)})
    assert gone.status_code == 303
    assert [p.valid_from for p in products.prices(d, item.id)] == [date(2026, 1, 1)]


def test_sales_management_sets_prices_but_not_items(ui_app, system, world, books):
    system.app.access.grant(world["director"].id, world["other"].id, "sales_management",
                            ObjectRef("company", system.app.org.company().id))
    client = sign_in(ui_app, "other", PASSWORD)
    url = f"/admin/items/{books['router'].id}"
    html = client.get(url).get_data(as_text=True)
    assert 'action="' + url + '/prices"' in html and 'id="edit-item"' not in html
    assert client.get(url + "/edit").status_code == 403
    added = client.post(url + "/prices", data={
        "price_type_id": str(books["wholesale"].id), "valid_from": "2026-01-01",
        "amount": "10 000"})
    assert added.status_code == 303
    before = snapshot(system)
    assert client.post(url + "/edit", data={"name": "X", "version": "1"}).status_code == 403
    assert snapshot(system) == before


# -- service kinds (PRD-1, REQ-2) --------------------------------------------------------------


def _kind_form(books, **extra) -> MultiDict:
    data = [
        ("code", "internet"), ("name", "Интернет для офиса"),
        ("item_id", str(books["setup"].id)), ("active", "0"), ("active", "1"),
        ("template-0-item_id", str(books["router"].id)), ("template-0-quantity", "1"),
        ("template-1-item_id", str(books["setup"].id)), ("template-1-quantity", "1,5"),
        ("template-2-item_id", ""), ("template-2-quantity", "1"),
        ("conditions-0-code", "ip_address"), ("conditions-0-label", "IP-адрес"),
        ("conditions-0-type", "ip_address"), ("conditions-0-required", "0"),
        ("conditions-0-required", "1"), ("conditions-0-choices", ""),
        ("conditions-1-code", ""), ("conditions-1-label", ""), ("conditions-1-type", "text"),
        ("conditions-1-required", "0"), ("conditions-1-choices", ""),
        ("card-0-code", "speed"), ("card-0-label", "Скорость"), ("card-0-type", "choice"),
        ("card-0-required", "0"), ("card-0-choices", "100 Мбит/с, 1 Гбит/с"),
    ]
    for key, value in extra.items():
        data = [(k, v) for k, v in data if k != key] + [(key, value)]
    return MultiDict(data)


def test_service_kinds_with_template_lines_and_attribute_sets(as_admin, system, books):
    products, d = system.app.products, books["d"]
    assert "Виды услуг" in page_text(as_admin.get("/admin/service-kinds"))
    new = as_admin.get("/admin/service-kinds/new").get_data(as_text=True)
    assert 'name="template-2-item_id"' in new and 'name="conditions-2-code"' in new
    assert 'data-lookup-url="/admin/items/lookup"' in new

    before = snapshot(system)
    bad = as_admin.post("/admin/service-kinds/new", data=_kind_form(books, **{
        "code": "Интернет", "template-1-quantity": "0", "conditions-0-code": "IP",
        "card-0-choices": ""}))
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    found = errors_of(html)
    assert found["template[1].quantity"] == "должно быть больше нуля"
    assert found["conditions[0].code"].startswith("строчные латинские буквы")
    assert found["card[0].choices"] == "добавьте хотя бы один вариант"
    assert 'id="err-code"' in html
    # the rows come back as typed, the blank ones skipped
    assert 'name="conditions-0-code" value="IP"' in html
    assert 'name="template-1-quantity" value="0"' in html
    assert snapshot(system) == before

    created = as_admin.post("/admin/service-kinds/new", data=_kind_form(books))
    assert created.status_code == 303
    kind = [k for k in products.service_kinds(d) if k.code == "internet"][0]
    assert kind.item_id == books["setup"].id
    assert [(t.item_id, str(t.quantity)) for t in kind.template] == [
        (books["router"].id, "1"), (books["setup"].id, "1.5")]
    assert [(c.code, c.type.value, c.required) for c in kind.conditions] == [
        ("ip_address", "ip_address", True)]
    assert kind.card[0].choices == ("100 Мбит/с", "1 Гбит/с")
    listing = page_text(as_admin.get("/admin/service-kinds"))
    assert "Интернет для офиса" in listing and "Настройка маршрутизатора" in listing

    # the card's values: a choice of the card's field; a removed condition row goes
    url = f"/admin/service-kinds/{kind.id}/edit"
    edit = as_admin.get(url).get_data(as_text=True)
    assert 'name="attributes.speed"' in edit and "Маршрутизатор MikroTik" in edit
    version = version_in(edit, url)
    wrong = as_admin.post(url, data=_kind_form(books, **{
        "version": version, "attributes.speed": "10 Гбит/с"}))
    assert wrong.status_code == 422
    assert "допустимые значения: 100 Мбит/с, 1 Гбит/с" in page_text(wrong)
    saved = as_admin.post(url, data=_kind_form(books, **{
        "version": version, "name": "Интернет", "attributes.speed": "1 Гбит/с",
        "conditions-0-remove": "1", "template-0-remove": "1"}))
    assert saved.status_code == 303
    kind = products.service_kind(d, kind.id)
    assert (kind.name, kind.attributes, kind.conditions, len(kind.template)) == (
        "Интернет", {"speed": "1 Гбит/с"}, (), 1)
    stale = as_admin.post(url, data=_kind_form(books, version=version))
    assert stale.status_code == 409
    assert "Объект изменён другим пользователем" in page_text(stale)

    listing = as_admin.get("/admin/service-kinds").get_data(as_text=True)
    action = f"/admin/service-kinds/{kind.id}/active"
    closed = as_admin.post(action, data={"active": "0", "version": version_in(listing, action)})
    assert closed.status_code == 303
    assert products.service_kind(d, kind.id).active is False


# -- price types and client types (PRD-2) ------------------------------------------------------


def test_price_types_and_client_types(as_admin, system, books):
    products, d = system.app.products, books["d"]
    assert "Розничная" in page_text(as_admin.get("/admin/price-types"))
    taken = as_admin.post("/admin/price-types", data={"code": "retail", "name": "",
                                                      "vat_included": "1"})
    assert taken.status_code == 422
    assert "этот код уже занят" in page_text(taken) and "обязательное поле" in page_text(taken)
    created = as_admin.post("/admin/price-types", data=MultiDict([
        ("code", "budget"), ("name", "Для бюджетных"), ("vat_included", "0")]))
    assert created.status_code == 303
    budget = [t for t in products.price_types(d) if t.code == "budget"][0]
    assert budget.vat_included is False
    url = f"/admin/price-types/{budget.id}/edit"
    version = version_in(as_admin.get(url).get_data(as_text=True), url)
    assert as_admin.post(url, data=MultiDict([
        ("name", "Бюджетная"), ("vat_included", "0"), ("vat_included", "1"),
        ("version", version)])).status_code == 303
    assert [(t.name, t.vat_included) for t in products.price_types(d) if t.id == budget.id] == [
        ("Бюджетная", True)]
    assert as_admin.post(url, data={"name": "X", "version": version}).status_code == 409

    assert "Корпоративный" in page_text(as_admin.get("/admin/client-types"))
    bad = as_admin.post("/admin/client-types", data={"code": "gov", "name": "Бюджетный",
                                                     "price_type_id": ""})
    assert bad.status_code == 422 and 'id="err-price_type_id"' in bad.get_data(as_text=True)
    created = as_admin.post("/admin/client-types", data={
        "code": "gov", "name": "Бюджетный", "price_type_id": str(budget.id)})
    assert created.status_code == 303
    gov = [t for t in products.client_types(d) if t.code == "gov"][0]
    assert gov.price_type_id == budget.id
    assert "Бюджетная" in page_text(as_admin.get("/admin/client-types"))
    url = f"/admin/client-types/{gov.id}/edit"
    version = version_in(as_admin.get(url).get_data(as_text=True), url)
    assert as_admin.post(url, data={"name": "Госзаказчик", "price_type_id": str(
        books["retail"].id), "version": version}).status_code == 303
    assert as_admin.post(url, data={"name": "X", "price_type_id": str(budget.id),
                                    "version": version}).status_code == 409


# -- contract types (CON-1) --------------------------------------------------------------------


def test_contract_types_with_attributes_and_number_patterns(as_admin, system, world):
    contracts, d = system.app.contracts, world["director"].id
    listing = page_text(as_admin.get("/admin/contract-types"))
    year = _moscow_today().year
    assert "Договор с физическим лицом" in listing and f"Ф-{year}-0001" in listing

    before = snapshot(system)
    bad = as_admin.post("/admin/contract-types/new", data={
        "code": "lease", "name": "Аренда", "number_pattern": "{year}-{n}",
        "attributes-0-code": "object", "attributes-0-label": "",
        "attributes-0-type": "text", "attributes-0-required": "0"})
    assert bad.status_code == 422
    text_ = page_text(bad)
    assert 'id="err-number_pattern"' in bad.get_data(as_text=True)
    assert "may be used" not in text_  # translated
    assert errors_of(bad.get_data(as_text=True))["attributes[0].label"] == "обязательное поле"
    assert snapshot(system) == before

    created = as_admin.post("/admin/contract-types/new", data=MultiDict([
        ("code", "lease"), ("name", "Аренда"), ("number_pattern", "А-{type}-{seq:03d}"),
        ("attributes-0-code", "object"), ("attributes-0-label", "Объект аренды"),
        ("attributes-0-type", "text"), ("attributes-0-required", "0"),
        ("attributes-0-required", "1"), ("active", "1")]))
    assert created.status_code == 303
    lease = [t for t in contracts.types(d) if t.code == "lease"][0]
    assert lease.number_pattern == "А-{type}-{seq:03d}"
    assert [(a.code, a.required) for a in lease.attributes] == [("object", True)]
    assert "А-lease-001" in page_text(as_admin.get("/admin/contract-types"))

    url = f"/admin/contract-types/{lease.id}/edit"
    page = as_admin.get(url)
    assert "А-lease-001" in page_text(page)
    version = version_in(page.get_data(as_text=True), url)
    saved = as_admin.post(url, data={"name": "Договор аренды", "number_pattern": "{seq}",
                                     "active": "1", "version": version,
                                     "attributes-0-code": "object",
                                     "attributes-0-label": "Объект", "attributes-0-type": "text",
                                     "attributes-0-remove": "1"})
    assert saved.status_code == 303
    lease = [t for t in contracts.types(d, include_inactive=True) if t.id == lease.id][0]
    assert (lease.name, lease.number_pattern, lease.attributes) == ("Договор аренды", "{seq}", ())
    stale = as_admin.post(url, data={"name": "X", "number_pattern": "{seq}",
                                     "version": version})
    assert stale.status_code == 409


# -- state sets (REQ-4, INV-2) -----------------------------------------------------------------


def _rows_of(html: str) -> MultiDict:
    """What the rows form posts as it is shown (inputs, checked boxes, selected options)."""
    form = html[html.index('<form method="post" action="/admin/state-sets'):]
    form = form[:form.index("</form>")]
    data = MultiDict()
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="(\w+)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        value = value.group(1) if value else ""
        if kind in ("checkbox", "radio") and " checked" not in tag:
            continue
        data.add(name.group(1), value.replace("&#34;", '"').replace("&quot;", '"')
                 .replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
                 .replace("&#39;", "'"))
    for name, options in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        for value in re.findall(r'<option value="([^"]*)" selected', options):
            data.add(name, value)
    return data


def test_the_state_set_form_of_rows_keeps_guards_and_refuses_states_in_use(
        as_admin, system, world):
    service, d = system.app.state_sets, world["director"].id
    sets = {s.code: s for s in service.state_sets(d)}
    invoice = sets["invoice"]
    url = f"/admin/state-sets/{invoice.id}/edit"
    html = as_admin.get(url).get_data(as_text=True)
    assert "Частично оплачен" in html and "условий: 1" in page_text(as_admin.get(url))
    # saved as shown: nothing changes, the guards of the automatic transitions stay
    same = as_admin.post(url, data=_rows_of(html))
    assert same.status_code == 303, page_text(same)[:1000]
    assert service.state_set(d, invoice.id).transitions == invoice.transitions
    assert service.state_set(d, invoice.id).states == invoice.states

    # a new state and a transition into it; a bad colour lands on its row
    request_set = sets["request"]
    system.app.requests.create(d, {"subject": "Заправить картридж"})  # in «new» now
    dropped = system.app.requests.create(d, {"subject": "Ошибочная заявка"})
    system.app.requests.move(d, dropped.id, "cancelled", "дубль", dropped.version)
    url = f"/admin/state-sets/{request_set.id}/edit"
    html = as_admin.get(url).get_data(as_text=True)
    assert "используется" in page_text(as_admin.get(url))
    data = _rows_of(html)
    n = len(request_set.states)
    data[f"states-{n}-code"] = "waiting"
    data[f"states-{n}-name"] = "Ждёт клиента"
    data[f"states-{n}-order"] = "25"
    data[f"states-{n}-colour"] = "#abc"
    t = len(request_set.transitions)
    for key, value in (("from_state", "in_work"), ("to_state", "waiting"),
                       ("name", "Ждать клиента")):
        data[f"transitions-{t}-{key}"] = value
    data.setlist(f"transitions-{t}-roles", ["client_manager"])
    before = snapshot(system)
    bad = as_admin.post(url, data=data)
    assert bad.status_code == 422
    found = errors_of(bad.get_data(as_text=True))
    assert found[f"states[{n}].colour"] == "цвет вида #1e88e5"
    assert snapshot(system) == before
    data[f"states-{n}-colour"] = "#aabbcc"
    bad = as_admin.post(url, data=data)
    assert bad.status_code == 422  # «waiting» has no way out
    found = errors_of(bad.get_data(as_text=True))
    assert found[f"states[{n}].final"] == "из неконечного состояния нужен выход"
    data[f"states-{n}-final"] = "1"
    saved = as_admin.post(url, data=data)
    assert saved.status_code == 303
    changed = service.state_set(d, request_set.id)
    assert changed.state("waiting").colour == "#aabbcc"
    added = changed.between("in_work", "waiting")
    assert added.name == "Ждать клиента" and {r.value for r in added.roles} == {"client_manager"}

    # the state requests are in cannot be removed: the core says so on the form
    html = as_admin.get(url).get_data(as_text=True)
    assert 'data-in-use="1"' in html
    data = _rows_of(html)
    # «cancelled» and the ways into it (no box is offered for a state in use: a crafted post)
    data[f"states-{[s.code for s in changed.states].index('cancelled')}-remove"] = "1"
    for key in list(data):
        if key.endswith("-to_state") and data[key] == "cancelled":
            data[key.replace("-to_state", "-remove")] = "1"
    before = snapshot(system)
    refused = as_admin.post(url, data=data)
    assert refused.status_code == 422
    assert "нельзя удалить используемые состояния: Отменена" in page_text(refused)
    assert snapshot(system) == before
    stale = as_admin.post(url, data={**_rows_of(html).to_dict(), "version": "0"})
    assert stale.status_code == 409


def test_the_state_set_json_mode(as_admin, system, world):
    service, d = system.app.state_sets, world["director"].id
    request_set = [s for s in service.state_sets(d) if s.code == "request"][0]
    url = f"/admin/state-sets/{request_set.id}/json"
    html = as_admin.get(url).get_data(as_text=True)
    assert "&#34;Взять в работу&#34;" in html or "&quot;Взять в работу&quot;" in html
    version = version_in(html, url)
    before = snapshot(system)
    broken = as_admin.post(url, data={"name": "Заявки", "version": version,
                                      "definition": "{states: ["})
    assert broken.status_code == 422 and "это не JSON" in page_text(broken)
    definition = {"states": [{"code": "new", "name": "Новая", "initial": True},
                             {"code": "new", "name": "Дубль"}], "transitions": []}
    bad = as_admin.post(url, data={"name": "Заявки", "version": version,
                                   "definition": json.dumps(definition)})
    assert bad.status_code == 422
    assert "states[1].code" in page_text(bad) and "этот код уже занят" in page_text(bad)
    assert snapshot(system) == before

    from ecrm_core.workflow.definition import dump_definition

    plain = dump_definition(request_set.states, request_set.transitions)
    plain["states"][0]["on_enter"] = [{"type": "notify_employees", "who": "responsible",
                                       "text": "Новая заявка"}]
    saved = as_admin.post(url, data={"name": "Заявки клиентов", "version": version,
                                     "definition": json.dumps(plain, ensure_ascii=False)})
    assert saved.status_code == 303
    changed = service.state_set(d, request_set.id)
    assert changed.name == "Заявки клиентов" and changed.state("new").on_enter[0].text == (
        "Новая заявка")
    # the rows form shows the action as a count and keeps it on saving
    rows = as_admin.get(f"/admin/state-sets/{request_set.id}/edit")
    assert "действий: 1" in page_text(rows)


def test_a_new_state_set(as_admin, system, world):
    data = MultiDict([
        ("code", "short_sale"), ("name", "Короткая сделка"), ("initial", "0"),
        ("states-0-code", "open"), ("states-0-name", "Открыта"), ("states-0-order", "10"),
        ("states-0-colour", "#1e88e5"), ("states-0-final", "0"), ("states-0-on_enter", "[]"),
        ("states-1-code", "won"), ("states-1-name", "Выиграна"), ("states-1-order", "20"),
        ("states-1-colour", "#43a047"), ("states-1-final", "0"), ("states-1-final", "1"),
        ("transitions-0-from_state", "open"), ("transitions-0-to_state", "won"),
        ("transitions-0-name", "Выиграть"), ("transitions-0-reason_required", "0"),
        ("transitions-0-automatic", "0"), ("transitions-0-guards", "[]")])
    created = as_admin.post("/admin/state-sets/new", data=data)
    assert created.status_code == 303
    found = [s for s in system.app.state_sets.state_sets(world["director"].id)
             if s.code == "short_sale"][0]
    assert [(s.code, s.initial, s.final) for s in found.states] == [
        ("open", True, False), ("won", False, True)]
    taken = as_admin.post("/admin/state-sets/new", data=data)
    assert taken.status_code == 422 and "этот код уже занят" in page_text(taken)


# -- the company's requisites ------------------------------------------------------------------


SBERBANK = {"full_name": "ПАО Сбербанк", "inn": "7707083893", "kpp": "773601001",
            "ogrn": "1027700132195", "address": "Москва, ул. Вавилова, 19",
            "bank": "ПАО Сбербанк", "bik": "044525225", "account": "40702810038007012345",
            "corr_account": "30101810400000000225", "director": "Греф Г. О.",
            "accountant": "Иванова И. И.", "phone": "+7 495 500-55-50"}


def test_the_company_requisites(as_director, system):
    page = as_director.get("/admin/company")
    assert page.status_code == 200 and "ООО «Тестовая компания»" in page_text(page)
    version = version_in(page.get_data(as_text=True), "/admin/company")
    before = snapshot(system)
    bad = as_director.post("/admin/company", data={
        **{f"requisites.{k}": v for k, v in SBERBANK.items()}, "version": version,
        "requisites.inn": "7707083894", "requisites.bik": "123"})
    assert bad.status_code == 422
    html, text_ = bad.get_data(as_text=True), page_text(bad)
    assert 'id="err-requisites.inn"' in html and "контрольное число ИНН не сходится" in text_
    assert 'id="err-requisites.bik"' in html
    assert 'value="Греф Г. О."' in html
    assert snapshot(system) == before
    saved = as_director.post("/admin/company", data={
        **{f"requisites.{k}": v for k, v in SBERBANK.items()}, "version": version})
    assert saved.status_code == 303
    company = system.app.org.company()
    assert company.requisites["account"] == "40702810038007012345"
    assert company.name == "ООО «Тестовая компания»"
    assert 'value="044525225"' in as_director.get("/admin/company").get_data(as_text=True)
    stale = as_director.post("/admin/company", data={"requisites.inn": "", "version": version})
    assert stale.status_code == 409
    assert system.app.org.company().requisites["inn"] == "7707083893"
