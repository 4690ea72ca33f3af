"""Organisation use cases (ORG-1…ORG-5) on in-memory fakes."""

from __future__ import annotations

import pytest

from ecrm_core.access.model import Role
from ecrm_core.kernel import refs
from ecrm_core.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.events import MASKED
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.org.model import ServiceState
from tests.fakes import fake_app

PASSWORD = "correct-horse"


@pytest.fixture
def world():
    app, storage = fake_app()
    director = app.org.found_company(
        "ООО «Ромашка»", {"login": "Director", "password": PASSWORD, "full_name": "Петров И. С."}
    )
    sales = app.org.create_department(director.id, {"name": "Отдел продаж"})
    support = app.org.create_department(director.id, {"name": "Поддержка"})
    admin = app.org.add_employee(director.id, {
        "login": "admin", "password": PASSWORD, "full_name": "Смирнова А. В.",
        "department_id": sales.id})
    app.access.grant(director.id, admin.id, "administrator", sales.ref)
    clerk = app.org.add_employee(director.id, {
        "login": "clerk", "password": PASSWORD, "full_name": "Иванов П. П.",
        "department_id": str(sales.id), "email": "clerk@example.ru"})
    other = app.org.add_employee(director.id, {
        "login": "other", "password": PASSWORD, "full_name": "Сидоров К. К.",
        "department_id": support.id})
    return app, storage, director, sales, support, admin, clerk, other


def test_first_employee_is_director_and_company_is_single(world):
    app, storage, director, *_ = world
    assert director.login == "director"  # logins are kept in lower case
    roles = app.access.assignments(director.id, employee_id=director.id)
    assert [(r.role, r.scope_kind) for r in roles] == [(Role.DIRECTOR, refs.COMPANY)]
    with pytest.raises(Conflict):
        app.org.found_company("Другая", {"login": "x2", "password": PASSWORD, "full_name": "X"})


def test_add_employee_names_every_bad_field(world):
    app, _, director, *_ = world
    with pytest.raises(ValidationFailed) as err:
        app.org.add_employee(director.id, {
            "login": "!bad", "password": "short", "email": "not-an-email",
            "department_id": "abc", "locale": "de"})
    assert set(err.value.errors) == {
        "login", "password", "full_name", "email", "department_id", "locale"}


def test_login_is_unique_ignoring_case(world):
    app, _, director, *_ = world
    with pytest.raises(ValidationFailed) as err:
        app.org.add_employee(director.id, {"login": "CLERK", "password": PASSWORD,
                                           "full_name": "Двойник"})
    assert "login" in err.value.errors


def test_administrator_manages_only_own_department(world):
    app, _, _, sales, support, admin, clerk, other = world
    app.org.update_employee(admin.id, clerk.id, {"position": "Менеджер"})
    with pytest.raises(Forbidden):
        app.org.update_employee(admin.id, other.id, {"position": "Менеджер"})
    with pytest.raises(Forbidden):
        app.org.add_employee(admin.id, {"login": "new1", "password": PASSWORD,
                                        "full_name": "Новый", "department_id": support.id})
    new = app.org.add_employee(admin.id, {"login": "new2", "password": PASSWORD,
                                          "full_name": "Новый", "department_id": sales.id})
    assert new.department_id == sales.id
    # may not move an employee into a department outside their scope
    with pytest.raises(Forbidden):
        app.org.update_employee(admin.id, clerk.id, {"department_id": support.id})


def test_employee_without_role_changes_nothing(world):
    app, storage, _, sales, _, _, clerk, other = world
    before = len(storage.stores["history"])
    for call in (
        lambda: app.org.update_employee(clerk.id, other.id, {"full_name": "Взлом"}),
        lambda: app.org.create_department(clerk.id, {"name": "Мой отдел"}),
        lambda: app.org.update_department(clerk.id, sales.id, {"name": "Мой отдел"}),
        lambda: app.org.create_project(clerk.id, {"name": "Мой проект"}),
        lambda: app.org.create_service_type(clerk.id, {"code": "x", "name": "X"}),
        lambda: app.access.grant(clerk.id, clerk.id, "administrator", sales.ref),
        lambda: app.org.set_active(clerk.id, other.id, False),
        lambda: app.org.set_password(clerk.id, other.id, "new-password-1"),
    ):
        with pytest.raises(Forbidden):
            call()
    assert len(storage.stores["history"]) == before
    assert app.org.employee(clerk.id, other.id).full_name == "Сидоров К. К."


