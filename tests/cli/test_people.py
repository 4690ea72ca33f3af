"""`ecrm users`, `ecrm roles` and `ecrm tokens`: the operator acts as the Director (or
`--as LOGIN`), the core's policy decides (ORG-4, ORG-6, AUTH-1)."""

from __future__ import annotations

import pytest

from ecrm_core.access.model import Role
from tests.cli.conftest import DIRECTOR, DIRECTOR_PASSWORD

PASSWORD = "staff-password"


def _add(ecrm, login, full_name="Иванов Пётр Сергеевич", *extra, code=0):
    return ecrm("users", "add", "--login", login, "--full-name", full_name,
                "--password", PASSWORD, *extra, code=code)


@pytest.fixture
def department(initialised):
    system = initialised.system()
    try:
        director = system.app.access.directors()[0]
        dep = system.app.org.create_department(director.id, {"name": "Отдел продаж"})
        return dep.id
    finally:
        system.close()


def _rows(output: str) -> list[list[str]]:
    lines = output.strip().splitlines()
    return [line.split() for line in lines[1:]]


# -- users ------------------------------------------------------------------------------


def test_users_add_and_list(initialised, department):
    out = _add(initialised, "ivanov", "Иванов Пётр Сергеевич", "--email", "ivanov@example.ru",
               "--department", "отдел продаж", "--head", DIRECTOR, "--position", "Менеджер",
               "--phone", "+7 383 200-00-00").output
    assert "Added ivanov" in out
    listing = initialised("users", "list").output
    assert listing.splitlines()[0].split()[:3] == ["ID", "LOGIN", "FULL"]
    assert "ivanov" in listing and "ivanov@example.ru" in listing and "Отдел продаж" in listing
    system = initialised.system()
    try:
        employee = system.app.org.employee_by_login("ivanov")
        boss = system.app.org.employee_by_login(DIRECTOR)
        assert (employee.department_id, employee.head_id) == (department, boss.id)
        assert employee.position == "Менеджер" and employee.phone == "+7 383 200-00-00"
        assert system.app.auth.login("ivanov", PASSWORD)[0].id == employee.id
        # the change went through the service: history names the Director as the author
        created = system.app.history.of(boss.id, employee.ref)[-1]  # the oldest entry
        assert created.actor_id == boss.id
        assert {c["field"] for c in created.changes} >= {"login", "full_name"}
    finally:
        system.close()


def test_users_add_takes_a_department_id_too(initialised, department):
    _add(initialised, "petrov", "Петров", "--department", str(department))
    assert "Отдел продаж" in initialised("users", "list").output


def test_users_add_reads_the_password_twice_from_the_prompt(initialised):
    initialised("users", "add", "--login", "petrov", "--full-name", "Петров",
                input=f"{PASSWORD}\n{PASSWORD}\n")
    assert "petrov" in initialised("users", "list").output


@pytest.mark.parametrize(
    ("args", "field", "code"),
    [
        (["--login", "x1"], "--full-name", 2),
        (["--full-name", "Иванов"], "--login", 2),
        (["--login", "x1", "--full-name", "  "], "--full-name", 2),
        (["--login", "x1", "--full-name", "Иванов", "--password", "short"], "--password", 2),
        (["--login", "x1", "--full-name", "Иванов"], "--password", 2),  # nobody to ask
        (["--login", "x y", "--full-name", "Иванов", "--password", PASSWORD], "--login", 2),
        (["--login", "x1", "--full-name", "Иванов", "--password", PASSWORD, "--email", "a@"],
         "--email", 2),
        (["--login", "x1", "--full-name", "Иванов", "--password", PASSWORD, "--department",
          "Нет такого"], "--department", 2),
        (["--login", "x1", "--full-name", "Иванов", "--password", PASSWORD, "--department",
          "999"], "--department", 2),
        (["--login", "x1", "--full-name", "Иванов", "--password", PASSWORD, "--head",
          "nobody"], "--head", 1),
        (["--login", DIRECTOR, "--full-name", "Иванов", "--password", PASSWORD], "--login", 2),
    ],
)
def test_users_add_bad_input_names_the_field(initialised, args, field, code):
    result = initialised("users", "add", *args, code=code)
    assert field in result.output
    assert result.stderr.strip().splitlines()[-1].startswith("Error:")
    assert "x1" not in initialised("users", "list").output


