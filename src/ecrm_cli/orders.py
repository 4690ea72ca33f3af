"""Customer orders on the command line (issue 6: ORD-1…ORD-3):

- ``ecrm orders list [--counterparty ID] [--state CODE] [--page N]`` — orders, newest
  first (20 a page), with their one-time and monthly totals;
- ``ecrm orders show ID`` — one order: its client, contract, state, lines by part, the
  estimate's totals, the approval rounds with each step's decision, the billing
  hand-offs;
- ``ecrm orders estimate ID`` — the connection estimate («Смета на подключение») as plain
  text: the package (monthly), equipment and works (one-time), each with its VAT;
- ``ecrm orders handoffs [--pending] [--limit N]`` — the billing hand-offs of every order,
  newest first: key, state, attempts, next try, last error;
- ``ecrm orders redeliver`` — the sweep of postponed hand-offs now
  (``OrderService.redeliver_due``, what the periodic billing sweep does): each hand-off
  whose back-off is over is sent again; an accepted one is never sent again.

Each command parses its arguments, calls the core's use cases and prints; the core's
policy decides (``--as LOGIN`` acts as another employee)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from ecrm_adapters.queue import JobBusy
from ecrm_adapters.queue.schedule import BillingSweep
from ecrm_cli.context import CommandError, EcrmGroup, Runtime, as_option, table
from ecrm_cli.sales import rubles
from ecrm_core.money import invoice_totals
from ecrm_core.orders.model import Part, RoundStatus
from ecrm_core.orders.services import PAGE as ORDER_PAGE

PART_NAMES = {Part.PACKAGE: "Пакет услуг (ежемесячно)", Part.EQUIPMENT: "Оборудование (разово)",
              Part.WORK: "Работы (разово)"}


@click.group(cls=EcrmGroup)
def orders() -> None:
    """Customer orders (ORD-1…ORD-3): lists, one order, its estimate, the billing
    hand-offs and their redelivery."""


def _states(app, actor_id: int) -> dict[str, str]:
    found = next((s for s in app.state_sets.state_sets(actor_id) if s.code == "order"), None)
    return {s.code: s.name for s in found.ordered()} if found is not None else {}


def _logins(app, actor_id: int) -> dict[int, str]:
    return {e.id: e.login for e in app.org.employees(actor_id)}


def _day(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else ""


@orders.command("list")
@click.option("--counterparty", "counterparty_id", type=int, metavar="ID",
              help="Only this client's orders.")
@click.option("--state", metavar="CODE",
              help="Only in this state (draft, approval, approved, connection, connected, "
                   "cancelled).")
@click.option("--page", type=click.IntRange(1, 100_000), default=1, show_default=True)
@as_option
@click.pass_obj
def orders_list(rt: Runtime, counterparty_id: int | None, state: str | None, page: int,
                as_login: str | None) -> None:
    """List orders, newest first (20 a page)."""
    actor = rt.actor(as_login)
    app = rt.system().app
    found = app.orders.orders(actor.id, state, page, counterparty_id)
    if not found.rows:
        click.echo("No orders.")
        return
    clients: dict[int, str] = {}
    for row in found.rows:
        if row.counterparty_id not in clients:
            clients[row.counterparty_id] = app.counterparties.get(
                actor.id, row.counterparty_id).name
    table([(o.id, o.number, o.ordered_on.isoformat(), clients[o.counterparty_id][:40],
            o.state, rubles(o.one_time_total), rubles(o.monthly_total)) for o in found.rows],
          ("ID", "NUMBER", "DATE", "CLIENT", "STATE", "ONE-TIME", "MONTHLY"))
    pages = max(1, -(-found.total // ORDER_PAGE))
    click.echo(f"{found.total} order(s); page {found.page} of {pages}.")


def _step_name(step, logins: dict[int, str]) -> str:
    if step.role is not None:
        return f"role {step.role.value}"
    return logins.get(step.employee_id, f"employee {step.employee_id}")


def render_estimate(order, client, contract) -> str:
    """The connection estimate («Смета на подключение») as plain text."""
    estimate = order.estimate()
    out = [f"СМЕТА НА ПОДКЛЮЧЕНИЕ № {order.number} от {order.ordered_on:%d.%m.%Y}", ""]
    parts = [client.full_name or client.name]
    parts += [f"{label} {getattr(client, k)}" for label, k in (("ИНН", "inn"), ("КПП", "kpp"))
              if getattr(client, k, "")]
    out.append("Клиент: " + ", ".join(parts))
    if contract is not None:
        signed = f" от {contract.signed_on:%d.%m.%Y}" if contract.signed_on else ""
        out.append(f"Договор: № {contract.number}{signed}")
    for part in Part:
        lines = [x for x in order.lines if x.part is part]
        if not lines:
            continue
        totals = invoice_totals([x.money() for x in lines], order.vat_included)
        out += ["", PART_NAMES[part] + ":"]
        rows = [(n, x.name[:50], f"{x.quantity.normalize():f}", x.unit, rubles(x.price),
                 rubles(c.amount), rubles(c.vat))
                for n, (x, c) in enumerate(zip(lines, totals.lines, strict=True), start=1)]
        widths = [max(len(str(r[i])) for r in rows) for i in range(7)]
        for row in rows:
            out.append("  " + "  ".join(
                str(v).rjust(w) if i in (0, 2, 4, 5, 6) else str(v).ljust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))).rstrip())
    vat = "в т.ч. НДС" if order.vat_included else "НДС"
    out += ["",
            f"Разово (оборудование и работы): {rubles(estimate.one_time.total)} руб. "
            f"({vat} {rubles(estimate.one_time.vat)})",
            f"Ежемесячно (пакет услуг): {rubles(estimate.monthly.total)} руб. "
            f"({vat} {rubles(estimate.monthly.vat)})"]
    return "\n".join(out)


def _order_and_client(rt: Runtime, actor_id: int, order_id: int) -> tuple[Any, Any, Any]:
    app = rt.system().app
    order = app.orders.get(actor_id, order_id)
    client = app.counterparties.get(actor_id, order.counterparty_id)
    contract = app.contracts.get(actor_id, order.contract_id) if order.contract_id else None
    return order, client, contract


@orders.command("estimate")
@click.argument("order_id", type=int, metavar="ID")
@as_option
@click.pass_obj
def orders_estimate(rt: Runtime, order_id: int, as_login: str | None) -> None:
    """Print the connection estimate of the order ID as plain text: the service package
    (monthly), equipment and works (one-time), each line with its sum and VAT, and the
    totals."""
    actor = rt.actor(as_login)
    click.echo(render_estimate(*_order_and_client(rt, actor.id, order_id)))


@orders.command("show")
@click.argument("order_id", type=int, metavar="ID")
@as_option
@click.pass_obj
def orders_show(rt: Runtime, order_id: int, as_login: str | None) -> None:
    """Show the order ID: client, contract, state, lines and estimate, approval rounds
    with their decisions, billing hand-offs."""
    actor = rt.actor(as_login)
    app = rt.system().app
    order, client, contract = _order_and_client(rt, actor.id, order_id)
    states = _states(app, actor.id)
    logins = _logins(app, actor.id)
    click.echo(f"{order.title} (id {order.id})")
    click.echo(f"State: {states.get(order.state, order.state)} ({order.state})"
               + (f" since {_day(order.state_entered_at)}" if order.state_entered_at else ""))
    click.echo(f"Author: {logins.get(order.author_id, order.author_id)}")
    if order.note:
        click.echo(f"Note: {order.note}")
    click.echo("")
    click.echo(render_estimate(order, client, contract))
    rounds = app.orders.rounds(actor.id, order.id)
    approvers = app.orders.current_approvers(actor.id, order.id)
    click.echo("")
    if not rounds:
        click.echo("Approval: not submitted yet.")
    for n, found in enumerate(rounds):
        click.echo(f"Approval round {len(rounds) - n} «{found.route_name}»: "
                   f"{found.status.value}, submitted {_day(found.submitted_at)}")
        decided = {d.step: d for d in found.decisions}
        for i, step in enumerate(found.steps):
            decision = decided.get(i)
            if decision is not None:
                said = "approved" if decision.approved else "refused"
                what = (f"{said} by {logins.get(decision.employee_id, decision.employee_id)}"
                        f" {_day(decision.at)}"
                        + (f": {decision.reason}" if decision.reason else ""))
            elif found.status is RoundStatus.PENDING and i == found.step:
                asked = ", ".join(sorted(logins.get(e, str(e)) for e in approvers)) \
                    if n == 0 else ""
                what = "waiting" + (f" ({asked})" if asked else "")
            else:
                what = "-"
            click.echo(f"  {i + 1}. {_step_name(step, logins)}: {what}")
    handoffs = app.orders.handoffs(actor.id, order.id)
    if handoffs:
        click.echo("")
        click.echo("Billing hand-offs:")
        table([(h.revision, h.key, h.state.value, h.attempts,
                _day(h.next_try_at) if h.state.value == "pending" else "",
                _day(h.accepted_at), h.last_error[:60]) for h in handoffs],
              ("REV", "KEY", "STATE", "ATTEMPTS", "NEXT TRY", "ACCEPTED", "LAST ERROR"))


@orders.command("handoffs")
@click.option("--pending", is_flag=True, help="Only those the billing system has not "
                                              "accepted yet.")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@as_option
@click.pass_obj
def orders_handoffs(rt: Runtime, pending: bool, limit: int, as_login: str | None) -> None:
    """List the billing hand-offs of every order, newest first (ORD-3)."""
    actor = rt.actor(as_login)
    app = rt.system().app
    found = app.orders.all_handoffs(actor.id, pending_only=pending, limit=limit)
    if not found:
        click.echo("No pending hand-offs." if pending else "No hand-offs.")
        return
    numbers: dict[int, str] = {}
    for h in found:
        if h.order_id not in numbers:
            numbers[h.order_id] = app.orders.get(actor.id, h.order_id).number
    table([(h.id, numbers[h.order_id], h.key, h.state.value, h.attempts,
            _day(h.next_try_at) if h.state.value == "pending" else "",
            _day(h.accepted_at), h.last_error[:60]) for h in found],
          ("ID", "ORDER", "KEY", "STATE", "ATTEMPTS", "NEXT TRY", "ACCEPTED", "LAST ERROR"))
    click.echo(f"{len(found)} hand-off(s).")


@contextmanager
def _exclusive(rt: Runtime) -> Iterator[None]:
    """Hold the billing sweep job while the command runs (one sweep at a time)."""
    system = rt.system()
    try:
        with BillingSweep(system, system.queue.broker).held():
            yield
    except JobBusy as busy:
        until = f" until {busy.until:%Y-%m-%d %H:%M} UTC" if busy.until else ""
        raise CommandError(
            f"a billing sweep is running or queued ({busy.holder}{until}); "
            "try again when it has finished") from None


@orders.command("redeliver")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True,
              help="At most this many hand-offs.")
@click.pass_obj
def orders_redeliver(rt: Runtime, limit: int) -> None:
    """Send now the pending hand-offs whose back-off is over, oldest first, as the
    periodic billing sweep does (ORD-3): accepted ones are never sent again; one the
    billing system refuses for good is marked refused (its order's author is told)."""
    system = rt.system()
    if not system.settings.billing_configured:
        click.echo("Billing is not configured (ECRM_BILLING_URL or ECRM_BILLING_DIR): "
                   "the hand-offs stay pending.", err=True)
    with _exclusive(rt):
        report = system.app.orders.redeliver_due(limit=limit)
    click.echo(f"Accepted {report.accepted}, refused {report.failed}, "
               f"still waiting {report.waiting}.")


__all__ = ["orders"]
