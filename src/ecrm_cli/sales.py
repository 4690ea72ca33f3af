"""Sales documents on the command line (issue 5):

- ``ecrm prices import FILE`` — a price list from a CSV or XLSX file (PRD-3): columns
  item (its article or exact name), price type (code or name), valid from, amount. Items
  are not created: rows naming unknown items are rejected and reported, like rows with
  bad values;
- ``ecrm prices show ITEM [--on DAY]`` — an item's prices (in force on a day);
- ``ecrm invoices list --counterparty ID`` — a client's invoices (INV-4);
- ``ecrm invoices print ID`` — the printable invoice as plain text (INV-1);
- ``ecrm state-sets export|import FILE.json`` — the reference book of state sets as the
  JSON of ``workflow.definition`` (REQ-4, INV-2).

Each command parses its arguments, calls the core's use cases and prints.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import click

from ecrm_adapters.importing import RejectedReport, header_key, open_table
from ecrm_cli.context import (
    BAD_INPUT,
    CommandError,
    EcrmGroup,
    Runtime,
    as_option,
    coded_items,
    table,
)
from ecrm_core.kernel.errors import ValidationFailed
from ecrm_core.kernel.fields import Fields
from ecrm_core.money import Money
from ecrm_core.products.price_import import COLUMNS
from ecrm_core.sales.flow import PAGE as INVOICE_PAGE
from ecrm_core.workflow.definition import dump_definition
from ecrm_core.workflow.services import StateSetService

#: Rejected rows printed when no --rejected file is given.
SHOWN_REJECTED = 10

#: The headers recognised for each column of a price list (compared like the
#: counterparty import's: case-, ё- and punctuation-insensitively).
PRICE_HEADERS: dict[str, tuple[str, ...]] = {
    "item": ("Номенклатура", "Товар", "Услуга", "Позиция", "Наименование", "Артикул",
             "Item", "Article", "Name", "SKU"),
    "price_type": ("Тип цены", "Вид цены", "Тип", "Price type", "Price_type", "Type"),
    "valid_from": ("Действует с", "Дата", "С даты", "Дата начала", "Начало действия",
                   "Valid from", "Valid_from", "From", "Date"),
    "amount": ("Цена", "Сумма", "Стоимость", "Amount", "Price"),
}
_HEADERS = {header_key(name): column for column, names in PRICE_HEADERS.items()
            for name in names}


def _columns(headers: list[str]) -> dict[str, int]:
    """Column name -> index: by the headers, else (no header recognised) in the order
    item, price type, valid from, amount."""
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        column = _HEADERS.get(header_key(header))
        if column and column not in found:
            found[column] = index
    if not found and len(headers) >= len(COLUMNS):
        return {column: i for i, column in enumerate(COLUMNS)}
    missing = [c for c in COLUMNS if c not in found]
    if missing:
        shown = ", ".join(repr(h) for h in headers if h) or "none"
        raise ValidationFailed.single(
            "file", f"no column for {', '.join(missing)} (columns: {shown}); name them "
                    "Номенклатура (or Артикул), Тип цены, Действует с, Цена")
    return found


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value).strip()


# -- ecrm prices ----------------------------------------------------------------------------


@click.group(cls=EcrmGroup)
def prices() -> None:
    """The price list (PRD-3): import it from a file, show an item's prices."""


@prices.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--rejected", "rejected_path", type=click.Path(dir_okay=False, writable=True),
              metavar="OUT.csv",
              help="Write the rejected rows with their reasons to this CSV file.")
@click.option("--encoding", metavar="NAME",
              help="The CSV file's encoding (default: UTF-8, else Windows-1251).")
