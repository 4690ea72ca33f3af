"""The periodic EGRUL status re-check (CP-2) through the queue, on SQLite with the
embedded StubBroker and an in-memory register (tests.fakes.FakeRegistry):

- a pass is a chain of ``recheck_registry(after_id, holder)`` messages, a batch each;
- a liquidated or bankrupt company gets its status changed (history, by the system)
  and its client manager — or, without one, the catalog's curator — a notification;
- the scheduler starts a pass every ECRM_REGISTRY_RECHECK_HOURS when a registry token is
  set, and never a second one while the first holds the lease (several processes,
  duplicate deliveries, stale messages); an abandoned pass is taken over where it
  stopped; a register outage makes the batch fail (and be retried) without losing its
  place.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import dramatiq
import pytest

from ecrm_adapters.queue import QUEUE, JobLeases, RegistryRecheck
from ecrm_adapters.queue import schedule as sched
from ecrm_core.counterparties.model import CounterpartyType, OrganisationStatus
from ecrm_core.counterparties.ports import RegistryRecord, RegistryUnavailable
from ecrm_core.messages.model import MessageKind
from tests.conftest import found, make_system
from tests.fakes import FakeClock, FakeRegistry
from tests.integration.test_queue_relay import wait_until

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PASSWORD = "correct-horse"


def inn10(n: int) -> str:
    """A valid 10-digit INN (legal entity) made from ``n``."""
    digits = f"77{n:07d}"
    check = sum(w * int(d) for w, d in zip((2, 4, 10, 3, 5, 9, 4, 6, 8), digits, strict=True))
    return digits + str(check % 11 % 10)


def system_with(sqlite_url, tmp_path, name: str = "a", **settings):
    clock = FakeClock(START)
    registry = FakeRegistry()
    system = make_system(
        sqlite_url, tmp_path / name, clock=clock, registry=registry,
        settings={"registry_token": "test-key", **settings})
    return system, clock, registry


@contextmanager
def consuming(system):
    """An in-process worker on the system's (stub) broker; yields ``join``."""
    broker = system.queue.broker
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=1, worker_timeout=20)
    worker.start()
    try:
        yield lambda: broker.join(QUEUE, timeout=30_000, fail_fast=True)
    finally:
        worker.stop()


class World:
    pass


@pytest.fixture
def world(sqlite_url, tmp_path):
    system, clock, registry = system_with(sqlite_url, tmp_path)
    w = World()
    w.system, w.clock, w.registry, w.app = system, clock, registry, system.app
    w.director = found(system)
    org = system.app.org
    w.curator = org.add_employee(w.director.id, {
        "login": "curator", "password": PASSWORD, "full_name": "Кураторова Ольга"})
    w.manager = org.add_employee(w.director.id, {
        "login": "manager", "password": PASSWORD, "full_name": "Менеджеров Пётр"})
    w.catalog = w.app.catalogs.create(w.director.id, {"name": "Клиенты",
                                                      "curator_id": w.curator.id})
    cards = w.app.counterparties

    def card(name: str, inn: str = "", **extra):
        return cards.register(w.director.id, {
            "catalog_id": w.catalog.id, "type": "legal_entity", "name": name, "inn": inn,
            **extra})

    # 25 cards: more than one batch (RECHECK_BATCH = 20).
    w.cards = [card(f"Компания {i:02d}", inn10(i)) for i in range(1, 23)]
    w.liquidated, w.bankrupt, w.reorganising = w.cards[0], w.cards[20], w.cards[5]
    w.no_inn = card("Без ИНН")
    w.deleted = card("Удалённая", inn10(90))
    cards.mark_deleted(w.director.id, w.deleted.id)
    w.already = card("Уже ликвидируется", inn10(91), status="liquidating")
    w.app.access.grant(w.director.id, w.manager.id, "client_manager", w.liquidated.ref)
    for c in w.cards:
        registry.records[c.inn] = RegistryRecord(
            inn=c.inn, name=c.name, type=CounterpartyType.LEGAL_ENTITY,
            status=OrganisationStatus.ACTIVE)
    for c, status in ((w.liquidated, OrganisationStatus.LIQUIDATED),
                      (w.bankrupt, OrganisationStatus.BANKRUPT),
                      (w.reorganising, OrganisationStatus.REORGANISING),
                      (w.cards[7], OrganisationStatus.UNKNOWN)):
        registry.records[c.inn] = RegistryRecord(
            inn=c.inn, name=c.name, type=CounterpartyType.LEGAL_ENTITY, status=status)
    del registry.records[w.cards[9].inn]  # the register does not know this one
    registry.records[inn10(90)] = registry.records[inn10(91)] = RegistryRecord(
        inn="x", name="x", type=CounterpartyType.LEGAL_ENTITY,
        status=OrganisationStatus.LIQUIDATED)
    yield w
    system.close()


