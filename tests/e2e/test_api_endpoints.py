"""Every endpoint of /api/v1 (issue 2, point 8): one happy and at least one unhappy
test each. ``Api`` checks every answer against the OpenAPI document as well."""

from __future__ import annotations

import pytest

from ecrm_core.kernel.refs import ObjectRef
from tests.e2e.api_support import Api, copy_of, history_count, make_org_template


@pytest.fixture(scope="module")
def template(_sqlite_template, tmp_path_factory):
    return make_org_template(tmp_path_factory.mktemp("api-endpoints"), _sqlite_template)


@pytest.fixture
def world(template, tmp_path):
    with copy_of(template, tmp_path) as (org, app):
        yield org, app


@pytest.fixture
def org(world):
    return world[0]


@pytest.fixture
def app(world):
    return world[1]


@pytest.fixture
def system(org):
    return org.system


@pytest.fixture
def boss(app, org) -> Api:
    return Api(app, org.tokens["director"])


@pytest.fixture
def plain(app, org) -> Api:
    return Api(app, org.tokens["plain"])


def fields_of(response) -> dict:
    body = response.get_json()
    assert body["error"] == "validation_failed", body
    return body["fields"]


# -- me ---------------------------------------------------------------------------------


def test_get_me_shows_my_card_without_secrets(plain, org):
    body = plain.get("/me").get_json()
    assert body["id"] == org.plain.id
    assert body["login"] == "plain"
    assert "password_hash" not in body
    assert body["created_at"].endswith("+00:00")


