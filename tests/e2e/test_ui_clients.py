"""The client base in the HTML UI (chapter 5): the counterparties page and catalogs
(CAT-1…CAT-6, UI-4), the card and its tabs (UI-1, CP-15), registration with the duplicate
warning and the EGRUL fill (CP-1…CP-3), contacts (CP-8), related clients (CP-11),
responsible managers (CP-6), deletion marks and hard deletes (CP-12).

Rights: the Director, a catalog curator, a client manager and an employee without roles
each try to view, create, edit, move, delete and assign; where the policy says no, the
answer is 403 and nothing in the database changes."""

from __future__ import annotations

import pytest

from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import page_text
from tests.e2e.ui_clients_support import (
    PNG,
    REGISTRY_INN,
    X_INN,
    fake_registry,
    legal_inn,
    snapshot,
    version_of,
)

#: the fixtures cl, as_boss, as_curator, as_manager, as_other, as_administrator
pytest_plugins = ["tests.e2e.ui_clients_fixtures"]


def _location(response) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _pages(cl) -> list[str]:
    x, nsk, c = cl.x.id, cl.nsk.id, cl.contact.id
    return [
        "/counterparties", f"/counterparties/catalogs/{cl.top.id}",
        f"/counterparties/catalogs/{nsk}", f"/counterparties/catalogs/{nsk}?page=2",
        "/counterparties/new", f"/counterparties/new?catalog_id={nsk}",
        f"/counterparties/new?parent_id={x}", f"/counterparties/{x}",
        f"/counterparties/{x}/contacts", f"/counterparties/{x}/related",
        f"/counterparties/{x}/history", f"/counterparties/{x}/managers",
        f"/counterparties/{x}/move", f"/counterparties/{x}/move?q=моск",
        f"/counterparties/{x}/contacts/{c}/photo-missing-is-404",
        "/counterparties/search", "/counterparties/search?q=лес",
        "/counterparties/search/advanced", "/counterparties/search/advanced?name=лес",
        "/counterparties/import", f"/counterparties/import?catalog_id={nsk}",
    ]


def test_every_page_renders_for_everybody(as_boss, as_curator, as_manager, as_other, cl):
    for client in (as_boss, as_curator, as_manager, as_other):
        for url in _pages(cl):
            response = client.get(url)
            expected = 404 if url.endswith("photo-missing-is-404") else 200
            assert response.status_code == expected, url
            assert "Traceback" not in response.get_data(as_text=True)
    # Edit pages are for those who may edit.
    for url in (f"/counterparties/{cl.x.id}/edit", f"/counterparties/catalogs/{cl.nsk.id}/edit",
                f"/counterparties/{cl.x.id}/contacts/{cl.contact.id}/edit",
                f"/counterparties/{cl.x.id}/contacts/{cl.contact.id}/delete"):
        assert as_boss.get(url).status_code == 200, url
        assert as_other.get(url).status_code == 403, url
    assert as_manager.get(f"/counterparties/{cl.x.id}/edit").status_code == 200
    assert as_manager.get(f"/counterparties/{cl.y.id}/edit").status_code == 403


def test_unknown_objects_are_404(as_boss):
    for url in ("/counterparties/99999", "/counterparties/catalogs/99999",
                "/counterparties/1/nope", "/counterparties/99999/edit",
                "/counterparties/catalogs/1/export.pdf"):
        assert as_boss.get(url).status_code == 404, url


def test_login_lands_on_the_counterparties_page(ui_app, cl):
    """AUTH-2: the start page is the counterparties page; ``next`` still wins."""
    client = ui_app.test_client()
    response = client.post("/login", data={"login": DIRECTOR_LOGIN,
                                           "password": DIRECTOR_PASSWORD})
    assert _location(response) == "/counterparties"
    assert _location(client.get("/")) == "/counterparties"
    text = page_text(client.get("/counterparties"))
    assert "Контрагенты" in text and "Клиенты" in text and "Новосибирск" in text
    other = ui_app.test_client()
    response = other.post("/login", data={"login": DIRECTOR_LOGIN,
                                          "password": DIRECTOR_PASSWORD, "next": "/me"})
    assert _location(response) == "/me"