def test_users_disable_and_enable(initialised):
    _add(initialised, "ivanov")
    assert "Disabled ivanov" in initialised("users", "disable", "ivanov").output
    assert "ivanov" not in initialised("users", "list", "--active-only").output
    rows = {r[1]: r[-1] for r in _rows(initialised("users", "list").output)}
    assert rows["ivanov"] == "no"
    system = initialised.system()
    try:
        from ecrm_core.kernel.errors import AuthenticationFailed

        with pytest.raises(AuthenticationFailed):
            system.app.auth.login("ivanov", PASSWORD)
    finally:
        system.close()
    initialised("users", "enable", "ivanov")
    rows = {r[1]: r[-1] for r in _rows(initialised("users", "list").output)}
    assert rows["ivanov"] == "yes"


def test_users_disable_bad_input(initialised):
    result = initialised("users", "disable", "nobody", code=1)
    assert "nobody" in result.output
    result = initialised("users", "disable", DIRECTOR, code=2)
    assert "cannot disable yourself" in result.output
    result = initialised("users", "disable", code=2)
    assert "LOGIN" in result.output


def test_users_passwd(initialised):
    _add(initialised, "ivanov")
    initialised("users", "passwd", "ivanov", "--password", "brand-new-pass")
    result = initialised("users", "passwd", "ivanov", "--password", "short", code=2)
    assert "--password" in result.output
    # changing one's own password needs the current one
    result = initialised("users", "passwd", DIRECTOR, "--password", "another-pass",
                         "--current-password", "wrong", code=2)
    assert "--current-password" in result.output
    initialised("users", "passwd", DIRECTOR, "--password", "another-pass",
                "--current-password", DIRECTOR_PASSWORD)
    system = initialised.system()
    try:
        assert system.app.auth.login("ivanov", "brand-new-pass")[0].login == "ivanov"
        assert system.app.auth.login(DIRECTOR, "another-pass")[0].login == DIRECTOR
    finally:
        system.close()


def test_acting_as_an_employee_without_rights_is_refused(initialised):
    _add(initialised, "ivanov")
    result = initialised("users", "add", "--login", "x1", "--full-name", "Х",
                         "--password", PASSWORD, "--as", "ivanov", code=1)
    assert result.output.startswith("Error: you may not create employee")
    result = initialised("users", "list", "--as", "ghost", code=2)
    assert "--as" in result.output
    # everybody may see the organisation
    assert "ivanov" in initialised("users", "list", "--as", "ivanov").output


# -- roles ------------------------------------------------------------------------------


def test_roles_grant_list_revoke(initialised, department):
    _add(initialised, "ivanov")
    out = initialised("roles", "grant", "ivanov", "administrator", f"department:{department}")
    assert "Granted administrator" in out.output
    initialised("roles", "grant", "ivanov", "sales_management", "company")
    listing = initialised("roles", "list").output
    assert "director" in listing and "administrator" in listing
    assert "Отдел продаж" in listing and "sales_management" in listing
    only = initialised("roles", "list", "--login", "ivanov").output
    assert DIRECTOR not in only and len(_rows(only)) == 2

    # the administrator may now add people to the department, as themself
    initialised("users", "add", "--login", "x1", "--full-name", "Х", "--password", PASSWORD,
                "--department", str(department), "--as", "ivanov")

    initialised("roles", "revoke", "ivanov", "administrator", f"department:{department}")
    by_id = _rows(initialised("roles", "list", "--login", "ivanov").output)
    assert len(by_id) == 1 and "sales_management" in by_id[0]
    initialised("roles", "revoke", by_id[0][0])
    assert _rows(initialised("roles", "list", "--login", "ivanov").output) == []