def test_get_me_without_credentials_is_401(app):
    response = Api(app).get("/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_patch_me_changes_my_own_card(plain, org, system):
    version = plain.get("/me").get_json()["version"]
    response = plain.patch("/me", {"version": version, "phone": "+7 900 000-00-00",
                                   "locale": "en"})
    assert response.status_code == 200
    assert response.get_json()["phone"] == "+7 900 000-00-00"
    assert response.get_json()["version"] == version + 1
    assert system.app.org.employee(org.plain.id, org.plain.id).locale == "en"


def test_patch_me_cannot_move_myself_to_another_department(plain, org, system):
    version = plain.get("/me").get_json()["version"]
    response = plain.patch("/me", {"version": version, "department_id": org.dep_b.id})
    assert response.status_code == 403
    assert system.app.org.employee(org.plain.id, org.plain.id).department_id == org.dep_a.id


def test_patch_me_needs_the_version_and_valid_values(plain):
    assert fields_of(plain.patch("/me", {"phone": "1"})) == {"version": "required"}
    version = plain.get("/me").get_json()["version"]
    bad = fields_of(plain.patch("/me", {"version": version, "email": "not-mail",
                                        "locale": "de"}))
    assert set(bad) == {"email", "locale"}


def test_post_me_password_changes_my_password(app, plain, system):
    response = plain.post("/me/password", {"current_password": "password-1",
                                           "password": "brand-new-password"})
    assert response.status_code == 204
    employee, _token = system.app.auth.login("plain", "brand-new-password")
    assert employee.login == "plain"


def test_post_me_password_needs_the_current_password(plain):
    response = plain.post("/me/password", {"current_password": "wrong", "password": "x"})
    assert response.status_code == 422
    assert set(fields_of(response)) == {"current_password", "password"}


# -- company -------------------------------------------------------------------------------


def test_get_company(plain):
    assert plain.get("/company").get_json()["name"] == "ООО «Тестовая компания»"


def test_patch_company_by_the_director(boss):
    version = boss.get("/company").get_json()["version"]
    response = boss.patch("/company", {"version": version, "name": "АО «Вектор»"})
    assert response.status_code == 200
    assert response.get_json()["name"] == "АО «Вектор»"


def test_patch_company_by_an_employee_is_403(plain, system):
    before = history_count(system)
    version = plain.get("/company").get_json()["version"]
    assert plain.patch("/company", {"version": version, "name": "Моя"}).status_code == 403
    assert history_count(system) == before


# -- employees ---------------------------------------------------------------------------


def test_list_employees_with_filters(plain, org):
    everyone = plain.get("/employees").get_json()["items"]
    assert len(everyone) == 6
    in_a = plain.get("/employees", query={"department_id": org.dep_a.id}).get_json()["items"]
    assert {e["login"] for e in in_a} == {"admin.a", "plain", "worker.a"}
    # case-insensitive on Cyrillic names, on SQLite as well
    found = plain.get("/employees", query={"q": "ОЛЬГА"}).get_json()["items"]
    assert [e["login"] for e in found] == ["worker.b"]
    inactive = plain.get("/employees", query={"active": "false"}).get_json()["items"]
    assert inactive == []


def test_list_employees_with_bad_filters_is_422(plain):
    response = plain.get("/employees", query={"department_id": "abc", "active": "maybe",
                                              "q": "x" * 101})
    assert set(fields_of(response)) == {"department_id", "active", "q"}


def test_get_employee(plain, org):
    body = plain.get(f"/employees/{org.worker_b.id}").get_json()
    assert body["full_name"] == "Морозова Ольга Игоревна"


@pytest.mark.parametrize("ident, status", [("999", 404), ("abc", 422), ("-1", 422),
                                           ("1" * 30, 422), ("1.5", 422)])
def test_get_employee_with_a_bad_id(plain, ident, status):
    response = plain.get(f"/employees/{ident}")
    assert response.status_code == status
    if status == 422:
        assert "employee_id" in fields_of(response)


def test_post_employee_registers_one(boss, org, system):
    response = boss.post("/employees", {"login": "Sidorov", "password": "password-9",
                                        "full_name": "Сидоров Сидор", "department_id":
                                        org.dep_b.id, "email": "sidorov@example.com"})
    assert response.status_code == 201
    body = response.get_json()
    assert body["login"] == "sidorov"
    assert response.headers["Location"].endswith(f"/api/v1/employees/{body['id']}")
    entries = system.app.history.of(org.director.id, ObjectRef("employee", body["id"]))
    assert entries[0].action == "ObjectCreated"


def test_post_employee_reports_every_bad_field(boss):
    response = boss.post("/employees", {"login": "x", "password": "short",
                                        "full_name": "", "email": "nope",
                                        "department_id": "many"})
    assert set(fields_of(response)) == {"login", "password", "full_name", "email",
                                        "department_id"}


def test_post_employee_with_a_taken_login_is_422(boss):
    response = boss.post("/employees", {"login": "PLAIN", "password": "password-9",
                                        "full_name": "Двойник"})
    assert fields_of(response) == {"login": "this login is taken"}


def test_patch_employee(app, org, system):
    admin = Api(app, org.tokens["admin_a"])
    version = admin.get(f"/employees/{org.worker_a.id}").get_json()["version"]
    response = admin.patch(f"/employees/{org.worker_a.id}",
                           {"version": version, "position": "Старший менеджер",
                            "head_id": org.admin_a.id})
    assert response.status_code == 200
    entries = system.app.history.of(org.director.id, ObjectRef("employee", org.worker_a.id))
    changed = {c["field"]: (c["old"], c["new"]) for c in entries[0].changes}
    assert changed["position"] == ("", "Старший менеджер")


def test_patch_employee_with_a_stale_version_is_409(boss, org):
    response = boss.patch(f"/employees/{org.worker_a.id}", {"version": 99, "position": "X"})
    assert response.status_code == 409
    assert response.get_json()["error"] == "conflict"


def test_patch_employee_cannot_make_them_their_own_head(boss, org):
    version = boss.get(f"/employees/{org.worker_a.id}").get_json()["version"]
    response = boss.patch(f"/employees/{org.worker_a.id}",
                          {"version": version, "head_id": org.worker_a.id})
    assert fields_of(response) == {"head_id": "an employee cannot be their own head"}


def test_post_employee_password_by_the_administrator(app, org, system):
    admin = Api(app, org.tokens["admin_a"])
    response = admin.post(f"/employees/{org.worker_a.id}/password",
                          {"password": "reset-password"})
    assert response.status_code == 204
    assert system.app.auth.login("worker.a", "reset-password")[0].id == org.worker_a.id


def test_post_employee_password_of_another_department_is_403(app, org):
    admin = Api(app, org.tokens["admin_a"])
    response = admin.post(f"/employees/{org.worker_b.id}/password",
                          {"password": "reset-password"})
    assert response.status_code == 403


def test_disable_and_enable_an_employee(app, boss, org):
    response = boss.post(f"/employees/{org.worker_a.id}/disable")
    assert response.get_json()["active"] is False
    # a disabled employee's token identifies nobody
    assert Api(app, org.tokens["worker_a"]).get("/me").status_code == 401
    assert boss.post(f"/employees/{org.worker_a.id}/enable").get_json()["active"] is True
    assert Api(app, org.tokens["worker_a"]).get("/me").status_code == 200


def test_disabling_yourself_is_422(boss, org):
    response = boss.post(f"/employees/{org.director.id}/disable")
    assert fields_of(response) == {"active": "you cannot disable yourself"}


def test_enable_an_unknown_employee_is_404(boss):
    assert boss.post("/employees/4242/enable").status_code == 404


# -- departments -----------------------------------------------------------------------------


def test_list_and_get_departments(plain, org):
    names = [d["name"] for d in plain.get("/departments").get_json()["items"]]
    assert names == sorted(names)
    body = plain.get(f"/departments/{org.sub_a.id}").get_json()
    assert body["parent_id"] == org.dep_a.id


def test_get_an_unknown_department_is_404(plain):
    response = plain.get("/departments/777")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_create_a_department(app, org):
    admin = Api(app, org.tokens["admin_a"])
    response = admin.post("/departments", {"name": "Группа розницы", "parent_id": org.dep_a.id})
    assert response.status_code == 201
    assert response.get_json()["parent_id"] == org.dep_a.id


def test_create_a_department_without_a_name_is_422(boss):
    assert fields_of(boss.post("/departments", {"description": "?"})) == {"name": "required"}


def test_patch_a_department(boss, org):
    version = boss.get(f"/departments/{org.dep_b.id}").get_json()["version"]
    response = boss.patch(f"/departments/{org.dep_b.id}",
                          {"version": version, "head_id": org.worker_b.id})
    assert response.get_json()["head_id"] == org.worker_b.id


def test_a_department_cannot_be_put_inside_itself(boss, org):
    version = boss.get(f"/departments/{org.dep_a.id}").get_json()["version"]
    response = boss.patch(f"/departments/{org.dep_a.id}",
                          {"version": version, "parent_id": org.sub_a.id})
    assert fields_of(response) == {"parent_id": "a department cannot be placed inside itself"}


# -- projects ------------------------------------------------------------------------------


def test_list_and_get_projects(plain, org):
    assert len(plain.get("/projects").get_json()["items"]) == 2
    assert plain.get(f"/projects/{org.proj_p.id}").get_json()["name"] == "Поставки оборудования"


def test_get_an_unknown_project_is_404(plain):
    assert plain.get("/projects/31337").status_code == 404


def test_create_a_project(boss):
    response = boss.post("/projects", {"name": "Экспорт", "description": "СНГ"})
    assert response.status_code == 201
    assert response.get_json()["active"] is True


def test_create_a_project_with_a_wrong_flag_is_422(boss):
    assert fields_of(boss.post("/projects", {"name": "Экспорт", "active": "perhaps"})) == {
        "active": "must be true or false"
    }


def test_patch_a_project_by_its_management(app, org):
    mgmt = Api(app, org.tokens["mgmt_p"])
    version = mgmt.get(f"/projects/{org.proj_p.id}").get_json()["version"]
    response = mgmt.patch(f"/projects/{org.proj_p.id}", {"version": version, "active": False})
    assert response.get_json()["active"] is False


def test_patch_a_project_with_an_empty_name_is_422(boss, org):
    response = boss.patch(f"/projects/{org.proj_p.id}", {"version": 1, "name": "  "})
    assert fields_of(response) == {"name": "required"}


# -- service types and services ---------------------------------------------------------------


def test_list_service_types(plain):
    assert [s["code"] for s in plain.get("/service-types").get_json()["items"]] == ["install"]


def test_create_a_service_type(boss):
    response = boss.post("/service-types", {"code": "audit", "name": "Аудит"})
    assert response.status_code == 201
    assert response.get_json()["active"] is True


def test_create_a_service_type_with_a_taken_code_is_422(boss):
    assert fields_of(boss.post("/service-types", {"code": "install", "name": "Ещё"})) == {
        "code": "this code is taken"
    }


def test_patch_a_service_type(boss, org):
    response = boss.patch(f"/service-types/{org.stype.id}",
                          {"version": org.stype.version, "active": False})
    assert response.get_json()["active"] is False


def test_patch_an_unknown_service_type_is_404(boss):
    assert boss.patch("/service-types/999", {"version": 1, "name": "x"}).status_code == 404


def test_open_list_and_close_services(app, org):
    admin = Api(app, org.tokens["admin_a"])
    opened = admin.post("/services", {"owner": f"department:{org.dep_a.id}",
                                      "service_type_id": org.stype.id})
    assert opened.status_code == 201
    service = opened.get_json()
    assert service["owner"] == f"department:{org.dep_a.id}"
    assert service["state"] == "active"
    listed = admin.get("/services", query={"owner": f"department:{org.dep_a.id}"})
    assert [s["id"] for s in listed.get_json()["items"]] == [service["id"]]
    closed = admin.post(f"/services/{service['id']}/close").get_json()
    assert closed["state"] == "closed"
    assert closed["closed_at"] is not None
    active_only = admin.get("/services", query={"owner": f"department:{org.dep_a.id}",
                                                "include_closed": "false"})
    assert active_only.get_json()["items"] == []


def test_services_need_an_owner(plain):
    assert fields_of(plain.get("/services")) == {"owner": "required"}
    assert "owner" in fields_of(plain.get("/services", query={"owner": "department"}))


def test_open_a_service_with_bad_input_is_422(boss, org):
    assert "owner" in fields_of(boss.post("/services", {"owner": "company:1",
                                                        "service_type_id": org.stype.id}))
    assert fields_of(boss.post("/services", {"owner": f"department:{org.dep_a.id}",
                                             "service_type_id": 999})) == {
        "service_type_id": "no such service type"
    }


def test_open_a_service_for_an_unknown_owner_is_404(boss, org):
    response = boss.post("/services", {"owner": "department:999",
                                       "service_type_id": org.stype.id})
    assert response.status_code == 404


def test_switch_the_availability_of_an_employees_service(app, org):
    admin = Api(app, org.tokens["admin_a"])
    service = admin.post("/services", {"owner": f"employee:{org.worker_a.id}",
                                       "service_type_id": org.stype.id}).get_json()
    response = admin.patch(f"/services/{service['id']}", {"available": False})
    assert response.get_json()["available"] is False


def test_a_closed_service_cannot_become_available(boss, org):
    service = boss.post("/services", {"owner": f"employee:{org.worker_a.id}",
                                      "service_type_id": org.stype.id}).get_json()
    boss.post(f"/services/{service['id']}/close")
    assert fields_of(boss.patch(f"/services/{service['id']}", {"available": True})) == {
        "available": "a closed service cannot be available"
    }
    assert fields_of(boss.patch(f"/services/{service['id']}", {})) == {"available": "required"}


def test_closing_a_closed_service_is_422(boss, org):
    service = boss.post("/services", {"owner": f"project:{org.proj_p.id}",
                                      "service_type_id": org.stype.id}).get_json()
    assert boss.post(f"/services/{service['id']}/close").status_code == 200
    assert "state" in fields_of(boss.post(f"/services/{service['id']}/close"))


# -- role assignments ------------------------------------------------------------------------


def test_list_role_assignments_with_filters(plain, org):
    everyone = plain.get("/role-assignments").get_json()["items"]
    assert {a["role"] for a in everyone} == {"director", "administrator", "management"}
    of_a = plain.get("/role-assignments", query={"scope": f"department:{org.dep_a.id}"})
    assert [(a["employee_id"], a["role"]) for a in of_a.get_json()["items"]] == [
        (org.admin_a.id, "administrator")
    ]
    mine = plain.get("/role-assignments", query={"employee_id": org.mgmt_p.id})
    assert [a["scope"] for a in mine.get_json()["items"]] == [f"project:{org.proj_p.id}"]


def test_list_role_assignments_with_bad_filters_is_422(plain):
    response = plain.get("/role-assignments", query={"employee_id": "x", "scope": "dept"})
    assert set(fields_of(response)) == {"employee_id", "scope"}


def test_grant_and_revoke_a_role(app, org, system):
    admin = Api(app, org.tokens["admin_a"])
    response = admin.post("/role-assignments", {"employee_id": org.worker_a.id,
                                                "role": "administrator",
                                                "scope": f"department:{org.sub_a.id}"})
    assert response.status_code == 201
    grant = response.get_json()
    assert grant["granted_by"] == org.admin_a.id
    assert admin.delete(f"/role-assignments/{grant['id']}").status_code == 204
    assert system.app.access.assignments(org.director.id, employee_id=org.worker_a.id) == []


def test_grant_with_bad_input_is_422(boss, org):
    assert set(fields_of(boss.post("/role-assignments", {}))) == {"employee_id", "role",
                                                                  "scope"}
    response = boss.post("/role-assignments", {"employee_id": org.plain.id, "role": "king",
                                               "scope": f"department:{org.dep_a.id}"})
    assert "role" in fields_of(response)
    response = boss.post("/role-assignments", {"employee_id": org.plain.id,
                                               "role": "administrator",
                                               "scope": f"project:{org.proj_p.id}"})
    assert "scope" in fields_of(response)


def test_revoke_an_unknown_assignment_is_404(boss):
    assert boss.delete("/role-assignments/5000").status_code == 404


def test_the_last_director_cannot_be_revoked(boss, org, system):
    director_grant = system.app.access.assignments(org.director.id, role="director")[0]
    response = boss.delete(f"/role-assignments/{director_grant.id}")
    assert "role" in fields_of(response)


# -- messages --------------------------------------------------------------------------------


def test_send_and_list_messages(app, org, system):
    sender = Api(app, org.tokens["worker_a"])
    response = sender.post("/messages", {"recipient_id": org.plain.id, "text": "Привет",
                                         "kind": "reminder"})
    assert response.status_code == 201
    sent = response.get_json()
    assert sent["kind"] == "reminder"
    assert sent["sender_id"] == org.worker_a.id
    inbox = Api(app, org.tokens["plain"]).get("/messages").get_json()
    assert [m["id"] for m in inbox["items"]] == [sent["id"]]
    assert (inbox["page"], inbox["per_page"]) == (1, 20)


def test_send_a_message_with_bad_input_is_422(plain):
    response = plain.post("/messages", {"recipient_id": "someone", "kind": "shout",
                                        "text": ""})
    assert set(fields_of(response)) == {"recipient_id", "kind", "text"}
    assert fields_of(plain.post("/messages", {"recipient_id": 999, "text": "x"})) == {
        "recipient_id": "no such active employee"
    }


def test_messages_pagination_and_polling(app, org, system):
    for i in range(5):
        system.app.messages.send(org.worker_a.id, {"recipient_id": org.plain.id,
                                                   "text": f"№{i}"})
    plain = Api(app, org.tokens["plain"])
    first = plain.get("/messages", query={"per_page": 2}).get_json()["items"]
    second = plain.get("/messages", query={"per_page": 2, "page": 2}).get_json()["items"]
    assert [m["text"] for m in first + second] == ["№4", "№3", "№2", "№1"]
    newer = plain.get("/messages", query={"after_id": second[0]["id"]}).get_json()["items"]
    assert [m["text"] for m in newer] == ["№4", "№3"]


def test_messages_with_bad_paging_is_422(plain):
    response = plain.get("/messages", query={"page": "0", "per_page": "1000",
                                             "after_id": "x", "unread": "sometimes"})
    assert set(fields_of(response)) == {"page", "per_page", "after_id", "unread"}


def test_unread_count_and_mark_read(app, org, system):
    message = system.app.messages.send(org.worker_a.id, {"recipient_id": org.plain.id,
                                                         "text": "Прочти"})
    plain = Api(app, org.tokens["plain"])
    assert plain.get("/messages/unread-count").get_json() == {"unread": 1}
    read = plain.post(f"/messages/{message.id}/read").get_json()
    assert read["unread"] is False
    assert plain.get("/messages/unread-count").get_json() == {"unread": 0}
    assert plain.get("/messages", query={"unread": "true"}).get_json()["items"] == []


def test_unread_count_needs_credentials(app):
    assert Api(app, "ecrm_not-a-token").get("/messages/unread-count").status_code == 401


def test_get_a_message(app, org, system):
    message = system.app.messages.send(org.worker_a.id, {"recipient_id": org.plain.id,
                                                         "text": "Одно"})
    body = Api(app, org.tokens["plain"]).get(f"/messages/{message.id}").get_json()
    assert body["text"] == "Одно"
    assert body["state"] is None


def test_someone_elses_message_is_403_and_an_unknown_one_404(app, org, system):
    message = system.app.messages.send(org.worker_a.id, {"recipient_id": org.plain.id,
                                                         "text": "Личное"})
    other = Api(app, org.tokens["worker_b"])
    assert other.get(f"/messages/{message.id}").status_code == 403
    assert other.post(f"/messages/{message.id}/read").status_code == 403
    assert other.get("/messages/424242").status_code == 404
    assert other.post("/messages/424242/read").status_code == 404


def test_confirm_a_request_notifies_the_requester(app, org, system):
    ask = system.app.messages.request_confirmation(org.admin_a.id, org.plain.id,
                                                   "Подтвердите отпуск")
    plain = Api(app, org.tokens["plain"])
    body = plain.post(f"/messages/{ask.id}/confirm").get_json()
    assert (body["state"], body["awaits_answer"]) == ("confirmed", False)
    told = Api(app, org.tokens["admin_a"]).get("/messages").get_json()["items"]
    assert told[0]["reply_to_id"] == ask.id
    assert "подтвердил" in told[0]["text"]


def test_confirm_twice_or_a_notification_is_422(app, org, system):
    ask = system.app.messages.request_confirmation(org.admin_a.id, org.plain.id, "Да?")
    note = system.app.messages.send(org.admin_a.id, {"recipient_id": org.plain.id,
                                                     "text": "Просто так"})
    plain = Api(app, org.tokens["plain"])
    assert plain.post(f"/messages/{ask.id}/confirm").status_code == 200
    assert "message" in fields_of(plain.post(f"/messages/{ask.id}/confirm"))
    assert "message" in fields_of(plain.post(f"/messages/{note.id}/confirm"))


def test_refuse_with_a_reason(app, org, system):
    ask = system.app.messages.request_confirmation(org.admin_a.id, org.plain.id, "Скидка 30%?")
    body = Api(app, org.tokens["plain"]).post(f"/messages/{ask.id}/refuse",
                                             {"reason": "Слишком большая"}).get_json()
    assert (body["state"], body["reason"]) == ("refused", "Слишком большая")
    told = Api(app, org.tokens["admin_a"]).get("/messages").get_json()["items"][0]
    assert "Слишком большая" in told["text"]


def test_refuse_without_a_reason_is_422(app, org, system):
    ask = system.app.messages.request_confirmation(org.admin_a.id, org.plain.id, "Скидка?")
    plain = Api(app, org.tokens["plain"])
    assert fields_of(plain.post(f"/messages/{ask.id}/refuse")) == {
        "reason": "give a reason for the refusal"
    }
    assert fields_of(plain.post(f"/messages/{ask.id}/refuse", {"reason": 42})) == {
        "reason": "must be text"
    }


# -- history -----------------------------------------------------------------------------


def test_history_of_an_object_newest_first(boss, org):
    version = boss.get(f"/departments/{org.dep_b.id}").get_json()["version"]
    boss.patch(f"/departments/{org.dep_b.id}", {"version": version, "name": "Финансы"})
    entries = boss.get(f"/history/department/{org.dep_b.id}").get_json()["items"]
    assert [e["action"] for e in entries] == ["ObjectChanged", "ObjectCreated"]
    assert entries[0]["actor_id"] == org.director.id
    assert entries[0]["changes"] == [{"field": "name", "old": "Бухгалтерия",
                                      "new": "Финансы"}]
    assert entries[0]["subject"] == f"department:{org.dep_b.id}"
    limited = boss.get(f"/history/department/{org.dep_b.id}", query={"limit": 1})
    assert len(limited.get_json()["items"]) == 1


def test_history_never_shows_password_hashes(boss, org):
    boss.post(f"/employees/{org.plain.id}/password", {"password": "another-password"})
    entries = boss.get(f"/history/employee/{org.plain.id}").get_json()["items"]
    change = entries[0]["changes"][0]
    assert change == {"field": "password_hash", "old": "***", "new": "***"}


@pytest.mark.parametrize("path, status", [
    ("/history/planet/1", 404), ("/history/department/999", 404),
    ("/history/department/x", 422), ("/history/Department!/1", 422),
])
def test_history_of_unknown_or_malformed_objects(plain, path, status):
    assert plain.get(path).status_code == status


def test_history_of_someone_elses_message_is_403(app, org, system):
    message = system.app.messages.send(org.worker_a.id, {"recipient_id": org.plain.id,
                                                         "text": "Тайна"})
    assert Api(app, org.tokens["worker_b"]).get(f"/history/message/{message.id}"
                                                 ).status_code == 403


# -- tokens ------------------------------------------------------------------------------


def test_create_list_and_revoke_my_tokens(app, org):
    plain = Api(app, org.tokens["plain"])
    made = plain.post("/tokens", {"name": "Выгрузка в 1С"})
    assert made.status_code == 201
    secret = made.get_json()["token"]
    assert secret.startswith("ecrm_")
    listed = plain.get("/tokens").get_json()["items"]
    assert [t["name"] for t in listed] == ["Выгрузка в 1С", "tests plain"]
    assert all("token" not in t and "token_digest" not in t for t in listed)
    assert Api(app, secret).get("/me").get_json()["login"] == "plain"
    assert plain.delete(f"/tokens/{made.get_json()['id']}").status_code == 204
    assert Api(app, secret).get("/me").status_code == 401


def test_create_a_token_without_a_name_or_for_someone_else(app, org):
    plain = Api(app, org.tokens["plain"])
    assert fields_of(plain.post("/tokens", {"name": " "})) == {"name": "required"}
    assert plain.post("/tokens", {"name": "чужой", "employee_id": org.worker_a.id}
                      ).status_code == 403


def test_the_director_makes_a_token_for_an_employee(boss, org, app):
    made = boss.post("/tokens", {"name": "для Ильи", "employee_id": org.worker_a.id})
    assert made.get_json()["employee_id"] == org.worker_a.id
    assert Api(app, made.get_json()["token"]).get("/me").get_json()["login"] == "worker.a"


def test_revoke_someone_elses_token_is_403_and_an_unknown_one_404(app, org, system):
    token_of_b = system.app.auth.api_tokens(org.worker_b.id)[0]
    plain = Api(app, org.tokens["plain"])
    assert plain.delete(f"/tokens/{token_of_b.id}").status_code == 403
    assert plain.delete("/tokens/99999").status_code == 404
    assert Api(app, org.tokens["worker_b"]).get("/me").status_code == 200


# -- malformed requests -------------------------------------------------------------------


@pytest.mark.parametrize("raw, says", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('"text"', "must be a JSON object"),
    ("null", "must be a JSON object"),
    ('{"name": NaN}', "not valid JSON"),
    ('{"name": 1e999}', "not valid JSON"),
    ('{"name": ' + "1" * 5000 + "}", "not valid JSON"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_bodies_that_are_not_json_objects_are_400(boss, raw, says):
    response = boss.call("POST", "/departments", data=raw)
    assert response.status_code == 400
    body = response.get_json()
    assert says in body["fields"]["body"]
    assert body["message"].startswith("body:")


def test_a_body_that_is_not_utf8_is_400(boss):
    response = boss.call("POST", "/departments", data=b'{"name": "\xff"}')
    assert response.status_code == 400


def test_lone_surrogates_are_422_naming_the_field(boss):
    response = boss.call("POST", "/departments", data='{"name": "\\ud800"}')
    assert fields_of(response) == {"name": "must be valid Unicode text"}


def test_nul_characters_and_huge_numbers_are_422(boss, org):
    assert "name" in fields_of(boss.post("/departments", {"name": "a\x00b"}))
    assert "parent_id" in fields_of(boss.post("/departments", {"name": "a",
                                                               "parent_id": 10**40}))
    assert "version" in fields_of(boss.patch(f"/departments/{org.dep_a.id}",
                                             {"version": [1]}))


def test_unknown_api_paths_and_methods_answer_json(boss):
    missing = boss.get("/nothing-here", check=False)
    assert missing.status_code == 404
    assert missing.is_json
    wrong = boss.call("PUT", "/departments", json={}, check=False)
    assert wrong.status_code == 405
    assert wrong.is_json