def notifications(w, employee):
    return [m for m in w.app.messages.inbox(employee.id, per_page=100)
            if m.message_kind is MessageKind.NOTIFICATION and m.text.startswith("ЕГРЮЛ")]


def job_row(system):
    return JobLeases(system.engine, system.app.clock.now).state(sched.RECHECK_JOB)


def test_a_pass_through_the_queue_changes_statuses_and_warns_the_managers(world):
    w = world
    with consuming(w.system) as join:
        started = w.system.queue.scheduler.run_due()
        assert len(started) == 1
        join()
    card = w.app.counterparties.get(w.director.id, w.liquidated.id)
    assert card.status is OrganisationStatus.LIQUIDATED
    assert w.app.counterparties.get(w.director.id, w.bankrupt.id).status \
        is OrganisationStatus.BANKRUPT
    assert w.app.counterparties.get(w.director.id, w.reorganising.id).status \
        is OrganisationStatus.REORGANISING
    for unchanged in (w.cards[1], w.cards[7], w.cards[9], w.deleted, w.already):
        assert w.app.counterparties.get(w.director.id, unchanged.id).status \
            is unchanged.status
    # history: the system changed the status, old -> new
    entry = w.app.history.of(w.director.id, card.ref)[0]
    assert entry.actor_id is None
    assert {"field": "status", "old": "active", "new": "liquidated"} in entry.changes
    # the card's manager is warned about the liquidation; the bankrupt card has no
    # manager, so the catalog's curator is; a reorganisation warns nobody
    [to_manager] = notifications(w, w.manager)
    assert to_manager.subject_id == w.liquidated.id
    assert "Компания 01" in to_manager.text and "ликвидирована" in to_manager.text
    [to_curator] = notifications(w, w.curator)
    assert to_curator.subject_id == w.bankrupt.id and "банкрот" in to_curator.text
    assert notifications(w, w.director) == []
    # every active card with an INN was asked once; deleted and non-active ones were not
    assert sorted(w.registry.asked) == sorted(c.inn for c in w.cards)
    row = job_row(w.system)
    assert (row.holder, row.lease_until, row.cursor) == (None, None, 0)
    assert row.started_at == row.finished_at == START


def test_the_next_pass_waits_for_the_interval(world):
    w = world
    with consuming(w.system) as join:
        assert w.system.queue.scheduler.run_due()
        join()
        w.registry.asked.clear()
        w.clock.advance(hours=23, minutes=59)
        assert w.system.queue.scheduler.run_due() == []
        w.clock.advance(minutes=1)
        assert w.system.queue.scheduler.run_due()
        join()
    assert len(w.registry.asked) == 19  # the cards still active, once each


def test_no_second_pass_while_the_lease_is_held(world, tmp_path, sqlite_url):
    w = world
    leases = JobLeases(w.system.engine, w.clock.now)
    assert leases.take(sched.RECHECK_JOB, "other-process", timedelta(hours=24)) == 0
    # a second process on the same database (its own broker and scheduler)
    other = make_system(w.system.settings.database_url, tmp_path / "b", clock=w.clock,
                        registry=w.registry, settings={"registry_token": "test-key"})
    try:
        for scheduler in (w.system.queue.scheduler, other.queue.scheduler):
            assert scheduler.run_due() == []
        w.clock.advance(hours=30)  # due again, but the lease (renewed below) still holds
        assert leases.renew(sched.RECHECK_JOB, "other-process", 0)
        assert w.system.queue.scheduler.run_due() == []
        assert other.queue.scheduler.run_due() == []
        assert w.system.queue.broker.queues[QUEUE].qsize() == 0
        assert other.queue.broker.queues.get(QUEUE) is None \
            or other.queue.broker.queues[QUEUE].qsize() == 0
        assert w.registry.asked == []
    finally:
        other.close()


