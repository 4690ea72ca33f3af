"""Use cases of requests (заявки, REQ-1…REQ-4): internal (from the menu, for employees),
for a client (in a contract, or directly in the client while no contract exists) or by an
invoice; service conditions checked against the service kind (REQ-2); states through the
workflow engine's "request" set (REQ-4); the assignee gets a system message."""

from __future__ import annotations

from typing import Any

import attrs

from ecrm_core.access.model import Action
from ecrm_core.access.services import REPOSITORIES, chain_of, policy_for
from ecrm_core.attributes import values
from ecrm_core.kernel.fields import Fields, expected_version, page_number
from ecrm_core.kernel.ports import Clock
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory, existing
from ecrm_core.messages.model import MessageKind
from ecrm_core.messages.services import post
from ecrm_core.sales.flow import DocumentFlow
from ecrm_core.sales.model import CONTRACT, COUNTERPARTY, INVOICE, REQUEST, Request, RequestKind
from ecrm_core.workflow.effects import Context, Mover
from ecrm_core.workflow.engine import Facts
from ecrm_core.workflow.model import StateSet
from ecrm_core.workflow.services import REQUEST as REQUEST_SET
from ecrm_core.workflow.services import state_set_of

Data = dict[str, Any]
PAGE = 20


@attrs.frozen
class RequestPage:
    rows: list[Request]
    total: int
    page: int


