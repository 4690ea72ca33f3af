"""Customer orders in the HTML interface (ORD-1…ORD-3).

- the counterparty card's «Заказы» tab (the client's orders, newest first, by state, 20 a
  page) with «Новый заказ», and the list of every order (``/orders``);
- the order form: date, contract, price type (a new order), VAT mode, note and the lines
  in three sections — the service package (paid monthly), equipment and works (paid
  once). An item picked by name (``static/orders.js``, with the invoice form's endpoints
  ``/sales/items`` and ``/sales/price``) fills its line from the price list for the
  client's price type on the order's date; without JavaScript the item's ID is typed and
  the price left empty (the core prices it), or a line is described in free text with its
  price, and «Ещё строки» shows the form again with more blank rows. Lines change only
  while the order is a draft; afterwards only its note;
- the order's page: its state and the changes offered (to connection once the estimate
  is approved, connected, cancelled with a reason), the lines by part with the
  connection estimate's one-time and monthly totals, «Отправить на согласование» along a
  chosen route, the approval rounds (the current one with each step's approvers and
  decisions; the refusal's reason shown to the author; earlier rounds folded), the
  confirm / refuse-with-a-reason form for an approver of the current step, the billing
  hand-offs with their state, attempts, next try and last error, «Передать повторно»
  after the billing system refused one, and the history;
- the printable «Смета на подключение» (Russian whatever the interface's language);
- the reference book of approval routes (ORD-2) next to the other books: a route's steps,
  each a role or a named employee, edited by the Director and Administrators.

The confirmation requests approvers get are system messages about the order: a message's
page links to what it concerns (the template global ``subject_link``).

Every view parses its input, calls one core service (whose policy decides) and renders;
forms answer through ``handle_form`` (422 with field messages, 409 on a stale version or a
refused change, nothing saved)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask import Blueprint, flash, render_template, request, url_for
from flask_babel import force_locale, format_date, lazy_gettext
from flask_babel import gettext as _
from flask_login import login_required

from ecrm_core.access.model import Action, Role
from ecrm_core.counterparties.model import COUNTERPARTY
from ecrm_core.kernel.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.money import VAT_RATES, invoice_totals
from ecrm_core.orders.model import HandoffState, Part, RoundStatus
from ecrm_web.ui import texts
from ecrm_web.ui.books import _base, _flag, _require_books, _rows
from ecrm_web.ui.clients import card_context
from ecrm_web.ui.common import (
    actor,
    allowed,
    as_int,
    core,
    editable,
    form_data,
    handle_form,
    page_arg,
    page_count,
    redirect_to,
    safe_next,
    text_of,
    today_iso,
)
from ecrm_web.ui.sales import (
    LINE_FIELDS,
    SalesNames,
    amount_in_words,
    by_rows,
    fmt_money,
    line_rows,
    line_values,
    posted_lines,
    vat_label,
)

bp = Blueprint("ui_orders", __name__)

ORDER, ROUTE, ROUND, HANDOFF, CONTRACT = (
    "order", "approval_route", "approval_round", "billing_handoff", "contract")
#: The state an order reaches only by being submitted along a route (not offered as a
#: change of state by hand).
APPROVAL = "approval"
PARTS = tuple(p.value for p in Part)
PART_LABELS = {"package": lazy_gettext("Service package"),
               "equipment": lazy_gettext("Equipment"), "work": lazy_gettext("Works")}
PART_HINTS = {"package": lazy_gettext("Paid monthly."), "equipment": lazy_gettext("Paid once."),
              "work": lazy_gettext("Paid once.")}
ROUND_STATUSES = {"pending": lazy_gettext("waiting for answers"),
                  "approved": lazy_gettext("approved"), "refused": lazy_gettext("refused"),
                  "cancelled": lazy_gettext("closed: the order was cancelled")}
STEP_STATUSES = {"approved": lazy_gettext("approved"), "refused": lazy_gettext("refused"),
                 "waiting": lazy_gettext("waiting for an answer"), "next": lazy_gettext("next"),
                 "skipped": lazy_gettext("not reached")}
HANDOFF_STATES = {"pending": lazy_gettext("waiting to be accepted"),
                  "accepted": lazy_gettext("accepted"),
                  "failed": lazy_gettext("refused by the billing system")}
ORDER_FIELDS = ("ordered_on", "contract_id", "price_type_id", "vat_included", "note")
#: What an order past its draft may still change (the core refuses the rest).
OPEN_FIELDS = ("note",)
#: The cells of the three sections' rows: ``<part>-<row>-<field>`` (the line rows, their
#: cells and their messages are the invoice form's: ``sales.line_rows`` …).
LINE_RE = re.compile(r"^(package|equipment|work)-(\d{1,3})-([a-z_]+)$")
BLANK_ROWS = {"package": 1, "equipment": 3, "work": 2}
MORE_ROWS = 2
#: Blank step rows of the route form.
BLANK_STEPS = 3
ROUTE_STEP_RE = re.compile(r"^(role|employee):([a-z_0-9]+)$")


# -- presenting ------------------------------------------------------------------------------


class OrderNames(SalesNames):
    """Names behind the ids of an order's page: its states, employees, the steps of a
    route (a role or an employee), the values of its history."""

    def __init__(self) -> None:
        super().__init__(ORDER)

    def step(self, step: Any) -> str:
        """«Роль: Руководство продаж» or the employee's name."""
        role = getattr(step, "role", None) if not isinstance(step, dict) else step.get("role")
        if role:
            return _("Role: %(role)s", role=texts.label(texts.ROLE_LABELS, role))
        employee = getattr(step, "employee_id", None) if not isinstance(step, dict) \
            else step.get("employee_id")
        return self.of("employee", employee)

    def field_label(self, field: str) -> str:
        if field in ORDER_FIELD_LABELS:
            return str(ORDER_FIELD_LABELS[field])
        return super().field_label(field)

    def history_value(self, field: str, value: object, entry_kind: str = "") -> str:
        if value is None or value == "" or value == [] or value == {}:
            return "—"
        if field in ("one_time_total", "monthly_total"):
            return fmt_money(_decimal(value))
        if field == "lines" and isinstance(value, list | tuple):
            return "; ".join(_line_name(x) for x in value)
        if field == "steps" and isinstance(value, list | tuple):
            return " → ".join(self.step(s) for s in value)
        if field == "decision" and isinstance(value, dict):
            who = self.of("employee", value.get("employee_id"))
            said = _("approved") if value.get("approved") else _("refused")
            reason = f": {value['reason']}" if value.get("reason") else ""
            return f"{who} — {said}{reason}"
        if field == "status":
            return texts.label({**ROUND_STATUSES, **HANDOFF_STATES}, value)
        if field == "part":
            return texts.label(PART_LABELS, value)
        if field == "estimate" and isinstance(value, dict):
            once = value.get("one_time", {}).get("total")
            monthly = value.get("monthly", {}).get("total")
            return _("one-time %(once)s, monthly %(monthly)s", once=once, monthly=monthly)
        return super().history_value(field, value, entry_kind)


