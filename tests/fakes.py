"""In-memory fakes of the core's ports: the unit tests drive the services with these."""

from __future__ import annotations

import copy
import hashlib
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from ecrm_core.application import Application
from ecrm_core.counterparties.model import Counterparty
from ecrm_core.kernel.uow import UnitOfWork
from ecrm_core.messages.ports import Email

REPOS = (
    "company", "departments", "projects", "employees", "service_types", "services", "roles",
    "messages", "history", "login_sessions", "api_tokens", "login_throttles", "handled_messages",
    "catalogs", "counterparties", "contacts", "curator_assignments",
    "task_types", "escalation_rules", "tasks", "task_escalations", "state_sets",
    "item_groups", "items", "service_kinds", "price_types", "client_types", "prices",
    "contract_types", "contracts", "requests", "invoices", "payments", "acts", "settlements",
    "documents",
    "orders", "approval_routes", "approval_rounds", "billing_handoffs",
    "deal_templates", "deals", "deal_stages", "deal_payments", "deal_escalations",
    "calendar_days",
)

#: repository -> aggregate type, for ``add_values`` (the bulk paths that use it)
TYPES = {"counterparties": Counterparty}


def _matches(obj: Any, filters: dict[str, Any]) -> bool:
    for key, expected in filters.items():
        name, _, op = key.partition("__")
        value = getattr(obj, name)
        if op == "":
            ok = value == expected
        elif op == "gt":
            ok = value is not None and value > expected
        elif op == "lt":
            ok = value is not None and value < expected
        elif op == "gte":
            ok = value is not None and value >= expected
        elif op == "lte":
            ok = value is not None and value <= expected
        elif op == "ne":
            ok = value != expected
        elif op == "startswith":
            ok = value is not None and str(value).startswith(str(expected))
        elif op == "in":
            ok = value in expected
        elif op == "ieq":
            ok = value is not None and str(value).lower() == str(expected).lower()
        elif op == "icontains":
            ok = value is not None and str(expected).lower() in str(value).lower()
        else:
            raise ValueError(f"unknown filter {key}")
        if not ok:
            return False
    return True


class FakeRepository:
    """Stores committed copies; a unit of work sees its own working copies."""

    def __init__(self, store: dict[int, Any], ids: itertools.count, uow: FakeUnitOfWork):
        self._store = store
        self._ids = ids
        self._uow = uow

    def _working(self, obj):
        key = (id(self._store), obj.id)
        if key not in self._uow.working:
            clone = copy.copy(obj)
            clone.events = []
            self._uow.working[key] = clone
        return self._uow.working[key]

    def _all(self):
        seen = {}
        for obj in self._store.values():
            seen[obj.id] = self._working(obj)
        for (store_id, ident), obj in self._uow.working.items():
            if store_id == id(self._store) and ident not in self._uow.deleted:
                seen[ident] = obj
        return [o for i, o in seen.items() if (id(self._store), i) not in self._uow.deleted]

    def add(self, obj):
        self._uow.refuse_if_reading()
        obj.id = next(self._ids)
        self._uow.working[(id(self._store), obj.id)] = obj
        self._uow.new.add((id(self._store), obj.id))
        return obj

    def get(self, ident):
        if not isinstance(ident, int):
            return None
        for obj in self._all():
            if obj.id == ident:
                return obj
        return None

    def list(self, *, order_by=("id",), limit=None, offset=0, **filters):
        found = [o for o in self._all() if _matches(o, filters)]
        for key in reversed(tuple(order_by)):
            desc = key.startswith("-")
            name = key.lstrip("-")
            found.sort(key=lambda o, n=name: (getattr(o, n) is None, getattr(o, n)), reverse=desc)
        found = found[offset:]
        return found[:limit] if limit is not None else found

    def first(self, **filters):
        found = self.list(limit=1, **filters)
        return found[0] if found else None

    def add_all(self, objs):
        return [self.add(o) for o in objs]

    def first_per(self, key, values, *, order_by, **filters):
        found = {}
        for value in set(values):
            first = self.list(order_by=order_by, limit=1, **{key: value}, **filters)
            if first:
                found[value] = first[0]
        return found

    def add_values(self, rows):
        cls = TYPES[next(n for n, store in self._uow.storage.stores.items()
                         if store is self._store)]
        return [self.add(cls(**row)).id for row in rows]

    def count(self, *, limit=None, **filters):
        found = len(self.list(**filters))
        return found if limit is None else min(found, limit)

    def delete(self, obj):
        self._uow.refuse_if_reading()
        self._uow.deleted.add((id(self._store), obj.id))


