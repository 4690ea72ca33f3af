"""A client's sales documents in the HTML interface (CON-1…CON-4, REQ-1…REQ-4,
INV-1…INV-4, DOC-1; the settlement status of CP-13; the client type of PRD-2).

- the counterparty card's tabs «Договоры», «Заявки», «Счета» (INV-4: the client's invoices
  with a state filter, 20 a page) and «Документы»; the settlement status and the client
  type on the card, the settlement status and a link to the invoices on every list row
  (template globals ``settlement_of``, ``settlement_statuses``, ``client_type_name``);
- contracts: registration with the type's attributes (rendered from its
  ``AttributeDef``s), the contract's page with what it carries (requests, invoices,
  payments, acts and their totals), its electronic copy, editing, deleting a draft;
- requests: the form (by client, contract or invoice, or internal from the menu) with
  the service kind's condition fields, the request's page with its state, the changes of
  state it is offered (blocked ones disabled with their reasons), its history, and
  «Мои заявки»;
- invoices: the form with its lines (an item picked by name fills the line from the
  price list, JSON endpoints ``/sales/items`` and ``/sales/price``; without JavaScript
  blank rows are typed in), the invoice's page with its totals, state, payments, acts and
  documents, and the printable «Счёт на оплату» with the amount in words;
- documents: upload (file + note) to a client, contract, invoice or request, download
  (``Content-Disposition`` with an RFC 5987 ``filename*``, ``nosniff``), delete.

Every view parses its input, calls one core service (whose policy decides) and renders;
forms answer through ``handle_form`` (422 with field messages, 409 on a stale version or
a refused change, nothing saved)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, flash, g, jsonify, render_template, request, url_for
from flask_babel import force_locale, format_date, format_decimal
from flask_babel import gettext as _
from flask_login import login_required

from ecrm_core.access.model import Action
from ecrm_core.counterparties.model import COUNTERPARTY
from ecrm_core.documents.model import MAX_SIZE
from ecrm_core.kernel.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.money import VAT_RATES, Money
from ecrm_web.ui import texts
from ecrm_web.ui.clients import ClientNames, card_context
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
    url_with,
)

bp = Blueprint("ui_sales", __name__)

CONTRACT, REQUEST, INVOICE, PAYMENT, ACT, DOCUMENT = (
    "contract", "request", "invoice", "payment", "act", "document")
CONTRACT_FIELDS = ("contract_type_id", "subject", "signed_on", "draft")
REQUEST_FIELDS = ("subject", "service_kind_id", "assignee_id", "due_on", "description",
                  "contract_id")
REQUEST_WHERE = ("counterparty_id", "contract_id", "invoice_id")
INVOICE_FIELDS = ("issued_on", "contract_id", "price_type_id", "vat_included", "contact_id",
                  "contact_name", "due_on", "note", "manager_id")
#: What a non-draft invoice may still change (the core refuses the rest).
INVOICE_OPEN_FIELDS = ("due_on", "note", "manager_id")
PAYMENT_FIELDS = ("amount", "paid_on", "reference", "note")
ACT_FIELDS = ("amount", "act_on", "note")
LINE_FIELDS = ("item_id", "name", "quantity", "unit", "price", "discount", "vat_rate")
#: A row of the lines table counts when one of these is filled (a quantity or a VAT rate
#: alone is a blank row).
LINE_KEYS = ("item_id", "name", "price")
LINE_RE = re.compile(r"^lines-(\d{1,3})-([a-z_]+)$")
#: A cell of a lines table: ``<table>-<row>-<field>`` (the invoice's one table is "lines",
#: an order's are its parts).
LINE_CELL_RE = re.compile(r"^([a-z]+)-(\d{1,3})-([a-z_]+)$")
ERROR_LINE_RE = re.compile(r"^lines\[(\d+)\](?:\.([a-z_]+))?$")
BLANK_ROWS = 5
MORE_ROWS = 3
MAX_ROWS = 500
#: The upload limit of the documents route: the core's 20 MB and room for the form.
#: Russian forms of the currency for the amount in words ("рубль / рубля / рублей").
RUBLE_FORMS = ("рубль", "рубля", "рублей")
KOPECK_FORMS = ("копейка", "копейки", "копеек")


# -- presenting ----------------------------------------------------------------------------


def fmt_money(value: object) -> str:
    """A sum as «12 980,00» in the user's locale (a Money, a Decimal or an int)."""
    amount = getattr(value, "amount", value)
    if isinstance(value, dict):
        amount = value.get("amount")
        try:
            amount = Decimal(str(amount))
        except ArithmeticError:
            return str(value)
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        return "—" if value in (None, "") else str(value)
    return format_decimal(amount, format="#,##0.00")


