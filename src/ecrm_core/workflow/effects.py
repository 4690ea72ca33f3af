"""Moving an object through its state set and carrying out what entering a state brings
(REQ-4, INV-2, DEAL-2, AUTO-1): the one place where areas (requests, invoices, later
deals and orders) turn the engine's ``TransitionOutcome``s into changes.

``Mover.start`` puts a new object in its set's initial state, ``Mover.move`` makes a
manual transition for an actor and ``Mover.settle`` the automatic ones that now apply;
each applies the outcome to the object (its ``StateChanged`` goes to history through
the unit of work) and carries out the on-enter actions in the same unit of work:

- ``PlanTask``: a task of the typical task for the object's responsible employee;
- ``PlanPayment``: the area's ``plan_payment`` (a planned payment of a share of an
  amount of the object);
- ``NotifyEmployees``: a system message to the responsible employee, their head or the
  holders of a role over the object;
- ``EmailClient``: a ``ClientEmailRequested`` event, relayed through the outbox to the
  queue, which e-mails the client's address.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Protocol

import attrs

from ecrm_core.access.policy import Policy, ScopeNode
from ecrm_core.kernel.events import DomainEvent, FieldChange
from ecrm_core.kernel.ports import Clock
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.kernel.uow import UnitOfWork
from ecrm_core.messages.model import MessageKind
from ecrm_core.messages.services import post
from ecrm_core.money import Money
from ecrm_core.workflow import engine
from ecrm_core.workflow.model import (
    EmailClient,
    NotifyEmployees,
    PlanPayment,
    PlanTask,
    Recipient,
    StateSet,
)


@attrs.frozen(kw_only=True)
class ClientEmailRequested(DomainEvent):
    """Relayed to the queue: e-mail the client about the object (AUTO-1, MAIL-6)."""

    relayed: ClassVar[bool] = True
    to: str
    template: str
    text: str


class Moving(Protocol):
    """An aggregate that runs by a state set."""

    state: str
    events: list

    @property
    def ref(self) -> ObjectRef: ...

    def record(self, event: DomainEvent) -> None: ...


@attrs.define
class Context:
    """What carrying out the on-enter actions needs to know about the object, given by
    its area."""

    #: whom tasks are planned for and messages go to
    responsible_id: int | None
    counterparty_id: int | None = None
    #: the client's e-mail address for ``EmailClient``
    client_email: str | None = None
    #: how the object reads in messages and e-mails ("Счёт № 12 от 01.12.2026")
    title: str = ""
    #: the ancestry of the object (for roles named by ``NotifyEmployees``)
    chain: Sequence[ScopeNode] = ()
    #: the area's planned payment: ``plan_payment(uow, amount, due_on)``
    plan_payment: Callable[[UnitOfWork, Money, date], Any] | None = None
    #: the object a planned task is about besides its client (``{"deal_id": 7}``: the
    #: deal's tasks, TASK-2)
    task_links: dict[str, int] = attrs.field(factory=dict)
    #: when a task planned ``PlanTask.due_in_hours`` after entering falls due (an area
    #: may count working days); default: calendar hours
    task_due: Callable[[PlanTask, datetime], datetime] | None = None
    #: the day a moment falls on where the object is worked (a planned payment's due
    #: day); default: the UTC date
    day_of: Callable[[datetime], date] | None = None


class Mover:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def start(self, uow: UnitOfWork, state_set: StateSet, obj: Moving,
              subject: engine.WorkflowSubject, context: Context, actor_id: int | None) -> None:
        """A new (already added) object enters the initial state; then the automatic
        transitions that apply."""
        self._apply(uow, obj, engine.start(state_set), subject, context, actor_id)
        self.settle(uow, state_set, obj, subject, context, actor_id)

    def move(self, uow: UnitOfWork, state_set: StateSet, obj: Moving, to_state: Any,
             subject: engine.WorkflowSubject, context: Context, policy: Policy,
             reason: Any = "") -> engine.TransitionOutcome:
        """A manual transition by ``policy``'s actor (who has been allowed to edit the
        object): the engine checks the transition's roles and guards."""
        roles = policy.roles_over(context.chain)
        outcome = engine.transition(state_set, obj.state, to_state, subject, roles, reason)
        self._apply(uow, obj, outcome, subject, context, policy.actor_id)
        self.settle(uow, state_set, obj, subject, context, policy.actor_id)
        return outcome

    def settle(self, uow: UnitOfWork, state_set: StateSet, obj: Moving,
               subject: engine.WorkflowSubject, context: Context, actor_id: int | None
               ) -> list[engine.TransitionOutcome]:
        """Make the automatic transitions that apply now (after any change of the
        object, e.g. a payment registered against an invoice)."""
        outcomes = list(engine.automatic(state_set, obj.state, subject))
        for outcome in outcomes:
            self._apply(uow, obj, outcome, subject, context, actor_id)
        return outcomes

    def options(self, state_set: StateSet, obj: Moving, subject: engine.WorkflowSubject,
                context: Context, policy: Policy) -> tuple[engine.Option, ...]:
        return engine.available(state_set, obj.state, subject,
                                policy.roles_over(context.chain))

    # -- on-enter actions -------------------------------------------------------------

    def _apply(self, uow: UnitOfWork, obj: Moving, outcome: engine.TransitionOutcome,
               subject: engine.WorkflowSubject, context: Context, actor_id: int | None) -> None:
        now = self.clock.now()
        outcome.apply_to(obj, now)
        for action in outcome.effects:
            if isinstance(action, PlanTask):
                self._plan_task(uow, action, context, now, actor_id)
            elif isinstance(action, PlanPayment):
                self._plan_payment(uow, action, subject, context, now)
            elif isinstance(action, NotifyEmployees):
                self._notify(uow, obj, action, context, actor_id)
            elif isinstance(action, EmailClient) and context.client_email:
                obj.record(ClientEmailRequested(
                    subject=obj.ref, to=context.client_email, template=action.template,
                    text=context.title,
                    changes=(FieldChange("client_email", None, action.template),)))

    def _plan_task(self, uow: UnitOfWork, action: PlanTask, context: Context, now: datetime,
                   actor_id: int | None) -> None:
        from ecrm_core.org.services import head_of
        from ecrm_core.tasks.services import plan_task

        responsible = context.responsible_id
        if responsible is not None and action.who is Recipient.HEAD:
            employee = uow.employees.get(responsible)
            responsible = head_of(uow, employee) if employee else None
        if responsible is None:
            return
        due_at = context.task_due(action, now) if context.task_due else action.due_at(now)
        plan_task(uow, self.clock, responsible_id=responsible,
                  type_code=action.task_type, due_at=due_at,
                  what=action.what or context.title, counterparty_id=context.counterparty_id,
                  created_by=actor_id, **context.task_links)

    @staticmethod
    def _plan_payment(uow: UnitOfWork, action: PlanPayment, subject: engine.WorkflowSubject,
                      context: Context, now: datetime) -> None:
        if context.plan_payment is None:
            return
        base = subject.amount(action.amount_field)
        base = getattr(base, "amount", base)
        counted = action.sum_of(Decimal(base) if isinstance(base, Decimal | int)
                                and not isinstance(base, bool) else None)
        if counted is None:
            return
        amount = Money.rounded(counted)
        due = action.due_at(now)
        if amount:
            context.plan_payment(uow, amount, context.day_of(due) if context.day_of
                                 else due.date())

    def _notify(self, uow: UnitOfWork, obj: Moving, action: NotifyEmployees, context: Context,
                actor_id: int | None) -> None:
        from ecrm_core.org.services import head_of

        recipients: set[int] = set()
        if action.who is Recipient.RESPONSIBLE and context.responsible_id:
            recipients.add(context.responsible_id)
        elif action.who is Recipient.HEAD and context.responsible_id:
            employee = uow.employees.get(context.responsible_id)
            head = head_of(uow, employee) if employee else None
            if head is not None:
                recipients.add(head)
        elif action.who is Recipient.ROLE and action.role is not None:
            scopes = {node.ref for node in context.chain}
            recipients.update(a.employee_id for a in uow.roles.list(role=action.role)
                              if a.scope in scopes)
        text = f"{context.title}: {action.text}" if context.title else action.text
        for recipient in sorted(recipients):
            employee = uow.employees.get(recipient)
            if employee is not None and employee.active:
                post(uow, self.clock, kind=MessageKind.NOTIFICATION, recipient_id=recipient,
                     text=text, sender_id=actor_id, subject=obj.ref)
