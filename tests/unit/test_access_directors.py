"""AccessService.directors(): who the command line acts for (ORG-1, ORG-6)."""

from __future__ import annotations

from ecrm_core.access.model import Role
from ecrm_core.kernel import refs
from ecrm_core.kernel.refs import ObjectRef
from tests.fakes import fake_app


def _found(app):
    return app.org.found_company(
        "ООО «Тест»", {"login": "boss", "password": "boss-pass", "full_name": "Иванов Иван"}
    )


def test_no_company_has_no_directors():
    app, _ = fake_app()
    assert app.access.directors() == []


def test_the_first_employee_is_the_director():
    app, _ = fake_app()
    boss = _found(app)
    assert [e.login for e in app.access.directors()] == ["boss"]
    assert app.access.directors()[0].id == boss.id


def test_directors_are_found_through_role_assignments_and_must_be_active():
    app, _ = fake_app()
    boss = _found(app)
    company = app.org.company()
    deputy = app.org.add_employee(
        boss.id, {"login": "deputy", "password": "deputy-pass", "full_name": "Петров Пётр"}
    )
    clerk = app.org.add_employee(
        boss.id, {"login": "clerk", "password": "clerk-pass", "full_name": "Сидоров Сидор"}
    )
    app.access.grant(boss.id, deputy.id, Role.DIRECTOR.value, ObjectRef(refs.COMPANY, company.id))
    app.access.grant(boss.id, clerk.id, Role.SALES_MANAGEMENT.value,
                     ObjectRef(refs.COMPANY, company.id))
    assert [e.login for e in app.access.directors()] == ["boss", "deputy"]
    app.org.set_active(boss.id, deputy.id, False)
    assert [e.login for e in app.access.directors()] == ["boss"]
