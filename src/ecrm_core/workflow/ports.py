"""What the workflow needs from the areas that use it."""

from __future__ import annotations

from typing import Protocol

from ecrm_core.kernel.uow import UnitOfWork
from ecrm_core.workflow.model import StateSet


class StatesInUse(Protocol):
    """Provided by each area whose objects run by state sets (requests, invoices, deals,
    orders): the codes of ``state_set``'s states that some of its objects are in now. The
    reference book refuses to remove those states ("a state in use cannot be removed").
    An area answers for the sets it uses and with an empty set for the others."""

    def __call__(self, uow: UnitOfWork, state_set: StateSet) -> set[str]: ...
