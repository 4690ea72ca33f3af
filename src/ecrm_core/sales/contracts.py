"""Use cases of contracts (CON-1…CON-4): contract types as a reference book, contracts
registered for a client with a unique number from the type's pattern, and what a
contract carries: its requests, invoices, payments and acts with totals."""

from __future__ import annotations

from typing import Any

import attrs

from ecrm_core.access.model import Action
from ecrm_core.access.services import chain_of, policy_for
from ecrm_core.attributes import dump_defs, parse_defs, values
from ecrm_core.kernel.books import book_code, book_name, save_entry
from ecrm_core.kernel.errors import Conflict, ValidationFailed
from ecrm_core.kernel.fields import Fields, expected_version
from ecrm_core.kernel.ports import Clock
from ecrm_core.kernel.uow import UnitOfWork, UnitOfWorkFactory, existing
from ecrm_core.money import Money
from ecrm_core.org.services import today_of
from ecrm_core.sales.model import (
    CONTRACT,
    CONTRACT_TYPE,
    COUNTERPARTY,
    DEFAULT_PATTERN,
    Act,
    Contract,
    ContractType,
    Invoice,
    Payment,
    Request,
    format_number,
    number_scope,
    pattern_error,
)

Data = dict[str, Any]

#: The contract types a new company starts with (CON-1): passport data for individuals.
DEFAULT_CONTRACT_TYPES: tuple[Data, ...] = (
    {"code": "services", "name": "Договор оказания услуг", "number_pattern": DEFAULT_PATTERN,
     "attributes": []},
    {"code": "individual", "name": "Договор с физическим лицом",
     "number_pattern": "Ф-{year}-{seq:04d}",
     "attributes": [{"code": "passport", "label": "Паспорт (серия и номер)",
                     "type": "passport", "required": True},
                    {"code": "passport_issued", "label": "Кем и когда выдан"},
                    {"code": "birth_date", "label": "Дата рождения", "type": "date"}]},
)


def take_number(uow: UnitOfWork, kind: str, repo, pattern: str, day, type_code: str = ""
                ) -> str:
    """The next number from ``pattern`` that no object of ``repo`` holds (a number once
    given is never given again: the sequence only grows)."""
    key = number_scope(kind, pattern, day, type_code)
    for _ in range(1000):
        number = format_number(pattern, day, uow.next_number(key), type_code)
        if len(number) <= 60 and repo.first(number=number) is None:
            return number
    raise Conflict("no free number: check the number pattern")


@attrs.frozen
class ContractSummary:
    """What a contract carries (CON-3, CON-4)."""

    contract: Contract
    contract_type: ContractType | None
    requests: list[Request]
    invoices: list[Invoice]
    payments: list[Payment]
    acts: list[Act]
    invoiced: Money
    paid: Money
    acted: Money