def _decimal(value: object) -> object:
    """A sum as history keeps it («13230.00 RUB», "13230.00") as a Decimal (else as is)."""
    if isinstance(value, str):
        try:
            return Decimal(value.split()[0])
        except (ArithmeticError, IndexError):
            return value
    return value


def _line_name(value: object) -> str:
    """A line as history keeps it (a dict, or the text of the line object) -> its name."""
    if isinstance(value, dict):
        return str(value.get("name", value))
    found = re.search(r"""name=(['"])((?:(?!\1)[^\\]|\\.)*)\1""", str(value))
    return found[2] if found else str(value)


#: Labels of the fields an order's page, form and history name (besides the sales ones).
ORDER_FIELD_LABELS = {
    "ordered_on": lazy_gettext("Order date"),
    "lines": lazy_gettext("Lines"),
    "one_time_total": lazy_gettext("One-time total"),
    "monthly_total": lazy_gettext("Monthly total"),
    "route_id": lazy_gettext("Approval route"),
    "route_name": lazy_gettext("Approval route"),
    "steps": lazy_gettext("Steps"),
    "decision": lazy_gettext("Decision"),
    "approval": lazy_gettext("Approval"),
    "estimate": lazy_gettext("The estimate approved"),
    "billing": lazy_gettext("Billing"),
    "order": lazy_gettext("Customer order"),
    "order_id": lazy_gettext("Customer order"),
    "revision": lazy_gettext("Version of the data"),
    "key": lazy_gettext("Key"),
    "reason": lazy_gettext("Reason"),
    "approve": lazy_gettext("Decision"),
    "name": lazy_gettext("Name"),
    "active": lazy_gettext("Active"),
}


