"""`ecrm init`, `ecrm db upgrade|current` and `--help` on every command (issue 2 point 7)."""

from __future__ import annotations

import click
import pytest

from ecrm_cli.main import cli
from tests.cli.conftest import DIRECTOR, DIRECTOR_PASSWORD


def _all_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [(), *_all_commands(cli)], ids=" ".join)
def test_every_command_has_help(ecrm, path):
    result = ecrm(*path, "--help")
    assert "Usage: ecrm" in result.output
    assert "--help" in result.output


def test_the_commands_of_issue_2_exist():
    names = set(_all_commands(cli))
    for path in [("init",), ("db", "upgrade"), ("db", "current"), ("users", "add"),
                 ("users", "list"), ("users", "disable"), ("users", "enable"),
                 ("users", "passwd"), ("roles", "grant"), ("roles", "revoke"),
                 ("roles", "list"), ("serve",), ("worker",), ("demo",), ("tokens", "create")]:
        assert path in names


def test_serve_help_names_its_options(ecrm):
    out = ecrm("serve", "--help").output
    for option in ("--host", "--port", "--threads"):
        assert option in out
    assert "127.0.0.1" in out and "8000" in out


def test_init_creates_the_company_and_its_director(ecrm):
    result = ecrm("init", "--company", "ООО «Ромашка»", "--login", DIRECTOR,
                  "--password", DIRECTOR_PASSWORD, "--full-name", "Соколов Андрей",
                  "--email", "boss@example.ru")
    assert "ООО «Ромашка»" in result.output and DIRECTOR in result.output
    system = ecrm.system()
    try:
        assert system.app.org.company().name == "ООО «Ромашка»"
        [director] = system.app.access.directors()
        assert (director.login, director.email) == (DIRECTOR, "boss@example.ru")
        employee, _token = system.app.auth.login(DIRECTOR, DIRECTOR_PASSWORD)
        assert employee.id == director.id
    finally:
        system.close()


def test_init_asks_for_the_password_twice_when_it_is_not_given(ecrm):
    result = ecrm("init", "--company", "ООО «Ромашка»", "--login", DIRECTOR,
                  "--full-name", "Соколов Андрей", input="secret-pass\nsecret-pass\n")
    assert "Repeat for confirmation" in result.output
    system = ecrm.system()
    try:
        assert system.app.auth.login(DIRECTOR, "secret-pass")[0].login == DIRECTOR
    finally:
        system.close()


def test_init_without_a_password_and_nobody_to_ask_names_the_option(ecrm):
    result = ecrm("init", "--company", "ООО «Ромашка»", "--login", DIRECTOR,
                  "--full-name", "Соколов Андрей", code=2)
    assert "--password" in result.output


def test_init_refuses_an_initialised_database(initialised):
    result = initialised("init", "--company", "ООО «Другая»", "--login", "other",
                         "--password", "other-password", "--full-name", "Другой", code=1)
    assert "already initialised" in result.output


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--login", "boss", "--full-name", "Б", "--password", "long-enough"], "--company"),
        (["--company", "ООО", "--full-name", "Б", "--password", "long-enough"], "--login"),
        (["--company", "ООО", "--login", "boss", "--password", "long-enough"], "--full-name"),
        (["--company", "ООО", "--login", "boss", "--full-name", "Б", "--password", "short"],
         "--password"),
        (["--company", "ООО", "--login", "boss", "--full-name", "Б", "--password",
          "long-enough", "--email", "not-an-address"], "--email"),
        (["--company", "  ", "--login", "boss", "--full-name", "Б", "--password",
          "long-enough"], "--company"),
        (["--company", "ООО", "--login", "бос с", "--full-name", "Б", "--password",
          "long-enough"], "--login"),
    ],
)
def test_init_bad_input_names_the_field_and_exits_2(ecrm, args, field):
    result = ecrm("init", *args, code=2)
    assert field in result.output
    assert result.output.count("\n") <= 4  # a usage line or two and the error, no traceback


def test_db_upgrade_is_idempotent(ecrm):
    first = ecrm("db", "upgrade")
    second = ecrm("db", "upgrade")
    assert "up to date" in first.output and "up to date" in second.output
    current = ecrm("db", "current").output
    lines = dict(line.split(":", 1) for line in current.splitlines() if ":" in line)
    assert lines["current"].strip() == lines["head"].strip()
    assert "none" not in lines["current"]


def test_db_current_on_an_empty_database_says_so(ecrm):
    out = ecrm("db", "current").output
    assert "none" in out and "ecrm db upgrade" in out


def test_commands_on_an_empty_database_point_at_init(ecrm):
    result = ecrm("users", "list", code=1)
    assert "ecrm init" in result.output


def test_a_migrated_but_empty_database_asks_for_init(ecrm):
    ecrm("db", "upgrade")
    result = ecrm("users", "list", code=1)
    assert "not initialised" in result.output


def test_global_database_url_overrides_the_environment(ecrm, tmp_path):
    other = tmp_path / "other.db"
    ecrm("--database-url", f"sqlite:///{other}", "db", "upgrade")
    assert other.exists()
    assert str(other) in ecrm("--database-url", f"sqlite:///{other}", "db", "current").output


@pytest.mark.parametrize("url", ["nonsense://x", "postgresql://nobody@127.0.0.1:1/none"])
def test_an_unusable_database_is_one_line_and_exit_1(ecrm, url):
    result = ecrm("--database-url", url, "users", "list", code=1)
    assert result.output.startswith("Error: cannot open the database")
    assert result.output.count("\n") == 1


def test_a_bad_setting_in_the_environment_is_reported(ecrm):
    ecrm.env["ECRM_SMTP_PORT"] = "twenty-five"
    runner_result = ecrm("users", "list", code=1)
    assert "ECRM_" in runner_result.output


def test_roles_grant_help_lists_every_role(ecrm):
    from ecrm_core.access.model import Role

    out = ecrm("roles", "grant", "--help").output
    for role in Role:
        assert role.value in out


def test_a_schema_behind_the_code_asks_for_db_upgrade(ecrm):
    from sqlalchemy import text

    ecrm("db", "upgrade")
    system = ecrm.system()
    try:
        with system.engine.begin() as conn:  # pretend an older revision
            conn.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    finally:
        system.close()
    result = ecrm("users", "list", code=1)
    assert "ecrm db upgrade" in result.output and "older" in result.output


def test_the_ecrm_process_settles_its_heap_and_a_test_driving_the_group_does_not(
        ecrm, cli_env, monkeypatch):
    """``main`` (the console script, ``python -m ecrm_cli``) marks the process as the
    ``ecrm`` command itself: once it has built the system it settles the heap
    (``settle_heap``: gc.freeze). Tests drive ``cli`` in their own process and must not
    freeze it at every command."""
    import gc

    from ecrm_adapters.bootstrap import settle_heap
    from ecrm_cli import context
    from ecrm_cli.main import main

    settled: list[bool] = []
    monkeypatch.setattr(context, "settle_heap", lambda: settled.append(True))
    for name, value in cli_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(context, "own_process", False)
    ecrm("init", "--company", "ООО «Куб»", "--login", DIRECTOR, "--password",
         DIRECTOR_PASSWORD, "--full-name", "Иванов И. И.")
    assert settled == []

    monkeypatch.setattr("sys.argv", ["ecrm", "users", "list"])
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 0 and settled == [True] and context.own_process

    before = gc.get_freeze_count()
    try:
        settle_heap()
        assert gc.get_freeze_count() > before  # the real one freezes what exists
    finally:
        gc.unfreeze()
