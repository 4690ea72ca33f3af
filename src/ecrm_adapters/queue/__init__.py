"""The queue (issue 2 point 6, MSG-2): domain events written to the ``outbox`` table in
the same transaction as the change are relayed to dramatiq actors.

- ``brokers.make_broker(url)``: ``""`` -> an in-process ``StubBroker`` (the embedded
  default), ``redis://`` -> ``RedisBroker``, ``amqp://`` -> ``RabbitmqBroker``.
- ``actors``: the actors, registered inside a function against a given broker, and the
  routing table from event names to actors.
- ``relay.OutboxRelay``: publishes unpublished outbox rows, oldest first.
- ``schedule``: periodic jobs — ``Scheduler`` and the ``PeriodicJob``s ``RegistryRecheck``
  (the EGRUL status re-check, CP-2) and ``TaskAlerts`` (reminders and escalations,
  TASK-7), one pass at a time through a lease row in ``job_leases``.
- ``runtime``: ``QueueRuntime`` (``system.queue``: relay loop + optional in-process
  worker), ``attach_queue(system)`` and ``run_worker(system)`` for ``ecrm worker``.

Nothing here creates a broker, an actor or a thread when a module is imported.
See docs/queue.md.
"""

from ecrm_adapters.queue.actors import QUEUE, ROUTES, Route, register_actors
from ecrm_adapters.queue.brokers import is_embedded, make_broker
from ecrm_adapters.queue.relay import OutboxRelay, delivery_key
from ecrm_adapters.queue.runtime import QueueRuntime, attach_queue, run_worker
from ecrm_adapters.queue.schedule import (
    DealAlerts,
    JobBusy,
    JobLeases,
    PeriodicJob,
    RegistryRecheck,
    Scheduler,
    TaskAlerts,
    periodic_jobs,
)

__all__ = [
    "QUEUE",
    "ROUTES",
    "DealAlerts",
    "JobBusy",
    "JobLeases",
    "OutboxRelay",
    "PeriodicJob",
    "QueueRuntime",
    "RegistryRecheck",
    "Route",
    "Scheduler",
    "TaskAlerts",
    "attach_queue",
    "delivery_key",
    "is_embedded",
    "make_broker",
    "periodic_jobs",
    "register_actors",
    "run_worker",
]
