"""The application: every use case of ECRM, wired to the ports it was given.

``ecrm_adapters.bootstrap`` builds one from settings (SQLite, PostgreSQL, SMTP, …);
tests build one from in-memory fakes. Faces (web, CLI, queue actors) call it.
"""

from __future__ import annotations

import attrs

from ecrm_core.access.services import AccessService
from ecrm_core.auth.services import AuthService
from ecrm_core.counterparties.ports import CounterpartySearch, FileStore, RegistryGateway
from ecrm_core.counterparties.services import ASSIGN_ACTION, CatalogService, CounterpartyService
from ecrm_core.history.services import HistoryService
from ecrm_core.kernel.ports import Clock, PasswordHasher, Secrets
from ecrm_core.kernel.uow import UnitOfWorkFactory
from ecrm_core.messages.ports import Mailer
from ecrm_core.messages.services import MessageService
from ecrm_core.org.services import OrgService
from ecrm_core.tasks.ports import DueTasks
from ecrm_core.tasks.services import TaskService


@attrs.define
class Application:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    org: OrgService
    access: AccessService
    auth: AuthService
    messages: MessageService
    history: HistoryService
    catalogs: CatalogService
    counterparties: CounterpartyService
    tasks: TaskService

    @classmethod
    def build(
        cls, *, uow_factory: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher,
        secrets: Secrets, mailer: Mailer, search: CounterpartySearch, registry: RegistryGateway,
        files: FileStore, due_tasks: DueTasks, base_url: str = "",
    ) -> Application:
        counterparties = CounterpartyService(uow_factory, clock, search, registry, files)
        messages = MessageService(uow_factory, clock, mailer, base_url=base_url)
        messages.on_confirmation(ASSIGN_ACTION, counterparties.on_assignment_answer)
        tasks = TaskService(uow_factory, clock, secrets, due_tasks)
        return cls(
            uow_factory=uow_factory,
            clock=clock,
            org=OrgService(uow_factory, clock, hasher, on_founding=(tasks.install_defaults,),
                           on_zone_change=(tasks.follow_zone,)),
            access=AccessService(uow_factory, clock),
            auth=AuthService(uow_factory, clock, hasher, secrets),
            messages=messages,
            history=HistoryService(uow_factory),
            catalogs=CatalogService(uow_factory, clock),
            counterparties=counterparties,
            tasks=tasks,
        )
