"""The client base (chapter 5 of the manual): the counterparties page with the catalog
tree (CAT-1, UI-4), catalog pages with their cards, 20 a page (CAT-3, CP-13), creating
catalogs (CAT-4), the counterparty card with its tabs (UI-1, CP-15): requisites,
contacts (CP-8), related clients (CP-11), history (HIST-1) and responsible managers
(CP-6); registration with the duplicate warning (CP-3) and the EGRUL fill (CP-2),
moving between catalogs (CAT-6), deletion marks and hard deletes (CP-12), the search line
and advanced search (CP-9, CP-10), import of a file and list exports. The card's Tasks
and Contact history tabs are in ui/tasks.py (they render the card through ``card_context``).

Every view parses its input, calls one core service (whose policy decides) and renders;
forms answer through ``handle_form`` (422 with field messages, 409 on a stale version
or possible duplicates)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import login_required

from ecrm_core.access.model import Action
from ecrm_core.counterparties.model import CATALOG, COUNTERPARTY
from ecrm_core.counterparties.services import DuplicatesFound
from ecrm_core.kernel.errors import (
    Conflict,
    DomainError,
    Forbidden,
    NotFound,
    Unavailable,
    ValidationFailed,
)
from ecrm_core.kernel.refs import ObjectRef
from ecrm_web.ui import texts
from ecrm_web.ui.common import (
    actor,
    as_int,
    back_url,
    core,
    form_data,
    handle_form,
    redirect_to,
    safe_next,
    url_with,
)
from ecrm_web.ui.present import Names

bp = Blueprint("ui_clients", __name__, url_prefix="/counterparties")

CARD_FIELDS = (
    "type", "name", "full_name", "inn", "kpp", "ogrn", "legal_address", "postal_address",
    "phone", "sms_phone", "email", "mailing_email", "status", "parent_id", "okved", "head",
    "client_type_id",  # PRD-2: the client type whose price type prices its invoices
)
NEW_FIELDS = ("catalog_id", *CARD_FIELDS)
EDIT_FIELDS = (*CARD_FIELDS, "export_1c", "version")
#: What a register record may fill in the form (CP-2).
REGISTRY_FIELDS = ("type", "name", "full_name", "inn", "kpp", "ogrn", "legal_address",
                   "okved", "head", "status")
CONTACT_FIELDS = ("full_name", "position", "birthday", "phones", "emails", "note", "version")
CATALOG_FIELDS = ("name", "description", "parent_id")
CATALOG_EDIT_FIELDS = ("name", "description", "version")
ADVANCED_FIELDS = ("name", "inn", "type", "status", "catalog_id", "manager_id",
                   "created_from", "created_to", "deleted")
CARD_TABS = ("requisites", "contacts", "related", "history", "managers")
PHOTO_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif",
               b"RIFF": "image/webp"}


# -- helpers --------------------------------------------------------------------------------


def _pick(fields: tuple[str, ...]) -> dict[str, str]:
    data = form_data()
    return {k: data[k] for k in fields if k in data}


def _page_arg() -> int:
    """The ``page`` of the address: a whole number from 1, anything else is page 1."""
    page = as_int(request.args.get("page")) or 1
    return min(max(page, 1), 100_000)


def _page_url(page: int) -> str:
    """The current address with another page number (the pager's links)."""
    return url_with(page=page)


def _next_target(default: str) -> str:
    return safe_next(request.form.get("next")) or default


def _flash_error(error: DomainError) -> None:
    flash(texts.core_text(error.message), "error")


class ClientNames(Names):
    """Names behind ids on the client pages: catalogs and counterparties besides the
    organisation, and the values of a card's history (type, status, managers, …)."""

    ID_FIELDS = {"parent_id": COUNTERPARTY, "catalog_id": CATALOG, "counterparty_id": COUNTERPARTY,
                 "curator_id": "employee", "employee_id": "employee", "head_id": "employee",
                 "requested_by": "employee", "project_id": "project"}

    def __init__(self) -> None:
        super().__init__()
        self._cards: dict[int, str] = {}

    def _load(self, kind: str) -> dict[int, str]:
        if kind == CATALOG and kind not in self._maps:
            self._maps[kind] = {c.id: c.name for _d, c in core().catalogs.tree(actor())}
        return super()._load(kind)

    def of(self, kind: str, ident: object) -> str:
        if kind != COUNTERPARTY:
            return super().of(kind, ident)
        key = as_int(ident)
        if key is None:
            return "—" if ident in (None, "") else str(ident)
        if key not in self._cards:
            try:
                self._cards[key] = core().counterparties.get(actor(), key).name
            except (NotFound, ValidationFailed):
                self._cards[key] = f"#{key}"
        return self._cards[key]

    def field_label(self, field: str) -> str:
        if field.startswith("manager:"):
            direction = field.split(":", 1)[1]
            if direction in ("", "main", "None"):
                return _("Responsible manager (main direction)")
            return _("Responsible manager (direction «%(name)s»)",
                     name=self.of("project", direction))
        return texts.label(texts.CARD_FIELD_LABELS, field)

    def history_value(self, field: str, value: object, entry_kind: str = "") -> str:
        if value is None or value == "" or value == [] or value == {}:
            return "—"
        if field.startswith("manager:"):
            ids = value if isinstance(value, list) else [value]
            return ", ".join(self.of("employee", i) for i in ids)
        if field == "saved_despite_duplicates":
            ids = value if isinstance(value, list) else [value]
            return ", ".join(f"{self.of(COUNTERPARTY, i)} (#{i})" for i in ids)
        if field in self.ID_FIELDS:
            return self.of(self.ID_FIELDS[field], value)
        if field == "type":
            return texts.label(texts.COUNTERPARTY_TYPES, value)
        if field == "status":
            return texts.label(texts.ORGANISATION_STATUSES, value)
        if field == "birthday":
            return self.date(value)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, dict):
            return ", ".join(f"{k}: {v}" for k, v in value.items())
        return super().history_value(field, value, entry_kind)

    @staticmethod
    def date(value: object) -> str:
        if value in (None, ""):
            return "—"
        try:
            day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        except ValueError:
            return str(value)
        return format_date(day, "medium")


