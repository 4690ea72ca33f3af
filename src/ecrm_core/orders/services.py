"""Use cases of customer orders (ORD-1…ORD-3).

- **Orders** (ORD-1): made for a client (optionally under one of its contracts) with
  lines of three parts — the service package (monthly), equipment and works (one-time);
  a line naming an item is priced from the price list for the client's price type on the
  order's date (``sales.pricing.priced_lines``, the invoices' rule). Lines change only in
  a draft (the set's initial state). Who works a client works its orders (the policy's
  ``CLIENT_WORK``); everyone who sees the client sees them.
- **The estimate** (ORD-2, ``Order.estimate()``): one-time and monthly sums with VAT.
- **Approval** (ORD-2): ``submit`` sends a draft along an ``ApprovalRoute``: a new
  ``ApprovalRound`` freezes the route's steps and the estimate, the order moves to
  "approval" and the first step's approvers get a confirmation request (a system message
  about the order). Each step is answered by one of its approvers — through ``decide``,
  or by answering the request in their messages (``on_approval_answer``); a refusal needs
  a reason, ends the round and returns the order to its author's draft automatically
  (the author is told why); an approval asks the next step, and after the last one the
  order becomes "approved" automatically (the author is told). Submitting again starts a
  new round. Every decision is in the round's and the order's history.
- **Billing hand-off** (ORD-3): an approved order moved by hand to "connection" gets a
  ``BillingHandoff`` — the versioned JSON document for the billing system — and a relayed
  ``BillingHandoffRequested`` (the queue's ``deliver_billing_handoff`` actor calls
  ``deliver_handoff``). A delivery first claims the hand-off in its own commit (attempts
  + 1 and a lease: a concurrent delivery loses on the version or sees the lease and does
  not send), then sends it through the ``BillingGateway`` under its idempotency key, then
  records the outcome: accepted (never sent again), failed for good (the author is told;
  ``hand_off_again`` makes a new revision), or postponed with a back-off
  (``BillingUnavailable`` is raised so that the queue retries; ``redeliver_due`` is the
  periodic sweep of postponed ones).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from ecrm_core.access.model import Action, Role
from ecrm_core.access.policy import ScopeNode
from ecrm_core.access.services import chain_of, policy_for
from ecrm_core.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from ecrm_core.kernel.events import FieldChange, ObjectChanged
from ecrm_core.kernel.fields import Fields, expected_version, page_number
from ecrm_core.kernel.model import HandledMessage
from ecrm_core.kernel.ports import Clock
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory, existing
from ecrm_core.messages.model import ConfirmationState, Message, MessageKind
from ecrm_core.messages.services import post
from ecrm_core.money import MAX_AMOUNT
from ecrm_core.orders.model import (
    APPROVAL_ROUND,
    APPROVAL_ROUTE,
    BILLING_HANDOFF,
    BILLING_SCHEMA,
    MAX_STEPS,
    ORDER,
    PART_OF_ITEM,
    ApprovalRound,
    ApprovalRoute,
    ApprovalStep,
    BillingHandoff,
    Estimate,
    HandoffState,
    Order,
    OrderLine,
    Part,
    RoundStatus,
    handoff_key,
)
from ecrm_core.orders.ports import BillingGateway, BillingRejected, BillingUnavailable
from ecrm_core.org.services import today_of
from ecrm_core.sales.contracts import take_number
from ecrm_core.sales.flow import PAGE, DocumentFlow, DocumentPage, client_contract
from ecrm_core.sales.model import COUNTERPARTY
from ecrm_core.sales.pricing import MAX_LINES, price_terms, priced_lines
from ecrm_core.workflow.effects import Context, Mover
from ecrm_core.workflow.engine import Facts
from ecrm_core.workflow.model import StateSet
from ecrm_core.workflow.services import (
    ESTIMATE,
    ESTIMATE_APPROVED,
    ESTIMATE_REFUSED,
    ESTIMATE_SUBMITTED,
    state_set_of,
)
from ecrm_core.workflow.services import ORDER as ORDER_SET

Data = dict[str, Any]
#: Order numbers: З-1, З-2, … (one sequence, never reused).
ORDER_PATTERN = "З-{seq}"
#: The state codes the orders area acts on: submitting moves a draft to APPROVAL;
#: entering CONNECTION hands the order to billing.
APPROVAL, CONNECTION = "approval", "connection"
#: The action of the confirmation requests sent to approvers:
#: ``order_approval:<round id>:<step index>``.
APPROVAL_ACTION = "order_approval"
#: Roles whose holders answer a step wherever their role is granted; other roles answer
#: when held over the order (on its client, contract, catalog or the Company).
COMPANY_WIDE = frozenset({Role.DIRECTOR, Role.SALES_MANAGEMENT})
#: How long one delivery holds a hand-off (longer than a gateway's timeout: another
#: delivery may take it over only after this).
SEND_LEASE = timedelta(minutes=5)
#: The back-off of a postponed hand-off: 30 s, 1 min, 2 min, … at most an hour.
FIRST_RETRY = timedelta(seconds=30)
LAST_RETRY = timedelta(hours=1)
MAX_NOTE = 2000
ROUTE_NAME = 200


class HandoffBusy(BillingUnavailable):
    """Another delivery holds the hand-off now (it is being sent): try again later."""


def retry_delay(attempts: int) -> timedelta:
    """How long a hand-off waits after its ``attempts``-th failed attempt."""
    if attempts <= 1:
        return FIRST_RETRY
    return min(FIRST_RETRY * 2 ** min(attempts - 1, 20), LAST_RETRY)


def latest_round(uow: UnitOfWork, order_id: int) -> ApprovalRound | None:
    found = uow.approval_rounds.list(order_id=order_id, order_by=("-id",), limit=1)
    return found[0] if found else None


def approvers(uow: UnitOfWork, step: ApprovalStep | None, chain: list[ScopeNode]) -> set[int]:
    """The active employees who may answer ``step`` of an order whose ancestry is
    ``chain``: the named employee; or the holders of the role over the order (anywhere
    for the Director and Sales management)."""
    if step is None:
        return set()
    if step.employee_id is not None:
        candidates = {step.employee_id}
    else:
        grants = uow.roles.list(role=step.role)
        if step.role not in COMPANY_WIDE:
            scopes = {node.ref for node in chain}
            grants = [g for g in grants if g.scope in scopes]
        candidates = {g.employee_id for g in grants}
    found = set()
    for employee_id in candidates:
        employee = uow.employees.get(employee_id)
        if employee is not None and employee.active:
            found.add(employee_id)
    return found


def round_approvers(uow: UnitOfWork, order: Order, current: ApprovalRound,
                    chain: list[ScopeNode]) -> set[int]:
    """Who answers the current step of a round (ORD-2): its approvers, except the order's
    author, whoever submitted it and whoever answered an earlier step of the round — an
    estimate is not approved by the one who made it, nor twice by one person. A step of
    the Director is the Director's even on an order they made (they may do everything)."""
    step = current.current
    return approvers(uow, step, chain) - outsiders_of(order, step, current.submitted_by,
                                                      current.decisions)