@bp.app_template_global("subject_link")
def subject_link(ref: Any) -> dict[str, str] | None:
    """Where the page of what a message concerns is, and its title: an order's page (the
    approval requests and the news of an order), a client's card, a contract, an
    invoice, a request or a deal; None for other kinds (or one the user cannot see)."""
    kind, ident = getattr(ref, "kind", None), getattr(ref, "id", None)
    if not isinstance(ident, int):
        return None
    try:
        if kind == ORDER:
            found = core().orders.get(actor(), ident)
            return {"url": url_for("ui_orders.order", order_id=ident), "title": found.title}
        simple = {COUNTERPARTY: ("ui_clients.card", "counterparty_id"),
                  CONTRACT: ("ui_sales.contract", "contract_id"),
                  "invoice": ("ui_sales.invoice", "invoice_id"),
                  "request": ("ui_sales.request_page", "request_id"),
                  "deal": ("ui_deals.deal", "deal_id")}
        if kind in simple:
            endpoint, arg = simple[kind]
            return {"url": url_for(endpoint, **{arg: ident}), "title": ""}
    except (DomainError, LookupError):
        return None
    return None


def round_steps(found: Any, approvers: set[int], names: OrderNames) -> list[dict[str, Any]]:
    """Each step of a round as its page shows it: who answers it, what was decided (by
    whom, when, why) or whether it waits (with the approvers asked) or comes next."""
    decided = {d.step: d for d in found.decisions}
    pending = found.status is RoundStatus.PENDING
    out = []
    for i, step in enumerate(found.steps):
        decision = decided.get(i)
        if decision is not None:
            status = "approved" if decision.approved else "refused"
        elif pending and i == found.step:
            status = "waiting"
        elif pending:
            status = "next"
        else:
            status = "skipped"
        out.append({
            "n": i + 1, "who": names.step(step), "status": status,
            "status_label": texts.label(STEP_STATUSES, status), "decision": decision,
            "decided_by": names.of("employee", decision.employee_id) if decision else "",
            "approvers": sorted(names.of("employee", e) for e in approvers)
            if status == "waiting" else []})
    return out


# -- the card's «Заказы» tab and the list of orders (ORD-1) ----------------------------------


def _state_filter() -> str:
    return request.args.get("state", "").strip()[:40]


@bp.get("/counterparties/<int:counterparty_id>/orders")
@login_required
def card_orders(counterparty_id: int):
    """The client's orders, newest first, 20 a page, by state."""
    state = _state_filter()
    listing = core().orders.of_counterparty(actor(), counterparty_id, page_arg(),
                                            state or None)
    context = card_context(counterparty_id, "orders")
    context.update(listing=listing, pages=page_count(listing.total), state_filter=state,
                   names=OrderNames(),
                   may_create_order=allowed(Action.CREATE, context["card"].ref, ORDER))
    return render_template("clients/card.html", errors={}, values=None, **context)


@bp.get("/orders")
@login_required
def orders():
    """Every order, newest first, by state."""
    state = _state_filter()
    listing = core().orders.orders(actor(), state or None, page_arg())
    return render_template("orders/list.html", listing=listing, pages=page_count(listing.total),
                           state_filter=state, names=OrderNames())


# -- the order form (ORD-1) ------------------------------------------------------------------


def _order_data(form: dict[str, str], fields: tuple[str, ...]) -> tuple[dict, list]:
    data: dict[str, Any] = {k: form[k] for k in fields if k in form}
    for optional in ("vat_included", "price_type_id"):
        if data.get(optional, "") == "":
            data.pop(optional, None)  # as the client's price type says
    rows: list[tuple[str, int]] = []
    if any(LINE_RE.match(k) for k in form):
        data["lines"], rows = posted_lines(form, PARTS, tag="part")
    return data, rows