def test_roles_grant_with_a_project(initialised):
    _add(initialised, "ivanov")
    system = initialised.system()
    try:
        boss = system.app.access.directors()[0]
        project = system.app.org.create_project(boss.id, {"name": "IP-телефония"})
    finally:
        system.close()
    initialised("roles", "grant", "ivanov", "management", f"project:{project.id}")
    initialised("roles", "grant", "ivanov", "sales_management", "company", "--project",
                "ip-телефония")
    listing = initialised("roles", "list", "--role", "sales_management").output
    assert "IP-телефония" in listing
    system = initialised.system()
    try:
        boss = system.app.access.directors()[0]
        roles = system.app.access.assignments(boss.id, role=Role.SALES_MANAGEMENT)
        assert [r.project_id for r in roles] == [project.id]
    finally:
        system.close()


@pytest.mark.parametrize(
    ("args", "text", "code"),
    [
        (["ivanov", "emperor", "company"], "ROLE", 2),
        (["ivanov", "administrator", "company"], "SCOPE", 2),
        (["ivanov", "administrator", "department"], "SCOPE", 2),
        (["ivanov", "administrator", "department:x"], "SCOPE", 2),
        (["ivanov", "administrator", "galaxy:1"], "SCOPE", 2),
        (["ivanov", "administrator", "department:999"], "SCOPE", 2),
        (["ghost", "administrator", "company"], "ghost", 1),
        (["ivanov", "sales_management", "company", "--project", "Нет такого"], "--project", 2),
        (["ivanov", "sales_management", "company", "--project", "999"], "--project", 2),
        (["ivanov"], "ROLE", 2),
    ],
)
def test_roles_grant_bad_input(initialised, args, text, code):
    _add(initialised, "ivanov")
    result = initialised("roles", "grant", *args, code=code)
    assert text in result.output


def test_roles_revoke_bad_input(initialised):
    _add(initialised, "ivanov")
    assert "Error" in initialised("roles", "revoke", "999", code=1).output
    assert "holds no" in initialised("roles", "revoke", "ivanov", "administrator",
                                     "department:1", code=1).output
    assert "ID" in initialised("roles", "revoke", "ivanov", code=2).output
    assert "SCOPE" in initialised("roles", "revoke", "ivanov", "administrator", code=2).output
    # the last Director stays
    result = initialised("roles", "revoke", DIRECTOR, "director", "company", code=2)
    assert "at least one active Director" in result.output


def test_granting_without_rights_is_refused(initialised):
    _add(initialised, "ivanov")
    result = initialised("roles", "grant", "ivanov", "director", "company", "--as", "ivanov",
                         code=1)
    assert "Director" in result.output


# -- tokens -----------------------------------------------------------------------------


def test_tokens_create_prints_the_token_once(initialised):
    _add(initialised, "ivanov")
    result = initialised("tokens", "create", "--login", "ivanov", "--name", "ноутбук")
    token = result.stdout.strip()
    assert token.startswith("ecrm_") and "\n" not in token
    assert "shown only now" in result.stderr
    system = initialised.system()
    try:
        assert system.app.auth.employee_for_api_token(token).login == "ivanov"
    finally:
        system.close()


def test_tokens_create_bad_input(initialised):
    _add(initialised, "ivanov")
    assert "--name" in initialised("tokens", "create", "--login", "ivanov", code=2).output
    assert "--name" in initialised("tokens", "create", "--login", "ivanov", "--name", " ",
                                   code=2).output
    assert "--login" in initialised("tokens", "create", "--login", "ghost", "--name", "x",
                                    code=1).output
    # an employee makes tokens only for themself
    result = initialised("tokens", "create", "--login", DIRECTOR, "--name", "x",
                         "--as", "ivanov", code=1)
    assert "only for yourself" in result.output
    own = initialised("tokens", "create", "--login", "ivanov", "--name", "x", "--as", "ivanov")
    assert own.stdout.startswith("ecrm_")
