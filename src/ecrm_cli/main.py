"""The ``ecrm`` console script. Commands parse their arguments, call one use case of
the core (through the bootstrapped system) and print the result; docs/cli.md lists
them all."""

from __future__ import annotations

import click

from ecrm_cli import context, data_import, deals, orders, people, run, sales, setup, tasks
from ecrm_cli.context import EcrmGroup, Runtime


@click.group(cls=EcrmGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--database-url", metavar="URL",
    help="Database to use (overrides ECRM_DATABASE_URL), e.g. sqlite:///ecrm.db or "
         "postgresql://user@host/ecrm. Default: a SQLite file in ECRM_DATA_DIR.",
)
@click.version_option(package_name="ecrm", prog_name="ecrm")
@click.pass_context
def cli(ctx: click.Context, database_url: str | None) -> None:
    """ECRM — a CRM for B2B sales teams.

    Settings come from ECRM_* environment variables (see docs/configuration.md).
    Start quickly with `ecrm demo` and `ecrm serve`.
    """
    ctx.obj = Runtime(database_url=database_url)


cli.add_command(setup.init)
cli.add_command(setup.db)
cli.add_command(setup.demo)
cli.add_command(people.users)
cli.add_command(people.roles)
cli.add_command(people.tokens)
cli.add_command(run.serve)
cli.add_command(run.worker)
cli.add_command(data_import.import_group)
cli.add_command(tasks.tasks)
cli.add_command(sales.prices)
cli.add_command(sales.invoices)
cli.add_command(sales.state_sets)
cli.add_command(sales.documents)
cli.add_command(deals.deals)
cli.add_command(orders.orders)


def main() -> None:
    """The ``ecrm`` console script and ``python -m ecrm_cli``: the group, run as a process
    of its own, which settles its heap after start-up (``Runtime.settle``)."""
    context.own_process = True
    cli(prog_name="ecrm")
