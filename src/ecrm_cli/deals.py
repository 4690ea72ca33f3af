"""Deals on the command line (issue 6: DEAL-1…DEAL-4, RPT-4 first part):

- ``ecrm deals templates export|import FILE.json`` — the reference book of deal templates
  as JSON: each template's code, name, description, card attributes, ``head_after_days``,
  ``active`` and its states and transitions as ``workflow.definition`` writes them (with
  the per-state conditions, required and visible attributes, planned tasks and payments,
  probability and norm, DEAL-2);
- ``ecrm deals list [--template CODE] [--manager LOGIN] [--state CODE] [--overdue]`` —
  deals, newest first (DEAL-3; over their norm only, DEAL-4);
- ``ecrm deals board TEMPLATE_CODE`` — the pipeline board's columns: open deals per
  state, their amount, weighted amount and how many are over the norm, and the first
  cards of each;
- ``ecrm deals forecast [--months N] [--manager LOGIN]`` — expected revenue by month
  (RPT-4) as a table;
- ``ecrm deals escalate`` — one pass of the deal alerts job (``DealService.escalate``):
  the managers, then the heads, of deals over their norm are told, once each.

Each command parses its arguments, calls the core's use cases and prints; a manager's
figures are their own unless they see everyone's (Sales management, the Director).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from ecrm_adapters.queue import DealAlerts, JobBusy
from ecrm_cli.context import (
    BAD_INPUT,
    CommandError,
    EcrmGroup,
    Runtime,
    as_option,
    coded_items,
    table,
)
from ecrm_cli.sales import rubles
from ecrm_core.attributes import dump_defs
from ecrm_core.deals.services import PAGE as DEAL_PAGE
from ecrm_core.kernel.errors import ValidationFailed
from ecrm_core.workflow.definition import dump_definition

#: Cards listed under the board's columns unless told otherwise (--cards).
BOARD_CARDS = 3


@click.group(cls=EcrmGroup)
def deals() -> None:
    """Deals (DEAL-1…DEAL-4): templates, lists, the pipeline board, the forecast, the
    escalation of deals over their norm."""


# -- ecrm deals templates -----------------------------------------------------------------


@deals.group("templates", cls=EcrmGroup)
def templates() -> None:
    """The reference book of deal templates (DEAL-1, DEAL-2) as JSON."""


def _dump(view) -> dict[str, Any]:
    found = view.template
    return {"code": found.code, "name": found.name, "description": found.description,
            "attributes": dump_defs(found.attributes), "head_after_days": found.head_after_days,
            "active": found.active,
            **dump_definition(view.state_set.states, view.state_set.transitions)}


@templates.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
@click.option("--code", metavar="CODE", help="Only the template with this code.")
@as_option
@click.pass_obj
def templates_export(rt: Runtime, file: str, code: str | None, as_login: str | None) -> None:
    """Write the deal templates to FILE (- for the standard output) as a JSON list of
    {code, name, description, attributes, head_after_days, active, states, transitions}."""
    actor = rt.actor(as_login)
    app = rt.system().app
    found = [t for t in app.deal_templates.templates(actor.id) if code is None or t.code == code]
    if code is not None and not found:
        raise CommandError(f"--code: no deal template {code!r}", BAD_INPUT)
    dumped = [_dump(app.deal_templates.template(actor.id, t.id)) for t in found]
    text = json.dumps(dumped, ensure_ascii=False, indent=2) + "\n"
    with click.open_file(file, "w", encoding="utf-8") as out:
        out.write(text)
    if file != "-":
        click.echo(f"Exported {len(dumped)} deal template(s) to {file}.")


@templates.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@as_option
@click.pass_obj
def templates_import(rt: Runtime, file: str, as_login: str | None) -> None:
    """Load deal templates from FILE (what export writes: a list, or one template): a
    template whose code is in the book is changed, a new code is added. A state deals
    are in cannot be removed; every bad part of a template is named (states[2].colour:
    …). Templates before a refused one stay imported."""
    actor = rt.actor(as_login)
    app = rt.system().app
    definitions = coded_items(file, "a deal template")
    done: list[str] = []
    with click.progressbar(definitions, label="Importing", file=sys.stderr,
                           show_pos=True) as bar:
        for definition in bar:
            code = definition["code"]
            try:
                _template, added = app.deal_templates.put(actor.id, definition)
            except ValidationFailed as exc:
                for line in done:
                    click.echo(line)
                text = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
                raise CommandError(f"{code}: {text}", BAD_INPUT) from None
            done.append(f"{code}: {'added' if added else 'changed'}")
    for line in done:
        click.echo(line)


# -- ecrm deals list / board / forecast ------------------------------------------------------


def _template(rt: Runtime, actor_id: int, text: str, what: str):
    """A template by its code (or id)."""
    found = rt.system().app.deal_templates.templates(actor_id)
    value = text.strip()
    match = next((t for t in found if t.code == value or str(t.id) == value), None)
    if match is None:
        known = ", ".join(t.code for t in found) or "none"
        raise CommandError(f"{what}: no deal template {text!r} (there are: {known})",
                           BAD_INPUT)
    return match


def _filters(rt: Runtime, manager: str | None, project: int | None, close_from: str | None,
             close_to: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if manager:
        data["manager_id"] = rt.employee(manager, "--manager").id
    if project is not None:
        data["project_id"] = project
    if close_from:
        data["close_from"] = close_from
    if close_to:
        data["close_to"] = close_to
    return data


def filter_options(func):
    """--manager, --project, --from, --to: the board's and the forecast's filters."""
    for option in reversed((
        click.option("--manager", metavar="LOGIN", help="Deals of this manager."),
        click.option("--project", type=int, metavar="ID", help="Deals of this direction."),
        click.option("--from", "close_from", metavar="DAY",
                     help="Expected to close on or after this day."),
        click.option("--to", "close_to", metavar="DAY",
                     help="Expected to close on or before this day."),
    )):
        func = option(func)
    return func


def _names(app, actor_id: int) -> dict[int, str]:
    return {e.id: e.login for e in app.org.employees(actor_id)}


@deals.command("list")
@click.option("--template", "template_code", metavar="CODE", help="Deals of this template.")
@click.option("--state", metavar="CODE", help="Only in this state (lead, survey, …).")
@click.option("--overdue", is_flag=True, help="Only open deals over their state's norm.")
@filter_options
@click.option("--page", type=click.IntRange(1, 100_000), default=1, show_default=True)
@as_option
@click.pass_obj
def deals_list(rt: Runtime, template_code: str | None, state: str | None, overdue: bool,
               manager: str | None, project: int | None, close_from: str | None,
               close_to: str | None, page: int, as_login: str | None) -> None:
    """List deals, newest first (20 a page); a manager sees their own."""
    actor = rt.actor(as_login)
    app = rt.system().app
    data = _filters(rt, manager, project, close_from, close_to)
    books = {t.id: t.code for t in app.deal_templates.templates(actor.id)}
    if template_code:
        data["template_id"] = _template(rt, actor.id, template_code, "--template").id
    found = app.deals.deals(actor.id, data, page, state, overdue_only=overdue)
    if not found.rows:
        click.echo("No deals.")
        return
    now = app.clock.now()
    logins = _names(app, actor.id)
    table([(d.id, d.number, d.name[:40], books.get(d.template_id, d.template_id), d.state,
            rubles(d.amount), f"{d.probability}%", logins.get(d.manager_id, d.manager_id),
            d.expected_close_on.isoformat() if d.expected_close_on else "",
            "OVERDUE" if d.overdue(now) else (d.outcome or ""))
           for d in found.rows],
          ("ID", "NUMBER", "NAME", "TEMPLATE", "STATE", "AMOUNT", "PROB", "MANAGER",
           "CLOSE", "FLAG"))
    pages = max(1, -(-found.total // DEAL_PAGE))
    click.echo(f"{found.total} deal(s); page {found.page} of {pages}.")


@deals.command("board")
@click.argument("template_code", metavar="TEMPLATE_CODE")
@filter_options
@click.option("--cards", type=click.IntRange(0, 100), default=BOARD_CARDS, show_default=True,
              help="Cards listed per column, longest in the state first.")
@as_option
@click.pass_obj
def deals_board(rt: Runtime, template_code: str, manager: str | None, project: int | None,
                close_from: str | None, close_to: str | None, cards: int,
                as_login: str | None) -> None:
    """Show the pipeline board of a template: per state (column) the open deals, their
    amount, the amount weighted by the state's probability and how many are over the
    norm; then each column's first cards."""
    actor = rt.actor(as_login)
    app = rt.system().app
    template = _template(rt, actor.id, template_code, "TEMPLATE_CODE")
    data = _filters(rt, manager, project, close_from, close_to)
    found = app.deals.board(actor.id, template.id, data, max(cards, 1))
    click.echo(f"{found.template.name} ({found.template.code})")
    table([(c.state.code, c.state.name, f"{c.state.probability or 0}%", c.figures.count,
            rubles(c.figures.amount), rubles(c.figures.weighted), c.figures.overdue or "")
           for c in found.columns],
          ("STATE", "NAME", "PROB", "DEALS", "AMOUNT", "WEIGHTED", "OVERDUE"))
    count = sum(c.figures.count for c in found.columns)
    click.echo(f"Total: {count} open deal(s), {rubles(found.amount)}, weighted "
               f"{rubles(found.weighted)}.")
    if not cards:
        return
    for column in found.columns:
        if not column.cards:
            continue
        click.echo(f"\n{column.state.name}:")
        for deal in column.cards[:cards]:
            days = (found.now - deal.state_entered_at).days if deal.state_entered_at else 0
            flag = "  OVERDUE" if deal.overdue(found.now) else ""
            client = found.client_names.get(deal.counterparty_id, deal.counterparty_id)
            click.echo(f"  № {deal.number} «{deal.name}» — {client}, "
                       f"{rubles(deal.amount)}, {days} d in state{flag}")