def fmt_quantity(value: object) -> str:
    """A quantity as «1,5» (up to three decimals, no trailing zeros)."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return "" if value is None else str(value)
    return format_decimal(value, format="#,##0.###")


def fmt_size(value: object) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        return ""
    if value < 1024:
        return _("%(n)s B", n=value)
    if value < 1024 * 1024:
        return _("%(n)s KB", n=format_decimal(value / 1024, format="#,##0.#"))
    return _("%(n)s MB", n=format_decimal(value / (1024 * 1024), format="#,##0.#"))


def fmt_day(value: object) -> str:
    if value in (None, ""):
        return "—"
    return ClientNames.date(value)


def vat_label(code: object) -> str:
    """A VAT rate by its code: «22%», «без НДС»."""
    rate = next((r for r in VAT_RATES if r.code == code), None)
    if rate is None:
        return str(code or "")
    if rate.percent is None:
        return _("without VAT")
    return f"{rate.percent}%"


def amount_in_words(money: Money) -> str:
    """«Двенадцать тысяч девятьсот восемьдесят рублей 00 копеек»: the rubles in words,
    the kopecks in figures, as Russian invoices print them."""
    from pytils import numeral

    rubles, kopecks = divmod(abs(money.kopecks), 100)
    words = numeral.sum_string(rubles, numeral.MALE, RUBLE_FORMS)
    text = f"{words} {kopecks:02d} {numeral.choose_plural(kopecks, KOPECK_FORMS)}"
    return text[:1].upper() + text[1:]


class SalesNames(ClientNames):
    """Names behind the ids of sales documents: state names of the state sets, contract
    types, service kinds, employees; the values of a document's or client's history."""

    ID_FIELDS = {**ClientNames.ID_FIELDS, "assignee_id": "employee", "author_id": "employee",
                 "uploaded_by": "employee", "created_by": "employee",
                 "updated_by": "employee", "manager_id": "employee"}
    DAY_FIELDS = ("due_on", "signed_on", "issued_on", "paid_on", "act_on", "valid_from",
                  "valid_to")

    def __init__(self, state_set_code: str | None = None) -> None:
        super().__init__()
        #: the set whose states a history's "state" field names (the page's object)
        self.state_set_code = state_set_code
        self._sets: dict[str, Any] | None = None
        self._kinds: dict[int, str] | None = None
        self._contract_types: dict[int, str] | None = None
        self._numbers: dict[str, dict[int, str]] = {}

    def state_set(self, code: str):
        if self._sets is None:
            self._sets = {s.code: s for s in core().state_sets.state_sets(actor())}
        return self._sets.get(code)

    def state(self, set_code: str, code: object):
        found = self.state_set(set_code)
        return found.state(code) if found is not None and isinstance(code, str) else None

    def state_name(self, set_code: str, code: object) -> str:
        state = self.state(set_code, code)
        return state.name if state is not None else str(code or "—")

    def states(self, set_code: str) -> list:
        found = self.state_set(set_code)
        return found.ordered() if found is not None else []

    def service_kind(self, kind_id: object) -> str:
        if self._kinds is None:
            self._kinds = {k.id: k.name for k in core().products.service_kinds(
                actor(), include_inactive=True)}
        key = as_int(kind_id)
        return self._kinds.get(key, f"#{kind_id}") if key is not None else "—"

    def contract_type(self, type_id: object) -> str:
        if self._contract_types is None:
            self._contract_types = {t.id: t.name for t in core().contracts.types(
                actor(), include_inactive=True)}
        key = as_int(type_id)
        return self._contract_types.get(key, f"#{type_id}") if key is not None else "—"

    def contract(self, contract_id: object) -> str:
        """«№ 2026-00001» of a contract (read once per page)."""
        key = as_int(contract_id)
        if key is None:
            return "—"
        if key not in self._numbers.setdefault(CONTRACT, {}):
            try:
                number = core().contracts.get(actor(), key).number
            except (NotFound, Forbidden):
                number = f"#{key}"
            else:
                number = f"№ {number}"
            self._numbers[CONTRACT][key] = number
        return self._numbers[CONTRACT][key]

    def invoice(self, invoice_id: object) -> str:
        """«№ 17» of an invoice (read once per page)."""
        key = as_int(invoice_id)
        if key is None:
            return "—"
        if key not in self._numbers.setdefault(INVOICE, {}):
            try:
                number = f"№ {core().invoices.get(actor(), key).number}"
            except (NotFound, Forbidden):
                number = f"#{key}"
            self._numbers[INVOICE][key] = number
        return self._numbers[INVOICE][key]

    def field_label(self, field: str) -> str:
        if field.startswith(("conditions.", "attributes.")):
            return field.split(".", 1)[1]
        return super().field_label(field)

    def history_value(self, field: str, value: object, entry_kind: str = "") -> str:
        if value is None or value == "" or value == [] or value == {}:
            return "—"
        if field == "state" and self.state_set_code:
            return self.state_name(self.state_set_code, value)
        if field == "service_kind_id":
            return self.service_kind(value)
        if field == "contract_type_id":
            return self.contract_type(value)
        if field == "contract_id":
            return self.contract(value)
        if field == "invoice_id":
            return self.invoice(value)
        if field == "request_kind":
            return texts.label(texts.REQUEST_KINDS, value)
        if field in self.DAY_FIELDS:
            return self.date(value)
        if field in ("total", "vat", "paid", "amount", "discount", "price"):
            return fmt_money(value)
        if field == "lines" and isinstance(value, list | tuple):
            return "; ".join(str(line.get("name", line)) if isinstance(line, dict)
                             else str(line) for line in value)
        return super().history_value(field, value, entry_kind)


# -- helpers ---------------------------------------------------------------------------------


def _client_ref(counterparty_id: int) -> ObjectRef:
    return ObjectRef(COUNTERPARTY, counterparty_id)


def _prefixed(form: dict[str, str], prefix: str, codes: Iterable[str] | None = None
              ) -> dict[str, str]:
    """``{code: value}`` of the fields named ``prefix.code`` (attributes, conditions),
    only the codes the chosen type or kind defines when ``codes`` is given."""
    found = {key[len(prefix) + 1:]: value for key, value in form.items()
             if key.startswith(prefix + ".")}
    if codes is not None:
        wanted = set(codes)
        found = {k: v for k, v in found.items() if k in wanted}
    return found


def _flat(prefix: str, mapping: dict[str, Any]) -> dict[str, str]:
    """Stored attribute values as form values (``prefix.code``)."""
    out = {}
    for code, value in (mapping or {}).items():
        if isinstance(value, bool):
            value = "1" if value else "0"
        out[f"{prefix}.{code}"] = "" if value is None else str(value)
    return out


def _employee_options() -> list[tuple[int, str]]:
    return [(e.id, e.full_name) for e in core().org.employees(actor()) if e.active]


def _back(default: str) -> str:
    return safe_next(request.values.get("next")) or default


# -- template globals: the card, the list rows and the card form (CP-13, PRD-2) -------------


@bp.app_template_global("settlement_of")
def settlement_of(counterparty_id: object):
    """The client's settlement (invoiced, paid, status) for its card; None when it cannot
    be read."""
    try:
        return core().invoices.settlement(actor(), counterparty_id)
    except DomainError:
        return None


@bp.app_template_global("settlement_statuses")
def settlement_statuses(rows: Iterable[Any]) -> dict[int, str]:
    """The settlement status of each row of a list page, read at once (CP-13)."""
    ids = [getattr(getattr(r, "counterparty", r), "id", None) for r in rows]
    try:
        found = core().invoices.statuses_of(actor(), [i for i in ids if i is not None])
    except DomainError:
        return {}
    return {k: getattr(v, "value", v) for k, v in found.items()}


@bp.app_template_global("client_type_options")
def client_type_options() -> list[tuple[int, str]]:
    """The client types of the reference book (PRD-2), read once per request."""
    if "sales_client_types" not in g:
        g.sales_client_types = [(t.id, t.name) for t in core().products.client_types(actor())]
    return g.sales_client_types


@bp.app_template_global("client_type_name")
def client_type_name(type_id: object) -> str:
    key = as_int(type_id)
    if key is None:
        return "—"
    return next((name for ident, name in client_type_options() if ident == key), f"#{key}")


bp.add_app_template_filter(fmt_money, "money")
bp.add_app_template_filter(fmt_quantity, "qty")
bp.add_app_template_filter(fmt_size, "filesize")
bp.add_app_template_filter(fmt_day, "day")
bp.add_app_template_global(vat_label, "vat_label")
bp.add_app_template_global(url_with, "sales_url_with")


# -- the card's tabs: contracts, requests, invoices, documents (CON-2, REQ-3, INV-4, DOC-1) -


def _card_tab(counterparty_id: int, tab: str, **extra) -> dict:
    context = card_context(counterparty_id, tab)
    context["names"] = SalesNames(INVOICE if tab == "invoices" else REQUEST)
    context.setdefault("doc_errors", {})
    context.setdefault("doc_values", None)
    context.update(extra)
    return context


def _contracts_tab(counterparty_id: int, **extra) -> dict:
    context = _card_tab(counterparty_id, "contracts", **extra)
    ref = context["card"].ref
    context.update(contracts=core().contracts.of_counterparty(actor(), counterparty_id),
                   may_create_contract=allowed(Action.CREATE, ref, CONTRACT),
                   may_create_invoice=allowed(Action.CREATE, ref, INVOICE))
    return context


@bp.get("/counterparties/<int:counterparty_id>/contracts")
@login_required
def card_contracts(counterparty_id: int):
    return render_template("clients/card.html", errors={}, values=None,
                           **_contracts_tab(counterparty_id))


@bp.get("/counterparties/<int:counterparty_id>/requests")
@login_required
def card_requests(counterparty_id: int):
    listing = core().requests.of_counterparty(actor(), counterparty_id, page_arg())
    context = _card_tab(counterparty_id, "requests")
    context.update(listing=listing, pages=page_count(listing.total),
                   may_create_request=allowed(Action.CREATE, context["card"].ref, REQUEST))
    return render_template("clients/card.html", errors={}, values=None, **context)


@bp.get("/counterparties/<int:counterparty_id>/invoices")
@login_required
def card_invoices(counterparty_id: int):
    """INV-4: the client's invoices, newest first, 20 a page, by state."""
    state = request.args.get("state", "").strip()[:40]
    listing = core().invoices.of_counterparty(actor(), counterparty_id, page_arg(),
                                              state or None)
    context = _card_tab(counterparty_id, "invoices")
    context.update(listing=listing, pages=page_count(listing.total), state_filter=state,
                   may_create_invoice=allowed(Action.CREATE, context["card"].ref, INVOICE))
    return render_template("clients/card.html", errors={}, values=None, **context)