def test_own_card_is_editable_but_not_own_department(world):
    app, _, _, _, support, _, clerk, _ = world
    app.org.update_employee(clerk.id, clerk.id, {"phone": "+7 913 000-00-00", "locale": "en"})
    with pytest.raises(Forbidden):
        app.org.update_employee(clerk.id, clerk.id, {"department_id": support.id})


def test_stale_version_is_refused_and_nothing_is_lost(world):
    app, _, director, _, _, admin, clerk, _ = world
    seen = app.org.employee(director.id, clerk.id).version
    app.org.update_employee(director.id, clerk.id, {"position": "Старший", "version": seen})
    with pytest.raises(Conflict):
        app.org.update_employee(admin.id, clerk.id, {"position": "Младший", "version": seen})
    assert app.org.employee(director.id, clerk.id).position == "Старший"


def test_history_records_old_and_new_and_masks_passwords(world):
    app, _, director, _, _, _, clerk, _ = world
    app.org.update_employee(director.id, clerk.id, {"full_name": "Иванов Пётр Петрович"})
    app.org.set_password(director.id, clerk.id, "another-password")
    entries = app.history.of(director.id, clerk.ref)
    assert entries[0].changes == [{"field": "password_hash", "old": MASKED, "new": MASKED}]
    assert entries[1].changes == [
        {"field": "full_name", "old": "Иванов П. П.", "new": "Иванов Пётр Петрович"}]
    assert entries[1].actor_id == director.id
    assert entries[-1].action == "ObjectCreated"


def test_set_password_of_self_needs_current_password(world):
    app, _, _, _, _, _, clerk, _ = world
    with pytest.raises(ValidationFailed) as err:
        app.org.set_password(clerk.id, clerk.id, "brand-new-pass", current_password="wrong")
    assert "current_password" in err.value.errors
    app.org.set_password(clerk.id, clerk.id, "brand-new-pass", current_password=PASSWORD)
    app.auth.login("clerk", "brand-new-pass")


def test_disabling_ends_sessions_and_blocks_use(world):
    app, _, director, _, _, _, clerk, _ = world
    _, token = app.auth.login("clerk", PASSWORD)
    app.org.set_active(director.id, clerk.id, False)
    assert app.auth.employee_for_session(token) is None
    with pytest.raises(Forbidden):
        app.org.employees(clerk.id)
    with pytest.raises(ValidationFailed):
        app.org.set_active(director.id, director.id, False)


def test_department_cannot_be_put_inside_itself(world):
    app, _, director, sales, *_ = world
    child = app.org.create_department(director.id, {"name": "Группа", "parent_id": sales.id})
    with pytest.raises(ValidationFailed) as err:
        app.org.update_department(director.id, sales.id, {"parent_id": child.id})
    assert "parent_id" in err.value.errors


def test_projects_and_missing_objects(world):
    app, _, director, *_ = world
    project = app.org.create_project(director.id, {"name": "Интернет для бизнеса"})
    app.org.update_project(director.id, project.id, {"active": "false", "version": project.version})
    assert app.org.project(director.id, project.id).active is False
    with pytest.raises(NotFound):
        app.org.project(director.id, 999)
    with pytest.raises(ValidationFailed):
        app.org.create_project(director.id, {"name": "  "})


def test_services_open_close_and_availability(world):
    app, _, director, sales, _, admin, clerk, other = world
    stype = app.org.create_service_type(director.id, {"code": "connect", "name": "Подключение"})
    with pytest.raises(ValidationFailed):
        app.org.create_service_type(director.id, {"code": "connect", "name": "Дубль"})
    svc = app.org.open_service(admin.id, clerk.ref, stype.id)
    with pytest.raises(ValidationFailed):
        app.org.open_service(admin.id, clerk.ref, stype.id)  # already active
    with pytest.raises(Forbidden):
        app.org.open_service(admin.id, other.ref, stype.id)
    app.org.set_service_availability(admin.id, svc.id, "false")
    assert app.org.services_of(admin.id, clerk.ref)[0].available is False
    closed = app.org.close_service(admin.id, svc.id)
    assert closed.state is ServiceState.CLOSED
    with pytest.raises(ValidationFailed):
        app.org.set_service_availability(admin.id, svc.id, True)
    # closed services stay (history of active and closed services)
    again = app.org.open_service(admin.id, clerk.ref, stype.id)
    assert {s.id for s in app.org.services_of(admin.id, clerk.ref)} == {svc.id, again.id}
    assert [s.id for s in app.org.services_of(admin.id, clerk.ref, include_closed=False)] == [
        again.id]
    app.org.update_service_type(director.id, stype.id, {"active": False})
    with pytest.raises(ValidationFailed):
        app.org.open_service(director.id, sales.ref, stype.id)
    with pytest.raises(ValidationFailed):
        app.org.open_service(director.id, ObjectRef("company", 1), stype.id)