@deals.command("forecast")
@click.option("--months", type=click.IntRange(1, 36), default=12, show_default=True)
@click.option("--start", metavar="DAY", help="A day of the first month (default: today).")
@click.option("--template", "template_code", metavar="CODE", help="Deals of this template.")
@filter_options
@as_option
@click.pass_obj
def deals_forecast(rt: Runtime, months: int, start: str | None, template_code: str | None,
                   manager: str | None, project: int | None, close_from: str | None,
                   close_to: str | None, as_login: str | None) -> None:
    """Expected revenue by month (RPT-4): open deals expected to close in the month
    (PIPELINE) and weighted by their state's probability (WEIGHTED), payments planned in
    it (PLANNED), what the month is expected to bring (EXPECTED: the weighted part of the
    amounts not covered by planned payments plus the weighted planned payments), and the
    payments received (ACTUAL)."""
    actor = rt.actor(as_login)
    app = rt.system().app
    data: dict[str, Any] = {"months": months,
                            **_filters(rt, manager, project, close_from, close_to)}
    if start:
        data["start"] = start
    if template_code:
        data["template_id"] = _template(rt, actor.id, template_code, "--template").id
    found = app.deals.forecast(actor.id, data)

    def row(label: str, m) -> tuple:
        return (label, rubles(m.pipeline), rubles(m.weighted), rubles(m.planned),
                rubles(m.expected), rubles(m.actual))

    table([*(row(f"{m.month:%Y-%m}", m) for m in found.months), row("TOTAL", found.totals)],
          ("MONTH", "PIPELINE", "WEIGHTED", "PLANNED", "EXPECTED", "ACTUAL"))
    if found.filters.manager_id is not None:
        login = _names(app, actor.id).get(found.filters.manager_id, found.filters.manager_id)
        click.echo(f"Deals of {login}.")


# -- ecrm deals escalate ---------------------------------------------------------------------


@contextmanager
def _exclusive(rt: Runtime) -> Iterator[None]:
    """Hold the deal alerts job while the command runs (one pass at a time)."""
    system = rt.system()
    try:
        with DealAlerts(system, system.queue.broker).held():
            yield
    except JobBusy as busy:
        until = f" until {busy.until:%Y-%m-%d %H:%M} UTC" if busy.until else ""
        raise CommandError(
            f"a deal alerts pass is running or queued ({busy.holder}{until}); "
            "try again when it has finished") from None


@deals.command("escalate")
@click.pass_obj
def deals_escalate(rt: Runtime) -> None:
    """Tell now the managers of open deals over their state's norm, and — the
    template's head_after_days working days later — their heads: once per stay and
    level (DEAL-4), as the periodic deal alerts job does."""
    app = rt.system().app
    with _exclusive(rt):
        click.echo("Escalating deals over their norm…", err=True)
        sent = app.deals.escalate()
    click.echo(f"Sent {sent} notice(s).")


__all__ = ["deals"]
