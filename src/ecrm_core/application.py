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
from ecrm_core.deals.ports import DealFigures
from ecrm_core.deals.services import CalendarService, DealService, DealTemplateService
from ecrm_core.documents.model import DocumentStore
from ecrm_core.documents.services import DocumentService
from ecrm_core.history.services import HistoryService
from ecrm_core.kernel.ports import Clock, PasswordHasher, Secrets
from ecrm_core.kernel.uow import UnitOfWorkFactory
from ecrm_core.messages.ports import Mailer
from ecrm_core.messages.services import MessageService
from ecrm_core.orders.ports import BillingGateway, NoBilling
from ecrm_core.orders.services import APPROVAL_ACTION, OrderService
from ecrm_core.org.services import OrgService
from ecrm_core.products.services import ProductService
from ecrm_core.sales.contracts import ContractService
from ecrm_core.sales.invoices import InvoiceService
from ecrm_core.sales.requests import RequestService
from ecrm_core.tasks.ports import DueTasks
from ecrm_core.tasks.services import TaskService
from ecrm_core.workflow.services import StateSetService


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
    state_sets: StateSetService
    products: ProductService
    contracts: ContractService
    requests: RequestService
    invoices: InvoiceService
    documents: DocumentService
    # the long sales cycle (DEAL-1…DEAL-4, RPT-4)
    deal_templates: DealTemplateService
    deals: DealService
    calendar: CalendarService
    # customer orders (ORD-1…ORD-3)
    orders: OrderService

    @classmethod
    def build(
        cls, *, uow_factory: UnitOfWorkFactory, clock: Clock, hasher: PasswordHasher,
        secrets: Secrets, mailer: Mailer, search: CounterpartySearch, registry: RegistryGateway,
        files: FileStore, due_tasks: DueTasks, documents: DocumentStore,
        deal_figures: DealFigures, base_url: str = "",
        billing: BillingGateway | None = None,
    ) -> Application:
        counterparties = CounterpartyService(uow_factory, clock, search, registry, files)
        messages = MessageService(uow_factory, clock, mailer, base_url=base_url)
        messages.on_confirmation(ASSIGN_ACTION, counterparties.on_assignment_answer)
        tasks = TaskService(uow_factory, clock, secrets, due_tasks)
        products = ProductService(uow_factory, clock)
        contracts = ContractService(uow_factory, clock)
        requests = RequestService(uow_factory, clock)
        invoices = InvoiceService(uow_factory, clock)
        state_sets = StateSetService(uow_factory, (requests.states_in_use,
                                                   invoices.states_in_use))
        deals = DealService(uow_factory, clock, deal_figures)
        state_sets.on_usage(deals.states_in_use)
        deal_templates = DealTemplateService(uow_factory, clock, state_sets)
        calendar = CalendarService(uow_factory, clock)
        orders = OrderService(uow_factory, clock, billing or NoBilling())
        state_sets.on_usage(orders.states_in_use)
        messages.on_confirmation(APPROVAL_ACTION, orders.on_approval_answer)
        founding = (tasks.install_defaults, state_sets.install_defaults,
                    calendar.install_defaults, deal_templates.install_defaults,
                    products.install_defaults, contracts.install_defaults)
        documents_service = DocumentService(uow_factory, clock, documents)
        # DEAL-2: a deal's conditions look at its invoices and documents
        invoices.on_change(deals.follow_invoice)
        documents_service.on_change(deals.follow_document)
        return cls(
            uow_factory=uow_factory,
            clock=clock,
            org=OrgService(uow_factory, clock, hasher, on_founding=founding,
                           on_zone_change=(tasks.follow_zone,)),
            access=AccessService(uow_factory, clock),
            auth=AuthService(uow_factory, clock, hasher, secrets),
            messages=messages,
            history=HistoryService(uow_factory),
            catalogs=CatalogService(uow_factory, clock),
            counterparties=counterparties,
            tasks=tasks,
            state_sets=state_sets,
            products=products,
            contracts=contracts,
            requests=requests,
            invoices=invoices,
            documents=documents_service,
            deal_templates=deal_templates,
            deals=deals,
            calendar=calendar,
            orders=orders,
        )