def _form_context(counterparty_id: int, values: dict | None, order: Any = None,
                  add_rows: int = 0) -> dict:
    app = core()
    card = app.counterparties.get(actor(), counterparty_id)
    products = app.products
    draft = True
    if order is not None:
        state_set, _options = app.orders.options(actor(), order.id)
        draft = order.state == state_set.initial.code
    sections = [{"part": p, "label": PART_LABELS[p], "hint": PART_HINTS[p],
                 "rows": line_rows(values, p, BLANK_ROWS[p], add_rows)} for p in PARTS] if draft else []
    if order is not None:
        back = url_for("ui_orders.order", order_id=order.id)
        price_type = order.price_type_id
    else:
        back = url_for("ui_orders.card_orders", counterparty_id=card.id)
        price_type = getattr(products.price_type_of(actor(), counterparty_id), "id", None)
    return {
        "card": card, "order": order, "draft": draft, "sections": sections,
        "names": OrderNames(),
        "line_keys": [f"{s['part']}-{r}-{f}" for s in sections for r in s["rows"]
                      for f in LINE_FIELDS],
        "contract_options": [(c.id, c.title) for c in
                             app.contracts.of_counterparty(actor(), card.id)],
        "price_type_options": [(t.id, t.name) for t in products.price_types(actor())],
        "default_price_type": price_type,
        "vat_options": [(r.code, vat_label(r.code)) for r in VAT_RATES],
        "units": products.units(),
        "back": safe_next(request.values.get("next")) or back,
    }


def _may_create(counterparty_id: int) -> None:
    if not allowed(Action.CREATE, ObjectRef(COUNTERPARTY, counterparty_id), ORDER):
        raise Forbidden(f"you may not create {ORDER} here")


@bp.get("/counterparties/<int:counterparty_id>/orders/new")
@login_required
def new_order(counterparty_id: int):
    _may_create(counterparty_id)
    values = {"ordered_on": today_iso()}
    if as_int(request.args.get("contract_id")):
        values["contract_id"] = request.args["contract_id"]
    context = _form_context(counterparty_id, None)
    if context["default_price_type"]:
        values["price_type_id"] = str(context["default_price_type"])
    return render_template("orders/form.html", errors={}, values=values, **context)


@bp.post("/counterparties/<int:counterparty_id>/orders/new")
@login_required
def create_order(counterparty_id: int):
    form = form_data()
    data, rows = _order_data(form, ORDER_FIELDS)
    data["counterparty_id"] = str(counterparty_id)
    return handle_form(
        by_rows(lambda: core().orders.create(actor(), data), rows),
        success=lambda o: redirect_to(url_for("ui_orders.order", order_id=o.id)),
        template="orders/form.html",
        context=lambda: _form_context(counterparty_id, form),
        message=_("The order is made."),
    )


@bp.post("/counterparties/<int:counterparty_id>/orders/new/refill")
@login_required
def refill_order(counterparty_id: int):
    """The form again with more blank rows (the lines without JavaScript)."""
    _may_create(counterparty_id)
    form = form_data()
    return render_template("orders/form.html", errors={}, values=form,
                           **_form_context(counterparty_id, form, add_rows=MORE_ROWS))


def _order_values(order: Any) -> dict[str, str]:
    values = {"ordered_on": order.ordered_on.isoformat(), "contract_id": text_of(order.contract_id),
              "vat_included": "1" if order.vat_included else "0", "note": order.note,
              "version": str(order.version)}
    counters = dict.fromkeys(PARTS, 0)
    for line in order.lines:
        part = line.part.value
        row = counters[part]
        counters[part] += 1
        values.update(line_values(part, row, line))
    return values


@bp.get("/orders/<int:order_id>/edit")
@login_required
def edit_order(order_id: int):
    order = editable(core().orders.get(actor(), order_id))
    values = _order_values(order)
    context = _form_context(order.counterparty_id, values, order, add_rows=1)
    return render_template("orders/form.html", errors={}, values=values, **context)


@bp.post("/orders/<int:order_id>/edit")
@login_required
def update_order(order_id: int):
    form = form_data()
    order = core().orders.get(actor(), order_id)
    fields = ORDER_FIELDS if any(LINE_RE.match(k) for k in form) else OPEN_FIELDS
    data, rows = _order_data(form, (*fields, "version"))
    data.pop("price_type_id", None)  # fixed when the order is made
    return handle_form(
        by_rows(lambda: core().orders.update(actor(), order_id, data), rows),
        success=lambda o: redirect_to(url_for("ui_orders.order", order_id=o.id)),
        template="orders/form.html",
        context=lambda: _form_context(order.counterparty_id, form, order),
        message=_("The order is saved."),
    )