def test_the_navigation_panel_aims_at_counterparties(as_boss, as_other):
    html = as_boss.get("/me").get_data(as_text=True)
    assert 'action="/counterparties/search"' in html
    assert 'href="/counterparties/search/advanced"' in html
    assert 'href="/counterparties"' in html
    assert 'href="/counterparties/new"' in html and "/counterparties#new-catalog" in html
    # Employee search stays reachable from the admin employees page.
    employees = as_boss.get("/admin/employees").get_data(as_text=True)
    assert 'action="/search"' in employees and 'href="/search/advanced"' in employees
    # Without rights: the Create menu is not offered.
    assert "+ Создать" not in page_text(as_other.get("/me"))


# -- catalogs (CAT-1…CAT-4) ------------------------------------------------------------------


def test_the_tree_shows_nested_catalogs(as_other, cl):
    html = as_other.get("/counterparties").get_data(as_text=True)
    top = html.index(">Клиенты<")
    nested = html.index(">Новосибирск<")
    deeper = html.index(">Архив НСК<")
    assert top < nested < deeper
    # The nesting is real: the archive's list sits inside Новосибирск's item.
    assert html.count('<ul class="tree">') >= 3
    assert "Добавить каталог" not in page_text(as_other.get("/counterparties"))


def test_only_the_director_creates_top_catalogs(system, as_boss, as_curator, as_other, cl):
    assert "Добавить каталог" in page_text(as_boss.get("/counterparties"))
    assert "Перейти в каталог после создания" in page_text(as_boss.get("/counterparties"))
    for client in (as_curator, as_other):
        before = snapshot(system)
        response = client.post("/counterparties/catalogs", data={"name": "Самовольный"})
        assert response.status_code == 403
        assert snapshot(system) == before
    empty = as_boss.post("/counterparties/catalogs", data={"name": " "})
    assert empty.status_code == 422 and "обязательное поле" in page_text(empty)
    stay = as_boss.post("/counterparties/catalogs", data={
        "name": "Физические лица", "description": "Частные клиенты", "open_after": "0"})
    assert stay.status_code == 303 and _location(stay) == "/counterparties"
    go = as_boss.post("/counterparties/catalogs", data={
        "name": "Партнёры", "open_after": ["0", "1"]})
    assert go.status_code == 303
    created = [c for _d, c in system.app.catalogs.tree(cl.director.id) if c.name == "Партнёры"]
    assert _location(go) == f"/counterparties/catalogs/{created[0].id}"
    assert created[0].parent_id is None


def test_nested_catalogs_are_created_by_the_curator_of_the_catalog(
        system, as_boss, as_curator, as_manager, as_other, cl):
    page = page_text(as_curator.get(f"/counterparties/catalogs/{cl.nsk.id}"))
    assert "Добавить каталог" in page and "Архив НСК" in page
    assert "Добавить каталог" not in page_text(as_curator.get(f"/counterparties/catalogs/{cl.msk.id}"))
    made = as_curator.post("/counterparties/catalogs", data={
        "name": "Бердск", "parent_id": str(cl.nsk.id), "open_after": "0"})
    assert made.status_code == 303 and _location(made) == f"/counterparties/catalogs/{cl.nsk.id}"
    assert "Бердск" in page_text(as_other.get(f"/counterparties/catalogs/{cl.nsk.id}"))
    for client, parent in ((as_curator, cl.msk), (as_manager, cl.nsk), (as_other, cl.nsk)):
        before = snapshot(system)
        response = client.post("/counterparties/catalogs", data={
            "name": "Нельзя", "parent_id": str(parent.id)})
        assert response.status_code == 403
        assert snapshot(system) == before
    assert as_boss.post("/counterparties/catalogs", data={
        "name": "Химки", "parent_id": str(cl.msk.id)}).status_code == 303