class RequestService(DocumentFlow):
    KIND, REPOSITORY, STATE_SET = REQUEST, "requests", REQUEST_SET

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.mover = Mover(clock)

    # -- what the engine and the effects are told ----------------------------------------

    @staticmethod
    def facts(uow: UnitOfWork, request: Request) -> Facts:
        links = {}
        if request.invoice_id:
            invoice = uow.invoices.get(request.invoice_id)
            if invoice is not None:
                links["invoice"] = invoice.state
        if request.contract_id:
            contract = uow.contracts.get(request.contract_id)
            if contract is not None:
                links["contract"] = "draft" if contract.draft else "signed"
        found = {name: getattr(request, name) for name in (
            "subject", "description", "due_on", "service_kind_id", "contract_id",
            "counterparty_id", "invoice_id", "assignee_id")}
        found.update({f"conditions.{k}": v for k, v in request.conditions.items()})
        return Facts(ref=request.ref, values=found, links=links)

    @staticmethod
    def context(uow: UnitOfWork, request: Request) -> Context:
        client = uow.counterparties.get(request.counterparty_id) \
            if request.counterparty_id else None
        return Context(responsible_id=request.assignee_id,
                       counterparty_id=request.counterparty_id,
                       client_email=(client.email or None) if client else None,
                       title=request.title, chain=chain_of(uow, request.ref))

    # -- registering --------------------------------------------------------------------

    def _where(self, uow: UnitOfWork, data: Data, fields: Fields) -> Data:
        """Where the request lives (REQ-1, REQ-3): a contract, a client, an invoice or
        nowhere (internal)."""
        contract_id = fields.ident(data, "contract_id")
        counterparty_id = fields.ident(data, "counterparty_id")
        invoice_id = fields.ident(data, "invoice_id")
        found: Data = {"contract_id": contract_id, "counterparty_id": counterparty_id,
                       "invoice_id": invoice_id, "request_kind": RequestKind.INTERNAL}
        if invoice_id is not None:
            invoice = uow.invoices.get(invoice_id)
            if invoice is None:
                fields.errors["invoice_id"] = "no such invoice"
                return found
            if counterparty_id is not None and counterparty_id != invoice.counterparty_id:
                fields.errors["invoice_id"] = "an invoice of another client"
                return found
            # The invoice's client is the request's, whatever else was sent.
            counterparty_id = invoice.counterparty_id
            found.update(request_kind=RequestKind.INVOICE, counterparty_id=counterparty_id,
                         contract_id=contract_id or invoice.contract_id)
            contract_id = found["contract_id"]
        if contract_id is not None:
            contract = uow.contracts.get(contract_id)
            if contract is None:
                fields.errors["contract_id"] = "no such contract"
                return found
            if counterparty_id is not None and counterparty_id != contract.counterparty_id:
                fields.errors["contract_id"] = "a contract of another client"
                return found
            found["counterparty_id"] = contract.counterparty_id
        if found["counterparty_id"] is not None:
            if uow.counterparties.get(found["counterparty_id"]) is None:
                fields.errors["counterparty_id"] = "no such counterparty"
            elif found["request_kind"] is RequestKind.INTERNAL:
                found["request_kind"] = RequestKind.COUNTERPARTY
        return found

    def _values(self, uow: UnitOfWork, data: Data, current: Request | None,
                fields: Fields) -> Data:
        found: Data = {}

        def given(name: str) -> bool:
            return current is None or name in data

        if given("subject"):
            found["subject"] = fields.text(data, "subject", required=True, max_len=300)
        if given("description"):
            found["description"] = fields.text(data, "description", max_len=5000) or ""
        if given("due_on"):
            found["due_on"] = fields.day(data, "due_on")
        kind_id = current.service_kind_id if current else None
        if given("service_kind_id"):
            kind_id = found["service_kind_id"] = fields.ident(data, "service_kind_id")
        kind = uow.service_kinds.get(kind_id) if kind_id else None
        if kind_id and (kind is None or (not kind.active and (
                current is None or current.service_kind_id != kind_id))):
            fields.errors["service_kind_id"] = "no such service kind"
        if given("conditions") or "service_kind_id" in found:
            found["conditions"] = values(
                fields, kind.conditions if kind else (), data.get("conditions"), "conditions",
                current.conditions if current and kind_id == current.service_kind_id else None)
        return found

    def _assignee(self, uow: UnitOfWork, fields: Fields, data: Data, default: int) -> int:
        assignee_id = fields.ident(data, "assignee_id") or default
        employee = uow.employees.get(assignee_id)
        if employee is None or not employee.active:
            fields.errors["assignee_id"] = "no such active employee"
        return assignee_id

    def _tell_assignee(self, uow: UnitOfWork, request: Request, actor_id: int) -> None:
        if request.assignee_id != actor_id:
            post(uow, self.clock, kind=MessageKind.NOTIFICATION,
                 recipient_id=request.assignee_id, sender_id=actor_id, subject=request.ref,
                 text=f"Вам назначена заявка: {request.title}")

    def create(self, actor_id: int, data: Data) -> Request:
        """Register a request (REQ-1): in ``contract_id``, for ``counterparty_id``, by
        ``invoice_id``, or internal when none is given; assigned to ``assignee_id``
        (the author by default), who gets a system message."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            fields = Fields()
            where = self._where(uow, data, fields)
            found = self._values(uow, data, None, fields)
            assignee_id = self._assignee(uow, fields, data, actor_id)
            fields.check()
            if where["counterparty_id"] is not None:
                parent = uow.contracts.get(where["contract_id"]).ref if where["contract_id"] \
                    else uow.counterparties.get(where["counterparty_id"]).ref
                policy.require(Action.CREATE, REQUEST, chain_of(uow, parent))
                if where["invoice_id"] is not None:  # and over the invoice it hangs on
                    policy.require(Action.CREATE, REQUEST,
                                   chain_of(uow, uow.invoices.get(where["invoice_id"]).ref))
            state_set = state_set_of(uow, REQUEST_SET)
            request = uow.requests.add(Request(
                author_id=actor_id, assignee_id=assignee_id, created_at=self.clock.now(),
                state=state_set.initial.code, state_entered_at=self.clock.now(),
                **where, **found))
            request.record_created(("request_kind", "subject", "assignee_id", "state",
                                    "counterparty_id", "contract_id", "invoice_id",
                                    "service_kind_id", "conditions", "description", "due_on"))
            request.tell_client("request", None, request.title)
            self.mover.start(uow, state_set, request, self.facts(uow, request),
                             self.context(uow, request), actor_id)
            request.tell_state(state_set, state_set.initial.code)
            self._tell_assignee(uow, request, actor_id)
            uow.commit()
            return request

    def update(self, actor_id: int, request_id: Any, data: Data) -> Request:
        """Edit the subject, description, due day, service kind and conditions; put the
        request in a contract of its client; reassign it (``assignee_id``)."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            request = self._editable(uow, policy, request_id)
            request.check_version(expected_version(data))
            fields = Fields()
            found = self._values(uow, data, request, fields)
            if "contract_id" in data:
                contract_id = fields.ident(data, "contract_id")
                contract = uow.contracts.get(contract_id) if contract_id else None
                if contract_id and (contract is None
                                    or contract.counterparty_id != request.counterparty_id):
                    fields.errors["contract_id"] = "not a contract of the request's client"
                found["contract_id"] = contract_id
            reassigned = "assignee_id" in data
            if reassigned:
                found["assignee_id"] = self._assignee(uow, fields, data, request.assignee_id)
            fields.check()
            before = request.assignee_id
            request.apply_changes(found)
            if reassigned and request.assignee_id != before:
                self._tell_assignee(uow, request, actor_id)
            state_set, moved_from = state_set_of(uow, REQUEST_SET), request.state
            self.mover.settle(uow, state_set, request, self.facts(uow, request),
                              self.context(uow, request), actor_id)
            request.tell_state(state_set, moved_from)
            uow.commit()
            return request

    def move(self, actor_id: int, request_id: Any, to_state: Any, reason: Any = "",
             version: Any = None) -> Request:
        """Change the request's state by hand (REQ-4): the engine checks the transition."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            request = self._editable(uow, policy, request_id)
            request.check_version(expected_version({"version": version}))
            self._moved(uow, policy, request, to_state, reason)
            uow.commit()
            return request

    # -- reading ------------------------------------------------------------------------

    def get(self, actor_id: int, request_id: Any) -> Request:
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            request = existing(uow.requests, REQUEST, request_id)
            policy.require(Action.VIEW, REQUEST, chain_of(uow, request.ref))
            return request

    def _page(self, uow: UnitOfWork, page: Any, **filters: Any) -> RequestPage:
        number = page_number(page)
        return RequestPage(uow.requests.list(order_by=("-id",), limit=PAGE,
                                             offset=(number - 1) * PAGE, **filters),
                           uow.requests.count(**filters), number)

    def _of(self, actor_id: int, kind: str, ident: Any, page: Any) -> RequestPage:
        """The requests of a client, a contract or an invoice (``kind``), for those who
        may see its requests."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            owner = existing(getattr(uow, REPOSITORIES[kind]), kind, ident)
            policy.require(Action.VIEW, REQUEST, chain_of(uow, owner.ref))
            return self._page(uow, page, **{f"{kind}_id": owner.id})

    def of_counterparty(self, actor_id: int, counterparty_id: Any, page: Any = 1
                        ) -> RequestPage:
        return self._of(actor_id, COUNTERPARTY, counterparty_id, page)

    def of_contract(self, actor_id: int, contract_id: Any, page: Any = 1) -> RequestPage:
        return self._of(actor_id, CONTRACT, contract_id, page)

    def of_invoice(self, actor_id: int, invoice_id: Any, page: Any = 1) -> RequestPage:
        return self._of(actor_id, INVOICE, invoice_id, page)

    def assigned_to(self, actor_id: int, employee_id: Any = None, page: Any = 1,
                    open_only: bool = False) -> RequestPage:
        """The requests assigned to an employee (the actor by default): the "My requests"
        list. Another employee's list needs rights over their tasks (their heads)."""
        fields = Fields()
        employee = fields.ident({"employee_id": employee_id}, "employee_id") or actor_id
        fields.check()
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            target = existing(uow.employees, "employee", employee)
            if target.id != actor_id:
                policy.require(Action.VIEW, "task", chain_of(uow, target.ref))
            filters: Data = {"assignee_id": target.id}
            if open_only:
                state_set = state_set_of(uow, REQUEST_SET)
                filters["state__in"] = [s.code for s in state_set.states if not s.final]
            return self._page(uow, page, **filters)

    def states_in_use(self, uow: UnitOfWork, state_set: StateSet) -> set[str]:
        """For the reference book: the request states some request is in."""
        if state_set.code != REQUEST_SET:
            return set()
        return {code for code in state_set.codes if uow.requests.count(state=code, limit=1)}

