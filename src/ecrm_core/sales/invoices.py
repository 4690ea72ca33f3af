"""Use cases of invoices, payments and acts (INV-1…INV-4, CON-4) and the client's
settlement status (CP-13).

- An invoice is made for a client (optionally under one of its contracts) with lines of
  goods and services; a line naming an item takes its name, unit, VAT rate and — unless
  the user gives one — its price from the price list for the client's type on the
  invoice's date (PRD-2, PRD-3). Totals are exact (``money``: kopecks rounded per line).
  The client's requisites and contact person are frozen on the invoice.
- The invoice manager (INV-3) is a role on the invoice: its holder edits and moves it and
  registers its payments. The author is the manager unless another is named.
- Lines can change only in the set's initial state (a draft); states move through the
  workflow engine's "invoice" set; payments move an issued invoice to partly paid / paid
  by themselves (automatic transitions on ``partly_paid`` / ``paid_in_full``).
- Settlements: an invoice counts towards what the client owes unless it is in the set's
  initial state or cancelled; payments (not planned ones) count towards what they paid.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs

from ecrm_core.access.model import Action, Role, RoleAssignment, RoleGranted
from ecrm_core.access.services import chain_of, policy_for
from ecrm_core.kernel.errors import Conflict
from ecrm_core.kernel.fields import Fields, expected_version
from ecrm_core.kernel.ports import Clock
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory, existing
from ecrm_core.money import (
    MAX_AMOUNT,
    InvoiceTotals,
    Money,
    money_field,
)
from ecrm_core.org.services import today_of
from ecrm_core.sales.contracts import take_number
from ecrm_core.sales.flow import DocumentFlow, DocumentPage, client_contract
from ecrm_core.sales.model import (
    ACT,
    COUNTERPARTY,
    INVOICE,
    PAYMENT,
    Act,
    Invoice,
    Line,
    Payment,
    Settlement,
    SettlementStatus,
    state_name,
    totals_of,
)
from ecrm_core.sales.pricing import MAX_LINES, price_terms, priced_lines
from ecrm_core.workflow.effects import Context, Mover
from ecrm_core.workflow.engine import Facts
from ecrm_core.workflow.model import StateSet
from ecrm_core.workflow.services import INVOICE as INVOICE_SET
from ecrm_core.workflow.services import PAID_IN_FULL, PARTLY_PAID, UNPAID, state_set_of

Data = dict[str, Any]
INVOICE_PATTERN = ACT_PATTERN = "{seq}"
CANCELLED = "cancelled"
REQUISITES = ("name", "full_name", "inn", "kpp", "ogrn", "legal_address", "postal_address",
              "phone", "email")


def counts_for_settlement(state_set: StateSet | None, invoice: Invoice) -> bool:
    """Whether the invoice counts towards what its client owes: not a draft (the set's
    initial state) and not cancelled."""
    if state_set is None:
        return invoice.state != CANCELLED
    return invoice.state not in (state_set.initial.code, CANCELLED)


def resettle(uow: UnitOfWork, counterparty_id: int, state_set: StateSet | None = None
             ) -> Settlement:
    """Recount the client's settlement from its invoices and payments (kept with every
    change of them, in the same unit of work: a concurrent change of the same client's
    settlement fails on its version instead of overwriting)."""
    state_set = state_set or uow.state_sets.first(code=INVOICE_SET)
    invoiced = Money.total(i.total for i in uow.invoices.list(counterparty_id=counterparty_id)
                           if counts_for_settlement(state_set, i))
    paid = Money.total(p.amount for p in uow.payments.list(counterparty_id=counterparty_id,
                                                           planned=False))
    settlement = uow.settlements.first(counterparty_id=counterparty_id)
    if settlement is None:
        settlement = uow.settlements.add(Settlement(counterparty_id=counterparty_id))
    if (settlement.invoiced, settlement.paid) != (invoiced, paid):
        settlement.invoiced, settlement.paid = invoiced, paid
    return settlement


def statuses(uow: UnitOfWork, counterparty_ids: Iterable[int]) -> dict[int, SettlementStatus]:
    """The settlement status of each client (one query: what list rows show, CP-13)."""
    ids = list(counterparty_ids)
    found = {s.counterparty_id: s.status
             for s in uow.settlements.list(counterparty_id__in=ids)} if ids else {}
    return {i: found.get(i, SettlementStatus.NONE) for i in ids}


#: One page of a client's invoices (``DocumentFlow.of_counterparty``).
InvoicePage = DocumentPage


@attrs.frozen
class Printable:
    """What the printable invoice ("Счёт на оплату") shows."""

    invoice: Invoice
    totals: InvoiceTotals
    company_name: str
    company: dict[str, Any]
    state_name: str


class InvoiceService(DocumentFlow):
    KIND, REPOSITORY, STATE_SET = INVOICE, "invoices", INVOICE_SET

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.mover = Mover(clock)
        self.followers: list = []

    def on_change(self, follower) -> None:
        """``follower(uow, invoice, actor_id)`` is told, in the same unit of work, when an
        invoice issued for a deal changes state or is paid (the deal's "invoice issued /
        paid" conditions, DEAL-2)."""
        self.followers.append(follower)

    def _tell(self, uow: UnitOfWork, invoice: Invoice, actor_id: int) -> None:
        if invoice.deal_id is not None:
            for follower in self.followers:
                follower(uow, invoice, actor_id)

    # -- the engine's view of an invoice ------------------------------------------------

    @staticmethod
    def facts(uow: UnitOfWork, invoice: Invoice) -> Facts:
        conditions = set()
        if invoice.paid and invoice.paid < invoice.total:
            conditions.add(PARTLY_PAID)
        if invoice.total and invoice.paid >= invoice.total:
            conditions.add(PAID_IN_FULL)
        if not invoice.paid:
            conditions.add(UNPAID)
        links = {}
        if invoice.contract_id:
            contract = uow.contracts.get(invoice.contract_id)
            if contract is not None:
                links["contract"] = "draft" if contract.draft else "signed"
        values = {name: getattr(invoice, name) for name in (
            "lines", "contract_id", "contact_id", "contact_name", "due_on", "note",
            "issued_on")}
        return Facts(ref=invoice.ref, values=values, links=links,
                     amounts={"total": invoice.total.amount, "paid": invoice.paid.amount},
                     conditions=frozenset(conditions))

    def context(self, uow: UnitOfWork, invoice: Invoice) -> Context:
        manager = uow.roles.first(role=Role.INVOICE_MANAGER, scope_kind=INVOICE,
                                  scope_id=invoice.id)

        def plan_payment(uow: UnitOfWork, amount: Money, due_on: date) -> None:
            payment = uow.payments.add(Payment(
                invoice_id=invoice.id, counterparty_id=invoice.counterparty_id,
                contract_id=invoice.contract_id, amount=amount, paid_on=due_on, planned=True,
                created_at=self.clock.now()))
            payment.record_created(("invoice_id", "amount", "paid_on", "planned"))

        return Context(responsible_id=manager.employee_id if manager else invoice.author_id,
                       counterparty_id=invoice.counterparty_id,
                       client_email=invoice.requisites.get("email") or None,
                       title=invoice.title, chain=chain_of(uow, invoice.ref),
                       plan_payment=plan_payment)

    # -- making and editing -------------------------------------------------------------

    def _today(self, uow: UnitOfWork, actor_id: int) -> date:
        return today_of(uow, self.clock, actor_id)

    def _lines(self, uow: UnitOfWork, fields: Fields, raw: Any, day: date,
               price_type_id: int | None) -> tuple[Line, ...]:
        return tuple(p.line for p in priced_lines(uow, fields, raw, day, price_type_id,
                                                  document="invoice", max_lines=MAX_LINES))

    def _contact(self, uow: UnitOfWork, fields: Fields, data: Data, client_id: int) -> Data:
        contact_id = fields.ident(data, "contact_id")
        if contact_id is None:
            return {"contact_id": None, "contact_name": fields.text(
                data, "contact_name", max_len=300) or ""}
        contact = uow.contacts.get(contact_id)
        if contact is None or contact.counterparty_id != client_id:
            fields.errors["contact_id"] = "not a contact of this client"
            return {}
        return {"contact_id": contact.id, "contact_name": contact.full_name}

    @staticmethod
    def _deal(uow: UnitOfWork, fields: Fields, data: Data, client_id: int) -> int | None:
        """The deal the invoice is issued for: one of the client's open deals."""
        deal_id = fields.ident(data, "deal_id")
        if deal_id is not None:
            deal = uow.deals.get(deal_id)
            if deal is None or deal.counterparty_id != client_id:
                fields.errors["deal_id"] = "not a deal of this client"
            elif deal.closed_at is not None:
                fields.errors["deal_id"] = "the deal is closed"
        return deal_id

    def _manager(self, uow: UnitOfWork, fields: Fields, data: Data, default: int) -> int:
        manager_id = fields.ident(data, "manager_id") or default
        employee = uow.employees.get(manager_id)
        if employee is None or not employee.active:
            fields.errors["manager_id"] = "no such active employee"
        return manager_id

    def _grant_manager(self, uow: UnitOfWork, invoice: Invoice, manager_id: int,
                       actor_id: int) -> None:
        """INV-3: the invoice manager is a role on the invoice (one holder)."""
        for old in uow.roles.list(role=Role.INVOICE_MANAGER, scope_kind=INVOICE,
                                  scope_id=invoice.id):
            if old.employee_id == manager_id:
                return
            old.record_deleted(("role", "employee_id", "scope_kind", "scope_id"))
            uow.roles.delete(old)
        grant = uow.roles.add(RoleAssignment(
            role=Role.INVOICE_MANAGER, employee_id=manager_id, scope_kind=INVOICE,
            scope_id=invoice.id, granted_at=self.clock.now(), granted_by=actor_id))
        grant.record_created(("role", "employee_id", "scope_kind", "scope_id"))
        grant.record(grant.on_employee(RoleGranted))

    @staticmethod
    def _frozen_requisites(client) -> dict[str, Any]:
        return {name: getattr(client, name) for name in REQUISITES if getattr(client, name)}

    def create(self, actor_id: int, data: Data) -> Invoice:
        """Make an invoice for ``counterparty_id`` (INV-1)."""
        fields = Fields()
        client_id = fields.ident(data, "counterparty_id", required=True)
        fields.check()
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            client = existing(uow.counterparties, COUNTERPARTY, client_id)
            policy.require(Action.CREATE, INVOICE, chain_of(uow, client.ref))
            issued_on = fields.day(data, "issued_on") or self._today(uow, actor_id)
            price_type, included = price_terms(uow, fields, data, client)
            values: Data = {
                "issued_on": issued_on,
                "contract_id": client_contract(uow, fields, data, client.id),
                "price_type_id": price_type.id if price_type else None,
                "vat_included": included,
                "lines": self._lines(uow, fields, data.get("lines"), issued_on,
                                     price_type.id if price_type else None),
                "due_on": fields.day(data, "due_on"),
                "note": fields.text(data, "note", max_len=2000) or "",
                "deal_id": self._deal(uow, fields, data, client.id),
                **self._contact(uow, fields, data, client.id),
            }
            manager_id = self._manager(uow, fields, data, actor_id)
            counted = _check_total(fields, values["lines"], values["vat_included"])
            fields.check()
            state_set = state_set_of(uow, INVOICE_SET)
            now = self.clock.now()
            invoice = Invoice(
                number=take_number(uow, INVOICE, uow.invoices, INVOICE_PATTERN, issued_on),
                counterparty_id=client.id, author_id=actor_id, created_at=now,
                state=state_set.initial.code, state_entered_at=now,
                requisites=self._frozen_requisites(client), **values)
            invoice.recount(counted)
            uow.invoices.add(invoice)
            invoice.record_created(("number", "counterparty_id", "state", "total", "vat",
                                    "deal_id", *Invoice.EDITABLE))
            invoice.tell_client("invoice", None,
                                f"{invoice.title} на {invoice.total.in_rubles()}")
            self._grant_manager(uow, invoice, manager_id, actor_id)
            self.mover.start(uow, state_set, invoice, self.facts(uow, invoice),
                             self.context(uow, invoice), actor_id)
            invoice.tell_state(state_set, state_set.initial.code)
            if counts_for_settlement(state_set, invoice):
                # A draft owes nothing yet: the settlement is recounted when it is issued.
                resettle(uow, client.id, state_set)
            uow.commit()
            return invoice

    def update(self, actor_id: int, invoice_id: Any, data: Data) -> Invoice:
        """Edit an invoice. Its lines, contract, contact, date and VAT mode change only
        while it is a draft (the set's initial state); its note and due day always;
        ``manager_id`` hands it to another invoice manager."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            invoice = self._editable(uow, policy, invoice_id)
            invoice.check_version(expected_version(data))
            state_set = state_set_of(uow, INVOICE_SET)
            fields = Fields()
            values: Data = {}
            draft_only = ("lines", "contract_id", "contact_id", "contact_name", "issued_on",
                          "vat_included")
            if any(k in data for k in draft_only):
                if invoice.state != state_set.initial.code:
                    raise Conflict("only a draft invoice's lines and terms can be changed; "
                                   "return it to draft first")
                if "issued_on" in data:
                    values["issued_on"] = fields.day(data, "issued_on", required=True)
                day = values.get("issued_on") or invoice.issued_on
                if "vat_included" in data:
                    flag = fields.flag(data, "vat_included")
                    values["vat_included"] = invoice.vat_included if flag is None else flag
                if "lines" in data:
                    values["lines"] = self._lines(uow, fields, data["lines"], day,
                                                  invoice.price_type_id)
                if "contract_id" in data:
                    values["contract_id"] = client_contract(uow, fields, data,
                                                           invoice.counterparty_id)
                if "contact_id" in data or "contact_name" in data:
                    values.update(self._contact(uow, fields, data, invoice.counterparty_id))
            if "due_on" in data:
                values["due_on"] = fields.day(data, "due_on")
            if "note" in data:
                values["note"] = fields.text(data, "note", max_len=2000) or ""
            manager_id = self._manager(uow, fields, data, 0) if data.get("manager_id") \
                else None
            counted = None
            if "lines" in values or "vat_included" in values:
                counted = _check_total(fields, values.get("lines", invoice.lines),
                                       values.get("vat_included", invoice.vat_included))
            fields.check()
            before = invoice.total
            if invoice.apply_changes(values):
                invoice.recount(counted)
                if invoice.total != before:
                    invoice.tell_client("invoice", f"{invoice.title} на {before.in_rubles()}",
                                        f"{invoice.title} на {invoice.total.in_rubles()}")
            if manager_id:
                self._grant_manager(uow, invoice, manager_id, actor_id)
            before = invoice.state
            self.mover.settle(uow, state_set, invoice, self.facts(uow, invoice),
                              self.context(uow, invoice), actor_id)
            invoice.tell_state(state_set, before)
            resettle(uow, invoice.counterparty_id, state_set)
            uow.commit()
            return invoice

    def move(self, actor_id: int, invoice_id: Any, to_state: Any, reason: Any = "",
             version: Any = None) -> Invoice:
        """Move the invoice to another state by hand (INV-2)."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            invoice = self._editable(uow, policy, invoice_id)
            invoice.check_version(expected_version({"version": version}))
            state_set = self._moved(uow, policy, invoice, to_state, reason)
            resettle(uow, invoice.counterparty_id, state_set)
            self._tell(uow, invoice, actor_id)
            uow.commit()
            return invoice

    def delete(self, actor_id: int, invoice_id: Any, version: Any = None) -> None:
        """Only a draft without payments, acts, requests or documents goes; its number is
        not given again."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            invoice = existing(uow.invoices, INVOICE, invoice_id)
            policy.require(Action.DELETE, INVOICE, chain_of(uow, invoice.ref))
            invoice.check_version(expected_version({"version": version}))
            state_set = state_set_of(uow, INVOICE_SET)
            links = {"payments": uow.payments.count(invoice_id=invoice.id, limit=1),
                     "acts": uow.acts.count(invoice_id=invoice.id, limit=1),
                     "requests": uow.requests.count(invoice_id=invoice.id, limit=1),
                     "documents": uow.documents.count(owner_kind=INVOICE,
                                                      owner_id=invoice.id, limit=1)}
            if invoice.state != state_set.initial.code or any(links.values()):
                raise Conflict("only a draft invoice with nothing under it can be deleted; "
                               "cancel it instead", **{k: v for k, v in links.items() if v})
            for grant in uow.roles.list(scope_kind=INVOICE, scope_id=invoice.id):
                uow.roles.delete(grant)
            invoice.record_deleted(("number", "counterparty_id", "total"))
            invoice.tell_client("invoice", invoice.title, None)
            uow.invoices.delete(invoice)
            resettle(uow, invoice.counterparty_id, state_set)
            uow.commit()

    # -- payments and acts (CON-4) ------------------------------------------------------

    def register_payment(self, actor_id: int, invoice_id: Any, data: Data) -> Payment:
        """A payment received against an invoice (partial or whole; several may be)."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            invoice = existing(uow.invoices, INVOICE, invoice_id)
            policy.require(Action.CREATE, PAYMENT, chain_of(uow, invoice.ref))
            # The invoice's version, when the form sends it: a second submit of the same
            # form (a double click) is refused instead of paying twice.
            invoice.check_version(expected_version(data))
            state_set = state_set_of(uow, INVOICE_SET)
            fields = Fields()
            amount = money_field(fields, data, "amount", required=True, positive=True)
            paid_on = fields.day(data, "paid_on") or self._today(uow, actor_id)
            reference = fields.text(data, "reference", max_len=100) or ""
            note = fields.text(data, "note", max_len=2000) or ""
            if amount is not None and (invoice.paid + amount).amount > MAX_AMOUNT:
                fields.errors["amount"] = "too large"
            fields.check()
            state = state_set.state(invoice.state)
            if invoice.state == state_set.initial.code or (state is not None and state.final):
                raise Conflict("payments are registered against an issued invoice, "
                               "not a draft or a closed one")
            payment = uow.payments.add(Payment(
                invoice_id=invoice.id, counterparty_id=invoice.counterparty_id,
                contract_id=invoice.contract_id, amount=amount, paid_on=paid_on,
                reference=reference, note=note, created_at=self.clock.now(),
                created_by=actor_id))
            payment.record_created(("invoice_id", "amount", "paid_on", "reference", "note"))
            payment.tell_client("payment", None,
                                f"{amount.in_rubles()} по {_of_invoice(invoice)}, "
                                f"оплачено {paid_on.strftime('%d.%m.%Y')}")
            self._repay(uow, invoice, state_set, actor_id)
            uow.commit()
            return payment

    def _repay(self, uow: UnitOfWork, invoice: Invoice, state_set: StateSet,
               actor_id: int) -> None:
        paid = Money.total(p.amount for p in uow.payments.list(invoice_id=invoice.id,
                                                               planned=False))
        invoice.apply_changes({"paid": paid})
        before = invoice.state
        self.mover.settle(uow, state_set, invoice, self.facts(uow, invoice),
                          self.context(uow, invoice), actor_id)
        invoice.tell_state(state_set, before)
        resettle(uow, invoice.counterparty_id, state_set)
        self._tell(uow, invoice, actor_id)

    def delete_payment(self, actor_id: int, payment_id: Any, version: Any = None) -> None:
        """A payment registered by mistake goes, while its invoice is still open."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            payment = existing(uow.payments, PAYMENT, payment_id)
            policy.require(Action.DELETE, PAYMENT, chain_of(uow, payment.ref))
            payment.check_version(expected_version({"version": version}))
            invoice = uow.invoices.get(payment.invoice_id)
            state_set = state_set_of(uow, INVOICE_SET)
            state = state_set.state(invoice.state)
            if state is not None and state.final and not payment.planned:
                raise Conflict("the invoice is closed: its payments stay")
            payment.record_deleted(("invoice_id", "amount", "paid_on"))
            if not payment.planned:
                payment.tell_client(
                    "payment", f"{payment.amount.in_rubles()} по {_of_invoice(invoice)}", None)
            uow.payments.delete(payment)
            self._repay(uow, invoice, state_set, actor_id)
            uow.commit()

    def register_act(self, actor_id: int, counterparty_id: Any, data: Data) -> Act:
        """An act of completed work for a client (under a contract, for an invoice)."""
        fields = Fields()
        client_id = fields.ident({"counterparty_id": counterparty_id}, "counterparty_id",
                                 required=True)
        fields.check()
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            client = existing(uow.counterparties, COUNTERPARTY, client_id)
            contract_id = client_contract(uow, fields, data, client.id)
            invoice_id = fields.ident(data, "invoice_id")
            invoice = uow.invoices.get(invoice_id) if invoice_id else None
            if invoice_id and (invoice is None or invoice.counterparty_id != client.id):
                fields.errors["invoice_id"] = "not an invoice of this client"
            amount = money_field(fields, data, "amount",
                                 required=invoice is None, positive=True)
            act_on = fields.day(data, "act_on") or self._today(uow, actor_id)
            note = fields.text(data, "note", max_len=2000) or ""
            fields.check()
            parent = uow.contracts.get(contract_id).ref if contract_id else client.ref
            policy.require(Action.CREATE, ACT, chain_of(uow, parent))
            act = uow.acts.add(Act(
                number=take_number(uow, ACT, uow.acts, ACT_PATTERN, act_on),
                counterparty_id=client.id, contract_id=contract_id or (
                    invoice.contract_id if invoice else None),
                invoice_id=invoice_id, act_on=act_on,
                amount=amount or (invoice.total if invoice else Money.zero()), note=note,
                created_at=self.clock.now(), created_by=actor_id))
            act.record_created(("number", "counterparty_id", "contract_id", "invoice_id",
                                "act_on", "amount", "note"))
            act.tell_client("act", None, f"Акт № {act.number} на {act.amount.in_rubles()}")
            uow.commit()
            return act

    # -- reading ------------------------------------------------------------------------

    def manager_of(self, actor_id: int, invoice_id: Any) -> int | None:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            grant = uow.roles.first(role=Role.INVOICE_MANAGER, scope_kind=INVOICE,
                                    scope_id=invoice_id)
            return grant.employee_id if grant else None

    def payments(self, actor_id: int, invoice_id: Any) -> list[Payment]:
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            invoice = existing(uow.invoices, INVOICE, invoice_id)
            policy.require(Action.VIEW, PAYMENT, chain_of(uow, invoice.ref))
            return uow.payments.list(invoice_id=invoice.id, order_by=("paid_on", "id"))

    def acts(self, actor_id: int, counterparty_id: Any) -> list[Act]:
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            client = existing(uow.counterparties, COUNTERPARTY, counterparty_id)
            policy.require(Action.VIEW, ACT, chain_of(uow, client.ref))
            return uow.acts.list(counterparty_id=client.id, order_by=("-act_on", "-id"))

    def settlement(self, actor_id: int, counterparty_id: Any) -> Settlement:
        """The client's settlement status (paid / debt / prepaid) for the card."""
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            client = existing(uow.counterparties, COUNTERPARTY, counterparty_id)
            return uow.settlements.first(counterparty_id=client.id) or Settlement(
                counterparty_id=client.id)

    def statuses_of(self, actor_id: int, counterparty_ids: Iterable[Any]
                    ) -> dict[int, SettlementStatus]:
        """The settlement status of each client of a list page (CP-13), in one unit of
        work; ids that are not whole numbers are left out."""
        ids = [i for i in counterparty_ids if isinstance(i, int) and not isinstance(i, bool)]
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            return statuses(uow, ids)

    def printable(self, actor_id: int, invoice_id: Any) -> Printable:
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            invoice = existing(uow.invoices, INVOICE, invoice_id)
            policy.require(Action.VIEW, INVOICE, chain_of(uow, invoice.ref))
            company = uow.company.first()
            state_set = state_set_of(uow, INVOICE_SET)
            return Printable(invoice=invoice, totals=invoice.totals(),
                             company_name=company.name if company else "",
                             company=dict(getattr(company, "requisites", {}) or {}),
                             state_name=state_name(state_set, invoice.state))

    def states_in_use(self, uow: UnitOfWork, state_set: StateSet) -> set[str]:
        if state_set.code != INVOICE_SET:
            return set()
        return {code for code in state_set.codes if uow.invoices.count(state=code, limit=1)}


def _check_total(fields: Fields, lines, vat_included: bool) -> InvoiceTotals | None:
    """The totals of the lines (None when a line is bad). Each line is bounded by
    ``money``; the invoice's total (VAT on top, many lines) must fit the same bound (what
    documents print and the databases keep)."""
    if "lines" in fields.errors or any(k.startswith("lines[") for k in fields.errors):
        return None
    counted = totals_of(lines, bool(vat_included))
    if counted.total.amount > MAX_AMOUNT:
        fields.errors["lines"] = "the invoice's total is too large"
    return counted


def _of_invoice(invoice: Invoice) -> str:
    """«счёту № 12 от 01.12.2026» (the dative a payment «по …» takes)."""
    return f"счёту № {invoice.number} от {invoice.issued_on.strftime('%d.%m.%Y')}"