def test_editing_a_catalog(system, as_curator, as_other, cl):
    html = as_curator.get(f"/counterparties/catalogs/{cl.nsk.id}/edit").get_data(as_text=True)
    version = version_of(html)
    saved = as_curator.post(f"/counterparties/catalogs/{cl.nsk.id}/edit", data={
        "name": "Новосибирск и область", "description": "Сибирь", "version": version})
    assert saved.status_code == 303
    assert system.app.catalogs.get(cl.director.id, cl.nsk.id).name == "Новосибирск и область"
    stale = as_curator.post(f"/counterparties/catalogs/{cl.nsk.id}/edit", data={
        "name": "Опять", "version": version})
    assert stale.status_code == 409 and "изменён другим пользователем" in page_text(stale)
    for client, catalog in ((as_curator, cl.msk), (as_other, cl.nsk)):
        before = snapshot(system)
        response = client.post(f"/counterparties/catalogs/{catalog.id}/edit", data={
            "name": "Чужое", "version": "1"})
        assert response.status_code == 403
        assert snapshot(system) == before


def test_the_catalog_list_row(as_other, cl, system):
    """CP-13 / §5.12: ID, name (a link), INN, phone, manager, status, deletion mark,
    e-mail, main-direction manager, last modifier, the 1C flag."""
    html = as_other.get(f"/counterparties/catalogs/{cl.nsk.id}").get_data(as_text=True)
    text = page_text(as_other.get(f"/counterparties/catalogs/{cl.nsk.id}"))
    assert f'href="/counterparties/{cl.x.id}"' in html
    for value in ("ООО «Сибирский лес»", X_INN, "+73832120001", "Менеджеров Максим",
                  "действующая", "info@sib-les.ru", "Петров Иван Сергеевич"):
        assert value in text, value
    for header in ("ID", "Наименование", "ИНН", "Телефон", "Менеджер", "Статус организации",
                   "Пометка на удаление", "E-mail", "Менеджер по основному направлению",
                   "Последний изменивший"):
        assert header in text, header
    # Someone without rights gets no edit link and no delete button.
    assert f"/counterparties/{cl.x.id}/edit" not in html
    assert f"/counterparties/{cl.x.id}/delete" not in html


# -- registering a card (§5.5, CP-1…CP-3, CP-11) ---------------------------------------------


def _card_form(catalog, **extra) -> dict:
    return {"catalog_id": str(catalog.id), "type": "legal_entity", "status": "active",
            "name": "ООО «Новый клиент»", "full_name": "", "inn": "", "kpp": "", "ogrn": "",
            "legal_address": "", "postal_address": "", "phone": "", "sms_phone": "",
            "email": "", "mailing_email": "", "parent_id": "", "okved": "", "head": "",
            **extra}


def test_who_may_register_a_card(system, as_boss, as_curator, as_manager, as_other, cl):
    made = as_curator.post("/counterparties/new", data=_card_form(
        cl.nsk, name="ООО «Кедр»", inn=legal_inn("540699991")))
    assert made.status_code == 303
    card = system.app.counterparties.search(cl.director.id, "кедр").rows[0].counterparty
    assert _location(made) == f"/counterparties/{card.id}"
    assert card.catalog_id == cl.nsk.id and card.created_by == cl.curator.id
    # Nested catalogs of the curated one too.
    assert as_curator.post("/counterparties/new", data=_card_form(
        cl.archive, name="ООО «Пихта»")).status_code == 303
    for client, catalog in ((as_curator, cl.msk), (as_manager, cl.nsk), (as_other, cl.nsk)):
        before = snapshot(system)
        response = client.post("/counterparties/new", data=_card_form(catalog, name="ООО «Ель»"))
        assert response.status_code == 403
        assert snapshot(system) == before
    assert as_boss.post("/counterparties/new", data=_card_form(
        cl.msk, name="ООО «Берёза»")).status_code == 303


def test_bad_requisites_are_named_per_field_and_nothing_is_saved(system, as_boss, cl):
    before = snapshot(system)
    response = as_boss.post("/counterparties/new", data=_card_form(
        cl.nsk, name="", inn="1234567890", kpp="12", ogrn="123", phone="звоните",
        email="нет-адреса"))
    assert response.status_code == 422
    text = page_text(response)
    for message in ("обязательное поле", "контрольное число ИНН не сходится", "КПП",
                    "ОГРН", "не номер телефона", "неверный адрес e-mail"):
        assert message in text, message
    assert snapshot(system) == before
    # What was typed stays in the form.
    assert 'value="звоните"' in response.get_data(as_text=True)


