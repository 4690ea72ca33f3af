"""A state set as plain data and back: what the administrator's form and the JSON API send,
what history records and what storage keeps (a JSON column is enough).

``parse_definition`` turns raw input into value objects, naming every malformed part by
its path (``states[2].norm_hours``, ``transitions[0].guards[1].limit``); the soundness of
the whole set is then ``model.check_definition``'s business. ``dump_*`` give the same
shape back, so ``parse(dump(x)) == x``.

    {"code": "request", "name": "Заявки",
     "states": [{"code": "new", "name": "Новая", "order": 10, "initial": true,
                 "final": false, "colour": "#1e88e5", "norm_hours": 24,
                 "on_enter": [{"type": "plan_task", "task_type": "call",
                               "due_in_hours": 4, "what": "Связаться с клиентом"}]}, …],
     "transitions": [{"from_state": "new", "to_state": "in_work", "name": "Взять в работу",
                      "roles": [], "automatic": false, "reason_required": false,
                      "guards": [{"type": "required_fields", "fields": ["service_id"]}]}, …]}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import attrs

from ecrm_core.access.model import Role
from ecrm_core.kernel.errors import ValidationFailed
from ecrm_core.workflow.model import (
    GUARDS,
    MAX_DAYS,
    MAX_HOURS,
    MAX_TEXT,
    ON_ENTER,
    AmountLimit,
    ApprovalObtained,
    ConditionHolds,
    EmailClient,
    Guard,
    LinkedInState,
    NotifyEmployees,
    OnEnter,
    Outcome,
    PlanPayment,
    PlanTask,
    Recipient,
    RequiredFields,
    StateDef,
    TransitionDef,
)

#: The most states and transitions one set may have (a form stays usable).
MAX_STATES = 50
MAX_TRANSITIONS = 200
MAX_ITEMS = 20
WHOLE_RE = re.compile(r"^-?[0-9]{1,11}$")


class _Reader:
    """Reads one object of the input, naming bad fields by their path."""

    def __init__(self, errors: dict[str, str], data: Any, at: str) -> None:
        self.errors = errors
        self.at = at
        self.ok = isinstance(data, dict)
        self.data = data if self.ok else {}
        if not self.ok:
            errors[at] = "must be an object"

    def path(self, name: str) -> str:
        return f"{self.at}.{name}" if self.at else name

    def fail(self, name: str, message: str) -> None:
        self.errors[self.path(name)] = message

    def text(self, name: str, *, default: str | None = None, max_len: int = 100) -> str:
        value = self.data.get(name, default)
        if value is None:
            self.fail(name, "required")
            return ""
        if not isinstance(value, str):
            self.fail(name, "must be text")
            return ""
        value = value.strip()
        if "\x00" in value:
            self.fail(name, "must not contain NUL characters")
        elif len(value) > max_len:
            self.fail(name, f"at most {max_len} characters")
        return value

    def flag(self, name: str) -> bool:
        value = self.data.get(name, False)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("1", "true", "on", "yes", "0",
                                                         "false", "off", "no", ""):
            return value.lower() in ("1", "true", "on", "yes")
        self.fail(name, "must be true or false")
        return False

    def whole(self, name: str, low: int, high: int, *, default: Any = None,
              optional: bool = False) -> Any:
        value = self.data.get(name, default)
        if value is None or value == "":
            if not optional:
                self.fail(name, "required")
            return None
        number = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, str) and WHOLE_RE.match(value.strip()):
            number = int(value.strip())
        if number is None or not low <= number <= high:
            self.fail(name, f"a whole number from {low} to {high}")
            return None
        return number

    def decimal(self, name: str, *, default: Any = None) -> Decimal:
        from ecrm_core.money import parse_decimal

        value = self.data.get(name, default)
        try:
            number = parse_decimal(value, places=2)
        except ValueError as exc:
            self.fail(name, str(exc))
            return Decimal(0)
        if number is None:
            self.fail(name, "required")
            return Decimal(0)
        return number

    def items(self, name: str, limit: int = MAX_ITEMS, *, required: bool = False) -> list:
        value = self.data.get(name)
        if value is None:
            if required:
                self.fail(name, "required")
            return []
        if not isinstance(value, list | tuple):
            self.fail(name, "must be a list")
            return []
        if len(value) > limit:
            self.fail(name, f"at most {limit} items")
            return []
        return list(value)

    def names(self, name: str) -> tuple[str, ...]:
        out = []
        for i, item in enumerate(self.items(name)):
            if isinstance(item, str):
                out.append(item.strip())
            else:
                self.errors[f"{self.path(name)}[{i}]"] = "must be text"
        return tuple(out)

    def role(self, name: str, value: Any) -> Role | None:
        try:
            return Role(value)
        except ValueError:
            self.errors[name] = "one of: " + ", ".join(r.value for r in Role)
            return None

    def roles(self, name: str) -> frozenset[Role]:
        out = set()
        for i, item in enumerate(self.items(name)):
            role = self.role(f"{self.path(name)}[{i}]", item)
            if role is not None:
                out.add(role)
        return frozenset(out)

    def recipient(self) -> Recipient:
        try:
            return Recipient(self.data.get("who") or Recipient.RESPONSIBLE.value)
        except ValueError:
            self.fail("who", "one of: " + ", ".join(w.value for w in Recipient))
            return Recipient.RESPONSIBLE

    def outcome(self) -> Outcome | None:
        value = self.data.get("outcome")
        if value in (None, ""):
            return None
        try:
            return Outcome(value)
        except ValueError:
            self.fail("outcome", "one of: " + ", ".join(o.value for o in Outcome))
            return None

    def kind(self, known: tuple[type, ...]) -> type | None:
        value = self.data.get("type")
        found = next((k for k in known if k.type == value), None)
        if found is None:
            self.fail("type", "one of: " + ", ".join(k.type for k in known))
        return found


def _guard(errors: dict[str, str], data: Any, at: str) -> Guard | None:
    r = _Reader(errors, data, at)
    if not r.ok or (kind := r.kind(GUARDS)) is None:
        return None
    if kind is RequiredFields:
        return RequiredFields(r.names("fields"))
    if kind is LinkedInState:
        return LinkedInState(r.text("link", max_len=64), frozenset(r.names("states")))
    if kind is ApprovalObtained:
        return ApprovalObtained(r.text("approval", max_len=64))
    if kind is AmountLimit:
        return AmountLimit(r.text("field", max_len=64), r.decimal("limit"),
                           r.roles("roles_above"))
    return ConditionHolds(r.text("condition", max_len=64))


def _on_enter(errors: dict[str, str], data: Any, at: str) -> OnEnter | None:
    r = _Reader(errors, data, at)
    if not r.ok or (kind := r.kind(ON_ENTER)) is None:
        return None
    if kind is PlanTask:
        return PlanTask(r.text("task_type", max_len=40),
                        r.whole("due_in_hours", 0, MAX_HOURS, default=0) or 0,
                        r.text("what", default="", max_len=MAX_TEXT), r.recipient())
    if kind is PlanPayment:
        fixed = r.data.get("amount")
        return PlanPayment(r.text("amount_field", default="total", max_len=64),
                           r.decimal("percent", default="100"),
                           r.whole("due_in_days", 0, MAX_DAYS, default=0) or 0,
                           None if fixed in (None, "") else r.decimal("amount"))
    if kind is NotifyEmployees:
        who = r.recipient()
        role_raw = r.data.get("role")
        role = None if role_raw in (None, "") else r.role(r.path("role"), role_raw)
        return NotifyEmployees(who, r.text("text", max_len=MAX_TEXT), role)
    return EmailClient(r.text("template", max_len=40))


def _state(errors: dict[str, str], data: Any, at: str) -> StateDef | None:
    r = _Reader(errors, data, at)
    if not r.ok:
        return None
    actions = []
    for j, item in enumerate(r.items("on_enter")):
        action = _on_enter(errors, item, f"{at}.on_enter[{j}]")
        if action is not None:
            actions.append(action)
    leave = []
    for j, item in enumerate(r.items("leave_guards")):
        guard = _guard(errors, item, f"{at}.leave_guards[{j}]")
        if guard is not None:
            leave.append(guard)
    colour = r.text("colour", default="#9e9e9e", max_len=7).lower()
    visible = r.data.get("visible")
    return StateDef(
        code=r.text("code", max_len=40), name=r.text("name"),
        order=r.whole("order", -10**6, 10**6, default=0) or 0,
        initial=r.flag("initial"), final=r.flag("final"), colour=colour,
        norm_hours=r.whole("norm_hours", 1, MAX_HOURS, optional=True),
        on_enter=tuple(actions),
        norm_days=r.whole("norm_days", 1, MAX_DAYS, optional=True),
        probability=r.whole("probability", 0, 100, optional=True),
        outcome=r.outcome(), required=r.names("required"),
        visible=None if visible is None else r.names("visible"),
        leave_guards=tuple(leave))


def _transition(errors: dict[str, str], data: Any, at: str) -> TransitionDef | None:
    r = _Reader(errors, data, at)
    if not r.ok:
        return None
    guards = []
    for j, item in enumerate(r.items("guards")):
        guard = _guard(errors, item, f"{at}.guards[{j}]")
        if guard is not None:
            guards.append(guard)
    return TransitionDef(
        from_state=r.text("from_state", max_len=40), to_state=r.text("to_state", max_len=40),
        name=r.text("name"), roles=r.roles("roles"), guards=tuple(guards),
        automatic=r.flag("automatic"), reason_required=r.flag("reason_required"))


def _many(errors: dict[str, str], r: _Reader, name: str, limit: int,
          one: Callable[[dict[str, str], Any, str], Any]) -> tuple:
    out = []
    for i, item in enumerate(r.items(name, limit, required=True)):
        parsed = one(errors, item, f"{name}[{i}]")
        if parsed is not None:
            out.append(parsed)
    return tuple(out)


def parse_definition(data: Any) -> tuple[tuple[StateDef, ...], tuple[TransitionDef, ...]]:
    """The states and transitions of ``data`` (``{"states": […], "transitions": […]}``),
    or ValidationFailed naming every malformed part."""
    errors: dict[str, str] = {}
    r = _Reader(errors, data, "")
    states = _many(errors, r, "states", MAX_STATES, _state) if r.ok else ()
    transitions = _many(errors, r, "transitions", MAX_TRANSITIONS, _transition) if r.ok else ()
    if errors:
        raise ValidationFailed(errors)
    return states, transitions


# -- back to plain data ---------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, frozenset):
        return sorted(str(getattr(v, "value", v)) for v in value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    return value


#: Fields of an on-enter action left out of its plain form while they hold their default
#: (so that the sets written before they existed keep their shape).
_DEFAULTED = {"who": Recipient.RESPONSIBLE, "amount": None}


def dump_item(item: Guard | OnEnter) -> dict[str, Any]:
    return {"type": item.type, **{
        f.name: _plain(getattr(item, f.name)) for f in attrs.fields(type(item))
        if not (isinstance(item, PlanTask | PlanPayment) and f.name in _DEFAULTED
                and getattr(item, f.name) == _DEFAULTED[f.name])}}


def _dump_state(s: StateDef) -> dict[str, Any]:
    out: dict[str, Any] = {
        "code": s.code, "name": s.name, "order": s.order, "initial": s.initial,
        "final": s.final, "colour": s.colour, "norm_hours": s.norm_hours,
        "on_enter": [dump_item(a) for a in s.on_enter]}
    # A deal template's settings (DEAL-2, DEAL-4), written only when set: the sets of
    # requests and invoices keep their shape (history, exports).
    if s.norm_days is not None:
        out["norm_days"] = s.norm_days
    if s.probability is not None:
        out["probability"] = s.probability
    if s.outcome is not None:
        out["outcome"] = s.outcome.value
    if s.required:
        out["required"] = list(s.required)
    if s.visible is not None:
        out["visible"] = list(s.visible)
    if s.leave_guards:
        out["leave_guards"] = [dump_item(g) for g in s.leave_guards]
    return out


def dump_states(states: tuple[StateDef, ...]) -> list[dict[str, Any]]:
    return [_dump_state(s) for s in states]


def dump_transitions(transitions: tuple[TransitionDef, ...]) -> list[dict[str, Any]]:
    return [{"from_state": t.from_state, "to_state": t.to_state, "name": t.name,
             "roles": _plain(t.roles), "guards": [dump_item(g) for g in t.guards],
             "automatic": t.automatic, "reason_required": t.reason_required}
            for t in transitions]


def dump_definition(states: tuple[StateDef, ...], transitions: tuple[TransitionDef, ...]
                    ) -> dict[str, Any]:
    return {"states": dump_states(states), "transitions": dump_transitions(transitions)}


def load_definition(data: dict[str, Any]
                    ) -> tuple[tuple[StateDef, ...], tuple[TransitionDef, ...]]:
    """Stored data back into value objects (storage adapters; trusted input)."""
    return parse_definition(data)