@bp.post("/orders/<int:order_id>/edit/refill")
@login_required
def refill_order_edit(order_id: int):
    order = editable(core().orders.get(actor(), order_id))
    form = form_data()
    return render_template("orders/form.html", errors={}, values=form,
                           **_form_context(order.counterparty_id, form, order,
                                           add_rows=MORE_ROWS))


# -- the order's page: state, estimate, approval, billing (ORD-2, ORD-3) ----------------------


def _sections(order: Any) -> list[dict[str, Any]]:
    """The order's lines by part, each line with its counted sums, and each part's
    totals (``money.invoice_totals``)."""
    out = []
    for part in PARTS:
        lines = [x for x in order.lines if x.part.value == part]
        totals = invoice_totals([x.money() for x in lines], order.vat_included)
        out.append({"part": part, "label": PART_LABELS[part], "hint": PART_HINTS[part],
                    "lines": list(zip(lines, totals.lines, strict=True)), "totals": totals})
    return out


def _order_context(order_id: int, **extra) -> dict:
    app = core()
    order = app.orders.get(actor(), order_id)
    state_set, options = app.orders.options(actor(), order_id)
    rounds = app.orders.rounds(actor(), order_id)
    approvers = app.orders.current_approvers(actor(), order_id)
    handoffs = app.orders.handoffs(actor(), order_id)
    try:
        entries = app.history.of(actor(), order.ref)
    except Forbidden:
        entries = []
    try:
        client = app.counterparties.get(actor(), order.counterparty_id)
    except NotFound:
        client = None
    names = OrderNames()
    ref = order.ref
    state = state_set.state(order.state)
    draft = order.state == state_set.initial.code
    may_edit = allowed(Action.EDIT, ref)
    current = rounds[0] if rounds and rounds[0].status is RoundStatus.PENDING else None
    context = {
        "order": order, "client": client, "estimate": order.estimate(),
        "sections": _sections(order), "state_set": state_set, "state": state,
        # to approval an order goes by being submitted along a route (the form below)
        "options": tuple(o for o in options if o.target.code != APPROVAL),
        "draft": draft, "closed": bool(state is not None and state.final),
        "rounds": [{"round": r, "steps": round_steps(r, approvers if r is current else set(),
                                                     names),
                    "status_label": texts.label(ROUND_STATUSES, r.status.value),
                    "one_time": _decimal(r.estimate.get("one_time", {}).get("total")),
                    "monthly": _decimal(r.estimate.get("monthly", {}).get("total"))}
                   for r in rounds],
        "current": current, "last_round": rounds[0] if rounds else None,
        "may_decide": actor() in approvers,
        "routes": [(r.id, f"{r.name}: {' → '.join(names.step(s) for s in r.steps)}")
                   for r in app.orders.routes(actor())] if draft and may_edit else [],
        "handoffs": handoffs, "handoff_states": HANDOFF_STATES,
        "may_hand_off_again": may_edit and bool(handoffs)
        and handoffs[0].state is HandoffState.FAILED,
        "entries": entries, "names": names, "may_edit": may_edit,
        "may_delete": allowed(Action.DELETE, ref) and draft and not rounds and not handoffs,
        "here": url_for("ui_orders.order", order_id=order.id),
        "back": url_for("ui_orders.card_orders", counterparty_id=order.counterparty_id),
        "moving": None, "submitting": False, "deciding": False,
    }
    context.update(extra)
    return context


@bp.get("/orders/<int:order_id>")
@login_required
def order(order_id: int):
    return render_template("orders/order.html", errors={}, values=None,
                           **_order_context(order_id))


def _to_order(found: Any):
    order_id = getattr(found, "order_id", None) or found.id
    return redirect_to(url_for("ui_orders.order", order_id=order_id))