def _documents_tab(counterparty_id: int, **extra) -> dict:
    context = _card_tab(counterparty_id, "documents", **extra)
    ref = context["card"].ref
    context.update(
        documents=core().documents.of_owner(actor(), COUNTERPARTY, counterparty_id),
        may_upload=allowed(Action.CREATE, ref, DOCUMENT),
        may_remove=allowed(Action.DELETE, ref, DOCUMENT))
    return context


@bp.get("/counterparties/<int:counterparty_id>/documents")
@login_required
def card_documents(counterparty_id: int):
    return render_template("clients/card.html", errors={}, values=None,
                           **_documents_tab(counterparty_id))


# -- contracts (CON-1…CON-4) -----------------------------------------------------------------


def _contract_form_context(counterparty_id: int, contract=None,
                           values: dict | None = None) -> dict:
    """The registration / edit form: the contract types and the attribute fields of the
    chosen one."""
    app = core()
    card = app.counterparties.get(actor(), counterparty_id)
    types = app.contracts.types(actor(), include_inactive=contract is not None)
    if contract is not None:
        chosen_id = contract.contract_type_id
    else:
        chosen_id = as_int((values or {}).get("contract_type_id"))
    chosen = next((t for t in types if t.id == chosen_id), None)
    if chosen is None and contract is None and types:
        chosen = types[0]
    back = url_for("ui_sales.contract", contract_id=contract.id) if contract is not None \
        else url_for("ui_sales.card_contracts", counterparty_id=card.id)
    return {"card": card, "contract": contract, "names": SalesNames(),
            "type_options": [(t.id, t.name) for t in types if t.active
                             or (contract is not None and t.id == contract.contract_type_id)],
            "chosen_type": chosen, "defs": chosen.attributes if chosen else (),
            "back": _back(back)}


def _contract_data(form: dict[str, str], defs) -> dict[str, Any]:
    data: dict[str, Any] = {k: form[k] for k in CONTRACT_FIELDS if k in form}
    data["attributes"] = _prefixed(form, "attributes", (d.code for d in defs))
    return data


@bp.get("/counterparties/<int:counterparty_id>/contracts/new")
@login_required
def new_contract(counterparty_id: int):
    if not allowed(Action.CREATE, _client_ref(counterparty_id), CONTRACT):
        raise Forbidden(f"you may not create {CONTRACT} here")
    values = {"draft": "1", "contract_type_id": request.args.get("contract_type_id", "")}
    context = _contract_form_context(counterparty_id, None, values)
    if context["chosen_type"] is not None:
        values["contract_type_id"] = str(context["chosen_type"].id)
    return render_template("sales/contract_form.html", errors={}, values=values, **context)


@bp.post("/counterparties/<int:counterparty_id>/contracts/new")
@login_required
def register_contract(counterparty_id: int):
    form = form_data()
    context = _contract_form_context(counterparty_id, None, form)
    data = _contract_data(form, context["defs"])
    return handle_form(
        lambda: core().contracts.register(actor(), counterparty_id, data),
        success=lambda c: redirect_to(url_for("ui_sales.contract", contract_id=c.id)),
        template="sales/contract_form.html", context=lambda: context,
        message=_("The contract is registered."),
    )


@bp.post("/counterparties/<int:counterparty_id>/contracts/new/refill")
@login_required
def refill_contract(counterparty_id: int):
    """The form again with the attribute fields of the type now chosen (nothing saved)."""
    if not allowed(Action.CREATE, _client_ref(counterparty_id), CONTRACT):
        raise Forbidden(f"you may not create {CONTRACT} here")
    form = form_data()
    return render_template("sales/contract_form.html", errors={}, values=form,
                           **_contract_form_context(counterparty_id, None, form))


