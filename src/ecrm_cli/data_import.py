"""``ecrm import counterparties FILE``: cards from a CSV or XLSX file into a catalog,
through the same importer the web UI's upload page uses (ecrm_adapters.importing)."""

from __future__ import annotations

import sys

import click

from ecrm_adapters.importing import import_file, open_table, parse_map_options, resolve_mapping
from ecrm_cli.context import BAD_INPUT, CommandError, EcrmGroup, Runtime, as_option
from ecrm_core.kernel.errors import ValidationFailed

#: Rejected rows printed when no --rejected file is given.
SHOWN_REJECTED = 10


@click.group("import", cls=EcrmGroup)
def import_group() -> None:
    """Load data from files."""


def _catalog_id(rt: Runtime, actor_id: int, value: str) -> int:
    """``--catalog`` takes an id or the exact (case-insensitive) name of a catalog."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    wanted = text.casefold()
    found = [c for c in rt.system().app.catalogs.find(actor_id, text, limit=100)
             if c.name.strip().casefold() == wanted]
    if not found:
        raise CommandError(f"--catalog: no catalog named {value!r}", BAD_INPUT)
    if len(found) > 1:
        ids = ", ".join(str(c.id) for c in found)
        raise CommandError(f"--catalog: several catalogs are named {value!r} (ids {ids}); "
                           "give the id", BAD_INPUT)
    return found[0].id


@import_group.command("counterparties")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--catalog", required=True, metavar="ID|NAME",
              help="The catalog to import into: its id or its exact name.")
@click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
              help="Take FIELD from COLUMN (a header, or a column number from 1); "
                   "FIELD '-' leaves the column out. Repeat for more columns. Columns "
                   "are otherwise matched by their headers (Наименование, ИНН, КПП, "
                   "ОГРН, Телефон, E-mail, Юридический адрес, Тип, … or name, inn, …).")
@click.option("--rejected", "rejected_path", type=click.Path(dir_okay=False, writable=True),
              metavar="OUT.csv",
              help="Write the rejected rows with their reasons to this CSV file.")
@click.option("--encoding", metavar="NAME",
              help="The CSV file's encoding (default: UTF-8, else Windows-1251).")
@as_option
@click.pass_obj
def import_counterparties(rt: Runtime, file: str, catalog: str, maps: tuple[str, ...],
                          rejected_path: str | None, encoding: str | None,
                          as_login: str | None) -> None:
    """Import counterparties from FILE (.csv or .xlsx) into a catalog.

    Every row is checked like a card typed in (INN/KPP/OGRN checksums, phones,
    e-mails); a rejected row is saved in no part and reported with its reasons. A
    row whose INN (and KPP) matches a card updates that card, so importing the same
    file again creates no duplicates. Prints created / updated / unchanged / rejected.
    """
    try:
        _import(rt, file, catalog, maps, rejected_path, encoding, as_login)
    except ValidationFailed as exc:
        # the importer's fields -> this command's options (for the one-line error)
        raise ValidationFailed({OPTION_FIELDS.get(k, k): v for k, v in exc.errors.items()}
                               ) from None


#: Fields the importer names in its errors -> the parameters that carry them here.
OPTION_FIELDS = {"map": "maps", "rejected": "rejected_path"}


def _import(rt: Runtime, file: str, catalog: str, maps: tuple[str, ...],
            rejected_path: str | None, encoding: str | None, as_login: str | None) -> None:
    actor = rt.actor(as_login)
    explicit = parse_map_options(maps)
    catalog_id = _catalog_id(rt, actor.id, catalog)
    with open_table(file, encoding=encoding) as table:
        columns = resolve_mapping(table.headers, explicit)
        estimated = table.estimated_rows
        shown = ", ".join(f"{table.headers[i] or '#' + str(i + 1)} → {f}"
                          for i, f in columns.items())
    click.echo(f"Columns: {shown}", err=True)
    app = rt.system().app
    with click.progressbar(length=max(estimated or 0, 1), label="Importing",
                           file=sys.stderr, show_pos=True) as bar:
        result = import_file(app, actor.id, catalog_id, file, mapping=explicit,
                             rejected_to=rejected_path, progress=bar.update,
                             encoding=encoding)
    if result.ignored:
        click.echo("Ignored columns: " + ", ".join(result.ignored), err=True)
    name = app.catalogs.get(actor.id, catalog_id).name
    click.echo(f"Imported {file} into «{name}» (id {catalog_id}): "
               f"{result.created} created, {result.updated} updated, "
               f"{result.unchanged} unchanged, {result.rejected} rejected.")
    if not result.rejected:
        return
    if rejected_path:
        click.echo(f"The rejected rows and the reasons: {rejected_path}")
        return
    for row in result.rejected_rows[:SHOWN_REJECTED]:
        click.echo(f"row {row.row}: {row.reasons}", err=True)
    more = result.rejected - SHOWN_REJECTED
    if more > 0:
        click.echo(f"… and {more} more rejected rows; give --rejected OUT.csv to get them "
                   "all", err=True)


__all__ = ["import_group"]