class FakeStorage:
    def __init__(self):
        self.stores = {name: {} for name in REPOS}
        self.ids = {name: itertools.count(1) for name in REPOS}
        self.outbox: list = []
        self.commits = 0
        self.sequences: dict[str, int] = {}


class FakeUnitOfWork(UnitOfWork):
    def __init__(self, storage: FakeStorage, clock, after_commit=None, readonly=False):
        super().__init__(clock, after_commit)
        self.readonly = readonly
        self.storage = storage
        self.working: dict = {}
        self.new: set = set()
        self.deleted: set = set()
        for name in REPOS:
            setattr(self, name, FakeRepository(storage.stores[name], storage.ids[name], self))

    def _seen(self):
        return list(self.working.values())

    def refuse_if_reading(self):
        """As the SQL unit of work: a read-only one does not write."""
        if self.readonly:
            raise RuntimeError("a read-only unit of work does not write")

    def commit(self):
        self.refuse_if_reading()
        super().commit()

    def next_number(self, key):
        # Like a database sequence: a value taken is not given back on rollback.
        self.storage.sequences[key] = self.storage.sequences.get(key, 0) + 1
        return self.storage.sequences[key]

    def _add_to_outbox(self, event, at):
        self.storage.outbox.append((event, at))

    def _commit(self):
        by_store = {id(store): store for store in self.storage.stores.values()}
        for (store_id, ident), obj in self.working.items():
            store = by_store[store_id]
            if (store_id, ident) in self.deleted:
                store.pop(ident, None)
                continue
            current = store.get(ident)
            if current is not None and current.version != obj.version:
                from ecrm_core.kernel.errors import Conflict

                raise Conflict()
            if current is not None and _state(current) != _state(obj):
                obj.version += 1
            stored = copy.copy(obj)
            stored.events = []
            store[ident] = stored
        self.storage.commits += 1
        self.working = {}
        self.new = set()
        self.deleted = set()

    def rollback(self):
        self._recorded.clear()
        self.working = {}
        self.new = set()
        self.deleted = set()


def _state(obj):
    return {k: v for k, v in vars(obj).items() if k not in ("events", "version")}


class FakeClock:
    def __init__(self, now: datetime | None = None):
        self.current = now or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def now(self):
        return self.current

    def advance(self, **delta):
        self.current += timedelta(**delta)


class FakeHasher:
    def hash(self, password):
        return "fake$" + password[::-1]

    def verify(self, hashed, password):
        return hashed == "fake$" + password[::-1]

    def needs_rehash(self, hashed):
        return False


class FakeSecrets:
    def __init__(self):
        self.n = itertools.count(1)

    def new_token(self):
        return f"tok{next(self.n):08d}"

    def digest(self, token):
        return hashlib.sha256(token.encode()).hexdigest()


class FakeMailer:
    def __init__(self, configured=True):
        self.configured = configured
        self.sent: list[Email] = []

    def send(self, email):
        self.sent.append(email)