@as_option
@click.pass_obj
def prices_import(rt: Runtime, file: str, rejected_path: str | None, encoding: str | None,
                  as_login: str | None) -> None:
    """Import prices from FILE (.csv or .xlsx).

    Columns: the item (its article or exact name), the price type (code, e.g. retail,
    or name), the first day the price is valid (2026-01-01 or 01.01.2026) and the
    amount (1 234,56). Headers such as Номенклатура / Артикул, Тип цены, Действует с,
    Цена are recognised; without them the columns are taken in that order.

    A price from a day closes the open-ended earlier price of the item and type; a
    row naming an unknown item (items are not created), an unknown price type or a bad
    value is rejected and reported. Importing the same file again changes nothing.
    """
    actor = rt.actor(as_login)
    app = rt.system().app
    with open_table(file, encoding=encoding) as sheet:
        columns = _columns(sheet.headers)
        shown = ", ".join(f"{sheet.headers[i] or '#' + str(i + 1)} → {c}"
                          for c, i in sorted(columns.items(), key=lambda kv: kv[1]))
        click.echo(f"Columns: {shown}", err=True)
        numbers: list[int] = []
        cells: list[list[Any]] = []
        rows: list[dict[str, str]] = []
        for number, values in sheet.rows():
            numbers.append(number)
            cells.append(values)
            rows.append({c: _cell(values[i]) if i < len(values) else ""
                         for c, i in columns.items()})
        headers = list(sheet.headers)
    with click.progressbar(length=max(len(rows), 1), label="Importing", file=sys.stderr,
                           show_pos=True) as bar:
        result = app.products.import_prices(actor.id, rows, progress=bar.update)
    click.echo(f"Imported {file}: {result.created} created, {result.updated} updated, "
               f"{result.unchanged} unchanged, {len(result.rejected)} rejected.")
    if not result.rejected:
        return
    labels = {c: headers[i] or c for c, i in columns.items()}

    def reasons(errors: dict[str, str]) -> str:
        return "; ".join(f"{labels.get(k, k)}: {v}" for k, v in errors.items())

    if rejected_path:
        report = RejectedReport(rejected_path, headers)
        try:
            for index, errors in result.rejected:
                report.add(numbers[index - 1], cells[index - 1], reasons(errors))
        finally:
            report.close()
        click.echo(f"The rejected rows and the reasons: {rejected_path}")
        return
    for index, errors in result.rejected[:SHOWN_REJECTED]:
        click.echo(f"row {numbers[index - 1]}: {reasons(errors)}", err=True)
    more = len(result.rejected) - SHOWN_REJECTED
    if more > 0:
        click.echo(f"… and {more} more rejected rows; give --rejected OUT.csv to get them "
                   "all", err=True)


def _item(rt: Runtime, actor_id: int, text: str):
    """ITEM: an id, or an item's name (exact, or a part only one item's name holds)."""
    value = text.strip()
    app = rt.system().app
    if value.isdigit():
        return app.products.item(actor_id, int(value))
    found, _total = app.products.items(actor_id, text=value, include_inactive=True)
    exact = [i for i in found if i.name.casefold() == value.casefold()]
    if len(exact) == 1 or len(found) == 1:
        return exact[0] if exact else found[0]
    if not found:
        raise CommandError(f"ITEM: no item named {text!r}", BAD_INPUT)
    names = "; ".join(f"{i.id} {i.name}" for i in found[:10])
    raise CommandError(f"ITEM: several items match {text!r} ({names}); give the id",
                       BAD_INPUT)


def rubles(value: Money | Decimal | None) -> str:
    """1234567.5 -> "1 234 567,50" (as Russian documents print sums)."""
    if value is None:
        return ""
    amount = value.amount if isinstance(value, Money) else value
    sign = "-" if amount < 0 else ""
    whole, _, kopecks = f"{abs(amount):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{kopecks}"


@prices.command("show")
@click.argument("item")
@click.option("--on", "on_day", metavar="DAY",
              help="Only the prices in force on this day (2026-03-01 or 01.03.2026).")
@as_option
@click.pass_obj
def prices_show(rt: Runtime, item: str, on_day: str | None, as_login: str | None) -> None:
    """Show the prices of ITEM (an id or a name) by price type and first day."""
    actor = rt.actor(as_login)
    app = rt.system().app
    day = None
    if on_day is not None:
        fields = Fields()
        day = fields.day({"on_day": on_day}, "on_day", required=True)
        fields.check()
    found = _item(rt, actor.id, item)
    kinds = {k.id: k for k in app.products.price_types(actor.id)}
    listed = [p for p in app.products.prices(actor.id, found.id)
              if day is None or p.covers(day)]
    click.echo(f"{found.name} (id {found.id}, {found.unit}, VAT {found.vat_rate})")
    if not listed:
        click.echo(f"No price on {day.isoformat()}." if day else "No prices.")
        return
    table([(kinds[p.price_type_id].code if p.price_type_id in kinds else p.price_type_id,
            kinds[p.price_type_id].name if p.price_type_id in kinds else "",
            p.valid_from.isoformat(), p.valid_to.isoformat() if p.valid_to else "",
            rubles(p.amount)) for p in listed],
          ("TYPE", "NAME", "FROM", "TO", "AMOUNT"))