def outsiders_of(order: Order, step: ApprovalStep | None, submitted_by: int | None,
                 decisions: Iterable[Any] = ()) -> set[int]:
    """Who may not answer ``step`` of a round of ``order`` (``round_approvers``)."""
    found = {d.employee_id for d in decisions}
    if step is None or step.role is not Role.DIRECTOR:
        found.add(order.author_id)
        if submitted_by is not None:
            found.add(submitted_by)
    return found


def billing_payload(uow: UnitOfWork, order: Order, revision: int, key: str,
                    at: datetime) -> dict[str, Any]:
    """The document for the billing system (ORD-3), schema ``ecrm.billing/1``: the order,
    its client's requisites, its contract, the package, equipment and works lines with
    prices and VAT, and the monthly and one-time totals — sums as decimal text."""
    client = uow.counterparties.get(order.counterparty_id)
    contract = uow.contracts.get(order.contract_id) if order.contract_id else None
    snapshot = order.estimate().snapshot()
    lines = snapshot["lines"]

    def part(name: Part) -> list[dict[str, Any]]:
        return [{k: v for k, v in x.items() if k != "part"} for x in lines
                if x["part"] == name.value]

    requisites = ("name", "full_name", "inn", "kpp", "ogrn", "legal_address",
                  "postal_address", "email", "phone")
    return {
        "schema": BILLING_SCHEMA,
        "key": key,
        "revision": revision,
        "created_at": at.isoformat(),
        "order": {
            "id": order.id,
            "number": order.number,
            "ordered_on": order.ordered_on.isoformat(),
            "vat_included": order.vat_included,
            "client": {"id": order.counterparty_id, **{
                name: getattr(client, name, "") or "" for name in requisites}},
            "contract": None if contract is None else {
                "id": contract.id, "number": contract.number,
                "signed_on": contract.signed_on.isoformat() if contract.signed_on else None},
            "package": part(Part.PACKAGE),
            "equipment": part(Part.EQUIPMENT),
            "works": part(Part.WORK),
            "totals": {"monthly": snapshot["monthly"], "one_time": snapshot["one_time"]},
        },
    }


#: One page of orders (a client's: ``DocumentFlow.of_counterparty``; the list).
OrderPage = DocumentPage


@attrs.frozen
class Redelivery:
    """What a sweep of due hand-offs did (``redeliver_due``)."""

    accepted: int = 0
    failed: int = 0
    waiting: int = 0


