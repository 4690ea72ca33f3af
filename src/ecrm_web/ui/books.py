"""Reference books of sales (issue 5) in the administrator's section:

- the nomenclature (PRD-3): the group tree (add, rename, move, delete a group), a group's
  items with paging and a name filter, the item form, the item's page with its prices per
  price type and the forms to add a price change or delete a price; CSV/XLSX export of
  the items with their prices in force today;
- service kinds (PRD-1, REQ-2): billed item, template lines (item and quantity), the
  fields of a request's conditions and of the card, the card's values;
- price types and client types (PRD-2);
- contract types (CON-1): attribute set and number pattern (with an example number);
- state sets (REQ-4, INV-2): states and transitions as a form of rows, or the set's JSON
  (the advanced mode, which also edits on-enter actions and guards);
- the company's requisites printed on invoices.

Everyone signed in reads the books (the services let them); the forms are shown to those
the policy lets edit (administrators; prices also Sales management), and the services
refuse everybody else (403, nothing changes). Every form answers through ``handle_form``:
per-field messages (422, values kept), a stale ``version`` gives the conflict notice (409).

Lists of rows (template lines, attribute definitions, states, transitions) are posted as
``<prefix>-<n>-<field>`` inputs; a blank row is skipped and a row ticked «remove» is left
out, and each row remembers its place in the list sent to the core (``at``) so that the
core's messages (``conditions[2].code``) land on the right row.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date, format_decimal, get_timezone
from flask_babel import gettext as _
from flask_login import login_required

from ecrm_core.access.model import Action, Role
from ecrm_core.attributes import AttributeType, dump_defs
from ecrm_core.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    ValidationFailed,
)
from ecrm_core.money import VAT_RATES, Money, rates_on, vat_rate
from ecrm_core.org.services import COMPANY_REQUISITES
from ecrm_core.products.model import ItemKind, price_on
from ecrm_core.products.services import PAGE
from ecrm_core.sales.model import DEFAULT_PATTERN, format_number
from ecrm_core.workflow.definition import dump_definition
from ecrm_web.ui import texts
from ecrm_web.ui.common import (
    actor,
    as_int,
    core,
    form_data,
    handle_form,
    navigation,
    redirect_to,
)

bp = Blueprint("ui_books", __name__, url_prefix="/admin")

#: Blank rows a list editor offers (enough without JavaScript).
BLANK_ROWS = 3
#: An export takes at most this many pages of items.
EXPORT_PAGES = 500
EXPORT_FORMATS = ("csv", "xlsx")
ROW_RE = re.compile(r"^(?P<prefix>[a-z_]+)-(?P<n>\d{1,3})-(?P<field>[a-z_]+)$")


# -- what the pages share ------------------------------------------------------------------


def _today() -> date:
    return datetime.now(get_timezone()).date()


def fmt_money(value: object) -> str:
    """«1 234,56» (ru) / «1,234.56» (en); empty for None."""
    if isinstance(value, Money):
        value = value.amount
    if value is None:
        return ""
    return format_decimal(value, format="#,##0.00")


def fmt_day(value: object) -> str:
    return format_date(value, "short") if isinstance(value, date) else "—"


def vat_label(code: object) -> str:
    rate = vat_rate(str(code)) if code not in (None, "") else None
    if rate is None:
        return "" if code in (None, "") else str(code)
    return _("without VAT") if rate.percent is None else f"{rate.percent}%"


def _allowed(check: Callable[[], None]) -> bool:
    try:
        check()
    except Forbidden:
        return False
    return True


def _rights() -> dict[str, bool]:
    """What the page offers the user (the services decide again on every change)."""
    app = core()
    try:
        policy = app.access.policy(actor())
    except DomainError:
        return {"may_edit": False, "may_price": False, "may_company": False}
    may_edit = _allowed(policy.require_administrator)
    company = app.org.company() if may_edit else None
    return {"may_edit": may_edit, "may_price": _allowed(policy.require_price_manager),
            "may_company": company is not None and app.access.allowed(
                actor(), Action.EDIT, company.ref)}


@bp.context_processor
def _book_helpers() -> dict:
    return {"money": fmt_money, "day": fmt_day, "vat_label": vat_label}


def _require_books() -> None:
    if not navigation().get("administrator"):
        raise Forbidden("only the Director or an Administrator edits reference books")


def _base(section: str) -> dict:
    return {"section": "books", "book": section, **_rights()}


def _rows(prefix: str) -> list[dict[str, Any]]:
    """The posted rows ``<prefix>-<n>-<field>`` in the order of ``n`` (multi-valued
    fields, such as a select of roles, as lists under ``<field>[]``)."""
    rows: dict[int, dict[str, Any]] = {}
    for key in request.form:
        found = ROW_RE.match(key)
        if not found or found["prefix"] != prefix:
            continue
        values = request.form.getlist(key)
        row = rows.setdefault(int(found["n"]), {"n": int(found["n"])})
        row[found["field"]] = values[-1]
        row[found["field"] + "[]"] = values
    return [rows[n] for n in sorted(rows)]


def _flag(row: dict[str, Any], name: str) -> bool:
    return str(row.get(name, "")).lower() in ("1", "on", "true", "yes")


def _kept(rows: list[dict[str, Any]], filled: Callable[[dict[str, Any]], bool],
          convert: Callable[[dict[str, Any]], dict[str, Any]]) -> tuple[list, list]:
    """(what to send to the core, the rows to show again with their place ``at``)."""
    sent: list[dict[str, Any]] = []
    shown: list[dict[str, Any]] = []
    for row in rows:
        if not filled(row):
            continue
        if _flag(row, "remove"):
            shown.append({**row, "at": None})
            continue
        shown.append({**row, "at": len(sent)})
        sent.append(convert(row))
    return sent, shown


def _with_blanks(rows: list[dict[str, Any]], blank: dict[str, Any],
                 count: int = BLANK_ROWS) -> list[dict[str, Any]]:
    return rows + [{**blank, "at": None, "new": True} for _n in range(count)]


# -- attribute sets (service kinds' conditions and card, contract types) -------------------

BLANK_ATTRIBUTE = {"code": "", "label": "", "type": "text", "required": False, "choices": ""}


def _attribute_rows(defs) -> list[dict[str, Any]]:
    return [{"code": d["code"], "label": d["label"], "type": d["type"],
             "required": d["required"], "choices": ", ".join(d["choices"]), "at": i}
            for i, d in enumerate(dump_defs(defs))]


def _posted_attributes(prefix: str) -> tuple[list, list]:
    return _kept(
        _rows(prefix),
        lambda r: any(str(r.get(k, "")).strip() for k in ("code", "label", "choices")),
        lambda r: {"code": r.get("code", "").strip(), "label": r.get("label", ""),
                   "type": r.get("type", "text"), "required": _flag(r, "required"),
                   "choices": r.get("choices", "")})


def _attribute_options() -> list[tuple[str, str]]:
    return [(t.value, texts.label(texts.ATTRIBUTE_TYPES, t)) for t in AttributeType]


# -- the nomenclature (PRD-3) --------------------------------------------------------------


def _group_options(tree) -> list[tuple[int, str]]:
    return [(g.id, "\u2003" * depth + ("└ " if depth else "") + g.name) for depth, g in tree]


def _groups() -> dict:
    tree = core().products.groups(actor())
    return {"tree": tree, "group_names": {g.id: g.name for _d, g in tree},
            "group_options": _group_options(tree)}


def _path(group_id: int | None, tree) -> list:
    """The group and its ancestors, the top first (the crumbs above a list)."""
    by_id = {g.id: g for _d, g in tree}
    out = []
    seen: set[int] = set()
    while group_id in by_id and group_id not in seen:
        seen.add(group_id)
        out.append(by_id[group_id])
        group_id = by_id[group_id].parent_id
    return list(reversed(out))


def _current_prices(items, day: date) -> dict[int, dict[int, Money]]:
    """Each item's price per price type in force on ``day`` (one service call a page)."""
    found = core().products.prices_in_force(actor(), [i.id for i in items], day)
    return {item: {kind: p.amount for kind, p in by_type.items()}
            for item, by_type in found.items()}


