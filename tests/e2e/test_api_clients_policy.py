"""Rights on the client base through the API (issue 3 acceptance; CAT-2, CAT-4, CAT-5,
CP-5…CP-7, CP-12): the Director, the curator of catalog «Новосибирск» (worker_a), the
client manager of card X in it (worker_b) and an employee without a role, each asked to
view, create, edit, move, delete and assign on catalogs and cards. A refused action
answers 403 and leaves every data table (the client base's too) and the history as
they were; an allowed change leaves history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pytest
from sqlalchemy import select

from ecrm_adapters.sqlalchemy import tables as t
from ecrm_core.kernel.refs import ObjectRef
from tests.e2e.api_support import Api, copy_of, snapshot
from tests.e2e.clients_support import PNG, legal_inn, make_clients_template, raw

ACTORS = {"director": "director", "curator": "worker_a", "manager": "worker_b",
          "plain": "plain"}
CLIENT_TABLES = (t.catalogs, t.counterparties, t.contacts, t.curator_assignments)


def full_snapshot(system) -> dict[str, Any]:
    shot = snapshot(system)
    with system.engine.connect() as conn:
        for table in CLIENT_TABLES:
            shot[table.name] = [tuple(r) for r in conn.execute(
                select(table).order_by(table.c.id))]
    return shot


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_clients_template(tmp_path_factory.mktemp("api-clients-policy"),
                                 _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    base, clients = template
    with copy_of(base, tmp_path) as (org, app):
        yield org, app, clients


@attrs.frozen
class Case:
    name: str
    allowed: frozenset[str]
    call: Callable[..., Any]
    prepare: Callable[..., Any] | None = None
    changes: bool = True


def case(name, allowed, call, prepare=None, changes=True) -> Case:
    return Case(name, frozenset({"director", *allowed}), call, prepare, changes)


def _version(o, kind: str, ident: int) -> int:
    app = o.system.app
    if kind == "catalog":
        return app.catalogs.get(o.director.id, ident).version
    return app.counterparties.get(o.director.id, ident).version


def _card_in(catalog: str, name: str = "ООО «Подготовленная»"):
    def prepare(o, c):
        return o.system.app.counterparties.register(o.director.id, {
            "catalog_id": getattr(c, catalog).id, "type": "legal_entity", "name": name})
    return prepare


def _nested_in_nsk(o, c):
    return o.system.app.catalogs.create(o.director.id, {"name": "Академгородок",
                                                        "parent_id": c.nsk.id})


def _marked(card: str):
    def prepare(o, c):
        return o.system.app.counterparties.mark_deleted(o.director.id, getattr(c, card).id)
    return prepare


def _contact_of(card: str):
    def prepare(o, c):
        return o.system.app.counterparties.add_contact(o.director.id, getattr(c, card).id,
                                                       {"full_name": "Контакт Тестовый"})
    return prepare


NEW = {"type": "legal_entity", "name": "ООО «Новый клиент»", "inn": legal_inn("540611111")}
EVERYONE = {"curator", "manager", "plain"}

CASES = [
    # catalogs
    case("view the catalog tree", EVERYONE, lambda api, o, c, _: api.get("/catalogs"),
         changes=False),
    case("view catalog Новосибирск", EVERYONE,
         lambda api, o, c, _: api.get(f"/catalogs/{c.nsk.id}"), changes=False),
    case("view the cards of catalog Москва", EVERYONE,
         lambda api, o, c, _: api.get(f"/catalogs/{c.msk.id}/counterparties"), changes=False),
    case("create a top catalog", set(),
         lambda api, o, c, _: api.post("/catalogs", {"name": "Новый верхний"})),
    case("create a catalog inside Новосибирск", {"curator"},
         lambda api, o, c, _: api.post("/catalogs", {"name": "Бердск", "parent_id": c.nsk.id})),
    case("create a catalog inside Москва", set(),
         lambda api, o, c, _: api.post("/catalogs", {"name": "Химки", "parent_id": c.msk.id})),
    case("edit catalog Новосибирск", {"curator"}, lambda api, o, c, _: api.patch(
        f"/catalogs/{c.nsk.id}", {"version": _version(o, "catalog", c.nsk.id),
                                  "description": "Сибирь"})),
    case("edit catalog Москва", set(), lambda api, o, c, _: api.patch(
        f"/catalogs/{c.msk.id}", {"version": _version(o, "catalog", c.msk.id),
                                  "description": "Центр"})),
    case("edit the top catalog", set(), lambda api, o, c, _: api.patch(
        f"/catalogs/{c.top.id}", {"version": _version(o, "catalog", c.top.id),
                                  "description": "Все"})),
    # cards
    case("view card X", EVERYONE, lambda api, o, c, _: api.get(f"/counterparties/{c.x.id}"),
         changes=False),
    case("search the cards", EVERYONE,
         lambda api, o, c, _: api.get("/counterparties", query={"q": "лес"}), changes=False),
    case("view the contacts of card X", EVERYONE,
         lambda api, o, c, _: api.get(f"/counterparties/{c.x.id}/contacts"), changes=False),
    case("create a card in Новосибирск", {"curator"},
         lambda api, o, c, _: api.post("/counterparties", {"catalog_id": c.nsk.id, **NEW})),
    case("create a card in Москва", set(),
         lambda api, o, c, _: api.post("/counterparties", {"catalog_id": c.msk.id, **NEW})),
    case("edit card X", {"curator", "manager"}, lambda api, o, c, _: api.patch(
        f"/counterparties/{c.x.id}", {"version": _version(o, "card", c.x.id),
                                      "head": "Новиков Н. Н."})),
    case("edit card Y", set(), lambda api, o, c, _: api.patch(
        f"/counterparties/{c.y.id}", {"version": _version(o, "card", c.y.id),
                                      "head": "Новиков Н. Н."})),
    case("move card X into a catalog nested in Новосибирск", {"curator"},
         lambda api, o, c, target: api.post(f"/counterparties/{c.x.id}/move",
                                            {"catalog_id": target.id}),
         _nested_in_nsk),
    case("move card X to Москва", set(), lambda api, o, c, _: api.post(
        f"/counterparties/{c.x.id}/move", {"catalog_id": c.msk.id})),
    case("move card Y to Новосибирск", set(), lambda api, o, c, _: api.post(
        f"/counterparties/{c.y.id}/move", {"catalog_id": c.nsk.id})),
    case("mark card X deleted", {"curator", "manager"},
         lambda api, o, c, _: api.post(f"/counterparties/{c.x.id}/delete-mark")),
    case("mark card Y deleted", set(),
         lambda api, o, c, _: api.post(f"/counterparties/{c.y.id}/delete-mark")),
    case("restore card X", {"curator", "manager"},
         lambda api, o, c, _: api.post(f"/counterparties/{c.x.id}/restore"), _marked("x")),
    case("restore card Y", set(),
         lambda api, o, c, _: api.post(f"/counterparties/{c.y.id}/restore"), _marked("y")),
    case("delete an unlinked card in Новосибирск for good", set(),
         lambda api, o, c, card: api.delete(f"/counterparties/{card.id}"), _card_in("nsk")),
    case("assign responsible for card X", {"curator"}, lambda api, o, c, _: api.post(
        f"/counterparties/{c.x.id}/responsible", {"employee_id": o.worker_a.id})),
    case("assign responsible for card Y", set(), lambda api, o, c, _: api.post(
        f"/counterparties/{c.y.id}/responsible", {"employee_id": o.worker_a.id})),
    # contacts
    case("add a contact to card X", {"curator", "manager"}, lambda api, o, c, _: api.post(
        f"/counterparties/{c.x.id}/contacts", {"full_name": "Новый Контакт"})),
    case("add a contact to card Y", set(), lambda api, o, c, _: api.post(
        f"/counterparties/{c.y.id}/contacts", {"full_name": "Новый Контакт"})),
    case("change a contact of card X", {"curator", "manager"},
         lambda api, o, c, k: api.patch(f"/contacts/{k.id}", {"version": k.version,
                                                              "note": "важно"}),
         _contact_of("x")),
    case("remove a contact of card Y", set(),
         lambda api, o, c, k: api.delete(f"/contacts/{k.id}"), _contact_of("y")),
    case("upload a photo of a contact of card Y", set(),
         lambda api, o, c, k: raw(api, "PUT", f"/contacts/{k.id}/photo", PNG, "image/png"),
         _contact_of("y")),
]


@pytest.mark.parametrize("actor", list(ACTORS))
@pytest.mark.parametrize("action", CASES, ids=lambda c: c.name)
def test_client_base_policy_matrix(world, action: Case, actor: str):
    org, app, clients = world
    context = action.prepare(org, clients) if action.prepare else None
    before = full_snapshot(org.system)
    response = action.call(Api(app, org.tokens[ACTORS[actor]]), org, clients, context)
    after = full_snapshot(org.system)
    if actor in action.allowed:
        assert response.status_code in (200, 201, 204), response.get_json()
        if action.changes:
            assert after["history rows"] > before["history rows"], "a change leaves history"
        else:
            assert after == before
    else:
        assert response.status_code == 403, response.get_json()
        assert response.get_json()["error"] == "forbidden"
        assert after == before, "a forbidden action changed something"


def test_the_matrix_covers_every_action_on_catalogs_and_cards():
    names = [c.name for c in CASES]
    for verb in ("view", "create", "edit", "move", "mark", "restore", "delete", "assign"):
        assert any(n.startswith(verb) for n in names), verb
    assert any("catalog" in n and n.startswith("create") for n in names)
    assert any("card" in n and n.startswith("create") for n in names)


def test_an_administrator_deletes_an_unlinked_card_for_good_a_curator_may_not(world):
    org, app, clients = world
    target = _card_in("nsk")(org, clients)
    assert Api(app, org.tokens["worker_a"]).delete(f"/counterparties/{target.id}"
                                                   ).status_code == 403
    assert Api(app, org.tokens["admin_a"]).delete(f"/counterparties/{target.id}"
                                                  ).status_code == 204


def test_a_registrar_may_register_in_the_catalog_but_not_edit(world):
    org, app, clients = world
    org.system.app.access.grant(org.director.id, org.plain.id, "client_registrar",
                                ObjectRef("catalog", clients.msk.id))
    plain = Api(app, org.tokens["plain"])
    made = plain.post("/counterparties", {"catalog_id": clients.msk.id, **NEW})
    assert made.status_code == 201, made.get_json()
    body = made.get_json()
    assert plain.patch(f"/counterparties/{body['id']}", {
        "version": body["version"], "head": "x"}).status_code == 403


def test_a_project_leader_assigns_for_their_project_only(world):
    org, app, clients = world
    org.system.app.access.grant(org.director.id, org.plain.id, "project_leader",
                                ObjectRef("counterparty", clients.y.id), org.proj_p.id)
    plain = Api(app, org.tokens["plain"])
    path = f"/counterparties/{clients.y.id}/responsible"
    assert plain.post(path, {"employee_id": org.worker_a.id, "project_id": org.proj_p.id}
                      ).status_code == 201
    assert plain.post(path, {"employee_id": org.worker_a.id, "project_id": org.proj_q.id}
                      ).status_code == 403
    assert plain.post(path, {"employee_id": org.worker_a.id}).status_code == 403