def _contract_context(contract_id: int, **extra) -> dict:
    """A contract's page: its data and what it carries (CON-3, CON-4), its documents."""
    app = core()
    summary = app.contracts.summary(actor(), contract_id)
    contract = summary.contract
    ref = contract.ref
    client = _client_ref(contract.counterparty_id)
    context = {
        "summary": summary, "contract": contract, "names": SalesNames(INVOICE),
        "documents": app.documents.of_owner(actor(), CONTRACT, contract.id),
        "may_edit": allowed(Action.EDIT, ref), "may_delete": allowed(Action.DELETE, ref),
        "may_upload": allowed(Action.CREATE, ref, DOCUMENT),
        "may_remove": allowed(Action.DELETE, ref, DOCUMENT),
        "may_request": allowed(Action.CREATE, ref, REQUEST),
        "may_invoice": allowed(Action.CREATE, client, INVOICE),
        "may_act": allowed(Action.CREATE, ref, ACT),
        "back": url_for("ui_sales.card_contracts", counterparty_id=contract.counterparty_id),
        "here": url_for("ui_sales.contract", contract_id=contract.id),
        "doc_errors": {}, "doc_values": None, "acting": False, "today": today_iso(),
    }
    context.update(extra)
    return context


@bp.get("/contracts/<int:contract_id>")
@login_required
def contract(contract_id: int):
    return render_template("sales/contract.html", errors={}, values=None,
                           **_contract_context(contract_id))


def _contract_values(item) -> dict[str, str]:
    return {"subject": item.subject,
            "signed_on": item.signed_on.isoformat() if item.signed_on else "",
            "draft": "1" if item.draft else "0", "version": str(item.version),
            **_flat("attributes", item.attributes)}


@bp.get("/contracts/<int:contract_id>/edit")
@login_required
def edit_contract(contract_id: int):
    item = editable(core().contracts.get(actor(), contract_id))
    return render_template("sales/contract_form.html", errors={}, values=_contract_values(item),
                           **_contract_form_context(item.counterparty_id, item))


@bp.post("/contracts/<int:contract_id>/edit")
@login_required
def update_contract(contract_id: int):
    form = form_data()
    item = core().contracts.get(actor(), contract_id)
    context = _contract_form_context(item.counterparty_id, item)
    data = _contract_data(form, context["defs"])
    data.pop("contract_type_id", None)
    data["version"] = form.get("version", "")
    return handle_form(
        lambda: core().contracts.update(actor(), contract_id, data),
        success=lambda c: redirect_to(url_for("ui_sales.contract", contract_id=c.id)),
        template="sales/contract_form.html", context=lambda: context,
        message=_("The contract is saved."),
    )


@bp.post("/contracts/<int:contract_id>/copy")
@login_required
def contract_copy(contract_id: int):
    """The electronic copy: one of the contract's documents (``document_id``), or none."""
    form = form_data()
    data = {"document_id": form.get("document_id", ""), "version": form.get("version", "")}
    return handle_form(
        lambda: core().contracts.update(actor(), contract_id, data),
        success=lambda c: redirect_to(url_for("ui_sales.contract", contract_id=c.id)),
        template="sales/contract.html", context=lambda: _contract_context(contract_id),
        message=_("The electronic copy is set."),
    )


@bp.post("/contracts/<int:contract_id>/delete")
@login_required
def delete_contract(contract_id: int):
    """Only a draft with nothing under it goes (the core refuses otherwise: 409)."""
    form = form_data()
    target = safe_next(form.get("next")) or url_for("ui_clients.home")
    return handle_form(
        lambda: core().contracts.delete(actor(), contract_id, form.get("version")),
        success=lambda _r: redirect_to(target),
        template="sales/contract.html", context=lambda: _contract_context(contract_id),
        message=_("The contract is deleted."),
    )


@bp.post("/contracts/<int:contract_id>/acts")
@login_required
def contract_act(contract_id: int):
    """An act of completed work under the contract (CON-4)."""
    form = form_data()
    data = {k: form[k] for k in ACT_FIELDS if k in form}
    data["contract_id"] = str(contract_id)
    return handle_form(
        lambda: core().invoices.register_act(actor(), form.get("counterparty_id", ""), data),
        success=lambda _a: redirect_to(url_for("ui_sales.contract", contract_id=contract_id)),
        template="sales/contract.html",
        context=lambda: _contract_context(contract_id, acting=True),
        message=_("The act is registered."),
    )


# -- requests (REQ-1…REQ-4) ------------------------------------------------------------------


def _where(values: dict) -> dict:
    """Where a new request lives: the client, contract or invoice named in ``values``."""
    app = core()
    found: dict[str, Any] = {"card": None, "contract": None, "invoice": None}
    invoice_id = as_int(values.get("invoice_id"))
    contract_id = as_int(values.get("contract_id"))
    counterparty_id = as_int(values.get("counterparty_id"))
    if invoice_id:
        found["invoice"] = app.invoices.get(actor(), invoice_id)
        counterparty_id = found["invoice"].counterparty_id
    if contract_id:
        found["contract"] = app.contracts.get(actor(), contract_id)
        counterparty_id = found["contract"].counterparty_id
    if counterparty_id:
        found["card"] = app.counterparties.get(actor(), counterparty_id)
    return found


def _request_form_context(values: dict | None, item=None) -> dict:
    app = core()
    names = SalesNames(REQUEST)
    kinds = app.products.service_kinds(actor(), include_inactive=item is not None)
    if item is not None:
        where = {"card": app.counterparties.get(actor(), item.counterparty_id)
                 if item.counterparty_id else None, "contract": None, "invoice": None}
    else:
        where = _where(values or {})
    kind_id = as_int((values or {}).get("service_kind_id")) if values is not None \
        else (item.service_kind_id if item is not None else None)
    kind = next((k for k in kinds if k.id == kind_id), None)
    card = where["card"]
    contracts = app.contracts.of_counterparty(actor(), card.id) if card is not None else []
    if item is not None:
        back = url_for("ui_sales.request_page", request_id=item.id)
    elif card is not None:
        back = url_for("ui_sales.card_requests", counterparty_id=card.id)
    else:
        back = url_for("ui_sales.my_requests")
    return {
        "item": item, "names": names, **where,
        "kind_options": [(k.id, k.name) for k in kinds if k.active
                         or (item is not None and k.id == item.service_kind_id)],
        "kind": kind, "defs": kind.conditions if kind else (),
        "contract_options": [(c.id, c.title) for c in contracts],
        "employee_options": _employee_options(),
        "back": _back(back),
    }