def _items_context(group_id: int | None = None, strict: bool = True) -> dict:
    """The list of a group's items (``group_id``, else the ``group_id`` argument); an
    unknown group is a 404, or — ``strict`` False, a form named it — the whole list."""
    args = request.args
    if group_id is None:
        group_id = as_int(args.get("group_id"))
    text = args.get("q", "")
    page = as_int(args.get("page")) or 1
    inactive = args.get("inactive") == "1"
    products = core().products
    groups = _groups()
    if group_id is not None and group_id not in groups["group_names"]:
        if strict:
            abort(404)
        group_id = None
    rows, total = products.items(actor(), group_id, text, page, include_inactive=inactive)
    day = _today()
    price_types = products.price_types(actor())
    group = next((g for _d, g in groups["tree"] if g.id == group_id), None)

    def list_url(endpoint: str = "ui_books.items", **changes: Any) -> str:
        """This list (its group, filter, page) with some arguments changed."""
        args = {"group_id": group_id, "q": text or None, "inactive": "1" if inactive else None,
                "page": page if page > 1 else None, **changes}
        return url_for(endpoint, **{k: v for k, v in args.items() if v is not None})

    return {
        **_base("items"), **groups, "group": group, "crumbs": _path(group_id, groups["tree"]),
        "items": rows, "total": total, "page": page, "pages": max(1, -(-total // PAGE)),
        "q": text, "inactive": inactive, "price_types": price_types, "today": day,
        "prices": _current_prices(rows, day),
        "list_url": list_url, "page_url": lambda number: list_url(page=number),
    }


@bp.get("/books")
@login_required
def index():
    return redirect_to(url_for("ui_books.items"))


@bp.get("/items")
@login_required
def items():
    return render_template("books/items.html", errors={}, values=None, **_items_context())


@bp.get("/items/lookup")
@login_required
def item_lookup():
    """Active items whose name holds ``q``, as JSON, for the item pickers."""
    rows, _total = core().products.items(actor(), text=request.args.get("q", ""))
    return jsonify({"results": [{"id": i.id, "name": i.name, "inn": i.article} for i in rows],
                    "message": "" if rows else _("Nothing found.")})


def _after_group(group_id: int | None):
    return redirect_to(url_for("ui_books.items", group_id=group_id) if group_id
                       else url_for("ui_books.items"))


@bp.post("/item-groups")
@login_required
def create_group():
    data = {k: v for k, v in form_data().items() if k in ("name", "parent_id")}
    return handle_form(
        lambda: core().products.save_group(actor(), data),
        success=lambda g: _after_group(g.id),
        template="books/items.html",
        context=lambda: _items_context(as_int(data.get("parent_id")), strict=False),
        message=_("The group is created."),
    )


@bp.post("/item-groups/<int:group_id>/edit")
@login_required
def update_group(group_id: int):
    data = {k: v for k, v in form_data().items() if k in ("name", "parent_id", "version")}
    return handle_form(
        lambda: core().products.save_group(actor(), data, group_id),
        success=lambda g: _after_group(g.id),
        template="books/items.html",
        context=lambda: _items_context(group_id),
        message=_("The group is saved."),
    )


@bp.post("/item-groups/<int:group_id>/delete")
@login_required
def delete_group(group_id: int):
    tree = core().products.groups(actor())
    parent = next((g.parent_id for _d, g in tree if g.id == group_id), None)
    try:
        core().products.delete_group(actor(), group_id)
    except Conflict as exc:
        flash(texts.core_text(exc.message), "error")
        return _after_group(group_id)
    flash(_("The group is deleted."), "success")
    return _after_group(parent)


ITEM_FIELDS = ("name", "item_kind", "group_id", "unit", "vat_rate", "article", "description",
               "active")


def _item_form_context(item=None) -> dict:
    day = _today()
    rates = [(r.code, vat_label(r.code)) for r in rates_on(day)]
    current = item.vat_rate if item is not None else None
    if current and current not in {code for code, _label in rates}:
        rates.append((current, vat_label(current)))
    return {
        **_base("items"), **_groups(), "obj": item,
        "kind_options": [(k.value, texts.label(texts.ITEM_KINDS, k)) for k in ItemKind],
        "vat_options": rates, "units": core().products.units(),
    }


def _item_values(item) -> dict[str, str]:
    return {"name": item.name, "item_kind": item.item_kind.value,
            "group_id": "" if item.group_id is None else str(item.group_id),
            "unit": item.unit, "vat_rate": item.vat_rate, "article": item.article,
            "description": item.description, "active": "1" if item.active else "0",
            "version": str(item.version)}


@bp.get("/items/new")
@login_required
def new_item():
    _require_books()
    values = {"item_kind": ItemKind.GOODS.value, "unit": "шт", "vat_rate": VAT_RATES[0].code,
              "active": "1", "group_id": request.args.get("group_id", "")}
    return render_template("books/item_form.html", errors={}, values=values,
                           **_item_form_context())


@bp.post("/items/new")
@login_required
def create_item():
    data = {k: v for k, v in form_data().items() if k in ITEM_FIELDS}
    return handle_form(
        lambda: core().products.save_item(actor(), data),
        success=lambda i: redirect_to(url_for("ui_books.item", item_id=i.id)),
        template="books/item_form.html",
        context=_item_form_context,
        message=_("The item is created."),
    )


@bp.get("/items/<int:item_id>/edit")
@login_required
def edit_item(item_id: int):
    _require_books()
    item = core().products.item(actor(), item_id)
    return render_template("books/item_form.html", errors={}, values=_item_values(item),
                           **_item_form_context(item))


@bp.post("/items/<int:item_id>/edit")
@login_required
def update_item(item_id: int):
    data = {k: v for k, v in form_data().items() if k in (*ITEM_FIELDS, "version")}
    return handle_form(
        lambda: core().products.save_item(actor(), data, item_id),
        success=lambda i: redirect_to(url_for("ui_books.item", item_id=i.id)),
        template="books/item_form.html",
        context=lambda: _item_form_context(core().products.item(actor(), item_id)),
        message=_("The item is saved."),
    )


def _item_context(item_id: int) -> dict:
    products = core().products
    item = products.item(actor(), item_id)
    price_types = products.price_types(actor())
    prices = products.prices(actor(), item_id)
    day = _today()
    by_type = []
    for kind in price_types:
        mine = [p for p in prices if p.price_type_id == kind.id]
        in_force = price_on(mine, day)
        by_type.append((kind, mine, in_force.id if in_force else None))
    groups = _groups()
    return {**_base("items"), **groups, "obj": item, "crumbs": _path(item.group_id,
                                                                      groups["tree"]),
            "by_type": by_type, "price_type_options": [(t.id, t.name) for t in price_types],
            "today": day}


@bp.get("/items/<int:item_id>")
@login_required
def item(item_id: int):
    return render_template("books/item.html", errors={},
                           values={"valid_from": _today().isoformat()},
                           **_item_context(item_id))


@bp.post("/items/<int:item_id>/prices")
@login_required
def add_price(item_id: int):
    data = {k: v for k, v in form_data().items()
            if k in ("price_type_id", "valid_from", "valid_to", "amount")}
    data["item_id"] = str(item_id)
    return handle_form(
        lambda: core().products.set_price(actor(), data),
        success=lambda _p: redirect_to(url_for("ui_books.item", item_id=item_id)),
        template="books/item.html",
        context=lambda: _item_context(item_id),
        message=_("The price is saved."),
    )


@bp.post("/items/<int:item_id>/prices/<int:price_id>/delete")
@login_required
def delete_price(item_id: int, price_id: int):
    try:
        core().products.delete_price(actor(), price_id, request.form.get("version"))
    except Conflict as exc:
        flash(texts.core_text(exc.message), "error")
    else:
        flash(_("The price is deleted."), "success")
    return redirect_to(url_for("ui_books.item", item_id=item_id))


def _export_rows(group_id: int | None, text: str, inactive: bool) -> list[list[Any]]:
    products = core().products
    price_types = products.price_types(actor())
    groups = {g.id: g.name for _d, g in products.groups(actor())}
    day = _today()
    header = [_("ID"), _("Name"), _("Group"), _("Kind"), _("Unit"), _("VAT rate"),
              _("Article"), _("Active"), *(f"{t.name} ({fmt_day(day)})" for t in price_types)]
    rows = [header]
    page = 1
    while page <= EXPORT_PAGES:
        found, total = products.items(actor(), group_id, text, page, include_inactive=inactive)
        in_force = _current_prices(found, day)
        for i in found:
            current = in_force.get(i.id, {})
            rows.append([
                str(i.id), i.name, groups.get(i.group_id, "") if i.group_id else "",
                texts.label(texts.ITEM_KINDS, i.item_kind), i.unit, vat_label(i.vat_rate),
                i.article, _("yes") if i.active else _("no"),
                *(current[t.id].amount if t.id in current else "" for t in price_types)])
        if page * PAGE >= total:
            break
        page += 1
    return rows


def _spreadsheet(rows: list[list[Any]], fmt: str, stem: str, sheet: str) -> Response:
    """Rows as CSV (sums written as the user's locale does: «12 500,00») or XLSX (sums
    as numbers)."""
    if fmt == "csv":
        out = io.StringIO()
        # Semicolons and a BOM: what Excel with Russian settings opens as columns.
        csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(
            [fmt_money(v) if isinstance(v, Decimal) else v for v in row] for row in rows)
        body, mimetype = ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv"
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        page = book.create_sheet(sheet[:31])
        for row in rows:
            page.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        body = buffer.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@bp.get("/items/export.<fmt>")
@login_required
def export_items(fmt: str):
    """The items of the list (its group, filter) with their prices in force today."""
    if fmt not in EXPORT_FORMATS:
        abort(404)
    group_id = as_int(request.args.get("group_id"))
    rows = _export_rows(group_id, request.args.get("q", ""),
                        request.args.get("inactive") == "1")
    return _spreadsheet(rows, fmt, "items", _("Nomenclature"))


# -- service kinds (PRD-1, REQ-2) ----------------------------------------------------------

SERVICE_KIND_FIELDS = ("code", "name", "item_id", "active", "version")
BLANK_LINE = {"item_id": "", "quantity": "1"}


def _item_name(item_id: Any) -> str:
    number = as_int(item_id)
    if number is None:
        return ""
    try:
        return core().products.item(actor(), number).name
    except (NotFound, ValidationFailed):
        return ""


def _service_kinds_context() -> dict:
    kinds = core().products.service_kinds(actor(), include_inactive=True)
    return {**_base("service_kinds"), "kinds": kinds,
            "item_names": {k.item_id: _item_name(k.item_id) for k in kinds if k.item_id}}


@bp.get("/service-kinds")
@login_required
def service_kinds():
    return render_template("books/service_kinds.html", errors={}, values=None,
                           **_service_kinds_context())


def _kind_form_context(kind=None, posted: dict | None = None) -> dict:
    """The form of a service kind: from the saved kind, or as posted (after an error)."""
    if posted is not None:
        lines, conditions, card = posted["lines"], posted["conditions"], posted["card"]
        card_values = posted["attributes"]
    elif kind is not None:
        lines = [{"item_id": str(t.item_id), "quantity": str(t.quantity), "at": i}
                 for i, t in enumerate(kind.template)]
        conditions, card = _attribute_rows(kind.conditions), _attribute_rows(kind.card)
        card_values = {k: _plain_value(v) for k, v in kind.attributes.items()}
    else:
        lines, conditions, card, card_values = [], [], [], {}
    for line in lines:
        line["item_name"] = _item_name(line.get("item_id"))
    return {
        **_base("service_kinds"), "obj": kind,
        "lines": _with_blanks(lines, BLANK_LINE),
        "conditions": _with_blanks(conditions, BLANK_ATTRIBUTE),
        "card": _with_blanks(card, BLANK_ATTRIBUTE),
        "card_defs": [r for r in card if r.get("at") is not None and r.get("code")],
        "card_values": card_values, "attribute_types": _attribute_options(),
        "billed_name": _item_name((posted or {}).get("item_id") if posted is not None
                                  else (kind.item_id if kind else None)),
    }


def _plain_value(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return "" if value is None else str(value)


def _posted_kind() -> tuple[dict, dict]:
    """(the data for the service, what the form shows again)."""
    data = {k: v for k, v in form_data().items() if k in SERVICE_KIND_FIELDS}
    template, lines = _kept(
        _rows("template"),
        lambda r: bool(r.get("item_id", "").strip()),
        lambda r: {"item_id": r.get("item_id", "").strip(), "quantity": r.get("quantity", "")})
    conditions, condition_rows = _posted_attributes("conditions")
    card, card_rows = _posted_attributes("card")
    codes = {d["code"] for d in card}
    values = {}
    for key in request.form:
        if key.startswith("attributes."):
            values[key.removeprefix("attributes.")] = request.form.getlist(key)[-1]
    data.update(template=template, conditions=conditions, card=card,
                attributes={k: v for k, v in values.items() if k in codes})
    shown = {"lines": lines, "conditions": condition_rows, "card": card_rows,
             "attributes": values, "item_id": data.get("item_id", "")}
    return data, shown


@bp.get("/service-kinds/new")
@login_required
def new_service_kind():
    _require_books()
    return render_template("books/service_kind_form.html", errors={},
                           values={"active": "1"}, **_kind_form_context())


@bp.post("/service-kinds/new")
@login_required
def create_service_kind():
    data, shown = _posted_kind()
    return handle_form(
        lambda: core().products.save_service_kind(actor(), data),
        success=lambda _k: redirect_to(url_for("ui_books.service_kinds")),
        template="books/service_kind_form.html",
        context=lambda: _kind_form_context(None, shown),
        message=_("The service kind is created."),
    )


@bp.get("/service-kinds/<int:kind_id>/edit")
@login_required
def edit_service_kind(kind_id: int):
    _require_books()
    kind = core().products.service_kind(actor(), kind_id)
    values = {"name": kind.name, "item_id": "" if kind.item_id is None else str(kind.item_id),
              "active": "1" if kind.active else "0", "version": str(kind.version)}
    return render_template("books/service_kind_form.html", errors={}, values=values,
                           **_kind_form_context(kind))


@bp.post("/service-kinds/<int:kind_id>/edit")
@login_required
def update_service_kind(kind_id: int):
    data, shown = _posted_kind()
    data.pop("code", None)
    return handle_form(
        lambda: core().products.save_service_kind(actor(), data, kind_id),
        success=lambda _k: redirect_to(url_for("ui_books.service_kinds")),
        template="books/service_kind_form.html",
        context=lambda: _kind_form_context(core().products.service_kind(actor(), kind_id),
                                           shown),
        message=_("The service kind is saved."),
    )


@bp.post("/service-kinds/<int:kind_id>/active")
@login_required
def service_kind_active(kind_id: int):
    """Close a service kind (not offered for new requests) or open it again."""
    data = {k: v for k, v in form_data().items() if k in ("active", "version")}
    return handle_form(
        lambda: core().products.save_service_kind(actor(), data, kind_id),
        success=lambda _k: redirect_to(url_for("ui_books.service_kinds")),
        template="books/service_kinds.html",
        context=_service_kinds_context,
        message=_("The service kind is saved."),
    )


# -- price types and client types (PRD-2) --------------------------------------------------


def _price_types_context() -> dict:
    return {**_base("price_types"), "types": core().products.price_types(actor())}


@bp.get("/price-types")
@login_required
def price_types():
    return render_template("books/price_types.html", errors={}, values={"vat_included": "1"},
                           **_price_types_context())


@bp.post("/price-types")
@login_required
def create_price_type():
    data = {k: v for k, v in form_data().items() if k in ("code", "name", "vat_included")}
    return handle_form(
        lambda: core().products.save_price_type(actor(), data),
        success=lambda _t: redirect_to(url_for("ui_books.price_types")),
        template="books/price_types.html",
        context=_price_types_context,
        message=_("The price type is created."),
    )


def _price_type_context(type_id: int) -> dict:
    found = [t for t in core().products.price_types(actor()) if t.id == type_id]
    if not found:
        abort(404)
    return {**_base("price_types"), "obj": found[0]}


@bp.get("/price-types/<int:type_id>/edit")
@login_required
def edit_price_type(type_id: int):
    _require_books()
    context = _price_type_context(type_id)
    obj = context["obj"]
    values = {"name": obj.name, "vat_included": "1" if obj.vat_included else "0",
              "version": str(obj.version)}
    return render_template("books/price_type_edit.html", errors={}, values=values, **context)


@bp.post("/price-types/<int:type_id>/edit")
@login_required
def update_price_type(type_id: int):
    data = {k: v for k, v in form_data().items() if k in ("name", "vat_included", "version")}
    return handle_form(
        lambda: core().products.save_price_type(actor(), data, type_id),
        success=lambda _t: redirect_to(url_for("ui_books.price_types")),
        template="books/price_type_edit.html",
        context=lambda: _price_type_context(type_id),
        message=_("The price type is saved."),
    )


def _client_types_context() -> dict:
    products = core().products
    kinds = products.price_types(actor())
    return {**_base("client_types"), "types": products.client_types(actor()),
            "price_type_options": [(t.id, t.name) for t in kinds],
            "price_type_names": {t.id: t.name for t in kinds}}


@bp.get("/client-types")
@login_required
def client_types():
    return render_template("books/client_types.html", errors={}, values=None,
                           **_client_types_context())


@bp.post("/client-types")
@login_required
def create_client_type():
    data = {k: v for k, v in form_data().items() if k in ("code", "name", "price_type_id")}
    return handle_form(
        lambda: core().products.save_client_type(actor(), data),
        success=lambda _t: redirect_to(url_for("ui_books.client_types")),
        template="books/client_types.html",
        context=_client_types_context,
        message=_("The client type is created."),
    )


def _client_type_context(type_id: int) -> dict:
    context = _client_types_context()
    found = [t for t in context["types"] if t.id == type_id]
    if not found:
        abort(404)
    return {**context, "obj": found[0]}


@bp.get("/client-types/<int:type_id>/edit")
@login_required
def edit_client_type(type_id: int):
    _require_books()
    context = _client_type_context(type_id)
    obj = context["obj"]
    values = {"name": obj.name, "price_type_id": str(obj.price_type_id),
              "version": str(obj.version)}
    return render_template("books/client_type_edit.html", errors={}, values=values, **context)


@bp.post("/client-types/<int:type_id>/edit")
@login_required
def update_client_type(type_id: int):
    data = {k: v for k, v in form_data().items() if k in ("name", "price_type_id", "version")}
    return handle_form(
        lambda: core().products.save_client_type(actor(), data, type_id),
        success=lambda _t: redirect_to(url_for("ui_books.client_types")),
        template="books/client_type_edit.html",
        context=lambda: _client_type_context(type_id),
        message=_("The client type is saved."),
    )


# -- contract types (CON-1) ----------------------------------------------------------------

CONTRACT_TYPE_FIELDS = ("code", "name", "number_pattern", "active", "version")


def example_number(pattern: str, code: str = "") -> str:
    """The number a contract of this pattern would get today as the first of its
    sequence (empty when the pattern cannot make one)."""
    try:
        return format_number(pattern or DEFAULT_PATTERN, _today(), 1, code or "")
    except (KeyError, ValueError, IndexError, AttributeError, TypeError):
        return ""


def _contract_types_context() -> dict:
    return {**_base("contract_types"),
            "types": core().contracts.types(actor(), include_inactive=True),
            "example": example_number}


@bp.get("/contract-types")
@login_required
def contract_types():
    return render_template("books/contract_types.html", errors={}, values=None,
                           **_contract_types_context())


def _contract_type(type_id: int):
    found = [t for t in core().contracts.types(actor(), include_inactive=True)
             if t.id == type_id]
    if not found:
        abort(404)
    return found[0]


def _contract_type_form_context(kind=None, rows: list | None = None) -> dict:
    if rows is None:
        rows = _attribute_rows(kind.attributes) if kind is not None else []
    return {**_base("contract_types"), "obj": kind, "example": example_number,
            "attributes": _with_blanks(rows, BLANK_ATTRIBUTE),
            "attribute_types": _attribute_options(), "default_pattern": DEFAULT_PATTERN}


def _posted_contract_type() -> tuple[dict, list]:
    data = {k: v for k, v in form_data().items() if k in CONTRACT_TYPE_FIELDS}
    attributes, rows = _posted_attributes("attributes")
    data["attributes"] = attributes
    return data, rows


@bp.get("/contract-types/new")
@login_required
def new_contract_type():
    _require_books()
    return render_template("books/contract_type_form.html", errors={},
                           values={"number_pattern": DEFAULT_PATTERN, "active": "1"},
                           **_contract_type_form_context())


@bp.post("/contract-types/new")
@login_required
def create_contract_type():
    data, rows = _posted_contract_type()
    return handle_form(
        lambda: core().contracts.save_type(actor(), data),
        success=lambda _t: redirect_to(url_for("ui_books.contract_types")),
        template="books/contract_type_form.html",
        context=lambda: _contract_type_form_context(None, rows),
        message=_("The contract type is created."),
    )


@bp.get("/contract-types/<int:type_id>/edit")
@login_required
def edit_contract_type(type_id: int):
    _require_books()
    kind = _contract_type(type_id)
    values = {"name": kind.name, "number_pattern": kind.number_pattern,
              "active": "1" if kind.active else "0", "version": str(kind.version)}
    return render_template("books/contract_type_form.html", errors={}, values=values,
                           **_contract_type_form_context(kind))


@bp.post("/contract-types/<int:type_id>/edit")
@login_required
def update_contract_type(type_id: int):
    data, rows = _posted_contract_type()
    data.pop("code", None)
    return handle_form(
        lambda: core().contracts.save_type(actor(), data, type_id),
        success=lambda _t: redirect_to(url_for("ui_books.contract_types")),
        template="books/contract_type_form.html",
        context=lambda: _contract_type_form_context(_contract_type(type_id), rows),
        message=_("The contract type is saved."),
    )


@bp.post("/contract-types/<int:type_id>/active")
@login_required
def contract_type_active(type_id: int):
    data = {k: v for k, v in form_data().items() if k in ("active", "version")}
    return handle_form(
        lambda: core().contracts.save_type(actor(), data, type_id),
        success=lambda _t: redirect_to(url_for("ui_books.contract_types")),
        template="books/contract_types.html",
        context=_contract_types_context,
        message=_("The contract type is saved."),
    )


# -- state sets (REQ-4, INV-2) -------------------------------------------------------------

BLANK_STATE = {"code": "", "name": "", "order": "", "colour": "#9e9e9e", "norm_hours": "",
               "final": False, "initial": False, "on_enter": "[]", "actions": 0}
BLANK_TRANSITION = {"from_state": "", "to_state": "", "name": "", "roles[]": [],
                    "reason_required": False, "automatic": False, "guards": "[]",
                    "checks": 0}


def _json_list(text: Any) -> Any:
    """A hidden row's on-enter actions or guards (JSON the page put there itself); what
    is not JSON goes to the core as it is, which names it."""
    try:
        return json.loads(text) if isinstance(text, str) and text.strip() else []
    except ValueError:
        return text


def _count(text: Any) -> int:
    found = _json_list(text)
    return len(found) if isinstance(found, list) else 0


def _state_rows(state_set) -> tuple[list, list]:
    plain = dump_definition(state_set.states, state_set.transitions)
    states = [{"code": s["code"], "name": s["name"], "order": str(s["order"]),
               "colour": s["colour"], "norm_hours": "" if s["norm_hours"] is None
               else str(s["norm_hours"]), "final": s["final"], "initial": s["initial"],
               "on_enter": json.dumps(s["on_enter"], ensure_ascii=False),
               "actions": len(s["on_enter"]), "at": i}
              for i, s in enumerate(plain["states"])]
    transitions = [{"from_state": t["from_state"], "to_state": t["to_state"],
                    "name": t["name"], "roles[]": list(t["roles"]),
                    "reason_required": t["reason_required"], "automatic": t["automatic"],
                    "guards": json.dumps(t["guards"], ensure_ascii=False),
                    "checks": len(t["guards"]), "at": i}
                   for i, t in enumerate(plain["transitions"])]
    return states, transitions


def _posted_state_set() -> tuple[dict, dict]:
    form = form_data()
    initial = form.get("initial", "")
    raw_states = _rows("states")
    for row in raw_states:
        row["initial"] = str(row["n"]) == initial
    states, state_rows = _kept(
        raw_states,
        lambda r: any(str(r.get(k, "")).strip() for k in ("code", "name")),
        lambda r: {"code": r.get("code", "").strip(), "name": r.get("name", ""),
                   "order": r.get("order", "").strip() or "0",
                   "initial": bool(r.get("initial")), "final": _flag(r, "final"),
                   "colour": r.get("colour", "").strip() or "#9e9e9e",
                   "norm_hours": r.get("norm_hours", "").strip(),
                   "on_enter": _json_list(r.get("on_enter"))})
    transitions, transition_rows = _kept(
        _rows("transitions"),
        lambda r: any(str(r.get(k, "")).strip() for k in ("from_state", "to_state", "name")),
        lambda r: {"from_state": r.get("from_state", "").strip(),
                   "to_state": r.get("to_state", "").strip(), "name": r.get("name", ""),
                   "roles": [v for v in r.get("roles[]", []) if v],
                   "reason_required": _flag(r, "reason_required"),
                   "automatic": _flag(r, "automatic"),
                   "guards": _json_list(r.get("guards"))})
    for row in state_rows:
        row["final"] = _flag(row, "final")
        row["actions"] = _count(row.get("on_enter"))
    for row in transition_rows:
        row["reason_required"] = _flag(row, "reason_required")
        row["automatic"] = _flag(row, "automatic")
        row["checks"] = _count(row.get("guards"))
    data = {k: v for k, v in form.items() if k in ("code", "name", "version")}
    data.update(states=states, transitions=transitions)
    return data, {"states": state_rows, "transitions": transition_rows}


def _state_sets_context() -> dict:
    return {**_base("state_sets"), "sets": core().state_sets.state_sets(actor())}


@bp.get("/state-sets")
@login_required
def state_sets():
    return render_template("books/state_sets.html", errors={}, values=None,
                           **_state_sets_context())


def _state_set_context(set_id: int | None, posted: dict | None = None) -> dict:
    service = core().state_sets
    state_set = service.state_set(actor(), set_id) if set_id is not None else None
    in_use = service.in_use(actor(), set_id) if set_id is not None else set()
    if posted is not None:
        states, transitions = posted["states"], posted["transitions"]
    elif state_set is not None:
        states, transitions = _state_rows(state_set)
    else:
        states, transitions = [], []
    codes = [s.get("code") for s in states if s.get("code")]
    return {
        **_base("state_sets"), "obj": state_set, "in_use": in_use,
        "states": _with_blanks(states, BLANK_STATE),
        "transitions": _with_blanks(transitions, BLANK_TRANSITION),
        "state_codes": codes,
        "role_options": [(r.value, texts.label(texts.ROLE_LABELS, r)) for r in Role],
    }


@bp.get("/state-sets/new")
@login_required
def new_state_set():
    _require_books()
    return render_template("books/state_set_form.html", errors={}, values=None,
                           **_state_set_context(None))


@bp.post("/state-sets/new")
@login_required
def create_state_set():
    data, shown = _posted_state_set()
    return handle_form(
        lambda: core().state_sets.create(actor(), data),
        success=lambda s: redirect_to(url_for("ui_books.edit_state_set", set_id=s.id)),
        template="books/state_set_form.html",
        context=lambda: _state_set_context(None, shown),
        message=_("The state set is created."),
    )


@bp.get("/state-sets/<int:set_id>/edit")
@login_required
def edit_state_set(set_id: int):
    _require_books()
    context = _state_set_context(set_id)
    values = {"name": context["obj"].name, "version": str(context["obj"].version)}
    return render_template("books/state_set_form.html", errors={}, values=values, **context)


@bp.post("/state-sets/<int:set_id>/edit")
@login_required
def update_state_set(set_id: int):
    data, shown = _posted_state_set()
    data.pop("code", None)
    return handle_form(
        lambda: core().state_sets.update(actor(), set_id, data),
        success=lambda s: redirect_to(url_for("ui_books.edit_state_set", set_id=s.id)),
        template="books/state_set_form.html",
        context=lambda: _state_set_context(set_id, shown),
        message=_("The state set is saved."),
    )


def _json_context(set_id: int) -> dict:
    service = core().state_sets
    state_set = service.state_set(actor(), set_id)
    return {**_base("state_sets"), "obj": state_set, "in_use": service.in_use(actor(), set_id)}


@bp.get("/state-sets/<int:set_id>/json")
@login_required
def state_set_json(set_id: int):
    """The advanced mode: the set's definition as JSON (on-enter actions and guards too)."""
    _require_books()
    context = _json_context(set_id)
    obj = context["obj"]
    text = json.dumps(dump_definition(obj.states, obj.transitions), ensure_ascii=False,
                      indent=2)
    values = {"name": obj.name, "version": str(obj.version), "definition": text}
    return render_template("books/state_set_json.html", errors={}, values=values, **context)


@bp.post("/state-sets/<int:set_id>/json")
@login_required
def update_state_set_json(set_id: int):
    form = form_data()

    def call():
        try:
            parsed = json.loads(form.get("definition", ""))
        except ValueError:
            raise ValidationFailed.single("definition", "not valid JSON") from None
        if not isinstance(parsed, dict):
            raise ValidationFailed.single("definition", "must be an object")
        data = {k: v for k, v in form.items() if k in ("name", "version")}
        data.update({k: parsed[k] for k in ("states", "transitions") if k in parsed})
        return core().state_sets.update(actor(), set_id, data)

    return handle_form(
        call,
        success=lambda s: redirect_to(url_for("ui_books.state_set_json", set_id=s.id)),
        template="books/state_set_json.html",
        context=lambda: _json_context(set_id),
        message=_("The state set is saved."),
    )


# -- the company's requisites (printed on invoices) ----------------------------------------


def _company_context() -> dict:
    company = core().org.company()
    if company is None:
        abort(404)
    return {**_base("company"), "obj": company, "requisite_fields": [f"requisites.{k}" for k in COMPANY_REQUISITES],
            "saved": {f"requisites.{k}": v for k, v in (company.requisites or {}).items()}}


@bp.get("/company")
@login_required
def company():
    context = _company_context()
    if not core().access.allowed(actor(), Action.EDIT, context["obj"].ref):
        raise Forbidden("not allowed")
    values = {**context["saved"], "version": str(context["obj"].version)}
    return render_template("books/company.html", errors={}, values=values, **context)


@bp.post("/company")
@login_required
def save_company():
    form = form_data()
    data = {"version": form.get("version", ""),
            "requisites": {name: form.get(f"requisites.{name}", "")
                           for name in COMPANY_REQUISITES}}
    return handle_form(
        lambda: core().org.rename_company(actor(), data),
        success=lambda _c: redirect_to(url_for("ui_books.company")),
        template="books/company.html",
        context=_company_context,
        message=_("The requisites are saved."),
    )
