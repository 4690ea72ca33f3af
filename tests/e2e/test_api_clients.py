"""The client base through /api/v1 (issue 3): catalogs, counterparties, contacts,
search, duplicates, the state register, "assign responsible" — one happy and at least
one unhappy test per endpoint. ``Api`` checks every answer against the OpenAPI document."""

from __future__ import annotations

import pytest

from tests.e2e.api_support import Api, copy_of, snapshot
from tests.e2e.clients_support import (
    GIF,
    PNG,
    REGISTRY_INN,
    X_INN,
    Y_INN,
    fake_registry,
    legal_inn,
    make_clients_template,
    ogrn,
    person_inn,
    raw,
)


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_clients_template(tmp_path_factory.mktemp("api-clients"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    base, clients = template
    with copy_of(base, tmp_path) as (org, app):
        yield org, app, clients


@pytest.fixture
def org(world):
    return world[0]


@pytest.fixture
def app(world):
    return world[1]


@pytest.fixture
def cl(world):
    return world[2]


@pytest.fixture
def boss(app, org) -> Api:
    return Api(app, org.tokens["director"])


@pytest.fixture
def plain(app, org) -> Api:
    return Api(app, org.tokens["plain"])


def fields_of(response) -> dict:
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["error"] == "validation_failed", body
    return body["fields"]


def card(api: Api, ident: int) -> dict:
    response = api.get(f"/counterparties/{ident}")
    assert response.status_code == 200, response.get_json()
    return response.get_json()


NEW_INN = legal_inn("540677001")


def new_card(**extra) -> dict:
    return {"type": "legal_entity", "name": "ООО «Новая Заря»", "inn": NEW_INN,
            "kpp": "540601001", "ogrn": ogrn("102540077001"), "phone": "8 383 299-00-11",
            "email": "zarya@example.ru", **extra}


# -- catalogs ---------------------------------------------------------------------------------


def test_the_catalog_tree_lists_parents_before_children_with_depth(plain, cl):
    items = plain.get("/catalogs").get_json()["items"]
    assert [(c["name"], c["depth"]) for c in items] == [
        ("Клиенты", 0), ("Москва", 1), ("Новосибирск", 1)]
    nsk = next(c for c in items if c["name"] == "Новосибирск")
    assert nsk["parent_id"] == cl.top.id and nsk["curator_id"] is not None


def test_catalogs_by_name_for_picking_a_move_target(plain):
    items = plain.get("/catalogs", query={"q": "моск"}).get_json()["items"]
    assert [(c["name"], c["depth"]) for c in items] == [("Москва", None)]


def test_catalogs_with_a_too_long_name_query_is_422(plain):
    assert "q" in fields_of(plain.get("/catalogs", query={"q": "я" * 101}))


def test_get_one_catalog(plain, cl):
    body = plain.get(f"/catalogs/{cl.nsk.id}").get_json()
    assert body["name"] == "Новосибирск" and body["version"] >= 1


def test_get_a_missing_catalog_is_404_and_a_bad_id_422(plain):
    assert plain.get("/catalogs/99999").status_code == 404
    assert "catalog_id" in fields_of(plain.get("/catalogs/abc"))


def test_create_a_nested_catalog_makes_the_creator_its_curator(app, org, cl):
    curator = Api(app, org.tokens["worker_a"])
    response = curator.post("/catalogs", {"name": "Академгородок", "parent_id": cl.nsk.id})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/catalogs/{body['id']}")
    assert body["curator_id"] == org.worker_a.id and body["parent_id"] == cl.nsk.id


def test_create_a_catalog_without_a_name_is_422_and_in_a_missing_parent_404(boss):
    assert fields_of(boss.post("/catalogs", {"description": "x"})) == {"name": "required"}
    assert boss.post("/catalogs", {"name": "X", "parent_id": 99999}).status_code == 404
    assert boss.post("/catalogs", "not an object").status_code == 400


def test_patch_a_catalog(boss, cl, org):
    version = boss.get(f"/catalogs/{cl.msk.id}").get_json()["version"]
    response = boss.patch(f"/catalogs/{cl.msk.id}", {
        "version": version, "name": "Москва и область", "curator_id": org.worker_b.id})
    assert response.status_code == 200
    assert response.get_json()["name"] == "Москва и область"
    assert response.get_json()["version"] == version + 1


def test_patch_a_catalog_needs_the_current_version(boss, cl):
    assert fields_of(boss.patch(f"/catalogs/{cl.msk.id}", {"name": "X"})) == {
        "version": "required"}
    stale = boss.patch(f"/catalogs/{cl.msk.id}", {"version": 99, "name": "X"})
    assert stale.status_code == 409
    assert "name" in fields_of(boss.patch(f"/catalogs/{cl.msk.id}", {
        "version": boss.get(f"/catalogs/{cl.msk.id}").get_json()["version"], "name": ""}))


def test_the_cards_of_a_catalog_page_with_row_fields(plain, cl, org):
    body = plain.get(f"/catalogs/{cl.nsk.id}/counterparties").get_json()
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 20, 1, 1)
    [row] = body["items"]
    assert row["id"] == cl.x.id and row["catalog_name"] == "Новосибирск"
    assert row["managers"] == [org.worker_b.id] and row["main_manager_id"] == org.worker_b.id
    assert row["last_modifier_id"] == org.director.id


def test_the_cards_of_a_catalog_bad_page_and_missing_catalog(plain, cl):
    assert "page" in fields_of(plain.get(f"/catalogs/{cl.nsk.id}/counterparties",
                                         query={"page": "0"}))
    assert plain.get("/catalogs/99999/counterparties").status_code == 404


def test_catalog_pages_have_twenty_cards(boss, org, cl):
    org.system.app.counterparties.import_rows(org.director.id, cl.msk.id, [
        {"type": "individual", "name": f"Клиент {i:02d}"} for i in range(25)])
    first = boss.get(f"/catalogs/{cl.msk.id}/counterparties").get_json()
    second = boss.get(f"/catalogs/{cl.msk.id}/counterparties", query={"page": 2}).get_json()
    assert (len(first["items"]), len(second["items"]), first["total"], first["pages"]) == (
        20, 6, 26, 2)


# -- the search line (CP-9) and the advanced search (CP-10) -------------------------------------


def test_search_by_three_letters_any_case_and_yo(plain, cl):
    body = plain.get("/counterparties", query={"q": "СИБ"}).get_json()
    assert [r["id"] for r in body["items"]] == [cl.x.id]
    assert plain.get("/counterparties", query={"q": "ЛЁС"}).get_json()["items"][0]["id"] == cl.x.id


def test_search_by_inn_prefix_id_and_contact_surname(plain, cl):
    assert [r["id"] for r in plain.get("/counterparties", query={"q": X_INN[:6]}
                                       ).get_json()["items"]] == [cl.x.id]
    assert cl.y.id in [r["id"] for r in plain.get("/counterparties",
                                                  query={"q": str(cl.y.id)}).get_json()["items"]]
    assert [r["id"] for r in plain.get("/counterparties", query={"q": "соколова"}
                                       ).get_json()["items"]] == [cl.x.id]


def test_a_short_search_query_is_422_naming_q(plain):
    assert "q" in fields_of(plain.get("/counterparties", query={"q": "ab"}))
    assert "q" in fields_of(plain.get("/counterparties"))
    assert "page" in fields_of(plain.get("/counterparties", query={"q": "abc", "page": "x"}))


def test_advanced_search_over_fields(plain, cl, org):
    body = plain.get("/counterparties/advanced-search", query={
        "catalog_id": cl.top.id, "type": "legal_entity", "manager_id": org.worker_b.id}
    ).get_json()
    assert [r["id"] for r in body["items"]] == [cl.x.id]
    body = plain.get("/counterparties/advanced-search", query={"inn": Y_INN[:4]}).get_json()
    assert [r["id"] for r in body["items"]] == [cl.y.id]


def test_advanced_search_names_every_bad_field(plain):
    errors = fields_of(plain.get("/counterparties/advanced-search", query={
        "type": "alien", "status": "x", "created_from": "31.12.2024", "inn": "12a"}))
    assert set(errors) == {"type", "status", "created_from", "inn"}
    assert plain.get("/counterparties/advanced-search",
                     query={"catalog_id": 99999}).status_code == 404


# -- duplicates (CP-3) --------------------------------------------------------------------------


def test_duplicate_candidates_by_phone_email_name_and_inn(plain, cl):
    def found(**query):
        return {c["id"]: c["reasons"] for c in plain.get(
            "/counterparties/duplicates", query=query).get_json()["items"]}

    assert found(phone="8 (383) 212-00-01") == {cl.x.id: ["phone"]}
    assert found(email="INFO@SIB-LES.RU") == {cl.x.id: ["email"]}
    assert found(name="сибирский лес") == {cl.x.id: ["name"]}
    assert found(inn=X_INN, kpp="540602002") == {cl.x.id: ["branch"]}
    assert found(inn=X_INN, exclude=cl.x.id) == {}


def test_duplicate_check_with_bad_values_is_422(plain):
    errors = fields_of(plain.get("/counterparties/duplicates",
                                 query={"inn": "1234567890", "phone": "call me"}))
    assert set(errors) == {"inn", "phone"}


# -- one card -----------------------------------------------------------------------------------


def test_get_a_card_with_its_row_fields(plain, cl, org):
    body = card(plain, cl.x.id)
    assert body["inn"] == X_INN and body["phone"] == "+73832120001"
    assert body["catalog_name"] == "Новосибирск" and body["managers"] == [org.worker_b.id]
    assert body["status"] == "active" and body["deleted"] is False


def test_get_a_missing_card_is_404(plain):
    assert plain.get("/counterparties/99999").status_code == 404
    assert "counterparty_id" in fields_of(plain.get("/counterparties/0"))


def test_register_a_card(boss, cl, org):
    response = boss.post("/counterparties", {"catalog_id": cl.msk.id, **new_card()})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/counterparties/{body['id']}")
    assert body["phone"] == "+73832990011" and body["created_by"] == org.director.id
    history = boss.get(f"/counterparties/{body['id']}/history").get_json()["items"]
    assert history[0]["action"] == "ObjectCreated"


def test_register_names_every_bad_field(boss, cl):
    errors = fields_of(boss.post("/counterparties", {
        "catalog_id": cl.msk.id, "type": "legal_entity", "name": "",
        "inn": "7707083894", "kpp": "12", "ogrn": "1027700132194", "phone": "abc",
        "email": "no-at-sign"}))
    assert set(errors) == {"name", "inn", "kpp", "ogrn", "phone", "email"}
    assert "catalog_id" in fields_of(boss.post("/counterparties", new_card()))
    assert boss.post("/counterparties", {"catalog_id": 99999, **new_card()}).status_code == 404


def test_register_an_individual_needs_a_12_digit_inn(boss, cl):
    errors = fields_of(boss.post("/counterparties", {
        "catalog_id": cl.msk.id, "type": "individual", "name": "Иванов И. И.",
        "inn": NEW_INN}))
    assert errors == {"inn": "INN of this type has 12 digits"}
    ok = boss.post("/counterparties", {"catalog_id": cl.msk.id, "type": "sole_proprietor",
                                       "name": "ИП Иванов И. И.",
                                       "inn": person_inn("5406123456")})
    assert ok.status_code == 201, ok.get_json()


def test_register_a_likely_duplicate_is_409_with_candidates_unless_proceed(boss, cl, org):
    same_phone = new_card(inn="", kpp="", ogrn="", phone="+7 383 212-00-01",
                          email="other@example.ru")
    before = snapshot(org.system)
    refused = boss.post("/counterparties", {"catalog_id": cl.msk.id, **same_phone})
    assert refused.status_code == 409
    body = refused.get_json()
    assert body["error"] == "duplicates"
    assert body["candidates"] == [{"id": cl.x.id, "name": "ООО «Сибирский лес»",
                                   "inn": X_INN, "reasons": ["phone"], "deleted": False}]
    assert snapshot(org.system) == before
    saved = boss.post("/counterparties", {"catalog_id": cl.msk.id, **same_phone},
                      query={"proceed": "1"})
    assert saved.status_code == 201
    history = boss.get(f"/counterparties/{saved.get_json()['id']}/history").get_json()
    assert any(c["field"] == "saved_despite_duplicates" for e in history["items"]
               for c in e["changes"])
    again = boss.post("/counterparties", {"catalog_id": cl.msk.id, **same_phone,
                                          "proceed": True})
    assert again.status_code == 201


def test_the_same_inn_with_another_kpp_is_a_branch_not_a_duplicate(boss, cl):
    response = boss.post("/counterparties", {
        "catalog_id": cl.nsk.id, "type": "legal_entity", "name": "Сибирский лес, филиал",
        "inn": X_INN, "kpp": "540602002", "parent_id": cl.x.id})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["parent_id"] == cl.x.id


def test_patch_a_card(boss, cl):
    current = card(boss, cl.y.id)
    response = boss.patch(f"/counterparties/{cl.y.id}", {
        "version": current["version"], "status": "liquidating", "head": "Орлов О. О.",
        "extra": {"Сегмент": "B2B"}})
    assert response.status_code == 200
    body = response.get_json()
    assert (body["status"], body["head"], body["extra"]) == ("liquidating", "Орлов О. О.",
                                                            {"Сегмент": "B2B"})
    assert body["version"] == current["version"] + 1


def test_patch_a_card_stale_version_is_409_and_bad_values_422(boss, cl):
    assert fields_of(boss.patch(f"/counterparties/{cl.y.id}", {"head": "x"})) == {
        "version": "required"}
    stale = boss.patch(f"/counterparties/{cl.y.id}", {"version": 999, "head": "x"})
    assert stale.status_code == 409 and stale.get_json()["error"] == "conflict"
    version = card(boss, cl.y.id)["version"]
    assert set(fields_of(boss.patch(f"/counterparties/{cl.y.id}", {
        "version": version, "inn": "12", "status": "sleeping"}))) == {"inn", "status"}


def test_patch_to_another_cards_phone_is_409_with_candidates_unless_proceed(boss, cl):
    version = card(boss, cl.y.id)["version"]
    change = {"version": version, "phone": "+7 383 212-00-01"}
    refused = boss.patch(f"/counterparties/{cl.y.id}", change)
    assert refused.status_code == 409
    assert [c["id"] for c in refused.get_json()["candidates"]] == [cl.x.id]
    assert card(boss, cl.y.id)["phone"] == "+74951000002"
    assert boss.patch(f"/counterparties/{cl.y.id}", change, query={"proceed": "true"}
                      ).status_code == 200


def test_move_a_card_to_another_catalog(boss, cl):
    response = boss.post(f"/counterparties/{cl.y.id}/move", {"catalog_id": cl.nsk.id})
    assert response.status_code == 200
    assert card(boss, cl.y.id)["catalog_name"] == "Новосибирск"


def test_move_to_a_missing_catalog_is_422_and_a_missing_card_404(boss, cl):
    assert fields_of(boss.post(f"/counterparties/{cl.y.id}/move", {"catalog_id": 99999})
                     ) == {"catalog_id": "no such catalog"}
    assert "catalog_id" in fields_of(boss.post(f"/counterparties/{cl.y.id}/move", {}))
    assert boss.post("/counterparties/99999/move", {"catalog_id": cl.nsk.id}
                     ).status_code == 404
    assert boss.post(f"/counterparties/{cl.y.id}/move", {"catalog_id": cl.nsk.id,
                                                         "version": 999}).status_code == 409


def test_mark_deleted_and_restore(boss, cl):
    marked = boss.post(f"/counterparties/{cl.y.id}/delete-mark")
    assert marked.status_code == 200 and marked.get_json()["deleted"] is True
    assert marked.get_json()["deleted_at"]
    restored = boss.post(f"/counterparties/{cl.y.id}/restore")
    assert restored.status_code == 200 and restored.get_json()["deleted"] is False
    fields = [c["field"] for e in boss.get(f"/counterparties/{cl.y.id}/history"
                                           ).get_json()["items"] for c in e["changes"]]
    assert fields.count("deleted") == 2


def test_marking_twice_or_restoring_an_unmarked_card_is_409(boss, cl):
    assert boss.post(f"/counterparties/{cl.y.id}/restore").status_code == 409
    assert boss.post(f"/counterparties/{cl.y.id}/delete-mark").status_code == 200
    assert boss.post(f"/counterparties/{cl.y.id}/delete-mark").status_code == 409
    assert boss.post("/counterparties/99999/delete-mark").status_code == 404


def test_hard_delete_of_an_unlinked_card(boss, cl, app, org):
    made = boss.post("/counterparties", {"catalog_id": cl.msk.id, **new_card()}).get_json()
    assert Api(app, org.tokens["admin_a"]).delete(f"/counterparties/{made['id']}"
                                                  ).status_code == 204
    assert boss.get(f"/counterparties/{made['id']}").status_code == 404


def test_hard_delete_of_a_linked_card_is_409_listing_the_links(boss, cl, org):
    before = snapshot(org.system)
    response = boss.delete(f"/counterparties/{cl.x.id}")
    assert response.status_code == 409
    assert set(response.get_json()["details"]) == {"contacts", "roles"}
    assert snapshot(org.system) == before
    assert boss.delete("/counterparties/99999").status_code == 404


# -- the state register (CP-2) -------------------------------------------------------------------


def test_registry_lookup_fills_card_fields(plain, org):
    fake_registry(org)
    body = plain.get(f"/registry/{REGISTRY_INN}").get_json()
    assert body["name"] == "ООО «Вектор»" and body["type"] == "legal_entity"
    assert body["kpp"] == "540601001" and body["status"] == "active"


def test_registry_not_found_unavailable_and_bad_inn(plain, org):
    registry = fake_registry(org)
    assert plain.get(f"/registry/{NEW_INN}").status_code == 404
    assert "inn" in fields_of(plain.get("/registry/7707083894"))
    assert "inn" in fields_of(plain.get("/registry/12345"))
    registry.down = "the register does not answer (timeout)"
    down = plain.get(f"/registry/{REGISTRY_INN}")
    assert down.status_code == 503
    assert down.get_json() == {"error": "unavailable",
                               "message": "the register does not answer (timeout)"}


def test_registry_unconfigured_is_503(plain):
    response = plain.get(f"/registry/{REGISTRY_INN}")
    assert response.status_code == 503
    assert "not configured" in response.get_json()["message"]


# -- assign responsible (CP-6) and managers ------------------------------------------------------


def test_assign_responsible_asks_the_employee_and_their_head(app, org, cl):
    curator = Api(app, org.tokens["worker_a"])
    response = curator.post(f"/counterparties/{cl.x.id}/responsible",
                            {"employee_id": org.plain.id, "project_id": org.proj_p.id})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert (body["state"], body["employee_id"], body["requested_by"]) == (
        "pending", org.plain.id, org.worker_a.id)
    plain = Api(app, org.tokens["plain"])
    [request] = [m for m in plain.get("/messages").get_json()["items"]
                 if m["kind"] == "confirmation"]
    assert request["subject"] == f"counterparty:{cl.x.id}"
    assert plain.post(f"/messages/{request['id']}/confirm").status_code == 200
    if body["head_id"]:
        head_api = Api(app, org.system.app.auth.create_api_token(
            org.director.id, body["head_id"], "head")[1])
        [ask] = [m for m in head_api.get("/messages").get_json()["items"]
                 if m["kind"] == "confirmation" and m["state"] == "pending"]
        assert head_api.post(f"/messages/{ask['id']}/confirm").status_code == 200
    managers = plain.get(f"/counterparties/{cl.x.id}/managers").get_json()["items"]
    assert {(m["employee_id"], m["project_id"]) for m in managers} == {
        (org.worker_b.id, None), (org.plain.id, org.proj_p.id)}


def test_assign_responsible_bad_employee_and_missing_card(boss, cl):
    assert fields_of(boss.post(f"/counterparties/{cl.x.id}/responsible", {})) == {
        "employee_id": "required"}
    assert "employee_id" in fields_of(boss.post(f"/counterparties/{cl.x.id}/responsible",
                                                {"employee_id": 99999}))
    assert "project_id" in fields_of(boss.post(f"/counterparties/{cl.x.id}/responsible",
                                               {"employee_id": 2, "project_id": 99999}))
    assert boss.post("/counterparties/99999/responsible", {"employee_id": 2}
                     ).status_code == 404


def test_managers_of_a_card_and_of_a_missing_one(plain, cl, org):
    items = plain.get(f"/counterparties/{cl.x.id}/managers").get_json()["items"]
    assert [(m["role"], m["employee_id"]) for m in items] == [("client_manager",
                                                               org.worker_b.id)]
    assert plain.get(f"/counterparties/{cl.y.id}/managers").get_json()["items"] == []
    assert plain.get("/counterparties/99999/managers").status_code == 404


def test_history_of_a_card_and_bad_paging(plain, cl):
    items = plain.get(f"/counterparties/{cl.x.id}/history", query={"limit": 1}
                      ).get_json()["items"]
    assert len(items) == 1 and items[0]["subject"] == f"counterparty:{cl.x.id}"
    assert "limit" in fields_of(plain.get(f"/counterparties/{cl.x.id}/history",
                                          query={"limit": 0}))
    assert plain.get("/counterparties/99999/history").status_code == 404


# -- contacts (CP-8) -----------------------------------------------------------------------------


def test_list_contacts(plain, cl):
    [contact] = plain.get(f"/counterparties/{cl.x.id}/contacts").get_json()["items"]
    assert contact["full_name"] == "Соколова Марина Игоревна"
    assert contact["phones"] == ["+79130001122"] and contact["has_photo"] is False
    assert plain.get("/counterparties/99999/contacts").status_code == 404


def test_add_a_contact(app, org, cl):
    manager = Api(app, org.tokens["worker_b"])
    response = manager.post(f"/counterparties/{cl.x.id}/contacts", {
        "full_name": "Орлов Олег", "position": "Снабженец", "birthday": "1975-01-31",
        "phones": ["8 913 222-33-44", "+7 383 200-00-00"], "emails": "a@b.ru; c@d.ru",
        "note": "звонить после обеда"})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["phones"] == ["+79132223344", "+73832000000"]
    assert body["emails"] == ["a@b.ru", "c@d.ru"] and body["birthday"] == "1975-01-31"


def test_add_a_contact_with_bad_values_is_422_and_to_a_missing_card_404(boss, cl):
    errors = fields_of(boss.post(f"/counterparties/{cl.x.id}/contacts", {
        "birthday": "31.01.1975", "phones": ["not a phone"], "emails": 5}))
    assert set(errors) == {"full_name", "birthday", "phones", "emails"}
    assert boss.post("/counterparties/99999/contacts", {"full_name": "X"}).status_code == 404


def test_patch_a_contact(boss, cl):
    response = boss.patch(f"/contacts/{cl.contact.id}", {
        "version": cl.contact.version, "position": "Финансовый директор", "birthday": None})
    assert response.status_code == 200
    assert response.get_json()["position"] == "Финансовый директор"


def test_patch_a_contact_needs_its_version(boss, cl):
    assert fields_of(boss.patch(f"/contacts/{cl.contact.id}", {"note": "x"})) == {
        "version": "required"}
    assert boss.patch(f"/contacts/{cl.contact.id}", {"version": 99, "note": "x"}
                      ).status_code == 409
    assert boss.patch("/contacts/99999", {"version": 1, "note": "x"}).status_code == 404


def test_delete_a_contact(boss, cl):
    assert boss.delete(f"/contacts/{cl.contact.id}").status_code == 204
    assert boss.get(f"/counterparties/{cl.x.id}/contacts").get_json()["items"] == []
    assert boss.delete(f"/contacts/{cl.contact.id}").status_code == 404


def test_upload_and_download_a_photo(boss, cl):
    response = raw(boss, "PUT", f"/contacts/{cl.contact.id}/photo", PNG, "image/png")
    assert response.status_code == 200 and response.get_json()["has_photo"] is True
    photo = boss.get(f"/contacts/{cl.contact.id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert photo.get_data() == PNG
    replaced = raw(boss, "PUT", f"/contacts/{cl.contact.id}/photo", GIF, "image/gif")
    assert replaced.status_code == 200
    assert boss.get(f"/contacts/{cl.contact.id}/photo").mimetype == "image/gif"


def test_a_photo_must_be_a_small_picture(boss, cl):
    path = f"/contacts/{cl.contact.id}/photo"
    assert fields_of(raw(boss, "PUT", path, b"<svg/>", "image/png")) == {
        "photo": "a PNG, JPEG, GIF or WebP picture"}
    assert fields_of(raw(boss, "PUT", path, PNG + b"\0" * (2 * 1024 * 1024), "image/png")
                     ) == {"photo": "at most 2 MiB"}
    assert fields_of(raw(boss, "PUT", path, b"", "image/png")) == {"photo": "required"}
    assert raw(boss, "PUT", "/contacts/99999/photo", PNG, "image/png").status_code == 404


def test_a_contact_without_a_photo_is_404(plain, cl):
    assert plain.get(f"/contacts/{cl.contact.id}/photo").status_code == 404
    assert plain.get("/contacts/99999/photo").status_code == 404