def _options(mapping: dict) -> list[tuple[str, str]]:
    return [(key, str(text)) for key, text in mapping.items()]


def _catalog_options(tree) -> list[tuple[int, str]]:
    return [(c.id, "\u2003" * depth + ("└ " if depth else "") + c.name) for depth, c in tree]


def _allowed(action: Action, ref: ObjectRef, kind: str | None = None) -> bool:
    return core().access.allowed(actor(), action, ref, kind=kind)


def _row_rights(listing) -> dict[str, set[int]]:
    """Which rows of a list page get the edit link and the delete / restore button."""
    refs_ = [row.counterparty.ref for row in listing.rows]
    if not refs_:
        return {"edit": set(), "delete": set()}
    access = core().access
    return {
        "edit": {r.id for r in access.allowed_each(actor(), Action.EDIT, refs_)},
        "delete": {r.id for r in access.allowed_each(actor(), Action.DELETE, refs_)},
    }


def _list_context(listing, page_url: Callable[[int], str] | None = None,
                  here: str | None = None) -> dict:
    """A list page: its rows, the buttons each row gets, the pager's addresses and the
    address buttons come back to."""
    return {"listing": listing, "rights": _row_rights(listing), "names": ClientNames(),
            "page_url": page_url or _page_url,
            "here": here or request.full_path.rstrip("?")}


# -- the counterparties page: the catalog tree (CAT-1, CAT-4, UI-4, AUTH-2) ------------------


def _home_context() -> dict:
    app = core()
    company = app.org.company()
    tree = app.catalogs.tree(actor())
    children_of: dict[int | None, list] = {}
    for _depth, c in tree:
        children_of.setdefault(c.parent_id, []).append(c)
    return {
        "tree": tree,
        "children_of": children_of,
        "names": ClientNames(),
        "may_create_top": company is not None and _allowed(Action.CREATE, company.ref, CATALOG),
    }


@bp.get("")
@login_required
def home():
    return render_template("clients/home.html", errors={}, values=None, **_home_context())


@bp.post("/catalogs")
@login_required
def create_catalog():
    data = _pick(CATALOG_FIELDS)
    open_after = form_data().get("open_after") == "1"
    parent_id = as_int(data.get("parent_id"))

    def success(catalog):
        if open_after:
            return redirect_to(url_for("ui_clients.catalog", catalog_id=catalog.id))
        if parent_id:
            return redirect_to(url_for("ui_clients.catalog", catalog_id=parent_id))
        return redirect_to(url_for("ui_clients.home"))

    if parent_id:
        template, context = "clients/catalog.html", lambda: _catalog_context(parent_id)
    else:
        template, context = "clients/home.html", _home_context
    return handle_form(
        lambda: core().catalogs.create(actor(), data),
        success=success, template=template, context=context,
        message=_("The catalog is created."),
    )


# -- a catalog: its cards, 20 a page (CAT-3, CP-13), nested catalogs -------------------------


def _catalog_path(tree, catalog) -> list:
    by_id = {c.id: c for _d, c in tree}
    path, seen = [], set()
    current = by_id.get(catalog.parent_id) if catalog.parent_id else None
    while current is not None and current.id not in seen:
        seen.add(current.id)
        path.append(current)
        current = by_id.get(current.parent_id) if current.parent_id else None
    return list(reversed(path))


def _catalog_context(catalog_id: int, page: int | None = None) -> dict:
    app = core()
    catalog = app.catalogs.get(actor(), catalog_id)
    tree = app.catalogs.tree(actor())
    listing = app.counterparties.catalog_page(actor(), catalog.id, page or _page_arg())
    path = _catalog_path(tree, catalog)
    back = (url_for("ui_clients.catalog", catalog_id=path[-1].id) if path
            else url_for("ui_clients.home"))
    return {
        "catalog": catalog,
        "path": path,
        "children": [c for _d, c in tree if c.parent_id == catalog.id],
        "back": back,
        "may_create_card": _allowed(Action.CREATE, catalog.ref, COUNTERPARTY),
        "may_create_catalog": _allowed(Action.CREATE, catalog.ref, CATALOG),
        "may_edit_catalog": _allowed(Action.EDIT, catalog.ref),
        # Also when a form posted elsewhere shows this page again (a nested catalog).
        **_list_context(
            listing,
            page_url=lambda n: url_for("ui_clients.catalog", catalog_id=catalog.id, page=n),
            here=url_for("ui_clients.catalog", catalog_id=catalog.id, page=listing.page)),
    }