@bp.post("/orders/<int:order_id>/submit")
@login_required
def submit_order(order_id: int):
    """Send the draft's estimate along the chosen route (ORD-2)."""
    form = form_data()
    return handle_form(
        lambda: core().orders.submit(actor(), order_id, form.get("route_id", ""),
                                     form.get("version")),
        success=lambda _r: redirect_to(url_for("ui_orders.order", order_id=order_id)),
        template="orders/order.html",
        context=lambda: _order_context(order_id, submitting=True),
        message=_("The order is submitted for approval."),
    )


@bp.post("/orders/<int:order_id>/decide")
@login_required
def decide_order(order_id: int):
    """An approver of the current step confirms or refuses (with a reason)."""
    form = form_data()
    approve = form.get("answer") == "approve"
    return handle_form(
        lambda: core().orders.decide(actor(), order_id, approve, form.get("reason", "")),
        success=lambda _r: redirect_to(url_for("ui_orders.order", order_id=order_id)),
        template="orders/order.html",
        context=lambda: _order_context(order_id, deciding=True),
        message=_("The estimate is approved.") if approve else _("The estimate is refused."),
    )


@bp.post("/orders/<int:order_id>/move")
@login_required
def move_order(order_id: int):
    form = form_data()
    return handle_form(
        lambda: core().orders.move(actor(), order_id, form.get("to_state", ""),
                                   form.get("reason", ""), form.get("version")),
        success=_to_order,
        template="orders/order.html",
        context=lambda: _order_context(order_id, moving=form.get("to_state")),
        message=_("The state is changed."),
    )


@bp.post("/orders/<int:order_id>/handoffs")
@login_required
def hand_off_again(order_id: int):
    """A new version of the billing data after the billing system refused the last."""
    return handle_form(
        lambda: core().orders.hand_off_again(actor(), order_id),
        success=_to_order,
        template="orders/order.html", context=lambda: _order_context(order_id),
        message=_("The data are handed to the billing system again."),
    )


@bp.post("/orders/<int:order_id>/delete")
@login_required
def delete_order(order_id: int):
    form = form_data()
    target = safe_next(form.get("next")) or url_for("ui_orders.orders")
    return handle_form(
        lambda: core().orders.delete(actor(), order_id, form.get("version")),
        success=lambda _r: redirect_to(target),
        template="orders/order.html", context=lambda: _order_context(order_id),
        message=_("The order is deleted."),
    )


@bp.get("/orders/<int:order_id>/estimate")
@login_required
def print_estimate(order_id: int):
    """«Смета на подключение» (ORD-2): a page to print or save as PDF, Russian whatever
    the interface's language; only its toolbar follows the user's."""
    app = core()
    found = app.orders.get(actor(), order_id)
    estimate = found.estimate()
    client = app.counterparties.get(actor(), found.counterparty_id)
    contract = app.contracts.get(actor(), found.contract_id) if found.contract_id else None
    company = app.org.company()
    toolbar = {"print": _("Print / PDF"), "back": _("Back to the order"),
               "back_url": url_for("ui_orders.order", order_id=order_id)}
    with force_locale("ru"):
        return render_template(
            "orders/estimate.html", order=found, estimate=estimate, client=client,
            contract=contract, company=company.requisites if company else {},
            company_name=company.name if company else "", toolbar=toolbar,
            sections=[s for s in _sections(found) if s["lines"]],
            ordered=format_date(found.ordered_on, "d MMMM y"),
            words=amount_in_words(estimate.one_time.total),
            monthly_words=amount_in_words(estimate.monthly.total))


# -- the reference book of approval routes (ORD-2) -------------------------------------------


def _step_options() -> list[tuple[str, list[tuple[str, str]]]]:
    """The choices of a step: the roles, then the active employees (grouped)."""
    roles = [(f"role:{r.value}", texts.label(texts.ROLE_LABELS, r.value)) for r in Role
             if r.value in texts.ROLE_LABELS]
    people = [(f"employee:{e.id}", e.full_name) for e in core().org.employees(actor())
              if e.active]
    return [(_("Roles"), roles), (_("Employees"), people)]


def _step_value(step: Any) -> str:
    if step.role is not None:
        return f"role:{step.role.value}"
    return f"employee:{step.employee_id}"


