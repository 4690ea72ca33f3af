"""The composition root: the only place that names concrete adapters.

    from ecrm_adapters.bootstrap import bootstrap
    system = bootstrap(Settings.from_env())
    system.app.org.employees(actor_id)
"""

from __future__ import annotations

import gc

import attrs
from sqlalchemy.engine import Engine

from ecrm_adapters.billing.filedrop import FileDropBilling
from ecrm_adapters.billing.http import HttpBilling
from ecrm_adapters.billing.unconfigured import UnconfiguredBilling
from ecrm_adapters.files.documents import FilesystemDocumentStore
from ecrm_adapters.files.local import LocalFileStore
from ecrm_adapters.mail.smtp import NullMailer, SmtpMailer
from ecrm_adapters.queue.runtime import QueueRuntime, attach_queue
from ecrm_adapters.registries.dadata import DadataRegistry
from ecrm_adapters.registries.unconfigured import UnconfiguredRegistry
from ecrm_adapters.security import Argon2Hasher, SystemClock, TokenSecrets
from ecrm_adapters.settings import Settings
from ecrm_adapters.sqlalchemy.deals import SqlDealFigures
from ecrm_adapters.sqlalchemy.engine import make_engine
from ecrm_adapters.sqlalchemy.migrate import upgrade
from ecrm_adapters.sqlalchemy.search import SqlCounterpartySearch, SqlDueTasks
from ecrm_adapters.sqlalchemy.uow import uow_factory
from ecrm_core.application import Application


@attrs.define
class System:
    """Everything a face needs: the application and the resources behind it."""

    settings: Settings
    engine: Engine
    app: Application
    #: The outbox relay and dramatiq worker (ecrm_adapters.queue); idle until started.
    queue: QueueRuntime | None = None

    def start_embedded_queue(self) -> None:
        """Start the queue beside this process (the web server calls it). Without
        ECRM_BROKER_URL: the outbox relay and an in-process worker. With a Redis or
        RabbitMQ URL: the relay only — separate ``ecrm worker`` processes consume."""
        queue = self.queue if self.queue is not None else attach_queue(self)
        queue.start()  # with an in-process worker exactly when the broker is embedded

    def close(self) -> None:
        if self.queue is not None:
            self.queue.stop()
        self.engine.dispose()


def make_mailer(settings: Settings):
    if not settings.smtp_host:
        return NullMailer()
    return SmtpMailer(
        settings.smtp_host, settings.smtp_port, user=settings.smtp_user,
        password=settings.smtp_password, starttls=settings.smtp_starttls, ssl=settings.smtp_ssl,
        sender=settings.mail_from,
    )


def make_registry(settings: Settings):
    """The EGRUL lookup (CP-2): the DaData party API once ECRM_REGISTRY_TOKEN is set;
    until then every lookup says it is not configured."""
    if not settings.registry_configured:
        return UnconfiguredRegistry()
    return DadataRegistry(settings.registry_url, settings.registry_token,
                          timeout=settings.registry_timeout)



def make_billing(settings: Settings):
    """The billing system (ORD-3): ECRM_BILLING_URL (HTTP) or ECRM_BILLING_DIR (a drop
    folder) — not both; neither: hand-offs wait until one is set."""
    if settings.billing_url and settings.billing_dir:
        raise ValueError("set either ECRM_BILLING_URL or ECRM_BILLING_DIR, not both")
    if settings.billing_url:
        return HttpBilling(settings.billing_url, settings.billing_token,
                           timeout=settings.billing_timeout)
    if settings.billing_dir:
        return FileDropBilling(settings.billing_dir)
    return UnconfiguredBilling()


def bootstrap(settings: Settings | None = None, *, migrate: bool = False, clock=None,
              hasher=None, mailer=None, registry=None, documents=None,
              billing=None) -> System:
    """Build the system from settings. ``migrate=True`` brings the schema up to date
    first (the embedded default does this on start)."""
    settings = settings or Settings.from_env()
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        upgrade(settings.database_url)
    engine = make_engine(settings.database_url, sqlite_cache_mb=settings.sqlite_cache_mb)
    clock = clock or SystemClock()
    system = System(settings=settings, engine=engine, app=None)  # type: ignore[arg-type]
    factory = uow_factory(engine, clock, after_commit=lambda events: _after_commit(system, events))
    system.app = Application.build(
        uow_factory=factory, clock=clock, hasher=hasher or Argon2Hasher(),
        secrets=TokenSecrets(), mailer=mailer or make_mailer(settings),
        search=SqlCounterpartySearch(engine), registry=registry or make_registry(settings),
        files=LocalFileStore(settings.data_dir / "files"), due_tasks=SqlDueTasks(engine),
        documents=documents or FilesystemDocumentStore(settings.documents_dir),
        deal_figures=SqlDealFigures(),
        base_url=settings.base_url,
        billing=billing or make_billing(settings),
    )
    attach_queue(system)
    return system


def settle_heap() -> None:
    """For a process that runs ECRM itself (the ``ecrm`` command, its web server and
    worker): after start-up, take what lives as long as the process — modules, mappers,
    compiled statements, the application — out of the garbage collector's full passes
    (``gc.freeze``, after one last collection). A full pass then walks only the objects
    made since; over the ~120,000 start-up objects each pass cost ~90 ms, and a bulk
    import, whose rows live until their batch commits, set one off every few thousand
    rows (a fifth of the import's time at 1M cards; docs/performance.md). Objects frozen
    are still freed when nothing refers to them; only cycles among them stay.

    Not called by ``bootstrap``: a program that embeds ECRM decides for its own process
    (and a test suite that bootstraps many systems must not freeze each one's)."""
    gc.collect()
    gc.freeze()


def _after_commit(system: System, events) -> None:
    if system.queue is not None:
        system.queue.after_commit(events)
