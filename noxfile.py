"""Developer sessions: ``nox -s tests``, ``nox -s lint``, ``nox -s e2e``, ``nox -s babel``.

Each session installs ECRM into its own virtual environment. The test sessions pick up
``ECRM_TEST_DATABASE_URL`` / ``ECRM_TEST_BROKER_URL`` / ``ECRM_TEST_AMQP_URL`` from the
environment (see docs/configuration.md); without them the PostgreSQL, Redis and RabbitMQ
legs skip. Arguments after ``--`` go to the tool, e.g. ``nox -s tests -- tests/cli -x``.
The suite runs on one pytest-xdist worker per core (``-n auto`` in pyproject.toml's
``addopts``); ``nox -s tests -- -n 0`` runs it in one process.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True

TRANSLATIONS = "src/ecrm_web/translations"


@nox.session
def tests(session: nox.Session) -> None:
    """The whole test suite (unit, integration, e2e; browser tests need Chromium)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff, and import-linter's architecture contracts (pyproject.toml)."""
    session.install("-e", ".", "ruff>=0.6", "import-linter>=2.0")
    session.run("ruff", "check", "src", "tests", "noxfile.py", "benchmarks")
    session.run("lint-imports")


@nox.session
def e2e(session: nox.Session) -> None:
    """The journeys in a real headless Chromium (Debian's /usr/bin/chromium)."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "browser", *session.posargs)


@nox.session
def babel(session: nox.Session) -> None:
    """Extract the UI's messages, merge them into the catalogs and compile them (UI-5).
    The source language is English; ``translations/ru`` holds the Russian catalog."""
    session.install("-e", ".")
    pot = f"{session.create_tmp()}/messages.pot"
    session.run(
        "pybabel", "extract", "-F", "babel.cfg", "-k", "lazy_gettext", "-k", "N_",
        "--no-location", "--sort-output", "-o", pot, "src/ecrm_web",
    )
    session.run("pybabel", "update", "-i", pot, "-d", TRANSLATIONS, "--no-fuzzy-matching",
                "--ignore-obsolete")
    session.run("pybabel", "compile", "--statistics", "-d", TRANSLATIONS)
