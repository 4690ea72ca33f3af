"""Property and stateful tests (hypothesis) of value objects and state machines:
messages' confirmation states, services' active/closed states, login throttling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from ecrm_core.auth.model import LOCK, MAX_FAILURES, WINDOW, LoginThrottle
from ecrm_core.kernel.errors import Forbidden, ValidationFailed
from ecrm_core.kernel.events import MASKED, creation, diff
from ecrm_core.kernel.fields import Fields
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.messages.model import ConfirmationState, Message, MessageKind
from ecrm_core.org.model import Service, ServiceState

T0 = datetime(2026, 1, 1, tzinfo=UTC)
kinds = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20)


@given(kind=kinds, ident=st.integers(min_value=1, max_value=2**62))
def test_object_ref_round_trips_through_text(kind, ident):
    ref = ObjectRef(kind, ident)
    assert ObjectRef.parse(str(ref)) == ref


values = st.one_of(st.none(), st.integers(), st.text(max_size=5), st.booleans())


@given(old=st.dictionaries(kinds, values, max_size=6), new=st.dictionaries(kinds, values, max_size=6))
def test_diff_lists_exactly_the_changed_fields(old, new):
    changes = diff(old, new)
    assert {c.field for c in changes} == {k for k, v in new.items() if old.get(k) != v}
    for c in changes:
        assert (c.old, c.new) == (old.get(c.field), new[c.field])
    assert all(c.old == c.new == MASKED for c in diff(old, new, frozenset(new)))


@given(st.dictionaries(kinds, values, max_size=6))
def test_creation_never_reveals_secrets(data):
    for c in creation(data, frozenset(data)):
        assert c.new == MASKED


@given(st.dictionaries(st.sampled_from(["name", "id", "flag", "x"]),
                       st.one_of(values, st.floats(), st.lists(st.integers(), max_size=2))))
def test_field_parsing_never_crashes_and_names_fields(data):
    fields = Fields()
    fields.text(data, "name", required=True)
    fields.ident(data, "id")
    fields.flag(data, "flag")
    try:
        fields.check()
    except ValidationFailed as exc:
        assert set(exc.errors) <= {"name", "id", "flag"}


class ConfirmationMachine(RuleBasedStateMachine):
    """A confirmation request is answered at most once, by its recipient; a refusal
    always carries a reason."""

    def __init__(self):
        super().__init__()
        self.msg = Message(id=1, message_kind=MessageKind.CONFIRMATION, recipient_id=7,
                           sender_id=3, text="?", state=ConfirmationState.PENDING)
        self.answers = 0

    @rule(by=st.sampled_from([3, 7, 8]), confirmed=st.booleans(), reason=st.text(max_size=8))
    def answer(self, by, confirmed, reason):
        was_pending = self.msg.state is ConfirmationState.PENDING
        try:
            self.msg.answer(by, confirmed, reason, T0)
        except (ValidationFailed, Forbidden):
            return
        assert was_pending and by == 7
        assert confirmed or reason.strip()
        self.answers += 1

    @invariant()
    def answered_once_and_consistent(self):
        assert self.answers <= 1
        if self.msg.state is ConfirmationState.REFUSED:
            assert self.msg.reason
        if self.msg.state is not ConfirmationState.PENDING:
            assert self.msg.answered_at is not None and self.msg.read_at is not None


class ServiceMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.svc = Service(id=1, service_type_id=1, owner_kind="employee", owner_id=1)
        self.now = T0

    @rule()
    def close(self):
        was = self.svc.state
        try:
            self.svc.close(self.now)
        except ValidationFailed:
            assert was is ServiceState.CLOSED

    @rule()
    def reopen(self):
        was = self.svc.state
        try:
            self.svc.reopen(self.now)
        except ValidationFailed:
            assert was is ServiceState.ACTIVE

    @rule(flag=st.booleans())
    def availability(self, flag):
        try:
            self.svc.set_available(flag)
        except ValidationFailed:
            assert flag and self.svc.state is ServiceState.CLOSED

    @invariant()
    def closed_is_never_available(self):
        if self.svc.state is ServiceState.CLOSED:
            assert not self.svc.available and self.svc.closed_at is not None
        else:
            assert self.svc.closed_at is None


class ThrottleMachine(RuleBasedStateMachine):
    """Locks after MAX_FAILURES failures inside WINDOW; a lock lasts LOCK."""

    def __init__(self):
        super().__init__()
        self.t = LoginThrottle(id=1, login="x")
        self.now = T0
        self.recent: list[datetime] = []

    @rule(minutes=st.integers(min_value=0, max_value=40))
    def wait(self, minutes):
        self.now += timedelta(minutes=minutes)

    @precondition(lambda self: not self.t.locked(self.now))
    @rule()
    def fail(self):
        if self.t.window_start is None or self.now - self.t.window_start > WINDOW:
            self.recent = []
        self.recent.append(self.now)
        locked = self.t.failed(self.now)
        assert locked == (len(self.recent) >= MAX_FAILURES)
        if locked:
            assert self.t.locked_until == self.now + LOCK
            self.recent = []

    @precondition(lambda self: not self.t.locked(self.now))
    @rule()
    def succeed(self):
        self.t.succeeded()
        self.recent = []

    @invariant()
    def never_too_many_failures(self):
        assert 0 <= self.t.failures < MAX_FAILURES


TestConfirmation = ConfirmationMachine.TestCase
TestService = ServiceMachine.TestCase
TestThrottle = ThrottleMachine.TestCase


def test_message_text_is_checked():
    for bad in ("", "   ", None, 5, "x" * 4001, "a\x00b"):
        with pytest.raises(ValidationFailed):
            Message.clean_text(bad)


# -- rows of new aggregates (Aggregate.new_values, the import's bulk path) ------------------

card_texts = st.text(alphabet="абвгдеёжзООО «»\"-1 ", max_size=30)


@given(name=card_texts.filter(str.strip), full_name=card_texts, inn=st.text("0123456789",
       max_size=12), extra=st.dictionaries(kinds, values, max_size=3))
def test_a_new_cards_row_is_what_building_the_card_gives(name, full_name, inn, extra):
    """``Counterparty.new_values`` + ``derived_keys`` give the stored fields a built and
    derived card has, and ``created_event`` the event ``record_created`` records."""
    from ecrm_core.counterparties.model import Counterparty, CounterpartyType, derived_keys

    values = {"catalog_id": 7, "type": CounterpartyType.LEGAL_ENTITY, "name": name,
              "full_name": full_name, "inn": inn, "extra": extra, "created_at": T0}
    row = Counterparty.new_values(values)
    row["search_text"], row["name_key"] = derived_keys(name, full_name)
    card = Counterparty(**values)
    card.derive()
    assert row == {k: v for k, v in vars(card).items()
                   if k not in ("id", "version", "events") and not k.startswith("_sa_")}
    card.id = 5
    card.record_created(Counterparty.CREATED)
    assert card.events == [Counterparty.created_event(5, {f: row[f] for f in Counterparty.CREATED})]


def test_new_values_refuses_unknown_and_missing_fields_and_shares_no_default():
    from ecrm_core.counterparties.model import Counterparty, CounterpartyType

    with pytest.raises(TypeError, match="rating"):
        Counterparty.new_values({"catalog_id": 1, "type": CounterpartyType.INDIVIDUAL,
                                 "name": "x", "rating": 5})
    with pytest.raises(TypeError, match="catalog_id"):
        Counterparty.new_values({"type": CounterpartyType.INDIVIDUAL, "name": "x"})
    a, b = (Counterparty.new_values({"catalog_id": 1, "type": CounterpartyType.INDIVIDUAL,
                                     "name": n}) for n in "ab")
    assert a["extra"] == {} and a["extra"] is not b["extra"], "a factory default, per row"


def test_events_recorded_on_the_unit_of_work_reach_history_once():
    from ecrm_core.kernel.events import FieldChange, ObjectCreated
    from tests.fakes import FakeClock, FakeStorage, FakeUnitOfWork

    storage = FakeStorage()
    event = ObjectCreated(subject=ObjectRef("counterparty", 3),
                          changes=(FieldChange("name", None, "x"),))
    with FakeUnitOfWork(storage, FakeClock()) as uow:
        uow.acting_as(9)
        uow.record(event)
        uow.commit()
        assert uow.published == [event]
        uow.commit()  # nothing again
        assert uow.published == [event]
    rows = list(storage.stores["history"].values())
    assert [(r.subject_id, r.action, r.actor_id) for r in rows] == [(3, "ObjectCreated", 9)]
    with FakeUnitOfWork(storage, FakeClock()) as uow:
        uow.record(event)
        uow.rollback()
        uow.commit()
    assert len(storage.stores["history"]) == 1, "a rolled-back record is dropped"


def test_a_text_field_refuses_a_lone_surrogate_naming_the_field():
    fields = Fields()
    assert fields.text({"name": "Ёлка"}, "name") == "Ёлка"
    fields.text({"name": "Ёлка\ud800"}, "name")
    assert "surrogate" in fields.errors["name"]