def test_duplicate_warning_then_save_anyway_is_recorded(system, as_curator, cl):
    form = _card_form(cl.nsk, name="ООО «Лесной двор»", phone="8 (383) 212-00-01")
    warned = as_curator.post("/counterparties/new", data=form)
    assert warned.status_code == 409
    html = warned.get_data(as_text=True)
    text = page_text(warned)
    assert "Возможные дубликаты" in text and "тот же телефон" in text
    assert f'href="/counterparties/{cl.x.id}"' in html and "Сохранить всё равно" in text
    assert system.app.counterparties.search(cl.director.id, "лесной двор").total == 0
    saved = as_curator.post("/counterparties/new", data={**form, "proceed": "1"})
    assert saved.status_code == 303
    card_id = int(_location(saved).rsplit("/", 1)[1])
    history = page_text(as_curator.get(f"/counterparties/{card_id}/history"))
    assert "Сохранено, несмотря на возможные дубликаты" in history
    assert "ООО «Сибирский лес»" in history


def test_a_branch_is_offered_as_the_parent_organisation(as_boss, cl):
    form = _card_form(cl.nsk, name="ООО «Сибирский лес» — Бердск", inn=X_INN, kpp="544501001",
                      phone="+7 383 212-00-01")
    warned = as_boss.post("/counterparties/new", data=form)
    assert warned.status_code == 409
    text = page_text(warned)
    assert "филиал" in text and "Сделать основной организацией" in text
    refilled = as_boss.post("/counterparties/new/refill", data={**form, "use_parent": str(cl.x.id)})
    assert refilled.status_code == 200
    html = refilled.get_data(as_text=True)
    assert f'name="parent_id" value="{cl.x.id}"' in html
    assert 'value="544501001"' in html  # the rest of the form is kept


def test_related_clients(system, as_boss, as_other, cl):
    page = as_boss.get(f"/counterparties/new?parent_id={cl.x.id}").get_data(as_text=True)
    assert f'name="parent_id" value="{cl.x.id}"' in page
    assert f'<option value="{cl.nsk.id}" selected' in page
    made = as_boss.post("/counterparties/new", data=_card_form(
        cl.nsk, name="ООО «Сибирский лес — Томск»", parent_id=str(cl.x.id)))
    assert made.status_code == 303
    related = page_text(as_other.get(f"/counterparties/{cl.x.id}/related"))
    assert "ООО «Сибирский лес — Томск»" in related and "Добавить связанного клиента" in related
    child_id = int(_location(made).rsplit("/", 1)[1])
    requisites = page_text(as_other.get(f"/counterparties/{child_id}"))
    assert "Основная организация" in requisites and "ООО «Сибирский лес»" in requisites


def test_egrul_not_configured_unavailable_not_found_and_filled(system, as_boss, cl):
    before = snapshot(system)
    form = _card_form(cl.nsk, name="", inn=REGISTRY_INN, phone="8 913 111-22-33")
    unconfigured = as_boss.post("/counterparties/new/egrul", data=form)
    assert unconfigured.status_code == 503
    assert "не настроен" in page_text(unconfigured)
    registry = fake_registry(system)
    filled = as_boss.post("/counterparties/new/egrul", data=form)
    assert filled.status_code == 200
    html = filled.get_data(as_text=True)
    assert "заполнена из ЕГРЮЛ" in page_text(filled)
    for value in ("ООО «Вектор»", "540601001", "62.01", "Иванов Иван Иванович",
                  "630004, г. Новосибирск, ул. Ленина, д. 7", "8 913 111-22-33"):
        assert value in html, value
    missing = as_boss.post("/counterparties/new/egrul", data={**form, "inn": legal_inn("540600078")})
    assert missing.status_code == 404 and "нет организации с ИНН" in page_text(missing)
    registry.down = "the EGRUL service: request limit reached, try later"
    down = as_boss.post("/counterparties/new/egrul", data=form)
    assert down.status_code == 503 and "лимит" in page_text(down)
    bad = as_boss.post("/counterparties/new/egrul", data={**form, "inn": "12345"})
    assert bad.status_code == 422 and "ИНН" in page_text(bad)
    # Nothing is saved by any of it, and what was typed stays.
    assert snapshot(system) == before
    assert 'value="8 913 111-22-33"' in down.get_data(as_text=True)


