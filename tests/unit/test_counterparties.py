"""The client base's use cases on in-memory fakes (tests/fakes.py): catalogs (CAT-1…6),
the card and its checks (CP-1, CP-4), duplicates (CP-3), search (CP-9, CP-10), list pages
(CAT-3, CP-13), moving, deletion marks and hard deletes (CAT-6, CP-12), contacts (CP-8).
Rights are in test_counterparties_rights.py; curators, import and the register in
test_counterparties_flows.py; value checks as properties in
test_counterparties_requisites.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ecrm_core.counterparties import services as cp_services
from ecrm_core.counterparties.model import CounterpartyType, OrganisationStatus
from ecrm_core.counterparties.services import MAX_PHOTO, DuplicatesFound
from ecrm_core.kernel.errors import Conflict, NotFound, ValidationFailed
from tests.fakes import fake_app

PASSWORD = "correct-horse"
SBER = {"inn": "7707083893", "kpp": "773601001", "ogrn": "1027700132195"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


@pytest.fixture
def w():
    app, storage = fake_app()
    w = SimpleNamespace(app=app, storage=storage, cards=app.counterparties,
                        catalogs=app.catalogs)
    w.director = app.org.found_company(
        "ООО «Ромашка»", {"login": "director", "password": PASSWORD, "full_name": "Петров И."})
    w.d = w.director.id
    w.clients = app.catalogs.create(w.d, {"name": "Клиенты"})
    w.other_catalog = app.catalogs.create(w.d, {"name": "Архив"})
    return w


def card(w, name, catalog=None, **fields):
    data = {"catalog_id": (catalog or w.clients).id, "type": "legal_entity", "name": name}
    return w.cards.register(w.d, data | fields)


def history(w, ref):
    return w.app.history.of(w.d, ref)


# -- catalogs ------------------------------------------------------------------------------------


def test_catalogs_nest_without_limit_and_the_tree_lists_parents_first(w):
    parent = w.clients
    chain = [parent]
    for level in range(6):
        parent = w.catalogs.create(w.d, {"name": f"Уровень {level}", "parent_id": parent.id})
        chain.append(parent)
    tree = w.catalogs.tree(w.d)
    depths = {c.id: depth for depth, c in tree}
    assert [depths[c.id] for c in chain] == list(range(7))
    order = [c.id for _, c in tree]
    assert all(order.index(a.id) < order.index(b.id) for a, b in zip(chain, chain[1:],
                                                                       strict=False))
    assert chain[-1].curator_id == w.d  # the creator curates unless another is named


def test_catalog_fields_are_checked(w):
    with pytest.raises(ValidationFailed) as err:
        w.catalogs.create(w.d, {"name": "", "parent_id": "x", "curator_id": "y"})
    assert set(err.value.errors) == {"name", "parent_id", "curator_id"}
    with pytest.raises(NotFound):
        w.catalogs.create(w.d, {"name": "В никуда", "parent_id": 999})
    with pytest.raises(ValidationFailed) as err:
        w.catalogs.create(w.d, {"name": "Без куратора", "curator_id": 999})
    assert set(err.value.errors) == {"curator_id"}
    with pytest.raises(ValidationFailed):
        w.catalogs.update(w.d, w.clients.id, {"name": "  "})
    with pytest.raises(Conflict):
        w.catalogs.update(w.d, w.clients.id, {"name": "Новое", "version": 99})
    renamed = w.catalogs.update(w.d, w.clients.id, {"name": "Клиенты-2", "version": 1})
    assert renamed.name == "Клиенты-2"
    assert history(w, renamed.ref)[0].changes == [
        {"field": "name", "old": "Клиенты", "new": "Клиенты-2"}]


def test_catalogs_are_found_by_a_part_of_the_name(w):
    w.catalogs.create(w.d, {"name": "Москва", "parent_id": w.clients.id})
    assert [c.name for c in w.catalogs.find(w.d, "моск")] == ["Москва"]
    assert {c.name for c in w.catalogs.find(w.d, "")} == {"Клиенты", "Архив", "Москва"}
    assert w.catalogs.find(w.d, None) and w.catalogs.find(w.d, "\x00") is not None


# -- the card: fields ----------------------------------------------------------------------------


def test_register_keeps_normalised_fields_and_records_history(w):
    c = card(w, "ООО «Ромашка»", phone="8 (913) 123-45-67", email="Info@Romashka.RU",
             sms_phone="+7 913 765 43 21", full_name="Общество «Ромашка»", **SBER)
    assert (c.phone, c.sms_phone, c.email) == ("+79131234567", "+79137654321",
                                               "Info@romashka.ru")
    assert c.status is OrganisationStatus.ACTIVE and c.type is CounterpartyType.LEGAL_ENTITY
    assert c.search_text == "ооо «ромашка» общество «ромашка»"
    assert c.name_key == "ромашка"
    assert (c.created_by, c.updated_by, c.catalog_id) == (w.d, w.d, w.clients.id)
    [created] = history(w, c.ref)
    assert created.action == "ObjectCreated"
    assert {"field": "inn", "old": None, "new": "7707083893"} in created.changes


def test_every_bad_field_is_named_at_once(w):
    with pytest.raises(ValidationFailed) as err:
        w.cards.register(w.d, {
            "catalog_id": w.clients.id, "type": "legal_entity", "name": "",
            "inn": "7707083894", "kpp": "77360100", "ogrn": "1027700132196",
            "phone": "call me", "email": "not-mail", "mailing_email": "x@", "status": "gone",
            "extra": ["list"]})
    assert set(err.value.errors) == {"name", "inn", "kpp", "ogrn", "phone", "email",
                                     "mailing_email", "status", "extra"}
    assert w.cards.search(w.d, "7707").total == 0


@pytest.mark.parametrize(("kind", "fields", "bad"), [
    ("legal_entity", {"inn": "500100732259"}, "inn"),       # 12 digits for a legal entity
    ("sole_proprietor", {"inn": "7707083893"}, "inn"),      # 10 digits for a proprietor
    ("sole_proprietor", {"ogrn": "1027700132195"}, "ogrn"),  # OGRN instead of OGRNIP
    ("legal_entity", {"ogrn": "304500000000010"}, "ogrn"),
    ("individual", {"kpp": "773601001"}, "kpp"),            # only legal entities have one
    ("company", {}, "type"),
])
def test_lengths_depend_on_the_type(w, kind, fields, bad):
    with pytest.raises(ValidationFailed) as err:
        w.cards.register(w.d, {"catalog_id": w.clients.id, "type": kind, "name": "Тест",
                               **fields})
    assert set(err.value.errors) == {bad}


def test_a_sole_proprietor_with_an_ogrnip_whose_remainder_is_ten(w):
    c = card(w, "ИП Иванова М. П.", type="sole_proprietor", inn="500100732259",
             ogrn="304500000000010")
    assert c.ogrn == "304500000000010"


def test_extra_attributes_are_simple_values(w):
    c = card(w, "С атрибутами", extra={"отрасль": "банки", "сотрудников": 120, "vip": True})
    assert c.extra == {"отрасль": "банки", "сотрудников": 120, "vip": True}
    for extra in ({"a": {"nested": 1}}, {"a": "x" * 1001}, {str(i): i for i in range(51)}, "s"):
        with pytest.raises(ValidationFailed):
            card(w, "Плохие атрибуты", extra=extra)


def test_a_parent_organisation_must_exist_and_not_loop(w):
    head = card(w, "Холдинг")
    branch = card(w, "Филиал", parent_id=head.id)
    with pytest.raises(ValidationFailed):
        card(w, "Сирота", parent_id=999)
    with pytest.raises(ValidationFailed) as err:
        w.cards.update(w.d, head.id, {"parent_id": branch.id})
    assert "parent_id" in err.value.errors
    with pytest.raises(ValidationFailed):
        w.cards.update(w.d, head.id, {"parent_id": head.id})


def test_update_records_old_and_new_and_checks_the_version(w):
    c = card(w, "Альфа", phone="+7 913 123 45 67")
    changed = w.cards.update(w.d, c.id, {"phone": "8 913 000-00-01", "version": c.version})
    assert changed.phone == "+79130000001"
    assert history(w, c.ref)[0].changes == [
        {"field": "phone", "old": "+79131234567", "new": "+79130000001"}]
    with pytest.raises(Conflict):
        w.cards.update(w.d, c.id, {"phone": "8 913 000-00-02", "version": c.version})
    with pytest.raises(ValidationFailed):
        w.cards.update(w.d, c.id, {"name": ""})
    with pytest.raises(ValidationFailed):
        w.cards.update(w.d, c.id, {"version": "x"})
    with pytest.raises(NotFound):
        w.cards.update(w.d, 999, {"name": "X"})
    assert w.cards.update(w.d, c.id, {"catalog_id": w.other_catalog.id, "id": 5}).catalog_id \
        == w.clients.id  # not editable through update


# -- duplicates (CP-3) ---------------------------------------------------------------------------


def reasons(exc_info) -> dict[int, tuple[str, ...]]:
    return {c.id: c.reasons for c in exc_info.value.candidates}


def test_the_same_inn_is_a_duplicate(w):
    first = card(w, "Сбербанк", **SBER)
    with pytest.raises(DuplicatesFound) as err:
        card(w, "Совсем другое имя", inn=SBER["inn"])
    assert reasons(err) == {first.id: ("inn",)}
    assert err.value.candidates[0].blocking and err.value.code == "duplicates"


def test_the_same_inn_with_another_kpp_is_a_branch_not_a_duplicate(w):
    head = card(w, "Сбербанк", **SBER)
    branch = card(w, "Сибирский банк", inn=SBER["inn"], kpp="540602001")
    assert branch.id != head.id
    candidates = w.cards.duplicates(w.d, {"name": "Ещё филиал", "inn": SBER["inn"],
                                          "kpp": "540202001"})
    assert {c.id: (c.reasons, c.blocking) for c in candidates} == {
        head.id: (("branch",), False), branch.id: (("branch",), False)}
    # without a KPP it is the same INN again
    with pytest.raises(DuplicatesFound):
        card(w, "Без КПП", inn=SBER["inn"])


def test_a_phone_in_another_format_is_a_duplicate(w):
    first = card(w, "Альфа", phone="+7 (913) 123-45-67")
    second = card(w, "Бета", sms_phone="8 913 765 43 21")
    for phone, expected in (("89131234567", first.id), ("8-913-123-45-67", first.id),
                            ("+79137654321", second.id)):
        with pytest.raises(DuplicatesFound) as err:
            card(w, "Гамма", phone=phone)
        assert reasons(err) == {expected: ("phone",)}


def test_an_email_in_another_case_is_a_duplicate(w):
    first = card(w, "Альфа", email="Sales@Alfa.ru")
    with pytest.raises(DuplicatesFound) as err:
        card(w, "Бета", mailing_email="sales@ALFA.RU")
    assert reasons(err) == {first.id: ("email",)}


@pytest.mark.parametrize("name", [
    'ООО "Ромашка"', "ромашка", "РОМАШКА ООО", "Ромашка, ПАО", "АО «Ромашка»",
    "  Общество с ограниченной ответственностью  Ромашка ", "ромашка!",
])
def test_a_near_identical_name_is_a_duplicate(w, name):
    first = card(w, "ООО «Ромашка»")
    with pytest.raises(DuplicatesFound) as err:
        card(w, name)
    assert reasons(err) == {first.id: ("name",)}


def test_yo_and_ye_are_the_same_letter_in_names(w):
    first = card(w, "Ёлка")
    with pytest.raises(DuplicatesFound) as err:
        card(w, 'ООО "ЕЛКА"')
    assert reasons(err) == {first.id: ("name",)}


@pytest.mark.parametrize("name", ["Ромашка-2", "Ромашки", "Ромашка Плюс", "ООО Лютик"])
def test_different_names_are_not_duplicates(w, name):
    card(w, "ООО «Ромашка»")
    assert card(w, name).name == name


def test_several_reasons_and_deleted_candidates_are_shown(w):
    first = card(w, "Ромашка", phone="+79131234567", email="a@b.ru", **SBER)
    w.cards.mark_deleted(w.d, first.id)
    with pytest.raises(DuplicatesFound) as err:
        card(w, "ромашка", phone="89131234567", email="A@B.RU", inn=SBER["inn"])
    [candidate] = err.value.candidates
    assert candidate.reasons == ("email", "inn", "name", "phone") and candidate.deleted


def test_saving_anyway_is_recorded_in_history(w):
    first = card(w, "Ромашка", phone="+79131234567")
    second = w.cards.register(w.d, {"catalog_id": w.clients.id, "type": "legal_entity",
                                    "name": "Лютик", "phone": "8 913 123 45 67"}, proceed=True)
    entries = history(w, second.ref)
    assert {"field": "saved_despite_duplicates", "old": None, "new": [first.id]} in [
        change for entry in entries for change in entry.changes]


def test_a_branch_alone_needs_no_proceeding_and_leaves_no_mark(w):
    card(w, "Сбербанк", **SBER)
    branch = card(w, "Филиал", inn=SBER["inn"], kpp="540602001")
    changes = [c["field"] for e in history(w, branch.ref) for c in e.changes]
    assert "saved_despite_duplicates" not in changes


@pytest.mark.parametrize(("field", "value"), [
    ("inn", "7707083893"), ("phone", "8 (495) 500-55-50"), ("sms_phone", "+74955005550"),
    ("email", "INFO@sber.ru"), ("mailing_email", "info@SBER.ru"),
])
def test_changing_inn_email_or_phone_checks_duplicates(w, field, value):
    first = card(w, "Сбербанк", phone="+74955005550", email="info@sber.ru", **SBER)
    other = card(w, "Лютик")
    with pytest.raises(DuplicatesFound) as err:
        w.cards.update(w.d, other.id, {field: value})
    assert first.id in reasons(err)
    changed = w.cards.update(w.d, other.id, {field: value}, proceed=True)
    assert getattr(changed, field) != ""


def test_other_changes_and_unchanged_values_do_not_check_duplicates(w):
    card(w, "Сбербанк", phone="+74955005550")
    twin = w.cards.register(w.d, {"catalog_id": w.clients.id, "type": "legal_entity",
                                  "name": "Сбер-2", "phone": "+74955005550"}, proceed=True)
    assert w.cards.update(w.d, twin.id, {"head": "Греф", "phone": "8 495 500 55 50"}).head \
        == "Греф"
    # the card itself is never its own duplicate
    assert w.cards.update(w.d, twin.id, {"name": "Сбер-3", "email": "new@sber.ru"}).email \
        == "new@sber.ru"


def test_the_form_can_ask_for_candidates_while_filling(w):
    first = card(w, "Ромашка", phone="+79131234567")
    assert [c.id for c in w.cards.duplicates(w.d, {"phone": "8 913 123 45 67"})] == [first.id]
    assert w.cards.duplicates(w.d, {"phone": "8 913 123 45 67"}, exclude=first.id) == []
    assert w.cards.duplicates(w.d, {}) == []
    with pytest.raises(ValidationFailed):
        w.cards.duplicates(w.d, {"phone": "nonsense"})


# -- search (CP-9, CP-10) --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "  ", "аб", "ab", "a1", "«»!!", None, 42, "ё"])
def test_a_short_query_is_refused_on_the_field_q(w, text):
    with pytest.raises(ValidationFailed) as err:
        w.cards.search(w.d, text)
    assert set(err.value.errors) == {"q"}


def found_ids(page) -> list[int]:
    return [row.counterparty.id for row in page.rows]


def test_search_by_name_substring_ignores_case_and_yo(w):
    alfa = card(w, "ООО «Альфа-Строй»", full_name="Общество «Ёлочка и Альфа»")
    card(w, "Бета")
    assert found_ids(w.cards.search(w.d, "ЛЬФ")) == [alfa.id]
    assert found_ids(w.cards.search(w.d, "елочк")) == [alfa.id]  # the full name, ё = е
    assert found_ids(w.cards.search(w.d, "строй")) == [alfa.id]
    assert found_ids(w.cards.search(w.d, "Gamma")) == []


def test_search_by_digits_finds_id_inn_prefix_and_parent_inn(w):
    sber = card(w, "Сбербанк", **SBER)
    branch = card(w, "Филиал Сбербанка", parent_id=sber.id)
    other = card(w, "Альфа", inn="7728168971")
    assert found_ids(w.cards.search(w.d, str(other.id))) == [other.id]
    assert found_ids(w.cards.search(w.d, "770708")) == [sber.id]
    assert found_ids(w.cards.search(w.d, "77")) == [sber.id, other.id]
    # a whole INN: the card and the clients whose parent organisation it is
    assert set(found_ids(w.cards.search(w.d, SBER["inn"]))) == {sber.id, branch.id}
    assert found_ids(w.cards.search(w.d, "9" * 40)) == []


def test_search_by_a_contacts_surname(w):
    alfa = card(w, "Альфа")
    w.cards.add_contact(w.d, alfa.id, {"full_name": "Сидоренко Евгений Петрович"})
    assert found_ids(w.cards.search(w.d, "сидор")) == [alfa.id]
    assert found_ids(w.cards.search(w.d, "евген")) == []  # surnames only


def test_search_orders_by_relevance(w):
    anywhere = card(w, "Суперальфа")
    word = card(w, "ООО «Альфа Плюс»")
    prefix = card(w, "Альфабанк")
    exact = card(w, "Альфа")
    assert found_ids(w.cards.search(w.d, "альфа")) == [exact.id, prefix.id, word.id,
                                                       anywhere.id]


def test_deleted_cards_are_found_unless_filtered_out(w):
    gone = card(w, "Альфа", **SBER)
    kept = card(w, "Альфабанк")
    w.cards.mark_deleted(w.d, gone.id)
    assert set(found_ids(w.cards.search(w.d, "альфа"))) == {gone.id, kept.id}
    assert found_ids(w.cards.search(w.d, "альфа", include_deleted=False)) == [kept.id]
    assert found_ids(w.cards.search(w.d, SBER["inn"], include_deleted=False)) == []
    assert found_ids(w.cards.search(w.d, str(gone.id), include_deleted=False)) == []


def test_search_results_are_paged_and_capped(w, monkeypatch):
    monkeypatch.setattr(cp_services, "SEARCH_CAP", 25)
    made = [card(w, f"Компания {i:02d}") for i in range(30)]
    first = w.cards.search(w.d, "компан")
    assert (first.total, first.capped, first.pages, len(first.rows)) == (25, True, 2, 20)
    second = w.cards.search(w.d, "компан", page=2)
    assert len(second.rows) == 5
    assert not set(found_ids(first)) & set(found_ids(second))
    assert set(found_ids(first)) | set(found_ids(second)) <= {c.id for c in made}
    few = w.cards.search(w.d, "компания 0")
    assert (few.total, few.capped) == (10, False)
    for page in ("0", "x", -1, 10**9):
        with pytest.raises(ValidationFailed) as err:
            w.cards.search(w.d, "компан", page=page)
        assert set(err.value.errors) == {"page"}


def test_digit_search_pages_through_id_inn_matches_and_related_clients(w, monkeypatch):
    """The ID hit, then the INN matches (by INN, counted up to the cap, only the page
    loaded), then related clients of a whole INN; each card once (CP-9, CP-11)."""
    sber = card(w, "Сбербанк", **SBER)
    same_inn = [w.cards.register(w.d, {
        "catalog_id": w.clients.id, "type": "legal_entity", "name": f"Филиал {i:02d}",
        "inn": SBER["inn"], "kpp": f"7736010{i:02d}", "parent_id": sber.id}, proceed=True)
        for i in range(25)]
    related = [card(w, f"Дочка {i:02d}", parent_id=sber.id) for i in range(5)]
    pages = [w.cards.search(w.d, SBER["inn"], page=n) for n in (1, 2, 3)]
    assert [len(p.rows) for p in pages] == [20, 11, 0]
    assert all((p.total, p.capped) == (31, False) for p in pages)
    ids = [i for p in pages for i in found_ids(p)]
    inn_matches = sorted([sber, *same_inn], key=lambda c: (c.inn, c.id))
    assert ids == [c.id for c in inn_matches] + [c.id for c in related]
    # an ID that is also an INN prefix of its own card shows once
    monkeypatch.setattr(cp_services, "SEARCH_CAP", 10)
    capped = w.cards.search(w.d, "77")
    assert (capped.total, capped.capped, len(capped.rows)) == (10, True, 10)


def test_unusual_digits_are_searched_as_text_not_crashed_on(w):
    card(w, "Альфа 222")
    assert w.cards.search(w.d, "²²²").total == 1  # NFKC folds it to "222"
    assert w.cards.search(w.d, "٧٧٠٧٠٨").total == 0


def test_advanced_search_over_fields(w):
    moscow = w.catalogs.create(w.d, {"name": "Москва", "parent_id": w.clients.id})
    sber = card(w, "Сбербанк", catalog=moscow, legal_address="г Москва, ул Вавилова", **SBER)
    ip = card(w, "ИП Иванова", type="sole_proprietor", inn="500100732259",
              catalog=w.other_catalog)
    gone = card(w, "Ликвидированная", status="liquidated")
    w.cards.mark_deleted(w.d, gone.id)
    adv = w.cards.advanced_search
    assert found_ids(adv(w.d, {"inn": "7707"})) == [sber.id]
    assert found_ids(adv(w.d, {"type": "sole_proprietor"})) == [ip.id]
    assert found_ids(adv(w.d, {"catalog_id": w.clients.id, "deleted": "false"})) == [sber.id]
    assert found_ids(adv(w.d, {"status": "liquidated"})) == [gone.id]
    assert found_ids(adv(w.d, {"legal_address": "вавилова"})) == [sber.id]
    assert found_ids(adv(w.d, {"created_from": "2026-03-02", "created_to": "2026-03-02",
                               "name": "ИП"})) == [ip.id]
    assert adv(w.d, {"created_from": "2026-03-03"}).total == 0
    with pytest.raises(ValidationFailed) as err:
        adv(w.d, {"inn": "77a", "type": "x", "status": "y", "created_from": "31.01.2026",
                  "catalog_id": "z"})
    assert set(err.value.errors) == {"inn", "type", "status", "created_from", "catalog_id"}


# -- list pages (CAT-3, CP-13) -------------------------------------------------------------------


def test_a_catalog_lists_20_cards_a_page_by_name(w):
    for i in reversed(range(45)):
        card(w, f"Клиент {i:02d}")
    card(w, "Чужой", catalog=w.other_catalog)
    pages = [w.cards.catalog_page(w.d, w.clients.id, page=n) for n in (1, 2, 3, 4)]
    assert [len(p.rows) for p in pages] == [20, 20, 5, 0]
    assert all((p.total, p.pages, p.per_page) == (45, 3, 20) for p in pages)
    names = [r.counterparty.name for p in pages for r in p.rows]
    assert names == [f"Клиент {i:02d}" for i in range(45)]
    with pytest.raises(ValidationFailed):
        w.cards.catalog_page(w.d, w.clients.id, page="next")
    with pytest.raises(NotFound):
        w.cards.catalog_page(w.d, 999)


def test_a_long_catalog_is_counted_only_as_far_as_the_page_links_reach(w, monkeypatch):
    """CAT-3 at scale: the count stops at the page + 10 pages (at least SEARCH_CAP);
    past it the list reads "more than" and the pages go on."""
    monkeypatch.setattr(cp_services, "SEARCH_CAP", 40)
    for i in range(300):
        card(w, f"Клиент {i:03d}")
    first = w.cards.catalog_page(w.d, w.clients.id)
    assert (first.total, first.capped, first.pages) == (220, True, 11)
    deep = w.cards.catalog_page(w.d, w.clients.id, page=11)
    assert (deep.total, deep.capped, deep.pages) == (300, False, 15)
    assert [r.counterparty.name for r in deep.rows][0] == "Клиент 200"


def test_a_list_row_shows_catalog_managers_and_last_modifier(w):
    manager = w.app.org.add_employee(w.d, {"login": "mgr", "password": PASSWORD,
                                           "full_name": "Менеджеров"})
    other = w.app.org.add_employee(w.d, {"login": "oth", "password": PASSWORD,
                                         "full_name": "Другой"})
    project = w.app.org.create_project(w.d, {"name": "Внедрение"})
    c = card(w, "Альфа")
    w.app.access.grant(w.d, other.id, "client_manager", c.ref, project_id=project.id)
    w.app.access.grant(w.d, manager.id, "client_manager", c.ref)
    w.app.access.grant(w.d, manager.id, "catalog_curator", w.clients.ref)
    w.cards.update(manager.id, c.id, {"head": "Иванов"})
    gone = card(w, "Бета")
    w.cards.mark_deleted(w.d, gone.id)
    page = w.cards.catalog_page(w.d, w.clients.id)
    row = page.rows[0]
    assert (row.catalog_name, row.managers, row.main_manager, row.last_modifier) == (
        "Клиенты", (other.id, manager.id), manager.id, manager.id)
    assert [r.counterparty.id for r in w.cards.catalog_page(
        w.d, w.clients.id, include_deleted=False).rows] == [c.id]


# -- moving, deletion marks, hard deletes (CAT-6, CP-12) ---------------------------------------------


def test_move_a_card_to_another_catalog(w):
    c = card(w, "Альфа")
    moved = w.cards.move(w.d, c.id, str(w.other_catalog.id), version=c.version)
    assert moved.catalog_id == w.other_catalog.id
    assert history(w, c.ref)[0].changes[0] == {"field": "catalog_id", "old": w.clients.id,
                                               "new": w.other_catalog.id}
    with pytest.raises(ValidationFailed):
        w.cards.move(w.d, c.id, 999)
    with pytest.raises(ValidationFailed):
        w.cards.move(w.d, c.id, "abc")
    with pytest.raises(Conflict):
        w.cards.move(w.d, c.id, w.clients.id, version=1)


def test_mark_deleted_and_restore_keep_the_card_and_its_history(w):
    c = card(w, "Альфа")
    marked = w.cards.mark_deleted(w.d, c.id)
    assert marked.deleted and marked.deleted_at is not None
    with pytest.raises(Conflict):
        w.cards.mark_deleted(w.d, c.id)
    # a marked card may move (CP-12)
    w.cards.move(w.d, c.id, w.other_catalog.id)
    restored = w.cards.restore(w.d, c.id)
    assert not restored.deleted and restored.deleted_at is None
    with pytest.raises(Conflict):
        w.cards.restore(w.d, c.id)
    changes = [ch["field"] for e in history(w, c.ref) for ch in e.changes]
    assert changes.count("deleted") == 2


def test_a_hard_delete_is_refused_while_anything_links_to_the_card(w):
    head = card(w, "Холдинг")
    card(w, "Дочка", parent_id=head.id)
    contact = w.cards.add_contact(w.d, head.id, {"full_name": "Сидоров Е."})
    with pytest.raises(Conflict) as err:
        w.cards.purge(w.d, head.id)
    assert err.value.details == {"related_clients": 1, "contacts": 1}
    w.cards.remove_contact(w.d, contact.id)
    lonely = card(w, "Одиночка")
    w.cards.purge(w.d, lonely.id)
    with pytest.raises(NotFound):
        w.cards.get(w.d, lonely.id)
    assert history(w, lonely.ref)[0].action == "ObjectDeleted"
    with pytest.raises(NotFound):
        w.cards.purge(w.d, lonely.id)


# -- contacts (CP-8) ---------------------------------------------------------------------------------


def test_contacts_are_validated_and_normalised(w):
    c = card(w, "Альфа")
    contact = w.cards.add_contact(w.d, c.id, {
        "full_name": "Сидоров Евгений", "position": "Главбух", "birthday": "1980-05-31",
        "phones": "8 913 123-45-67; +7 (495) 111-22-33", "emails": ["Ivan@Alfa.RU"],
        "note": "звонить после обеда"})
    assert contact.phones == ["+79131234567", "+74951112233"]
    assert contact.emails == ["Ivan@alfa.ru"]
    assert str(contact.birthday) == "1980-05-31" and contact.surname_key == "сидоров"
    with pytest.raises(ValidationFailed) as err:
        w.cards.add_contact(w.d, c.id, {"full_name": "", "birthday": "31.05.1980",
                                        "phones": ["123"], "emails": "no-mail"})
    assert set(err.value.errors) == {"full_name", "birthday", "phones", "emails"}
    with pytest.raises(ValidationFailed) as err:
        w.cards.add_contact(w.d, c.id, {"full_name": "X", "phones": ["+79131234567"] * 11})
    assert set(err.value.errors) == {"phones"}
    with pytest.raises(NotFound):
        w.cards.add_contact(w.d, 999, {"full_name": "X"})
    updated = w.cards.update_contact(w.d, contact.id, {"birthday": "", "phones": [],
                                                       "version": contact.version})
    assert (updated.birthday, updated.phones) == (None, [])
    with pytest.raises(Conflict):
        w.cards.update_contact(w.d, contact.id, {"note": "x", "version": contact.version})
    assert [x.id for x in w.cards.contacts(w.d, c.id)] == [contact.id]


def test_a_contacts_photo_is_checked_kept_replaced_and_removed(w):
    c = card(w, "Альфа")
    contact = w.cards.add_contact(w.d, c.id, {"full_name": "Сидоров Е."})
    files = w.storage.files.files
    for data, words in ((b"", "required"), (b"GIF8", "picture"), (b"%PDF-1.4 ...", "picture"),
                        (b"RIFF\x00\x00\x00\x00WAVE", "picture"),
                        (PNG + b"\x00" * MAX_PHOTO, "2 MiB"), ("text", "required")):
        with pytest.raises(ValidationFailed) as err:
            w.cards.set_photo(w.d, contact.id, data)
        assert words in err.value.errors["photo"]
    assert files == {}
    w.cards.set_photo(w.d, contact.id, PNG)
    assert w.cards.photo(w.d, contact.id) == PNG
    w.cards.set_photo(w.d, contact.id, JPEG)
    assert list(files.values()) == [JPEG]  # the old photo is gone
    assert w.cards.set_photo(w.d, contact.id, b"RIFF\x10\x00\x00\x00WEBPVP8 ").photo \
        .endswith(".webp")
    w.cards.remove_contact(w.d, contact.id)
    assert files == {}
    with pytest.raises(NotFound):
        w.cards.photo(w.d, contact.id)
    with pytest.raises(NotFound):
        w.cards.set_photo(w.d, contact.id, PNG)