def fake_app(**kw) -> tuple[Application, FakeStorage]:
    storage = FakeStorage()
    clock = kw.pop("clock", None) or FakeClock()
    mailer = kw.pop("mailer", None) or FakeMailer()
    storage.registry = kw.pop("registry", None) or FakeRegistry()
    storage.files = kw.pop("files", None) or FakeFiles()
    storage.documents = kw.pop("documents", None) or FakeDocuments(clock)
    app = Application.build(
        uow_factory=lambda readonly=False: FakeUnitOfWork(storage, clock, readonly=readonly),
        clock=clock, hasher=FakeHasher(), secrets=FakeSecrets(), mailer=mailer,
        search=FakeSearch(storage), registry=storage.registry, files=storage.files,
        due_tasks=FakeDueTasks(storage), documents=storage.documents,
        deal_figures=kw.pop("deal_figures", None) or FakeDealFigures(), **kw,
    )
    return app, storage


class FakeSearch:
    """Scans the stored cards (the real adapters use trigram indexes)."""

    def __init__(self, storage: FakeStorage):
        self.storage = storage

    def names(self, text, limit, include_deleted=False):
        from ecrm_core.counterparties.ports import SearchCandidate

        found = [
            SearchCandidate(c.id, c.search_text)
            for c in sorted(self.storage.stores["counterparties"].values(), key=lambda c: c.id)
            if text in c.search_text and (include_deleted or not c.deleted)
        ]
        return found[:limit]

    def contact_surnames(self, text, limit, include_deleted=False):
        from ecrm_core.counterparties.ports import SearchCandidate

        cards = self.storage.stores["counterparties"]
        found = []
        for contact in sorted(self.storage.stores["contacts"].values(), key=lambda c: c.id):
            card = cards.get(contact.counterparty_id)
            if card and text in contact.surname_key and (include_deleted or not card.deleted):
                found.append(SearchCandidate(card.id, card.search_text))
        return found[:limit]


class FakeRegistry:
    def __init__(self):
        self.records: dict = {}
        self.down: str | None = None
        self.asked: list[str] = []

    def find_by_inn(self, inn):
        from ecrm_core.counterparties.ports import RegistryUnavailable

        self.asked.append(inn)
        if self.down:
            raise RegistryUnavailable(self.down)
        return self.records.get(inn)


class FakeFiles:
    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.n = itertools.count(1)

    def put(self, data, suffix):
        ref = f"f{next(self.n)}{suffix}"
        self.files[ref] = data
        return ref

    def get(self, ref):
        return self.files.get(ref)

    def delete(self, ref):
        self.files.pop(ref, None)


class FakeDueTasks:
    """Scans the committed tasks (the SQL adapter leaves escalated ones out in SQL)."""

    def __init__(self, storage: FakeStorage):
        self.storage = storage

    def unescalated(self, rule_id, task_type_id, due_before, after_id, limit):
        from ecrm_core.tasks.model import TaskState
        from ecrm_core.tasks.ports import DueTask

        sent = {(e.task_id, e.due_at) for e in self.storage.stores["task_escalations"].values()
                if e.rule_id == rule_id}
        found = [
            DueTask(t.id, t.responsible_id, t.task_type_id, t.due_date, t.due_time, t.due_at,
                    t.what)
            for t in sorted(self.storage.stores["tasks"].values(), key=lambda t: t.id)
            if t.state is TaskState.PLANNED and t.due_at <= due_before and t.id > after_id
            and (task_type_id is None or t.task_type_id == task_type_id)
            and (t.id, t.due_at) not in sent
        ]
        return found[:limit]


class FakeDocuments:
    """A content-addressed document store in memory (``put_at`` from the test's clock
    when given one)."""

    def __init__(self, clock=None):
        self.blobs: dict[str, bytes] = {}
        self.put_at: dict[str, datetime] = {}
        self.clock = clock

    def put(self, data):
        key = hashlib.sha256(data).hexdigest()
        self.blobs[key] = data
        self.put_at[key] = self.clock.now() if self.clock else datetime.now(UTC)
        return key

    def keys(self):
        return list(self.put_at.items())

    def get(self, key):
        return self.blobs.get(key)

    def delete(self, key):
        self.blobs.pop(key, None)
        self.put_at.pop(key, None)


