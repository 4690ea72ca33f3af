"""Unit of work and repository ports.

A use case opens a unit of work, loads aggregates through its repositories, calls
domain methods and commits. On commit the unit of work turns every event recorded by
the aggregates it has seen into a history row and, for relayed events, an outbox row,
in the same transaction as the change (architecture rule 3)."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar

from ecrm_core.kernel.events import DomainEvent
from ecrm_core.kernel.ports import Clock

T = TypeVar("T")


class Repository(Protocol, Generic[T]):
    """Storage of one aggregate type.

    Filters are keyword equality tests; a suffix selects another comparison:
    ``id__gt``, ``id__gte``, ``id__lt``, ``id__lte``, ``id__ne`` (``x__ne=None``: is set),
    ``kind__in``, ``name__icontains``,
    ``inn__startswith``. ``order_by`` takes
    field names, ``-`` for descending.
    """

    def add(self, obj: T) -> T:
        """Store a new aggregate and give it an id."""

    def get(self, ident: int) -> T | None: ...

    def list(
        self, *, order_by: Iterable[str] = ("id",), limit: int | None = None,
        offset: int = 0, **filters: Any,
    ) -> list[T]: ...

    def add_all(self, objs: Iterable[T]) -> list[T]:
        """Store several new aggregates at once (bulk paths such as the import)."""

    def add_values(self, rows: list[dict[str, Any]]) -> list[int]:
        """Store new aggregates given as rows of their fields' values
        (``Aggregate.new_values``) without building them, and return their ids in
        order: the import's path for new cards, which nothing in the unit of work reads
        again — an object each would cost more than writing it. Nothing is recorded for
        them: the caller records their creation (``UnitOfWork.record``)."""

    def first(self, **filters: Any) -> T | None: ...

    def first_per(self, key: str, values: Iterable[Any], *, order_by: Iterable[str],
                  **filters: Any) -> dict[Any, T]:
        """For each of ``values`` of the field ``key``, the first object by ``order_by``
        among those matching ``filters`` (values with none are left out): one probe of
        an index per value — an invoice's 50 items' prices on a day read 50 rows, not
        every range of every item."""

    def count(self, *, limit: int | None = None, **filters: Any) -> int:
        """How many match; with ``limit``, counting stops there (``min(count, limit)``),
        so a "more than N" answer costs N rows, not the whole table."""

    def delete(self, obj: T) -> None: ...


class UnitOfWork(abc.ABC):
    """Transaction boundary. Rolls back unless ``commit()`` is called."""

    # Repositories (set by adapters).
    company: Repository
    departments: Repository
    projects: Repository
    employees: Repository
    service_types: Repository
    services: Repository
    roles: Repository
    messages: Repository
    history: Repository
    login_sessions: Repository
    api_tokens: Repository
    login_throttles: Repository
    handled_messages: Repository
    catalogs: Repository
    counterparties: Repository
    contacts: Repository
    curator_assignments: Repository
    task_types: Repository
    escalation_rules: Repository
    tasks: Repository
    task_escalations: Repository
    state_sets: Repository
    item_groups: Repository
    items: Repository
    service_kinds: Repository
    price_types: Repository
    client_types: Repository
    prices: Repository
    contract_types: Repository
    contracts: Repository
    requests: Repository
    invoices: Repository
    payments: Repository
    acts: Repository
    settlements: Repository
    documents: Repository
    # deals (DEAL-1…DEAL-4)
    deal_templates: Repository
    deals: Repository
    deal_stages: Repository
    deal_payments: Repository
    deal_escalations: Repository
    calendar_days: Repository
    # customer orders (ORD-1…ORD-3)
    orders: Repository
    approval_routes: Repository
    approval_rounds: Repository
    billing_handoffs: Repository

    def __init__(
        self, clock: Clock, after_commit: Callable[[list[DomainEvent]], None] | None = None
    ) -> None:
        self.clock = clock
        self.actor_id: int | None = None
        self.published: list[DomainEvent] = []
        self._after_commit = after_commit
        self._recorded: list[DomainEvent] = []

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(self, *exc_info) -> None:
        self.rollback()

    def acting_as(self, actor_id: int | None) -> UnitOfWork:
        """Who the history rows written by this unit of work name as the author."""
        self.actor_id = actor_id
        return self

    def record(self, event: DomainEvent) -> None:
        """An event of an object stored without being built (``Repository.add_values``):
        on commit it goes to history and the outbox as an aggregate's events do."""
        self._recorded.append(event)

    def commit(self) -> None:
        events = list(self._collect_events())
        at = self.clock.now()
        for event in events:
            self._record_history(event, at)
            if event.relayed:
                self._add_to_outbox(event, at)
        self._commit()
        self.published.extend(events)
        if self._after_commit and events:
            self._after_commit(events)

    def _record_history(self, event: DomainEvent, at) -> None:
        """One history entry for ``event`` (adapters may write the row more cheaply)."""
        from ecrm_core.history.model import entry_for

        self.history.add(entry_for(event, actor_id=self.actor_id, at=at))

    def _collect_events(self) -> Iterator[DomainEvent]:
        recorded, self._recorded = self._recorded, []
        yield from recorded
        while True:
            produced = False
            for obj in self._seen():
                pending = getattr(obj, "events", None)
                while pending:
                    produced = True
                    yield pending.pop(0)
            if not produced:
                return

    @abc.abstractmethod
    def next_number(self, key: str) -> int:
        """The next value (1, 2, …) of the named sequence (contract, invoice and act
        numbers, CON-2), advanced inside this unit of work. Safe under concurrent units of
        work: two never get the same value, and a value once committed is never given
        again (removing the object that used it does not free it)."""

    @abc.abstractmethod
    def _seen(self) -> Iterable[Any]:
        """Aggregates loaded or added in this unit of work."""

    @abc.abstractmethod
    def _add_to_outbox(self, event: DomainEvent, at) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """Opens a unit of work. ``readonly=True`` for use cases that only read: on SQLite
    they begin deferred and do not wait for the write lock."""

    def __call__(self, readonly: bool = False) -> UnitOfWork: ...


def existing(repo: Repository, kind: str, ident: Any) -> Any:
    """The aggregate ``ident`` names in ``repo``, or NotFound (also for a non-id)."""
    from ecrm_core.kernel.errors import NotFound

    obj = repo.get(ident) if isinstance(ident, int) and not isinstance(ident, bool) else None
    if obj is None:
        raise NotFound(kind, ident)
    return obj