# -- the card: requisites, editing, moving, deletion (CP-1, CAT-6, CP-12) ---------------------


def test_the_card_header_and_tabs(as_other, cl):
    text = page_text(as_other.get(f"/counterparties/{cl.x.id}"))
    assert "ООО «Сибирский лес»" in text and "Менеджер: Менеджеров Максим" in text
    for tab in ("Реквизиты", "Контакты", "Связанные клиенты", "История", "Ответственные"):
        assert tab in text, tab
    for value in (X_INN, "540601001", "630099, г. Новосибирск, ул. Ленина, 1", "Новосибирск"):
        assert value in text, value
    assert "Редактировать" not in text and "Пометить на удаление" not in text


def test_who_may_edit_a_card(system, as_boss, as_curator, as_manager, as_other, cl):
    for client, name in ((as_manager, "ООО «Сибирский лес плюс»"),
                         (as_curator, "ООО «Сибирский лес-2»")):
        html = client.get(f"/counterparties/{cl.x.id}/edit").get_data(as_text=True)
        response = client.post(f"/counterparties/{cl.x.id}/edit", data={
            **_card_form(cl.nsk, name=name, inn=X_INN, kpp="540601001",
                         phone="+7 383 212-00-01"), "version": version_of(html)})
        assert response.status_code == 303, page_text(response)[:500]
        assert system.app.counterparties.get(cl.director.id, cl.x.id).name == name
    for client, card in ((as_manager, cl.y), (as_curator, cl.y), (as_other, cl.x)):
        before = snapshot(system)
        response = client.post(f"/counterparties/{card.id}/edit", data={
            "name": "Чужая карточка", "type": "legal_entity", "version": "1"})
        assert response.status_code == 403
        assert snapshot(system) == before
    history = page_text(as_other.get(f"/counterparties/{cl.x.id}/history"))
    assert "ООО «Сибирский лес плюс» → ООО «Сибирский лес-2»" in history


def test_a_stale_edit_is_a_conflict_and_an_edit_may_warn_of_duplicates(system, as_boss, cl):
    html = as_boss.get(f"/counterparties/{cl.x.id}/edit").get_data(as_text=True)
    version = version_of(html)
    base = _card_form(cl.nsk, name="ООО «Сибирский лес»", inn=X_INN, kpp="540601001",
                      phone="+7 383 212-00-01")
    ok = as_boss.post(f"/counterparties/{cl.x.id}/edit", data={**base, "version": version,
                                                                "head": "Петров П. П."})
    assert ok.status_code == 303
    stale = as_boss.post(f"/counterparties/{cl.x.id}/edit", data={**base, "version": version,
                                                                   "head": "Другой"})
    assert stale.status_code == 409 and "изменён другим пользователем" in page_text(stale)
    assert system.app.counterparties.get(cl.director.id, cl.x.id).head == "Петров П. П."
    fresh = version_of(as_boss.get(f"/counterparties/{cl.x.id}/edit").get_data(as_text=True))
    same_phone = {**base, "phone": "+7 495 100-00-02", "version": fresh}
    warned = as_boss.post(f"/counterparties/{cl.x.id}/edit", data=same_phone)
    assert warned.status_code == 409 and "АО «Московский завод»" in page_text(warned)
    saved = as_boss.post(f"/counterparties/{cl.x.id}/edit", data={**same_phone, "proceed": "1"})
    assert saved.status_code == 303