@bp.get("/catalogs/<int:catalog_id>")
@login_required
def catalog(catalog_id: int):
    return render_template("clients/catalog.html", errors={}, values=None,
                           **_catalog_context(catalog_id))


def _catalog_edit_context(catalog_id: int) -> dict:
    catalog = core().catalogs.get(actor(), catalog_id)
    return {"catalog": catalog, "names": ClientNames(),
            "back": url_for("ui_clients.catalog", catalog_id=catalog.id)}


@bp.get("/catalogs/<int:catalog_id>/edit")
@login_required
def edit_catalog(catalog_id: int):
    context = _catalog_edit_context(catalog_id)
    if not _allowed(Action.EDIT, context["catalog"].ref):
        raise Forbidden("not allowed")
    return render_template("clients/catalog_edit.html", errors={}, values=None, **context)


@bp.post("/catalogs/<int:catalog_id>/edit")
@login_required
def update_catalog(catalog_id: int):
    data = _pick(CATALOG_EDIT_FIELDS)
    return handle_form(
        lambda: core().catalogs.update(actor(), catalog_id, data),
        success=lambda c: redirect_to(url_for("ui_clients.catalog", catalog_id=c.id)),
        template="clients/catalog_edit.html",
        context=lambda: _catalog_edit_context(catalog_id),
        message=_("The catalog is saved."),
    )


# -- registering a counterparty (§5.5, CP-1, CP-2, CP-3, CP-11) ------------------------------


def _card_form_context(**extra) -> dict:
    app = core()
    tree = app.catalogs.tree(actor())
    return {
        "catalog_options": _catalog_options(tree),
        "type_options": _options(texts.COUNTERPARTY_TYPES),
        "status_options": [(k, v) for k, v in _options(texts.ORGANISATION_STATUSES)
                           if k != "unknown"],
        "names": ClientNames(),
        **extra,
    }


def _new_context(**extra) -> dict:
    return _card_form_context(back=back_url(url_for("ui_clients.home")), **extra)


def _with_duplicates(call: Callable[[], Any], found: list) -> Callable[[], Any]:
    """Run ``call``; possible duplicates (a Conflict) are kept for the form to list."""

    def run():
        try:
            return call()
        except DuplicatesFound as exc:
            found.extend(exc.candidates)
            raise

    return run


@bp.get("/new")
@login_required
def new_card():
    values = {"type": "legal_entity", "status": "active"}
    for key in ("catalog_id", "parent_id"):
        if as_int(request.args.get(key)):
            values[key] = request.args[key]
    parent_id = as_int(values.get("parent_id"))
    if parent_id and "catalog_id" not in values:
        try:
            values["catalog_id"] = str(core().counterparties.get(actor(), parent_id).catalog_id)
        except NotFound:
            values.pop("parent_id")
    return render_template("clients/card_new.html", errors={}, values=values,
                           **_new_context())


@bp.post("/new")
@login_required
def register_card():
    data = _pick(NEW_FIELDS)
    proceed = form_data().get("proceed") == "1"
    duplicates: list = []
    return handle_form(
        _with_duplicates(
            lambda: core().counterparties.register(actor(), data, proceed=proceed), duplicates),
        success=lambda card: redirect_to(url_for("ui_clients.card", counterparty_id=card.id)),
        template="clients/card_new.html",
        context=lambda: _new_context(duplicates=duplicates),
        message=_("The counterparty is registered."),
    )


@bp.post("/new/refill")
@login_required
def refill_card():
    """The form again with a branch offered among the duplicates as the parent
    organisation (CP-3, CP-11); nothing is saved."""
    values = form_data()
    if as_int(values.get("use_parent")):
        values["parent_id"] = values["use_parent"]
    return render_template("clients/card_new.html", errors={}, values=values,
                           **_new_context())


def _fill_from_registry(template: str, context: Callable[[], dict]):
    """"Fill from EGRUL by INN" (CP-2): the form again with the register's data in it;
    nothing is saved. When the register cannot help, the form keeps what was typed and
    says why."""
    values = form_data()
    try:
        found = core().counterparties.from_registry(actor(), values.get("inn", ""))
    except ValidationFailed as exc:
        return render_template(template, errors=texts.field_errors(exc.errors), values=values,
                               **context()), 422
    except NotFound:
        notice = _("The state register has no organisation with INN %(inn)s.",
                   inn=values.get("inn", "").strip())
        return render_template(template, errors={}, values=values, registry_error=notice,
                               **context()), 404
    except Unavailable as exc:
        notice = _("The state register (EGRUL) cannot be asked now: %(reason)s",
                   reason=texts.core_text(exc.message))
        return render_template(template, errors={}, values=values, registry_error=notice,
                               **context()), 503
    filled = dict(values)
    for key in REGISTRY_FIELDS:
        value = found.get(key)
        if value not in (None, "") and not (key == "status" and value == "unknown"):
            filled[key] = str(value)
    return render_template(template, errors={}, values=filled, registry_filled=True,
                           **context())


@bp.post("/new/egrul")
@login_required
def new_from_registry():
    return _fill_from_registry("clients/card_new.html", _new_context)