class FakeDealFigures:
    """The board's, the forecast's and the escalation job's figures computed by reading
    the deals one by one (the SQL adapter groups them in the database)."""

    def columns(self, uow, filters, now):
        from ecrm_core.deals.ports import ColumnFigures

        found: dict = {}
        for deal in uow.deals.list(closed_at=None):
            if not filters.matches(deal):
                continue
            c = found.get(deal.state, ColumnFigures())
            found[deal.state] = ColumnFigures(
                c.count + 1, c.amount + deal.amount.amount,
                c.weighted + deal.amount.amount * deal.probability / 100,
                c.overdue + (deal.due_in_state is not None and now >= deal.due_in_state))
        return found

    def forecast(self, uow, filters, first, last):
        from decimal import ROUND_HALF_UP, Decimal

        from ecrm_core.deals.ports import MonthFigures
        from ecrm_core.deals.services import month_range

        months = {m: dict(pipeline=Decimal(0), weighted=Decimal(0), planned=Decimal(0),
                          planned_weighted=Decimal(0), actual=Decimal(0))
                  for m in month_range(first, last)}
        deals = {d.id: d for d in uow.deals.list() if filters.matches(d)}
        for deal in deals.values():
            if deal.closed_at is not None:
                continue
            planned = [p for p in uow.deal_payments.list(deal_id=deal.id)]
            for p in planned:
                cell = months.get(p.due_on.replace(day=1))
                if cell is not None:
                    cell["planned"] += p.amount.amount
                    cell["planned_weighted"] += p.amount.amount * deal.probability / 100
            if deal.expected_close_on is None:
                continue
            cell = months.get(deal.expected_close_on.replace(day=1))
            if cell is None:
                continue
            rest = max(deal.amount.amount - sum((p.amount.amount for p in planned),
                                                Decimal(0)), Decimal(0))
            cell["pipeline"] += deal.amount.amount
            cell["weighted"] += rest * deal.probability / 100
        narrowed = any(v is not None for v in (filters.template_id, filters.manager_id,
                                                filters.project_id))
        invoices = {i.id: i for i in uow.invoices.list()}
        for payment in uow.payments.list(planned=False):
            invoice = invoices.get(payment.invoice_id)
            if narrowed and (invoice is None or invoice.deal_id not in deals):
                continue
            cell = months.get(payment.paid_on.replace(day=1))
            if cell is not None:
                cell["actual"] += payment.amount.amount
        return [MonthFigures(m, **{k: v.quantize(Decimal("0.01"), ROUND_HALF_UP) for k, v in cell.items()})
                for m, cell in months.items()]

    def overdue(self, uow, due_before, level, after_id, limit):
        from ecrm_core.deals.ports import OverdueDeal

        sent = {(e.deal_id, e.entered_at) for e in uow.deal_escalations.list(level=level)}
        found = [OverdueDeal(d.id, d.template_id, d.manager_id, d.state, d.state_entered_at,
                             d.due_in_state, d.number, d.name)
                 for d in uow.deals.list(closed_at=None, id__gt=after_id, order_by=("id",))
                 if d.due_in_state is not None and d.due_in_state <= due_before
                 and (d.id, d.state_entered_at) not in sent]
        return found[:limit]


class FakeBilling:
    """The billing system (ORD-3) in memory: takes each key once, like the real one
    (a key sent again is "already taken", a success). ``outcomes``: what the next sends
    raise, in order (None: accept), e.g. ``[BillingUnavailable("503"), None]``."""

    def __init__(self, outcomes=()):
        self.outcomes = list(outcomes)
        self.sent: list[tuple[str, dict]] = []
        self.accepted: dict[str, dict] = {}

    def send(self, key, payload):
        self.sent.append((key, payload))
        outcome = self.outcomes.pop(0) if self.outcomes else None
        if outcome is not None:
            raise outcome
        self.accepted.setdefault(key, payload)
