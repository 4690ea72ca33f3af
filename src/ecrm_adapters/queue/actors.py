"""Actors and the routing table from outbox event names to actors.

Actors are registered by ``register_actors(broker, system)`` — inside a function,
against a given broker — never at import time. Every actor takes the outbox row id and
plain ids, and is idempotent: it records ``delivery_key(outbox_id)`` as handled (the core
does this in the same transaction as the effect), so a message delivered twice has one
effect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import dramatiq

from ecrm_adapters.queue.relay import delivery_key
from ecrm_adapters.queue.schedule import (
    RECHECK_REGISTRY,
    REDELIVER_BILLING,
    RUN_DEAL_ALERTS,
    RUN_TASK_ALERTS,
    PeriodicJob,
    periodic_jobs,
)
from ecrm_core.orders.ports import BillingNotConfigured

if TYPE_CHECKING:
    from ecrm_adapters.bootstrap import System

log = logging.getLogger(__name__)

#: The dramatiq queue ECRM's actors listen on.
QUEUE = "ecrm"

DELIVER_MESSAGE_EMAIL = "deliver_message_email"
EMAIL_CLIENT = "email_client"
DELIVER_BILLING_HANDOFF = "deliver_billing_handoff"

#: Retries of a failing actor (SMTP down, database busy): exponential backoff from
#: 10 seconds up to an hour between tries, 12 tries in all (some four hours).
RETRY_OPTIONS: dict[str, Any] = {
    "max_retries": 12,
    "min_backoff": 10_000,
    "max_backoff": 3_600_000,
    # A stuck SMTP exchange is cut off (enforced in ``ecrm worker`` processes).
    "time_limit": 300_000,
}


@attrs.frozen
class Route:
    """Where an outbox event goes: the actor and its arguments (besides ``outbox_id``),
    taken from the event's JSON payload. Arguments are ids and primitives only."""

    actor_name: str
    arguments: Callable[[dict[str, Any]], dict[str, Any]]


def _message_arguments(payload: dict[str, Any]) -> dict[str, Any]:
    return {"message_id": int(payload["message_id"])}


def _client_email_arguments(payload: dict[str, Any]) -> dict[str, Any]:
    return {"to": str(payload["to"]), "template": str(payload.get("template") or ""),
            "text": str(payload.get("text") or "")}


def _handoff_arguments(payload: dict[str, Any]) -> dict[str, Any]:
    return {"handoff_id": int(payload["handoff_id"])}


#: Event name -> route. An outbox row whose name has no route is marked published
#: and sent nowhere.
ROUTES: dict[str, Route] = {
    # MSG-2: a system message is e-mailed to its recipient.
    "MessageCreated": Route(DELIVER_MESSAGE_EMAIL, _message_arguments),
    # AUTO-1, MAIL-6: a state's on-enter action e-mails the client about a request or
    # an invoice.
    "ClientEmailRequested": Route(EMAIL_CLIENT, _client_email_arguments),
    # ORD-3: an order entered "connection": its data goes to the billing system.
    "BillingHandoffRequested": Route(DELIVER_BILLING_HANDOFF, _handoff_arguments),
}


def register_actors(
    broker: dramatiq.Broker, system: System, queue_name: str = QUEUE,
    jobs: list[PeriodicJob] | None = None,
) -> dict[str, dramatiq.Actor]:
    """Declare ECRM's actors on ``broker``; they call ``system.app``'s services. ``jobs``:
    the periodic jobs whose steps the actors run (default: ``periodic_jobs``)."""
    steps = {job.actor_name: job for job in (
        jobs if jobs is not None else periodic_jobs(system, broker))}

    def deliver_message_email(outbox_id: int, message_id: int) -> None:
        """MSG-2: e-mail one system message to its recipient (if they have an address
        and mail is configured). Idempotent through the delivery key."""
        system.app.messages.deliver_by_email(int(message_id), delivery_key(int(outbox_id)))

    def email_client(outbox_id: int, to: str, template: str, text: str) -> None:
        """AUTO-1: e-mail a client by a template about its request or invoice (when mail
        is configured). Idempotent through the delivery key."""
        system.app.messages.email_client(str(to), str(template), str(text),
                                         delivery_key(int(outbox_id)))

    def deliver_billing_handoff(outbox_id: int, handoff_id: int) -> None:
        """ORD-3: send an order's billing document (``OrderService.deliver_handoff``).
        Raises while the billing system does not take it, so the retries wait it out;
        a hand-off accepted (or refused for good) before sends nothing — the hand-off is
        its own idempotency record, and the billing system gets its key. The delivery
        key is recorded once the hand-off is settled, so a restarted embedded queue
        resends only the messages of hand-offs still waiting."""
        try:
            system.app.orders.deliver_handoff(int(handoff_id),
                                              delivery_key(int(outbox_id)))
        except BillingNotConfigured:
            # no billing system: the hand-off waits (postponed, shown on the order); the
            # sweep sends it once one is configured — retrying now would change nothing
            log.info("billing is not configured: hand-off %s waits", handoff_id)

    def redeliver_billing(cursor: int, holder: str) -> None:
        """ORD-3: one sweep of postponed billing hand-offs (docs/queue.md, "Periodic
        jobs"). A stale or duplicate message does nothing; a failed sweep is not retried
        (the next one does its work)."""
        steps[REDELIVER_BILLING].run(int(cursor), str(holder))

    def recheck_registry(after_id: int, holder: str) -> None:
        """CP-2: one batch of the periodic EGRUL status re-check, then the next batch
        (docs/queue.md, "Periodic jobs"). Raises while the register is unavailable, so
        the retries wait it out; a stale or duplicate message does nothing."""
        steps[RECHECK_REGISTRY].run(int(after_id), str(holder))

    def run_task_alerts(cursor: int, holder: str) -> None:
        """TASK-7: one pass of the task alerts job — due reminders, then escalations
        (docs/queue.md, "Periodic jobs"). A stale or duplicate message does nothing; a
        failed pass is not retried (the next one does its work)."""
        steps[RUN_TASK_ALERTS].run(int(cursor), str(holder))

    def run_deal_alerts(cursor: int, holder: str) -> None:
        """DEAL-4: one pass of the deal alerts job — notices about deals over their
        state's norm, to the manager then the head, once each. A stale or duplicate
        message does nothing; a failed pass is not retried (the next one does its work)."""
        steps[RUN_DEAL_ALERTS].run(int(cursor), str(holder))

    actors = [
        dramatiq.actor(
            deliver_message_email, broker=broker, actor_name=DELIVER_MESSAGE_EMAIL,
            queue_name=queue_name, **RETRY_OPTIONS,
        ),
        dramatiq.actor(
            email_client, broker=broker, actor_name=EMAIL_CLIENT, queue_name=queue_name,
            **RETRY_OPTIONS,
        ),
        dramatiq.actor(
            deliver_billing_handoff, broker=broker, actor_name=DELIVER_BILLING_HANDOFF,
            queue_name=queue_name, **RETRY_OPTIONS,
        ),
    ]
    for name, fn in ((RECHECK_REGISTRY, recheck_registry), (RUN_TASK_ALERTS, run_task_alerts),
                     (REDELIVER_BILLING, redeliver_billing),
                     (RUN_DEAL_ALERTS, run_deal_alerts)):
        job = steps.get(name)
        if job is not None:
            actors.append(dramatiq.actor(
                fn, broker=broker, actor_name=name, queue_name=queue_name,
                **{**RETRY_OPTIONS, **job.actor_options},
            ))
    return {actor.actor_name: actor for actor in actors}
