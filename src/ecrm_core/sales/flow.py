"""What the services of documents that run by a state set share (requests, invoices, deals,
orders): the document the actor may see or edit, a client's documents page by page, a
change of state by hand told in the client's history, and the changes of state offered
to the actor."""

from __future__ import annotations

from typing import Any, ClassVar

import attrs

from ecrm_core.access.model import Action
from ecrm_core.access.policy import Policy
from ecrm_core.access.services import chain_of, policy_for
from ecrm_core.kernel.fields import Fields, page_number
from ecrm_core.kernel.uow import UnitOfWork, existing
from ecrm_core.workflow.engine import Option
from ecrm_core.workflow.model import StateSet
from ecrm_core.workflow.services import state_set_of


def client_contract(uow: UnitOfWork, fields: Fields, data: dict[str, Any], client_id: int
                    ) -> int | None:
    """The ``contract_id`` of a client's document (an invoice, an order): None, or one of
    that client's contracts (else the field's message goes into ``fields``)."""
    contract_id = fields.ident(data, "contract_id")
    if contract_id is not None:
        contract = uow.contracts.get(contract_id)
        if contract is None or contract.counterparty_id != client_id:
            fields.errors["contract_id"] = "not a contract of this client"
    return contract_id


#: Documents on a page of a client's list.
PAGE = 20


@attrs.frozen
class DocumentPage:
    """One page of a client's documents (invoices, deals, orders), newest first."""

    rows: list[Any]
    total: int
    page: int


class DocumentFlow:
    """A base of the services whose documents run by a state set. Subclasses name the
    document's ``KIND``, its unit of work repository ``REPOSITORY`` and its state set's
    code ``STATE_SET``, and give ``facts`` / ``context`` (what the engine and the on-enter
    actions are told) and ``mover``."""

    KIND: ClassVar[str]
    REPOSITORY: ClassVar[str]
    STATE_SET: ClassVar[str]

    def _editable(self, uow: UnitOfWork, policy: Policy, ident: Any) -> Any:
        document = existing(getattr(uow, self.REPOSITORY), self.KIND, ident)
        policy.require(Action.EDIT, self.KIND, chain_of(uow, document.ref))
        return document

    def _set_of(self, uow: UnitOfWork, document: Any) -> StateSet:
        """The state set ``document`` runs by (a deal's is its template's)."""
        return state_set_of(uow, self.STATE_SET)

    def _moved(self, uow: UnitOfWork, policy: Policy, document: Any, to_state: Any,
               reason: Any) -> StateSet:
        """Move ``document`` by hand (the engine checks the transition) and tell its client;
        the state set it runs by."""
        state_set = self._set_of(uow, document)
        before = document.state
        self.mover.move(uow, state_set, document, to_state,  # type: ignore[attr-defined]
                        self.facts(uow, document),  # type: ignore[attr-defined]
                        self.context(uow, document), policy, reason)  # type: ignore[attr-defined]
        document.tell_state(state_set, before)
        return state_set

    def options(self, actor_id: int, ident: Any) -> tuple[StateSet, tuple[Option, ...]]:
        """The document's state set and the changes of state the actor is offered (none
        to those who may only look)."""
        with self.uow_factory(readonly=True) as uow:  # type: ignore[attr-defined]
            policy = policy_for(uow, actor_id)
            document = existing(getattr(uow, self.REPOSITORY), self.KIND, ident)
            chain = chain_of(uow, document.ref)
            policy.require(Action.VIEW, self.KIND, chain)
            state_set = self._set_of(uow, document)
            if not policy.allows(Action.EDIT, self.KIND, chain):
                return state_set, ()
            return state_set, self.mover.options(  # type: ignore[attr-defined]
                state_set, document, self.facts(uow, document),  # type: ignore[attr-defined]
                self.context(uow, document), policy)  # type: ignore[attr-defined]

    def get(self, actor_id: int, ident: Any) -> Any:
        """One document, for those who may see it."""
        with self.uow_factory(readonly=True) as uow:  # type: ignore[attr-defined]
            policy = policy_for(uow, actor_id)
            document = existing(getattr(uow, self.REPOSITORY), self.KIND, ident)
            policy.require(Action.VIEW, self.KIND, chain_of(uow, document.ref))
            return document

    def of_counterparty(self, actor_id: int, counterparty_id: Any, page: Any = 1,
                        state: Any = None) -> DocumentPage:
        """A client's documents of this kind, newest first, 20 a page; ``state`` filters
        (INV-4: the link from the client row)."""
        number = page_number(page)
        with self.uow_factory(readonly=True) as uow:  # type: ignore[attr-defined]
            policy = policy_for(uow, actor_id)
            client = existing(uow.counterparties, "counterparty", counterparty_id)
            policy.require(Action.VIEW, self.KIND, chain_of(uow, client.ref))
            filters: dict[str, Any] = {"counterparty_id": client.id}
            if isinstance(state, str) and state:
                filters["state"] = state
            repo = getattr(uow, self.REPOSITORY)
            return DocumentPage(repo.list(order_by=("-id",), limit=PAGE,
                                          offset=(number - 1) * PAGE, **filters),
                                repo.count(**filters), number)