@bp.get("/lookup")
@login_required
def lookup():
    """Counterparties by the search line's rules, as JSON, for picking a parent
    organisation in a form."""
    try:
        found = core().counterparties.search(actor(), request.args.get("q", ""), 1,
                                             include_deleted=False)
    except ValidationFailed as exc:
        return jsonify({"results": [], "message": texts.core_text(exc.errors.get("q", ""))})
    return jsonify({
        "results": [{"id": r.counterparty.id, "name": r.counterparty.name,
                     "inn": r.counterparty.inn} for r in found.rows],
        "message": "" if found.rows else _("Nothing found."),
    })


# -- the card (UI-1, CP-15) -------------------------------------------------------------------


def _card_back(card) -> str:
    """The back button of a card: the previous page, unless that was the card itself
    (another tab, its edit form); then the card's catalog."""
    catalog = url_for("ui_clients.catalog", catalog_id=card.catalog_id)
    back = back_url(catalog)
    own = url_for("ui_clients.card", counterparty_id=card.id)
    return catalog if back == own or back.startswith(own + "/") or back.startswith(own + "?") \
        else back


def card_context(counterparty_id: int, tab: str = "requisites", **extra) -> dict:
    app = core()
    card = app.counterparties.get(actor(), counterparty_id)
    managers = app.counterparties.managers(actor(), card.id)
    names = ClientNames()
    main = next((a for a in managers if a.project_id is None), managers[0] if managers else None)
    context = {
        "card": card, "tab": tab, "names": names, "managers": managers,
        "responsible": names.of("employee", main.employee_id) if main else None,
        "back": _card_back(card),
        "may_edit": _allowed(Action.EDIT, card.ref),
        "may_delete": _allowed(Action.DELETE, card.ref),
        "may_assign": _allowed(Action.ASSIGN, card.ref),
        "may_purge": app.access.policy(actor()).is_administrator,
    }
    if tab == "contacts":
        context["contacts"] = app.counterparties.contacts(actor(), card.id)
        context.setdefault("photo_errors", {})
    elif tab == "related":
        context.update(_list_context(app.counterparties.related(actor(), card.id, _page_arg())))
        context["names"] = names
    elif tab == "history":
        context["entries"] = app.history.of(actor(), card.ref)
    elif tab == "managers":
        context["pending"] = app.counterparties.pending_assignments(actor(), card.id)
        context["employee_options"] = [
            (e.id, e.full_name) for e in app.org.employees(actor()) if e.active]
        context["project_options"] = [(p.id, p.name) for p in app.org.projects(actor())]
    context.update(extra)
    return context


@bp.get("/<int:counterparty_id>", defaults={"tab": "requisites"})
@bp.get("/<int:counterparty_id>/<tab>")
@login_required
def card(counterparty_id: int, tab: str):
    if tab not in CARD_TABS:
        abort(404)
    return render_template("clients/card.html", errors={}, values=None,
                           **card_context(counterparty_id, tab))


def _edit_context(counterparty_id: int, **extra) -> dict:
    card = core().counterparties.get(actor(), counterparty_id)
    return _card_form_context(
        card=card, back=url_for("ui_clients.card", counterparty_id=card.id), **extra)


def _card_values(card) -> dict[str, str]:
    values = {k: "" if getattr(card, k) is None else str(getattr(card, k)) for k in CARD_FIELDS}
    values["type"], values["status"] = card.type.value, card.status.value
    values["export_1c"] = "1" if card.export_1c else "0"
    values["version"] = str(card.version)
    return values


@bp.get("/<int:counterparty_id>/edit")
@login_required
def edit_card(counterparty_id: int):
    context = _edit_context(counterparty_id)
    if not _allowed(Action.EDIT, context["card"].ref):
        raise Forbidden("not allowed")
    return render_template("clients/card_edit.html", errors={},
                           values=_card_values(context["card"]), **context)


@bp.post("/<int:counterparty_id>/edit")
@login_required
def update_card(counterparty_id: int):
    data = _pick(EDIT_FIELDS)
    proceed = form_data().get("proceed") == "1"
    duplicates: list = []
    return handle_form(
        _with_duplicates(lambda: core().counterparties.update(
            actor(), counterparty_id, data, proceed=proceed), duplicates),
        success=lambda card: redirect_to(url_for("ui_clients.card", counterparty_id=card.id)),
        template="clients/card_edit.html",
        context=lambda: _edit_context(counterparty_id, duplicates=duplicates),
        message=_("The card is saved."),
    )


@bp.post("/<int:counterparty_id>/edit/egrul")
@login_required
def edit_from_registry(counterparty_id: int):
    return _fill_from_registry("clients/card_edit.html",
                               lambda: _edit_context(counterparty_id))


@bp.post("/<int:counterparty_id>/export-1c")
@login_required
def export_1c(counterparty_id: int):
    """The list's "queue for export to 1C" flag (§5.12, item 19)."""
    form = form_data()
    target = _next_target(url_for("ui_clients.card", counterparty_id=counterparty_id))
    try:
        core().counterparties.update(actor(), counterparty_id, {
            "export_1c": form.get("export_1c", ""), "version": form.get("version", "")})
    except (Conflict, ValidationFailed) as exc:
        _flash_error(exc)
    else:
        flash(_("The export flag is saved."), "success")
    return redirect_to(target)


# -- moving, deletion marks, hard delete (CAT-6, CP-12) --------------------------------------


