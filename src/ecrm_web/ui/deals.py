"""Deals of the long sales cycle in the HTML interface (DEAL-1…DEAL-4, RPT-4 first part).

- the administrator's reference books (under «Справочники»): deal templates (DEAL-1,
  DEAL-2) — name, code, description, ``head_after_days``, active, the card's attributes
  (the contract types' attribute rows) and the template's states and transitions with
  the per-state settings: probability, normative working days, required and visible
  attributes, conditions to leave (attributes filled, a document attached, an invoice
  issued / paid, an approval), tasks and payments planned on entering; a state some deal
  is in is marked «используется» and cannot be removed. The working-days calendar
  (DEAL-4): a year's days off and working weekends, marked by the administrator;
- the counterparty card's «Сделки» tab with «Новая сделка» (the chosen template's
  attributes follow it; without JavaScript «Показать поля этого шаблона»), the deal's
  page (its data, the attributes its state shows, the state with the changes offered —
  a blocked one names its unmet conditions —, approvals, the stays with their working
  hours, planned payments, tasks, documents, history, «Выставить счёт» for the deal),
  editing, and the list of deals with the board's filters and «только просроченные»;
- the pipeline board of a template (``DealService.board``): a column per state with its
  count, amount and weighted amount; cards with the client, amount and days in the
  state (over the norm highlighted); drag a card to another column (``static/deals.js``
  posts to ``/deals/<id>/move.json``, which calls ``DealService.move`` like the form:
  a refusal names the unmet conditions on the card); without JavaScript every card
  links to the deal's page and its move buttons;
- the forecast (``DealService.forecast``, RPT-4): a table of months (pipeline, weighted,
  planned, actual, expected) with its filters, an inline SVG bar chart (expected beside
  actual) and the table as CSV / XLSX.

Every view parses its input, calls one core service (whose policy decides) and renders;
forms answer through ``handle_form`` (422 with field messages, 409 on a stale version)."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, jsonify, render_template, request, url_for
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from flask_login import login_required

from ecrm_core.access.model import Action, Role
from ecrm_core.counterparties.model import COUNTERPARTY
from ecrm_core.deals.model import (
    CONDITIONS,
    DEAL_FIELDS,
    DOCUMENT_ATTACHED,
    INVOICE_ISSUED,
    INVOICE_PAID,
    set_code,
)
from ecrm_core.documents.model import MAX_SIZE
from ecrm_core.kernel.errors import Conflict, DomainError, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.org.calendar import WorkCalendar
from ecrm_web.ui import texts
from ecrm_web.ui.books import (
    BLANK_ATTRIBUTE,
    _attribute_options,
    _attribute_rows,
    _base,
    _flag,
    _json_list,
    _posted_attributes,
    _require_books,
    _rows,
    _spreadsheet,
    _with_blanks,
)
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
)
from ecrm_web.ui.sales import SalesNames, fmt_money
from ecrm_web.ui.tasks import TaskNames

bp = Blueprint("ui_deals", __name__)

DEAL, DOCUMENT, DEAL_TEMPLATE = "deal", "document", "deal_template"
EXPORT_FORMATS = ("csv", "xlsx")
#: The deal form's own fields (the template's attributes come as ``attributes.<code>``).
DEAL_FORM_FIELDS = ("name", "amount", "expected_close_on", "project_id", "manager_id",
                    "contact_id", "note")
#: The board's, the list's and the forecast's filters (``DealService._filters``).
FILTERS = ("template_id", "manager_id", "project_id", "close_from", "close_to")
TEMPLATE_FIELDS = ("code", "name", "description", "head_after_days", "active", "version")

#: A state block's inputs: ``states-<n>-<field>``, its planned tasks and payments
#: ``states-<n>-tasks-<k>-<field>`` / ``states-<n>-payments-<k>-<field>``.
STATE_RE = re.compile(r"^states-(?P<n>\d{1,3})-(?P<field>[a-z_]+)$")
NESTED_RE = re.compile(
    r"^states-(?P<n>\d{1,3})-(?P<kind>tasks|payments)-(?P<k>\d{1,2})-(?P<field>[a-z_]+)$")
#: Blank state blocks, and blank task / payment rows in each block, the form offers.
BLANK_STATES = 2
BLANK_TASKS = 1
BLANK_PAYMENTS = 1
BLANK_TRANSITIONS = 3
#: Conditions a row edits with its own inputs (a condition checkbox each).
CONDITION_INPUTS = ((DOCUMENT_ATTACHED, "cond_document"), (INVOICE_ISSUED, "cond_issued"),
                    (INVOICE_PAID, "cond_paid"))
BLANK_STATE = {"code": "", "name": "", "order": "", "colour": "#9e9e9e", "norm_days": "",
               "norm_hours": "", "probability": "", "final": False, "outcome": "",
               "required": "", "visible": "", "guard_fields": "", "cond_document": False,
               "cond_issued": False, "cond_paid": False, "guard_approval": "",
               "guards_other": "[]", "guard_order": "", "on_enter_other": "[]",
               "action_order": "", "tasks": [], "payments": []}
BLANK_TASK = {"task_type": "", "who": "responsible", "due_in_hours": "", "what": ""}
BLANK_PAYMENT = {"percent": "", "amount": "", "due_in_days": ""}
BLANK_TRANSITION = {"from_state": "", "to_state": "", "name": "", "roles[]": [],
                    "reason_required": False, "automatic": False, "guard_fields": "",
                    "cond_document": False, "cond_issued": False, "cond_paid": False,
                    "guard_approval": "", "guards_other": "[]", "guard_order": ""}
#: What a core message about a state's or a transition's part is shown next to.
STATE_INPUTS = ("code", "name", "order", "colour", "norm_days", "norm_hours", "probability",
                "final", "outcome", "initial")
TRANSITION_INPUTS = ("from_state", "to_state", "name", "roles", "reason_required",
                     "automatic")


# -- presenting ----------------------------------------------------------------------------


class DealNames(SalesNames, TaskNames):
    """Names behind the ids of deals: templates and their states, typical tasks, contact
    persons, counterparties, employees, projects; labels of the fields, attributes and
    conditions a refusal names (DEAL-2)."""

    ID_FIELDS = {**SalesNames.ID_FIELDS, **TaskNames.ID_FIELDS, "template_id": DEAL_TEMPLATE}
    DAY_FIELDS = (*SalesNames.DAY_FIELDS, "expected_close_on")

    def __init__(self, template: Any = None) -> None:
        super().__init__(set_code(template.code) if template is not None else None)
        self._templates: dict[int, Any] | None = None
        #: the template of the page's deal (its attributes label a refusal's fields)
        self.template = template

    def templates(self) -> dict[int, Any]:
        if self._templates is None:
            self._templates = {t.id: t for t in core().deal_templates.templates(actor())}
        return self._templates

    def template_of(self, template_id: object) -> Any:
        key = as_int(template_id)
        return self.templates().get(key) if key is not None else None

    def template_name(self, template_id: object) -> str:
        found = self.template_of(template_id)
        return found.name if found is not None else f"#{template_id}"

    def deal_state(self, deal: Any) -> Any:
        template = self.template_of(deal.template_id)
        return self.state(set_code(template.code), deal.state) if template else None

    def deal_set(self, deal: Any) -> str:
        template = self.template_of(deal.template_id)
        return set_code(template.code) if template else ""

    def of(self, kind: str, ident: object) -> str:
        if kind == DEAL_TEMPLATE:
            return self.template_name(ident)
        return super().of(kind, ident)

    def attribute_label(self, code: str) -> str | None:
        found = self.template.attribute(code) if self.template is not None else None
        return found.label if found is not None else None

    def field_label(self, field: str) -> str:
        if field.startswith("attributes."):
            return self.attribute_label(field.split(".", 1)[1]) or field.split(".", 1)[1]
        if field in CONDITIONS:
            return texts.label(texts.DEAL_CONDITIONS, field)
        if field not in DEAL_FIELDS and (found := self.attribute_label(field)):
            return found
        if field in texts.DEAL_FIELD_LABELS:
            return texts.label(texts.DEAL_FIELD_LABELS, field)
        return super().field_label(field)

    def unmet(self, field: str, message: str) -> dict[str, str]:
        """An unmet condition (a refusal's field and message, or an option's blocker) as
        the user reads it: the attribute's label, the condition's, the approval's."""
        if message == "approval not obtained":
            label = _("Approval «%(name)s»", name=field)
        else:
            label = self.field_label(field)
        return {"field": field, "label": label, "message": texts.core_text(message)}

    def history_value(self, field: str, value: object, entry_kind: str = "") -> str:
        if value is None or value == "" or value == [] or value == {}:
            return "—"
        if field == "template_id":
            return self.template_name(value)
        if field in ("amount", "weighted") and isinstance(value, str):
            # Money as history keeps it: "150000.00 RUB"
            number, _sep, currency = value.partition(" ")
            try:
                return fmt_money(Decimal(number)) + (" ₽" if currency in ("", "RUB") else
                                                     f" {currency}")
            except ArithmeticError:
                return value
        if field == "outcome":
            return texts.label(texts.DEAL_OUTCOMES, value)
        if field == "probability":
            return f"{value}%"
        if field == "attributes" and isinstance(value, dict):
            return "; ".join(f"{self.attribute_label(k) or k}: {v}" for k, v in value.items())
        if field == "approvals" and isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        if field in ("due_in_state", "state_entered_at", "closed_at") and \
                isinstance(value, str):
            from ecrm_web.ui.present import fmt_dt

            return fmt_dt(value)
        return super().history_value(field, value, entry_kind)


