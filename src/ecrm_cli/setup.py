"""Setting a database up: ``ecrm init``, ``ecrm db upgrade|current`` and ``ecrm demo``."""

from __future__ import annotations

import sys

import click
from alembic.util import CommandError as AlembicError
from sqlalchemy.exc import SQLAlchemyError

from ecrm_adapters import demo as demo_data
from ecrm_adapters.sqlalchemy.engine import make_engine
from ecrm_adapters.sqlalchemy.migrate import current_revision, head_revision, upgrade
from ecrm_cli.context import (
    CommandError,
    EcrmCommand,
    EcrmGroup,
    Runtime,
    ask_password,
    first_line,
    nonblank,
)


@click.command(cls=EcrmCommand)
@click.option("--company", required=True, callback=nonblank, help="The Company's name, e.g. 'ООО «Ромашка»'.")
@click.option("--login", required=True, callback=nonblank, help="The Director's login.")
@click.option("--password", help="The Director's password (asked twice when omitted).")
@click.option("--full-name", required=True, callback=nonblank, help="The Director's full name.")
@click.option("--email", help="The Director's e-mail (for messages by mail).")
@click.pass_obj
def init(rt: Runtime, company: str, login: str, password: str | None, full_name: str,
         email: str | None) -> None:
    """Create the database (migrations), the Company and its Director (ORG-1).

    Refuses when the database already holds a company.
    """
    system = rt.system(migrate=True)
    if system.app.org.company() is not None:
        raise CommandError(
            f"ECRM is already initialised in {rt.shown_url}: it has a company "
            "(use `ecrm users add` to register more people)"
        )
    if password is None:
        password = ask_password("Director's password")
    data = {"login": login, "password": password, "full_name": full_name}
    if email:
        data["email"] = email
    director = system.app.org.found_company(company, data)
    click.echo(f"Created the company {company.strip()} in {rt.shown_url}.")
    click.echo(f"Director: {director.login} ({director.full_name}). Start the server: ecrm serve")


@click.group(cls=EcrmGroup)
def db() -> None:
    """The database schema (Alembic migrations)."""


@db.command("upgrade")
@click.pass_obj
def db_upgrade(rt: Runtime) -> None:
    """Bring the schema up to date (safe to repeat)."""
    url = rt.settings.database_url
    if rt.settings.is_sqlite:
        rt.settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        upgrade(url)
    except (SQLAlchemyError, AlembicError) as exc:
        raise CommandError(f"cannot upgrade {rt.shown_url}: {first_line(exc)}") from None
    click.echo(f"The schema of {rt.shown_url} is up to date (revision {head_revision(url)}).")


@db.command("current")
@click.pass_obj
def db_current(rt: Runtime) -> None:
    """Show the schema revision of the database and the newest one this ECRM knows."""
    url = rt.settings.database_url
    engine = make_engine(url)
    try:
        current = current_revision(engine)
    finally:
        engine.dispose()
    head = head_revision(url)
    click.echo(f"database: {rt.shown_url}")
    click.echo(f"current:  {current or 'none (no ECRM schema)'}")
    click.echo(f"head:     {head}")
    if current != head:
        click.echo("Run `ecrm db upgrade` to bring it up to date.")


@click.command(cls=EcrmCommand)
@click.option("--force", is_flag=True,
              help="Wipe an initialised database first (deletes the SQLite file, or drops "
                   "and re-creates the PostgreSQL schema).")
@click.option("--keep", is_flag=True,
              help="When the database already holds a company, keep it and succeed "
                   "(so `ecrm demo --keep && ecrm serve` can be run again and again).")
@click.option("--clients", type=click.IntRange(0, 100_000), default=demo_data.CLIENTS,
              envvar="ECRM_DEMO_CLIENTS", show_default=True,
              help="How many counterparties the client base gets (env ECRM_DEMO_CLIENTS).")
@click.pass_obj
def demo(rt: Runtime, force: bool, keep: bool, clients: int) -> None:
    """Build a fresh database with a demo company: departments, projects, employees with
    roles, services and messages, and a client base of nested catalogs with thousands of
    counterparties (valid INNs, KPPs, OGRNs), contacts and client managers. Prints the
    address and a login to use.

    Refuses a database that already holds a company, unless --force (wipe it) or
    --keep (leave it as it is).
    """
    if force and keep:
        raise CommandError("--force and --keep contradict each other; give one", 2)
    system = rt.system(migrate=True)
    if system.app.org.company() is not None:
        if keep:
            click.echo(f"{rt.shown_url} already holds a company; kept as it is.")
            credentials = demo_data.demo_credentials(system)
            if credentials is not None:
                click.echo(f"Login: {credentials.login}  Password: {credentials.password}")
            return
        if not force:
            raise CommandError(
                f"{rt.shown_url} already holds a company; `ecrm demo --force` wipes it "
                "and builds the demo anew"
            )
        rt.close()
        demo_data.wipe_database(rt.settings)
        click.echo(f"Wiped {rt.shown_url}.")
        system = rt.system(migrate=True)
    with click.progressbar(length=demo_data.steps(clients), label="Building the demo company",
                           file=sys.stderr) as bar:
        credentials = demo_data.build_demo(system, progress=lambda _step: bar.update(1),
                                           clients=clients)
    click.echo(f"Demo company {demo_data.COMPANY} is ready in {rt.shown_url}.")
    click.echo(f"Client base: {clients} counterparties (and branches of the federal chains) "
               f"in {len(demo_data.CATALOGS)} nested catalogs.")
    click.echo(f"Start the server with `ecrm serve`, then open {rt.settings.base_url}/")
    click.echo(f"Login: {credentials.login}  Password: {credentials.password}")
    click.echo(f"(every demo employee, e.g. e.kuznetsova, has the password "
               f"{credentials.password})")