class ContractService:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    def install_defaults(self, uow: UnitOfWork) -> None:
        if uow.contract_types.first() is not None:
            return
        for entry in DEFAULT_CONTRACT_TYPES:
            kind = uow.contract_types.add(ContractType(
                code=entry["code"], name=entry["name"],
                number_pattern=entry["number_pattern"],
                attributes=parse_defs(entry["attributes"])))
            kind.record_created(("code", "name", "number_pattern"))

    # -- contract types (reference book) ------------------------------------------------

    def save_type(self, actor_id: int, data: Data, type_id: Any = None) -> ContractType:
        with self.uow_factory() as uow:
            policy_for(uow, actor_id).require_administrator()
            current = existing(uow.contract_types, CONTRACT_TYPE, type_id) \
                if type_id is not None else None
            if current is not None:
                current.check_version(expected_version(data))
            fields = Fields()
            found: Data = {"code": book_code(fields, data, uow.contract_types, current),
                           "name": book_name(fields, data, current, 100)}
            if current is None or "number_pattern" in data:
                pattern = fields.text(data, "number_pattern", max_len=60) or DEFAULT_PATTERN
                if message := pattern_error(pattern):
                    fields.errors["number_pattern"] = message
                found["number_pattern"] = pattern
            if current is None or "attributes" in data:
                try:
                    found["attributes"] = parse_defs(data.get("attributes"))
                except ValidationFailed as exc:
                    fields.errors.update(exc.errors)
            if current is None or "active" in data:
                flag = fields.flag(data, "active")
                found["active"] = True if flag is None else flag
            fields.check()
            kind = save_entry(uow.contract_types, current, ContractType, found,
                         ("code", "name", "number_pattern", "active"))
            uow.commit()
            return kind

    def types(self, actor_id: int, include_inactive: bool = False) -> list[ContractType]:
        with self.uow_factory(readonly=True) as uow:
            policy_for(uow, actor_id)
            filters = {} if include_inactive else {"active": True}
            return uow.contract_types.list(order_by=("name", "id"), **filters)

    @staticmethod
    def dump_type(kind: ContractType) -> Data:
        return {"code": kind.code, "name": kind.name, "number_pattern": kind.number_pattern,
                "attributes": dump_defs(kind.attributes), "active": kind.active}

    # -- contracts ----------------------------------------------------------------------

    def _values(self, uow: UnitOfWork, data: Data, kind: ContractType,
                current: Contract | None) -> Data:
        fields = Fields()
        found: Data = {}
        if current is None or "subject" in data:
            found["subject"] = fields.text(data, "subject", max_len=500) or ""
        if current is None or "signed_on" in data:
            found["signed_on"] = fields.day(data, "signed_on")
        if current is None or "draft" in data:
            flag = fields.flag(data, "draft")
            found["draft"] = (found.get("signed_on") is None) if flag is None else flag
        if current is None or "attributes" in data:
            found["attributes"] = values(fields, kind.attributes, data.get("attributes"),
                                         "attributes", current.attributes if current else None)
        if "document_id" in data:
            found["document_id"] = fields.ident(data, "document_id")
            if found["document_id"] is not None:
                document = uow.documents.get(found["document_id"])
                if document is None or current is None or (
                        document.owner_kind, document.owner_id) != (CONTRACT, current.id):
                    fields.errors["document_id"] = "not a document of this contract"
        draft = found.get("draft", getattr(current, "draft", True))
        signed_on = found.get("signed_on", getattr(current, "signed_on", None))
        if draft is False and signed_on is None and "signed_on" not in fields.errors:
            fields.errors["signed_on"] = "a signed contract needs the date it was signed"
        fields.check()
        return found

    def register(self, actor_id: int, counterparty_id: Any, data: Data) -> Contract:
        """A new contract of a client (CON-2): its number is taken from the type's
        pattern at registration and is never reused."""
        fields = Fields()
        type_id = fields.ident(data, "contract_type_id", required=True)
        client_id = fields.ident({"counterparty_id": counterparty_id}, "counterparty_id",
                                 required=True)
        fields.check()
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            client = existing(uow.counterparties, COUNTERPARTY, client_id)
            policy.require(Action.CREATE, CONTRACT, chain_of(uow, client.ref))
            kind = uow.contract_types.get(type_id)
            if kind is None or not kind.active:
                raise ValidationFailed.single("contract_type_id", "no such contract type")
            found = self._values(uow, data, kind, None)
            now = self.clock.now()
            number = take_number(uow, CONTRACT, uow.contracts, kind.number_pattern,
                                 found.get("signed_on") or today_of(uow, self.clock, actor_id),
                                 kind.code)
            contract = uow.contracts.add(Contract(
                counterparty_id=client.id, contract_type_id=kind.id, number=number,
                created_at=now, created_by=actor_id, **found))
            contract.record_created(("number", "counterparty_id", "contract_type_id",
                                     *Contract.EDITABLE))
            contract.tell_client("contract", None, contract.title)
            uow.commit()
            return contract

    def update(self, actor_id: int, contract_id: Any, data: Data) -> Contract:
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            contract = existing(uow.contracts, CONTRACT, contract_id)
            policy.require(Action.EDIT, CONTRACT, chain_of(uow, contract.ref))
            contract.check_version(expected_version(data))
            kind = uow.contract_types.get(contract.contract_type_id)
            assert kind is not None
            if contract.apply_changes(self._values(uow, data, kind, contract)):
                contract.tell_client("contract", None, f"{contract.title}: изменён")
            uow.commit()
            return contract

    def get(self, actor_id: int, contract_id: Any) -> Contract:
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            contract = existing(uow.contracts, CONTRACT, contract_id)
            policy.require(Action.VIEW, CONTRACT, chain_of(uow, contract.ref))
            return contract

    def of_counterparty(self, actor_id: int, counterparty_id: Any) -> list[Contract]:
        """A client's contracts (CON-2), newest first."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            client = existing(uow.counterparties, COUNTERPARTY, counterparty_id)
            policy.require(Action.VIEW, CONTRACT, chain_of(uow, client.ref))
            return uow.contracts.list(counterparty_id=client.id, order_by=("-id",))

    def summary(self, actor_id: int, contract_id: Any) -> ContractSummary:
        """The contract with its requests, invoices, payments and acts (CON-3, CON-4)."""
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            contract = existing(uow.contracts, CONTRACT, contract_id)
            policy.require(Action.VIEW, CONTRACT, chain_of(uow, contract.ref))
            invoices = uow.invoices.list(contract_id=contract.id, order_by=("-id",))
            payments = uow.payments.list(contract_id=contract.id, planned=False,
                                         order_by=("-paid_on", "-id"))
            acts = uow.acts.list(contract_id=contract.id, order_by=("-act_on", "-id"))
            from ecrm_core.sales.invoices import counts_for_settlement

            state_set = uow.state_sets.first(code="invoice")
            return ContractSummary(
                contract=contract,
                contract_type=uow.contract_types.get(contract.contract_type_id),
                requests=uow.requests.list(contract_id=contract.id, order_by=("-id",)),
                invoices=invoices, payments=payments, acts=acts,
                invoiced=Money.total(i.total for i in invoices
                                     if counts_for_settlement(state_set, i)),
                paid=Money.total(p.amount for p in payments),
                acted=Money.total(a.amount for a in acts))

    def delete(self, actor_id: int, contract_id: Any, version: Any = None) -> None:
        """Only a draft with nothing under it goes; its number is not given again."""
        with self.uow_factory() as uow:
            policy = policy_for(uow, actor_id)
            contract = existing(uow.contracts, CONTRACT, contract_id)
            policy.require(Action.DELETE, CONTRACT, chain_of(uow, contract.ref))
            contract.check_version(expected_version({"version": version}))
            links = {name: repo.count(contract_id=contract.id, limit=1) for name, repo in (
                ("requests", uow.requests), ("invoices", uow.invoices), ("acts", uow.acts),
                ("orders", uow.orders))}
            links["documents"] = uow.documents.count(owner_kind=CONTRACT,
                                                     owner_id=contract.id, limit=1)
            if not contract.draft or any(links.values()):
                raise Conflict("only a draft contract with nothing under it can be deleted",
                               **{k: v for k, v in links.items() if v})
            contract.record_deleted(("number", "counterparty_id", "subject"))
            contract.tell_client("contract", contract.title, None)
            uow.contracts.delete(contract)
            uow.commit()