def test_moving_a_card_picks_the_catalog_by_name(system, as_boss, as_curator, as_manager,
                                                  as_other, cl):
    found = page_text(as_curator.get(f"/counterparties/{cl.x.id}/move?q=архив"))
    assert "Архив НСК" in found and "Москва" not in found
    version = str(system.app.counterparties.get(cl.director.id, cl.x.id).version)
    moved = as_curator.post(f"/counterparties/{cl.x.id}/move", data={
        "catalog_id": str(cl.archive.id), "version": version})
    assert moved.status_code == 303
    assert system.app.counterparties.get(cl.director.id, cl.x.id).catalog_id == cl.archive.id
    version = str(system.app.counterparties.get(cl.director.id, cl.x.id).version)
    # The curator of Новосибирск may not put cards into Москва; the manager may not move
    # at all into it; someone without roles may not move.
    for client in (as_curator, as_manager, as_other):
        before = snapshot(system)
        response = client.post(f"/counterparties/{cl.x.id}/move", data={
            "catalog_id": str(cl.msk.id), "version": version})
        assert response.status_code == 403
        assert snapshot(system) == before
    missing = as_boss.post(f"/counterparties/{cl.x.id}/move", data={"catalog_id": "",
                                                                     "version": version})
    assert missing.status_code == 422
    stale = as_boss.post(f"/counterparties/{cl.x.id}/move", data={
        "catalog_id": str(cl.msk.id), "version": "1"})
    assert stale.status_code == 409
    assert as_boss.post(f"/counterparties/{cl.x.id}/move", data={
        "catalog_id": str(cl.msk.id), "version": version}).status_code == 303
    history = page_text(as_boss.get(f"/counterparties/{cl.x.id}/history"))
    assert "Архив НСК → Москва" in history


def test_mark_deleted_and_restore(system, as_curator, as_manager, as_other, cl):
    for client, card in ((as_other, cl.x), (as_curator, cl.y), (as_manager, cl.y)):
        before = snapshot(system)
        assert client.post(f"/counterparties/{card.id}/delete").status_code == 403
        assert snapshot(system) == before
    marked = as_manager.post(f"/counterparties/{cl.x.id}/delete",
                             data={"next": f"/counterparties/catalogs/{cl.nsk.id}"})
    assert marked.status_code == 303
    assert _location(marked) == f"/counterparties/catalogs/{cl.nsk.id}"
    assert system.app.counterparties.get(cl.director.id, cl.x.id).deleted
    card = page_text(as_other.get(f"/counterparties/{cl.x.id}"))
    assert "помечена на удаление" in card
    again = as_manager.post(f"/counterparties/{cl.x.id}/delete", follow_redirects=True)
    assert "уже помечена на удаление" in page_text(again)
    assert as_curator.post(f"/counterparties/{cl.x.id}/restore").status_code == 303
    assert not system.app.counterparties.get(cl.director.id, cl.x.id).deleted
    # An outside next is ignored.
    evil = as_curator.post(f"/counterparties/{cl.x.id}/delete", data={"next": "//evil.example"})
    assert _location(evil) == f"/counterparties/{cl.x.id}"
    history = page_text(as_other.get(f"/counterparties/{cl.x.id}/history"))
    assert "Помечена на удаление" in history


def test_hard_delete_is_for_administrators_and_lists_the_links(
        system, as_boss, as_administrator, as_curator, cl):
    assert "Удалить навсегда" not in page_text(as_curator.get(f"/counterparties/{cl.x.id}"))
    before = snapshot(system)
    assert as_curator.post(f"/counterparties/{cl.y.id}/purge").status_code == 403
    assert snapshot(system) == before
    refused = as_administrator.post(f"/counterparties/{cl.x.id}/purge")
    assert refused.status_code == 409
    text = page_text(refused)
    assert "нельзя удалить навсегда" in text and "контакты: 1" in text
    assert snapshot(system) == before
    gone = as_boss.post(f"/counterparties/{cl.y.id}/purge")
    assert gone.status_code == 303 and _location(gone) == f"/counterparties/catalogs/{cl.msk.id}"
    assert as_boss.get(f"/counterparties/{cl.y.id}").status_code == 404


