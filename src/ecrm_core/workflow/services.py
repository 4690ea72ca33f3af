"""The reference book of state sets (REQ-4, INV-2, DEAL-1): every signed-in employee reads
it; the Director and Administrators edit it. A state that objects are in cannot be
removed (the areas tell which, ``ports.StatesInUse``); a set's code never changes, since
its area finds it by the code. New companies start with ``DEFAULT_STATE_SETS``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import attrs

from ecrm_core.access.services import policy_for
from ecrm_core.kernel.errors import Conflict, NotFound, ValidationFailed
from ecrm_core.kernel.fields import Fields, expected_version
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory, existing
from ecrm_core.workflow.definition import dump_definition, parse_definition
from ecrm_core.workflow.model import (
    CODE_MESSAGE,
    MAX_NAME,
    SET_CODE_RE,
    STATE_SET,
    ApprovalObtained,
    ConditionHolds,
    PlanTask,
    RequiredFields,
    StateDef,
    StateSet,
    TransitionDef,
    check_definition,
)
from ecrm_core.workflow.ports import StatesInUse

Data = dict[str, Any]

#: The codes the areas find their sets by.
REQUEST, INVOICE = "request", "invoice"
#: Conditions the invoice area answers (``WorkflowSubject.holds``): payments registered
#: against the invoice cover part of its total / all of it / none of it.
PARTLY_PAID, PAID_IN_FULL, UNPAID = "partly_paid", "paid_in_full", "unpaid"


@attrs.frozen
class Definition:
    """A state set as reference data (what a new company starts with)."""

    code: str
    name: str
    states: tuple[StateDef, ...]
    transitions: tuple[TransitionDef, ...]


def _cancel(from_state: str, to_state: str = "cancelled") -> TransitionDef:
    return TransitionDef(from_state, to_state, "Отменить", reason_required=True)


#: REQ-4: New, In work, Done, Cancelled; INV-2: Draft, Issued, Partly paid, Paid,
#: Cancelled — the payments move an issued invoice by themselves (a payment removed by
#: mistake lets a paid one go back by hand). Names are Russian
#: (reference data the users see, like the typical tasks).
DEFAULT_STATE_SETS: tuple[Definition, ...] = (
    Definition(
        REQUEST, "Заявки",
        states=(
            StateDef("new", "Новая", 10, initial=True, colour="#1e88e5", norm_hours=24),
            StateDef("in_work", "В работе", 20, colour="#fb8c00"),
            StateDef("done", "Выполнена", 30, final=True, colour="#43a047"),
            StateDef("cancelled", "Отменена", 40, final=True, colour="#9e9e9e"),
        ),
        transitions=(
            TransitionDef("new", "in_work", "Взять в работу"),
            TransitionDef("in_work", "done", "Выполнить"),
            TransitionDef("in_work", "new", "Вернуть в новые"),
            _cancel("new"),
            _cancel("in_work"),
        ),
    ),
    Definition(
        INVOICE, "Счета",
        states=(
            StateDef("draft", "Черновик", 10, initial=True, colour="#78909c"),
            StateDef("issued", "Выставлен", 20, colour="#1e88e5", norm_hours=120),
            StateDef("partly_paid", "Частично оплачен", 30, colour="#f9a825", norm_hours=120),
            # Not final: a payment registered by mistake may be removed, and the invoice
            # then goes back by hand (the two guarded transitions below).
            StateDef("paid", "Оплачен", 40, colour="#43a047"),
            StateDef("cancelled", "Отменён", 50, final=True, colour="#9e9e9e"),
        ),
        transitions=(
            TransitionDef("draft", "issued", "Выставить", guards=(RequiredFields(("lines",)),)),
            TransitionDef("issued", "draft", "Вернуть в черновик"),
            TransitionDef("issued", "paid", "Оплата", automatic=True,
                          guards=(ConditionHolds(PAID_IN_FULL),)),
            TransitionDef("issued", "partly_paid", "Частичная оплата", automatic=True,
                          guards=(ConditionHolds(PARTLY_PAID),)),
            TransitionDef("partly_paid", "paid", "Оплата", automatic=True,
                          guards=(ConditionHolds(PAID_IN_FULL),)),
            # A payment registered by mistake and removed: back to issued, by hand.
            TransitionDef("partly_paid", "issued", "Вернуть в выставленные",
                          guards=(ConditionHolds(UNPAID),)),
            TransitionDef("paid", "partly_paid", "Вернуть в частично оплаченные",
                          guards=(ConditionHolds(PARTLY_PAID),)),
            TransitionDef("paid", "issued", "Вернуть в выставленные",
                          guards=(ConditionHolds(UNPAID),)),
            _cancel("draft"),
            _cancel("issued"),
            _cancel("partly_paid"),
        ),
    ),
)


#: ORD-1…ORD-3: customer orders. The orders area answers the conditions from the order's
#: latest approval round (submitted and waiting / approved / refused) and the approval
#: "estimate" (the latest round approved the estimate the order has now). Submitting
#: (``OrderService.submit``) starts a round and moves a draft to approval; the answers
#: move it on by themselves — approved, or back to the author's draft on a refusal.
ORDER = "order"
ESTIMATE = "estimate"
ESTIMATE_SUBMITTED, ESTIMATE_APPROVED, ESTIMATE_REFUSED = (
    "estimate_submitted", "estimate_approved", "estimate_refused")
DEFAULT_STATE_SETS += (
    Definition(
        ORDER, "Заказы",
        states=(
            StateDef("draft", "Черновик", 10, initial=True, colour="#78909c"),
            StateDef("approval", "На согласовании", 20, colour="#fb8c00", norm_hours=48),
            StateDef("approved", "Согласован", 30, colour="#1e88e5"),
            StateDef("connection", "Подключение", 40, colour="#8e24aa", norm_hours=120),
            StateDef("connected", "Подключён", 50, final=True, colour="#43a047"),
            StateDef("cancelled", "Отменён", 60, final=True, colour="#9e9e9e"),
        ),
        transitions=(
            TransitionDef("draft", "approval", "Отправить на согласование",
                          guards=(RequiredFields(("lines",)),
                                  ConditionHolds(ESTIMATE_SUBMITTED))),
            TransitionDef("approval", "approved", "Согласован", automatic=True,
                          guards=(ConditionHolds(ESTIMATE_APPROVED),)),
            TransitionDef("approval", "draft", "Возвращён автору", automatic=True,
                          guards=(ConditionHolds(ESTIMATE_REFUSED),)),
            TransitionDef("approved", "connection", "Передать в подключение",
                          guards=(ApprovalObtained(ESTIMATE),)),
            TransitionDef("connection", "connected", "Подключён"),
            _cancel("draft"),
            _cancel("approval"),
            _cancel("approved"),
        ),
    ),
)


def state_set_of(uow: UnitOfWork, code: str) -> StateSet:
    """The set an area runs its objects by (NotFound when the book lacks it)."""
    found = uow.state_sets.first(code=code)
    if found is None:
        raise NotFound(STATE_SET, code)
    return found


class StateSetService:
    def __init__(self, uow_factory: UnitOfWorkFactory,
                 states_in_use: Iterable[StatesInUse] = ()) -> None:
        self.uow_factory = uow_factory
        self._usage: list[StatesInUse] = list(states_in_use)

    def on_usage(self, states_in_use: StatesInUse) -> None:
        """An area that runs objects by state sets says which states are in use."""
        self._usage.append(states_in_use)

    def install_defaults(self, uow: UnitOfWork) -> None:
        """The state sets a new company starts with (called when it is founded); a set
        already in the book is left as it is."""
        for d in DEFAULT_STATE_SETS:
            if uow.state_sets.first(code=d.code) is None:
                found = uow.state_sets.add(StateSet(
                    code=d.code, name=d.name, states=d.states, transitions=d.transitions))
                found.record_defined()

    def states_in_use(self, uow: UnitOfWork, state_set: StateSet) -> set[str]:
        used: set[str] = set()
        for answer in self._usage:
            used |= set(answer(uow, state_set))
        return used

    # -- reading ----------------------------------------------------------------------

    def state_sets(self, actor_id: int) -> list[StateSet]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return uow.state_sets.list(order_by=("name", "id"))

    def state_set(self, actor_id: int, set_id: Any) -> StateSet:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return existing(uow.state_sets, STATE_SET, set_id)

    def in_use(self, actor_id: int, set_id: Any) -> set[str]:
        """The set's states objects are in now (the form marks them: not removable)."""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return self.states_in_use(uow, existing(uow.state_sets, STATE_SET, set_id))

    # -- editing ----------------------------------------------------------------------

    def _definition(self, uow: UnitOfWork, data: Data, current: StateSet | None
                    ) -> tuple[str, str, tuple[StateDef, ...], tuple[TransitionDef, ...]]:
        """The set ``data`` describes, checked whole: every bad part named at once."""
        if not isinstance(data, dict):
            raise ValidationFailed.single("states", "must be an object")
        fields = Fields()
        if current is None:
            code = fields.text(data, "code", required=True, max_len=81) or ""
            if code and not SET_CODE_RE.match(code):
                fields.errors["code"] = CODE_MESSAGE
            elif code and uow.state_sets.first(code=code) is not None:
                fields.errors["code"] = "this code is taken"
        else:
            code = current.code
            if "code" in data and data["code"] != current.code:
                fields.errors["code"] = "the code of a state set cannot be changed"
        name = fields.text(data, "name", required=True, max_len=MAX_NAME) \
            if current is None or "name" in data else current.name
        source = dump_definition(current.states, current.transitions) if current else {}
        source.update({k: data[k] for k in ("states", "transitions") if k in data})
        errors = dict(fields.errors)
        states: tuple[StateDef, ...] = ()
        transitions: tuple[TransitionDef, ...] = ()
        try:
            states, transitions = parse_definition(source)
        except ValidationFailed as exc:
            errors.update(exc.errors)
        else:
            for key, message in check_definition(code, name or "", states, transitions).items():
                errors.setdefault(key, message)
        for i, s in enumerate(states):
            for j, action in enumerate(s.on_enter):
                if isinstance(action, PlanTask) and not uow.task_types.first(
                        code=action.task_type, active=True):
                    errors.setdefault(f"states[{i}].on_enter[{j}].task_type",
                                      "no such typical task")
        if current is not None and not errors:
            removed = current.codes - {s.code for s in states}
            blocked = removed & self.states_in_use(uow, current)
            if blocked:
                names = ", ".join(s.name for s in current.ordered() if s.code in blocked)
                errors["states"] = f"states in use cannot be removed: {names}"
        if errors:
            raise ValidationFailed(errors)
        return code, name, states, transitions

    #: Codes of sets another reference book owns: a deal template's set is edited with
    #: its template (whose checks and version guard it), never here.
    OWNED_PREFIXES = ("deal:",)

    def _add(self, uow: UnitOfWork, data: Data) -> StateSet:
        if isinstance(data, dict) and isinstance(data.get("code"), str) \
                and data["code"].startswith(self.OWNED_PREFIXES):
            raise ValidationFailed.single(
                "code", "a deal template's states are made with the template")
        code, name, states, transitions = self._definition(uow, data, None)
        found = uow.state_sets.add(
            StateSet(code=code, name=name, states=states, transitions=transitions))
        found.record_defined()
        return found

    def _redefine(self, uow: UnitOfWork, found: StateSet, data: Data) -> None:
        if found.code.startswith(self.OWNED_PREFIXES):
            raise Conflict("a deal template's states are edited with the template")
        _code, name, states, transitions = self._definition(uow, data, found)
        found.redefine(name, states, transitions)

    def create(self, actor_id: int, data: Data) -> StateSet:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            found = self._add(uow, data)
            uow.commit()
            return found

    def update(self, actor_id: int, set_id: Any, data: Data) -> StateSet:
        """Rename the set, edit its states and transitions (``version``: the one the form
        was prepared against)."""
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            found = existing(uow.state_sets, STATE_SET, set_id)
            if not found.code.startswith(self.OWNED_PREFIXES):
                found.check_version(expected_version(data) if isinstance(data, dict)
                                    else None)
            self._redefine(uow, found, data)
            uow.commit()
            return found

    def put(self, actor_id: int, data: Data) -> tuple[StateSet, bool]:
        """An import (what export wrote): the set of ``data``'s code is redefined, or a new
        one added; True when added."""
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            code = data.get("code") if isinstance(data, dict) else None
            found = uow.state_sets.first(code=code) if isinstance(code, str) else None
            if found is None:
                found, added = self._add(uow, data), True
            else:
                self._redefine(uow, found, data)
                added = False
            uow.commit()
            return found, added
