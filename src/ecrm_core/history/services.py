"""Reading history (HIST-1): the changes of one object, newest first."""

from __future__ import annotations

from ecrm_core.access.model import Action
from ecrm_core.access.services import chain_of, policy_for
from ecrm_core.history.model import HistoryEntry
from ecrm_core.kernel.errors import NotFound
from ecrm_core.kernel.refs import ObjectRef
from ecrm_core.kernel.uow import UnitOfWorkFactory


class HistoryService:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self.uow_factory = uow_factory

    def of(self, actor_id: int, subject: ObjectRef, limit: int = 200, offset: int = 0
           ) -> list[HistoryEntry]:
        with self.uow_factory(readonly=True) as uow:
            policy = policy_for(uow, actor_id)
            try:
                policy.require(Action.VIEW, subject.kind, chain_of(uow, subject))
            except NotFound:
                # A deleted object (a revoked role, …): its history stays the Directors'.
                if not policy.is_director:
                    raise

            return uow.history.list(
                subject_kind=subject.kind, subject_id=subject.id, order_by=("-id",),
                limit=min(max(1, limit), 1000), offset=max(0, offset),
            )