def test_the_export_flag(system, as_manager, as_other, cl):
    version = str(system.app.counterparties.get(cl.director.id, cl.x.id).version)
    before = snapshot(system)
    assert as_other.post(f"/counterparties/{cl.x.id}/export-1c", data={
        "export_1c": "1", "version": version}).status_code == 403
    assert snapshot(system) == before
    done = as_manager.post(f"/counterparties/{cl.x.id}/export-1c", data={
        "export_1c": "1", "version": version, "next": f"/counterparties/catalogs/{cl.nsk.id}"})
    assert done.status_code == 303
    assert system.app.counterparties.get(cl.director.id, cl.x.id).export_1c
    stale = as_manager.post(f"/counterparties/{cl.x.id}/export-1c", data={
        "export_1c": "0", "version": version}, follow_redirects=True)
    assert "изменён другим пользователем" in page_text(stale)
    assert system.app.counterparties.get(cl.director.id, cl.x.id).export_1c


# -- contacts (CP-8) -------------------------------------------------------------------------


def test_contacts_add_edit_delete(system, as_manager, as_other, cl):
    page = page_text(as_other.get(f"/counterparties/{cl.x.id}/contacts"))
    assert "Соколова Марина Игоревна" in page and "+79130001122" in page
    assert "Добавить контакт" not in page
    bad = as_manager.post(f"/counterparties/{cl.x.id}/contacts", data={
        "full_name": "", "phones": "не телефон", "birthday": "31.05.1980"})
    assert bad.status_code == 422
    text = page_text(bad)
    assert "обязательное поле" in text and "не номер телефона" in text and "1980-05-31" in text
    added = as_manager.post(f"/counterparties/{cl.x.id}/contacts", data={
        "full_name": "Орлов Олег", "position": "Директор", "birthday": "1975-03-08",
        "phones": "8 913 222-33-44, +7 383 000-00-00", "emails": "orlov@sib-les.ru",
        "note": "Звонить после обеда"})
    assert added.status_code == 303
    contacts = system.app.counterparties.contacts(cl.director.id, cl.x.id)
    orlov = next(c for c in contacts if c.full_name == "Орлов Олег")
    assert orlov.phones == ["+79132223344", "+73830000000"]
    url = f"/counterparties/{cl.x.id}/contacts/{orlov.id}"
    version = version_of(as_manager.get(url + "/edit").get_data(as_text=True))
    assert as_manager.post(url + "/edit", data={
        "full_name": "Орлов Олег Петрович", "phones": "8 913 222-33-44",
        "version": version}).status_code == 303
    stale = as_manager.post(url + "/edit", data={"full_name": "Старое", "version": version})
    assert stale.status_code == 409
    before = snapshot(system)
    assert as_other.post(url + "/delete").status_code == 403
    assert snapshot(system) == before
    confirm = page_text(as_manager.get(url + "/delete"))
    assert "Удалить контакт?" in confirm and "Орлов Олег Петрович" in confirm
    assert as_manager.post(url + "/delete").status_code == 303
    names = [c.full_name for c in system.app.counterparties.contacts(cl.director.id, cl.x.id)]
    assert names == ["Соколова Марина Игоревна"]
    # A contact of another card is not reachable through this one.
    assert as_manager.get(f"/counterparties/{cl.y.id}/contacts/{cl.contact.id}/edit"
                          ).status_code == 404


def test_contact_photo_upload_checks_size_and_type(system, as_manager, as_other, cl):
    from io import BytesIO

    url = f"/counterparties/{cl.x.id}/contacts/{cl.contact.id}/photo"
    wrong = as_manager.post(url, data={"photo": (BytesIO(b"just text"), "a.png")},
                            content_type="multipart/form-data")
    assert wrong.status_code == 422 and "PNG, JPEG, GIF или WebP" in page_text(wrong)
    big = as_manager.post(url, data={"photo": (BytesIO(PNG + b"\0" * (2 * 1024 * 1024)), "b.png")},
                          content_type="multipart/form-data")
    assert big.status_code == 422 and "не более 2 МБ" in page_text(big)
    empty = as_manager.post(url, data={}, content_type="multipart/form-data")
    assert empty.status_code == 422
    before = snapshot(system)
    assert as_other.post(url, data={"photo": (BytesIO(PNG), "c.png")},
                         content_type="multipart/form-data").status_code == 403
    assert snapshot(system) == before
    good = as_manager.post(url, data={"photo": (BytesIO(PNG), "c.png")},
                           content_type="multipart/form-data")
    assert good.status_code == 303
    page = as_other.get(f"/counterparties/{cl.x.id}/contacts").get_data(as_text=True)
    assert f'src="{url}"' in page
    served = as_other.get(url)
    assert served.status_code == 200 and served.mimetype == "image/png" and served.data == PNG