class OrderService(DocumentFlow):
    KIND, REPOSITORY, STATE_SET = ORDER, "orders", ORDER_SET

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock,
                 billing: BillingGateway) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.billing = billing
        self.mover = Mover(clock)

    # -- the engine's view of an order ----------------------------------------------------

    @staticmethod
    def facts(uow: UnitOfWork, order: Order, current: ApprovalRound | None = None) -> Facts:
        """What the engine is told: the order's values, its contract's state, its amounts,
        and from its latest approval round the conditions ``estimate_submitted`` /
        ``estimate_approved`` / ``estimate_refused`` and the approval ``estimate`` (the
        latest round approved exactly the estimate the order has now)."""
        current = current or latest_round(uow, order.id)
        conditions: set[str] = set()
        approvals: set[str] = set()
        if current is not None:
            if current.status is RoundStatus.PENDING:
                conditions.add(ESTIMATE_SUBMITTED)
            elif current.status is RoundStatus.APPROVED:
                conditions.add(ESTIMATE_APPROVED)
                if current.estimate == order.estimate().snapshot():
                    approvals.add(ESTIMATE)
            elif current.status is RoundStatus.REFUSED:
                conditions.add(ESTIMATE_REFUSED)
        links = {}
        if order.contract_id:
            contract = uow.contracts.get(order.contract_id)
            if contract is not None:
                links["contract"] = "draft" if contract.draft else "signed"
        values = {name: getattr(order, name) for name in (
            "lines", "contract_id", "ordered_on", "note", "price_type_id")}
        return Facts(ref=order.ref, values=values, links=links,
                     approvals=frozenset(approvals),
                     amounts={"one_time": order.one_time_total.amount,
                              "monthly": order.monthly_total.amount,
                              "total": order.one_time_total.amount},
                     conditions=frozenset(conditions))

    def context(self, uow: UnitOfWork, order: Order) -> Context:
        client = uow.counterparties.get(order.counterparty_id)
        return Context(responsible_id=order.author_id, counterparty_id=order.counterparty_id,
                       client_email=(getattr(client, "email", "") or None),
                       title=order.title, chain=chain_of(uow, order.ref))

    # -- making and editing (ORD-1) -------------------------------------------------------

    def _lines(self, uow: UnitOfWork, fields: Fields, raw: Any, day: date,
               price_type_id: int | None) -> tuple[OrderLine, ...]:
        """The order's lines: priced like an invoice's, each with its ``part`` (by
        default the part of the item's kind: a service is the package, goods are
        equipment, a work is a work; a free-text line must say)."""
        lines: list[OrderLine] = []
        for priced in priced_lines(uow, fields, raw, day, price_type_id, document="order",
                                   max_lines=MAX_LINES):
            at = f"lines[{priced.index}].part"
            given = priced.entry.get("part")
            if given in (None, ""):
                if priced.item is None:
                    fields.errors[at] = "required: package, equipment or work"
                    continue
                part = PART_OF_ITEM[priced.item.item_kind]
            else:
                try:
                    part = Part(given) if isinstance(given, str) else None
                except ValueError:
                    part = None
                if part is None:
                    fields.errors[at] = "one of: package, equipment, work"
                    continue
            lines.append(OrderLine.of(part, priced.line))
        return tuple(lines)

    @staticmethod
    def _counted(fields: Fields, lines: tuple[OrderLine, ...], vat_included: bool
                 ) -> Estimate | None:
        """The estimate of the lines (None when a line is bad); each total must fit the
        bound of sums (what the databases keep)."""
        if "lines" in fields.errors or any(k.startswith("lines[") for k in fields.errors):
            return None
        estimate = Estimate.of(lines, bool(vat_included))
        if max(estimate.one_time.total.amount, estimate.monthly.total.amount) > MAX_AMOUNT:
            fields.errors["lines"] = "the order's total is too large"
        return estimate

    @staticmethod
    def _totals_text(order: Order) -> str:
        return (f"{order.title}: разово {order.one_time_total.in_rubles()}, "
                f"ежемесячно {order.monthly_total.in_rubles()}")

    def create(self, actor_id: int, data: Data) -> Order:
        """Make an order for ``counterparty_id`` (ORD-1): ``contract_id``, ``ordered_on``
        (default: the author's today), ``price_type_id`` (default: the client's type's),
        ``vat_included`` (default: the price type's), ``lines`` (each: ``part``
        package/equipment/work, ``item_id`` and/or ``name``, ``quantity``, optionally
        ``price``, ``unit``, ``vat_rate``, ``discount``), ``note``. A draft numbered
        З-1, З-2, …"""
        if not isinstance(data, dict):
            raise ValidationFailed.single("counterparty_id", "required")
        fields = Fields()
        client_id = fields.ident(data, "counterparty_id", required=True)
        fields.check()
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            client = existing(uow.counterparties, COUNTERPARTY, client_id)
            policy.require(Action.CREATE, ORDER, chain_of(uow, client.ref))
            ordered_on = fields.day(data, "ordered_on") or today_of(uow, self.clock, actor_id)
            price_type, included = price_terms(uow, fields, data, client)
            values: Data = {
                "ordered_on": ordered_on,
                "contract_id": client_contract(uow, fields, data, client.id),
                "price_type_id": price_type.id if price_type else None,
                "vat_included": included,
                "lines": self._lines(uow, fields, data.get("lines"), ordered_on,
                                     price_type.id if price_type else None),
                "note": fields.text(data, "note", max_len=MAX_NOTE) or "",
            }
            estimate = self._counted(fields, values["lines"], values["vat_included"])
            fields.check()
            state_set = state_set_of(uow, ORDER_SET)
            now = self.clock.now()
            order = Order(number=take_number(uow, ORDER, uow.orders, ORDER_PATTERN, ordered_on),
                          counterparty_id=client.id, author_id=actor_id, created_at=now,
                          state=state_set.initial.code, state_entered_at=now, **values)
            order.recount(estimate)
            uow.orders.add(order)
            order.record_created(("number", "counterparty_id", "author_id", "state",
                                  "one_time_total", "monthly_total", *Order.EDITABLE))
            order.tell_client("order", None, self._totals_text(order))
            self.mover.start(uow, state_set, order, self.facts(uow, order),
                             self.context(uow, order), actor_id)
            order.tell_state(state_set, state_set.initial.code)
            uow.commit()
            return order

    def update(self, actor_id: int, order_id: Any, data: Data) -> Order:
        """Edit an order (``version``: the one the form was prepared against). Its lines,
        contract, date and VAT mode change only while it is a draft; its note always."""
        if not isinstance(data, dict):
            raise ValidationFailed.single("lines", "must be an object")
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            order = self._editable(uow, policy, order_id)
            order.check_version(expected_version(data))
            state_set = state_set_of(uow, ORDER_SET)
            fields = Fields()
            values: Data = {}
            if any(k in data for k in ("lines", "contract_id", "ordered_on", "vat_included")):
                if order.state != state_set.initial.code:
                    raise Conflict("only a draft order's lines and terms can be changed")
                if "ordered_on" in data:
                    values["ordered_on"] = fields.day(data, "ordered_on", required=True)
                day = values.get("ordered_on") or order.ordered_on
                if "vat_included" in data:
                    flag = fields.flag(data, "vat_included")
                    values["vat_included"] = order.vat_included if flag is None else flag
                if "lines" in data:
                    values["lines"] = self._lines(uow, fields, data["lines"], day,
                                                  order.price_type_id)
                if "contract_id" in data:
                    values["contract_id"] = client_contract(uow, fields, data,
                                                           order.counterparty_id)
            if "note" in data:
                values["note"] = fields.text(data, "note", max_len=MAX_NOTE) or ""
            estimate = None
            if "lines" in values or "vat_included" in values:
                estimate = self._counted(fields, values.get("lines", order.lines),
                                         values.get("vat_included", order.vat_included))
            fields.check()
            before = self._totals_text(order)
            if order.apply_changes(values):
                order.recount(estimate)
                if self._totals_text(order) != before:
                    order.tell_client("order", before, self._totals_text(order))
            uow.commit()
            return order

    def delete(self, actor_id: int, order_id: Any, version: Any = None) -> None:
        """Only a draft never submitted goes (otherwise cancel it); its number is not
        given again."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            order = existing(uow.orders, ORDER, order_id)
            policy.require(Action.DELETE, ORDER, chain_of(uow, order.ref))
            order.check_version(expected_version({"version": version}))
            state_set = state_set_of(uow, ORDER_SET)
            links = {"approval_rounds": uow.approval_rounds.count(order_id=order.id, limit=1),
                     "billing_handoffs": uow.billing_handoffs.count(order_id=order.id,
                                                                    limit=1),
                     "documents": uow.documents.count(owner_kind=ORDER, owner_id=order.id,
                                                      limit=1)}
            if order.state != state_set.initial.code or any(links.values()):
                raise Conflict("only a draft order never submitted can be deleted; "
                               "cancel it instead", **{k: v for k, v in links.items() if v})
            order.record_deleted(("number", "counterparty_id", "one_time_total",
                                  "monthly_total"))
            order.tell_client("order", order.title, None)
            uow.orders.delete(order)
            uow.commit()

    # -- states (ORD-3) -------------------------------------------------------------------

    def move(self, actor_id: int, order_id: Any, to_state: Any, reason: Any = "",
             version: Any = None) -> Order:
        """Move the order by hand: to "connection" once its estimate is approved (which
        hands it to billing, ORD-3), to "connected", or cancel it (with a reason; a round
        waiting for answers is closed). To approval it goes by ``submit``."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            order = self._editable(uow, policy, order_id)
            order.check_version(expected_version({"version": version}))
            if to_state == APPROVAL:
                raise Conflict("an order goes to approval by submitting it along a route")
            before = order.state
            self._moved(uow, policy, order, to_state, reason)
            self._after_move(uow, order, before)
            uow.commit()
            return order

    def _after_move(self, uow: UnitOfWork, order: Order, before: str) -> None:
        now = self.clock.now()
        if order.state != APPROVAL:
            current = latest_round(uow, order.id)
            if current is not None and current.pending:
                current.cancel(now)
        if order.state == CONNECTION and before != CONNECTION:
            self._hand_off(uow, order, now)

    def _hand_off(self, uow: UnitOfWork, order: Order, now: datetime) -> BillingHandoff:
        """A new revision of the order's billing document, relayed to the queue."""
        revision = 1 + max((h.revision for h in uow.billing_handoffs.list(order_id=order.id)),
                           default=0)
        key = handoff_key(order.id, revision)
        handoff = uow.billing_handoffs.add(BillingHandoff(
            order_id=order.id, revision=revision, key=key,
            payload=billing_payload(uow, order, revision, key, now),
            next_try_at=now, created_at=now))
        handoff.record_requested()
        order.record(ObjectChanged(subject=order.ref, changes=(
            FieldChange("billing", None, f"Данные для биллинга подготовлены, версия {revision}"),
        )))
        return handoff

    def hand_off_again(self, actor_id: int, order_id: Any) -> BillingHandoff:
        """A new revision of the billing document (fresh client data) after the billing
        system refused the last one, for an order in "connection" or past it."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            order = self._editable(uow, policy, order_id)
            last = uow.billing_handoffs.list(order_id=order.id, order_by=("-revision",),
                                             limit=1)
            if not last or last[0].state is not HandoffState.FAILED:
                raise Conflict("only a hand-off the billing system refused is made again")
            handoff = self._hand_off(uow, order, self.clock.now())
            uow.commit()
            return handoff

    # -- approval (ORD-2) -----------------------------------------------------------------

    def submit(self, actor_id: int, order_id: Any, route_id: Any, version: Any = None
               ) -> ApprovalRound:
        """Send a draft order's estimate along the route ``route_id``: a new round freezes
        the route's steps and the estimate, the order moves to approval and the first
        step's approvers are asked. Every step must have someone to answer it other than
        the order's author and the one submitting it."""
        fields = Fields()
        route_ident = fields.ident({"route_id": route_id}, "route_id", required=True)
        fields.check()
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            order = self._editable(uow, policy, order_id)
            order.check_version(expected_version({"version": version}))
            state_set = state_set_of(uow, ORDER_SET)
            if order.state != state_set.initial.code:
                raise Conflict("only a draft order is submitted for approval")
            route = uow.approval_routes.get(route_ident)
            if route is None or not route.active:
                raise ValidationFailed.single("route_id", "no such active route")
            chain = chain_of(uow, order.ref)
            unanswered = [str(i + 1) for i, step in enumerate(route.steps)
                          if not approvers(uow, step, chain)
                          - outsiders_of(order, step, actor_id)]
            if unanswered:
                raise ValidationFailed.single(
                    "route_id", f"nobody can answer step {', '.join(unanswered)} of this route")
            now = self.clock.now()
            current = uow.approval_rounds.add(ApprovalRound(
                order_id=order.id, steps=route.steps, estimate=order.estimate().snapshot(),
                route_id=route.id, route_name=route.name, order_version=order.version,
                submitted_by=actor_id, submitted_at=now))
            current.record_submitted()
            self._moved(uow, policy, order, APPROVAL, "")
            order.record(ObjectChanged(subject=order.ref, changes=(FieldChange(
                "approval", None, f"Отправлен на согласование по маршруту «{route.name}»"),)))
            self._ask(uow, order, current, chain)
            uow.commit()
            return current

    def _ask(self, uow: UnitOfWork, order: Order, current: ApprovalRound,
             chain: list[ScopeNode]) -> None:
        """A confirmation request to each approver of the round's current step."""
        client = uow.counterparties.get(order.counterparty_id)
        author = uow.employees.get(order.author_id)
        text = (f"Согласуйте смету: {order.title}"
                f"{', клиент ' + client.name if client else ''}"
                f"{', автор ' + author.full_name if author else ''}. "
                f"Разово: {order.one_time_total.in_rubles()}, "
                f"ежемесячно: {order.monthly_total.in_rubles()}. "
                f"Шаг {current.step + 1} из {len(current.steps)}"
                f"{' маршрута «' + current.route_name + '»' if current.route_name else ''}.")
        for employee_id in sorted(round_approvers(uow, order, current, chain)):
            post(uow, self.clock, kind=MessageKind.CONFIRMATION, recipient_id=employee_id,
                 text=text, subject=order.ref,
                 action=f"{APPROVAL_ACTION}:{current.id}:{current.step}")

    def _tell_author(self, uow: UnitOfWork, order: Order, text: str,
                     sender_id: int | None = None) -> None:
        author = uow.employees.get(order.author_id)
        if author is not None and author.active:
            post(uow, self.clock, kind=MessageKind.NOTIFICATION, recipient_id=author.id,
                 text=text, sender_id=sender_id, subject=order.ref)

    def _decide(self, uow: UnitOfWork, order: Order, current: ApprovalRound, actor_id: int,
                approve: bool, reason: str, chain: list[ScopeNode]) -> None:
        """Record the answer of ``actor_id`` (an approver of the current step), tell whom
        it concerns and let the order move by itself."""
        step = current.step
        decision = current.decide(step, actor_id, approve, reason, self.clock.now())
        who = uow.employees.get(actor_id)
        name = who.full_name if who else str(actor_id)
        where = f"шаг {step + 1} из {len(current.steps)}"
        if approve:
            said = f"Согласовано ({where}): {name}"
        else:
            said = f"Отказано ({where}): {name}. Причина: {decision.reason}"
        order.record(ObjectChanged(subject=order.ref, changes=(
            FieldChange("approval", None, said),)))
        if current.status is RoundStatus.REFUSED:
            self._tell_author(uow, order, f"{order.title}: смета не согласована — {name} "
                                          f"({where}). Причина: {decision.reason}. "
                                          "Заказ возвращён вам в черновик.", actor_id)
        elif current.status is RoundStatus.APPROVED:
            self._tell_author(uow, order, f"{order.title}: смета согласована.", actor_id)
        else:
            self._ask(uow, order, current, chain)
        state_set = state_set_of(uow, ORDER_SET)
        before = order.state
        self.mover.settle(uow, state_set, order, self.facts(uow, order, current),
                          self.context(uow, order), actor_id)
        order.tell_state(state_set, before)

    def decide(self, actor_id: int, order_id: Any, approve: Any, reason: Any = "") -> ApprovalRound:
        """An approver of the current step confirms (``approve`` True) or refuses the
        order's estimate — a refusal with a ``reason`` (ORD-2). Refused: the round ends
        and the order returns to its author's draft; approved: the next step is asked,
        or after the last one the order is approved. The approver's own request in their
        messages is answered with it."""
        if not isinstance(approve, bool):
            raise ValidationFailed.single("approve", "must be true or false")
        if reason is None:
            reason = ""
        if not isinstance(reason, str):
            raise ValidationFailed.single("reason", "must be text")
        with self.uow_factory() as uow:
            policy_for(uow, actor_id)
            order = existing(uow.orders, ORDER, order_id)
            current = latest_round(uow, order.id)
            if current is None or not current.pending or order.state != APPROVAL:
                raise Conflict("the order is not waiting for approval")
            chain = chain_of(uow, order.ref)
            if actor_id not in round_approvers(uow, order, current, chain):
                raise Forbidden("you do not answer the current step of this approval")
            action = f"{APPROVAL_ACTION}:{current.id}:{current.step}"
            self._decide(uow, order, current, actor_id, approve, reason, chain)
            now = self.clock.now()
            for message in uow.messages.list(recipient_id=actor_id, action=action,
                                             state=ConfirmationState.PENDING):
                message.answer(actor_id, approve, reason, now)
            uow.commit()
            return current

    def on_approval_answer(self, uow: UnitOfWork, message: Message, confirmed: bool) -> None:
        """Confirmation handler (``MessageService``; in the answering unit of work): an
        approver answered the request in their messages. An answer to a step already
        answered (by another holder of the role), to a finished round or by someone who
        no longer answers the step changes nothing."""
        try:
            _action, round_id, step = message.action.split(":")
            round_id, step = int(round_id), int(step)
        except ValueError:
            return
        current = uow.approval_rounds.get(round_id)
        if current is None or not current.pending or current.step != step:
            return
        order = uow.orders.get(current.order_id)
        if order is None or order.state != APPROVAL:
            return
        chain = chain_of(uow, order.ref)
        if message.recipient_id not in round_approvers(uow, order, current, chain):
            return
        self._decide(uow, order, current, message.recipient_id, confirmed, message.reason,
                     chain)

    # -- approval routes (a reference book, ORD-2) ----------------------------------------

    def _steps(self, uow: UnitOfWork, fields: Fields, raw: Any) -> tuple[ApprovalStep, ...]:
        if not isinstance(raw, list | tuple) or not raw:
            fields.errors["steps"] = "add at least one step"
            return ()
        if len(raw) > MAX_STEPS:
            fields.errors["steps"] = f"at most {MAX_STEPS} steps"
            return ()
        steps: list[ApprovalStep] = []
        for i, entry in enumerate(raw):
            at = f"steps[{i}]"
            if not isinstance(entry, dict):
                fields.errors[at] = "must be an object"
                continue
            role, employee = entry.get("role"), entry.get("employee_id")
            if (role in (None, "")) == (employee in (None, "")):
                fields.errors[at] = "name a role or an employee (one of the two)"
                continue
            if role not in (None, ""):
                try:
                    parsed = Role(role) if isinstance(role, str) else None
                except ValueError:
                    parsed = None
                if parsed is None:
                    fields.errors[f"{at}.role"] = (
                        f"one of: {', '.join(r.value for r in Role)}")
                    continue
                steps.append(ApprovalStep(role=parsed))
                continue
            employee_id = fields.ident({f"{at}.employee_id": employee}, f"{at}.employee_id")
            if employee_id is None:
                continue
            found = uow.employees.get(employee_id)
            if found is None or not found.active:
                fields.errors[f"{at}.employee_id"] = "no such active employee"
                continue
            steps.append(ApprovalStep(employee_id=employee_id))
        return tuple(steps)

    def save_route(self, actor_id: int, data: Data, route_id: Any = None) -> ApprovalRoute:
        """Add a route or edit one (``version``: the one the form was prepared against):
        ``name``, ``steps`` (each ``{"role": "sales_management"}`` or
        ``{"employee_id": 7}``), ``active``. The Director and Administrators only."""
        if not isinstance(data, dict):
            raise ValidationFailed.single("name", "required")
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            current = existing(uow.approval_routes, APPROVAL_ROUTE, route_id) \
                if route_id is not None else None
            if current is not None:
                current.check_version(expected_version(data))
            fields = Fields()
            values: Data = {}
            if current is None or "name" in data:
                values["name"] = fields.text(data, "name", required=True, max_len=ROUTE_NAME)
            if current is None or "steps" in data:
                values["steps"] = self._steps(uow, fields, data.get("steps"))
            if "active" in data:
                flag = fields.flag(data, "active")
                if flag is not None:
                    values["active"] = flag
            fields.check()
            if current is None:
                route = uow.approval_routes.add(ApprovalRoute(**values))
                route.record_defined()
            else:
                route = current
                route.redefine(values)
            uow.commit()
            return route

    def routes(self, actor_id: int, include_inactive: bool = False) -> list[ApprovalRoute]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            filters = {} if include_inactive else {"active": True}
            return uow.approval_routes.list(order_by=("name", "id"), **filters)

    def route(self, actor_id: int, route_id: Any) -> ApprovalRoute:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return existing(uow.approval_routes, APPROVAL_ROUTE, route_id)

    # -- the billing hand-off (ORD-3) -----------------------------------------------------

    def deliver_handoff(self, handoff_id: int, delivery_key: str | None = None
                        ) -> BillingHandoff:
        """Send one hand-off to the billing system (the queue's actor and the sweep call
        it; no actor: the system). Accepted or refused for good already: nothing is
        sent. Otherwise the hand-off is claimed in its own commit — attempts + 1, held
        for ``SEND_LEASE`` — so that a concurrent delivery loses (on the version, or it
        sees the hold) and sends nothing (``HandoffBusy``); then the gateway is called
        with the idempotency key, and the outcome recorded: accepted (the author is
        told), refused for good (failed; the author is told why), or postponed with a
        back-off — and then ``BillingUnavailable`` is raised so that the queue retries.
        ``delivery_key``: the queue message's key (``outbox:<id>``), recorded as handled
        once the hand-off is settled (accepted or refused), so that a restarted embedded
        queue resends only the messages of hand-offs still waiting. Returns the hand-off
        as recorded."""
        with self.uow_factory() as uow:
            handoff = existing(uow.billing_handoffs, BILLING_HANDOFF, handoff_id)
            now = self.clock.now()
            settled = handoff.state is not HandoffState.PENDING
            if not settled:
                if handoff.busy(now):
                    raise HandoffBusy("the hand-off is being sent by another delivery")
                attempt = handoff.claim(now, SEND_LEASE)
                key, payload = handoff.key, dict(handoff.payload)
                try:
                    uow.commit()
                except Conflict:
                    raise HandoffBusy("another delivery took the hand-off first") from None
        if settled:
            self._handled(delivery_key)
            return handoff
        return self._send(handoff_id, attempt, key, payload, delivery_key)

    def _send(self, handoff_id: int, attempt: int, key: str, payload: dict[str, Any],
              delivery_key: str | None) -> BillingHandoff:
        """The gateway's call for a claimed hand-off, and its outcome recorded."""
        error, rejected, unexpected = "", False, None
        unavailable: BillingUnavailable | None = None
        try:
            self.billing.send(key, payload)
        except BillingRejected as exc:
            error, rejected = str(exc) or "rejected", True
        except BillingUnavailable as exc:
            error, unavailable = str(exc) or "unavailable", exc
        except Exception as exc:  # a fault of the gateway: kept for the operator, retried
            error, unexpected = f"{type(exc).__name__}: {exc}", exc
        with self.uow_factory() as uow:
            handoff = existing(uow.billing_handoffs, BILLING_HANDOFF, handoff_id)
            order = uow.orders.get(handoff.order_id)
            now = self.clock.now()
            if not error:
                if handoff.accept(now) and order is not None:
                    self._billing_news(uow, order, f"{order.title}: биллинг принял данные "
                                                   f"(версия {handoff.revision}).")
            elif handoff.state is HandoffState.PENDING and handoff.attempts == attempt:
                # still this delivery's claim (a later one would report for itself)
                if rejected:
                    handoff.fail(error)
                    if order is not None:
                        self._billing_news(uow, order, f"{order.title}: биллинг отклонил "
                                                       f"данные (версия {handoff.revision}): "
                                                       f"{error[:500]}")
                else:
                    handoff.postpone(error, now + retry_delay(attempt))
            uow.commit()
        if unexpected is not None:
            raise unexpected
        if error and not rejected:
            # the gateway's own exception: a ``BillingNotConfigured`` tells the queue that
            # a retry now would change nothing
            raise unavailable if unavailable is not None else BillingUnavailable(error)
        if handoff.state is not HandoffState.PENDING:
            self._handled(delivery_key)
        return handoff

    def _handled(self, delivery_key: str | None) -> None:
        """Record the queue message ``delivery_key`` as handled (once)."""
        if not delivery_key:
            return
        with self.uow_factory() as uow:
            if uow.handled_messages.first(key=delivery_key) is not None:
                return
            try:
                uow.handled_messages.add(HandledMessage(key=delivery_key,
                                                        handled_at=self.clock.now()))
                uow.commit()
            except Conflict:
                pass  # another copy of the message recorded it

    def _billing_news(self, uow: UnitOfWork, order: Order, text: str) -> None:
        order.record(ObjectChanged(subject=order.ref, changes=(
            FieldChange("billing", None, text),)))
        self._tell_author(uow, order, text)

    def redeliver_due(self, now: datetime | None = None, limit: int = 50) -> Redelivery:
        """The periodic sweep: deliver the pending hand-offs whose next try is due by
        ``now`` and that no delivery holds, oldest due first (at most ``limit``)."""
        now = now or self.clock.now()
        with self.uow_factory(readonly=True) as uow:
            due = [h.id for h in uow.billing_handoffs.list(
                state=HandoffState.PENDING, next_try_at__lte=now,
                order_by=("next_try_at", "id"), limit=limit) if not h.busy(now)]
        accepted = failed = waiting = 0
        for handoff_id in due:
            try:
                handoff = self.deliver_handoff(handoff_id)
            except BillingUnavailable:
                waiting += 1
                continue
            except NotFound:
                continue
            if handoff.state is HandoffState.ACCEPTED:
                accepted += 1
            elif handoff.state is HandoffState.FAILED:
                failed += 1
        return Redelivery(accepted=accepted, failed=failed, waiting=waiting)

    # -- reading --------------------------------------------------------------------------

    def estimate(self, actor_id: int, order_id: Any) -> Estimate:
        """The order's connection estimate as it is now (ORD-2)."""
        return self.get(actor_id, order_id).estimate()

    def rounds(self, actor_id: int, order_id: Any) -> list[ApprovalRound]:
        """The order's approval rounds, newest first, with their decisions."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            order = existing(uow.orders, ORDER, order_id)
            policy.require(Action.VIEW, APPROVAL_ROUND, chain_of(uow, order.ref))
            return uow.approval_rounds.list(order_id=order.id, order_by=("-id",))

    def current_approvers(self, actor_id: int, order_id: Any) -> set[int]:
        """Who may answer the order's approval now (empty when it waits for nobody): a
        face shows the confirm / refuse buttons to them."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            order = existing(uow.orders, ORDER, order_id)
            chain = chain_of(uow, order.ref)
            policy.require(Action.VIEW, ORDER, chain)
            current = latest_round(uow, order.id)
            if current is None or not current.pending or order.state != APPROVAL:
                return set()
            return round_approvers(uow, order, current, chain)

    def handoffs(self, actor_id: int, order_id: Any) -> list[BillingHandoff]:
        """The order's billing hand-offs, newest revision first."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            order = existing(uow.orders, ORDER, order_id)
            policy.require(Action.VIEW, BILLING_HANDOFF, chain_of(uow, order.ref))
            return uow.billing_handoffs.list(order_id=order.id, order_by=("-revision",))

    def states_in_use(self, uow: UnitOfWork, state_set: StateSet) -> set[str]:
        if state_set.code != ORDER_SET:
            return set()
        return {code for code in state_set.codes if uow.orders.count(state=code, limit=1)}

    # -- reads of the faces (UI, API, CLI) and the removal of a route -----------------------
    # (added with the orders' faces: the list of every order, the hand-offs of every
    # order, and deleting a route never used; the rules above are unchanged)

    def orders(self, actor_id: int, state: Any = None, page: Any = 1,
               counterparty_id: Any = None) -> OrderPage:
        """Orders, newest first, 20 a page: of every client, or of ``counterparty_id``;
        in ``state`` when given (ORD-1). An order is seen by whoever sees its client
        (the policy: everyone signed in), so a page holds what the policy lets the actor
        see of it."""
        number = page_number(page)
        filters: Data = {}
        if counterparty_id not in (None, ""):
            fields = Fields()
            filters["counterparty_id"] = fields.ident(
                {"counterparty_id": counterparty_id}, "counterparty_id")
            fields.check()
        if isinstance(state, str) and state:
            filters["state"] = state
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            rows = uow.orders.list(order_by=("-id",), limit=PAGE,
                                   offset=(number - 1) * PAGE, **filters)
            seen = [o for o in rows
                    if policy.allows(Action.VIEW, ORDER, chain_of(uow, o.ref))]
            return OrderPage(seen, uow.orders.count(**filters), number)

    def all_handoffs(self, actor_id: int, pending_only: bool = False, limit: int = 100
                     ) -> list[BillingHandoff]:
        """The billing hand-offs of every order (ORD-3), newest first (at most
        ``limit``); only those still waiting to be accepted when ``pending_only``. Those
        the policy lets the actor see (whoever sees the order's client)."""
        filters: Data = {"state": HandoffState.PENDING} if pending_only else {}
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            rows = uow.billing_handoffs.list(order_by=("-id",), limit=max(1, min(limit, 1000)),
                                             **filters)
            return [h for h in rows
                    if policy.allows(Action.VIEW, BILLING_HANDOFF, chain_of(uow, h.ref))]

    def delete_route(self, actor_id: int, route_id: Any, version: Any = None) -> None:
        """Remove an approval route (the Director and Administrators; ``version``: the one
        read). A route some order was submitted along stays for the record of its rounds:
        deactivate it instead (409)."""
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            route = existing(uow.approval_routes, APPROVAL_ROUTE, route_id)
            route.check_version(expected_version({"version": version}))
            if uow.approval_rounds.count(route_id=route.id, limit=1):
                raise Conflict("orders were submitted along this route: deactivate it "
                               "instead")
            route.record_deleted(("name", "active"))
            uow.approval_routes.delete(route)
            uow.commit()