def fmt_percent(value: object) -> str:
    if value is None:
        return "—"
    return f"{value}%"


def fmt_hours(value: object) -> str:
    if not isinstance(value, int | float | Decimal) or isinstance(value, bool):
        return "—"
    return _("%(n)s h", n=format_decimal(value, format="#,##0.#"))


def fmt_span(span: Any) -> str:
    """A time span as «3 d 4 h» (calendar time)."""
    seconds = int(span.total_seconds()) if span is not None else 0
    days, rest = divmod(max(seconds, 0), 86400)
    hours = rest // 3600
    if days:
        return _("%(d)s d %(h)s h", d=days, h=hours)
    return _("%(h)s h", h=hours)


def days_in_state(deal: Any, now: Any) -> int:
    entered = deal.state_entered_at
    return max((now - entered).days, 0) if entered is not None else 0


def fmt_month(value: object) -> str:
    """«Март 2026» / «March 2026»."""
    return format_date(value, "LLLL y") if isinstance(value, date) else ""


bp.add_app_template_filter(fmt_month, "format_month")
bp.add_app_template_filter(fmt_percent, "percent")
bp.add_app_template_filter(fmt_hours, "hours")
bp.add_app_template_filter(fmt_span, "span")


def _employee_options() -> list[tuple[int, str]]:
    return [(e.id, e.full_name) for e in core().org.employees(actor()) if e.active]


def _project_options() -> list[tuple[int, str]]:
    return [(p.id, p.name) for p in core().org.projects(actor())]


def _sees_all() -> bool:
    """Whether the actor sees everyone's deals on the board, the list and the forecast
    (only then is the manager filter offered; the service decides again)."""
    try:
        return core().deals.sees_all_figures(actor())
    except DomainError:
        return False


def _filter_args() -> dict[str, str]:
    return {k: request.args.get(k, "").strip()[:20] for k in FILTERS
            if request.args.get(k, "").strip()}


def _filter_context(filters: dict[str, str], template_required: bool = False) -> dict:
    templates = core().deal_templates.templates(actor())
    return {"filters": filters, "fctx": {
        "filters": filters, "sees_all": _sees_all(),
        "template_options": [(t.id, t.name) for t in templates],
        "employee_options": _employee_options(), "project_options": _project_options(),
        "template_required": template_required}}


def _bad_filters(call: Callable[[], Any]) -> tuple[Any, dict[str, str]]:
    """Run a read with the page's filters; bad filters give their messages (the page
    then shows nothing)."""
    try:
        return call(), {}
    except ValidationFailed as exc:
        return None, texts.field_errors(exc.errors)


# -- the reference book of deal templates (DEAL-1, DEAL-2) ---------------------------------


def _csv(value: object) -> list[str]:
    return [p.strip() for p in str(value or "").split(",") if p.strip()]


GUARD_TOKENS = ("guard_fields", "cond_document", "cond_issued", "cond_paid",
                "guard_approval", "guards_other")
ACTION_TOKENS = ("task", "payment", "other")