def _request_data(form: dict[str, str], defs, creating: bool) -> dict[str, Any]:
    fields = (*REQUEST_FIELDS, *REQUEST_WHERE) if creating else (*REQUEST_FIELDS, "version")
    data: dict[str, Any] = {k: form[k] for k in fields if k in form}
    data["conditions"] = _prefixed(form, "conditions", (d.code for d in defs))
    return data


def _may_create_request(where: dict) -> None:
    parent = where["contract"] or where["card"]
    if parent is not None and not allowed(Action.CREATE, parent.ref, REQUEST):
        raise Forbidden(f"you may not create {REQUEST} here")


@bp.get("/requests/new")
@login_required
def new_request():
    values = {k: request.args.get(k, "") for k in REQUEST_WHERE if as_int(request.args.get(k))}
    values["assignee_id"] = str(actor())
    context = _request_form_context(values)
    _may_create_request(context)
    if context["contract"] is not None:
        values["contract_id"] = str(context["contract"].id)
    elif context["invoice"] is not None and context["invoice"].contract_id:
        values["contract_id"] = str(context["invoice"].contract_id)
    return render_template("sales/request_form.html", errors={}, values=values, **context)


@bp.post("/requests/new")
@login_required
def create_request():
    form = form_data()
    context = _request_form_context(form)
    data = _request_data(form, context["defs"], creating=True)
    return handle_form(
        lambda: core().requests.create(actor(), data),
        success=lambda r: redirect_to(url_for("ui_sales.request_page", request_id=r.id)),
        template="sales/request_form.html", context=lambda: context,
        message=_("The request is registered."),
    )


@bp.post("/requests/new/refill")
@login_required
def refill_request():
    """The form again with the condition fields of the service kind now chosen."""
    form = form_data()
    context = _request_form_context(form)
    _may_create_request(context)
    return render_template("sales/request_form.html", errors={}, values=form, **context)


def _request_context(request_id: int, **extra) -> dict:
    """A request's page: its data, state, the changes of state offered (REQ-4), its
    history and documents."""
    app = core()
    item = app.requests.get(actor(), request_id)
    state_set, options = app.requests.options(actor(), request_id)
    try:
        entries = app.history.of(actor(), item.ref)
    except Forbidden:
        entries = []
    ref = item.ref
    try:
        kind = app.products.service_kind(actor(), item.service_kind_id) \
            if item.service_kind_id else None
    except NotFound:
        kind = None
    if item.counterparty_id:
        back = url_for("ui_sales.card_requests", counterparty_id=item.counterparty_id)
    else:
        back = url_for("ui_sales.my_requests")
    context = {
        "item": item, "kind": kind, "state_set": state_set, "options": options,
        "entries": entries,
        "names": SalesNames(REQUEST),
        "documents": app.documents.of_owner(actor(), REQUEST, item.id),
        "may_edit": allowed(Action.EDIT, ref),
        "may_upload": allowed(Action.CREATE, ref, DOCUMENT),
        "may_remove": allowed(Action.DELETE, ref, DOCUMENT),
        "here": url_for("ui_sales.request_page", request_id=item.id), "back": back,
        "moving": None, "doc_errors": {}, "doc_values": None,
    }
    context.update(extra)
    return context


@bp.get("/requests/<int:request_id>")
@login_required
def request_page(request_id: int):
    return render_template("sales/request.html", errors={}, values=None,
                           **_request_context(request_id))


@bp.post("/requests/<int:request_id>/move")
@login_required
def move_request(request_id: int):
    form = form_data()
    return handle_form(
        lambda: core().requests.move(actor(), request_id, form.get("to_state", ""),
                                     form.get("reason", ""), form.get("version")),
        success=lambda r: redirect_to(url_for("ui_sales.request_page", request_id=r.id)),
        template="sales/request.html",
        context=lambda: _request_context(request_id, moving=form.get("to_state")),
        message=_("The state is changed."),
    )


def _request_values(item) -> dict[str, str]:
    return {"subject": item.subject, "service_kind_id": text_of(item.service_kind_id),
            "assignee_id": str(item.assignee_id),
            "due_on": item.due_on.isoformat() if item.due_on else "",
            "description": item.description, "contract_id": text_of(item.contract_id),
            "version": str(item.version), **_flat("conditions", item.conditions)}


@bp.get("/requests/<int:request_id>/edit")
@login_required
def edit_request(request_id: int):
    item = editable(core().requests.get(actor(), request_id))
    values = _request_values(item)
    return render_template("sales/request_form.html", errors={}, values=values,
                           **_request_form_context(values, item))


@bp.post("/requests/<int:request_id>/edit")
@login_required
def update_request(request_id: int):
    form = form_data()
    item = core().requests.get(actor(), request_id)
    context = _request_form_context(form, item)
    data = _request_data(form, context["defs"], creating=False)
    if not item.counterparty_id:
        data.pop("contract_id", None)
    return handle_form(
        lambda: core().requests.update(actor(), request_id, data),
        success=lambda r: redirect_to(url_for("ui_sales.request_page", request_id=r.id)),
        template="sales/request_form.html", context=lambda: context,
        message=_("The request is saved."),
    )


@bp.post("/requests/<int:request_id>/edit/refill")
@login_required
def refill_request_edit(request_id: int):
    item = editable(core().requests.get(actor(), request_id))
    form = form_data()
    return render_template("sales/request_form.html", errors={}, values=form,
                           **_request_form_context(form, item))


@bp.get("/requests/mine")
@login_required
def my_requests():
    """«Мои заявки»: the requests assigned to the signed-in employee (open ones only by
    default)."""
    chosen = request.args.getlist("open")  # a hidden "0" before the box's "1"
    open_only = (chosen[-1] if chosen else "1") != "0"
    listing = core().requests.assigned_to(actor(), None, page_arg(), open_only=open_only)
    return render_template("sales/my_requests.html", listing=listing, open_only=open_only,
                           pages=page_count(listing.total), names=SalesNames(REQUEST))


# -- invoices (INV-1…INV-4) ------------------------------------------------------------------


#: The one section of an invoice's lines: its cells are named ``lines-<row>-<field>``.
LINES = "lines"


