"""What customer orders need from the outside world: the billing system (ORD-3)."""

from __future__ import annotations

from typing import Any, Protocol


class BillingRejected(Exception):
    """The billing system refused the document for good (a 4xx answer): sending it again
    will not help; the message says why."""


class BillingUnavailable(Exception):
    """The billing system did not take the document now (down, timeout, 5xx, limit):
    try again later; the message says why."""


class BillingNotConfigured(BillingUnavailable):
    """No billing system is configured: the hand-off waits (the periodic sweep sends it
    once one is); retrying the message now would change nothing."""


class BillingGateway(Protocol):
    """Hands one document to the billing system.

    ``key`` is the document's idempotency key: the billing system takes a key once, so
    a document sent again under the same key (a retry after a lost answer) is not taken
    twice — an adapter reports "already taken" as success. Returns on acceptance; raises
    ``BillingRejected`` or ``BillingUnavailable``."""

    def send(self, key: str, payload: dict[str, Any]) -> None: ...


class NoBilling:
    """The gateway when none is configured: every hand-off waits (it is kept, pending,
    and sent once a gateway is configured)."""

    def send(self, key: str, payload: dict[str, Any]) -> None:
        raise BillingUnavailable("billing is not configured")