def _in_order(buckets: dict[str, list], order: object, tokens: tuple[str, ...]) -> list:
    """The items of ``buckets`` in the order the form remembered (``order``: the tokens
    of the items as they were, comma-separated), new ones after — so that saving a form
    unchanged sends what was stored."""
    queues = {k: list(v) for k, v in buckets.items()}
    out = []
    for token in str(order or "").split(","):
        if queues.get(token):
            out.append(queues[token].pop(0))
    for token in tokens:
        out.extend(queues.get(token, []))
    return out


def _guard_inputs(guards: list[dict[str, Any]]) -> dict[str, Any]:
    """The inputs of a row's conditions (a state's conditions to leave or a transition's):
    required attributes, the three conditions, one approval; the rest kept as JSON; and
    the order they came in."""
    out: dict[str, Any] = {"guard_fields": "", "cond_document": False, "cond_issued": False,
                           "cond_paid": False, "guard_approval": ""}
    other, order = [], []
    conditions = dict(CONDITION_INPUTS)
    for g in guards:
        kind = g.get("type")
        if kind == "required_fields" and not out["guard_fields"] and g.get("fields"):
            out["guard_fields"] = ", ".join(g.get("fields", []))
            order.append("guard_fields")
        elif kind == "condition_holds" and g.get("condition") in conditions \
                and not out[conditions[g["condition"]]]:
            out[conditions[g["condition"]]] = True
            order.append(conditions[g["condition"]])
        elif kind == "approval_obtained" and not out["guard_approval"] and g.get("approval"):
            out["guard_approval"] = g.get("approval", "")
            order.append("guard_approval")
        else:
            other.append(g)
            order.append("guards_other")
    out["guards_other"] = json.dumps(other, ensure_ascii=False)
    out["guard_order"] = ",".join(order)
    return out


def _guards_of(row: dict[str, Any]) -> tuple[list[Any], list[str]]:
    """A row's conditions for the core and, for each, the input that shows its message."""
    buckets: dict[str, list[tuple[Any, str]]] = {}
    fields = _csv(row.get("guard_fields"))
    if fields:
        buckets["guard_fields"] = [({"type": "required_fields", "fields": fields},
                                    "guard_fields")]
    for condition, name in CONDITION_INPUTS:
        if _flag(row, name):
            buckets[name] = [({"type": "condition_holds", "condition": condition}, name)]
    approval = str(row.get("guard_approval", "")).strip()
    if approval:
        buckets["guard_approval"] = [({"type": "approval_obtained", "approval": approval},
                                      "guard_approval")]
    other = _json_list(row.get("guards_other"))
    # not JSON: sent as it is, the core names it
    buckets["guards_other"] = [(g, "guards_other") for g in
                               (other if isinstance(other, list) else [other])]
    ordered = _in_order(buckets, row.get("guard_order"), GUARD_TOKENS)
    return [g for g, _n in ordered], [n for _g, n in ordered]


def _action_token(action: dict[str, Any]) -> str:
    """Which rows of the form edit an on-enter action: a task's, a payment's (of a share
    of the deal's amount or a fixed sum), or none (kept as JSON)."""
    if action["type"] == "plan_task":
        return "task"
    if action["type"] == "plan_payment" and action.get("amount_field", "amount") == "amount":
        return "payment"
    return "other"


def _state_rows(view) -> tuple[list[dict], list[dict]]:
    """The form's rows of a template's states (with their tasks and payments) and
    transitions."""
    from ecrm_core.workflow.definition import dump_definition

    plain = dump_definition(view.state_set.states, view.state_set.transitions)
    states = []
    for i, s in enumerate(plain["states"]):
        tasks = [{"task_type": a["task_type"], "who": a.get("who", "responsible"),
                  "due_in_hours": str(a["due_in_hours"]), "what": a.get("what", "")}
                 for a in s["on_enter"] if _action_token(a) == "task"]
        payments = [{"percent": "" if a.get("amount") else a["percent"],
                     "amount": a.get("amount") or "", "due_in_days": str(a["due_in_days"])}
                    for a in s["on_enter"] if _action_token(a) == "payment"]
        other = [a for a in s["on_enter"] if _action_token(a) == "other"]
        visible = s.get("visible")
        action_order = ",".join(_action_token(a) for a in s["on_enter"])
        states.append({
            "code": s["code"], "name": s["name"], "order": str(s["order"]),
            "colour": s["colour"], "initial": s["initial"], "final": s["final"],
            "norm_days": text_of(s.get("norm_days")), "norm_hours": text_of(s.get("norm_hours")),
            "probability": text_of(s.get("probability")), "outcome": s.get("outcome") or "",
            "required": ", ".join(s.get("required", [])),
            "visible": ", ".join(visible) if visible is not None else "",
            **_guard_inputs(s.get("leave_guards", [])),
            "on_enter_other": json.dumps(other, ensure_ascii=False),
            "action_order": action_order,
            "tasks": tasks, "payments": payments, "at": i})
    transitions = [{"from_state": t["from_state"], "to_state": t["to_state"],
                    "name": t["name"], "roles[]": list(t["roles"]),
                    "reason_required": t["reason_required"], "automatic": t["automatic"],
                    **_guard_inputs(t["guards"]), "at": i}
                   for i, t in enumerate(plain["transitions"])]
    return states, transitions


def _posted_states() -> list[dict[str, Any]]:
    """The posted state blocks in the order of ``n``, each with its task and payment
    rows (in the order of ``k``)."""
    blocks: dict[int, dict[str, Any]] = {}
    nested: dict[tuple[int, str, int], dict[str, str]] = {}
    for key in request.form:
        value = request.form.getlist(key)[-1]
        if found := NESTED_RE.match(key):
            row = nested.setdefault((int(found["n"]), found["kind"], int(found["k"])), {})
            row[found["field"]] = value
        elif found := STATE_RE.match(key):
            blocks.setdefault(int(found["n"]), {"n": int(found["n"])})[found["field"]] = value
    for (n, kind, k), row in sorted(nested.items()):
        block = blocks.setdefault(n, {"n": n})
        block.setdefault(kind, []).append({**row, "k": k})
    initial = request.form.get("initial", "")
    out = []
    for n in sorted(blocks):
        block = blocks[n]
        block.setdefault("tasks", [])
        block.setdefault("payments", [])
        block["initial"] = str(n) == initial
        out.append(block)
    return out