def line_rows(values: dict | None, prefix: str, blank: int, add: int = 0) -> list[int]:
    """The rows of a lines table (cells named ``<prefix>-<row>-<field>``) a form shows:
    those posted (or the document's), then ``blank`` blank ones when there are none, and
    ``add`` more (shared by the invoice form and the order form's sections)."""
    used = sorted({int(m[2]) for key in (values or {})
                   if (m := LINE_CELL_RE.match(key)) and m[1] == prefix})[:MAX_ROWS]
    count = (blank if not used else 0) + add
    start = used[-1] + 1 if used else 0
    return used + list(range(start, min(start + count, MAX_ROWS)))


def posted_lines(form: dict[str, str], prefixes: Iterable[str], tag: str | None = None
                 ) -> tuple[list[dict[str, str]], list[tuple[str, int]]]:
    """The filled rows of the tables ``prefixes`` as the core's line dicts (only the cells
    given: a line naming an item takes the rest from it; with ``tag``, the table's prefix
    under that key, as an order's ``part``), and the (prefix, row) each came from."""
    lines, rows = [], []
    for prefix in prefixes:
        for row in line_rows(form, prefix, 0):
            entry = {f: form.get(f"{prefix}-{row}-{f}", "").strip() for f in LINE_FIELDS}
            if not any(entry[k] for k in LINE_KEYS):
                continue
            lines.append({**({tag: prefix} if tag else {}),
                          **{k: v for k, v in entry.items() if v}})
            rows.append((prefix, row))
    return lines, rows


def row_errors(errors: dict[str, str], rows: list[tuple[str, int]]) -> dict[str, str]:
    """The core names a bad cell ``lines[2].price`` by its place among the lines sent;
    the form names it by its table and row (a bad line as a whole: its name's cell)."""
    out = {}
    for key, message in errors.items():
        found = ERROR_LINE_RE.match(key)
        if found and int(found[1]) < len(rows):
            prefix, row = rows[int(found[1])]
            field = found[2] if found[2] in LINE_FIELDS else "name"
            key = f"{prefix}-{row}-{field}"
        out[key] = message
    return out


def by_rows(call, rows: list[tuple[str, int]]):
    """``call`` with the core's messages about lines renamed to the form's cells."""
    def run():
        try:
            return call()
        except ValidationFailed as exc:
            raise ValidationFailed(row_errors(exc.errors, rows)) from exc

    return run


def line_values(prefix: str, row: int, line: Any) -> dict[str, str]:
    """A stored line as the form's cells of row ``row`` of the table ``prefix``."""
    return {
        f"{prefix}-{row}-item_id": text_of(line.item_id), f"{prefix}-{row}-name": line.name,
        f"{prefix}-{row}-quantity": f"{line.quantity.normalize():f}",
        f"{prefix}-{row}-unit": line.unit, f"{prefix}-{row}-price": str(line.price.amount),
        f"{prefix}-{row}-discount": str(line.discount.amount) if line.discount else "",
        f"{prefix}-{row}-vat_rate": line.vat_rate}


def _invoice_data(form: dict[str, str], fields: tuple[str, ...]) -> tuple[dict, list]:
    data: dict[str, Any] = {k: form[k] for k in fields if k in form}
    if data.get("vat_included", "") == "":
        data.pop("vat_included", None)  # as the price type says
    if data.get("manager_id", "") == "":
        data.pop("manager_id", None)
    rows: list[tuple[str, int]] = []
    if any(LINE_RE.match(k) for k in form):
        data["lines"], rows = posted_lines(form, (LINES,))
    return data, rows


def _invoice_form_context(counterparty_id: int, values: dict | None, invoice=None,
                          add_rows: int = 0) -> dict:
    app = core()
    card = app.counterparties.get(actor(), counterparty_id)
    products = app.products
    price_types = products.price_types(actor())
    draft = True
    if invoice is not None:
        state_set, _options = app.invoices.options(actor(), invoice.id)
        draft = invoice.state == state_set.initial.code
    rows = line_rows(values, LINES, BLANK_ROWS, add_rows) if draft else []
    if invoice is not None:
        back = url_for("ui_sales.invoice", invoice_id=invoice.id)
    else:
        back = url_for("ui_sales.card_invoices", counterparty_id=card.id)
    return {
        "card": card, "invoice": invoice, "draft": draft, "names": SalesNames(INVOICE),
        "rows": rows,
        "line_keys": [f"lines-{r}-{f}" for r in rows for f in LINE_FIELDS],
        "contract_options": [(c.id, c.title) for c in
                             app.contracts.of_counterparty(actor(), card.id)],
        "contact_options": [(c.id, c.full_name) for c in
                            app.counterparties.contacts(actor(), card.id)],
        "employee_options": _employee_options(),
        "price_type_options": [(t.id, t.name) for t in price_types],
        "default_price_type": getattr(products.price_type_of(actor(), counterparty_id), "id", None),
        "vat_options": [(r.code, vat_label(r.code)) for r in VAT_RATES],
        "units": products.units(),
        "back": _back(back),
    }


@bp.get("/counterparties/<int:counterparty_id>/invoices/new")
@login_required
def new_invoice(counterparty_id: int):
    if not allowed(Action.CREATE, _client_ref(counterparty_id), INVOICE):
        raise Forbidden(f"you may not create {INVOICE} here")
    values = {"issued_on": today_iso(), "manager_id": str(actor())}
    if as_int(request.args.get("contract_id")):
        values["contract_id"] = request.args["contract_id"]
    if as_int(request.args.get("deal_id")):  # «Выставить счёт» on a deal (DEAL-2)
        values["deal_id"] = request.args["deal_id"]
    context = _invoice_form_context(counterparty_id, None)
    if context["default_price_type"]:
        values["price_type_id"] = str(context["default_price_type"])
    return render_template("sales/invoice_form.html", errors={}, values=values, **context)


@bp.post("/counterparties/<int:counterparty_id>/invoices/new")
@login_required
def create_invoice(counterparty_id: int):
    form = form_data()
    data, rows = _invoice_data(form, INVOICE_FIELDS)
    data["counterparty_id"] = str(counterparty_id)
    if form.get("deal_id"):  # the deal the invoice is issued for (DEAL-2)
        data["deal_id"] = form["deal_id"]
    return handle_form(
        by_rows(lambda: core().invoices.create(actor(), data), rows),
        success=lambda i: redirect_to(url_for("ui_sales.invoice", invoice_id=i.id)),
        template="sales/invoice_form.html",
        context=lambda: _invoice_form_context(counterparty_id, form),
        message=_("The invoice is made."),
    )