def _move_context(counterparty_id: int) -> dict:
    app = core()
    card = app.counterparties.get(actor(), counterparty_id)
    query = request.values.get("q", "")
    return {"card": card, "q": query, "found": app.catalogs.find(actor(), query),
            "names": ClientNames(),
            "back": url_for("ui_clients.card", counterparty_id=card.id)}


@bp.get("/<int:counterparty_id>/move")
@login_required
def move_form(counterparty_id: int):
    return render_template("clients/move.html", errors={}, values=None,
                           **_move_context(counterparty_id))


@bp.post("/<int:counterparty_id>/move")
@login_required
def move(counterparty_id: int):
    form = form_data()
    return handle_form(
        lambda: core().counterparties.move(actor(), counterparty_id, form.get("catalog_id", ""),
                                           form.get("version") or None),
        success=lambda card: redirect_to(url_for("ui_clients.card", counterparty_id=card.id)),
        template="clients/move.html",
        context=lambda: _move_context(counterparty_id),
        message=_("The card is moved to another catalog."),
    )


def _mark(counterparty_id: int, call: Callable[[], Any], message: str):
    target = _next_target(url_for("ui_clients.card", counterparty_id=counterparty_id))
    try:
        call()
    except Conflict as exc:
        _flash_error(exc)
    else:
        flash(message, "success")
    return redirect_to(target)


@bp.post("/<int:counterparty_id>/delete")
@login_required
def mark_deleted(counterparty_id: int):
    return _mark(counterparty_id,
                 lambda: core().counterparties.mark_deleted(actor(), counterparty_id),
                 _("The card is marked deleted."))


@bp.post("/<int:counterparty_id>/restore")
@login_required
def restore(counterparty_id: int):
    return _mark(counterparty_id,
                 lambda: core().counterparties.restore(actor(), counterparty_id),
                 _("The card is restored."))


@bp.post("/<int:counterparty_id>/purge")
@login_required
def purge(counterparty_id: int):
    """Delete for good (administrators; only when nothing links to the card)."""
    app = core()
    catalog_id = app.counterparties.get(actor(), counterparty_id).catalog_id
    try:
        app.counterparties.purge(actor(), counterparty_id)
    except Conflict as exc:
        links = [(texts.label(texts.LINK_LABELS, k), v) for k, v in exc.details.items()]
        return render_template("clients/card.html", purge_refusal=links, errors={},
                               values=None, **card_context(counterparty_id)), 409
    flash(_("The card is deleted for good."), "success")
    return redirect_to(url_for("ui_clients.catalog", catalog_id=catalog_id))


# -- contacts (CP-8) ---------------------------------------------------------------------------


def _contact_values(contact) -> dict[str, str]:
    return {
        "full_name": contact.full_name, "position": contact.position,
        "birthday": contact.birthday.isoformat() if contact.birthday else "",
        "phones": ", ".join(contact.phones), "emails": ", ".join(contact.emails),
        "note": contact.note, "version": str(contact.version),
    }


@bp.post("/<int:counterparty_id>/contacts")
@login_required
def add_contact(counterparty_id: int):
    data = _pick(CONTACT_FIELDS[:-1])
    return handle_form(
        lambda: core().counterparties.add_contact(actor(), counterparty_id, data),
        success=lambda _c: redirect_to(url_for("ui_clients.card", counterparty_id=counterparty_id,
                                               tab="contacts")),
        template="clients/card.html",
        context=lambda: card_context(counterparty_id, "contacts", adding=True),
        message=_("The contact is added."),
    )


def _contact(counterparty_id: int, contact_id: int):
    for contact in core().counterparties.contacts(actor(), counterparty_id):
        if contact.id == contact_id:
            return contact
    raise NotFound("contact", contact_id)


def _contact_edit_context(counterparty_id: int, contact_id: int) -> dict:
    card = core().counterparties.get(actor(), counterparty_id)
    return {"card": card, "contact": _contact(counterparty_id, contact_id),
            "names": ClientNames(),
            "back": url_for("ui_clients.card", counterparty_id=card.id, tab="contacts")}


@bp.get("/<int:counterparty_id>/contacts/<int:contact_id>/edit")
@login_required
def edit_contact(counterparty_id: int, contact_id: int):
    context = _contact_edit_context(counterparty_id, contact_id)
    if not _allowed(Action.EDIT, context["card"].ref):
        raise Forbidden("not allowed")
    return render_template("clients/contact_edit.html", errors={},
                           values=_contact_values(context["contact"]), **context)


@bp.post("/<int:counterparty_id>/contacts/<int:contact_id>/edit")
@login_required
def update_contact(counterparty_id: int, contact_id: int):
    _contact(counterparty_id, contact_id)
    data = _pick(CONTACT_FIELDS)
    return handle_form(
        lambda: core().counterparties.update_contact(actor(), contact_id, data),
        success=lambda _c: redirect_to(url_for("ui_clients.card", counterparty_id=counterparty_id,
                                               tab="contacts")),
        template="clients/contact_edit.html",
        context=lambda: _contact_edit_context(counterparty_id, contact_id),
        message=_("The contact is saved."),
    )


@bp.get("/<int:counterparty_id>/contacts/<int:contact_id>/delete")
@login_required
def confirm_contact_removal(counterparty_id: int, contact_id: int):
    context = _contact_edit_context(counterparty_id, contact_id)
    if not _allowed(Action.EDIT, context["card"].ref):
        raise Forbidden("not allowed")
    return render_template("clients/contact_delete.html", **context)


