"""The workflow engine and the reference book of state sets (REQ-4, INV-2, DEAL-1…DEAL-4,
AUTO-1) on in-memory fakes: the default sets, the faults of a set named by path, manual
and automatic changes of state with their guards, roles, reasons, effects and history,
normative durations, and who edits the book ("a state in use cannot be removed")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import attrs
import pytest

from ecrm_core.access.model import Role, RoleAssignment
from ecrm_core.access.policy import Policy, ScopeNode
from ecrm_core.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.money import Money
from ecrm_core.workflow.definition import dump_definition, parse_definition
from ecrm_core.workflow.engine import (
    Facts,
    StateChanged,
    automatic,
    available,
    due_in_state,
    overdue,
    start,
    transition,
)
from ecrm_core.workflow.model import (
    AmountLimit,
    ApprovalObtained,
    LinkedInState,
    NotifyEmployees,
    PlanTask,
    Recipient,
    RequiredFields,
    StateDef,
    StateSet,
    TransitionDef,
    check_definition,
)
from ecrm_core.workflow.services import (
    DEFAULT_STATE_SETS,
    INVOICE,
    PAID_IN_FULL,
    PARTLY_PAID,
    REQUEST,
    StateSetService,
    state_set_of,
)
from tests.fakes import FakeClock, fake_app

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REF = ObjectRef("invoice", 5)
PASSWORD = "correct-horse"


def default(code: str) -> StateSet:
    d = next(d for d in DEFAULT_STATE_SETS if d.code == code)
    return StateSet(id=1, code=d.code, name=d.name, states=d.states, transitions=d.transitions)


def deal_set(**changes) -> StateSet:
    """A long sale (DEAL-2): a contract must be signed, an estimate approved, big deals
    need Sales management; the system closes a deal once it is paid."""
    states = (
        StateDef("lead", "Интерес", 10, initial=True, colour="#1e88e5", norm_hours=48,
                 on_enter=(PlanTask("call", 4, "Позвонить клиенту"),)),
        StateDef("offer", "Предложение", 20, colour="#fb8c00",
                 on_enter=(NotifyEmployees(Recipient.HEAD, "Сделка на согласовании"),)),
        StateDef("won", "Успешно", 30, colour="#43a047"),
        StateDef("closed", "Закрыта", 40, final=True, colour="#9e9e9e"),
    )
    transitions = (
        TransitionDef("lead", "offer", "Сделать предложение",
                      guards=(RequiredFields(("contact_id", "service_id")),)),
        TransitionDef("offer", "won", "Выиграть", roles=frozenset({Role.SALES_MANAGEMENT,
                                                                    Role.CLIENT_MANAGER}),
                      guards=(LinkedInState("contract", frozenset({"signed"})),
                              ApprovalObtained("estimate"),
                              AmountLimit("total", Decimal(100000),
                                          frozenset({Role.SALES_MANAGEMENT})))),
        TransitionDef("offer", "closed", "Проиграть", reason_required=True),
        TransitionDef("won", "closed", "Закрыть", automatic=True,
                      guards=(RequiredFields(("paid_at",)),)),
    )
    values = {"states": states, "transitions": transitions} | changes
    return StateSet(id=3, code="deal", name="Сделки", **values)


# -- the default sets and the faults of a set --------------------------------------------


def test_the_default_sets_are_sound_and_russian():
    for d in DEFAULT_STATE_SETS:
        assert check_definition(d.code, d.name, d.states, d.transitions) == {}
        assert parse_definition(dump_definition(d.states, d.transitions)) == (
            d.states, d.transitions)
    requests = default(REQUEST)
    assert [s.name for s in requests.ordered()] == ["Новая", "В работе", "Выполнена",
                                                     "Отменена"]
    assert requests.initial.code == "new"
    invoices = default(INVOICE)
    assert [s.code for s in invoices.ordered()] == [
        "draft", "issued", "partly_paid", "paid", "cancelled"]
    assert {s.code for s in invoices.states if s.final} == {"cancelled"}


def test_every_fault_of_a_set_is_named_by_its_path():
    s = deal_set().states
    t = deal_set().transitions
    broken_states = (
        s[0],
        attrs.evolve(s[1], initial=True, colour="orange", norm_hours=0),
        attrs.evolve(s[2], code="lead", name=" "),
        attrs.evolve(s[3], on_enter=(PlanTask("Звонок", -1), NotifyEmployees(
            Recipient.ROLE, ""))),
    )
    broken_transitions = (
        attrs.evolve(t[0], to_state="nowhere"),
        attrs.evolve(t[1], to_state="offer"),
        TransitionDef("closed", "lead", "Переоткрыть"),
        attrs.evolve(t[3], roles=frozenset({Role.DIRECTOR}),
                     guards=(AmountLimit("total", Decimal(-1)), RequiredFields(()))),
        t[2],
        attrs.evolve(t[2], name="Отказ"),
    )
    errors = check_definition("Сделки", "", broken_states, broken_transitions)
    assert errors == {
        "code": "Latin small letters, digits and underscores; starts with a letter",
        "name": "required",
        "states": "exactly one state must be initial",
        "states[1].colour": "a colour like #1e88e5",
        "states[1].norm_hours": "a whole number from 1 to 8784",
        "states[2].code": "this code is taken",
        "states[2].name": "required",
        "states[3].on_enter[0].task_type": (
            "Latin small letters, digits and underscores; starts with a letter"),
        "states[3].on_enter[0].due_in_hours": "a whole number from 0 to 8784",
        "states[3].on_enter[1].text": "required",
        "states[3].on_enter[1].role": "required",
        "transitions[0].to_state": "no such state",
        "transitions[1].to_state": "a state cannot lead to itself",
        "transitions[2].from_state": "a final state cannot be left",
        "transitions[3].from_state": "no such state",  # "won" is now called "lead"
        "transitions[3].roles": (
            "automatic transitions are made by the system: leave the roles empty"),
        "transitions[3].guards[0].limit": "must not be negative",
        "transitions[3].guards[1].fields": "add at least one field",
        "transitions[5].to_state": "this transition is already defined",
    }


def test_the_shape_of_a_set_is_checked_as_a_whole():
    s = deal_set().states
    t = deal_set().transitions
    # "won" unreachable, "offer" has no way out once its transitions are gone
    errors = check_definition("deal", "Сделки", s, (t[0],))
    assert errors == {
        "states[1].final": "a state that is not final needs a way out",
        "states[2].code": "unreachable from the initial state",
        "states[3].code": "unreachable from the initial state",
    }
    assert check_definition("deal", "Сделки", (), ()) == {"states": "add at least one state"}
    assert check_definition("deal", "С", (attrs.evolve(s[0], final=True),), ()) == {
        "states[0].final": "the initial state cannot be final"}
    loop = (*t, TransitionDef("won", "offer", "Назад", automatic=True),
            attrs.evolve(t[1], automatic=True, roles=frozenset()))
    assert check_definition("deal", "Сделки", s, loop) == {
        "transitions[5].to_state": "this transition is already defined"}
    loop = (*t[:1], attrs.evolve(t[1], automatic=True, roles=frozenset()), *t[2:],
            TransitionDef("won", "offer", "Назад", automatic=True))
    assert list(check_definition("deal", "Сделки", s, loop).values()) == [
        "automatic transitions must not form a cycle"]


def test_malformed_input_is_named_before_the_set_is_judged():
    with pytest.raises(ValidationFailed) as err:
        parse_definition({
            "states": [{"code": "new", "name": "Новая", "initial": "maybe", "norm_hours": "x",
                        "on_enter": [{"type": "launch_rocket"}]}, "state"],
            "transitions": [{"from_state": "new", "to_state": "done", "name": "Готово",
                             "roles": ["boss"],
                             "guards": [{"type": "amount_limit", "field": "total",
                                         "limit": "сто"}, {"type": "required_fields",
                                                          "fields": "inn"}]}],
        })
    assert err.value.errors == {
        "states[0].initial": "must be true or false",
        "states[0].norm_hours": "a whole number from 1 to 8784",
        "states[0].on_enter[0].type": (
            "one of: plan_task, plan_payment, notify_employees, email_client"),
        "states[1]": "must be an object",
        "transitions[0].roles[0]": "one of: " + ", ".join(r.value for r in Role),
        "transitions[0].guards[0].limit": "a number like 1 234,56",
        "transitions[0].guards[1].fields": "must be a list",
    }
    with pytest.raises(ValidationFailed) as err:
        parse_definition({"states": "all of them"})
    assert err.value.errors == {"states": "must be a list", "transitions": "required"}


# -- the engine ----------------------------------------------------------------------------


def facts(**kw) -> Facts:
    return Facts(ref=REF, **kw)


READY = dict(values={"contact_id": 4, "service_id": 9},
             links={"contract": "signed"}, approvals=frozenset({"estimate"}),
             amounts={"total": Decimal("99999.99")})


def test_what_is_available_and_why_the_rest_is_blocked():
    deal = deal_set()
    (offer,) = available(deal, "lead", facts(values={"contact_id": 4, "service_id": " "}),
                         roles=frozenset())
    assert offer.target.code == "offer" and offer.permitted and not offer.open
    assert [(b.field, b.message) for b in offer.blockers] == [("service_id", "required")]
    options = available(deal, "offer", facts(amounts={"total": Money(200000)}),
                        roles=frozenset({Role.CLIENT_MANAGER}))
    assert [o.target.code for o in options] == ["won", "closed"]  # by the states' order
    won, lost = options
    assert won.permitted and {(b.field, b.message) for b in won.blockers} == {
        ("contract", "not in a state that allows this"),
        ("estimate", "approval not obtained"),
        ("total", "above the limit for your role"),
    }
    assert lost.open and lost.transition.reason_required
    assert available(deal, "won", facts(), frozenset()) == ()  # automatic ones are not offered
    assert not available(deal, "offer", facts(), frozenset({Role.INVOICE_MANAGER}))[0].permitted


def test_a_manual_change_of_state_and_its_history():
    deal = deal_set()
    outcome = transition(deal, "offer", "won", facts(**READY), {Role.CLIENT_MANAGER},
                         reason="  Договор подписан ")
    assert (outcome.from_state, outcome.to_state) == ("offer", "won")
    assert outcome.effects == ()
    event = outcome.event
    assert isinstance(event, StateChanged) and event.subject == REF
    assert [(c.field, c.old, c.new) for c in event.changes] == [
        ("state", "offer", "won"), ("transition", None, "Выиграть"),
        ("reason", None, "Договор подписан")]
    entered = transition(deal, "lead", "offer", facts(**READY), ())
    assert entered.effects == (NotifyEmployees(Recipient.HEAD, "Сделка на согласовании"),)


def test_refusals_say_why():
    deal = deal_set()
    with pytest.raises(Conflict, match="not allowed from the current state"):
        transition(deal, "lead", "won", facts(**READY), {Role.DIRECTOR})
    with pytest.raises(Conflict, match="made automatically"):
        transition(deal, "won", "closed", facts(values={"paid_at": T0}), {Role.DIRECTOR})
    with pytest.raises(Conflict, match="state its state set does not have"):
        transition(deal, "archived", "lead", facts(), {Role.DIRECTOR})
    with pytest.raises(ValidationFailed) as err:
        transition(deal, "lead", "moon", facts(), ())
    assert err.value.errors == {"to_state": "no such state"}
    with pytest.raises(Forbidden, match="your role does not allow"):
        transition(deal, "offer", "won", facts(**READY), {Role.INVOICE_MANAGER})
    # the guards and the reason, all at once
    with pytest.raises(ValidationFailed) as err:
        transition(deal, "lead", "offer", facts(values={"contact_id": ""}), ())
    assert err.value.errors == {"contact_id": "required", "service_id": "required"}
    with pytest.raises(ValidationFailed) as err:
        transition(deal, "offer", "closed", facts(), (), reason="   ")
    assert err.value.errors == {"reason": "required"}
    with pytest.raises(ValidationFailed) as err:
        transition(deal, "offer", "closed", facts(), (), reason="х" * 1001)
    assert err.value.errors == {"reason": "at most 1000 characters"}


def test_amount_limits_and_the_director():
    deal = deal_set()
    big = facts(**(READY | {"amounts": {"total": Money(Decimal("100000.01"))}}))
    with pytest.raises(ValidationFailed) as err:
        transition(deal, "offer", "won", big, {Role.CLIENT_MANAGER})
    assert err.value.errors == {"total": "above the limit for your role"}
    assert transition(deal, "offer", "won", big, {Role.SALES_MANAGEMENT}).to_state == "won"
    # the Director may do everything the policy allows anyone (ORG-6)
    assert transition(deal, "offer", "won", big, {Role.DIRECTOR}).to_state == "won"
    at_limit = facts(**(READY | {"amounts": {"total": Decimal(100000)}}))
    assert transition(deal, "offer", "won", at_limit, {Role.CLIENT_MANAGER}).to_state == "won"


def test_automatic_changes_follow_the_payments_of_an_invoice():
    invoices = default(INVOICE)
    assert automatic(invoices, "draft", facts(conditions=frozenset({PAID_IN_FULL}))) == ()
    assert automatic(invoices, "issued", facts()) == ()
    (part,) = automatic(invoices, "issued", facts(conditions=frozenset({PARTLY_PAID})))
    assert (part.from_state, part.to_state) == ("issued", "partly_paid")
    assert part.event.automatic and ("automatic", None, True) in [
        (c.field, c.old, c.new) for c in part.event.changes]
    (paid,) = automatic(invoices, "partly_paid", facts(conditions=frozenset({PAID_IN_FULL})))
    assert paid.to_state == "paid"
    assert automatic(invoices, "paid", facts(conditions=frozenset({PAID_IN_FULL}))) == ()
    with pytest.raises(ValidationFailed) as err:
        transition(invoices, "draft", "issued", facts(values={"lines": []}), ())
    assert err.value.errors == {"lines": "required"}


def test_automatic_changes_chain_and_an_unsound_set_cannot_loop():
    chain = StateSet(id=9, code="order", name="Заказы", states=(
        StateDef("a", "А", 1, initial=True), StateDef("b", "Б", 2), StateDef("c", "В", 3),
        StateDef("d", "Г", 4, final=True)), transitions=(
        TransitionDef("a", "b", "1", automatic=True), TransitionDef("b", "c", "2", automatic=True),
        TransitionDef("c", "d", "3", guards=(ApprovalObtained("estimate"),), automatic=True)))
    assert [o.to_state for o in automatic(chain, "a", facts())] == ["b", "c"]
    assert [o.to_state for o in automatic(
        chain, "a", facts(approvals=frozenset({"estimate"})))] == ["b", "c", "d"]
    # a set that skipped the checks (a cycle of automatic transitions) is refused, not run
    looping = StateSet(
        id=9, code="order", name="Заказы", states=chain.states,
        transitions=(*chain.transitions, TransitionDef("c", "a", "4", automatic=True)))
    assert list(check_definition(looping.code, looping.name, looping.states,
                                 looping.transitions).values()) == [
        "automatic transitions must not form a cycle"]
    with pytest.raises(Conflict, match="do not settle"):
        automatic(looping, "a", facts())


def test_an_object_starts_in_the_initial_state_and_records_its_moves():
    deal = deal_set()
    thing = SimpleNamespace(state=None, state_entered_at=None, events=[])
    thing.record = thing.events.append
    first = start(deal)
    assert first.event is None and first.effects == (PlanTask("call", 4, "Позвонить клиенту"),)
    first.apply_to(thing, T0)
    assert (thing.state, thing.state_entered_at, thing.events) == ("lead", T0, [])
    later = T0 + timedelta(hours=3)
    transition(deal, thing.state, "offer", facts(**READY), ()).apply_to(thing, later)
    assert thing.state == "offer" and thing.state_entered_at == later
    assert [e.to_state for e in thing.events] == ["offer"]
    assert first.effects[0].due_at(T0) == T0 + timedelta(hours=4)


def test_overdue_in_a_state_by_its_norm():
    assert due_in_state(T0, 48) == T0 + timedelta(hours=48)
    assert due_in_state(T0, None) is None
    assert not overdue(T0, 48, T0 + timedelta(hours=47, minutes=59))
    assert overdue(T0, 48, T0 + timedelta(hours=48))
    assert not overdue(T0, None, T0 + timedelta(days=999))
    assert not overdue(None, 48, T0)


def test_the_roles_an_actor_holds_over_an_object():
    company, dep = ObjectRef("company", 1), ObjectRef("department", 2)
    card = ObjectRef("counterparty", 7)
    grants = (
        RoleAssignment(role=Role.CLIENT_MANAGER, employee_id=5, scope_kind="counterparty",
                       scope_id=7),
        RoleAssignment(role=Role.SALES_MANAGEMENT, employee_id=5, scope_kind="department",
                       scope_id=3),
        RoleAssignment(role=Role.SALES_MANAGEMENT, employee_id=5, scope_kind="company",
                       scope_id=1, project_id=8),
        RoleAssignment(role=Role.DIRECTOR, employee_id=6, scope_kind="company", scope_id=1),
    )
    chain = [ScopeNode(card), ScopeNode(dep), ScopeNode(company)]
    policy = Policy(5, grants)
    assert policy.roles_over(chain) == {Role.CLIENT_MANAGER}
    assert policy.roles_over(chain, project_id=8) == {Role.CLIENT_MANAGER,
                                                        Role.SALES_MANAGEMENT}
    assert Policy(6, grants).roles_over(chain) == {Role.DIRECTOR}


# -- the reference book ------------------------------------------------------------------


@pytest.fixture
def w():
    app, storage = fake_app(clock=FakeClock(T0))
    w = SimpleNamespace(app=app, storage=storage, used={})
    w.director = app.org.found_company(
        "ООО «Ромашка»", {"login": "director", "password": PASSWORD, "full_name": "Петров И."})
    w.d = w.director.id
    w.sales = app.org.create_department(w.d, {"name": "Продажи"})
    w.admin = app.org.add_employee(w.d, {"login": "admin", "password": PASSWORD,
                                         "full_name": "Админов", "department_id": w.sales.id})
    app.access.grant(w.d, w.admin.id, "administrator", ObjectRef("department", w.sales.id))
    w.mgr = app.org.add_employee(w.d, {"login": "mgr", "password": PASSWORD,
                                       "full_name": "Менеджеров", "department_id": w.sales.id})
    w.books = StateSetService(app.uow_factory,
                              [lambda uow, s: w.used.get(s.code, set())])
    with app.uow_factory() as uow:
        w.books.install_defaults(uow)
        w.books.install_defaults(uow)  # twice: nothing doubled
        uow.commit()
    return w


def test_a_new_company_has_the_default_sets(w):
    books = w.books.state_sets(w.mgr.id)
    # the defaults (requests, invoices, orders) and the deal templates' own sets
    assert {d.code for d in DEFAULT_STATE_SETS} == {INVOICE, REQUEST, "order"}
    assert {d.code for d in DEFAULT_STATE_SETS} <= {s.code for s in books}
    with w.app.uow_factory(readonly=True) as uow:
        assert state_set_of(uow, REQUEST).initial.name == "Новая"
        with pytest.raises(NotFound):
            state_set_of(uow, "deal")
    rows = [h for h in w.storage.stores["history"].values() if h.subject_kind == "state_set"]
    assert len(rows) == len(books) and rows[0].changes[2]["field"] == "states"


def data_of(s: StateSet, **changes) -> dict:
    return dump_definition(s.states, s.transitions) | {"version": s.version} | changes


def test_administrators_edit_the_book(w):
    requests = next(s for s in w.books.state_sets(w.d) if s.code == REQUEST)
    data = data_of(requests)
    data["states"][1]["name"] = "Выполняется"
    data["states"][1]["norm_hours"] = 72
    with pytest.raises(Forbidden, match="reference books"):
        w.books.update(w.mgr.id, requests.id, data)
    changed = w.books.update(w.admin.id, requests.id, data)
    assert changed.state("in_work").name == "Выполняется"
    assert changed.state("in_work").norm_hours == 72
    with pytest.raises(Conflict):  # prepared against the old version
        w.books.update(w.d, requests.id, data)
    last = w.storage.stores["history"][max(w.storage.stores["history"])]
    assert last.subject_kind == "state_set" and [c["field"] for c in last.changes] == ["states"]
    # (a deal template's set "deal:…" is made with its template: tests/unit/test_deals.py)
    created = w.books.create(w.d, {
        "code": "long_sale", "name": "Длинная продажа",
        "states": [{"code": "lead", "name": "Интерес", "initial": True,
                    "on_enter": [{"type": "plan_task", "task_type": "call",
                                  "due_in_hours": "4"}]},
                   {"code": "won", "name": "Успешно", "final": True, "colour": "#43A047"}],
        "transitions": [{"from_state": "lead", "to_state": "won", "name": "Выиграть",
                         "roles": ["sales_management"]}]})
    assert created.state("won").colour == "#43a047"
    assert created.transitions[0].roles == {Role.SALES_MANAGEMENT}
    with pytest.raises(ValidationFailed) as err:
        w.books.create(w.d, {"code": "long_sale", "name": "Ещё", "states": [],
                             "transitions": []})
    assert err.value.errors == {"code": "this code is taken",
                                "states": "add at least one state"}


def test_the_book_names_every_fault_and_saves_nothing(w):
    requests = next(s for s in w.books.state_sets(w.d) if s.code == REQUEST)
    data = data_of(requests, code="requests", name="")
    data["states"][0]["on_enter"] = [{"type": "plan_task", "task_type": "rocket",
                                      "due_in_hours": 1}]
    data["states"][2]["colour"] = "зелёный"
    with pytest.raises(ValidationFailed) as err:
        w.books.update(w.d, requests.id, data)
    assert err.value.errors == {
        "code": "the code of a state set cannot be changed",
        "name": "required",
        "states[2].colour": "a colour like #1e88e5",
        "states[0].on_enter[0].task_type": "no such typical task",
    }
    assert w.books.state_set(w.d, requests.id).version == requests.version


def test_a_state_in_use_cannot_be_removed(w):
    requests = next(s for s in w.books.state_sets(w.d) if s.code == REQUEST)
    w.used[REQUEST] = {"in_work"}
    assert w.books.in_use(w.d, requests.id) == {"in_work"}
    data = data_of(requests)
    # drop "in_work" (and the transitions through it)
    data["states"] = [s for s in data["states"] if s["code"] != "in_work"]
    data["transitions"] = [
        {"from_state": "new", "to_state": "done", "name": "Выполнить"},
        {"from_state": "new", "to_state": "cancelled", "name": "Отменить"}]
    with pytest.raises(ValidationFailed) as err:
        w.books.update(w.d, requests.id, data)
    assert err.value.errors == {"states": "states in use cannot be removed: В работе"}
    w.used[REQUEST] = {"new", "done"}
    changed = w.books.update(w.d, requests.id, data)
    assert changed.codes == {"new", "done", "cancelled"}
    assert w.books.update(w.d, requests.id, {"name": "Заявки клиентов"}).name == (
        "Заявки клиентов")
