"""The billing port when no billing system is configured: every hand-off waits."""

from __future__ import annotations

from typing import Any

from ecrm_core.orders.ports import BillingNotConfigured


class UnconfiguredBilling:
    def send(self, key: str, payload: dict[str, Any]) -> None:
        raise BillingNotConfigured(
            "billing is not configured (set ECRM_BILLING_URL or ECRM_BILLING_DIR; "
            "docs/configuration.md)")