# -- responsible managers (CP-6, CP-7) -------------------------------------------------------


def test_assign_responsible_sends_confirmation_requests(system, as_curator, as_manager,
                                                          as_other, cl):
    assert "Назначить ответственного" in page_text(
        as_curator.get(f"/counterparties/{cl.x.id}/managers"))
    assert "Назначить ответственного" not in page_text(
        as_other.get(f"/counterparties/{cl.x.id}/managers"))
    for client, card in ((as_other, cl.x), (as_manager, cl.x), (as_curator, cl.y)):
        before = snapshot(system)
        response = client.post(f"/counterparties/{card.id}/assign", data={
            "employee_id": str(cl.clerk.id), "project_id": ""})
        assert response.status_code == 403
        assert snapshot(system) == before
    missing = as_curator.post(f"/counterparties/{cl.x.id}/assign", data={"employee_id": ""})
    assert missing.status_code == 422 and "обязательное поле" in page_text(missing)
    done = as_curator.post(f"/counterparties/{cl.x.id}/assign", data={
        "employee_id": str(cl.clerk.id), "project_id": str(cl.project.id)})
    assert done.status_code == 303
    page = page_text(as_other.get(f"/counterparties/{cl.x.id}/managers"))
    assert "Ожидает подтверждения" in page and "Иванов Пётр" in page
    assert "Годовое обслуживание" in page
    # The employee and their head (the Administrator heads «Отдел продаж») were asked.
    asked = {m.recipient_id for who in (cl.clerk, cl.admin)
             for m in system.app.messages.inbox(who.id)}
    assert asked == {cl.clerk.id, cl.admin.id}


def test_the_history_tab_shows_a_confirmed_assignment(system, as_other, cl):
    app = system.app
    request = app.counterparties.assign_responsible(cl.director.id, cl.x.id, {
        "employee_id": str(cl.clerk.id)})
    for who in (cl.clerk, cl.admin):
        message = next(m for m in app.messages.inbox(who.id)
                       if m.action == f"curator_assignment:{request.id}")
        app.messages.answer(who.id, message.id, True, "")
    history = page_text(as_other.get(f"/counterparties/{cl.x.id}/history"))
    assert "Ответственный менеджер (основное направление)" in history
    assert "Менеджеров Максим → Иванов Пётр" in history
    managers = page_text(as_other.get(f"/counterparties/{cl.x.id}/managers"))
    assert "Иванов Пётр" in managers and "основное направление" in managers


@pytest.mark.parametrize("lang,word", [("en", "Counterparties"), ("ru", "Контрагенты")])
def test_the_pages_speak_the_users_language(as_boss, cl, lang, word):
    as_boss.post("/lang", data={"lang": lang})
    for url in (f"/counterparties/{cl.x.id}", f"/counterparties/catalogs/{cl.nsk.id}",
                "/counterparties"):
        assert word in page_text(as_boss.get(url))


def test_unicode_digits_in_addresses_and_forms_are_not_errors(as_boss, cl):
    """"²".isdigit() is true but int() refuses it: a page number or an id like that is
    read as nothing, never a 500."""
    assert as_boss.get(f"/counterparties/catalogs/{cl.nsk.id}?page=²").status_code == 200
    assert as_boss.get("/counterparties/new?catalog_id=²&parent_id=³").status_code == 200
    response = as_boss.post("/counterparties/new", data=_card_form(cl.nsk, parent_id="²"))
    assert response.status_code == 422 and "нужен номер объекта" in page_text(response)