def test_two_processes_starting_at_once_start_one_pass(world, tmp_path):
    w = world
    others = [make_system(w.system.settings.database_url, tmp_path / f"p{i}", clock=w.clock,
                          registry=w.registry, settings={"registry_token": "test-key"})
              for i in range(4)]
    barrier = threading.Barrier(len(others))
    results: list[str | None] = []

    def start(system):
        job = RegistryRecheck(system, system.queue.broker)
        barrier.wait()
        results.append(job.start())

    try:
        threads = [threading.Thread(target=start, args=(s,)) for s in others]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(results) == 4
        assert len([r for r in results if r]) == 1
        queued = sum(s.queue.broker.queues[QUEUE].qsize() for s in others
                     if QUEUE in s.queue.broker.queues)
        assert queued == 1
        assert job_row(w.system).holder in results
    finally:
        for s in others:
            s.close()


def test_stale_and_duplicate_messages_do_nothing(world):
    w = world
    job = RegistryRecheck(w.system, w.system.queue.broker)
    job.run_batch(0, "nobody")  # no pass of that holder
    assert w.registry.asked == []
    holder = job.leases.take(sched.RECHECK_JOB, "h1", timedelta(hours=24))
    assert holder == 0
    sent = []
    job._send = lambda after_id, holder: sent.append((after_id, holder))
    job.run_batch(0, "h1")
    assert len(w.registry.asked) == 20 and sent == [(w.cards[19].id, "h1")]
    job.run_batch(0, "h1")  # the same message delivered again
    assert len(w.registry.asked) == 20 and len(sent) == 1
    job.run_batch(*sent[0])
    assert len(sent) == 1  # the end: no further message, the lease is free
    assert job_row(w.system).holder is None
    job.run_batch(*sent[0])  # a late duplicate of the last message
    assert job_row(w.system).holder is None and len(w.registry.asked) == 22


def test_an_outage_fails_the_batch_and_keeps_its_place(world):
    w = world
    job = RegistryRecheck(w.system, w.system.queue.broker)
    sent = []
    job._send = lambda after_id, holder: sent.append((after_id, holder))
    assert job.leases.take(sched.RECHECK_JOB, "h1", timedelta(hours=24)) == 0
    w.registry.down = "the EGRUL service: request limit reached, try later"
    with pytest.raises(RegistryUnavailable):
        job.run_batch(0, "h1")  # dramatiq retries it with backoff
    row = job_row(w.system)
    assert (row.holder, row.cursor) == ("h1", 0) and sent == []
    w.clock.advance(minutes=50)
    w.registry.down = None
    job.run_batch(0, "h1")  # the retry
    assert sent == [(w.cards[19].id, "h1")]
    assert w.app.counterparties.get(w.director.id, w.liquidated.id).status \
        is OrganisationStatus.LIQUIDATED


def test_an_outage_mid_batch_keeps_what_was_done(world):
    w = world
    job = RegistryRecheck(w.system, w.system.queue.broker)
    sent = []
    job._send = lambda after_id, holder: sent.append((after_id, holder))
    assert job.leases.take(sched.RECHECK_JOB, "h1", timedelta(hours=24)) == 0
    real = w.registry.find_by_inn

    def flaky(inn):
        if len(w.registry.asked) >= 3:
            raise RegistryUnavailable("the EGRUL service is failing (HTTP 502); try later")
        return real(inn)

    w.registry.find_by_inn = flaky
    job.run_batch(0, "h1")
    assert sent == [(w.cards[3].id - 1, "h1")]  # goes on at the card that failed
    assert w.app.counterparties.get(w.director.id, w.liquidated.id).status \
        is OrganisationStatus.LIQUIDATED


def test_an_abandoned_pass_is_taken_over_where_it_stopped(world):
    w = world
    leases = JobLeases(w.system.engine, w.clock.now)
    assert leases.take(sched.RECHECK_JOB, "died", timedelta(hours=24)) == 0
    assert leases.advance(sched.RECHECK_JOB, "died", 0, w.cards[19].id)
    w.clock.advance(hours=1)
    assert w.system.queue.scheduler.run_due() == []  # still within its lease
    w.clock.advance(hours=1, seconds=1)
    with consuming(w.system) as join:
        [holder] = w.system.queue.scheduler.run_due()
        join()
    assert holder != "died"
    assert sorted(w.registry.asked) == sorted(c.inn for c in w.cards[20:])
    assert w.app.counterparties.get(w.director.id, w.bankrupt.id).status \
        is OrganisationStatus.BANKRUPT
    row = job_row(w.system)
    assert row.holder is None and row.finished_at == w.clock.now()
    assert row.started_at == START  # the same pass, finished late