# -- ecrm invoices --------------------------------------------------------------------------


@click.group(cls=EcrmGroup)
def invoices() -> None:
    """Invoices (INV-1…INV-4): a client's list, the printable invoice."""


@invoices.command("list")
@click.option("--counterparty", "counterparty_id", required=True, type=int, metavar="ID",
              help="The client's id.")
@click.option("--state", metavar="CODE", help="Only in this state (draft, issued, …).")
@click.option("--page", type=click.IntRange(1, 100_000), default=1, show_default=True)
@as_option
@click.pass_obj
def invoices_list(rt: Runtime, counterparty_id: int, state: str | None, page: int,
                  as_login: str | None) -> None:
    """List a client's invoices, newest first (20 a page)."""
    actor = rt.actor(as_login)
    found = rt.system().app.invoices.of_counterparty(actor.id, counterparty_id, page, state)
    if not found.rows:
        click.echo("No invoices.")
        return
    table([(i.id, i.number, i.issued_on.isoformat(), i.state, rubles(i.total),
            rubles(i.paid), i.due_on.isoformat() if i.due_on else "") for i in found.rows],
          ("ID", "NUMBER", "DATE", "STATE", "TOTAL", "PAID", "DUE"))
    pages = max(1, -(-found.total // INVOICE_PAGE))
    click.echo(f"{found.total} invoice(s); page {found.page} of {pages}.")


def render_invoice(printable) -> str:
    """The printable invoice («Счёт на оплату») as plain text."""
    invoice, totals, company = printable.invoice, printable.totals, printable.company
    out: list[str] = []
    out.append(company.get("full_name") or printable.company_name)
    ids = " ".join(f"{label} {company[k]}" for label, k in (("ИНН", "inn"), ("КПП", "kpp"),
                                                           ("ОГРН", "ogrn")) if company.get(k))
    if ids:
        out.append(ids)
    if company.get("address"):
        out.append(f"Адрес: {company['address']}")
    if company.get("phone"):
        out.append(f"Телефон: {company['phone']}")
    bank = ", ".join(f"{label} {company[k]}" for label, k in (
        ("банк", "bank"), ("БИК", "bik"), ("р/с", "account"), ("к/с", "corr_account"))
        if company.get(k))
    if bank:
        out.append(f"Банковские реквизиты: {bank}")
    out += ["", f"СЧЁТ НА ОПЛАТУ № {invoice.number} от {invoice.issued_on:%d.%m.%Y}", ""]
    buyer = invoice.requisites
    parts = [buyer.get("full_name") or buyer.get("name") or f"контрагент {invoice.counterparty_id}"]
    parts += [f"{label} {buyer[k]}" for label, k in (("ИНН", "inn"), ("КПП", "kpp"))
              if buyer.get(k)]
    if buyer.get("legal_address"):
        parts.append(buyer["legal_address"])
    out.append("Покупатель: " + ", ".join(parts))
    if invoice.contact_name:
        out.append(f"Контактное лицо: {invoice.contact_name}")
    if invoice.due_on:
        out.append(f"Оплатить до: {invoice.due_on:%d.%m.%Y}")
    out.append("")
    rows = [(str(n), line.name, format(line.quantity.normalize(), "f").replace(".", ","),
             line.unit, rubles(line.price), rubles(line.discount) if line.discount else "",
             rubles(counted.amount))
            for n, (line, counted) in enumerate(zip(invoice.lines, totals.lines, strict=True),
                                                1)]
    headers = ("№", "Товары (работы, услуги)", "Кол-во", "Ед.", "Цена", "Скидка", "Сумма")
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]
    right = {0, 2, 4, 5, 6}

    def line_of(cells) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    out.append(line_of(headers))
    out.append("-" * len(line_of(headers)))
    out += [line_of(r) for r in rows]
    out.append("")
    width = len(line_of(headers))
    summary = [("Итого:", rubles(totals.amount))]
    if totals.without_vat:
        summary.append(("Без НДС", ""))
    else:
        word = "В том числе НДС" if invoice.vat_included else "НДС"
        summary += [(f"{word} {v.rate.name.removeprefix('НДС ')}:", rubles(v.vat))
                    for v in totals.by_rate if v.rate.percent is not None]
    summary.append(("Всего к оплате:", rubles(totals.total)))
    for label, value in summary:
        out.append(f"{label} {value}".rstrip().rjust(width))
    out += ["", f"Всего наименований {len(invoice.lines)}, на сумму {rubles(totals.total)} руб.",
            f"Состояние: {printable.state_name}"]
    if invoice.paid:
        out.append(f"Оплачено: {rubles(invoice.paid)}, к доплате: {rubles(invoice.debt)}")
    if invoice.note:
        out.append(f"Примечание: {invoice.note}")
    out += ["", f"Руководитель ________________ {company.get('director', '')}".rstrip(),
            f"Бухгалтер    ________________ {company.get('accountant', '')}".rstrip()]
    return "\n".join(out)


@invoices.command("print")
@click.argument("invoice_id", type=int, metavar="ID")
@as_option
@click.pass_obj
def invoices_print(rt: Runtime, invoice_id: int, as_login: str | None) -> None:
    """Print the invoice ID as plain text («Счёт на оплату»: the company's requisites,
    the buyer, the lines and the totals with VAT)."""
    actor = rt.actor(as_login)
    click.echo(render_invoice(rt.system().app.invoices.printable(actor.id, invoice_id)))


# -- ecrm state-sets ------------------------------------------------------------------------


@click.group("state-sets", cls=EcrmGroup)
def state_sets() -> None:
    """The reference book of state sets (REQ-4, INV-2) as JSON."""


def _dump(found) -> dict[str, Any]:
    return {"code": found.code, "name": found.name,
            **dump_definition(found.states, found.transitions)}


@state_sets.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
@click.option("--code", metavar="CODE", help="Only the set with this code (request, invoice).")
@as_option
@click.pass_obj
def state_sets_export(rt: Runtime, file: str, code: str | None, as_login: str | None) -> None:
    """Write the state sets to FILE (- for the standard output) as a JSON list of
    {code, name, states, transitions}."""
    actor = rt.actor(as_login)
    # a deal template's set goes with its template (`ecrm deals templates export`)
    found = [s for s in rt.system().app.state_sets.state_sets(actor.id)
             if (code is None and not s.code.startswith(StateSetService.OWNED_PREFIXES))
             or s.code == code]
    if code is not None and not found:
        raise CommandError(f"--code: no state set {code!r}", BAD_INPUT)
    text = json.dumps([_dump(s) for s in found], ensure_ascii=False, indent=2) + "\n"
    with click.open_file(file, "w", encoding="utf-8") as out:
        out.write(text)
    if file != "-":
        click.echo(f"Exported {len(found)} state set(s) to {file}.")


@state_sets.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@as_option
@click.pass_obj
def state_sets_import(rt: Runtime, file: str, as_login: str | None) -> None:
    """Load state sets from FILE (what export writes: a list, or one set): a set whose
    code is in the book is redefined, a new code is added. A state objects are in
    cannot be removed; every bad part of a set is named (states[2].colour: …)."""
    actor = rt.actor(as_login)
    app = rt.system().app
    for definition in coded_items(file, "a state set"):
        code = definition["code"]
        if code.startswith(StateSetService.OWNED_PREFIXES):
            click.echo(f"{code}: skipped (a deal template's states: "
                       "`ecrm deals templates import`)")
            continue
        try:
            _found, added = app.state_sets.put(actor.id, definition)
        except ValidationFailed as exc:
            text = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
            raise CommandError(f"{code}: {text}", BAD_INPUT) from None
        click.echo(f"{code}: {'added' if added else 'redefined'}")


__all__ = ["invoices", "prices", "render_invoice", "rubles", "state_sets"]


# -- ecrm documents -------------------------------------------------------------------------


@click.group(cls=EcrmGroup)
def documents() -> None:
    """The document store (DOC-1)."""


@documents.command("gc")
@click.option("--grace-hours", type=click.IntRange(0, 24 * 365), default=24,
              show_default=True, help="keep unused files put less than this long ago")
@click.pass_obj
def documents_gc(rt: Runtime, grace_hours: int) -> None:
    """Remove the stored files no document uses any more: those of removed documents and
    of uploads that never committed (run it daily, e.g. from cron)."""
    removed = rt.system().app.documents.collect_garbage(timedelta(hours=grace_hours))
    click.echo(f"{removed} unused file(s) removed")