def test_department_head_sets_personal_services(world):
    app, _, director, sales, _, _, clerk, _ = world
    head = app.org.add_employee(director.id, {"login": "head", "password": PASSWORD,
                                              "full_name": "Руководитель"})
    app.org.update_department(director.id, sales.id, {"head_id": head.id})
    stype = app.org.create_service_type(director.id, {"code": "call", "name": "Звонки"})
    assert app.org.open_service(head.id, clerk.ref, stype.id).owner == clerk.ref


@pytest.mark.parametrize("bad", ["Mars/Olympus", "../../etc/passwd", "Europe/", "x" * 70])
def test_time_zone_must_exist(world, bad):
    app, _, director, *_ = world
    with pytest.raises(ValidationFailed) as err:
        app.org.update_employee(director.id, director.id, {"timezone": bad})
    assert "timezone" in err.value.errors
    assert app.org.update_employee(director.id, director.id,
                                   {"timezone": "Asia/Novosibirsk"}).timezone == "Asia/Novosibirsk"


@pytest.mark.parametrize("bad", [1.5, float("inf"), float("nan"), "1e3", "-3", True, [1], 2**70])
def test_ids_are_whole_positive_numbers(world, bad):
    app, _, director, *_ = world
    with pytest.raises(ValidationFailed) as err:
        app.org.create_department(director.id, {"name": "X", "parent_id": bad})
    assert "parent_id" in err.value.errors


# -- authority over accounts (review findings) --------------------------------------

@pytest.fixture
def director_in_sales(world):
    app, storage, director, sales, support, admin, clerk, other = world
    app.org.update_employee(director.id, director.id, {"department_id": sales.id})
    return world


def test_an_administrator_cannot_touch_the_directors_account(director_in_sales):
    app, storage, director, sales, support, admin, clerk, other = director_in_sales
    before = len(storage.stores["history"])
    with pytest.raises(Forbidden):
        app.org.set_password(admin.id, director.id, "taken-over-1")
    with pytest.raises(Forbidden):
        app.org.set_active(admin.id, director.id, False)
    with pytest.raises(Forbidden):
        app.org.update_employee(admin.id, director.id, {"email": "evil@example.ru"})
    assert len(storage.stores["history"]) == before
    # the Administrator still manages ordinary employees of the department
    app.org.set_password(admin.id, clerk.id, "reset-by-admin")


def test_moving_out_of_scope_to_the_root_is_checked(world):
    app, _, director, sales, _, admin, clerk, _ = world
    child = app.org.create_department(admin.id, {"name": "Группа", "parent_id": sales.id})
    with pytest.raises(Forbidden):
        app.org.update_department(admin.id, child.id, {"parent_id": ""})
    with pytest.raises(Forbidden):
        app.org.update_employee(admin.id, clerk.id, {"department_id": ""})
    assert app.org.employee(director.id, clerk.id).department_id == sales.id


def test_an_admin_password_reset_ends_the_sessions(world):
    app, _, director, _, _, _, clerk, _ = world
    _, token = app.auth.login("clerk", PASSWORD)
    app.org.set_password(director.id, clerk.id, "reset-by-director")
    assert app.auth.employee_for_session(token) is None


def test_disabling_through_the_card_ends_sessions_too(world):
    app, _, director, _, _, _, clerk, _ = world
    _, token = app.auth.login("clerk", PASSWORD)
    app.org.update_employee(director.id, clerk.id, {"active": False})
    app.org.update_employee(director.id, clerk.id, {"active": True})
    assert app.auth.employee_for_session(token) is None


def test_the_company_keeps_an_active_director(world):
    app, _, director, _, _, _, clerk, _ = world
    app.access.grant(director.id, clerk.id, "director", ObjectRef(refs.COMPANY, 1))
    app.org.set_active(director.id, clerk.id, False)  # another Director stays active
    mine = app.access.assignments(director.id, role=Role.DIRECTOR, employee_id=director.id)[0]
    with pytest.raises(ValidationFailed):
        app.access.revoke(director.id, mine.id)  # the other Director is disabled
    app.org.set_active(director.id, clerk.id, True)
    app.access.revoke(director.id, mine.id)
    with pytest.raises(ValidationFailed):
        app.org.set_active(clerk.id, clerk.id, False)  # the last Director stays
    with pytest.raises(Forbidden):
        app.org.set_active(director.id, clerk.id, False)  # no longer a Director