def test_a_broker_failure_at_the_start_leaves_the_job_due(world, monkeypatch):
    w = world
    broker = w.system.queue.broker

    def refuse(message, *, delay=None):
        raise ConnectionError("broker down")

    monkeypatch.setattr(broker, "enqueue", refuse)
    assert w.system.queue.scheduler.run_due() == []
    row = job_row(w.system)
    assert (row.holder, row.started_at) == (None, None)
    monkeypatch.undo()
    with consuming(w.system) as join:
        assert w.system.queue.scheduler.run_due()
        join()
    assert job_row(w.system).finished_at == START


def test_a_broker_failure_while_taking_over_keeps_the_place(world, monkeypatch):
    w = world
    leases = JobLeases(w.system.engine, w.clock.now)
    assert leases.take(sched.RECHECK_JOB, "died", timedelta(hours=24)) == 0
    assert leases.advance(sched.RECHECK_JOB, "died", 0, w.cards[19].id)
    w.clock.advance(hours=3)
    broker = w.system.queue.broker

    def refuse(message, *, delay=None):
        raise ConnectionError("broker down")

    monkeypatch.setattr(broker, "enqueue", refuse)
    assert w.system.queue.scheduler.run_due() == []
    row = job_row(w.system)
    assert (row.cursor, row.started_at) == (w.cards[19].id, START)
    assert row.lease_until <= w.clock.now()  # free to be taken over at the next look
    monkeypatch.undo()
    with consuming(w.system) as join:
        assert w.system.queue.scheduler.run_due()
        join()
    assert sorted(w.registry.asked) == sorted(c.inn for c in w.cards[20:])


@pytest.mark.parametrize("settings", [{"registry_token": ""},
                                      {"registry_recheck_hours": 0.0}])
def test_no_pass_without_a_token_or_with_the_job_turned_off(sqlite_url, tmp_path, settings):
    system, _clock, registry = system_with(sqlite_url, tmp_path, **settings)
    try:
        found(system)
        assert system.queue.scheduler.run_due() == []
        assert job_row(system) is None
        job = RegistryRecheck(system, system.queue.broker)
        forced = job.start(force=True)
        assert (forced is None) == (not system.settings.registry_token)
    finally:
        system.close()


def test_the_runtime_starts_the_pass_by_itself(world, monkeypatch):
    """The relay loop looks at the jobs (once a minute; at once on start)."""
    w = world
    w.system.queue.interval = 0.05
    w.system.queue.start()  # relay loop + embedded worker
    wait_until(lambda: (row := job_row(w.system)) is not None and row.finished_at,
               timeout=30, what="the re-check pass to finish")
    assert w.app.counterparties.get(w.director.id, w.liquidated.id).status \
        is OrganisationStatus.LIQUIDATED
    assert len(notifications(w, w.manager)) == 1


def test_the_lease_admits_one_taker_on_either_database(database_url):
    """The conditional UPDATE behind ``take`` on SQLite and PostgreSQL: of several
    processes (engines) racing for the job, one wins; the others get None until the
    lease runs out or the pass finishes."""
    from ecrm_adapters.sqlalchemy.engine import make_engine

    clock = FakeClock(START)
    engines = [make_engine(database_url) for _ in range(4)]
    leases = [JobLeases(engine, clock.now) for engine in engines]
    barrier = threading.Barrier(len(leases))
    results: dict[str, int | None] = {}

    def take(i):
        barrier.wait()
        results[f"p{i}"] = leases[i].take("race", f"p{i}", timedelta(hours=24))

    try:
        threads = [threading.Thread(target=take, args=(i,)) for i in range(len(leases))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        winners = [holder for holder, cursor in results.items() if cursor == 0]
        assert len(results) == 4 and len(winners) == 1
        [winner] = winners
        assert leases[0].state("race").holder == winner
        assert leases[1].take("race", "late", timedelta(hours=24)) is None
        assert leases[2].advance("race", winner, 0, 40)
        assert not leases[3].advance("race", winner, 0, 60)  # a duplicate's step
        clock.advance(hours=3)  # the winner went silent: its lease ran out
        assert leases[1].take("race", "heir", timedelta(hours=24)) == 40
        assert not leases[0].renew("race", winner, 40)
        assert leases[2].finish("race", "heir", 40)
        assert leases[3].take("race", "early", timedelta(hours=24)) is None  # not due yet
        assert leases[3].take("race", "forced", timedelta(hours=24), force=True) == 0
    finally:
        for engine in engines:
            engine.dispose()
