"""Fixtures of the command-line tests: a temporary data folder and SQLite file per test,
and ``ecrm`` invoked in-process through click's CliRunner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from ecrm_adapters.bootstrap import bootstrap
from ecrm_adapters.settings import Settings
from ecrm_cli import context
from ecrm_cli.main import cli
from tests.conftest import FAST_HASHER

DIRECTOR = "boss"
DIRECTOR_PASSWORD = "boss-password"


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch):
    """Real Argon2id at a low cost: the commands hash and verify many passwords."""
    monkeypatch.setattr(context, "bootstrap",
                        lambda settings, **kw: bootstrap(settings, hasher=FAST_HASHER, **kw))


@pytest.fixture
def cli_env(tmp_path) -> dict[str, str]:
    data = tmp_path / "data"
    return {
        "ECRM_DATA_DIR": str(data),
        "ECRM_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "ECRM_SECRET_KEY": "cli-test-secret",
        "ECRM_BROKER_URL": "",
        "ECRM_BASE_URL": "http://127.0.0.1:8000",
        # a small client base keeps `ecrm demo` quick here; test_demo_clients builds the
        # full one
        "ECRM_DEMO_CLIENTS": "200",
    }


class Ecrm:
    """Runs ``ecrm ARGS`` and checks that it never ends in a traceback."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.runner = CliRunner(env=env)

    def __call__(self, *args: str, input: str | None = None, code: int | None = 0) -> Result:
        result = self.runner.invoke(cli, list(args), input=input, prog_name="ecrm")
        assert "Traceback" not in result.output, result.output
        if result.exception is not None:
            assert isinstance(result.exception, SystemExit), repr(result.exception)
        if code is not None:
            assert result.exit_code == code, (result.exit_code, result.output)
        return result

    def system(self):
        """The same database, opened the way a library user would."""
        return bootstrap(Settings.from_env(self.env), hasher=FAST_HASHER)


@pytest.fixture
def ecrm(cli_env) -> Ecrm:
    return Ecrm(cli_env)


@pytest.fixture
def initialised(ecrm) -> Ecrm:
    ecrm("init", "--company", "ООО «Ромашка»", "--login", DIRECTOR, "--password",
         DIRECTOR_PASSWORD, "--full-name", "Соколов Андрей Викторович",
         "--email", "boss@example.ru")
    return ecrm