def _posted_steps() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The route form's step rows: what to send to the core and the rows to show again
    (``at``: the step's place among those sent, for the core's ``steps[i]`` messages)."""
    sent: list[dict[str, Any]] = []
    shown: list[dict[str, Any]] = []
    for row in _rows("steps"):
        who = str(row.get("who", "")).strip()
        if not who:
            continue
        if _flag(row, "remove"):
            shown.append({**row, "n": len(shown), "at": None})
            continue
        found = ROUTE_STEP_RE.match(who)
        if found and found[1] == "role":
            step: dict[str, Any] = {"role": found[2]}
        elif found:
            step = {"employee_id": found[2]}
        else:
            step = {"role": who}  # the core names what is wrong with it
        shown.append({**row, "n": len(shown), "at": len(sent)})
        sent.append(step)
    return sent, shown


def _step_rows(route: Any = None, shown: list | None = None) -> list[dict[str, Any]]:
    """The rows of the route form (``n``: the row's place on the form), then blank ones."""
    if shown is not None:
        rows = list(shown)
    elif route is not None:
        rows = [{"who": _step_value(s), "n": i, "at": i} for i, s in enumerate(route.steps)]
    else:
        rows = []
    return rows + [{"who": "", "n": len(rows) + k, "at": None, "new": True}
                   for k in range(BLANK_STEPS)]


def _routes_context(**extra) -> dict:
    app = core()
    context = {**_base("approval_routes"),
               "routes": app.orders.routes(actor(), include_inactive=True),
               "names": OrderNames(), "step_options": _step_options(),
               "steps": _step_rows(), "obj": None}
    context.update(extra)
    return context


def _route_errors(errors: dict[str, str], shown: list[dict[str, Any]]) -> dict[str, str]:
    """``steps[2]`` / ``steps[2].role`` -> the row's own key ``steps-<n>-who``."""
    out = {}
    for key, message in errors.items():
        found = re.match(r"^steps\[(\d+)\]", key)
        if found:
            row = next((r for r in shown if r.get("at") == int(found[1])), None)
            if row is not None:
                key = f"steps-{row['n']}-who"
        out[key] = message
    return out


def _save_route(route_id: int | None):
    form = form_data()
    sent, shown = _posted_steps()
    data: dict[str, Any] = {"name": form.get("name", ""), "steps": sent,
                            "active": form.get("active", "0")}
    if route_id is not None:
        data["version"] = form.get("version", "")

    def call():
        try:
            return core().orders.save_route(actor(), data, route_id)
        except ValidationFailed as exc:
            raise ValidationFailed(_route_errors(exc.errors, shown)) from exc

    def context():
        obj = core().orders.route(actor(), route_id) if route_id is not None else None
        return _routes_context(steps=_step_rows(shown=shown), obj=obj)

    return handle_form(
        call, success=lambda _r: redirect_to(url_for("ui_orders.routes")),
        template="orders/route_edit.html" if route_id is not None else "orders/routes.html",
        context=context,
        message=_("The approval route is saved.") if route_id is not None
        else _("The approval route is created."))


@bp.get("/admin/approval-routes")
@login_required
def routes():
    return render_template("orders/routes.html", errors={}, values={"active": "1"},
                           **_routes_context())


@bp.post("/admin/approval-routes")
@login_required
def create_route():
    return _save_route(None)


@bp.get("/admin/approval-routes/<int:route_id>/edit")
@login_required
def edit_route(route_id: int):
    _require_books()
    found = core().orders.route(actor(), route_id)
    values = {"name": found.name, "active": "1" if found.active else "0",
              "version": str(found.version)}
    return render_template("orders/route_edit.html", errors={}, values=values,
                           **_routes_context(obj=found, steps=_step_rows(found)))


@bp.post("/admin/approval-routes/<int:route_id>/edit")
@login_required
def update_route(route_id: int):
    return _save_route(route_id)


@bp.post("/admin/approval-routes/<int:route_id>/delete")
@login_required
def delete_route(route_id: int):
    """Only a route no order was submitted along goes; the refusal is told on the route's
    page (nothing changes)."""
    form = form_data()
    try:
        core().orders.delete_route(actor(), route_id, form.get("version"))
    except Conflict as exc:
        flash(texts.core_text(exc.message), "error")
        return redirect_to(url_for("ui_orders.edit_route", route_id=route_id))
    flash(_("The approval route is deleted."), "success")
    return redirect_to(url_for("ui_orders.routes"))
