"""Who may do what in the client base (CAT-2, CAT-4, CAT-5, CAT-6, CP-5…CP-7, CP-12), on
in-memory fakes: the Director, a catalog's curator, a registrar, a client manager, a
project leader, a department administrator and an employee with no role, each tried on
view/create/edit/move/delete/assign of catalogs and cards."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from ecrm_core.kernel.errors import Conflict, Forbidden
from tests.fakes import fake_app

PASSWORD = "correct-horse"
_names = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix} {next(_names)}"


def build_world():
    """Catalogs «Клиенты» (curator: curator) ⊃ «Москва», and «Партнёры» (the Director);
    card1 and card2 in «Москва», card3 in «Партнёры»; manager manages card1; registrar
    may register in «Клиенты»; leader leads card1 for the project «Внедрение»; admin
    administers the department «Продажи»; other has no role."""
    app, storage = fake_app()
    w = SimpleNamespace(app=app, storage=storage)
    w.director = app.org.found_company(
        "ООО «Ромашка»", {"login": "director", "password": PASSWORD, "full_name": "Петров И. С."})
    d = w.director.id
    w.sales = app.org.create_department(d, {"name": "Продажи"})
    w.project = app.org.create_project(d, {"name": "Внедрение"})

    def employee(login, full_name, **extra):
        return app.org.add_employee(d, {"login": login, "password": PASSWORD,
                                        "full_name": full_name, **extra})

    w.curator = employee("curator", "Кураторова Ольга")
    w.partner_curator = employee("pcurator", "Партнёрова Нина")
    w.registrar = employee("registrar", "Регистраторов Игорь")
    w.manager = employee("manager", "Менеджеров Пётр")
    w.leader = employee("leader", "Лидеров Антон")
    w.admin = employee("admin", "Админова Вера", department_id=w.sales.id)
    w.other = employee("other", "Прочий Семён")
    app.access.grant(d, w.admin.id, "administrator", w.sales.ref)
    w.clients = app.catalogs.create(d, {"name": "Клиенты", "curator_id": w.curator.id})
    w.moscow = app.catalogs.create(d, {"name": "Москва", "parent_id": w.clients.id})
    w.partners = app.catalogs.create(d, {"name": "Партнёры"})
    w.partners_sub = app.catalogs.create(d, {"name": "Партнёры-2", "parent_id": w.partners.id,
                                            "curator_id": w.partner_curator.id})
    cards = app.counterparties
    w.card1 = cards.register(d, {"catalog_id": w.moscow.id, "type": "legal_entity",
                                 "name": "ООО «Альфа»"})
    w.card2 = cards.register(d, {"catalog_id": w.moscow.id, "type": "legal_entity",
                                 "name": "ООО «Бета»"})
    w.card3 = cards.register(d, {"catalog_id": w.partners.id, "type": "legal_entity",
                                 "name": "ООО «Гамма»"})
    app.access.grant(d, w.registrar.id, "client_registrar", w.clients.ref)
    app.access.grant(d, w.manager.id, "client_manager", w.card1.ref)
    app.access.grant(d, w.leader.id, "project_leader", w.card1.ref, project_id=w.project.id)
    return w


@pytest.fixture
def world():
    return build_world()


def attempt(call) -> bool:
    """True when the call is allowed, False when the policy refuses it."""
    try:
        call()
    except Forbidden:
        return False
    return True


def actions(w, actor):
    a, cards, catalogs = actor.id, w.app.counterparties, w.app.catalogs

    def new_card(catalog):
        return lambda: cards.register(a, {"catalog_id": catalog.id, "type": "legal_entity",
                                          "name": unique("Новый клиент")})

    def delete_and_restore(card):
        def run():
            cards.mark_deleted(a, card.id)
            cards.restore(a, card.id)
        return run

    def move(card, there, back):
        def run():
            cards.move(a, card.id, there.id)
            cards.move(a, card.id, back.id)
        return run

    return {
        "view catalogs": lambda: (catalogs.get(a, w.clients.id), catalogs.tree(a),
                                  cards.catalog_page(a, w.moscow.id)),
        "view card": lambda: (cards.get(a, w.card1.id), cards.contacts(a, w.card1.id),
                              cards.managers(a, w.card1.id), cards.search(a, "Альфа"),
                              w.app.history.of(a, w.card1.ref)),
        "create top catalog": lambda: catalogs.create(a, {"name": unique("Верхний")}),
        "create catalog inside": lambda: catalogs.create(
            a, {"name": unique("Вложенный"), "parent_id": w.moscow.id}),
        "edit catalog": lambda: catalogs.update(a, w.clients.id, {"description": unique("d")}),
        "edit another catalog": lambda: catalogs.update(
            a, w.partners.id, {"description": unique("d")}),
        "create card": new_card(w.moscow),
        "create card elsewhere": new_card(w.partners),
        "edit card": lambda: cards.update(a, w.card1.id, {"head": unique("Иванов")}),
        "edit another card": lambda: cards.update(a, w.card2.id, {"head": unique("Иванов")}),
        "edit contacts": lambda: cards.add_contact(a, w.card1.id, {"full_name": "Сидоров Е."}),
        "move card": move(w.card1, w.clients, w.moscow),
        "delete card": delete_and_restore(w.card1),
        "assign": lambda: cards.assign_responsible(a, w.card1.id, {"employee_id": w.other.id}),
        "assign in the project": lambda: cards.assign_responsible(
            a, w.card1.id, {"employee_id": w.other.id, "project_id": w.project.id}),
        "grant registrar": lambda: w.app.access.grant(
            a, w.other.id, "client_registrar", w.moscow.ref),
    }


ALL = {
    "view catalogs", "view card", "create top catalog", "create catalog inside",
    "edit catalog", "edit another catalog", "create card", "create card elsewhere",
    "edit card", "edit another card", "edit contacts", "move card", "delete card", "assign",
    "assign in the project", "grant registrar",
}
VIEW = {"view catalogs", "view card"}

EXPECTED = {
    "director": ALL,
    # CAT-2/CAT-4: the curator works everything inside its catalog, nothing outside;
    # top catalogs are the Director's
    "curator": ALL - {"create top catalog", "edit another catalog", "create card elsewhere"},
    # CAT-2: the right to register clients, nothing more
    "registrar": VIEW | {"create card"},
    # CP-5: the client manager works the card (edits, contacts, deletion mark) but may
    # not move it (no right to put cards in a catalog) nor appoint managers
    "manager": VIEW | {"edit card", "edit contacts", "delete card"},
    # CP-7: the project leader attaches managers to the client for the project
    "leader": VIEW | {"assign in the project"},
    # an administrator of a department has no rights over the client base
    "admin": VIEW,
    # CAT-5: everyone views
    "other": VIEW,
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_rights_matrix(world, who):
    actor = getattr(world, who)
    got = {name for name, call in actions(world, actor).items() if attempt(call)}
    assert got == EXPECTED[who]


def test_moving_needs_rights_on_both_catalogs(world):
    w = world
    cards = w.app.counterparties
    # the curator of «Клиенты» may take the card out, but not put it in «Партнёры»
    with pytest.raises(Forbidden):
        cards.move(w.curator.id, w.card1.id, w.partners.id)
    # the curator of «Партнёры-2» may put cards there, but card1 is not theirs
    with pytest.raises(Forbidden):
        cards.move(w.partner_curator.id, w.card1.id, w.partners_sub.id)
    # the Director grants the curator registration in «Партнёры-2»: now both sides allow
    w.app.access.grant(w.director.id, w.curator.id, "client_registrar", w.partners_sub.ref)
    moved = cards.move(w.curator.id, w.card1.id, w.partners_sub.id)
    assert moved.catalog_id == w.partners_sub.id
    # the partners' curator may now edit it, the first curator no longer
    cards.update(w.partner_curator.id, w.card1.id, {"head": "Новиков"})
    with pytest.raises(Forbidden):
        cards.update(w.curator.id, w.card1.id, {"head": "Старков"})


def test_rights_on_a_nested_catalog_follow_its_parents(world):
    w = world
    deep = w.app.catalogs.create(w.curator.id, {"name": "Район", "parent_id": w.moscow.id})
    deeper = w.app.catalogs.create(w.curator.id, {"name": "Улица", "parent_id": deep.id})
    card = w.app.counterparties.register(w.registrar.id, {
        "catalog_id": deeper.id, "type": "individual", "name": "Кузнецов Илья"})
    w.app.counterparties.update(w.curator.id, card.id, {"phone": "8 (913) 123-45-67"})
    with pytest.raises(Forbidden):
        w.app.counterparties.update(w.registrar.id, card.id, {"phone": "+7 913 000 00 00"})


def test_the_curator_of_a_new_catalog_gets_the_role(world):
    w = world
    sub = w.app.catalogs.create(w.curator.id, {"name": "Подкаталог", "parent_id": w.clients.id,
                                               "curator_id": w.other.id})
    assert sub.curator_id == w.other.id
    # the named curator may now register and edit there
    card = w.app.counterparties.register(w.other.id, {
        "catalog_id": sub.id, "type": "legal_entity", "name": "ООО «Дельта»"})
    w.app.counterparties.update(w.other.id, card.id, {"head": "Дельтов"})
    # a curator made the curator of a catalog by an update gets the role too
    w.app.catalogs.update(w.director.id, w.partners.id, {"curator_id": w.manager.id})
    w.app.counterparties.update(w.manager.id, w.card3.id, {"head": "Гаммов"})


def test_a_disabled_employee_may_do_nothing(world):
    w = world
    w.app.org.set_active(w.director.id, w.curator.id, False)
    with pytest.raises(Forbidden):
        w.app.counterparties.get(w.curator.id, w.card1.id)
    with pytest.raises(Forbidden):
        w.app.catalogs.tree(w.curator.id)


@pytest.mark.parametrize(("who", "allowed"), [
    ("director", True), ("admin", True), ("curator", False), ("manager", False),
    ("other", False)])
def test_only_administrators_delete_for_good(world, who, allowed):
    w = world
    card = w.app.counterparties.register(w.director.id, {
        "catalog_id": w.moscow.id, "type": "legal_entity", "name": unique("Одноразовый")})
    actor = getattr(w, who)
    if allowed:
        w.app.counterparties.purge(actor.id, card.id)
        assert w.app.counterparties.search(w.director.id, str(card.id)).total == 0
    else:
        with pytest.raises(Forbidden):
            w.app.counterparties.purge(actor.id, card.id)
    # a linked card is refused to everyone, with what links to it
    with pytest.raises((Conflict, Forbidden)) as err:
        w.app.counterparties.purge(actor.id, w.card1.id)
    if allowed:
        assert isinstance(err.value, Conflict)
        assert err.value.details == {"roles": 2}