@bp.post("/counterparties/<int:counterparty_id>/invoices/new/refill")
@login_required
def refill_invoice(counterparty_id: int):
    """The form again with more blank rows (the lines without JavaScript)."""
    if not allowed(Action.CREATE, _client_ref(counterparty_id), INVOICE):
        raise Forbidden(f"you may not create {INVOICE} here")
    form = form_data()
    return render_template("sales/invoice_form.html", errors={}, values=form,
                           **_invoice_form_context(counterparty_id, form, add_rows=MORE_ROWS))


def _invoice_values(item) -> dict[str, str]:
    values = {"issued_on": item.issued_on.isoformat(), "contract_id": text_of(item.contract_id),
              "price_type_id": text_of(item.price_type_id),
              "vat_included": "1" if item.vat_included else "0",
              "contact_id": text_of(item.contact_id),
              # a person named in text (not one of the client's contacts)
              "contact_name": item.contact_name if item.contact_id is None else "",
              "due_on": item.due_on.isoformat() if item.due_on else "", "note": item.note,
              "version": str(item.version)}
    for row, line in enumerate(item.lines):
        values.update(line_values(LINES, row, line))
    return values


@bp.get("/invoices/<int:invoice_id>/edit")
@login_required
def edit_invoice(invoice_id: int):
    item = editable(core().invoices.get(actor(), invoice_id))
    values = _invoice_values(item)
    values["manager_id"] = text_of(core().invoices.manager_of(actor(), item.id))
    context = _invoice_form_context(item.counterparty_id, values, item,
                                    add_rows=2 if item.lines else 0)
    return render_template("sales/invoice_form.html", errors={}, values=values, **context)


@bp.post("/invoices/<int:invoice_id>/edit")
@login_required
def update_invoice(invoice_id: int):
    form = form_data()
    item = core().invoices.get(actor(), invoice_id)
    fields = INVOICE_FIELDS if any(LINE_RE.match(k) for k in form) else INVOICE_OPEN_FIELDS
    data, rows = _invoice_data(form, (*fields, "version"))
    return handle_form(
        by_rows(lambda: core().invoices.update(actor(), invoice_id, data), rows),
        success=lambda i: redirect_to(url_for("ui_sales.invoice", invoice_id=i.id)),
        template="sales/invoice_form.html",
        context=lambda: _invoice_form_context(item.counterparty_id, form, item),
        message=_("The invoice is saved."),
    )


@bp.post("/invoices/<int:invoice_id>/edit/refill")
@login_required
def refill_invoice_edit(invoice_id: int):
    item = editable(core().invoices.get(actor(), invoice_id))
    form = form_data()
    return render_template("sales/invoice_form.html", errors={}, values=form,
                           **_invoice_form_context(item.counterparty_id, form, item,
                                                   add_rows=MORE_ROWS))


def _invoice_context(invoice_id: int, **extra) -> dict:
    """An invoice's page: lines and totals, state and its changes (INV-2), payments and
    acts (CON-4), requests by it, documents."""
    app = core()
    item = app.invoices.get(actor(), invoice_id)
    state_set, options = app.invoices.options(actor(), invoice_id)
    ref = item.ref
    client = _client_ref(item.counterparty_id)
    state = state_set.state(item.state)
    context = {
        "invoice": item, "totals": item.totals(), "state_set": state_set, "options": options,
        "draft": item.state == state_set.initial.code,
        "closed": bool(state is not None and state.final),
        "payments": app.invoices.payments(actor(), item.id),
        "acts": [a for a in app.invoices.acts(actor(), item.counterparty_id)
                 if a.invoice_id == item.id],
        "requests": app.requests.of_invoice(actor(), item.id).rows,
        "documents": app.documents.of_owner(actor(), INVOICE, item.id),
        "manager_id": app.invoices.manager_of(actor(), item.id),
        "names": SalesNames(INVOICE),
        "may_edit": allowed(Action.EDIT, ref), "may_delete": allowed(Action.DELETE, ref),
        "may_pay": allowed(Action.CREATE, ref, PAYMENT),
        "may_unpay": allowed(Action.DELETE, ref, PAYMENT),
        "may_upload": allowed(Action.CREATE, ref, DOCUMENT),
        "may_remove": allowed(Action.DELETE, ref, DOCUMENT),
        "may_act": allowed(Action.CREATE, client, ACT),
        "may_request": allowed(Action.CREATE, client, REQUEST),
        "here": url_for("ui_sales.invoice", invoice_id=item.id),
        "back": url_for("ui_sales.card_invoices", counterparty_id=item.counterparty_id),
        "moving": None, "paying": False, "acting": False, "doc_errors": {},
        "doc_values": None, "today": today_iso(),
    }
    context.update(extra)
    return context


@bp.get("/invoices/<int:invoice_id>")
@login_required
def invoice(invoice_id: int):
    return render_template("sales/invoice.html", errors={}, values=None,
                           **_invoice_context(invoice_id))


@bp.post("/invoices/<int:invoice_id>/move")
@login_required
def move_invoice(invoice_id: int):
    form = form_data()
    return handle_form(
        lambda: core().invoices.move(actor(), invoice_id, form.get("to_state", ""),
                                     form.get("reason", ""), form.get("version")),
        success=lambda i: redirect_to(url_for("ui_sales.invoice", invoice_id=i.id)),
        template="sales/invoice.html",
        context=lambda: _invoice_context(invoice_id, moving=form.get("to_state")),
        message=_("The state is changed."),
    )


@bp.post("/invoices/<int:invoice_id>/delete")
@login_required
def delete_invoice(invoice_id: int):
    form = form_data()
    target = safe_next(form.get("next")) or url_for("ui_clients.home")
    return handle_form(
        lambda: core().invoices.delete(actor(), invoice_id, form.get("version")),
        success=lambda _r: redirect_to(target),
        template="sales/invoice.html", context=lambda: _invoice_context(invoice_id),
        message=_("The invoice is deleted."),
    )


@bp.post("/invoices/<int:invoice_id>/payments")
@login_required
def register_payment(invoice_id: int):
    """A payment received against the invoice (partial or whole, CON-4)."""
    form = form_data()
    data = {k: form[k] for k in PAYMENT_FIELDS if k in form}
    return handle_form(
        lambda: core().invoices.register_payment(actor(), invoice_id, data),
        success=lambda _p: redirect_to(url_for("ui_sales.invoice", invoice_id=invoice_id)),
        template="sales/invoice.html",
        context=lambda: _invoice_context(invoice_id, paying=True),
        message=_("The payment is registered."),
    )