def _task_filled(row: dict[str, Any]) -> bool:
    return any(str(row.get(k, "")).strip() for k in ("task_type", "due_in_hours", "what"))


def _payment_filled(row: dict[str, Any]) -> bool:
    return any(str(row.get(k, "")).strip() for k in ("percent", "amount", "due_in_days"))


class Paths:
    """Where the core's messages about the posted rows land: a path of the definition
    sent (``states[2].on_enter[1].due_in_hours``) → the input that made it
    (``states-5-tasks-0-due_in_hours``)."""

    def __init__(self) -> None:
        self.exact: dict[str, str] = {}
        self.prefixes: list[tuple[str, str]] = []

    def prefix(self, path: str, name: str) -> None:
        self.prefixes.append((path, name))

    def locate(self, key: str) -> str | None:
        if key in self.exact:
            return self.exact[key]
        best = None
        for path, name in self.prefixes:
            if (key == path or key.startswith(path + ".") or key.startswith(path + "[")) \
                    and (best is None or len(path) > len(best[0])):
                best = (path, name)
        if best is None:
            return None
        path, name = best
        rest = key[len(path):].lstrip(".")
        if name.endswith("-") and rest:
            field = re.split(r"[.\[]", rest, maxsplit=1)[0]
            return name + field
        return name.rstrip("-")

    def remap(self, errors: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """(errors by input name, the core's path of each) — unknown paths stay."""
        out: dict[str, str] = {}
        origin: dict[str, str] = {}
        for key, message in errors.items():
            name = self.locate(key) or key
            if name in out:
                out[name] = f"{out[name]}; {message}"
            else:
                out[name] = message
                origin[name] = key
        return out, origin


def _convert_state(block: dict[str, Any], at: int, shown: int, paths: Paths
                   ) -> dict[str, Any]:
    """The core's dict of a posted state block; ``at``: its place in the list sent,
    ``shown``: its place on the form shown again (the inputs its messages land on)."""
    base = f"states-{shown}-"
    here = f"states[{at}]"
    paths.prefix(here, base)
    for name in ("required", "visible"):
        paths.prefix(f"{here}.{name}", base + name)
    guards, inputs = _guards_of(block)
    paths.prefix(f"{here}.leave_guards", base + "guard_fields")
    for j, name in enumerate(inputs):
        paths.prefix(f"{here}.leave_guards[{j}]", base + name)
    tasks = [r for r in block["tasks"] if _task_filled(r)]
    payments = [r for r in block["payments"] if _payment_filled(r)]
    buckets: dict[str, list[tuple[Any, str]]] = {"task": [], "payment": [], "other": []}
    for k, row in enumerate(tasks):
        buckets["task"].append(({
            "type": "plan_task", "task_type": row.get("task_type", "").strip(),
            "who": row.get("who") or "responsible",
            "due_in_hours": row.get("due_in_hours", "").strip() or "0",
            "what": row.get("what", "")}, f"{base}tasks-{k}-"))
    for k, row in enumerate(payments):
        payment = {"type": "plan_payment", "amount_field": "amount",
                   "percent": row.get("percent", "").strip() or "100",
                   "due_in_days": row.get("due_in_days", "").strip() or "0"}
        if row.get("amount", "").strip():
            payment["amount"] = row["amount"].strip()
        buckets["payment"].append((payment, f"{base}payments-{k}-"))
    other = _json_list(block.get("on_enter_other"))
    buckets["other"] = [(item, base + "on_enter_other")
                        for item in (other if isinstance(other, list) else [other])]
    actions: list[Any] = []
    for item, name in _in_order(buckets, block.get("action_order"), ACTION_TOKENS):
        at_path = f"{here}.on_enter[{len(actions)}]"
        paths.prefix(at_path, name)
        if name.endswith("-") and "-payments-" in name:
            paths.exact[f"{at_path}.amount_field"] = name + "amount"
        actions.append(item)
    state: dict[str, Any] = {
        "code": block.get("code", "").strip(), "name": block.get("name", ""),
        "order": block.get("order", "").strip() or "0", "initial": bool(block["initial"]),
        "final": _flag(block, "final"), "colour": block.get("colour", "").strip() or "#9e9e9e",
        "norm_days": block.get("norm_days", "").strip(),
        "norm_hours": block.get("norm_hours", "").strip(),
        "probability": block.get("probability", "").strip(),
        "outcome": block.get("outcome", "").strip(),
        "required": _csv(block.get("required")),
        "leave_guards": guards, "on_enter": actions}
    if _csv(block.get("visible")):
        state["visible"] = _csv(block["visible"])
    return state


def _convert_transition(row: dict[str, Any], at: int, shown: int, paths: Paths
                        ) -> dict[str, Any]:
    base = f"transitions-{shown}-"
    here = f"transitions[{at}]"
    paths.prefix(here, base)
    guards, inputs = _guards_of(row)
    for j, name in enumerate(inputs):
        paths.prefix(f"{here}.guards[{j}]", base + name)
    return {"from_state": row.get("from_state", "").strip(),
            "to_state": row.get("to_state", "").strip(), "name": row.get("name", ""),
            "roles": [v for v in row.get("roles[]", []) if v],
            "reason_required": _flag(row, "reason_required"),
            "automatic": _flag(row, "automatic"), "guards": guards}


def _posted_template() -> tuple[dict[str, Any], dict[str, Any], Paths]:
    """(the data for ``DealTemplateService``, the rows to show again, where the core's
    messages land)."""
    paths = Paths()
    form = form_data()
    data: dict[str, Any] = {k: v for k, v in form.items() if k in TEMPLATE_FIELDS}
    attributes, attribute_rows = _posted_attributes("attributes")
    data["attributes"] = attributes
    states: list[dict[str, Any]] = []
    shown_states = []
    for block in _posted_states():
        filled = any(str(block.get(k, "")).strip() for k in ("code", "name"))
        if not filled:
            continue
        block["final"] = _flag(block, "final")
        for name in ("cond_document", "cond_issued", "cond_paid"):
            block[name] = _flag(block, name)
        if _flag(block, "remove"):
            shown_states.append({**block, "at": None})
            continue
        states.append(_convert_state(block, len(states), len(shown_states), paths))
        shown_states.append({**block, "at": len(states) - 1})
    transitions: list[dict[str, Any]] = []
    transition_rows: list[dict[str, Any]] = []
    for row in _rows("transitions"):
        if not any(str(row.get(k, "")).strip() for k in ("from_state", "to_state", "name")):
            continue
        if _flag(row, "remove"):
            transition_rows.append({**row, "at": None})
            continue
        transitions.append(_convert_transition(row, len(transitions), len(transition_rows),
                                               paths))
        transition_rows.append({**row, "at": len(transitions) - 1})
    for row in transition_rows:
        for name in ("reason_required", "automatic", "cond_document", "cond_issued",
                     "cond_paid"):
            row[name] = _flag(row, name)
    data.update(states=states, transitions=transitions)
    return data, {"states": shown_states, "transitions": transition_rows,
                  "attributes": attribute_rows}, paths


def _with_state_blanks(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for s in states:
        tasks = [t for t in s.get("tasks", []) if _task_filled(t)]
        payments = [p for p in s.get("payments", []) if _payment_filled(p)]
        out.append({**BLANK_STATE, **s,
                    "tasks": tasks + [dict(BLANK_TASK) for _n in range(BLANK_TASKS)],
                    "payments": payments + [dict(BLANK_PAYMENT)
                                            for _n in range(BLANK_PAYMENTS)]})
    for _n in range(BLANK_STATES):
        out.append({**BLANK_STATE, "at": None, "new": True,
                    "tasks": [dict(BLANK_TASK) for _k in range(BLANK_TASKS)],
                    "payments": [dict(BLANK_PAYMENT) for _k in range(BLANK_PAYMENTS)]})
    return out


def _template_form_context(template_id: int | None, posted: dict | None = None,
                           origin: dict[str, str] | None = None) -> dict:
    view = core().deal_templates.template(actor(), template_id) \
        if template_id is not None else None
    if posted is not None:
        states, transitions = posted["states"], posted["transitions"]
        attributes = posted["attributes"]
    elif view is not None:
        states, transitions = _state_rows(view)
        attributes = _attribute_rows(view.template.attributes)
    else:
        states, transitions, attributes = [], [], []
    task_types = [t for t in core().tasks.task_types(actor()) if t.code]
    return {
        **_base("deal_templates"), "obj": view.template if view else None, "view": view,
        "in_use": view.in_use if view else frozenset(),
        "states": _with_state_blanks(states),
        "transitions": _with_blanks(transitions, BLANK_TRANSITION, BLANK_TRANSITIONS),
        "attributes": _with_blanks(attributes, BLANK_ATTRIBUTE),
        "attribute_types": _attribute_options(),
        "state_codes": [s.get("code") for s in states if s.get("code")],
        "attribute_codes": [a.get("code") for a in attributes if a.get("code")],
        "role_options": [(r.value, texts.label(texts.ROLE_LABELS, r)) for r in Role],
        "task_type_options": [(t.code, t.name) for t in task_types],
        "who_options": [(k, str(v)) for k, v in texts.DEAL_TASK_WHO.items()],
        "outcome_options": [(k, str(v)) for k, v in texts.DEAL_OUTCOMES.items()],
        "origin": origin or {},
    }


def _save_template(call: Callable[[dict], Any], template_id: int | None, message: str):
    data, shown, paths = _posted_template()
    origin: dict[str, str] = {}

    def run():
        try:
            return call(data)
        except ValidationFailed as exc:
            remapped, found = paths.remap(exc.errors)
            origin.update(found)
            raise ValidationFailed(remapped) from exc

    return handle_form(
        run, success=lambda t: redirect_to(url_for("ui_deals.edit_template", template_id=t.id)),
        template="deals/template_form.html",
        context=lambda: _template_form_context(template_id, shown, origin), message=message)


@bp.get("/admin/deal-templates")
@login_required
def templates():
    found = core().deal_templates.templates(actor())
    return render_template("deals/templates.html", templates=found, names=DealNames(),
                           **_base("deal_templates"))


@bp.get("/admin/deal-templates/new")
@login_required
def new_template():
    _require_books()
    values = {"active": "1", "head_after_days": "2"}
    return render_template("deals/template_form.html", errors={}, values=values,
                           **_template_form_context(None))


@bp.post("/admin/deal-templates/new")
@login_required
def create_template():
    return _save_template(lambda data: core().deal_templates.create(actor(), data), None,
                          _("The deal template is created."))


@bp.get("/admin/deal-templates/<int:template_id>/edit")
@login_required
def edit_template(template_id: int):
    _require_books()
    context = _template_form_context(template_id)
    obj = context["obj"]
    values = {"name": obj.name, "description": obj.description,
              "head_after_days": str(obj.head_after_days),
              "active": "1" if obj.active else "0", "version": str(obj.version)}
    return render_template("deals/template_form.html", errors={}, values=values, **context)


@bp.post("/admin/deal-templates/<int:template_id>/edit")
@login_required
def update_template(template_id: int):
    def call(data: dict) -> Any:
        data.pop("code", None)
        return core().deal_templates.update(actor(), template_id, data)

    return _save_template(call, template_id, _("The deal template is saved."))


# -- the working-days calendar (DEAL-4) ----------------------------------------------------


def _year_arg() -> Any:
    return request.values.get("year", "").strip()[:6] or str(_today().year)


def _today() -> date:
    from ecrm_web.ui.tasks import today

    return today()


def _calendar_context(year: Any, **extra) -> dict:
    marked, errors = _bad_filters(lambda: core().calendar.days(actor(), year))
    number = as_int(year) if not errors else _today().year
    marked = marked or []
    calendar = WorkCalendar.of(marked)
    months = []
    if not errors:
        for month in range(1, 13):
            first = date(number, month, 1)
            weeks: list[list[Any]] = [[None] * first.weekday()]
            day = first
            while day.month == month:
                if len(weeks[-1]) == 7:
                    weeks.append([])
                weeks[-1].append((day, calendar.is_working(day)))
                day = date.fromordinal(day.toordinal() + 1)
            weeks[-1] += [None] * (7 - len(weeks[-1]))
            months.append((first, weeks))
    context = {**_base("work_calendar"), "year": number, "marked": marked,
               "months": months, "year_errors": errors,
               "weekdays": [format_date(date(2024, 1, i), "EEE") for i in range(1, 8)],
               "marked_days": {d.day: d for d in marked}}
    context.update(extra)
    return context


@bp.get("/admin/work-calendar")
@login_required
def work_calendar():
    return render_template("deals/calendar.html", errors={}, values=None,
                           **_calendar_context(_year_arg()))


@bp.post("/admin/work-calendar")
@login_required
def mark_day():
    """Mark a day as a day off or a working day (a day marked as its weekday already is
    goes back to plain: the service decides)."""
    form = form_data()
    data = {k: form[k] for k in ("day", "working", "note") if k in form}
    year = as_int(form.get("year")) or _today().year
    return handle_form(
        lambda: core().calendar.mark(actor(), data),
        success=lambda _d: redirect_to(url_for("ui_deals.work_calendar", year=year)),
        template="deals/calendar.html", context=lambda: _calendar_context(year),
        message=_("The calendar is saved."))


# -- the card's «Сделки» tab and the deal form (DEAL-3) ------------------------------------


@bp.get("/counterparties/<int:counterparty_id>/deals")
@login_required
def card_deals(counterparty_id: int):
    listing = core().deals.of_counterparty(actor(), counterparty_id, page_arg())
    context = card_context(counterparty_id, "deals")
    context.update(listing=listing, pages=page_count(listing.total), names=DealNames(),
                   now=core().clock.now(),
                   may_create_deal=allowed(Action.CREATE, context["card"].ref, DEAL))
    return render_template("clients/card.html", errors={}, values=None, **context)


def _deal_form_context(counterparty_id: int, values: dict | None, deal: Any = None) -> dict:
    """The registration / edit form: the templates, and the attribute fields of the
    chosen template its state shows (the initial state's for a new deal)."""
    app = core()
    client = app.counterparties.get(actor(), counterparty_id)
    if deal is not None:
        chosen_id = deal.template_id
        available = []
    else:
        available = app.deal_templates.templates(actor(), active_only=True)
        chosen_id = as_int((values or {}).get("template_id"))
        if chosen_id not in {t.id for t in available}:
            chosen_id = available[0].id if available else None
    view = app.deal_templates.template(actor(), chosen_id) if chosen_id else None
    state = None
    if view is not None:
        state = view.state_set.state(deal.state) if deal is not None \
            else view.state_set.initial
    defs = [d for d in view.template.attributes if state is None or state.shows(d.code)] \
        if view is not None else []
    required = set(state.required) if state is not None else set()
    if deal is not None:
        back = url_for("ui_deals.deal", deal_id=deal.id)
    else:
        back = url_for("ui_deals.card_deals", counterparty_id=client.id)
    return {
        "card": client, "deal": deal, "view": view, "state": state,
        "defs": [d if d.code not in required else _required(d) for d in defs],
        "required": required,
        "template_options": [(t.id, t.name) for t in available],
        "employee_options": _employee_options(), "project_options": _project_options(),
        "contact_options": [(c.id, c.full_name)
                            for c in app.counterparties.contacts(actor(), client.id)],
        "names": DealNames(view.template if view else None),
        "back": safe_next(request.values.get("next")) or back,
    }


def _required(definition: Any) -> Any:
    import attrs

    return attrs.evolve(definition, required=True)


def _deal_data(form: dict[str, str], defs) -> dict[str, Any]:
    data: dict[str, Any] = {k: form[k] for k in DEAL_FORM_FIELDS if k in form}
    codes = {d.code for d in defs}
    data["attributes"] = {key[len("attributes."):]: value for key, value in form.items()
                          if key.startswith("attributes.")
                          and key[len("attributes."):] in codes}
    return data


@bp.get("/counterparties/<int:counterparty_id>/deals/new")
@login_required
def new_deal(counterparty_id: int):
    if not allowed(Action.CREATE, ObjectRef(COUNTERPARTY, counterparty_id), DEAL):
        raise Forbidden(f"you may not create {DEAL} here")
    values = {"manager_id": str(actor()),
              "template_id": request.args.get("template_id", "")}
    context = _deal_form_context(counterparty_id, values)
    if context["view"] is not None:
        values["template_id"] = str(context["view"].template.id)
    return render_template("deals/deal_form.html", errors={}, values=values, **context)


@bp.post("/counterparties/<int:counterparty_id>/deals/new")
@login_required
def register_deal(counterparty_id: int):
    form = form_data()
    context = _deal_form_context(counterparty_id, form)
    data = _deal_data(form, context["defs"])
    data.update(counterparty_id=str(counterparty_id), template_id=form.get("template_id", ""))
    return handle_form(
        lambda: core().deals.register(actor(), data),
        success=lambda d: redirect_to(url_for("ui_deals.deal", deal_id=d.id)),
        template="deals/deal_form.html", context=lambda: context,
        message=_("The deal is registered."))


@bp.post("/counterparties/<int:counterparty_id>/deals/new/refill")
@login_required
def refill_deal(counterparty_id: int):
    """The form again with the attribute fields of the template now chosen (nothing is
    saved)."""
    if not allowed(Action.CREATE, ObjectRef(COUNTERPARTY, counterparty_id), DEAL):
        raise Forbidden(f"you may not create {DEAL} here")
    form = form_data()
    return render_template("deals/deal_form.html", errors={}, values=form,
                           **_deal_form_context(counterparty_id, form))


def _deal_values(deal: Any) -> dict[str, str]:
    values = {"name": deal.name, "amount": text_of(deal.amount.amount) if deal.amount else "",
              "expected_close_on": deal.expected_close_on.isoformat()
              if deal.expected_close_on else "",
              "project_id": text_of(deal.project_id), "manager_id": text_of(deal.manager_id),
              "contact_id": text_of(deal.contact_id), "note": deal.note,
              "version": str(deal.version)}
    for code, value in (deal.attributes or {}).items():
        if isinstance(value, bool):
            value = "1" if value else "0"
        values[f"attributes.{code}"] = text_of(value)
    return values


@bp.get("/deals/<int:deal_id>/edit")
@login_required
def edit_deal(deal_id: int):
    deal = editable(core().deals.get(actor(), deal_id))
    return render_template("deals/deal_form.html", errors={}, values=_deal_values(deal),
                           **_deal_form_context(deal.counterparty_id, None, deal))


@bp.post("/deals/<int:deal_id>/edit")
@login_required
def update_deal(deal_id: int):
    form = form_data()
    deal = core().deals.get(actor(), deal_id)
    context = _deal_form_context(deal.counterparty_id, form, deal)
    data = _deal_data(form, context["defs"])
    data["version"] = form.get("version", "")
    return handle_form(
        lambda: core().deals.update(actor(), deal_id, data),
        success=lambda d: redirect_to(url_for("ui_deals.deal", deal_id=d.id)),
        template="deals/deal_form.html", context=lambda: context,
        message=_("The deal is saved."))


# -- the deal's page: state and moves, approvals, stays, payments, tasks, documents -------




def _deal_context(deal_id: int, **extra) -> dict:
    app = core()
    card = app.deals.card(actor(), deal_id)
    deal = card.deal
    _set, options = app.deals.options(actor(), deal_id)
    try:
        entries = app.history.of(actor(), deal.ref)
    except Forbidden:
        entries = []
    names = DealNames(card.template)
    names.counterparty_id = deal.counterparty_id  # the contact persons its history names
    state = card.state_set.state(deal.state)
    ref = deal.ref
    context = {
        "c": card, "deal": deal, "template": card.template, "state_set": card.state_set,
        "state": state, "options": options, "entries": entries, "names": names,
        "set_code": card.template.set_code,
        "shown_attributes": [d for d in card.template.attributes
                             if state is None or state.shows(d.code)],
        "spent": card.time_in_states(),
        "overdue": deal.overdue(card.now),
        "wanted_approvals": card.wanted_approvals,
        "documents": app.documents.of_owner(actor(), DEAL, deal.id),
        "may_upload": allowed(Action.CREATE, ref, DOCUMENT),
        "may_remove": allowed(Action.DELETE, ref, DOCUMENT),
        "may_delete": allowed(Action.DELETE, ref),
        "may_invoice": allowed(Action.CREATE, ObjectRef(COUNTERPARTY, deal.counterparty_id),
                                "invoice"),
        "task_rights": app.tasks.rights_of(actor(), card.tasks) if card.tasks else {},
        "here": url_for("ui_deals.deal", deal_id=deal.id),
        "back": url_for("ui_deals.card_deals", counterparty_id=deal.counterparty_id),
        "moving": None, "unmet": [], "approving": False, "doc_errors": {},
        "doc_values": None,
    }
    context.update(extra)
    return context


@bp.get("/deals/<int:deal_id>")
@login_required
def deal(deal_id: int):
    return render_template("deals/deal.html", errors={}, values=None,
                           **_deal_context(deal_id))


def _unmet(errors: dict[str, str], names: DealNames) -> list[dict[str, str]]:
    return [names.unmet(field, message) for field, message in errors.items()]


@bp.post("/deals/<int:deal_id>/move")
@login_required
def move_deal(deal_id: int):
    """A change of state from the deal's page (the same service call as the board's
    drag): a refusal lists the unmet conditions by name (422)."""
    form = form_data()
    to_state = form.get("to_state", "")
    try:
        moved = core().deals.move(actor(), deal_id, to_state, form.get("reason", ""),
                                  form.get("version"))
    except ValidationFailed as exc:
        context = _deal_context(deal_id, moving=to_state)
        context["unmet"] = _unmet(exc.errors, context["names"])
        return render_template("deals/deal.html", errors=texts.field_errors(exc.errors),
                               values=form, **context), 422
    except Conflict as exc:
        return render_template("deals/deal.html", errors={}, values=form,
                               conflict=texts.core_text(exc.message),
                               **_deal_context(deal_id)), 409
    flash(_("The state is changed."), "success")
    return redirect_to(url_for("ui_deals.deal", deal_id=moved.id))


@bp.post("/deals/<int:deal_id>/move.json")
@login_required
def move_deal_json(deal_id: int):
    """The board's drag (``static/deals.js``): ``{"to_state", "version", "reason"}`` as
    JSON or a form. 200 with the deal's new state; 422 with the unmet conditions named
    (``fields`` as the core gives them, ``unmet`` with their labels); 409 stale; 403."""
    body = request.get_json(silent=True) if request.is_json else None
    data = body if isinstance(body, dict) else form_data()
    names = DealNames()
    try:
        moved = core().deals.move(actor(), deal_id, data.get("to_state", ""),
                                  data.get("reason", ""), data.get("version"))
    except ValidationFailed as exc:
        with contextlib.suppress(DomainError):
            names.template = names.template_of(core().deals.get(actor(), deal_id).template_id)
        return jsonify({"ok": False, "error": "validation_failed",
                        "message": _("The deal cannot move: conditions are not met."),
                        "fields": exc.errors, "unmet": _unmet(exc.errors, names)}), 422
    except (Conflict, Forbidden, NotFound) as exc:
        status = 409 if isinstance(exc, Conflict) else 403 if isinstance(exc, Forbidden) \
            else 404
        return jsonify({"ok": False, "error": exc.code,
                        "message": texts.core_text(exc.message)}), status
    state = names.deal_state(moved)
    return jsonify({"ok": True, "id": moved.id, "state": moved.state,
                    "state_name": state.name if state is not None else moved.state,
                    "version": moved.version,
                    "url": url_for("ui_deals.deal", deal_id=moved.id)})


@bp.post("/deals/<int:deal_id>/approve")
@login_required
def approve_deal(deal_id: int):
    """Record an approval the template asks for (DEAL-2)."""
    form = form_data()
    return handle_form(
        lambda: core().deals.approve(actor(), deal_id, form.get("approval", ""),
                                     form.get("version")),
        success=lambda d: redirect_to(url_for("ui_deals.deal", deal_id=d.id)),
        template="deals/deal.html",
        context=lambda: _deal_context(deal_id, approving=True),
        message=_("The approval is recorded."))


@bp.post("/deals/<int:deal_id>/delete")
@login_required
def delete_deal(deal_id: int):
    form = form_data()
    target = safe_next(form.get("next")) or url_for("ui_deals.deals")
    return handle_form(
        lambda: core().deals.delete(actor(), deal_id, form.get("version")),
        success=lambda _r: redirect_to(target),
        template="deals/deal.html", context=lambda: _deal_context(deal_id),
        message=_("The deal is deleted."))


@bp.post("/deals/<int:deal_id>/documents")
@login_required
def upload_document(deal_id: int):
    """A file attached to the deal (DOC-1; «документ приложен», DEAL-2)."""
    form = form_data()
    upload = request.files.get("file")
    data = upload.read(MAX_SIZE + 1) if upload is not None else b""
    filename = (upload.filename or "") if upload is not None else ""
    try:
        core().documents.upload(actor(), DEAL, deal_id, filename, data, form.get("note", ""))
    except ValidationFailed as exc:
        return render_template("deals/deal.html", errors={}, values=None,
                               **_deal_context(deal_id,
                                               doc_errors=texts.field_errors(exc.errors),
                                               doc_values=form)), 422
    flash(_("The document is uploaded."), "success")
    return redirect_to(url_for("ui_deals.deal", deal_id=deal_id))


# -- the list of deals (the board's filters, over the norm) --------------------------------


@bp.get("/deals")
@login_required
def deals():
    filters = _filter_args()
    state = request.args.get("state", "").strip()[:40]
    overdue = (request.args.getlist("overdue") or [""])[-1] == "1"
    listing, errors = _bad_filters(lambda: core().deals.deals(
        actor(), filters, page_arg(), state or None, overdue))
    names = DealNames()
    template = names.template_of(filters.get("template_id"))
    context = _filter_context(filters)
    context.update(listing=listing, filter_errors=errors, names=names, state_filter=state,
                   overdue_only=overdue, now=core().clock.now(),
                   pages=page_count(listing.total) if listing else 1,
                   state_options=[(s.code, s.name) for s in names.states(
                       template.set_code)] if template else [])
    return render_template("deals/list.html", **context)


# -- the pipeline board (DEAL-3, DEAL-4) ---------------------------------------------------


@bp.get("/deals/board")
@login_required
def board_index():
    """The board of the template the filter names, else of the first active one."""
    filters = _filter_args()
    chosen = as_int(filters.pop("template_id", None))
    if chosen is None:
        found = core().deal_templates.templates(actor(), active_only=True) \
            or core().deal_templates.templates(actor())
        if not found:
            return render_template("deals/board.html", board=None, filter_errors={},
                                   names=DealNames(), list_filters={},
                                   **_filter_context({}, True))
        chosen = found[0].id
    return redirect_to(url_for("ui_deals.board", template_id=chosen, **filters))


@bp.get("/deals/board/<int:template_id>")
@login_required
def board(template_id: int):
    filters = _filter_args()
    filters.pop("template_id", None)
    found, errors = _bad_filters(lambda: core().deals.board(actor(), template_id, filters))
    names = DealNames(found.template if found else None)
    context = _filter_context({**filters, "template_id": str(template_id)}, True)
    return render_template("deals/board.html", board=found, filter_errors=errors,
                           names=names, template_id=template_id, list_filters=filters,
                           days_in_state=days_in_state, **context)


# -- the forecast (RPT-4, first part) ------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT = 960, 300
CHART_LEFT, CHART_BOTTOM, CHART_TOP = 80, 40, 16


def _nice_top(value: Decimal) -> Decimal:
    """The chart's top: ``value`` rounded up to 1, 2 or 5 × a power of ten."""
    if value <= 1000:
        return Decimal(1000)
    power = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= power * step:
            return power * step
    return power * 10


def chart(months: list[Any]) -> dict[str, Any]:
    """The geometry of the forecast's bar chart: per month a bar of what is expected and
    one of what was paid, on a scale with five grid lines."""
    top = _nice_top(max([m.expected for m in months] + [m.actual for m in months]
                        + [Decimal(0)]))
    plot_h = CHART_HEIGHT - CHART_BOTTOM - CHART_TOP
    plot_w = CHART_WIDTH - CHART_LEFT - 10
    slot = plot_w / max(len(months), 1)
    bar = max(min(slot * 0.36, 28), 2)

    def y(value: Decimal) -> float:
        return CHART_TOP + plot_h - float(value / top) * plot_h

    bars = []
    for i, m in enumerate(months):
        x = CHART_LEFT + slot * i + slot / 2
        label = format_date(m.month, "LLL yy")
        for kind, value, dx in (("expected", m.expected, -bar), ("actual", m.actual, 0)):
            top_y = y(value)
            bars.append({"kind": kind, "x": round(x + dx, 1), "y": round(top_y, 1),
                         "w": round(bar, 1), "h": round(CHART_TOP + plot_h - top_y, 1),
                         "value": fmt_money(value), "month": label,
                         "key": m.month.strftime("%Y-%m")})
    grid = [{"y": round(y(top * k / 5), 1), "label": format_decimal(top * k / 5,
                                                                     format="#,##0")}
            for k in range(6)]
    labels = [{"x": round(CHART_LEFT + slot * i + slot / 2, 1),
               "text": format_date(m.month, "LLL yy")} for i, m in enumerate(months)]
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "bars": bars, "grid": grid,
            "labels": labels, "left": CHART_LEFT, "base": CHART_TOP + plot_h,
            "right": CHART_WIDTH - 10}


def _forecast_args() -> dict[str, str]:
    found = {k: v for k, v in _filter_args().items() if k != "close_from" and k != "close_to"}
    for name in ("months", "start"):
        if request.args.get(name, "").strip():
            found[name] = request.args[name].strip()[:10]
    return found


@bp.get("/deals/forecast")
@login_required
def forecast():
    filters = _forecast_args()
    found, errors = _bad_filters(lambda: core().deals.forecast(actor(), filters))
    context = _filter_context(filters)
    context.update(forecast=found, filter_errors=errors,
                   chart=chart(found.months) if found else None)
    return render_template("deals/forecast.html", **context)


@bp.get("/deals/forecast/export.<fmt>")
@login_required
def export_forecast(fmt: str):
    """The forecast's table as CSV (``;``, UTF-8 with BOM, sums as «12 500,00») or XLSX."""
    if fmt not in EXPORT_FORMATS:
        abort(404)
    found = core().deals.forecast(actor(), _forecast_args())
    rows: list[list[Any]] = [[_("Month"), _("Pipeline"), _("Weighted"), _("Planned payments"),
                              _("Paid"), _("Expected")]]
    for m in found.months:
        rows.append([m.month.strftime("%Y-%m"), m.pipeline, m.weighted, m.planned,
                     m.actual, m.expected])
    t = found.totals
    rows.append([_("Total"), t.pipeline, t.weighted, t.planned, t.actual, t.expected])
    return _spreadsheet(rows, fmt, "forecast", _("Forecast"))


__all__ = ["DealNames", "bp", "chart"]
