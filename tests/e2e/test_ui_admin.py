"""Administration pages (ORG-1…ORG-6) and object pages (UI-1) through the Flask client.

Each action calls one core service and the policy decides: the Director may do it all,
an employee without a role gets 403 and nothing changes, an Administrator manages only
their own department. Concurrent edits give 409; bad input gives 422 with field messages."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from ecrm_core.kernel.refs import ObjectRef
from tests.conftest import DIRECTOR_LOGIN, DIRECTOR_PASSWORD
from tests.e2e.conftest import PASSWORD, page_text, sign_in, snapshot


def _version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def _admin_pages(w) -> list[str]:
    return [
        "/admin/", "/admin/departments", f"/admin/departments/{w['sales'].id}/edit",
        "/admin/projects", f"/admin/projects/{w['project'].id}/edit",
        "/admin/employees", f"/admin/employees/{w['clerk'].id}/edit",
        "/admin/roles", "/admin/service-types", "/admin/services",
        f"/admin/services/department/{w['sales'].id}",
        f"/admin/services/project/{w['project'].id}",
        f"/admin/services/employee/{w['clerk'].id}",
    ]


def _object_pages(w) -> list[str]:
    sales, project, clerk = w["sales"].id, w["project"].id, w["clerk"].id
    return [
        f"/employees/{clerk}", f"/employees/{clerk}/services", f"/employees/{clerk}/roles",
        f"/employees/{clerk}/history", f"/departments/{sales}",
        f"/departments/{sales}/employees", f"/departments/{sales}/services",
        f"/departments/{sales}/history", f"/projects/{project}",
        f"/projects/{project}/services", f"/projects/{project}/history",
        "/search?q=ив", "/search/advanced", f"/search/advanced?department_id={sales}",
    ]


def test_every_admin_and_object_page_renders_for_the_director(as_director, world):
    for url in _admin_pages(world) + _object_pages(world):
        response = as_director.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        assert "Traceback" not in response.get_data(as_text=True)


def test_the_navigation_panel(as_director, as_clerk, as_admin):
    director = as_director.get("/me").get_data(as_text=True)
    for link in ("/admin/departments", "/admin/employees", "/admin/roles", "/counterparties",
                 "/counterparties/search", "/counterparties/search/advanced", "/me/messages"):
        assert f'"{link}' in director, link
    # The employee search lives on the admin employees page (the panel's search line
    # looks for counterparties).
    employees = as_director.get("/admin/employees").get_data(as_text=True)
    assert '"/search"' in employees and '"/search/advanced"' in employees
    assert "Создать" in page_text(as_director.get("/me"))
    clerk = as_clerk.get("/me").get_data(as_text=True)
    assert "/admin/" not in clerk and "Создать" not in page_text(as_clerk.get("/me"))
    assert "/admin/employees" in as_admin.get("/me").get_data(as_text=True)


def test_unknown_objects_and_tabs_are_404(as_director):
    for url in ("/employees/9999", "/departments/9999", "/projects/9999",
                "/employees/1/nope", "/admin/services/company/1",
                "/admin/services/department/9999", "/admin/service-types/9999/edit",
                "/admin/employees/9999/edit"):
        assert as_director.get(url).status_code in (403, 404), url


# -- the Director does everything --------------------------------------------------------


def test_director_manages_departments(as_director, system, world):
    director = world["director"]
    created = as_director.post("/admin/departments", data={
        "name": "Отдел внедрения", "description": "Запуск клиентов",
        "parent_id": str(world["sales"].id), "head_id": str(world["admin"].id)})
    assert created.status_code == 303
    new = [d for d in system.app.org.departments(director.id) if d.name == "Отдел внедрения"][0]
    assert created.headers["Location"].endswith(f"/departments/{new.id}")
    assert (new.parent_id, new.head_id) == (world["sales"].id, world["admin"].id)
    tree = as_director.get("/admin/departments").get_data(as_text=True)
    assert tree.index("Отдел продаж") < tree.index("Отдел внедрения")

    edit = as_director.get(f"/admin/departments/{new.id}/edit").get_data(as_text=True)
    saved = as_director.post(f"/admin/departments/{new.id}/edit", data={
        "version": _version(edit), "name": "Внедрение", "description": "",
        "parent_id": "", "head_id": str(world["clerk"].id)})
    assert saved.status_code == 303
    dep = system.app.org.department(director.id, new.id)
    assert (dep.name, dep.parent_id, dep.head_id) == ("Внедрение", None, world["clerk"].id)

    page = page_text(as_director.get(f"/departments/{new.id}"))
    assert "Внедрение" in page and "Руководитель: Иванов Пётр" in page
    history = page_text(as_director.get(f"/departments/{new.id}/history"))
    assert "Петров Иван Сергеевич" in history  # who
    assert "Наименование: Отдел внедрения → Внедрение" in history  # what, old -> new
    assert "Руководитель: Смирнова Анна → Иванов Пётр" in history
    assert "Вышестоящий отдел: Отдел продаж → —" in history
    assert re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d", history)  # when, in ru format


def test_director_manages_projects(as_director, system, world):
    director = world["director"]
    created = as_director.post("/admin/projects", data={"name": "Поставки", "description": "B2B"})
    assert created.status_code == 303
    project = [p for p in system.app.org.projects(director.id) if p.name == "Поставки"][0]
    edit = as_director.get(f"/admin/projects/{project.id}/edit").get_data(as_text=True)
    off = as_director.post(f"/admin/projects/{project.id}/edit", data=MultiDict([
        ("version", _version(edit)), ("name", "Поставки"), ("description", "B2B"),
        ("active", "0")]))
    assert off.status_code == 303
    assert system.app.org.project(director.id, project.id).active is False
    edit = as_director.get(f"/admin/projects/{project.id}/edit").get_data(as_text=True)
    on = as_director.post(f"/admin/projects/{project.id}/edit", data=MultiDict([
        ("version", _version(edit)), ("name", "Поставки"), ("description", "B2B"),
        ("active", "0"), ("active", "1")]))  # hidden "0" then the checked box
    assert on.status_code == 303
    assert system.app.org.project(director.id, project.id).active is True
    history = page_text(as_director.get(f"/projects/{project.id}/history"))
    assert "Действует: да → нет" in history and "Действует: нет → да" in history


def test_director_manages_employees(ui_app, as_director, system, world):
    director = world["director"]
    created = as_director.post("/admin/employees", data={
        "login": "novikova", "password": "novikova-pass", "full_name": "Новикова Ольга",
        "email": "olga@example.ru", "department_id": str(world["support"].id),
        "head_id": str(world["other"].id), "position": "Инженер", "phone": ""})
    assert created.status_code == 303
    olga = [e for e in system.app.org.employees(director.id) if e.login == "novikova"][0]
    assert (olga.department_id, olga.head_id, olga.position) == (
        world["support"].id, world["other"].id, "Инженер")
    client = sign_in(ui_app, "novikova", "novikova-pass")
    assert "Новикова Ольга" in page_text(client.get("/me"))

    edit = as_director.get(f"/admin/employees/{olga.id}/edit").get_data(as_text=True)
    saved = as_director.post(f"/admin/employees/{olga.id}/edit", data={
        "version": _version(edit), "full_name": "Новикова Ольга Игоревна",
        "email": "olga@example.ru", "phone": "", "department_id": str(world["sales"].id),
        "head_id": "", "position": "Старший инженер", "locale": "en",
        "timezone": "Asia/Omsk"})
    assert saved.status_code == 303
    olga = system.app.org.employee(director.id, olga.id)
    assert (olga.full_name, olga.department_id, olga.head_id, olga.locale) == (
        "Новикова Ольга Игоревна", world["sales"].id, None, "en")

    assert as_director.post(f"/admin/employees/{olga.id}/password",
                            data={"password": "brand-new-pass"}).status_code == 303
    assert sign_in(ui_app, "novikova", "brand-new-pass").get("/me").status_code == 200

    disabled = as_director.post(f"/admin/employees/{olga.id}/active", data={"active": "0"})
    assert disabled.status_code == 303
    assert system.app.org.employee(director.id, olga.id).active is False
    assert client.get("/me").status_code == 302  # her open session ended
    refused = ui_app.test_client().post("/login", data={"login": "novikova",
                                                        "password": "brand-new-pass"})
    assert refused.status_code == 401
    assert as_director.post(f"/admin/employees/{olga.id}/active",
                            data={"active": "1"}).status_code == 303
    assert system.app.org.employee(director.id, olga.id).active is True
    history = page_text(as_director.get(f"/employees/{olga.id}/history"))
    assert "Пароль: *** → ***" in history and "Должность: Инженер → Старший инженер" in history


def test_director_cannot_disable_himself(as_director, system, world):
    before = snapshot(system)
    response = as_director.post(f"/admin/employees/{world['director'].id}/active",
                                data={"active": "0"})
    assert response.status_code == 422
    assert "нельзя отключить самого себя" in page_text(response)
    assert snapshot(system) == before


def test_director_grants_and_revokes_roles(as_director, system, world):
    director, other = world["director"], world["other"]
    granted = as_director.post("/admin/roles", data={
        "employee_id": str(other.id), "role": "administrator",
        "scope": f"department:{world['support'].id}", "project_id": ""})
    assert granted.status_code == 303
    found = system.app.access.assignments(director.id, employee_id=other.id)
    assert [(a.role.value, a.scope_kind, a.scope_id) for a in found] == [
        ("administrator", "department", world["support"].id)]
    roles = page_text(as_director.get("/admin/roles"))
    assert "Сидоров Кирилл Администратор Отдел «Поддержка»" in roles
    with_project = as_director.post("/admin/roles", data={
        "employee_id": str(other.id), "role": "management",
        "scope": f"project:{world['project'].id}", "project_id": str(world["project"].id)})
    assert with_project.status_code == 303
    project_page = page_text(as_director.get(f"/projects/{world['project'].id}"))
    assert "Управление: Сидоров Кирилл" in project_page

    revoked = as_director.post(f"/admin/roles/{found[0].id}/revoke")
    assert revoked.status_code == 303
    remaining = system.app.access.assignments(director.id, employee_id=other.id)
    assert [a.role.value for a in remaining] == ["management"]

    wrong_scope = as_director.post("/admin/roles", data={
        "employee_id": str(other.id), "role": "administrator",
        "scope": f"project:{world['project'].id}"})
    assert wrong_scope.status_code == 422
    assert "роль «Администратор» назначается только на: Отдел" in page_text(wrong_scope)
    last_director = [a for a in system.app.access.assignments(director.id)
                     if a.role.value == "director"][0]
    kept = as_director.post(f"/admin/roles/{last_director.id}/revoke")
    assert kept.status_code == 422
    assert "в компании должен остаться хотя бы один действующий Директор" in page_text(kept)


def test_director_manages_service_types_and_services(as_director, system, world):
    director, sales = world["director"], world["sales"]
    created = as_director.post("/admin/service-types", data={
        "code": "support", "name": "Техподдержка", "description": "Линия 1"})
    assert created.status_code == 303
    stype = system.app.org.service_types(director.id)[0]
    taken = as_director.post("/admin/service-types", data={"code": "support", "name": "Ещё"})
    assert taken.status_code == 422 and "этот код уже занят" in page_text(taken)
    edit = as_director.get(f"/admin/service-types/{stype.id}/edit").get_data(as_text=True)
    assert as_director.post(f"/admin/service-types/{stype.id}/edit", data={
        "version": _version(edit), "name": "Техническая поддержка",
        "description": "Линия 1"}).status_code == 303

    opened = as_director.post(f"/admin/services/department/{sales.id}",
                              data={"service_type_id": str(stype.id)})
    assert opened.status_code == 303
    service = system.app.org.services_of(director.id, sales.ref)[0]
    assert service.available and service.state.value == "active"
    again = as_director.post(f"/admin/services/department/{sales.id}",
                             data={"service_type_id": str(stype.id)})
    assert again.status_code == 422 and "этот сервис уже действует" in page_text(again)
    owner = {"owner_kind": "department", "owner_id": str(sales.id)}
    assert as_director.post(f"/admin/services/item/{service.id}/availability",
                            data={**owner, "available": "0"}).status_code == 303
    assert not system.app.org.services_of(director.id, sales.ref)[0].available
    assert as_director.post(f"/admin/services/item/{service.id}/close",
                            data=owner).status_code == 303
    closed = system.app.org.services_of(director.id, sales.ref)[0]
    assert closed.state.value == "closed"
    shown = page_text(as_director.get(f"/departments/{sales.id}/services"))
    assert "Техническая поддержка Закрыт" in shown

    types = as_director.get("/admin/service-types").get_data(as_text=True)
    stype = system.app.org.service_types(director.id)[0]
    closing = as_director.post(f"/admin/service-types/{stype.id}/active", data={
        "version": str(stype.version), "active": "0"})
    assert closing.status_code == 303 and "Техническая поддержка" in types
    assert system.app.org.service_types(director.id)[0].active is False
    refused = as_director.post(f"/admin/services/employee/{world['clerk'].id}",
                               data={"service_type_id": str(stype.id)})
    assert refused.status_code == 422 and "этот тип сервиса закрыт" in page_text(refused)


# -- an employee without a role: 403 and nothing changes ------------------------------------


def _actions(system, w) -> list[tuple[str, dict]]:
    director = w["director"]
    stype = system.app.org.create_service_type(director.id, {"code": "sale", "name": "Продажи"})
    service = system.app.org.open_service(director.id, w["sales"].ref, stype.id)
    admin_role = system.app.access.assignments(director.id, employee_id=w["admin"].id)[0]
    owner = {"owner_kind": "department", "owner_id": str(w["sales"].id)}
    return [
        ("/admin/departments", {"name": "Захват"}),
        (f"/admin/departments/{w['sales'].id}/edit", {"name": "Захват", "version": "1"}),
        ("/admin/projects", {"name": "Захват"}),
        (f"/admin/projects/{w['project'].id}/edit", {"name": "Захват", "active": "0"}),
        ("/admin/employees", {"login": "intruder", "password": "intruder-pass",
                              "full_name": "Чужой", "department_id": str(w["sales"].id)}),
        (f"/admin/employees/{w['other'].id}/edit", {"full_name": "Захват"}),
        (f"/admin/employees/{w['clerk'].id}/edit", {"position": "Директор"}),
        (f"/admin/employees/{w['other'].id}/password", {"password": "hijacked-pass"}),
        (f"/admin/employees/{w['other'].id}/active", {"active": "0"}),
        ("/admin/roles", {"employee_id": str(w["clerk"].id), "role": "administrator",
                          "scope": f"department:{w['sales'].id}"}),
        ("/admin/roles", {"employee_id": str(w["clerk"].id), "role": "director",
                          "scope": "company:1"}),
        (f"/admin/roles/{admin_role.id}/revoke", {}),
        ("/admin/service-types", {"code": "x", "name": "Захват"}),
        (f"/admin/service-types/{stype.id}/edit", {"name": "Захват"}),
        (f"/admin/service-types/{stype.id}/active", {"active": "0"}),
        (f"/admin/services/department/{w['sales'].id}", {"service_type_id": str(stype.id)}),
        (f"/admin/services/item/{service.id}/availability", {**owner, "available": "0"}),
        (f"/admin/services/item/{service.id}/close", owner),
    ]


def test_an_employee_without_a_role_gets_403_and_nothing_changes(as_clerk, system, world):
    actions = _actions(system, world)
    for url in _admin_pages(world):
        assert as_clerk.get(url).status_code == 403, url
    before = snapshot(system)
    for url, data in actions:
        response = as_clerk.post(url, data=data)
        assert response.status_code == 403, (url, response.status_code)
        assert "Недостаточно прав" in page_text(response)
    assert snapshot(system) == before
    # Object pages stay readable (everybody sees the organisation) but offer no editing.
    for url in _object_pages(world):
        response = as_clerk.get(url)
        assert response.status_code == 200, url
        assert "/edit" not in response.get_data(as_text=True), url


def test_an_administrator_manages_only_their_department(as_admin, system, world):
    director, sales, support = world["director"], world["sales"], world["support"]
    # In their own department: register, edit, disable.
    created = as_admin.post("/admin/employees", data={
        "login": "newbie", "password": "newbie-pass", "full_name": "Новичков Илья",
        "department_id": str(sales.id)})
    assert created.status_code == 303
    clerk_edit = as_admin.get(f"/admin/employees/{world['clerk'].id}/edit")
    assert clerk_edit.status_code == 200
    saved = as_admin.post(f"/admin/employees/{world['clerk'].id}/edit", data={
        "version": _version(clerk_edit.get_data(as_text=True)), "full_name": "Иванов Пётр",
        "position": "Менеджер", "department_id": str(sales.id)})
    assert saved.status_code == 303
    assert system.app.org.employee(director.id, world["clerk"].id).position == "Менеджер"
    assert as_admin.get(f"/employees/{world['clerk'].id}").get_data(as_text=True).count(
        f"/admin/employees/{world['clerk'].id}/edit") == 1

    # Not in another department.
    before = snapshot(system)
    assert as_admin.get(f"/admin/employees/{world['other'].id}/edit").status_code == 403
    for url, data in [
        ("/admin/employees", {"login": "spy", "password": "spy-pass-1", "full_name": "Шпион",
                              "department_id": str(support.id)}),
        (f"/admin/employees/{world['other'].id}/edit", {"full_name": "Захват"}),
        (f"/admin/employees/{world['other'].id}/active", {"active": "0"}),
        (f"/admin/employees/{world['other'].id}/password", {"password": "hijacked-pass"}),
        (f"/admin/employees/{world['clerk'].id}/edit",
         {"full_name": "Иванов Пётр", "department_id": str(support.id)}),
        (f"/admin/departments/{support.id}/edit", {"name": "Захват"}),
        ("/admin/roles", {"employee_id": str(world["clerk"].id), "role": "administrator",
                          "scope": f"department:{support.id}"}),
        ("/admin/projects", {"name": "Захват"}),
    ]:
        response = as_admin.post(url, data=data)
        assert response.status_code == 403, (url, response.status_code)
    assert snapshot(system) == before


# -- concurrent edits and bad input ------------------------------------------------------


def test_a_concurrent_edit_of_an_employee_gets_409_and_nothing_is_lost(ui_app, system, world):
    first = sign_in(ui_app, DIRECTOR_LOGIN, DIRECTOR_PASSWORD)
    second = sign_in(ui_app, "admin", PASSWORD)
    url = f"/admin/employees/{world['clerk'].id}/edit"
    form = {"full_name": "Иванов Пётр", "email": "", "phone": "",
            "department_id": str(world["sales"].id), "head_id": "", "position": "",
            "locale": "ru", "timezone": "Europe/Moscow"}
    v1 = _version(first.get(url).get_data(as_text=True))
    v2 = _version(second.get(url).get_data(as_text=True))
    assert v1 == v2
    assert first.post(url, data={**form, "version": v1, "position": "Старший менеджер"}
                      ).status_code == 303
    before = snapshot(system)
    late = second.post(url, data={**form, "version": v2, "position": "Стажёр",
                                  "phone": "+7 999"})
    assert late.status_code == 409
    text = page_text(late)
    assert "Объект изменён другим пользователем" in text
    assert "обновите страницу и повторите изменение" in text
    assert snapshot(system) == before
    clerk = system.app.org.employee(world["director"].id, world["clerk"].id)
    assert (clerk.position, clerk.phone) == ("Старший менеджер", "")
    # After a reload the change goes through.
    fresh = _version(second.get(url).get_data(as_text=True))
    assert second.post(url, data={**form, "version": fresh, "position": "Стажёр"}
                       ).status_code == 303


def test_a_concurrent_edit_of_a_department_gets_409(as_director, system, world):
    url = f"/admin/departments/{world['sales'].id}/edit"
    version = _version(as_director.get(url).get_data(as_text=True))
    assert as_director.post(url, data={"version": version, "name": "Продажи"}).status_code == 303
    stale = as_director.post(url, data={"version": version, "name": "Сбыт"})
    assert stale.status_code == 409
    assert system.app.org.department(world["director"].id, world["sales"].id).name == "Продажи"


@pytest.mark.parametrize("url,data,field,message", [
    ("/admin/departments", {"name": ""}, "name", "обязательное поле"),
    ("/admin/departments", {"name": "X", "parent_id": "abc"}, "parent_id",
     "выберите значение из списка"),
    ("/admin/departments", {"name": "X", "head_id": "999"}, "head_id", "нет такого сотрудника"),
    ("/admin/projects", {"name": "   "}, "name", "обязательное поле"),
    ("/admin/employees", {"login": "clerk", "password": "long-enough",
                          "full_name": "Дубль"}, "login", "этот логин уже занят"),
    ("/admin/employees", {"login": "ok-login", "password": "123",
                          "full_name": "Коротыш"}, "password", "не менее 8 символов"),
    ("/admin/employees", {"login": "ok-login", "password": "long-enough",
                          "full_name": "Имя", "email": "@@"}, "email",
     "неверный адрес e-mail"),
    ("/admin/employees", {"login": "ok-login", "password": "long-enough",
                          "full_name": "Имя", "department_id": "999"}, "department_id",
     "нет такого отдела"),
    ("/admin/service-types", {"code": "", "name": ""}, "code", "обязательное поле"),
])
def test_invalid_input_gives_422_with_field_messages(as_director, system, url, data, field,
                                                     message):
    before = snapshot(system)
    response = as_director.post(url, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="field-error" id="err-{field}">([^<]*)</p>', html)
    assert error is not None, f"no message next to {field}"
    assert message in error.group(1)
    assert snapshot(system) == before


def test_edit_forms_keep_the_input_and_show_messages(as_director, system, world):
    url = f"/admin/departments/{world['sales'].id}/edit"
    version = _version(as_director.get(url).get_data(as_text=True))
    before = snapshot(system)
    itself = as_director.post(url, data={"version": version, "name": "Отдел продаж",
                                         "parent_id": str(world["sales"].id)})
    assert itself.status_code == 422
    assert "отдел нельзя поместить внутрь самого себя" in page_text(itself)
    emp_url = f"/admin/employees/{world['clerk'].id}/edit"
    version = _version(as_director.get(emp_url).get_data(as_text=True))
    bad = as_director.post(emp_url, data={"version": version, "full_name": "Новое имя",
                                          "head_id": str(world["clerk"].id), "email": "x"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'value="Новое имя"' in html  # the input is kept
    assert "сотрудник не может быть своим руководителем" in html
    assert snapshot(system) == before


# -- search (UI-2) -----------------------------------------------------------------------


def test_search_line_and_advanced_search(as_clerk, world):
    by_name = page_text(as_clerk.get("/search?q=смирнова"))
    assert "Смирнова Анна" in by_name and "Сидоров" not in by_name
    by_login = page_text(as_clerk.get("/search?q=OTHER"))
    assert "Сидоров Кирилл" in by_login
    assert "Ничего не найдено" in page_text(as_clerk.get("/search?q=zzzz"))
    advanced = page_text(as_clerk.get(f"/search/advanced?department_id={world['sales'].id}"))
    assert "Смирнова Анна" in advanced and "Иванов Пётр" in advanced
    assert "Сидоров Кирилл" not in advanced
    combined = page_text(as_clerk.get(
        f"/search/advanced?department_id={world['sales'].id}&email=example.ru&active=1"))
    assert "Иванов Пётр" in combined and "Смирнова" not in combined
    bad = as_clerk.get("/search/advanced?department_id=abc&active=maybe&login=a%00b")
    assert bad.status_code == 422  # the form again, each bad field named
    text = page_text(bad)
    assert "нужен номер объекта" in text and "должно быть «да» или «нет»" in text
    assert bad.data.count(b'class="field-error"') == 3


def test_back_button_and_responsible_person(as_director, world):
    page = as_director.get(f"/employees/{world['clerk'].id}",
                           headers={"Referer": "http://localhost/admin/employees"})
    html = page.get_data(as_text=True)
    assert 'class="back" href="/admin/employees"' in html
    foreign = as_director.get(f"/employees/{world['clerk'].id}",
                              headers={"Referer": "https://evil.example/x"})
    assert 'class="back" href="/admin/employees"' in foreign.get_data(as_text=True)
    assert ObjectRef("employee", world["clerk"].id)