@bp.post("/invoices/<int:invoice_id>/payments/<int:payment_id>/delete")
@login_required
def delete_payment(invoice_id: int, payment_id: int):
    form = form_data()
    return handle_form(
        lambda: core().invoices.delete_payment(actor(), payment_id, form.get("version")),
        success=lambda _r: redirect_to(url_for("ui_sales.invoice", invoice_id=invoice_id)),
        template="sales/invoice.html", context=lambda: _invoice_context(invoice_id),
        message=_("The payment is deleted."),
    )


@bp.post("/invoices/<int:invoice_id>/acts")
@login_required
def invoice_act(invoice_id: int):
    """An act of completed work for the invoice (its total unless an amount is given)."""
    form = form_data()
    data = {k: form[k] for k in ACT_FIELDS if k in form}
    data["invoice_id"] = str(invoice_id)
    return handle_form(
        lambda: core().invoices.register_act(actor(), form.get("counterparty_id", ""), data),
        success=lambda _a: redirect_to(url_for("ui_sales.invoice", invoice_id=invoice_id)),
        template="sales/invoice.html",
        context=lambda: _invoice_context(invoice_id, acting=True),
        message=_("The act is registered."),
    )


@bp.get("/invoices/<int:invoice_id>/print")
@login_required
def print_invoice(invoice_id: int):
    """«Счёт на оплату» (INV-1): a page to print or save as PDF. The document is Russian
    whatever the interface's language; only its toolbar follows the user's."""
    found = core().invoices.printable(actor(), invoice_id)
    toolbar = {"print": _("Print / PDF"), "back": _("Back to the invoice"),
               "back_url": url_for("ui_sales.invoice", invoice_id=invoice_id)}
    with force_locale("ru"):
        return render_template(
            "sales/print.html", p=found, invoice=found.invoice, totals=found.totals,
            company=found.company, client=found.invoice.requisites, toolbar=toolbar,
            words=amount_in_words(found.totals.total),
            issued=format_date(found.invoice.issued_on, "d MMMM y"),
            lines=list(zip(found.invoice.lines, found.totals.lines, strict=True)),
            discounts=any(line.discount for line in found.invoice.lines))


# -- JSON for the invoice form: items by name, the price on a day (PRD-2, PRD-3) ----------


@bp.get("/sales/items")
@login_required
def items_json():
    """Active items whose name contains ``q`` (the line's item picker)."""
    query = request.args.get("q", "").strip()
    if len(query) < 2:
        return jsonify({"results": []})
    rows, _total = core().products.items(actor(), text=query)
    return jsonify({"results": [
        {"id": i.id, "name": i.name, "unit": i.unit, "vat_rate": i.vat_rate,
         "article": i.article} for i in rows]})


@bp.get("/sales/price")
@login_required
def price_json():
    """The item's price of a price type in force on a day (``ProductService.price_on``);
    404 with a message when there is none."""
    args = request.args
    try:
        price = core().products.price_on(actor(), args.get("item_id", ""),
                                         args.get("price_type_id", ""), args.get("day", ""))
    except ValidationFailed as exc:
        return jsonify({"price": None, "errors": texts.field_errors(exc.errors)}), 422
    except NotFound:
        return jsonify({"price": None,
                        "message": _("No price for this item on this day: enter one.")}), 404
    return jsonify({"price": str(price.amount.amount), "display": fmt_money(price.amount),
                    "valid_from": price.valid_from.isoformat()})


# -- documents (DOC-1) -----------------------------------------------------------------------


def _owner_page(kind: str, owner_id: int, **extra):
    """The page a document form was posted from, again (with the form's messages)."""
    if kind == COUNTERPARTY:
        return render_template("clients/card.html", errors={}, values=None,
                               **_documents_tab(owner_id, **extra))
    if kind == CONTRACT:
        return render_template("sales/contract.html", errors={}, values=None,
                               **_contract_context(owner_id, **extra))
    if kind == INVOICE:
        return render_template("sales/invoice.html", errors={}, values=None,
                               **_invoice_context(owner_id, **extra))
    return render_template("sales/request.html", errors={}, values=None,
                           **_request_context(owner_id, **extra))


def _owner_url(kind: str, owner_id: int) -> str:
    return {
        COUNTERPARTY: lambda: url_for("ui_sales.card_documents", counterparty_id=owner_id),
        CONTRACT: lambda: url_for("ui_sales.contract", contract_id=owner_id),
        INVOICE: lambda: url_for("ui_sales.invoice", invoice_id=owner_id),
        REQUEST: lambda: url_for("ui_sales.request_page", request_id=owner_id),
    }[kind]()


@bp.post("/documents")
@login_required
def upload_document():
    form = form_data()
    kind, owner_id = form.get("owner_kind", ""), as_int(form.get("owner_id"))
    upload = request.files.get("file")
    # one byte past the core's limit is enough for it to say the file is too large
    data = upload.read(MAX_SIZE + 1) if upload is not None else b""
    filename = (upload.filename or "") if upload is not None else ""
    if kind not in texts.DOCUMENT_OWNERS or owner_id is None:
        raise ValidationFailed({"owner_kind": "required"})
    try:
        core().documents.upload(actor(), kind, owner_id, filename, data, form.get("note", ""))
    except ValidationFailed as exc:
        return _owner_page(kind, owner_id, doc_errors=texts.field_errors(exc.errors),
                           doc_values=form), 422
    flash(_("The document is uploaded."), "success")
    return redirect_to(safe_next(form.get("next")) or _owner_url(kind, owner_id))


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the real one per RFC 5987."""
    fallback = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_"
                       for c in filename) or "document"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@bp.get("/documents/<int:document_id>")
@login_required
def download_document(document_id: int):
    """The file, for those who may see its owner (403 for others)."""
    found = core().documents.download(actor(), document_id)
    response = Response(found.data, content_type=found.document.content_type)
    response.headers["Content-Disposition"] = content_disposition(found.document.download_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response


@bp.post("/documents/<int:document_id>/delete")
@login_required
def delete_document(document_id: int):
    form = form_data()
    target = safe_next(form.get("next")) or url_for("ui_clients.home")
    try:
        core().documents.remove(actor(), document_id, form.get("version"))
    except Conflict as exc:
        flash(texts.core_text(exc.message), "error")
    else:
        flash(_("The document is deleted."), "success")
    return redirect_to(target)