@bp.post("/<int:counterparty_id>/contacts/<int:contact_id>/delete")
@login_required
def remove_contact(counterparty_id: int, contact_id: int):
    _contact(counterparty_id, contact_id)
    core().counterparties.remove_contact(actor(), contact_id)
    flash(_("The contact is deleted."), "success")
    return redirect_to(url_for("ui_clients.card", counterparty_id=counterparty_id,
                               tab="contacts"))


@bp.post("/<int:counterparty_id>/contacts/<int:contact_id>/photo")
@login_required
def upload_photo(counterparty_id: int, contact_id: int):
    _contact(counterparty_id, contact_id)
    upload = request.files.get("photo")
    data = upload.read() if upload is not None else b""
    try:
        core().counterparties.set_photo(actor(), contact_id, data)
    except ValidationFailed as exc:
        message = texts.core_text(exc.errors.get("photo", exc.message))
        return render_template("clients/card.html", errors={}, values=None, **card_context(
            counterparty_id, "contacts", photo_errors={contact_id: message})), 422
    flash(_("The photo is saved."), "success")
    return redirect_to(url_for("ui_clients.card", counterparty_id=counterparty_id,
                               tab="contacts"))


@bp.get("/<int:counterparty_id>/contacts/<int:contact_id>/photo")
@login_required
def photo(counterparty_id: int, contact_id: int):
    _contact(counterparty_id, contact_id)
    data = core().counterparties.photo(actor(), contact_id)
    if not data:
        abort(404)
    mimetype = next((t for magic, t in PHOTO_TYPES.items() if data.startswith(magic)),
                    "application/octet-stream")
    response = Response(data, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# -- responsible managers (CP-6, CP-7) ---------------------------------------------------------


@bp.post("/<int:counterparty_id>/assign")
@login_required
def assign(counterparty_id: int):
    data = _pick(("employee_id", "project_id"))
    return handle_form(
        lambda: core().counterparties.assign_responsible(actor(), counterparty_id, data),
        success=lambda _a: redirect_to(url_for("ui_clients.card", counterparty_id=counterparty_id,
                                               tab="managers")),
        template="clients/card.html",
        context=lambda: card_context(counterparty_id, "managers"),
        message=_("Requests for confirmation are sent to the employee and their head."),
    )


# -- the search line and advanced search (CP-9, CP-10) -----------------------------------------


@bp.get("/search")
@login_required
def search():
    query = request.args.get("q", "")
    context = {"mode": "search", "q": query, "values": {}, "errors": {}, "searched": False}
    if not query.strip():
        return render_template("clients/list.html", names=ClientNames(), **context)
    try:
        listing = core().counterparties.search(actor(), query, _page_arg())
    except ValidationFailed as exc:
        context["errors"] = texts.field_errors(exc.errors)
        return render_template("clients/list.html", names=ClientNames(), **context), 422
    return render_template(
        "clients/list.html", **(context | {"searched": True}), **_list_context(listing),
        export_url=lambda fmt: url_for("ui_clients.export_found", fmt=fmt, q=query))


def _advanced_context(**extra) -> dict:
    app = core()
    return {
        "mode": "advanced", "q": "",
        "catalog_options": _catalog_options(app.catalogs.tree(actor())),
        "type_options": _options(texts.COUNTERPARTY_TYPES),
        "status_options": _options(texts.ORGANISATION_STATUSES),
        "manager_options": [(e.id, e.full_name) for e in app.org.employees(actor())],
        **extra,
    }


@bp.get("/search/advanced")
@login_required
def advanced_search():
    values = {k: v for k, v in request.args.items() if k in ADVANCED_FIELDS}
    if not any(v.strip() for v in values.values()):
        return render_template("clients/list.html", values=values, errors={}, searched=False,
                               names=ClientNames(), **_advanced_context())
    try:
        listing = core().counterparties.advanced_search(actor(), values, _page_arg())
    except ValidationFailed as exc:
        return render_template("clients/list.html", values=values, searched=False,
                               errors=texts.field_errors(exc.errors), names=ClientNames(),
                               **_advanced_context()), 422
    return render_template(
        "clients/list.html", values=values, errors={}, searched=True, **_advanced_context(),
        **_list_context(listing),
        export_url=lambda fmt: url_for("ui_clients.export_found", fmt=fmt, **values))


# -- list exports (CSV / XLSX) of a catalog and of search results -------------------------------

#: An export takes at most this many pages of 20 (10,000 rows); search results stop at
#: 1,000 anyway.
EXPORT_PAGES = 500
EXPORT_FORMATS = ("csv", "xlsx")


def _export_rows(fetch: Callable[[int], Any]) -> list[list[str]]:
    names = ClientNames()
    header = [_("ID"), _("Name"), _("Full legal name"), _("INN"), _("KPP"), _("OGRN / OGRNIP"),
              _("Phone"), _("E-mail"), _("Manager"), _("Main-direction manager"),
              _("Organisation status"), _("Deletion mark"), _("Catalog"),
              _("Last changed by"), _("Queued for export to 1C")]
    rows = [header]
    number, listing = 1, fetch(1)
    while True:
        for row in listing.rows:
            c = row.counterparty
            rows.append([
                str(c.id), c.name, c.full_name, c.inn, c.kpp, c.ogrn, c.phone, c.email,
                ", ".join(names.of("employee", e) for e in row.managers),
                names.of("employee", row.main_manager) if row.main_manager else "",
                texts.label(texts.ORGANISATION_STATUSES, c.status),
                _("yes") if c.deleted else "", row.catalog_name,
                names.of("employee", row.last_modifier) if row.last_modifier else "",
                _("yes") if c.export_1c else "",
            ])
        # a long list's count reaches only a few pages ahead ("more than"): go on
        # while the listing says there are more
        if number >= min(listing.pages, EXPORT_PAGES):
            return rows
        number += 1
        listing = fetch(number)


def _export_response(rows: list[list[str]], fmt: str, stem: str) -> Response:
    import csv
    import io

    if fmt == "csv":
        out = io.StringIO()
        # Semicolons and a BOM: what Excel with Russian settings opens as columns.
        csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
        body, mimetype = ("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv"
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Counterparties")[:31])
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        book.save(buffer)
        body = buffer.getvalue()
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.{fmt}"'
    return response


@bp.get("/catalogs/<int:catalog_id>/export.<fmt>")
@login_required
def export_catalog(catalog_id: int, fmt: str):
    if fmt not in EXPORT_FORMATS:
        abort(404)
    cards = core().counterparties
    rows = _export_rows(lambda page: cards.catalog_page(actor(), catalog_id, page))
    return _export_response(rows, fmt, f"catalog-{catalog_id}")


@bp.get("/search/export.<fmt>")
@login_required
def export_found(fmt: str):
    """The search line's results (``q``) or the advanced search's (its fields)."""
    if fmt not in EXPORT_FORMATS:
        abort(404)
    cards = core().counterparties
    if "q" in request.args:
        query = request.args.get("q", "")
        rows = _export_rows(lambda page: cards.search(actor(), query, page))
    else:
        values = {k: v for k, v in request.args.items() if k in ADVANCED_FIELDS}
        rows = _export_rows(lambda page: cards.advanced_search(actor(), values, page))
    return _export_response(rows, fmt, "counterparties")


# -- import of a file (CSV / XLSX) into a catalog, with progress -------------------------------
#
# Upload -> the columns and the card fields they were matched to, which the user may change
# -> the import, run by a background thread of this process through the importer the CLI
# uses (ecrm_adapters.importing). The thread writes the job's state to a JSON file in the
# data directory, which the page polls, so any web process on the same host can answer
# it; rejected rows with their reasons go to a CSV beside it. A job is its uploader's only.

IMPORT_SUFFIXES = (".csv", ".xlsx")
#: The thread writes its progress at most this often (seconds).
PROGRESS_EVERY = 0.5
#: A running job whose state has not been written for this long is reported as stalled.
STALLED = 300


def _imports_dir():
    from pathlib import Path

    folder = Path(current_app.extensions["ecrm"].settings.data_dir) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _job_path(job_id: str):
    if not job_id.isalnum() or len(job_id) > 64:
        abort(404)
    return _imports_dir() / f"{job_id}.json"


def _read_job(job_id: str) -> dict:
    import json

    path = _job_path(job_id)
    try:
        job = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        abort(404)
    if job.get("owner") != actor():
        abort(404)
    return job


def _write_job(path, job: dict) -> None:
    import json
    import os
    import time

    job["written_at"] = time.time()
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(job, ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, path)


def _import_form_context(**extra) -> dict:
    return {"catalog_options": _catalog_options(core().catalogs.tree(actor())),
            "back": back_url(url_for("ui_clients.home")), "names": ClientNames(), **extra}


@bp.get("/import")
@login_required
def import_form():
    values = {}
    if as_int(request.args.get("catalog_id")):
        values["catalog_id"] = request.args["catalog_id"]
    return render_template("clients/import.html", errors={}, values=values,
                           **_import_form_context())


@bp.post("/import")
@login_required
def start_import():
    """Keep the upload and show its columns with the fields they were matched to."""
    import secrets
    from pathlib import PurePath

    from ecrm_adapters.importing import guess_mapping, open_table

    form = form_data()
    upload = request.files.get("file")
    errors: dict[str, str] = {}
    catalog = None
    catalog_id = as_int(form.get("catalog_id"))
    if catalog_id is None:
        errors["catalog_id"] = "required"
    else:
        try:
            catalog = core().catalogs.get(actor(), catalog_id)
        except NotFound:
            errors["catalog_id"] = "no such catalog"
    filename = PurePath(upload.filename or "").name if upload is not None else ""
    suffix = PurePath(filename).suffix.lower()
    if upload is None or not filename:
        errors["file"] = "required"
    elif suffix not in IMPORT_SUFFIXES:
        errors["file"] = "a CSV or XLSX file"
    if catalog is not None and not _allowed(Action.CREATE, catalog.ref, COUNTERPARTY):
        raise Forbidden(f"you may not create {COUNTERPARTY} here")
    if errors:
        return render_template("clients/import.html", errors=texts.field_errors(errors),
                               values=form, **_import_form_context()), 422
    job_id = secrets.token_hex(16)
    source = _imports_dir() / f"{job_id}{suffix}"
    upload.save(source)
    try:
        with open_table(source, filename=filename) as table:
            headers, estimated = table.headers, table.estimated_rows
            guessed = guess_mapping(headers)
    except ValidationFailed as exc:
        source.unlink(missing_ok=True)
        return render_template("clients/import.html", errors=texts.field_errors(exc.errors),
                               values=form, **_import_form_context()), 422
    _write_job(_job_path(job_id), {
        "owner": actor(), "catalog_id": catalog.id, "catalog_name": catalog.name,
        "filename": filename, "source": source.name, "state": "mapping",
        "headers": headers, "guessed": {str(i): f for i, f in guessed.items()},
        "total": estimated, "processed": 0,
    })
    return redirect_to(url_for("ui_clients.import_job", job_id=job_id))


def _field_options() -> list[tuple[str, str]]:
    from ecrm_adapters.importing import FIELDS

    return [(f, texts.label(texts.CARD_FIELD_LABELS, f)) for f in FIELDS]


def _job_context(job_id: str, **extra) -> dict:
    job = _read_job(job_id)
    return {"job": job, "job_id": job_id, "field_options": _field_options(),
            "back": url_for("ui_clients.catalog", catalog_id=job["catalog_id"]),
            "progress": _progress(job), **extra}


@bp.get("/import/<job_id>")
@login_required
def import_job(job_id: str):
    context = _job_context(job_id)
    values = {f"col_{i}": context["job"]["guessed"].get(str(i), "-")
              for i in range(len(context["job"]["headers"]))}
    return render_template("clients/import_job.html", errors={}, values=values, **context)


@bp.post("/import/<job_id>")
@login_required
def run_import(job_id: str):
    """Start the import with the columns as the form maps them."""
    import threading

    from ecrm_adapters.importing import resolve_mapping

    job = _read_job(job_id)
    if job["state"] != "mapping":
        return redirect_to(url_for("ui_clients.import_job", job_id=job_id))
    form = form_data()
    explicit = {f"#{i + 1}": form.get(f"col_{i}", "-") or "-"
                for i in range(len(job["headers"]))}
    try:
        resolve_mapping(job["headers"], explicit)
    except ValidationFailed as exc:
        return render_template("clients/import_job.html", values=form,
                               errors=texts.field_errors(exc.errors),
                               **_job_context(job_id)), 422
    job.update(state="running", mapping=explicit, rejected_file=f"{job_id}-rejected.csv")
    path = _job_path(job_id)
    _write_job(path, job)
    folder = _imports_dir()
    thread = threading.Thread(
        target=_import_in_background, name=f"ecrm-import-{job_id[:8]}", daemon=True,
        args=(core(), current_app.logger, path, folder, job))
    thread.start()
    return redirect_to(url_for("ui_clients.import_job", job_id=job_id))


def _import_in_background(app, logger, path, folder, job: dict) -> None:
    """The import itself (no request here: only the core and files)."""
    import time

    from ecrm_adapters.importing import import_file

    source = folder / job["source"]
    last = [0.0]

    def progress(done: int) -> None:
        job["processed"] = job.get("processed", 0) + done
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY:
            last[0] = now
            _write_job(path, job)

    try:
        result = import_file(app, job["owner"], job["catalog_id"], source,
                             filename=job["filename"], mapping=job["mapping"],
                             rejected_to=folder / job["rejected_file"], progress=progress)
    except DomainError as exc:
        job.update(state="failed", error=exc.message,
                   errors=getattr(exc, "errors", None) or {})
    except Exception:  # the page must say the import stopped, not hang
        logger.exception("import %s failed", path.stem)
        job.update(state="failed", error="", errors={})
    else:
        job.update(state="done", created=result.created, updated=result.updated,
                   unchanged=result.unchanged, rejected=result.rejected,
                   processed=result.rows, columns=result.columns,
                   ignored=list(result.ignored),
                   rejected_rows=[{"row": r.row, "reasons": r.errors}
                                  for r in result.rejected_rows[:50]])
    finally:
        source.unlink(missing_ok=True)
        _write_job(path, job)


def _progress(job: dict) -> dict:
    import time

    processed, total = job.get("processed", 0), job.get("total")
    finished = job["state"] in ("done", "failed")
    if finished:
        percent = 100
    elif total:
        percent = min(99, int(processed * 100 / total))
    else:
        percent = 0
    if total:
        text = _("Rows done: %(done)s of about %(total)s", done=processed, total=total)
    else:
        text = _("Rows done: %(done)s", done=processed)
    # The thread writes at least once a batch; a long silence means its process stopped.
    stalled = job["state"] == "running" and time.time() - job.get("written_at", 0) > STALLED
    if stalled:
        text += " — " + _("no progress for several minutes: the import may have stopped "
                          "(the web server was restarted?). Rows saved so far stay saved; "
                          "import the file again to finish.")
    return {"state": job["state"], "processed": processed, "total": total,
            "percent": percent, "finished": finished, "stalled": stalled, "text": text}


@bp.get("/import/<job_id>/progress")
@login_required
def import_progress(job_id: str):
    return jsonify(_progress(_read_job(job_id)))


@bp.get("/import/<job_id>/rejected.csv")
@login_required
def rejected_rows(job_id: str):
    from flask import send_file

    job = _read_job(job_id)
    report = _imports_dir() / job.get("rejected_file", "")
    if job["state"] != "done" or not job.get("rejected") or not report.is_file():
        abort(404)
    return send_file(report, mimetype="text/csv", as_attachment=True,
                     download_name=f"rejected-{job['filename']}.csv")
